//! Autosave: the editor's optional script sends the form every 30 s while
//! it changes; it is kept aside (one per account and form, never applied)
//! and offered back when the form is opened again. A save removes it.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use refuge_core::{Aside, AsideKind};

use super::{Admin, see_other};
use crate::AppState;
use crate::form::FormData;

/// Only the item editor's forms are autosaved.
fn editor_place(place: &str) -> bool {
    place.starts_with("/admin/items/") && crate::redirect::is_local_path(place) && place.len() < 300
}

/// The most one autosave may hold (the editor's text and fields).
const MOST_AUTOSAVED: usize = 1_000_000;

pub async fn save(State(state): State<AppState>, admin: Admin, data: FormData) -> Response {
    let place = data.get("place").to_owned();
    if !editor_place(&place) {
        return StatusCode::BAD_REQUEST.into_response();
    }
    let fields: Vec<(String, String)> = data
        .0
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "csrf" | "intent" | "action" | "place" | "insert_media"))
        .cloned()
        .collect();
    if fields.iter().map(|(k, v)| k.len() + v.len()).sum::<usize>() > MOST_AUTOSAVED {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    }
    // A form the editor really shows: a new item's, or an existing item's
    // (its editor or a translation of it); any other place is refused.
    let item_id = item_of(&state, &place);
    let new_item = place.starts_with("/admin/items/new?") || place == "/admin/items/new";
    if item_id.is_none() && !new_item {
        return StatusCode::BAD_REQUEST.into_response();
    }
    let base = data.get("base_revision").parse().unwrap_or(0);
    match state.app.autosave(&admin.session.user, &place, item_id, base, &fields) {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => {
            tracing::error!(error = %e, "an autosave could not be kept");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// The item a form's address is about, if it exists.
fn item_of(state: &AppState, place: &str) -> Option<i64> {
    let id = place.strip_prefix("/admin/items/")?.split(['/', '?']).next()?.parse::<i64>().ok()?;
    match state.reads.item(id) {
        Ok(item) => item.map(|i| i.id),
        Err(e) => {
            tracing::error!(error = %e, "an autosave could not look its item up; kept without it");
            None
        }
    }
}

/// The account's autosave for a form, if newer than the item's last save.
pub fn pending(state: &AppState, admin: &Admin, place: &str, saved_at: Option<time::OffsetDateTime>) -> Option<Aside> {
    let aside = match state.reads.own_aside(AsideKind::Autosave, place, admin.session.user.id) {
        Ok(aside) => aside?,
        Err(e) => {
            // The form shows the stored text; the autosave stays for later.
            tracing::error!(error = %e, "could not read an autosave");
            return None;
        }
    };
    saved_at.is_none_or(|t| aside.created_at >= t).then_some(aside)
}

/// Forgets the account's autosave for a form (after a save, or when the
/// editor declines it).
pub fn forget(state: &AppState, admin: &Admin, place: &str) {
    state.app.forget_autosave(&admin.session.user, place);
}

pub async fn discard(State(state): State<AppState>, admin: Admin, data: FormData) -> Response {
    let place = data.get("place");
    if !editor_place(place) {
        return see_other("/admin/");
    }
    forget(&state, &admin, place);
    see_other(place)
}
