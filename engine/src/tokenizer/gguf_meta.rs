//! Building a tokenizer from GGUF metadata (`tokenizer.ggml.*`, `tokenizer.chat_template`).
//!
//! The tokenizer only needs a key → value view of the metadata, expressed by the
//! [`TokenizerMetadata`] trait, so it does not depend on a particular GGUF reader: implement the
//! trait for whatever holds the parsed key/value section (the engine's GGUF module, a test
//! reader, a map). Key names and value types are those written by gguf-py
//! (`gguf/constants.py`, `Keys.Tokenizer`) and read by llama.cpp (`src/llama-arch.cpp`
//! LLM_KV_TOKENIZER_*, `src/llama-vocab.cpp`).

use super::{ModelKind, TokenId, TokenType, Tokenizer, TokenizerDesc, TokenizerError};
use crate::gguf::{GgufArray, GgufFile, GgufValue};

/// GGUF metadata keys the tokenizer reads.
pub mod keys {
    pub const MODEL: &str = "tokenizer.ggml.model";
    pub const PRE: &str = "tokenizer.ggml.pre";
    pub const TOKENS: &str = "tokenizer.ggml.tokens";
    pub const TOKEN_TYPE: &str = "tokenizer.ggml.token_type";
    pub const SCORES: &str = "tokenizer.ggml.scores";
    pub const MERGES: &str = "tokenizer.ggml.merges";
    pub const BOS_ID: &str = "tokenizer.ggml.bos_token_id";
    pub const EOS_ID: &str = "tokenizer.ggml.eos_token_id";
    pub const EOT_ID: &str = "tokenizer.ggml.eot_token_id";
    pub const UNK_ID: &str = "tokenizer.ggml.unknown_token_id";
    pub const PAD_ID: &str = "tokenizer.ggml.padding_token_id";
    pub const ADD_BOS: &str = "tokenizer.ggml.add_bos_token";
    pub const ADD_EOS: &str = "tokenizer.ggml.add_eos_token";
    pub const ADD_PREFIX: &str = "tokenizer.ggml.add_space_prefix";
    pub const CHAT_TEMPLATE: &str = "tokenizer.chat_template";
    pub const GENERAL_NAME: &str = "general.name";
}

/// A read-only view of GGUF key/value metadata. Each getter returns `None` when the key is absent
/// or holds a value of another type.
pub trait TokenizerMetadata {
    /// A string value.
    fn get_str(&self, key: &str) -> Option<String>;
    /// An unsigned integer value (any GGUF integer type that fits).
    fn get_u32(&self, key: &str) -> Option<u32>;
    fn get_bool(&self, key: &str) -> Option<bool>;
    /// An array of strings.
    fn get_str_array(&self, key: &str) -> Option<Vec<String>>;
    /// An array of numbers as f32 (`tokenizer.ggml.scores` is f32; llama.cpp also accepts i32).
    fn get_f32_array(&self, key: &str) -> Option<Vec<f32>>;
    /// An array of i32 (`tokenizer.ggml.token_type`).
    fn get_i32_array(&self, key: &str) -> Option<Vec<i32>>;
}

/// The engine's parsed GGUF header is the natural metadata source.
impl TokenizerMetadata for GgufFile {
    fn get_str(&self, key: &str) -> Option<String> {
        GgufFile::get_str(self, key).map(str::to_string)
    }
    fn get_u32(&self, key: &str) -> Option<u32> {
        self.get(key).and_then(GgufValue::as_u32)
    }
    fn get_bool(&self, key: &str) -> Option<bool> {
        self.get(key).and_then(GgufValue::as_bool)
    }
    fn get_str_array(&self, key: &str) -> Option<Vec<String>> {
        self.get(key)?
            .as_array()?
            .as_strings()
            .map(<[String]>::to_vec)
    }
    fn get_f32_array(&self, key: &str) -> Option<Vec<f32>> {
        match self.get(key)?.as_array()? {
            GgufArray::F32(v) => Some(v.clone()),
            // llama.cpp also accepts integer scores (llama_vocab::impl::load).
            GgufArray::I32(v) => Some(v.iter().map(|&x| x as f32).collect()),
            _ => None,
        }
    }
    fn get_i32_array(&self, key: &str) -> Option<Vec<i32>> {
        self.get(key)?.as_array()?.as_i32s().map(<[i32]>::to_vec)
    }
}

impl TokenizerDesc {
    /// Collect a description from GGUF metadata. Required: `tokenizer.ggml.model`,
    /// `tokenizer.ggml.tokens`, and `tokenizer.ggml.merges` for `"gpt2"` vocabularies.
    pub fn from_gguf(meta: &dyn TokenizerMetadata) -> Result<Self, TokenizerError> {
        let model_name = meta
            .get_str(keys::MODEL)
            .ok_or_else(|| TokenizerError::MissingKey(keys::MODEL.into()))?;
        let model = ModelKind::from_gguf_name(&model_name)?;
        let mut d = TokenizerDesc::new(model);
        d.pre = meta.get_str(keys::PRE).unwrap_or_default();
        d.tokens = meta
            .get_str_array(keys::TOKENS)
            .ok_or_else(|| TokenizerError::MissingKey(keys::TOKENS.into()))?;
        d.token_types = meta
            .get_i32_array(keys::TOKEN_TYPE)
            .map(|v| v.into_iter().map(TokenType::from_i32).collect())
            .unwrap_or_default();
        d.scores = meta.get_f32_array(keys::SCORES).unwrap_or_default();
        if model == ModelKind::Gpt2 {
            d.merges = meta
                .get_str_array(keys::MERGES)
                .ok_or_else(|| TokenizerError::MissingKey(keys::MERGES.into()))?;
        }
        let id = |k: &str| meta.get_u32(k).map(|v| v as TokenId);
        d.bos = id(keys::BOS_ID);
        d.eos = id(keys::EOS_ID);
        d.eot = id(keys::EOT_ID);
        d.unk = id(keys::UNK_ID);
        d.pad = id(keys::PAD_ID);
        d.add_bos = meta.get_bool(keys::ADD_BOS);
        d.add_eos = meta.get_bool(keys::ADD_EOS);
        d.add_space_prefix = meta.get_bool(keys::ADD_PREFIX);
        d.chat_template = meta.get_str(keys::CHAT_TEMPLATE);
        d.model_name = meta.get_str(keys::GENERAL_NAME);
        Ok(d)
    }
}

impl Tokenizer {
    /// Build a tokenizer from GGUF metadata (see [`TokenizerDesc::from_gguf`]).
    pub fn from_gguf(meta: &dyn TokenizerMetadata) -> Result<Self, TokenizerError> {
        Tokenizer::new(TokenizerDesc::from_gguf(meta)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// A tiny in-memory metadata map.
    #[derive(Default)]
    struct Map {
        s: HashMap<&'static str, String>,
        u: HashMap<&'static str, u32>,
        b: HashMap<&'static str, bool>,
        sa: HashMap<&'static str, Vec<String>>,
        fa: HashMap<&'static str, Vec<f32>>,
        ia: HashMap<&'static str, Vec<i32>>,
    }

    impl TokenizerMetadata for Map {
        fn get_str(&self, key: &str) -> Option<String> {
            self.s.get(key).cloned()
        }
        fn get_u32(&self, key: &str) -> Option<u32> {
            self.u.get(key).copied()
        }
        fn get_bool(&self, key: &str) -> Option<bool> {
            self.b.get(key).copied()
        }
        fn get_str_array(&self, key: &str) -> Option<Vec<String>> {
            self.sa.get(key).cloned()
        }
        fn get_f32_array(&self, key: &str) -> Option<Vec<f32>> {
            self.fa.get(key).cloned()
        }
        fn get_i32_array(&self, key: &str) -> Option<Vec<i32>> {
            self.ia.get(key).cloned()
        }
    }

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn gpt2_vocab_from_metadata() {
        let mut m = Map::default();
        m.s.insert(keys::MODEL, "gpt2".into());
        m.s.insert(keys::PRE, "smollm".into());
        m.sa.insert(
            keys::TOKENS,
            strings(&["<|endoftext|>", "a", "b", "ab", "Ġ", "Ġab"]),
        );
        m.ia.insert(keys::TOKEN_TYPE, vec![3, 1, 1, 1, 1, 1]);
        m.sa.insert(keys::MERGES, strings(&["a b", "Ġ ab"]));
        m.u.insert(keys::EOS_ID, 0);
        m.b.insert(keys::ADD_BOS, false);
        let t = Tokenizer::from_gguf(&m).unwrap();
        assert_eq!(t.encode("ab ab", true, false).unwrap(), [3, 5]);
        assert_eq!(t.eos(), Some(0));
        // Default BPE BOS id 11 is out of range here, so there is none.
        assert_eq!(t.bos(), None);
        assert!(t.is_eog(0));
        assert_eq!(t.encode("ab<|endoftext|>", false, true).unwrap(), [3, 0]);
    }

    #[test]
    fn missing_keys_are_typed_errors() {
        let mut m = Map::default();
        assert_eq!(
            Tokenizer::from_gguf(&m).unwrap_err(),
            TokenizerError::MissingKey(keys::MODEL.into())
        );
        m.s.insert(keys::MODEL, "gpt2".into());
        m.sa.insert(keys::TOKENS, strings(&["a"]));
        assert_eq!(
            Tokenizer::from_gguf(&m).unwrap_err(),
            TokenizerError::MissingKey(keys::MERGES.into())
        );
        m.s.insert(keys::MODEL, "t5".into());
        assert!(matches!(
            Tokenizer::from_gguf(&m),
            Err(TokenizerError::UnsupportedModel(_))
        ));
        m.s.insert(keys::MODEL, "gpt2".into());
        m.sa.insert(keys::MERGES, vec![]);
        m.s.insert(keys::PRE, "no-such-pre".into());
        assert!(matches!(
            Tokenizer::from_gguf(&m),
            Err(TokenizerError::UnsupportedPreTokenizer(_))
        ));
    }
}
