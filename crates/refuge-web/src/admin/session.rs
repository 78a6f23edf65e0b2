//! Back-office sessions: an opaque random id in an `HttpOnly`,
//! `SameSite=Strict` cookie limited to `/admin` (`Secure` over HTTPS);
//! the database keeps only its SHA-256. Idle and absolute expiry; a new
//! id at every sign-in; a per-session token that every form must carry.

use std::sync::Arc;

use axum::response::Response;
use http::request::Parts;
use http::{HeaderMap, HeaderValue, header};
use refuge_core::{Language, Role, Session};
use refuge_render::Strings;

use crate::AppState;

pub const COOKIE: &str = "refuge_session";
/// Signed out after this long without a request.
pub const IDLE_SECONDS: i64 = 2 * 60 * 60;
/// Signed out this long after signing in, whatever happens.
pub const ABSOLUTE_SECONDS: i64 = 12 * 60 * 60;

pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

pub use refuge_core::digest::same;
pub use refuge_core::secret::random_hex;

/// What the database keeps of a session id: its SHA-256.
pub fn hash(id: &str) -> String {
    refuge_core::digest::sha256_hex(id.as_bytes())
}

pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// The `Set-Cookie` value for a session id (`None`: remove the cookie).
pub fn set_cookie(state: &AppState, id: Option<&str>) -> HeaderValue {
    let secure = if state.site.config().base_url.starts_with("https://") { "; Secure" } else { "" };
    let value = match id {
        Some(id) => format!("{COOKIE}={id}; Path=/admin; HttpOnly; SameSite=Strict{secure}"),
        None => format!("{COOKIE}=; Path=/admin; HttpOnly; SameSite=Strict; Max-Age=0{secure}"),
    };
    HeaderValue::from_str(&value).unwrap_or(HeaderValue::from_static("refuge_session=; Max-Age=0"))
}

/// The back-office language: the reader's preference among the site's
/// languages that have back-office strings (English and Japanese); a
/// Korean or Chinese translator's browser gets the first of those.
pub fn ui_language(state: &AppState, headers: &HeaderMap) -> Language {
    let lang = crate::public::language_for(state, "/admin/", headers);
    if state.site.strings(&lang).has_back_office() {
        return lang;
    }
    state.site.languages().iter().find(|l| state.site.strings(l).has_back_office()).cloned().unwrap_or(lang)
}

/// The site's time zone (Site settings), UTC when none is set.
pub fn site_zone(state: &AppState) -> super::zone::Zone {
    state
        .reads
        .setting("time_zone", state.site.default_language())
        .ok()
        .flatten()
        .and_then(|name| super::zone::Zone::parse(&name))
        .unwrap_or_else(super::zone::Zone::utc)
}

/// A signed-in, verified account, extracted from the session cookie.
/// Requests without one are sent to the sign-in page.
#[derive(Clone)]
pub struct Admin {
    pub session: Session,
    pub id_hash: String,
    pub lang: Language,
    pub t: Arc<Strings>,
    /// Dates are shown and typed in this zone: the account's, else the site's.
    pub zone: super::zone::Zone,
}

impl Admin {
    pub fn role(&self) -> Role {
        self.session.user.role
    }

    pub fn can_edit(&self) -> bool {
        matches!(self.role(), Role::Admin | Role::Editor)
    }

    pub fn is_admin(&self) -> bool {
        self.role() == Role::Admin
    }

    pub fn email(&self) -> &str {
        self.session.user.email.as_str()
    }
}

fn expired(session: &Session, t: i64) -> bool {
    t - session.last_seen > IDLE_SECONDS || t - session.created_at > ABSOLUTE_SECONDS
}

/// Expired sessions are deleted this long after they expired.
pub const KEEP_EXPIRED_SECONDS: i64 = 24 * 60 * 60;

/// The account of the cookie's session, valid or expired (to keep a form
/// sent after it ended for the same account).
pub fn owner_of(state: &AppState, headers: &HeaderMap) -> Option<i64> {
    let id = cookie_value(headers, COOKIE)?;
    if id.len() != 64 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    match state.reads.session(&hash(&id)) {
        Ok(session) => session.map(|s| s.user.id),
        Err(e) => {
            tracing::error!(error = %e, "could not look a session up");
            None
        }
    }
}

/// Looks the session up; `None` when there is none or it expired (a
/// failed read is logged and counts as none; the guard uses [`lookup`]).
pub fn current(state: &AppState, headers: &HeaderMap) -> Option<(Session, String)> {
    lookup(state, headers).unwrap_or_else(|e| {
        tracing::error!(error = %e, "could not look a session up");
        None
    })
}

/// As [`current`], but a failed read is an error, not "signed out".
pub fn lookup(state: &AppState, headers: &HeaderMap) -> Result<Option<(Session, String)>, refuge_core::StoreError> {
    let Some(id) = cookie_value(headers, COOKIE) else { return Ok(None) };
    if id.len() != 64 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    let id_hash = hash(&id);
    let t = now();
    let session = state
        .app
        .look_up_session(&id_hash, t, |s| expired(s, t))
        .map_err(|e| refuge_core::StoreError::Backend(e.to_string()))?;
    Ok(session.map(|s| (s, id_hash)))
}

/// The account of a request, for the guard in front of every
/// back-office route (`guard::check`): the session (else the way to sign
/// in), verified (else the code page), and a password that was printed
/// or shown to someone replaced before anything else is done.
pub fn authenticate(state: &AppState, parts: &Parts) -> Result<Admin, Box<Response>> {
    let next = parts.uri.path_and_query().map_or("/admin/", |p| p.as_str()).to_owned();
    let login = |path: &str| {
        let target =
            format!("{path}?next={}", percent_encoding::utf8_percent_encode(&next, percent_encoding::NON_ALPHANUMERIC));
        crate::redirect::to(http::StatusCode::SEE_OTHER, &target, "/admin/login")
    };
    let found = match lookup(state, &parts.headers) {
        Ok(found) => found,
        Err(e) => {
            // "Try again", never the sign-in page: the account is fine.
            let lang = ui_language(state, &parts.headers);
            return Err(Box::new(crate::WebError::Store(e).respond(state, &lang, &parts.headers)));
        }
    };
    let Some((session, id_hash)) = found else { return Err(Box::new(login("/admin/login"))) };
    if !session.verified {
        return Err(Box::new(login("/admin/login/code")));
    }
    let path = parts.uri.path();
    if session.user.must_change_password && !path.starts_with("/admin/account") && path != "/admin/logout" {
        return Err(Box::new(crate::redirect::to(http::StatusCode::SEE_OTHER, "/admin/account", "/admin/account")));
    }
    let lang = ui_language(state, &parts.headers);
    let t = state.site.strings(&lang);
    let zone = session.user.time_zone.as_deref().and_then(super::zone::Zone::parse).unwrap_or_else(|| site_zone(state));
    Ok(Admin { session, id_hash, lang, t, zone })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_static("a=1; refuge_session=xyz; b=2"));
        assert_eq!(cookie_value(&h, COOKIE).as_deref(), Some("xyz"));
        assert_eq!(cookie_value(&h, "c"), None);
    }
}
