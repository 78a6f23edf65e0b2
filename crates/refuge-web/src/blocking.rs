//! The one blocking boundary. The store is synchronous (SQLite); its
//! calls must not run on the async workers that answer every reader.
//!
//! - Routes whose handlers talk to the store — the whole back office and
//!   the public forms — sit behind [`off_the_workers`], which runs the
//!   request on the blocking pool, so every store call inside, however
//!   deep, is off the workers.
//! - Public pages come from memory; a miss renders with
//!   `spawn_blocking`, and search runs there too.
//!
//! A handler outside these routes that needs the store wraps the call in
//! `tokio::task::spawn_blocking`.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::StatusCode;

/// Middleware: answers the request on the blocking pool. The request's
/// own async parts (timers, other blocking tasks) keep working: the
/// runtime drives them while the future is polled there.
pub async fn off_the_workers(request: Request, next: Next) -> Response {
    let handle = tokio::runtime::Handle::current();
    match tokio::task::spawn_blocking(move || handle.block_on(next.run(request))).await {
        Ok(response) => response,
        Err(e) => {
            tracing::error!(error = %e, "a request failed on the blocking pool");
            (StatusCode::INTERNAL_SERVER_ERROR, "Sorry, something went wrong; the error was logged.").into_response()
        }
    }
}
