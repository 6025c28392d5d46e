//! Tokenizers that give the same token ids as llama.cpp's `llama_tokenize`.
//!
//! Two vocabulary kinds are supported, as GGUF's `tokenizer.ggml.model` names them:
//! - `"gpt2"`: byte-level BPE with merge ranks and a pre-tokenizer chosen by
//!   `tokenizer.ggml.pre` (SmolLM/SmolLM2, Qwen2, Llama-3, GPT-2, …);
//! - `"llama"`: SentencePiece BPE with piece scores, byte fallback tokens `<0xXX>` and the
//!   leading-space `▁` convention (Llama 1/2, TinyLlama, Mistral v0.1, …).
//!
//! A [`Tokenizer`] is built from a [`TokenizerDesc`], which can come from GGUF metadata
//! ([`gguf_meta`]) or from a Hugging Face `tokenizer.json` ([`hf`]). The algorithms follow
//! llama.cpp's `src/llama-vocab.cpp` and `src/unicode.cpp` (cited per function); everything is
//! sans-IO and builds for wasm32.

mod bpe;
pub mod chat;
pub mod gguf_meta;
pub mod hf;
mod pretok;
mod unicode;
mod unicode_table;

use std::collections::{BTreeSet, HashMap};

use thiserror::Error;

pub use chat::{ChatMessage, ChatTemplate};
pub use gguf_meta::TokenizerMetadata;
pub use pretok::PreTokenizer;

use bpe::MergeRanks;
use pretok::PreSettings;

/// A token id (llama.cpp's `llama_token`, never negative here).
pub type TokenId = u32;

/// Errors building or using a tokenizer.
#[derive(Debug, Error, PartialEq)]
pub enum TokenizerError {
    #[error("unsupported tokenizer model {0:?} (supported: \"gpt2\", \"llama\")")]
    UnsupportedModel(String),
    #[error("unsupported pre-tokenizer {0:?}")]
    UnsupportedPreTokenizer(String),
    #[error("missing tokenizer metadata: {0}")]
    MissingKey(String),
    #[error("{what} has {got} entries but the vocabulary has {expected} tokens")]
    LengthMismatch {
        what: &'static str,
        expected: usize,
        got: usize,
    },
    #[error("token text {0:?} occurs more than once in the vocabulary")]
    DuplicateToken(String),
    #[error("token id {0} is out of range")]
    TokenOutOfRange(TokenId),
    #[error("the vocabulary has no token for byte 0x{0:02X} (and no <unk>)")]
    MissingByteToken(u8),
    #[error("the vocabulary has no {0} token")]
    MissingSpecialToken(&'static str),
    #[error("invalid tokenizer.json: {0}")]
    InvalidHfJson(String),
    #[error("the model has no chat template")]
    NoChatTemplate,
    #[error(
        "chat template not recognised (supported: ChatML/SmolLM2, Llama-2, Zephyr/TinyLlama, Llama-3)"
    )]
    UnknownChatTemplate,
}

/// Vocabulary kind (`tokenizer.ggml.model`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModelKind {
    /// `"gpt2"`: byte-level BPE with merges.
    Gpt2,
    /// `"llama"`: SentencePiece BPE with scores.
    Llama,
}

impl ModelKind {
    pub fn from_gguf_name(name: &str) -> Result<Self, TokenizerError> {
        match name {
            "gpt2" => Ok(ModelKind::Gpt2),
            "llama" => Ok(ModelKind::Llama),
            other => Err(TokenizerError::UnsupportedModel(other.to_string())),
        }
    }
}

/// Token type as stored in `tokenizer.ggml.token_type` (gguf-py `TokenType`, llama.h
/// `llama_token_type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenType {
    Undefined = 0,
    Normal = 1,
    Unknown = 2,
    Control = 3,
    UserDefined = 4,
    Unused = 5,
    Byte = 6,
}

impl TokenType {
    /// Values outside 1..=6 are "undefined", as in llama.cpp.
    pub fn from_i32(v: i32) -> Self {
        match v {
            1 => TokenType::Normal,
            2 => TokenType::Unknown,
            3 => TokenType::Control,
            4 => TokenType::UserDefined,
            5 => TokenType::Unused,
            6 => TokenType::Byte,
            _ => TokenType::Undefined,
        }
    }
}

/// Everything needed to build a [`Tokenizer`]; the fields mirror the GGUF `tokenizer.*` keys.
/// `None`/empty means "not given": defaults are then taken as llama.cpp takes them.
#[derive(Clone, Debug, PartialEq)]
pub struct TokenizerDesc {
    pub model: ModelKind,
    /// `tokenizer.ggml.pre` (byte-level BPE only; empty = "default").
    pub pre: String,
    pub tokens: Vec<String>,
    /// Empty = all normal.
    pub token_types: Vec<TokenType>,
    /// Empty = all 0.0.
    pub scores: Vec<f32>,
    /// `"left right"` strings, rank = index (byte-level BPE only).
    pub merges: Vec<String>,
    pub bos: Option<TokenId>,
    pub eos: Option<TokenId>,
    pub eot: Option<TokenId>,
    pub unk: Option<TokenId>,
    pub pad: Option<TokenId>,
    pub add_bos: Option<bool>,
    pub add_eos: Option<bool>,
    pub add_space_prefix: Option<bool>,
    pub chat_template: Option<String>,
    /// `general.name`, only used for llama.cpp's per-model token attribute quirks (Phi-3).
    pub model_name: Option<String>,
}

impl TokenizerDesc {
    /// An empty description of the given kind, to fill in field by field.
    pub fn new(model: ModelKind) -> Self {
        TokenizerDesc {
            model,
            pre: String::new(),
            tokens: Vec::new(),
            token_types: Vec::new(),
            scores: Vec::new(),
            merges: Vec::new(),
            bos: None,
            eos: None,
            eot: None,
            unk: None,
            pad: None,
            add_bos: None,
            add_eos: None,
            add_space_prefix: None,
            chat_template: None,
            model_name: None,
        }
    }
}

// Token attribute bits (llama.h `llama_token_attr`).
const ATTR_UNKNOWN: u16 = 1 << 0;
const ATTR_UNUSED: u16 = 1 << 1;
const ATTR_NORMAL: u16 = 1 << 2;
const ATTR_CONTROL: u16 = 1 << 3;
const ATTR_USER_DEFINED: u16 = 1 << 4;
const ATTR_BYTE: u16 = 1 << 5;
const ATTR_LSTRIP: u16 = 1 << 7;
const ATTR_RSTRIP: u16 = 1 << 8;

fn attr_of(t: TokenType) -> u16 {
    match t {
        TokenType::Undefined => 0,
        TokenType::Normal => ATTR_NORMAL,
        TokenType::Unknown => ATTR_UNKNOWN,
        TokenType::Control => ATTR_CONTROL,
        TokenType::UserDefined => ATTR_USER_DEFINED,
        TokenType::Unused => ATTR_UNUSED,
        TokenType::Byte => ATTR_BYTE,
    }
}

/// A piece of the input after special-token partitioning.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fragment {
    /// Byte range of the input text.
    Text(usize, usize),
    Token(TokenId),
}

/// A ready tokenizer. Cheap to share (`&Tokenizer` is all encode/decode need).
#[derive(Clone, Debug)]
pub struct Tokenizer {
    model: ModelKind,
    pre: Option<PreSettings>,
    texts: Vec<String>,
    scores: Vec<f32>,
    attrs: Vec<u16>,
    token_to_id: HashMap<String, TokenId>,
    merges: MergeRanks,
    /// Control / user-defined / unknown tokens, longest text first (tokenizer_st_partition order).
    special_cache: Vec<TokenId>,
    bos: Option<TokenId>,
    eos: Option<TokenId>,
    eot: Option<TokenId>,
    unk: Option<TokenId>,
    pad: Option<TokenId>,
    eog: BTreeSet<TokenId>,
    add_bos: bool,
    add_eos: bool,
    add_space_prefix: bool,
    clean_spaces: bool,
    ignore_merges: bool,
    /// SentencePiece byte fallback tokens (`<0xXX>`, else the byte itself as a token).
    byte_tokens: Vec<Option<TokenId>>,
    /// token_to_piece(id, special = true) for every token, concatenated.
    piece_bytes: Vec<u8>,
    piece_offsets: Vec<u32>,
    chat_template: Option<String>,
}

/// Token texts llama.cpp recognises as end-of-turn when `tokenizer.ggml.eot_token_id` is absent
/// (src/llama-vocab.cpp, "find EOT token").
const EOT_TEXTS: &[&str] = &[
    "<|eot_id|>",
    "<|im_end|>",
    "<|end|>",
    "<end_of_turn>",
    "<|endoftext|>",
    "<|end_of_text|>",
    "<EOT>",
    "_<EOT>",
    "[EOT]",
    "<｜end▁of▁sentence｜>",
    "<end_of_utterance>",
];
/// Token texts that end generation (same file, "special_eog_ids").
const EOG_TEXTS: &[&str] = &[
    "<|eot_id|>",
    "<|im_end|>",
    "<|end|>",
    "<|return|>",
    "<|call|>",
    "<|flush|>",
    "<|calls|>",
    "<end_of_turn>",
    "<|endoftext|>",
    "</s>",
    "<|eom_id|>",
    "<EOT>",
    "_<EOT>",
    "[EOT]",
    "[EOS]",
    "<|end_of_text|>",
    "<end_of_utterance>",
    "<eos>",
    "<turn|>",
    "<|tool_response>",
    "<｜end▁of▁sentence｜>",
    "[e~[",
];
/// Fill-in-the-middle and end-of-message texts that llama.cpp promotes to control tokens.
const FIM_TEXTS: &[&[&str]] = &[
    &["<|eom_id|>"],
    &[
        "<|fim_prefix|>",
        "<fim-prefix>",
        "<fim_prefix>",
        "<｜fim▁begin｜>",
        "<PRE>",
        "▁<PRE>",
        "<|code_prefix|>",
        "<|prefix|>",
    ],
    &[
        "<|fim_suffix|>",
        "<fim-suffix>",
        "<fim_suffix>",
        "<｜fim▁hole｜>",
        "<SUF>",
        "▁<SUF>",
        "<|code_suffix|>",
        "<|suffix|>",
    ],
    &[
        "<|fim_middle|>",
        "<fim-middle>",
        "<fim_middle>",
        "<｜fim▁end｜>",
        "<MID>",
        "▁<MID>",
        "<|code_middle|>",
        "<|middle|>",
    ],
    &["<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]"],
    &[
        "<|fim_repo|>",
        "<|repo_name|>",
        "<fim-repo>",
        "<REPO>",
        "<reponame>",
    ],
    &["<|file_sep|>"],
];

impl Tokenizer {
    /// Build a tokenizer, applying llama.cpp's defaults and fix-ups (`llama_vocab::impl::load`).
    pub fn new(desc: TokenizerDesc) -> Result<Self, TokenizerError> {
        let n = desc.tokens.len();
        if n == 0 {
            return Err(TokenizerError::MissingKey(
                "tokenizer.ggml.tokens (empty)".into(),
            ));
        }
        for (what, got) in [
            ("token types", desc.token_types.len()),
            ("scores", desc.scores.len()),
        ] {
            // llama.cpp only rejects arrays shorter than the vocabulary.
            if got != 0 && got < n {
                return Err(TokenizerError::LengthMismatch {
                    what,
                    expected: n,
                    got,
                });
            }
        }

        // Vocabulary kind defaults.
        let (pre, mut add_bos, mut add_space_prefix, clean_spaces, ignore_merges) = match desc.model
        {
            ModelKind::Gpt2 => {
                let s = PreTokenizer::settings(&desc.pre)
                    .ok_or_else(|| TokenizerError::UnsupportedPreTokenizer(desc.pre.clone()))?;
                (Some(s), s.add_bos, false, s.clean_spaces, s.ignore_merges)
            }
            ModelKind::Llama => (None, true, true, false, false),
        };
        let mut add_eos = false;
        if let Some(v) = desc.add_bos {
            add_bos = v;
        }
        if let Some(v) = desc.add_eos {
            add_eos = v;
        }
        if let Some(v) = desc.add_space_prefix {
            add_space_prefix = v;
        }

        // Token texts and attributes. llama.cpp renames empty tokens so the text→id map stays
        // one-to-one.
        let mut texts = Vec::with_capacity(n);
        let mut token_to_id = HashMap::with_capacity(n);
        for (i, t) in desc.tokens.into_iter().enumerate() {
            let t = if t.is_empty() {
                format!("[EMPTY_{i}]")
            } else {
                t
            };
            if token_to_id.insert(t.clone(), i as TokenId).is_some() {
                return Err(TokenizerError::DuplicateToken(t));
            }
            texts.push(t);
        }
        let mut attrs: Vec<u16> = if desc.token_types.is_empty() {
            vec![ATTR_NORMAL; n]
        } else {
            desc.token_types[..n].iter().map(|&t| attr_of(t)).collect()
        };
        let scores = if desc.scores.is_empty() {
            vec![0.0; n]
        } else {
            desc.scores[..n].to_vec()
        };

        // Special ids: per-kind defaults, disabled when out of range, overridden by metadata
        // when the metadata's id is in range.
        let in_range = |id: TokenId| (id as usize) < n;
        let (def_bos, def_eos, def_unk) = match desc.model {
            ModelKind::Llama => (Some(1), Some(2), Some(0)),
            ModelKind::Gpt2 => (Some(11), Some(11), None),
        };
        let pick = |def: Option<TokenId>, given: Option<TokenId>| match given {
            Some(id) if in_range(id) => Some(id),
            _ => def.filter(|&id| in_range(id)),
        };
        let bos = pick(def_bos, desc.bos);
        let eos = pick(def_eos, desc.eos);
        let unk = pick(def_unk, desc.unk);
        let pad = pick(None, desc.pad);
        let mut eot = pick(None, desc.eot);

        // Auto-detected special tokens get the control attribute. llama.cpp walks an unordered
        // map and keeps the first hit; we keep the lowest id, which only differs for vocabularies
        // with two candidates for the same role.
        let find = |names: &[&str]| -> Option<TokenId> {
            names
                .iter()
                .filter_map(|t| token_to_id.get(*t).copied())
                .min()
        };
        if eot.is_none() {
            eot = find(EOT_TEXTS);
            if let Some(id) = eot {
                attrs[id as usize] |= ATTR_CONTROL;
            }
        }
        for names in FIM_TEXTS {
            if let Some(id) = find(names) {
                attrs[id as usize] |= ATTR_CONTROL;
            }
        }
        let mut eog = BTreeSet::new();
        for t in EOG_TEXTS {
            if let Some(&id) = token_to_id.get(*t) {
                eog.insert(id);
                attrs[id as usize] |= ATTR_CONTROL;
            }
        }
        // gpt-oss: always render these (llama.cpp's "quick hack").
        for t in ["<|channel|>", "<|message|>", "<|start|>", "<|constrain|>"] {
            if let Some(&id) = token_to_id.get(t) {
                attrs[id as usize] = ATTR_USER_DEFINED;
            }
        }
        eog.extend(eos);
        eog.extend(eot);
        // o200k_harmony / solar-open: "<|end|>" is not end-of-generation there.
        let has = |t: &str| token_to_id.get(t).is_some_and(|id| eog.contains(id));
        if (has("<|return|>") && has("<|call|>") || has("<|calls|>") && has("<|flush|>"))
            && has("<|end|>")
        {
            let id = token_to_id["<|end|>"];
            eog.remove(&id);
            attrs[id as usize] = ATTR_USER_DEFINED;
        }

        let mut special_cache: Vec<TokenId> = (0..n as TokenId)
            .filter(|&id| {
                attrs[id as usize] & (ATTR_CONTROL | ATTR_USER_DEFINED | ATTR_UNKNOWN) != 0
            })
            .collect();
        // Longest first. llama.cpp's std::sort is not stable; ties only matter for overlapping
        // equal-length special tokens, where we prefer the lower id.
        special_cache.sort_by_key(|&id| std::cmp::Reverse(texts[id as usize].len()));

        // Per-model attribute quirks keyed on general.name (llama.cpp: Phi-3 strips whitespace
        // after special tokens).
        if let Some(name) = desc.model_name.as_deref().map(str::to_lowercase)
            && (name.contains("phi-3") || name.contains("phi3"))
        {
            for &id in &special_cache {
                attrs[id as usize] |= ATTR_RSTRIP;
            }
            if let Some(&id) = token_to_id.get("</s>") {
                attrs[id as usize] |= ATTR_RSTRIP;
            }
            for t in ["<unk>", "<s>", "<|endoftext|>"] {
                if let Some(&id) = token_to_id.get(t) {
                    attrs[id as usize] &= !ATTR_RSTRIP;
                }
            }
        }

        let merges = MergeRanks::new(&desc.merges);

        let byte_tokens = (0..=255u8)
            .map(|b| {
                let hex = format!("<0x{b:02X}>");
                token_to_id
                    .get(&hex)
                    .or_else(|| {
                        // Fallback: the byte itself as a one-character token (ASCII only in UTF-8).
                        if b.is_ascii() {
                            token_to_id.get(&(b as char).to_string())
                        } else {
                            None
                        }
                    })
                    .copied()
            })
            .collect();

        let mut tok = Tokenizer {
            model: desc.model,
            pre,
            texts,
            scores,
            attrs,
            token_to_id,
            merges,
            special_cache,
            bos,
            eos,
            eot,
            unk,
            pad,
            eog,
            add_bos,
            add_eos,
            add_space_prefix,
            clean_spaces,
            ignore_merges,
            byte_tokens,
            piece_bytes: Vec::new(),
            piece_offsets: Vec::new(),
            chat_template: desc.chat_template,
        };
        tok.build_piece_cache();
        Ok(tok)
    }

    // ---------------------------------------------------------------- accessors

    pub fn model_kind(&self) -> ModelKind {
        self.model
    }
    /// The pre-tokenizer (byte-level BPE vocabularies only).
    pub fn pre_tokenizer(&self) -> Option<PreTokenizer> {
        self.pre.map(|s| s.pre)
    }
    pub fn n_tokens(&self) -> usize {
        self.texts.len()
    }
    pub fn n_merges(&self) -> usize {
        self.merges.len()
    }
    /// The token's vocabulary text (byte-level encoded for GPT-2 style vocabularies).
    pub fn token_text(&self, id: TokenId) -> Option<&str> {
        self.texts.get(id as usize).map(String::as_str)
    }
    pub fn token_id(&self, text: &str) -> Option<TokenId> {
        self.token_to_id.get(text).copied()
    }
    pub fn score(&self, id: TokenId) -> Option<f32> {
        self.scores.get(id as usize).copied()
    }
    pub fn bos(&self) -> Option<TokenId> {
        self.bos
    }
    pub fn eos(&self) -> Option<TokenId> {
        self.eos
    }
    pub fn eot(&self) -> Option<TokenId> {
        self.eot
    }
    pub fn unk(&self) -> Option<TokenId> {
        self.unk
    }
    pub fn pad(&self) -> Option<TokenId> {
        self.pad
    }
    pub fn add_bos(&self) -> bool {
        self.add_bos
    }
    pub fn add_eos(&self) -> bool {
        self.add_eos
    }
    pub fn add_space_prefix(&self) -> bool {
        self.add_space_prefix
    }
    /// Does this token end generation (EOS, EOT, `<|im_end|>`, …)?
    pub fn is_eog(&self, id: TokenId) -> bool {
        self.eog.contains(&id)
    }
    /// Control (or unknown) tokens are hidden by `token_to_piece(.., special = false)`.
    pub fn is_control(&self, id: TokenId) -> bool {
        self.attrs
            .get(id as usize)
            .is_some_and(|a| a & ATTR_CONTROL != 0)
    }
    /// The raw chat template string (`tokenizer.chat_template`), if any.
    pub fn chat_template_source(&self) -> Option<&str> {
        self.chat_template.as_deref()
    }

    // ---------------------------------------------------------------- encoding

    /// Tokenize like `llama_tokenize(vocab, text, add_special, parse_special)`.
    ///
    /// `add_special` adds BOS/EOS as the vocabulary asks (`add_bos`/`add_eos`); `parse_special`
    /// lets control tokens written in the text (e.g. `<|im_start|>`) become single tokens.
    /// User-defined tokens are always matched whole.
    pub fn encode(
        &self,
        text: &str,
        add_special: bool,
        parse_special: bool,
    ) -> Result<Vec<TokenId>, TokenizerError> {
        let fragments = if text.is_empty() {
            Vec::new()
        } else {
            self.partition(text, parse_special)
        };
        let mut out = Vec::new();
        match self.model {
            ModelKind::Llama => {
                // src/llama-vocab.cpp tokenize(), LLAMA_VOCAB_TYPE_SPM.
                if add_special && self.add_bos {
                    out.push(self.bos.ok_or(TokenizerError::MissingSpecialToken("BOS"))?);
                }
                let mut prev_special = true; // prefix the first text with a space
                for f in fragments {
                    match f {
                        Fragment::Text(s, e) => {
                            let mut piece = String::with_capacity(e - s + 3);
                            if self.add_space_prefix && prev_special {
                                piece.push(' ');
                            }
                            piece.push_str(&text[s..e]);
                            let escaped = piece.replace(' ', "\u{2581}");
                            self.spm_encode(&escaped, &mut out)?;
                            prev_special = false;
                        }
                        Fragment::Token(id) => {
                            out.push(id);
                            prev_special = true;
                        }
                    }
                }
            }
            ModelKind::Gpt2 => {
                if add_special && self.add_bos {
                    out.push(self.bos.ok_or(TokenizerError::MissingSpecialToken("BOS"))?);
                }
                for f in fragments {
                    match f {
                        Fragment::Text(s, e) => self.bpe_encode(&text[s..e], &mut out),
                        Fragment::Token(id) => out.push(id),
                    }
                }
            }
        }
        if add_special && self.add_eos {
            out.push(self.eos.ok_or(TokenizerError::MissingSpecialToken("EOS"))?);
        }
        Ok(out)
    }

    /// Split the text around special tokens (src/llama-vocab.cpp `tokenizer_st_partition`):
    /// for each special token, longest first, every occurrence in the remaining text fragments
    /// becomes a token fragment. Control and unknown tokens only take part with `parse_special`.
    fn partition(&self, text: &str, parse_special: bool) -> Vec<Fragment> {
        let mut frags = vec![Fragment::Text(0, text.len())];
        for &id in &self.special_cache {
            let attr = self.attrs[id as usize];
            if !parse_special && attr & (ATTR_CONTROL | ATTR_UNKNOWN) != 0 {
                continue;
            }
            let needle = self.texts[id as usize].as_str();
            if !frags
                .iter()
                .any(|f| matches!(*f, Fragment::Text(s, e) if text[s..e].contains(needle)))
            {
                continue;
            }
            let mut next = Vec::with_capacity(frags.len() + 2);
            for f in frags {
                let Fragment::Text(mut s, e) = f else {
                    next.push(f);
                    continue;
                };
                while let Some(rel) = text[s..e].find(needle) {
                    let m = s + rel;
                    let mut left_end = m;
                    if attr & ATTR_LSTRIP != 0 {
                        while left_end > s && is_c_space(text.as_bytes()[left_end - 1]) {
                            left_end -= 1;
                        }
                    }
                    if left_end > s {
                        next.push(Fragment::Text(s, left_end));
                    }
                    next.push(Fragment::Token(id));
                    s = m + needle.len();
                    if attr & ATTR_RSTRIP != 0 {
                        while s < e && is_c_space(text.as_bytes()[s]) {
                            s += 1;
                        }
                    }
                }
                if s < e {
                    next.push(Fragment::Text(s, e));
                }
            }
            frags = next;
        }
        frags
    }

    /// Byte-level BPE on one raw-text fragment (llm_tokenizer_bpe_session::tokenize).
    fn bpe_encode(&self, text: &str, out: &mut Vec<TokenId>) {
        let Some(settings) = self.pre else { return };
        let mut encoded = String::new();
        for word in settings.pre.split(text) {
            encoded.clear();
            for &b in word.as_bytes() {
                encoded.push(unicode::byte_to_char(b));
            }
            if self.ignore_merges
                && let Some(&id) = self.token_to_id.get(encoded.as_str())
            {
                out.push(id);
                continue;
            }
            for piece in bpe::bpe_pieces(&encoded, &self.merges) {
                match self.token_to_id.get(piece) {
                    Some(&id) => out.push(id),
                    None => {
                        // llama.cpp looks each *byte* of the encoded piece up as a one-byte
                        // string: only ASCII bytes can hit; the rest are silently dropped.
                        for &b in piece.as_bytes() {
                            if b.is_ascii()
                                && let Some(&id) = self.token_to_id.get(&(b as char).to_string())
                            {
                                out.push(id);
                            }
                        }
                    }
                }
            }
        }
    }

    fn spm_encode(&self, escaped: &str, out: &mut Vec<TokenId>) -> Result<(), TokenizerError> {
        let lookup = |s: &str| self.token_to_id.get(s).copied();
        let score = |id: TokenId| self.scores[id as usize];
        let byte_token = |b: u8| {
            // llama.cpp aborts here (std::map::at); we fall back to <unk> or report the byte.
            self.byte_tokens[b as usize]
                .or(self.unk)
                .ok_or(TokenizerError::MissingByteToken(b))
        };
        bpe::spm_tokenize(escaped, &lookup, &score, &byte_token, out)
    }

    // ---------------------------------------------------------------- decoding

    /// llama.cpp's `token_to_piece` with `special = true` and no lstrip, for the cache.
    fn piece_uncached(&self, id: TokenId) -> Vec<u8> {
        let text = &self.texts[id as usize];
        let attr = self.attrs[id as usize];
        if attr & (ATTR_UNKNOWN | ATTR_CONTROL | ATTR_USER_DEFINED) != 0 {
            return text.as_bytes().to_vec();
        }
        if attr & ATTR_NORMAL != 0 {
            return match self.model {
                ModelKind::Llama => text.replace('\u{2581}', " ").into_bytes(),
                ModelKind::Gpt2 => decode_byte_level(text),
            };
        }
        if attr & ATTR_BYTE != 0 {
            // "<0xXX>": the two hex digits at [3..5] (llama_vocab::impl::token_to_byte).
            return text
                .get(3..5)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .map(|b| vec![b])
                .unwrap_or_default();
        }
        // Unused and undefined tokens render as nothing.
        Vec::new()
    }

    fn build_piece_cache(&mut self) {
        let mut bytes = Vec::new();
        let mut offsets = Vec::with_capacity(self.texts.len() + 1);
        offsets.push(0u32);
        for id in 0..self.texts.len() as TokenId {
            bytes.extend_from_slice(&self.piece_uncached(id));
            offsets.push(bytes.len() as u32);
        }
        self.piece_bytes = bytes;
        self.piece_offsets = offsets;
    }

    /// The bytes a token stands for (`llama_token_to_piece(.., lstrip = 0, special)`): may be an
    /// incomplete UTF-8 sequence. With `special = false`, control and unknown tokens give nothing.
    pub fn token_to_piece(&self, id: TokenId, special: bool) -> Result<&[u8], TokenizerError> {
        let i = id as usize;
        let attr = *self
            .attrs
            .get(i)
            .ok_or(TokenizerError::TokenOutOfRange(id))?;
        if !special && attr & (ATTR_UNKNOWN | ATTR_CONTROL) != 0 {
            return Ok(&[]);
        }
        let (s, e) = (
            self.piece_offsets[i] as usize,
            self.piece_offsets[i + 1] as usize,
        );
        Ok(&self.piece_bytes[s..e])
    }

    /// Detokenize like `llama_detokenize(vocab, ids, remove_special, unparse_special)`, returning
    /// raw bytes (which need not be valid UTF-8 if the ids end mid-character).
    pub fn detokenize_bytes(
        &self,
        ids: &[TokenId],
        remove_special: bool,
        unparse_special: bool,
    ) -> Result<Vec<u8>, TokenizerError> {
        let mut ids = ids;
        let mut remove_space = self.add_space_prefix;
        if remove_special && self.add_bos && !ids.is_empty() && ids.first().copied() == self.bos {
            // llama.cpp keeps the leading space when it drops a BOS.
            remove_space = false;
            ids = &ids[1..];
        }
        if remove_special && self.add_eos && !ids.is_empty() && ids.last().copied() == self.eos {
            ids = &ids[..ids.len() - 1];
        }
        let mut text = Vec::new();
        for &id in ids {
            let mut piece = self.token_to_piece(id, unparse_special)?;
            if remove_space {
                if let Some(rest) = piece.strip_prefix(b" ") {
                    piece = rest;
                }
                remove_space = false;
            }
            text.extend_from_slice(piece);
        }
        if self.clean_spaces {
            clean_up_spaces(&mut text);
        }
        Ok(text)
    }

    /// [`Tokenizer::detokenize_bytes`] as a string (invalid UTF-8 replaced by U+FFFD).
    pub fn detokenize(
        &self,
        ids: &[TokenId],
        remove_special: bool,
        unparse_special: bool,
    ) -> Result<String, TokenizerError> {
        let bytes = self.detokenize_bytes(ids, remove_special, unparse_special)?;
        Ok(String::from_utf8(bytes)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
    }

    /// A streaming detokenizer for generated tokens; see [`StreamDecoder`].
    pub fn stream_decoder(&self, special: bool) -> StreamDecoder {
        StreamDecoder {
            pending: Vec::new(),
            strip_space: self.add_space_prefix,
            special,
        }
    }

    // ---------------------------------------------------------------- chat

    /// The recognised chat template of this model (from `tokenizer.chat_template`).
    pub fn chat_template(&self) -> Result<ChatTemplate, TokenizerError> {
        let src = self
            .chat_template
            .as_deref()
            .ok_or(TokenizerError::NoChatTemplate)?;
        let eos_text = self.eos.map(|id| self.texts[id as usize].as_str());
        ChatTemplate::detect(src, eos_text).ok_or(TokenizerError::UnknownChatTemplate)
    }

    /// Format a conversation with the model's chat template, ready for
    /// `encode(prompt, add_special = true, parse_special = true)`.
    pub fn apply_chat_template(
        &self,
        messages: &[ChatMessage],
        add_generation_prompt: bool,
    ) -> Result<String, TokenizerError> {
        Ok(self.chat_template()?.apply(messages, add_generation_prompt))
    }
}

/// C `isspace` in the "C" locale.
fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0B | 0x0C | b'\r')
}

/// Undo GPT-2's byte→code point mapping (src/llama-vocab.cpp `llama_decode_text`). A code point
/// no byte maps to is kept visible the way llama.cpp does: `[UNK_BYTE_0x<utf8 hex><text>]`.
fn decode_byte_level(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    for c in text.chars() {
        match unicode::char_to_byte(c) {
            Some(b) => out.push(b),
            None => {
                out.extend_from_slice(b"[UNK_BYTE_0x");
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).as_bytes() {
                    out.extend_from_slice(format!("{b:02x}").as_bytes());
                }
                out.extend_from_slice(text.as_bytes());
                out.push(b']');
            }
        }
    }
    out
}

/// `clean_up_tokenization_spaces`, as llama.cpp's `detokenize` does it: three in-place passes
/// over the bytes, kept in the same index-juggling form so odd inputs behave identically.
fn clean_up_spaces(text: &mut Vec<u8>) {
    // Pass 1: " ?", " !", " .", " ," lose the space.
    let n = text.len();
    let mut total = usize::from(n > 0);
    for i in 1..n {
        let x = text[i];
        if text[i - 1] == b' ' && matches!(x, b'?' | b'!' | b'.' | b',') {
            total -= 1;
        }
        text[total] = x;
        total += 1;
    }
    text.truncate(total);

    // Pass 2: a lone apostrophe between spaces loses both spaces.
    let n = text.len();
    let mut total = usize::from(n > 0);
    let mut i = 1;
    while i < n {
        let x = text[i];
        if x == b'\'' && i + 1 < n && text[i - 1] == b' ' && text[i + 1] == b' ' {
            total -= 1;
            i += 1;
            text[i] = 0;
        }
        text[total] = x;
        total += 1;
        i += 1;
    }
    text.truncate(total);

    // Pass 3: " 's", " 'm", " 're", " 've" lose the space (" 't", " 'd", " 'll" keep it).
    let n = text.len();
    let mut total = usize::from(n > 0);
    for i in 1..n {
        let x = text[i];
        if text[i - 1] == b' ' && x == b'\'' && i + 1 < n {
            let x1 = text[i + 1];
            if x1 == b's' || x1 == b'm' {
                total -= 1;
            } else if i + 2 < n {
                let x2 = text[i + 2];
                if (x1 == b'r' && x2 == b'e') || (x1 == b'v' && x2 == b'e') {
                    total -= 1;
                }
            }
        }
        text[total] = x;
        total += 1;
    }
    text.truncate(total);
}

/// Incremental detokenizer for streamed generation: feed token ids one at a time and get back
/// the text that is complete so far. Bytes of a UTF-8 character split across tokens (byte-level
/// BPE and `<0xXX>` fallback both do this, e.g. for emoji) are held back until the character is
/// complete; bytes that can never become valid UTF-8 come out as U+FFFD.
///
/// Like llama.cpp's detokenizer it strips the one leading space a SentencePiece vocabulary adds
/// (`add_space_prefix`). Unlike `detokenize`, it does not apply `clean_up_tokenization_spaces`,
/// which needs look-ahead (SmolLM2, Qwen2 and SentencePiece vocabularies do not use it).
#[derive(Clone, Debug)]
pub struct StreamDecoder {
    pending: Vec<u8>,
    strip_space: bool,
    special: bool,
}

impl StreamDecoder {
    /// Add one token; returns the newly completed text (possibly empty).
    pub fn push(&mut self, tok: &Tokenizer, id: TokenId) -> Result<String, TokenizerError> {
        let mut piece = tok.token_to_piece(id, self.special)?;
        if self.strip_space && !piece.is_empty() {
            if let Some(rest) = piece.strip_prefix(b" ") {
                piece = rest;
            }
            self.strip_space = false;
        }
        self.pending.extend_from_slice(piece);
        Ok(self.take_complete())
    }

    /// Flush whatever is held back (an incomplete character becomes U+FFFD).
    pub fn finish(&mut self) -> String {
        let rest = String::from_utf8_lossy(&self.pending).into_owned();
        self.pending.clear();
        rest
    }

    /// Bytes still held back because they may start a character.
    pub fn pending_bytes(&self) -> &[u8] {
        &self.pending
    }

    fn take_complete(&mut self) -> String {
        let mut out = String::new();
        let mut consumed = 0;
        loop {
            match std::str::from_utf8(&self.pending[consumed..]) {
                Ok(s) => {
                    out.push_str(s);
                    consumed = self.pending.len();
                    break;
                }
                Err(e) => {
                    let valid = e.valid_up_to();
                    // from_utf8 vouched for this prefix, so the inner conversion cannot fail.
                    out.push_str(
                        std::str::from_utf8(&self.pending[consumed..consumed + valid])
                            .unwrap_or_default(),
                    );
                    consumed += valid;
                    match e.error_len() {
                        // Invalid sequence: replace and keep going.
                        Some(len) => {
                            out.push('\u{FFFD}');
                            consumed += len;
                        }
                        // Incomplete character at the end: hold it back.
                        None => break,
                    }
                }
            }
        }
        self.pending.drain(..consumed);
        out
    }
}

#[cfg(test)]
mod tests;
