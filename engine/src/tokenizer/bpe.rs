//! The two merge algorithms: byte-level BPE with merge ranks (GPT-2 family) and SentencePiece BPE
//! with piece scores (Llama/TinyLlama). Both follow llama.cpp's `llm_tokenizer_bpe_session` and
//! `llm_tokenizer_spm_session` (src/llama-vocab.cpp): a doubly linked list of symbols and a
//! priority queue of candidate bigrams, lazily invalidated.

use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, HashMap};

use super::{TokenId, TokenizerError};

/// Merge ranks keyed by the two sides' strings. Sides are interned so a lookup needs no
/// allocation: `(left, right)` → rank, the merge's index in `tokenizer.ggml.merges`.
#[derive(Debug, Default, Clone)]
pub(crate) struct MergeRanks {
    parts: HashMap<Box<str>, u32>,
    ranks: HashMap<(u32, u32), u32>,
}

impl MergeRanks {
    /// Parse merges written as `"left right"`. Like llama.cpp (`llama_vocab::impl::load`), the
    /// split is at the first space at byte index ≥ 1 (a side may start with a space), a line
    /// without one becomes the pair ("", ""), and the first occurrence of a pair keeps its rank.
    pub(crate) fn new<S: AsRef<str>>(merges: &[S]) -> Self {
        let mut m = MergeRanks::default();
        for (rank, line) in merges.iter().enumerate() {
            let line = line.as_ref();
            let (l, r) = split_merge(line).unwrap_or_default();
            let li = m.intern(l);
            let ri = m.intern(r);
            m.ranks.entry((li, ri)).or_insert(rank as u32);
        }
        m
    }

    fn intern(&mut self, s: &str) -> u32 {
        let next = self.parts.len() as u32;
        *self.parts.entry(s.into()).or_insert(next)
    }

    pub(crate) fn rank(&self, left: &str, right: &str) -> Option<u32> {
        let l = self.parts.get(left)?;
        let r = self.parts.get(right)?;
        self.ranks.get(&(*l, *r)).copied()
    }

    pub(crate) fn len(&self) -> usize {
        self.ranks.len()
    }
}

/// Split a merge line at its first space at byte index ≥ 1 (bytes, since the first character
/// may be multi-byte, e.g. "Ġ t").
pub(crate) fn split_merge(line: &str) -> Option<(&str, &str)> {
    let p = line.bytes().skip(1).position(|b| b == b' ')? + 1;
    Some((&line[..p], &line[p + 1..]))
}

/// One symbol of the word being merged: a byte range of the word and its list neighbours.
#[derive(Clone, Copy, Debug)]
struct Symbol {
    start: usize,
    len: usize,
    prev: Option<usize>,
    next: Option<usize>,
}

/// Split a word into one symbol per UTF-8 character.
fn symbols_of(word: &str) -> Vec<Symbol> {
    let n = word.chars().count();
    word.char_indices()
        .enumerate()
        .map(|(i, (start, c))| Symbol {
            start,
            len: c.len_utf8(),
            prev: i.checked_sub(1),
            next: if i + 1 < n { Some(i + 1) } else { None },
        })
        .collect()
}

/// Merge the right symbol of a bigram into the left one and unlink it.
fn merge(symbols: &mut [Symbol], left: usize, right: usize) {
    symbols[left].len += symbols[right].len;
    symbols[right].len = 0;
    symbols[left].next = symbols[right].next;
    if let Some(n) = symbols[right].next {
        symbols[n].prev = Some(left);
    }
}

/// Byte-level BPE on one (already byte-encoded) word: merge the lowest-ranked adjacent pair,
/// ties broken by leftmost position, until no pair has a rank. Returns the final pieces.
pub(crate) fn bpe_pieces<'w>(word: &'w str, ranks: &MergeRanks) -> Vec<&'w str> {
    let mut symbols = symbols_of(word);
    // Min-heap on (rank, left index), as llama.cpp's llm_bigram_bpe::comparator.
    let mut queue: BinaryHeap<Reverse<(u32, usize, usize, usize)>> = BinaryHeap::new();
    let text = |s: &Symbol| &word[s.start..s.start + s.len];
    let push =
        |symbols: &[Symbol], queue: &mut BinaryHeap<_>, l: Option<usize>, r: Option<usize>| {
            if let (Some(l), Some(r)) = (l, r) {
                let (ls, rs) = (&symbols[l], &symbols[r]);
                if let Some(rank) = ranks.rank(text(ls), text(rs)) {
                    queue.push(Reverse((rank, l, r, ls.len + rs.len)));
                }
            }
        };
    for i in 1..symbols.len() {
        push(&symbols, &mut queue, Some(i - 1), Some(i));
    }
    while let Some(Reverse((_, l, r, size))) = queue.pop() {
        // Stale entry: one side was merged away, or grew since the pair was queued. (llama.cpp
        // compares the concatenated strings; since a symbol's start never moves, comparing the
        // combined length is equivalent.)
        let (ls, rs) = (symbols[l], symbols[r]);
        if ls.len == 0 || rs.len == 0 || ls.len + rs.len != size || ls.next != Some(r) {
            continue;
        }
        merge(&mut symbols, l, r);
        push(&symbols, &mut queue, symbols[l].prev, Some(l));
        push(&symbols, &mut queue, Some(l), symbols[l].next);
    }
    symbols.iter().filter(|s| s.len > 0).map(text).collect()
}

/// A SentencePiece bigram candidate, ordered as llama.cpp's llm_bigram_spm::comparator: highest
/// score first, ties to the leftmost.
#[derive(Clone, Copy, Debug)]
struct SpmBigram {
    score: f32,
    left: usize,
    right: usize,
    size: usize,
}

impl PartialEq for SpmBigram {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for SpmBigram {}
impl PartialOrd for SpmBigram {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for SpmBigram {
    fn cmp(&self, other: &Self) -> Ordering {
        self.score
            .total_cmp(&other.score)
            .then_with(|| other.left.cmp(&self.left))
    }
}

/// SentencePiece BPE on escaped text (spaces already '▁'): merge the adjacent pair whose
/// concatenation is the highest-scoring vocabulary piece until none is; pieces that are not
/// tokens fall back to byte tokens.
pub(crate) fn spm_tokenize(
    text: &str,
    lookup: &dyn Fn(&str) -> Option<TokenId>,
    score: &dyn Fn(TokenId) -> f32,
    byte_token: &dyn Fn(u8) -> Result<TokenId, TokenizerError>,
    out: &mut Vec<TokenId>,
) -> Result<(), TokenizerError> {
    let mut symbols = symbols_of(text);
    let mut queue = BinaryHeap::new();
    let push = |symbols: &[Symbol],
                queue: &mut BinaryHeap<SpmBigram>,
                l: Option<usize>,
                r: Option<usize>| {
        if let (Some(l), Some(r)) = (l, r) {
            let size = symbols[l].len + symbols[r].len;
            let start = symbols[l].start;
            if let Some(id) = lookup(&text[start..start + size]) {
                queue.push(SpmBigram {
                    score: score(id),
                    left: l,
                    right: r,
                    size,
                });
            }
        }
    };
    for i in 1..symbols.len() {
        push(&symbols, &mut queue, Some(i - 1), Some(i));
    }
    while let Some(b) = queue.pop() {
        let (ls, rs) = (symbols[b.left], symbols[b.right]);
        if ls.len == 0 || rs.len == 0 || ls.len + rs.len != b.size {
            continue;
        }
        merge(&mut symbols, b.left, b.right);
        push(&symbols, &mut queue, symbols[b.left].prev, Some(b.left));
        push(&symbols, &mut queue, Some(b.left), symbols[b.left].next);
    }
    // Walk the list from the first symbol. llama.cpp's `resegment` also consults a reverse-merge
    // map, but every merged symbol is a vocabulary piece by construction, so only the direct
    // lookup and the byte fallback can fire.
    let mut i = if symbols.is_empty() { None } else { Some(0) };
    while let Some(idx) = i {
        let s = symbols[idx];
        let piece = &text[s.start..s.start + s.len];
        match lookup(piece) {
            Some(id) => out.push(id),
            None => {
                for &b in piece.as_bytes() {
                    out.push(byte_token(b)?);
                }
            }
        }
        i = s.next;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_split_at_first_space_after_index_0() {
        let m = MergeRanks::new(&["a b", "ab c", "  x", "nospace", "Ġ ab"]);
        assert_eq!(m.rank("Ġ", "ab"), Some(4));
        assert_eq!(m.rank("a", "b"), Some(0));
        assert_eq!(m.rank("ab", "c"), Some(1));
        assert_eq!(m.rank(" ", "x"), Some(2));
        assert_eq!(m.rank("", ""), Some(3));
        assert_eq!(m.rank("b", "a"), None);
    }

    #[test]
    fn bpe_applies_lowest_rank_first() {
        // "abc": (b,c) has the better rank, so "a" + "bc" even though "ab" is also a merge.
        let m = MergeRanks::new(&["b c", "a b", "a bc"]);
        assert_eq!(bpe_pieces("abcab", &m), ["abc", "ab"]);
        let m = MergeRanks::new(&["a b", "b c"]);
        assert_eq!(bpe_pieces("abc", &m), ["ab", "c"]);
        assert_eq!(bpe_pieces("", &m), Vec::<&str>::new());
    }

    #[test]
    fn spm_prefers_high_scores_and_falls_back_to_bytes() {
        let vocab = [
            ("▁", -1.0f32),
            ("a", -1.0),
            ("b", -1.0),
            ("ab", -2.0),
            ("▁a", -0.5),
        ];
        let lookup = |s: &str| {
            vocab
                .iter()
                .position(|(t, _)| *t == s)
                .map(|i| i as TokenId)
        };
        let score = |id: TokenId| vocab[id as usize].1;
        let byte = |b: u8| Ok(100 + b as TokenId);
        let mut out = vec![];
        spm_tokenize("▁abz", &lookup, &score, &byte, &mut out).unwrap();
        // "▁a" (-0.5) beats "ab" (-2.0); 'z' is not a piece: byte fallback.
        assert_eq!(out, [4, 2, 100 + b'z' as TokenId]);
    }
}
