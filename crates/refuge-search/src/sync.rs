//! Keeping the index in step with the database.

use refuge_core::search::{DocKey, SearchDoc};
use refuge_core::{ContentReads, Item, Language, Status};

use crate::{SearchError, SearchIndex};

/// Items read from the database per batch while rebuilding.
const BATCH: u32 = 500;

/// Rebuilds the whole index from the published content of `store`.
/// `progress(done, total)` is called as documents are added.
pub fn rebuild_from_store(
    index: &SearchIndex,
    store: &dyn ContentReads,
    languages: &[Language],
    mut progress: impl FnMut(u64, u64),
) -> Result<u64, SearchError> {
    let stamp = store.change_stamp()?;
    let mut faq = Vec::new();
    for lang in languages {
        faq.extend(store.faq(lang)?.iter().map(SearchDoc::from_faq));
    }
    let total = store.all_published()?.len() as u64 + faq.len() as u64;
    let mut error = None;
    let mut after = 0;
    let mut batch: Vec<SearchDoc> = Vec::new();
    let docs = std::iter::from_fn(|| {
        if batch.is_empty() && error.is_none() && after >= 0 {
            match store.published_items(after, BATCH) {
                Ok(items) if items.is_empty() => after = -1,
                Ok(items) => {
                    after = items.last().map_or(-1, |i| i.id);
                    batch =
                        items.iter().filter(|i| languages.contains(&i.lang)).map(SearchDoc::from_item).rev().collect();
                }
                Err(e) => error = Some(e),
            }
        }
        batch.pop()
    });
    let n = index.rebuild(docs.chain(faq), &stamp, |n| progress(n, total))?;
    match error {
        Some(e) => Err(e.into()),
        None => Ok(n),
    }
}

/// Brings the index up to date after one item changed: `before` as it
/// was (if it existed), `after` as it is now (if it still exists).
pub fn item_changed(
    index: &SearchIndex,
    store: &dyn ContentReads,
    before: Option<&Item>,
    after: Option<&Item>,
) -> Result<(), SearchError> {
    let stamp = store.change_stamp()?;
    let remove: Vec<DocKey> = before.into_iter().chain(after).map(|i| DocKey::Item(i.id)).collect();
    let add: Vec<SearchDoc> =
        after.filter(|i| i.status == Status::Published).map(SearchDoc::from_item).into_iter().collect();
    index.update(&remove, &add, &stamp)
}

/// Brings the index up to date for items changed elsewhere (the change
/// feed): each is read as it is now, indexed if published, removed if not
/// or gone. Returns the items that still exist, for the caller's cache.
pub fn items_changed(index: &SearchIndex, store: &dyn ContentReads, ids: &[i64]) -> Result<Vec<Item>, SearchError> {
    let stamp = store.change_stamp()?;
    let mut found = Vec::with_capacity(ids.len());
    for batch in ids.chunks(BATCH as usize) {
        let remove: Vec<DocKey> = batch.iter().map(|id| DocKey::Item(*id)).collect();
        let mut add = Vec::new();
        for id in batch {
            if let Some(item) = store.item(*id)? {
                if item.status == Status::Published {
                    add.push(SearchDoc::from_item(&item));
                }
                found.push(item);
            }
        }
        index.update(&remove, &add, &stamp)?;
    }
    Ok(found)
}

/// Re-indexes the FAQ of one language after it was replaced.
pub fn faq_changed(
    index: &SearchIndex,
    store: &dyn ContentReads,
    lang: &Language,
    old_ids: &[i64],
) -> Result<(), SearchError> {
    let stamp = store.change_stamp()?;
    let remove: Vec<DocKey> = old_ids.iter().map(|id| DocKey::Faq(*id)).collect();
    let add: Vec<SearchDoc> = store.faq(lang)?.iter().map(SearchDoc::from_faq).collect();
    index.update(&remove, &add, &stamp)
}
