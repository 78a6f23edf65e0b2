//! `AppealStore` over SQLite.

use crate::sql::{DbResult, Handle, Optional, Row, params};
use refuge_core::store::StoreResult;
use refuge_core::{Addressee, AppealFacts, AppealReads, AppealStore, AppealUpdate, ItemRef, Language, StoreError};

use crate::content::touch;
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
    })
}

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
        let conn = self.conn()?;
        let mut stmt = conn
            .prepare(
                "SELECT id, item_id, date, text, source, created_at FROM appeal_updates WHERE item_id = ?
                 ORDER BY date DESC, id DESC",
            )
            .map_err(backend)?;
        let rows = stmt.query_map(params![item_id], |r| update(r, 0)).map_err(backend)?;
        rows.collect::<Result<_, _>>().map_err(backend)
    }
    fn recent_appeal_updates(&self, lang: &Language, limit: u32) -> StoreResult<Vec<(ItemRef, AppealUpdate)>> {
        let conn = self.conn()?;
        let columns: String = REF_COLUMNS.split(", ").map(|c| format!("i.{c}")).collect::<Vec<_>>().join(", ");
        let mut stmt = conn
            .prepare(&format!(
                "SELECT {columns}, u.id, u.item_id, u.date, u.text, u.source, u.created_at
                 FROM appeal_updates u JOIN items i ON i.id = u.item_id
                 WHERE i.status = 'published' AND i.lang = ? ORDER BY u.created_at DESC, u.id DESC LIMIT ?"
            ))
            .map_err(backend)?;
        let rows =
            stmt.query_map(params![lang.as_str(), limit], |r| Ok((item_ref(r)?, update(r, 11)?))).map_err(backend)?;
        rows.collect::<Result<_, _>>().map_err(backend)
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

    fn add_appeal_update(&self, item_id: i64, date: &str, text: &str, source: &str) -> StoreResult<AppealUpdate> {
        if text.trim().is_empty() {
            return Err(StoreError::Invalid("an update needs some text".into()));
        }
        let valid_date = date.len() == 10
            && time::Date::parse(date, time::macros::format_description!("[year]-[month]-[day]")).is_ok();
        if !valid_date {
            return Err(StoreError::Invalid("the date must be written YYYY-MM-DD".into()));
        }
        let conn = self.conn()?;
        let tx = conn.transaction().map_err(backend)?;
        let id = tx
            .insert(
                "INSERT INTO appeal_updates (item_id, date, text, source, created_at) VALUES (?, ?, ?, ?, ?)",
                params![item_id, date, text.trim(), source.trim(), ts(now())],
            )
            .map_err(backend)?;
        crate::names::record_item(&tx, item_id).map_err(backend)?;
        touch(&tx).map_err(backend)?;
        tx.commit().map_err(backend)?;
        conn.query_row(
            "SELECT id, item_id, date, text, source, created_at FROM appeal_updates WHERE id = ?",
            params![id],
            |r| update(r, 0),
        )
        .map_err(backend)
    }

    fn delete_appeal_update(&self, id: i64) -> StoreResult<()> {
        let conn = self.conn()?;
        let n = conn.execute("DELETE FROM appeal_updates WHERE id = ?", params![id]).map_err(backend)?;
        if n == 0 {
            return Err(StoreError::NotFound(format!("update {id}")));
        }
        touch(&conn).map_err(backend)
    }
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
