//! What a path leads to: a rendered page, a redirect, nothing; and the
//! plain pages shown when something is not right.

use refuge_core::Language;

use crate::Dep;

/// A page ready to cache or write.
#[derive(Debug)]
pub struct Rendered {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
    pub deps: Vec<Dep>,
    /// Fingerprinted assets may be cached by clients for a year.
    pub immutable: bool,
    /// Unix time after which the page must be rendered again.
    pub valid_until: Option<i64>,
    /// Download under this name.
    pub attachment: Option<String>,
}

impl Rendered {
    pub(crate) fn html(status: u16, body: String, deps: Vec<Dep>) -> Self {
        Self {
            status,
            content_type: "text/html; charset=utf-8",
            body: body.into_bytes(),
            deps,
            immutable: false,
            valid_until: None,
            attachment: None,
        }
    }
}

/// What a path leads to.
#[derive(Debug)]
pub enum Outcome {
    Page(Rendered),
    /// Moved permanently to this path.
    Redirect(String),
    /// Nothing here; answer with the not-found page of this language.
    NotFound(Language),
}

/// The plain pages shown when something is not right.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Message {
    NotFound,
    BadRequest,
    TooManyRequests,
    Error,
}

impl Message {
    pub fn status(self) -> u16 {
        match self {
            Message::NotFound => 404,
            Message::BadRequest => 400,
            Message::TooManyRequests => 429,
            Message::Error => 500,
        }
    }

    pub(super) fn keys(self) -> (&'static str, &'static str) {
        match self {
            Message::NotFound => ("not_found_title", "not_found_text"),
            Message::BadRequest => ("bad_request_title", "bad_request_text"),
            Message::TooManyRequests => ("too_many_title", "too_many_text"),
            Message::Error => ("error_title", "error_text"),
        }
    }
}
