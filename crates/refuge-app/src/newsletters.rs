//! Sending a newsletter issue: to every confirmed subscriber of its
//! language and topic, once each, then into the public archive for good.
//! The mails' words are the web layer's (it knows the site's strings);
//! when to send and what counts as sent is decided here.

use refuge_core::subscribers::Topic;
use refuge_core::{AuditLog, Language, MailStore, Newsletter, Role, StoreError, User};

use crate::release::Field;

use crate::AppError;

/// What sending did.
#[derive(Debug)]
pub struct Sent {
    /// The issue as it is now (sent, in the archive).
    pub issue: Newsletter,
    /// Mails queued by this send (fewer than the list when an earlier,
    /// interrupted send queued some).
    pub queued: usize,
}

/// Saves an issue not yet sent (new when `id` is `None`), its markup
/// written exactly (editors and admins). It goes public when sent, and is
/// checked against every protected name then.
pub fn save<S>(
    store: &S,
    actor: &User,
    id: Option<i64>,
    lang: &Language,
    topic: Topic,
    title: &str,
    body: &str,
) -> Result<Newsletter, AppError>
where
    S: MailStore + AuditLog + ?Sized,
{
    if !matches!(actor.role, Role::Admin | Role::Editor) {
        return Err(AppError::Forbidden);
    }
    crate::release::check_markup(&[(Field::Subject, title), (Field::Body, body)])?;
    let issue = store.save_newsletter(id, lang, topic, title, body)?;
    let subject = format!("{} no. {}", issue.lang, issue.number);
    crate::audit::record(store, actor.email.as_str(), "save newsletter", &subject, "");
    Ok(issue)
}

/// Sends issue `id`: `mail_list` queues its mail for every subscriber (once
/// per subscriber and issue, so calling it again after a failure goes on
/// where it stopped); only when that succeeded is the issue marked sent.
/// An issue is never sent twice.
pub fn send<S, F>(store: &S, actor: &User, id: i64, mail_list: F) -> Result<Sent, AppError>
where
    S: MailStore + AuditLog + ?Sized,
    F: FnOnce(&Newsletter) -> Result<usize, StoreError>,
{
    if !matches!(actor.role, Role::Admin | Role::Editor) {
        return Err(AppError::Forbidden);
    }
    let issue = store.newsletter(id)?.ok_or_else(|| AppError::NotFound(format!("newsletter {id}")))?;
    if issue.sent_at.is_some() {
        return Err(AppError::Conflict("this issue was sent already".into()));
    }
    let queued = mail_list(&issue)?;
    store.mark_newsletter_sent(id)?;
    let subject = format!("{} no. {}", issue.lang, issue.number);
    crate::audit::record(store, actor.email.as_str(), "send newsletter", &subject, &format!("{queued} recipients"));
    let issue = store.newsletter(id)?.ok_or_else(|| AppError::NotFound(format!("newsletter {id}")))?;
    Ok(Sent { issue, queued })
}

#[cfg(test)]
mod tests {
    use refuge_core::ListReads;
    use refuge_core::{Email, Language, UserStore};
    use refuge_store::SqlStore;

    use super::*;

    #[test]
    fn an_issue_is_marked_sent_only_once_its_mail_is_queued() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqlStore::open(&dir.path().join("refuge.db")).unwrap();
        let ed = store.add_user(&Email::parse("ed@example.org").unwrap(), Role::Editor, "a long password").unwrap();
        let en = Language::parse("en").unwrap();
        let issue = store.save_newsletter(None, &en, refuge_core::subscribers::Topic::News, "Spring", "Text").unwrap();
        let failed = send(&store, &ed, issue.id, |_| Err(StoreError::Backend("injected".into())));
        assert!(matches!(failed, Err(AppError::Storage(_))), "{failed:?}");
        assert!(
            store.newsletter(issue.id).unwrap().unwrap().sent_at.is_none(),
            "not marked sent: it can be sent again"
        );
        let sent = send(&store, &ed, issue.id, |n| Ok(usize::try_from(n.number).unwrap())).unwrap();
        assert!(sent.issue.sent_at.is_some());
        let again = send(&store, &ed, issue.id, |_| panic!("never mailed twice"));
        assert!(matches!(again, Err(AppError::Conflict(_))));
        assert!(matches!(send(&store, &ed, 999, |_| Ok(0)), Err(AppError::NotFound(_))));
    }
}
