//! Scheduled publication: items whose time has come are published, each
//! in its own transaction (the item and its revision), with an audit line
//! signed by the scheduler. The schedule lives in the database, so it
//! survives restarts; the caller only decides when to look.

use refuge_core::{AppealReads, AuditLog, ContentStore, Item, ItemSave, NameReads, Status, StoreError};
use time::OffsetDateTime;

use crate::AppError;

/// One item published as scheduled, before and after, for the caller to
/// tell the cache and the search index.
#[derive(Debug)]
pub struct Published {
    pub before: Item,
    pub after: Item,
}

/// What one look at the schedule did.
#[derive(Debug, Default)]
pub struct Due {
    pub published: Vec<Published>,
    /// Items whose publication failed; they stay scheduled and are tried
    /// again at the next look.
    pub failed: Vec<(i64, AppError)>,
    /// Items that would have shown a protected name, now drafts again.
    pub refused: Vec<Published>,
}

/// Who the audit log names for scheduled publication.
pub const SCHEDULER: &str = "scheduler";

/// The note in the item's history.
const NOTE: &str = "published as scheduled";

/// Publishes every scheduled item due at `now`. One item's failure does
/// not stop the others; reading the schedule failing is an error. An
/// item that would show a protected name (a name marked elsewhere since
/// it was scheduled) goes back to draft, with the reason in its history.
pub fn publish_due<S>(store: &S, now: OffsetDateTime) -> Result<Due, AppError>
where
    S: ContentStore + AppealReads + NameReads + AuditLog + ?Sized,
{
    let mut due = Due::default();
    for item in store.due_scheduled(now)? {
        // The time the editor chose stays the publication date.
        let draft = item.redraft(Status::Published, item.published_at);
        if let Err(refused) = crate::release::check_item(store, Some(item.id), &draft, None) {
            let back = item.redraft(Status::Draft, item.published_at);
            let note = format!("not published as scheduled: {refused}");
            let save =
                ItemSave { only_if: Some(Status::Scheduled), ..ItemSave::item(Some(item.id), &back, None, &note) };
            match store.save_item_with(&save) {
                Ok(after) => {
                    let subject = format!("{} {} ({})", item.kind, item.id, item.lang);
                    let why = refused.reason();
                    crate::audit::record(store, SCHEDULER, "publish refused", &subject, why);
                    tracing::error!(id = item.id, why, "a scheduled item was not published");
                    due.refused.push(Published { before: item, after });
                }
                Err(e) => due.failed.push((item.id, e.into())),
            }
            continue;
        }
        // Only if still scheduled: another server sharing the database
        // may have published it a moment ago.
        let save = ItemSave { only_if: Some(Status::Scheduled), ..ItemSave::item(Some(item.id), &draft, None, NOTE) };
        match store.save_item_with(&save) {
            Ok(after) => {
                let subject = format!("{} {} “{}” ({})", item.kind, item.id, item.title, item.lang);
                crate::audit::record(store, SCHEDULER, "publish", &subject, "scheduled");
                due.published.push(Published { before: item, after });
            }
            Err(StoreError::Conflict(_)) => {
                tracing::debug!(id = item.id, "a scheduled item was published meanwhile, elsewhere");
            }
            Err(e) => {
                tracing::error!(error = %e, id = item.id, "scheduled publication failed; tried again at the next look");
                due.failed.push((item.id, e.into()));
            }
        }
    }
    Ok(due)
}

/// When the next scheduled item is due, if any.
pub fn next_due<S: refuge_core::ContentReads + ?Sized>(store: &S) -> Result<Option<OffsetDateTime>, AppError> {
    Ok(store.next_scheduled()?)
}

#[cfg(test)]
mod tests {
    use refuge_core::{AuditReads, ContentReads};
    use refuge_core::{ItemDraft, Kind, Language, PublicContent, Slug};
    use refuge_store::SqlStore;
    use time::Duration;

    use super::*;

    fn scheduled(store: &SqlStore, slug: &str, at: OffsetDateTime) -> Item {
        let draft = ItemDraft {
            group_id: None,
            kind: Kind::News,
            lang: Language::parse("en").unwrap(),
            slug: Slug::parse(slug).unwrap(),
            title: format!("Title {slug}"),
            summary: String::new(),
            body: "Body".into(),
            category: None,
            tags: Vec::new(),
            status: Status::Scheduled,
            published_at: Some(at),
        };
        store.save_item(None, &draft).unwrap()
    }

    #[test]
    fn due_items_are_published_at_their_own_time_and_others_wait() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqlStore::open(&dir.path().join("p.db")).unwrap();
        let now = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
        let past = scheduled(&store, "past", now - Duration::minutes(5));
        let future = scheduled(&store, "future", now + Duration::hours(2));
        assert_eq!(next_due(&store).unwrap(), Some(now - Duration::minutes(5)));

        let due = publish_due(&store, now).unwrap();
        assert!(due.failed.is_empty());
        assert_eq!(due.published.len(), 1);
        let done = &due.published[0];
        assert_eq!((done.before.id, done.before.status), (past.id, Status::Scheduled));
        assert_eq!(done.after.status, Status::Published);
        assert_eq!(done.after.published_at, past.published_at, "published at the time the editor chose");
        assert_eq!(store.item(future.id).unwrap().unwrap().status, Status::Scheduled);
        assert_eq!(next_due(&store).unwrap(), future.published_at);
        let (entries, _) = store.audit_entries(0, 10).unwrap();
        assert_eq!((entries[0].actor.as_str(), entries[0].action.as_str()), (SCHEDULER, "publish"));
        assert_eq!(store.all_published().unwrap().len(), 1);

        assert!(publish_due(&store, now).unwrap().published.is_empty(), "nothing twice");
    }

    #[test]
    fn two_servers_looking_at_once_publish_each_item_once() {
        for db in refuge_store::testing::each_engine() {
            let now = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
            let items: Vec<Item> =
                (0..20).map(|n| scheduled(&db.store, &format!("due-{n}"), now - Duration::minutes(1))).collect();
            let (a, b) = (db.reopen(), db.reopen());
            let (by_a, by_b) = std::thread::scope(|s| {
                let one = s.spawn(|| publish_due(&a, now).unwrap());
                let other = s.spawn(|| publish_due(&b, now).unwrap());
                (one.join().unwrap(), other.join().unwrap())
            });
            assert!(by_a.failed.is_empty() && by_b.failed.is_empty());
            assert_eq!(by_a.published.len() + by_b.published.len(), 20, "each once, by one of them");
            for item in &items {
                assert_eq!(db.store.revisions(item.id).unwrap().len(), 2, "scheduled, then published once");
            }
            let (entries, _) = db.store.audit_entries(0, 100).unwrap();
            assert_eq!(entries.iter().filter(|e| e.action == "publish").count(), 20);
        }
    }
}
