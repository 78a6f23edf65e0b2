//! The one blocking boundary. The store is synchronous (SQLite); its
//! calls must not run on the async workers that answer every reader.
//!
//! - Routes whose handlers talk to the store — the whole back office and
//!   the public forms — sit behind [`off_the_workers`], which answers the
//!   request on the blocking pool, so every store call inside, however
//!   deep, is off the workers.
//! - Everything else that blocks goes through [`run`]: on the blocking
//!   pool from an async worker, or at once when the request is already
//!   off the workers. (A request holding a blocking thread must never
//!   wait for another: the pool is small, at most two threads a core, and
//!   four such requests would wait for each other until they time out.)

use std::cell::Cell;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::StatusCode;

thread_local! {
    /// Set while this thread answers a request off the workers.
    static OFF_WORKERS: Cell<bool> = const { Cell::new(false) };
}

/// Middleware: answers the request on the blocking pool. The request's
/// own async parts (timers, locks) keep working: the runtime drives them
/// while the future is polled there.
pub async fn off_the_workers(request: Request, next: Next) -> Response {
    if OFF_WORKERS.get() {
        return next.run(request).await;
    }
    let handle = tokio::runtime::Handle::current();
    let answered = tokio::task::spawn_blocking(move || {
        OFF_WORKERS.set(true);
        let response = handle.block_on(next.run(request));
        OFF_WORKERS.set(false);
        response
    })
    .await;
    match answered {
        Ok(response) => response,
        Err(e) => {
            tracing::error!(error = %e, "a request failed on the blocking pool");
            (StatusCode::INTERNAL_SERVER_ERROR, "Sorry, something went wrong; the error was logged.").into_response()
        }
    }
}

/// Blocking work that did not finish (it panicked, or the runtime is
/// shutting down).
#[derive(Debug, thiserror::Error)]
#[error("blocking work failed: {0}")]
pub struct Failed(String);

/// Runs blocking work (store calls, password hashing, image cleaning)
/// off the async workers: on the blocking pool, or here and now when this
/// thread is already off them.
pub async fn run<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, Failed> {
    if OFF_WORKERS.get() {
        return Ok(work());
    }
    tokio::task::spawn_blocking(work).await.map_err(|e| Failed(e.to_string()))
}
