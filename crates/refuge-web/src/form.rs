//! Form bodies and query strings, decoded without ever failing: invalid
//! UTF-8 is replaced, unknown fields are ignored by the handlers.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::response::{IntoResponse, Response};
use http::StatusCode;

pub use refuge_core::form::pairs;

/// A form body as name/value pairs (names may repeat).
#[derive(Debug, Default, Clone)]
pub struct FormData(pub Vec<(String, String)>);

impl FormData {
    /// The first value of `name`, or "".
    pub fn get(&self, name: &str) -> &str {
        self.0.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
    }

    pub fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(k, _)| k == name)
    }

    /// Every value of `name` (ticked boxes), in order.
    pub fn values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0.iter().filter(move |(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

impl<S: Send + Sync> FromRequest<S> for FormData {
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Response> {
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|_| (StatusCode::PAYLOAD_TOO_LARGE, "The form is too large.").into_response())?;
        Ok(FormData(pairs(&String::from_utf8_lossy(&bytes), 2000)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_leniently() {
        let p = pairs("a=1&b=%E6%97%A5+x&c&=v&d=%FF", 10);
        assert_eq!(p[0], ("a".into(), "1".into()));
        assert_eq!(p[1], ("b".into(), "日 x".into()));
        assert_eq!(p[2], ("c".into(), "".into()));
        assert_eq!(p[4].1, "\u{FFFD}");
        assert_eq!(pairs(&"a=1&".repeat(100), 5).len(), 5);
    }
}
