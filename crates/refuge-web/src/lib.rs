//! The HTTP layer of Refuge: axum routers for the public site, the
//! security headers every response carries, and the translated error
//! pages readers see.
//!
//! Handlers never touch SQL or templates directly: pages come from
//! `refuge-render` through the page cache. Nothing here logs a reader's IP
//! address unless the administrator turned that on.

mod error;
mod headers;
mod public;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use refuge_render::{Dep, PageCache, Site};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;

pub use error::WebError;
pub use headers::SecurityConfig;

/// What the web layer needs at run time.
#[derive(Clone, Debug)]
pub struct WebConfig {
    pub security: SecurityConfig,
    /// Log one line per request (method, path, status, time). Off by
    /// default; never includes the client address unless `log_client_ip`.
    pub log_requests: bool,
    pub log_client_ip: bool,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Longest time a request may take.
    pub request_timeout: Duration,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            security: SecurityConfig::default(),
            log_requests: false,
            log_client_ip: false,
            max_body_bytes: 1024 * 1024,
            request_timeout: Duration::from_secs(30),
        }
    }
}

/// Shared state of every handler.
#[derive(Clone)]
pub struct AppState {
    pub site: Arc<Site>,
    pub cache: Arc<PageCache>,
    pub config: Arc<WebConfig>,
}

impl AppState {
    pub fn new(site: Arc<Site>, cache: Arc<PageCache>, config: WebConfig) -> Self {
        Self { site, cache, config: Arc::new(config) }
    }

    /// Drops cached pages that show something that changed.
    pub fn invalidate(&self, deps: &[Dep]) {
        let n = self.cache.invalidate(deps);
        tracing::debug!(pages = n, "cache invalidated");
    }
}

/// The whole application router.
pub fn router(state: AppState) -> Router {
    let config = state.config.clone();
    let mut router = Router::new()
        .route("/", get(public::root))
        .route("/healthz", get(public::healthz))
        .fallback(public::page)
        .with_state(state.clone())
        .layer(axum::middleware::from_fn_with_state(config.security.clone(), headers::security_headers));
    if config.log_requests {
        router = router.layer(axum::middleware::from_fn_with_state(config.clone(), headers::log_request));
    }
    router
        .layer(RequestBodyLimitLayer::new(config.max_body_bytes))
        .layer(TimeoutLayer::with_status_code(http::StatusCode::REQUEST_TIMEOUT, config.request_timeout))
}

/// Serves `state` on `listener` until `shutdown` completes, then lets
/// requests in flight finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let service = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, service).with_graceful_shutdown(shutdown).await
}
