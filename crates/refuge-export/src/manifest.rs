//! What the previous export was made of, so the next one renders only
//! the pages a change can have touched.
//!
//! Every page records what it shows (the renderer's [`Dep`]s, as the
//! server's cache uses them) and every published item what it appears
//! under. A later export compares the items' update times: the pages
//! depending on what a changed, new or removed item was or is are
//! rendered again, and new pages they link to are found; the rest are
//! kept. Anything else that can change a page — the program, the theme,
//! settings, menus, FAQ, appeal details, the export's own options — is
//! in `setup`; when it differs, every page is rendered again.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use refuge_core::{ContentReads, Item, StoreError};
use refuge_render::{Dep, deps_of_item};
use serde::{Deserialize, Serialize};

/// The manifest's file in the copy.
pub const FILE: &str = ".refuge-export.json";

/// Item id → (version, deps).
pub type Items = BTreeMap<i64, (String, Vec<String>)>;

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Manifest {
    pub setup: String,
    pub items: Items,
    /// URL path → what the page shows.
    pub pages: BTreeMap<String, PageMeta>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct PageMeta {
    /// Empty: rendered every time (style sheet, robots.txt, redirects).
    pub deps: Vec<String>,
    /// Unix time after which the page must be rendered again.
    pub until: Option<i64>,
    /// Media files the page shows, kept with it.
    pub media: Vec<String>,
}

pub fn dep_key(dep: &Dep) -> String {
    format!("{dep:?}")
}

/// The previous manifest, if the copy has one made with the same setup.
pub fn load(out: &Path, setup: &str) -> Option<Manifest> {
    let text = std::fs::read_to_string(out.join(FILE)).ok()?;
    let manifest: Manifest = serde_json::from_str(&text).ok()?;
    (manifest.setup == setup).then_some(manifest)
}

/// The items' update times and deps now, and the deps touched since
/// `previous` (what changed items were and are, and what removed ones were).
pub fn item_changes(
    store: &dyn ContentReads,
    previous: Option<&Manifest>,
) -> Result<(Items, HashSet<String>), StoreError> {
    let mut items = BTreeMap::new();
    let mut touched = HashSet::new();
    let deps = |item: &Item| deps_of_item(item).iter().map(dep_key).collect::<Vec<_>>();
    match previous {
        None => {
            let mut after = 0;
            loop {
                let batch = store.published_items(after, 500)?;
                let Some(last) = batch.last() else { break };
                after = last.id;
                for item in &batch {
                    items.insert(item.id, (String::new(), deps(item)));
                }
            }
            for (id, version) in store.item_versions()? {
                if let Some(entry) = items.get_mut(&id) {
                    entry.0 = version;
                }
            }
        }
        Some(previous) => {
            for (id, stamp) in store.item_versions()? {
                match previous.items.get(&id) {
                    Some((was, old)) if *was == stamp => {
                        items.insert(id, (stamp, old.clone()));
                    }
                    other => {
                        if let Some((_, old)) = other {
                            touched.extend(old.iter().cloned());
                        }
                        if let Some(item) = store.item(id)? {
                            let now = deps(&item);
                            touched.extend(now.iter().cloned());
                            items.insert(id, (stamp, now));
                        }
                    }
                }
            }
            for (id, (_, old)) in &previous.items {
                if !items.contains_key(id) {
                    touched.extend(old.iter().cloned());
                }
            }
        }
    }
    Ok((items, touched))
}

/// Pages of `previous` to render again: those showing something touched,
/// those past their validity, and those rendered every time.
pub fn stale_pages(previous: &Manifest, touched: &HashSet<String>, now: i64) -> Vec<String> {
    previous
        .pages
        .iter()
        .filter(|(_, m)| {
            m.deps.is_empty() || m.until.is_some_and(|u| u <= now) || m.deps.iter().any(|d| touched.contains(d))
        })
        .map(|(p, _)| p.clone())
        .collect()
}
