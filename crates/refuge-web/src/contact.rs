//! `/{lang}/contact/`: the contact form. Spam defence without any third
//! party: a hidden field only robots fill, a signed time stamp (a person
//! takes more than a few seconds), a per-client limit, size limits, and a
//! refusal of link-stuffed text. Whenever a genuine writer is turned back,
//! the page says what to do and keeps what they wrote. Accepted messages
//! are sealed to the organisation's key before they are stored.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Extension;
use axum::extract::{ConnectInfo, FromRequest, Multipart, Path, Request, State};
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use refuge_core::Language;
use refuge_inbox::Message;
use refuge_render::contact::{CATEGORIES, ContactForm};
use refuge_render::{CachedPage, Message as Page};

use crate::AppState;
use crate::error::message_response;
use crate::form::FormData;
use crate::public::send_page;

/// The shortest time a person takes to fill the form.
const MIN_SECONDS: i64 = 3;
/// How long a shown form stays valid.
const MAX_SECONDS: i64 = 24 * 60 * 60;
/// The longest message accepted, in characters.
const MAX_TEXT: usize = 20_000;
/// The largest attachment accepted.
pub const MAX_ATTACHMENT: usize = 5 * 1024 * 1024;

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

fn mac(key: &[u8], time: i64) -> String {
    refuge_core::digest::hmac_sha256_hex(key, format!("contact-form:{time}").as_bytes())
}

fn token(key: &[u8]) -> String {
    let t = now();
    format!("{t}.{}", mac(key, t))
}

/// The age in seconds of a genuine token.
fn token_age(key: &[u8], token: &str) -> Option<i64> {
    let (time, given) = token.split_once('.')?;
    let time: i64 = time.parse().ok()?;
    crate::admin::session::same(given, &mac(key, time)).then(|| now() - time)
}

fn language(state: &AppState, lang: &str) -> Option<Language> {
    Language::parse(lang).ok().filter(|l| state.site.languages().contains(l))
}

fn render(state: &AppState, lang: &Language, form: &ContactForm, status: StatusCode, headers: &HeaderMap) -> Response {
    match state.site.contact_page(lang, form, status.as_u16()) {
        Ok(Some(page)) => {
            let page = CachedPage::dynamic(page.status, page.content_type, page.body, false, false);
            let mut response = send_page(&page, headers);
            response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Ok(None) => message_response(state, lang, Page::NotFound, headers),
        Err(e) => crate::WebError::Render(e).respond(state, lang, headers),
    }
}

pub async fn show(State(state): State<AppState>, Path(lang): Path<String>, headers: HeaderMap) -> Response {
    let Some(lang) = language(&state, &lang) else {
        return message_response(&state, &crate::public::language_for(&state, "/", &headers), Page::NotFound, &headers);
    };
    let form = ContactForm { token: token(&state.memory.form_key[..]), ..ContactForm::default() };
    render(&state, &lang, &form, StatusCode::OK, &headers)
}

/// Reads the form, urlencoded or multipart (with an attachment).
async fn read(request: Request, state: &AppState) -> Result<(FormData, Vec<(String, Vec<u8>)>), ()> {
    let multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if !multipart {
        return FormData::from_request(request, state).await.map(|f| (f, Vec::new())).map_err(|_| ());
    }
    let mut parts = Multipart::from_request(request, state).await.map_err(|_| ())?;
    let mut fields = Vec::new();
    let mut files = Vec::new();
    while let Ok(Some(field)) = parts.next_field().await {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "attachment" {
            let file_name = field.file_name().unwrap_or_default().to_owned();
            let bytes = field.bytes().await.map_err(|_| ())?;
            if !bytes.is_empty() {
                files.push((file_name, bytes.to_vec()));
            }
        } else {
            fields.push((name, field.text().await.map_err(|_| ())?));
        }
    }
    Ok((FormData(fields), files))
}

// Long on purpose: the checks in the order readers and scanners must see them answered.
pub async fn submit(
    State(state): State<AppState>,
    Path(lang): Path<String>,
    info: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    request: Request,
) -> Response {
    let Some(lang) = language(&state, &lang) else { return StatusCode::NOT_FOUND.into_response() };
    let t = state.site.strings(&lang);
    let Ok((data, mut attachments)) = read(request, &state).await else {
        let form = ContactForm {
            token: token(&state.memory.form_key[..]),
            error: Some(t.get("contact_too_large").into()),
            ..ContactForm::default()
        };
        return render(&state, &lang, &form, StatusCode::PAYLOAD_TOO_LARGE, &headers);
    };
    let category = data.get("category");
    let mut form = ContactForm {
        token: token(&state.memory.form_key[..]),
        name: data.get("name").chars().take(200).collect(),
        reply_to: data.get("reply_to").trim().chars().take(254).collect(),
        category: CATEGORIES.iter().find(|c| **c == category).unwrap_or(&"other").to_string(),
        text: data.get("text").replace("\r\n", "\n"),
        join_list: data.get("join_list") == "1",
        error: None,
        sent: false,
    };
    let refuse = |form: &mut ContactForm, key: &str, status: StatusCode| {
        form.error = Some(t.get(key).into());
        render(&state, &lang, form, status, &headers)
    };
    // The form's signed token first: a forged or replayed form is told
    // so whatever else it carries (scanners compare these answers).
    match token_age(&state.memory.form_key[..], data.get("token")) {
        Some(age) if (MIN_SECONDS..=MAX_SECONDS).contains(&age) => {}
        Some(age) if age < MIN_SECONDS => {
            return refuse(&mut form, "contact_too_fast", StatusCode::UNPROCESSABLE_ENTITY);
        }
        _ => return refuse(&mut form, "contact_expired", StatusCode::UNPROCESSABLE_ENTITY),
    }
    // Robots fill the field people cannot see: a polite refusal, nothing kept.
    if !data.get("website").is_empty() {
        form.text.clear();
        return refuse(&mut form, "contact_rejected", StatusCode::UNPROCESSABLE_ENTITY);
    }
    let client = info.map_or(std::net::IpAddr::from([0, 0, 0, 0]), |c| c.0.0.ip());
    if !state.limits.contact.allow(client) {
        let mut response = refuse(&mut form, "contact_too_many", StatusCode::TOO_MANY_REQUESTS);
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("600"));
        return response;
    }
    if let Err((key, status)) = policy(&form, &attachments) {
        return refuse(&mut form, key, status);
    }
    let attachment = attachments.pop();
    let recipient = match refuge_inbox::recipient(&state.config.data) {
        Ok(r) => r,
        Err(e) => {
            // Never store a message in clear: refuse, and tell the administrator.
            tracing::error!(error = %e, "a contact message was refused because the inbox has no key; run `refuge inbox keygen`");
            return refuse(&mut form, "contact_unavailable", StatusCode::SERVICE_UNAVAILABLE);
        }
    };
    let (attachment_name, attachment_bytes) = attachment.map_or((None, Vec::new()), |(n, b)| (Some(n), b));
    let message = Message {
        name: form.name.clone(),
        reply_to: form.reply_to.clone(),
        category: form.category.clone(),
        text: form.text.clone(),
        lang: lang.to_string(),
        join_list: form.join_list,
        attachment_name,
        attachment: attachment_bytes,
    };
    let store = state.store.clone();
    let category = form.category.clone();
    let lang_code = lang.to_string();
    let stored = crate::blocking::run(move || {
        let sealed = refuge_inbox::seal(&recipient, &message).map_err(|e| e.to_string())?;
        drop(message);
        store.add_message(&category, &lang_code, &sealed).map_err(|e| e.to_string())
    })
    .await
    .unwrap_or_else(|e| Err(format!("the sealing task failed: {e}")));
    match stored {
        Ok(_) => received(&state, &form, &lang, &headers),
        Err(e) => {
            tracing::error!(error = %e, "a contact message could not be stored");
            refuse(&mut form, "contact_unavailable", StatusCode::SERVICE_UNAVAILABLE)
        }
    }
}

/// What the site accepts in a message: some text, at most one file,
/// sizes within limits, few links. The reason's key and status otherwise.
fn policy(form: &ContactForm, attachments: &[(String, Vec<u8>)]) -> Result<(), (&'static str, StatusCode)> {
    if form.text.trim().is_empty() {
        return Err(("contact_empty", StatusCode::UNPROCESSABLE_ENTITY));
    }
    // One file per message: refused with the text kept, never a file
    // silently dropped.
    if attachments.len() > 1 {
        return Err(("contact_one_attachment", StatusCode::UNPROCESSABLE_ENTITY));
    }
    if form.text.chars().count() > MAX_TEXT || attachments.iter().any(|(_, b)| b.len() > MAX_ATTACHMENT) {
        return Err(("contact_too_large", StatusCode::PAYLOAD_TOO_LARGE));
    }
    let links = form.text.matches("http://").count()
        + form.text.matches("https://").count()
        + form.text.matches("www.").count();
    if links > 3 {
        return Err(("contact_links", StatusCode::UNPROCESSABLE_ENTITY));
    }
    Ok(())
}

/// A message is sealed and stored: staff are told, the sender's list
/// sign-up is asked for, the thanks page is shown.
fn received(state: &AppState, form: &ContactForm, lang: &Language, headers: &HeaderMap) -> Response {
    tracing::info!("a contact message was received and sealed");
    // Staff are told that something arrived — never what.
    crate::outgoing::staff_notice(state);
    // The "join the list" tick asks for news by mail, confirmed by the
    // usual link, so a stranger's address cannot be signed up.
    if form.join_list
        && let Ok(email) = refuge_core::Email::parse(&form.reply_to)
    {
        crate::mailing::request(state, &email, lang, &["news".to_owned()], "contact form");
    }
    state.wake.mail.notify_one();
    let sent = ContactForm { sent: true, ..ContactForm::default() };
    render(state, lang, &sent, StatusCode::OK, headers)
}

/// How long after which an unlocked inbox locks itself again.
pub const UNLOCK_FOR: Duration = Duration::from_secs(30 * 60);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_signed_and_timed() {
        let key = [7u8; 32];
        let t = token(&key);
        assert!(token_age(&key, &t).is_some_and(|a| a < 2));
        assert!(token_age(&[8u8; 32], &t).is_none());
        assert!(token_age(&key, "1.abc").is_none());
        assert!(token_age(&key, "").is_none());
    }
}
