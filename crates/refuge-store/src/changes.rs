//! The change feed: triggers (migration 016 on either engine) append the
//! rows in the writing transaction. On SQLite, `PRAGMA data_version`
//! tells, cheaply, whether another connection has committed since the
//! last look; on PostgreSQL the latest id does (it also moves with this
//! server's own writes, which are then applied a second time, harmlessly).
//! PostgreSQL's triggers take a lock before they add a row, so ids are
//! committed in order and a follower never passes a change still being
//! written.

use crate::sql::{DbResult, Handle, Row, params};
use refuge_core::ChangeLog;
use refuge_core::store::StoreResult;
use refuge_core::{Change, ChangeFeed, ItemFacts, Kind, Language, Slug};
use time::OffsetDateTime;

use crate::db::{SqlStore, backend, now, ts};

/// One row as stored.
struct Stored {
    id: i64,
    what: String,
    ref_id: Option<i64>,
    group_id: Option<i64>,
    kind: Option<String>,
    lang: Option<String>,
    slug: Option<String>,
    label: Option<String>,
    year: Option<i32>,
}

fn stored(r: &Row<'_>) -> DbResult<Stored> {
    Ok(Stored {
        id: r.get(0)?,
        what: r.get(1)?,
        ref_id: r.get(2)?,
        group_id: r.get(3)?,
        kind: r.get(4)?,
        lang: r.get(5)?,
        slug: r.get(6)?,
        label: r.get(7)?,
        year: r.get(8)?,
    })
}

impl Stored {
    /// The change it records; `None` for a row this version cannot read.
    fn change(self) -> Option<Change> {
        let lang = self.lang.as_deref().and_then(|l| Language::parse(l).ok());
        Some(match self.what.as_str() {
            "item" => Change::Item(ItemFacts {
                id: self.ref_id?,
                group_id: self.group_id?,
                kind: self.kind?.parse::<Kind>().ok()?,
                lang: lang?,
                slug: Slug::parse(&self.slug?).ok()?,
                category: self.label,
                year: self.year,
            }),
            "tag" => Change::Tag { item_id: self.ref_id?, lang, tag: self.label? },
            "appeal" => Change::Appeal { item_id: self.ref_id? },
            "faq" => Change::Faq { id: self.ref_id?, lang: lang? },
            "newsletters" => Change::Newsletters(lang?),
            "site" => Change::Site,
            _ => return None,
        })
    }
}

impl ChangeFeed for SqlStore {
    fn outside_writes(&self) -> StoreResult<u64> {
        let conn = self.conn()?;
        let sql = match conn.engine() {
            crate::sql::Engine::Sqlite => "PRAGMA data_version",
            crate::sql::Engine::Postgres => "SELECT coalesce(max(id), 0) FROM changes",
        };
        let version: i64 = conn.query_row(sql, params![], |r| r.get(0)).map_err(backend)?;
        Ok(version.unsigned_abs())
    }

    fn latest_change(&self) -> StoreResult<i64> {
        self.conn()?.query_row("SELECT coalesce(max(id), 0) FROM changes", params![], |r| r.get(0)).map_err(backend)
    }

    fn changes_after(&self, after: i64, limit: u32) -> StoreResult<Vec<(i64, Change)>> {
        let conn = self.conn()?;
        let mut stmt = conn
            .prepare(
                "SELECT id, what, ref_id, group_id, kind, lang, slug, label, year
                 FROM changes WHERE id > ? ORDER BY id LIMIT ?",
            )
            .map_err(backend)?;
        let rows = stmt.query_map(params![after, i64::from(limit)], stored).map_err(backend)?;
        let mut out = Vec::new();
        for row in rows {
            let row = row.map_err(backend)?;
            let id = row.id;
            match row.change() {
                Some(change) => out.push((id, change)),
                None => tracing::warn!(id, "a change this version cannot read was left out"),
            }
        }
        Ok(out)
    }
}

impl ChangeLog for SqlStore {
    fn trim_changes(&self, before: OffsetDateTime) -> StoreResult<u64> {
        let n = self
            .conn()?
            .execute("DELETE FROM changes WHERE at < ?", params![before.unix_timestamp()])
            .map_err(backend)?;
        Ok(n)
    }
}

/// Records that content changed: the time of the last change (for whole-site
/// pages) and the change sequence (the search index's stamp).
pub(crate) fn touch(conn: &Handle<'_>) -> DbResult<()> {
    conn.execute(
        "INSERT INTO meta (key, value) VALUES ('last_change', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![ts(now())],
    )?;
    conn.execute(
        "INSERT INTO meta (key, value) VALUES ('change_seq', '1')
         ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(meta.value AS BIGINT) + 1 AS TEXT)",
        params![],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use refuge_core::{ContentStore, ItemDraft, Status};

    use super::*;

    fn draft(slug: &str, category: Option<&str>, tags: &[&str]) -> ItemDraft {
        ItemDraft {
            group_id: None,
            kind: Kind::News,
            lang: Language::parse("ja").unwrap(),
            slug: Slug::parse(slug).unwrap(),
            title: "T".into(),
            summary: String::new(),
            body: "B".into(),
            category: category.map(str::to_owned),
            tags: tags.iter().map(|t| (*t).to_owned()).collect(),
            status: Status::Published,
            published_at: Some(OffsetDateTime::from_unix_timestamp(1_714_521_600).unwrap()),
        }
    }

    #[test]
    fn every_write_is_in_the_feed_with_what_it_was_and_is() {
        for db in crate::testing::each_engine() {
            let store = &db.store;
            let start = store.latest_change().unwrap();
            let item = store.save_item(None, &draft("first", Some("reports"), &["border"])).unwrap();
            let mut moved = draft("moved", None, &["china"]);
            moved.published_at = Some(OffsetDateTime::from_unix_timestamp(1_735_776_000).unwrap());
            store.save_item(Some(item.id), &moved).unwrap();
            store.set_setting("site_name", None, "Refuge").unwrap();

            let changes: Vec<Change> = store.changes_after(start, 100).unwrap().into_iter().map(|(_, c)| c).collect();
            let facts: Vec<(String, Option<String>, Option<i32>)> = changes
                .iter()
                .filter_map(|c| match c {
                    Change::Item(f) => Some((f.slug.to_string(), f.category.clone(), f.year)),
                    _ => None,
                })
                .collect();
            assert!(facts.contains(&("first".into(), Some("reports".into()), Some(2024))), "{facts:?}");
            assert!(facts.contains(&("moved".into(), None, Some(2025))), "the new state: {facts:?}");
            let ja = Language::parse("ja").unwrap();
            for tag in ["border", "china"] {
                let tagged = Change::Tag { item_id: item.id, lang: Some(ja.clone()), tag: tag.into() };
                assert!(changes.contains(&tagged), "{tag}: {changes:?}");
            }
            assert_eq!(changes.last(), Some(&Change::Site));

            // Another connection's commit moves the count (on SQLite, our own
            // do not).
            let mut seen = store.outside_writes().unwrap();
            store.set_setting("site_name", None, "Refuge 2").unwrap();
            if !store.is_postgres() {
                assert_eq!(store.outside_writes().unwrap(), seen);
            }
            seen = store.outside_writes().unwrap();
            let other = db.reopen();
            other.set_setting("site_name", None, "Refuge 3").unwrap();
            assert_ne!(store.outside_writes().unwrap(), seen);
            assert_eq!(store.latest_change().unwrap(), other.latest_change().unwrap());

            let all = store.latest_change().unwrap();
            assert_eq!(store.trim_changes(OffsetDateTime::now_utc() - time::Duration::days(1)).unwrap(), 0);
            assert!(store.trim_changes(OffsetDateTime::now_utc() + time::Duration::minutes(1)).unwrap() > 0);
            assert!(store.changes_after(0, 10).unwrap().is_empty());
            store.set_setting("site_name", None, "Refuge 4").unwrap();
            assert!(store.latest_change().unwrap() > all, "ids never go back after a trim");
        }
    }
}
