//! The native `bitsmith` command line: the same engine code the browser runs, for benchmarks,
//! CI pipelines and models too big for a browser tab.

fn main() {
    eprintln!("bitsmith: no command yet");
    std::process::exit(2);
}
