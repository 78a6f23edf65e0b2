//! Plain data exchanged with the search index: what is indexed, what is
//! asked, and what comes back. The index itself lives in `refuge-search`;
//! these types keep the renderer independent of it.

use crate::markdown::{redact, to_plain_text};
use crate::{FaqEntry, Item};

/// One searchable document: a language version of an article, page, FAQ
/// entry or appeal.
#[derive(Clone, Debug, PartialEq)]
pub struct SearchDoc {
    /// Unique key, e.g. `item:42` or `faq:7`.
    pub key: String,
    /// `news`, `page`, `faq` or `appeal`.
    pub kind: String,
    /// Language code such as `en` or `ja`.
    pub lang: String,
    pub year: Option<i32>,
    /// Publication time, Unix seconds.
    pub date: Option<i64>,
    pub title: String,
    pub summary: String,
    /// Plain text, without markup.
    pub body: String,
    pub tags: Vec<String>,
    /// Site path of the document, e.g. `/en/news/slug/`.
    pub url: String,
}

impl SearchDoc {
    /// The key of an item's document.
    pub fn item_key(id: i64) -> String {
        format!("item:{id}")
    }

    /// The key of a FAQ entry's document.
    pub fn faq_key(id: i64) -> String {
        format!("faq:{id}")
    }

    /// The document for a published item.
    pub fn from_item(item: &Item) -> Self {
        Self {
            key: Self::item_key(item.id),
            kind: item.kind.as_str().to_owned(),
            lang: item.lang.to_string(),
            year: item.year(),
            date: item.published_at.map(|d| d.unix_timestamp()),
            title: redact(&item.title, false).into_owned(),
            summary: redact(&item.summary, false).into_owned(),
            body: to_plain_text(&item.body),
            tags: item.tags.clone(),
            url: item.path(),
        }
    }

    /// The document for a FAQ entry (found on the FAQ page at its anchor).
    pub fn from_faq(entry: &FaqEntry) -> Self {
        Self {
            key: Self::faq_key(entry.id),
            kind: "faq".into(),
            lang: entry.lang.to_string(),
            year: None,
            date: None,
            title: entry.question.clone(),
            summary: String::new(),
            body: to_plain_text(&entry.answer),
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
    pub key: String,
    pub url: String,
    pub title: String,
    pub lang: String,
    pub kind: String,
    pub date: Option<i64>,
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
