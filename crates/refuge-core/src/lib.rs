//! Refuge's content model, owned here and shared by every other crate.
//!
//! This crate owns the domain types that validate on construction
//! ([`Language`], [`Slug`], [`Email`], [`Role`]), the content records
//! (articles, pages, FAQ entries, categories), the storage traits that the
//! storage crate implements ([`store::ContentStore`], [`store::UserStore`]) and
//! the Markdown → safe HTML conversion used everywhere content is shown.
//!
//! It must not know about SQL, HTTP or templates.

pub mod appeal;
pub mod change;
pub mod content;
pub mod data_dir;
pub mod digest;
pub mod form;
pub mod lang;
pub mod mail;
pub mod mail_text;
pub mod markdown;
pub mod media_files;
pub mod redaction;
pub mod search;
pub mod secret;
pub mod slug;
pub mod store;
pub mod subscribers;
pub mod user;

pub use appeal::{Addressee, AppealFacts, AppealUpdate, CaseStatus, NewUpdate};
pub use change::{Change, ChangeFeed, ChangeLog, ItemFacts};
pub use content::{
    AdminFilter, AdminRow, AdminSort, Aside, AsideKind, AuditEntry, Category, FaqEntry, Item, ItemDraft, ItemRef, Kind,
    Media, MenuEntry, NewAside, NewsFilter, Revision, Status,
};
pub use data_dir::DataDir;
pub use lang::Language;
pub use mail::{
    BOUNCING, Confirmation, DedupeKey, ImportOutcome, ImportedSubscriber, MailKind, MessageMeta, NewMail, Newsletter,
    OutboxMail, Purpose, Subscriber, SubscriberCount, SubscriberRecord, SubscriberState, SubscriptionRequest,
};
pub use media_files::{MediaFileError, MediaFiles, MediaFolder};
pub use slug::Slug;
pub use store::{
    AccountChange, AppealDeskReads, AppealReads, AppealStore, AsideReads, AsideStore, AuditLine, AuditLog, AuditReads,
    BackOfficeReads, ClientLimits, ContentReads, ContentStore, Erasure, ItemSave, Leases, ListReads, MailStore,
    MediaReads, MediaStore, MessageReads, MessageStore, NameReads, NewsletterReads, Outbox, OutboxReads, PublicContent,
    PublicStore, RedirectReads, RedirectStore, RedirectTarget, SignInThrottle, SiteSecrets, Store, StoreError,
    SubscriberReads, SubscriberStore, UserReads, UserStore,
};
pub use user::{Email, PasswordWeakness, Role, Session, User};
