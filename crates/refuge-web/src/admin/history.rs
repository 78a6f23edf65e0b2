//! Revision history: every save, a readable diff between any two, and
//! restore (which saves the old content as a new revision, keeping the
//! item's status and publication date).

use crate::admin::paths::{Notice, To};
use axum::extract::{Path, RawQuery, State};
use refuge_core::Revision;
use serde::Serialize;
use similar::{ChangeTag, TextDiff};

use super::items::may_edit;
use super::{Admin, Answer, Page, iso, see_other};
use crate::AppState;
use crate::form::pairs;

/// One line of a diff.
#[derive(Serialize)]
pub struct DiffLine {
    tag: &'static str,
    label: &'static str,
    text: String,
}

/// A revision as text, for comparing: the fields, then the body.
pub fn revision_text(r: &Revision) -> String {
    format!(
        "# {}\nslug: {}\nsummary: {}\ncategory: {}\ntags: {}\nstatus: {}\n\n{}",
        r.title,
        r.slug,
        r.summary,
        r.category.as_deref().unwrap_or(""),
        r.tags.join(", "),
        r.status.as_str(),
        r.body
    )
}

/// What is typed in an editor form as text, laid out like a revision.
pub fn form_text(f: &super::editor_form::FormView) -> String {
    let tags: Vec<&str> = f.tags.split([',', '、', '，']).map(str::trim).filter(|s| !s.is_empty()).collect();
    format!(
        "# {}\nslug: {}\nsummary: {}\ncategory: {}\ntags: {}\nstatus: {}\n\n{}",
        f.title.trim(),
        f.slug,
        f.summary.trim(),
        f.category,
        tags.join(", "),
        f.status,
        f.body
    )
}

/// Line diff of two texts.
pub fn line_diff(_t: &refuge_render::Strings, old: &str, new: &str) -> Vec<DiffLine> {
    TextDiff::from_lines(old, new)
        .iter_all_changes()
        .map(|c| {
            let (tag, label) = match c.tag() {
                ChangeTag::Insert => ("insert", "+ "),
                ChangeTag::Delete => ("delete", "− "),
                ChangeTag::Equal => ("equal", ""),
            };
            DiffLine { tag, label, text: c.value().trim_end_matches('\n').to_owned() }
        })
        .collect()
}

#[derive(Serialize)]
struct RevisionView {
    id: i64,
    when: String,
    iso: String,
    who: String,
    status_label: String,
    title: String,
    note: String,
}

pub async fn list(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Answer {
    let item = super::found(&state, &admin, "item", state.reads.item(super::number(&state, &admin, &id)?))?;
    let revisions = super::read(&state, &admin, "revisions", state.reads.revisions(item.id))?;
    let q: Vec<(String, String)> = pairs(raw.as_deref().unwrap_or_default(), 10);
    let pick = |name: &str, default: Option<i64>| {
        q.iter().find(|(k, _)| k == name).and_then(|(_, v)| v.parse::<i64>().ok()).or(default)
    };
    let to = pick("to", revisions.first().map(|r| r.id));
    let from = pick("from", revisions.get(1).map(|r| r.id).or(to));
    let find = |id: Option<i64>| id.and_then(|id| revisions.iter().find(|r| r.id == id));
    let diff = match (find(from), find(to)) {
        (Some(a), Some(b)) => line_diff(&admin.t, &revision_text(a), &revision_text(b)),
        _ => Vec::new(),
    };
    let t = &admin.t;
    let views: Vec<RevisionView> = revisions
        .iter()
        .map(|r| RevisionView {
            id: r.id,
            when: admin.zone.show(r.created_at),
            iso: iso(r.created_at),
            who: r.author.clone().unwrap_or_else(|| t.get("admin_system").into()),
            status_label: t.get(&format!("admin_status_{}", r.status.as_str())).into(),
            title: r.title.clone(),
            note: r.note.clone(),
        })
        .collect();
    let values = minijinja::context! {
        item_id => item.id,
        revisions => minijinja::value::Serde(views),
        from => from,
        to => to,
        diff => minijinja::value::Serde(diff),
        can_restore => may_edit(&admin, &item),
    };
    let title = format!("{}: {}", t.get("admin_history"), item.title);
    Ok(Page::new(&admin, "admin/history.html", item.kind.as_str(), title).render(&state, &admin.lang, values))
}

/// Before a restore: what changes (the difference from now), the
/// version as readers would see it, and, for an item online, that the
/// public page changes at once; then the button that restores.
pub async fn restore_ask(
    State(state): State<AppState>,
    admin: Admin,
    Path((id, rev)): Path<(String, String)>,
) -> Answer {
    let item = super::found(&state, &admin, "item", state.reads.item(super::number(&state, &admin, &id)?))?;
    let rev = super::number(&state, &admin, &rev)?;
    if !may_edit(&admin, &item) {
        // Who may read the history but not restore it is shown the history.
        return Ok(see_other(&To::ItemHistory(item.id).path()));
    }
    let revisions = super::read(&state, &admin, "revisions", state.reads.revisions(item.id))?;
    let (Some(now), Some(then)) = (revisions.first(), revisions.iter().find(|r| r.id == rev)) else {
        return Ok(super::not_found(&state, &admin));
    };
    // The status and date stay as they are: compared as they will be.
    let restored = Revision { status: now.status, ..then.clone() };
    let diff = line_diff(&admin.t, &revision_text(now), &revision_text(&restored));
    let names_public = item.kind == refuge_core::Kind::Appeal
        && super::read(&state, &admin, "appeal", state.reads.appeal_facts(item.id))?.names_public;
    let shown = refuge_core::redaction::Redaction { lang: item.lang.as_str(), names_public };
    let when = admin.zone.show(then.created_at);
    let values = minijinja::context! {
        item_id => item.id,
        rev => rev,
        item_lang => item.lang.as_str(),
        published => item.status == refuge_core::Status::Published,
        diff => minijinja::value::Serde(diff),
        preview_title => shown.apply(&then.title).into_string(),
        preview_html => refuge_core::markdown::to_safe_html(&then.body, shown),
    };
    let title = admin.t.get("admin_restore_title").replace("{when}", &when);
    Ok(Page::new(&admin, "admin/restore.html", item.kind.as_str(), title).render(&state, &admin.lang, values))
}

pub async fn restore(State(state): State<AppState>, admin: Admin, Path((id, rev)): Path<(String, String)>) -> Answer {
    let id = super::number(&state, &admin, &id)?;
    let rev = super::number(&state, &admin, &rev)?;
    let (app, user) = (state.app.clone(), admin.session.user.clone());
    Ok(match super::run_case(move || app.restore_revision(&user, id, rev)).await {
        Ok(saved) => {
            state.item_changed(saved.before.as_ref(), Some(&saved.after));
            see_other(&To::Item(id).notice(Notice::Restored))
        }
        Err(e) => super::app_failed(&state, &admin, "restore", &e, &To::ItemHistory(id).path()),
    })
}
