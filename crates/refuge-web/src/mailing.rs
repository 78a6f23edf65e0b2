//! The mailing list: sign-up with double opt-in per language and topic,
//! confirmation links, one-click unsubscribe (RFC 8058). No tracking pixels,
//! no rewritten links: the mails are plain text.

use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use refuge_app::AppError;
use refuge_app::subscriptions::Managed;
use refuge_core::subscribers::{all_topics, chosen_topics};
use refuge_core::{Email, Language};
use refuge_render::{CachedPage, RenderError, Rendered};

use crate::AppState;
use crate::form::{FormData, pairs};
use crate::send::send_page;

/// A notice page whose text is the string `text_key`.
fn page(
    state: &AppState,
    lang: &Language,
    heading: &str,
    text_key: &str,
    status: StatusCode,
    headers: &HeaderMap,
) -> Response {
    let text = state.site.strings(lang).get(text_key).to_owned();
    page_text(state, lang, heading, &text, status, headers)
}

/// A notice page with its text as given.
fn page_text(
    state: &AppState,
    lang: &Language,
    heading: &str,
    text: &str,
    status: StatusCode,
    headers: &HeaderMap,
) -> Response {
    private_page(state, lang, state.site.notice_page_text(lang, heading, text, status.as_u16()), headers)
}

/// Sends a page rendered for this request only. These pages may carry a
/// subscriber's secret: no cache ever stores them.
fn private_page(
    state: &AppState,
    lang: &Language,
    rendered: Result<Rendered, RenderError>,
    headers: &HeaderMap,
) -> Response {
    match rendered {
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

pub async fn subscribe(
    State(state): State<AppState>,
    Path(lang): Path<String>,
    info: refuge_edge::ClientAddr,
    headers: HeaderMap,
    form: FormData,
) -> Response {
    let Some(lang) = language(&state, &lang) else { return StatusCode::NOT_FOUND.into_response() };
    let client = info.0;
    if !state.limits.subscribe.allow(client) {
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
    let mut topics = chosen_topics(form.values("topic"));
    if topics.is_empty() {
        topics = all_topics();
    }
    if let Err(e) = request(&state, &email, &lang, &topics, "form") {
        // Never "check your mail" for a mail that will not come.
        tracing::error!(error = %e, "could not store a subscription");
        return crate::WebError::Task("the subscription could not be stored".into()).respond(&state, &lang, &headers);
    }
    // The same answer whether or not the address was already on the list.
    page(&state, &lang, "subscribe_title", "subscribe_check_mail", StatusCode::OK, &headers)
}

/// Records a wish to subscribe and, unless the address is already
/// confirmed, mails the link that confirms it (double opt-in). Used by the
/// subscribe form and by the contact form's "join the list" tick.
pub(crate) fn request(
    state: &AppState,
    email: &Email,
    lang: &Language,
    topics: &[String],
    source: &str,
) -> Result<(), AppError> {
    let text = crate::outgoing::ConfirmationText::new(state, lang);
    let mail = |sub: &refuge_core::Subscriber| text.mail(sub, None);
    if state.app.request_subscription(email, lang, topics, source, &mail)?.is_some() {
        state.wake.mail.notify_one();
    }
    Ok(())
}

/// The confirmation link opens a page with a button: link scanners and
/// previews that open every link confirm nothing.
pub async fn confirm_page(
    State(state): State<AppState>,
    Path(lang): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let Some(lang) = language(&state, &lang) else { return StatusCode::NOT_FOUND.into_response() };
    let token = token_from(query.as_deref());
    let waiting = match state.reads.subscriber_by_token(&token) {
        Ok(found) => found.is_some_and(|s| !s.confirmed),
        // "Try again", never "your link expired".
        Err(e) => return crate::WebError::Store(e).respond(&state, &lang, &headers),
    };
    if !waiting {
        return page(&state, &lang, "subscribe_title", "subscribe_link_expired", StatusCode::NOT_FOUND, &headers);
    }
    private_page(&state, &lang, state.site.confirm_form(&lang, &token), &headers)
}

/// The button: confirms, then welcomes.
pub async fn confirm(
    State(state): State<AppState>,
    Path(lang): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let Some(lang) = language(&state, &lang) else { return StatusCode::NOT_FOUND.into_response() };
    match state.app.confirm_subscription(&token_from(query.as_deref())) {
        Ok(Some(sub)) => {
            crate::outgoing::welcome(&state, &lang, &sub);
            page(&state, &lang, "subscribe_title", "subscribe_confirmed", StatusCode::OK, &headers)
        }
        Ok(None) => page(&state, &lang, "subscribe_title", "subscribe_link_expired", StatusCode::NOT_FOUND, &headers),
        Err(e) => {
            tracing::error!(error = %e, "could not confirm a subscription");
            crate::WebError::Task("the subscription could not be confirmed".into()).respond(&state, &lang, &headers)
        }
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
    let found = match state.reads.subscriber_by_token(&token) {
        Ok(found) => found,
        Err(e) => return crate::WebError::Store(e).respond(&state, &lang, &headers),
    };
    let Some(subscriber) = found else {
        return page(&state, &lang, "unsubscribe_title", "unsubscribe_done", StatusCode::OK, &headers);
    };
    private_page(&state, &lang, state.site.unsubscribe_form(&lang, &token, &subscriber.topics), &headers)
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
    // The list a mail's one-click link names (news, appeals) is left
    // alone; the page's "leave" button ends everything; its topic choices
    // change it (no topic left: it ends).
    let list = pairs(query.as_deref().unwrap_or_default(), 5)
        .into_iter()
        .find(|(k, _)| k == "list")
        .and_then(|(_, v)| refuge_core::subscribers::Topic::parse(&v));
    let topics = if form.get("action") == "save" {
        Some(chosen_topics(form.values("topic")))
    } else if let Some(list) = list {
        match state.reads.subscriber_by_token(&token) {
            Ok(Some(sub)) => Some(sub.topics.into_iter().filter(|t| t != list.as_str()).collect()),
            Ok(None) => None,
            Err(e) => return crate::WebError::Store(e).respond(&state, &lang, &headers),
        }
    } else {
        None
    };
    match state.app.manage_subscription(&token, topics.as_deref()) {
        Ok(Managed::TopicsSaved) if list.is_some() && form.get("action") != "save" => {
            let t = state.site.strings(&lang);
            let name = t.get(&format!("subscribe_{}", list.map(|l| l.as_str()).unwrap_or_default())).to_owned();
            let text = t.get("unsubscribe_list_done").replace("{list}", &name);
            page_text(&state, &lang, "unsubscribe_title", &text, StatusCode::OK, &headers)
        }
        Ok(Managed::TopicsSaved) => page(&state, &lang, "manage_title", "manage_saved", StatusCode::OK, &headers),
        Ok(Managed::UnknownLink) => {
            page(&state, &lang, "unsubscribe_title", "subscribe_link_expired", StatusCode::OK, &headers)
        }
        Ok(Managed::Left) => page(&state, &lang, "unsubscribe_title", "unsubscribe_done", StatusCode::OK, &headers),
        Err(e) => {
            tracing::error!(error = %e, "could not change a subscription");
            crate::WebError::Task("the subscription could not be changed".into()).respond(&state, &lang, &headers)
        }
    }
}
