//! The one error type of the web layer: logs the detail, shows the reader
//! a plain translated page without internals.

use axum::response::{IntoResponse, Response};
use http::StatusCode;
use refuge_core::Language;
use refuge_render::{Message, RenderError};

use crate::AppState;
use crate::send::send_page;

/// Something went wrong answering a request.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("render: {0}")]
    Render(#[from] RenderError),
    #[error("background task failed: {0}")]
    Task(String),
    #[error("storage: {0}")]
    Store(#[from] refuge_core::StoreError),
}

/// Answers with the plain page for `message` in `lang`, from the cache
/// when it is there. Falls back to plain text if even that fails.
pub(crate) fn message_response(
    state: &AppState,
    lang: &Language,
    message: Message,
    headers: &http::HeaderMap,
) -> Response {
    let key = format!("!{}:{lang}", message.status());
    if let Some(page) = state.cache.get(&key) {
        return send_page(&page, headers);
    }
    let generation = state.cache.generation();
    match state.site.message(lang, message) {
        Ok(rendered) => {
            let page = std::sync::Arc::new(refuge_render::CachedPage::new(
                rendered.status,
                rendered.content_type,
                rendered.body,
                false,
            ));
            state.cache.insert(&key, page.clone(), &rendered.deps, generation);
            send_page(&page, headers)
        }
        Err(e) => {
            tracing::error!(error = %e, "could not render the error page");
            let status = StatusCode::from_u16(message.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (status, "Sorry, something went wrong. Please try again later.").into_response()
        }
    }
}

impl WebError {
    pub(crate) fn respond(self, state: &AppState, lang: &Language, headers: &http::HeaderMap) -> Response {
        tracing::error!(error = %self, "request failed");
        message_response(state, lang, Message::Error, headers)
    }
}
