//! `ContentStore` over SQLite.

use crate::changes::touch;
use crate::sql::{Handle, Optional, Value, list, params};
use refuge_core::ContentReads;
use refuge_core::store::StoreResult;
use refuge_core::{
    AdminFilter, AdminRow, AdminSort, ContentStore, Item, ItemDraft, ItemSave, Kind, Language, MenuEntry,
    PublicContent, Revision, Slug, StoreError,
};
use time::OffsetDateTime;

use crate::db::{SqlStore, backend, now, parse_ts, ts};
use crate::rows::{ADMIN_COLUMNS, ITEM_COLUMNS, OUTDATED_SQL, REVISION_COLUMNS, admin_row, item, revision};

pub(crate) fn unique_violation(e: &crate::sql::DbError) -> bool {
    e.is_unique_violation()
}

impl SqlStore {
    pub(crate) fn load_tags(&self, items: &mut [Item]) -> StoreResult<()> {
        let ids: Vec<i64> = items.iter().map(|i| i.id).collect();
        let position: std::collections::HashMap<i64, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
        for (id, tag) in self.tags_of(&ids)? {
            if let Some(&i) = position.get(&id) {
                items[i].tags.push(tag);
            }
        }
        Ok(())
    }
}

/// The SQL condition (on `items i`) and its arguments for an admin list's
/// filter.
fn admin_condition(filter: &AdminFilter) -> (String, Vec<Value>) {
    let mut condition = String::from("1 = 1");
    let mut args: Vec<Value> = Vec::new();
    if let Some(kind) = filter.kind {
        condition.push_str(" AND i.kind = ?");
        args.push(Value::Text(kind.as_str().into()));
    }
    if let Some(lang) = &filter.lang {
        condition.push_str(" AND i.lang = ?");
        args.push(Value::Text(lang.to_string()));
    }
    if let Some(status) = filter.status {
        condition.push_str(" AND i.status = ?");
        args.push(Value::Text(status.as_str().into()));
    }
    if filter.outdated_only {
        condition.push_str(&format!(" AND {OUTDATED_SQL}"));
    }
    if let Some(text) = filter.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        let escaped = text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
        condition
            .push_str(" AND (i.title LIKE ? ESCAPE '\\' OR i.summary LIKE ? ESCAPE '\\' OR i.body LIKE ? ESCAPE '\\')");
        let pattern = format!("%{escaped}%");
        for _ in 0..3 {
            args.push(Value::Text(pattern.clone()));
        }
    }
    if let Some(author) = filter.author {
        condition.push_str(" AND EXISTS (SELECT 1 FROM revisions r WHERE r.item_id = i.id AND r.user_id = ?)");
        args.push(Value::Int(author));
    }
    if let Some(category) = &filter.category {
        condition.push_str(" AND i.category = ?");
        args.push(Value::Text(category.clone()));
    }
    if let Some(from) = filter.from {
        condition.push_str(" AND coalesce(i.published_at, i.updated_at) >= ?");
        args.push(Value::Text(ts(from)));
    }
    if let Some(until) = filter.until {
        condition.push_str(" AND coalesce(i.published_at, i.updated_at) < ?");
        args.push(Value::Text(ts(until)));
    }
    (condition, args)
}

impl ContentReads for SqlStore {
    fn item_id_by_slug(&self, kind: Kind, lang: &Language, slug: &Slug) -> StoreResult<Option<i64>> {
        self.conn()?
            .query_row(
                "SELECT id FROM items WHERE kind = ? AND lang = ? AND slug = ?",
                params![kind.as_str(), lang.as_str(), slug.as_str()],
                |r| r.get(0),
            )
            .optional()
            .map_err(backend)
    }
    fn item(&self, id: i64) -> StoreResult<Option<Item>> {
        let found = self
            .conn()?
            .query_row(&format!("SELECT {ITEM_COLUMNS} FROM items WHERE id = ?"), params![id], item)
            .optional()
            .map_err(backend)?;
        let mut items: Vec<Item> = found.into_iter().collect();
        self.load_tags(&mut items)?;
        Ok(items.pop())
    }
    fn revisions(&self, item_id: i64) -> StoreResult<Vec<Revision>> {
        let conn = self.conn()?;
        let mut stmt = conn
            .prepare(&format!(
                "SELECT {REVISION_COLUMNS} FROM revisions r LEFT JOIN users u ON u.id = r.user_id
                 WHERE r.item_id = ? ORDER BY r.id DESC"
            ))
            .map_err(backend)?;
        let rows = stmt.query_map(params![item_id], revision).map_err(backend)?;
        rows.collect::<Result<_, _>>().map_err(backend)
    }
    fn revision(&self, id: i64) -> StoreResult<Option<Revision>> {
        self.conn()?
            .query_row(
                &format!(
                    "SELECT {REVISION_COLUMNS} FROM revisions r LEFT JOIN users u ON u.id = r.user_id WHERE r.id = ?"
                ),
                params![id],
                revision,
            )
            .optional()
            .map_err(backend)
    }
    fn admin_items(&self, filter: &AdminFilter) -> StoreResult<(Vec<AdminRow>, u32)> {
        let (condition, mut args) = admin_condition(filter);
        let order = match filter.sort {
            AdminSort::Updated => "i.updated_at DESC, i.id DESC",
            AdminSort::Published => "coalesce(i.published_at, '') DESC, i.id DESC",
            AdminSort::Title => "i.title COLLATE NOCASE, i.id",
        };
        let conn = self.conn()?;
        // Both sort titles ignoring the case of ASCII letters, each with
        // its own index (`items_title`).
        let order = match conn.engine() {
            crate::sql::Engine::Postgres if filter.sort == AdminSort::Title => "lower(i.title), i.id",
            _ => order,
        };
        let total: u32 = conn
            .prepare(&format!("SELECT count(*) FROM items i WHERE {condition}"))
            .and_then(|mut stmt| stmt.query_row(&args, |r| r.get(0)))
            .map_err(backend)?;
        args.push(Value::Int(i64::from(filter.limit.clamp(1, 500))));
        args.push(Value::Int(i64::from(filter.offset)));
        // The page's ids first (from an index for the usual orders), then
        // their rows: the per-row subqueries run for one page, not for
        // every item before the sort.
        let ids: Vec<i64> = {
            let mut stmt = conn
                .prepare(&format!("SELECT i.id FROM items i WHERE {condition} ORDER BY {order} LIMIT ? OFFSET ?"))
                .map_err(backend)?;
            let rows = stmt.query_map(&args, |r| r.get(0)).map_err(backend)?;
            rows.collect::<Result<_, _>>().map_err(backend)?
        };
        if ids.is_empty() {
            return Ok((Vec::new(), total));
        }
        let marks = vec!["?"; ids.len()].join(", ");
        let mut stmt = conn
            .prepare(&format!(
                "SELECT {ADMIN_COLUMNS}, {OUTDATED_SQL},
                    (SELECT string_agg(j.lang, ',') FROM items j WHERE j.group_id = i.group_id)
                 FROM items i WHERE i.id IN ({marks})"
            ))
            .map_err(backend)?;
        let rows = stmt.query_map(&list(&ids), admin_row).map_err(backend)?;
        let mut found: std::collections::HashMap<i64, AdminRow> =
            rows.map(|r| r.map(|row| (row.id, row))).collect::<Result<_, _>>().map_err(backend)?;
        Ok((ids.iter().filter_map(|id| found.remove(id)).collect(), total))
    }
    fn group_items(&self, group_id: i64) -> StoreResult<Vec<AdminRow>> {
        let conn = self.conn()?;
        let mut stmt = conn
            .prepare(&format!(
                "SELECT {ADMIN_COLUMNS}, {OUTDATED_SQL},
                    (SELECT string_agg(j.lang, ',') FROM items j WHERE j.group_id = i.group_id)
                 FROM items i WHERE i.group_id = ? ORDER BY i.lang"
            ))
            .map_err(backend)?;
        let rows = stmt.query_map(params![group_id], admin_row).map_err(backend)?;
        rows.collect::<Result<_, _>>().map_err(backend)
    }
    fn due_scheduled(&self, now: OffsetDateTime) -> StoreResult<Vec<Item>> {
        let mut items: Vec<Item> = {
            let conn = self.conn()?;
            let mut stmt = conn
                .prepare(&format!(
                    "SELECT {ITEM_COLUMNS} FROM items WHERE status = 'scheduled' AND published_at <= ? ORDER BY published_at"
                ))
                .map_err(backend)?;
            let rows = stmt.query_map(params![ts(now)], item).map_err(backend)?;
            rows.collect::<Result<_, _>>().map_err(backend)?
        };
        self.load_tags(&mut items)?;
        Ok(items)
    }
    fn next_scheduled(&self) -> StoreResult<Option<OffsetDateTime>> {
        let next: Option<String> = self
            .conn()?
            .query_row("SELECT min(published_at) FROM items WHERE status = 'scheduled'", params![], |r| r.get(0))
            .map_err(backend)?;
        next.as_deref().map(parse_ts).transpose().map_err(backend)
    }
    fn missing_translations(&self, lang: &Language, limit: u32) -> StoreResult<Vec<AdminRow>> {
        let conn = self.conn()?;
        let mut stmt = conn
            .prepare(&format!(
                "SELECT {ADMIN_COLUMNS}, {OUTDATED_SQL},
                    (SELECT string_agg(j.lang, ',') FROM items j WHERE j.group_id = i.group_id)
                 FROM items i
                 WHERE i.status = 'published' AND i.lang <> ?1
                   AND NOT EXISTS (SELECT 1 FROM items k WHERE k.group_id = i.group_id AND k.lang = ?1)
                   AND i.id = (SELECT min(m.id) FROM items m WHERE m.group_id = i.group_id AND m.status = 'published')
                 ORDER BY i.published_at DESC LIMIT ?2"
            ))
            .map_err(backend)?;
        let rows = stmt.query_map(params![lang.as_str(), limit], admin_row).map_err(backend)?;
        rows.collect::<Result<_, _>>().map_err(backend)
    }
}

impl ContentStore for SqlStore {
    fn save_item_with(&self, save: &ItemSave<'_>) -> StoreResult<Item> {
        let conn = self.conn()?;
        let tx = conn.transaction().map_err(backend)?;
        if let (Some(id), Some(base)) = (save.id, save.base_revision) {
            check_base(&tx, id, base)?;
        }
        let item_id = write_item(&tx, save.id, save.draft, save.user_id, save.note, save.only_if)?;
        if let Some((facts, addressees)) = save.appeal {
            crate::appeals::write_facts(&tx, item_id, facts)?;
            crate::appeals::write_addressees(&tx, item_id, addressees)?;
        }
        if let Some(source) = save.translated_from {
            write_translated(&tx, item_id, source)?;
        }
        if let Some(month_only) = save.month_only {
            tx.execute("UPDATE items SET month_only = ? WHERE id = ?", params![i64::from(month_only), item_id])
                .map_err(backend)?;
        }
        if let Some(aside) = save.resolves_aside {
            tx.execute("DELETE FROM set_aside WHERE id = ? AND item_id = ?", params![aside, item_id])
                .map_err(backend)?;
        }
        crate::names::record_item(&tx, item_id).map_err(backend)?;
        if let Some(line) = save.audit {
            let d = save.draft;
            let subject = format!("{} {item_id} “{}” ({})", d.kind, d.title.trim(), d.lang);
            crate::users::write_audit(&tx, &line, &subject)?;
        }
        touch(&tx).map_err(backend)?;
        tx.commit().map_err(backend)?;
        drop(conn);
        self.item(item_id)?.ok_or_else(|| StoreError::NotFound(format!("item {item_id}")))
    }

    fn mark_translated(&self, item_id: i64, source_id: i64) -> StoreResult<()> {
        write_translated(&self.conn()?, item_id, source_id)
    }

    fn delete_item(&self, id: i64) -> StoreResult<()> {
        let conn = self.conn()?;
        let tx = conn.transaction().map_err(backend)?;
        let group: Option<i64> = tx
            .query_row("SELECT group_id FROM items WHERE id = ?", params![id], |r| r.get(0))
            .optional()
            .map_err(backend)?;
        let group = group.ok_or_else(|| StoreError::NotFound(format!("item {id}")))?;
        tx.execute("DELETE FROM items WHERE id = ?", params![id]).map_err(backend)?;
        tx.execute(
            "DELETE FROM groups WHERE id = ?1 AND NOT EXISTS (SELECT 1 FROM items WHERE group_id = ?1)",
            params![group],
        )
        .map_err(backend)?;
        touch(&tx).map_err(backend)?;
        tx.commit().map_err(backend)
    }

    fn save_category(&self, key: &Slug, lang: &Language, name: &str) -> StoreResult<()> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 80 {
            return Err(StoreError::Invalid("a category name must be 1–80 characters".into()));
        }
        let conn = self.conn()?;
        conn.execute(
            "INSERT INTO categories (key, lang, name) VALUES (?, ?, ?) ON CONFLICT (key, lang) DO UPDATE SET name = excluded.name",
            params![key.as_str(), lang.as_str(), name],
        )
        .map_err(backend)?;
        crate::names::record(&conn, &format!("category:{key}"), &[name], false).map_err(backend)?;
        touch(&conn).map_err(backend)
    }

    fn replace_faq(&self, lang: &Language, entries: &[(Slug, String, String)]) -> StoreResult<()> {
        let conn = self.conn()?;
        let tx = conn.transaction().map_err(backend)?;
        tx.execute("DELETE FROM faq WHERE lang = ?", params![lang.as_str()]).map_err(backend)?;
        for (position, (anchor, question, answer)) in entries.iter().enumerate() {
            tx.execute(
                "INSERT INTO faq (lang, anchor, position, question, answer) VALUES (?, ?, ?, ?, ?)",
                params![lang.as_str(), anchor.as_str(), position as i64, question.trim(), answer],
            )
            .map_err(|e| {
                if unique_violation(&e) {
                    StoreError::Conflict(format!("two FAQ entries use the anchor `{anchor}`"))
                } else {
                    backend(e)
                }
            })?;
            crate::names::record(&tx, &format!("faq:{}:{anchor}", lang.as_str()), &[question, answer], false)
                .map_err(backend)?;
        }
        touch(&tx).map_err(backend)?;
        tx.commit().map_err(backend)
    }

    fn replace_menu(&self, lang: &Language, entries: &[MenuEntry]) -> StoreResult<()> {
        if let Some(bad) = entries.iter().find(|e| !e.path.starts_with('/') || e.path.starts_with("//")) {
            return Err(StoreError::Invalid(format!("menu path `{}` must be a path on this site", bad.path)));
        }
        let conn = self.conn()?;
        let tx = conn.transaction().map_err(backend)?;
        tx.execute("DELETE FROM menus WHERE lang = ?", params![lang.as_str()]).map_err(backend)?;
        for (position, entry) in entries.iter().enumerate() {
            tx.execute(
                "INSERT INTO menus (lang, position, label, path) VALUES (?, ?, ?, ?)",
                params![lang.as_str(), position as i64, entry.label.trim(), entry.path],
            )
            .map_err(backend)?;
            crate::names::record(&tx, &format!("menu:{}", lang.as_str()), &[&entry.label], false).map_err(backend)?;
        }
        touch(&tx).map_err(backend)?;
        tx.commit().map_err(backend)
    }

    fn set_settings(&self, values: &[(&str, Option<&Language>, &str)]) -> StoreResult<()> {
        let conn = self.conn()?;
        let tx = conn.transaction().map_err(backend)?;
        for (key, lang, value) in values {
            tx.execute(
                "INSERT INTO settings (key, lang, value) VALUES (?, ?, ?) ON CONFLICT (key, lang) DO UPDATE SET value = excluded.value",
                params![*key, lang.map_or("", Language::as_str), *value],
            )
            .map_err(backend)?;
            // Every name ever marked stays recorded.
            crate::names::record(&tx, &format!("setting:{key}"), &[value], false).map_err(backend)?;
        }
        touch(&tx).map_err(backend)?;
        tx.commit().map_err(backend)
    }
}

/// Refuses a save made from another revision than the item's latest: the
/// item's row is locked first (PostgreSQL; SQLite has one writer), so a
/// second save from the same revision waits for the first, then sees its
/// revision and is refused.
fn check_base(tx: &Handle<'_>, id: i64, base: i64) -> StoreResult<()> {
    let lock = match tx.engine() {
        crate::sql::Engine::Postgres => " FOR UPDATE",
        crate::sql::Engine::Sqlite => "",
    };
    tx.query_row(&format!("SELECT id FROM items WHERE id = ?{lock}"), params![id], |r| r.get::<i64>(0))
        .optional()
        .map_err(backend)?
        .ok_or_else(|| StoreError::NotFound(format!("item {id}")))?;
    let latest: i64 = tx
        .query_row("SELECT coalesce(max(id), 0) FROM revisions WHERE item_id = ?", params![id], |r| r.get(0))
        .map_err(backend)?;
    if latest == base { Ok(()) } else { Err(StoreError::Stale { latest }) }
}

/// Writes an item and its revision inside the caller's transaction.
// Long on purpose: one transaction's statements (group, item, tags, revision) in order.
pub(crate) fn write_item(
    tx: &Handle<'_>,
    id: Option<i64>,
    draft: &ItemDraft,
    user_id: Option<i64>,
    note: &str,
    only_if: Option<refuge_core::Status>,
) -> StoreResult<i64> {
    draft.validate().map_err(StoreError::Invalid)?;
    let stamp = ts(now());
    let group_id = match draft.group_id {
        Some(g) => {
            let kind: Option<String> = tx
                .query_row("SELECT kind FROM groups WHERE id = ?", params![g], |r| r.get(0))
                .optional()
                .map_err(backend)?;
            match kind {
                Some(k) if k == draft.kind.as_str() => g,
                Some(_) => {
                    return Err(StoreError::Invalid("a translation must be of the same kind".into()));
                }
                None => return Err(StoreError::NotFound(format!("translation group {g}"))),
            }
        }
        None => tx
            .insert("INSERT INTO groups (kind, created_at) VALUES (?, ?)", params![draft.kind.as_str(), stamp])
            .map_err(backend)?,
    };
    let values = params![
        group_id,
        draft.kind.as_str(),
        draft.lang.as_str(),
        draft.slug.as_str(),
        draft.title.trim(),
        draft.summary.trim(),
        draft.body,
        draft.category,
        draft.status.as_str(),
        draft.published_at.map(ts),
        stamp,
        id,
        only_if.map(|s| s.as_str()),
    ];
    let result = match id {
        None => tx.insert(
            "INSERT INTO items (group_id, kind, lang, slug, title, summary, body, category, status, published_at,
                updated_at, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)",
            &values[..11],
        ),
        Some(id) => tx
            .execute(
                "UPDATE items SET group_id = ?1, kind = ?2, lang = ?3, slug = ?4, title = ?5, summary = ?6, body = ?7,
                    category = ?8, status = ?9, published_at = ?10, updated_at = ?11
                 WHERE id = ?12 AND (CAST(?13 AS TEXT) IS NULL OR status = ?13)",
                values,
            )
            .and_then(|n| if n == 0 { Err(crate::sql::DbError::NoRow) } else { Ok(id) }),
    };
    if let (Err(crate::sql::DbError::NoRow), Some(id), Some(status)) = (&result, id, only_if) {
        let exists = tx.query_row("SELECT 1 FROM items WHERE id = ?", params![id], |_| Ok(())).optional();
        if matches!(exists, Ok(Some(()))) {
            return Err(StoreError::Conflict(format!(
                "item {id} is no longer {}: it changed meanwhile",
                status.as_str()
            )));
        }
    }
    let item_id = result.map_err(|e| match e {
        crate::sql::DbError::NoRow => StoreError::NotFound(format!("item {}", id.unwrap_or_default())),
        e if unique_violation(&e) => StoreError::Conflict(format!(
            "there is already a {} version of this item, or another {} item uses the slug `{}`",
            draft.lang, draft.lang, draft.slug
        )),
        e => backend(e),
    })?;
    tx.execute("DELETE FROM item_tags WHERE item_id = ?", params![item_id]).map_err(backend)?;
    for tag in &draft.tags {
        tx.execute(
            "INSERT INTO item_tags (item_id, tag) VALUES (?, ?) ON CONFLICT DO NOTHING",
            params![item_id, tag.trim()],
        )
        .map_err(backend)?;
    }
    let tags: Vec<&str> = draft.tags.iter().map(|t| t.trim()).collect();
    tx.execute(
        "INSERT INTO revisions (item_id, user_id, created_at, title, slug, summary, body, category, tags, status,
            published_at, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        params![
            item_id,
            user_id,
            stamp,
            draft.title.trim(),
            draft.slug.as_str(),
            draft.summary.trim(),
            draft.body,
            draft.category,
            tags.join("\n"),
            draft.status.as_str(),
            draft.published_at.map(ts),
            note.trim(),
        ],
    )
    .map_err(backend)?;
    Ok(item_id)
}

/// Marks `item_id` as a translation of `source_id`, up to date with the
/// source's latest revision.
fn write_translated(conn: &Handle<'_>, item_id: i64, source_id: i64) -> StoreResult<()> {
    let n = conn
        .execute(
            "UPDATE items SET translated_from = ?1,
                source_revision = (SELECT max(id) FROM revisions WHERE item_id = ?1) WHERE id = ?2",
            params![source_id, item_id],
        )
        .map_err(backend)?;
    if n == 0 { Err(StoreError::NotFound(format!("item {item_id}"))) } else { Ok(()) }
}

#[cfg(test)]
mod tests;
