//! Faces before a photo is saved. An uploaded photo is decoded, its faces
//! are looked for, and it waits in memory (never on disk) while the
//! editor sees it with numbered areas, unticks what is not a face, adds
//! areas the detector missed by their coordinates, and saves: the ticked
//! areas are filled with solid black before any file is made, so no
//! stored size of the photo holds what was under them. Cancelled, left
//! for 30 minutes, or at a restart, the photo is forgotten.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use refuge_core::Language;
use refuge_media::{Area, Prepared};
use serde::Serialize;

use super::{UploadError, keep, library, uploaded};
use crate::AppState;
use crate::admin::{Admin, Page};
use crate::form::FormData;

/// A photo waiting for the editor's choice.
pub struct PendingPhoto {
    user: i64,
    prepared: Arc<Prepared>,
    file_name: String,
    alts: Vec<(Language, String)>,
    areas: Vec<Proposed>,
    at: Instant,
}

#[derive(Clone, Copy)]
struct Proposed {
    area: Area,
    cover: bool,
    found: bool,
}

/// How long a photo waits for the editor's choice.
const WAIT: Duration = Duration::from_secs(30 * 60);
/// Photos waiting at once for one account: its own oldest gives way
/// (another account's uploads never evict an editor's photo).
const MOST_PER_ACCOUNT: usize = 4;
/// Photos waiting at once, for everyone (each holds up to 23 MB of
/// pixels): beyond, a new one is refused until one is saved or expires.
const MOST_WAITING: usize = 24;
/// Areas on one photo.
const MOST_AREAS: usize = 60;
/// The longest side of the photo as reviewed.
const REVIEW_SIDE: u32 = 1200;

/// Keeps a decoded photo for review; returns its key, or `None` when
/// the server holds as many photos for review as it may.
pub fn hold(
    state: &AppState,
    admin: &Admin,
    prepared: Prepared,
    faces: Vec<Area>,
    file_name: String,
    alts: Vec<(Language, String)>,
) -> Option<String> {
    let key = crate::admin::session::random_hex(16);
    let user = admin.session.user.id;
    let mut pending = state.memory.pending_photos.lock().unwrap_or_else(|p| p.into_inner());
    pending.retain(|_, p| p.at.elapsed() < WAIT);
    while pending.values().filter(|p| p.user == user).count() >= MOST_PER_ACCOUNT {
        let oldest = pending.iter().filter(|(_, p)| p.user == user).min_by_key(|(_, p)| p.at).map(|(k, _)| k.clone());
        let Some(oldest) = oldest else { break };
        pending.remove(&oldest);
    }
    if pending.len() >= MOST_WAITING {
        return None;
    }
    let areas = faces.into_iter().map(|area| Proposed { area, cover: true, found: true }).collect();
    pending.insert(
        key.clone(),
        PendingPhoto {
            user: admin.session.user.id,
            prepared: Arc::new(prepared),
            file_name,
            alts,
            areas,
            at: Instant::now(),
        },
    );
    Some(key)
}

/// The grid's step on the review image: about ten lines across.
fn grid_step(prepared: &Prepared) -> u32 {
    match prepared.width().max(prepared.height()) {
        0..=1200 => 100,
        1201..=2400 => 200,
        _ => 500,
    }
}

/// Runs `f` on the photo waiting under `key` for this account.
fn with_pending<T>(state: &AppState, admin: &Admin, key: &str, f: impl FnOnce(&mut PendingPhoto) -> T) -> Option<T> {
    let mut pending = state.memory.pending_photos.lock().unwrap_or_else(|p| p.into_inner());
    pending.get_mut(key).filter(|p| p.user == admin.session.user.id && p.at.elapsed() < WAIT).map(f)
}

/// Takes the photo waiting under `key` for this account out of memory.
fn take(state: &AppState, admin: &Admin, key: &str) -> Option<PendingPhoto> {
    let mut pending = state.memory.pending_photos.lock().unwrap_or_else(|p| p.into_inner());
    let ours = pending.get(key).is_some_and(|p| p.user == admin.session.user.id && p.at.elapsed() < WAIT);
    if ours { pending.remove(key) } else { None }
}

fn expired(state: &AppState, admin: &Admin) -> Response {
    let text = admin.t.get("admin_faces_expired").to_owned();
    library(state, admin, None, Some(text), StatusCode::NOT_FOUND)
}

#[derive(Serialize)]
struct AreaView {
    n: usize,
    cover: bool,
    found: bool,
    position: String,
}

fn review_page(state: &AppState, admin: &Admin, key: &str, error: Option<String>) -> Response {
    let Some((width, height, grid, areas, name)) = with_pending(state, admin, key, |p| {
        let areas: Vec<AreaView> = p
            .areas
            .iter()
            .enumerate()
            .map(|(i, a)| AreaView {
                n: i + 1,
                cover: a.cover,
                found: a.found,
                position: admin
                    .t
                    .get("admin_faces_position")
                    .replace("{x}", &a.area.x.to_string())
                    .replace("{y}", &a.area.y.to_string())
                    .replace("{width}", &a.area.width.to_string())
                    .replace("{height}", &a.area.height.to_string()),
            })
            .collect();
        (p.prepared.width(), p.prepared.height(), grid_step(&p.prepared), areas, p.file_name.clone())
    }) else {
        return expired(state, admin);
    };
    let found = areas.iter().filter(|a| a.found).count();
    let shown_width = width.min(REVIEW_SIDE * width / width.max(height).max(1));
    let values = minijinja::context! {
        key => key,
        name => name,
        width => width,
        height => height,
        shown_width => shown_width,
        shown_height => shown_width * height / width.max(1),
        grid => grid,
        found => found,
        areas => minijinja::value::Serde(areas),
    };
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Page::new(admin, "admin/media_faces.html", "media", admin.t.get("admin_faces_title").into())
        .error(error)
        .status(status)
        .render(state, &admin.lang, values)
}

/// `GET /admin/media/review/{key}`: the photo and its areas.
pub async fn show(State(state): State<AppState>, admin: Admin, Path(key): Path<String>) -> Response {
    review_page(&state, &admin, &key, None)
}

/// `GET /admin/media/review/{key}/photo.jpg`: the photo as reviewed,
/// made for this request and never cached.
pub async fn photo(State(state): State<AppState>, admin: Admin, Path(key): Path<String>) -> Response {
    let Some((prepared, areas)) = with_pending(&state, &admin, &key, |p| {
        (p.prepared.clone(), p.areas.iter().map(|a| (a.area, a.cover)).collect::<Vec<_>>())
    }) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let made = crate::blocking::run(move || prepared.review(REVIEW_SIDE, grid_step(&prepared), &areas)).await;
    match made.map_err(|e| e.to_string()).and_then(|made| made.map_err(|e| e.to_string())) {
        Ok(bytes) => {
            let mut response = Response::new(Body::from(bytes));
            let h = response.headers_mut();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/jpeg"));
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(e) => {
            tracing::error!(error = %e, "a photo for review could not be made");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// Reads the area to add; `None` when it is not inside the photo.
fn area_from(form: &FormData, width: u32, height: u32) -> Option<Area> {
    let number = |name: &str| form.get(name).trim().parse::<u32>().ok();
    let area = Area { x: number("x")?, y: number("y")?, width: number("width")?, height: number("height")? };
    let fits = area.width >= 4
        && area.height >= 4
        && area.x.checked_add(area.width).is_some_and(|r| r <= width)
        && area.y.checked_add(area.height).is_some_and(|b| b <= height);
    fits.then_some(area)
}

/// `POST /admin/media/review/{key}`: the ticks are kept, then the
/// button's action: show them, add an area, save, or cancel.
pub async fn act(State(state): State<AppState>, admin: Admin, Path(key): Path<String>, form: FormData) -> Response {
    let action = form.get("action").to_owned();
    if action == "cancel" {
        take(&state, &admin, &key);
        return library(&state, &admin, Some(admin.t.get("admin_faces_cancelled").into()), None, StatusCode::OK);
    }
    // The ticks as sent (an unticked box sends nothing).
    let ticked = with_pending(&state, &admin, &key, |p| {
        for (i, a) in p.areas.iter_mut().enumerate() {
            a.cover = form.get(&format!("cover_{}", i + 1)) == "1";
        }
        (p.prepared.width(), p.prepared.height(), p.areas.len())
    });
    let Some((width, height, count)) = ticked else { return expired(&state, &admin) };
    // An area typed in is added whichever button was pressed (Enter in
    // its fields presses the form's first one).
    let typed = ["x", "y", "width", "height"].iter().any(|f| !form.get(f).trim().is_empty());
    if typed || action == "add" {
        let Some(area) = area_from(&form, width, height).filter(|_| count < MOST_AREAS) else {
            let text = admin.t.get("admin_faces_bad_area").to_owned();
            return review_page(&state, &admin, &key, Some(text));
        };
        with_pending(&state, &admin, &key, |p| p.areas.push(Proposed { area, cover: true, found: false }));
    }
    if action == "save" { save(&state, &admin, &key).await } else { review_page(&state, &admin, &key, None) }
}

/// Covers the ticked areas, then makes and stores the files (in turn
/// with the other uploads' decoding: each needs a few hundred megabytes).
async fn save(state: &AppState, admin: &Admin, key: &str) -> Response {
    let slots = state.limits.image_slots.clone();
    let Ok(Ok(permit)) = tokio::time::timeout(super::IMAGE_WAIT, slots.acquire_owned()).await else {
        let text = admin.t.get("admin_upload_busy").to_owned();
        let mut response = review_page(state, admin, key, Some(text));
        *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
        return response;
    };
    let Some(photo) = take(state, admin, key) else { return expired(state, admin) };
    let (app, user) = (state.app.clone(), admin.session.user.clone());
    let files = state.config.media.clone();
    let processed = crate::blocking::run(move || {
        let _permit = permit;
        let chosen: Vec<Area> = photo.areas.iter().filter(|a| a.cover).map(|a| a.area).collect();
        let mut prepared = Arc::try_unwrap(photo.prepared).unwrap_or_else(|shared| (*shared).clone());
        prepared.cover(&chosen);
        let mut report = refuge_media::library::METADATA_REMOVED.to_owned();
        match chosen.len() {
            0 => report.push_str("; no area covered"),
            1 => report.push_str("; 1 area covered"),
            n => report.push_str(&format!("; {n} areas covered")),
        }
        let staged = refuge_media::library::stage_image(files.as_ref(), &photo.file_name, &prepared, report)
            .map_err(UploadError::Media)?;
        drop(prepared);
        keep(&app, &user, staged, &photo.alts)
    })
    .await;
    uploaded(state, admin, processed)
}
