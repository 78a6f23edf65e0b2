//! Reading what a reader typed. Never fails: unbalanced quotes close at
//! the end, lone operators are ignored, control characters are dropped,
//! and anything too long is cut.
//!
//! * words are all required: `forced return` finds pages with both;
//! * `"quoted words"` must appear together, in order;
//! * `-word` or `-"some words"` excludes pages that have them;
//! * Japanese, Chinese or Korean text matches as a substring: 強制送還
//!   finds exactly that sequence, with or without spaces around it.

/// The longest query read, in characters.
pub const MAX_QUERY_CHARS: usize = 200;
/// The most clauses read from one query.
pub const MAX_CLAUSES: usize = 16;

/// A parsed query.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ParsedQuery {
    /// Each must appear (a word, or words in sequence).
    pub required: Vec<String>,
    /// None may appear.
    pub excluded: Vec<String>,
}

impl ParsedQuery {
    pub fn is_empty(&self) -> bool {
        self.required.is_empty()
    }
}

/// Cleans a raw query: no control characters, whitespace collapsed,
/// at most [`MAX_QUERY_CHARS`] characters.
pub fn clean(raw: &str) -> String {
    let text: String = raw
        .chars()
        .map(|c| if c.is_control() || c == '\u{3000}' { ' ' } else { c })
        .filter(|c| !matches!(c, '\u{200B}'..='\u{200F}' | '\u{FEFF}' | '\u{202A}'..='\u{202E}'))
        .take(MAX_QUERY_CHARS)
        .collect();
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Splits a cleaned query into required and excluded clauses.
pub fn parse(raw: &str) -> ParsedQuery {
    let text = clean(raw);
    let mut parsed = ParsedQuery::default();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() && parsed.required.len() + parsed.excluded.len() < MAX_CLAUSES {
        if chars[i] == ' ' {
            i += 1;
            continue;
        }
        let negated = chars[i] == '-' && i + 1 < chars.len() && chars[i + 1] != ' ';
        if negated {
            i += 1;
        }
        let quoted = matches!(chars[i], '"' | '“' | '”' | '「' | '＂');
        let clause: String = if quoted {
            i += 1;
            let start = i;
            while i < chars.len() && !matches!(chars[i], '"' | '“' | '”' | '」' | '＂') {
                i += 1;
            }
            let phrase = chars[start..i].iter().collect();
            i += 1;
            phrase
        } else {
            let start = i;
            while i < chars.len() && chars[i] != ' ' {
                i += 1;
            }
            chars[start..i].iter().collect()
        };
        let clause = clause.trim().to_owned();
        // Lone operators and punctuation carry nothing to search for.
        if !clause.chars().any(char::is_alphanumeric) {
            continue;
        }
        if negated { parsed.excluded.push(clause) } else { parsed.required.push(clause) }
    }
    parsed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(q: &str) -> (Vec<&'static str>, Vec<&'static str>) {
        let parsed = parse(q);
        let leak = |v: Vec<String>| v.into_iter().map(|s| &*Box::leak(s.into_boxed_str())).collect();
        (leak(parsed.required), leak(parsed.excluded))
    }

    #[test]
    fn words_phrases_and_exclusions() {
        assert_eq!(p("forced return"), (vec!["forced", "return"], vec![]));
        assert_eq!(p("\"forced return\" china"), (vec!["forced return", "china"], vec![]));
        assert_eq!(p("refugees -china"), (vec!["refugees"], vec!["china"]));
        assert_eq!(p("a -\"x y\" b"), (vec!["a", "b"], vec!["x y"]));
        assert_eq!(p("「強制送還」　難民"), (vec!["強制送還", "難民"], vec![]));
        assert_eq!(p("non-refoulement"), (vec!["non-refoulement"], vec![]));
    }

    #[test]
    fn malformed_input_is_plain_text() {
        assert_eq!(p("\"unbalanced quote"), (vec!["unbalanced quote"], vec![]));
        assert_eq!(p("- -- \" \"\" AND OR ( ) *"), (vec!["AND OR ( ) *"], vec![]), "an open quote closes at the end");
        assert_eq!(p("-- ( ) * ! ?"), (vec![], vec![]));
        assert_eq!(p("a\u{0}b\u{7}c\nd"), (vec!["a", "b", "c", "d"], vec![]));
        assert_eq!(p(""), (vec![], vec![]));
        assert_eq!(p("-"), (vec![], vec![]));
        assert_eq!(parse(&"x".repeat(10_000)).required[0].len(), MAX_QUERY_CHARS);
        assert_eq!(parse(&"a ".repeat(100)).required.len(), MAX_CLAUSES);
    }
}
