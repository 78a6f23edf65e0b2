//! Bulk insertion, for imports and generated benchmark corpora.

use refuge_core::store::StoreResult;
use refuge_core::{ItemDraft, StoreError};
use rusqlite::params;

use crate::content::{touch, unique_violation};
use crate::db::{SqliteStore, backend, now, ts};

impl SqliteStore {
    /// Inserts many new items (each its own translation group) in one
    /// transaction: for imports and generated benchmark corpora.
    pub fn insert_many(&self, drafts: &[ItemDraft]) -> StoreResult<usize> {
        for d in drafts {
            d.validate().map_err(StoreError::Invalid)?;
        }
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(backend)?;
        let stamp = ts(now());
        {
            let mut group = tx.prepare("INSERT INTO groups (kind, created_at) VALUES (?, ?)").map_err(backend)?;
            let mut item = tx
                .prepare(
                    "INSERT INTO items (group_id, kind, lang, slug, title, summary, body, category, status, published_at,
                        updated_at, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)",
                )
                .map_err(backend)?;
            let mut tag =
                tx.prepare("INSERT OR IGNORE INTO item_tags (item_id, tag) VALUES (?, ?)").map_err(backend)?;
            let mut add_revision = tx
                .prepare(
                    "INSERT INTO revisions (item_id, created_at, title, slug, summary, body, category, tags, status,
                        published_at, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'imported')",
                )
                .map_err(backend)?;
            for d in drafts {
                let group_id = match d.group_id {
                    Some(g) => g,
                    None => group.insert(params![d.kind.as_str(), stamp]).map_err(backend)?,
                };
                let id = item
                    .insert(params![
                        group_id,
                        d.kind.as_str(),
                        d.lang.as_str(),
                        d.slug.as_str(),
                        d.title.trim(),
                        d.summary.trim(),
                        d.body,
                        d.category,
                        d.status.as_str(),
                        d.published_at.map(ts),
                        stamp,
                    ])
                    .map_err(|e| {
                        if unique_violation(&e) {
                            StoreError::Conflict(format!("the slug `{}` is already used in {}", d.slug, d.lang))
                        } else {
                            backend(e)
                        }
                    })?;
                for t in &d.tags {
                    tag.execute(params![id, t.trim()]).map_err(backend)?;
                }
                let tags: Vec<&str> = d.tags.iter().map(|t| t.trim()).collect();
                add_revision
                    .execute(params![
                        id,
                        stamp,
                        d.title.trim(),
                        d.slug.as_str(),
                        d.summary.trim(),
                        d.body,
                        d.category,
                        tags.join("\n"),
                        d.status.as_str(),
                        d.published_at.map(ts),
                    ])
                    .map_err(backend)?;
            }
        }
        touch(&tx).map_err(backend)?;
        tx.commit().map_err(backend)?;
        Ok(drafts.len())
    }
}
