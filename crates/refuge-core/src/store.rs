//! The storage traits the domain owns; `refuge-store` implements them.
//!
//! Reads used by the public site only ever see published items.

use time::OffsetDateTime;

use crate::{
    Addressee, AdminFilter, AdminRow, AppealFacts, AppealUpdate, AuditEntry, Category, FaqEntry, Item, ItemDraft,
    ItemRef, Kind, Language, Media, MenuEntry, MessageMeta, NewUpdate, NewsFilter, Revision, Slug,
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
    /// The disk (or the database's size limit) is full: nothing was
    /// written, and the caller should say so rather than "try again".
    #[error("the disk is full: {0}")]
    Full(String),
    /// Someone saved the item since the revision the change was made
    /// from (`latest` is theirs): nothing was written.
    #[error("the item was saved meanwhile (revision {latest})")]
    Stale { latest: i64 },
}

pub type StoreResult<T> = Result<T, StoreError>;

mod accounts;
mod list;
pub use accounts::{AccountChange, ClientLimits, Leases, SignInThrottle, SiteSecrets, UserReads, UserStore};
pub use list::{ListReads, MailStore, NewsletterReads, Outbox, OutboxReads, SubscriberReads, SubscriberStore};

/// Everything one editor save writes, in one transaction: the item and
/// its revision, an appeal's facts and addressees, the translation mark,
/// and the change awaiting review that this save took over.
#[derive(Debug)]
pub struct ItemSave<'a> {
    /// `None`: a new item.
    pub id: Option<i64>,
    pub draft: &'a ItemDraft,
    pub user_id: Option<i64>,
    pub note: &'a str,
    /// For appeals: the facts and the addressees, replacing the stored ones.
    pub appeal: Option<(&'a AppealFacts, &'a [Addressee])>,
    /// Marks the item as a translation of this source, up to date.
    pub translated_from: Option<i64>,
    /// A change awaiting review (a `set_aside` row) this save resolves.
    pub resolves_aside: Option<i64>,
    /// Saves only if the stored item still has this status, checked in
    /// the write itself; otherwise nothing is written and the answer is
    /// `Conflict`. The scheduler publishes an item once this way, however
    /// many servers look at the same moment.
    pub only_if: Option<crate::Status>,
    /// Saves only if the item's latest revision is still this one (the
    /// revision the editor's form was made from), checked in the write
    /// itself with the item's row locked; otherwise nothing is written and
    /// the answer is `Stale`. Two saves from one revision cannot both pass.
    pub base_revision: Option<i64>,
    /// Dated by its month only (`Some(true)`), by its day (`Some(false)`),
    /// or as it was (`None`).
    pub month_only: Option<bool>,
    /// The audit line of this save, written in the same transaction (its
    /// subject names the item as saved: kind, id, title, language).
    pub audit: Option<AuditLine<'a>>,
}

/// Who did what, for the audit log, written with the change it records.
#[derive(Clone, Copy, Debug)]
pub struct AuditLine<'a> {
    pub actor: &'a str,
    pub action: &'a str,
    pub detail: &'a str,
}

impl<'a> ItemSave<'a> {
    /// Only the item (no appeal facts, no translation mark).
    pub fn item(id: Option<i64>, draft: &'a ItemDraft, user_id: Option<i64>, note: &'a str) -> Self {
        Self {
            id,
            draft,
            user_id,
            note,
            appeal: None,
            translated_from: None,
            resolves_aside: None,
            only_if: None,
            base_revision: None,
            month_only: None,
            audit: None,
        }
    }
}

/// What the public site reads: published items and everything shown
/// around them. Reads here only ever see published items (but for
/// `setting`, which has no status). The renderer, search and export use it.
pub trait PublicContent: Send + Sync {
    /// The published item of `kind` with `slug` in `lang`.
    fn published_item(&self, kind: Kind, lang: &Language, slug: &Slug) -> StoreResult<Option<Item>>;
    /// A fingerprint of everything the public site shows besides the items
    /// themselves (settings, menus, FAQ, categories, appeal details,
    /// newsletters, media texts, redirects): equal fingerprints, equal
    /// pages for unchanged items.
    fn public_fingerprint(&self) -> StoreResult<String>;
    /// Every published item's id and a version that changes with every
    /// save (its update time and latest revision).
    fn item_versions(&self) -> StoreResult<Vec<(i64, String)>>;
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
    /// Published items of one kind in a language, newest first.
    fn published_kind(&self, kind: Kind, lang: &Language) -> StoreResult<Vec<ItemRef>>;
    /// Every published item in every language (sitemap, export, search).
    fn all_published(&self) -> StoreResult<Vec<ItemRef>>;
    /// FAQ entries of `lang` in order.
    fn faq(&self, lang: &Language) -> StoreResult<Vec<FaqEntry>>;
    /// Main navigation of `lang` in order.
    fn menu(&self, lang: &Language) -> StoreResult<Vec<MenuEntry>>;
    /// A site setting: the value for `lang` if there is one, else the
    /// language-independent value.
    fn setting(&self, key: &str, lang: &Language) -> StoreResult<Option<String>>;
    /// When anything was last changed (for cache keys of whole-site pages).
    fn last_change(&self) -> StoreResult<Option<OffsetDateTime>>;
    /// A stamp that changes with every write to content (the search index
    /// records it, to notice at start that it missed a change).
    fn change_stamp(&self) -> StoreResult<String>;
    /// Summaries and Markdown bodies of the items and FAQ entries that
    /// `keys` name, for search snippets.
    fn search_texts(&self, keys: &[crate::search::DocKey])
    -> StoreResult<Vec<(crate::search::DocKey, String, String)>>;
    /// Published items with their bodies and tags, by ascending id, after
    /// `after_id` (for rebuilding the search index in batches).
    fn published_items(&self, after_id: i64, limit: u32) -> StoreResult<Vec<Item>>;
}

/// The back office's reads of content: any item whatever its status,
/// revisions, lists and schedules.
pub trait ContentReads: PublicContent {
    /// The item of `kind` with `slug` in `lang`, whatever its status.
    fn item_id_by_slug(&self, kind: Kind, lang: &Language, slug: &Slug) -> StoreResult<Option<i64>>;
    /// Any item by id, whatever its status.
    fn item(&self, id: i64) -> StoreResult<Option<Item>>;
    /// Revisions of an item, newest first (bodies included).
    fn revisions(&self, item_id: i64) -> StoreResult<Vec<Revision>>;
    /// One revision.
    fn revision(&self, id: i64) -> StoreResult<Option<Revision>>;
    /// Items of every status for the back office, newest change first, and
    /// the total count.
    fn admin_items(&self, filter: &AdminFilter) -> StoreResult<(Vec<AdminRow>, u32)>;
    /// Every language version of a group, whatever its status.
    fn group_items(&self, group_id: i64) -> StoreResult<Vec<AdminRow>>;
    /// Scheduled items whose time has come.
    fn due_scheduled(&self, now: OffsetDateTime) -> StoreResult<Vec<Item>>;
    /// When the next scheduled item is due.
    fn next_scheduled(&self) -> StoreResult<Option<OffsetDateTime>>;
    /// Published items whose translation group has no version in `lang`.
    fn missing_translations(&self, lang: &Language, limit: u32) -> StoreResult<Vec<AdminRow>>;
}

/// Writing content: saves with revisions, translation marks, deletions,
/// categories, FAQ, menus and settings.
pub trait ContentStore: ContentReads {
    /// Creates (when `id` is `None`) or replaces an item and records the
    /// saved state as a revision; returns the item as stored.
    fn save_item(&self, id: Option<i64>, draft: &ItemDraft) -> StoreResult<Item> {
        self.save_item_by(id, draft, None, "")
    }
    /// As [`ContentStore::save_item`], naming the account that saved it
    /// and an optional note for the history.
    fn save_item_by(&self, id: Option<i64>, draft: &ItemDraft, user_id: Option<i64>, note: &str) -> StoreResult<Item> {
        self.save_item_with(&ItemSave::item(id, draft, user_id, note))
    }
    /// Writes everything of one save in one transaction: all of it, or
    /// (on any failure) nothing. Returns the item as stored.
    fn save_item_with(&self, save: &ItemSave<'_>) -> StoreResult<Item>;
    /// Marks `item_id` as a translation of `source_id`, up to date with the
    /// source's latest revision.
    fn mark_translated(&self, item_id: i64, source_id: i64) -> StoreResult<()>;
    /// Deletes an item (one language version).
    fn delete_item(&self, id: i64) -> StoreResult<()>;
    /// Creates or renames a category in one language.
    fn save_category(&self, key: &Slug, lang: &Language, name: &str) -> StoreResult<()>;
    /// Replaces the FAQ of a language.
    fn replace_faq(&self, lang: &Language, entries: &[(Slug, String, String)]) -> StoreResult<()>;
    /// Replaces the navigation of a language.
    fn replace_menu(&self, lang: &Language, entries: &[MenuEntry]) -> StoreResult<()>;
    /// Sets a site setting (`lang` `None` for all languages).
    fn set_setting(&self, key: &str, lang: Option<&Language>, value: &str) -> StoreResult<()> {
        self.set_settings(&[(key, lang, value)])
    }
    /// Sets several site settings in one transaction: all or none.
    fn set_settings(&self, values: &[(&str, Option<&Language>, &str)]) -> StoreResult<()>;
}

/// Reading the audit log.
pub trait AuditReads: Send + Sync {
    /// Newest first.
    fn audit_entries(&self, offset: u32, limit: u32) -> StoreResult<(Vec<AuditEntry>, u32)>;
}

/// The audit log: who did what, when. Never message contents or passwords.
pub trait AuditLog: AuditReads {
    fn record(&self, actor: &str, action: &str, subject: &str, detail: &str) -> StoreResult<()>;
}

/// What public pages show of urgent appeals: facts and timelines.
pub trait AppealReads: Send + Sync {
    fn appeal_facts(&self, item_id: i64) -> StoreResult<AppealFacts>;
    /// Whom readers are asked to write to.
    fn addressees(&self, item_id: i64) -> StoreResult<Vec<Addressee>>;
    /// Timeline, newest first: the public entries only.
    fn appeal_updates(&self, item_id: i64) -> StoreResult<Vec<AppealUpdate>>;
    /// Recent updates of published appeals in a language, newest first (feeds).
    fn recent_appeal_updates(&self, lang: &Language, limit: u32) -> StoreResult<Vec<(ItemRef, AppealUpdate)>>;
}

/// What the back office reads of appeals besides the public view:
/// entries waiting for approval, originals waiting for translations.
pub trait AppealDeskReads: AppealReads {
    /// Timeline, newest first, with the entries waiting for approval (the
    /// back office's view).
    fn all_appeal_updates(&self, item_id: i64) -> StoreResult<Vec<AppealUpdate>>;
    /// Original entries (not translations) added in `[after, before]` (times
    /// are kept to the second: one added this very second counts),
    /// oldest first: those whose wait for translations may be over.
    fn original_updates_between(&self, after: OffsetDateTime, before: OffsetDateTime)
    -> StoreResult<Vec<AppealUpdate>>;
}

/// Urgent appeals: their facts, addressees and timeline.
pub trait AppealStore: AppealDeskReads {
    fn save_appeal_facts(&self, item_id: i64, facts: &AppealFacts) -> StoreResult<()>;
    fn replace_addressees(&self, item_id: i64, list: &[Addressee]) -> StoreResult<()>;
    /// Adds a timeline entry; with `translates`, the translation of another
    /// language version's entry (taking its date; one per version).
    fn add_appeal_update(&self, item_id: i64, update: &NewUpdate<'_>) -> StoreResult<AppealUpdate>;
    /// Approves a pending entry: from now on it is public.
    fn approve_appeal_update(&self, id: i64) -> StoreResult<AppealUpdate>;
    fn delete_appeal_update(&self, id: i64) -> StoreResult<()>;
    /// Records that a language's subscribers are told of an original entry;
    /// false when they were already (by this server or another).
    fn claim_update_mailing(&self, update_id: i64, lang: &Language) -> StoreResult<bool>;
    /// Undoes a claim whose mail could not be queued, so it is tried again.
    fn release_update_mailing(&self, update_id: i64, lang: &Language) -> StoreResult<()>;
}

/// Reading the contact inbox: clear metadata and sealed bytes.
pub trait MessageReads: Send + Sync {
    /// How many messages are not marked handled yet.
    fn unhandled_count(&self) -> StoreResult<u32>;
    /// Newest first, and the total.
    fn messages(&self, offset: u32, limit: u32) -> StoreResult<(Vec<MessageMeta>, u32)>;
    /// The sealed bytes of a message.
    fn sealed_message(&self, id: i64) -> StoreResult<Option<Vec<u8>>>;
}

/// The contact inbox: sealed messages and their clear metadata.
pub trait MessageStore: MessageReads {
    fn add_message(&self, category: &str, lang: &str, sealed: &[u8]) -> StoreResult<i64>;
    fn set_handled(&self, id: i64, handled: bool) -> StoreResult<()>;
    /// Deletes for real: the bytes are overwritten (secure_delete) and the
    /// write-ahead log folded in; what is left of it on disk.
    fn delete_message(&self, id: i64) -> StoreResult<Erasure>;
    /// Deletes for real every message marked handled that arrived before
    /// `before`; how many.
    fn purge_handled_messages(&self, before: time::OffsetDateTime) -> StoreResult<u64>;
    /// Folds the write-ahead log in when a deletion could not (a reader
    /// held it); whether nothing deleted is left in it now.
    fn fold_if_pending(&self) -> StoreResult<bool> {
        Ok(true)
    }
}

/// What a deletion left on disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Erasure {
    /// Nothing: the rows are overwritten and no old copy stays.
    Complete,
    /// The rows are gone, but an old copy of them stays in the database's
    /// write-ahead log until it can be folded in (a reader, such as a
    /// backup, held it); housekeeping folds it then.
    Pending,
}

/// Reading the media library's records.
pub trait MediaReads: Send + Sync {
    /// Newest first, and the total count.
    fn media_list(&self, offset: u32, limit: u32) -> StoreResult<(Vec<Media>, u32)>;
    fn media(&self, id: i64) -> StoreResult<Option<Media>>;
    fn media_by_stored(&self, stored: &str) -> StoreResult<Option<Media>>;
    /// The stored names (random file stems) of every upload.
    fn media_stored_names(&self) -> StoreResult<Vec<String>>;
}

/// The media library's records (the files live in the data folder).
pub trait MediaStore: MediaReads {
    /// Records a new upload with its alternative texts (`alt`) and its
    /// `audit` line (subject: the file's name), in one transaction (its
    /// `id` is ignored); returns its id.
    fn add_media(&self, media: &Media, audit: Option<AuditLine<'_>>) -> StoreResult<i64>;
    /// Sets (or, with empty text, removes) the alternative text in a language.
    fn set_media_alt(&self, id: i64, lang: &Language, alt: &str) -> StoreResult<()> {
        self.set_media_alts(id, &[(lang.clone(), alt.to_owned())], None)
    }
    /// Sets several languages' alternative texts, with the change's audit
    /// line, in one transaction.
    fn set_media_alts(&self, id: i64, alts: &[(Language, String)], audit: Option<AuditLine<'_>>) -> StoreResult<()>;
    /// Deletes an upload's record, with the change's audit line, in one
    /// transaction.
    fn delete_media(&self, id: i64, audit: Option<AuditLine<'_>>) -> StoreResult<()>;
}

/// Reading forms set aside.
pub trait AsideReads: Send + Sync {
    fn aside(&self, id: i64) -> StoreResult<Option<crate::Aside>>;
    /// Set-aside forms of one kind for an item, newest first.
    fn asides_of_item(&self, item_id: i64, kind: crate::AsideKind) -> StoreResult<Vec<crate::Aside>>;
    /// The author's form of one kind for a place.
    fn own_aside(&self, kind: crate::AsideKind, place: &str, user_id: i64) -> StoreResult<Option<crate::Aside>>;
    /// Every change awaiting review, newest first, at most `limit`.
    fn awaiting_review(&self, limit: u32) -> StoreResult<Vec<crate::Aside>>;
    /// The latest revision of an item (0: none), the version two tabs compare.
    fn latest_revision(&self, item_id: i64) -> StoreResult<i64>;
}

/// Editor forms set aside (awaiting review, autosaved, or sent after
/// the session ended), never applied by themselves.
pub trait AsideStore: AsideReads {
    /// Keeps a form. `Review` and `Autosave` replace the author's earlier
    /// one for the same place; returns the id.
    fn put_aside(&self, aside: &crate::NewAside<'_>) -> StoreResult<i64>;
    /// Removes and returns the form kept under this key hash.
    fn take_expired(&self, key_hash: &str) -> StoreResult<Option<crate::Aside>>;
    fn remove_aside(&self, id: i64) -> StoreResult<()>;
    /// Housekeeping: deletes autosaved and expired forms older than `before`.
    fn purge_asides(&self, before: OffsetDateTime) -> StoreResult<u64>;
}

/// The names marked `[[name:…]]` anywhere on the site, ever: the list
/// the name guard searches every page, address, feed, file and mail for
/// before it leaves. The store records them itself whenever it writes
/// text that may hold them (items and their revisions, appeals and their
/// timelines, media texts, newsletters, FAQ, menus, categories, settings),
/// and never forgets one. Readers never see the list.
pub trait NameReads: Send + Sync {
    /// Every name marked anywhere, with where (`item:42`…) and whether
    /// it may be shown in full there.
    fn marked_names(&self) -> StoreResult<Vec<crate::redaction::MarkedName>>;

    /// Every name marked anywhere, but those marked only in appeals whose
    /// names are public.
    fn protected_names(&self) -> StoreResult<Vec<String>> {
        Ok(crate::redaction::protected(&self.marked_names()?, |_| false))
    }
}

/// Everything the public site reads (the renderer takes only this):
/// published content, appeals' facts and timelines, newsletters, where
/// old addresses lead, and the names its guard must never let out. No
/// method here writes.
pub trait PublicStore: PublicContent + AppealReads + NewsletterReads + RedirectReads + NameReads {}

impl<T: PublicContent + AppealReads + NewsletterReads + RedirectReads + NameReads + ?Sized> PublicStore for T {}

/// Everything the back office reads, and nothing that writes: what a
/// web handler holds. Changes go through the application layer
/// (`refuge-app`), which alone holds a [`Store`].
pub trait BackOfficeReads:
    PublicStore
    + ContentReads
    + AuditReads
    + AppealDeskReads
    + MessageReads
    + ListReads
    + OutboxReads
    + MediaReads
    + AsideReads
    + SubscriberReads
    + UserReads
    + crate::ChangeFeed
{
}

impl<
    T: PublicStore
        + ContentReads
        + AuditReads
        + AppealDeskReads
        + MessageReads
        + ListReads
        + OutboxReads
        + MediaReads
        + AsideReads
        + SubscriberReads
        + UserReads
        + crate::ChangeFeed
        + ?Sized,
> BackOfficeReads for T
{
}

/// Everything Refuge stores.
pub trait Store:
    BackOfficeReads
    + ContentStore
    + ClientLimits
    + Leases
    + SiteSecrets
    + SignInThrottle
    + crate::ChangeLog
    + AsideStore
    + UserStore
    + AuditLog
    + MediaStore
    + AppealStore
    + MessageStore
    + MailStore
    + SubscriberStore
    + RedirectStore
    + NameReads
{
}

impl<
    T: BackOfficeReads
        + ContentStore
        + ClientLimits
        + Leases
        + SiteSecrets
        + SignInThrottle
        + crate::ChangeLog
        + AsideStore
        + UserStore
        + AuditLog
        + MediaStore
        + AppealStore
        + MessageStore
        + MailStore
        + SubscriberStore
        + RedirectStore
        + NameReads,
> Store for T
{
}

/// Where an old path leads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RedirectTarget {
    /// An item, followed to its current path.
    Item(i64),
    /// A fixed path of this site (a media file, say).
    Path(String),
}

/// Where old addresses lead now.
pub trait RedirectReads: Send + Sync {
    /// Where `from` leads now: the current path of a published item, or a
    /// fixed path.
    fn redirect(&self, from: &str) -> StoreResult<Option<String>>;
    /// Every redirect that leads somewhere now, by old path.
    fn redirects(&self) -> StoreResult<Vec<(String, String)>>;
}

/// Permanent redirects from the paths of an old site.
pub trait RedirectStore: RedirectReads {
    /// Makes `from` (a path as requested, like `/2faced.html`) lead to `to`.
    fn set_redirect(&self, from: &str, to: &RedirectTarget) -> StoreResult<()>;
    /// The item `from` leads to, published or not (imports use it to
    /// update what they imported before).
    fn redirect_item(&self, from: &str) -> StoreResult<Option<i64>>;
}
