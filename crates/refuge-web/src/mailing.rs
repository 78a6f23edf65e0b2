//! The mailing list: sign-up with double opt-in per language and topic,
//! confirmation links, one-click unsubscribe (RFC 8058). No tracking pixels,
//! no rewritten links: the mails are plain text.

use std::net::SocketAddr;

use axum::Extension;
use axum::extract::{ConnectInfo, Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use refuge_core::{Email, Language};
use refuge_render::CachedPage;

use crate::AppState;
use crate::admin::session::random_hex;
use crate::form::{FormData, pairs};
use crate::public::send_page;

/// The shortest time between two confirmation mails to one sign-up.
const CONFIRM_EVERY: time::Duration = time::Duration::hours(1);

/// Topics one can subscribe to.
pub const TOPICS: [&str; 2] = ["news", "appeals"];

fn page(
    state: &AppState,
    lang: &Language,
    heading: &str,
    text: &str,
    status: StatusCode,
    headers: &HeaderMap,
) -> Response {
    match state.site.notice_page(lang, heading, text, status.as_u16()) {
        Ok(p) => {
            let mut response = send_page(&CachedPage::dynamic(p.status, p.content_type, p.body, false, false), headers);
            response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(e) => crate::WebError::Render(e).respond(state, lang, headers),
    }
}

fn language(state: &AppState, lang: &str) -> Option<Language> {
    Language::parse(lang).ok().filter(|l| state.site.languages().contains(l))
}

fn token_from(query: Option<&str>) -> String {
    pairs(query.unwrap_or_default(), 5).into_iter().find(|(k, _)| k == "token").map(|(_, v)| v).unwrap_or_default()
}

/// Queues one mail for each confirmed subscriber of `lang` and `topic`;
/// `key` makes each (mail, subscriber) pair unique, so nothing is queued
/// twice. Returns how many were queued.
pub fn notify_list(state: &AppState, lang: &Language, topic: &str, key: &str, subject: &str, body: &str) -> usize {
    let subscribers = match state.store.confirmed_subscribers(lang, topic) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "could not read the mailing list");
            return 0;
        }
    };
    let t = state.site.strings(lang);
    let mut queued = 0;
    for s in subscribers {
        let unsubscribe = state.site.url(&format!("/{lang}/unsubscribe/?token={}", s.token));
        let full = format!("{body}\n\n-- \n{}\n{unsubscribe}\n", t.get("mail_unsubscribe_line"));
        if state.store.enqueue(&format!("{key}:{}", s.id), &s.email, subject, &full, &unsubscribe).unwrap_or(false) {
            queued += 1;
        }
    }
    state.mail.notify_one();
    queued
}

pub async fn subscribe(
    State(state): State<AppState>,
    Path(lang): Path<String>,
    info: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    form: FormData,
) -> Response {
    let Some(lang) = language(&state, &lang) else { return StatusCode::NOT_FOUND.into_response() };
    let client = info.map_or(std::net::IpAddr::from([0, 0, 0, 0]), |c| c.0.0.ip());
    if !state.subscribe_limiter.allow(client) {
        return page(&state, &lang, "too_many_title", "too_many_text", StatusCode::TOO_MANY_REQUESTS, &headers);
    }
    if !form.get("website").is_empty() {
        return page(&state, &lang, "subscribe_title", "subscribe_check_mail", StatusCode::OK, &headers);
    }
    let Ok(email) = Email::parse(form.get("email")) else {
        return page(
            &state,
            &lang,
            "subscribe_title",
            "subscribe_bad_address",
            StatusCode::UNPROCESSABLE_ENTITY,
            &headers,
        );
    };
    let mut topics: Vec<String> =
        form.0.iter().filter(|(k, v)| k == "topic" && TOPICS.contains(&v.as_str())).map(|(_, v)| v.clone()).collect();
    topics.dedup();
    if topics.is_empty() {
        topics = TOPICS.iter().map(|t| (*t).to_owned()).collect();
    }
    request(&state, &email, &lang, &topics);
    // The same answer whether or not the address was already on the list.
    page(&state, &lang, "subscribe_title", "subscribe_check_mail", StatusCode::OK, &headers)
}

/// Records a wish to subscribe and, unless the address is already
/// confirmed, mails the link that confirms it (double opt-in). Used by the
/// subscribe form and by the contact form's "join the list" tick.
pub(crate) fn request(state: &AppState, email: &Email, lang: &Language, topics: &[String]) {
    let sub = match state.store.subscribe(email.as_str(), lang, topics, &random_hex(24)) {
        Ok(sub) if !sub.confirmed => sub,
        Ok(_) => return,
        Err(e) => {
            tracing::error!(error = %e, "could not store a subscription");
            return;
        }
    };
    // Signing up again while unconfirmed sends the link again (it may have
    // been lost), but at most once an hour, so the form cannot be used to
    // flood someone's mailbox.
    match state.store.claim_confirmation(sub.id, CONFIRM_EVERY) {
        Ok(true) => {}
        Ok(false) => return,
        Err(e) => {
            tracing::error!(error = %e, "could not record a confirmation mail");
            return;
        }
    }
    let t = state.site.strings(lang);
    let link = state.site.url(&format!("/{lang}/subscribe/confirm/?token={}", sub.token));
    let body = format!("{}\n\n{link}\n\n{}", t.get("mail_confirm_body"), t.get("mail_confirm_ignore"));
    // Sending at most once an hour is decided above; the key only has to
    // be new for ever (never an earlier mail's, even after rows are
    // deleted and their ids reused), so it is random.
    let key = format!("confirm:{}", random_hex(16));
    match state.store.enqueue(&key, &sub.email, t.get("mail_confirm_subject"), &body, "") {
        Ok(_) => state.mail.notify_one(),
        Err(e) => tracing::error!(error = %e, "could not queue a confirmation mail"),
    }
}

pub async fn confirm(
    State(state): State<AppState>,
    Path(lang): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let Some(lang) = language(&state, &lang) else { return StatusCode::NOT_FOUND.into_response() };
    match state.store.confirm_subscription(&token_from(query.as_deref())) {
        Ok(Some(_)) => page(&state, &lang, "subscribe_title", "subscribe_confirmed", StatusCode::OK, &headers),
        _ => page(&state, &lang, "subscribe_title", "subscribe_link_expired", StatusCode::NOT_FOUND, &headers),
    }
}

pub async fn unsubscribe_page(
    State(state): State<AppState>,
    Path(lang): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let Some(lang) = language(&state, &lang) else { return StatusCode::NOT_FOUND.into_response() };
    let token = token_from(query.as_deref());
    let Some(subscriber) = state.store.subscriber_by_token(&token).ok().flatten() else {
        return page(&state, &lang, "unsubscribe_title", "unsubscribe_done", StatusCode::OK, &headers);
    };
    match state.site.unsubscribe_form(&lang, &token, &subscriber.topics) {
        Ok(p) => send_page(&CachedPage::dynamic(p.status, p.content_type, p.body, false, false), &headers),
        Err(e) => crate::WebError::Render(e).respond(&state, &lang, &headers),
    }
}

/// One click (RFC 8058 `List-Unsubscribe=One-Click`), the page's
/// button, or its topic choices (no topic left: unsubscribed).
pub async fn unsubscribe(
    State(state): State<AppState>,
    Path(lang): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    form: FormData,
) -> Response {
    let Some(lang) = language(&state, &lang) else { return StatusCode::NOT_FOUND.into_response() };
    let token = token_from(query.as_deref());
    if form.get("action") == "save" {
        let mut topics: Vec<String> = TOPICS
            .iter()
            .filter(|t| form.0.iter().any(|(k, v)| k == "topic" && v == *t))
            .map(|t| (*t).to_owned())
            .collect();
        topics.dedup();
        if !topics.is_empty() {
            return match state.store.set_topics(&token, &topics) {
                Ok(true) => page(&state, &lang, "manage_title", "manage_saved", StatusCode::OK, &headers),
                _ => page(&state, &lang, "unsubscribe_title", "subscribe_link_expired", StatusCode::OK, &headers),
            };
        }
    }
    let _ = state.store.unsubscribe(&token);
    page(&state, &lang, "unsubscribe_title", "unsubscribe_done", StatusCode::OK, &headers)
}
