//! Text analysis that needs no dictionary.
//!
//! Text is normalised per character (NFKC, so full-width Latin and
//! half-width katakana fold to their usual forms; lower case; katakana
//! folded to hiragana), then split:
//!
//! * runs of letters and digits of alphabetic scripts become words
//!   (English words are then stemmed);
//! * runs of Han, kana and Hangul become overlapping two-character tokens
//!   (bigrams) with consecutive positions, so a phrase query of the
//!   bigrams of any substring of two or more characters finds it
//!   (強制送還 → 強制 制送 送還), whether or not a dictionary would have
//!   cut the text there. A run of one character is one token.
//!
//! Offsets point into the original text, for highlighting.

use tantivy::tokenizer::{Language, RemoveLongFilter, Stemmer, TextAnalyzer, Token, TokenStream, Tokenizer};
use unicode_normalization::UnicodeNormalization;

/// Name under which the analyzer is registered in the index.
pub const ANALYZER: &str = "refuge";

/// The analyzer used for every text field, at index and query time.
pub fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(CjkBigramTokenizer)
        .filter(RemoveLongFilter::limit(48))
        .filter(Stemmer::new(Language::English))
        .build()
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Class {
    Cjk,
    Word,
    Other,
}

fn class(c: char) -> Class {
    let u = u32::from(c);
    let cjk = matches!(u,
        0x3040..=0x30FF   // hiragana, katakana (incl. ー)
        | 0x31F0..=0x31FF // katakana phonetic extensions
        | 0x3400..=0x4DBF // CJK extension A
        | 0x4E00..=0x9FFF // CJK unified ideographs
        | 0xF900..=0xFAFF // compatibility ideographs
        | 0x20000..=0x3134F // extensions B–G
        | 0x1100..=0x11FF | 0x3130..=0x318F | 0xAC00..=0xD7AF // Hangul
        | 0x3005 | 0x3006 | 0x3007 // 々 〆 〇
    ) && !matches!(u, 0x30FB); // ・ is punctuation
    if cjk {
        Class::Cjk
    } else if c.is_alphanumeric() {
        Class::Word
    } else {
        Class::Other
    }
}

/// Katakana → hiragana, so ナンミン and なんみん match.
fn fold_kana(c: char) -> char {
    match u32::from(c) {
        u @ 0x30A1..=0x30F6 => char::from_u32(u - 0x60).unwrap_or(c),
        _ => c,
    }
}

/// Normalised characters with the byte range of the original text each
/// one came from.
pub(crate) fn normalise(text: &str) -> Vec<(char, usize, usize)> {
    let mut out: Vec<(char, usize, usize)> = Vec::with_capacity(text.len());
    let mut buf = [0u8; 4];
    for (start, original) in text.char_indices() {
        let end = start + original.len_utf8();
        // Fast paths: ASCII, and ideographs and full-width kana, are
        // already in NFKC form.
        if original.is_ascii() {
            out.push((original.to_ascii_lowercase(), start, end));
            continue;
        }
        if matches!(u32::from(original), 0x4E00..=0x9FFF | 0x3041..=0x3096 | 0x30A1..=0x30FA | 0x30FC) {
            out.push((fold_kana(original), start, end));
            continue;
        }
        let single: &str = original.encode_utf8(&mut buf);
        for c in single.nfkc() {
            // Half-width voiced marks come as separate characters: compose
            // them with the character before (ｶﾞ → ガ).
            if matches!(c, '\u{3099}' | '\u{309A}') {
                if let Some(last) = out.last_mut()
                    && let Some(composed) = unicode_normalization::char::compose(last.0, c)
                {
                    *last = (composed, last.1, end);
                }
                continue;
            }
            for lower in c.to_lowercase() {
                out.push((fold_kana(lower), start, end));
            }
        }
    }
    // Re-fold voiced kana produced by composition above.
    for item in &mut out {
        item.0 = fold_kana(item.0);
    }
    out
}

/// Splits text into word and bigram tokens (see the module docs).
pub fn tokens(text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    for_each_token(text, |position, token, offset_from, offset_to| {
        tokens.push(Token { offset_from, offset_to, position, text: token.to_owned(), position_length: 1 });
    });
    tokens
}

/// Calls `f(position, text, from, to)` for each token, reusing one buffer
/// (no allocation per token), for scanning text quickly.
pub fn for_each_token(text: &str, mut f: impl FnMut(usize, &str, usize, usize)) {
    let chars = normalise(text);
    let mut buffer = String::with_capacity(64);
    let mut position = 0;
    let mut i = 0;
    while i < chars.len() {
        let kind = class(chars[i].0);
        let mut j = i + 1;
        while j < chars.len() && class(chars[j].0) == kind {
            j += 1;
        }
        match kind {
            Class::Other => {}
            Class::Word => {
                buffer.clear();
                buffer.extend(chars[i..j].iter().map(|c| c.0));
                f(position, &buffer, chars[i].1, chars[j - 1].2);
                position += 1;
            }
            Class::Cjk if j - i == 1 => {
                buffer.clear();
                buffer.push(chars[i].0);
                f(position, &buffer, chars[i].1, chars[i].2);
                position += 1;
            }
            Class::Cjk => {
                for k in i..j - 1 {
                    buffer.clear();
                    buffer.push(chars[k].0);
                    buffer.push(chars[k + 1].0);
                    f(position, &buffer, chars[k].1, chars[k + 1].2);
                    position += 1;
                }
            }
        }
        i = j;
    }
}

/// The tokenizer behind [`analyzer`].
#[derive(Clone, Default)]
pub struct CjkBigramTokenizer;

/// Tokens of one text, produced eagerly.
pub struct VecTokenStream {
    tokens: Vec<Token>,
    index: usize,
}

impl TokenStream for VecTokenStream {
    fn advance(&mut self) -> bool {
        if self.index < self.tokens.len() {
            self.index += 1;
            true
        } else {
            false
        }
    }

    fn token(&self) -> &Token {
        &self.tokens[self.index - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.index - 1]
    }
}

impl Tokenizer for CjkBigramTokenizer {
    type TokenStream<'a> = VecTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecTokenStream {
        VecTokenStream { tokens: tokens(text), index: 0 }
    }
}

/// Whether a character starts a CJK run (for single-character queries).
pub(crate) fn is_cjk(c: char) -> bool {
    class(c) == Class::Cjk
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(text: &str) -> Vec<(String, usize)> {
        tokens(text).into_iter().map(|t| (t.text, t.position)).collect()
    }

    fn analysed(text: &str) -> Vec<String> {
        let mut a = analyzer();
        let mut stream = a.token_stream(text);
        let mut out = Vec::new();
        while stream.advance() {
            out.push(stream.token().text.clone());
        }
        out
    }

    #[test]
    fn bigrams_with_positions() {
        assert_eq!(texts("強制送還"), vec![("強制".into(), 0), ("制送".into(), 1), ("送還".into(), 2)]);
        assert_eq!(texts("米"), vec![("米".into(), 0)]);
    }

    #[test]
    fn mixed_scripts_split_cleanly() {
        let t: Vec<String> = texts("北朝鮮のrefugees、UNHCR報告2024年").into_iter().map(|t| t.0).collect();
        assert_eq!(t, ["北朝", "朝鮮", "鮮の", "refugees", "unhcr", "報告", "2024", "年"]);
    }

    #[test]
    fn width_case_and_kana_are_folded() {
        assert_eq!(texts("ＵＮＨＣＲ")[0].0, "unhcr");
        assert_eq!(texts("ﾅﾝﾐﾝ"), texts("ナンミン"));
        assert_eq!(texts("ナンミン"), texts("なんみん"));
        assert_eq!(texts("ｶﾞｲﾄﾞ"), texts("ガイド"));
        assert_eq!(texts("１２３"), texts("123"));
    }

    #[test]
    fn offsets_point_into_the_original() {
        let text = "Tokyo 東京都 ｶﾞｲﾄﾞ";
        for t in tokens(text) {
            assert!(text.is_char_boundary(t.offset_from) && text.is_char_boundary(t.offset_to), "{t:?}");
        }
        let toks = tokens(text);
        assert_eq!(&text[toks[1].offset_from..toks[1].offset_to], "東京");
        assert_eq!(&text[toks.last().unwrap().offset_from..toks.last().unwrap().offset_to], "ｲﾄﾞ");
    }

    #[test]
    fn english_is_stemmed() {
        assert_eq!(analysed("Refugees repatriated"), ["refuge", "repatri"]);
        assert_eq!(analysed("repatriation"), ["repatri"]);
    }

    #[test]
    fn punctuation_and_empty_text() {
        assert!(tokens("").is_empty());
        assert!(tokens("、。・「」!?").is_empty());
        assert_eq!(texts("「難民」"), vec![("難民".into(), 0)]);
    }
}
