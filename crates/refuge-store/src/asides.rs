//! `AsideStore` over SQLite: editor forms set aside (awaiting review,
//! autosaved, or sent after the session ended).

use crate::sql::{DbResult, Optional, Row, params};
use refuge_core::AsideReads;
use refuge_core::store::StoreResult;
use refuge_core::{Aside, AsideKind, AsideStore, NewAside, StoreError};
use time::OffsetDateTime;

use crate::db::{SqlStore, backend, now, parse_ts, ts};

const COLUMNS: &str = "a.id, a.kind, a.user_id, u.email, a.item_id, a.place, a.base_revision, a.form, a.created_at";
const FROM: &str = "FROM set_aside a LEFT JOIN users u ON u.id = a.user_id";

/// A set-aside form holds at most this many bytes of fields.
const MAX_FORM: usize = 4_000_000;
/// Autosaves one account keeps (the oldest go first).
const AUTOSAVES_KEPT: i64 = 20;
/// Characters of autosaved forms one account keeps, all together (the
/// oldest go first; the newest always stays).
pub const AUTOSAVE_BUDGET: usize = 8_000_000;

fn aside(row: &Row<'_>) -> DbResult<Aside> {
    let kind: String = row.get(1)?;
    let form: String = row.get(7)?;
    let created: String = row.get(8)?;
    Ok(Aside {
        id: row.get(0)?,
        kind: kind.parse().map_err(crate::rows::conversion)?,
        user_id: row.get(2)?,
        author: row.get(3)?,
        item_id: row.get(4)?,
        place: row.get(5)?,
        base_revision: row.get(6)?,
        form: serde_json::from_str(&form).map_err(|e| crate::rows::conversion(e.to_string()))?,
        created_at: parse_ts(&created)?,
    })
}

impl AsideReads for SqlStore {
    fn aside(&self, id: i64) -> StoreResult<Option<Aside>> {
        self.conn()?
            .query_row(&format!("SELECT {COLUMNS} {FROM} WHERE a.id = ?"), params![id], aside)
            .optional()
            .map_err(backend)
    }
    fn asides_of_item(&self, item_id: i64, kind: AsideKind) -> StoreResult<Vec<Aside>> {
        let conn = self.conn()?;
        let mut stmt = conn
            .prepare(&format!("SELECT {COLUMNS} {FROM} WHERE a.item_id = ? AND a.kind = ? ORDER BY a.id DESC"))
            .map_err(backend)?;
        let rows = stmt.query_map(params![item_id, kind.as_str()], aside).map_err(backend)?;
        rows.collect::<Result<_, _>>().map_err(backend)
    }
    fn own_aside(&self, kind: AsideKind, place: &str, user_id: i64) -> StoreResult<Option<Aside>> {
        self.conn()?
            .query_row(
                &format!("SELECT {COLUMNS} {FROM} WHERE a.kind = ? AND a.place = ? AND a.user_id = ?"),
                params![kind.as_str(), place, user_id],
                aside,
            )
            .optional()
            .map_err(backend)
    }
    fn awaiting_review(&self, limit: u32) -> StoreResult<Vec<Aside>> {
        let conn = self.conn()?;
        let mut stmt = conn
            .prepare(&format!("SELECT {COLUMNS} {FROM} WHERE a.kind = 'review' ORDER BY a.id DESC LIMIT ?"))
            .map_err(backend)?;
        let rows = stmt.query_map(params![limit], aside).map_err(backend)?;
        rows.collect::<Result<_, _>>().map_err(backend)
    }
    fn latest_revision(&self, item_id: i64) -> StoreResult<i64> {
        self.conn()?
            .query_row("SELECT coalesce(max(id), 0) FROM revisions WHERE item_id = ?", params![item_id], |r| r.get(0))
            .map_err(backend)
    }
}

impl AsideStore for SqlStore {
    fn put_aside(&self, a: &NewAside<'_>) -> StoreResult<i64> {
        let form = serde_json::to_string(a.form).map_err(|e| StoreError::Invalid(e.to_string()))?;
        if form.len() > MAX_FORM {
            return Err(StoreError::Invalid("the form is too large to keep".into()));
        }
        let conn = self.conn()?;
        let tx = conn.transaction().map_err(backend)?;
        if a.kind != AsideKind::Expired {
            tx.execute(
                "DELETE FROM set_aside WHERE kind = ? AND place = ? AND user_id IS NOT DISTINCT FROM ?",
                params![a.kind.as_str(), a.place, a.user_id],
            )
            .map_err(backend)?;
        }
        let id = tx
            .insert(
                "INSERT INTO set_aside (kind, key_hash, user_id, item_id, place, base_revision, form, created_at)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                params![a.kind.as_str(), a.key_hash, a.user_id, a.item_id, a.place, a.base_revision, form, ts(now())],
            )
            .map_err(backend)?;
        // An account keeps at most this many autosaves and kept forms;
        // the oldest go first. Changes awaiting review are never dropped.
        let keep = match a.kind {
            AsideKind::Review => None,
            AsideKind::Autosave => Some(AUTOSAVES_KEPT),
            AsideKind::Expired => Some(20),
        };
        if let Some(keep) = keep {
            tx.execute(
                "DELETE FROM set_aside WHERE kind = ?1 AND user_id IS NOT DISTINCT FROM ?2 AND id NOT IN
                    (SELECT id FROM set_aside WHERE kind = ?1 AND user_id IS NOT DISTINCT FROM ?2 ORDER BY id DESC LIMIT ?3)",
                params![a.kind.as_str(), a.user_id, keep],
            )
            .map_err(backend)?;
        }
        // And autosaves at most this many characters in all: whatever
        // an account sends, it holds a bounded part of the disk.
        if a.kind == AsideKind::Autosave {
            tx.execute(
                "DELETE FROM set_aside WHERE id IN (SELECT id FROM (SELECT id, SUM(length(form)) OVER
                    (ORDER BY id DESC) AS running FROM set_aside WHERE kind = 'autosave'
                    AND user_id IS NOT DISTINCT FROM ?1) kept WHERE running > ?2)",
                params![a.user_id, AUTOSAVE_BUDGET as i64],
            )
            .map_err(backend)?;
        }
        tx.commit().map_err(backend)?;
        Ok(id)
    }

    fn take_expired(&self, key_hash: &str) -> StoreResult<Option<Aside>> {
        let conn = self.conn()?;
        let tx = conn.transaction().map_err(backend)?;
        let found = tx
            .query_row(
                &format!("SELECT {COLUMNS} {FROM} WHERE a.kind = 'expired' AND a.key_hash = ?"),
                params![key_hash],
                aside,
            )
            .optional()
            .map_err(backend)?;
        if let Some(a) = &found {
            tx.execute("DELETE FROM set_aside WHERE id = ?", params![a.id]).map_err(backend)?;
        }
        tx.commit().map_err(backend)?;
        Ok(found)
    }

    fn remove_aside(&self, id: i64) -> StoreResult<()> {
        self.conn()?.execute("DELETE FROM set_aside WHERE id = ?", params![id]).map_err(backend)?;
        Ok(())
    }

    fn purge_asides(&self, before: OffsetDateTime) -> StoreResult<u64> {
        let n = self
            .conn()?
            .execute(
                "DELETE FROM set_aside WHERE kind IN ('autosave', 'expired') AND created_at < ?",
                params![ts(before)],
            )
            .map_err(backend)?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use refuge_core::{ContentStore, Email, ItemDraft, Kind, Language, Role, Slug, Status, UserStore};

    use super::*;

    #[test]
    fn set_aside_forms_are_kept_replaced_and_taken_once() {
        for db in crate::testing::each_engine() {
            let store = &db.store;
            let user =
                store.add_user(&Email::parse("tr@example.org").unwrap(), Role::Translator, "a long password").unwrap();
            let item = store
                .save_item(
                    None,
                    &ItemDraft {
                        group_id: None,
                        kind: Kind::News,
                        lang: Language::parse("ja").unwrap(),
                        slug: Slug::parse("x").unwrap(),
                        title: "題".into(),
                        summary: String::new(),
                        body: "本文".into(),
                        category: None,
                        tags: Vec::new(),
                        status: Status::Published,
                        published_at: Some(now()),
                    },
                )
                .unwrap();
            let latest = store.latest_revision(item.id).unwrap();
            assert!(latest > 0);
            let form = vec![("title".to_owned(), "新しい題".to_owned()), ("body".to_owned(), "a\nb".to_owned())];
            let place = format!("/admin/items/{}", item.id);
            let new = NewAside {
                kind: AsideKind::Review,
                key_hash: None,
                user_id: Some(user.id),
                item_id: Some(item.id),
                place: &place,
                base_revision: latest,
                form: &form,
            };
            store.put_aside(&new).unwrap();
            let second = store.put_aside(&new).unwrap();
            let pending = store.asides_of_item(item.id, AsideKind::Review).unwrap();
            assert_eq!(pending.len(), 1, "one per author and place");
            assert_eq!((pending[0].id, &pending[0].form), (second, &form));
            assert_eq!(pending[0].author.as_deref(), Some("tr@example.org"));
            assert_eq!(store.awaiting_review(10).unwrap().len(), 1);
            assert!(store.own_aside(AsideKind::Review, &place, user.id).unwrap().is_some());

            let kept = NewAside { kind: AsideKind::Expired, key_hash: Some("k1"), user_id: None, ..new };
            store.put_aside(&kept).unwrap();
            assert_eq!(store.take_expired("k1").unwrap().unwrap().form, form);
            assert!(store.take_expired("k1").unwrap().is_none(), "taken once");
            // Housekeeping leaves changes awaiting review alone.
            store.put_aside(&NewAside { kind: AsideKind::Autosave, ..new }).unwrap();
            assert_eq!(store.purge_asides(now() + time::Duration::minutes(1)).unwrap(), 1);
            assert_eq!(store.awaiting_review(10).unwrap().len(), 1);
            // At most 20 kept forms per account: the oldest go.
            for n in 0..25 {
                let key = format!("many{n}");
                store.put_aside(&NewAside { kind: AsideKind::Expired, key_hash: Some(&key), ..new }).unwrap();
            }
            assert!(store.take_expired("many0").unwrap().is_none() && store.take_expired("many24").unwrap().is_some());
            store.delete_item(item.id).unwrap();
            assert!(store.awaiting_review(10).unwrap().is_empty(), "gone with its item");

            // Autosaves with a new place each time hold a bounded part of
            // the disk: at most 20, at most the budget in all.
            let big = vec![("body".to_owned(), "x".repeat(900_000))];
            for n in 0..30 {
                let place = format!("/admin/items/new?kind=news&n={n}");
                let save = NewAside {
                    kind: AsideKind::Autosave,
                    key_hash: None,
                    user_id: Some(user.id),
                    item_id: None,
                    place: &place,
                    base_revision: 0,
                    form: &big,
                };
                store.put_aside(&save).unwrap();
            }
            let conn = store.conn().unwrap();
            let (count, chars): (i64, i64) = conn
                .query_row(
                    "SELECT COUNT(*), COALESCE(SUM(length(form)), 0) FROM set_aside WHERE kind = 'autosave'",
                    params![],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .unwrap();
            assert!(count <= 20 && chars as usize <= AUTOSAVE_BUDGET, "{count} autosaves, {chars} characters");
            drop(conn);
            assert!(
                store.own_aside(AsideKind::Autosave, "/admin/items/new?kind=news&n=29", user.id).unwrap().is_some()
            );
        }
    }
}
