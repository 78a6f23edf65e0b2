//! Changes awaiting review: a translator's change to a published item is
//! kept aside (see `items::propose`) while the published text stays
//! online; an editor compares it with the published text, then publishes
//! it, edits it first, or discards it.

use crate::admin::paths::{Notice, To};
use axum::extract::{Path, State};
use http::StatusCode;
use refuge_core::markdown::to_safe_html;
use refuge_core::redaction::Redaction;
use refuge_core::{Aside, AsideKind, Item, Kind};

use super::editor_form::{draft_from, form_from};
use super::history::{form_text, line_diff, revision_text};
use super::{Admin, Answer, Page, audit, not_found, see_other};
use refuge_app::editorial::SaveItem;

use crate::AppState;
use crate::form::FormData;

/// The item and its change awaiting review, for an editor.
fn target(state: &AppState, admin: &Admin, id: &str, aside: &str) -> Result<(Item, Aside), super::Halt> {
    let item = super::found(state, admin, "item", state.reads.item(super::number(state, admin, id)?))?;
    let aside =
        super::found(state, admin, "change awaiting review", state.reads.aside(super::number(state, admin, aside)?))?;
    if aside.kind == AsideKind::Review && aside.item_id == Some(item.id) {
        Ok((item, aside))
    } else {
        Err(not_found(state, admin).into())
    }
}

pub async fn show(State(state): State<AppState>, admin: Admin, Path((id, aside)): Path<(String, String)>) -> Answer {
    let (item, aside) = target(&state, &admin, &id, &aside)?;
    let t = &admin.t;
    let data = FormData(aside.form.clone());
    let mut form = form_from(&data);
    form.status = item.status.as_str().into();
    let published = match state.reads.latest_revision(item.id).and_then(|r| state.reads.revision(r)) {
        Ok(Some(r)) => revision_text(&r),
        Ok(None) => String::new(),
        Err(e) => {
            tracing::error!(error = %e, "could not read the published revision");
            return Ok(super::message(&state, &admin, StatusCode::INTERNAL_SERVER_ERROR, "error_text"));
        }
    };
    // Whether the text changed since the proposal was made decides what the
    // reviewer is warned of: unknown is a failure, never "unchanged".
    let changed_since = match state.reads.latest_revision(item.id) {
        Ok(latest) => latest != aside.base_revision,
        Err(e) => {
            tracing::error!(error = %e, "could not read the latest revision");
            return Ok(super::message(&state, &admin, StatusCode::INTERNAL_SERVER_ERROR, "error_text"));
        }
    };
    let names_public = item.kind == Kind::Appeal
        && match state.reads.appeal_facts(item.id) {
            Ok(facts) => facts.names_public,
            Err(e) => {
                tracing::error!(error = %e, "could not read whether the appeal's names are public");
                false
            }
        };
    let values = minijinja::context! {
        item_id => item.id,
        aside_id => aside.id,
        who => aside.author.clone().unwrap_or_default(),
        when => admin.zone.show(aside.created_at),
        note => form.note.clone(),
        marks_current => form.mark_current,
        changed_since => changed_since,
        diff => minijinja::value::Serde(line_diff(t, &published, &form_text(&form))),
        form_lang => item.lang.to_string(),
        preview_title => Redaction { lang: item.lang.as_str(), names_public }.apply(&form.title).into_string(),
        preview_html => to_safe_html(&form.body, Redaction { lang: item.lang.as_str(), names_public }),
        // Publishing this change shows the appeal's names in full: say so.
        names_public => names_public,
    };
    let title = format!("{}: {}", t.get("admin_review"), item.title);
    Ok(Page::new(&admin, "admin/review.html", item.kind.as_str(), title).render(&state, &admin.lang, values))
}

pub async fn decide(
    State(state): State<AppState>,
    admin: Admin,
    Path((id, aside)): Path<(String, String)>,
    data: FormData,
) -> Answer {
    let (item, aside) = target(&state, &admin, &id, &aside)?;
    let who = aside.author.clone().unwrap_or_default();
    let subject = format!("{} {} “{}” ({})", item.kind, item.id, item.title, item.lang);
    if super::intent(&data) == "discard" {
        let (app, user, id) = (state.app.clone(), admin.session.user.clone(), item.id);
        let back = To::ItemWithReview { item: id, aside: aside.id }.path();
        return Ok(match super::run_case(move || app.discard_review(&user, id, aside.id)).await {
            Ok(_) => see_other(&To::Item(id).notice(Notice::Discarded)),
            Err(e) => super::app_failed(&state, &admin, "discarding a change", &e, &back),
        });
    }
    // Publish: the proposed text, with the item's own status and date.
    let proposed = FormData(aside.form.clone());
    let mut form = form_from(&proposed);
    form.status = item.status.as_str().into();
    form.published_at = admin.zone.input(item.published_at);
    let draft = match draft_from(&state, &admin, &form, item.kind, &item.lang, Some(item.group_id), Some(&item.slug)) {
        Ok(draft) => draft,
        Err(_) => return Ok(see_other(&To::ItemWithReview { item: item.id, aside: aside.id }.path())),
    };
    let note = format!("{who}: {} ({})", form.note.trim(), admin.t.get("admin_reviewed")).replace(":  (", ": (");
    // One transaction: the text, the appeal's facts, the translation
    // mark, and the change awaiting review, resolved.
    let request = SaveItem {
        id: Some(item.id),
        draft,
        note,
        appeal: (item.kind == Kind::Appeal).then(|| super::appeals::from_form(&proposed)),
        translation_of: None,
        marks_current: form.mark_current,
        resolves_review: Some(aside.id),
        base_revision: None,
    };
    let app = state.app.clone();
    let user = admin.session.user.clone();
    let saved = crate::admin::run_case(move || app.save_item(&user, request)).await;
    let after = match saved {
        Ok(saved) => saved.after,
        Err(e) => {
            // Refused (an image without its text, a name) or failed: the
            // change stays waiting, and the page says why.
            tracing::warn!(error = %e, "a reviewed change was not published");
            let text = super::explain_app(&admin, "review", &e);
            let back = To::ItemWithReview { item: item.id, aside: aside.id }.path();
            return Ok(super::message_kept(&state, &admin, super::app_status(&e), &text, "", &back));
        }
    };
    state.item_changed(Some(&item), Some(&after));
    audit(&state, admin.email(), "publish reviewed change", &subject, &who);
    Ok(see_other(&To::Item(after.id).notice(Notice::Saved)))
}
