//! Scheduled publication, the web side: a background task runs the
//! `publishing` use case, then tells the cache and the search index, and
//! mails the appeal timeline entries whose wait for translations is over. It
//! sleeps until the next item is due (at most a minute) or until an
//! editor schedules something.

use std::time::Duration;

use refuge_app::publishing;
use time::OffsetDateTime;

use crate::AppState;

/// Publishes whatever is due now.
fn publish_due(state: &AppState) {
    match state.app.publish_due(OffsetDateTime::now_utc()) {
        Ok(due) => {
            for done in due.published.iter().chain(&due.refused) {
                state.item_changed(Some(&done.before), Some(&done.after));
            }
        }
        Err(e) => tracing::error!(error = %e, "could not read the scheduled items; looking again at the next wake-up"),
    }
    // Timeline entries whose wait for translations is over.
    match super::appeals::mail_untranslated_updates(state, OffsetDateTime::now_utc()) {
        Ok(0) => {}
        Ok(queued) => tracing::info!(queued, "untranslated appeal updates mailed in their original language"),
        Err(e) => tracing::error!(error = %e, "could not mail untranslated appeal updates; trying at the next wake-up"),
    }
}

/// How long to sleep: until the next item is due, at most a minute.
fn wait(state: &AppState) -> Duration {
    let next = publishing::next_due(state.reads.as_ref()).unwrap_or_else(|e| {
        tracing::error!(error = %e, "could not read when the next item is due; looking again in a minute");
        None
    });
    let millis = next.map_or(60_000, |at| (at - OffsetDateTime::now_utc()).whole_milliseconds().clamp(0, 60_000));
    Duration::from_millis((millis as u64).max(200))
}

/// Runs until the process ends.
pub async fn run(state: AppState) {
    loop {
        let task_state = state.clone();
        let waited = crate::blocking::run(move || {
            publish_due(&task_state);
            wait(&task_state)
        })
        .await;
        let wait = waited.unwrap_or_else(|e| {
            tracing::error!(error = %e, "the scheduled publication task failed; it runs again in a minute");
            Duration::from_secs(60)
        });
        tokio::select! {
            () = tokio::time::sleep(wait) => {},
            () = state.wake.scheduler.notified() => {},
        }
    }
}
