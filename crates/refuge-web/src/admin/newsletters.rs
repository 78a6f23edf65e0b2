//! Newsletters: written in Markdown, previewed, numbered per language,
//! sent once to the confirmed subscribers of a language and topic through
//! the outbox, then archived on the public site.

use crate::admin::paths::To;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use http::StatusCode;
use refuge_app::release::Field;
use refuge_core::redaction::{PublicText, Redaction};
use refuge_core::{Language, MailKind, Newsletter};
use refuge_render::Dep;
use refuge_render::routes::Route;
use serde::Serialize;

use super::lang_name;
use super::{Admin, Answer, Page, audit, see_other};
use crate::AppState;
use crate::form::FormData;
use refuge_core::subscribers::{TOPICS, Topic};

#[derive(Serialize)]
struct Row {
    id: i64,
    lang: String,
    number: i64,
    title: String,
    topic: Topic,
    sent: bool,
}

#[derive(Serialize, Default)]
struct Draft {
    id: Option<i64>,
    lang: String,
    topic: Topic,
    title: String,
    body: String,
    sent: bool,
}

/// The mail text of a draft, as it will be sent (its number and archive
/// address are those it will get).
fn preview_text(state: &AppState, draft: &Draft) -> String {
    let lang = Language::parse(&draft.lang).unwrap_or_else(|_| state.site.default_language().clone());
    let t = state.site.strings(&lang);
    // A preview: when the number cannot be read it shows the next one
    // the list suggests, and the log says why.
    let stored = draft.id.map(|id| state.reads.newsletter(id)).transpose().unwrap_or_else(|e| {
        tracing::error!(error = %e, "could not read a newsletter for its preview");
        None
    });
    let number = match stored.flatten() {
        Some(n) => n.number,
        None => match state.reads.newsletters(Some(&lang), false) {
            Ok(list) => list.iter().map(|n| n.number).max().unwrap_or(0) + 1,
            Err(e) => {
                tracing::error!(error = %e, "could not number a newsletter's preview");
                1
            }
        },
    };
    let heading = t.get("newsletter_issue").replace("{number}", &number.to_string());
    let subject = format!("{heading}: {}", Redaction::hidden(lang.as_str()).cow(&draft.title));
    let archive = state.site.url(&Route::newsletter(&lang, Some(number)));
    crate::outgoing::newsletter_text(state, &lang, &subject, &draft.body, &archive)
}

fn page(
    state: &AppState,
    admin: &Admin,
    draft: Draft,
    preview: bool,
    notice: Option<String>,
    error: Option<String>,
) -> Response {
    let rows: Vec<Row> = state
        .reads
        .newsletters(None, false)
        .unwrap_or_default()
        .into_iter()
        .map(|n| Row {
            id: n.id,
            lang: n.lang.to_string(),
            number: n.number,
            title: n.title,
            topic: n.topic,
            sent: n.sent_at.is_some(),
        })
        .collect();
    let [pending, sent, failed, unknown] = match state.reads.outbox_counts() {
        Ok(counts) => counts,
        Err(e) => return super::store_failed(state, admin, "outbox counts", e),
    };
    let languages: Vec<(String, String)> =
        state.site.languages().iter().map(|l| (l.to_string(), lang_name(state, &admin.t, l))).collect();
    let values = minijinja::context! {
        rows => minijinja::value::Serde(rows),
        // What subscribers get: the plain text of the mail.
        preview_text => preview.then(|| preview_text(state, &draft)),
        draft => minijinja::value::Serde(&draft),
        languages => minijinja::value::Serde(languages),
        topics => minijinja::value::Serde(TOPICS),
        // The site's other addresses, to write to the list when they change.
        has_addresses => !state.site.config().addresses.others(&state.site.config().base_url).is_empty(),
        outbox => minijinja::context! { pending => pending, sent => sent, failed => failed, unknown => unknown },
    };
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Page::new(admin, "admin/newsletters.html", "newsletters", admin.t.get("admin_newsletters").into())
        .notice(notice)
        .error(error)
        .status(status)
        .render(state, &admin.lang, values)
}

fn draft_of(n: &Newsletter) -> Draft {
    Draft {
        id: Some(n.id),
        lang: n.lang.to_string(),
        topic: n.topic,
        title: n.title.clone(),
        body: n.body.clone(),
        sent: n.sent_at.is_some(),
    }
}

pub async fn list(State(state): State<AppState>, admin: Admin, RawQuery(raw): RawQuery) -> Response {
    let asked = crate::form::pairs(raw.as_deref().unwrap_or_default(), 4)
        .into_iter()
        .find(|(k, _)| k == "addresses")
        .and_then(|(_, v)| Language::parse(&v).ok())
        .filter(|l| state.site.languages().contains(l));
    let preview = asked.is_some();
    let draft = match asked {
        // "Our new addresses": a draft in that language listing every
        // address of the site, to check, preview and send as any issue.
        Some(lang) => addresses_draft(&state, &lang),
        None => Draft { lang: admin.lang.to_string(), topic: Topic::News, ..Draft::default() },
    };
    page(&state, &admin, draft, preview, None, None)
}

/// An issue telling the list where the site can be read: the main site,
/// each mirror and the onion address, in the readers' language.
fn addresses_draft(state: &AppState, lang: &Language) -> Draft {
    let t = state.site.strings(lang);
    let config = state.site.config();
    let addresses = &config.addresses;
    let main = if addresses.main.is_empty() { config.base_url.clone() } else { addresses.main.clone() };
    let mut body = format!("{}\n\n- <{main}/> — {}\n", t.get("mirrors_mail_intro"), t.get("mirrors_main"));
    for mirror in &addresses.mirrors {
        body.push_str(&format!("- <{}> — {}\n", mirror.link(), t.get("mirrors_copy")));
    }
    if let Some(onion) = &addresses.onion {
        body.push_str(&format!("- <{}/> — {}\n", onion.trim_end_matches('/'), t.get("mirrors_onion")));
    }
    body.push_str(&format!("\n{}\n", t.get("mirrors_keep")));
    Draft {
        lang: lang.to_string(),
        topic: Topic::News,
        title: t.get("mirrors_title").to_owned(),
        body,
        ..Draft::default()
    }
}

pub async fn edit(State(state): State<AppState>, admin: Admin, Path(id): Path<String>) -> Answer {
    let n = super::found(&state, &admin, "newsletter", state.reads.newsletter(super::number(&state, &admin, &id)?))?;
    Ok(page(&state, &admin, draft_of(&n), true, None, None))
}

/// Saves (or previews) a new issue or an unsent one.
pub async fn save(State(state): State<AppState>, admin: Admin, form: FormData) -> Response {
    let lang = Language::parse(form.get("lang")).ok().filter(|l| state.site.languages().contains(l));
    let topic = Topic::parse(form.get("topic")).unwrap_or(Topic::News);
    let draft = Draft {
        id: form.get("id").parse().ok(),
        lang: lang.as_ref().map(Language::to_string).unwrap_or_default(),
        topic,
        title: form.get("title").to_owned(),
        body: form.get("body").replace("\r\n", "\n"),
        sent: false,
    };
    let Some(lang) = lang else {
        return page(&state, &admin, draft, false, None, Some(admin.t.get("admin_errors").into()));
    };
    if super::intent(&form) == "preview" {
        return page(&state, &admin, draft, true, None, None);
    }
    let (app, user) = (state.app.clone(), admin.session.user.clone());
    let (id, title, body) = (draft.id, draft.title.clone(), draft.body.clone());
    let saved = super::run_case(move || app.save_newsletter(&user, id, &lang, topic, &title, &body)).await;
    match saved {
        Ok(n) => see_other(&To::Newsletter(n.id).path()),
        Err(e) => page(&state, &admin, draft, false, None, Some(super::explain_app(&admin, "newsletters", &e))),
    }
}

/// The subject and text of an issue, as subscribers get them.
fn mail_of(state: &AppState, n: &Newsletter) -> (PublicText, PublicText) {
    let t = state.site.strings(&n.lang);
    let number = t.get("newsletter_issue").replace("{number}", &n.number.to_string());
    let subject = format!("{number}: {}", Redaction::hidden(n.lang.as_str()).cow(&n.title));
    let archive = state.site.url(&Route::newsletter(&n.lang, Some(n.number)));
    let body = crate::outgoing::newsletter_text(state, &n.lang, &subject, &n.body, &archive);
    let hidden = Redaction::hidden(n.lang.as_str());
    (hidden.apply(&subject), hidden.apply(&body))
}

/// The name guard for an issue about to be mailed (or test-mailed) and
/// put in the public archive.
fn guard(state: &AppState, n: &Newsletter) -> Result<(), refuge_app::AppError> {
    let own = format!("newsletter:{}", n.id);
    let fields = [(Field::Subject, n.title.as_str()), (Field::Body, n.body.as_str())];
    refuge_app::release::check_texts(&*state.reads, n.lang.as_str(), |s| s == own, &fields, false)
}

/// Sends an issue: one mail per confirmed subscriber, never twice.
pub async fn send(State(state): State<AppState>, admin: Admin, Path(id): Path<String>, form: FormData) -> Answer {
    let n = super::found(&state, &admin, "newsletter", state.reads.newsletter(super::number(&state, &admin, &id)?))?;
    if n.sent_at.is_some() {
        let text = admin.t.get("admin_newsletter_sent").to_owned();
        return Ok(page(&state, &admin, draft_of(&n), false, Some(text), None));
    }
    if let Err(e) = guard(&state, &n) {
        return Ok(page(
            &state,
            &admin,
            draft_of(&n),
            false,
            None,
            Some(super::explain_app(&admin, "newsletters", &e)),
        ));
    }
    if !super::confirmed(&form) {
        return Ok(confirm_send(&state, &admin, &n));
    }
    let mail_list = |n: &Newsletter| {
        let (subject, body) = mail_of(&state, n);
        // Newsletters are never deleted, so their ids are never handed out again.
        let key = refuge_core::DedupeKey::of_lasting(refuge_core::Purpose::Newsletter, n.id);
        crate::outgoing::to_list(&state, MailKind::Newsletter, &n.lang, n.topic, &key, &subject, &body)
    };
    match state.app.send_newsletter(&admin.session.user, n.id, mail_list) {
        Ok(sent) => {
            state.invalidate(&[Dep::Newsletters(sent.issue.lang.clone())]);
            let notice = admin.t.get("admin_newsletter_queued").replace("{count}", &sent.queued.to_string());
            Ok(page(&state, &admin, draft_of(&sent.issue), false, Some(notice), None))
        }
        // Not marked sent: sending again goes on where this one stopped.
        Err(e) => {
            Ok(page(&state, &admin, draft_of(&n), false, None, Some(super::explain_app(&admin, "newsletters", &e))))
        }
    }
}

/// Says what sending will do: how many will receive it, that it goes to
/// the public archive for good, whether mail can leave at all.
fn confirm_send(state: &AppState, admin: &Admin, n: &Newsletter) -> Response {
    let t = &admin.t;
    let count = match state.reads.confirmed_subscribers(&n.lang, n.topic) {
        Ok(list) => list.len(),
        Err(e) => {
            tracing::error!(error = %e, "could not count the subscribers");
            return super::message(state, admin, StatusCode::INTERNAL_SERVER_ERROR, "error_text");
        }
    };
    let topic = t.get(&format!("subscribe_{}", n.topic.as_str())).to_owned();
    let who = if count == 0 { t.get("admin_send_nobody") } else { t.get("admin_send_count") }
        .replace("{count}", &count.to_string())
        .replace("{language}", &lang_name(state, &admin.t, &n.lang))
        .replace("{topic}", &topic);
    let mut details =
        vec![who, t.get("admin_send_archive").replace("{path}", &Route::newsletter(&n.lang, Some(n.number)))];
    if state.config.smtp.is_none() {
        details.push(t.get("admin_no_mail_server").to_owned());
    }
    super::Confirm {
        title: t.get("admin_newsletter_send").to_owned(),
        question: t.get("admin_send_question").replace("{number}", &n.number.to_string()).replace("{title}", &n.title),
        details,
        action: To::NewsletterSend(n.id).path(),
        confirm_label: t.get("admin_send_confirm").replace("{count}", &count.to_string()),
        cancel_href: To::Newsletter(n.id).path(),
        extra: Some((To::NewsletterTest(n.id).path(), t.get("admin_send_test").replace("{email}", admin.email()))),
        ..super::Confirm::default()
    }
    .render(state, admin, "newsletters")
}

/// Sends the issue to the signed-in editor only, marked as a test.
pub async fn test_send(State(state): State<AppState>, admin: Admin, Path(id): Path<String>) -> Answer {
    let n = super::found(&state, &admin, "newsletter", state.reads.newsletter(super::number(&state, &admin, &id)?))?;
    if let Err(e) = guard(&state, &n) {
        return Ok(page(&state, &admin, draft_of(&n), true, None, Some(super::explain_app(&admin, "newsletters", &e))));
    }
    let (subject, body) = mail_of(&state, &n);
    let subject = format!("[{}] {subject}", admin.t.get("admin_test"));
    let dedupe = refuge_core::DedupeKey::once(refuge_core::Purpose::NewsletterTest);
    let mail = refuge_core::NewMail {
        dedupe: &dedupe,
        kind: MailKind::Other,
        lang: n.lang.as_str(),
        recipient: admin.email(),
        subject: &subject,
        body: body.as_str(),
        unsubscribe: "",
    };
    let t = &admin.t;
    let (notice, error) = if !crate::outgoing::queue(&state, &mail) {
        (None, Some(t.get("admin_save_failed").to_owned()))
    } else if state.config.smtp.is_none() {
        let text = format!(
            "{} {}",
            t.get("admin_test_queued").replace("{email}", admin.email()),
            t.get("admin_no_mail_server")
        );
        (Some(text), None)
    } else {
        (Some(t.get("admin_test_queued").replace("{email}", admin.email())), None)
    };
    audit(&state, admin.email(), "test newsletter", &format!("{} no. {}", n.lang, n.number), "");
    Ok(page(&state, &admin, draft_of(&n), true, notice, error))
}
