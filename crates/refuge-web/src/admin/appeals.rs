//! The appeal parts of the editor: the facts of the case, addressees, and
//! the timeline of further information.

use axum::extract::{Path, State};
use http::StatusCode;
use refuge_app::release::Field as Shown;
use refuge_core::subscribers::Topic;
use refuge_core::{Addressee, AppealFacts, CaseStatus, Item, Kind, MailKind, StoreError};
use serde::Serialize;

use super::editor_form::FormView;
use super::items::may_edit;
use super::{Admin, Answer, Halt, audit, forbidden, found, not_found, number, read, see_other, store_failed};
use crate::AppState;
use crate::form::FormData;

/// The facts' form fields, in the order shown.
pub const FIELDS: [&str; 10] = [
    "number",
    "people_count",
    "people",
    "ages",
    "held_where",
    "held_since",
    "risk",
    "deadline",
    "what_to_do",
    "letter",
];

#[derive(Serialize)]
struct Field {
    name: &'static str,
    label: String,
    value: String,
    long: bool,
    /// `date` or `number` for those inputs, else `text`.
    input: &'static str,
}

#[derive(Serialize)]
struct Choice {
    value: &'static str,
    label: String,
}

#[derive(Serialize)]
struct UpdateRow {
    id: i64,
    date: String,
    text: String,
    source: String,
}

/// What the editor shows of an appeal.
#[derive(Serialize)]
pub struct AppealEditor {
    fields: Vec<Field>,
    statuses: Vec<Choice>,
    status: &'static str,
    names_public: bool,
    addressees: Vec<Addressee>,
    updates: Vec<UpdateRow>,
    today: String,
    /// What adding an update will do (mail the appeal's subscribers?).
    update_note: String,
}

fn value(facts: &AppealFacts, name: &str) -> String {
    match name {
        "number" => facts.number.clone(),
        "people_count" => facts.people_count.map(|n| n.to_string()).unwrap_or_default(),
        "people" => facts.people.clone(),
        "ages" => facts.ages.clone(),
        "held_where" => facts.held_where.clone(),
        "held_since" => facts.held_since.clone(),
        "risk" => facts.risk.clone(),
        "deadline" => facts.deadline.clone(),
        "what_to_do" => facts.action.clone(),
        _ => facts.letter.clone(),
    }
}

pub(crate) fn label_key(name: &str) -> &'static str {
    match name {
        "number" => "appeal_number",
        "people_count" => "appeal_people_count",
        "people" => "appeal_people",
        "ages" => "appeal_ages",
        "held_where" => "appeal_held_where",
        "held_since" => "appeal_held_since",
        "risk" => "appeal_risk",
        "deadline" => "appeal_deadline",
        "what_to_do" => "appeal_what_to_do",
        _ => "appeal_letter",
    }
}

/// What is wrong with the facts as typed, field by field: a deadline
/// that is not a date (it would never close the appeal), a number of
/// people that is not a number.
pub fn check(admin: &Admin, data: &FormData, errors: &mut super::editor_form::Errors) {
    let t = &admin.t;
    let deadline = data.get("deadline").trim();
    if !deadline.is_empty()
        && time::Date::parse(deadline, time::macros::format_description!("[year]-[month]-[day]")).is_err()
    {
        errors.deadline = Some(t.get("admin_deadline_invalid").to_owned());
    }
    let count = data.get("people_count").trim();
    if !count.is_empty() && count.parse::<u32>().is_err() {
        errors.people_count = Some(t.get("admin_count_invalid").to_owned());
    }
}

/// Reads the facts and addressees out of a posted form.
pub(crate) fn from_form(data: &FormData) -> (AppealFacts, Vec<Addressee>) {
    let facts = AppealFacts {
        number: data.get("number").trim().to_owned(),
        people_count: data.get("people_count").trim().parse().ok(),
        people: data.get("people").to_owned(),
        names_public: data.get("names_public") == "1",
        ages: data.get("ages").to_owned(),
        held_where: data.get("held_where").to_owned(),
        held_since: data.get("held_since").to_owned(),
        risk: data.get("risk").to_owned(),
        status: data.get("case_status").parse().ok(),
        // Not `action`: that name was the Preview and Save buttons', and
        // the first value won, so Preview saved (and published).
        action: data.get("what_to_do").replace("\r\n", "\n"),
        letter: data.get("letter").replace("\r\n", "\n"),
        deadline: data.get("deadline").trim().to_owned(),
    };
    let column = |name: &str| data.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.clone()).collect::<Vec<_>>();
    let (names, institutions, addresses, emails, faxes) = (
        column("addr_name"),
        column("addr_institution"),
        column("addr_address"),
        column("addr_email"),
        column("addr_fax"),
    );
    let get = |list: &[String], i: usize| list.get(i).cloned().unwrap_or_default();
    let addressees = (0..names.len())
        .map(|i| Addressee {
            name: get(&names, i),
            institution: get(&institutions, i),
            address: get(&addresses, i),
            email: get(&emails, i),
            fax: get(&faxes, i),
        })
        .filter(|a| !a.name.trim().is_empty())
        .collect();
    (facts, addressees)
}

/// The appeal part of the editor: as typed (`form.extra`), else as stored
/// for `item` (the appeal, or the source of a new translation).
pub fn editor_values(
    state: &AppState,
    admin: &Admin,
    item: Option<&Item>,
    existing: bool,
    form: &FormView,
    reads: &mut super::Reads,
) -> AppealEditor {
    let (facts, mut addressees) = if form.extra.is_empty() {
        match item {
            Some(i) => (
                reads.or_empty("appeal facts", state.store.appeal_facts(i.id)),
                reads.or_empty("addressees", state.store.addressees(i.id)),
            ),
            None => (AppealFacts::default(), Vec::new()),
        }
    } else {
        from_form(&FormData(form.extra.clone()))
    };
    addressees.extend((0..2).map(|_| Addressee::default()));
    let t = &admin.t;
    let now = time::OffsetDateTime::now_utc();
    AppealEditor {
        fields: FIELDS
            .iter()
            .map(|name| Field {
                name,
                label: t.get(label_key(name)).into(),
                value: value(&facts, name),
                long: matches!(*name, "what_to_do" | "letter"),
                input: match *name {
                    "deadline" => "date",
                    "people_count" => "number",
                    _ => "text",
                },
            })
            .collect(),
        statuses: CaseStatus::ALL
            .iter()
            .map(|s| Choice { value: s.as_str(), label: t.get(&format!("appeal_status_{}", s.as_str())).into() })
            .collect(),
        status: facts.status.unwrap_or(CaseStatus::AtRisk).as_str(),
        names_public: facts.names_public,
        addressees,
        updates: item
            .filter(|_| existing)
            .map(|i| reads.or_empty("appeal updates", state.store.appeal_updates(i.id)))
            .unwrap_or_default()
            .into_iter()
            .map(|u| UpdateRow { id: u.id, date: u.date, text: u.text, source: u.source })
            .collect(),
        today: format!("{:04}-{:02}-{:02}", now.year(), u8::from(now.month()), now.day()),
        update_note: update_note(state, admin, item.filter(|_| existing)),
    }
}

/// Says, before the click, whether adding an update mails subscribers.
fn update_note(state: &AppState, admin: &Admin, item: Option<&Item>) -> String {
    let t = &admin.t;
    let Some(item) = item.filter(|i| i.status == refuge_core::Status::Published) else {
        return t.get("admin_update_not_mailed").to_owned();
    };
    // A count that cannot be read is said so, never shown as nobody.
    let said = match state.store.confirmed_subscribers(&item.lang, Topic::Appeals) {
        Ok(list) => t.get("admin_update_mailed").replace("{count}", &list.len().to_string()),
        Err(e) => {
            tracing::error!(error = %e, "could not count the subscribers to appeals");
            t.get("admin_update_mailed_uncounted").to_owned()
        }
    };
    let mut note = said.replace("{language}", &super::items::lang_name(state, &admin.t, &item.lang));
    if state.config.smtp.is_none() {
        note.push(' ');
        note.push_str(t.get("admin_no_mail_server"));
    }
    note
}

/// The appeal at this address (404 for anything else; 503 when the
/// database failed).
fn load(state: &AppState, admin: &Admin, id: &str) -> Result<Item, Halt> {
    let id = number(state, admin, id)?;
    let item = found(state, admin, "appeal", state.store.item(id))?;
    if item.kind == Kind::Appeal { Ok(item) } else { Err(not_found(state, admin).into()) }
}

/// Mails an update of a published appeal to the language's appeal
/// subscribers; how many were queued.
fn mail_update(state: &AppState, item: &Item, update: &refuge_core::AppealUpdate) -> Result<usize, StoreError> {
    let t = state.site.strings(&item.lang);
    let facts = state.store.appeal_facts(item.id)?;
    let shown = refuge_core::redaction::Redaction { lang: item.lang.as_str(), names_public: facts.names_public };
    let title = refuge_core::redaction::Redaction::hidden(item.lang.as_str()).apply(&item.title).into_string();
    let base = state.site.config().base_url.clone();
    let text = refuge_core::mail_text::to_mail_text(&update.text, &base, shown);
    let url = state.site.url(&format!("{}#update-{}", item.path(), update.id));
    let heading = refuge_core::mail_text::wrap_plain(&title, item.lang.as_str());
    let body = format!("{heading}\n{}\n\n{text}\n\n{url}", update.date);
    let subject = t.get("mail_appeal_subject").replace("{title}", &title);
    // A random key per update: an update added after another was deleted
    // may get its id, never its mailing.
    let key = refuge_core::DedupeKey::once(refuge_core::Purpose::AppealUpdate);
    // Every piece is public already; the mail is made public text as a whole.
    let (subject, body) = (shown.apply(&subject), shown.apply(&body));
    crate::outgoing::to_list(state, MailKind::AppealUpdate, &item.lang, Topic::Appeals, &key, &subject, &body)
}

/// Publishes a timeline entry ("further information").
pub async fn add_update(State(state): State<AppState>, admin: Admin, Path(id): Path<String>, data: FormData) -> Answer {
    let item = load(&state, &admin, &id)?;
    if !may_edit(&admin, &item) {
        return Ok(forbidden(&state, &admin));
    }
    let date = data.get("date").trim();
    let facts = read(&state, &admin, "appeal facts", state.store.appeal_facts(item.id))?;
    let fields = [(Shown::Timeline, data.get("text")), (Shown::TimelineSource, data.get("source"))];
    let own = format!("item:{}", item.id);
    let lang = item.lang.as_str();
    if let Err(e) = refuge_app::release::check_texts(&*state.store, lang, |s| s == own, &fields, facts.names_public) {
        let text = super::explain_app(&admin, "appeal update", &e);
        let kept = format!("{}\n\n{}", data.get("text"), data.get("source"));
        let back = format!("/admin/items/{}", item.id);
        return Ok(super::message_kept(&state, &admin, StatusCode::UNPROCESSABLE_ENTITY, &text, kept.trim(), &back));
    }
    let update = match state.store.add_appeal_update(item.id, date, data.get("text"), data.get("source")) {
        Ok(update) => update,
        Err(StoreError::Invalid(_)) => {
            // The two things the form can get wrong, said in the editor's language.
            let key =
                if data.get("text").trim().is_empty() { "admin_update_needs_text" } else { "admin_update_bad_date" };
            return Ok(super::message(&state, &admin, StatusCode::UNPROCESSABLE_ENTITY, key));
        }
        Err(e) => return Err(store_failed(&state, &admin, "appeal update", e).into()),
    };
    state.item_changed(Some(&item), Some(&item));
    // Further information goes to everyone subscribed to appeals in this
    // language, once each.
    let mut notice = "saved";
    if item.status == refuge_core::Status::Published {
        match mail_update(&state, &item, &update) {
            Ok(queued) => tracing::info!(queued, "appeal update mailed to subscribers"),
            Err(e) => {
                // The update is published; the editor is told its mail is not on its way.
                tracing::error!(error = %e, "an appeal update could not be mailed");
                notice = "saved_not_mailed";
            }
        }
    }
    audit(&state, admin.email(), "appeal update", &format!("appeal {} ({})", item.id, item.lang), &update.date);
    Ok(see_other(&format!("/admin/items/{}?notice={notice}", item.id)))
}

/// Removes a timeline entry of this appeal; a failure says so.
pub async fn delete_update(
    State(state): State<AppState>,
    admin: Admin,
    Path((id, update)): Path<(String, String)>,
) -> Answer {
    let item = load(&state, &admin, &id)?;
    let update = number(&state, &admin, &update)?;
    let updates = read(&state, &admin, "appeal updates", state.store.appeal_updates(item.id))?;
    if !updates.iter().any(|u| u.id == update) {
        return Ok(not_found(&state, &admin));
    }
    if let Err(e) = state.store.delete_appeal_update(update) {
        return Err(store_failed(&state, &admin, "deleting an appeal update", e).into());
    }
    state.item_changed(Some(&item), Some(&item));
    audit(&state, admin.email(), "delete appeal update", &format!("appeal {} ({})", item.id, item.lang), "");
    Ok(see_other(&format!("/admin/items/{}?notice=saved", item.id)))
}
