//! Token-for-token agreement with reference tokenizers on the committed test strings
//! (engine/tests/fixtures/tokenizer/, made by scripts/gen_tokenizer_fixtures.py):
//! - SmolLM2-135M-Instruct's byte-level BPE vocabulary vs llama.cpp (needs the model file, found
//!   via $BITSMITH_MODELS or ~/.cache/bitsmith/models/; the test prints a notice and passes when
//!   the file is absent);
//! - a tiny SentencePiece BPE vocabulary (committed GGUF) vs llama.cpp;
//! - a tiny byte-level BPE tokenizer.json vs Hugging Face `tokenizers`.

use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use bitsmith_engine::tokenizer::{
    ChatMessage, TokenId, Tokenizer, TokenizerDesc, TokenizerMetadata,
};
use serde_json::Value;

const SMOLLM2_FILE: &str = "SmolLM2-135M-Instruct.Q4_1.gguf";

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tokenizer")
}

fn find_model(name: &str) -> Option<PathBuf> {
    let mut roots = Vec::new();
    if let Some(dir) = std::env::var_os("BITSMITH_MODELS") {
        roots.push(PathBuf::from(dir));
    }
    if let Some(home) = std::env::var_os("HOME") {
        roots.push(PathBuf::from(home).join(".cache/bitsmith/models"));
    }
    roots.into_iter().map(|r| r.join(name)).find(|p| p.exists())
}

// ------------------------------------------------------------------ a minimal GGUF KV reader
// Only the key/value section, read straight from the file (GGUF v2/v3 layout: magic, version,
// tensor count, KV count, then `key: string, type: u32, value`; gguf-py constants.py types).

#[derive(Debug, Clone)]
enum Kv {
    Int(i128),
    F32(f32),
    F64(f64),
    Bool(bool),
    Str(String),
    Arr(Vec<Kv>),
}

struct Gguf(Vec<(String, Kv)>);

fn rd<const N: usize>(r: &mut impl Read) -> [u8; N] {
    let mut b = [0u8; N];
    r.read_exact(&mut b).expect("truncated GGUF");
    b
}

fn rd_str(r: &mut impl Read) -> String {
    let n = u64::from_le_bytes(rd(r)) as usize;
    let mut b = vec![0u8; n];
    r.read_exact(&mut b).expect("truncated GGUF string");
    String::from_utf8_lossy(&b).into_owned()
}

fn rd_val(r: &mut impl Read, ty: u32) -> Kv {
    match ty {
        0 => Kv::Int(u8::from_le_bytes(rd(r)).into()),
        1 => Kv::Int(i8::from_le_bytes(rd(r)).into()),
        2 => Kv::Int(u16::from_le_bytes(rd(r)).into()),
        3 => Kv::Int(i16::from_le_bytes(rd(r)).into()),
        4 => Kv::Int(u32::from_le_bytes(rd(r)).into()),
        5 => Kv::Int(i32::from_le_bytes(rd(r)).into()),
        6 => Kv::F32(f32::from_le_bytes(rd(r))),
        7 => Kv::Bool(rd::<1>(r)[0] != 0),
        8 => Kv::Str(rd_str(r)),
        9 => {
            let et = u32::from_le_bytes(rd(r));
            let n = u64::from_le_bytes(rd(r)) as usize;
            Kv::Arr((0..n).map(|_| rd_val(r, et)).collect())
        }
        10 => Kv::Int(u64::from_le_bytes(rd(r)).into()),
        11 => Kv::Int(i64::from_le_bytes(rd(r)).into()),
        12 => Kv::F64(f64::from_le_bytes(rd(r))),
        t => panic!("bad GGUF value type {t}"),
    }
}

impl Gguf {
    fn open(path: &Path) -> Gguf {
        let mut r = BufReader::new(std::fs::File::open(path).expect("open GGUF"));
        assert_eq!(&rd::<4>(&mut r), b"GGUF");
        let _version = u32::from_le_bytes(rd(&mut r));
        let _n_tensors = u64::from_le_bytes(rd(&mut r));
        let n_kv = u64::from_le_bytes(rd(&mut r));
        let kvs = (0..n_kv)
            .map(|_| {
                let k = rd_str(&mut r);
                let ty = u32::from_le_bytes(rd(&mut r));
                (k, rd_val(&mut r, ty))
            })
            .collect();
        Gguf(kvs)
    }
    fn get(&self, key: &str) -> Option<&Kv> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
}

impl TokenizerMetadata for Gguf {
    fn get_str(&self, key: &str) -> Option<String> {
        match self.get(key)? {
            Kv::Str(s) => Some(s.clone()),
            _ => None,
        }
    }
    fn get_u32(&self, key: &str) -> Option<u32> {
        match self.get(key)? {
            Kv::Int(v) => u32::try_from(*v).ok(),
            _ => None,
        }
    }
    fn get_bool(&self, key: &str) -> Option<bool> {
        match self.get(key)? {
            Kv::Bool(b) => Some(*b),
            _ => None,
        }
    }
    fn get_str_array(&self, key: &str) -> Option<Vec<String>> {
        match self.get(key)? {
            Kv::Arr(a) => a
                .iter()
                .map(|v| match v {
                    Kv::Str(s) => Some(s.clone()),
                    _ => None,
                })
                .collect(),
            _ => None,
        }
    }
    fn get_f32_array(&self, key: &str) -> Option<Vec<f32>> {
        match self.get(key)? {
            Kv::Arr(a) => a
                .iter()
                .map(|v| match v {
                    Kv::F32(x) => Some(*x),
                    Kv::F64(x) => Some(*x as f32),
                    Kv::Int(x) => Some(*x as f32),
                    _ => None,
                })
                .collect(),
            _ => None,
        }
    }
    fn get_i32_array(&self, key: &str) -> Option<Vec<i32>> {
        match self.get(key)? {
            Kv::Arr(a) => a
                .iter()
                .map(|v| match v {
                    Kv::Int(x) => i32::try_from(*x).ok(),
                    _ => None,
                })
                .collect(),
            _ => None,
        }
    }
}

// ------------------------------------------------------------------ fixture helpers

fn load_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("read fixture"))
        .expect("parse fixture")
}

fn ids_of(v: &Value) -> Vec<TokenId> {
    v.as_array()
        .expect("id list")
        .iter()
        .map(|x| x.as_u64().expect("id") as TokenId)
        .collect()
}

/// A fixture string, or `{"bytes": [..]}` for output that is not valid UTF-8.
fn bytes_of(v: &Value) -> Vec<u8> {
    match v {
        Value::String(s) => s.as_bytes().to_vec(),
        Value::Object(o) => o["bytes"]
            .as_array()
            .expect("bytes")
            .iter()
            .map(|b| b.as_u64().expect("byte") as u8)
            .collect(),
        other => panic!("unexpected fixture value {other}"),
    }
}

fn fnv1a64<'a>(chunks: impl Iterator<Item = &'a [u8]>) -> String {
    let mut h: u64 = 0xCBF29CE484222325;
    for c in chunks {
        for &b in (c.len() as u32).to_le_bytes().iter().chain(c) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x100000001B3);
        }
    }
    format!("{h:016x}")
}

#[derive(Default)]
struct Tally {
    checks: usize,
    failures: Vec<String>,
}

impl Tally {
    fn check<T: PartialEq + std::fmt::Debug>(&mut self, what: &str, text: &str, got: T, want: T) {
        self.checks += 1;
        if got != want {
            self.failures.push(format!(
                "{what} for {text:?}:\n   got  {got:?}\n   want {want:?}"
            ));
        }
    }
    fn finish(self, name: &str) {
        println!(
            "{name}: {}/{} checks agree",
            self.checks - self.failures.len(),
            self.checks
        );
        for f in &self.failures {
            println!("  MISMATCH {f}");
        }
        assert!(
            self.failures.is_empty(),
            "{name}: {} mismatches",
            self.failures.len()
        );
    }
}

/// Compare our tokenizer with a llama.cpp fixture: encodings both ways, three detokenizations,
/// the streaming decoder, and every token's piece (via a hash).
fn check_against_llama_cpp(name: &str, tok: &Tokenizer, fx: &Value) -> Tally {
    let mut t = Tally::default();
    assert_eq!(tok.n_tokens() as u64, fx["n_tokens"].as_u64().unwrap());
    let mut id_cases = 0;
    let mut id_agree = 0;
    for case in fx["cases"].as_array().unwrap() {
        let text = case["text"].as_str().unwrap();
        let want_ids = ids_of(&case["ids"]);
        let want_special = ids_of(&case["ids_special"]);
        let ids = tok.encode(text, false, false).unwrap();
        let ids_special = tok.encode(text, true, true).unwrap();
        id_cases += 2;
        id_agree += usize::from(ids == want_ids) + usize::from(ids_special == want_special);
        t.check(
            "ids (add_special=false, parse_special=false)",
            text,
            &ids,
            &want_ids,
        );
        t.check(
            "ids (add_special=true, parse_special=true)",
            text,
            &ids_special,
            &want_special,
        );
        // Detokenize llama.cpp's ids, so a tokenization mismatch does not hide decoding ones.
        t.check(
            "detokenize(ids, false, false)",
            text,
            tok.detokenize_bytes(&want_ids, false, false).unwrap(),
            bytes_of(&case["detok"]),
        );
        t.check(
            "detokenize(ids_special, true, true)",
            text,
            tok.detokenize_bytes(&want_special, true, true).unwrap(),
            bytes_of(&case["detok_special"]),
        );
        t.check(
            "detokenize(ids_special, false, false)",
            text,
            tok.detokenize_bytes(&want_special, false, false).unwrap(),
            bytes_of(&case["detok_special_hidden"]),
        );
        // Streaming, token by token, must end with the same text (these vocabularies do not
        // clean up spaces, so that is the plain detokenization).
        let mut dec = tok.stream_decoder(false);
        let mut streamed = String::new();
        for &id in &want_ids {
            let chunk = dec.push(tok, id).unwrap();
            streamed.push_str(&chunk);
        }
        streamed.push_str(&dec.finish());
        t.check(
            "stream decoder",
            text,
            streamed,
            String::from_utf8_lossy(&bytes_of(&case["detok"])).into_owned(),
        );
    }
    println!("{name}: token ids identical for {id_agree}/{id_cases} encodings of the test strings");
    if let Some(fuzz) = fx.get("fuzz") {
        let (agree, total) = check_id_cases(&mut t, tok, fuzz);
        println!("{name}: token ids identical for {agree}/{total} encodings of random strings");
    }

    let n = tok.n_tokens() as TokenId;
    let special: Vec<&[u8]> = (0..n)
        .map(|i| tok.token_to_piece(i, true).unwrap())
        .collect();
    let plain: Vec<&[u8]> = (0..n)
        .map(|i| tok.token_to_piece(i, false).unwrap())
        .collect();
    for s in fx["pieces"]["sample"].as_array().unwrap() {
        let id = s[0].as_u64().unwrap() as TokenId;
        t.check(
            "token_to_piece(special)",
            &format!("#{id}"),
            special[id as usize].to_vec(),
            bytes_of(&s[1]),
        );
    }
    t.check(
        "hash of all pieces (special)",
        "vocabulary",
        fnv1a64(special.iter().copied()),
        fx["pieces"]["fnv1a64_special"]
            .as_str()
            .unwrap()
            .to_string(),
    );
    t.check(
        "hash of all pieces (plain)",
        "vocabulary",
        fnv1a64(plain.iter().copied()),
        fx["pieces"]["fnv1a64_plain"].as_str().unwrap().to_string(),
    );
    t
}

/// `[text, ids(add_special=false, parse_special=false), ids(true, true)]` cases; returns
/// (agreeing encodings, encodings).
fn check_id_cases(t: &mut Tally, tok: &Tokenizer, cases: &Value) -> (usize, usize) {
    let mut agree = 0;
    let mut total = 0;
    for c in cases.as_array().unwrap() {
        let text = c[0].as_str().unwrap();
        let plain = tok.encode(text, false, false).unwrap();
        let special = tok.encode(text, true, true).unwrap();
        let (want_plain, want_special) = (ids_of(&c[1]), ids_of(&c[2]));
        agree += usize::from(plain == want_plain) + usize::from(special == want_special);
        total += 2;
        t.check("ids (false, false)", text, plain, want_plain);
        t.check("ids (true, true)", text, special, want_special);
    }
    (agree, total)
}

fn messages(v: &Value) -> Vec<ChatMessage> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|m| ChatMessage::new(m["role"].as_str().unwrap(), m["content"].as_str().unwrap()))
        .collect()
}

// ------------------------------------------------------------------ tests

#[test]
fn smollm2_vocab_matches_llama_cpp() {
    let Some(path) = find_model(SMOLLM2_FILE) else {
        println!(
            "NOTICE: {SMOLLM2_FILE} not found in $BITSMITH_MODELS or ~/.cache/bitsmith/models; \
             skipping the SmolLM2 tokenizer comparison"
        );
        return;
    };
    let meta = Gguf::open(&path);
    let tok = Tokenizer::from_gguf(&meta).expect("SmolLM2 tokenizer");
    assert_eq!(tok.n_merges(), 48900);
    assert_eq!(tok.eos(), Some(2));
    assert!(tok.is_eog(0) && tok.is_eog(2));
    assert!(!tok.add_bos());
    let fx = load_json(&fixtures().join("smollm2.json"));
    let mut t = check_against_llama_cpp("SmolLM2", &tok, &fx);

    // The chat template, rendered as its Jinja source does (llama.cpp's built-in ChatML
    // formatter leaves out the template's default system prompt; the Jinja rendering has it).
    for chat in fx["chat"].as_array().unwrap() {
        let msgs = messages(&chat["messages"]);
        let add = chat["add_generation_prompt"].as_bool().unwrap();
        let got = tok.apply_chat_template(&msgs, add).unwrap();
        t.check(
            "chat template (Jinja)",
            &format!("{msgs:?}"),
            got.as_str(),
            chat["jinja"].as_str().unwrap(),
        );
    }
    t.finish("SmolLM2");
}

#[test]
fn smollm2_vocab_under_other_pre_tokenizers_matches_llama_cpp() {
    let Some(path) = find_model(SMOLLM2_FILE) else {
        println!("NOTICE: {SMOLLM2_FILE} not found; skipping the pre-tokenizer variants");
        return;
    };
    let desc = TokenizerDesc::from_gguf(&Gguf::open(&path)).expect("SmolLM2 metadata");
    let fx = load_json(&fixtures().join("smollm2_pre_variants.json"));
    let mut t = Tally::default();
    for (pre, cases) in fx["variants"].as_object().unwrap() {
        let mut d = desc.clone();
        d.pre = pre.clone();
        let tok = Tokenizer::new(d).expect("tokenizer");
        let (agree, total) = check_id_cases(&mut t, &tok, cases);
        println!("pre-tokenizer {pre:?}: token ids identical for {agree}/{total} encodings");
    }
    t.finish("SmolLM2 pre-tokenizer variants");
}

#[test]
fn spm_tiny_vocab_matches_llama_cpp() {
    let meta = Gguf::open(&fixtures().join("spm_tiny.gguf"));
    let tok = Tokenizer::from_gguf(&meta).expect("SPM tokenizer");
    assert!(tok.add_bos() && tok.add_space_prefix());
    assert_eq!(
        (tok.bos(), tok.eos(), tok.unk()),
        (Some(1), Some(2), Some(0))
    );
    let fx = load_json(&fixtures().join("spm_tiny.json"));
    let mut t = check_against_llama_cpp("SPM tiny", &tok, &fx);

    // The same vocabulary through the engine's own GGUF reader.
    let bytes = std::fs::read(fixtures().join("spm_tiny.gguf")).unwrap();
    let file = bitsmith_engine::gguf::GgufFile::parse(&bytes).expect("engine GGUF reader");
    let tok2 = Tokenizer::from_gguf(&file).expect("SPM tokenizer via GgufFile");
    for case in fx["cases"].as_array().unwrap() {
        let text = case["text"].as_str().unwrap();
        t.check(
            "ids via GgufFile",
            text,
            tok2.encode(text, true, true).unwrap(),
            ids_of(&case["ids_special"]),
        );
    }

    // TinyLlama's Zephyr-style template (in the GGUF) vs its Jinja rendering, and the named
    // llama.cpp formats.
    use bitsmith_engine::tokenizer::ChatTemplate;
    for chat in fx["chat"].as_array().unwrap() {
        let msgs = messages(&chat["messages"]);
        let add = chat["add_generation_prompt"].as_bool().unwrap();
        let label = format!("{msgs:?}");
        t.check(
            "TinyLlama template (Jinja)",
            &label,
            tok.apply_chat_template(&msgs, add).unwrap(),
            chat["jinja"].as_str().unwrap().to_string(),
        );
        for (name, key) in [
            ("llama2-sys", "llama_cpp_llama2_sys"),
            ("llama3", "llama_cpp_llama3"),
            ("zephyr", "llama_cpp_zephyr"),
        ] {
            let tmpl = ChatTemplate::detect(name, None).unwrap();
            t.check(
                name,
                &label,
                tmpl.apply(&msgs, add),
                chat[key].as_str().unwrap().to_string(),
            );
        }
    }
    t.finish("SPM tiny");
}

#[test]
fn hf_tokenizer_json_matches_hf_tokenizers() {
    let dir = fixtures().join("bpe_tiny");
    let json = std::fs::read_to_string(dir.join("tokenizer.json")).unwrap();
    let cfg = std::fs::read_to_string(dir.join("tokenizer_config.json")).unwrap();
    let tok = Tokenizer::from_hf_json(&json, Some(&cfg)).expect("tokenizer.json");
    assert_eq!(tok.bos(), tok.token_id("<|im_start|>"));
    assert_eq!(tok.eos(), tok.token_id("<|im_end|>"));
    let fx = load_json(&dir.join("expected.json"));
    let mut t = Tally::default();
    let mut agree = 0;
    let cases = fx["cases"].as_array().unwrap();
    for case in cases {
        let text = case["text"].as_str().unwrap();
        let want = ids_of(&case["ids"]);
        // HF always splits out special added tokens: parse_special = true.
        let got = tok.encode(text, false, true).unwrap();
        agree += usize::from(got == want);
        t.check("ids", text, &got, &want);
        t.check(
            "decode",
            text,
            tok.detokenize(&want, false, true).unwrap(),
            case["decoded"].as_str().unwrap().to_string(),
        );
    }
    println!(
        "tokenizer.json: token ids identical for {agree}/{} test strings",
        cases.len()
    );
    let fuzz = fx["fuzz"].as_array().unwrap();
    let mut fuzz_agree = 0;
    for c in fuzz {
        let text = c[0].as_str().unwrap();
        let (got, want) = (tok.encode(text, false, true).unwrap(), ids_of(&c[1]));
        fuzz_agree += usize::from(got == want);
        t.check("ids (random string)", text, got, want);
    }
    println!(
        "tokenizer.json: token ids identical for {fuzz_agree}/{} random strings",
        fuzz.len()
    );
    let hi = tok
        .apply_chat_template(&[ChatMessage::new("user", "Hi")], true)
        .unwrap();
    assert!(hi.starts_with("<|im_start|>system\nYou are a helpful AI assistant named SmolLM"));
    t.finish("tokenizer.json");
}
