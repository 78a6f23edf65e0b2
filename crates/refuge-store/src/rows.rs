//! Column lists and row mapping for items, revisions and back-office rows.

use crate::sql::{DbResult, Row};
use refuge_core::{AdminRow, Item, ItemRef, Language, Revision, Slug};

use crate::db::parse_ts;

pub(crate) const REF_COLUMNS: &str =
    "id, group_id, kind, lang, slug, title, summary, category, published_at, updated_at, month_only";
pub(crate) const ITEM_COLUMNS: &str = "id, group_id, kind, lang, slug, title, summary, category, published_at, updated_at, body, status, \
     translated_from, source_revision, month_only";
pub(crate) const REVISION_COLUMNS: &str = "r.id, r.item_id, u.email, r.created_at, r.title, r.slug, r.summary, r.body, r.category, \
     r.tags, r.status, r.published_at, r.note";
/// Whether the row `i` is a translation whose source has a newer revision.
pub(crate) const OUTDATED_SQL: &str = "(i.translated_from IS NOT NULL AND COALESCE((SELECT max(r.id) FROM revisions r \
     WHERE r.item_id = i.translated_from), 0) > COALESCE(i.source_revision, 0))";

pub(crate) fn conversion(e: String) -> crate::sql::DbError {
    crate::sql::conversion(e)
}

/// A row of [`REF_COLUMNS`].
pub(crate) fn item_ref(row: &Row<'_>) -> DbResult<ItemRef> {
    item_ref_with(row, 10)
}

/// The columns an item and its reference share, `month_only` being at
/// `month_at`.
fn item_ref_with(row: &Row<'_>, month_at: usize) -> DbResult<ItemRef> {
    let month_only: i64 = row.get(month_at)?;
    let kind: String = row.get(2)?;
    let lang: String = row.get(3)?;
    let slug: String = row.get(4)?;
    let published: Option<String> = row.get(8)?;
    let updated: String = row.get(9)?;
    Ok(ItemRef {
        id: row.get(0)?,
        group_id: row.get(1)?,
        kind: kind.parse().map_err(conversion)?,
        lang: Language::parse(&lang).map_err(|e| conversion(e.to_string()))?,
        slug: Slug::parse(&slug).map_err(|e| conversion(e.to_string()))?,
        title: row.get(5)?,
        summary: row.get(6)?,
        category: row.get(7)?,
        published_at: published.as_deref().map(parse_ts).transpose()?,
        updated_at: parse_ts(&updated)?,
        month_only: month_only != 0,
    })
}

pub(crate) fn item(row: &Row<'_>) -> DbResult<Item> {
    let r = item_ref_with(row, 14)?;
    let status: String = row.get(11)?;
    Ok(Item {
        id: r.id,
        group_id: r.group_id,
        kind: r.kind,
        lang: r.lang,
        slug: r.slug,
        title: r.title,
        summary: r.summary,
        body: row.get(10)?,
        category: r.category,
        tags: Vec::new(),
        status: status.parse().map_err(conversion)?,
        published_at: r.published_at,
        updated_at: r.updated_at,
        translated_from: row.get(12)?,
        source_revision: row.get(13)?,
        month_only: r.month_only,
    })
}

pub(crate) fn revision(row: &Row<'_>) -> DbResult<Revision> {
    let created: String = row.get(3)?;
    let tags: String = row.get(9)?;
    let status: String = row.get(10)?;
    let published: Option<String> = row.get(11)?;
    Ok(Revision {
        id: row.get(0)?,
        item_id: row.get(1)?,
        author: row.get(2)?,
        created_at: parse_ts(&created)?,
        title: row.get(4)?,
        slug: row.get(5)?,
        summary: row.get(6)?,
        body: row.get(7)?,
        category: row.get(8)?,
        tags: tags.split('\n').filter(|t| !t.is_empty()).map(str::to_owned).collect(),
        status: status.parse().map_err(conversion)?,
        published_at: published.as_deref().map(parse_ts).transpose()?,
        note: row.get(12)?,
    })
}

pub(crate) fn admin_row(row: &Row<'_>) -> DbResult<AdminRow> {
    let kind: String = row.get(2)?;
    let lang: String = row.get(3)?;
    let slug: String = row.get(4)?;
    let status: String = row.get(6)?;
    let published: Option<String> = row.get(7)?;
    let updated: String = row.get(8)?;
    let languages: String = row.get(10)?;
    let mut languages: Vec<Language> = languages.split(',').filter_map(|l| Language::parse(l).ok()).collect();
    languages.sort();
    Ok(AdminRow {
        id: row.get(0)?,
        group_id: row.get(1)?,
        kind: kind.parse().map_err(conversion)?,
        lang: Language::parse(&lang).map_err(|e| conversion(e.to_string()))?,
        slug: Slug::parse(&slug).map_err(|e| conversion(e.to_string()))?,
        title: row.get(5)?,
        status: status.parse().map_err(conversion)?,
        published_at: published.as_deref().map(parse_ts).transpose()?,
        updated_at: parse_ts(&updated)?,
        outdated: row.get(9)?,
        languages,
    })
}

pub(crate) const ADMIN_COLUMNS: &str =
    "i.id, i.group_id, i.kind, i.lang, i.slug, i.title, i.status, i.published_at, i.updated_at";
