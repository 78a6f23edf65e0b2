//! `/{lang}/contact/`: the contact form. Spam defence without any third
//! party: a hidden field only robots fill, a signed time stamp (a person
//! takes more than a few seconds), a per-client limit, size limits, and a
//! refusal of link-stuffed text. Whenever a genuine writer is turned back,
//! the page says what to do and keeps what they wrote. Accepted messages
//! are sealed to the organisation's key before they are stored.

use std::time::Duration;

use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use refuge_app::contact::{self, ContactError, Received, Refusal, Submission};
use refuge_core::Language;
use refuge_render::contact::{CATEGORIES, ContactForm};
use refuge_render::{CachedPage, Message as Page};

use crate::AppState;
use crate::error::message_response;
use crate::form::FormData;
use crate::send::send_page;

/// The shortest time a person takes to fill the form.
const MIN_SECONDS: i64 = 3;
/// How long a shown form stays valid.
const MAX_SECONDS: i64 = 24 * 60 * 60;
pub use refuge_app::contact::MAX_ATTACHMENT;

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

fn mac(key: &[u8], time: i64, nonce: &str) -> String {
    refuge_core::digest::hmac_sha256_hex(key, format!("contact-form:{time}:{nonce}").as_bytes())
}

/// A shown form's token: when it was shown, a random part (so every form
/// shown is a different one, spent once), and their signature.
fn token(key: &[u8]) -> String {
    let t = now();
    let nonce = refuge_core::secret::random_hex(8);
    format!("{t}.{nonce}.{}", mac(key, t, &nonce))
}

/// The age in seconds of a genuine token.
fn token_age(key: &[u8], token: &str) -> Option<i64> {
    let mut parts = token.splitn(3, '.');
    let (time, nonce, given) = (parts.next()?, parts.next()?, parts.next()?);
    let time: i64 = time.parse().ok()?;
    crate::admin::session::same(given, &mac(key, time, nonce)).then(|| now() - time)
}

fn language(state: &AppState, lang: &str) -> Option<Language> {
    Language::parse(lang).ok().filter(|l| state.site.languages().contains(l))
}

fn render(state: &AppState, lang: &Language, form: &ContactForm, status: StatusCode, headers: &HeaderMap) -> Response {
    match state.site.contact_page(lang, form, status.as_u16()) {
        Ok(page) => {
            let page = CachedPage::dynamic(page.status, page.content_type, page.body, false, false);
            let mut response = send_page(&page, headers);
            response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
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
    info: refuge_edge::ClientAddr,
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
    let client = info.0;
    if !state.limits.contact.allow(client) {
        let mut response = refuse(&mut form, "contact_too_many", StatusCode::TOO_MANY_REQUESTS);
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("600"));
        return response;
    }
    let submission = Submission {
        name: form.name.clone(),
        reply_to: form.reply_to.clone(),
        category: form.category.clone(),
        text: form.text.clone(),
        lang: Some(lang.clone()),
        join_list: form.join_list,
        attachments: std::mem::take(&mut attachments),
    };
    if let Err(why) = contact::check(&submission) {
        let (key, status) = refusal(why);
        return refuse(&mut form, key, status);
    }
    // Each shown form sends one message (on any server): a token sent
    // again is answered as an expired one, with the text kept and a new
    // form. Spent once the message is known to be acceptable, so a reader
    // told to shorten it sends the same form again.
    let spent = refuge_core::digest::hmac_sha256_hex(&state.memory.form_key[..], data.get("token").as_bytes());
    let (store, until) = (state.limits.once.clone(), now() + MAX_SECONDS);
    match crate::blocking::run(move || store.spend_once(&spent, until)).await {
        Ok(Ok(true)) => {}
        Ok(Ok(false)) => return refuse(&mut form, "contact_expired", StatusCode::UNPROCESSABLE_ENTITY),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "could not spend a contact form's token");
            return refuse(&mut form, "contact_unavailable", StatusCode::SERVICE_UNAVAILABLE);
        }
        Err(e) => {
            tracing::error!(error = %e, "the token task failed");
            return refuse(&mut form, "contact_unavailable", StatusCode::SERVICE_UNAVAILABLE);
        }
    }
    let (app, data) = (state.app.clone(), state.config.data.clone());
    let kept = crate::blocking::run(move || app.submit_message(&data, submission)).await;
    match kept {
        Ok(Ok(received)) => thanks(&state, received, &lang, &headers),
        Ok(Err(ContactError::Refused(why))) => {
            let (key, status) = refusal(why);
            refuse(&mut form, key, status)
        }
        Ok(Err(e)) => {
            // Never stored in clear: refused, and the administrator is told
            // in the log (without a key: run `refuge inbox keygen`).
            tracing::error!(error = %e, "a contact message could not be kept");
            refuse(&mut form, "contact_unavailable", StatusCode::SERVICE_UNAVAILABLE)
        }
        Err(e) => {
            tracing::error!(error = %e, "the sealing task failed");
            refuse(&mut form, "contact_unavailable", StatusCode::SERVICE_UNAVAILABLE)
        }
    }
}

/// The writer's explanation of a refusal, and its status.
fn refusal(why: Refusal) -> (&'static str, StatusCode) {
    match why {
        Refusal::Empty => ("contact_empty", StatusCode::UNPROCESSABLE_ENTITY),
        Refusal::OneAttachment => ("contact_one_attachment", StatusCode::UNPROCESSABLE_ENTITY),
        Refusal::TooLarge => ("contact_too_large", StatusCode::PAYLOAD_TOO_LARGE),
        Refusal::Links => ("contact_links", StatusCode::UNPROCESSABLE_ENTITY),
    }
}

/// A message is sealed and stored: staff are told, the sender's list
/// sign-up is asked for, the thanks page is shown.
fn thanks(state: &AppState, received: Received, lang: &Language, headers: &HeaderMap) -> Response {
    tracing::info!("a contact message was received and sealed");
    // Staff are told that something arrived — never what.
    crate::outgoing::staff_notice(state);
    // The "join the list" tick asks for news by mail, confirmed by the
    // usual link, so a stranger's address cannot be signed up. It is made
    // later, at a random moment, as any sign-up: nothing in the database
    // (its source, its times) links it to the message.
    if let Some(email) = received.join_list {
        let (state, lang) = (state.clone(), lang.clone());
        let delay = join_list_delay(state.config.join_list_delay);
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            let signed_up = crate::blocking::run(move || {
                crate::mailing::request(&state, &email, &lang, &["news".to_owned()], "form")?;
                state.wake.mail.notify_one();
                Ok::<_, refuge_app::AppError>(())
            })
            .await;
            if let Err(e) = signed_up.map_err(|e| e.to_string()).and_then(|r| r.map_err(|e| e.to_string())) {
                // The message is kept, and says they asked.
                tracing::error!(error = %e, "could not store the sign-up asked for with a contact message");
            }
        });
    }
    state.wake.mail.notify_one();
    let sent = ContactForm { sent: true, ..ContactForm::default() };
    render(state, lang, &sent, StatusCode::OK, headers)
}

/// When a contact-form writer's list sign-up is made: a random moment
/// between a quarter of `longest` and `longest` from now.
fn join_list_delay(longest: Duration) -> Duration {
    let least = longest / 4;
    let spread = (longest - least).as_millis() as u64;
    let random = u64::from_le_bytes(refuge_core::secret::random_bytes::<8>());
    least + Duration::from_millis(random.checked_rem(spread).unwrap_or(0))
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
