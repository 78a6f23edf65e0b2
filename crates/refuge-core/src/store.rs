//! The storage traits the domain owns; `refuge-store` implements them.
//!
//! Reads used by the public site only ever see published items.

use time::OffsetDateTime;

use crate::{
    Category, Email, FaqEntry, Item, ItemDraft, ItemRef, Kind, Language, MenuEntry, NewsFilter, Role, Slug, User,
};

/// Why a storage operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found: {0}")]
    NotFound(String),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("invalid: {0}")]
    Invalid(String),
    #[error("storage error: {0}")]
    Backend(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Content for the public site and the back office.
pub trait ContentStore: Send + Sync {
    /// The published item of `kind` with `slug` in `lang`.
    fn published_item(&self, kind: Kind, lang: &Language, slug: &Slug) -> StoreResult<Option<Item>>;
    /// Published items of `kind` with `slug` in any language (for the
    /// language-switch fallback and slug redirects).
    fn published_by_slug_any_lang(&self, kind: Kind, slug: &Slug) -> StoreResult<Vec<ItemRef>>;
    /// The published language versions of a translation group.
    fn published_translations(&self, group_id: i64) -> StoreResult<Vec<ItemRef>>;
    /// One page of published news in `lang`, newest first, and the total count.
    fn published_news(
        &self,
        lang: &Language,
        filter: &NewsFilter,
        offset: u32,
        limit: u32,
    ) -> StoreResult<(Vec<ItemRef>, u32)>;
    /// Tags of the given items, by item id.
    fn tags_of(&self, item_ids: &[i64]) -> StoreResult<Vec<(i64, String)>>;
    /// Years with published news in `lang`, newest first, with counts.
    fn news_years(&self, lang: &Language) -> StoreResult<Vec<(i32, u32)>>;
    /// Categories named in `lang`, with counts of published news there.
    fn categories(&self, lang: &Language) -> StoreResult<Vec<Category>>;
    /// Tags used by published news in `lang`, with counts.
    fn tags(&self, lang: &Language) -> StoreResult<Vec<(String, u32)>>;
    /// Every published item in every language (sitemap, export, search).
    fn all_published(&self) -> StoreResult<Vec<ItemRef>>;
    /// FAQ entries of `lang` in order.
    fn faq(&self, lang: &Language) -> StoreResult<Vec<FaqEntry>>;
    /// Main navigation of `lang` in order.
    fn menu(&self, lang: &Language) -> StoreResult<Vec<MenuEntry>>;
    /// A site setting: the value for `lang` if there is one, else the
    /// language-independent value.
    fn setting(&self, key: &str, lang: &Language) -> StoreResult<Option<String>>;

    /// Any item by id, whatever its status.
    fn item(&self, id: i64) -> StoreResult<Option<Item>>;
    /// Creates (when `id` is `None`) or replaces an item; returns it as stored.
    fn save_item(&self, id: Option<i64>, draft: &ItemDraft) -> StoreResult<Item>;
    /// Deletes an item (one language version).
    fn delete_item(&self, id: i64) -> StoreResult<()>;
    /// Creates or renames a category in one language.
    fn save_category(&self, key: &Slug, lang: &Language, name: &str) -> StoreResult<()>;
    /// Replaces the FAQ of a language.
    fn replace_faq(&self, lang: &Language, entries: &[(Slug, String, String)]) -> StoreResult<()>;
    /// Replaces the navigation of a language.
    fn replace_menu(&self, lang: &Language, entries: &[MenuEntry]) -> StoreResult<()>;
    /// Sets a site setting (`lang` `None` for all languages).
    fn set_setting(&self, key: &str, lang: Option<&Language>, value: &str) -> StoreResult<()>;
    /// When anything was last changed (for cache keys of whole-site pages).
    fn last_change(&self) -> StoreResult<Option<OffsetDateTime>>;
    /// A stamp that changes with every write to content (the search index
    /// records it, to notice at start that it missed a change).
    fn change_stamp(&self) -> StoreResult<String>;
    /// Published items with their bodies and tags, by ascending id, after
    /// `after_id` (for rebuilding the search index in batches).
    fn published_items(&self, after_id: i64, limit: u32) -> StoreResult<Vec<Item>>;
}

/// Back-office accounts.
pub trait UserStore: Send + Sync {
    /// Creates an account; fails with `Conflict` if the address is taken.
    fn add_user(&self, email: &Email, role: Role, password: &str) -> StoreResult<User>;
    /// The account whose password matches, if any.
    fn verify_password(&self, email: &Email, password: &str) -> StoreResult<Option<User>>;
    /// Sets a new password.
    fn set_password(&self, user_id: i64, password: &str) -> StoreResult<()>;
    fn users(&self) -> StoreResult<Vec<User>>;
    fn user_count(&self) -> StoreResult<u64>;
}
