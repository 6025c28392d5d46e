//! `tokenizer.json` (+ `tokenizer_config.json`, `config.json`) → GGUF `tokenizer.*` metadata, as
//! llama.cpp's converter writes it for the Llama family:
//!
//! * byte-level BPE → `TextModel._set_vocab_gpt2` / `get_vocab_base` (`conversion/base.py`):
//!   `tokenizer.ggml.model = "gpt2"`, the pre-tokenizer name, tokens (holes filled with
//!   `[PAD{id}]`), token types, then gguf-py's `SpecialVocab` with merges;
//! * SentencePiece-style BPE with byte fallback → `_set_vocab_llama_hf` with gguf-py's
//!   `LlamaHfVocab` (`gguf-py/gguf/vocab.py`): `model = "llama"`, `pre = "default"`, tokens,
//!   scores (all −1000), types, then `SpecialVocab` without merges.
//!
//! `SpecialVocab` (`gguf-py/gguf/vocab.py`) is re-done here: merges, the special token ids from
//! tokenizer_config.json's `*_token` entries then config.json's `*_token_id`, the `add_*_token`
//! flags from the post-processor then tokenizer_config.json, the chat template and the
//! normalizer flags, written in the order gguf-py writes them.

use super::{HfError, Metadata};
use crate::gguf::{GgufArray, GgufValue};
use serde_json::Value;

/// gguf-py `TokenType`.
const NORMAL: i32 = 1;
const CONTROL: i32 = 3;
const USER_DEFINED: i32 = 4;
const UNUSED: i32 = 5;
const BYTE: i32 = 6;

/// Inputs the vocabulary mapping reads.
pub(crate) struct VocabInputs<'a> {
    pub tokenizer: &'a Value,
    pub tokenizer_json_text: &'a str,
    pub tokenizer_config: Option<&'a Value>,
    pub tokenizer_config_text: Option<&'a str>,
    pub config: &'a Value,
    pub chat_template_jinja: Option<&'a str>,
    pub chat_template_json: Option<&'a Value>,
    pub pre_override: Option<&'a str>,
}

/// An added token from tokenizer.json's `added_tokens`.
struct Added<'a> {
    id: u64,
    content: &'a str,
    special: bool,
}

fn added_tokens(tok: &Value) -> Vec<Added<'_>> {
    tok.get("added_tokens")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|t| {
                    Some(Added {
                        id: t.get("id")?.as_u64()?,
                        content: t.get("content")?.as_str()?,
                        special: t.get("special").and_then(Value::as_bool).unwrap_or(false),
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

fn model_vocab(tok: &Value) -> Result<Vec<(&str, u64)>, HfError> {
    let v = tok
        .pointer("/model/vocab")
        .and_then(Value::as_object)
        .ok_or_else(|| HfError::Tokenizer("tokenizer.json has no model.vocab object".into()))?;
    v.iter()
        .map(|(t, id)| {
            id.as_u64()
                .map(|id| (t.as_str(), id))
                .ok_or_else(|| HfError::Tokenizer(format!("token {t:?} has a non-integer id")))
        })
        .collect()
}

/// `TextModel.does_token_look_special`.
fn looks_special(t: &str) -> bool {
    matches!(t, "<pad>" | "<mask>" | "<2mass>" | "[@BOS@]")
        || (t.starts_with("<|") && t.ends_with("|>"))
        || (t.starts_with("<\u{ff5c}") && t.ends_with("\u{ff5c}>"))
        || (t.starts_with("<unused") && t.ends_with('>'))
}

/// Which vocabulary path the llama converter takes (`LlamaModel.set_vocab`): the
/// SentencePiece-in-BPE `LlamaHfVocab` when tokenizer.json is BPE with byte fallback and a
/// `Sequence` decoder (and not a Llama-3 style vocabulary), else byte-level BPE.
pub(crate) fn is_llama_hf(tok: &Value) -> bool {
    let m = tok.get("model").unwrap_or(&Value::Null);
    let is_bpe = m.get("type").and_then(Value::as_str) == Some("BPE");
    let flag = |k: &str, default: bool| m.get(k).and_then(Value::as_bool).unwrap_or(default);
    let is_llama3 = is_bpe && flag("ignore_merges", false) && !flag("byte_fallback", true);
    !is_llama3
        && is_bpe
        && flag("byte_fallback", false)
        && tok.pointer("/decoder/type").and_then(Value::as_str) == Some("Sequence")
}

/// `_set_vocab_gpt2`: byte-level BPE.
pub(crate) fn gpt2(
    md: &mut Metadata,
    inp: &VocabInputs<'_>,
    vocab_size: Option<u64>,
) -> Result<(), HfError> {
    let base = model_vocab(inp.tokenizer)?;
    let added = added_tokens(inp.tokenizer);
    // The HF tokenizer's vocab: model vocab plus added tokens.
    let mut by_id: std::collections::BTreeMap<u64, &str> =
        base.iter().map(|&(t, i)| (i, t)).collect();
    for a in &added {
        by_id.insert(a.id, a.content);
    }
    let n_distinct = {
        let mut s: std::collections::HashSet<&str> = base.iter().map(|&(t, _)| t).collect();
        s.extend(added.iter().map(|a| a.content));
        s.len() as u64
    };
    let vocab_size = vocab_size.unwrap_or(n_distinct);
    if let Some((&max, _)) = by_id.iter().next_back()
        && max >= vocab_size
    {
        return Err(HfError::Tokenizer(format!(
            "token id {max} is not below vocab_size {vocab_size}"
        )));
    }
    // Bound the loop by what the files justify: ids are < vocab_size, which comes from
    // config.json; refuse absurd sizes rather than allocate for them.
    if vocab_size > 16 * 1024 * 1024 {
        return Err(HfError::Config(format!(
            "vocab_size {vocab_size} is implausible"
        )));
    }
    let mut tokens = Vec::with_capacity(vocab_size as usize);
    let mut types = Vec::with_capacity(vocab_size as usize);
    for i in 0..vocab_size {
        let Some(&t) = by_id.get(&i) else {
            tokens.push(format!("[PAD{i}]"));
            types.push(UNUSED);
            continue;
        };
        match added.iter().find(|a| a.content == t) {
            Some(a) => {
                if a.special || looks_special(t) {
                    tokens.push(t.to_owned());
                    types.push(CONTROL);
                } else {
                    // "pre-normalize user-defined spaces" (get_vocab_base).
                    tokens.push(t.replace('\u{2581}', " "));
                    types.push(USER_DEFINED);
                }
            }
            None => {
                tokens.push(t.to_owned());
                types.push(NORMAL);
            }
        }
    }
    let pre = match inp.pre_override {
        Some(p) => p.to_owned(),
        None => {
            crate::tokenizer::TokenizerDesc::from_hf_json(
                inp.tokenizer_json_text,
                inp.tokenizer_config_text,
                None,
            )
            .map_err(|e| HfError::PreTokenizer(e.to_string()))
            .map(|d| match d.pre.as_str() {
                // Same pre-tokenizer in llama.cpp; "llama-bpe" is the name the converter
                // writes for Llama-3 vocabularies (get_vocab_base_pre, Meta-Llama-3-8B).
                "llama3" => "llama-bpe".to_owned(),
                _ => d.pre,
            })?
        }
    };
    md.set("tokenizer.ggml.model", "gpt2".into());
    md.set("tokenizer.ggml.pre", pre.into());
    md.set(
        "tokenizer.ggml.tokens",
        GgufValue::Array(GgufArray::String(tokens)),
    );
    md.set(
        "tokenizer.ggml.token_type",
        GgufValue::Array(GgufArray::I32(types)),
    );
    SpecialVocab::load(inp, None, true)?.write(md);
    Ok(())
}

/// `_set_vocab_llama_hf` with `LlamaHfVocab`: base vocabulary in id order, then added tokens
/// beyond it; every score −1000; `<0xXX>` pieces are BYTE, the tokenizer's special tokens
/// CONTROL.
pub(crate) fn llama_hf(md: &mut Metadata, inp: &VocabInputs<'_>) -> Result<(), HfError> {
    let base = model_vocab(inp.tokenizer)?;
    let added = added_tokens(inp.tokenizer);
    let n_base = base.len() as u64;
    let mut full: std::collections::HashMap<&str, u64> = base.iter().copied().collect();
    for a in &added {
        full.insert(a.content, a.id);
    }
    let mut by_id: std::collections::HashMap<u64, &str> =
        full.iter().map(|(&t, &i)| (i, t)).collect();
    // HF's special tokens: those named in tokenizer_config.json.
    let mut specials: Vec<String> = Vec::new();
    if let Some(tc) = inp.tokenizer_config {
        for k in [
            "bos_token",
            "eos_token",
            "unk_token",
            "sep_token",
            "pad_token",
            "cls_token",
            "mask_token",
        ] {
            if let Some(s) = token_content(tc.get(k)) {
                specials.push(s);
            }
        }
        if let Some(a) = tc
            .get("additional_special_tokens")
            .and_then(Value::as_array)
        {
            specials.extend(a.iter().filter_map(|v| token_content(Some(v))));
        }
    }
    let special_ids: std::collections::HashSet<u64> = specials
        .iter()
        .filter_map(|s| full.get(s.as_str()).copied())
        .collect();
    let mut tokens = Vec::new();
    let mut types = Vec::new();
    for i in 0..n_base {
        let t = by_id
            .remove(&i)
            .ok_or_else(|| HfError::Tokenizer(format!("base vocabulary has no token {i}")))?;
        types.push(if is_byte_piece(t) {
            BYTE
        } else if special_ids.contains(&i) {
            CONTROL
        } else {
            NORMAL
        });
        tokens.push(t.to_owned());
    }
    let mut extra: Vec<&Added<'_>> = added.iter().filter(|a| a.id >= n_base).collect();
    extra.sort_by_key(|a| a.id);
    for a in extra {
        let is_special = specials.iter().any(|s| s == a.content);
        types.push(if !is_special {
            USER_DEFINED
        } else if special_ids.contains(&a.id) {
            CONTROL
        } else {
            NORMAL
        });
        tokens.push(a.content.to_owned());
    }
    let n = tokens.len();
    md.set("tokenizer.ggml.model", "llama".into());
    md.set("tokenizer.ggml.pre", "default".into());
    md.set(
        "tokenizer.ggml.tokens",
        GgufValue::Array(GgufArray::String(tokens)),
    );
    md.set(
        "tokenizer.ggml.scores",
        GgufValue::Array(GgufArray::F32(vec![-1000.0; n])),
    );
    md.set(
        "tokenizer.ggml.token_type",
        GgufValue::Array(GgufArray::I32(types)),
    );
    SpecialVocab::load(inp, Some(n as u64), false)?.write(md);
    Ok(())
}

fn is_byte_piece(t: &str) -> bool {
    let b = t.as_bytes();
    b.len() == 6
        && t.starts_with("<0x")
        && t.ends_with('>')
        && b[3..5].iter().all(u8::is_ascii_hexdigit)
}

/// A `*_token` entry: a string or `{"content": …}`.
fn token_content(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o.get("content")?.as_str().map(str::to_owned),
        _ => None,
    }
}

/// Python truthiness of an optional JSON value (`if not special_bos`).
fn truthy(v: &Option<Value>) -> bool {
    match v {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Object(o)) => !o.is_empty(),
        Some(Value::Number(n)) => n.as_f64() != Some(0.0),
    }
}

/// `v == Some(String(s))`: Python's `s in (special_bos, …)` compares a string with the raw
/// tokenizer_config values.
fn is_str(v: &Option<Value>, s: &str) -> bool {
    matches!(v, Some(Value::String(x)) if x == s)
}

enum ChatTemplate {
    One(String),
    Named(Vec<(String, String)>),
}

/// gguf-py's `SpecialVocab`, re-done.
struct SpecialVocab {
    merges: Vec<String>,
    ids: Vec<(String, u64)>,
    add: Vec<(String, bool)>,
    chat_template: Option<ChatTemplate>,
    lowercase: Option<bool>,
    strip_accents: Option<bool>,
    types: Vec<String>,
    n_vocab: Option<u64>,
}

impl SpecialVocab {
    fn load(
        inp: &VocabInputs<'_>,
        n_vocab: Option<u64>,
        load_merges: bool,
    ) -> Result<SpecialVocab, HfError> {
        let mut sv = SpecialVocab {
            merges: Vec::new(),
            ids: Vec::new(),
            add: Vec::new(),
            chat_template: None,
            lowercase: None,
            strip_accents: None,
            types: ["bos", "eos", "unk", "sep", "pad", "cls", "mask"]
                .map(String::from)
                .to_vec(),
            n_vocab,
        };
        sv.load_tokenizer_json(inp, load_merges)?;
        sv.load_config_json(inp.config);
        Ok(sv)
    }

    fn set_special(&mut self, typ: &str, id: Option<&Value>) -> Result<(), HfError> {
        let Some(v) = id else { return Ok(()) };
        let Some(id) = v.as_i64() else { return Ok(()) };
        if id < 0 {
            return Err(HfError::Tokenizer(format!(
                "invalid value for special token type {typ}: {id}"
            )));
        }
        let id = id as u64;
        if self.n_vocab.is_none_or(|n| id < n) && !self.ids.iter().any(|(t, _)| t == typ) {
            self.ids.push((typ.to_owned(), id));
        }
        Ok(())
    }

    fn set_add(&mut self, typ: &str, value: bool, overwrite: bool) {
        match self.add.iter_mut().find(|(t, _)| t == typ) {
            Some(e) if overwrite => e.1 = value,
            Some(_) => {}
            None => self.add.push((typ.to_owned(), value)),
        }
    }

    fn parse_normalizer(&mut self, n: &Value) {
        match n.get("type").and_then(Value::as_str) {
            Some("Lowercase") => self.lowercase = Some(true),
            Some("StripAccents") => self.strip_accents = Some(true),
            Some("BertNormalizer") => {
                if let Some(v) = n.get("lowercase").and_then(Value::as_bool) {
                    self.lowercase = Some(v);
                }
                if let Some(v) = n.get("strip_accents").and_then(Value::as_bool) {
                    self.strip_accents = Some(v);
                }
            }
            Some("Sequence") => {
                for m in n
                    .get("normalizers")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    self.parse_normalizer(m);
                }
            }
            _ => {}
        }
    }

    fn load_tokenizer_json(
        &mut self,
        inp: &VocabInputs<'_>,
        load_merges: bool,
    ) -> Result<(), HfError> {
        let tok = inp.tokenizer;
        if load_merges && let Some(merges) = tok.pointer("/model/merges").and_then(Value::as_array)
        {
            self.merges = parse_merges(merges)?;
        }
        if let Some(n) = tok.get("normalizer").filter(|n| !n.is_null()) {
            self.parse_normalizer(n);
        }
        let added = added_tokens(tok);
        // tokenizer_config.json, mutable as gguf-py mutates its dict.
        let mut tc: Option<serde_json::Map<String, Value>> =
            inp.tokenizer_config.and_then(Value::as_object).cloned();
        let tc_get = |tc: &Option<serde_json::Map<String, Value>>, k: &str| {
            tc.as_ref().and_then(|m| m.get(k).cloned())
        };
        let tc_truthy = tc.as_ref().is_some_and(|m| !m.is_empty());
        let mut special_bos = tc_get(&tc, "bos_token");
        let mut special_cls = tc_get(&tc, "cls_token");
        let mut special_eos = tc_get(&tc, "eos_token");
        let mut special_sep = tc_get(&tc, "sep_token");
        if !truthy(&special_bos) && truthy(&special_cls) && tc_truthy {
            special_bos = special_cls.clone();
            tc.as_mut()
                .expect("truthy")
                .insert("bos_token".into(), special_bos.clone().expect("truthy"));
        }
        if !truthy(&special_eos) && truthy(&special_sep) && tc_truthy {
            special_eos = special_sep.clone();
            tc.as_mut()
                .expect("truthy")
                .insert("eos_token".into(), special_eos.clone().expect("truthy"));
        }
        if let Some(pp) = tok
            .get("post_processor")
            .filter(|p| truthy(&Some((*p).clone())))
        {
            let list: Vec<&Value> = match pp.get("processors").and_then(Value::as_array) {
                Some(a) => a.iter().collect(),
                None => vec![pp],
            };
            for p in list {
                match p.get("type").and_then(Value::as_str) {
                    Some("ByteLevel") => {
                        self.set_add("bos", false, false);
                        self.set_add("eos", false, false);
                    }
                    Some("RobertaProcessing") => {
                        self.set_add("bos", true, true);
                        self.set_add("eos", true, true);
                        self.set_add("sep", true, true);
                        if !truthy(&special_cls) && tc_truthy {
                            special_cls =
                                p.pointer("/cls/0").cloned().or_else(|| special_bos.clone());
                            if let Some(v) = &special_cls {
                                tc.as_mut()
                                    .expect("truthy")
                                    .insert("cls_token".into(), v.clone());
                            }
                        }
                        if !truthy(&special_sep) && tc_truthy {
                            special_sep =
                                p.pointer("/sep/0").cloned().or_else(|| special_eos.clone());
                            if let Some(v) = &special_sep {
                                tc.as_mut()
                                    .expect("truthy")
                                    .insert("sep_token".into(), v.clone());
                            }
                        }
                    }
                    Some("TemplateProcessing") => {
                        let special_id = |e: &Value| {
                            e.pointer("/SpecialToken/id")
                                .and_then(Value::as_str)
                                .filter(|s| !s.is_empty())
                                .map(str::to_owned)
                        };
                        let single: Vec<Value> = p
                            .get("single")
                            .and_then(Value::as_array)
                            .cloned()
                            .unwrap_or_default();
                        let pair: Vec<Value> = p
                            .get("pair")
                            .and_then(Value::as_array)
                            .cloned()
                            .unwrap_or_default();
                        let mut special_first = None;
                        let mut special_last = None;
                        if single.len() > 1 {
                            special_first = special_id(&single[0]);
                            if let Some(first) = &special_first {
                                if !tc_truthy {
                                    special_bos = Some(Value::String(first.clone()));
                                } else if !is_str(&special_bos, first)
                                    && !is_str(&special_cls, first)
                                {
                                    let m = tc.as_mut().expect("truthy");
                                    if !truthy(&special_bos) {
                                        special_bos = Some(Value::String(first.clone()));
                                        m.insert("bos_token".into(), Value::String(first.clone()));
                                    }
                                    if !truthy(&special_cls) {
                                        special_cls = Some(Value::String(first.clone()));
                                        m.insert("cls_token".into(), Value::String(first.clone()));
                                    }
                                }
                                let is_bos =
                                    is_str(&special_bos, first) || is_str(&special_cls, first);
                                self.set_add("bos", is_bos, true);
                            }
                            special_last = special_id(single.last().expect("len > 1"));
                            if let Some(last) = &special_last {
                                if !tc_truthy {
                                    special_eos = Some(Value::String(last.clone()));
                                } else if !is_str(&special_eos, last) {
                                    let m = tc.as_mut().expect("truthy");
                                    if !self.types.iter().any(|t| t == "eot") {
                                        self.types.push("eot".into());
                                        m.insert(
                                            "eot_token".into(),
                                            special_eos.clone().unwrap_or(Value::Null),
                                        );
                                    } else if !self.types.iter().any(|t| t == "eom") {
                                        self.types.push("eom".into());
                                        m.insert(
                                            "eom_token".into(),
                                            special_eos.clone().unwrap_or(Value::Null),
                                        );
                                    }
                                    special_eos = Some(Value::String(last.clone()));
                                    m.insert("eos_token".into(), Value::String(last.clone()));
                                }
                                let is_eos = is_str(&special_eos, last);
                                self.set_add("eos", is_eos, true);
                            }
                        }
                        if !pair.is_empty() {
                            let start = usize::from(
                                special_first.is_some()
                                    && special_id(&pair[0]).as_deref() == special_first.as_deref(),
                            );
                            let stop_trim = special_last.is_some()
                                && special_id(pair.last().expect("non-empty")).as_deref()
                                    == special_last.as_deref();
                            let end = pair.len() - usize::from(stop_trim);
                            let mid: &[Value] = if start <= end { &pair[start..end] } else { &[] };
                            if !mid.is_empty() {
                                let seq = |e: &Value| {
                                    e.pointer("/Sequence/id")
                                        .and_then(Value::as_str)
                                        .map(str::to_owned)
                                };
                                let a = seq(&mid[0]);
                                let b = seq(mid.last().expect("non-empty"));
                                if a.as_deref() == Some("A")
                                    && b.as_deref() == Some("B")
                                    && mid.len() > 2
                                {
                                    let inner = &mid[1..mid.len() - 1];
                                    let mut add_sep = false;
                                    if let Some(e) = special_id(&inner[0])
                                        && (is_str(&special_sep, &e) || is_str(&special_eos, &e))
                                        && special_last.is_none()
                                    {
                                        add_sep = true;
                                    }
                                    if inner.len() == 2
                                        && let Some(e) = special_id(&inner[1])
                                        && (is_str(&special_sep, &e) || is_str(&special_eos, &e))
                                    {
                                        add_sep = true;
                                    }
                                    self.set_add("sep", add_sep, true);
                                    if add_sep && !truthy(&special_sep) && tc_truthy {
                                        tc.as_mut().expect("truthy").insert(
                                            "sep_token".into(),
                                            special_eos.clone().unwrap_or(Value::Null),
                                        );
                                    }
                                }
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        let Some(tc) = tc.filter(|m| !m.is_empty()) else {
            return Ok(());
        };
        // Chat template: tokenizer_config's, else chat_template.jinja / chat_template.json.
        let alt = match (inp.chat_template_jinja, inp.chat_template_json) {
            (Some(j), _) => Some(Value::String(j.to_owned())),
            (None, Some(v)) => v.get("chat_template").cloned(),
            _ => None,
        };
        let tmpl = if tc.contains_key("chat_template") {
            tc.get("chat_template").cloned()
        } else {
            alt
        };
        self.chat_template = match tmpl {
            Some(Value::String(s)) => Some(ChatTemplate::One(s)),
            Some(Value::Array(a)) => Some(ChatTemplate::Named(
                a.iter()
                    .filter_map(|c| {
                        let name: String = c
                            .get("name")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .chars()
                            .map(|ch| if ch.is_ascii_alphanumeric() { ch } else { '_' })
                            .collect();
                        let t = c.get("template")?.as_str()?;
                        (!name.is_empty()).then(|| (name, t.to_owned()))
                    })
                    .collect(),
            )),
            _ => None,
        };
        for typ in self.types.clone() {
            if let Some(b) = tc.get(&format!("add_{typ}_token")).and_then(Value::as_bool) {
                self.set_add(&typ, b, false);
            }
            let Some(content) = token_content(tc.get(&format!("{typ}_token"))) else {
                continue;
            };
            let id = added
                .iter()
                .find(|a| a.content == content)
                .map(|a| Value::from(a.id));
            self.set_special(&typ, id.as_ref())?;
        }
        Ok(())
    }

    fn load_config_json(&mut self, config: &Value) {
        for typ in self.types.clone() {
            let key = format!("{typ}_token_id");
            let v = config
                .get(&key)
                .filter(|v| !v.is_null())
                .or_else(|| config.pointer(&format!("/text_config/{key}")));
            // Errors (negative ids) only come from tokenizer_config in practice; config.json
            // ids that are negative are skipped like non-integers.
            if v.and_then(Value::as_i64).is_some_and(|i| i >= 0) {
                let _ = self.set_special(&typ, v);
            }
        }
    }

    /// `SpecialVocab.add_to_gguf`, in its order.
    fn write(self, md: &mut Metadata) {
        if !self.merges.is_empty() {
            md.set(
                "tokenizer.ggml.merges",
                GgufValue::Array(GgufArray::String(self.merges)),
            );
        }
        for (typ, id) in self.ids {
            // Types without a `GGUFWriter.add_{typ}_token_id` method are skipped (cls).
            let key = match typ.as_str() {
                "bos" => "tokenizer.ggml.bos_token_id",
                "eos" => "tokenizer.ggml.eos_token_id",
                "unk" => "tokenizer.ggml.unknown_token_id",
                "sep" => "tokenizer.ggml.seperator_token_id",
                "pad" => "tokenizer.ggml.padding_token_id",
                "mask" => "tokenizer.ggml.mask_token_id",
                "eot" => "tokenizer.ggml.eot_token_id",
                "eom" => "tokenizer.ggml.eom_token_id",
                _ => continue,
            };
            md.set(key, GgufValue::U32(id as u32));
        }
        for (typ, v) in self.add {
            let key = match typ.as_str() {
                "bos" => "tokenizer.ggml.add_bos_token",
                "eos" => "tokenizer.ggml.add_eos_token",
                "sep" => "tokenizer.ggml.add_sep_token",
                _ => continue,
            };
            md.set(key, GgufValue::Bool(v));
        }
        match self.chat_template {
            Some(ChatTemplate::One(s)) => md.set("tokenizer.chat_template", s.into()),
            Some(ChatTemplate::Named(list)) => {
                // gguf-py collects the names in a set (arbitrary order); sorted here.
                let mut names: Vec<String> = Vec::new();
                let mut default = None;
                for (name, t) in list {
                    if name == "default" {
                        default = Some(t);
                    } else {
                        md.set(&format!("tokenizer.chat_template.{name}"), t.into());
                        if !names.contains(&name) {
                            names.push(name);
                        }
                    }
                }
                if !names.is_empty() {
                    names.sort();
                    md.set(
                        "tokenizer.chat_templates",
                        GgufValue::Array(GgufArray::String(names)),
                    );
                }
                if let Some(t) = default {
                    md.set("tokenizer.chat_template", t.into());
                }
            }
            None => {}
        }
        if let Some(v) = self.lowercase {
            md.set("tokenizer.ggml.normalizer.lowercase", GgufValue::Bool(v));
        }
        if let Some(v) = self.strip_accents {
            md.set(
                "tokenizer.ggml.normalizer.strip_accents",
                GgufValue::Bool(v),
            );
        }
    }
}

/// tokenizer.json merges: `"a b"` strings, or (transformers ≥ 4.45) `["a", "b"]` pairs, whose
/// spaces gguf-py encodes as U+0120 before joining with a space.
fn parse_merges(merges: &[Value]) -> Result<Vec<String>, HfError> {
    let Some(first) = merges.first() else {
        return Ok(Vec::new());
    };
    if first.is_string() {
        return merges
            .iter()
            .map(|m| {
                m.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| HfError::Tokenizer("mixed merges formats".into()))
            })
            .collect();
    }
    merges
        .iter()
        .map(|m| match m.as_array().map(Vec::as_slice) {
            Some([Value::String(a), Value::String(b)]) => {
                let enc = |s: &str| s.replace(' ', "\u{120}");
                Ok(format!("{} {}", enc(a), enc(b)))
            }
            _ => Err(HfError::Tokenizer("unknown tokenizer merges format".into())),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merges_in_both_formats() {
        let a: Vec<Value> = serde_json::from_str(r#"["a b", "ab c"]"#).unwrap();
        assert_eq!(parse_merges(&a).unwrap(), vec!["a b", "ab c"]);
        let b: Vec<Value> = serde_json::from_str(r#"[["a", "b"], ["x y", "z"]]"#).unwrap();
        assert_eq!(parse_merges(&b).unwrap(), vec!["a b", "x\u{120}y z"]);
        let c: Vec<Value> = serde_json::from_str(r#"[1]"#).unwrap();
        assert!(parse_merges(&c).is_err());
    }

    #[test]
    fn special_looking_tokens() {
        assert!(looks_special("<|im_start|>"));
        assert!(looks_special("<unused12>"));
        assert!(!looks_special("<s>"));
        assert!(is_byte_piece("<0x0A>"));
        assert!(!is_byte_piece("<0x0G>"));
    }
}
