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
    /// Published (or, unpublished, last changed) on or after this day…
    pub from: Option<time::Date>,
    /// …and on or before this one.
    pub to: Option<time::Date>,
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

/// Where the people of an appeal stand.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub enum CaseStatus {
    AtRisk,
    Detained,
    Released,
    Repatriated,
    Safe,
    Unknown,
}

impl CaseStatus {
    pub const ALL: [CaseStatus; 6] =
        [Self::AtRisk, Self::Detained, Self::Released, Self::Repatriated, Self::Safe, Self::Unknown];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::AtRisk => "at-risk",
            Self::Detained => "detained",
            Self::Released => "released",
            Self::Repatriated => "repatriated",
            Self::Safe => "safe",
            Self::Unknown => "unknown",
        }
    }

    /// Whether people are still in danger, so readers should act.
    pub fn needs_action(self) -> bool {
        matches!(self, Self::AtRisk | Self::Detained | Self::Unknown)
    }
}

impl FromStr for CaseStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|c| c.as_str() == s).ok_or_else(|| format!("unknown case status `{s}`"))
    }
}

/// The facts of an urgent appeal, per language version. Real names are
/// never required: `people` holds a count, pseudonyms or initials.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct AppealFacts {
    pub number: String,
    pub people_count: Option<u32>,
    pub people: String,
    /// Whether `[[name:…]]` markup may show full names publicly.
    pub names_public: bool,
    pub ages: String,
    pub held_where: String,
    /// A date as written (`2026-01-14`), possibly blurred by markup.
    pub held_since: String,
    pub risk: String,
    pub status: Option<CaseStatus>,
    /// Markdown: what readers should do.
    pub action: String,
    /// Plain text: a sample letter.
    pub letter: String,
    /// `YYYY-MM-DD`; after it the appeal is shown as closed.
    pub deadline: String,
}

/// Someone readers should write to about an appeal.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Addressee {
    pub name: String,
    pub institution: String,
    pub address: String,
    pub email: String,
    pub fax: String,
}

/// A dated entry of an appeal's timeline ("further information").
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct AppealUpdate {
    pub id: i64,
    pub item_id: i64,
    /// `YYYY-MM-DD`.
    pub date: String,
    /// Markdown.
    pub text: String,
    pub source: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// A contact message as the inbox lists it: what is in clear.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct MessageMeta {
    pub id: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub received_at: OffsetDateTime,
    pub size: u64,
    pub category: String,
    pub lang: String,
    pub handled: bool,
}

/// Someone on the mailing list.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Subscriber {
    pub id: i64,
    pub email: String,
    pub lang: String,
    /// `news`, `appeals`.
    pub topics: Vec<String>,
    /// Secret for the confirmation and unsubscribe links.
    pub token: String,
    pub confirmed: bool,
    /// Permanent delivery failures in a row; at `BOUNCING` the address
    /// gets no more list mail.
    pub bounces: u32,
}

/// Where a subscription stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SubscriberState {
    /// Signed up, the confirmation link not yet used.
    Waiting,
    Confirmed,
    /// Confirmed, but mail to it failed for good `BOUNCING` times.
    Bouncing,
    /// Left; the row is deleted 30 days later.
    Unsubscribed,
}

impl SubscriberState {
    pub const ALL: [SubscriberState; 4] = [Self::Waiting, Self::Confirmed, Self::Bouncing, Self::Unsubscribed];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Waiting => "waiting",
            Self::Confirmed => "confirmed",
            Self::Bouncing => "bouncing",
            Self::Unsubscribed => "unsubscribed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// One subscription (an address in one language) as the list's owners
/// see it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SubscriberRecord {
    pub id: i64,
    pub email: String,
    pub lang: String,
    pub topics: Vec<String>,
    pub state: SubscriberState,
    /// How it joined: `form`, `contact form`, or `import: SOURCE`.
    pub source: String,
    #[serde(with = "time::serde::rfc3339")]
    pub joined_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub confirmed_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_sent_at: Option<OffsetDateTime>,
    pub bounces: u32,
}

/// How many subscriptions are in one language, topic and state.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SubscriberCount {
    pub lang: String,
    pub topic: String,
    pub state: SubscriberState,
    pub count: u64,
}

/// One address to bring in from an existing list.
#[derive(Clone, Debug)]
pub struct ImportedSubscriber {
    pub email: String,
    pub lang: crate::Language,
    pub topics: Vec<String>,
    pub joined_at: Option<OffsetDateTime>,
}

/// What became of one imported address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImportOutcome {
    Added,
    /// Already there: topics joined, or (without re-confirmation) confirmed.
    Updated,
    Unchanged,
    /// Removed or unsubscribed before: never brought back by an import.
    Suppressed,
}

/// Permanent delivery failures after which an address is left out.
pub const BOUNCING: u32 = 3;

/// What a mail is: decides the headers it goes out with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MailKind {
    /// The link that confirms a sign-up.
    Confirm,
    /// The welcome after confirming.
    Welcome,
    Newsletter,
    /// Further information on an appeal, to its subscribers.
    AppealUpdate,
    /// "A message arrived" to the staff.
    StaffNotice,
    /// A person's answer to a contact message.
    Reply,
    Other,
}

impl MailKind {
    pub const ALL: [MailKind; 7] = [
        Self::Confirm,
        Self::Welcome,
        Self::Newsletter,
        Self::AppealUpdate,
        Self::StaffNotice,
        Self::Reply,
        Self::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Confirm => "confirm",
            Self::Welcome => "welcome",
            Self::Newsletter => "newsletter",
            Self::AppealUpdate => "appeal-update",
            Self::StaffNotice => "staff-notice",
            Self::Reply => "reply",
            Self::Other => "other",
        }
    }

    /// The kind named `text`; anything unknown is `Other`.
    pub fn parse(text: &str) -> Self {
        Self::ALL.into_iter().find(|k| k.as_str() == text).unwrap_or(Self::Other)
    }

    /// Sent to a mailing list: `List-Id`, one-click unsubscribe, `Precedence: bulk`.
    pub fn is_list(self) -> bool {
        matches!(self, Self::Newsletter | Self::AppealUpdate)
    }

    /// Sent by the program rather than written to this person
    /// (`Auto-Submitted: auto-generated`, RFC 3834).
    pub fn is_automatic(self) -> bool {
        matches!(self, Self::Confirm | Self::Welcome | Self::AppealUpdate | Self::StaffNotice)
    }

    /// Sent to a subscriber, whose permanent failures are counted.
    pub fn to_subscriber(self) -> bool {
        matches!(self, Self::Confirm | Self::Welcome | Self::Newsletter | Self::AppealUpdate)
    }
}

/// A mail to put in the outbox.
#[derive(Clone, Copy, Debug)]
pub struct NewMail<'a> {
    /// Unique for ever per mail: a second mail with the same key is
    /// never queued. Never build it from a row id that can be reused.
    pub dedupe: &'a str,
    pub kind: MailKind,
    /// The language of the text (for the list's name), or "".
    pub lang: &'a str,
    pub recipient: &'a str,
    pub subject: &'a str,
    pub body: &'a str,
    /// The one-click unsubscribe URL of list mail, or "".
    pub unsubscribe: &'a str,
}

/// Outbox mails whose dedupe key starts with this are private (replies
/// to contact messages): the store leaves no copy of them on disk once
/// they are sent.
pub const PRIVATE_MAIL_PREFIX: &str = "reply:";

/// An e-mail waiting in (or gone through) the outbox.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct OutboxMail {
    pub id: i64,
    pub kind: MailKind,
    pub lang: String,
    /// Random, made when the mail was queued: its `Message-ID`.
    pub uid: String,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    /// The one-click unsubscribe URL, if this is list mail.
    pub unsubscribe: String,
    pub attempts: u32,
}

/// A newsletter issue.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Newsletter {
    pub id: i64,
    pub lang: Language,
    /// Numbered per language: 1, 2, 3 …
    pub number: i64,
    /// `news` or `appeals`: who receives it.
    pub topic: String,
    pub title: String,
    /// Markdown.
    pub body: String,
    #[serde(with = "time::serde::rfc3339::option")]
    pub sent_at: Option<OffsetDateTime>,
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
