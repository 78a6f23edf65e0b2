//! Public pages: answered from the page cache, rendered on a miss.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use refuge_core::Language;
use refuge_core::lang::negotiate;
use refuge_render::{CachedPage, Message, Outcome, RenderError};

use crate::AppState;
use crate::error::{WebError, message_response};
use crate::send::send_page;

/// The language to answer an unknown path in: the path's own, else the
/// reader's preference, else the default.
pub(crate) fn language_for(state: &AppState, path: &str, headers: &HeaderMap) -> Language {
    state.site.language_of(path).unwrap_or_else(|| preferred(state, headers))
}

fn preferred(state: &AppState, headers: &HeaderMap) -> Language {
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| negotiate(v, state.site.languages()))
        .unwrap_or_else(|| state.site.default_language())
        .clone()
}

/// `/`: to the reader's language.
pub async fn root(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let lang = preferred(&state, &headers);
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::FOUND;
    let h = response.headers_mut();
    if let Ok(location) = HeaderValue::from_str(&refuge_render::routes::Route::home(&lang)) {
        h.insert(header::LOCATION, location);
    }
    h.insert(header::VARY, HeaderValue::from_static("Accept-Language"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// `/healthz`: 200 when the database answers and, with HTTPS served
/// here, a current certificate is loaded.
pub async fn healthz(State(state): State<AppState>) -> Response {
    // Readers over HTTPS need a current certificate: without one (the CA
    // not reached yet, a certificate expired) every handshake fails.
    if let Some(problem) = state.config.https.as_ref().and_then(|check| (check.0)()) {
        let said = format!("unhealthy: HTTPS has no certificate readers can use: {problem}\n");
        return (StatusCode::SERVICE_UNAVAILABLE, [(header::CACHE_CONTROL, "no-store")], said).into_response();
    }
    let site = state.site.clone();
    match crate::blocking::run(move || site.health()).await {
        Ok(Ok(())) => (StatusCode::OK, [(header::CACHE_CONTROL, "no-store")], "ok\n").into_response(),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "health check failed");
            let said = "degraded: the database does not answer; readers get the pages last made\n";
            (StatusCode::SERVICE_UNAVAILABLE, [(header::CACHE_CONTROL, "no-store")], said).into_response()
        }
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, e.to_string()).into_response(),
    }
}

/// Every public page.
pub async fn page(State(state): State<AppState>, method: Method, uri: Uri, headers: HeaderMap) -> Response {
    if method != Method::GET && method != Method::HEAD {
        let mut response = (StatusCode::METHOD_NOT_ALLOWED, "Method not allowed\n").into_response();
        response.headers_mut().insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return response;
    }
    let path = uri.path();
    if let Some(page) = state.cache.get(path) {
        return send_page(&page, &headers);
    }
    let generation = state.cache.generation();
    let site = state.site.clone();
    let owned = path.to_owned();
    // Render and compress off the async threads.
    let resolved = crate::blocking::run(move || {
        site.resolve(&owned).map(|outcome| match outcome {
            Outcome::Page(r) => {
                let page =
                    CachedPage::new(r.status, r.content_type, r.body, r.immutable).with(r.valid_until, r.attachment);
                Resolved::Page(Arc::new(page), r.deps)
            }
            Outcome::Redirect(to) => Resolved::Redirect(to),
            Outcome::NotFound(lang) => Resolved::NotFound(lang),
        })
    })
    .await;
    match resolved {
        Ok(Ok(Resolved::Page(page, deps))) => {
            if page.status == 200 {
                state.cache.insert(path, page.clone(), &deps, generation);
            }
            send_page(&page, &headers)
        }
        Ok(Ok(Resolved::Redirect(to))) => {
            let target = match uri.query() {
                Some(q) => format!("{to}?{q}"),
                None => to,
            };
            crate::redirect::to(StatusCode::MOVED_PERMANENTLY, &target, "/")
        }
        Ok(Ok(Resolved::NotFound(lang))) => {
            let lang = if state.site.language_of(path).is_some() { lang } else { preferred(&state, &headers) };
            message_response(&state, &lang, Message::NotFound, &headers)
        }
        Ok(Err(RenderError::Store(e))) => {
            // The database is away: the page last made, if it shows no
            // name protected now (checked again; when the names cannot be
            // read, nothing old is sent).
            let site = state.site.clone();
            let kept = state.cache.last_good(path);
            let safe = match kept.clone() {
                Some(page) => crate::blocking::run(move || site.still_safe(&page)).await.unwrap_or(false),
                None => false,
            };
            match kept.filter(|_| safe) {
                Some(page) => {
                    tracing::warn!(error = %e, "the database is away: a page is sent as it was last made");
                    send_page(&page, &headers)
                }
                None => WebError::Render(RenderError::Store(e)).respond(
                    &state,
                    &language_for(&state, path, &headers),
                    &headers,
                ),
            }
        }
        Ok(Err(e)) => WebError::Render(e).respond(&state, &language_for(&state, path, &headers), &headers),
        Err(e) => WebError::Task(e.to_string()).respond(&state, &language_for(&state, path, &headers), &headers),
    }
}

/// A resolved path, ready to send.
enum Resolved {
    Page(Arc<CachedPage>, Vec<refuge_render::Dep>),
    Redirect(String),
    NotFound(Language),
}
