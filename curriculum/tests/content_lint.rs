//! The content lint: the real `content/` must compile cleanly, and broken snippets must not.
//! Runs in a plain `cargo test` (the crate's dev-dependency on itself enables `compile`).

use std::collections::BTreeSet;
use std::path::Path;

use bitsmith_curriculum::compile::{ContentFiles, Diagnostic, compile, write_output};
use bitsmith_curriculum::{
    Answer, Block, QuizKind, Widget, WidgetKind, decode_catalog, decode_lesson, decode_search,
};

fn content_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../content")
}

fn real_content() -> ContentFiles {
    ContentFiles::from_dir(&content_dir()).expect("content/ is readable")
}

fn show(diags: &[Diagnostic]) -> String {
    diags
        .iter()
        .map(|d| d.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn real_content_compiles_without_problems() {
    let compiled = match compile(&real_content()) {
        Ok(c) => c,
        Err(d) => panic!("content lint failed:\n{}", show(&d)),
    };
    let en = compiled
        .langs
        .iter()
        .find(|l| l.lang == "en")
        .expect("English content");
    let cat = &en.catalog;
    assert!(
        cat.lessons.len() >= 24,
        "only {} lessons",
        cat.lessons.len()
    );
    // Every track has lessons, every lesson cites, quizzes and embeds a widget (the compiler
    // enforces these; asserting them here guards the enforcement itself).
    for t in &cat.tracks {
        assert!(
            cat.lessons_in(&t.id).count() >= 1,
            "track {} is empty",
            t.id
        );
    }
    for l in &cat.lessons {
        assert!(
            !l.sources.is_empty() && !l.quiz_items.is_empty() && !l.widgets.is_empty(),
            "{}",
            l.id
        );
        assert!(l.bundle_bytes > 0 && l.bundle_hash.len() == 16);
        assert_eq!(l.research, cat.track(&l.track).unwrap().research);
    }
    // Quiz item ids are globally unique (spaced review keys).
    let mut ids = BTreeSet::new();
    for l in &cat.lessons {
        for q in &l.quiz_items {
            assert!(ids.insert(q.clone()), "duplicate quiz item {q}");
            assert!(q.starts_with(&format!("{}/", l.id)));
        }
    }
    // Every widget kind the app implements is exercised by some lesson.
    let used: BTreeSet<&str> = cat
        .lessons
        .iter()
        .flat_map(|l| l.widgets.iter().map(|k| k.name()))
        .collect();
    for k in WidgetKind::ALL {
        assert!(
            used.contains(k.name()),
            "no lesson uses widget {}",
            k.name()
        );
    }
    // Every research-track lesson is marked research; no other lesson is.
    assert!(cat.lessons.iter().any(|l| l.research));
}

#[test]
fn every_quiz_answer_is_accepted_by_its_own_checker() {
    let compiled = compile(&real_content()).unwrap_or_else(|d| panic!("{}", show(&d)));
    for lesson in &compiled.langs[0].lessons {
        for item in lesson.quiz_items() {
            let right = match &item.kind {
                QuizKind::MultipleChoice { correct, .. } => Answer::Choice(correct.clone()),
                QuizKind::Numeric { answer, .. } => Answer::Number(*answer),
                QuizKind::Ordering { items_html } => {
                    Answer::Order((0..items_html.len() as u32).collect())
                }
            };
            assert!(item.check(&right), "{} rejects its own answer", item.id);
            let wrong = match &item.kind {
                QuizKind::MultipleChoice {
                    correct,
                    options_html,
                } => Answer::Choice(vec![
                    (0..options_html.len() as u32)
                        .find(|i| !correct.contains(i))
                        .unwrap(),
                ]),
                QuizKind::Numeric {
                    answer, tolerance, ..
                } => Answer::Number(answer + 2.0 * tolerance),
                QuizKind::Ordering { items_html } => {
                    Answer::Order((0..items_html.len() as u32).rev().collect())
                }
            };
            assert!(!item.check(&wrong), "{} accepts a wrong answer", item.id);
        }
    }
}

#[test]
fn output_round_trips_through_postcard_and_search_finds_lessons() {
    let compiled = compile(&real_content()).unwrap_or_else(|d| panic!("{}", show(&d)));
    let out = std::env::temp_dir().join(format!("bitsmith-content-test-{}", std::process::id()));
    let stats = write_output(&compiled, &out).expect("write");
    let cat = decode_catalog(&std::fs::read(out.join("en/catalog.bin")).unwrap()).unwrap();
    assert_eq!(cat, compiled.langs[0].catalog);
    for meta in &cat.lessons {
        let bytes = std::fs::read(out.join(format!("en/lessons/{}.bin", meta.id))).unwrap();
        assert_eq!(bytes.len() as u32, meta.bundle_bytes);
        assert_eq!(bitsmith_curriculum::fnv1a_hex(&bytes), meta.bundle_hash);
        let bundle = decode_lesson(&bytes).unwrap();
        assert_eq!(bundle.meta.id, meta.id);
        assert!(bundle.blocks.iter().any(|b| matches!(b, Block::Html(_))));
    }
    for w in &cat.weights {
        let bytes = std::fs::read(out.join("weights").join(&w.file)).unwrap();
        let values = w.decode_f16(&bytes).expect("slice size matches its shape");
        assert!(values.iter().all(|v| v.is_finite()));
        if let Some(f) = &w.importance_file {
            let imp = w
                .decode_importance(&std::fs::read(out.join("weights").join(f)).unwrap())
                .unwrap();
            assert!(imp.iter().all(|v| v.is_finite() && *v >= 0.0));
        }
    }
    let search = decode_search(&std::fs::read(out.join("en/search.bin")).unwrap()).unwrap();
    let top = |q: &str| {
        search
            .search(q, 3)
            .first()
            .map(|h| h.lesson.clone())
            .unwrap_or_default()
    };
    assert_eq!(top("bf16"), "number-formats");
    assert!(
        search
            .search("kv cache", 5)
            .iter()
            .any(|h| h.lesson == "kv-cache-quantization")
    );
    assert!(search.search("gptq", 3).iter().any(|h| h.lesson == "gptq"));
    let files = std::fs::read_to_string(out.join("files.txt")).unwrap();
    assert!(files.lines().any(|l| l == "en/catalog.bin"));
    assert_eq!(files.lines().count(), stats.files);
    std::fs::remove_dir_all(&out).ok();
}

#[test]
fn widgets_resolve_their_weights_and_tables() {
    let compiled = compile(&real_content()).unwrap_or_else(|d| panic!("{}", show(&d)));
    let cat = &compiled.langs[0].catalog;
    for lesson in &compiled.langs[0].lessons {
        for b in &lesson.blocks {
            let Block::Widget(w) = b else { continue };
            if let Some(id) = w.widget.weights() {
                assert!(
                    cat.weight(id).is_some(),
                    "{} uses unknown slice {id}",
                    lesson.meta.id
                );
            }
            match &w.widget {
                Widget::LayerSensitivity { table, .. } => assert!(!table.rows.is_empty()),
                Widget::ErrorVsBits { model_curve, .. } => {
                    assert!(model_curve.iter().all(|t| !t.rows.is_empty()))
                }
                _ => {}
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Negative tests: small synthetic content trees with one thing broken each.

const TRACKS: &str = r#"
[[track]]
id = "t"
title = "T"
description = "d"

[[skill]]
id = "s"
title = "S"
"#;

const MANIFEST: &str = r#"{"format": "bitsmith-weight-slices/1", "slices": [
 {"id": "w", "file": "w.f16", "rows": 2, "cols": 64, "dtype": "f16", "source_tensor": "blk.0.attn_q.weight",
  "source_type": "Q4_1", "layer": 0, "kind": "attn_q", "source_rows": [0, 1], "note": "n",
  "hessian": {"file": "h.f32", "col_start": 8, "size": 4}}]}"#;

const GOOD_QUIZ: &str = "```quiz\n[[item]]\nid = \"a\"\ntype = \"choice\"\nprompt = \"p\"\noptions = [\"x\", \"y\"]\ncorrect = 0\n```\n";
const GOOD_WIDGET: &str = "```widget\nkind = \"quantize_matrix\"\nweights = \"w\"\n```\n";

fn lesson(id: &str, prereqs: &str, body: &str) -> String {
    format!(
        "+++\nid = \"{id}\"\ntitle = \"Title {id}\"\nsummary = \"s\"\ntrack = \"t\"\nlevel = \"intro\"\nprerequisites = [{prereqs}]\nskills = [\"s\"]\nminutes = 3\n\n[[sources]]\ntitle = \"src\"\nurl = \"https://example.org/\"\n+++\n\n## Intro\n\nText.\n\n{body}"
    )
}

fn tree(lessons: &[(&str, String)]) -> ContentFiles {
    let mut c = ContentFiles::default();
    c.insert("en/tracks.toml", TRACKS);
    c.insert("weights/manifest.json", MANIFEST);
    c.insert("weights/w.f16", vec![0u8; 2 * 64 * 2]);
    c.insert("weights/h.f32", vec![0u8; 4 * 4 * 4]);
    for (path, src) in lessons {
        c.insert(path, src.as_str());
    }
    c
}

fn good(id: &str, prereqs: &str, extra: &str) -> String {
    lesson(id, prereqs, &format!("{extra}\n{GOOD_QUIZ}\n{GOOD_WIDGET}"))
}

/// Compiles a tree expected to fail and returns the messages.
fn errors(c: &ContentFiles) -> String {
    match compile(c) {
        Ok(_) => panic!("broken content compiled"),
        Err(d) => show(&d),
    }
}

#[test]
fn minimal_tree_compiles() {
    let c = tree(&[
        ("en/t/01-a.md", good("a", "", "")),
        ("en/t/02-b.md", good("b", "\"a\"", "[see](lesson:a#intro)")),
    ]);
    let compiled = compile(&c).unwrap_or_else(|d| panic!("{}", show(&d)));
    assert_eq!(compiled.langs[0].catalog.lessons.len(), 2);
    let b = &compiled.langs[0].lessons[1];
    let Block::Html(h) = &b.blocks[0] else {
        panic!()
    };
    assert!(h.contains(r#"data-lesson="a" data-anchor="intro""#), "{h}");
}

#[test]
fn broken_front_matter_is_reported() {
    let no_fm = tree(&[("en/t/01-a.md", "## Hi\n".to_string())]);
    assert!(errors(&no_fm).contains("missing front matter"));
    let unknown_key = good("a", "", "").replacen("minutes = 3", "minutes = 3\ncolour = \"red\"", 1);
    assert!(errors(&tree(&[("en/t/01-a.md", unknown_key)])).contains("unknown field"));
    let bad_level = good("a", "", "").replacen("\"intro\"", "\"expert\"", 1);
    assert!(errors(&tree(&[("en/t/01-a.md", bad_level)])).contains("level 'expert'"));
    let no_source = good("a", "", "").replacen(
        "[[sources]]\ntitle = \"src\"\nurl = \"https://example.org/\"\n",
        "",
        1,
    );
    assert!(errors(&tree(&[("en/t/01-a.md", no_source)])).contains("at least one source"));
    let slow = good("a", "", "").replacen("minutes = 3", "minutes = 15", 1);
    assert!(errors(&tree(&[("en/t/01-a.md", slow)])).contains("minutes = 15 but the body has"));
    let wrong_name = tree(&[("en/t/01-other.md", good("a", "", ""))]);
    assert!(errors(&wrong_name).contains("file name says 'other'"));
    let unknown_skill = good("a", "", "").replacen("skills = [\"s\"]", "skills = [\"nope\"]", 1);
    assert!(errors(&tree(&[("en/t/01-a.md", unknown_skill)])).contains("unknown skill 'nope'"));
}

#[test]
fn prerequisites_must_exist_come_first_and_not_cycle() {
    let missing = tree(&[("en/t/01-a.md", good("a", "\"ghost\"", ""))]);
    assert!(errors(&missing).contains("prerequisite 'ghost' is not a lesson"));
    let later = tree(&[
        ("en/t/01-a.md", good("a", "\"b\"", "")),
        ("en/t/02-b.md", good("b", "", "")),
    ]);
    assert!(errors(&later).contains("comes later"));
    let cycle = tree(&[
        ("en/t/01-a.md", good("a", "\"b\"", "")),
        ("en/t/02-b.md", good("b", "\"a\"", "")),
    ]);
    let e = errors(&cycle);
    assert!(e.contains("cycle"), "{e}");
    let dup = tree(&[
        ("en/t/01-a.md", good("a", "", "")),
        ("en/t/02-a.md", good("a", "", "")),
    ]);
    assert!(errors(&dup).contains("duplicate lesson id 'a'"));
}

#[test]
fn quizzes_need_valid_answers() {
    let cases = [
        ("correct = 0", "correct = 5", "out of range"),
        ("correct = 0", "correct = [0, 1]", "every option is correct"),
        ("correct = 0", "", "missing 'correct'"),
        (
            "options = [\"x\", \"y\"]",
            "options = [\"x\", \"x\"]",
            "distinct",
        ),
        (
            "type = \"choice\"",
            "type = \"essay\"",
            "unknown type 'essay'",
        ),
    ];
    for (from, to, expect) in cases {
        let src = lesson(
            "a",
            "",
            &format!("{}\n{GOOD_WIDGET}", GOOD_QUIZ.replacen(from, to, 1)),
        );
        let e = errors(&tree(&[("en/t/01-a.md", src)]));
        assert!(e.contains(expect), "{from} -> {to}: {e}");
    }
    let numeric = |tol: &str| {
        lesson(
            "a",
            "",
            &format!(
                "```quiz\n[[item]]\nid = \"n\"\ntype = \"numeric\"\nprompt = \"p\"\nanswer = 4.5\n{tol}\n```\n{GOOD_WIDGET}"
            ),
        )
    };
    assert!(
        errors(&tree(&[("en/t/01-a.md", numeric("tolerance = 0"))]))
            .contains("'tolerance' must be")
    );
    assert!(errors(&tree(&[("en/t/01-a.md", numeric(""))])).contains("'tolerance' must be"));
    assert!(compile(&tree(&[("en/t/01-a.md", numeric("tolerance = 0.01"))])).is_ok());
    let order = lesson(
        "a",
        "",
        &format!(
            "```quiz\n[[item]]\nid = \"o\"\ntype = \"order\"\nprompt = \"p\"\nitems = [\"only\"]\n```\n{GOOD_WIDGET}"
        ),
    );
    assert!(errors(&tree(&[("en/t/01-a.md", order)])).contains("at least two items"));
    let no_quiz = lesson("a", "", GOOD_WIDGET);
    assert!(errors(&tree(&[("en/t/01-a.md", no_quiz)])).contains("needs a ```quiz"));
    let dup_items = lesson("a", "", &format!("{GOOD_QUIZ}\n{GOOD_QUIZ}\n{GOOD_WIDGET}"));
    assert!(errors(&tree(&[("en/t/01-a.md", dup_items)])).contains("duplicate"));
}

#[test]
fn widgets_are_validated() {
    let w = |body: &str| lesson("a", "", &format!("{GOOD_QUIZ}\n```widget\n{body}\n```\n"));
    let cases = [
        ("kind = \"teleporter\"", "unknown widget kind 'teleporter'"),
        (
            "kind = \"quantize_matrix\"\nweights = \"missing\"",
            "unknown weight slice 'missing'",
        ),
        (
            "kind = \"quantize_matrix\"\nweights = \"w\"\ngroup_size = 48",
            "does not divide",
        ),
        (
            "kind = \"quantize_matrix\"\nweights = \"w\"\nbits = 9",
            "out of 1..=8",
        ),
        (
            "kind = \"quantize_matrix\"\nweights = \"w\"\nmethod = \"Q4_K\"",
            "multiple of 256",
        ),
        (
            "kind = \"quantize_matrix\"\nweights = \"w\"\nmethod = \"Q9_9\"",
            "unknown ggml type",
        ),
        (
            "kind = \"quantize_matrix\"\nweights = \"w\"\nbitz = 4",
            "unknown field",
        ),
        ("kind = \"memory_calc\"\nmodel = \"gpt-9\"", "unknown model"),
        (
            "kind = \"layer_sensitivity\"\nview = \"kinds\"",
            "needs content/weights/measurements.json",
        ),
        (
            "kind = \"annealing_qubo\"\nweights = \"w\"\nt_start = 0.1\nt_end = 1.0",
            "t_start > t_end",
        ),
        (
            "kind = \"annealing_qubo\"\nweights = \"w\"\ncol = 6\ncount = 4",
            "inside the Hessian block 8..12",
        ),
        (
            "kind = \"block_format\"\nweights = \"w\"\nggml_type = \"Q4_0\"\nblock = 2",
            "block 2 out of range",
        ),
        (
            "kind = \"kv_cache\"\nmodel = \"llama-3-8b\"\nkv_types = [\"Q3_K\"]",
            "unknown KV cache type",
        ),
        (
            "kind = \"number_format\"\nvalue = 1.0\nformats = [\"fp7\"]",
            "unknown number format",
        ),
    ];
    for (body, expect) in cases {
        let e = errors(&tree(&[("en/t/01-a.md", w(body))]));
        assert!(e.contains(expect), "{body}: {e}");
    }
    let no_widget = lesson("a", "", GOOD_QUIZ);
    assert!(errors(&tree(&[("en/t/01-a.md", no_widget)])).contains("at least one ```widget"));
    // Defaults fill in, and the typed widget comes out.
    let c = compile(&tree(&[(
        "en/t/01-a.md",
        w("kind = \"block_format\"\nweights = \"w\"\nggml_type = \"q4_0\"\nblock = 1"),
    )]))
    .unwrap();
    let Some(Block::Widget(spec)) = c.langs[0].lessons[0]
        .blocks
        .iter()
        .find(|b| matches!(b, Block::Widget(_)))
    else {
        panic!()
    };
    assert_eq!(
        spec.widget,
        Widget::BlockFormat {
            weights: "w".into(),
            ggml_type: "Q4_0".into(),
            row: 0,
            block: 1
        }
    );
}

#[test]
fn links_html_and_figures_are_checked() {
    let cases = [
        ("[x](lesson:ghost)", "unknown lesson 'ghost'"),
        ("[x](#nowhere)", "no heading '#nowhere'"),
        ("[x](javascript:alert(1))", "unsupported link"),
        ("[x](app:admin)", "unknown app route"),
        ("<script>alert(1)</script>", "raw HTML"),
        ("![chart](chart.png)", "images are not allowed"),
        ("# Big title", "heading level 1"),
        (
            "```figure\nid = \"f\"\nalt = \"A long enough description\"\nsvg = '<svg viewBox=\"0 0 1 1\"><script/></svg>'\n```",
            "not allowed in figures",
        ),
        (
            "```figure\nid = \"f\"\nalt = \"short\"\nsvg = '<svg viewBox=\"0 0 1 1\"/>'\n```",
            "text alternative",
        ),
        (
            "```figure\nid = \"f\"\nalt = \"A long enough description\"\nsrc = \"missing.svg\"\n```",
            "does not exist",
        ),
    ];
    for (snippet, expect) in cases {
        let e = errors(&tree(&[("en/t/01-a.md", good("a", "", snippet))]));
        assert!(e.contains(expect), "{snippet}: {e}");
    }
    // A valid figure from content/figures/ compiles and is sanitized.
    let mut c = tree(&[(
        "en/t/01-a.md",
        good(
            "a",
            "",
            "```figure\nid = \"f\"\nalt = \"A long enough description\"\nsrc = \"f.svg\"\n```",
        ),
    )]);
    c.insert(
        "figures/f.svg",
        r#"<svg viewBox="0 0 2 2"><!-- note --><rect width="1" height="1"/></svg>"#,
    );
    let compiled = compile(&c).unwrap_or_else(|d| panic!("{}", show(&d)));
    let fig = compiled.langs[0].lessons[0]
        .blocks
        .iter()
        .find_map(|b| match b {
            Block::Figure(f) => Some(f.clone()),
            _ => None,
        });
    let fig = fig.expect("figure block");
    assert!(
        fig.svg.contains("aria-label=\"A long enough description\"") && !fig.svg.contains("note")
    );
}

#[test]
fn tracks_without_lessons_and_broken_weights_are_reported() {
    let mut c = tree(&[("en/t/01-a.md", good("a", "", ""))]);
    c.insert(
        "en/tracks.toml",
        format!("{TRACKS}\n[[track]]\nid = \"empty\"\ntitle = \"E\"\ndescription = \"d\"\n"),
    );
    assert!(errors(&c).contains("track 'empty' has no lessons"));
    let mut c = tree(&[("en/t/01-a.md", good("a", "", ""))]);
    c.insert("weights/w.f16", vec![0u8; 10]);
    assert!(errors(&c).contains("expected 2×64 f16"));
    let mut c = tree(&[("en/t/01-a.md", good("a", "", ""))]);
    c.files.remove("weights/h.f32");
    assert!(errors(&c).contains("Hessian block of slice 'w' is missing"));
}

/// Not a check: `DUMP_LESSON=<id> cargo test -p bitsmith-curriculum dump -- --nocapture` prints
/// a compiled lesson, for reviewing the HTML the app will render.
#[test]
fn dump() {
    let Ok(id) = std::env::var("DUMP_LESSON") else {
        return;
    };
    let compiled = compile(&real_content()).unwrap_or_else(|d| panic!("{}", show(&d)));
    let lesson = compiled.langs[0]
        .lessons
        .iter()
        .find(|l| l.meta.id == id)
        .expect("lesson id");
    for b in &lesson.blocks {
        println!("{b:#?}");
    }
}

/// The widget type tables must agree with the engine the app runs them on: every ggml type a
/// lesson may name is quantizable by the engine with the same block size and bits per weight,
/// and every KV-cache type exists with the same cost.
#[test]
fn widget_types_match_the_engine() {
    use bitsmith_curriculum::compile::{KV_TYPES, WIDGET_GGML_TYPES};
    use bitsmith_engine::GgmlType;
    for &(name, block, bpw) in WIDGET_GGML_TYPES {
        let ty = GgmlType::from_name(name).unwrap_or_else(|| panic!("engine lacks {name}"));
        assert!(
            bitsmith_engine::quant::can_quantize(ty),
            "engine cannot quantize {name}"
        );
        assert_eq!(ty.block_size(), block as usize, "{name} block size");
        assert!((ty.bits_per_weight() - bpw).abs() < 1e-9, "{name} bpw");
    }
    for &(name, bits) in KV_TYPES {
        let ty = GgmlType::from_name(name).unwrap_or_else(|| panic!("engine lacks {name}"));
        assert!((ty.bits_per_weight() - bits).abs() < 1e-9, "{name} bits");
    }
}
