//! `RedirectStore` over SQLite.

use crate::sql::{DbResult, Optional, Row, params};
use refuge_core::store::StoreResult;
use refuge_core::{Kind, Language, RedirectReads, RedirectStore, RedirectTarget, Slug, StoreError};

use crate::db::{SqlStore, backend, now, ts};

/// Old paths longer than this are refused.
const MAX_PATH: usize = 1024;

fn check(path: &str) -> StoreResult<()> {
    if !path.starts_with('/') || path.len() > MAX_PATH || path.chars().any(char::is_control) {
        return Err(StoreError::Invalid(format!("{path:?} is not a path of this site")));
    }
    Ok(())
}

/// The current path of a published item from its row, or the fixed path.
fn target(row: &Row<'_>) -> DbResult<Option<String>> {
    let fixed: Option<String> = row.get(0)?;
    if fixed.is_some() {
        return Ok(fixed);
    }
    let (kind, lang, slug): (Option<String>, Option<String>, Option<String>) = (row.get(1)?, row.get(2)?, row.get(3)?);
    let path = (|| {
        let kind: Kind = kind?.parse().ok()?;
        Some(kind.path(&Language::parse(&lang?).ok()?, &Slug::parse(&slug?).ok()?))
    })();
    Ok(path)
}

const SELECT: &str = "SELECT r.to_path, i.kind, i.lang, i.slug, r.from_path FROM redirects r
     LEFT JOIN items i ON i.id = r.item_id AND i.status = 'published'";

impl RedirectReads for SqlStore {
    fn redirect(&self, from: &str) -> StoreResult<Option<String>> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare(&format!("{SELECT} WHERE r.from_path = ?")).map_err(backend)?;
        Ok(stmt.query_row(params![from], target).optional().map_err(backend)?.flatten())
    }
    fn redirects(&self) -> StoreResult<Vec<(String, String)>> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare(&format!("{SELECT} ORDER BY r.from_path")).map_err(backend)?;
        let rows = stmt.query_map(params![], |r| Ok((r.get::<String>(4)?, target(r)?))).map_err(backend)?;
        let mut out = Vec::new();
        for row in rows {
            if let (from, Some(to)) = row.map_err(backend)? {
                out.push((from, to));
            }
        }
        Ok(out)
    }
}

impl RedirectStore for SqlStore {
    fn set_redirect(&self, from: &str, to: &RedirectTarget) -> StoreResult<()> {
        check(from)?;
        let (item, path) = match to {
            RedirectTarget::Item(id) => (Some(*id), None),
            RedirectTarget::Path(p) => {
                check(p)?;
                (None, Some(p.as_str()))
            }
        };
        self.conn()?
            .execute(
                "INSERT INTO redirects (from_path, item_id, to_path, created_at) VALUES (?, ?, ?, ?)
                 ON CONFLICT (from_path) DO UPDATE SET item_id = excluded.item_id, to_path = excluded.to_path",
                params![from, item, path, ts(now())],
            )
            .map_err(backend)?;
        Ok(())
    }

    fn redirect_item(&self, from: &str) -> StoreResult<Option<i64>> {
        self.conn()?
            .query_row("SELECT item_id FROM redirects WHERE from_path = ?", params![from], |r| r.get(0))
            .optional()
            .map(Option::flatten)
            .map_err(backend)
    }
}

#[cfg(test)]
mod tests {
    use refuge_core::{ContentStore, ItemDraft, Status};

    use super::*;

    #[test]
    fn redirects_follow_items_and_fixed_paths() {
        for db in crate::testing::each_engine() {
            let store = &db.store;
            // A path no site has, with a byte PostgreSQL's text cannot hold.
            assert_eq!(store.redirect("/a\0b.html").unwrap(), None);
            let draft = ItemDraft {
                group_id: None,
                kind: Kind::News,
                lang: Language::parse("en").unwrap(),
                slug: Slug::parse("two-faces").unwrap(),
                title: "Two faces".into(),
                summary: String::new(),
                body: "Text".into(),
                category: None,
                tags: Vec::new(),
                status: Status::Draft,
                published_at: None,
            };
            let item = store.save_item(None, &draft).unwrap();
            store.set_redirect("/2faced.html", &RedirectTarget::Item(item.id)).unwrap();
            store.set_redirect("/img/a.jpg", &RedirectTarget::Path("/media/x.jpg".into())).unwrap();
            // A draft is nowhere yet.
            assert_eq!(store.redirect("/2faced.html").unwrap(), None);
            assert_eq!(store.redirect_item("/2faced.html").unwrap(), Some(item.id));
            let published = ItemDraft { status: Status::Published, published_at: Some(now()), ..draft.clone() };
            store.save_item(Some(item.id), &published).unwrap();
            assert_eq!(store.redirect("/2faced.html").unwrap().as_deref(), Some("/en/news/two-faces/"));
            // A new slug keeps the old address working.
            let renamed = ItemDraft { slug: Slug::parse("both-faces").unwrap(), ..published };
            store.save_item(Some(item.id), &renamed).unwrap();
            assert_eq!(store.redirect("/2faced.html").unwrap().as_deref(), Some("/en/news/both-faces/"));
            assert_eq!(store.redirects().unwrap().len(), 2);
            assert!(store.set_redirect("no-slash", &RedirectTarget::Item(item.id)).is_err());
            assert_eq!(store.redirect("/unknown.html").unwrap(), None);
        }
    }
}
