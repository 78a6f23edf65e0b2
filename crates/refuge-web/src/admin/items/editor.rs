//! The item editor page: the form, its preview, versions and translations,
//! the source's changes, images to insert, changes awaiting review.

use super::*;
use crate::admin::lang_name;
use crate::admin::paths::To;

/// Everything the editor page needs besides the form.
pub(super) struct EditorContext {
    pub(super) item: Option<Item>,
    pub(super) kind: Kind,
    pub(super) lang: Language,
    pub(super) action: String,
    pub(super) hidden: Vec<Hidden>,
    pub(super) source: Option<Item>,
    pub(super) access: Access,
}

/// Someone else saved the item after this form was opened.
#[derive(Serialize)]
pub(super) struct ConflictView {
    pub(super) text: String,
    pub(super) diff: Vec<crate::admin::history::DiffLine>,
}

/// How the editor is shown this time.
pub(super) struct Shown<'a> {
    pub(super) form: &'a FormView,
    pub(super) errors: Errors,
    pub(super) preview: bool,
    pub(super) notice: Option<String>,
    pub(super) status: StatusCode,
    pub(super) conflict: Option<ConflictView>,
    /// The form shows an autosaved draft (so none is offered).
    pub(super) from_autosave: bool,
}

impl<'a> Shown<'a> {
    pub(super) fn plain(form: &'a FormView) -> Self {
        Self {
            form,
            errors: Errors::default(),
            preview: false,
            notice: None,
            status: StatusCode::OK,
            conflict: None,
            from_autosave: false,
        }
    }

    pub(super) fn failed(form: &'a FormView, errors: Errors, status: StatusCode) -> Self {
        Self { errors, status, ..Self::plain(form) }
    }

    /// The form again with one message about the whole of it.
    pub(super) fn refused(form: &'a FormView, text: &str, status: StatusCode) -> Self {
        Self::failed(form, Errors { form: Some(text.to_owned()), ..Errors::default() }, status)
    }
}

#[derive(Serialize)]
pub(super) struct Autosaved {
    pub(super) when: String,
    pub(super) href: String,
}

/// An upload offered for insertion into the text.
#[derive(Serialize)]
pub(super) struct Pick {
    pub(super) id: i64,
    pub(super) name: String,
    pub(super) thumb: Option<String>,
    pub(super) markdown: String,
    /// No alternative text in the item's language yet.
    pub(super) to_translate: bool,
}

/// The most recent uploads, with their Markdown in `lang`.
pub(super) fn picks(state: &AppState, lang: &Language, reads: &mut crate::admin::Reads) -> Vec<Pick> {
    let (media, _) = reads.or_empty("uploads", state.reads.media_list(0, 24));
    media
        .iter()
        .map(|m| {
            let alt = m.alt.iter().find(|(l, _)| l == lang.as_str()).map(|(_, a)| a.clone()).unwrap_or_default();
            Pick {
                id: m.id,
                name: m.name.clone(),
                thumb: (m.kind == "image").then(|| m.variants.first().map_or_else(|| m.path(), |w| m.variant_path(*w))),
                markdown: crate::admin::media::markdown_for(m, &alt),
                to_translate: m.kind == "image" && alt.trim().is_empty(),
            }
        })
        .collect()
}

/// "Insert" in the image list without the script: the file's Markdown
/// is added at the end of the text, and the editor comes back with a
/// preview (nothing is saved).
pub(super) fn insert_media(state: &AppState, form: &mut FormView, data: &FormData, lang: &Language) -> bool {
    let Ok(id) = data.get("insert_media").parse::<i64>() else { return false };
    let media = match state.reads.media(id) {
        Ok(Some(media)) => media,
        Ok(None) => return false,
        Err(e) => {
            // The save goes on without the image; the log says why.
            tracing::error!(error = %e, "could not read the upload to insert");
            return false;
        }
    };
    let alt = media.alt.iter().find(|(l, _)| l == lang.as_str()).map(|(_, a)| a.clone()).unwrap_or_default();
    let body = form.body.trim_end().to_owned();
    form.body = format!(
        "{body}{}{}\n",
        if body.is_empty() { "" } else { "\n\n" },
        crate::admin::media::markdown_for(&media, &alt)
    );
    true
}

#[derive(Serialize)]
pub(super) struct ReviewLink {
    pub(super) href: String,
    pub(super) text: String,
}

// Long on purpose: the editor page's values, one per line, as the template reads them.
pub(super) fn editor(state: &AppState, admin: &Admin, ctx: &EditorContext, shown: Shown<'_>) -> Response {
    let Shown { form, errors, preview, notice, status, conflict, from_autosave } = shown;
    let t = &admin.t;
    // What was typed is never lost to a failed read: the form is shown,
    // with what could not be read said at the top (503), never an empty
    // list passed off as the truth.
    let mut reads = crate::admin::Reads::default();
    let title = match (&ctx.item, &ctx.source) {
        (Some(item), _) => item.title.clone(),
        (None, Some(src)) => {
            t.get("admin_translate").replace("{language}", &lang_name(state, &admin.t, &ctx.lang)) + ": " + &src.title
        }
        (None, None) => t
            .get(match ctx.kind {
                Kind::Page => "admin_new_page",
                Kind::News => "admin_new_news",
                Kind::Appeal => "admin_new_appeal",
            })
            .into(),
    };
    let Translations { versions, translate_links, diff, source_changes, source, show_mark_current } =
        translations(state, admin, ctx, &mut reads);
    let mut categories: Vec<Choice> = reads
        .or_empty("categories", state.reads.categories(&ctx.lang))
        .into_iter()
        .map(|c| Choice { value: c.key.to_string(), label: c.name })
        .collect();
    refuge_render::sort_names(&ctx.lang, &mut categories, |c| c.label.as_str());
    let has_errors = errors.any();
    let appeal = (ctx.kind == Kind::Appeal).then(|| {
        crate::admin::appeals::editor_values(
            state,
            admin,
            ctx.item.as_ref().or(ctx.source.as_ref()),
            ctx.item.is_some(),
            form,
            &mut reads,
        )
    });
    // Changes awaiting review: editors see them, with a link each.
    let reviews: Vec<ReviewLink> = match &ctx.item {
        Some(item) if admin.can_edit() => reads
            .or_empty("changes awaiting review", state.reads.asides_of_item(item.id, AsideKind::Review))
            .into_iter()
            .map(|a| ReviewLink {
                href: To::Review { item: item.id, aside: a.id }.path(),
                text: t
                    .get("admin_review_waiting")
                    .replace("{who}", a.author.as_deref().unwrap_or("?"))
                    .replace("{when}", &admin.zone.show(a.created_at)),
            })
            .collect(),
        _ => Vec::new(),
    };
    let read_only = ctx.access == Access::ReadOnly;
    // An autosaved draft newer than the last save is offered back.
    let autosaved = (!from_autosave && !read_only && !preview && !errors.any())
        .then(|| crate::admin::autosave::pending(state, admin, &ctx.action, ctx.item.as_ref().map(|i| i.updated_at)))
        .flatten()
        .map(|a| Autosaved {
            when: admin.zone.show(a.created_at),
            href: format!("{}{}autosave=1", ctx.action, if ctx.action.contains('?') { '&' } else { '?' }),
        });
    let proposal_note = (ctx.access == Access::Propose).then(|| t.get("admin_propose_help").to_owned());
    // A new item: its language is chosen in the form.
    let item_languages: Vec<Choice> = if ctx.item.is_none() && ctx.source.is_none() {
        state.site.languages().iter().map(|l| Choice { value: l.to_string(), label: lang_name(state, t, l) }).collect()
    } else {
        Vec::new()
    };
    let picks = if read_only { Vec::new() } else { picks(state, &ctx.lang, &mut reads) };
    let values = minijinja::context! {
        autosaved => minijinja::value::Serde(autosaved),
        picks => minijinja::value::Serde(picks),
        item_languages => minijinja::value::Serde(item_languages),
        read_only => read_only,
        proposal_note => proposal_note,
        reviews => minijinja::value::Serde(reviews),
        conflict => minijinja::value::Serde(conflict),
        appeal => minijinja::value::Serde(appeal),
        item_id => ctx.item.as_ref().map(|i| i.id),
        public_path => ctx.item.as_ref().filter(|i| i.status == Status::Published).map(Item::path),
        translate_links => minijinja::value::Serde(translate_links),
        versions => minijinja::value::Serde(versions),
        translator_note => (admin.role() == Role::Translator).then(|| t.get(if read_only { "admin_read_only" } else { "admin_translator_limits" }).to_owned()),
        source_changes => minijinja::value::Serde(source_changes),
        diff => minijinja::value::Serde(diff),
        source => minijinja::value::Serde(source.map(|s| SourceView {
            lang: s.lang.to_string(),
            lang_name: lang_name(state, &admin.t, &s.lang),
            title: s.title.clone(),
            summary: s.summary.clone(),
            body_html: to_safe_html(&s.body, Redaction::hidden(s.lang.as_str())),
        })),
        action => ctx.action.clone(),
        hidden => minijinja::value::Serde(&ctx.hidden),
        errors => minijinja::value::Serde(errors),
        has_errors => has_errors,
        form => minijinja::value::Serde(form.clone()),
        form_lang => ctx.lang.to_string(),
        kind => ctx.kind.as_str(),
        categories => minijinja::value::Serde(categories.into_iter().map(|c| BTreeMap::from([("key", c.value), ("name", c.label)])).collect::<Vec<_>>()),
        statuses => minijinja::value::Serde(status_choices(admin)),
        choose_status => ctx.access == Access::Save,
        show_mark_current => show_mark_current,
        preview_html => preview.then(|| to_safe_html(&form.body, Redaction::hidden(ctx.lang.as_str()))),
        preview => preview.then(|| minijinja::value::Serde(super::preview::preview(state, ctx, form))),
        can_delete => admin.can_edit(),
    };
    let section = ctx.kind.as_str();
    let mut page = Page::new(admin, "admin/edit.html", section, title).notice(notice);
    if reads.failed {
        // A stored item shown without all of its parts could be saved
        // back without them: nothing was typed yet, so say "try again".
        if status.is_success() && !preview {
            return crate::admin::message(state, admin, StatusCode::SERVICE_UNAVAILABLE, "admin_store_failed");
        }
        page = page.error(Some(t.get("admin_partly_read").to_owned()));
    }
    page.status(status).render(state, &admin.lang, values)
}

/// The editor's view of the item's other languages: its versions, links
/// to translate it, and for a translation what changed in its source.
pub(super) struct Translations {
    pub(super) versions: Vec<Version>,
    pub(super) translate_links: Vec<LinkView>,
    pub(super) diff: Vec<crate::admin::history::DiffLine>,
    pub(super) source_changes: Option<Changes>,
    pub(super) source: Option<Item>,
    pub(super) show_mark_current: bool,
}

pub(super) fn translations(
    state: &AppState,
    admin: &Admin,
    ctx: &EditorContext,
    reads: &mut crate::admin::Reads,
) -> Translations {
    let t = &admin.t;
    let group = ctx.item.as_ref().map(|i| reads.or_empty("translation group", state.reads.group_items(i.group_id)));
    let versions: Vec<Version> = group
        .unwrap_or_default()
        .into_iter()
        .filter(|r| Some(r.id) != ctx.item.as_ref().map(|i| i.id))
        .map(|r| Version { id: r.id, lang: r.lang.to_string(), lang_name: lang_name(state, &admin.t, &r.lang) })
        .collect();
    let translate_links: Vec<LinkView> = match &ctx.item {
        Some(item) => state
            .site
            .languages()
            .iter()
            .filter(|l| {
                **l != item.lang && !versions.iter().any(|v| v.lang == l.as_str()) && may_translate_into(admin, l)
            })
            .map(|l| LinkView {
                href: To::Translate { item: item.id, lang: l }.path(),
                label: t.get("admin_translate").replace("{language}", &lang_name(state, &admin.t, l)),
            })
            .collect(),
        None => Vec::new(),
    };
    // A translation whose source changed: show what changed since.
    let mut diff = Vec::new();
    let mut source_changes = None;
    let mut source = ctx.source.clone();
    let mut show_mark_current = false;
    if let Some(item) = &ctx.item
        && let Some(src_id) = item.translated_from
        && let Some(src) = reads.or_empty("source item", state.reads.item(src_id))
    {
        let revisions = reads.or_empty("source revisions", state.reads.revisions(src_id));
        let latest = revisions.first().map(|r| r.id).unwrap_or(0);
        show_mark_current = true;
        if latest > item.source_revision.unwrap_or(0) {
            let old = revisions.iter().find(|r| Some(r.id) == item.source_revision);
            let old_text = old.map(crate::admin::history::revision_text).unwrap_or_default();
            let new_text = revisions.first().map(crate::admin::history::revision_text).unwrap_or_default();
            diff = crate::admin::history::line_diff(t, &old_text, &new_text);
            source_changes = Some(Changes {
                heading: t.get("admin_source_changed").replace("{language}", &lang_name(state, &admin.t, &src.lang)),
            });
        }
        source = Some(src);
    }
    Translations { versions, translate_links, diff, source_changes, source, show_mark_current }
}
