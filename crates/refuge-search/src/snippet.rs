//! Highlighted snippets: a window of a document's text around the first
//! match, as plain-text segments the renderer escapes and marks.

use tantivy::tokenizer::TokenStream;

use crate::Segment;
use crate::analysis::analyzer;

/// Byte ranges of `text` where a whole clause matches (every token of
/// the clause, at consecutive positions), merged. A partial match of a
/// phrase (強制 of 強制送還 in 強制労働) is not marked.
fn hit_ranges(text: &str, clauses: &[Vec<String>]) -> Vec<(usize, usize)> {
    // Tokenise without stemming, and stem only the words that could
    // match: stems keep the first letters of their word, so a word whose
    // start differs from every query stem cannot match one.
    let prefixes: Vec<&str> = clauses.iter().flatten().filter(|t| t.is_ascii()).map(|t| &t[..t.len().min(3)]).collect();
    let mut stemmer = analyzer();
    // Only tokens that equal a query token (after stemming) are kept.
    // Queries have a handful of tokens: a linear scan beats hashing.
    let mut wanted: Vec<&str> = clauses.iter().flatten().map(String::as_str).collect();
    wanted.sort_unstable();
    wanted.dedup();
    let single: Vec<char> = wanted
        .iter()
        .filter(|w| !w.is_ascii())
        .filter_map(|w| {
            let mut c = w.chars();
            c.next().filter(|_| c.next().is_none())
        })
        .collect();
    let mut tokens: Vec<(usize, String, usize, usize)> = Vec::new();
    crate::analysis::for_each_token(text, |position, token, from, to| {
        let matched = if token.is_ascii() && prefixes.iter().any(|p| token.starts_with(p)) {
            let mut stream = stemmer.token_stream(token);
            stream.advance().then(|| stream.token().text.clone()).filter(|s| wanted.contains(&s.as_str()))
        } else if wanted.contains(&token) {
            Some(token.to_owned())
        } else {
            // One-character CJK clauses match inside a bigram.
            single.iter().find(|c| token.contains(**c)).map(char::to_string)
        };
        if let Some(text) = matched {
            tokens.push((position, text, from, to));
        }
    });
    let mut found: Vec<(usize, usize)> = Vec::new();
    for clause in clauses.iter().filter(|c| !c.is_empty()) {
        for start in 0..tokens.len() {
            let whole = clause.iter().enumerate().all(|(j, want)| {
                tokens.get(start + j).is_some_and(|t| {
                    let in_sequence = j == 0 || t.0 == tokens[start].0 + j;
                    in_sequence && t.1 == *want
                })
            });
            if whole {
                found.push((tokens[start].2, tokens[start + clause.len() - 1].3));
            }
        }
    }
    found.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::new();
    for (from, to) in found {
        match merged.last_mut() {
            Some(last) if from <= last.1 => last.1 = last.1.max(to),
            _ => merged.push((from, to)),
        }
    }
    merged
}

/// The analysed tokens of each clause of a query, for [`snippet`].
pub fn clause_tokens(clauses: &[String]) -> Vec<Vec<String>> {
    clauses
        .iter()
        .map(|c| {
            let mut a = analyzer();
            let mut stream = a.token_stream(c);
            let mut out = Vec::new();
            while stream.advance() {
                out.push(stream.token().text.clone());
            }
            out
        })
        .collect()
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

/// Fills each hit's snippet from its text in `store` (bodies are not
/// stored in the index), marking where the whole of a query clause
/// appears.
pub fn fill_snippets(
    results: &mut crate::SearchResults,
    query: &str,
    store: &dyn refuge_core::ContentReads,
) -> Result<(), refuge_core::StoreError> {
    let clauses = clause_tokens(&crate::query::parse(query).required);
    let keys: Vec<refuge_core::search::DocKey> = results.hits.iter().map(|h| h.key).collect();
    let texts = store.search_texts(&keys)?;
    for hit in &mut results.hits {
        let Some((_, summary, body)) = texts.iter().find(|(k, _, _)| *k == hit.key) else { continue };
        let hidden = refuge_core::redaction::Redaction::hidden(&hit.lang);
        let body = refuge_core::markdown::to_plain_text(body, hidden);
        hit.snippet = snippet(&body, &clauses, 180);
        if !hit.snippet.iter().any(|s| s.hit) && !summary.trim().is_empty() {
            // Summaries are shown as written, but never with a full name.
            hit.snippet = snippet(&hidden.cow(summary), &clauses, 180);
        }
    }
    Ok(())
}

/// A window of about `width` characters of `text` around its first match
/// of `clauses`, or its beginning when nothing matches.
// Long on purpose: one pass choosing the best window; its steps share state.
pub fn snippet(text: &str, clauses: &[Vec<String>], width: usize) -> Vec<Segment> {
    let text = text.trim();
    if text.is_empty() {
        return Vec::new();
    }
    // Look for the first match in growing pieces: most matches come early,
    // and analysing a whole long text for each hit would be wasted work.
    let mut scanned = 0;
    let mut ranges = Vec::new();
    while scanned < text.len() && ranges.is_empty() {
        let end = ceil_boundary(text, (scanned.max(1) * 4).max(768).min(text.len()));
        // Re-scan a little before `scanned` so a match across the cut is found.
        let from = floor_boundary(text, scanned.saturating_sub(64));
        ranges = hit_ranges(&text[from..end], clauses).into_iter().map(|(a, b)| (a + from, b + from)).collect();
        scanned = end;
    }
    if let Some(&(first, _)) = ranges.first() {
        // Every match within the window after the first.
        let window_end = ceil_boundary(text, (first + width * 4).min(text.len()));
        let from = floor_boundary(text, first);
        ranges = hit_ranges(&text[from..window_end], clauses).into_iter().map(|(a, b)| (a + from, b + from)).collect();
        if ranges.is_empty() {
            ranges.push((first, first));
        }
    }
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

    fn terms(clauses: &[&str]) -> Vec<Vec<String>> {
        clause_tokens(&clauses.iter().map(|c| (*c).to_owned()).collect::<Vec<_>>())
    }

    fn render(segments: &[Segment]) -> String {
        segments.iter().map(|s| if s.hit { format!("[{}]", s.text) } else { s.text.clone() }).collect()
    }

    #[test]
    fn marks_stemmed_english_matches() {
        let s = snippet("Eleven refugees were repatriated last week.", &terms(&["refugee", "repatriation"]), 200);
        assert_eq!(render(&s), "Eleven [refugees] were [repatriated] last week.");
    }

    #[test]
    fn merges_overlapping_bigrams() {
        let s = snippet("彼らは強制送還の危険にある。強制労働も。", &terms(&["強制送還"]), 200);
        assert_eq!(render(&s), "彼らは[強制送還]の危険にある。強制労働も。", "a partial phrase is not marked");
        let s = snippet("送還と強制", &terms(&["強制", "送還"]), 200);
        assert_eq!(render(&s), "[送還]と[強制]");
    }

    #[test]
    fn windows_long_text_around_the_hit() {
        let text = format!("{} needle {}", "word ".repeat(200), "tail ".repeat(200));
        let s = render(&snippet(&text, &terms(&["needle"]), 80));
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
