//! Changes to items other than the editor's save: restoring a revision,
//! deleting, and publishing, unpublishing or deleting in bulk. Each checks
//! who may do it, passes what goes online through the one publication
//! check ([`crate::release::check_item`]), writes, and records the audit
//! line; the caller tells the cache and the search index.

use refuge_core::{
    AppealReads, AuditLine, AuditLog, ContentStore, Item, ItemDraft, ItemSave, NameReads, Slug, Status, User,
};

use crate::AppError;
use crate::access::{can_edit, may_edit};
use crate::editorial::Saved;

/// What a bulk action does to each ticked item.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bulk {
    Publish,
    Unpublish,
    Delete,
}

impl Bulk {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "publish" => Some(Self::Publish),
            "unpublish" => Some(Self::Unpublish),
            "delete" => Some(Self::Delete),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Publish => "publish",
            Self::Unpublish => "unpublish",
            Self::Delete => "delete",
        }
    }
}

/// What a bulk action did, item by item.
#[derive(Debug, Default)]
pub struct BulkDone {
    /// Changed: the item before, and after (`None`: deleted).
    pub changed: Vec<(Item, Option<Item>)>,
    /// Left as they were, with the rule they broke (an image without its
    /// text, a protected name, markup).
    pub refused: Vec<(Item, AppError)>,
    /// The write failed (the detail is for the log).
    pub failed: Vec<(Item, AppError)>,
}

/// Publishes, unpublishes or deletes `items` (as read for the
/// confirmation), each in its own write: one refused or failed item
/// leaves the others done. Editors and admins only.
pub fn bulk<S>(store: &S, user: &User, items: Vec<Item>, action: Bulk) -> Result<BulkDone, AppError>
where
    S: ContentStore + AppealReads + NameReads + AuditLog + ?Sized,
{
    if !can_edit(user) {
        return Err(AppError::Forbidden);
    }
    let mut done = BulkDone::default();
    for item in items {
        let result = match action {
            Bulk::Delete => store.delete_item(item.id).map(|()| None).map_err(AppError::from),
            Bulk::Publish | Bulk::Unpublish => {
                let status = if action == Bulk::Publish { Status::Published } else { Status::Draft };
                if item.status == status {
                    continue;
                }
                let published_at = match action {
                    Bulk::Publish => item.published_at.or(Some(time::OffsetDateTime::now_utc())),
                    _ => item.published_at,
                };
                let draft = item.redraft(status, published_at);
                if action == Bulk::Publish
                    && let Err(refused) = crate::release::check_item(store, Some(item.id), &draft, None)
                {
                    done.refused.push((item, refused));
                    continue;
                }
                let audit = AuditLine { actor: user.email.as_str(), action: action.as_str(), detail: "bulk" };
                let save = ItemSave {
                    audit: Some(audit),
                    ..ItemSave::item(Some(item.id), &draft, Some(user.id), action.as_str())
                };
                store.save_item_with(&save).map(Some).map_err(AppError::from)
            }
        };
        match result {
            Ok(after) => {
                if after.is_none() {
                    // A deletion's line (a save's is written with it).
                    let subject = format!("{} {} “{}” ({})", item.kind, item.id, item.title, item.lang);
                    crate::audit::record(store, user.email.as_str(), action.as_str(), &subject, "bulk");
                }
                done.changed.push((item, after));
            }
            Err(e) => {
                tracing::error!(error = %e, id = item.id, "a bulk change failed");
                done.failed.push((item, e));
            }
        }
    }
    Ok(done)
}

/// Deletes one item with its revisions (editors, or a translator's own
/// draft translation).
pub fn delete<S>(store: &S, user: &User, id: i64) -> Result<Item, AppError>
where
    S: ContentStore + AuditLog + ?Sized,
{
    let item = store.item(id)?.ok_or_else(|| AppError::NotFound(format!("item {id}")))?;
    if !may_edit(user, &item) {
        return Err(AppError::Forbidden);
    }
    store.delete_item(item.id)?;
    let subject = format!("{} {} “{}” ({})", item.kind, item.id, item.title, item.lang);
    crate::audit::record(store, user.email.as_str(), "delete", &subject, "");
    Ok(item)
}

/// Restores a revision's content (address, title, texts, category, tags)
/// as a new revision; whether the item is online, and since when, stays
/// as it is, so an online item passes the publication check first.
pub fn restore<S>(store: &S, user: &User, item_id: i64, revision_id: i64) -> Result<Saved, AppError>
where
    S: ContentStore + AppealReads + NameReads + AuditLog + ?Sized,
{
    let item = store.item(item_id)?.ok_or_else(|| AppError::NotFound(format!("item {item_id}")))?;
    let revision = store
        .revision(revision_id)?
        .filter(|r| r.item_id == item.id)
        .ok_or_else(|| AppError::NotFound(format!("revision {revision_id} of item {item_id}")))?;
    if !may_edit(user, &item) {
        return Err(AppError::Forbidden);
    }
    let draft = ItemDraft {
        group_id: Some(item.group_id),
        kind: item.kind,
        lang: item.lang.clone(),
        slug: Slug::parse(&revision.slug).unwrap_or_else(|_| item.slug.clone()),
        title: revision.title.clone(),
        summary: revision.summary.clone(),
        body: revision.body.clone(),
        category: revision.category.clone(),
        tags: revision.tags.clone(),
        status: item.status,
        published_at: item.published_at,
    };
    if matches!(draft.status, Status::Published | Status::Scheduled) {
        crate::release::check_item(store, Some(item.id), &draft, None)?;
    }
    let note = format!("restored revision #{}", revision.id);
    let audit = AuditLine { actor: user.email.as_str(), action: "restore", detail: &note };
    let save = ItemSave { audit: Some(audit), ..ItemSave::item(Some(item.id), &draft, Some(user.id), &note) };
    let after = store.save_item_with(&save)?;
    Ok(Saved { before: Some(item), after, action: "restore" })
}

#[cfg(test)]
mod tests {
    use refuge_core::{AuditReads, ContentReads};
    use refuge_core::{Email, Kind, Language, Role, UserStore};
    use refuge_store::SqlStore;

    use super::*;

    fn setup() -> (tempfile::TempDir, SqlStore, User, User) {
        let dir = tempfile::tempdir().unwrap();
        let store = SqlStore::open(&dir.path().join("refuge.db")).unwrap();
        let ed = store.add_user(&Email::parse("ed@example.org").unwrap(), Role::Editor, "a long password").unwrap();
        let tr = store.add_user(&Email::parse("tr@example.org").unwrap(), Role::Translator, "a long password").unwrap();
        (dir, store, ed, tr)
    }

    fn news(store: &SqlStore, slug: &str, body: &str, status: Status) -> Item {
        let draft = ItemDraft {
            group_id: None,
            kind: Kind::News,
            lang: Language::parse("en").unwrap(),
            slug: Slug::parse(slug).unwrap(),
            title: slug.into(),
            summary: String::new(),
            body: body.into(),
            category: None,
            tags: Vec::new(),
            status,
            published_at: (status == Status::Published).then(time::OffsetDateTime::now_utc),
        };
        store.save_item(None, &draft).unwrap()
    }

    #[test]
    fn bulk_publish_applies_the_publication_check_item_by_item() {
        let (_dir, store, ed, tr) = setup();
        let bare = news(&store, "bare", "![](/media/a.jpg)", Status::Draft);
        let fine = news(&store, "fine", "![A river](/media/a.jpg)", Status::Draft);
        assert!(matches!(bulk(&store, &tr, vec![fine.clone()], Bulk::Publish), Err(AppError::Forbidden)));
        let done = bulk(&store, &ed, vec![bare.clone(), fine.clone()], Bulk::Publish).unwrap();
        assert_eq!(done.changed.len(), 1);
        assert!(matches!(&done.refused[..], [(item, AppError::MissingAlt { .. })] if item.id == bare.id));
        assert_eq!(store.item(bare.id).unwrap().unwrap().status, Status::Draft);
        assert_eq!(store.item(fine.id).unwrap().unwrap().status, Status::Published);
        let audit = store.audit_entries(0, 10).unwrap().0;
        assert_eq!(audit.iter().filter(|e| e.action == "publish").count(), 1, "one audit line per change");
    }

    #[test]
    fn restore_keeps_the_status_and_the_rules_of_what_is_online() {
        let (_dir, store, ed, tr) = setup();
        let item = news(&store, "report", "![](/media/a.jpg)", Status::Draft);
        let first = store.revisions(item.id).unwrap()[0].id;
        let mut online = item.redraft(Status::Published, Some(time::OffsetDateTime::now_utc()));
        online.body = "![A river](/media/a.jpg)".into();
        store.save_item(Some(item.id), &online).unwrap();
        assert!(matches!(restore(&store, &tr, item.id, first), Err(AppError::Forbidden)));
        assert!(matches!(restore(&store, &ed, item.id, first), Err(AppError::MissingAlt { .. })));
        assert!(matches!(restore(&store, &ed, item.id, 9999), Err(AppError::NotFound(_))));
        assert!(store.item(item.id).unwrap().unwrap().body.contains("A river"), "the online text stays");
        let back = store.item(item.id).unwrap().unwrap().redraft(Status::Draft, None);
        store.save_item(Some(item.id), &back).unwrap();
        let restored = restore(&store, &ed, item.id, first).unwrap();
        assert_eq!((restored.after.status, restored.after.body.as_str()), (Status::Draft, "![](/media/a.jpg)"));
    }
}
