//! Listing, writing, previewing, translating and deleting items.

use crate::admin::paths::{Notice, To};
use std::collections::BTreeMap;

use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use http::{HeaderMap, StatusCode};
use refuge_core::markdown::to_safe_html;
use refuge_core::redaction::Redaction;
use refuge_core::{AdminFilter, AdminRow, AsideKind, Item, Kind, Language, Role, Status, StoreError};
use serde::Serialize;

use super::editor_form::{Errors, FormView, draft_from, form_from, form_of};
use refuge_app::AppError;
use refuge_app::editorial::{SaveItem, Saved};

use super::guard::Genuine;
use super::{Admin, Page, forbidden, iso, lang_name, not_found, rejected, see_other};
use super::{Answer, Halt};
use crate::AppState;
use crate::form::{FormData, pairs};

mod editor;
mod list;
mod preview;
mod save;

use editor::*;
pub use list::{bulk, list};
use save::*;

#[derive(Serialize)]
pub struct RowView {
    pub id: i64,
    pub title: String,
    pub lang_name: String,
    pub others: String,
    pub status: &'static str,
    pub status_label: String,
    pub updated: String,
    pub updated_iso: String,
    pub outdated: bool,
}

#[derive(Serialize)]
struct Choice {
    value: String,
    label: String,
}

#[derive(Serialize)]
struct LinkView {
    href: String,
    label: String,
}

#[derive(Serialize)]
struct Version {
    id: i64,
    lang: String,
    lang_name: String,
}

#[derive(Serialize)]
struct SourceView {
    lang: String,
    lang_name: String,
    title: String,
    summary: String,
    body_html: String,
}

#[derive(Serialize)]
struct Hidden {
    name: &'static str,
    value: String,
}

#[derive(Serialize)]
struct Changes {
    heading: String,
}

pub fn row_view(state: &AppState, admin: &Admin, r: &AdminRow) -> RowView {
    RowView {
        id: r.id,
        title: r.title.clone(),
        lang_name: lang_name(state, &admin.t, &r.lang),
        others: r.languages.iter().filter(|l| **l != r.lang).map(Language::as_str).collect::<Vec<_>>().join(", "),
        status: r.status.as_str(),
        status_label: admin.t.get(&format!("admin_status_{}", r.status.as_str())).to_owned(),
        updated: admin.zone.show(r.updated_at),
        updated_iso: iso(r.updated_at),
        outdated: r.outdated,
    }
}

pub use refuge_app::access::Access;

pub fn access(admin: &Admin, item: &Item) -> Access {
    refuge_app::access::access(&admin.session.user, item)
}

/// May this account save this item directly?
pub fn may_edit(admin: &Admin, item: &Item) -> bool {
    refuge_app::access::may_edit(&admin.session.user, item)
}

fn may_translate_into(admin: &Admin, lang: &Language) -> bool {
    refuge_app::access::may_translate_into(&admin.session.user, lang)
}

fn status_choices(admin: &Admin) -> Vec<Choice> {
    super::editor_form::statuses(admin)
        .into_iter()
        .map(|s| Choice {
            value: s.as_str().into(),
            label: admin.t.get(&format!("admin_status_{}", s.as_str())).into(),
        })
        .collect()
}

fn query_map(raw: Option<&str>) -> BTreeMap<String, String> {
    pairs(raw.unwrap_or_default(), 20).into_iter().collect()
}

fn notice_text(admin: &Admin, raw: Option<&str>) -> Option<String> {
    let key = match query_map(raw).get("notice").map(String::as_str) {
        Some("saved") => "admin_saved",
        Some("saved_not_mailed") => "admin_update_mail_failed",
        Some("deleted") => "admin_deleted",
        Some("restored") => "admin_restored",
        Some("submitted") => "admin_submitted_for_review",
        Some("discarded") => "admin_review_discarded",
        _ => return None,
    };
    Some(admin.t.get(key).to_owned())
}

fn new_context(state: &AppState, raw: Option<&str>) -> (Kind, Language) {
    let q = query_map(raw);
    let kind = q.get("kind").and_then(|k| k.parse().ok()).unwrap_or(Kind::News);
    let lang = q
        .get("lang")
        .and_then(|l| Language::parse(l).ok())
        .filter(|l| state.site.languages().contains(l))
        .unwrap_or_else(|| state.site.default_language().clone());
    (kind, lang)
}

pub async fn new_form(State(state): State<AppState>, admin: Admin, RawQuery(raw): RawQuery) -> Response {
    let (kind, lang) = new_context(&state, raw.as_deref());
    let ctx = new_item_context(kind, &lang);
    let mut form = FormView { status: "draft".into(), ..FormView::default() };
    let mut shown_notice = None;
    let from_autosave = query_map(raw.as_deref()).get("autosave").is_some_and(|v| v == "1")
        && match crate::admin::autosave::pending(&state, &admin, &ctx.action, None) {
            Some(aside) => {
                form = form_from(&FormData(aside.form));
                shown_notice = Some(admin.t.get("admin_autosave_restored").to_owned());
                true
            }
            None => false,
        };
    editor(&state, &admin, &ctx, Shown { notice: shown_notice, from_autosave, ..Shown::plain(&form) })
}

pub async fn create(
    State(state): State<AppState>,
    admin: Admin,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    genuine: Genuine,
    data: FormData,
) -> Response {
    let (kind, lang) = new_context(&state, raw.as_deref());
    // The language chosen in the form wins over the address's.
    let lang =
        Language::parse(data.get("item_lang")).ok().filter(|l| state.site.languages().contains(l)).unwrap_or(lang);
    let ctx = new_item_context(kind, &lang);
    if !genuine.0 {
        return refused_form(&state, &admin, &ctx, &headers, &data);
    }
    save(&state, &admin, &ctx, &data, None).await
}

/// The item at this address (404 when there is none; the "try again"
/// page when the database failed).
fn load(state: &AppState, admin: &Admin, id: &str) -> Result<Item, Halt> {
    let id = crate::admin::number(state, admin, id)?;
    crate::admin::found(state, admin, "item", state.reads.item(id))
}

/// The editor of a new item of `kind` in `lang`.
fn new_item_context(kind: Kind, lang: &Language) -> EditorContext {
    EditorContext {
        item: None,
        kind,
        lang: lang.clone(),
        action: To::NewItem { kind, lang }.path(),
        hidden: Vec::new(),
        source: None,
        access: Access::Save,
    }
}

fn edit_context(admin: &Admin, item: &Item) -> EditorContext {
    EditorContext {
        item: Some(item.clone()),
        kind: item.kind,
        lang: item.lang.clone(),
        action: To::Item(item.id).path(),
        hidden: Vec::new(),
        source: None,
        access: access(admin, item),
    }
}

/// The form for an item as stored, with its version for the two-tab check.
fn stored_form(state: &AppState, admin: &Admin, item: &Item) -> Result<FormView, Halt> {
    let mut form = form_of(item, &admin.zone);
    form.base_revision = crate::admin::read(state, admin, "latest revision", state.reads.latest_revision(item.id))?;
    Ok(form)
}

pub async fn edit_form(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Answer {
    let item = load(&state, &admin, &id)?;
    let mut notice = notice_text(&admin, raw.as_deref());
    let ctx = edit_context(&admin, &item);
    let mut form = stored_form(&state, &admin, &item)?;
    let place = To::Item(item.id).path();
    // A translator goes on with their own change awaiting review; an
    // editor may open a change awaiting review to edit it before saving.
    let review = query_map(raw.as_deref()).get("review").and_then(|r| r.parse::<i64>().ok());
    let pending = match (ctx.access, review) {
        (Access::Propose, _) => crate::admin::read(
            &state,
            &admin,
            "own change awaiting review",
            state.reads.own_aside(AsideKind::Review, &place, admin.session.user.id),
        )?,
        (Access::Save, Some(id)) if admin.can_edit() => {
            crate::admin::read(&state, &admin, "change awaiting review", state.reads.aside(id))?
                .filter(|a| a.item_id == Some(item.id) && a.kind == AsideKind::Review)
        }
        _ => None,
    };
    let mut ctx = ctx;
    let mut from_autosave = false;
    if query_map(raw.as_deref()).get("autosave").is_some_and(|v| v == "1")
        && let Some(aside) = crate::admin::autosave::pending(&state, &admin, &place, None)
    {
        let base = aside.base_revision;
        form = form_from(&FormData(aside.form.clone()));
        form.base_revision = base;
        from_autosave = true;
        notice = Some(admin.t.get("admin_autosave_restored").to_owned());
    } else if let Some(aside) = pending {
        let base = form.base_revision;
        form = form_from(&FormData(aside.form.clone()));
        form.base_revision = base;
        form.status = item.status.as_str().into();
        form.published_at = admin.zone.input(item.published_at);
        if ctx.access == Access::Save {
            ctx.hidden.push(Hidden { name: "review", value: aside.id.to_string() });
        }
        notice.get_or_insert_with(|| admin.t.get("admin_review_pending_shown").to_owned());
    }
    Ok(editor(&state, &admin, &ctx, Shown { notice, from_autosave, ..Shown::plain(&form) }))
}

pub async fn update(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    headers: HeaderMap,
    genuine: Genuine,
    data: FormData,
) -> Answer {
    let item = load(&state, &admin, &id)?;
    let ctx = edit_context(&admin, &item);
    if !genuine.0 {
        return Ok(refused_form(&state, &admin, &ctx, &headers, &data));
    }
    Ok(match ctx.access {
        Access::Save => save(&state, &admin, &ctx, &data, None).await,
        Access::Propose => propose(&state, &admin, &ctx, &item, &data).await,
        Access::ReadOnly => {
            let form = form_from(&data);
            editor(
                &state,
                &admin,
                &ctx,
                Shown::refused(&form, admin.t.get("admin_forbidden_kept"), StatusCode::FORBIDDEN),
            )
        }
    })
}

/// A form whose token is stale (the account signed in again in another
/// tab) but which comes from this site: shown again with what was typed
/// and a fresh token. A cross-site form is refused outright.
fn refused_form(
    state: &AppState,
    admin: &Admin,
    ctx: &EditorContext,
    headers: &HeaderMap,
    data: &FormData,
) -> Response {
    if !crate::admin::same_origin(state, headers) {
        return rejected(state, admin);
    }
    let form = form_from(data);
    editor(state, admin, ctx, Shown::refused(&form, admin.t.get("admin_form_expired_kept"), StatusCode::FORBIDDEN))
}

fn translate_context(source: &Item, lang: &Language) -> EditorContext {
    EditorContext {
        item: None,
        kind: source.kind,
        lang: lang.clone(),
        action: To::Translate { item: source.id, lang }.path(),
        hidden: Vec::new(),
        source: Some(source.clone()),
        access: Access::Save,
    }
}

fn translation_target(state: &AppState, admin: &Admin, id: &str, lang: &str) -> Result<(Item, Language), Halt> {
    let source = load(state, admin, id)?;
    let Some(lang) = Language::parse(lang).ok().filter(|l| state.site.languages().contains(l) && *l != source.lang)
    else {
        return Err(not_found(state, admin).into());
    };
    if !may_translate_into(admin, &lang) {
        return Err(forbidden(state, admin).into());
    }
    let versions = crate::admin::read(state, admin, "translation group", state.reads.group_items(source.group_id))?;
    if let Some(existing) = versions.into_iter().find(|r| r.lang == lang) {
        return Err(see_other(&To::Item(existing.id).path()).into());
    }
    Ok((source, lang))
}

pub async fn translate_form(
    State(state): State<AppState>,
    admin: Admin,
    Path((id, lang)): Path<(String, String)>,
) -> Answer {
    let (source, lang) = translation_target(&state, &admin, &id, &lang)?;
    let form = FormView {
        slug: source.slug.to_string(),
        body: source.body.clone(),
        category: source.category.clone().unwrap_or_default(),
        status: "draft".into(),
        published_at: admin.zone.input(source.published_at),
        ..FormView::default()
    };
    Ok(editor(&state, &admin, &translate_context(&source, &lang), Shown::plain(&form)))
}

pub async fn translate(
    State(state): State<AppState>,
    admin: Admin,
    Path((id, lang)): Path<(String, String)>,
    headers: HeaderMap,
    genuine: Genuine,
    data: FormData,
) -> Answer {
    let (source, lang) = translation_target(&state, &admin, &id, &lang)?;
    let ctx = translate_context(&source, &lang);
    if !genuine.0 {
        return Ok(refused_form(&state, &admin, &ctx, &headers, &data));
    }
    Ok(save(&state, &admin, &ctx, &data, Some(&source)).await)
}

pub async fn delete_form(State(state): State<AppState>, admin: Admin, Path(id): Path<String>) -> Answer {
    let item = load(&state, &admin, &id)?;
    let question = admin
        .t
        .get("admin_delete_confirm")
        .replace("{title}", &item.title)
        .replace("{language}", &lang_name(&state, &admin.t, &item.lang));
    Ok(crate::admin::Confirm {
        title: admin.t.get("admin_delete").to_owned(),
        question,
        action: To::ItemDelete(item.id).path(),
        confirm_label: admin.t.get("admin_delete").to_owned(),
        cancel_href: To::Item(item.id).path(),
        ..crate::admin::Confirm::default()
    }
    .render(&state, &admin, item.kind.as_str()))
}

pub async fn delete(State(state): State<AppState>, admin: Admin, Path(id): Path<String>) -> Answer {
    let id = crate::admin::number(&state, &admin, &id)?;
    let (app, user) = (state.app.clone(), admin.session.user.clone());
    Ok(match crate::admin::run_case(move || app.delete_item(&user, id)).await {
        Ok(item) => {
            state.item_changed(Some(&item), None);
            see_other(&To::ItemsOfKind(item.kind).notice(Notice::Deleted))
        }
        Err(e) => crate::admin::app_failed(&state, &admin, "delete", &e, &To::Item(id).path()),
    })
}

/// Shows a kept form (sent after the session ended) in its editor, when
/// `place` is an editor's address; `None` for any other form.
pub fn resume(state: &AppState, admin: &Admin, place: &str, data: &FormData) -> Option<Response> {
    let (path, query) = place.split_once('?').unwrap_or((place, ""));
    let rest = path.strip_prefix("/admin/items/")?;
    let parts: Vec<&str> = rest.split('/').collect();
    let notice = Some(admin.t.get("admin_kept_shown").to_owned());
    let form = form_from(data);
    let ctx = match parts.as_slice() {
        ["new"] if admin.can_edit() => {
            let (kind, lang) = new_context(state, Some(query));
            new_item_context(kind, &lang)
        }
        [id] => edit_context(admin, &load(state, admin, id).ok()?),
        [id, "translate", lang] => {
            let (source, lang) = translation_target(state, admin, id, lang).ok()?;
            translate_context(&source, &lang)
        }
        _ => return None,
    };
    Some(editor(state, admin, &ctx, Shown { notice, ..Shown::plain(&form) }))
}
