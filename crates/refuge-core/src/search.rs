//! Plain data exchanged with the search index: what is indexed, what is
//! asked, and what comes back. The index itself lives in `refuge-search`;
//! these types keep the renderer independent of it.

use crate::markdown::to_plain_text;
use crate::redaction::Redaction;
use crate::{FaqEntry, Item};

/// One searchable document: a language version of an article, page, FAQ
/// entry or appeal.
#[derive(Clone, Debug, PartialEq)]
pub struct SearchDoc {
    /// Which record it comes from.
    pub key: DocKey,
    /// `news`, `page`, `faq` or `appeal`.
    pub kind: String,
    /// Language code such as `en` or `ja`.
    pub lang: String,
    pub year: Option<i32>,
    /// Publication time, Unix seconds.
    pub date: Option<i64>,
    /// The date is known to its month only (see [`Item::month_only`]).
    pub month_only: bool,
    pub title: String,
    pub summary: String,
    /// Plain text, without markup.
    pub body: String,
    pub tags: Vec<String>,
    /// Site path of the document, e.g. `/en/news/slug/`.
    pub url: String,
}

/// The key of a searchable document: the record it comes from. Stored
/// in the index as text (`item:42`, `faq:7`), read back with [`DocKey::parse`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DocKey {
    /// A language version of an article, page or appeal.
    Item(i64),
    /// A FAQ entry.
    Faq(i64),
}

impl DocKey {
    /// Reads a key as the index stores it.
    pub fn parse(text: &str) -> Option<Self> {
        let (kind, id) = text.split_once(':')?;
        let id = id.parse().ok()?;
        match kind {
            "item" => Some(Self::Item(id)),
            "faq" => Some(Self::Faq(id)),
            _ => None,
        }
    }
}

impl std::fmt::Display for DocKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Item(id) => write!(f, "item:{id}"),
            Self::Faq(id) => write!(f, "faq:{id}"),
        }
    }
}

impl serde::Serialize for DocKey {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl SearchDoc {
    /// The document for a published item.
    pub fn from_item(item: &Item) -> Self {
        // Search never shows full names, not even of appeals whose names
        // are public: its snippets are cut from any item.
        let hidden = Redaction::hidden(item.lang.as_str());
        Self {
            key: DocKey::Item(item.id),
            kind: item.kind.as_str().to_owned(),
            lang: item.lang.to_string(),
            year: item.year(),
            date: item.published_at.map(|d| d.unix_timestamp()),
            month_only: item.month_only,
            title: hidden.apply(&item.title).into_string(),
            summary: hidden.apply(&item.summary).into_string(),
            body: to_plain_text(&item.body, hidden),
            tags: item.tags.clone(),
            url: item.path(),
        }
    }

    /// The document for a FAQ entry (found on the FAQ page at its anchor).
    pub fn from_faq(entry: &FaqEntry) -> Self {
        let hidden = Redaction::hidden(entry.lang.as_str());
        Self {
            key: DocKey::Faq(entry.id),
            kind: "faq".into(),
            lang: entry.lang.to_string(),
            year: None,
            date: None,
            month_only: false,
            title: hidden.apply(&entry.question).into_string(),
            summary: String::new(),
            body: to_plain_text(&entry.answer, hidden),
            tags: Vec::new(),
            url: format!("{}#{}", crate::Kind::Page.path(&entry.lang, &crate::Slug::faq()), entry.anchor),
        }
    }
}

/// What to search for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SearchRequest {
    pub query: String,
    pub lang: Option<String>,
    pub kind: Option<String>,
    pub year: Option<i32>,
    pub offset: usize,
    pub limit: usize,
}

/// A piece of a snippet; `hit` pieces are shown highlighted.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Segment {
    pub text: String,
    pub hit: bool,
}

/// A found document.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Hit {
    pub key: DocKey,
    pub url: String,
    pub title: String,
    pub lang: String,
    pub kind: String,
    pub date: Option<i64>,
    /// The date is known to its month only.
    pub month_only: bool,
    pub score: f32,
    pub snippet: Vec<Segment>,
}

/// Counts of matches per language, kind and year. Each dimension is
/// counted with the other filters applied but not its own, so a reader
/// sees what choosing another value would give.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct Facets {
    pub langs: Vec<(String, u64)>,
    pub kinds: Vec<(String, u64)>,
    pub years: Vec<(i32, u64)>,
}

/// The answer to a search.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct SearchResults {
    pub total: usize,
    pub hits: Vec<Hit>,
    pub facets: Facets,
    /// Matches in any language, ignoring every filter.
    pub total_unfiltered: usize,
}

#[cfg(test)]
mod tests {
    use super::DocKey;

    #[test]
    fn document_keys_read_back_as_written() {
        for key in [DocKey::Item(42), DocKey::Faq(7)] {
            assert_eq!(DocKey::parse(&key.to_string()), Some(key));
        }
        assert_eq!(DocKey::Item(42).to_string(), "item:42");
        for bad in ["", "item", "item:", "item:x", "page:3", "faq:-"] {
            assert_eq!(DocKey::parse(bad), None, "{bad}");
        }
    }
}
