//! Highlighted snippets: a window of a document's text around the first
//! match, as plain-text segments the renderer escapes and marks.

use std::collections::HashSet;

use tantivy::tokenizer::TokenStream;

use crate::Segment;
use crate::analysis::analyzer;

/// Byte ranges of `text` whose analysed tokens are in `terms`, merged.
fn hit_ranges(text: &str, terms: &HashSet<String>) -> Vec<(usize, usize)> {
    let mut analyzer = analyzer();
    let mut stream = analyzer.token_stream(text);
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    while stream.advance() {
        let token = stream.token();
        if terms.contains(&token.text) {
            match ranges.last_mut() {
                Some(last) if token.offset_from <= last.1 => last.1 = last.1.max(token.offset_to),
                _ => ranges.push((token.offset_from, token.offset_to)),
            }
        }
    }
    ranges
}

fn floor_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_boundary(text: &str, mut i: usize) -> usize {
    while i < text.len() && !text.is_char_boundary(i) {
        i += 1;
    }
    i.min(text.len())
}

/// A window of about `width` characters of `text` around its first match
/// of `terms`, or its beginning when nothing matches.
pub fn snippet(text: &str, terms: &HashSet<String>, width: usize) -> Vec<Segment> {
    let text = text.trim();
    if text.is_empty() {
        return Vec::new();
    }
    let ranges = hit_ranges(text, terms);
    let char_len = |s: &str| s.chars().count();
    // Start a little before the first hit, at a word boundary if near.
    let start = match ranges.first() {
        Some(&(from, _)) => {
            let lead: Vec<(usize, char)> = text[..from].char_indices().collect();
            let back = lead.len().saturating_sub(width / 4);
            let mut s = lead.get(back).map_or(0, |c| c.0);
            if let Some(space) = text[s..from].find(char::is_whitespace)
                && space < 20
                && s > 0
            {
                s += space + 1;
            }
            s
        }
        None => 0,
    };
    let end = text[start..].char_indices().nth(width).map_or(text.len(), |(i, _)| start + i);
    let (start, end) = (floor_boundary(text, start), ceil_boundary(text, end));
    let mut segments = Vec::new();
    if start > 0 {
        segments.push(Segment { text: "…".into(), hit: false });
    }
    let mut cursor = start;
    for &(from, to) in &ranges {
        if to <= start || from >= end {
            continue;
        }
        let (from, to) = (from.max(start), to.min(end));
        if from > cursor {
            segments.push(Segment { text: text[cursor..from].to_owned(), hit: false });
        }
        segments.push(Segment { text: text[from..to].to_owned(), hit: true });
        cursor = to;
    }
    if cursor < end {
        segments.push(Segment { text: text[cursor..end].to_owned(), hit: false });
    }
    if end < text.len() {
        segments.push(Segment { text: "…".into(), hit: false });
    }
    // Collapse whitespace runs so snippets read as one line.
    for s in &mut segments {
        if s.text.contains(char::is_whitespace) && char_len(&s.text) > 1 {
            let lead = s.text.starts_with(char::is_whitespace);
            let trail = s.text.ends_with(char::is_whitespace);
            let mut joined = s.text.split_whitespace().collect::<Vec<_>>().join(" ");
            if lead {
                joined.insert(0, ' ');
            }
            if trail {
                joined.push(' ');
            }
            s.text = joined;
        }
    }
    segments
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(words: &[&str]) -> HashSet<String> {
        words.iter().map(|w| (*w).to_owned()).collect()
    }

    fn render(segments: &[Segment]) -> String {
        segments.iter().map(|s| if s.hit { format!("[{}]", s.text) } else { s.text.clone() }).collect()
    }

    #[test]
    fn marks_stemmed_english_matches() {
        let s = snippet("Eleven refugees were repatriated last week.", &terms(&["refuge", "repatri"]), 200);
        assert_eq!(render(&s), "Eleven [refugees] were [repatriated] last week.");
    }

    #[test]
    fn merges_overlapping_bigrams() {
        let s = snippet("彼らは強制送還の危険にある。", &terms(&["強制", "制送", "送還"]), 200);
        assert_eq!(render(&s), "彼らは[強制送還]の危険にある。");
    }

    #[test]
    fn windows_long_text_around_the_hit() {
        let text = format!("{} needle {}", "word ".repeat(200), "tail ".repeat(200));
        let s = render(&snippet(&text, &terms(&["needl"]), 80));
        assert!(s.starts_with('…') && s.ends_with('…') && s.contains("[needle]"), "{s}");
        assert!(s.chars().count() < 100, "{s}");
    }

    #[test]
    fn no_hit_gives_the_beginning() {
        let s = render(&snippet("Alpha beta gamma.", &terms(&["zeta"]), 5));
        assert_eq!(s, "Alpha…");
        assert!(snippet("   ", &terms(&["x"]), 5).is_empty());
    }
}
