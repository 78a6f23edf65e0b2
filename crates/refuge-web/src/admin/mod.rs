//! The back office under `/admin/`: sign-in, content editing with
//! preview, revisions and translations, accounts and the audit log.
//!
//! Every route checks the account's role on the server; every form that
//! changes something carries the session's token, and its `Origin` must be
//! this site. Pages work without JavaScript.

mod appeals;
pub(crate) mod auth;
mod autosave;
mod dashboard;
mod editor_form;
pub mod guard;
mod history;
pub(crate) mod inbox;
mod items;
mod kept;
mod media;
mod newsletters;
mod people;
mod recovery;
mod refusal;
mod review;
pub mod scheduler;
pub mod session;
mod site;
mod subscribers;
pub use refuge_app::totp;
mod answer;
pub mod paths;
pub use answer::{
    app_failed, app_status, explain, explain_app, forbidden, message, message_kept, not_found, run_case, store_failed,
};
pub mod zone;

pub use refusal::release_problem;

use axum::Router;
use axum::handler::Handler;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{MethodRouter, get, post};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use minijinja::value::Serde;
use refuge_core::Role;
use serde::Serialize;
use time::OffsetDateTime;

pub use media::photos::PendingPhoto;
pub use session::Admin;
pub use subscribers::PendingImport;

use crate::AppState;
use crate::form::FormData;

/// Routes of the back office, each behind its guard (`guard::ROUTES`
/// says who may use it).
// Long on purpose: the route list, one line a route, in the order of guard::ROUTES.
pub fn router(state: AppState) -> Router<AppState> {
    let upload_limit = refuge_media::MAX_UPLOAD + 1024 * 1024;
    let routes = Routes { router: Router::new(), state: state.clone(), added: Vec::new() }
        .get("/admin", || async { Redirect::permanent("/admin/") })
        .get("/admin/", dashboard::show)
        .get("/admin/login", auth::login_form)
        .post("/admin/login", auth::login)
        .get("/admin/login/code", auth::code_form)
        .post("/admin/login/code", auth::code)
        .post("/admin/logout", auth::logout)
        .get("/admin/items", items::list)
        .get("/admin/items/new", items::new_form)
        .post("/admin/items/new", items::create)
        .post("/admin/items/bulk", items::bulk)
        .get("/admin/items/{id}", items::edit_form)
        .post("/admin/items/{id}", items::update)
        .get("/admin/items/{id}/delete", items::delete_form)
        .post("/admin/items/{id}/delete", items::delete)
        .get("/admin/items/{id}/translate/{lang}", items::translate_form)
        .post("/admin/items/{id}/translate/{lang}", items::translate)
        .get("/admin/items/{id}/history", history::list)
        .get("/admin/items/{id}/diff", history::list)
        .get("/admin/items/{id}/restore/{rev}", history::restore_ask)
        .post("/admin/items/{id}/restore/{rev}", history::restore)
        .get("/admin/items/{id}/review/{aside}", review::show)
        .post("/admin/items/{id}/review/{aside}", review::decide)
        .post("/admin/items/{id}/updates", appeals::add_update)
        .post("/admin/items/{id}/updates/{update}/approve", appeals::approve_update)
        .post("/admin/items/{id}/updates/{update}/delete", appeals::delete_update)
        .get("/admin/users", people::users)
        .post("/admin/users", people::add_user)
        .post("/admin/users/{id}/role", people::set_role)
        .post("/admin/users/{id}/password", people::reset_password)
        .post("/admin/users/{id}/delete", people::delete_user)
        .post("/admin/users/{id}/totp/off", people::reset_totp)
        .get("/admin/account", people::account)
        .post("/admin/account/password", people::change_password)
        .post("/admin/account/email", people::change_email)
        .post("/admin/account/zone", people::change_zone)
        .post("/admin/account/totp/on", people::totp_on)
        .post("/admin/account/totp/off", people::totp_off)
        .post("/admin/account/recovery-codes", people::renew_recovery_codes)
        .get("/admin/account/recovery-codes.txt", recovery::download)
        .post("/admin/account/sessions/end", people::end_sessions)
        .get("/admin/audit", people::audit_log)
        .get("/admin/media", media::list)
        .post_limited("/admin/media", upload_limit, media::upload)
        .get("/admin/media/review/{key}", media::photos::show)
        .get("/admin/media/review/{key}/photo.jpg", media::photos::photo)
        .post("/admin/media/review/{key}", media::photos::act)
        .post("/admin/media/{id}", media::update)
        .post("/admin/media/{id}/delete", media::delete)
        .get("/admin/settings", site::settings)
        .post("/admin/settings", site::save_settings)
        .get("/admin/newsletters", newsletters::list)
        .post("/admin/newsletters", newsletters::save)
        .get("/admin/newsletters/{id}", newsletters::edit)
        .post("/admin/newsletters/{id}/send", newsletters::send)
        .post("/admin/newsletters/{id}/test", newsletters::test_send)
        .get("/admin/subscribers", subscribers::list)
        .get("/admin/subscribers/export.csv", subscribers::export)
        .post_limited("/admin/subscribers/import", 20 * 1024 * 1024, subscribers::import_upload)
        .post("/admin/subscribers/import/confirm", subscribers::import_confirm)
        .get("/admin/subscribers/{id}", subscribers::show)
        .get("/admin/subscribers/{id}/remove", subscribers::remove_form)
        .post("/admin/subscribers/{id}/remove", subscribers::remove)
        .post("/admin/subscribers/{id}/topics", subscribers::topics)
        .post("/admin/subscribers/{id}/confirm", subscribers::confirm_again)
        .get("/admin/inbox", inbox::show)
        .post("/admin/inbox/unlock", inbox::unlock)
        .post("/admin/inbox/lock", inbox::lock)
        .get("/admin/inbox/{id}", inbox::read)
        .get("/admin/inbox/{id}/attachment", inbox::attachment)
        .post("/admin/inbox/{id}/handled", inbox::handled)
        .post("/admin/inbox/{id}/reply", inbox::reply)
        .post("/admin/inbox/{id}/delete", inbox::delete)
        .get("/admin/faq/{lang}", site::faq)
        .post("/admin/faq/{lang}", site::save_faq)
        .get("/admin/menus/{lang}", site::menu)
        .post("/admin/menus/{lang}", site::save_menu)
        .get("/admin/resume/{key}", kept::resume)
        .post("/admin/autosave", autosave::save)
        .post("/admin/autosave/discard", autosave::discard);
    let missing: Vec<String> = guard::ROUTES
        .iter()
        .filter(|r| !routes.added.contains(&(r.method, r.path)))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert!(missing.is_empty(), "admin::guard::ROUTES names routes without a handler: {missing:?}");
    routes
        .router
        .layer(axum::middleware::from_fn_with_state(state, kept::keep_expired_forms))
        .layer(axum::middleware::map_response(private))
        // Outermost: the sessions, the guard, kept forms and every
        // handler's store calls run on the blocking pool.
        .layer(axum::middleware::from_fn(crate::blocking::off_the_workers))
}

/// Builds the router from `guard::ROUTES`: each route gets its guard.
struct Routes {
    router: Router<AppState>,
    state: AppState,
    added: Vec<(&'static str, &'static str)>,
}

impl Routes {
    fn get<H: Handler<T, AppState>, T: 'static>(self, path: &'static str, handler: H) -> Self {
        self.add("GET", path, get(handler), None)
    }

    fn post<H: Handler<T, AppState>, T: 'static>(self, path: &'static str, handler: H) -> Self {
        self.add("POST", path, post(handler), None)
    }

    /// A POST that may carry more than the usual body limit (uploads).
    fn post_limited<H: Handler<T, AppState>, T: 'static>(self, path: &'static str, limit: usize, handler: H) -> Self {
        self.add("POST", path, post(handler), Some(limit))
    }

    fn add(
        mut self,
        method: &'static str,
        path: &'static str,
        route: MethodRouter<AppState>,
        limit: Option<usize>,
    ) -> Self {
        let spec = guard::spec(method, path);
        let mut route =
            route.route_layer(axum::middleware::from_fn_with_state((self.state.clone(), spec), guard::check));
        // Outside the guard, which reads the form under this limit.
        if let Some(limit) = limit {
            route = route.layer(axum::extract::DefaultBodyLimit::max(limit));
        }
        self.router = self.router.route(path, route);
        self.added.push((method, path));
        self
    }
}

/// Public files of the media library.
pub fn media_router() -> Router<AppState> {
    Router::new().route("/media/{file}", get(media::serve))
}

/// The back office's policy: the public one, but scripts from this site
/// (the editor's optional `admin.js`) and its requests to this site.
pub const ADMIN_CSP: &str = "default-src 'self'; script-src 'self'; connect-src 'self'; object-src 'none'; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'; img-src 'self'; style-src 'self'";

/// Back-office responses are never cached or indexed. Their referrer
/// policy is `same-origin` rather than the public `no-referrer`: with
/// `no-referrer` browsers send `Origin: null` on form posts, and the
/// origin check of every form needs the real one. Nothing leaks to
/// other sites either way.
async fn private(mut response: Response) -> Response {
    let h = response.headers_mut();
    // The public policy, but for the editor's own script file.
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(ADMIN_CSP));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert("x-robots-tag", HeaderValue::from_static("noindex, nofollow"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    response
}

#[derive(Serialize)]
struct UserView {
    email: String,
    /// The time zone this account's dates are shown and typed in.
    zone: String,
    role_label: String,
    is_admin: bool,
    can_edit: bool,
}

/// What every back-office page receives besides its own values.
#[derive(Serialize)]
struct AdminChrome<'a> {
    lang: String,
    t: &'a refuge_render::Strings,
    css: &'a str,
    js: &'a str,
    user: Option<UserView>,
    csrf: &'a str,
    section: &'a str,
    title: String,
    notice: Option<String>,
    error: Option<String>,
}

pub fn role_label(t: &refuge_render::Strings, role: Role) -> String {
    t.get(&format!("admin_role_{}", role.as_str())).to_owned()
}

/// A back-office page; `admin` is `None` on the sign-in pages.
pub struct Page<'a> {
    pub admin: Option<&'a Admin>,
    pub template: &'a str,
    pub section: &'a str,
    pub title: String,
    pub notice: Option<String>,
    pub error: Option<String>,
    pub status: StatusCode,
}

impl<'a> Page<'a> {
    pub fn new(admin: &'a Admin, template: &'a str, section: &'a str, title: String) -> Self {
        Self { admin: Some(admin), template, section, title, notice: None, error: None, status: StatusCode::OK }
    }

    pub fn notice(mut self, text: Option<String>) -> Self {
        self.notice = text;
        self
    }

    pub fn error(mut self, text: Option<String>) -> Self {
        self.error = text;
        self
    }

    pub fn status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    /// Renders with `values` (a serialisable map of the page's own values).
    pub fn render(self, state: &AppState, lang: &refuge_core::Language, values: impl Serialize) -> Response {
        let t = state.site.strings(lang);
        let chrome = AdminChrome {
            lang: lang.to_string(),
            t: &t,
            css: state.site.admin_css_path(),
            js: state.site.admin_js_path(),
            user: self.admin.map(|a| UserView {
                email: a.email().to_owned(),
                zone: a.zone.name().to_owned(),
                role_label: role_label(&t, a.role()),
                is_admin: a.is_admin(),
                can_edit: a.can_edit(),
            }),
            csrf: self.admin.map_or("", |a| a.session.csrf.as_str()),
            section: self.section,
            title: self.title,
            notice: self.notice,
            error: self.error,
        };
        match state.site.render_named(self.template, minijinja::context! { ..Serde(&chrome), ..Serde(&values) }) {
            Ok(html) => (self.status, Html(html)).into_response(),
            Err(e) => {
                tracing::error!(error = %e, template = self.template, "back-office page failed to render");
                (StatusCode::INTERNAL_SERVER_ERROR, "The page could not be shown; the error was logged.")
                    .into_response()
            }
        }
    }
}

/// A link on a confirmation page.
#[derive(Serialize)]
pub struct LinkTo {
    pub href: String,
    pub text: String,
}

/// A page that asks before something that cannot be undone, saying what
/// will happen; its button sends the same form again with `confirm=1`.
#[derive(Default)]
pub struct Confirm {
    pub title: String,
    pub question: String,
    /// What will happen, one sentence each.
    pub details: Vec<String>,
    /// Pages concerned (the items that use a file).
    pub links: Vec<LinkTo>,
    pub action: String,
    pub confirm_label: String,
    pub cancel_href: String,
    /// Another form on the page (a test send), with its button's label.
    pub extra: Option<(String, String)>,
    /// Fields sent again with the confirmation (the ticked items).
    pub hidden: Vec<(String, String)>,
}

impl Confirm {
    pub fn render(self, state: &AppState, admin: &Admin, section: &str) -> Response {
        let (extra_action, extra_label) = self.extra.unzip();
        let values = minijinja::context! {
            question => self.question,
            details => self.details,
            links => minijinja::value::Serde(self.links),
            action => self.action,
            confirm_label => self.confirm_label,
            cancel_href => self.cancel_href,
            extra_action => extra_action,
            extra_label => extra_label,
            hidden => self.hidden,
        };
        Page::new(admin, "admin/confirm.html", section, self.title).render(state, &admin.lang, values)
    }
}

/// A page that already answers the request — not found, refused, or
/// the database failed — returned early by a handler with `?`.
pub struct Halt(pub Box<Response>);

impl IntoResponse for Halt {
    fn into_response(self) -> Response {
        *self.0
    }
}

impl From<Response> for Halt {
    fn from(response: Response) -> Self {
        Halt(Box::new(response))
    }
}

/// What back-office handlers return.
pub type Answer = Result<Response, Halt>;

/// The record, or the page that says why not: 404 when there is none,
/// and when the database failed a translated "try again" page (503; 507
/// when the disk is full) with the detail in the log — never a 404.
pub fn found<T>(
    state: &AppState,
    admin: &Admin,
    what: &str,
    result: refuge_core::store::StoreResult<Option<T>>,
) -> Result<T, Halt> {
    match result {
        Ok(Some(value)) => Ok(value),
        Ok(None) => Err(not_found(state, admin).into()),
        Err(e) => Err(store_failed(state, admin, what, e).into()),
    }
}

/// The value, or the "try again" page when the database failed.
pub fn read<T>(
    state: &AppState,
    admin: &Admin,
    what: &str,
    result: refuge_core::store::StoreResult<T>,
) -> Result<T, Halt> {
    result.map_err(|e| store_failed(state, admin, what, e).into())
}

/// Reads that may fail without losing the form: each failure is logged
/// and remembered, and the page says that parts of it are missing.
#[derive(Default)]
pub struct Reads {
    pub failed: bool,
}

impl Reads {
    pub fn or_empty<T: Default>(&mut self, what: &str, result: refuge_core::store::StoreResult<T>) -> T {
        result.unwrap_or_else(|e| {
            tracing::error!(error = %e, what, "the editor could not read part of its page");
            self.failed = true;
            T::default()
        })
    }
}

/// A record number from the address; anything else is not found.
pub fn number(state: &AppState, admin: &Admin, id: &str) -> Result<i64, Halt> {
    id.parse::<i64>().map_err(|_| not_found(state, admin).into())
}

/// Whether a form was sent from its confirmation page.
pub fn confirmed(form: &FormData) -> bool {
    form.get("confirm") == "1"
}

/// `Origin` (or, without it, `Referer`) names this site, if sent at all.
/// "This site" is the configured `base_url`, never the request's own
/// `Host` (which the sender chooses). When the base URL is a loopback
/// address (a local start without `base_url`), the other loopback
/// spellings of the same port are accepted too.
pub fn same_origin(state: &AppState, headers: &HeaderMap) -> bool {
    let base = state.site.config().base_url.trim_end_matches('/').to_owned();
    let allowed = |origin: &str| {
        let origin = origin.trim_end_matches('/');
        origin == base || loopback_alias(&base, origin)
    };
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        return allowed(origin);
    }
    if let Some(referer) = headers.get(header::REFERER).and_then(|v| v.to_str().ok()) {
        let origin: String = referer.splitn(4, '/').take(3).collect::<Vec<_>>().join("/");
        return allowed(&origin);
    }
    true
}

/// Whether `origin` is `base` spelled with another loopback name
/// (`localhost`, `127.0.0.1`, `[::1]`), same scheme and port.
fn loopback_alias(base: &str, origin: &str) -> bool {
    const LOOPBACK: [&str; 3] = ["localhost", "127.0.0.1", "[::1]"];
    let split = |url: &str| -> Option<(String, String, String)> {
        let (scheme, rest) = url.split_once("://")?;
        let (host, port) = match rest.rsplit_once(':') {
            Some((h, p)) if !p.contains(']') => (h.to_owned(), p.to_owned()),
            _ => (rest.to_owned(), String::new()),
        };
        Some((scheme.to_owned(), host, port))
    };
    match (split(base), split(origin)) {
        (Some((s1, h1, p1)), Some((s2, h2, p2))) => {
            s1 == s2 && p1 == p2 && LOOPBACK.contains(&h1.as_str()) && LOOPBACK.contains(&h2.as_str())
        }
        _ => false,
    }
}

/// Which button sent an editor form: `intent` (`preview` or `save`); the
/// older name `action` is read only when `intent` is absent.
pub fn intent(form: &FormData) -> &str {
    if form.has("intent") { form.get("intent") } else { form.get("action") }
}

/// The answer to a form that is not genuine.
pub fn rejected(state: &AppState, admin: &Admin) -> Response {
    message(state, admin, StatusCode::FORBIDDEN, "admin_form_expired")
}

pub fn when(t: OffsetDateTime) -> String {
    format!("{:04}-{:02}-{:02} {:02}:{:02} UTC", t.year(), u8::from(t.month()), t.day(), t.hour(), t.minute())
}

pub fn iso(t: OffsetDateTime) -> String {
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Records an audit entry; a failure is logged, never shown.
pub fn audit(state: &AppState, actor: &str, action: &str, subject: &str, detail: &str) {
    state.app.audit_event(actor, action, subject, detail);
}

/// 303 to `path`, a local path (anything else goes to the dashboard).
pub fn see_other(path: &str) -> Response {
    crate::redirect::to(StatusCode::SEE_OTHER, path, "/admin/")
}

/// A language's name in the back office's language (`英語` in Japanese),
/// or, for a language the interface has no name for, its own name.
pub fn lang_name(state: &AppState, t: &refuge_render::Strings, lang: &refuge_core::Language) -> String {
    let key = format!("name_of_{lang}");
    match t.get(&key) {
        name if name != key => name.to_owned(),
        _ => state.site.strings(lang).get("language_name").to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::loopback_alias;

    #[test]
    fn loopback_spellings_only() {
        assert!(loopback_alias("http://127.0.0.1:8080", "http://localhost:8080"));
        assert!(loopback_alias("http://127.0.0.1:8080", "http://[::1]:8080"));
        assert!(!loopback_alias("http://127.0.0.1:8080", "http://localhost:9090"), "another port");
        assert!(!loopback_alias("http://127.0.0.1:8080", "https://localhost:8080"), "another scheme");
        assert!(!loopback_alias("https://example.org", "https://localhost"), "the base is not local");
        assert!(!loopback_alias("http://127.0.0.1:8080", "http://evil.example:8080"));
    }
}
