//! The media library: uploads made safe, with alternative text in every
//! language, and the public files under `/media/`.

use crate::admin::paths::To;
use axum::body::Body;
use axum::extract::{Multipart, Path, State};
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use refuge_app::release::Field as ReleaseField;
use refuge_core::{Language, Media};
use refuge_media::library::remove_files;
use refuge_media::{FileType, MAX_UPLOAD, MediaError};
use serde::Serialize;

use super::{Admin, Answer, Page, forbidden};

pub(super) mod photos;
use crate::AppState;
use crate::form::FormData;

#[derive(Serialize)]
struct AltView {
    lang: String,
    lang_name: String,
    text: String,
    /// The Markdown to paste into an item of this language.
    markdown: String,
    /// Whether this account may change it here (see [`may_set_alt`]).
    editable: bool,
}

/// Alternative text goes online at once: editors change any; a translator
/// only gives one still missing, in a language of theirs.
fn may_set_alt(admin: &Admin, lang: &Language, current: &str) -> bool {
    refuge_app::media::may_set_alt(&admin.session.user, lang, current)
}

#[derive(Serialize)]
struct MediaView {
    id: i64,
    kind: String,
    name: String,
    path: String,
    thumb: Option<String>,
    size: String,
    dimensions: Option<String>,
    report: String,
    alt: Vec<AltView>,
    /// The description in the interface's language, or in any.
    thumb_alt: String,
    /// The items whose text refers to it.
    used_by: Vec<super::LinkTo>,
}

fn view(state: &AppState, admin: &Admin, m: &Media) -> refuge_core::store::StoreResult<MediaView> {
    let alt_in =
        |l: &Language| m.alt.iter().find(|(code, _)| code == l.as_str()).map(|(_, a)| a.clone()).unwrap_or_default();
    let markdown_in = |l: &Language| markdown_for(m, &alt_in(l));
    let thumb_alt = Some(alt_in(&admin.lang))
        .filter(|a| !a.is_empty())
        .or_else(|| m.alt.iter().map(|(_, a)| a.clone()).find(|a| !a.is_empty()))
        .unwrap_or_default();
    Ok(MediaView {
        id: m.id,
        kind: m.kind.clone(),
        name: m.name.clone(),
        path: m.path(),
        thumb: (m.kind == "image").then(|| m.variants.first().map_or_else(|| m.path(), |w| m.variant_path(*w))),
        size: format!("{:.1} MB", m.bytes as f64 / 1_048_576.0),
        dimensions: m.width.zip(m.height).map(|(w, h)| format!("{w} × {h}")),
        report: m.report.clone(),
        alt: state
            .site
            .languages()
            .iter()
            .map(|l| AltView {
                lang: l.to_string(),
                lang_name: super::lang_name(state, &admin.t, l),
                text: alt_in(l),
                markdown: markdown_in(l),
                editable: may_set_alt(admin, l, &alt_in(l)),
            })
            .collect(),
        thumb_alt,
        used_by: uses(state, m)?,
    })
}

/// The Markdown that shows an upload in a text: an image (at most 960
/// pixels wide) with `alt`, or a link to a PDF named `alt` (or "PDF":
/// the file's original name never reaches readers). Square brackets in
/// `alt` are dropped, but for its redaction marks, which are kept whole.
pub fn markdown_for(m: &Media, alt: &str) -> String {
    use refuge_core::redaction::{Piece, pieces};
    let alt: String = pieces(alt)
        .into_iter()
        .map(|piece| match piece {
            Piece::Text(text) => text.replace(['[', ']'], ""),
            Piece::Name { name, label: None } => format!("[[name:{name}]]"),
            Piece::Name { name, label: Some(label) } => format!("[[name:{name}|{label}]]"),
            Piece::Year(year) => format!("[[year:{year}]]"),
        })
        .collect();
    if m.kind == "image" {
        let path =
            m.variants.iter().copied().filter(|w| *w <= 960).max().map_or_else(|| m.path(), |w| m.variant_path(w));
        format!("![{alt}]({path})")
    } else {
        let name = if alt.is_empty() { "PDF".to_owned() } else { alt };
        format!("[{name}]({})", m.path())
    }
}

/// Uploads shown on one page of the library.
const PER_PAGE: usize = 30;

pub(super) fn library(
    state: &AppState,
    admin: &Admin,
    notice: Option<String>,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    library_page(state, admin, notice, error, status, "", 1)
}

/// The library: uploads whose name or description contains `query`
/// (any language, any case), newest first, each with the pages that use it.
fn library_page(
    state: &AppState,
    admin: &Admin,
    notice: Option<String>,
    error: Option<String>,
    status: StatusCode,
    query: &str,
    page: usize,
) -> Response {
    let (all, _) = match state.reads.media_list(0, 5000) {
        Ok(found) => found,
        Err(e) => return super::store_failed(state, admin, "media library", e),
    };
    let needle = query.trim().to_lowercase();
    let matching: Vec<&Media> = all
        .iter()
        .filter(|m| {
            needle.is_empty()
                || m.name.to_lowercase().contains(&needle)
                || m.alt.iter().any(|(_, a)| a.to_lowercase().contains(&needle))
        })
        .collect();
    let total = matching.len();
    let list: Vec<Media> = matching.into_iter().skip((page - 1) * PER_PAGE).take(PER_PAGE).cloned().collect();
    let next_href = (page * PER_PAGE < total).then(|| To::Media { q: query, page: (page + 1) as u32 }.path());
    let languages: Vec<AltView> = state
        .site
        .languages()
        .iter()
        .map(|l| AltView {
            lang: l.to_string(),
            lang_name: super::lang_name(state, &admin.t, l),
            text: String::new(),
            markdown: String::new(),
            editable: true,
        })
        .collect();
    let views = match list.iter().map(|m| view(state, admin, m)).collect::<Result<Vec<_>, _>>() {
        Ok(views) => views,
        Err(e) => return super::store_failed(state, admin, "media library", e),
    };
    let values = minijinja::context! {
        query => query,
        total => total,
        next_href => next_href,
        media => minijinja::value::Serde(views),
        languages => minijinja::value::Serde(languages),
        can_edit => admin.can_edit(),
        max_mb => MAX_UPLOAD / 1024 / 1024,
    };
    Page::new(admin, "admin/media.html", "media", admin.t.get("admin_media").into())
        .notice(notice)
        .error(error)
        .status(status)
        .render(state, &admin.lang, values)
}

pub async fn list(
    State(state): State<AppState>,
    admin: Admin,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
) -> Response {
    let q = crate::form::pairs(raw.as_deref().unwrap_or_default(), 10);
    let get = |name: &str| q.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
    let query: String = get("q").chars().take(200).collect();
    let page = get("page").parse::<usize>().ok().filter(|p| (1..=1000).contains(p)).unwrap_or(1);
    library_page(&state, &admin, None, None, StatusCode::OK, &query, page)
}

/// How long an upload waits for its turn to decode before the uploader
/// is asked to try again.
pub(super) const IMAGE_WAIT: std::time::Duration = std::time::Duration::from_secs(15);

/// Why an upload was not kept.
pub(super) enum UploadError {
    Media(MediaError),
    Record(refuge_app::AppError),
}

/// Reads the upload form; errors are messages for the uploader.
async fn read_upload(multipart: &mut Multipart) -> Result<(FormData, String, Vec<u8>), String> {
    let mut fields = Vec::new();
    let (mut file_name, mut bytes) = (String::new(), Vec::new());
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return Err(format!("the upload could not be read: {e}")),
        };
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            file_name = field.file_name().unwrap_or_default().to_owned();
            bytes = field.bytes().await.map_err(|_| MediaError::TooLarge.to_string())?.to_vec();
        } else {
            let text = field.text().await.map_err(|e| e.to_string())?;
            fields.push((name, text));
        }
    }
    Ok((FormData(fields), file_name, bytes))
}

// Long on purpose: an upload's steps in order (read, check, wait a turn, clean, store, report).
pub async fn upload(State(state): State<AppState>, admin: Admin, mut multipart: Multipart) -> Response {
    let (form, file_name, bytes) = match read_upload(&mut multipart).await {
        Ok(read) => read,
        Err(e) => return library(&state, &admin, None, Some(e), StatusCode::UNPROCESSABLE_ENTITY),
    };
    // Alternative text in one language at least; the others are marked
    // "to translate" and asked for when an item of theirs uses the file.
    if state.site.languages().iter().all(|l| form.get(&format!("alt_{l}")).trim().is_empty()) {
        let text = admin.t.get("admin_alt_one_required").to_owned();
        return library(&state, &admin, None, Some(text), StatusCode::UNPROCESSABLE_ENTITY);
    }
    if bytes.len() > MAX_UPLOAD {
        return library(&state, &admin, None, Some(MediaError::TooLarge.to_string()), StatusCode::PAYLOAD_TOO_LARGE);
    }
    // At most a few images are decoded at once (each may need a few
    // hundred megabytes); the others wait their turn, or are told to try
    // again rather than crowd memory.
    let permit = match tokio::time::timeout(IMAGE_WAIT, state.limits.image_slots.clone().acquire_owned()).await {
        Ok(Ok(permit)) => permit,
        _ => {
            let text = admin.t.get("admin_upload_busy").to_owned();
            let mut response = library(&state, &admin, None, Some(text), StatusCode::SERVICE_UNAVAILABLE);
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
            return response;
        }
    };
    let alts: Vec<(Language, String)> =
        state.site.languages().iter().map(|l| (l.clone(), form.get(&format!("alt_{l}")).to_owned())).collect();
    // An image's text goes into pages as written: its marks must be exact.
    let fields: Vec<(ReleaseField, &str)> = alts.iter().map(|(_, a)| (ReleaseField::ImageText, a.as_str())).collect();
    if let Err(e) = refuge_app::release::check_markup(&fields) {
        let text = super::explain_app(&admin, "upload", &e);
        return library(&state, &admin, None, Some(text), StatusCode::UNPROCESSABLE_ENTITY);
    }
    // A photo is decoded and its faces looked for, then held in memory
    // for the editor to choose what to cover: nothing is written yet.
    if matches!(FileType::sniff(&bytes), Some(FileType::Jpeg | FileType::Png | FileType::Webp)) {
        let prepared = crate::blocking::run(move || {
            let _permit = permit;
            let prepared = refuge_media::prepare_image(&bytes)?;
            let faces = prepared.faces();
            Ok::<_, MediaError>((prepared, faces))
        })
        .await;
        return match prepared {
            Ok(Ok((prepared, faces))) => match photos::hold(&state, &admin, prepared, faces, file_name, alts) {
                Some(key) => axum::response::Redirect::to(&To::MediaReview(&key).path()).into_response(),
                None => {
                    let text = admin.t.get("admin_photos_busy").to_owned();
                    library(&state, &admin, None, Some(text), StatusCode::SERVICE_UNAVAILABLE)
                }
            },
            Ok(Err(e)) => upload_failed(&state, &admin, UploadError::Media(e)),
            Err(e) => {
                tracing::error!(error = %e, "an upload task failed");
                let text = admin.t.get("admin_try_again").to_owned();
                library(&state, &admin, None, Some(text), StatusCode::INTERNAL_SERVER_ERROR)
            }
        };
    }
    // Cleaning, recording and renaming run to the end together, even if
    // the request times out meanwhile: either the upload is in the
    // library with its files, or nothing of it is left.
    let (app, user) = (state.app.clone(), admin.session.user.clone());
    let files = state.config.media.clone();
    let processed = crate::blocking::run(move || {
        let _permit = permit;
        let staged =
            refuge_media::library::stage_files(files.as_ref(), &file_name, &bytes).map_err(UploadError::Media)?;
        drop(bytes);
        keep(&app, &user, staged, &alts)
    })
    .await;
    uploaded(&state, &admin, processed)
}

/// Records a staged upload with its descriptions (one write), then keeps
/// its files; if anything fails, nothing of it is left.
pub(super) fn keep(
    app: &refuge_app::App,
    user: &refuge_core::User,
    mut staged: refuge_media::library::Staged<'_>,
    alts: &[(Language, String)],
) -> Result<Media, UploadError> {
    staged.media.alt = alts.iter().map(|(l, a)| (l.to_string(), a.clone())).collect();
    let id = app.record_upload(user, &staged.media).map_err(UploadError::Record)?;
    match staged.commit() {
        Ok(mut media) => {
            media.id = id;
            Ok(media)
        }
        Err(e) => {
            if let Err(undo) = app.undo_upload(id) {
                tracing::error!(error = %undo, "a failed upload's row could not be removed");
            }
            Err(UploadError::Media(e))
        }
    }
}

/// The library after an upload: saying what was kept and cleaned, or why
/// nothing was.
pub(super) fn uploaded(
    state: &AppState,
    admin: &Admin,
    processed: Result<Result<Media, UploadError>, crate::blocking::Failed>,
) -> Response {
    let media = match processed {
        Ok(Ok(media)) => media,
        Ok(Err(e)) => return upload_failed(state, admin, e),
        Err(e) => {
            tracing::error!(error = %e, "an upload task failed");
            let text = admin.t.get("admin_try_again").to_owned();
            return library(state, admin, None, Some(text), StatusCode::INTERNAL_SERVER_ERROR);
        }
    };
    let mut notice = admin.t.get("admin_uploaded").to_owned();
    if !media.report.is_empty() {
        notice = format!("{notice} {}", media.report);
    }
    library(state, admin, Some(notice), None, StatusCode::OK)
}

/// The library, saying why an upload was not kept.
pub(super) fn upload_failed(state: &AppState, admin: &Admin, e: UploadError) -> Response {
    match e {
        UploadError::Media(MediaError::DiskFull) => {
            let text = admin.t.get("admin_disk_full").to_owned();
            library(state, admin, None, Some(text), StatusCode::INSUFFICIENT_STORAGE)
        }
        UploadError::Media(e) => library(state, admin, None, Some(e.to_string()), StatusCode::UNPROCESSABLE_ENTITY),
        UploadError::Record(refuge_app::AppError::Storage(e)) => {
            tracing::error!(error = %e, "an upload could not be recorded");
            library(
                state,
                admin,
                None,
                Some(admin.t.get("admin_try_again").to_owned()),
                StatusCode::SERVICE_UNAVAILABLE,
            )
        }
        UploadError::Record(e) => {
            library(state, admin, None, Some(super::explain_app(admin, "upload", &e)), super::app_status(&e))
        }
    }
}

fn load(state: &AppState, admin: &Admin, id: &str) -> Result<Media, super::Halt> {
    super::found(state, admin, "upload", state.reads.media(super::number(state, admin, id)?))
}

pub async fn update(State(state): State<AppState>, admin: Admin, Path(id): Path<String>, form: FormData) -> Answer {
    let media = load(&state, &admin, &id)?;
    let current = |l: &Language| {
        media.alt.iter().find(|(code, _)| code == l.as_str()).map(|(_, a)| a.trim().to_owned()).unwrap_or_default()
    };
    // Each language sent and changed must be this account's to change;
    // one not sent stays as it is.
    let changed: Vec<&Language> = state
        .site
        .languages()
        .iter()
        .filter(|l| form.has(&format!("alt_{l}")) && form.get(&format!("alt_{l}")).trim() != current(l))
        .collect();
    let typed: Vec<(Language, String)> =
        changed.iter().map(|l| ((*l).clone(), form.get(&format!("alt_{l}")).trim().to_owned())).collect();
    let (app, user, id) = (state.app.clone(), admin.session.user.clone(), media.id);
    Ok(match super::run_case(move || app.set_media_texts(&user, id, &typed)).await {
        Ok(_) => library(&state, &admin, Some(admin.t.get("admin_saved").into()), None, StatusCode::OK),
        Err(refuge_app::AppError::Forbidden) => forbidden(&state, &admin),
        Err(refuge_app::AppError::Invalid(_)) => {
            let text = admin.t.get("admin_alt_one_required").to_owned();
            library(&state, &admin, None, Some(text), StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(e) => {
            library(&state, &admin, None, Some(super::explain_app(&admin, "image text", &e)), super::app_status(&e))
        }
    })
}

pub async fn delete(State(state): State<AppState>, admin: Admin, Path(id): Path<String>, form: FormData) -> Answer {
    let media = load(&state, &admin, &id)?;
    if !super::confirmed(&form) {
        let t = &admin.t;
        let users = super::read(&state, &admin, "uses of an upload", uses(&state, &media))?;
        let details = vec![
            if users.is_empty() { t.get("admin_media_unused") } else { t.get("admin_media_used_by") }.to_owned(),
            t.get("admin_media_delete_details").to_owned(),
        ];
        return Ok(super::Confirm {
            title: t.get("admin_delete").to_owned(),
            question: t.get("admin_media_delete_question").replace("{name}", &media.name),
            details,
            links: users,
            action: To::MediaDelete(media.id).path(),
            confirm_label: t.get("admin_delete").to_owned(),
            cancel_href: "/admin/media".into(),
            ..super::Confirm::default()
        }
        .render(&state, &admin, "media"));
    }
    let (app, user, id) = (state.app.clone(), admin.session.user.clone(), media.id);
    let removed = match super::run_case(move || app.delete_media(&user, id)).await {
        Ok(removed) => removed,
        Err(e) => return Ok(super::app_failed(&state, &admin, "deleting an upload", &e, "/admin/media")),
    };
    let files = state.config.media.clone();
    if let Err(e) = crate::blocking::run(move || remove_files(files.as_ref(), &removed)).await {
        tracing::warn!(error = %e, "a deleted upload's files stay until the sweep");
    }
    Ok(library(&state, &admin, Some(admin.t.get("admin_deleted").into()), None, StatusCode::OK))
}

/// `/media/{file}`: the cleaned files, cached for a year (their names
/// never change); PDFs download under their safe name.
pub async fn serve(State(state): State<AppState>, Path(file): Path<String>, headers: HeaderMap) -> Response {
    let not_found = || {
        let lang = crate::public::language_for(&state, "/", &headers);
        crate::error::message_response(&state, &lang, refuge_render::Message::NotFound, &headers)
    };
    let Some((base, extension)) = file.rsplit_once('.') else { return not_found() };
    let stored = base.split('-').next().unwrap_or_default();
    let variant_ok = base.len() == stored.len() || base[stored.len() + 1..].bytes().all(|b| b.is_ascii_digit());
    if stored.len() != 32 || !stored.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) || !variant_ok {
        return not_found();
    }
    let content_type = match extension {
        "jpg" => "image/jpeg",
        "png" => "image/png",
        "pdf" => "application/pdf",
        _ => return not_found(),
    };
    // The record (off the async workers); a failed read is "try again".
    let store = state.reads.clone();
    let stored = stored.to_owned();
    match crate::blocking::run(move || store.media_by_stored(&stored)).await {
        Ok(Ok(Some(_))) => {}
        Ok(Ok(None)) => return not_found(),
        Ok(Err(e)) => {
            let lang = crate::public::language_for(&state, "/", &headers);
            return crate::WebError::Store(e).respond(&state, &lang, &headers);
        }
        Err(e) => {
            let lang = crate::public::language_for(&state, "/", &headers);
            return crate::WebError::Task(e.to_string()).respond(&state, &lang, &headers);
        }
    }
    let files = state.config.media.clone();
    let name = file.clone();
    let bytes = match crate::blocking::run(move || files.get(&name)).await {
        Ok(Ok(Some(bytes))) => bytes,
        Ok(Ok(None)) => return not_found(),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "a media file could not be read");
            let lang = crate::public::language_for(&state, "/", &headers);
            return crate::WebError::Task(e.to_string()).respond(&state, &lang, &headers);
        }
        Err(e) => {
            let lang = crate::public::language_for(&state, "/", &headers);
            return crate::WebError::Task(e.to_string()).respond(&state, &lang, &headers);
        }
    };
    let mut response = Response::new(Body::from(bytes));
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable"));
    // Downloaded under the file's own random name: the name it was
    // uploaded under (a person's name, a place, a date) never leaves.
    let disposition = if extension == "pdf" { "attachment" } else { "inline" };
    if let Ok(value) = HeaderValue::from_str(&format!("{disposition}; filename=\"{file}\"")) {
        h.insert(header::CONTENT_DISPOSITION, value);
    }
    response.into_response()
}

/// The items whose text refers to a file of this upload, as links.
pub fn uses(state: &AppState, media: &refuge_core::Media) -> refuge_core::store::StoreResult<Vec<super::LinkTo>> {
    let filter = refuge_core::AdminFilter {
        text: Some(format!("/media/{}", media.stored)),
        limit: 100,
        ..refuge_core::AdminFilter::default()
    };
    let (rows, _) = state.reads.admin_items(&filter)?;
    Ok(rows
        .into_iter()
        .map(|r| super::LinkTo {
            href: To::Item(r.id).path(),
            text: format!("{} ({}, {})", r.title, r.lang, r.status.as_str()),
        })
        .collect())
}
