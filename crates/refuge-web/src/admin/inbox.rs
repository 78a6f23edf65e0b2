//! The inbox (admins only). Messages stay sealed until an admin unlocks
//! the inbox with its passphrase; the key then lives in memory for that
//! session only, and is dropped at sign-out or after half an hour.

use crate::admin::paths::To;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::response::Response;
use http::{HeaderValue, StatusCode, header};
use refuge_app::inbox::{self, ReplyRefusal};
use refuge_inbox::Identity;
use serde::Serialize;

use super::{Admin, Page, audit, forbidden, iso, not_found, see_other};
use crate::AppState;
use crate::contact::UNLOCK_FOR;
use crate::form::FormData;

#[derive(Serialize)]
struct Row {
    id: i64,
    when: String,
    iso: String,
    size: String,
    category: String,
    lang: String,
    handled: bool,
}

/// The unlocked key of this session, if any (and not timed out).
fn key(state: &AppState, admin: &Admin) -> Option<Identity> {
    let mut unlocked = state.memory.unlocked.lock().unwrap_or_else(|p| p.into_inner());
    unlocked.retain(|_, (_, at)| at.elapsed() < UNLOCK_FOR);
    unlocked.get(&admin.id_hash).map(|(identity, _)| identity.clone())
}

/// A mail taken from the outbox as the sender must send it: a reply
/// sealed to the inbox key is opened with a key an admin of this server
/// has unlocked (`None` while none is); anything else as it is.
pub(crate) fn unseal(state: &AppState, mail: refuge_core::OutboxMail) -> Option<refuge_core::OutboxMail> {
    if !mail.body.starts_with(refuge_inbox::SEALED_TEXT) {
        return Some(mail);
    }
    let keys: Vec<Identity> = {
        let mut unlocked = state.memory.unlocked.lock().unwrap_or_else(|p| p.into_inner());
        unlocked.retain(|_, (_, at)| at.elapsed() < UNLOCK_FOR);
        unlocked.values().map(|(identity, _)| identity.clone()).collect()
    };
    let text = keys.iter().find_map(|key| refuge_inbox::open_text(key, &mail.body).ok())?;
    let mut parts = text.splitn(3, '\n');
    let (recipient, subject, body) = (parts.next()?, parts.next()?, parts.next()?);
    Some(refuge_core::OutboxMail {
        recipient: recipient.to_owned(),
        subject: subject.to_owned(),
        body: body.to_owned(),
        ..mail
    })
}

/// Drops the unlocked key of a session (sign-out).
pub fn forget(state: &AppState, id_hash: &str) {
    state.memory.unlocked.lock().unwrap_or_else(|p| p.into_inner()).remove(id_hash);
}

fn list(
    state: &AppState,
    admin: &Admin,
    notice: Option<String>,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let (messages, _) = match state.reads.messages(0, 500) {
        Ok(found) => found,
        Err(e) => return super::store_failed(state, admin, "inbox", e),
    };
    let t = &admin.t;
    let rows: Vec<Row> = messages
        .iter()
        .map(|m| Row {
            id: m.id,
            when: admin.zone.show(m.received_at),
            iso: iso(m.received_at),
            size: format!("{:.1} kB", m.size as f64 / 1024.0),
            category: t.get(&format!("contact_category_{}", m.category)).into(),
            lang: m.lang.clone(),
            handled: m.handled,
        })
        .collect();
    let values = minijinja::context! {
        rows => minijinja::value::Serde(rows),
        unlocked => key(state, admin).is_some(),
        has_key => refuge_inbox::has_key(&state.config.data),
        retention_days => state.config.message_retention.map(|d| d.as_secs() / 86_400),
    };
    Page::new(admin, "admin/inbox.html", "inbox", t.get("admin_inbox").into())
        .notice(notice)
        .error(error)
        .status(status)
        .render(state, &admin.lang, values)
}

pub async fn show(State(state): State<AppState>, admin: Admin) -> Response {
    list(&state, &admin, None, None, StatusCode::OK)
}

pub async fn unlock(State(state): State<AppState>, admin: Admin, form: FormData) -> Response {
    let dir = state.config.data.clone();
    let passphrase = form.get("passphrase").to_owned();
    match crate::blocking::run(move || refuge_inbox::unlock(&dir, &passphrase)).await {
        Ok(Ok(identity)) => {
            state
                .memory
                .unlocked
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(admin.id_hash.clone(), (identity, Instant::now()));
            audit(&state, admin.email(), "unlock inbox", "", "");
            list(&state, &admin, Some(admin.t.get("admin_inbox_unlocked").into()), None, StatusCode::OK)
        }
        Ok(Err(e)) => {
            audit(&state, admin.email(), "unlock inbox failed", "", "");
            list(&state, &admin, None, Some(e.to_string()), StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(e) => list(&state, &admin, None, Some(e.to_string()), StatusCode::INTERNAL_SERVER_ERROR),
    }
}

pub async fn lock(State(state): State<AppState>, admin: Admin) -> Response {
    forget(&state, &admin.id_hash);
    see_other("/admin/inbox")
}

fn open(state: &AppState, admin: &Admin, id: &str) -> Result<(i64, refuge_inbox::Message), Box<Response>> {
    if !admin.is_admin() {
        return Err(Box::new(forbidden(state, admin)));
    }
    let Some(identity) = key(state, admin) else { return Err(Box::new(see_other("/admin/inbox"))) };
    let id: i64 = id.parse().map_err(|_| Box::new(not_found(state, admin)))?;
    let sealed = super::found(state, admin, "message", state.reads.sealed_message(id)).map_err(|h| h.0)?;
    refuge_inbox::open(&identity, &sealed).map(|m| (id, m)).map_err(|e| {
        tracing::error!(error = %e, id, "a message could not be opened");
        Box::new(not_found(state, admin))
    })
}

pub async fn read(State(state): State<AppState>, admin: Admin, Path(id): Path<String>) -> Response {
    match open(&state, &admin, &id) {
        Ok((id, message)) => show_message(&state, &admin, id, message, Reply::default()),
        Err(response) => *response,
    }
}

/// What became of a reply being written, for the message page.
#[derive(Default)]
struct Reply {
    draft: String,
    notice: Option<String>,
    error: Option<String>,
    status: Option<StatusCode>,
}

fn show_message(state: &AppState, admin: &Admin, id: i64, message: refuge_inbox::Message, reply: Reply) -> Response {
    let t = &admin.t;
    let values = minijinja::context! {
        draft => reply.draft,
        no_mail_server => state.config.smtp.is_none(),
        can_reply => refuge_core::Email::parse(&message.reply_to).is_ok(),
        id => id,
        name => message.name,
        reply_to => message.reply_to,
        category => t.get(&format!("contact_category_{}", message.category)),
        text => message.text,
        message_lang => message.lang,
        join_list => message.join_list,
        attachment => message.attachment_name.filter(|_| !message.attachment.is_empty()),
    };
    Page::new(admin, "admin/inbox_message.html", "inbox", t.get("admin_inbox").into())
        .notice(reply.notice)
        .error(reply.error)
        .status(reply.status.unwrap_or(StatusCode::OK))
        .render(state, &admin.lang, values)
}

/// Answers a message by e-mail, in the writer's language, through the
/// outbox; the message is then marked handled. Only the reply is sent —
/// never the writer's own words — and the outbox forgets its text once
/// it is delivered.
pub async fn reply(State(state): State<AppState>, admin: Admin, Path(id): Path<String>, form: FormData) -> Response {
    let (id, message) = match open(&state, &admin, &id) {
        Ok(found) => found,
        Err(response) => return *response,
    };
    let draft = form.get("text").trim().to_owned();
    let t = &admin.t;
    let fail = |draft: String, key: &str| Reply {
        draft,
        error: Some(t.get(key).into()),
        status: Some(StatusCode::UNPROCESSABLE_ENTITY),
        ..Reply::default()
    };
    // Without a mail server a reply would only wait, in the outbox.
    if state.config.smtp.is_none() {
        return show_message(&state, &admin, id, message, fail(draft, "admin_reply_no_mail_server"));
    }
    let to = match inbox::check_reply(&message.reply_to, &draft) {
        Ok(to) => to,
        Err(ReplyRefusal::NoAddress) => {
            return show_message(&state, &admin, id, message, fail(draft, "admin_reply_no_address"));
        }
        Err(ReplyRefusal::Length) => {
            return show_message(&state, &admin, id, message, fail(draft, "admin_reply_length"));
        }
    };
    let lang = refuge_core::Language::parse(&message.lang)
        .ok()
        .filter(|l| state.site.languages().contains(l))
        .unwrap_or_else(|| state.site.default_language().clone());
    let strings = state.site.strings(&lang);
    let site_name = crate::outgoing::site_name(&state, &lang);
    let subject = strings.get("mail_reply_subject").replace("{site}", &site_name);
    let text = refuge_core::mail_text::wrap_plain(&draft.replace("\r\n", "\n"), lang.as_str());
    let body = format!("{text}\n\n-- \n{site_name}\n{}\n", state.site.url(&refuge_render::routes::Route::home(&lang)));
    // While it waits in the outbox, the reply (its address too) is sealed
    // to the inbox key like the message it answers; the sender opens it
    // with a key an admin has unlocked.
    let sealed = refuge_inbox::recipient(&state.config.data)
        .and_then(|key| refuge_inbox::seal_text(&key, &format!("{}\n{subject}\n{body}", to.as_str())));
    let sealed = match sealed {
        Ok(sealed) => sealed,
        Err(e) => {
            tracing::error!(error = %e, id, "a reply could not be sealed");
            return show_message(&state, &admin, id, message, fail(draft, "admin_reply_failed"));
        }
    };
    let dedupe = refuge_core::DedupeKey::once(refuge_core::Purpose::Reply);
    let mail = refuge_core::NewMail {
        dedupe: &dedupe,
        kind: refuge_core::MailKind::Reply,
        lang: lang.as_str(),
        recipient: "",
        subject: "",
        body: &sealed,
        unsubscribe: "",
    };
    if let Err(e) = state.app.queue_reply(&admin.session.user, id, &mail) {
        tracing::error!(error = %e, id, "a reply could not be queued");
        return show_message(&state, &admin, id, message, fail(draft, "admin_reply_failed"));
    }
    state.wake.mail.notify_one();
    let done = Reply { notice: Some(t.get("admin_reply_queued").to_owned()), ..Reply::default() };
    show_message(&state, &admin, id, message, done)
}

/// `Content-Disposition` for a download under a cleaned version of the
/// sender's file name: letters of any script, digits, spaces, `-`, `_`
/// and `.` kept (as `filename*`, UTF-8), an ASCII-only `filename` for old
/// clients, the extension kept when it is short and plain (else `.bin`).
/// The type stays `application/octet-stream`, so nothing opens by itself.
pub fn download_disposition(sent: &str) -> HeaderValue {
    let base = sent.rsplit(['/', '\\']).next().unwrap_or_default();
    let (stem, extension) = match base.rsplit_once('.') {
        Some((stem, ext)) if !ext.is_empty() && ext.len() <= 8 && ext.bytes().all(|b| b.is_ascii_alphanumeric()) => {
            (stem, ext.to_ascii_lowercase())
        }
        _ => (base, "bin".to_owned()),
    };
    let mut clean = String::new();
    for c in stem.chars() {
        let keep = c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | ' ');
        let c = if keep { c } else { '-' };
        if !(c == ' ' && clean.ends_with(' ')) {
            clean.push(c);
        }
        if clean.chars().count() >= 80 {
            break;
        }
    }
    let mut clean = clean.trim_matches(['-', '.', ' ']).to_owned();
    if clean.is_empty() {
        clean = "attachment".into();
    }
    let full = format!("{clean}.{extension}");
    let ascii = refuge_media::library::safe_name(&full, &extension);
    let encoded = percent_encoding::utf8_percent_encode(&full, percent_encoding::NON_ALPHANUMERIC);
    HeaderValue::from_str(&format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"))
        .unwrap_or(HeaderValue::from_static("attachment; filename=\"attachment.bin\""))
}

pub async fn attachment(State(state): State<AppState>, admin: Admin, Path(id): Path<String>) -> Response {
    let (_, message) = match open(&state, &admin, &id) {
        Ok(found) => found,
        Err(response) => return *response,
    };
    let disposition = download_disposition(message.attachment_name.as_deref().unwrap_or_default());
    let mut response = Response::new(Body::from(message.attachment));
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
    h.insert(header::CONTENT_DISPOSITION, disposition);
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The message number of an inbox action.
fn message_id(state: &AppState, admin: &Admin, id: &str) -> Result<i64, Box<Response>> {
    id.parse().map_err(|_| Box::new(not_found(state, admin)))
}

/// The inbox with what went wrong, in the admin's language (a message
/// gone is 404, a database failure 500, never "done").
fn refused(state: &AppState, admin: &Admin, e: &refuge_app::AppError) -> Response {
    list(state, admin, None, Some(super::explain_app(admin, "inbox", e)), super::app_status(e))
}

pub async fn handled(State(state): State<AppState>, admin: Admin, Path(id): Path<String>, form: FormData) -> Response {
    let id = match message_id(&state, &admin, &id) {
        Ok(id) => id,
        Err(response) => return *response,
    };
    match state.app.set_message_handled(&admin.session.user, id, form.get("handled") != "0") {
        Ok(()) => see_other("/admin/inbox"),
        Err(e) => refused(&state, &admin, &e),
    }
}

pub async fn delete(State(state): State<AppState>, admin: Admin, Path(id): Path<String>, form: FormData) -> Response {
    let id = match message_id(&state, &admin, &id) {
        Ok(id) => id,
        Err(response) => return *response,
    };
    if !super::confirmed(&form) {
        let t = &admin.t;
        return super::Confirm {
            title: t.get("admin_delete").to_owned(),
            question: t.get("admin_message_delete_question").to_owned(),
            details: vec![t.get("admin_message_delete_details").to_owned()],
            action: To::MessageDelete(id).path(),
            confirm_label: t.get("admin_delete").to_owned(),
            cancel_href: To::Message(id).path(),
            ..super::Confirm::default()
        }
        .render(&state, &admin, "inbox");
    }
    match state.app.delete_message(&admin.session.user, id) {
        Ok(refuge_core::Erasure::Complete) => {
            list(&state, &admin, Some(admin.t.get("admin_deleted").into()), None, StatusCode::OK)
        }
        Ok(refuge_core::Erasure::Pending) => {
            list(&state, &admin, Some(admin.t.get("admin_deleted_copy_pending").into()), None, StatusCode::OK)
        }
        Err(e) => refused(&state, &admin, &e),
    }
}

#[cfg(test)]
mod tests {
    use super::download_disposition;

    #[test]
    fn downloads_keep_a_cleaned_name() {
        let d = |name: &str| download_disposition(name).to_str().unwrap().to_owned();
        assert_eq!(d("scan.pdf"), "attachment; filename=\"scan.pdf\"; filename*=UTF-8''scan%2Epdf");
        let ja = d("C:\\Users\\kim\\証拠 写真 (1).JPG");
        assert!(ja.contains("filename*=UTF-8''%E8%A8%BC%E6%8B%A0%20%E5%86%99%E7%9C%9F%20%2D1%2Ejpg"), "{ja}");
        assert!(ja.contains("filename=\"") && ja.is_ascii());
        assert!(d("../../etc/passwd").contains("filename*=UTF-8''passwd%2Ebin"));
        assert!(d("evil\";\r\nX: y.exe").contains(".exe"), "the extension is kept, the name cleaned");
        assert!(!d("evil\";\r\nX: y.exe").contains('\r'));
        assert!(d("").contains("attachment.bin"));
        assert!(d("report.some-long-extension").ends_with("%2Ebin"));
    }
}
