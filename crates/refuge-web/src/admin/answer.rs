//! The back office's answers when something is refused or fails: the
//! page, its status and its words in the person's language; the detail
//! goes to the log only.

use axum::response::Response;
use http::StatusCode;

use super::{Admin, Page, release_problem};
use crate::AppState;

/// The page for a failed storage call; the detail goes to the log only.
pub fn store_failed(state: &AppState, admin: &Admin, what: &str, e: refuge_core::StoreError) -> Response {
    tracing::error!(error = %e, what, "back-office storage error");
    match e {
        refuge_core::StoreError::Full(_) => message(state, admin, StatusCode::INSUFFICIENT_STORAGE, "admin_disk_full"),
        _ => message(state, admin, StatusCode::SERVICE_UNAVAILABLE, "admin_store_failed"),
    }
}

/// The status that fits a use case's refusal or failure.
pub fn app_status(e: &refuge_app::AppError) -> StatusCode {
    StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// What to tell the person when a use case refused or failed, in their
/// language; the detail of a failure goes to the log.
pub fn explain_app(admin: &Admin, what: &str, e: &refuge_app::AppError) -> String {
    use refuge_app::AppError;
    let t = &admin.t;
    if let Some(text) = release_problem(admin, e) {
        return text;
    }
    match e {
        AppError::Markup { .. } | AppError::Leak { .. } | AppError::MissingAlt { .. } => {
            t.get("admin_not_saved").to_owned()
        }
        AppError::Stale { .. } => t.get("admin_changed_meanwhile").to_owned(),
        AppError::Conflict(text) | AppError::Invalid(text) => format!("{} {text}", t.get("admin_not_saved")),
        AppError::NotFound(_) => t.get("admin_gone").to_owned(),
        AppError::Forbidden => t.get("admin_forbidden").to_owned(),
        AppError::OwnAccount => t.get("admin_cannot_self").to_owned(),
        AppError::DiskFull(_) => {
            tracing::error!(error = %e, what, "the disk is full");
            t.get("admin_disk_full").to_owned()
        }
        AppError::Storage(_) => {
            tracing::error!(error = %e, what, "back-office storage error");
            t.get("admin_try_again").to_owned()
        }
    }
}

/// What to tell the person when a store call failed, in their language;
/// the detail goes to the log. The store's conflict and validation texts
/// describe what was typed, so they follow a translated lead.
pub fn explain(admin: &Admin, what: &str, e: &refuge_core::StoreError) -> String {
    use refuge_core::StoreError;
    let t = &admin.t;
    match e {
        StoreError::Conflict(text) | StoreError::Invalid(text) => format!("{} {text}", t.get("admin_not_saved")),
        StoreError::NotFound(_) => t.get("admin_gone").to_owned(),
        StoreError::Stale { .. } => t.get("admin_changed_meanwhile").to_owned(),
        StoreError::Full(_) => {
            tracing::error!(error = %e, what, "the disk is full");
            t.get("admin_disk_full").to_owned()
        }
        StoreError::Backend(_) => {
            tracing::error!(error = %e, what, "back-office storage error");
            t.get("admin_try_again").to_owned()
        }
    }
}

/// The plain "you may not" / "not found" page.
pub fn message(state: &AppState, admin: &Admin, status: StatusCode, key: &str) -> Response {
    let text = admin.t.get(key).to_owned();
    Page::new(admin, "admin/message.html", "", text.clone()).status(status).render(
        state,
        &admin.lang,
        minijinja::context! { text => text },
    )
}

/// A message already in the person's language, with what they typed
/// shown below it (so a refused form loses nothing) and a way back.
pub fn message_kept(
    state: &AppState,
    admin: &Admin,
    status: StatusCode,
    text: &str,
    kept: &str,
    back: &str,
) -> Response {
    Page::new(admin, "admin/message.html", "", admin.t.get("admin_not_saved").trim_end_matches([':', '：']).to_owned())
        .status(status)
        .render(state, &admin.lang, minijinja::context! { text => text, kept => kept, back => back })
}

/// The page for a use case that refused or failed: not found, not
/// allowed, or the reason with a way back to `back`.
pub fn app_failed(state: &AppState, admin: &Admin, what: &str, e: &refuge_app::AppError, back: &str) -> Response {
    use refuge_app::AppError;
    match e {
        AppError::NotFound(_) => not_found(state, admin),
        AppError::Forbidden => forbidden(state, admin),
        _ => message_kept(state, admin, app_status(e), &explain_app(admin, what, e), "", back),
    }
}

/// Runs a use case off the async threads (it waits on the database).
pub async fn run_case<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, refuge_app::AppError> + Send + 'static,
) -> Result<T, refuge_app::AppError> {
    crate::blocking::run(f)
        .await
        .unwrap_or_else(|e| Err(refuge_app::AppError::Storage(format!("the task failed: {e}"))))
}

pub fn forbidden(state: &AppState, admin: &Admin) -> Response {
    message(state, admin, StatusCode::FORBIDDEN, "admin_forbidden")
}

pub fn not_found(state: &AppState, admin: &Admin) -> Response {
    message(state, admin, StatusCode::NOT_FOUND, "admin_page_not_found")
}
