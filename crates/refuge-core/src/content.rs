//! Content records: articles, pages, FAQ entries, categories and menus.
//!
//! Every article and page belongs to a *translation group*: one record per
//! language, linked by `group_id`, so each page knows its translations.

use std::fmt;
use std::str::FromStr;

use time::OffsetDateTime;

use crate::{Language, Slug};

/// What kind of content an item is; decides its URL.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A dated news article or report: `/{lang}/news/{slug}/`.
    News,
    /// A static page such as `about`: `/{lang}/{slug}/`.
    Page,
    /// An urgent appeal (a case record): `/{lang}/appeals/{slug}/`.
    Appeal,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::News, Kind::Page, Kind::Appeal];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::News => "news",
            Kind::Page => "page",
            Kind::Appeal => "appeal",
        }
    }

    /// The public path of an item of this kind.
    pub fn path(self, lang: &Language, slug: &Slug) -> String {
        match self {
            Kind::News => format!("/{lang}/news/{slug}/"),
            Kind::Page => format!("/{lang}/{slug}/"),
            Kind::Appeal => format!("/{lang}/appeals/{slug}/"),
        }
    }
}

impl FromStr for Kind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "news" => Ok(Kind::News),
            "page" => Ok(Kind::Page),
            "appeal" => Ok(Kind::Appeal),
            other => Err(format!("unknown kind `{other}`")),
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where an item is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Draft,
    Review,
    /// To be published automatically at `published_at`.
    Scheduled,
    Published,
    Archived,
}

impl Status {
    pub const ALL: [Status; 5] =
        [Status::Draft, Status::Review, Status::Scheduled, Status::Published, Status::Archived];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Review => "review",
            Status::Scheduled => "scheduled",
            Status::Published => "published",
            Status::Archived => "archived",
        }
    }
}

impl FromStr for Status {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "draft" => Ok(Status::Draft),
            "review" => Ok(Status::Review),
            "scheduled" => Ok(Status::Scheduled),
            "published" => Ok(Status::Published),
            "archived" => Ok(Status::Archived),
            other => Err(format!("unknown status `{other}`")),
        }
    }
}

/// One language version of an article or page.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Item {
    pub id: i64,
    pub group_id: i64,
    pub kind: Kind,
    pub lang: Language,
    pub slug: Slug,
    pub title: String,
    pub summary: String,
    /// Markdown source.
    pub body: String,
    /// Category key (see [`Category`]), if any.
    pub category: Option<String>,
    pub tags: Vec<String>,
    pub status: Status,
    #[serde(with = "time::serde::rfc3339::option")]
    pub published_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    /// The item this one was translated from, if it is a translation.
    pub translated_from: Option<i64>,
    /// The source's revision this translation was last brought up to date with.
    pub source_revision: Option<i64>,
    /// Dated by its month only (an old archive's "July 2002"): the date is
    /// the 1st, and pages show the month alone.
    #[serde(default)]
    pub month_only: bool,
}

impl Item {
    /// The item as a draft to save again, with another status and date.
    pub fn redraft(&self, status: Status, published_at: Option<OffsetDateTime>) -> ItemDraft {
        ItemDraft {
            group_id: Some(self.group_id),
            kind: self.kind,
            lang: self.lang.clone(),
            slug: self.slug.clone(),
            title: self.title.clone(),
            summary: self.summary.clone(),
            body: self.body.clone(),
            category: self.category.clone(),
            tags: self.tags.clone(),
            status,
            published_at,
        }
    }
}

impl Item {
    pub fn path(&self) -> String {
        self.kind.path(&self.lang, &self.slug)
    }

    /// The year it appears under in the archive.
    pub fn year(&self) -> Option<i32> {
        self.published_at.map(|d| d.year())
    }

    /// The facts its pages are chosen by (for the change feed and the cache).
    pub fn facts(&self) -> crate::ItemFacts {
        crate::ItemFacts {
            id: self.id,
            group_id: self.group_id,
            kind: self.kind,
            lang: self.lang.clone(),
            slug: self.slug.clone(),
            category: self.category.clone(),
            year: self.year(),
        }
    }
}

/// What is needed to create or replace one language version of an item.
#[derive(Clone, Debug)]
pub struct ItemDraft {
    /// The translation group to join; `None` starts a new group.
    pub group_id: Option<i64>,
    pub kind: Kind,
    pub lang: Language,
    pub slug: Slug,
    pub title: String,
    pub summary: String,
    pub body: String,
    pub category: Option<String>,
    pub tags: Vec<String>,
    pub status: Status,
    pub published_at: Option<OffsetDateTime>,
}

impl ItemDraft {
    /// Checks what the types cannot: required text and sensible lengths.
    pub fn validate(&self) -> Result<(), String> {
        let title = self.title.trim();
        if title.is_empty() {
            return Err("the title is empty".into());
        }
        if title.chars().count() > 300 {
            return Err("the title is longer than 300 characters".into());
        }
        if self.summary.chars().count() > 1000 {
            return Err("the summary is longer than 1,000 characters".into());
        }
        if self.body.len() > 2_000_000 {
            return Err("the body is larger than 2 MB".into());
        }
        if self.tags.iter().any(|t| t.trim().is_empty() || t.chars().count() > 60 || t.contains('/')) {
            return Err("each tag must be 1–60 characters without `/`".into());
        }
        if matches!(self.status, Status::Published | Status::Scheduled) && self.published_at.is_none() {
            return Err("a published or scheduled item needs a publication date".into());
        }
        Ok(())
    }
}

/// Enough of an item to link to it and list it.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ItemRef {
    pub id: i64,
    pub group_id: i64,
    pub kind: Kind,
    pub lang: Language,
    pub slug: Slug,
    pub title: String,
    pub summary: String,
    pub category: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub published_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    /// Dated by its month only (see [`Item::month_only`]).
    #[serde(default)]
    pub month_only: bool,
}

impl ItemRef {
    pub fn path(&self) -> String {
        self.kind.path(&self.lang, &self.slug)
    }
}

/// Why an editor form was set aside instead of applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AsideKind {
    /// A change to a published item by someone who may not publish it:
    /// it waits for an editor while the published text stays online.
    Review,
    /// The form as it was a moment ago, offered back on the next open.
    Autosave,
    /// Sent after the session had ended: kept under a one-time key until
    /// its author signs in again.
    Expired,
}

impl AsideKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Review => "review",
            Self::Autosave => "autosave",
            Self::Expired => "expired",
        }
    }
}

impl std::str::FromStr for AsideKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "review" => Ok(Self::Review),
            "autosave" => Ok(Self::Autosave),
            "expired" => Ok(Self::Expired),
            other => Err(format!("unknown kind of set-aside form `{other}`")),
        }
    }
}

/// An editor form set aside: the fields exactly as sent.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Aside {
    pub id: i64,
    pub kind: AsideKind,
    pub user_id: Option<i64>,
    /// E-mail of its author, when known.
    pub author: Option<String>,
    pub item_id: Option<i64>,
    /// The form's address (`/admin/items/12`, `/admin/items/new?kind=news&lang=en`).
    pub place: String,
    /// The item's latest revision when the form was opened (0: none).
    pub base_revision: i64,
    /// The fields as sent, without the form token.
    pub form: Vec<(String, String)>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// A form to set aside.
#[derive(Clone, Debug)]
pub struct NewAside<'a> {
    pub kind: AsideKind,
    /// For `Expired`: the SHA-256 (hex) of the one-time key.
    pub key_hash: Option<&'a str>,
    pub user_id: Option<i64>,
    pub item_id: Option<i64>,
    pub place: &'a str,
    pub base_revision: i64,
    pub form: &'a [(String, String)],
}

/// One saved state of an item: who saved what, when.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Revision {
    pub id: i64,
    pub item_id: i64,
    /// E-mail of the account that saved it (`None`: the system or the CLI).
    pub author: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub title: String,
    pub slug: String,
    pub summary: String,
    pub body: String,
    pub category: Option<String>,
    pub tags: Vec<String>,
    pub status: Status,
    #[serde(with = "time::serde::rfc3339::option")]
    pub published_at: Option<OffsetDateTime>,
    pub note: String,
}

/// An item as the back office lists it, whatever its status.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct AdminRow {
    pub id: i64,
    pub group_id: i64,
    pub kind: Kind,
    pub lang: Language,
    pub slug: Slug,
    pub title: String,
    pub status: Status,
    #[serde(with = "time::serde::rfc3339::option")]
    pub published_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    /// Set when this is a translation whose source changed since.
    pub outdated: bool,
    /// Languages this item's group has a version in.
    pub languages: Vec<Language>,
}

/// What to list in the back office.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AdminFilter {
    pub kind: Option<Kind>,
    pub lang: Option<Language>,
    pub status: Option<Status>,
    pub outdated_only: bool,
    /// Words in the title, summary or text (any language), as typed.
    pub text: Option<String>,
    /// Saved at least once by this account.
    pub author: Option<i64>,
    pub category: Option<String>,
    /// Published (or, unpublished, last changed) at or after this time
    /// (the start of a day in the reader's zone)…
    pub from: Option<time::OffsetDateTime>,
    /// …and before this one (the start of the day after the last).
    pub until: Option<time::OffsetDateTime>,
    pub sort: AdminSort,
    pub offset: u32,
    pub limit: u32,
}

/// The order of the back-office lists.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AdminSort {
    /// Last changed first.
    #[default]
    Updated,
    /// Newest publication date first.
    Published,
    /// By title.
    Title,
}

impl AdminSort {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Updated => "updated",
            Self::Published => "published",
            Self::Title => "title",
        }
    }

    pub fn parse(s: &str) -> Self {
        match s {
            "published" => Self::Published,
            "title" => Self::Title,
            _ => Self::Updated,
        }
    }
}

/// An uploaded file in the media library (already cleaned of metadata).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Media {
    pub id: i64,
    /// `image` or `pdf`.
    pub kind: String,
    /// A safe display and download name.
    pub name: String,
    /// The random base name of its files.
    pub stored: String,
    /// `jpg`, `png` or `pdf`.
    pub extension: String,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub bytes: u64,
    /// Widths of the smaller variants (images).
    pub variants: Vec<u32>,
    /// What metadata was found and removed.
    pub report: String,
    /// Alternative text by language code.
    pub alt: Vec<(String, String)>,
}

impl Media {
    /// The longest alternative text, in characters (a screen reader reads
    /// it whole; a longer description belongs in the caption).
    pub const ALT_MAX_CHARS: usize = 500;

    /// The public path of the file (the full size for images).
    pub fn path(&self) -> String {
        format!("/media/{}.{}", self.stored, self.extension)
    }

    /// The public path of a variant of `width`.
    pub fn variant_path(&self, width: u32) -> String {
        format!("/media/{}-{width}.{}", self.stored, self.extension)
    }
}

/// One line of the audit log.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct AuditEntry {
    pub id: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub detail: String,
}

/// Which news to list.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct NewsFilter {
    pub year: Option<i32>,
    pub category: Option<String>,
    pub tag: Option<String>,
}

/// A news category, named per language.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Category {
    /// Stable key used in URLs, the same in every language.
    pub key: Slug,
    pub name: String,
    /// Published news in this category in the language asked for.
    pub count: u32,
}

/// One question and answer of the FAQ page.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct FaqEntry {
    pub id: i64,
    pub lang: Language,
    /// Anchor on the FAQ page, shared by the translations of one entry.
    pub anchor: Slug,
    pub position: i64,
    pub question: String,
    /// Markdown source.
    pub answer: String,
}

/// One link of a language's main navigation.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct MenuEntry {
    pub label: String,
    /// A site path such as `/en/about/`.
    pub path: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft() -> ItemDraft {
        ItemDraft {
            group_id: None,
            kind: Kind::News,
            lang: Language::parse("en").unwrap(),
            slug: Slug::parse("x").unwrap(),
            title: "T".into(),
            summary: String::new(),
            body: String::new(),
            category: None,
            tags: vec![],
            status: Status::Draft,
            published_at: None,
        }
    }

    #[test]
    fn kinds_and_statuses_round_trip() {
        for k in Kind::ALL {
            assert_eq!(k.as_str().parse::<Kind>().unwrap(), k);
        }
        for s in Status::ALL {
            assert_eq!(s.as_str().parse::<Status>().unwrap(), s);
        }
    }

    #[test]
    fn paths() {
        let en = Language::parse("en").unwrap();
        assert_eq!(Kind::News.path(&en, &Slug::parse("a").unwrap()), "/en/news/a/");
        assert_eq!(Kind::Page.path(&en, &Slug::parse("about").unwrap()), "/en/about/");
    }

    #[test]
    fn validation() {
        assert!(draft().validate().is_ok());
        let mut d = draft();
        d.title = "  ".into();
        assert!(d.validate().is_err());
        let mut d = draft();
        d.status = Status::Published;
        assert!(d.validate().is_err());
        let mut d = draft();
        d.tags = vec!["a/b".into()];
        assert!(d.validate().is_err());
    }
}
