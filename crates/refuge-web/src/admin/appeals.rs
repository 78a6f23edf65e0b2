//! The appeal parts of the editor: the facts of the case, addressees, and
//! the timeline of further information.

use crate::admin::paths::{Notice, To};
use axum::extract::{Path, State};
use http::StatusCode;
use refuge_core::subscribers::Topic;
use refuge_core::{Addressee, AppealFacts, AppealUpdate, CaseStatus, Item, Language, MailKind, StoreError};
use serde::Serialize;

use super::editor_form::FormView;
use super::{Admin, Answer, number, see_other};
use crate::AppState;
use crate::form::FormData;

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
    /// A translator's entry waiting for an editor's approval.
    pending: bool,
}

/// An entry of another language version this one has no translation of.
#[derive(Serialize)]
struct ToTranslate {
    id: i64,
    date: String,
    lang: String,
    lang_name: String,
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
    to_translate: Vec<ToTranslate>,
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
                reads.or_empty("appeal facts", state.reads.appeal_facts(i.id)),
                reads.or_empty("addressees", state.reads.addressees(i.id)),
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
        fields: super::editor_form::APPEAL_FIELDS
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
            .map(|i| reads.or_empty("appeal updates", state.reads.all_appeal_updates(i.id)))
            .unwrap_or_default()
            .into_iter()
            .map(|u| UpdateRow { id: u.id, date: u.date, text: u.text, source: u.source, pending: u.pending })
            .collect(),
        to_translate: item
            .filter(|_| existing)
            .map(|i| reads.or_empty("appeal updates", refuge_app::appeals::to_translate(&*state.reads, i)))
            .unwrap_or_default()
            .into_iter()
            .map(|(lang, u)| ToTranslate {
                id: u.id,
                date: u.date,
                lang: lang.tag(),
                lang_name: super::lang_name(state, t, &lang),
                text: u.text,
                source: u.source,
            })
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
    let said = match state.reads.confirmed_subscribers(&item.lang, Topic::Appeals) {
        Ok(list) => t.get("admin_update_mailed").replace("{count}", &list.len().to_string()),
        Err(e) => {
            tracing::error!(error = %e, "could not count the subscribers to appeals");
            t.get("admin_update_mailed_uncounted").to_owned()
        }
    };
    let mut note = said.replace("{language}", &super::lang_name(state, &admin.t, &item.lang));
    if state.config.smtp.is_none() {
        note.push(' ');
        note.push_str(t.get("admin_no_mail_server"));
    }
    note
}

/// Mails a timeline entry to the appeal subscribers of `version`'s
/// language (a published version of the appeal), once: `original` is the
/// entry whose telling is claimed for that language, `update` the words
/// sent, written in `written_in` (said in the mail when it is not the
/// subscribers' language). How many were queued; none when they were told
/// already.
fn mail_update(
    state: &AppState,
    version: &Item,
    original: i64,
    update: &AppealUpdate,
    written_in: &Language,
) -> Result<usize, StoreError> {
    state.app.tell_subscribers_once(original, &version.lang, || queue_update_mail(state, version, update, written_in))
}

fn queue_update_mail(
    state: &AppState,
    version: &Item,
    update: &AppealUpdate,
    written_in: &Language,
) -> Result<usize, StoreError> {
    use refuge_core::redaction::Redaction;
    let lang = &version.lang;
    let t = state.site.strings(lang);
    let facts = state.reads.appeal_facts(version.id)?;
    let shown = Redaction { lang: lang.as_str(), names_public: facts.names_public };
    let words = Redaction { lang: written_in.as_str(), names_public: facts.names_public };
    let title = Redaction::hidden(lang.as_str()).apply(&version.title).into_string();
    let base = state.site.config().base_url.clone();
    let text = refuge_core::mail_text::to_mail_text(&update.text, &base, words);
    let url = state.site.url(&format!("{}#update-{}", version.path(), update.id));
    let heading = refuge_core::mail_text::wrap_plain(&title, lang.as_str());
    let note = if written_in == lang {
        String::new()
    } else {
        let name = state.site.strings(written_in).get("language_name").to_owned();
        let said = t.get("mail_update_untranslated").replace("{language}", &name);
        format!("{}\n\n", refuge_core::mail_text::wrap_plain(&said, lang.as_str()))
    };
    let body = format!("{heading}\n{}\n\n{note}{text}\n\n{url}", t.day(&update.date));
    let subject = t.get("mail_appeal_subject").replace("{title}", &title);
    // A random key per mailing: an update added after another was deleted
    // may get its id, never its mailing.
    let key = refuge_core::DedupeKey::once(refuge_core::Purpose::AppealUpdate);
    // Every piece is public already; the mail is made public text as a whole.
    let (subject, body) = (shown.apply(&subject), shown.apply(&body));
    crate::outgoing::to_list(state, MailKind::AppealUpdate, lang, Topic::Appeals, &key, &subject, &body)
}

/// How long a timeline entry waits for its translations before the
/// subscribers of the other languages are mailed its original words
/// (Site settings; 48 hours unless set).
pub(crate) fn translation_wait(state: &AppState) -> time::Duration {
    let set = state.reads.setting(TRANSLATION_WAIT, state.site.default_language()).unwrap_or_else(|e| {
        tracing::error!(error = %e, "could not read the wait for translations; taking 48 hours");
        None
    });
    time::Duration::hours(set.and_then(|v| v.trim().parse::<i64>().ok()).unwrap_or(48).clamp(0, 720))
}

/// The setting's key.
pub(crate) use refuge_app::site::TRANSLATION_WAIT;

/// Mails the timeline entries whose wait for translations is over, in
/// their own words, to the subscribers of each published language version
/// that has no translation of them (entries of the last week only, so an
/// appeal translated much later does not mail old news). How many mails
/// were queued.
pub(crate) fn mail_untranslated_updates(state: &AppState, now: time::OffsetDateTime) -> Result<usize, StoreError> {
    let before = now - translation_wait(state);
    let mut queued = 0;
    for original in state.reads.original_updates_between(before - time::Duration::days(7), before)? {
        let Some(item) = state.reads.item(original.item_id)? else { continue };
        if item.status != refuge_core::Status::Published {
            continue;
        }
        for version in state.reads.published_translations(item.group_id)? {
            if version.lang == item.lang || !state.site.languages().contains(&version.lang) {
                continue;
            }
            if state.reads.appeal_updates(version.id)?.iter().any(|u| u.translates == Some(original.id)) {
                continue;
            }
            let Some(full) = state.reads.item(version.id)? else { continue };
            queued += mail_update(state, &full, original.id, &original, &item.lang)?;
        }
    }
    Ok(queued)
}

/// Mails a public entry of a published appeal to the appeal subscribers
/// of its language, who are told once of an entry: by its translation when
/// it comes before the wait is over. The editor's notice: saved, or saved
/// but not mailed.
fn tell_subscribers(state: &AppState, item: &Item, update: &AppealUpdate) -> Notice {
    if item.status != refuge_core::Status::Published {
        return Notice::Saved;
    }
    match mail_update(state, item, update.translates.unwrap_or(update.id), update, &item.lang) {
        Ok(queued) => {
            tracing::info!(queued, "appeal update mailed to subscribers");
            Notice::Saved
        }
        Err(e) => {
            // The update is published; the editor is told its mail is not on its way.
            tracing::error!(error = %e, "an appeal update could not be mailed");
            Notice::SavedNotMailed
        }
    }
}

/// Publishes a timeline entry ("further information").
pub async fn add_update(State(state): State<AppState>, admin: Admin, Path(id): Path<String>, data: FormData) -> Answer {
    use refuge_app::appeals::{EntryProblem, NewEntry};
    let id = number(&state, &admin, &id)?;
    let translates = match data.get("translates").trim() {
        "" => None,
        typed => match typed.parse::<i64>() {
            Ok(id) => Some(id),
            Err(_) => {
                return Ok(super::message(&state, &admin, StatusCode::CONFLICT, "admin_update_translated_already"));
            }
        },
    };
    let entry = NewEntry {
        date: data.get("date").to_owned(),
        text: data.get("text").to_owned(),
        source: data.get("source").to_owned(),
        translates,
    };
    let (app, user) = (state.app.clone(), admin.session.user.clone());
    let added = match super::run_case(move || app.add_timeline_entry(&user, id, &entry)).await {
        Ok(Ok(added)) => added,
        Ok(Err(problem)) => {
            // What the form can get wrong, said in the editor's language.
            let (status, key) = match problem {
                EntryProblem::TranslatedAlready => (StatusCode::CONFLICT, "admin_update_translated_already"),
                EntryProblem::NeedsText => (StatusCode::UNPROCESSABLE_ENTITY, "admin_update_needs_text"),
                EntryProblem::BadDate => (StatusCode::UNPROCESSABLE_ENTITY, "admin_update_bad_date"),
            };
            return Ok(super::message(&state, &admin, status, key));
        }
        Err(e @ (refuge_app::AppError::Markup { .. } | refuge_app::AppError::Leak { .. })) => {
            let text = super::explain_app(&admin, "appeal update", &e);
            let kept = format!("{}\n\n{}", data.get("text"), data.get("source"));
            let back = To::Item(id).path();
            return Ok(super::message_kept(
                &state,
                &admin,
                StatusCode::UNPROCESSABLE_ENTITY,
                &text,
                kept.trim(),
                &back,
            ));
        }
        Err(e) => return Ok(super::app_failed(&state, &admin, "appeal update", &e, &To::Item(id).path())),
    };
    state.item_changed(Some(&added.item), Some(&added.item));
    // Further information goes to everyone subscribed to appeals in this
    // language, once each; nothing public, nothing mailed, until an
    // editor approves a translator's entry.
    let notice = if added.public { tell_subscribers(&state, &added.item, &added.update) } else { Notice::Submitted };
    Ok(see_other(&To::Item(id).notice(notice)))
}

/// Approves a translator's pending timeline entry: public from now on,
/// and mailed as any translation is.
pub async fn approve_update(
    State(state): State<AppState>,
    admin: Admin,
    Path((id, update)): Path<(String, String)>,
) -> Answer {
    let id = number(&state, &admin, &id)?;
    let update = number(&state, &admin, &update)?;
    let (app, user) = (state.app.clone(), admin.session.user.clone());
    let (item, approved) = match super::run_case(move || app.approve_timeline_entry(&user, id, update)).await {
        Ok(done) => done,
        Err(e) => return Ok(super::app_failed(&state, &admin, "approving an appeal update", &e, "/admin/")),
    };
    state.item_changed(Some(&item), Some(&item));
    let notice = tell_subscribers(&state, &item, &approved);
    Ok(see_other(&To::Item(id).notice(notice)))
}

/// Removes a timeline entry of this appeal; a failure says so.
pub async fn delete_update(
    State(state): State<AppState>,
    admin: Admin,
    Path((id, update)): Path<(String, String)>,
) -> Answer {
    let id = number(&state, &admin, &id)?;
    let update = number(&state, &admin, &update)?;
    let (app, user) = (state.app.clone(), admin.session.user.clone());
    let item = match super::run_case(move || app.delete_timeline_entry(&user, id, update)).await {
        Ok(item) => item,
        Err(e) => return Ok(super::app_failed(&state, &admin, "deleting an appeal update", &e, "/admin/")),
    };
    state.item_changed(Some(&item), Some(&item));
    Ok(see_other(&To::Item(id).notice(Notice::Saved)))
}
