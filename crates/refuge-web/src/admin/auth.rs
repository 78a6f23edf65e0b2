//! Signing in and out: password, then the second factor when the account
//! has one; per-account and per-client back-off after failures; generic
//! messages that do not tell whether an account exists.

use crate::admin::paths::To;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, StatusCode, header};
use refuge_core::{Email, Session};

use super::session::{self, COOKIE, random_hex};
use super::{Page, audit, same_origin, see_other};
use crate::form::{FormData, pairs};
use crate::{AppState, redirect};

/// Failures allowed before back-off starts.
const FREE_FAILURES: u32 = 4;
/// The longest wait imposed.
const MAX_LOCK: Duration = Duration::from_secs(15 * 60);
/// How long a sign-in form stays valid.
const FORM_SECONDS: i64 = 2 * 60 * 60;

/// Failed sign-ins per account name and per client, counted in the
/// database (every server sharing it counts the same). Keys are stored
/// as keyed hashes: no address or account name is written there.
pub struct LoginGuard {
    store: Arc<dyn refuge_core::SignInThrottle>,
    key: [u8; 32],
}

impl LoginGuard {
    pub fn new(store: Arc<dyn refuge_core::SignInThrottle>, key: [u8; 32]) -> Self {
        Self { store, key }
    }

    fn hashed(&self, keys: &[String]) -> Vec<String> {
        keys.iter()
            .map(|k| refuge_core::digest::hmac_sha256_hex(&self.key, format!("sign-in:{k}").as_bytes()))
            .collect()
    }

    /// Seconds left to wait for any of `keys`, if locked. When the count
    /// cannot be read, the sign-in waits a minute: the database is needed
    /// to check the password anyway.
    pub fn locked(&self, keys: &[String]) -> Option<u64> {
        match self.store.sign_in_wait(&self.hashed(keys), session::now()) {
            Ok(wait) => wait,
            Err(e) => {
                tracing::error!(error = %e, "could not read the count of failed sign-ins");
                Some(60)
            }
        }
    }

    pub fn failed(&self, keys: &[String]) {
        let max = MAX_LOCK.as_secs();
        if let Err(e) = self.store.sign_in_failed(&self.hashed(keys), session::now(), FREE_FAILURES, max) {
            tracing::error!(error = %e, "could not count a failed sign-in");
        }
    }

    pub fn succeeded(&self, keys: &[String]) {
        if let Err(e) = self.store.sign_in_succeeded(&self.hashed(keys)) {
            tracing::error!(error = %e, "could not clear the count of failed sign-ins");
        }
    }
}

/// A signed, timestamped token for the sign-in form (which comes before
/// any session): `TIME.MAC`.
pub fn form_token(key: &[u8], now: i64) -> String {
    format!("{now}.{}", mac_hex(key, now))
}

fn mac_hex(key: &[u8], time: i64) -> String {
    refuge_core::digest::hmac_sha256_hex(key, format!("login-form:{time}").as_bytes())
}

pub fn token_ok(key: &[u8], token: &str, now: i64) -> bool {
    let Some((time, mac)) = token.split_once('.') else { return false };
    let Ok(time) = time.parse::<i64>() else { return false };
    (0..=FORM_SECONDS).contains(&(now - time)) && session::same(mac, &mac_hex(key, time))
}

fn client(info: refuge_edge::ClientAddr) -> String {
    format!("client:{}", refuge_edge::client_key(info.0))
}

/// The cookie a browser gets when an account signs in on it, so that
/// failures elsewhere never lock the account's owner out there.
const KNOWN: &str = "refuge_known";

/// The known-device mark of an account (its e-mail address, lowercased),
/// signed with the form key: nothing in it names the account.
fn known_mark(state: &AppState, account: &str) -> String {
    refuge_core::digest::hmac_sha256_hex(&state.memory.form_key[..], format!("known-device:{account}").as_bytes())
}

/// Whether this browser signed in to `account` before.
fn known_device(state: &AppState, headers: &HeaderMap, account: &str) -> bool {
    session::cookie_value(headers, KNOWN).is_some_and(|v| session::same(&v, &known_mark(state, account)))
}

/// The cookie that marks this browser as one `account` signs in on (a
/// year, sent only to the sign-in form).
fn known_cookie(state: &AppState, account: &str) -> Option<http::HeaderValue> {
    let secure = if state.site.config().base_url.starts_with("https://") { "; Secure" } else { "" };
    let mark = known_mark(state, account);
    http::HeaderValue::from_str(&format!(
        "{KNOWN}={mark}; Path=/admin/login; HttpOnly; SameSite=Strict; Max-Age=31536000{secure}"
    ))
    .ok()
}

/// The keys failed sign-ins are counted under, and those that may refuse
/// this one. Counted: the client (an IPv6 /64), the client with the
/// account, and the account. A browser the account signed in on before
/// is refused only by its own failures with that account, so nobody
/// elsewhere can lock the owner out; any other is also refused while the
/// client or the account is locked, so guessing stays slow from one
/// address and from many.
fn sign_in_keys(state: &AppState, headers: &HeaderMap, info: refuge_edge::ClientAddr, typed: &str) -> SignInKeys {
    let account = typed.to_lowercase();
    let client = client(info);
    let pair = format!("{client}|account:{account}");
    let counted = vec![client.clone(), pair.clone(), format!("account:{account}")];
    let checked = if known_device(state, headers, &account) { vec![pair] } else { counted.clone() };
    SignInKeys { counted, checked, account }
}

struct SignInKeys {
    counted: Vec<String>,
    checked: Vec<String>,
    account: String,
}

/// Only back-office paths may be returned to after signing in: a plain
/// local path (see `redirect::is_local_path`) under `/admin/`, as sent
/// and once decoded, without dot segments or empty segments that could
/// lead elsewhere once a browser resolves them.
fn safe_next(next: &str) -> String {
    let fallback = || "/admin/".to_owned();
    if next.len() > 500 || !redirect::is_local_path(next) {
        return fallback();
    }
    let path = next.split(['?', '#']).next().unwrap_or_default();
    let Ok(decoded) = percent_encoding::percent_decode_str(path).decode_utf8() else { return fallback() };
    let stays = |p: &str| p.starts_with("/admin/") && redirect::remove_dot_segments(p) == p && !p.contains("//");
    if stays(path) && stays(&decoded) { next.to_owned() } else { fallback() }
}

fn next_from(query: Option<&str>) -> String {
    let next = pairs(query.unwrap_or_default(), 10).into_iter().find(|(k, _)| k == "next").map(|(_, v)| v);
    safe_next(&next.unwrap_or_default())
}

fn login_page(
    state: &AppState,
    headers: &HeaderMap,
    next: &str,
    email: &str,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let lang = session::ui_language(state, headers);
    let t = state.site.strings(&lang);
    let page = Page {
        admin: None,
        template: "admin/login.html",
        section: "",
        title: t.get("admin_sign_in").to_owned(),
        notice: next.starts_with("/admin/resume/").then(|| t.get("admin_kept_sign_in").to_owned()),
        error,
        status,
    };
    page.render(
        state,
        &lang,
        minijinja::context! {
            step => "password",
            token => form_token(&state.memory.form_key[..], session::now()),
            next => next,
            email => email,
        },
    )
}

pub async fn login_form(State(state): State<AppState>, RawQuery(query): RawQuery, headers: HeaderMap) -> Response {
    if let Some((session, _)) = session::current(&state, &headers)
        && session.verified
    {
        return see_other(&next_from(query.as_deref()));
    }
    login_page(&state, &headers, &next_from(query.as_deref()), "", None, StatusCode::OK)
}

/// Ends a session; a failure is logged (the session then lasts until its
/// idle or absolute expiry, and the browser's cookie is cleared anyway).
fn end_session(state: &AppState, id_hash: &str) {
    state.app.end_session(id_hash);
}

/// Starts a new session (a fresh id, whatever cookie came in) and
/// answers with a redirect that sets it.
fn start_session(state: &AppState, headers: &HeaderMap, user_id: i64, verified: bool, to: &str) -> Response {
    let old = session::cookie_value(headers, COOKIE).map(|old| session::hash(&old));
    let id = random_hex(32);
    let csrf = random_hex(32);
    let started =
        state.app.start_session(old.as_deref(), &session::hash(&id), user_id, &csrf, verified, session::now());
    if let Err(e) = started {
        tracing::error!(error = %e, "could not store a session");
        return (StatusCode::SERVICE_UNAVAILABLE, "Please try again in a moment.").into_response();
    }
    let mut response = see_other(to);
    response.headers_mut().insert(header::SET_COOKIE, session::set_cookie(state, Some(&id)));
    response
}

pub async fn login(
    State(state): State<AppState>,
    info: refuge_edge::ClientAddr,
    headers: HeaderMap,
    form: FormData,
) -> Response {
    let lang = session::ui_language(&state, &headers);
    let t = state.site.strings(&lang);
    let next = safe_next(form.get("next"));
    let typed = form.get("email").trim().to_owned();
    if !token_ok(&state.memory.form_key[..], form.get("token"), session::now()) || !same_origin(&state, &headers) {
        return login_page(
            &state,
            &headers,
            &next,
            &typed,
            Some(t.get("admin_form_expired").into()),
            StatusCode::FORBIDDEN,
        );
    }
    let keys = sign_in_keys(&state, &headers, info, &typed);
    if let Some(seconds) = state.limits.login.locked(&keys.checked) {
        let minutes = seconds.div_ceil(60).to_string();
        let text = t.get("admin_locked").replace("{minutes}", &minutes);
        return login_page(&state, &headers, &next, &typed, Some(text), StatusCode::TOO_MANY_REQUESTS);
    }
    let email = Email::parse(&typed).ok();
    let password = form.get("password").to_owned();
    let app = state.app.clone();
    let checked = crate::blocking::run(move || app.check_password(email.as_ref(), &password)).await;
    match checked {
        Ok(Ok(Some(user))) => {
            state.limits.login.succeeded(&keys.counted);
            audit(
                &state,
                user.email.as_str(),
                "sign-in",
                "",
                if user.totp { "password accepted; code asked" } else { "" },
            );
            let mut response = if user.totp {
                start_session(&state, &headers, user.id, false, &To::LoginCode { next: &next }.path())
            } else {
                start_session(&state, &headers, user.id, true, &next)
            };
            if let Some(cookie) = known_cookie(&state, &keys.account) {
                response.headers_mut().append(header::SET_COOKIE, cookie);
            }
            response
        }
        Ok(Ok(None)) => {
            state.limits.login.failed(&keys.counted);
            audit(
                &state,
                &typed.chars().take(100).collect::<String>(),
                "sign-in failed",
                "",
                "wrong e-mail or password",
            );
            login_page(&state, &headers, &next, &typed, Some(t.get("admin_bad_login").into()), StatusCode::UNAUTHORIZED)
        }
        Ok(Err(e)) => {
            tracing::error!(error = %e, "sign-in check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "Please try again in a moment.").into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, "sign-in task failed");
            (StatusCode::SERVICE_UNAVAILABLE, "Please try again in a moment.").into_response()
        }
    }
}

/// The session waiting for its second factor.
fn pending(state: &AppState, headers: &HeaderMap) -> Option<(Session, String)> {
    session::current(state, headers).filter(|(s, _)| !s.verified)
}

fn code_page(state: &AppState, headers: &HeaderMap, session: &Session, next: &str, error: Option<String>) -> Response {
    let lang = session::ui_language(state, headers);
    let t = state.site.strings(&lang);
    let status = if error.is_some() { StatusCode::UNAUTHORIZED } else { StatusCode::OK };
    let page = Page {
        admin: None,
        template: "admin/login.html",
        section: "",
        title: t.get("admin_second_factor").into(),
        notice: None,
        error,
        status,
    };
    // The layout's `csrf` is empty before a full sign-in: this form's
    // token travels under its own name.
    page.render(
        state,
        &lang,
        minijinja::context! { step => "code", pending_csrf => session.csrf.clone(), next => next },
    )
}

pub async fn code_form(State(state): State<AppState>, RawQuery(query): RawQuery, headers: HeaderMap) -> Response {
    match pending(&state, &headers) {
        Some((session, _)) => code_page(&state, &headers, &session, &next_from(query.as_deref()), None),
        None => see_other("/admin/login"),
    }
}

pub async fn code(
    State(state): State<AppState>,
    info: refuge_edge::ClientAddr,
    headers: HeaderMap,
    form: FormData,
) -> Response {
    let Some((session, id_hash)) = pending(&state, &headers) else { return see_other("/admin/login") };
    let next = safe_next(form.get("next"));
    let t = state.site.strings(&session::ui_language(&state, &headers));
    if !session::same(form.get("csrf"), &session.csrf) || !same_origin(&state, &headers) {
        return code_page(&state, &headers, &session, &next, Some(t.get("admin_form_expired").into()));
    }
    let keys = vec![client(info), format!("account:{}", session.user.email.as_str().to_lowercase())];
    if let Some(seconds) = state.limits.login.locked(&keys) {
        let text = t.get("admin_locked").replace("{minutes}", &seconds.div_ceil(60).to_string());
        return code_page(&state, &headers, &session, &next, Some(text));
    }
    let code = form.get("code").trim().to_owned();
    let user = session.user.id;
    let app = state.app.clone();
    // A code is accepted once: its time step is recorded, and an older or
    // equal step is refused (someone who saw it cannot use it again).
    let checked = crate::blocking::run(move || {
        use refuge_app::sessions::SecondStep;
        let passed = app.second_step(user, &code, session::now().unsigned_abs(), session::hash)?;
        Ok::<_, refuge_app::AppError>((passed == SecondStep::App, passed == SecondStep::Recovery))
    })
    .await;
    let (by_app, by_recovery) = match checked {
        Ok(Ok(found)) => found,
        Ok(Err(e)) => {
            tracing::error!(error = %e, "a second-factor check failed");
            return (StatusCode::SERVICE_UNAVAILABLE, "Please try again in a moment.").into_response();
        }
        Err(e) => {
            tracing::error!(error = %e, "a second-factor task failed");
            return (StatusCode::SERVICE_UNAVAILABLE, "Please try again in a moment.").into_response();
        }
    };
    if by_app || by_recovery {
        state.limits.login.succeeded(&keys);
        audit(
            &state,
            session.user.email.as_str(),
            "sign-in",
            "",
            if by_recovery { "with a recovery code" } else { "with a code" },
        );
        // A new id once fully signed in.
        end_session(&state, &id_hash);
        return start_session(&state, &headers, user, true, &next);
    }
    state.limits.login.failed(&keys);
    audit(&state, session.user.email.as_str(), "sign-in failed", "", "wrong code");
    code_page(&state, &headers, &session, &next, Some(t.get("admin_bad_code").into()))
}

/// Signs out. Another site cannot sign anyone out (403, the cookie
/// stays); a stale tab of this site clears its cookie, and ends the
/// session when the form carries its token.
pub async fn logout(State(state): State<AppState>, headers: HeaderMap, form: FormData) -> Response {
    if !same_origin(&state, &headers) {
        return (StatusCode::FORBIDDEN, "This form did not come from this site.").into_response();
    }
    if let Some((session, id_hash)) = session::current(&state, &headers)
        && session::same(form.get("csrf"), &session.csrf)
    {
        // Ended as an expired session is: a form another tab sends with
        // its token is then kept for the account (`kept`), not lost.
        let ended = session::now() - session::IDLE_SECONDS - 1;
        if let Err(e) = state.app.sign_out(&id_hash, ended) {
            tracing::error!(error = %e, "a session could not be marked ended; it is deleted instead");
            end_session(&state, &id_hash);
        }
        super::inbox::forget(&state, &id_hash);
        audit(&state, session.user.email.as_str(), "sign-out", "", "");
    }
    let mut response = see_other("/admin/login");
    response.headers_mut().insert(header::SET_COOKIE, session::set_cookie(&state, None));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_expire_and_cannot_be_forged() {
        let key = b"k".repeat(32);
        let t = form_token(&key, 1000);
        assert!(token_ok(&key, &t, 1000 + 60));
        assert!(!token_ok(&key, &t, 1000 + FORM_SECONDS + 1));
        assert!(!token_ok(&key, &t, 900), "not from the future");
        assert!(!token_ok(b"other key", &t, 1000));
        assert!(!token_ok(&key, "1000.00", 1000));
        assert!(!token_ok(&key, "", 1000));
    }

    #[test]
    fn next_is_kept_local() {
        assert_eq!(safe_next("/admin/items?kind=news"), "/admin/items?kind=news");
        assert_eq!(safe_next("/admin/items?q=日本"), "/admin/items?q=日本", "escaped when sent");
        for bad in [
            "https://evil.example/",
            "//evil.example/admin/",
            "/en/",
            "/admin/\\\\evil",
            "",
            "/admin/../%2Fevil.example%23/search",
            "/admin/%2e%2e/%2Fevil.example",
            "/admin/./../x",
            "/admin//evil.example",
            "/admin/%2F%2Fevil.example",
            "/admin/\u{1}",
            "/admin/\r\nSet-Cookie: x=1",
        ] {
            assert_eq!(safe_next(bad), "/admin/", "{bad}");
        }
    }
}
