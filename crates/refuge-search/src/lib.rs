//! Site search for Refuge.
//!
//! Owns the search index in the data folder (`search/`): its schema,
//! dictionary-free text analysis that treats Japanese, Chinese and Korean
//! as well as English ([`analysis`]), query parsing that never fails on
//! malformed input ([`query`]), ranked search with facets, and
//! highlighted snippets. It knows nothing of SQL or HTTP: callers hand it
//! [`SearchDoc`]s and get plain data back.

pub mod analysis;
mod index;
pub mod query;
mod snippet;

pub use index::{Facets, Hit, OpenState, SearchIndex, SearchRequest, SearchResults};
pub use snippet::Segment;

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

/// What can go wrong with the index.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("search index folder {path}: {detail}")]
    Io { path: String, detail: String },
    #[error(
        "the search index is in use by another Refuge process (a running server?). \
         Stop it first; a server rebuilds a missing or damaged index by itself when it starts"
    )]
    Locked,
}

/// Kinds of document, in the order facets list them.
pub const KINDS: [&str; 4] = ["news", "appeal", "page", "faq"];
