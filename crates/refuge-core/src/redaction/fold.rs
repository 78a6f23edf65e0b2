//! Folding: every letter and digit of a text kept, normalised (NFKC;
//! accents dropped from Latin, Greek and Cyrillic; lower case; katakana
//! as hiragana), everything else dropped. The guard folds pages and
//! names alike with it.

use unicode_normalization::UnicodeNormalization;

/// Combining accents (dropped from Latin, Greek and Cyrillic letters),
/// and characters that show nothing (soft hyphen, zero-width spaces and
/// joiners, word joiner, byte-order mark): neither is a separator, so
/// `Ji\u{200B}hoon` is `Jihoon`.
pub(crate) fn is_accent(c: char) -> bool {
    matches!(c as u32,
        0x300..=0x36F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F
        | 0xAD | 0x200B..=0x200F | 0x2060..=0x2064 | 0xFEFF)
}

/// Appends the folded form of `c` to `out` (nothing for a separator).
pub(crate) fn fold_char(c: char, out: &mut String) {
    if c.is_ascii() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        }
        return;
    }
    // Han, Hangul syllables and hiragana are their own folded form: the
    // common case of CJK text, without the normalisation tables.
    if matches!(c as u32, 0x4E00..=0x9FFF | 0xAC00..=0xD7A3 | 0x3041..=0x3096) {
        out.push(c);
        return;
    }
    if let k @ 0x30A1..=0x30F6 = c as u32 {
        out.push(char::from_u32(k - 0x60).unwrap_or(c));
        return;
    }
    if is_accent(c) {
        return;
    }
    // Voiced sound marks (also half-width) join the kana before them.
    let voiced = match c {
        '\u{FF9E}' | '\u{309B}' | '\u{3099}' => Some('\u{3099}'),
        '\u{FF9F}' | '\u{309C}' | '\u{309A}' => Some('\u{309A}'),
        _ => None,
    };
    if let Some(mark) = voiced {
        if let Some(last) = out.pop() {
            out.extend([last, mark].into_iter().nfc());
        }
        return;
    }
    let latin_like = matches!(c as u32, 0x80..=0x52F | 0x1E00..=0x1FFF);
    let mut push = |d: char| {
        if is_accent(d) || !d.is_alphanumeric() {
            return;
        }
        for lower in d.to_lowercase() {
            // Katakana as hiragana: the same name in either.
            let folded = match lower as u32 {
                k @ 0x30A1..=0x30F6 => char::from_u32(k - 0x60).unwrap_or(lower),
                _ => lower,
            };
            out.push(folded);
        }
    };
    if latin_like {
        std::iter::once(c).nfkd().for_each(&mut push);
    } else {
        std::iter::once(c).nfkc().for_each(&mut push);
    }
}

/// Every letter and digit of `text`, folded, without separators.
pub(crate) fn fold_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        fold_char(c, &mut out);
    }
    out
}
