//! The native `bitsmith` command line: the same engine code the browser runs, for benchmarks,
//! CI pipelines and models too big for a browser tab.
//!
//! Subcommands: `inspect` (header, metadata, tensor table), `quantize` (llama.cpp presets and
//! overrides), `dequantize` (back to F32/F16), `plan` (fit/speed/cost, `plan.rs`), `generate`,
//! `perplexity` and `kld` (inference, `generate.rs` etc.). Every failure prints one line
//! `bitsmith: error: …` on stderr and exits non-zero (2 for usage errors, 1 otherwise).
//!
//! The engine library is sans-IO; this binary does the file I/O around it. On wasm32 there is
//! no command line, so the binary compiles to an empty `main`.

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
mod convert;
#[cfg(not(target_arch = "wasm32"))]
mod generate;
#[cfg(not(target_arch = "wasm32"))]
mod input;
#[cfg(not(target_arch = "wasm32"))]
mod inspect;
#[cfg(not(target_arch = "wasm32"))]
mod kld;
#[cfg(not(target_arch = "wasm32"))]
mod perplexity;
#[cfg(not(target_arch = "wasm32"))]
mod plan;

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    native::main()
}

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use clap::{Parser, Subcommand};

    use crate::{convert, generate, inspect, kld, perplexity, plan};

    #[derive(Parser)]
    #[command(
        name = "bitsmith",
        version,
        about = "Inspect, quantize and dequantize GGUF models (llama.cpp-compatible)"
    )]
    struct Cli {
        #[command(subcommand)]
        command: Command,
    }

    #[derive(Subcommand)]
    enum Command {
        /// Show a GGUF file's metadata and tensor table.
        Inspect(inspect::InspectArgs),
        /// Quantize a GGUF file or a safetensors model folder with a llama.cpp preset.
        Quantize(convert::QuantizeArgs),
        /// Convert every quantized tensor of a GGUF file back to F32 (or F16).
        Dequantize(convert::DequantizeArgs),
        /// Will a model fit and how fast will it run: memory, speed and cost per preset.
        Plan(plan::PlanArgs),
        /// Generate text from a prompt (greedy or sampled), streamed token by token.
        Generate(generate::GenerateArgs),
        /// Perplexity of a model over a text, as llama-perplexity computes it.
        Perplexity(perplexity::PerplexityArgs),
        /// KL divergence, top-1 agreement, ΔNLL and per-layer error of a quantized model vs its base.
        Kld(kld::KldArgs),
    }

    pub fn main() {
        let cli = match Cli::try_parse() {
            Ok(cli) => cli,
            Err(e) => {
                use clap::error::ErrorKind;
                if matches!(
                    e.kind(),
                    ErrorKind::DisplayHelp
                        | ErrorKind::DisplayVersion
                        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
                ) {
                    // Help and version go to stdout and are not errors.
                    let _ = e.print();
                    std::process::exit(
                        if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                            2
                        } else {
                            0
                        },
                    );
                }
                fail(2, &usage_message(&e));
            }
        };
        let result = match cli.command {
            Command::Inspect(a) => inspect::run(a),
            Command::Quantize(a) => convert::run_quantize(a),
            Command::Dequantize(a) => convert::run_dequantize(a),
            Command::Plan(a) => plan::run(a),
            Command::Generate(a) => generate::run(a),
            Command::Perplexity(a) => perplexity::run(a),
            Command::Kld(a) => kld::run(a),
        };
        if let Err(msg) = result {
            fail(1, &msg);
        }
    }

    /// clap's first error line without its own `error: ` prefix and styling.
    fn usage_message(e: &clap::Error) -> String {
        let text = e.render().to_string();
        let first = text.lines().next().unwrap_or("invalid arguments");
        let msg = first.strip_prefix("error: ").unwrap_or(first);
        format!("{msg} (see 'bitsmith --help')")
    }

    fn fail(code: i32, msg: &str) -> ! {
        // One line, whatever the message contains.
        let one_line = msg.replace('\n', " ");
        eprintln!("bitsmith: error: {one_line}");
        std::process::exit(code)
    }
}
