//! `AppealStore` over SQLite.

use crate::sql::{DbResult, Handle, Optional, Row, params};
use refuge_core::AppealDeskReads;
use refuge_core::store::StoreResult;
use refuge_core::{
    Addressee, AppealFacts, AppealReads, AppealStore, AppealUpdate, ItemRef, Language, NewUpdate, StoreError,
};
use time::OffsetDateTime;

use crate::changes::touch;
use crate::db::{SqlStore, backend, now, parse_ts, ts};
use crate::rows::{REF_COLUMNS, item_ref};

fn update(row: &Row<'_>, offset: usize) -> DbResult<AppealUpdate> {
    let created: String = row.get(offset + 5)?;
    Ok(AppealUpdate {
        id: row.get(offset)?,
        item_id: row.get(offset + 1)?,
        date: row.get(offset + 2)?,
        text: row.get(offset + 3)?,
        source: row.get(offset + 4)?,
        created_at: parse_ts(&created)?,
        translates: row.get(offset + 6)?,
        pending: row.get(offset + 7)?,
    })
}

const UPDATE_COLUMNS: &str = "id, item_id, date, text, source, created_at, translates, pending";

impl AppealReads for SqlStore {
    fn addressees(&self, item_id: i64) -> StoreResult<Vec<Addressee>> {
        let conn = self.conn()?;
        let mut stmt = conn
            .prepare(
                "SELECT name, institution, address, email, fax FROM appeal_addressees WHERE item_id = ? ORDER BY position",
            )
            .map_err(backend)?;
        let rows = stmt
            .query_map(params![item_id], |r| {
                Ok(Addressee {
                    name: r.get(0)?,
                    institution: r.get(1)?,
                    address: r.get(2)?,
                    email: r.get(3)?,
                    fax: r.get(4)?,
                })
            })
            .map_err(backend)?;
        rows.collect::<Result<_, _>>().map_err(backend)
    }
    fn appeal_facts(&self, item_id: i64) -> StoreResult<AppealFacts> {
        let found = self
            .conn()?
            .query_row(
                "SELECT number, people_count, people, names_public, ages, held_where, held_since, risk, case_status,
                    action, letter, deadline FROM appeals WHERE item_id = ?",
                params![item_id],
                |r| {
                    let status: String = r.get(8)?;
                    Ok(AppealFacts {
                        number: r.get(0)?,
                        people_count: r.get(1)?,
                        people: r.get(2)?,
                        names_public: r.get(3)?,
                        ages: r.get(4)?,
                        held_where: r.get(5)?,
                        held_since: r.get(6)?,
                        risk: r.get(7)?,
                        status: status.parse().ok(),
                        action: r.get(9)?,
                        letter: r.get(10)?,
                        deadline: r.get(11)?,
                    })
                },
            )
            .optional()
            .map_err(backend)?;
        Ok(found.unwrap_or_default())
    }
    fn appeal_updates(&self, item_id: i64) -> StoreResult<Vec<AppealUpdate>> {
        timeline(&self.conn()?, item_id, false)
    }
    fn recent_appeal_updates(&self, lang: &Language, limit: u32) -> StoreResult<Vec<(ItemRef, AppealUpdate)>> {
        let conn = self.conn()?;
        let columns: String = REF_COLUMNS.split(", ").map(|c| format!("i.{c}")).collect::<Vec<_>>().join(", ");
        let mut stmt = conn
            .prepare(&format!(
                "SELECT {columns}, u.id, u.item_id, u.date, u.text, u.source, u.created_at, u.translates, u.pending
                 FROM appeal_updates u JOIN items i ON i.id = u.item_id
                 WHERE i.status = 'published' AND u.pending = 0 AND i.lang = ? ORDER BY u.created_at DESC, u.id DESC LIMIT ?"
            ))
            .map_err(backend)?;
        let rows =
            stmt.query_map(params![lang.as_str(), limit], |r| Ok((item_ref(r)?, update(r, 11)?))).map_err(backend)?;
        rows.collect::<Result<_, _>>().map_err(backend)
    }
}

impl AppealDeskReads for SqlStore {
    fn all_appeal_updates(&self, item_id: i64) -> StoreResult<Vec<AppealUpdate>> {
        timeline(&self.conn()?, item_id, true)
    }
    fn original_updates_between(
        &self,
        after: OffsetDateTime,
        before: OffsetDateTime,
    ) -> StoreResult<Vec<AppealUpdate>> {
        let conn = self.conn()?;
        let rows = conn
            .query_map(
                &format!(
                    "SELECT {UPDATE_COLUMNS} FROM appeal_updates WHERE translates IS NULL AND pending = 0
                     AND created_at >= ? AND created_at <= ? ORDER BY created_at, id"
                ),
                params![ts(after), ts(before)],
                |r| update(r, 0),
            )
            .map_err(backend)?;
        Ok(rows)
    }
}

impl AppealStore for SqlStore {
    fn save_appeal_facts(&self, item_id: i64, f: &AppealFacts) -> StoreResult<()> {
        let conn = self.conn()?;
        let tx = conn.transaction().map_err(backend)?;
        write_facts(&tx, item_id, f)?;
        crate::names::record_item(&tx, item_id).map_err(backend)?;
        touch(&tx).map_err(backend)?;
        tx.commit().map_err(backend)
    }

    fn replace_addressees(&self, item_id: i64, list: &[Addressee]) -> StoreResult<()> {
        let conn = self.conn()?;
        let tx = conn.transaction().map_err(backend)?;
        write_addressees(&tx, item_id, list)?;
        touch(&tx).map_err(backend)?;
        tx.commit().map_err(backend)
    }

    fn add_appeal_update(&self, item_id: i64, new: &NewUpdate<'_>) -> StoreResult<AppealUpdate> {
        let NewUpdate { date, text, source, translates, pending } = *new;
        if text.trim().is_empty() {
            return Err(StoreError::Invalid("an update needs some text".into()));
        }
        let conn = self.conn()?;
        let tx = conn.transaction().map_err(backend)?;
        // A translation takes its original's date, and must be of another
        // version of the same appeal.
        let date = match translates {
            None => date.to_owned(),
            Some(original) => tx
                .query_row(
                    "SELECT u.date FROM appeal_updates u JOIN items o ON o.id = u.item_id
                     JOIN items t ON t.group_id = o.group_id
                     WHERE u.id = ? AND t.id = ? AND o.id <> t.id AND u.translates IS NULL",
                    params![original, item_id],
                    |r| r.get::<String>(0),
                )
                .optional()
                .map_err(backend)?
                .ok_or_else(|| StoreError::Invalid(format!("update {original} is not of another version")))?,
        };
        let valid_date = date.len() == 10
            && time::Date::parse(&date, time::macros::format_description!("[year]-[month]-[day]")).is_ok();
        if !valid_date {
            return Err(StoreError::Invalid("the date must be written YYYY-MM-DD".into()));
        }
        if let Some(original) = translates {
            let taken: Option<i64> = tx
                .query_row(
                    "SELECT id FROM appeal_updates WHERE item_id = ? AND translates = ?",
                    params![item_id, original],
                    |r| r.get(0),
                )
                .optional()
                .map_err(backend)?;
            if taken.is_some() {
                return Err(StoreError::Conflict(format!("update {original} is translated already")));
            }
        }
        let id = tx
            .insert(
                "INSERT INTO appeal_updates (item_id, date, text, source, created_at, translates, pending)
                 VALUES (?, ?, ?, ?, ?, ?, ?)",
                params![item_id, date.as_str(), text.trim(), source.trim(), ts(now()), translates, pending],
            )
            .map_err(backend)?;
        crate::names::record_item(&tx, item_id).map_err(backend)?;
        touch(&tx).map_err(backend)?;
        tx.commit().map_err(backend)?;
        conn.query_row(&format!("SELECT {UPDATE_COLUMNS} FROM appeal_updates WHERE id = ?"), params![id], |r| {
            update(r, 0)
        })
        .map_err(backend)
    }

    fn delete_appeal_update(&self, id: i64) -> StoreResult<()> {
        let conn = self.conn()?;
        let tx = conn.transaction().map_err(backend)?;
        // Its translations go with it (first, before the original's
        // deletion would make them originals): one entry, in several
        // languages.
        tx.execute("DELETE FROM appeal_updates WHERE translates = ?", params![id]).map_err(backend)?;
        let n = tx.execute("DELETE FROM appeal_updates WHERE id = ?", params![id]).map_err(backend)?;
        if n == 0 {
            return Err(StoreError::NotFound(format!("update {id}")));
        }
        touch(&tx).map_err(backend)?;
        tx.commit().map_err(backend)
    }

    fn approve_appeal_update(&self, id: i64) -> StoreResult<AppealUpdate> {
        let conn = self.conn()?;
        let tx = conn.transaction().map_err(backend)?;
        let n = tx
            .execute("UPDATE appeal_updates SET pending = 0 WHERE id = ? AND pending = 1", params![id])
            .map_err(backend)?;
        if n == 0 {
            return Err(StoreError::NotFound(format!("pending update {id}")));
        }
        touch(&tx).map_err(backend)?;
        let approved = tx
            .query_row(&format!("SELECT {UPDATE_COLUMNS} FROM appeal_updates WHERE id = ?"), params![id], |r| {
                update(r, 0)
            })
            .map_err(backend)?;
        tx.commit().map_err(backend)?;
        Ok(approved)
    }

    fn claim_update_mailing(&self, update_id: i64, lang: &Language) -> StoreResult<bool> {
        let conn = self.conn()?;
        let n = conn
            .execute(
                "INSERT INTO appeal_update_mailings (update_id, lang, mailed_at) VALUES (?, ?, ?)
                 ON CONFLICT (update_id, lang) DO NOTHING",
                params![update_id, lang.as_str(), ts(now())],
            )
            .map_err(backend)?;
        Ok(n == 1)
    }

    fn release_update_mailing(&self, update_id: i64, lang: &Language) -> StoreResult<()> {
        let conn = self.conn()?;
        conn.execute(
            "DELETE FROM appeal_update_mailings WHERE update_id = ? AND lang = ?",
            params![update_id, lang.as_str()],
        )
        .map_err(backend)?;
        Ok(())
    }
}

/// An appeal version's timeline, newest first; entries waiting for
/// approval only when asked for.
fn timeline(conn: &Handle<'_>, item_id: i64, with_pending: bool) -> StoreResult<Vec<AppealUpdate>> {
    let pending = if with_pending { "" } else { " AND pending = 0" };
    conn.query_map(
        &format!("SELECT {UPDATE_COLUMNS} FROM appeal_updates WHERE item_id = ?{pending} ORDER BY date DESC, id DESC"),
        params![item_id],
        |r| update(r, 0),
    )
    .map_err(backend)
}

/// The facts of an appeal, inside the caller's transaction.
pub(crate) fn write_facts(conn: &Handle<'_>, item_id: i64, f: &AppealFacts) -> StoreResult<()> {
    conn.execute(
        "INSERT INTO appeals (item_id, number, people_count, people, names_public, ages, held_where, held_since, risk,
            case_status, action, letter, deadline) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (item_id) DO UPDATE SET number = excluded.number, people_count = excluded.people_count,
            people = excluded.people, names_public = excluded.names_public, ages = excluded.ages,
            held_where = excluded.held_where, held_since = excluded.held_since, risk = excluded.risk,
            case_status = excluded.case_status, action = excluded.action, letter = excluded.letter,
            deadline = excluded.deadline",
        params![
            item_id,
            f.number.trim(),
            f.people_count,
            f.people.trim(),
            f.names_public,
            f.ages.trim(),
            f.held_where.trim(),
            f.held_since.trim(),
            f.risk.trim(),
            f.status.unwrap_or(refuge_core::CaseStatus::AtRisk).as_str(),
            f.action,
            f.letter,
            f.deadline.trim(),
        ],
    )
    .map_err(backend)?;
    // Whether names may be shown in full is the whole appeal's choice:
    // every language version follows, and so do the names recorded.
    let group = "SELECT id FROM items WHERE group_id = (SELECT group_id FROM items WHERE id = ?2)";
    conn.execute(
        &format!("UPDATE appeals SET names_public = ?1 WHERE item_id IN ({group})"),
        params![f.names_public, item_id],
    )
    .map_err(backend)?;
    conn.execute(
        &format!("UPDATE protected_names SET public = ?1 WHERE source IN (SELECT 'item:' || id FROM ({group}) g)"),
        params![i64::from(f.names_public), item_id],
    )
    .map_err(backend)?;
    Ok(())
}

/// Replaces an appeal's addressees, inside the caller's transaction.
pub(crate) fn write_addressees(tx: &Handle<'_>, item_id: i64, list: &[Addressee]) -> StoreResult<()> {
    tx.execute("DELETE FROM appeal_addressees WHERE item_id = ?", params![item_id]).map_err(backend)?;
    for (i, a) in list.iter().enumerate() {
        tx.execute(
            "INSERT INTO appeal_addressees (item_id, position, name, institution, address, email, fax)
             VALUES (?, ?, ?, ?, ?, ?, ?)",
            params![
                item_id,
                i as i64,
                a.name.trim(),
                a.institution.trim(),
                a.address.trim(),
                a.email.trim(),
                a.fax.trim()
            ],
        )
        .map_err(backend)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use refuge_core::{ContentStore, ItemDraft, Slug, Status};

    fn version(store: &SqlStore, group: Option<i64>, lang: &str) -> refuge_core::Item {
        let draft = ItemDraft {
            group_id: group,
            kind: refuge_core::Kind::Appeal,
            lang: Language::parse(lang).unwrap(),
            slug: Slug::parse("held").unwrap(),
            title: "Held".into(),
            summary: String::new(),
            body: String::new(),
            category: None,
            tags: Vec::new(),
            status: Status::Published,
            published_at: Some(OffsetDateTime::now_utc()),
        };
        store.save_item(None, &draft).unwrap()
    }

    fn new<'a>(date: &'a str, text: &'a str, translates: Option<i64>) -> NewUpdate<'a> {
        NewUpdate { date, text, translates, ..NewUpdate::default() }
    }

    #[test]
    fn a_timeline_entry_is_translated_once_per_version() {
        for db in crate::testing::each_engine() {
            translated_once_per_version(&db.store);
        }
    }

    fn translated_once_per_version(store: &SqlStore) {
        let en = version(store, None, "en");
        let ja = version(store, Some(en.group_id), "ja");
        let other = version(store, None, "ko");
        let original = store.add_appeal_update(en.id, &new("2026-12-01", "Moved to a camp.", None)).unwrap();
        // A translation takes its original's date, whatever was typed.
        let translation =
            store.add_appeal_update(ja.id, &new("2030-01-01", "収容所に移された。", Some(original.id))).unwrap();
        assert_eq!((translation.date.as_str(), translation.translates), ("2026-12-01", Some(original.id)));
        // A second translation into the same version is refused.
        assert!(matches!(
            store.add_appeal_update(ja.id, &new("", "二つ目", Some(original.id))),
            Err(StoreError::Conflict(_))
        ));
        // Neither an entry of its own version, nor of another appeal, nor
        // a translation can be translated.
        for (item, of) in [(en.id, original.id), (other.id, original.id), (en.id, translation.id)] {
            assert!(
                matches!(store.add_appeal_update(item, &new("", "x", Some(of))), Err(StoreError::Invalid(_))),
                "{item} translating {of}"
            );
        }
        // Each language is told once.
        let ja_lang = Language::parse("ja").unwrap();
        assert!(store.claim_update_mailing(original.id, &ja_lang).unwrap());
        assert!(!store.claim_update_mailing(original.id, &ja_lang).unwrap());
        store.release_update_mailing(original.id, &ja_lang).unwrap();
        assert!(store.claim_update_mailing(original.id, &ja_lang).unwrap());
        let now = OffsetDateTime::now_utc();
        // With no wait at all, an entry of this very second is due.
        let due = store.original_updates_between(now - time::Duration::hours(1), now).unwrap();
        assert!(due.iter().any(|u| u.id == original.id), "due at once: {due:?}");
        let waiting = store.original_updates_between(now - time::Duration::hours(1), now + time::Duration::hours(1));
        assert_eq!(waiting.unwrap().iter().map(|u| u.id).collect::<Vec<_>>(), [original.id]);
        // A whole language version deleted keeps the others' entries.
        let kept = store.add_appeal_update(ja.id, &new("2026-12-02", "移送。", None)).unwrap();
        store.delete_item(en.id).unwrap();
        assert_eq!(store.appeal_updates(ja.id).unwrap().iter().filter(|u| u.id == kept.id).count(), 1);
        assert!(store.appeal_updates(ja.id).unwrap().iter().all(|u| u.translates.is_none()));
    }

    /// Entries written before timelines were translatable: in a translated
    /// version, the one entry of a day its source also has one entry of
    /// becomes that entry's translation, and nobody is mailed old news.
    #[test]
    fn the_upgrade_pairs_existing_entries_by_day() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqlStore::open(&dir.path().join("t.db")).unwrap();
        let en = version(&store, None, "en");
        let ja = version(&store, Some(en.group_id), "ja");
        let ko = version(&store, Some(en.group_id), "ko");
        store.mark_translated(ja.id, en.id).unwrap();
        store.mark_translated(ko.id, ja.id).unwrap();
        let add = |item: i64, date: &str, text: &str| store.add_appeal_update(item, &new(date, text, None)).unwrap().id;
        let en_1 = add(en.id, "2026-11-01", "Arrested.");
        let en_2 = add(en.id, "2026-11-05", "Moved.");
        let ja_1 = add(ja.id, "2026-11-01", "逮捕。");
        let ja_own = add(ja.id, "2026-11-09", "日本語だけの記録。");
        let ko_1 = add(ko.id, "2026-11-01", "체포.");
        // Two Korean entries of one day: neither is guessed.
        let ko_2a = add(ko.id, "2026-11-05", "이송.");
        let ko_2b = add(ko.id, "2026-11-05", "이송 2.");
        let migration = include_str!("migrations/023_timeline_translations.sql");
        let upgrade = migration.split("-- Entries written before this version").nth(1).unwrap();
        let upgrade = upgrade.split("-- Sign-ups made with a contact message").next().unwrap();
        let sql = format!("-- {upgrade}");
        store.conn().unwrap().batch(&sql).unwrap();
        let translates = |item: i64| -> Vec<(i64, Option<i64>)> {
            let mut rows: Vec<_> = store.appeal_updates(item).unwrap().iter().map(|u| (u.id, u.translates)).collect();
            rows.sort_unstable();
            rows
        };
        assert_eq!(translates(en.id), [(en_1, None), (en_2, None)]);
        assert_eq!(translates(ja.id), [(ja_1, Some(en_1)), (ja_own, None)]);
        // Korean was translated from Japanese: followed to the original.
        assert_eq!(translates(ko.id), [(ko_1, Some(en_1)), (ko_2a, None), (ko_2b, None)]);
        for lang in ["en", "ja", "ko"] {
            assert!(!store.claim_update_mailing(en_2, &Language::parse(lang).unwrap()).unwrap(), "{lang} told");
        }
    }

    #[test]
    fn deleting_an_entry_deletes_its_translations() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqlStore::open(&dir.path().join("t.db")).unwrap();
        let en = version(&store, None, "en");
        let ja = version(&store, Some(en.group_id), "ja");
        let original = store.add_appeal_update(en.id, &new("2026-12-01", "Moved to a camp.", None)).unwrap();
        store.add_appeal_update(ja.id, &new("", "収容所に移された。", Some(original.id))).unwrap();
        // Deleted, the entry takes its translations with it.
        store.delete_appeal_update(original.id).unwrap();
        assert!(store.appeal_updates(ja.id).unwrap().is_empty());
    }
}
