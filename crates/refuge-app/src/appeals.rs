//! An appeal's timeline ("further information"): adding an entry, a
//! translator's translation of another version's entry (waiting for an
//! editor's approval once the appeal is online), approving and deleting.
//! Each checks who may, checks the texts like anything public, writes and
//! records the audit line. Telling subscribers is the caller's, once the
//! entry is public ([`Added::public`]).

use refuge_core::{
    AppealStore, AppealUpdate, AuditLog, ContentStore, Item, Kind, Language, NameReads, NewUpdate, StoreError, User,
};

use crate::AppError;
use crate::access::{Access, access, can_edit};
use crate::release::{Field, check_texts};

/// A timeline entry as typed.
#[derive(Debug)]
pub struct NewEntry {
    /// `YYYY-MM-DD`.
    pub date: String,
    pub text: String,
    pub source: String,
    /// The entry of another language version this one translates.
    pub translates: Option<i64>,
}

/// Why an entry was not added, beyond the common refusals.
#[derive(Debug, PartialEq, Eq)]
pub enum EntryProblem {
    /// No text.
    NeedsText,
    /// A date that is not one.
    BadDate,
    /// The entry it translates is translated already (or not waiting).
    TranslatedAlready,
}

/// What adding an entry did.
#[derive(Debug)]
pub struct Added {
    pub item: Item,
    pub update: AppealUpdate,
    /// Public now (not waiting for an editor's approval).
    pub public: bool,
}

fn appeal<S: ContentStore + ?Sized>(store: &S, id: i64) -> Result<Item, AppError> {
    store.item(id)?.filter(|i| i.kind == Kind::Appeal).ok_or_else(|| AppError::NotFound(format!("appeal {id}")))
}

fn subject(item: &Item) -> String {
    format!("appeal {} ({})", item.id, item.lang)
}

/// Adds a timeline entry. Adding news of the case is an editor's work; a
/// translator translates other versions' entries into their version:
/// directly on a draft, kept for an editor's approval once it is online.
pub fn add_entry<S>(
    store: &S,
    user: &User,
    item_id: i64,
    entry: &NewEntry,
) -> Result<Result<Added, EntryProblem>, AppError>
where
    S: ContentStore + AppealStore + NameReads + AuditLog + ?Sized,
{
    let item = appeal(store, item_id)?;
    let pending = match access(user, &item) {
        Access::Save if can_edit(user) || entry.translates.is_some() => false,
        Access::Propose if entry.translates.is_some() => true,
        _ => return Err(AppError::Forbidden),
    };
    let facts = store.appeal_facts(item.id)?;
    let fields = [(Field::Timeline, entry.text.as_str()), (Field::TimelineSource, entry.source.as_str())];
    let own = format!("item:{}", item.id);
    check_texts(store, item.lang.as_str(), |s| s == own, &fields, facts.names_public)?;
    if let Some(id) = entry.translates
        && !to_translate(store, &item)?.iter().any(|(_, u)| u.id == id)
    {
        return Ok(Err(EntryProblem::TranslatedAlready));
    }
    let new = NewUpdate {
        date: entry.date.trim(),
        text: &entry.text,
        source: &entry.source,
        translates: entry.translates,
        pending,
    };
    let update = match store.add_appeal_update(item.id, &new) {
        Ok(update) => update,
        Err(StoreError::Conflict(_)) => return Ok(Err(EntryProblem::TranslatedAlready)),
        Err(StoreError::Invalid(_)) if entry.text.trim().is_empty() => return Ok(Err(EntryProblem::NeedsText)),
        Err(StoreError::Invalid(_)) => return Ok(Err(EntryProblem::BadDate)),
        Err(e) => return Err(e.into()),
    };
    crate::audit::record(store, user.email.as_str(), "appeal update", &subject(&item), &update.date);
    Ok(Ok(Added { item, update, public: !pending }))
}

/// Approves a translator's entry waiting on `item_id` (editors): public
/// from now on.
pub fn approve_entry<S>(store: &S, user: &User, item_id: i64, update_id: i64) -> Result<(Item, AppealUpdate), AppError>
where
    S: ContentStore + AppealStore + AuditLog + ?Sized,
{
    if !can_edit(user) {
        return Err(AppError::Forbidden);
    }
    let item = appeal(store, item_id)?;
    if !store.all_appeal_updates(item.id)?.iter().any(|u| u.id == update_id && u.pending) {
        return Err(AppError::NotFound(format!("waiting entry {update_id}")));
    }
    let approved = store.approve_appeal_update(update_id)?;
    crate::audit::record(store, user.email.as_str(), "approve appeal update", &subject(&item), &approved.date);
    Ok((item, approved))
}

/// Deletes an entry of `item_id` (whoever may save the appeal).
pub fn delete_entry<S>(store: &S, user: &User, item_id: i64, update_id: i64) -> Result<Item, AppError>
where
    S: ContentStore + AppealStore + AuditLog + ?Sized,
{
    let item = appeal(store, item_id)?;
    if access(user, &item) != Access::Save {
        return Err(AppError::Forbidden);
    }
    if !store.all_appeal_updates(item.id)?.iter().any(|u| u.id == update_id) {
        return Err(AppError::NotFound(format!("entry {update_id}")));
    }
    store.delete_appeal_update(update_id)?;
    crate::audit::record(store, user.email.as_str(), "delete appeal update", &subject(&item), "");
    Ok(item)
}

/// Tells `lang`'s appeal subscribers of the entry `original` once, by
/// `send` (which queues the mails and says how many): claimed first, so
/// that of two servers, or of a translation and the wait's end, one tells
/// them; a failed send gives the claim back for the next try. `Ok(0)` when
/// they were told already.
pub fn tell_once<S, F>(store: &S, original: i64, lang: &Language, send: F) -> Result<usize, StoreError>
where
    S: AppealStore + ?Sized,
    F: FnOnce() -> Result<usize, StoreError>,
{
    if !store.claim_update_mailing(original, lang)? {
        return Ok(0);
    }
    let sent = send();
    if sent.is_err()
        && let Err(e) = store.release_update_mailing(original, lang)
    {
        tracing::error!(error = %e, "could not release an appeal update's mailing");
    }
    sent
}

/// The original timeline entries of an appeal's other language versions
/// (drafts included) that `item` has no translation of yet, newest first,
/// with each one's language.
pub fn to_translate<S>(store: &S, item: &Item) -> Result<Vec<(Language, AppealUpdate)>, StoreError>
where
    S: refuge_core::ContentReads + refuge_core::AppealDeskReads + ?Sized,
{
    let done: std::collections::HashSet<i64> =
        store.all_appeal_updates(item.id)?.iter().filter_map(|u| u.translates).collect();
    let mut found = Vec::new();
    for other in store.group_items(item.group_id)? {
        if other.id == item.id {
            continue;
        }
        for u in store.all_appeal_updates(other.id)? {
            if u.translates.is_none() && !u.pending && !done.contains(&u.id) {
                found.push((other.lang.clone(), u));
            }
        }
    }
    found.sort_by(|(_, a), (_, b)| b.date.cmp(&a.date).then(b.created_at.cmp(&a.created_at)));
    Ok(found)
}

#[cfg(test)]
mod tests {
    use refuge_core::{AppealFacts, ItemDraft, ItemSave, Slug, Status};

    use super::*;

    fn entry(text: &str, translates: Option<i64>) -> NewEntry {
        NewEntry { date: "2026-12-01".into(), text: text.into(), source: String::new(), translates }
    }

    #[test]
    fn an_online_appeals_translated_entry_waits_for_an_editor() {
        let db = refuge_store::testing::sqlite();
        let s = &db.store;
        let (ed, tr) = crate::test_staff(s);
        let draft = |lang: &str, group: Option<i64>| ItemDraft {
            group_id: group,
            kind: Kind::Appeal,
            lang: Language::parse(lang).unwrap(),
            slug: Slug::parse("free-them").unwrap(),
            title: "Free them".into(),
            summary: String::new(),
            body: "Text.".into(),
            category: None,
            tags: Vec::new(),
            status: Status::Published,
            published_at: Some(time::OffsetDateTime::now_utc()),
        };
        let facts = AppealFacts::default();
        let en = s
            .save_item_with(&ItemSave {
                appeal: Some((&facts, &[])),
                ..ItemSave::item(None, &draft("en", None), None, "")
            })
            .unwrap();
        let ja_draft = draft("ja", Some(en.group_id));
        let ja = s
            .save_item_with(&ItemSave {
                appeal: Some((&facts, &[])),
                translated_from: Some(en.id),
                ..ItemSave::item(None, &ja_draft, None, "")
            })
            .unwrap();
        let news = add_entry(s, &ed, en.id, &entry("Moved to a prison.", None)).unwrap().unwrap();
        assert!(news.public);
        assert!(
            matches!(add_entry(s, &tr, ja.id, &entry("ニュース", None)), Err(AppError::Forbidden)),
            "news is an editor's"
        );
        let marked = add_entry(s, &ed, en.id, &entry("[[Name:Kim]] moved.", None));
        assert!(matches!(marked, Err(AppError::Markup { .. })));
        let translated =
            add_entry(s, &tr, ja.id, &entry("刑務所に移されました。", Some(news.update.id))).unwrap().unwrap();
        assert!(!translated.public, "kept for an editor: the appeal is online");
        let again = add_entry(s, &tr, ja.id, &entry("もう一度", Some(news.update.id))).unwrap();
        assert!(matches!(again, Err(EntryProblem::TranslatedAlready)));
        assert!(matches!(approve_entry(s, &tr, ja.id, translated.update.id), Err(AppError::Forbidden)));
        let (_, approved) = approve_entry(s, &ed, ja.id, translated.update.id).unwrap();
        assert!(!approved.pending);
        assert!(matches!(approve_entry(s, &ed, ja.id, translated.update.id), Err(AppError::NotFound(_))), "once");
        let empty = add_entry(s, &ed, en.id, &entry(" ", None)).unwrap();
        assert!(matches!(empty, Err(EntryProblem::NeedsText)));
        let mut bad = entry("Text", None);
        bad.date = "yesterday".into();
        assert!(matches!(add_entry(s, &ed, en.id, &bad).unwrap(), Err(EntryProblem::BadDate)));
        delete_entry(s, &ed, en.id, news.update.id).unwrap();
        assert!(matches!(delete_entry(s, &ed, en.id, news.update.id), Err(AppError::NotFound(_))));
    }
}
