//! Finding a protected name in text or in a page, in any spelling: any
//! spacing, hyphens, middle dots, case, accents or character width.
//!
//! Both sides are *folded* the same way: every letter and digit is kept,
//! normalised (NFKC; accents dropped from Latin, Greek and Cyrillic;
//! lower case; katakana as hiragana), and everything else — spaces,
//! punctuation, tags — is a separator that disappears. A name in Han,
//! Hangul or kana is then found anywhere in the folded text; a name in
//! Latin letters only as whole words (`min` is not found in
//! `administration`), which may be written apart or together (`Ji-hoon`,
//! `Ji hoon`, `Jihoon`) as long as each piece has two letters or more.

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};

use super::fold::{fold_char, is_accent};
use super::names::{Part, identifying_parts, is_cjk};

/// A text folded, with where its words begin and end.
struct Folded {
    text: String,
    /// Byte offsets in `text` where a word begins or ends, ascending.
    bounds: Vec<usize>,
}

fn fold_with_bounds(text: &str) -> Folded {
    let mut out = String::with_capacity(text.len());
    let mut bounds = vec![0];
    let mut apart = true;
    let mut last_cjk = false;
    for c in text.chars() {
        let before = out.len();
        fold_char(c, &mut out);
        if out.len() == before {
            if !is_accent(c) {
                apart = true;
            }
            continue;
        }
        let cjk = is_cjk(c);
        if (apart || cjk != last_cjk) && bounds.last() != Some(&before) {
            bounds.push(before);
        }
        apart = false;
        last_cjk = cjk;
    }
    if bounds.last() != Some(&out.len()) {
        bounds.push(out.len());
    }
    Folded { text: out, bounds }
}

impl Folded {
    /// Whether `start..end` is whole words whose pieces have two letters
    /// or more each.
    fn whole_words(&self, start: usize, end: usize) -> bool {
        let (Ok(first), Ok(last)) = (self.bounds.binary_search(&start), self.bounds.binary_search(&end)) else {
            return false;
        };
        self.bounds[first..=last].windows(2).all(|w| self.text[w[0]..w[1]].chars().count() >= 2)
    }
}

/// A protected name found: which, and which part of it (the editor is
/// told; a reader never is).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    pub name: String,
    /// The part found as the name gives it (`Ji-hoon`), or the whole name.
    pub part: String,
}

/// Every protected name's identifying parts, searched at once.
#[derive(Clone, Debug, Default)]
pub struct NameGuard {
    names: Vec<String>,
    parts: Vec<(usize, Part)>,
    matcher: Option<AhoCorasick>,
    /// The matcher could not be built (it always can for these sizes):
    /// then every text is refused rather than none.
    broken: bool,
}

impl NameGuard {
    /// A guard for these names (each as written inside `[[name:…]]`).
    pub fn new<I, S>(names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut guard = NameGuard::default();
        for name in names {
            let name = name.as_ref().trim();
            if name.is_empty() || guard.names.iter().any(|n| n == name) {
                continue;
            }
            let index = guard.names.len();
            guard.names.push(name.to_owned());
            guard.parts.extend(identifying_parts(name).into_iter().map(|p| (index, p)));
        }
        if !guard.parts.is_empty() {
            let patterns: Vec<&str> = guard.parts.iter().map(|(_, p)| p.folded.as_str()).collect();
            guard.matcher = AhoCorasick::builder()
                .match_kind(MatchKind::Standard)
                .kind(Some(AhoCorasickKind::DFA))
                .build(patterns)
                .ok();
            guard.broken = guard.matcher.is_none();
        }
        guard
    }

    /// How many names it protects.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The first protected name (or identifying part of one) in `text`.
    /// Percent-encoded text (`%EA%B9%80`) is read decoded as well.
    pub fn find_in_text(&self, text: &str) -> Option<Found> {
        if self.broken {
            return Some(Found { name: self.names[0].clone(), part: "(the name guard could not be built)".into() });
        }
        let matcher = self.matcher.as_ref()?;
        let found = self.search(matcher, text);
        if found.is_some() || !text.contains('%') {
            return found;
        }
        let decoded = percent_encoding::percent_decode_str(text).decode_utf8_lossy();
        self.search(matcher, &decoded)
    }

    /// The first protected name in a page about to be sent: HTML or XML
    /// (text, attribute values, comments; entities and percent-encoding
    /// decoded) or, for any other type, its text.
    pub fn find_in_page(&self, content_type: &str, body: &[u8]) -> Option<Found> {
        if self.matcher.is_none() && !self.broken {
            return None;
        }
        if self.broken {
            return self.find_in_text("");
        }
        let matcher = self.matcher.as_ref()?;
        let markup = content_type.contains("html") || content_type.contains("xml");
        let text = if markup {
            visible(body)
        } else {
            let mut text = String::new();
            push_decoded(&String::from_utf8_lossy(body), &mut text);
            text
        };
        // `visible` and `push_decoded` add the decoded form of whatever is
        // percent-encoded: one search reads both.
        self.search(matcher, &text)
    }

    fn search(&self, matcher: &AhoCorasick, text: &str) -> Option<Found> {
        let folded = fold_with_bounds(text);
        for m in matcher.find_overlapping_iter(&folded.text) {
            let (index, part) = &self.parts[m.pattern().as_usize()];
            if !part.whole_words || folded.whole_words(m.start(), m.end()) {
                return Some(Found { name: self.names[*index].clone(), part: part.shown.clone() });
            }
        }
        None
    }
}

/// The text of HTML or XML as a reader or a program could see it: the
/// text between tags, every attribute value (alt, title, href, content…)
/// and comments, each with entities and percent-encoding decoded.
fn visible(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut out = String::with_capacity(text.len());
    let mut rest: &str = &text;
    while let Some(lt) = rest.find('<') {
        push_decoded(&rest[..lt], &mut out);
        let after = &rest[lt..];
        let special = [("<!--", "-->"), ("<![CDATA[", "]]>")]
            .into_iter()
            .find_map(|(open, close)| after.strip_prefix(open).map(|inner| (inner, close)));
        if let Some((inner, close)) = special {
            let end = inner.find(close).unwrap_or(inner.len());
            out.push('\n');
            push_decoded(&inner[..end], &mut out);
            out.push('\n');
            rest = inner.get(end + close.len()..).unwrap_or("");
            continue;
        }
        let end = after.find('>').map_or(after.len(), |e| e + 1);
        out.push('\n');
        attribute_values(&after[..end], &mut out);
        rest = &after[end..];
    }
    push_decoded(rest, &mut out);
    out
}

/// Appends the values of a tag's attributes, each on a line of its own.
fn attribute_values(tag: &str, out: &mut String) {
    let mut rest = tag;
    while let Some(eq) = rest.find('=') {
        let value = rest[eq + 1..].trim_start();
        let (inner, after) = match value.chars().next() {
            Some(q @ ('"' | '\'')) => {
                let body = &value[1..];
                let end = body.find(q).unwrap_or(body.len());
                (&body[..end], body.get(end + 1..).unwrap_or(""))
            }
            _ => {
                let end = value.find(|c: char| c.is_whitespace() || c == '>').unwrap_or(value.len());
                (&value[..end], &value[end..])
            }
        };
        push_decoded(inner, out);
        out.push('\n');
        rest = after;
    }
}

fn push_decoded(text: &str, out: &mut String) {
    let decoded = decode_entities(text);
    if decoded.contains('%') {
        out.push_str(&decoded);
        out.push('\n');
        out.push_str(&percent_encoding::percent_decode_str(&decoded).decode_utf8_lossy());
    } else {
        out.push_str(&decoded);
    }
}

/// HTML's character references: numeric ones and the few named ones the
/// templates and the sanitiser write.
fn decode_entities(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains('&') {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let end = after.find(';').filter(|e| *e <= 10);
        let decoded = end.and_then(|e| {
            let name = &after[..e];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some(' '),
                _ => name
                    .strip_prefix("#x")
                    .or_else(|| name.strip_prefix("#X"))
                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                    .or_else(|| name.strip_prefix('#').and_then(|d| d.parse().ok()))
                    .and_then(char::from_u32),
            };
            c.map(|c| (c, e))
        });
        match decoded {
            Some((c, e)) => {
                out.push(c);
                rest = &after[e + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::redaction::fold::fold_text;

    #[test]
    fn folding_ignores_case_width_accents_and_separators() {
        assert_eq!(fold_text("Ji-hoon"), "jihoon");
        assert_eq!(fold_text("ＪＩ　ＨＯＯＮ"), "jihoon");
        assert_eq!(fold_text("Nguyễn Văn"), "nguyenvan");
        assert_eq!(fold_text("ヤマダ・ハナコ"), "やまだはなこ");
        assert_eq!(fold_text("ﾔﾏﾀﾞ"), fold_text("ヤマダ"));
        assert_eq!(fold_text("김 민지"), "김민지");
        assert_eq!(fold_text("Ли Мин"), "лимин");
    }

    #[test]
    fn markup_is_read_as_a_reader_would() {
        let page = br#"<p title="Ji&#45;hoon">A <em>photo</em> &amp; more</p><img alt="Photo of Park Jihoon" src="/a%20b"><!-- Park --><a href="/ko/%EA%B9%80%EB%AF%BC%EC%A7%80/">x</a>"#;
        let seen = visible(page);
        assert!(seen.contains("Ji-hoon"), "{seen}");
        assert!(seen.contains("photo") && seen.contains("& more"), "{seen}");
        assert!(seen.contains("Photo of Park Jihoon"), "{seen}");
        assert!(seen.contains(" Park "), "{seen}");
        assert!(seen.contains("김민지"), "{seen}");
    }

    #[test]
    fn latin_names_are_found_as_whole_words_only() {
        let guard = NameGuard::new(["Park Ji-hoon"]);
        for leak in
            ["Ji-hoon", "jihoon", "JI HOON", "park-ji-hoon", "/en/appeals/urgent-park-ji-hoon-faces/", "Jihoon's"]
        {
            assert!(guard.find_in_text(leak).is_some(), "{leak}");
        }
        assert!(guard.find_in_text("J\u{200B}i-hoo\u{AD}n").is_some(), "invisible characters change nothing");
        for fine in ["Park", "Mr Park said", "jihoonism", "Ji", "a hoon", "J-i-hoon"] {
            assert!(guard.find_in_text(fine).is_none(), "{fine}");
        }
    }

    #[test]
    fn cjk_names_are_found_anywhere() {
        let guard = NameGuard::new(["김민지", "山田 花子", "李明"]);
        assert!(guard.find_in_text("어제 김민지 씨가").is_some());
        assert!(guard.find_in_text("민지는").is_some(), "the given name alone");
        assert!(guard.find_in_text("김 씨").is_none(), "the family name alone");
        assert!(guard.find_in_text("花子さん").is_some());
        assert!(guard.find_in_text("ﾔﾏﾀﾞ").is_none());
        assert!(guard.find_in_text("山田さんは").is_none(), "the family name alone");
        assert!(guard.find_in_text("李 明").is_some());
        assert!(guard.find_in_text("明日、李さんが").is_none(), "a one-character given name is not searched alone");
    }

    #[test]
    fn pages_are_searched_after_decoding() {
        let guard = NameGuard::new(["김민지"]);
        let page = b"<link rel=canonical href=\"https://x/ko/appeals/%EA%B9%80%EB%AF%BC%EC%A7%80/\">";
        assert!(guard.find_in_page("text/html; charset=utf-8", page).is_some());
        assert!(guard.find_in_page("text/plain", "Dear &#44608;&#48124;&#51648;".as_bytes()).is_some());
        assert!(guard.find_in_page("text/html", b"<p>nothing</p>").is_none());
        assert!(NameGuard::new(Vec::<String>::new()).find_in_page("text/html", b"<p>x</p>").is_none());
    }
}
