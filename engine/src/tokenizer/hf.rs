//! Building a tokenizer from a Hugging Face `tokenizer.json` (+ optional `tokenizer_config.json`).
//!
//! The mapping follows what llama.cpp's converter does when it writes a GGUF from these files
//! (`convert_hf_to_gguf.py` `get_vocab_base`, gguf-py `SpecialVocab`), so a tokenizer built here
//! behaves like the one llama.cpp would load from the converted GGUF:
//! - byte-level BPE (`ByteLevel` pre-tokenizer) → [`ModelKind::Gpt2`]; the pre-tokenizer name
//!   is recognised from the pre-tokenizer's structure and regex (GPT-2, SmolLM-style isolated
//!   digits, Llama-3, Qwen2), or given by the caller;
//! - SentencePiece-style BPE (`▁` replacement normalizer or Metaspace, `<0xXX>` byte fallback)
//!   → [`ModelKind::Llama`]. tokenizer.json carries merges, not SentencePiece scores, so each
//!   piece's score is derived as −(rank of the first merge producing it): highest score = first
//!   merge, which reproduces the merge order of the original model.
//!
//! Added tokens become control tokens when `special` (or when they look like `<|…|>`), else
//! user-defined; holes in the id space become `[PAD{id}]` unused tokens, as the converter writes.

use serde_json::Value;

use super::{ModelKind, TokenId, TokenType, Tokenizer, TokenizerDesc, TokenizerError};

fn bad(msg: impl Into<String>) -> TokenizerError {
    TokenizerError::InvalidHfJson(msg.into())
}

/// The Llama-3 and Qwen2 split regexes as they appear in their tokenizer.json files (quoted in
/// llama.cpp's src/llama-vocab.cpp next to the pre-tokenizers).
const LLAMA3_REGEX: &str = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const QWEN2_REGEX: &str = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

/// The components of a pre-tokenizer (a `Sequence` is flattened).
fn pre_tokenizer_parts(v: &Value) -> Vec<&Value> {
    match v.get("type").and_then(Value::as_str) {
        Some("Sequence") => v
            .get("pretokenizers")
            .and_then(Value::as_array)
            .map(|a| a.iter().flat_map(pre_tokenizer_parts).collect())
            .unwrap_or_default(),
        Some(_) => vec![v],
        None => vec![],
    }
}

fn normalizer_parts(v: &Value) -> Vec<&Value> {
    match v.get("type").and_then(Value::as_str) {
        Some("Sequence") => v
            .get("normalizers")
            .and_then(Value::as_array)
            .map(|a| a.iter().flat_map(normalizer_parts).collect())
            .unwrap_or_default(),
        Some(_) => vec![v],
        None => vec![],
    }
}

fn type_of(v: &Value) -> &str {
    v.get("type").and_then(Value::as_str).unwrap_or("")
}

/// Recognise a byte-level pre-tokenizer as one of llama.cpp's `tokenizer.ggml.pre` names.
/// `clean_up` is tokenizer_config's `clean_up_tokenization_spaces`, which picks between names
/// that share a regex but differ in that flag.
fn detect_pre(parts: &[&Value], clean_up: Option<bool>) -> Result<&'static str, TokenizerError> {
    let kinds: Vec<&str> = parts.iter().map(|p| type_of(p)).collect();
    let byte_level_regex = |p: &Value| p.get("use_regex").and_then(Value::as_bool).unwrap_or(true);
    match kinds.as_slice() {
        ["ByteLevel"] if byte_level_regex(parts[0]) => Ok(if clean_up == Some(false) {
            "trillion"
        } else {
            "gpt-2"
        }),
        ["Digits", "ByteLevel"]
            if parts[0].get("individual_digits").and_then(Value::as_bool) == Some(true)
                && byte_level_regex(parts[1]) =>
        {
            Ok(if clean_up == Some(true) {
                "starcoder"
            } else {
                "smollm"
            })
        }
        ["Split", "ByteLevel"] if !byte_level_regex(parts[1]) => {
            let re = parts[0]
                .pointer("/pattern/Regex")
                .and_then(Value::as_str)
                .unwrap_or("");
            if re == LLAMA3_REGEX {
                Ok("llama3")
            } else if re == QWEN2_REGEX {
                Ok(if clean_up == Some(true) {
                    "stablelm2"
                } else {
                    "qwen2"
                })
            } else {
                Err(TokenizerError::UnsupportedPreTokenizer(format!(
                    "Split regex {re:?}"
                )))
            }
        }
        other => Err(TokenizerError::UnsupportedPreTokenizer(format!(
            "{other:?}"
        ))),
    }
}

/// A token given in tokenizer_config.json either as a string or as `{"content": …}`.
fn config_token(cfg: &Value, key: &str) -> Option<String> {
    match cfg.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o.get("content").and_then(Value::as_str).map(str::to_string),
        _ => None,
    }
}

/// `chat_template` is a string or a list of `{name, template}` (we take "default").
fn config_chat_template(cfg: &Value) -> Option<String> {
    match cfg.get("chat_template")? {
        Value::String(s) => Some(s.clone()),
        Value::Array(a) => a
            .iter()
            .find(|t| t.get("name").and_then(Value::as_str) == Some("default"))
            .and_then(|t| t.get("template").and_then(Value::as_str))
            .map(str::to_string),
        _ => None,
    }
}

/// The special token a `TemplateProcessing` post-processor puts first in a single sequence.
fn post_processor_bos(v: &Value) -> Option<String> {
    match type_of(v) {
        "TemplateProcessing" => v
            .get("single")?
            .as_array()?
            .first()?
            .pointer("/SpecialToken/id")
            .and_then(Value::as_str)
            .map(str::to_string),
        "Sequence" => v
            .get("processors")?
            .as_array()?
            .iter()
            .find_map(post_processor_bos),
        _ => None,
    }
}

fn looks_special(s: &str) -> bool {
    s.starts_with("<|") && s.ends_with("|>") && s.len() > 4
}

impl TokenizerDesc {
    /// Describe the tokenizer in a `tokenizer.json`, with the special tokens, BOS/EOS flags and
    /// chat template of an optional `tokenizer_config.json`. `pre_override` forces a
    /// `tokenizer.ggml.pre` name for byte-level vocabularies instead of recognising it.
    pub fn from_hf_json(
        tokenizer_json: &str,
        tokenizer_config_json: Option<&str>,
        pre_override: Option<&str>,
    ) -> Result<Self, TokenizerError> {
        let tj: Value = serde_json::from_str(tokenizer_json).map_err(|e| bad(e.to_string()))?;
        let cfg: Value = match tokenizer_config_json {
            Some(s) => {
                serde_json::from_str(s).map_err(|e| bad(format!("tokenizer_config.json: {e}")))?
            }
            None => Value::Null,
        };
        let model = tj.get("model").ok_or_else(|| bad("no \"model\""))?;
        if type_of(model) != "BPE" {
            return Err(TokenizerError::UnsupportedModel(format!(
                "tokenizer.json model {:?}",
                type_of(model)
            )));
        }
        let vocab = model
            .get("vocab")
            .and_then(Value::as_object)
            .ok_or_else(|| bad("model.vocab is not an object"))?;

        // Merges: "a b" strings (older files) or ["a", "b"] pairs (newer).
        let merges: Vec<String> = match model.get("merges") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(a)) => a
                .iter()
                .map(|m| match m {
                    Value::String(s) => Ok(s.clone()),
                    Value::Array(p) if p.len() == 2 => match (p[0].as_str(), p[1].as_str()) {
                        (Some(l), Some(r)) => Ok(format!("{l} {r}")),
                        _ => Err(bad("merge pair is not two strings")),
                    },
                    _ => Err(bad("merge is neither a string nor a pair")),
                })
                .collect::<Result<_, _>>()?,
            Some(_) => return Err(bad("model.merges is not an array")),
        };

        let pre_parts = tj
            .get("pre_tokenizer")
            .map(pre_tokenizer_parts)
            .unwrap_or_default();
        let norm_parts = tj
            .get("normalizer")
            .map(normalizer_parts)
            .unwrap_or_default();
        let byte_level = pre_parts.iter().any(|p| type_of(p) == "ByteLevel");
        let replaces_space = norm_parts.iter().any(|n| {
            type_of(n) == "Replace"
                && n.pointer("/pattern/String").and_then(Value::as_str) == Some(" ")
                && n.get("content").and_then(Value::as_str) == Some("\u{2581}")
        });
        let metaspace = pre_parts.iter().find(|p| type_of(p) == "Metaspace");
        let kind = if byte_level {
            ModelKind::Gpt2
        } else if replaces_space || metaspace.is_some() {
            ModelKind::Llama
        } else {
            return Err(TokenizerError::UnsupportedPreTokenizer(
                "neither ByteLevel nor SentencePiece-style (▁) BPE".into(),
            ));
        };

        // Tokens by id: the model vocabulary plus added tokens.
        let added: Vec<&Value> = tj
            .get("added_tokens")
            .and_then(Value::as_array)
            .map(|a| a.iter().collect())
            .unwrap_or_default();
        let mut n = 0usize;
        for id in vocab.values() {
            let id = id
                .as_u64()
                .ok_or_else(|| bad("vocab id is not an integer"))? as usize;
            n = n.max(id + 1);
        }
        for a in &added {
            let id = a
                .get("id")
                .and_then(Value::as_u64)
                .ok_or_else(|| bad("added token without id"))? as usize;
            n = n.max(id + 1);
        }
        let mut tokens: Vec<Option<String>> = vec![None; n];
        let mut types = vec![TokenType::Normal; n];
        for (text, id) in vocab {
            let id = id.as_u64().unwrap_or_default() as usize;
            let is_byte = kind == ModelKind::Llama
                && text.len() == 6
                && text.starts_with("<0x")
                && text.ends_with('>')
                && u8::from_str_radix(&text[3..5], 16).is_ok();
            if is_byte {
                types[id] = TokenType::Byte;
            }
            tokens[id] = Some(text.clone());
        }
        for a in &added {
            let id = a.get("id").and_then(Value::as_u64).unwrap_or_default() as usize;
            let content = a
                .get("content")
                .and_then(Value::as_str)
                .ok_or_else(|| bad("added token without content"))?;
            let special = a.get("special").and_then(Value::as_bool).unwrap_or(false);
            types[id] = if special || looks_special(content) {
                TokenType::Control
            } else {
                TokenType::UserDefined
            };
            tokens[id] = Some(content.to_string());
        }
        let tokens: Vec<String> = tokens
            .into_iter()
            .enumerate()
            .map(|(i, t)| {
                t.unwrap_or_else(|| {
                    types[i] = TokenType::Unused;
                    format!("[PAD{i}]")
                })
            })
            .collect();

        let clean_up = cfg
            .get("clean_up_tokenization_spaces")
            .and_then(Value::as_bool);
        let mut d = TokenizerDesc::new(kind);
        match kind {
            ModelKind::Gpt2 => {
                d.pre = match pre_override {
                    Some(p) => p.to_string(),
                    None => detect_pre(&pre_parts, clean_up)?.to_string(),
                };
                d.merges = merges;
            }
            ModelKind::Llama => {
                // Score = −(rank of the first merge that produces the piece). Pieces no merge
                // produces get a score below every merge so they are only formed last.
                let mut scores = vec![f32::MIN; tokens.len()];
                let index: std::collections::HashMap<&str, usize> = tokens
                    .iter()
                    .enumerate()
                    .map(|(i, t)| (t.as_str(), i))
                    .collect();
                for (rank, m) in merges.iter().enumerate() {
                    if let Some((l, r)) = super::bpe::split_merge(m) {
                        let joined = format!("{l}{r}");
                        if let Some(&id) = index.get(joined.as_str())
                            && scores[id] == f32::MIN
                        {
                            scores[id] = -(rank as f32);
                        }
                    }
                }
                d.scores = scores;
                let prepends = norm_parts.iter().any(|n| {
                    type_of(n) == "Prepend"
                        && n.get("prepend").and_then(Value::as_str) == Some("\u{2581}")
                }) || metaspace.is_some_and(|m| {
                    m.get("prepend_scheme")
                        .and_then(Value::as_str)
                        .unwrap_or("always")
                        != "never"
                        && m.get("add_prefix_space")
                            .and_then(Value::as_bool)
                            .unwrap_or(true)
                });
                d.add_space_prefix = Some(prepends);
            }
        }
        let id_of = |t: &str| tokens.iter().position(|x| x == t).map(|i| i as TokenId);
        d.bos = config_token(&cfg, "bos_token").as_deref().and_then(id_of);
        d.eos = config_token(&cfg, "eos_token").as_deref().and_then(id_of);
        d.unk = config_token(&cfg, "unk_token")
            .or_else(|| {
                model
                    .get("unk_token")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            })
            .as_deref()
            .and_then(id_of);
        d.pad = config_token(&cfg, "pad_token").as_deref().and_then(id_of);
        d.add_bos = cfg.get("add_bos_token").and_then(Value::as_bool);
        d.add_eos = cfg.get("add_eos_token").and_then(Value::as_bool);
        if let Some(first) = tj.get("post_processor").and_then(post_processor_bos) {
            // A post-processor that prepends a special token means "add BOS".
            if d.add_bos.is_none() {
                d.add_bos = Some(true);
            }
            if d.bos.is_none() {
                d.bos = id_of(&first);
            }
        }
        d.chat_template = config_chat_template(&cfg);
        d.token_types = types;
        d.tokens = tokens;
        Ok(d)
    }
}

impl Tokenizer {
    /// Build a tokenizer from `tokenizer.json` (+ `tokenizer_config.json`); see
    /// [`TokenizerDesc::from_hf_json`].
    pub fn from_hf_json(
        tokenizer_json: &str,
        tokenizer_config_json: Option<&str>,
    ) -> Result<Self, TokenizerError> {
        Tokenizer::new(TokenizerDesc::from_hf_json(
            tokenizer_json,
            tokenizer_config_json,
            None,
        )?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A SentencePiece-style (Llama/TinyLlama layout) tokenizer.json, written by hand.
    const SPM_JSON: &str = r#"{
      "added_tokens": [
        {"id": 0, "content": "<unk>", "special": true},
        {"id": 1, "content": "<s>", "special": true},
        {"id": 2, "content": "</s>", "special": true}
      ],
      "normalizer": {"type": "Sequence", "normalizers": [
        {"type": "Prepend", "prepend": "▁"},
        {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}
      ]},
      "pre_tokenizer": null,
      "post_processor": {"type": "TemplateProcessing",
        "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}]},
      "model": {"type": "BPE", "byte_fallback": true, "unk_token": "<unk>",
        "vocab": {"<unk>": 0, "<s>": 1, "</s>": 2, "<0x21>": 3, "▁": 4, "h": 5, "i": 6, "▁h": 7, "▁hi": 8, "hi": 9},
        "merges": ["▁ h", "▁h i", "h i"]}
    }"#;

    #[test]
    fn sentencepiece_style_json() {
        let t = Tokenizer::from_hf_json(SPM_JSON, None).unwrap();
        assert_eq!(t.model_kind(), ModelKind::Llama);
        assert_eq!(t.bos(), Some(1));
        assert!(t.add_bos());
        // "hi hi!" → ▁hi ▁hi <0x21>
        assert_eq!(t.encode("hi hi!", true, false).unwrap(), [1, 8, 8, 3]);
        // llama.cpp keeps the prefix space when it removes a leading BOS, strips it otherwise.
        assert_eq!(t.detokenize(&[1, 8, 8, 3], true, false).unwrap(), " hi hi!");
        assert_eq!(t.detokenize(&[8, 8, 3], true, false).unwrap(), "hi hi!");
        // "ih": no merge joins i+h → both single pieces after the prefix space.
        assert_eq!(t.encode("ih", false, false).unwrap(), [4, 6, 5]);
    }

    #[test]
    fn byte_level_json_with_config() {
        let json = r#"{
          "added_tokens": [{"id": 0, "content": "<|endoftext|>", "special": true},
                           {"id": 5, "content": "<tool>", "special": false}],
          "normalizer": null,
          "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
             {"type": "Digits", "individual_digits": true},
             {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true}]},
          "model": {"type": "BPE", "vocab": {"<|endoftext|>": 0, "a": 1, "Ġ": 2, "Ġa": 3, "1": 4},
                    "merges": [["Ġ", "a"]]}
        }"#;
        let cfg = r#"{"eos_token": {"content": "<|endoftext|>"}, "add_bos_token": false,
                      "chat_template": [{"name": "default", "template": "<|im_start|>"}]}"#;
        let t = Tokenizer::from_hf_json(json, Some(cfg)).unwrap();
        assert_eq!(
            t.pre_tokenizer(),
            Some(super::super::PreTokenizer::DigitsThenGpt2)
        );
        assert_eq!(t.eos(), Some(0));
        assert_eq!(
            t.encode("a a11<tool>", false, false).unwrap(),
            [1, 3, 4, 4, 5]
        );
        assert_eq!(t.n_tokens(), 6);
        assert_eq!(t.chat_template_source(), Some("<|im_start|>"));
    }

    #[test]
    fn malformed_json_is_an_error() {
        assert!(matches!(
            Tokenizer::from_hf_json("{", None),
            Err(TokenizerError::InvalidHfJson(_))
        ));
        assert!(matches!(
            Tokenizer::from_hf_json(r#"{"model": {"type": "Unigram", "vocab": []}}"#, None),
            Err(TokenizerError::UnsupportedModel(_))
        ));
    }
}
