//! Every redirect this server sends goes through here, so none can lead
//! off the site: a target must be a plain path on this site (one leading
//! slash, no backslash, no control or space characters, which browsers
//! strip or turn into `//host`); anything else goes to a safe fallback.

use axum::body::Body;
use axum::response::Response;
use http::{HeaderValue, StatusCode, header};
use percent_encoding::{AsciiSet, CONTROLS, percent_decode_str, utf8_percent_encode};

/// What is escaped when a path is put in a `Location` header (besides
/// every non-ASCII byte).
const LOCATION: &AsciiSet = &CONTROLS.add(b' ').add(b'"').add(b'<').add(b'>').add(b'`').add(b'\\');

/// Whether `target` is a path on this site that a browser cannot read as
/// another host: `/x`, never `//x`, `/\x`, `/<tab>/x` or `http:…`. Checked
/// on the text as sent and once percent-decoded.
pub fn is_local_path(target: &str) -> bool {
    fn plain(p: &str) -> bool {
        p.starts_with('/')
            && !p[1..].starts_with(['/', '\\'])
            && !p.chars().any(|c| c == '\\' || c.is_control() || c.is_whitespace())
    }
    let path = target.split(['?', '#']).next().unwrap_or_default();
    plain(target) && percent_decode_str(path).decode_utf8().is_ok_and(|d| plain(&d))
}

/// A `Location` value for a local path, escaped so that any text makes a
/// valid header; `None` for anything that is not a local path.
pub fn location(target: &str) -> Option<HeaderValue> {
    if !is_local_path(target) {
        return None;
    }
    HeaderValue::from_str(&utf8_percent_encode(target, LOCATION).to_string()).ok()
}

/// A redirect with `status` to `target` if it is a local path, else to `fallback`.
pub fn to(status: StatusCode, target: &str, fallback: &'static str) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = status;
    let value = location(target).unwrap_or(HeaderValue::from_static(fallback));
    response.headers_mut().insert(header::LOCATION, value);
    response
}

/// Removes `.` and `..` segments (RFC 3986, section 5.2.4) from a path.
pub fn remove_dot_segments(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    let segments: Vec<&str> = path.split('/').collect();
    let last = segments.len().saturating_sub(1);
    for (i, segment) in segments.iter().enumerate().skip(1) {
        match *segment {
            "." | ".." => {
                if *segment == ".." {
                    out.pop();
                }
                if i == last {
                    out.push("");
                }
            }
            s => out.push(s),
        }
    }
    format!("/{}", out.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_local_paths() {
        for ok in ["/", "/en/", "/admin/items?kind=news", "/en/news/tag/%E9%9B%A3%E6%B0%91/"] {
            assert!(is_local_path(ok), "{ok}");
        }
        for bad in [
            "//evil.example/",
            "//evil.example#/search/",
            "/\\evil.example/",
            "/%5Cevil.example/",
            "/%2Fevil.example/",
            "/\t/evil.example",
            "/%09/evil.example",
            "https://evil.example/",
            "evil.example",
            "",
            "/admin/\u{1}",
            "/admin/%0d%0aSet-Cookie:x",
        ] {
            assert!(!is_local_path(bad), "{bad:?}");
            assert!(location(bad).is_none(), "{bad:?}");
        }
        assert_eq!(location("/admin/items?q=日本").unwrap(), "/admin/items?q=%E6%97%A5%E6%9C%AC");
    }

    #[test]
    fn dot_segments() {
        assert_eq!(remove_dot_segments("/admin/../x"), "/x");
        assert_eq!(remove_dot_segments("/admin/./items"), "/admin/items");
        assert_eq!(remove_dot_segments("/admin/a/b/../../"), "/admin/");
        assert_eq!(remove_dot_segments("/../../etc"), "/etc");
        assert_eq!(remove_dot_segments("/admin/.."), "/");
        assert_eq!(remove_dot_segments("/admin/items"), "/admin/items");
    }
}
