//! Saving an item from the editor: the item, its revision, an appeal's
//! facts and addressees, the translation mark and a resolved review are
//! written in one store transaction, all or nothing; then the audit log.

use refuge_core::{
    Addressee, AppealFacts, AppealReads, AsideKind, AsideStore, AuditLine, AuditLog, ContentStore, Item, ItemDraft,
    ItemSave, Kind, NameReads, NewAside, Status, User,
};

use crate::AppError;
use crate::access::{Access, access, can_edit, may_translate_into, statuses};

/// One save, as the editor form gave it (checked for form errors by the
/// caller; the rules of who may save what are checked here).
#[derive(Debug)]
pub struct SaveItem {
    /// The item saved; `None` for a new one.
    pub id: Option<i64>,
    pub draft: ItemDraft,
    /// A note for the history.
    pub note: String,
    /// For an appeal: its facts and addressees.
    pub appeal: Option<(AppealFacts, Vec<Addressee>)>,
    /// A new translation of this item.
    pub translation_of: Option<i64>,
    /// The translator says the text matches its source again.
    pub marks_current: bool,
    /// A change awaiting review that this save takes over.
    pub resolves_review: Option<i64>,
    /// The revision the editor's form was made from: the write refuses
    /// with [`AppError::Stale`] if the item was saved since (`None`: no
    /// check, a form from before revisions were sent).
    pub base_revision: Option<i64>,
}

/// What a save did, for the caller to tell the cache, the search index,
/// the scheduler and the people concerned.
#[derive(Debug)]
pub struct Saved {
    pub before: Option<Item>,
    pub after: Item,
    /// What the audit log calls it: create, translate, edit, publish…
    pub action: &'static str,
}

/// Saves an item with everything that belongs to it, in one transaction.
/// Its redaction markup must be written exactly; an item going public
/// passes the name guard ([`crate::release::check_item`]). Only editors
/// decide whether an appeal's names are public: a translator's save keeps
/// the appeal's choice.
pub fn save_item<S>(store: &S, user: &User, mut save: SaveItem) -> Result<Saved, AppError>
where
    S: ContentStore + AppealReads + NameReads + AuditLog + ?Sized,
{
    let before = match save.id {
        Some(id) => Some(store.item(id)?.ok_or_else(|| AppError::NotFound(format!("item {id}")))?),
        None => None,
    };
    let allowed = match (&before, save.translation_of) {
        (Some(item), _) => access(user, item) == Access::Save,
        (None, Some(_)) => may_translate_into(user, &save.draft.lang),
        (None, None) => can_edit(user),
    };
    if !allowed || !statuses(user).contains(&save.draft.status) {
        return Err(AppError::Forbidden);
    }
    // A scheduled time already gone by would publish at once: whoever
    // meant "now" says Published.
    if save.draft.status == Status::Scheduled
        && save.draft.published_at.is_none_or(|at| at <= time::OffsetDateTime::now_utc())
    {
        return Err(AppError::Invalid("a scheduled item needs a time still to come".into()));
    }
    if save.appeal.is_some() && save.draft.kind != Kind::Appeal {
        return Err(AppError::Invalid("only an appeal has appeal facts".into()));
    }
    if !can_edit(user)
        && let Some((facts, _)) = save.appeal.as_mut()
    {
        facts.names_public = match save.id.or(save.translation_of) {
            Some(id) => store.appeal_facts(id)?.names_public,
            None => false,
        };
    }
    let appeal = save.appeal.as_ref().map(|(facts, list)| (facts, list.as_slice()));
    // Markup is checked on every save; what goes public, against every name too.
    if matches!(save.draft.status, Status::Published | Status::Scheduled) {
        crate::release::check_item(store, save.id, &save.draft, appeal)?;
    } else {
        crate::release::check_markup(&crate::release::item_fields(&save.draft, appeal))?;
    }
    let translated_from =
        save.translation_of.or_else(|| before.as_ref().and_then(|b| b.translated_from).filter(|_| save.marks_current));
    let appeal = save.appeal.as_ref().map(|(facts, list)| (facts, list.as_slice()));
    // What the audit log calls it, written with the save itself.
    let action = match (before.as_ref().map(|b| b.status), save.draft.status) {
        (None, _) if save.translation_of.is_some() => "translate",
        (None, _) => "create",
        (Some(a), b) if a == b => "edit",
        (_, Status::Published) => "publish",
        (Some(Status::Published), _) => "unpublish",
        (_, Status::Scheduled) => "schedule",
        _ => "change status",
    };
    let audit = AuditLine { actor: user.email.as_str(), action, detail: save.draft.status.as_str() };
    let after = store.save_item_with(&ItemSave {
        id: save.id,
        draft: &save.draft,
        user_id: Some(user.id),
        note: &save.note,
        appeal,
        translated_from,
        resolves_aside: save.resolves_review,
        only_if: None,
        base_revision: save.base_revision,
        audit: Some(audit),
        // An item dated by its month only is dated by its day once the
        // editor gives it another date.
        month_only: before
            .as_ref()
            .filter(|b| b.month_only && b.published_at != save.draft.published_at)
            .map(|_| false),
    })?;
    Ok(Saved { before, after, action })
}

/// A translator's change to a published translation, kept aside (the
/// form as sent) for an editor's review while the published text stays
/// online. Only a translator whose access is [`Access::Propose`].
pub fn propose<S>(
    store: &S,
    user: &User,
    item_id: i64,
    base_revision: i64,
    form: &[(String, String)],
) -> Result<Item, AppError>
where
    S: ContentStore + AsideStore + AuditLog + ?Sized,
{
    let item = store.item(item_id)?.ok_or_else(|| AppError::NotFound(format!("item {item_id}")))?;
    if access(user, &item) != Access::Propose {
        return Err(AppError::Forbidden);
    }
    let place = format!("/admin/items/{}", item.id);
    store.put_aside(&NewAside {
        kind: AsideKind::Review,
        key_hash: None,
        user_id: Some(user.id),
        item_id: Some(item.id),
        place: &place,
        base_revision,
        form,
    })?;
    let subject = format!("{} {} “{}” ({})", item.kind, item.id, item.title, item.lang);
    crate::audit::record(store, user.email.as_str(), "propose", &subject, "awaits review");
    Ok(item)
}

/// Discards a change awaiting review of `item_id` (editors).
pub fn discard_review<S>(store: &S, user: &User, item_id: i64, aside_id: i64) -> Result<Item, AppError>
where
    S: ContentStore + AsideStore + AuditLog + ?Sized,
{
    if !can_edit(user) {
        return Err(AppError::Forbidden);
    }
    let item = store.item(item_id)?.ok_or_else(|| AppError::NotFound(format!("item {item_id}")))?;
    let aside = store
        .aside(aside_id)?
        .filter(|a| a.kind == AsideKind::Review && a.item_id == Some(item.id))
        .ok_or_else(|| AppError::NotFound(format!("change {aside_id} of item {item_id}")))?;
    store.remove_aside(aside.id)?;
    let subject = format!("{} {} “{}” ({})", item.kind, item.id, item.title, item.lang);
    crate::audit::record(store, user.email.as_str(), "discard change", &subject, aside.author.as_deref().unwrap_or(""));
    Ok(item)
}

#[cfg(test)]
mod tests {
    use refuge_core::{AppealReads, Email, Language, Role, Slug, UserStore};
    use refuge_core::{AsideReads, AuditReads, ContentReads, UserReads};
    use refuge_store::SqlStore;

    use super::*;

    fn draft(kind: Kind, lang: &str, slug: &str, title: &str, status: Status) -> ItemDraft {
        ItemDraft {
            group_id: None,
            kind,
            lang: Language::parse(lang).unwrap(),
            slug: Slug::parse(slug).unwrap(),
            title: title.into(),
            summary: String::new(),
            body: "Text.".into(),
            category: None,
            tags: Vec::new(),
            status,
            published_at: (status == Status::Published).then(time::OffsetDateTime::now_utc),
        }
    }

    fn save(d: ItemDraft, appeal: Option<(AppealFacts, Vec<Addressee>)>) -> SaveItem {
        SaveItem {
            id: None,
            draft: d,
            note: String::new(),
            appeal,
            translation_of: None,
            marks_current: false,
            resolves_review: None,
            base_revision: None,
        }
    }

    fn facts() -> (AppealFacts, Vec<Addressee>) {
        let facts = AppealFacts { number: "UA 1/26".into(), people_count: Some(1), ..AppealFacts::default() };
        let to = Addressee { name: "A minister".into(), ..Addressee::default() };
        (facts, vec![to])
    }

    fn setup() -> (tempfile::TempDir, SqlStore, User, User) {
        let dir = tempfile::tempdir().unwrap();
        let store = SqlStore::open(&dir.path().join("refuge.db")).unwrap();
        let ed = store.add_user(&Email::parse("ed@example.org").unwrap(), Role::Editor, "a long password").unwrap();
        let tr = store.add_user(&Email::parse("tr@example.org").unwrap(), Role::Translator, "a long password").unwrap();
        store.set_role(tr.id, Role::Translator, &[Language::parse("ja").unwrap()]).unwrap();
        let tr = store.user(tr.id).unwrap().unwrap();
        (dir, store, ed, tr)
    }

    #[test]
    fn an_appeal_that_fails_half_way_leaves_nothing() {
        let (dir, store, ed, _) = setup();
        let saved = save_item(
            &store,
            &ed,
            save(draft(Kind::Appeal, "en", "free-them", "Free them", Status::Draft), Some(facts())),
        )
        .unwrap();
        assert_eq!(saved.action, "create");
        assert_eq!(store.addressees(saved.after.id).unwrap().len(), 1);
        // The addressees cannot be written any more: the facts and the
        // item, written before them in the same save, must not stay.
        let side = rusqlite::Connection::open(dir.path().join("refuge.db")).unwrap();
        side.execute_batch(
            "CREATE TRIGGER refuse BEFORE INSERT ON appeal_addressees BEGIN SELECT RAISE(ABORT, 'injected'); END;",
        )
        .unwrap();
        let mut changed = save(draft(Kind::Appeal, "en", "free-them", "A new title", Status::Draft), None);
        changed.id = Some(saved.after.id);
        changed.draft.group_id = Some(saved.after.group_id);
        let (mut new_facts, list) = facts();
        new_facts.number = "UA 2/26".into();
        changed.appeal = Some((new_facts, list));
        let error = save_item(&store, &ed, changed).unwrap_err();
        assert!(matches!(error, AppError::Storage(_)), "{error:?}");
        let item = store.item(saved.after.id).unwrap().unwrap();
        assert_eq!(item.title, "Free them", "the item is as before");
        assert_eq!(store.appeal_facts(item.id).unwrap().number, "UA 1/26", "the facts are as before");
        assert_eq!(store.revisions(item.id).unwrap().len(), 1, "no revision of the failed save");
        let fresh =
            save_item(&store, &ed, save(draft(Kind::Appeal, "en", "new-one", "New", Status::Draft), Some(facts())));
        assert!(fresh.is_err());
        assert!(
            store
                .item_id_by_slug(Kind::Appeal, &Language::parse("en").unwrap(), &Slug::parse("new-one").unwrap())
                .unwrap()
                .is_none(),
            "no new appeal without its facts"
        );
    }

    #[test]
    fn a_save_and_its_audit_line_are_one_write() {
        let (dir, store, ed, _) = setup();
        let saved = save_item(&store, &ed, save(draft(Kind::News, "en", "report", "Report", Status::Draft), None))
            .unwrap()
            .after;
        let lines = |store: &SqlStore| store.audit_entries(0, 100).unwrap().1;
        let before = lines(&store);
        // The audit log cannot be written: the change must not stand without its line.
        let side = rusqlite::Connection::open(dir.path().join("refuge.db")).unwrap();
        side.execute_batch("CREATE TRIGGER refuse BEFORE INSERT ON audit BEGIN SELECT RAISE(ABORT, 'injected'); END;")
            .unwrap();
        let mut change = save(draft(Kind::News, "en", "report", "Published", Status::Published), None);
        change.id = Some(saved.id);
        change.draft.group_id = Some(saved.group_id);
        assert!(matches!(save_item(&store, &ed, change), Err(AppError::Storage(_))));
        let item = store.item(saved.id).unwrap().unwrap();
        assert_eq!((item.title.as_str(), item.status), ("Report", Status::Draft), "the item is as before");
        assert_eq!(store.revisions(saved.id).unwrap().len(), 1, "no revision without its audit line");
        side.execute_batch("DROP TRIGGER refuse;").unwrap();
        assert_eq!(lines(&store), before);
    }

    #[test]
    fn a_translator_translates_but_does_not_publish() {
        let (_dir, store, ed, tr) = setup();
        let source = save_item(&store, &ed, save(draft(Kind::News, "en", "report", "Report", Status::Published), None))
            .unwrap()
            .after;
        let denied = save_item(&store, &tr, save(draft(Kind::News, "en", "mine", "Mine", Status::Draft), None));
        assert!(matches!(denied, Err(AppError::Forbidden)), "no new item outside a translation");
        let mut ja = save(draft(Kind::News, "ja", "report", "ニュース", Status::Published), None);
        ja.translation_of = Some(source.id);
        ja.draft.group_id = Some(source.group_id);
        assert!(matches!(save_item(&store, &tr, ja), Err(AppError::Forbidden)), "not published by a translator");
        let mut ja = save(draft(Kind::News, "ja", "report", "ニュース", Status::Review), None);
        ja.translation_of = Some(source.id);
        ja.draft.group_id = Some(source.group_id);
        let saved = save_item(&store, &tr, ja).unwrap();
        assert_eq!(saved.action, "translate");
        assert_eq!(saved.after.translated_from, Some(source.id));
        let mut other = save(draft(Kind::News, "fr", "report", "Nouvelles", Status::Draft), None);
        other.translation_of = Some(source.id);
        other.draft.group_id = Some(source.group_id);
        assert!(matches!(save_item(&store, &tr, other), Err(AppError::Forbidden)), "only their languages");
    }

    #[test]
    fn two_saves_from_one_revision_never_both_land_on_either_engine() {
        for db in refuge_store::testing::each_engine() {
            let ed =
                db.store.add_user(&Email::parse("ed@example.org").unwrap(), Role::Editor, "a long password").unwrap();
            let first = save_item(&db.store, &ed, save(draft(Kind::News, "en", "r", "Report", Status::Draft), None))
                .unwrap()
                .after;
            let base = db.store.latest_revision(first.id).unwrap();
            // Two tabs, two connections, one revision to start from.
            let (a, b) = (db.reopen(), db.reopen());
            let start = std::sync::Barrier::new(2);
            let tab = |store: &refuge_store::SqlStore, title: &str| {
                let mut change = save(draft(Kind::News, "en", "r", title, Status::Draft), None);
                change.id = Some(first.id);
                change.draft.group_id = Some(first.group_id);
                change.base_revision = Some(base);
                start.wait();
                save_item(store, &ed, change)
            };
            let (one, other) = std::thread::scope(|s| {
                let one = s.spawn(|| tab(&a, "Mine"));
                let other = s.spawn(|| tab(&b, "Theirs"));
                (one.join().unwrap(), other.join().unwrap())
            });
            let (won, lost) = match (one, other) {
                (Ok(won), Err(lost)) | (Err(lost), Ok(won)) => (won, lost),
                (one, other) => panic!("exactly one save lands: {one:?} / {other:?}"),
            };
            let latest = db.store.latest_revision(first.id).unwrap();
            assert!(matches!(lost, AppError::Stale { latest: l } if l == latest), "{lost:?}");
            assert_eq!(db.store.item(first.id).unwrap().unwrap().title, won.after.title, "the winner's text stays");
            assert_eq!(db.store.revisions(first.id).unwrap().len(), 2, "no revision of the refused save");
            // With the winner's revision as its base, the other tab's save goes through.
            let mut again = save(draft(Kind::News, "en", "r", "Mine, merged", Status::Draft), None);
            again.id = Some(first.id);
            again.draft.group_id = Some(first.group_id);
            again.base_revision = Some(latest);
            assert_eq!(save_item(&db.store, &ed, again).unwrap().after.title, "Mine, merged");
        }
    }
}
