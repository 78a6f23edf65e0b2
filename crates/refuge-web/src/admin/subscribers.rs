//! `/admin/subscribers`: the mailing list as its owners manage it.
//!
//! Editors see the counts; admins find an address, see how and when it
//! joined, change its topics, send its confirmation again, remove it (its
//! salted hash stays on the suppression list, so an import cannot bring it
//! back) and download the list. Addresses are personal data: the pages are
//! `no-store` (as the whole back office), and the audit log names the
//! action with a masked address only.

use crate::admin::paths::To;
use axum::body::Body;
use axum::extract::{Multipart, Path, RawQuery, State};
use axum::response::Response;
use http::{HeaderValue, StatusCode, header};
use refuge_core::subscribers::{ListDefaults, ParsedList, TOPICS, all_topics, chosen_topics, parse_csv, to_csv};
use refuge_core::{Language, SubscriberRecord, SubscriberState};
use serde::Serialize;

use super::lang_name;
use super::{Admin, Page, audit, not_found};
use crate::AppState;
use crate::form::{FormData, pairs};

#[derive(Serialize)]
struct CountRow {
    lang: String,
    topic: String,
    counts: Vec<u64>,
}

#[derive(Serialize)]
struct RecordView {
    id: i64,
    email: String,
    lang: String,
    lang_name: String,
    topics: Vec<String>,
    state: &'static str,
    state_label: String,
    source: String,
    joined: String,
    confirmed: Option<String>,
    last_sent: Option<String>,
    bounces: u32,
}

fn view(state: &AppState, admin: &Admin, r: SubscriberRecord) -> RecordView {
    let lang = Language::parse(&r.lang).ok();
    RecordView {
        id: r.id,
        lang_name: lang.as_ref().map_or_else(|| r.lang.clone(), |l| lang_name(state, &admin.t, l)),
        email: r.email,
        lang: r.lang,
        topics: r.topics.iter().map(|t| admin.t.get(&format!("subscribe_{t}")).to_owned()).collect(),
        state: r.state.as_str(),
        state_label: admin.t.get(&format!("admin_subscriber_{}", r.state.as_str())).to_owned(),
        source: match r.source.as_str() {
            "form" => admin.t.get("admin_subscriber_source_form").to_owned(),
            other => other.to_owned(),
        },
        joined: admin.zone.show(r.joined_at),
        confirmed: r.confirmed_at.map(|t| admin.zone.show(t)),
        last_sent: r.last_sent_at.map(|t| admin.zone.show(t)),
        bounces: r.bounces,
    }
}

/// The counts' columns, the one that matters most first (on a phone it
/// was pushed off the screen).
const SHOWN: [SubscriberState; 4] =
    [SubscriberState::Confirmed, SubscriberState::Waiting, SubscriberState::Bouncing, SubscriberState::Unsubscribed];

fn counts(state: &AppState, admin: &Admin, all: &[refuge_core::SubscriberCount]) -> Vec<CountRow> {
    let mut rows = Vec::new();
    for lang in state.site.languages() {
        for topic in TOPICS {
            let counts = SHOWN
                .iter()
                .map(|s| {
                    all.iter()
                        .filter(|c| c.lang == lang.as_str() && c.topic == topic && c.state == *s)
                        .map(|c| c.count)
                        .sum()
                })
                .collect();
            rows.push(CountRow { lang: lang_name(state, &admin.t, lang), topic: topic.to_owned(), counts });
        }
    }
    rows
}

fn list_page(state: &AppState, admin: &Admin, query: &str, notice: Option<String>, error: Option<String>) -> Response {
    // A list or a search the database cannot give is a failure page,
    // never "nobody".
    let all = match state.reads.subscriber_counts() {
        Ok(all) => all,
        Err(e) => return super::store_failed(state, admin, "subscriber counts", e),
    };
    let found: Vec<RecordView> = if admin.is_admin() && !query.trim().is_empty() {
        match state.reads.find_subscribers(query, 100) {
            Ok(list) => list.into_iter().map(|r| view(state, admin, r)).collect(),
            Err(e) => return super::store_failed(state, admin, "subscriber search", e),
        }
    } else {
        Vec::new()
    };
    let states: Vec<String> =
        SHOWN.iter().map(|s| admin.t.get(&format!("admin_subscriber_{}", s.as_str())).to_owned()).collect();
    let values = minijinja::context! {
        counts => minijinja::value::Serde(counts(state, admin, &all)),
        states => states,
        query => query,
        searched => !query.trim().is_empty(),
        found => minijinja::value::Serde(found),
        can_manage => admin.is_admin(),
        languages => state.site.languages().iter().map(|l| (l.to_string(), lang_name(state, &admin.t, l))).collect::<Vec<_>>(),
        topic_names => TOPICS.iter().map(|t| ((*t).to_owned(), admin.t.get(&format!("subscribe_{t}")).to_owned())).collect::<Vec<_>>(),
    };
    Page::new(admin, "admin/subscribers.html", "subscribers", admin.t.get("admin_subscribers").into())
        .notice(notice)
        .error(error)
        .render(state, &admin.lang, values)
}

pub async fn list(State(state): State<AppState>, admin: Admin, RawQuery(raw): RawQuery) -> Response {
    let query = pairs(raw.as_deref().unwrap_or_default(), 5).into_iter().find(|(k, _)| k == "q").map(|(_, v)| v);
    list_page(&state, &admin, &query.unwrap_or_default().chars().take(254).collect::<String>(), None, None)
}

/// The subscription an admin opens: admins only, and it must exist.
fn viewing(state: &AppState, admin: &Admin, id: &str) -> Result<SubscriberRecord, Box<Response>> {
    let found = match id.parse::<i64>() {
        Ok(id) => state.reads.subscriber_record(id),
        Err(_) => Ok(None),
    };
    match found {
        Ok(Some(record)) => Ok(record),
        Ok(None) => Err(Box::new(not_found(state, admin))),
        Err(e) => Err(Box::new(super::store_failed(state, admin, "subscription", e))),
    }
}

fn detail_page(state: &AppState, admin: &Admin, record: SubscriberRecord, notice: Option<String>) -> Response {
    let topics: Vec<(String, String, bool)> = TOPICS
        .iter()
        .map(|t| {
            ((*t).to_owned(), admin.t.get(&format!("subscribe_{t}")).to_owned(), record.topics.iter().any(|x| x == t))
        })
        .collect();
    // Every language this address is subscribed in.
    let others: Vec<RecordView> = state
        .reads
        .find_subscribers(&record.email, 20)
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.email.eq_ignore_ascii_case(&record.email) && r.id != record.id)
        .map(|r| view(state, admin, r))
        .collect();
    let waiting = record.state == SubscriberState::Waiting;
    let values = minijinja::context! {
        r => minijinja::value::Serde(view(state, admin, record)),
        others => minijinja::value::Serde(others),
        topics => topics,
        waiting => waiting,
    };
    Page::new(admin, "admin/subscriber.html", "subscribers", admin.t.get("admin_subscribers").into())
        .notice(notice)
        .render(state, &admin.lang, values)
}

pub async fn show(State(state): State<AppState>, admin: Admin, Path(id): Path<String>) -> Response {
    let record = match viewing(&state, &admin, &id) {
        Ok(record) => record,
        Err(response) => return *response,
    };
    detail_page(&state, &admin, record, None)
}

/// The confirmation step before a removal: what will happen.
pub async fn remove_form(State(state): State<AppState>, admin: Admin, Path(id): Path<String>) -> Response {
    let record = match viewing(&state, &admin, &id) {
        Ok(record) => record,
        Err(response) => return *response,
    };
    let question = admin.t.get("admin_subscriber_remove_question").replace("{email}", &record.email);
    super::Confirm {
        title: admin.t.get("admin_subscriber_remove").to_owned(),
        question,
        action: To::SubscriberRemove(record.id).path(),
        confirm_label: admin.t.get("admin_subscriber_remove").to_owned(),
        cancel_href: To::Subscriber(record.id).path(),
        ..super::Confirm::default()
    }
    .render(&state, &admin, "subscribers")
}

pub async fn remove(State(state): State<AppState>, admin: Admin, Path(id): Path<String>) -> Response {
    let record = match viewing(&state, &admin, &id) {
        Ok(record) => record,
        Err(response) => return *response,
    };
    match state.app.remove_address(&admin.session.user, &record.email) {
        Ok(_) => {
            let notice = admin.t.get("admin_subscriber_removed").replace("{email}", &record.email);
            list_page(&state, &admin, "", Some(notice), None)
        }
        Err(e) => {
            tracing::error!(error = %e, "could not remove a subscriber");
            list_page(&state, &admin, "", None, Some(admin.t.get("admin_try_again").into()))
        }
    }
}

pub async fn topics(State(state): State<AppState>, admin: Admin, Path(id): Path<String>, form: FormData) -> Response {
    let record = match viewing(&state, &admin, &id) {
        Ok(record) => record,
        Err(response) => return *response,
    };
    let chosen = chosen_topics(form.values("topic"));
    if chosen.is_empty() {
        let mut page = detail_page(&state, &admin, record, None);
        *page.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return page;
    }
    if let Err(e) = state.app.set_subscriber_topics(&admin.session.user, record.id, &record.email, &chosen) {
        return list_page(&state, &admin, "", None, Some(super::explain_app(&admin, "subscribers", &e)));
    }
    let record = match state.reads.subscriber_record(record.id) {
        Ok(Some(record)) => record,
        Ok(None) => return not_found(&state, &admin),
        Err(e) => return super::store_failed(&state, &admin, "subscription", e),
    };
    detail_page(&state, &admin, record, Some(admin.t.get("admin_saved").into()))
}

pub async fn confirm_again(State(state): State<AppState>, admin: Admin, Path(id): Path<String>) -> Response {
    let record = match viewing(&state, &admin, &id) {
        Ok(record) => record,
        Err(response) => return *response,
    };
    let sub = match state.reads.waiting_subscription(record.id) {
        Ok(sub) => sub,
        Err(e) => return super::store_failed(&state, &admin, "subscription", e),
    };
    let (Some(sub), Ok(lang)) = (sub, Language::parse(&record.lang)) else {
        return detail_page(&state, &admin, record, Some(admin.t.get("admin_subscriber_not_waiting").into()));
    };
    crate::outgoing::confirmation(&state, &lang, &sub, None);
    // Recorded as sent now, so the form's once-an-hour rule counts it.
    if let Err(e) = state.app.confirmation_sent_again(&admin.session.user, sub.id, &record.email) {
        tracing::error!(error = %e, "could not record a confirmation mail");
    }
    detail_page(&state, &admin, record, Some(admin.t.get("admin_subscriber_confirmation_sent").into()))
}

/// The list as CSV (admins only, audited, never cached).
pub async fn export(State(state): State<AppState>, admin: Admin) -> Response {
    let records = match state.reads.export_subscribers(None, None, None) {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(error = %e, "could not export the subscribers");
            return list_page(&state, &admin, "", None, Some(admin.t.get("admin_try_again").into()));
        }
    };
    audit(&state, admin.email(), "export subscribers", "", &format!("{} subscriptions", records.len()));
    let mut response = Response::new(Body::from(to_csv(&records)));
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    h.insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment; filename=\"subscribers.csv\""));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// An uploaded list waiting for the admin's go-ahead.
pub struct PendingImport {
    user: i64,
    parsed: ParsedList,
    source: String,
    reconfirm: bool,
    at: std::time::Instant,
}

/// How long a reviewed list may wait for its import.
const PENDING_FOR: std::time::Duration = std::time::Duration::from_secs(30 * 60);

#[derive(Serialize)]
struct PreviewRow {
    line: usize,
    email: String,
    lang: String,
    topics: String,
}

/// Step one: the file is read and checked, nothing is stored; the page
/// shows the first rows and every problem, and a button to import.
// Long on purpose: an import's steps in order (read, parse, check, keep for review, show).
pub async fn import_upload(State(state): State<AppState>, admin: Admin, mut multipart: Multipart) -> Response {
    let mut fields = Vec::new();
    let mut text = None;
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or_default().to_owned();
                if name == "file" {
                    match field.bytes().await {
                        Ok(bytes) => text = Some(String::from_utf8(bytes.to_vec())),
                        Err(_) => {
                            return list_page(
                                &state,
                                &admin,
                                "",
                                None,
                                Some(admin.t.get("admin_import_unreadable").into()),
                            );
                        }
                    }
                } else {
                    fields.push((name, field.text().await.unwrap_or_default()));
                }
            }
            Ok(None) => break,
            Err(_) => return list_page(&state, &admin, "", None, Some(admin.t.get("admin_import_unreadable").into())),
        }
    }
    let form = FormData(fields);
    let text = match text {
        Some(Ok(t)) => t,
        Some(Err(_)) => return list_page(&state, &admin, "", None, Some(admin.t.get("admin_import_not_utf8").into())),
        None => return list_page(&state, &admin, "", None, Some(admin.t.get("admin_import_unreadable").into())),
    };
    let Some(lang) = Language::parse(form.get("lang")).ok().filter(|l| state.site.languages().contains(l)) else {
        return list_page(&state, &admin, "", None, Some(admin.t.get("admin_errors").into()));
    };
    let mut topics = chosen_topics(form.values("topic"));
    if topics.is_empty() {
        topics = all_topics();
    }
    // Rows in a language the site does not have: the one chosen, or left out.
    let other = Language::parse(form.get("other_lang")).ok().filter(|l| state.site.languages().contains(l));
    let defaults = ListDefaults {
        lang: &lang,
        topics: &topics,
        languages: state.site.languages(),
        other_language: other.as_ref(),
    };
    let parsed = parse_csv(text.trim_start_matches('\u{feff}'), &defaults);
    let source = match form.get("source").trim() {
        "" => "imported list".to_owned(),
        s => s.chars().take(100).collect(),
    };
    let reconfirm = form.get("reconfirm") == "1";
    let rows: Vec<PreviewRow> = parsed
        .rows
        .iter()
        .take(10)
        .map(|(line, r)| PreviewRow {
            line: *line,
            email: r.email.clone(),
            lang: lang_name(&state, &admin.t, &r.lang),
            topics: r
                .topics
                .iter()
                .map(|t| admin.t.get(&format!("subscribe_{t}")).to_owned())
                .collect::<Vec<_>>()
                .join(", "),
        })
        .collect();
    let problems: Vec<(usize, String)> = parsed.skipped.iter().map(|s| (s.line, s.reason.clone())).collect();
    let count = parsed.rows.len();
    let ignored = parsed.ignored_columns.join(", ");
    let key = super::session::random_hex(16);
    {
        let mut pending = state.memory.pending_imports.lock().unwrap_or_else(|p| p.into_inner());
        pending.retain(|_, p| p.at.elapsed() < PENDING_FOR);
        pending.insert(
            key.clone(),
            PendingImport {
                user: admin.session.user.id,
                parsed,
                source: source.clone(),
                reconfirm,
                at: std::time::Instant::now(),
            },
        );
    }
    let values = minijinja::context! {
        key => key,
        rows => minijinja::value::Serde(rows),
        problems => problems,
        ignored => ignored,
        count => count,
        source => source,
        reconfirm => reconfirm,
    };
    Page::new(&admin, "admin/subscribers_import.html", "subscribers", admin.t.get("admin_import_review").into()).render(
        &state,
        &admin.lang,
        values,
    )
}

/// Step two: the reviewed list is imported; the report says what happened.
pub async fn import_confirm(State(state): State<AppState>, admin: Admin, form: FormData) -> Response {
    let pending = {
        let mut pending = state.memory.pending_imports.lock().unwrap_or_else(|p| p.into_inner());
        // Another account's list stays where it is.
        let ours = pending.get(form.get("key")).is_some_and(|p| p.user == admin.session.user.id);
        if ours { pending.remove(form.get("key")).filter(|p| p.at.elapsed() < PENDING_FOR) } else { None }
    };
    let Some(pending) = pending else {
        return list_page(&state, &admin, "", None, Some(admin.t.get("admin_import_expired").into()));
    };
    let app = state.app.clone();
    let done = crate::blocking::run(move || {
        let mut token = || super::session::random_hex(16);
        app.import_subscribers(&pending.parsed, &pending.source, !pending.reconfirm, &mut token, &mut |_| {})
            .map(|report| (report, pending.source))
    })
    .await;
    match done {
        Ok(Ok((report, source))) => {
            audit(&state, admin.email(), "import subscribers", &source, &report.summary());
            let notice = admin.t.get("admin_import_done").replace("{report}", &report.summary());
            list_page(&state, &admin, "", Some(notice), None)
        }
        Ok(Err(e)) => {
            tracing::error!(error = %e, "an import failed");
            list_page(&state, &admin, "", None, Some(admin.t.get("admin_try_again").into()))
        }
        Err(e) => {
            tracing::error!(error = %e, "an import task failed");
            list_page(&state, &admin, "", None, Some(admin.t.get("admin_try_again").into()))
        }
    }
}
