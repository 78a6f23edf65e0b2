//! `MediaStore` over SQLite.

use crate::sql::{DbResult, Handle, Optional, Row, params};
use refuge_core::MediaReads;
use refuge_core::store::StoreResult;
use refuge_core::{AuditLine, Language, Media, MediaStore, StoreError};

use crate::db::{SqlStore, backend, now, ts};

const COLUMNS: &str = "id, kind, name, stored, extension, width, height, bytes, variants, report";

fn media(row: &Row<'_>) -> DbResult<Media> {
    let variants: String = row.get(8)?;
    Ok(Media {
        id: row.get(0)?,
        kind: row.get(1)?,
        name: row.get(2)?,
        stored: row.get(3)?,
        extension: row.get(4)?,
        width: row.get(5)?,
        height: row.get(6)?,
        bytes: row.get::<i64>(7)?.unsigned_abs(),
        variants: variants.split(',').filter_map(|w| w.parse().ok()).collect(),
        report: row.get(9)?,
        alt: Vec::new(),
    })
}

impl SqlStore {
    fn with_alt(&self, mut list: Vec<Media>) -> StoreResult<Vec<Media>> {
        let conn = self.conn()?;
        let mut stmt =
            conn.prepare("SELECT lang, alt FROM media_alt WHERE media_id = ? ORDER BY lang").map_err(backend)?;
        for m in &mut list {
            let rows = stmt.query_map(params![m.id], |r| Ok((r.get(0)?, r.get(1)?))).map_err(backend)?;
            m.alt = rows.collect::<Result<_, _>>().map_err(backend)?;
        }
        Ok(list)
    }

    fn one_media(&self, condition: &str, value: crate::sql::Value) -> StoreResult<Option<Media>> {
        let found = self
            .conn()?
            .query_row(&format!("SELECT {COLUMNS} FROM media WHERE {condition}"), params![value], media)
            .optional()
            .map_err(backend)?;
        Ok(self.with_alt(found.into_iter().collect())?.pop())
    }
}

impl MediaReads for SqlStore {
    fn media_stored_names(&self) -> StoreResult<Vec<String>> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare("SELECT stored FROM media").map_err(backend)?;
        let rows = stmt.query_map(params![], |r| r.get(0)).map_err(backend)?;
        rows.collect::<Result<_, _>>().map_err(backend)
    }
    fn media_list(&self, offset: u32, limit: u32) -> StoreResult<(Vec<Media>, u32)> {
        let (list, total) = {
            let conn = self.conn()?;
            let total: u32 = conn.query_row("SELECT count(*) FROM media", params![], |r| r.get(0)).map_err(backend)?;
            let mut stmt = conn
                .prepare(&format!("SELECT {COLUMNS} FROM media ORDER BY id DESC LIMIT ? OFFSET ?"))
                .map_err(backend)?;
            let rows = stmt.query_map(params![limit, offset], media).map_err(backend)?;
            (rows.collect::<Result<Vec<_>, _>>().map_err(backend)?, total)
        };
        Ok((self.with_alt(list)?, total))
    }
    fn media(&self, id: i64) -> StoreResult<Option<Media>> {
        self.one_media("id = ?", crate::sql::Value::Int(id))
    }
    fn media_by_stored(&self, stored: &str) -> StoreResult<Option<Media>> {
        self.one_media("stored = ?", crate::sql::Value::Text(stored.to_owned()))
    }
}

impl MediaStore for SqlStore {
    fn add_media(&self, m: &Media, audit: Option<AuditLine<'_>>) -> StoreResult<i64> {
        let conn = self.conn()?;
        let tx = conn.transaction().map_err(backend)?;
        let variants: Vec<String> = m.variants.iter().map(u32::to_string).collect();
        let id = tx
            .insert(
                "INSERT INTO media (kind, name, stored, extension, width, height, bytes, variants, report, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                params![
                    m.kind,
                    m.name,
                    m.stored,
                    m.extension,
                    m.width,
                    m.height,
                    m.bytes as i64,
                    variants.join(","),
                    m.report,
                    ts(now())
                ],
            )
            .map_err(backend)?;
        for (lang, alt) in &m.alt {
            write_alt(&tx, id, lang, alt)?;
        }
        if let Some(line) = audit {
            crate::users::write_audit(&tx, &line, &m.name)?;
        }
        tx.commit().map_err(backend)?;
        Ok(id)
    }

    fn set_media_alts(&self, id: i64, alts: &[(Language, String)], audit: Option<AuditLine<'_>>) -> StoreResult<()> {
        let conn = self.conn()?;
        let tx = conn.transaction().map_err(backend)?;
        for (lang, alt) in alts {
            write_alt(&tx, id, lang.as_str(), alt)?;
        }
        if let Some(line) = audit {
            write_audit_of(&tx, id, &line)?;
        }
        tx.commit().map_err(backend)
    }

    fn delete_media(&self, id: i64, audit: Option<AuditLine<'_>>) -> StoreResult<()> {
        let conn = self.conn()?;
        let tx = conn.transaction().map_err(backend)?;
        if let Some(line) = audit {
            write_audit_of(&tx, id, &line)?;
        }
        let n = tx.execute("DELETE FROM media WHERE id = ?", params![id]).map_err(backend)?;
        if n == 0 {
            return Err(StoreError::NotFound(format!("media {id}")));
        }
        tx.commit().map_err(backend)
    }
}

/// The audit line of a change to upload `id`, named by its file's name.
fn write_audit_of(tx: &Handle<'_>, id: i64, line: &AuditLine<'_>) -> StoreResult<()> {
    let name: Option<String> =
        tx.query_row("SELECT name FROM media WHERE id = ?", params![id], |r| r.get(0)).optional().map_err(backend)?;
    let name = name.ok_or_else(|| StoreError::NotFound(format!("media {id}")))?;
    crate::users::write_audit(tx, line, &name)
}

/// Sets (or, empty, removes) one language's alternative text of an
/// upload, recording the names it marks.
fn write_alt(tx: &Handle<'_>, id: i64, lang: &str, alt: &str) -> StoreResult<()> {
    let alt = alt.trim();
    if alt.chars().count() > Media::ALT_MAX_CHARS {
        return Err(StoreError::Invalid(format!("alternative text is limited to {} characters", Media::ALT_MAX_CHARS)));
    }
    if alt.is_empty() {
        tx.execute("DELETE FROM media_alt WHERE media_id = ? AND lang = ?", params![id, lang]).map_err(backend)?;
    } else {
        tx.execute(
            "INSERT INTO media_alt (media_id, lang, alt) VALUES (?, ?, ?)
             ON CONFLICT (media_id, lang) DO UPDATE SET alt = excluded.alt",
            params![id, lang, alt],
        )
        .map_err(backend)?;
        crate::names::record(tx, &format!("media:{id}"), &[alt], false).map_err(backend)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_records_and_alt_text() {
        for db in crate::testing::each_engine() {
            let s = &db.store;
            let m = Media {
                id: 0,
                kind: "image".into(),
                name: "river.jpg".into(),
                stored: "abc".into(),
                extension: "jpg".into(),
                width: Some(1000),
                height: Some(500),
                bytes: 1234,
                variants: vec![480, 960],
                report: String::new(),
                alt: Vec::new(),
            };
            let id = s.add_media(&m, None).unwrap();
            let ja = Language::parse("ja").unwrap();
            s.set_media_alt(id, &ja, "凍った川").unwrap();
            let got = s.media_by_stored("abc").unwrap().unwrap();
            assert_eq!(
                (got.variants.clone(), got.alt.clone()),
                (vec![480, 960], vec![("ja".to_owned(), "凍った川".to_owned())])
            );
            assert_eq!(got.variant_path(480), "/media/abc-480.jpg");
            s.set_media_alt(id, &ja, "  ").unwrap();
            assert!(s.media(id).unwrap().unwrap().alt.is_empty());
            assert_eq!(s.media_list(0, 10).unwrap().1, 1);
            s.delete_media(id, None).unwrap();
            assert!(s.media(id).unwrap().is_none());
        }
    }
}
