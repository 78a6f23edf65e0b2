//! An in-memory store for the use cases' unit tests: the inbox, the
//! outbox, the audit log, accounts and their sessions (`accounts.rs`) and
//! the media library's records (`media.rs`), as plain vectors, with a
//! switch that makes the next write of one kind fail the way a database
//! does. It is the second implementation of those traits, so the use
//! cases are checked against the traits, not against SQLite's behaviour.
//! The outbox's sending side (`take_due`, `mark_*`) is not modelled: no
//! use case sends mail; the mail task does, against the real store.

mod accounts;
mod media;

use std::sync::Mutex;

use refuge_core::store::StoreResult;
use refuge_core::{
    AuditEntry, AuditLog, AuditReads, MessageMeta, MessageReads, MessageStore, NewMail, Outbox, OutboxMail,
    OutboxReads, StoreError,
};
use time::OffsetDateTime;

/// A write that can be made to fail once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fail {
    Enqueue,
    SetHandled,
    Delete,
    /// An account change (`change_account`, `set_email`…).
    Account,
    /// A media record's write.
    Media,
    /// The audit log's write.
    Audit,
}

#[derive(Default)]
struct Inner {
    messages: Vec<(MessageMeta, Vec<u8>)>,
    outbox: Vec<(String, OutboxMail)>,
    audit: Vec<(String, String, String)>,
    users: Vec<accounts::Account>,
    sessions: Vec<accounts::MemSession>,
    media: Vec<refuge_core::Media>,
    names: Vec<refuge_core::redaction::MarkedName>,
    fail: Option<Fail>,
    next_id: i64,
}

impl Inner {
    fn next_id(&mut self) -> i64 {
        self.next_id += 1;
        self.next_id
    }
}

/// The fake itself; `Send + Sync` like the real store.
#[derive(Default)]
pub struct Memory(Mutex<Inner>);

impl Memory {
    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The next write of this kind fails as a broken database would.
    pub fn fail_next(&self, what: Fail) {
        self.inner().fail = Some(what);
    }

    fn failing(&self, what: Fail) -> StoreResult<()> {
        let mut inner = self.inner();
        if inner.fail == Some(what) {
            inner.fail = None;
            return Err(StoreError::Backend(format!("{what:?} failed (test)")));
        }
        Ok(())
    }

    /// Queued mail: (dedupe key, recipient, subject, body).
    pub fn queued(&self) -> Vec<(String, String, String, String)> {
        let inner = self.inner();
        inner.outbox.iter().map(|(k, m)| (k.clone(), m.recipient.clone(), m.subject.clone(), m.body.clone())).collect()
    }

    /// Writes a change's audit line first, as the store does in the
    /// change's transaction: when it fails (`Fail::Audit`), the change is
    /// not made.
    pub(super) fn audit_with(&self, line: Option<&refuge_core::AuditLine<'_>>, subject: &str) -> StoreResult<()> {
        let Some(line) = line else { return Ok(()) };
        self.failing(Fail::Audit)?;
        self.inner().audit.push((line.actor.into(), line.action.into(), subject.into()));
        Ok(())
    }

    /// Audit lines: (actor, action, subject).
    pub fn audit_lines(&self) -> Vec<(String, String, String)> {
        self.inner().audit.clone()
    }
}

impl MessageReads for Memory {
    fn unhandled_count(&self) -> StoreResult<u32> {
        Ok(self.inner().messages.iter().filter(|(m, _)| !m.handled).count() as u32)
    }
    fn messages(&self, offset: u32, limit: u32) -> StoreResult<(Vec<MessageMeta>, u32)> {
        let inner = self.inner();
        let all: Vec<MessageMeta> = inner.messages.iter().rev().map(|(m, _)| m.clone()).collect();
        let page = all.iter().skip(offset as usize).take(limit as usize).cloned().collect();
        Ok((page, all.len() as u32))
    }
    fn sealed_message(&self, id: i64) -> StoreResult<Option<Vec<u8>>> {
        Ok(self.inner().messages.iter().find(|(m, _)| m.id == id).map(|(_, b)| b.clone()))
    }
}

impl MessageStore for Memory {
    fn add_message(&self, category: &str, lang: &str, sealed: &[u8]) -> StoreResult<i64> {
        let mut inner = self.inner();
        inner.next_id += 1;
        let meta = MessageMeta {
            id: inner.next_id,
            received_at: OffsetDateTime::now_utc(),
            size: sealed.len() as u64,
            category: category.into(),
            lang: lang.into(),
            handled: false,
        };
        inner.messages.push((meta, sealed.to_vec()));
        Ok(inner.next_id)
    }

    fn set_handled(&self, id: i64, handled: bool) -> StoreResult<()> {
        self.failing(Fail::SetHandled)?;
        let mut inner = self.inner();
        let found = inner.messages.iter_mut().find(|(m, _)| m.id == id);
        let (meta, _) = found.ok_or_else(|| StoreError::NotFound(format!("message {id}")))?;
        meta.handled = handled;
        Ok(())
    }

    fn delete_message(&self, id: i64) -> StoreResult<refuge_core::Erasure> {
        self.failing(Fail::Delete)?;
        let mut inner = self.inner();
        let before = inner.messages.len();
        inner.messages.retain(|(m, _)| m.id != id);
        if inner.messages.len() == before {
            Err(StoreError::NotFound(format!("message {id}")))
        } else {
            Ok(refuge_core::Erasure::Complete)
        }
    }

    fn purge_handled_messages(&self, before: OffsetDateTime) -> StoreResult<u64> {
        let mut inner = self.inner();
        let count = inner.messages.len();
        inner.messages.retain(|(m, _)| !(m.handled && m.received_at < before));
        Ok((count - inner.messages.len()) as u64)
    }
}

impl OutboxReads for Memory {
    fn next_mail_due(&self) -> StoreResult<Option<OffsetDateTime>> {
        Ok(None)
    }
    fn outbox_counts(&self) -> StoreResult<[u64; 4]> {
        Ok([self.inner().outbox.len() as u64, 0, 0, 0])
    }
}

impl Outbox for Memory {
    fn enqueue(&self, mail: &NewMail<'_>) -> StoreResult<bool> {
        self.failing(Fail::Enqueue)?;
        let mut inner = self.inner();
        if inner.outbox.iter().any(|(k, _)| k == mail.dedupe.as_str()) {
            return Ok(false);
        }
        inner.next_id += 1;
        let queued = OutboxMail {
            id: inner.next_id,
            kind: mail.kind,
            lang: mail.lang.into(),
            uid: format!("uid{}", inner.next_id),
            recipient: mail.recipient.into(),
            subject: mail.subject.into(),
            body: mail.body.into(),
            unsubscribe: mail.unsubscribe.into(),
            attempts: 0,
        };
        inner.outbox.push((mail.dedupe.as_str().to_owned(), queued));
        Ok(true)
    }

    fn take_due(&self, _now: OffsetDateTime) -> StoreResult<Option<OutboxMail>> {
        Ok(None)
    }

    fn mark_sent(&self, _id: i64) -> StoreResult<()> {
        Ok(())
    }

    fn mark_retry(&self, _id: i64, _error: &str, _next: OffsetDateTime) -> StoreResult<()> {
        Ok(())
    }

    fn mark_failed(&self, _id: i64, _error: &str) -> StoreResult<()> {
        Ok(())
    }

    fn recover_interrupted(&self) -> StoreResult<u64> {
        Ok(0)
    }
}

impl AuditReads for Memory {
    fn audit_entries(&self, offset: u32, limit: u32) -> StoreResult<(Vec<AuditEntry>, u32)> {
        let inner = self.inner();
        let entries = (inner.audit.iter().enumerate().rev())
            .skip(offset as usize)
            .take(limit as usize)
            .map(|(at, (actor, action, subject))| AuditEntry {
                id: at as i64 + 1,
                at: OffsetDateTime::UNIX_EPOCH,
                actor: actor.clone(),
                action: action.clone(),
                subject: subject.clone(),
                detail: String::new(),
            })
            .collect();
        Ok((entries, inner.audit.len() as u32))
    }
}

impl AuditLog for Memory {
    fn record(&self, actor: &str, action: &str, subject: &str, _detail: &str) -> StoreResult<()> {
        self.failing(Fail::Audit)?;
        self.inner().audit.push((actor.into(), action.into(), subject.into()));
        Ok(())
    }
}
