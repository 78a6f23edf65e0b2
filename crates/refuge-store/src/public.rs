//! The public site's reads: published items, listings, tags, FAQ,
//! menus, settings, and the stamps that tell caches and the search index
//! something changed.

use crate::sql::{Optional, Value, list, params};
use refuge_core::redaction::MarkedName;
use refuge_core::search::DocKey;
use refuge_core::store::StoreResult;
use refuge_core::{
    Category, FaqEntry, Item, ItemRef, Kind, Language, MenuEntry, NameReads, NewsFilter, PublicContent, Slug,
};
use time::OffsetDateTime;

use crate::db::{SqlStore, backend, parse_ts};
use crate::rows::{ITEM_COLUMNS, REF_COLUMNS, conversion, item, item_ref};

/// SQL condition and parameters for a news filter (items aliased `i`).
fn filter_sql(lang: &Language, filter: &NewsFilter) -> (String, Vec<Value>) {
    let mut sql = String::from("i.kind = 'news' AND i.status = 'published' AND i.lang = ?");
    let mut args: Vec<Value> = vec![Value::Text(lang.to_string())];
    if let Some(year) = filter.year {
        // A range, not substr(), so the date index serves it.
        sql.push_str(" AND i.published_at >= ? AND i.published_at < ?");
        args.push(Value::Text(format!("{year:04}")));
        args.push(Value::Text(format!("{:04}", year + 1)));
    }
    if let Some(category) = &filter.category {
        sql.push_str(" AND i.category = ?");
        args.push(Value::Text(category.clone()));
    }
    if let Some(tag) = &filter.tag {
        sql.push_str(" AND EXISTS (SELECT 1 FROM item_tags t WHERE t.item_id = i.id AND t.tag = ?)");
        args.push(Value::Text(tag.clone()));
    }
    (sql, args)
}

impl PublicContent for SqlStore {
    fn published_item(&self, kind: Kind, lang: &Language, slug: &Slug) -> StoreResult<Option<Item>> {
        let found = self
            .conn()?
            .query_row(
                &format!(
                    "SELECT {ITEM_COLUMNS} FROM items WHERE kind = ? AND lang = ? AND slug = ? AND status = 'published'"
                ),
                params![kind.as_str(), lang.as_str(), slug.as_str()],
                item,
            )
            .optional()
            .map_err(backend)?;
        let mut items: Vec<Item> = found.into_iter().collect();
        self.load_tags(&mut items)?;
        Ok(items.pop())
    }

    fn item_versions(&self) -> StoreResult<Vec<(i64, String)>> {
        let conn = self.conn()?;
        let mut stmt = conn
            .prepare(
                "SELECT i.id, i.updated_at || '#' || coalesce((SELECT max(r.id) FROM revisions r WHERE r.item_id = i.id), 0)
                 FROM items i WHERE i.status = 'published'",
            )
            .map_err(backend)?;
        let rows = stmt.query_map(params![], |r| Ok((r.get(0)?, r.get(1)?))).map_err(backend)?;
        rows.collect::<Result<_, _>>().map_err(backend)
    }

    fn public_fingerprint(&self) -> StoreResult<String> {
        let conn = self.conn()?;
        let mut hash = refuge_core::digest::Fnv1a::default();
        let mut feed = |bytes: &[u8]| {
            hash.update(bytes);
            hash.update(b"\x1f");
        };
        for table in [
            "settings",
            "menus",
            "faq",
            "categories",
            "appeals",
            "appeal_addressees",
            "appeal_updates",
            "newsletters",
            "media",
            "media_alt",
            "redirects",
        ] {
            feed(table.as_bytes());
            let rows = conn
                .query_map(&format!("SELECT * FROM {table} ORDER BY 1, 2"), params![], |row| {
                    (0..row.len()).map(|i| row.get::<Value>(i)).collect::<Result<Vec<_>, _>>()
                })
                .map_err(backend)?;
            for value in rows.iter().flatten() {
                feed(format!("{value:?}").as_bytes());
            }
        }
        Ok(format!("{:016x}", hash.finish()))
    }

    fn published_by_slug_any_lang(&self, kind: Kind, slug: &Slug) -> StoreResult<Vec<ItemRef>> {
        let conn = self.conn()?;
        let mut stmt = conn
            .prepare(&format!(
                "SELECT {REF_COLUMNS} FROM items INDEXED BY items_slug WHERE kind = ? AND slug = ? AND status = 'published'"
            ))
            .map_err(backend)?;
        let rows = stmt.query_map(params![kind.as_str(), slug.as_str()], item_ref).map_err(backend)?;
        // Sorted here: asking SQLite for the order makes it prefer an
        // index by language and scan every item of the kind.
        let mut refs: Vec<ItemRef> = rows.collect::<Result<_, _>>().map_err(backend)?;
        refs.sort_by(|a, b| a.lang.as_str().cmp(b.lang.as_str()));
        Ok(refs)
    }

    fn published_translations(&self, group_id: i64) -> StoreResult<Vec<ItemRef>> {
        let conn = self.conn()?;
        let mut stmt = conn
            .prepare(&format!(
                "SELECT {REF_COLUMNS} FROM items WHERE group_id = ? AND status = 'published' ORDER BY lang"
            ))
            .map_err(backend)?;
        let rows = stmt.query_map(params![group_id], item_ref).map_err(backend)?;
        rows.collect::<Result<_, _>>().map_err(backend)
    }

    fn published_news(
        &self,
        lang: &Language,
        filter: &NewsFilter,
        offset: u32,
        limit: u32,
    ) -> StoreResult<(Vec<ItemRef>, u32)> {
        let (condition, mut args) = filter_sql(lang, filter);
        let conn = self.conn()?;
        let total: u32 = conn
            .prepare(&format!("SELECT count(*) FROM items i WHERE {condition}"))
            .and_then(|mut stmt| stmt.query_row(&args, |r| r.get(0)))
            .map_err(backend)?;
        args.push(Value::Int(i64::from(limit)));
        args.push(Value::Int(i64::from(offset)));
        let mut stmt = conn
            .prepare(&format!(
                "SELECT {REF_COLUMNS} FROM items i WHERE {condition} ORDER BY i.published_at DESC, i.id DESC LIMIT ? OFFSET ?"
            ))
            .map_err(backend)?;
        let rows = stmt.query_map(&args, item_ref).map_err(backend)?;
        Ok((rows.collect::<Result<_, _>>().map_err(backend)?, total))
    }

    fn tags_of(&self, item_ids: &[i64]) -> StoreResult<Vec<(i64, String)>> {
        if item_ids.is_empty() {
            return Ok(Vec::new());
        }
        let conn = self.conn()?;
        let marks = vec!["?"; item_ids.len()].join(",");
        let mut stmt = conn
            .prepare(&format!("SELECT item_id, tag FROM item_tags WHERE item_id IN ({marks}) ORDER BY item_id, tag"))
            .map_err(backend)?;
        let rows = stmt.query_map(&list(item_ids), |r| Ok((r.get(0)?, r.get(1)?))).map_err(backend)?;
        rows.collect::<Result<_, _>>().map_err(backend)
    }

    fn news_years(&self, lang: &Language) -> StoreResult<Vec<(i32, u32)>> {
        let conn = self.conn()?;
        let mut stmt = conn
            .prepare(
                "SELECT CAST(substr(published_at, 1, 4) AS INTEGER) AS y, count(*) FROM items
                 WHERE kind = 'news' AND status = 'published' AND lang = ? GROUP BY y ORDER BY y DESC",
            )
            .map_err(backend)?;
        let rows = stmt.query_map(params![lang.as_str()], |r| Ok((r.get(0)?, r.get(1)?))).map_err(backend)?;
        rows.collect::<Result<_, _>>().map_err(backend)
    }

    fn categories(&self, lang: &Language) -> StoreResult<Vec<Category>> {
        let conn = self.conn()?;
        let mut stmt = conn
            .prepare(
                "SELECT c.key, c.name, (SELECT count(*) FROM items i WHERE i.kind = 'news' AND i.status = 'published'
                    AND i.lang = c.lang AND i.category = c.key)
                 FROM categories c WHERE c.lang = ? ORDER BY c.name",
            )
            .map_err(backend)?;
        let rows = stmt
            .query_map(params![lang.as_str()], |r| {
                let key: String = r.get(0)?;
                Ok(Category {
                    key: Slug::parse(&key).map_err(|e| conversion(e.to_string()))?,
                    name: r.get(1)?,
                    count: r.get(2)?,
                })
            })
            .map_err(backend)?;
        rows.collect::<Result<_, _>>().map_err(backend)
    }

    fn tags(&self, lang: &Language) -> StoreResult<Vec<(String, u32)>> {
        let conn = self.conn()?;
        let mut stmt = conn
            .prepare(
                "SELECT t.tag, count(*) FROM item_tags t JOIN items i ON i.id = t.item_id
                 WHERE i.kind = 'news' AND i.status = 'published' AND i.lang = ? GROUP BY t.tag ORDER BY t.tag",
            )
            .map_err(backend)?;
        let rows = stmt.query_map(params![lang.as_str()], |r| Ok((r.get(0)?, r.get(1)?))).map_err(backend)?;
        rows.collect::<Result<_, _>>().map_err(backend)
    }

    fn published_kind(&self, kind: Kind, lang: &Language) -> StoreResult<Vec<ItemRef>> {
        let conn = self.conn()?;
        let mut stmt = conn
            .prepare(&format!(
                "SELECT {REF_COLUMNS} FROM items WHERE kind = ? AND lang = ? AND status = 'published'
                 ORDER BY published_at DESC, id DESC"
            ))
            .map_err(backend)?;
        let rows = stmt.query_map(params![kind.as_str(), lang.as_str()], item_ref).map_err(backend)?;
        rows.collect::<Result<_, _>>().map_err(backend)
    }

    fn all_published(&self) -> StoreResult<Vec<ItemRef>> {
        let conn = self.conn()?;
        let mut stmt = conn
            .prepare(&format!(
                "SELECT {REF_COLUMNS} FROM items WHERE status = 'published' ORDER BY kind, lang, published_at DESC, id"
            ))
            .map_err(backend)?;
        let rows = stmt.query_map(params![], item_ref).map_err(backend)?;
        rows.collect::<Result<_, _>>().map_err(backend)
    }

    fn faq(&self, lang: &Language) -> StoreResult<Vec<FaqEntry>> {
        let conn = self.conn()?;
        let mut stmt = conn
            .prepare(
                "SELECT id, lang, anchor, position, question, answer FROM faq WHERE lang = ? ORDER BY position, id",
            )
            .map_err(backend)?;
        let rows = stmt
            .query_map(params![lang.as_str()], |r| {
                let lang: String = r.get(1)?;
                let anchor: String = r.get(2)?;
                Ok(FaqEntry {
                    id: r.get(0)?,
                    lang: Language::parse(&lang).map_err(|e| conversion(e.to_string()))?,
                    anchor: Slug::parse(&anchor).map_err(|e| conversion(e.to_string()))?,
                    position: r.get(3)?,
                    question: r.get(4)?,
                    answer: r.get(5)?,
                })
            })
            .map_err(backend)?;
        rows.collect::<Result<_, _>>().map_err(backend)
    }

    fn menu(&self, lang: &Language) -> StoreResult<Vec<MenuEntry>> {
        let conn = self.conn()?;
        let mut stmt =
            conn.prepare("SELECT label, path FROM menus WHERE lang = ? ORDER BY position").map_err(backend)?;
        let rows = stmt
            .query_map(params![lang.as_str()], |r| Ok(MenuEntry { label: r.get(0)?, path: r.get(1)? }))
            .map_err(backend)?;
        rows.collect::<Result<_, _>>().map_err(backend)
    }

    fn setting(&self, key: &str, lang: &Language) -> StoreResult<Option<String>> {
        self.conn()?
            .query_row(
                "SELECT value FROM settings WHERE key = ? AND lang IN (?, '') ORDER BY lang DESC LIMIT 1",
                params![key, lang.as_str()],
                |r| r.get(0),
            )
            .optional()
            .map_err(backend)
    }

    fn last_change(&self) -> StoreResult<Option<OffsetDateTime>> {
        let text: Option<String> = self
            .conn()?
            .query_row("SELECT value FROM meta WHERE key = 'last_change'", params![], |r| r.get(0))
            .optional()
            .map_err(backend)?;
        text.as_deref().map(parse_ts).transpose().map_err(backend)
    }

    fn change_stamp(&self) -> StoreResult<String> {
        let seq: Option<String> = self
            .conn()?
            .query_row("SELECT value FROM meta WHERE key = 'change_seq'", params![], |r| r.get(0))
            .optional()
            .map_err(backend)?;
        Ok(seq.unwrap_or_else(|| "0".into()))
    }

    fn search_texts(&self, keys: &[DocKey]) -> StoreResult<Vec<(DocKey, String, String)>> {
        let conn = self.conn()?;
        let mut out = Vec::with_capacity(keys.len());
        let (mut item_ids, mut faq_ids) = (Vec::new(), Vec::new());
        for key in keys {
            match *key {
                DocKey::Item(id) => item_ids.push(id),
                DocKey::Faq(id) => faq_ids.push(id),
            }
        }
        let mut read = |ids: &[i64], sql: &str, key: fn(i64) -> DocKey| -> StoreResult<()> {
            if ids.is_empty() {
                return Ok(());
            }
            let marks = vec!["?"; ids.len()].join(",");
            let mut stmt = conn.prepare(&format!("{sql} ({marks})")).map_err(backend)?;
            let rows =
                stmt.query_map(&list(ids), |r| Ok((key(r.get::<i64>(0)?), r.get(1)?, r.get(2)?))).map_err(backend)?;
            for row in rows {
                out.push(row.map_err(backend)?);
            }
            Ok(())
        };
        read(&item_ids, "SELECT id, summary, body FROM items WHERE id IN", DocKey::Item)?;
        read(&faq_ids, "SELECT id, '', answer FROM faq WHERE id IN", DocKey::Faq)?;
        Ok(out)
    }

    fn published_items(&self, after_id: i64, limit: u32) -> StoreResult<Vec<Item>> {
        let mut items: Vec<Item> = {
            let conn = self.conn()?;
            let mut stmt = conn
                .prepare(&format!(
                    "SELECT {ITEM_COLUMNS} FROM items WHERE status = 'published' AND id > ? ORDER BY id LIMIT ?"
                ))
                .map_err(backend)?;
            let rows = stmt.query_map(params![after_id, limit], item).map_err(backend)?;
            rows.collect::<Result<_, _>>().map_err(backend)?
        };
        self.load_tags(&mut items)?;
        Ok(items)
    }
}

impl NameReads for SqlStore {
    fn marked_names(&self) -> StoreResult<Vec<MarkedName>> {
        self.conn()?
            .query_map("SELECT name, source, public FROM protected_names ORDER BY name, source", params![], |r| {
                Ok(MarkedName { name: r.get(0)?, source: r.get(1)?, public: r.get(2)? })
            })
            .map_err(backend)
    }
}
