//! The few Unicode facts the tokenizers need: general category classes, llama.cpp's whitespace set
//! and GPT-2's byte↔unicode mapping.
//!
//! The category table (`unicode_table.rs`, 2272 runs × 4 bytes ≈ 9 KiB of wasm data) is generated
//! by `scripts/gen_tokenizer_fixtures.py unicode` from Unicode 15.1.0, the version llama.cpp's
//! `src/unicode-data.cpp` was generated from, so `\p{L}`/`\p{N}`/… agree with llama.cpp exactly.

use super::unicode_table::CATEGORY_RUNS;

/// A code point's major general category, as llama.cpp's `unicode_cpt_flags` (src/unicode.h)
/// distinguishes them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Category {
    /// Cn: unassigned (llama.cpp's UNDEFINED).
    Unassigned = 0,
    Number = 1,
    Letter = 2,
    Separator = 3,
    Mark = 4,
    Punctuation = 5,
    Symbol = 6,
    /// Cc, Cf, Cs, Co.
    Other = 7,
}

/// Category of a code point (binary search over the run table).
pub(crate) fn category(c: char) -> Category {
    let cp = c as u32;
    // Index of the last run starting at or before `cp`; the first run starts at 0.
    let idx = CATEGORY_RUNS.partition_point(|&e| (e >> 3) <= cp) - 1;
    match CATEGORY_RUNS[idx] & 7 {
        0 => Category::Unassigned,
        1 => Category::Number,
        2 => Category::Letter,
        3 => Category::Separator,
        4 => Category::Mark,
        5 => Category::Punctuation,
        6 => Category::Symbol,
        _ => Category::Other,
    }
}

/// llama.cpp's `\s`: the White_Space property of PropList.txt, as listed in
/// `scripts/gen-unicode-data.py` (table_whitespace).
pub(crate) fn is_whitespace(c: char) -> bool {
    matches!(
        c as u32,
        0x09..=0x0D
            | 0x20
            | 0x85
            | 0xA0
            | 0x1680
            | 0x2000..=0x200A
            | 0x2028
            | 0x2029
            | 0x202F
            | 0x205F
            | 0x3000
    )
}

/// The flags llama.cpp's hand-written pre-tokenizers look at for one position. A position outside
/// the current chunk has no flags at all (llama.cpp returns an all-zero `unicode_cpt_flags`), which
/// is what `valid == false` models.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Flags {
    pub valid: bool,
    pub letter: bool,
    pub number: bool,
    pub whitespace: bool,
}

impl Flags {
    pub(crate) fn of(c: char) -> Flags {
        let cat = category(c);
        Flags {
            valid: true,
            letter: cat == Category::Letter,
            number: cat == Category::Number,
            whitespace: is_whitespace(c),
        }
    }
}

/// GPT-2's reversible byte → printable code point mapping (src/unicode.cpp
/// `unicode_byte_to_utf8_map`): printable Latin-1 bytes map to themselves, the other 68 bytes to
/// U+0100.. in byte order.
pub(crate) fn byte_to_char(b: u8) -> char {
    BYTE_TO_CHAR[b as usize]
}

/// Inverse of [`byte_to_char`]; `None` for code points that no byte maps to.
pub(crate) fn char_to_byte(c: char) -> Option<u8> {
    let cp = c as u32;
    if cp < 0x100 {
        let b = cp as u8;
        if is_printable_byte(b) { Some(b) } else { None }
    } else if cp < 0x100 + 68 {
        // The n-th non-printable byte (in byte order) maps to U+0100 + n.
        Some(NON_PRINTABLE_BYTES[(cp - 0x100) as usize])
    } else {
        None
    }
}

fn is_printable_byte(b: u8) -> bool {
    matches!(b, 0x21..=0x7E | 0xA1..=0xAC | 0xAE..=0xFF)
}

/// The 68 bytes that GPT-2 remaps, in byte order.
static NON_PRINTABLE_BYTES: [u8; 68] = {
    let mut table = [0u8; 68];
    let mut n = 0usize;
    let mut b = 0usize;
    while b < 256 {
        if !matches!(b as u8, 0x21..=0x7E | 0xA1..=0xAC | 0xAE..=0xFF) {
            table[n] = b as u8;
            n += 1;
        }
        b += 1;
    }
    table
};

static BYTE_TO_CHAR: [char; 256] = {
    let mut table = ['\0'; 256];
    let mut n = 0u32;
    let mut b = 0usize;
    while b < 256 {
        let byte = b as u8;
        let printable = matches!(byte, 0x21..=0x7E | 0xA1..=0xAC | 0xAE..=0xFF);
        let cp = if printable {
            b as u32
        } else {
            n += 1;
            0x100 + n - 1
        };
        table[b] = match char::from_u32(cp) {
            Some(c) => c,
            None => '\0',
        };
        b += 1;
    }
    table
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_of_known_code_points() {
        assert_eq!(category('a'), Category::Letter);
        assert_eq!(category('Z'), Category::Letter);
        assert_eq!(category('7'), Category::Number);
        assert_eq!(category('½'), Category::Number);
        assert_eq!(category('٣'), Category::Number);
        assert_eq!(category(' '), Category::Separator);
        assert_eq!(category('\n'), Category::Other);
        assert_eq!(category('!'), Category::Punctuation);
        assert_eq!(category('$'), Category::Symbol);
        assert_eq!(category('`'), Category::Symbol);
        assert_eq!(category('\u{301}'), Category::Mark);
        assert_eq!(category('中'), Category::Letter);
        assert_eq!(category('😀'), Category::Symbol);
        assert_eq!(category('\u{378}'), Category::Unassigned);
        assert_eq!(category('\u{10FFFF}'), Category::Unassigned);
        // Added in Unicode 15.1 (CJK Extension I): a letter here, unassigned in Unicode 14.
        assert_eq!(category('\u{2EBF0}'), Category::Letter);
    }

    #[test]
    fn whitespace_set() {
        for c in ['\t', '\n', '\r', ' ', '\u{a0}', '\u{3000}', '\u{85}'] {
            assert!(is_whitespace(c), "{c:?}");
        }
        for c in ['a', '\u{200b}', '_', '\0'] {
            assert!(!is_whitespace(c), "{c:?}");
        }
    }

    #[test]
    fn byte_mapping_round_trips() {
        assert_eq!(byte_to_char(b'a'), 'a');
        assert_eq!(byte_to_char(b' '), 'Ġ');
        assert_eq!(byte_to_char(b'\n'), 'Ċ');
        assert_eq!(byte_to_char(0), '\u{100}');
        assert_eq!(byte_to_char(0xAD), '\u{143}');
        for b in 0..=255u8 {
            assert_eq!(char_to_byte(byte_to_char(b)), Some(b));
        }
        assert_eq!(char_to_byte('中'), None);
        assert_eq!(char_to_byte('\u{144}'), None);
    }
}
