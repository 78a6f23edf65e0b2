//! Sending a rendered page: the encoding the client accepts, 304 when it
//! has the page already, and the headers a cached page carries.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use refuge_render::CachedPage;

/// Which compressed variant the client accepts, best first.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Encoding {
    Brotli,
    Gzip,
    Identity,
}

pub(crate) fn accepted(headers: &HeaderMap) -> (bool, bool) {
    let Some(value) = headers.get(header::ACCEPT_ENCODING).and_then(|v| v.to_str().ok()) else {
        return (false, false);
    };
    let (mut br, mut gzip) = (false, false);
    for part in value.split(',') {
        let mut pieces = part.split(';');
        let coding = pieces.next().unwrap_or("").trim();
        let refused = pieces
            .any(|p| p.trim().strip_prefix("q=").is_some_and(|q| q.trim().parse::<f32>().is_ok_and(|q| q <= 0.0)));
        if refused {
            continue;
        }
        if coding.eq_ignore_ascii_case("br") {
            br = true;
        } else if coding.eq_ignore_ascii_case("gzip") || coding == "*" {
            gzip = true;
        }
    }
    (br, gzip)
}

fn etag_matches(headers: &HeaderMap, etag: &str) -> bool {
    let Some(value) = headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let bare = etag.trim_matches('"');
    value
        .split(',')
        .map(|t| t.trim().trim_start_matches("W/").trim_matches('"'))
        .any(|t| t == "*" || t == bare || t.strip_prefix(bare).is_some_and(|rest| rest == "-br" || rest == "-gz"))
}

/// Sends a cached page: 304 when the client has it, else the best
/// encoding it accepts.
pub(crate) fn send_page(page: &CachedPage, headers: &HeaderMap) -> Response {
    let (br, gz) = accepted(headers);
    let encoding = match (&page.brotli, &page.gzip) {
        (Some(_), _) if br => Encoding::Brotli,
        (_, Some(_)) if gz => Encoding::Gzip,
        _ => Encoding::Identity,
    };
    let (body, etag) = match encoding {
        Encoding::Brotli => {
            (page.brotli.clone().unwrap_or_default(), format!("{}-br\"", &page.etag[..page.etag.len() - 1]))
        }
        Encoding::Gzip => {
            (page.gzip.clone().unwrap_or_default(), format!("{}-gz\"", &page.etag[..page.etag.len() - 1]))
        }
        Encoding::Identity => (page.identity.clone(), page.etag.clone()),
    };
    let status = StatusCode::from_u16(page.status).unwrap_or(StatusCode::OK);
    let cache_control = match (page.immutable, status) {
        (true, _) => "public, max-age=31536000, immutable",
        (false, StatusCode::OK) => "public, max-age=60",
        _ => "no-cache",
    };
    let not_modified = status == StatusCode::OK && etag_matches(headers, &page.etag);
    let mut response = if not_modified { Response::new(Body::empty()) } else { Response::new(Body::from(body)) };
    *response.status_mut() = if not_modified { StatusCode::NOT_MODIFIED } else { status };
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(page.content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache_control));
    h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    if let Some(name) = &page.attachment
        && let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\""))
    {
        h.insert(header::CONTENT_DISPOSITION, value);
    }
    if let Ok(value) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, value);
    }
    match encoding {
        Encoding::Brotli => {
            h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("br"));
        }
        Encoding::Gzip => {
            h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        }
        Encoding::Identity => {}
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(name: header::HeaderName, value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(name, HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn accept_encoding() {
        assert_eq!(accepted(&with(header::ACCEPT_ENCODING, "gzip, deflate, br")), (true, true));
        assert_eq!(accepted(&with(header::ACCEPT_ENCODING, "gzip;q=0, br;q=0.5")), (true, false));
        assert_eq!(accepted(&with(header::ACCEPT_ENCODING, "identity")), (false, false));
        assert_eq!(accepted(&HeaderMap::new()), (false, false));
    }

    #[test]
    fn if_none_match() {
        let etag = "\"10-abc\"";
        assert!(etag_matches(&with(header::IF_NONE_MATCH, "\"10-abc\""), etag));
        assert!(etag_matches(&with(header::IF_NONE_MATCH, "W/\"10-abc-br\""), etag));
        assert!(etag_matches(&with(header::IF_NONE_MATCH, "\"x\", \"10-abc-gz\""), etag));
        assert!(!etag_matches(&with(header::IF_NONE_MATCH, "\"10-abcd\""), etag));
        assert!(!etag_matches(&HeaderMap::new(), etag));
    }
}
