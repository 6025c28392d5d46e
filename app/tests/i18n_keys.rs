//! Tidy test for translations: every `.ftl` parses; every key the code asks for exists in `en`;
//! every `en` key is used somewhere in the code; other locales have no keys `en` lacks, use the
//! same placeholders, and (for the locales shipped complete) translate every key.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use fluent_syntax::ast;

const COMPLETE: &[&str] = &["en", "ar", "es"];

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// key → set of placeholder names, for one locale.
fn messages(code: &str) -> BTreeMap<String, BTreeSet<String>> {
    let mut out = BTreeMap::new();
    for file in bitsmith_app::i18n::FTL_FILES {
        let path = crate_dir().join("locales").join(code).join(file);
        let src =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let res = fluent_syntax::parser::parse(src.as_str())
            .unwrap_or_else(|(_, errs)| panic!("{code}/{file}: syntax errors: {errs:?}"));
        for entry in res.body {
            if let ast::Entry::Message(m) = entry {
                let mut vars = BTreeSet::new();
                if let Some(p) = &m.value {
                    for el in &p.elements {
                        if let ast::PatternElement::Placeable { expression } = el {
                            collect_vars(expression, &mut vars);
                        }
                    }
                }
                assert!(
                    out.insert(m.id.name.to_string(), vars).is_none(),
                    "{code}: duplicate key {}",
                    m.id.name
                );
            }
        }
    }
    out
}

fn collect_vars(e: &ast::Expression<&str>, vars: &mut BTreeSet<String>) {
    match e {
        ast::Expression::Inline(ast::InlineExpression::VariableReference { id }) => {
            vars.insert(id.name.to_string());
        }
        ast::Expression::Select { selector, variants } => {
            if let ast::InlineExpression::VariableReference { id } = selector {
                vars.insert(id.name.to_string());
            }
            for v in variants {
                for el in &v.value.elements {
                    if let ast::PatternElement::Placeable { expression } = el {
                        collect_vars(expression, vars);
                    }
                }
            }
        }
        _ => {}
    }
}

fn rust_sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// (keys passed directly to `.t("…")`/`.ta("…"`, every string literal in the code).
fn code_strings() -> (BTreeSet<String>, BTreeSet<String>) {
    let mut files = vec![];
    rust_sources(&crate_dir().join("src"), &mut files);
    let (mut called, mut literals) = (BTreeSet::new(), BTreeSet::new());
    for f in files {
        let src = std::fs::read_to_string(&f).unwrap();
        // Unit tests look up made-up keys on purpose; only shipped code counts.
        let src = src
            .split("#[cfg(test)]")
            .next()
            .unwrap_or_default()
            .to_string();
        for (i, _) in src.match_indices('"') {
            // Cheap literal scan: take the text up to the next quote.
            if let Some(end) = src[i + 1..].find('"') {
                let lit = &src[i + 1..i + 1 + end];
                if !lit.is_empty()
                    && lit
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                {
                    literals.insert(lit.to_string());
                }
            }
        }
        for pat in [".t(\"", ".ta(\""] {
            for (i, _) in src.match_indices(pat) {
                let rest = &src[i + pat.len()..];
                let key = &rest[..rest.find('"').unwrap()];
                called.insert(key.to_string());
            }
        }
    }
    (called, literals)
}

#[test]
fn every_key_the_code_uses_exists_in_english() {
    let en = messages("en");
    let (called, _) = code_strings();
    assert!(!called.is_empty(), "the scan found no .t() calls at all");
    let missing: Vec<_> = called.iter().filter(|k| !en.contains_key(*k)).collect();
    assert!(
        missing.is_empty(),
        "keys used in code but missing in en: {missing:?}"
    );
}

#[test]
fn every_english_key_is_used() {
    let en = messages("en");
    let (_, literals) = code_strings();
    let unused: Vec<_> = en.keys().filter(|k| !literals.contains(*k)).collect();
    assert!(unused.is_empty(), "en keys no code uses: {unused:?}");
}

#[test]
fn other_locales_match_english() {
    let en = messages("en");
    for l in bitsmith_app::i18n::LOCALES {
        let m = messages(l.code);
        for (k, vars) in &m {
            let want = en
                .get(k)
                .unwrap_or_else(|| panic!("{}: key {k} not in en", l.code));
            assert_eq!(vars, want, "{}: {k} placeholders differ from en", l.code);
        }
        if COMPLETE.contains(&l.code) {
            let missing: Vec<_> = en.keys().filter(|k| !m.contains_key(*k)).collect();
            assert!(missing.is_empty(), "{} lacks {missing:?}", l.code);
        }
    }
}

#[test]
fn the_scan_would_catch_a_missing_key() {
    // Guard against a scanner that silently finds nothing: a made-up key is not in en.
    let en = messages("en");
    assert!(!en.contains_key("definitely-not-a-key"));
    assert!(en.contains_key("nav-learn"));
}
