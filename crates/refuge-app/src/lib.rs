//! The application layer of Refuge: what people do with the site, as
//! plain Rust over the storage traits of `refuge-core`, with no HTTP and
//! no templates. The web layer extracts a request, calls one use case
//! here and renders its answer; the command line calls the same ones.
//!
//! - [`App`]: the handle a running server changes anything through; it
//!   alone holds the store's writing side, and gives the web layer a
//!   read-only view;
//! - [`access`]: who may do what with an item (roles and languages);
//! - [`accounts`]: accounts and roles, each change ending the account's
//!   sessions in the same transaction;
//! - [`appeals`]: an appeal's timeline — entries, translations of other
//!   versions' entries, approval, deletion;
//! - [`audit`]: events recorded in the audit log (sign-in, exports…);
//! - [`contact`]: a contact message checked and kept sealed;
//! - [`drafts`]: autosaves, and forms sent after their session ended, kept
//!   for their author;
//! - [`editorial`]: saving an item with everything that belongs to it,
//!   in one transaction;
//! - [`housekeeping`]: what is kept no longer than it should be, and the
//!   lease under which one server does it;
//! - [`inbox`]: a message marked handled, deleted, answered;
//! - [`items`]: restoring a revision, deleting, bulk publish, unpublish
//!   and delete, through the same publication check as a save;
//! - [`list`]: the mailing list as admins manage it (remove, topics, links
//!   sent again);
//! - [`media`]: an upload's record and texts (one write), who may describe
//!   it, its deletion;
//! - [`newsletters`]: an issue sent once, marked sent only when queued;
//! - [`publishing`]: scheduled items published when their time comes;
//! - [`release`]: the one guard on every way out (markup written exactly,
//!   no protected name in anything made public);
//! - [`sessions`]: signing in (password, second step), sessions started,
//!   kept alive and ended, failed sign-ins counted;
//! - [`site`]: settings, the FAQ and the menus, checked like anything public;
//! - [`subscriptions`]: signing up (double opt-in), confirming, topics,
//!   leaving;
//! - [`AppError`]: what went wrong, typed, never raw storage text.

pub mod access;
pub mod accounts;
mod app;
pub mod appeals;
pub mod audit;
pub mod contact;
pub mod drafts;
pub mod editorial;
mod error;
pub mod housekeeping;
pub mod inbox;
pub mod items;
pub mod list;
pub mod media;
#[cfg(test)]
mod memory;
pub mod newsletters;
pub mod publishing;
pub mod release;
pub mod sessions;
pub mod site;
pub mod subscriptions;
pub mod totp;

pub use app::App;
pub use error::AppError;

/// For tests: an editor and a Japanese translator in `store`.
#[cfg(test)]
pub(crate) fn test_staff<S>(store: &S) -> (refuge_core::User, refuge_core::User)
where
    S: refuge_core::UserStore + ?Sized,
{
    use refuge_core::{Email, Language, Role};
    let ed = store.add_user(&Email::parse("e@example.org").unwrap(), Role::Editor, "a long password").unwrap();
    let tr = store.add_user(&Email::parse("t@example.org").unwrap(), Role::Translator, "a long password").unwrap();
    store.set_role(tr.id, Role::Translator, &[Language::parse("ja").unwrap()]).unwrap();
    (ed, store.user(tr.id).unwrap().unwrap())
}
