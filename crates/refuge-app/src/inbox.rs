//! The inbox's actions, as an admin takes them: mark a message handled,
//! delete it, answer it. Opening a message needs the inbox key, which
//! lives in the admin's session memory only; the caller holds it, and
//! these use cases never see a message's words — only a reply's.

use refuge_core::{AuditLog, Email, MessageStore, NewMail, Outbox, User};

use crate::AppError;
use crate::access::admin_only;

/// Longest reply accepted, in characters.
pub const MAX_REPLY: usize = 20_000;

/// Why a reply cannot be sent as written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReplyRefusal {
    /// The writer left no address that mail can reach.
    #[error("the message has no address to answer")]
    NoAddress,
    /// Empty, or longer than [`MAX_REPLY`].
    #[error("a reply must have text, at most {MAX_REPLY} characters")]
    Length,
}

/// Checks a reply before it is composed: the address it goes to, and the
/// text (trimmed) within bounds.
pub fn check_reply(reply_to: &str, draft: &str) -> Result<Email, ReplyRefusal> {
    let to = Email::parse(reply_to).map_err(|_| ReplyRefusal::NoAddress)?;
    let draft = draft.trim();
    if draft.is_empty() || draft.chars().count() > MAX_REPLY {
        return Err(ReplyRefusal::Length);
    }
    Ok(to)
}

/// What became of a reply that was queued.
#[derive(Debug, PartialEq, Eq)]
pub struct Replied {
    /// Whether the message could also be marked handled (the reply is
    /// queued either way; a message left unhandled is only a nuisance).
    pub marked_handled: bool,
}

/// Queues a composed reply to message `id`, then marks the message
/// handled. A reply that cannot be queued is an error and changes
/// nothing.
pub fn queue_reply<S>(store: &S, actor: &User, id: i64, mail: &NewMail<'_>) -> Result<Replied, AppError>
where
    S: MessageStore + Outbox + AuditLog + ?Sized,
{
    admin_only(actor)?;
    store.sealed_message(id)?.ok_or_else(|| AppError::NotFound(format!("message {id}")))?;
    if !store.enqueue(mail)? {
        return Err(AppError::Conflict("this reply was queued already".into()));
    }
    let marked_handled = match store.set_handled(id, true) {
        Ok(()) => true,
        Err(e) => {
            tracing::error!(error = %e, id, "a replied message could not be marked handled");
            false
        }
    };
    crate::audit::record(store, actor.email.as_str(), "reply to message", &format!("message {id}"), "");
    Ok(Replied { marked_handled })
}

/// Marks message `id` handled (or not).
pub fn set_handled<S>(store: &S, actor: &User, id: i64, handled: bool) -> Result<(), AppError>
where
    S: MessageStore + AuditLog + ?Sized,
{
    admin_only(actor)?;
    store.set_handled(id, handled)?;
    let action = if handled { "mark message handled" } else { "mark message unhandled" };
    crate::audit::record(store, actor.email.as_str(), action, &format!("message {id}"), "");
    Ok(())
}

/// Deletes message `id` for good (its sealed bytes are overwritten by the
/// store); whether an old copy stays on disk for a while.
pub fn delete<S>(store: &S, actor: &User, id: i64) -> Result<refuge_core::Erasure, AppError>
where
    S: MessageStore + AuditLog + ?Sized,
{
    admin_only(actor)?;
    let erased = store.delete_message(id)?;
    let detail = match erased {
        refuge_core::Erasure::Complete => "",
        refuge_core::Erasure::Pending => "an old copy stays in the write-ahead log until the next fold",
    };
    crate::audit::record(store, actor.email.as_str(), "delete message", &format!("message {id}"), detail);
    Ok(erased)
}

#[cfg(test)]
mod tests {
    use refuge_core::MessageReads;
    use refuge_core::{DedupeKey, MailKind, Purpose, Role};

    use super::*;
    use crate::memory::{Fail, Memory};

    fn user(role: Role) -> User {
        User {
            id: 1,
            email: Email::parse("ana@example.org").unwrap(),
            role,
            languages: Vec::new(),
            totp: false,
            must_change_password: false,
            time_zone: None,
        }
    }

    fn reply<'a>(key: &'a DedupeKey, body: &'a str) -> NewMail<'a> {
        NewMail {
            dedupe: key,
            kind: MailKind::Reply,
            lang: "ja",
            recipient: "writer@example.org",
            subject: "Re",
            body,
            unsubscribe: "",
        }
    }

    #[test]
    fn a_reply_is_checked_before_it_is_written() {
        assert_eq!(check_reply("not an address", "Hello"), Err(ReplyRefusal::NoAddress));
        assert_eq!(check_reply("writer@example.org", "  \n "), Err(ReplyRefusal::Length));
        assert_eq!(check_reply("writer@example.org", &"あ".repeat(MAX_REPLY + 1)), Err(ReplyRefusal::Length));
        assert_eq!(check_reply("writer@example.org", &"あ".repeat(MAX_REPLY)).unwrap().as_str(), "writer@example.org");
    }

    #[test]
    fn a_reply_is_queued_once_and_marks_the_message_handled() {
        let store = Memory::default();
        let id = store.add_message("help", "ja", b"sealed").unwrap();
        let key = DedupeKey::once(Purpose::Reply);
        let admin = user(Role::Admin);

        assert!(matches!(queue_reply(&store, &user(Role::Editor), id, &reply(&key, "x")), Err(AppError::Forbidden)));
        assert!(matches!(queue_reply(&store, &admin, id + 1, &reply(&key, "x")), Err(AppError::NotFound(_))));
        assert!(store.queued().is_empty(), "nothing queued for a refused reply");

        assert_eq!(
            queue_reply(&store, &admin, id, &reply(&key, "We are here.")).unwrap(),
            Replied { marked_handled: true }
        );
        assert!(store.messages(0, 10).unwrap().0[0].handled);
        assert!(matches!(queue_reply(&store, &admin, id, &reply(&key, "again")), Err(AppError::Conflict(_))));
        assert_eq!(store.queued().len(), 1, "the same reply is never queued twice");
        assert_eq!(
            store.audit_lines(),
            [("ana@example.org".into(), "reply to message".into(), format!("message {id}"))]
        );
    }

    #[test]
    fn a_reply_the_outbox_refuses_changes_nothing() {
        let store = Memory::default();
        let id = store.add_message("help", "en", b"sealed").unwrap();
        let admin = user(Role::Admin);
        store.fail_next(Fail::Enqueue);
        let e = queue_reply(&store, &admin, id, &reply(&DedupeKey::once(Purpose::Reply), "x")).unwrap_err();
        assert!(matches!(e, AppError::Storage(_)), "{e:?}");
        assert!(!store.messages(0, 10).unwrap().0[0].handled, "not marked handled when nothing was sent");
        assert!(store.audit_lines().is_empty());

        // Queued, but the mark fails: the reply stands and says so.
        store.fail_next(Fail::SetHandled);
        let done = queue_reply(&store, &admin, id, &reply(&DedupeKey::once(Purpose::Reply), "x")).unwrap();
        assert_eq!(done, Replied { marked_handled: false });
        assert_eq!(store.queued().len(), 1);
    }

    #[test]
    fn handled_and_delete_report_what_happened() {
        let store = Memory::default();
        let id = store.add_message("help", "en", b"sealed").unwrap();
        let admin = user(Role::Admin);
        assert!(matches!(set_handled(&store, &user(Role::Translator), id, true), Err(AppError::Forbidden)));
        set_handled(&store, &admin, id, true).unwrap();
        assert_eq!(store.unhandled_count().unwrap(), 0);
        assert!(matches!(set_handled(&store, &admin, 99, true), Err(AppError::NotFound(_))));

        // A database failure is a failure, never "not found" and never "done".
        store.fail_next(Fail::Delete);
        assert!(matches!(delete(&store, &admin, id), Err(AppError::Storage(_))));
        assert_eq!(store.messages(0, 10).unwrap().1, 1, "still there");
        delete(&store, &admin, id).unwrap();
        assert!(matches!(delete(&store, &admin, id), Err(AppError::NotFound(_))));
        let actions: Vec<String> = store.audit_lines().into_iter().map(|(_, a, _)| a).collect();
        assert_eq!(actions, ["mark message handled", "delete message"]);
    }
}
