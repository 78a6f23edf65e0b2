//! The change feed: what changed, as every running server applies it to
//! its page cache and search index. The store appends the rows in the
//! same transaction as the change itself, whoever makes it (this server,
//! a command such as `refuge import html`, another server sharing the
//! database), so nothing is missed and nothing is half-applied.

use time::OffsetDateTime;

use crate::store::StoreResult;
use crate::{Kind, Language, Slug};

/// The facts an item's pages are chosen by: where it is listed and found.
/// A change carries them as they were and as they are, so pages showing
/// the old state are dropped as well as those that should show the new.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemFacts {
    pub id: i64,
    pub group_id: i64,
    pub kind: Kind,
    pub lang: Language,
    pub slug: Slug,
    pub category: Option<String>,
    /// The archive year, if published or scheduled.
    pub year: Option<i32>,
}

/// One change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// An item as it was (before an edit or a delete) or as it is now.
    Item(ItemFacts),
    /// A tag added to or removed from an item; `lang` is `None` when the
    /// item itself is gone (its tag pages in every language are stale).
    Tag { item_id: i64, lang: Option<Language>, tag: String },
    /// An appeal's facts, addressees or timeline.
    Appeal { item_id: i64 },
    /// A FAQ entry added, changed or removed.
    Faq { id: i64, lang: Language },
    /// A language's newsletter archive.
    Newsletters(Language),
    /// Settings, menus, category names: what every page shows.
    Site,
}

/// Reading the change feed.
pub trait ChangeFeed: Send + Sync {
    /// A number that moves whenever another connection — another process,
    /// another server — commits a write. Cheap: checked twice a second.
    fn outside_writes(&self) -> StoreResult<u64>;
    /// The id of the latest change, 0 for none.
    fn latest_change(&self) -> StoreResult<i64>;
    /// Changes after `after`, oldest first, at most `limit`, with their ids.
    /// Rows this version cannot read are left out (and logged).
    fn changes_after(&self, after: i64, limit: u32) -> StoreResult<Vec<(i64, Change)>>;
}

/// Keeping the change feed short.
pub trait ChangeLog: ChangeFeed {
    /// Drops changes made before `before`; how many.
    fn trim_changes(&self, before: OffsetDateTime) -> StoreResult<u64>;
}
