//! Following the change feed: what another process wrote to the database
//! — `refuge import html`, `refuge user …`, another server sharing it —
//! reaches this server's page cache and search index within a second or
//! two, with no restart.
//!
//! Twice a second the task asks the store whether another connection has
//! committed since the last look (`PRAGMA data_version` on SQLite: a
//! read of one page header). If not, every new change is this server's
//! own, already applied where it was made, and the cursor just moves on.
//! If so, every change since the cursor is applied — this server's own
//! among them, which only costs a second, harmless application.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::time::Duration;

use refuge_core::{Change, ChangeFeed, Language, StoreError};
use refuge_render::{Dep, deps_of_facts, deps_of_item};

use crate::AppState;

/// How often the feed is looked at.
const EVERY: Duration = Duration::from_millis(500);
/// Changes read at once.
const BATCH: u32 = 2_000;
/// How long changes are kept for a server that is slow to follow.
const KEEP: time::Duration = time::Duration::days(1);

/// Where this server stands in the feed.
#[derive(Clone, Copy, Debug)]
pub struct Cursor {
    /// The last change seen.
    last: i64,
    /// The store's count of outside commits at the last look.
    outside: u64,
}

impl Cursor {
    /// Starts at the end of the feed: what came before is in the pages
    /// and the index this server builds at start. Read it before the
    /// index is checked.
    pub fn at_end(feed: &dyn ChangeFeed) -> Result<Self, StoreError> {
        // The count first: a commit between the two reads is then seen as
        // outside at the first look, never skipped.
        let outside = feed.outside_writes()?;
        Ok(Self { last: feed.latest_change()?, outside })
    }
}

/// One look at the feed; how many changes were applied.
fn catch_up(state: &AppState, cursor: &mut Cursor) -> Result<usize, StoreError> {
    // The latest id before the count, for the same reason as above.
    let latest = state.reads.latest_change()?;
    let outside = state.reads.outside_writes()?;
    if outside == cursor.outside {
        cursor.last = cursor.last.max(latest);
        return Ok(0);
    }
    let mut applied = 0;
    loop {
        let changes = state.reads.changes_after(cursor.last, BATCH)?;
        let Some(&(last, _)) = changes.last() else { break };
        applied += changes.len();
        apply(state, changes.into_iter().map(|(_, c)| c));
        cursor.last = last;
        if last >= latest {
            break;
        }
    }
    cursor.outside = outside;
    Ok(applied)
}

/// Applies changes as a local edit would: the pages that showed or should
/// show them are dropped from the cache, the search index updated.
fn apply(state: &AppState, changes: impl Iterator<Item = Change>) {
    let mut deps: Vec<Dep> = Vec::new();
    let mut items = BTreeSet::new();
    let mut faq: BTreeMap<Language, Vec<i64>> = BTreeMap::new();
    for change in changes {
        match change {
            Change::Item(facts) => {
                deps.extend(deps_of_facts(&facts));
                items.insert(facts.id);
            }
            Change::Tag { lang: Some(lang), tag, .. } => deps.push(Dep::Tag(lang, tag)),
            Change::Tag { lang: None, tag, .. } => {
                deps.extend(state.site.languages().iter().map(|l| Dep::Tag(l.clone(), tag.clone())));
            }
            Change::Appeal { item_id } => {
                items.insert(item_id);
            }
            Change::Faq { id, lang } => {
                deps.push(Dep::Faq(lang.clone()));
                faq.entry(lang).or_default().push(id);
            }
            Change::Newsletters(lang) => deps.push(Dep::Newsletters(lang)),
            Change::Site => deps.push(Dep::Site),
        }
    }
    let items: Vec<i64> = items.into_iter().collect();
    match refuge_search::items_changed(&state.search, &*state.reads, &items) {
        Ok(now) => deps.extend(now.iter().flat_map(deps_of_item)),
        Err(e) => {
            tracing::error!(error = %e, "the search index could not follow a change; `refuge reindex` or a restart rebuilds it");
            // The pages still follow: without the items as they are now,
            // every page is dropped.
            deps.push(Dep::Site);
        }
    }
    for (lang, ids) in faq {
        if let Err(e) = refuge_search::faq_changed(&state.search, &*state.reads, &lang, &ids) {
            tracing::error!(error = %e, "the search index could not follow a FAQ change");
        }
    }
    let deps: Vec<Dep> = deps.into_iter().collect::<HashSet<_>>().into_iter().collect();
    state.invalidate(&deps);
}

/// Runs until the process ends: a look twice a second, and once an hour
/// the changes older than a day are trimmed.
pub async fn run(state: AppState, mut cursor: Cursor) {
    let mut ticks = tokio::time::interval(EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    for tick in 0u64.. {
        ticks.tick().await;
        // Trimming is housekeeping: one server at a time does it.
        let trim = tick % 7200 == 0 && crate::holds_housekeeping(&state).await;
        let task_state = state.clone();
        let looked = crate::blocking::run(move || {
            let applied = catch_up(&task_state, &mut cursor);
            if trim {
                let before = time::OffsetDateTime::now_utc() - KEEP;
                match task_state.app.trim_changes(before) {
                    Ok(n) => tracing::debug!(changes = n, "old changes trimmed from the feed"),
                    Err(e) => tracing::error!(error = %e, "could not trim the change feed"),
                }
            }
            (applied, cursor)
        })
        .await;
        match looked {
            Ok((Ok(n), moved)) => {
                cursor = moved;
                if n > 0 {
                    tracing::info!(changes = n, "changes made elsewhere applied to the pages and the search index");
                }
            }
            Ok((Err(e), moved)) => {
                cursor = moved;
                tracing::error!(error = %e, "could not read the change feed; looking again shortly");
            }
            Err(e) => tracing::error!(error = %e, "the change feed task failed; looking again shortly"),
        }
    }
}
