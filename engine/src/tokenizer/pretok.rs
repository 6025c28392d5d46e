//! Byte-level BPE pre-tokenizers: split text into "words" before BPE merges, exactly as llama.cpp
//! does for the supported `tokenizer.ggml.pre` values.
//!
//! llama.cpp (src/llama-vocab.cpp, `llm_tokenizer_bpe`) gives each pre-tokenizer a list of
//! regexes applied in sequence; each regex splits every current chunk into its matches and the
//! gaps between them (src/unicode.cpp `unicode_regex_split`). The main GPT-2 / Llama-3 / Qwen2
//! regexes use the look-ahead `\s+(?!\S)`, which the `regex` crate lacks, and llama.cpp itself runs
//! hand-written scanners for them (`unicode_regex_split_custom_gpt2/_llama3/_qwen2`). The scanners
//! here follow the same rules, written from the regexes and those functions' behaviour; the
//! simple class regexes (`\p{N}`, `[0-9][0-9][0-9]`, …) are matched directly.

use super::unicode::{Category, Flags, category, is_whitespace};

/// Which word splitter a byte-level BPE vocabulary uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PreTokenizer {
    /// GPT-2: `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)`.
    Gpt2,
    /// `\p{N}` (every number isolated), then GPT-2. SmolLM, StarCoder, Refact, Command-R, ….
    DigitsThenGpt2,
    /// Qwen2: like Llama-3 but numbers one at a time (`\p{N}`).
    Qwen2,
    /// Llama-3: case-insensitive contractions, `[^\r\n\p{L}\p{N}]?\p{L}+`, `\p{N}{1,3}`,
    /// ` ?[^\s\p{L}\p{N}]+[\r\n]*`, `\s*[\r\n]+`, `\s+(?!\S)`, `\s+`.
    Llama3,
    /// llama.cpp's fallback: `[\p{P}\$\+<=>\^~\|]+`, GPT-2, `\p{N}+`, `[0-9][0-9][0-9]`.
    Default,
}

/// Per-`tokenizer.ggml.pre` settings (src/llama-vocab.cpp `llama_vocab::impl::load`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PreSettings {
    pub pre: PreTokenizer,
    /// `clean_up_tokenization_spaces` during detokenization.
    pub clean_spaces: bool,
    /// A whole word that is itself a token skips the merges.
    pub ignore_merges: bool,
    /// Default for `add_bos` when the metadata does not say.
    pub add_bos: bool,
}

impl PreTokenizer {
    /// Look up a `tokenizer.ggml.pre` value. `None` for names this crate does not implement.
    pub(crate) fn settings(name: &str) -> Option<PreSettings> {
        use PreTokenizer::*;
        let s = |pre, clean_spaces, ignore_merges, add_bos| PreSettings {
            pre,
            clean_spaces,
            ignore_merges,
            add_bos,
        };
        // Groupings and flags as in llama_vocab::impl::load; BPE vocabularies default to
        // clean_spaces = true and the pre-tokenizer branch may turn it off.
        Some(match name {
            "" | "default" => s(Default, true, false, false),
            "llama3" | "llama-v3" | "llama-bpe" | "falcon3" | "falcon-h1" | "pixtral"
            | "midm-2.0" | "lfm2" | "jina-v5-nano" => s(Llama3, true, true, true),
            "gpt-2" | "phi-2" | "jina-es" | "jina-de" | "gigachat" | "jina-v2-es"
            | "jina-v2-de" | "a.x-4.0" | "mellum" | "modern-bert" | "jina-v1-en"
            | "jina-v2-code" | "roberta-bpe" | "mpt" | "olmo" | "jais" | "exaone4" => {
                s(Gpt2, true, false, false)
            }
            "trillion" | "granite-docling" => s(Gpt2, false, false, false),
            "starcoder" | "refact" | "codeshell" | "exaone" | "minerva-7b" | "mellum2" => {
                s(DigitsThenGpt2, true, false, false)
            }
            "smollm" | "command-r" => s(DigitsThenGpt2, false, false, false),
            "qwen2" | "deepseek-r1-qwen" | "kormo" | "f2llmv2" | "hunyuan" | "solar-open" => {
                s(Qwen2, false, false, false)
            }
            "megrez" | "stablelm2" => s(Qwen2, true, false, false),
            _ => return None,
        })
    }

    /// Split `text` into words (plain UTF-8, not yet byte-encoded).
    pub fn split<'t>(&self, text: &'t str) -> Vec<&'t str> {
        let cpts: Vec<char> = text.chars().collect();
        let mut offsets = vec![cpts.len()];
        match self {
            PreTokenizer::Gpt2 => offsets = split_gpt2(&cpts, &offsets),
            PreTokenizer::DigitsThenGpt2 => {
                offsets = split_matches(&cpts, &offsets, |c, p| usize::from(is_number_cpt(c[p])));
                offsets = split_gpt2(&cpts, &offsets);
            }
            PreTokenizer::Qwen2 => offsets = split_llama3_like(&cpts, &offsets, 1),
            PreTokenizer::Llama3 => offsets = split_llama3_like(&cpts, &offsets, 3),
            PreTokenizer::Default => {
                offsets = split_matches(&cpts, &offsets, |c, p| run_len(c, p, is_default_punct));
                offsets = split_gpt2(&cpts, &offsets);
                offsets = split_matches(&cpts, &offsets, |c, p| run_len(c, p, is_number_cpt));
                offsets = split_matches(&cpts, &offsets, |c, p| {
                    if p + 3 <= c.len() && c[p..p + 3].iter().all(char::is_ascii_digit) {
                        3
                    } else {
                        0
                    }
                });
            }
        }
        // Offsets count code points; turn them into byte slices of `text`.
        let mut words = Vec::with_capacity(offsets.len());
        let mut byte_pos = 0;
        let mut chars = text
            .char_indices()
            .map(|(i, _)| i)
            .chain(std::iter::once(text.len()));
        let mut next_boundary = chars.next();
        for n in offsets {
            let start = byte_pos;
            // Advance n code points.
            for _ in 0..n {
                next_boundary = chars.next();
            }
            byte_pos = next_boundary.unwrap_or(text.len());
            words.push(&text[start..byte_pos]);
        }
        words
    }
}

/// `\p{N}` as llama.cpp's collapsed-text std::regex sees it: ASCII 0-9, or a non-ASCII code point
/// of category N (non-ASCII whitespace is collapsed to `\v` first, but none is a number).
fn is_number_cpt(c: char) -> bool {
    category(c) == Category::Number
}

/// The default pre-tokenizer's `[\p{P}\$\+<=>\^~\|]`: for ASCII, llama.cpp substitutes the class
/// with the literal ASCII punctuation list `!-#%-*,-/:-;?-@\[-\]_\{\}` plus the listed symbols
/// (src/unicode.cpp `k_ucat_map`); other code points match when their category is P.
fn is_default_punct(c: char) -> bool {
    if c.is_ascii() {
        matches!(
            c,
            '!' | '"' | '#' | '%'
                ..='*'
                    | ','
                    | '-'
                    | '.'
                    | '/'
                    | ':'
                    | ';'
                    | '?'
                    | '@'
                    | '['
                    | '\\'
                    | ']'
                    | '_'
                    | '{'
                    | '}'
                    | '$'
                    | '+'
                    | '<'
                    | '='
                    | '>'
                    | '^'
                    | '~'
                    | '|'
        )
    } else {
        !is_whitespace(c) && category(c) == Category::Punctuation
    }
}

/// Length of the run of `class` code points starting at `p` (0 if `c[p]` is not in the class).
fn run_len(c: &[char], p: usize, class: fn(char) -> bool) -> usize {
    c[p..].iter().take_while(|&&x| class(x)).count()
}

/// Split every chunk into the leftmost-first, non-overlapping matches of a pattern and the gaps
/// between them (src/unicode.cpp `unicode_regex_split_stl`). `m(chunk, pos)` returns the length of
/// the match starting at `pos`, 0 for none.
fn split_matches(
    cpts: &[char],
    offsets: &[usize],
    m: impl Fn(&[char], usize) -> usize,
) -> Vec<usize> {
    let mut out = Vec::with_capacity(offsets.len());
    let mut start = 0;
    for &len in offsets {
        let chunk = &cpts[start..start + len];
        let mut gap_start = 0;
        let mut p = 0;
        while p < chunk.len() {
            let n = m(chunk, p);
            if n == 0 {
                p += 1;
                continue;
            }
            if p > gap_start {
                out.push(p - gap_start);
            }
            out.push(n);
            p += n;
            gap_start = p;
        }
        if gap_start < chunk.len() {
            out.push(chunk.len() - gap_start);
        }
        start += len;
    }
    out
}

/// A view of one chunk with llama.cpp's out-of-range conventions: positions outside the chunk have
/// no code point and all-zero flags.
struct Chunk<'a> {
    cpts: &'a [char],
    flags: Vec<Flags>,
}

impl<'a> Chunk<'a> {
    fn new(cpts: &'a [char]) -> Self {
        Chunk {
            cpts,
            flags: cpts.iter().map(|&c| Flags::of(c)).collect(),
        }
    }
    fn cpt(&self, p: usize) -> Option<char> {
        self.cpts.get(p).copied()
    }
    fn flags(&self, p: usize) -> Flags {
        self.flags.get(p).copied().unwrap_or_default()
    }
    /// Number of whitespace code points starting at `p`.
    fn whitespace_run(&self, p: usize) -> usize {
        self.flags[p.min(self.flags.len())..]
            .iter()
            .take_while(|f| f.whitespace)
            .count()
    }
}

/// `'s|'t|'re|'ve|'m|'ll|'d`, case-sensitive or not; returns the match length.
fn contraction(ch: &Chunk, pos: usize, ignore_case: bool) -> usize {
    if ch.cpt(pos) != Some('\'') {
        return 0;
    }
    // llama.cpp lower-cases with the full Unicode table, but no non-ASCII code point lower-cases
    // to one of these ASCII letters (checked by the table generator), so ASCII suffices.
    let low = |c: Option<char>| {
        c.map(|c| {
            if ignore_case {
                c.to_ascii_lowercase()
            } else {
                c
            }
        })
    };
    let next = low(ch.cpt(pos + 1));
    if matches!(next, Some('s' | 't' | 'm' | 'd')) {
        return 2;
    }
    let next2 = low(ch.cpt(pos + 2));
    match (next, next2) {
        (Some('r'), Some('e')) | (Some('v'), Some('e')) | (Some('l'), Some('l')) => 3,
        _ => 0,
    }
}

/// GPT-2's regex, chunk by chunk (src/unicode.cpp `unicode_regex_split_custom_gpt2`).
fn split_gpt2(cpts: &[char], offsets: &[usize]) -> Vec<usize> {
    let mut out = Vec::with_capacity(offsets.len());
    let mut start = 0;
    for &len in offsets {
        let ch = Chunk::new(&cpts[start..start + len]);
        start += len;
        let end = len;
        let mut pos = 0;
        while pos < end {
            let from = pos;
            let cpt = ch.cpts[pos];
            let n = contraction(&ch, pos, false);
            if n > 0 {
                pos += n;
            } else {
                // An optional leading space belongs to the following letter/number/symbol run.
                let space = usize::from(cpt == ' ');
                let f2 = ch.flags(pos + space);
                if f2.letter {
                    pos += space;
                    while ch.flags(pos).letter {
                        pos += 1;
                    }
                } else if f2.number {
                    pos += space;
                    while ch.flags(pos).number {
                        pos += 1;
                    }
                } else if f2.valid && !(f2.whitespace || f2.letter || f2.number) {
                    pos += space;
                    loop {
                        let f = ch.flags(pos);
                        if !f.valid || f.whitespace || f.letter || f.number {
                            break;
                        }
                        pos += 1;
                    }
                } else {
                    let ws = ch.whitespace_run(pos);
                    if ws > 1 && ch.cpt(pos + ws).is_some() {
                        // `\s+(?!\S)`: leave the last space to prefix the next word.
                        pos += ws - 1;
                    } else if ws > 0 {
                        pos += ws;
                    } else {
                        pos += 1;
                    }
                }
            }
            out.push(pos - from);
        }
    }
    out
}

/// The Llama-3 regex (`digit_run` = 3) or Qwen2's (`digit_run` = 1), chunk by chunk
/// (src/unicode.cpp `unicode_regex_split_custom_llama3` / `_qwen2`).
fn split_llama3_like(cpts: &[char], offsets: &[usize], digit_run: usize) -> Vec<usize> {
    let mut out = Vec::with_capacity(offsets.len());
    let mut start = 0;
    for &len in offsets {
        let ch = Chunk::new(&cpts[start..start + len]);
        start += len;
        let end = len;
        let mut pos = 0;
        while pos < end {
            let from = pos;
            let cpt = ch.cpts[pos];
            let flags = ch.flags(pos);
            let n = contraction(&ch, pos, true);
            if n > 0 {
                out.push(n);
                pos += n;
                continue;
            }
            // `[^\r\n\p{L}\p{N}]?\p{L}+`
            if !(cpt == '\r' || cpt == '\n' || flags.number)
                && (flags.letter || ch.flags(pos + 1).letter)
            {
                pos += 1;
                while ch.flags(pos).letter {
                    pos += 1;
                }
                out.push(pos - from);
                continue;
            }
            // `\p{N}{1,3}` (or `\p{N}`): a run of numbers cut into pieces of `digit_run`.
            if flags.number {
                let mut piece = pos;
                while ch.flags(pos).number {
                    pos += 1;
                    if pos - piece >= digit_run {
                        out.push(pos - piece);
                        piece = pos;
                    }
                }
                if pos > piece {
                    out.push(pos - piece);
                }
                continue;
            }
            // ` ?[^\s\p{L}\p{N}]+[\r\n]*` — llama.cpp tests the *current* position's flags for
            // validity, so a lone trailing space also lands here (same result as `\s+`).
            let f2 = if cpt == ' ' { ch.flags(pos + 1) } else { flags };
            if !(f2.whitespace || f2.letter || f2.number) {
                pos += usize::from(cpt == ' ');
                loop {
                    let f = ch.flags(pos);
                    if !f.valid || f.whitespace || f.letter || f.number {
                        break;
                    }
                    pos += 1;
                }
                while matches!(ch.cpt(pos), Some('\r' | '\n')) {
                    pos += 1;
                }
                out.push(pos - from);
                continue;
            }
            let ws = ch.whitespace_run(pos);
            // `\s*[\r\n]+`: up to and including the last CR/LF of the whitespace run.
            let last_newline = (0..ws)
                .rev()
                .find(|&i| matches!(ch.cpts[pos + i], '\r' | '\n'));
            if let Some(i) = last_newline {
                pos += i + 1;
            } else if ws > 1 && ch.cpt(pos + ws).is_some() {
                pos += ws - 1;
            } else if ws > 0 {
                pos += ws;
            } else {
                pos += 1;
            }
            out.push(pos - from);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::PreTokenizer::*;

    #[test]
    fn gpt2_words() {
        assert_eq!(Gpt2.split("Hello world"), ["Hello", " world"]);
        assert_eq!(Gpt2.split("I'm here"), ["I", "'m", " here"]);
        assert_eq!(Gpt2.split("I'M"), ["I", "'", "M"]);
        assert_eq!(Gpt2.split("a   b"), ["a", "  ", " b"]);
        assert_eq!(Gpt2.split("a   "), ["a", "   "]);
        assert_eq!(Gpt2.split("x 123 !!"), ["x", " 123", " !!"]);
        assert_eq!(Gpt2.split("a\n\nb"), ["a", "\n", "\n", "b"]);
        assert_eq!(Gpt2.split("día 😀"), ["día", " 😀"]);
    }

    #[test]
    fn digits_isolated_before_gpt2() {
        assert_eq!(
            DigitsThenGpt2.split("ab 1234x"),
            ["ab", " ", "1", "2", "3", "4", "x"]
        );
        assert_eq!(DigitsThenGpt2.split("½²"), ["½", "²"]);
    }

    #[test]
    fn llama3_and_qwen2_words() {
        assert_eq!(Llama3.split("I'M here"), ["I", "'M", " here"]);
        assert_eq!(Llama3.split("1234567"), ["123", "456", "7"]);
        assert_eq!(Qwen2.split("123"), ["1", "2", "3"]);
        assert_eq!(Llama3.split("a\n\nb"), ["a", "\n\n", "b"]);
        assert_eq!(Llama3.split("x  \n  y"), ["x", "  \n", " ", " y"]);
        assert_eq!(Llama3.split("(hello)\n"), ["(hello", ")\n"]);
        assert_eq!(Llama3.split(" !!\r\nok"), [" !!\r\n", "ok"]);
    }

    #[test]
    fn default_pretokenizer_words() {
        assert_eq!(
            Default.split("a+b=12345"),
            ["a", "+", "b", "=", "123", "45"]
        );
        assert_eq!(Default.split("hi!! ok"), ["hi", "!!", " ok"]);
    }
}
