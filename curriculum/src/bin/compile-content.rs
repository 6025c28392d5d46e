//! `compile-content <content dir> <out dir>`: lints the lessons and writes the postcard bundles
//! the app loads. Exits 1 with every problem listed when the content is invalid.

use std::path::PathBuf;
use std::process::ExitCode;

use bitsmith_curriculum::compile::{CompileError, ContentFiles, compile, write_output};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [content, out] = args.as_slice() else {
        eprintln!("usage: compile-content <content dir> <out dir>");
        return ExitCode::from(2);
    };
    match run(PathBuf::from(content), PathBuf::from(out)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("compile-content: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(content: PathBuf, out: PathBuf) -> Result<(), CompileError> {
    let files = ContentFiles::from_dir(&content)?;
    let compiled = compile(&files).map_err(CompileError::Invalid)?;
    let stats = write_output(&compiled, &out)?;
    for c in &compiled.langs {
        println!(
            "{}: {} tracks, {} lessons, {} quiz items, {} search terms",
            c.lang,
            c.catalog.tracks.len(),
            c.catalog.lessons.len(),
            c.catalog
                .lessons
                .iter()
                .map(|l| l.quiz_items.len())
                .sum::<usize>(),
            c.search.terms.len()
        );
    }
    println!(
        "wrote {} files, {} bytes to {}: catalog {} B, search {} B, lessons {} B (largest {} = {} B), weights {} B",
        stats.files,
        stats.total_bytes,
        out.display(),
        stats.catalog_bytes,
        stats.search_bytes,
        stats.lesson_total_bytes,
        stats.largest_lesson.0,
        stats.largest_lesson.1,
        stats.weights_bytes
    );
    Ok(())
}
