//! Tidy tests: the invariants ARCHITECTURE.md states, enforced where a test can see them.

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn files(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files(&p, ext, out);
        } else if p.extension().is_some_and(|x| x == ext) {
            out.push(p);
        }
    }
}

/// Architecture Invariant: the engine's dependency tree, on every target, has nothing that
/// knows a browser (web-sys, js-sys, wasm-bindgen, gloo, idb, yew) or a GPU API (wgpu).
#[test]
fn engine_depends_on_nothing_browser_or_gpu() {
    // Both real build targets: the host (CLI, tests) and the browser. (`--target all` would
    // also list wasm-only dependencies of native-only crates, which no build ever links.)
    for target in [None, Some("wasm32-unknown-unknown")] {
        let mut args = vec![
            "tree",
            "-p",
            "bitsmith-engine",
            "-e",
            "normal",
            "--prefix",
            "none",
            "--format",
            "{p}",
            "--offline",
        ];
        if let Some(t) = target {
            args.extend(["--target", t]);
        }
        let out = Command::new(env!("CARGO"))
            .current_dir(repo())
            .args(&args)
            .output()
            .expect("cargo tree runs");
        assert!(
            out.status.success(),
            "cargo tree failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let tree = String::from_utf8(out.stdout).unwrap();
        assert!(
            tree.contains("bitsmith-engine"),
            "unexpected cargo tree output"
        );
        let forbidden = [
            "web-sys",
            "js-sys",
            "wasm-bindgen ",
            "gloo",
            "idb ",
            "yew",
            "wgpu",
        ];
        for line in tree.lines() {
            for f in forbidden {
                assert!(
                    !line.starts_with(f),
                    "engine depends on {line} ({target:?}): the engine must stay sans-IO (ARCHITECTURE.md)"
                );
            }
        }
    }
}

/// Architecture Invariant: the engine library does no I/O of its own. (The `bitsmith` CLI in
/// src/bin is where files are read and written.)
#[test]
fn engine_library_does_no_io() {
    let mut srcs = vec![];
    files(&repo().join("engine/src"), "rs", &mut srcs);
    let bin = repo().join("engine/src/bin");
    let forbidden = [
        "std::fs",
        "std::net",
        "std::process",
        "std::env",
        "File::open",
    ];
    let mut checked = 0;
    for f in srcs.iter().filter(|f| !f.starts_with(&bin)) {
        let text = std::fs::read_to_string(f).unwrap();
        // Unit tests may read fixtures.
        let code = text.split("#[cfg(test)]").next().unwrap();
        for bad in forbidden {
            assert!(
                !code.contains(bad),
                "{} uses {bad}: the engine library is sans-IO",
                f.display()
            );
        }
        checked += 1;
    }
    assert!(checked > 10, "found only {checked} engine source files");
}

/// Architecture Invariant: every WGSL kernel names the scalar reference it is tested against,
/// and that reference exists in the engine.
#[test]
fn every_wgsl_kernel_names_an_existing_scalar_reference() {
    let mut shaders = vec![];
    files(&repo().join("gpu/src"), "wgsl", &mut shaders);
    assert!(!shaders.is_empty());
    let mut engine_src = String::new();
    let mut srcs = vec![];
    files(&repo().join("engine/src"), "rs", &mut srcs);
    for f in srcs {
        engine_src.push_str(&std::fs::read_to_string(f).unwrap());
    }
    for s in shaders {
        let text = std::fs::read_to_string(&s).unwrap();
        let line = text
            .lines()
            .find(|l| l.contains("Scalar reference:"))
            .unwrap_or_else(|| panic!("{} names no scalar reference", s.display()));
        let path = line
            .split("Scalar reference:")
            .nth(1)
            .unwrap()
            .split_whitespace()
            .next()
            .unwrap();
        let func = path.rsplit("::").next().unwrap();
        assert!(
            engine_src.contains(&format!("pub fn {func}(")),
            "{}: reference {path} not found in the engine",
            s.display()
        );
    }
}

/// ARCHITECTURE.md states its invariants and names every workspace crate.
#[test]
fn architecture_doc_is_current() {
    let doc = std::fs::read_to_string(repo().join("ARCHITECTURE.md")).unwrap();
    assert!(doc.matches("Architecture Invariant:").count() >= 3);
    let manifest = std::fs::read_to_string(repo().join("Cargo.toml")).unwrap();
    let members = manifest
        .split("members = [")
        .nth(1)
        .unwrap()
        .split(']')
        .next()
        .unwrap();
    for m in members.split(',') {
        let m = m.trim().trim_matches('"');
        if !m.is_empty() {
            assert!(
                doc.contains(&format!("`{m}/`")),
                "ARCHITECTURE.md does not describe {m}/"
            );
        }
    }
}
