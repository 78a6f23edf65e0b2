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
#[cfg(test)]
mod relevance;
mod snippet;
mod sync;

pub use index::{MAX_WINDOW, OpenState, SearchIndex};
pub use refuge_core::search::{DocKey, Facets, Hit, SearchDoc, SearchRequest, SearchResults, Segment};
pub use snippet::fill_snippets;
pub use sync::{faq_changed, item_changed, items_changed, rebuild_from_store};

/// What can go wrong with the index.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("search index folder {path}: {detail}")]
    Io { path: String, detail: String },
    #[error(transparent)]
    Store(#[from] refuge_core::StoreError),
    #[error(
        "the search index is in use by another Refuge process (a running server?). \
         Stop it first; a server rebuilds a missing or damaged index by itself when it starts"
    )]
    Locked,
}

/// Kinds of document, in the order facets list them.
pub const KINDS: [&str; 4] = ["news", "appeal", "page", "faq"];
