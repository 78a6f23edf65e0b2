//! Scheduled publication: a background task publishes items whose time
//! has come. It sleeps until the next one is due (at most a minute) or
//! until an editor schedules something, so it survives restarts: the
//! schedule lives in the database.

use std::time::Duration;

use refuge_core::Status;
use time::OffsetDateTime;

use crate::AppState;

/// Publishes whatever is due now; returns how many.
pub fn publish_due(state: &AppState) -> usize {
    let due = match state.store.due_scheduled(OffsetDateTime::now_utc()) {
        Ok(items) => items,
        Err(e) => {
            tracing::error!(error = %e, "could not read scheduled items");
            return 0;
        }
    };
    let mut published = 0;
    for item in due {
        let draft = item.redraft(Status::Published, item.published_at);
        match state.store.save_item_by(Some(item.id), &draft, None, "published as scheduled") {
            Ok(after) => {
                state.item_changed(Some(&item), Some(&after));
                super::audit(
                    state,
                    "scheduler",
                    "publish",
                    &format!("{} {} “{}” ({})", item.kind, item.id, item.title, item.lang),
                    "scheduled",
                );
                published += 1;
            }
            Err(e) => tracing::error!(error = %e, id = item.id, "scheduled publication failed"),
        }
    }
    published
}

/// Runs until the process ends.
pub async fn run(state: AppState) {
    loop {
        let task_state = state.clone();
        if let Err(e) = crate::blocking::run(move || publish_due(&task_state)).await {
            tracing::error!(error = %e, "the scheduled publication task failed; it runs again at the next wake-up");
        }
        let wait = state
            .store
            .next_scheduled()
            .unwrap_or_else(|e| {
                tracing::error!(error = %e, "could not read when the next item is due; looking again in a minute");
                None
            })
            .map(|at| (at - OffsetDateTime::now_utc()).whole_milliseconds().clamp(0, 60_000) as u64)
            .unwrap_or(60_000);
        tokio::select! {
            () = tokio::time::sleep(Duration::from_millis(wait.max(200))) => {},
            () = state.wake.scheduler.notified() => {},
        }
    }
}
