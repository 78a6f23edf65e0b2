//! Moving a site between engines: every table copied, row for row, from
//! one database into an empty one, and then checked (row counts and a
//! checksum per table on both sides) before it is called done. Used by
//! `refuge db copy`, and by backups of a PostgreSQL site (which hold a
//! SQLite copy, so any backup restores anywhere).

use sha2::{Digest, Sha256};

use crate::SqlStore;
use crate::sql::{DbError, Engine, Handle, Value, params};

/// Every table, parents before children, with the columns that order
/// its rows. Left out on purpose: what belongs to the running servers and
/// not to the site — `leases` (who does the housekeeping) and
/// `sign_in_failures` (a back-off that ends within minutes).
const TABLES: &[(&str, &str)] = &[
    ("meta", "key"),
    ("settings", "key, lang"),
    ("categories", "key, lang"),
    ("menus", "lang, position"),
    ("faq", "id"),
    ("users", "id"),
    ("sessions", "id_hash"),
    ("groups", "id"),
    ("items", "id"),
    ("item_tags", "item_id, tag"),
    ("revisions", "id"),
    ("appeals", "item_id"),
    ("appeal_addressees", "id"),
    ("appeal_updates", "id"),
    ("appeal_update_mailings", "update_id, lang"),
    ("media", "id"),
    ("media_alt", "media_id, lang"),
    ("redirects", "from_path"),
    ("set_aside", "id"),
    ("audit", "id"),
    ("messages", "id"),
    ("subscribers", "id"),
    ("suppressed", "hash"),
    ("outbox", "id"),
    ("newsletters", "id"),
    ("changes", "id"),
    ("protected_names", "name, source"),
];

/// Rows read at once.
const BATCH: u64 = 500;

/// What a table holds: its rows and a checksum of them (the same for the
/// same rows on either engine, whatever their order).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableCheck {
    pub table: &'static str,
    pub rows: u64,
    pub checksum: String,
}

/// Why a copy stopped.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    #[error(
        "the {0} already holds a site (items, accounts, subscribers or messages). Nothing was copied: \
         copy into a new, empty database"
    )]
    NotEmpty(String),
    #[error(
        "the copy of table {table} differs: {from_rows} rows (checksum {from_sum}) in the source, {to_rows} \
         ({to_sum}) in the copy. Do not use the copy; the source is unchanged"
    )]
    Differs { table: &'static str, from_rows: u64, from_sum: String, to_rows: u64, to_sum: String },
    #[error("the copy failed: {0}. The source is unchanged")]
    Db(String),
}

impl From<DbError> for CopyError {
    fn from(e: DbError) -> Self {
        CopyError::Db(e.to_string())
    }
}

fn handle(store: &SqlStore) -> Result<Handle<'_>, CopyError> {
    Ok(store.handle()?)
}

/// The columns of `table` on this engine, in order.
fn columns(conn: &Handle<'_>, table: &str) -> Result<Vec<String>, CopyError> {
    let sql = match conn.engine() {
        Engine::Sqlite => "SELECT name FROM pragma_table_info(?) ORDER BY cid",
        Engine::Postgres => {
            "SELECT column_name::text FROM information_schema.columns
             WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position"
        }
    };
    Ok(conn.query_map(sql, params![table], |r| r.get(0))?)
}

/// One batch of rows of `table` (the listed columns), in key order.
fn batch(conn: &Handle<'_>, table: &str, order: &str, cols: &str, offset: u64) -> Result<Vec<Vec<Value>>, CopyError> {
    let sql = format!("SELECT {cols} FROM {table} ORDER BY {order} LIMIT ? OFFSET ?");
    Ok(conn.query_map(&sql, params![BATCH, offset], |row| (0..row.len()).map(|i| row.get::<Value>(i)).collect())?)
}

fn count(conn: &Handle<'_>, table: &str) -> Result<u64, CopyError> {
    Ok(conn.query_row(&format!("SELECT count(*) FROM {table}"), params![], |r| r.get(0))?)
}

/// Row counts and checksums of every table.
pub fn checks(store: &SqlStore) -> Result<Vec<TableCheck>, CopyError> {
    checks_on(&handle(store)?)
}

fn checks_on(conn: &Handle<'_>) -> Result<Vec<TableCheck>, CopyError> {
    let mut out = Vec::new();
    for &(table, order) in TABLES {
        let cols = columns(conn, table)?;
        let list = cols.join(", ");
        let mut digests: Vec<[u8; 32]> = Vec::new();
        let mut offset = 0;
        loop {
            let rows = batch(conn, table, order, &list, offset)?;
            offset += rows.len() as u64;
            digests.extend(rows.iter().map(|row| row_digest(&cols, row)));
            if (rows.len() as u64) < BATCH {
                break;
            }
        }
        digests.sort_unstable();
        let mut all = Sha256::new();
        for d in &digests {
            all.update(d);
        }
        let checksum = all.finalize().iter().take(8).map(|b| format!("{b:02x}")).collect();
        out.push(TableCheck { table, rows: digests.len() as u64, checksum });
    }
    Ok(out)
}

/// A row's digest: each column's name and value, typed.
fn row_digest(cols: &[String], row: &[Value]) -> [u8; 32] {
    let mut h = Sha256::new();
    for (name, value) in cols.iter().zip(row) {
        h.update(name.as_bytes());
        match value {
            Value::Null => h.update([0]),
            Value::Int(i) => {
                h.update([1]);
                h.update(i.to_le_bytes());
            }
            Value::Real(f) => {
                h.update([2]);
                h.update(f.to_le_bytes());
            }
            Value::Text(t) => {
                h.update([3]);
                h.update((t.len() as u64).to_le_bytes());
                h.update(t.as_bytes());
            }
            Value::Blob(b) => {
                h.update([4]);
                h.update((b.len() as u64).to_le_bytes());
                h.update(b);
            }
        }
    }
    h.finalize().into()
}

/// Copies every table of `from` into `to`, which must hold no site yet,
/// in one transaction, then compares both table by table. The source is
/// read as it was at one moment (a read transaction), so a site that keeps
/// running while it is copied gives a consistent copy. `progress` hears
/// (table, rows copied, rows in it). The checks of the copy.
pub fn copy(
    from: &SqlStore,
    to: &SqlStore,
    progress: &mut dyn FnMut(&str, u64, u64),
) -> Result<Vec<TableCheck>, CopyError> {
    let source = handle(from)?;
    let target = handle(to)?;
    for table in ["items", "users", "subscribers", "messages"] {
        if count(&target, table)? > 0 {
            return Err(CopyError::NotEmpty(to.describe()));
        }
    }
    // One moment of the source, for the copy and for its checks.
    source.batch(match source.engine() {
        Engine::Sqlite => "BEGIN",
        Engine::Postgres => "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
    })?;
    let copied = copy_tables(&source, &target, progress).and_then(|()| checks_on(&source));
    source.batch("ROLLBACK")?;
    let before = copied?;
    drop(source);
    let after = checks_on(&target)?;
    for (a, b) in before.iter().zip(&after) {
        if a != b {
            return Err(CopyError::Differs {
                table: a.table,
                from_rows: a.rows,
                from_sum: a.checksum.clone(),
                to_rows: b.rows,
                to_sum: b.checksum.clone(),
            });
        }
    }
    Ok(after)
}

/// Every table of `source` into `target`, in one transaction there.
fn copy_tables(
    source: &Handle<'_>,
    target: &Handle<'_>,
    progress: &mut dyn FnMut(&str, u64, u64),
) -> Result<(), CopyError> {
    {
        let tx = target.transaction()?;
        // What a new schema holds by itself (a salt, its change rows)
        // makes way for the source's.
        for &(table, _) in TABLES.iter().rev() {
            tx.execute(&format!("DELETE FROM {table}"), params![])?;
        }
        let mut translations: Vec<(i64, i64)> = Vec::new();
        for &(table, order) in TABLES {
            let cols = columns(source, table)?;
            let list = cols.join(", ");
            let marks = vec!["?"; cols.len()].join(", ");
            let insert = format!("INSERT INTO {table} ({list}) VALUES ({marks})");
            // An item may be the translation of a later one: the link is
            // set once every item is there.
            let link = (table == "items").then(|| cols.iter().position(|c| c == "translated_from")).flatten();
            let total = count(source, table)?;
            if table == "changes" {
                // The copy's own writes made rows here; the source's feed
                // replaces them.
                tx.execute("DELETE FROM changes", params![])?;
            }
            let mut offset = 0;
            loop {
                let rows = batch(source, table, order, &list, offset)?;
                for mut row in rows.iter().cloned() {
                    if let Some(at) = link
                        && let (Value::Int(id), Value::Int(source_id)) = (&row[0], &row[at])
                    {
                        translations.push((*id, *source_id));
                        row[at] = Value::Null;
                    }
                    tx.execute(&insert, &row)?;
                }
                offset += rows.len() as u64;
                progress(table, offset, total);
                if (rows.len() as u64) < BATCH {
                    break;
                }
            }
            if table == "items" {
                for (id, source_id) in translations.drain(..) {
                    tx.execute("UPDATE items SET translated_from = ? WHERE id = ?", params![source_id, id])?;
                }
            }
        }
        if tx.engine() == Engine::Postgres {
            // Ids go on after the copied ones.
            for &(table, order) in TABLES {
                if order == "id" {
                    tx.execute(
                        &format!(
                            "SELECT setval(pg_get_serial_sequence('{table}', 'id'), coalesce(max(id), 0) + 1, false) \
                             FROM {table}"
                        ),
                        params![],
                    )?;
                }
            }
        }
        tx.commit()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use refuge_core::ContentReads;
    use refuge_core::{
        ContentStore, Email, ItemDraft, Kind, Language, MessageStore, PublicContent, Role, Slug, Status, UserStore,
    };

    use super::*;

    fn fill(store: &SqlStore) {
        let ja = Language::parse("ja").unwrap();
        let en = Language::parse("en").unwrap();
        let draft = |lang: &Language, slug: &str| ItemDraft {
            group_id: None,
            kind: Kind::News,
            lang: lang.clone(),
            slug: Slug::parse(slug).unwrap(),
            title: format!("「{slug}」の記事"),
            summary: "要約".into(),
            body: "本文 with *Markdown*".into(),
            category: Some("reports".into()),
            tags: vec!["border".into(), "中国".into()],
            status: Status::Published,
            published_at: Some(time::macros::datetime!(2002-07-20 9:00 UTC)),
        };
        let source = store.save_item(None, &draft(&ja, "first")).unwrap();
        let mut translation = draft(&en, "first");
        translation.group_id = Some(source.group_id);
        let translated = store.save_item(None, &translation).unwrap();
        store.mark_translated(translated.id, source.id).unwrap();
        store.add_user(&Email::parse("Ed@Example.org").unwrap(), Role::Editor, "a long password here").unwrap();
        store.add_message("help", "ja", &[0, 159, 146, 150, 255]).unwrap();
        store.set_setting("site_name", Some(&ja), "避難所").unwrap();
    }

    #[test]
    fn a_copy_there_and_back_leaves_identical_tables() {
        let Some(pg) = crate::testing::postgres_db() else { return };
        let sqlite = crate::testing::sqlite();
        fill(&sqlite.store);
        let there = copy(&sqlite.store, &pg.store, &mut |_, _, _| {}).unwrap();
        assert!(there.iter().any(|c| c.table == "items" && c.rows == 2), "{there:?}");
        // The copy is a working site: a new item gets the next id.
        let items = pg.store.all_published().unwrap();
        assert_eq!(items.len(), 2);
        let en = items.iter().find(|i| i.lang.as_str() == "en").unwrap();
        assert!(pg.store.item(en.id).unwrap().unwrap().translated_from.is_some());

        let back = crate::testing::sqlite();
        let returned = copy(&pg.store, &back.store, &mut |_, _, _| {}).unwrap();
        assert_eq!(checks(&sqlite.store).unwrap(), returned, "there and back, every table is the same");

        // Into a database that holds a site: refused, nothing changed.
        let err = copy(&sqlite.store, &pg.store, &mut |_, _, _| {}).unwrap_err();
        assert!(matches!(err, CopyError::NotEmpty(_)), "{err}");
        assert_eq!(checks(&pg.store).unwrap(), there);
    }

    #[test]
    fn a_difference_is_found() {
        let a = crate::testing::sqlite();
        let b = crate::testing::sqlite();
        fill(&a.store);
        fill(&b.store);
        assert_ne!(checks(&a.store).unwrap(), checks(&b.store).unwrap(), "times and random salts differ");
        let c = crate::testing::sqlite();
        copy(&a.store, &c.store, &mut |_, _, _| {}).unwrap();
        c.store.set_setting("site_name", None, "changed").unwrap();
        let (x, y) = (checks(&a.store).unwrap(), checks(&c.store).unwrap());
        let differ: Vec<&str> = x.iter().zip(&y).filter(|(p, q)| p != q).map(|(p, _)| p.table).collect();
        assert!(differ.contains(&"settings"), "{differ:?}");
    }
}
