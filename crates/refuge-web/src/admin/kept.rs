//! Nothing typed is lost when the session ends: a back-office form sent
//! without a valid session is kept server-side under a one-time key
//! (only its SHA-256 is stored), bound to the account of the expired
//! session (a request without one is not kept: nobody can store forms
//! anonymously; at most 20 per account), and the editor is sent to sign in with the
//! way back (`/admin/resume/KEY`) as the page to return to. There the
//! form is shown again, filled in, to be checked and saved.

use crate::admin::paths::To;
use axum::body::to_bytes;
use axum::extract::{Path, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use http::{Method, StatusCode, header};
use serde::Serialize;

use super::session::{self, random_hex};
use super::{Admin, Page, same_origin, see_other};
use crate::AppState;
use crate::form::{FormData, pairs};

/// Forms larger than this are not kept (the editor's text is limited to 2 MB).
const MAX_KEPT: usize = 4 * 1024 * 1024;

/// Paths whose forms are never kept: signing in and out, autosave.
fn exempt(path: &str) -> bool {
    // The script's autosave is not a form someone sent: after the session
    // ended it is answered with the sign-in redirect, which the script
    // reports as "not saved".
    path.starts_with("/admin/login") || path == "/admin/logout" || path.starts_with("/admin/autosave")
}

/// Middleware of the back office: keeps a form sent after the session ended.
pub async fn keep_expired_forms(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let urlencoded = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if request.method() != Method::POST || !urlencoded || exempt(&path) {
        return next.run(request).await;
    }
    if session::current(&state, request.headers()).is_some_and(|(s, _)| s.verified)
        || !same_origin(&state, request.headers())
    {
        return next.run(request).await;
    }
    // Only a browser whose session ended (its row is kept a day) has a
    // form kept: nobody can fill the database with forms anonymously. The
    // session is the cookie's, or, when the browser no longer sends one
    // (signed out in another tab), the one whose token the form carries.
    let cookie_owner = session::owner_of(&state, request.headers());
    let place = request.uri().path_and_query().map_or(path.clone(), |p| p.as_str().to_owned());
    let (parts, body) = request.into_parts();
    let Ok(body) = to_bytes(body, MAX_KEPT).await else {
        return see_other("/admin/login");
    };
    let sent = pairs(&String::from_utf8_lossy(&body), 2000);
    let owner = cookie_owner.or_else(|| {
        let csrf = sent.iter().find(|(k, _)| k == "csrf").map(|(_, v)| v.as_str()).filter(|v| v.len() == 64)?;
        match state.reads.session_of_form(csrf) {
            Ok(found) => found.map(|s| s.user.id),
            Err(e) => {
                tracing::error!(error = %e, "could not look a form's session up");
                None
            }
        }
    });
    let Some(owner) = owner else {
        return next.run(Request::from_parts(parts, axum::body::Body::from(body))).await;
    };
    let fields: Vec<(String, String)> =
        sent.into_iter().filter(|(k, _)| !matches!(k.as_str(), "csrf" | "intent" | "action")).collect();
    if fields.iter().all(|(_, v)| v.trim().is_empty()) {
        return see_other(&To::Login { next: &place }.path());
    }
    let key = random_hex(32);
    let key_hash = session::hash(&key);
    let item_id = path.strip_prefix("/admin/items/").and_then(|rest| rest.split('/').next()?.parse::<i64>().ok());
    let base_revision = fields.iter().find(|(k, _)| k == "base_revision").and_then(|(_, v)| v.parse().ok());
    let item_id = item_id.filter(|id| match state.reads.item(*id) {
        Ok(item) => item.is_some(),
        Err(e) => {
            tracing::error!(error = %e, "a kept form could not look its item up; kept without it");
            false
        }
    });
    let base = base_revision.unwrap_or(0);
    match state.app.keep_sent_form(owner, &key_hash, &place, item_id, base, &fields) {
        Ok(_) => see_other(&To::Login { next: &To::Resume(&key).path() }.path()),
        Err(e) => {
            tracing::error!(error = %e, "a form sent after the session ended could not be kept");
            see_other(&To::Login { next: &place }.path())
        }
    }
}

#[derive(Serialize)]
struct Field {
    name: String,
    value: String,
}

/// The way back to a kept form, once signed in again.
pub async fn resume(State(state): State<AppState>, admin: Admin, Path(key): Path<String>) -> Response {
    let key_hash = session::hash(&key);
    let aside = match state.app.take_sent_form(&admin.session.user, &key_hash) {
        Ok(Some(aside)) => aside,
        Ok(None) => return super::message(&state, &admin, StatusCode::NOT_FOUND, "admin_kept_gone"),
        Err(refuge_app::AppError::Forbidden) => return super::forbidden(&state, &admin),
        Err(e) => {
            tracing::error!(error = %e, "could not read a kept form");
            return super::message(&state, &admin, StatusCode::INTERNAL_SERVER_ERROR, "error_text");
        }
    };
    let data = FormData(aside.form.clone());
    if let Some(response) = super::items::resume(&state, &admin, &aside.place, &data) {
        return response;
    }
    // Any other form: its text, to copy into the page it came from.
    let fields: Vec<Field> = aside
        .form
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| Field { name: k.clone(), value: v.clone() })
        .collect();
    let values = minijinja::context! {
        fields => minijinja::value::Serde(fields),
        place => crate::redirect::is_local_path(&aside.place).then(|| aside.place.clone()),
    };
    Page::new(&admin, "admin/kept.html", "", admin.t.get("admin_kept_title").to_owned()).render(
        &state,
        &admin.lang,
        values,
    )
}
