//! Security headers on every response, and optional request logging.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use http::HeaderValue;
use http::header::{self, HeaderName};

use crate::WebConfig;

/// The policy for public pages: nothing but this site's own styles,
/// images and forms; no script at all, no framing, no plugins.
pub const PUBLIC_CSP: &str = "default-src 'self'; script-src 'none'; object-src 'none'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'; img-src 'self'; style-src 'self'";

const PERMISSIONS: &str =
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=()";

/// Header settings that depend on the deployment.
#[derive(Clone, Debug, Default)]
pub struct SecurityConfig {
    /// Send `Strict-Transport-Security` (only when served over HTTPS).
    pub hsts: bool,
    /// An onion address to advertise with `Onion-Location`, e.g.
    /// `http://abc….onion`.
    pub onion_location: Option<String>,
}

/// Adds the security headers unless a handler set its own (the back
/// office sets a policy that allows its own scripts).
pub async fn security_headers(State(config): State<SecurityConfig>, request: Request, next: Next) -> Response {
    // HTTP/1.1 requires a Host header (RFC 9112, section 3.2); a request
    // without one is refused, as the standard asks.
    if request.version() == http::Version::HTTP_11 && !request.headers().contains_key(header::HOST) {
        let mut response = Response::new(axum::body::Body::from("Bad request: the Host header is missing.\n"));
        *response.status_mut() = http::StatusCode::BAD_REQUEST;
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
        response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(PUBLIC_CSP));
        response.headers_mut().insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
        return response;
    }
    let onion = config.onion_location.as_ref().map(|base| format!("{base}{}", request.uri().path()));
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let fixed: [(HeaderName, &'static str); 8] = [
        (header::CONTENT_SECURITY_POLICY, PUBLIC_CSP),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
        // Turns off the old browsers' XSS filter, whose blocking could be
        // abused to learn about a page (OWASP's advice); the CSP protects.
        (header::X_XSS_PROTECTION, "0"),
        (HeaderName::from_static("permissions-policy"), PERMISSIONS),
        (HeaderName::from_static("cross-origin-opener-policy"), "same-origin"),
        (HeaderName::from_static("cross-origin-resource-policy"), "same-origin"),
    ];
    for (name, value) in fixed {
        headers.entry(name).or_insert(HeaderValue::from_static(value));
    }
    if config.hsts {
        headers
            .entry(header::STRICT_TRANSPORT_SECURITY)
            .or_insert(HeaderValue::from_static("max-age=63072000; includeSubDomains"));
    }
    if let Some(value) = onion.and_then(|o| HeaderValue::from_str(&o).ok()) {
        headers.insert(HeaderName::from_static("onion-location"), value);
    }
    response
}

/// One log line per request: method, path, status and time; the client
/// address only when `log_client_ip` is on.
pub async fn log_request(State(config): State<Arc<WebConfig>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let client = config
        .log_client_ip
        .then(|| request.extensions().get::<refuge_edge::ClientAddr>().map(|c| c.0.to_string()))
        .flatten();
    let response = next.run(request).await;
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    match client {
        Some(ip) => {
            tracing::info!(%method, path, status = response.status().as_u16(), ms, client = ip, "request")
        }
        None => tracing::info!(%method, path, status = response.status().as_u16(), ms, "request"),
    }
    response
}
