//! The HTTP layer of Refuge: axum routers for the public site, the
//! security headers every response carries, and the translated error
//! pages readers see.
//!
//! Handlers never touch SQL or templates directly: pages come from
//! `refuge-render` through the page cache. Nothing here logs a reader's IP
//! address unless the administrator turned that on.

pub mod admin;
mod blocking;
mod contact;
mod error;
mod follow;
pub use follow::Cursor;
mod form;
mod headers;
pub(crate) mod mailing;
pub mod outgoing;
mod public;
mod ratelimit;
mod redirect;
mod search;
mod send;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use refuge_core::{BackOfficeReads, Item};
use refuge_render::{Dep, PageCache, Site, deps_of_item};
use refuge_search::SearchIndex;
use tower_http::timeout::TimeoutLayer;

pub use error::WebError;
pub use headers::SecurityConfig;

/// What readers' HTTPS needs, checked by `/healthz`: `None` when it
/// works (a current certificate), else what is wrong.
#[derive(Clone)]
pub struct HttpsCheck(pub Arc<dyn Fn() -> Option<String> + Send + Sync>);

impl std::fmt::Debug for HttpsCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HttpsCheck")
    }
}

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
    /// Searches per minute one client may make (0: no limit).
    pub search_per_minute: u32,
    /// The data folder: the inbox keys (and media files, unless `media`
    /// says otherwise).
    pub data: refuge_core::DataDir,
    /// Where the media library's files are: the data folder's `media/`, or
    /// a bucket (`media_url`).
    pub media: Arc<dyn refuge_core::MediaFiles>,
    /// Outgoing e-mail; `None` keeps mail waiting in the outbox.
    pub smtp: Option<refuge_mail::SmtpConfig>,
    /// Who is told that a contact message arrived; empty: every admin.
    pub notify: Vec<String>,
    /// Whether a confirmed sign-up gets a welcome mail.
    pub welcome_mail: bool,
    /// With HTTPS served here, whether it has a current certificate.
    pub https: Option<HttpsCheck>,
    /// The longest a contact-form writer's list sign-up waits before it is
    /// made (at a random moment from a quarter of it); zero: at once.
    pub join_list_delay: Duration,
    /// How long handled contact messages are kept; `None`: until deleted
    /// by hand.
    pub message_retention: Option<Duration>,
    /// Signs the forms shown before a session exists (sign-in, contact,
    /// sign-up). Servers sharing a database share it, so a form shown by
    /// one is accepted by another; `None`: a new key at each start.
    pub form_key: Option<[u8; 32]>,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            security: SecurityConfig::default(),
            log_requests: false,
            log_client_ip: false,
            max_body_bytes: 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            search_per_minute: 60,
            data: refuge_core::DataDir::new("."),
            media: Arc::new(refuge_media::library::MediaFolder("media".into())),
            message_retention: Some(Duration::from_secs(90 * 86_400)),
            smtp: None,
            notify: Vec::new(),
            welcome_mail: true,
            https: None,
            join_list_delay: Duration::from_secs(120 * 60),
            form_key: None,
        }
    }
}

/// Shared state of every handler. A handler reads through `reads` and
/// changes things only through `app`'s use cases: no field here can
/// write a row of content, an account or a message. Reading compiles:
///
/// ```no_run
/// # fn handler(state: refuge_web::AppState) {
/// let item = state.reads.item(1);
/// # }
/// ```
///
/// and writing through the reads does not:
///
/// ```compile_fail
/// # fn handler(state: refuge_web::AppState) {
/// let gone = state.reads.delete_item(1);
/// # }
/// ```
///
/// nor does reaching for the store behind the application:
///
/// ```compile_fail
/// # fn handler(state: refuge_web::AppState) {
/// let gone = state.app.store.delete_item(1);
/// # }
/// ```
#[derive(Clone)]
pub struct AppState {
    pub site: Arc<Site>,
    pub cache: Arc<PageCache>,
    pub search: Arc<SearchIndex>,
    /// Everything there is to read, and no way to write: a handler
    /// changes anything only through `app`.
    pub reads: Arc<dyn BackOfficeReads>,
    /// The use cases (the only writer of the store).
    pub app: refuge_app::App,
    pub config: Arc<WebConfig>,
    /// How much one client, or everyone at once, may ask for.
    pub(crate) limits: Arc<Limits>,
    /// What the back office keeps in memory only.
    pub(crate) memory: Arc<AdminMemory>,
    /// The background tasks a change wakes.
    pub wake: Wakers,
    /// Every rendering of the site (the main one, and the onion
    /// address's): a change drops the pages of each.
    views: Arc<std::sync::Mutex<Vec<View>>>,
}

/// One rendering of the site and its page cache.
type View = (Arc<Site>, Arc<PageCache>);

/// Rate limits and the slots of costly work.
pub(crate) struct Limits {
    pub(crate) search: ratelimit::RateLimiter,
    /// Searches run at once (the cores).
    pub(crate) search_slots: Arc<tokio::sync::Semaphore>,
    /// Image decodes allowed at once (half the cores, at least one).
    pub(crate) image_slots: Arc<tokio::sync::Semaphore>,
    pub(crate) login: admin::auth::LoginGuard,
    pub(crate) contact: ratelimit::RateLimiter,
    pub(crate) subscribe: ratelimit::RateLimiter,
    /// Tokens spent once (a contact form sends one message), on any server.
    pub(crate) once: Arc<dyn refuge_core::ClientLimits>,
}

/// The back office's memory: never written to disk, gone at a restart.
pub(crate) struct AdminMemory {
    /// Signs forms shown before a session exists (sign-in); new at each start.
    pub(crate) form_key: [u8; 32],
    /// Inbox keys unlocked by signed-in admins, by session.
    pub(crate) unlocked:
        std::sync::Mutex<std::collections::HashMap<String, (refuge_inbox::Identity, std::time::Instant)>>,
    /// Uploaded lists shown for review before they are imported, by a
    /// random key, bound to the account, for 30 minutes.
    pub(crate) pending_imports: std::sync::Mutex<std::collections::HashMap<String, admin::PendingImport>>,
    /// Uploaded photos waiting for the editor to choose what to cover, by
    /// a random key, bound to the account, for 30 minutes.
    pub(crate) pending_photos: std::sync::Mutex<std::collections::HashMap<String, admin::PendingPhoto>>,
    /// Recovery codes just made, by session, to download for 15 minutes
    /// (their hashes alone are stored).
    pub(crate) fresh_codes: std::sync::Mutex<std::collections::HashMap<String, (Vec<String>, std::time::Instant)>>,
}

/// Wakes background tasks when there is work for them.
#[derive(Clone, Default)]
pub struct Wakers {
    /// The scheduled-publication task.
    pub scheduler: Arc<tokio::sync::Notify>,
    /// The outbox sender.
    pub mail: Arc<tokio::sync::Notify>,
}

impl AppState {
    pub fn new(
        site: Arc<Site>,
        cache: Arc<PageCache>,
        search: Arc<SearchIndex>,
        app: refuge_app::App,
        config: WebConfig,
    ) -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let form_key = config.form_key.unwrap_or_else(refuge_core::secret::random_bytes::<32>);
        let limits = Limits {
            search: ratelimit::RateLimiter::new(config.search_per_minute, 20),
            search_slots: Arc::new(tokio::sync::Semaphore::new(cores)),
            image_slots: Arc::new(tokio::sync::Semaphore::new((cores / 2).max(1))),
            login: admin::auth::LoginGuard::new(app.sign_in_throttle(), form_key),
            contact: ratelimit::RateLimiter::shared(app.client_limits(), form_key, "contact", 1, 5),
            subscribe: ratelimit::RateLimiter::shared(app.client_limits(), form_key, "subscribe", 2, 5),
            once: app.client_limits(),
        };
        let memory = AdminMemory {
            form_key,
            unlocked: std::sync::Mutex::default(),
            pending_imports: std::sync::Mutex::default(),
            pending_photos: std::sync::Mutex::default(),
            fresh_codes: std::sync::Mutex::default(),
        };
        let views = Arc::new(std::sync::Mutex::new(vec![(site.clone(), cache.clone())]));
        Self {
            site,
            cache,
            search,
            reads: app.reads(),
            app,
            config: Arc::new(config),
            limits: Arc::new(limits),
            memory: Arc::new(memory),
            wake: Wakers::default(),
            views,
        }
    }

    /// The same site under another address (the onion service's): its
    /// own rendering and page cache, with `security` headers, sharing
    /// everything else. A change anywhere drops the pages of both.
    pub fn another_view(&self, site: Arc<Site>, cache: Arc<PageCache>, security: SecurityConfig) -> Self {
        self.views.lock().unwrap_or_else(|e| e.into_inner()).push((site.clone(), cache.clone()));
        let config = WebConfig { security, ..(*self.config).clone() };
        Self { site, cache, config: Arc::new(config), ..self.clone() }
    }

    /// Everything that follows a change to one item: cached pages that
    /// show it are dropped and the search index is updated, at once.
    /// `before` is the item as it was, `after` as it is now.
    pub fn item_changed(&self, before: Option<&Item>, after: Option<&Item>) {
        let deps: Vec<Dep> = before.into_iter().chain(after).flat_map(deps_of_item).collect();
        self.invalidate(&deps);
        if let Err(e) = refuge_search::item_changed(&self.search, &*self.reads, before, after) {
            tracing::error!(error = %e, "search index update failed; `refuge reindex` or a restart rebuilds it");
        }
    }

    /// Drops cached pages that show something that changed.
    pub fn invalidate(&self, deps: &[Dep]) {
        let views = self.views.lock().unwrap_or_else(|e| e.into_inner()).clone();
        for (site, cache) in views {
            if deps.contains(&Dep::Site) {
                site.forget_site_data();
            }
            // Any change may bring a name: the guard is built again.
            site.forget_names();
            let n = cache.invalidate(deps);
            tracing::debug!(pages = n, "cache invalidated");
        }
    }
}

/// `/healthz` alone (for the plain-HTTP listener beside HTTPS, so that
/// `refuge healthcheck` needs no TLS).
/// Where a first start that had no terminal to show them wrote the first
/// admin password and the inbox passphrase (readable by the owner only);
/// the dashboard reminds admins to delete it while it exists.
pub fn first_secrets_path(data: &std::path::Path) -> std::path::PathBuf {
    data.join("first-start-secrets.txt")
}

pub fn health_router(state: AppState) -> Router {
    Router::new().route("/healthz", get(public::healthz)).with_state(state)
}

/// The whole application router.
pub fn router(state: AppState) -> Router {
    let config = state.config.clone();
    let mut router = Router::new()
        .merge(admin::router(state.clone()))
        .merge(admin::media_router())
        .route("/", get(public::root))
        .route("/healthz", get(public::healthz))
        .route("/{lang}/search/", get(search::page))
        .route("/{lang}/search", get(search::add_slash))
        .route(
            "/{lang}/subscribe/",
            axum::routing::post(mailing::subscribe).route_layer(axum::middleware::from_fn(blocking::off_the_workers)),
        )
        .route(
            "/{lang}/subscribe/confirm/",
            get(mailing::confirm_page)
                .post(mailing::confirm)
                .route_layer(axum::middleware::from_fn(blocking::off_the_workers)),
        )
        .route(
            "/{lang}/unsubscribe/",
            get(mailing::unsubscribe_page)
                .post(mailing::unsubscribe)
                .route_layer(axum::middleware::from_fn(blocking::off_the_workers)),
        )
        .route(
            "/{lang}/contact/",
            get(contact::show)
                .post(contact::submit)
                .route_layer(axum::middleware::from_fn(blocking::off_the_workers))
                .layer(axum::extract::DefaultBodyLimit::max(contact::MAX_ATTACHMENT + 256 * 1024)),
        )
        .fallback(public::page)
        .with_state(state.clone())
        .layer(axum::middleware::from_fn_with_state(config.security.clone(), headers::security_headers));
    if config.log_requests {
        router = router.layer(axum::middleware::from_fn_with_state(config.clone(), headers::log_request));
    }
    // Request bodies are limited where they are read (1 MB by default;
    // the media upload route allows more).
    router
        .layer(axum::extract::DefaultBodyLimit::max(config.max_body_bytes))
        .layer(TimeoutLayer::with_status_code(http::StatusCode::REQUEST_TIMEOUT, config.request_timeout))
}

/// Deletes what is kept no longer than configured — handled contact
/// messages past their retention, media files no upload refers to,
/// sign-ups never confirmed within 7 days and subscriptions ended 30 days
/// ago — at start and then every hour; every minute, mails the first
/// confirmation of imported sign-ups.
async fn housekeeping(state: AppState) {
    let mut every_minute = tokio::time::interval(Duration::from_secs(60));
    for minute in 0u64.. {
        every_minute.tick().await;
        // Imported sign-ups to confirm (`refuge subscribers import
        // --reconfirm`, perhaps run while this server runs).
        let s = state.clone();
        if let Ok(n) = crate::blocking::run(move || outgoing::imported_confirmations(&s)).await
            && n > 0
        {
            tracing::info!(mails = n, "confirmations queued for imported sign-ups");
        }
        // A deletion's old copy that could not be folded in yet (a reader
        // held the write-ahead log): tried again every minute.
        let app = state.app.clone();
        if let Ok(Err(e)) = crate::blocking::run(move || app.fold_pending()).await {
            tracing::error!(error = %e, "could not fold the write-ahead log in");
        }
        if minute % 60 != 0 || !holds_housekeeping(&state).await {
            continue;
        }
        sweep_media(&state, Duration::from_secs(15 * 60)).await;
        purge_sessions_and_kept_forms(&state).await;
        let app = state.app.clone();
        match crate::blocking::run(move || app.purge_subscribers()).await {
            Ok(Ok(0)) => {}
            Ok(Ok(n)) => {
                tracing::info!(subscriptions = n, "unconfirmed and ended subscriptions past their time were deleted")
            }
            Ok(Err(e)) => tracing::error!(error = %e, "could not delete old subscriptions"),
            Err(_) => {}
        }
        if let Some(n) = purge_expired_messages(&state).await
            && n > 0
        {
            tracing::info!(messages = n, "handled contact messages past their retention were deleted");
        }
    }
}

/// Whether this server does the housekeeping this hour.
pub(crate) async fn holds_housekeeping(state: &AppState) -> bool {
    let app = state.app.clone();
    match crate::blocking::run(move || app.take_housekeeping_turn()).await {
        Ok(Ok(held)) => {
            if !held {
                tracing::debug!("another server sharing the database does the housekeeping this hour");
            }
            held
        }
        Ok(Err(e)) => {
            tracing::error!(error = %e, "could not take the housekeeping lease; housekeeping waits an hour");
            false
        }
        Err(_) => false,
    }
}

/// Deletes sessions a day after they expired, and autosaved or kept
/// forms after 30 days (changes awaiting review stay until decided).
async fn purge_sessions_and_kept_forms(state: &AppState) {
    use admin::session::{ABSOLUTE_SECONDS, IDLE_SECONDS, KEEP_EXPIRED_SECONDS};
    let app = state.app.clone();
    let now = admin::session::now();
    let times = refuge_app::housekeeping::SessionTimes {
        idle: IDLE_SECONDS,
        absolute: ABSOLUTE_SECONDS,
        keep_expired: KEEP_EXPIRED_SECONDS,
    };
    let done = crate::blocking::run(move || app.purge_sessions_and_forms(now, times)).await;
    match done {
        Ok(Ok((sessions, forms))) => tracing::debug!(sessions, forms, "expired sessions and old kept forms deleted"),
        Ok(Err(e)) => tracing::error!(error = %e, "could not delete expired sessions or old kept forms"),
        Err(e) => tracing::error!(error = %e, "the session housekeeping task failed"),
    }
}

/// Deletes handled contact messages older than the retention period;
/// how many, or `None` when they are kept (or the database failed).
pub async fn purge_expired_messages(state: &AppState) -> Option<u64> {
    let keep = state.config.message_retention?;
    let before = time::OffsetDateTime::now_utc() - keep;
    let app = state.app.clone();
    match crate::blocking::run(move || app.purge_messages(before)).await {
        Ok(Ok(n)) => Some(n),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "could not delete old contact messages");
            None
        }
        Err(_) => None,
    }
}

/// Removes media files that no upload refers to (left by a crash or an
/// abandoned upload) once older than `min_age`; returns how many.
pub async fn sweep_media(state: &AppState, min_age: Duration) -> usize {
    let store = state.reads.clone();
    let files = state.config.media.clone();
    let swept = crate::blocking::run(move || {
        let known = store.media_stored_names().map_err(|e| e.to_string())?.into_iter().collect();
        refuge_media::library::sweep(files.as_ref(), &known, min_age).map_err(|e| e.to_string())
    })
    .await;
    match swept {
        Ok(Ok(0)) => 0,
        Ok(Ok(n)) => {
            tracing::info!(files = n, "media files that no upload refers to were removed");
            n
        }
        Ok(Err(e)) => {
            tracing::error!(error = %e, "could not clean the media folder");
            0
        }
        Err(e) => {
            tracing::error!(error = %e, "the media clean-up task failed");
            0
        }
    }
}

/// The background tasks of a running server: scheduled publication, the
/// outbox, housekeeping and following other servers' changes.
pub struct Background {
    search: Arc<SearchIndex>,
    scheduler: tokio::task::JoinHandle<()>,
    sender: tokio::task::JoinHandle<()>,
    others: Vec<tokio::task::JoinHandle<()>>,
}

/// Starts the background tasks of `state`; the outbox's sender takes
/// `outbox` (the one task besides the use cases that writes: it marks
/// mails sent). Changes other processes make are followed from
/// `follow_from` (see [`Cursor::at_end`]).
pub fn start_background(state: &AppState, outbox: Arc<dyn refuge_core::MailStore>, follow_from: Cursor) -> Background {
    let store = outbox;
    Background {
        search: state.search.clone(),
        scheduler: tokio::spawn(admin::scheduler::run(state.clone())),
        sender: tokio::spawn({
            let opener = state.clone();
            let unseal: refuge_mail::Unseal = Arc::new(move |mail| admin::inbox::unseal(&opener, mail));
            refuge_mail::run(store, state.config.smtp.clone(), state.wake.mail.clone(), unseal)
        }),
        others: vec![tokio::spawn(housekeeping(state.clone())), tokio::spawn(follow::run(state.clone(), follow_from))],
    }
}

impl Background {
    /// Stops every task and releases the search index's lock, so nothing
    /// holds the database or the index any more.
    pub async fn stop(self) {
        self.search.close();
        self.scheduler.abort();
        self.sender.abort();
        for task in &self.others {
            task.abort();
        }
        // They were just aborted: a cancelled join is the expected outcome.
        for task in [self.scheduler, self.sender] {
            if let Err(e) = task.await
                && !e.is_cancelled()
            {
                tracing::error!(error = %e, "a background task failed while stopping");
            }
        }
    }
}
