//! Saving the editor form: checks, the two-tab conflict, the use case
//! (`refuge_app::editorial`), and a translator's proposal for review.

use super::*;
use crate::admin::paths::{Notice, To};

/// Saves (or previews) the editor form; on success redirects to the item.
// Long on purpose: a save's steps in the order they must run (checks, preview, conflict, use case, aftermath).
pub(super) async fn save(
    state: &AppState,
    admin: &Admin,
    ctx: &EditorContext,
    data: &FormData,
    translation_of: Option<&Item>,
) -> Response {
    let mut form = form_from(data);
    if insert_media(state, &mut form, data, &ctx.lang) {
        return editor(state, admin, ctx, Shown { preview: true, ..Shown::plain(&form) });
    }
    let group = ctx.item.as_ref().map(|i| i.group_id).or(translation_of.map(|s| s.group_id));
    let fallback_slug = ctx.item.as_ref().map(|i| &i.slug).or(translation_of.map(|s| &s.slug));
    let checked = draft_from(state, admin, &form, ctx.kind, &ctx.lang, group, fallback_slug).and_then(|draft| {
        let mut errors = Errors::default();
        if ctx.kind == Kind::Appeal {
            crate::admin::appeals::check(admin, data, &mut errors);
        }
        if errors.any() { Err(Box::new(errors)) } else { Ok(draft) }
    });
    let draft = match checked {
        Ok(d) => d,
        Err(errors) => {
            return editor(state, admin, ctx, Shown::failed(&form, *errors, StatusCode::UNPROCESSABLE_ENTITY));
        }
    };
    if crate::admin::intent(data) == "preview" {
        return editor(state, admin, ctx, Shown { preview: true, ..Shown::plain(&form) });
    }
    let request = SaveItem {
        id: ctx.item.as_ref().map(|i| i.id),
        draft,
        note: form.note.clone(),
        appeal: (ctx.kind == Kind::Appeal).then(|| crate::admin::appeals::from_form(data)),
        translation_of: translation_of.map(|s| s.id),
        marks_current: form.mark_current,
        resolves_review: data.get("review").parse().ok(),
        // The two-tab check is the write's own (`Stale`), not a read before it.
        base_revision: (ctx.item.is_some() && form.base_revision != 0).then_some(form.base_revision),
    };
    let (app, user) = (state.app.clone(), admin.session.user.clone());
    let saved = crate::admin::run_case(move || app.save_item(&user, request)).await;
    let Saved { before, after, .. } = match saved {
        Ok(saved) => saved,
        Err(e) => return save_failed(state, admin, ctx, &form, e),
    };
    state.item_changed(before.as_ref(), Some(&after));
    if after.status == Status::Scheduled {
        state.wake.scheduler.notify_one();
    }
    if after.status == Status::Review && before.as_ref().is_none_or(|b| b.status != Status::Review) {
        crate::outgoing::review_request(state, &after, admin.email());
    }
    crate::admin::autosave::forget(state, admin, &ctx.action);
    see_other(&To::Item(after.id).notice(Notice::Saved))
}

/// The editor again, with what was typed and why it was not saved.
pub(super) fn save_failed(
    state: &AppState,
    admin: &Admin,
    ctx: &EditorContext,
    form: &FormView,
    e: AppError,
) -> Response {
    let t = &admin.t;
    if let AppError::Stale { latest } = e {
        return match conflict(state, admin, latest, form) {
            Ok((view, latest)) => {
                let mut form = form.clone();
                form.base_revision = latest;
                let text = view.text.clone();
                editor(
                    state,
                    admin,
                    ctx,
                    Shown { conflict: Some(view), ..Shown::refused(&form, &text, StatusCode::CONFLICT) },
                )
            }
            Err(e) => save_failed(state, admin, ctx, form, e.into()),
        };
    }
    if let Some(text) = crate::admin::release_problem(admin, &e) {
        let field = match &e {
            AppError::Markup { field, .. } | AppError::Leak { field, .. } => *field,
            AppError::MissingAlt { .. } => "body",
            _ => "",
        };
        let errors = match field {
            "title" => Errors { title: Some(text), ..Errors::default() },
            "address" => Errors { slug: Some(text), ..Errors::default() },
            "body" | "image_text" => Errors { body: Some(text), ..Errors::default() },
            "tags" => Errors { tags: Some(text), ..Errors::default() },
            _ => Errors { form: Some(text), ..Errors::default() },
        };
        return editor(state, admin, ctx, Shown::failed(form, errors, StatusCode::UNPROCESSABLE_ENTITY));
    }
    let (errors, status) = match e {
        AppError::Conflict(text) => (Errors { slug: Some(text), ..Errors::default() }, StatusCode::CONFLICT),
        AppError::Invalid(text) => {
            (Errors { title: Some(text), ..Errors::default() }, StatusCode::UNPROCESSABLE_ENTITY)
        }
        AppError::Forbidden | AppError::OwnAccount => {
            return editor(
                state,
                admin,
                ctx,
                Shown::refused(form, t.get("admin_forbidden_kept"), StatusCode::FORBIDDEN),
            );
        }
        AppError::NotFound(_) => return not_found(state, admin),
        AppError::Markup { .. } | AppError::Leak { .. } | AppError::MissingAlt { .. } | AppError::Stale { .. } => (
            Errors { form: Some(t.get("admin_not_saved").to_owned()), ..Errors::default() },
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        AppError::DiskFull(detail) => {
            tracing::error!(detail, "an item could not be saved: the disk is full");
            (
                Errors { form: Some(t.get("admin_disk_full").to_owned()), ..Errors::default() },
                StatusCode::INSUFFICIENT_STORAGE,
            )
        }
        AppError::Storage(detail) => {
            // Keep what was typed on the screen, with the reason.
            tracing::error!(detail, "an item could not be saved");
            let errors = Errors { form: Some(t.get("admin_save_failed").to_owned()), ..Errors::default() };
            (errors, StatusCode::INTERNAL_SERVER_ERROR)
        }
    };
    editor(state, admin, ctx, Shown::failed(form, errors, status))
}

/// The item was saved by someone else (revision `latest`) since `form`
/// was opened, and the write refused: what to say and the difference
/// between their text and this one, and the revision with which a second
/// save goes through.
pub(super) fn conflict(
    state: &AppState,
    admin: &Admin,
    latest: i64,
    form: &FormView,
) -> Result<(ConflictView, i64), StoreError> {
    let theirs = state.reads.revision(latest)?.ok_or_else(|| StoreError::NotFound(format!("revision {latest}")))?;
    let mine = crate::admin::history::form_text(form);
    let t = &admin.t;
    let text = t
        .get("admin_conflict")
        .replace("{who}", theirs.author.as_deref().unwrap_or(t.get("admin_system")))
        .replace("{when}", &admin.zone.show(theirs.created_at));
    let diff = crate::admin::history::line_diff(t, &crate::admin::history::revision_text(&theirs), &mine);
    Ok((ConflictView { text, diff }, latest))
}

/// A translator's change to a published item: checked like a save, then
/// kept aside for an editor while the published text stays online.
pub(super) async fn propose(
    state: &AppState,
    admin: &Admin,
    ctx: &EditorContext,
    item: &Item,
    data: &FormData,
) -> Response {
    let mut form = form_from(data);
    if insert_media(state, &mut form, data, &item.lang) {
        return editor(state, admin, ctx, Shown { preview: true, ..Shown::plain(&form) });
    }
    form.status = Status::Review.as_str().into();
    let mut errors = match draft_from(state, admin, &form, item.kind, &item.lang, Some(item.group_id), Some(&item.slug))
    {
        Ok(_) => Errors::default(),
        Err(errors) => *errors,
    };
    if item.kind == Kind::Appeal {
        crate::admin::appeals::check(admin, data, &mut errors);
    }
    if errors.any() {
        return editor(state, admin, ctx, Shown::failed(&form, errors, StatusCode::UNPROCESSABLE_ENTITY));
    }
    if crate::admin::intent(data) == "preview" {
        return editor(state, admin, ctx, Shown { preview: true, ..Shown::plain(&form) });
    }
    let fields: Vec<(String, String)> =
        data.0.iter().filter(|(k, _)| !matches!(k.as_str(), "csrf" | "intent" | "action")).cloned().collect();
    let (app, user, id, base) = (state.app.clone(), admin.session.user.clone(), item.id, form.base_revision);
    let kept = crate::admin::run_case(move || app.propose_change(&user, id, base, &fields)).await;
    if let Err(e) = kept {
        return save_failed(state, admin, ctx, &form, e);
    }
    crate::admin::autosave::forget(state, admin, &ctx.action);
    crate::outgoing::review_request(state, item, admin.email());
    see_other(&To::Item(item.id).notice(Notice::Submitted))
}
