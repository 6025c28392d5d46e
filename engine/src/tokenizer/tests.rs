//! Unit tests of the tokenizer core on small hand-made vocabularies. The agreement with llama.cpp
//! on real vocabularies is tested in engine/tests/tokenizer_*.rs.

use super::*;

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// A byte-level vocabulary with every byte token, a few merges and ChatML specials.
fn byte_level() -> Tokenizer {
    let mut tokens: Vec<String> = vec![
        "<|endoftext|>".into(),
        "<|im_start|>".into(),
        "<|im_end|>".into(),
        "<tool>".into(),
    ];
    let mut types = vec![
        TokenType::Control,
        TokenType::Control,
        TokenType::Control,
        TokenType::UserDefined,
    ];
    for b in 0..=255u8 {
        tokens.push(unicode::byte_to_char(b).to_string());
        types.push(TokenType::Normal);
    }
    for t in [
        "he", "ll", "llo", "hello", "Ġw", "Ġwor", "Ġworld", "ðŁ", "ðŁĺ", "ðŁĺĢ",
    ] {
        tokens.push(t.into());
        types.push(TokenType::Normal);
    }
    let mut d = TokenizerDesc::new(ModelKind::Gpt2);
    // SmolLM2's pre-tokenizer; it does not clean up spaces, so decoding is lossless.
    d.pre = "smollm".into();
    d.tokens = tokens;
    d.token_types = types;
    d.merges = strings(&[
        "h e",
        "l l",
        "ll o",
        "he llo",
        "Ġ w",
        "o r",
        "Ġw or",
        "Ġwor ld",
        "l d",
        "ð Ł",
        "ðŁ ĺ",
        "ðŁĺ Ģ",
    ]);
    d.eos = Some(0);
    Tokenizer::new(d).unwrap()
}

#[test]
fn byte_level_round_trip_and_specials() {
    let t = byte_level();
    let ids = t.encode("hello world", false, false).unwrap();
    let texts: Vec<&str> = ids.iter().map(|&i| t.token_text(i).unwrap()).collect();
    // Merges may pass through pieces that are not tokens ("ld") on the way to one that is.
    assert_eq!(texts, ["hello", "Ġworld"]);
    assert_eq!(t.detokenize(&ids, false, false).unwrap(), "hello world");
    // "wo": no merge applies, the single byte tokens remain.
    let ids = t.encode("wo", false, false).unwrap();
    assert_eq!(ids, [t.token_id("w").unwrap(), t.token_id("o").unwrap()]);

    // Control tokens only with parse_special; user-defined ones always.
    let with = t.encode("<|im_start|>hi<tool>", false, true).unwrap();
    assert_eq!(with[0], 1);
    assert_eq!(*with.last().unwrap(), 3);
    let without = t.encode("<|im_start|>hi<tool>", false, false).unwrap();
    assert_ne!(without[0], 1);
    assert_eq!(*without.last().unwrap(), 3);
    // Control pieces are hidden unless asked for.
    assert_eq!(t.detokenize(&with, false, false).unwrap(), "hi<tool>");
    assert_eq!(
        t.detokenize(&with, false, true).unwrap(),
        "<|im_start|>hi<tool>"
    );
}

#[test]
fn streaming_holds_back_partial_utf8() {
    let t = byte_level();
    // 😀 = F0 9F 98 80 → "ðŁĺĢ" merges to one token; force the bytes one at a time instead.
    let bytes: Vec<TokenId> = [0xF0u8, 0x9F, 0x98, 0x80]
        .iter()
        .map(|&b| t.token_id(&unicode::byte_to_char(b).to_string()).unwrap())
        .collect();
    let mut dec = t.stream_decoder(false);
    assert_eq!(dec.push(&t, bytes[0]).unwrap(), "");
    assert_eq!(dec.push(&t, bytes[1]).unwrap(), "");
    assert_eq!(dec.push(&t, bytes[2]).unwrap(), "");
    assert_eq!(dec.pending_bytes().len(), 3);
    assert_eq!(dec.push(&t, bytes[3]).unwrap(), "😀");
    // An invalid byte comes out as U+FFFD right away; a dangling lead byte at the end on finish.
    let ff = t
        .token_id(&unicode::byte_to_char(0xFF).to_string())
        .unwrap();
    let a = t.token_id("a").unwrap();
    assert_eq!(dec.push(&t, ff).unwrap(), "\u{FFFD}");
    assert_eq!(dec.push(&t, a).unwrap(), "a");
    assert_eq!(dec.push(&t, bytes[0]).unwrap(), "");
    assert_eq!(dec.finish(), "\u{FFFD}");
    assert!(matches!(
        dec.push(&t, 100_000),
        Err(TokenizerError::TokenOutOfRange(100_000))
    ));
}

#[test]
fn clean_up_spaces_like_llama_cpp() {
    let clean = |s: &str| {
        let mut v = s.as_bytes().to_vec();
        clean_up_spaces(&mut v);
        String::from_utf8(v).unwrap()
    };
    assert_eq!(clean("Hello , world !"), "Hello, world!");
    assert_eq!(clean("a ' b"), "a'b");
    assert_eq!(
        clean("it 's I 'm we 're they 've"),
        "it's I'm we're they've"
    );
    assert_eq!(clean("don 't I 'd we 'll"), "don 't I 'd we 'll");
    assert_eq!(clean(""), "");
    assert_eq!(clean(" ."), " .".replace(" .", "."));
}

/// A SentencePiece vocabulary: <unk>, <s>, </s>, 256 byte tokens, then scored pieces.
fn spm() -> Tokenizer {
    let mut tokens = strings(&["<unk>", "<s>", "</s>"]);
    let mut types = vec![TokenType::Unknown, TokenType::Control, TokenType::Control];
    let mut scores = vec![0.0, 0.0, 0.0];
    for b in 0..=255u8 {
        tokens.push(format!("<0x{b:02X}>"));
        types.push(TokenType::Byte);
        scores.push(0.0);
    }
    for (t, s) in [
        ("▁", -1.0),
        ("h", -2.0),
        ("i", -2.0),
        ("▁h", -3.0),
        ("▁hi", -4.0),
        ("é", -5.0),
    ] {
        tokens.push(t.into());
        types.push(TokenType::Normal);
        scores.push(s);
    }
    let mut d = TokenizerDesc::new(ModelKind::Llama);
    d.tokens = tokens;
    d.token_types = types;
    d.scores = scores;
    Tokenizer::new(d).unwrap()
}

#[test]
fn sentencepiece_prefix_space_bos_and_byte_fallback() {
    let t = spm();
    let id = |s: &str| t.token_id(s).unwrap();
    assert_eq!(t.encode("hi", true, false).unwrap(), [1, id("▁hi")]);
    // After a special token the next text is prefixed with a space again.
    assert_eq!(
        t.encode("hi</s>hi", false, true).unwrap(),
        [id("▁hi"), 2, id("▁hi")]
    );
    // Without parse_special "</s>" is plain text: bytes for '<', '/', 's', '>'.
    let plain = t.encode("</s>", false, false).unwrap();
    assert_eq!(plain[0], id("▁"));
    assert_eq!(plain[1], id("<0x3C>"));
    // "ü" is not a piece: two byte tokens.
    assert_eq!(
        t.encode("ü", false, false).unwrap(),
        [id("▁"), id("<0xC3>"), id("<0xBC>")]
    );
    assert_eq!(
        t.detokenize(&[id("▁hi"), id("<0xC3>"), id("<0xBC>")], false, false)
            .unwrap(),
        "hiü"
    );
    assert_eq!(t.encode("", true, false).unwrap(), [1]);
}

#[test]
fn bad_descriptions_are_errors() {
    let mut d = TokenizerDesc::new(ModelKind::Llama);
    assert!(matches!(
        Tokenizer::new(d.clone()),
        Err(TokenizerError::MissingKey(_))
    ));
    d.tokens = strings(&["a", "b", "a"]);
    assert_eq!(
        Tokenizer::new(d.clone()).unwrap_err(),
        TokenizerError::DuplicateToken("a".into())
    );
    d.tokens = strings(&["a", "b"]);
    d.scores = vec![0.0];
    assert!(matches!(
        Tokenizer::new(d),
        Err(TokenizerError::LengthMismatch { .. })
    ));
    // An SPM vocabulary without byte tokens or <unk> cannot encode unknown characters.
    let mut d = TokenizerDesc::new(ModelKind::Llama);
    d.tokens = strings(&["▁", "a", "b"]);
    d.unk = Some(99); // out of range: ignored, and the default unk id 0 is "▁" (normal)
    let t = Tokenizer::new(d).unwrap();
    assert_eq!(t.unk(), Some(0));
    assert_eq!(t.encode("z", false, false).unwrap(), [0, 0]);
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    /// Strings mixing ASCII, whitespace runs, digits, apostrophes, multi-byte text, emoji and
    /// special-token text.
    fn text() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            "[a-zA-Z]{1,6}",
            "[0-9]{1,5}",
            "[ \t\n\r]{1,4}",
            "[!-/:-@\\[-`{-~]{1,3}",
            Just("'s".to_string()),
            Just("'LL".to_string()),
            Just("é".to_string()),
            Just("中文".to_string()),
            Just("😀".to_string()),
            Just("\u{a0}".to_string()),
            Just("<|im_start|>".to_string()),
            Just("<tool>".to_string()),
            any::<char>().prop_map(|c| c.to_string()),
        ];
        prop::collection::vec(piece, 0..12).prop_map(|v| v.concat())
    }

    proptest! {
        /// Byte-level BPE is lossless: decoding the ids gives back the exact text, with and
        /// without special-token parsing, and streaming gives the same text as one-shot decoding.
        #[test]
        fn byte_level_round_trip(s in text()) {
            let t = byte_level();
            for parse_special in [false, true] {
                let ids = t.encode(&s, false, parse_special).unwrap();
                prop_assert_eq!(t.detokenize(&ids, false, true).unwrap(), s.clone());
                let mut dec = t.stream_decoder(true);
                let mut streamed = String::new();
                for &id in &ids {
                    streamed.push_str(&dec.push(&t, id).unwrap());
                }
                streamed.push_str(&dec.finish());
                prop_assert_eq!(streamed, s.clone());
            }
        }

        /// Every pre-tokenizer partitions the text: the words concatenate back to the input and
        /// none is empty.
        #[test]
        fn pre_tokenizers_partition_the_text(s in text()) {
            for p in [PreTokenizer::Gpt2, PreTokenizer::DigitsThenGpt2, PreTokenizer::Qwen2,
                      PreTokenizer::Llama3, PreTokenizer::Default] {
                let words = p.split(&s);
                prop_assert!(words.iter().all(|w| !w.is_empty()));
                prop_assert_eq!(words.concat(), s.clone());
            }
        }

        /// SentencePiece with byte fallback is lossless up to the one prefix space.
        #[test]
        fn sentencepiece_round_trip(s in text()) {
            let t = spm();
            let ids = t.encode(&s, false, false).unwrap();
            prop_assert_eq!(t.detokenize(&ids, false, false).unwrap(), s.clone());
        }
    }
}
