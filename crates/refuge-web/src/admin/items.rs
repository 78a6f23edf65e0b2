//! Listing, writing, previewing, translating and deleting items.

use std::collections::BTreeMap;

use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use http::{HeaderMap, StatusCode};
use refuge_core::markdown::to_safe_html;
use refuge_core::{AdminFilter, AdminRow, AsideKind, Item, Kind, Language, Role, Status, StoreError};
use serde::Serialize;

use super::editor_form::{Errors, FormView, draft_from, form_from, form_of};
use refuge_app::AppError;
use refuge_app::editorial::{SaveItem, Saved, save_item};

use super::guard::Genuine;
use super::{Admin, Page, audit, forbidden, iso, not_found, rejected, see_other};
use crate::AppState;
use crate::form::{FormData, pairs};

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

/// A language's name in the back office's language (`英語` in Japanese),
/// or, for a language the interface has no name for, its own name.
pub fn lang_name(state: &AppState, t: &refuge_render::Strings, lang: &Language) -> String {
    let key = format!("name_of_{lang}");
    match t.get(&key) {
        name if name != key => name.to_owned(),
        _ => state.site.strings(lang).get("language_name").to_owned(),
    }
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

pub(crate) fn statuses(admin: &Admin) -> Vec<Status> {
    refuge_app::access::statuses(&admin.session.user)
}

fn status_choices(admin: &Admin) -> Vec<Choice> {
    statuses(admin)
        .into_iter()
        .map(|s| Choice {
            value: s.as_str().into(),
            label: admin.t.get(&format!("admin_status_{}", s.as_str())).into(),
        })
        .collect()
}

/// Everything the editor page needs besides the form.
struct EditorContext {
    item: Option<Item>,
    kind: Kind,
    lang: Language,
    action: String,
    hidden: Vec<Hidden>,
    source: Option<Item>,
    access: Access,
}

/// Someone else saved the item after this form was opened.
#[derive(Serialize)]
struct ConflictView {
    text: String,
    diff: Vec<super::history::DiffLine>,
}

/// How the editor is shown this time.
struct Shown<'a> {
    form: &'a FormView,
    errors: Errors,
    preview: bool,
    notice: Option<String>,
    status: StatusCode,
    conflict: Option<ConflictView>,
    /// The form shows an autosaved draft (so none is offered).
    from_autosave: bool,
}

impl<'a> Shown<'a> {
    fn plain(form: &'a FormView) -> Self {
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

    fn failed(form: &'a FormView, errors: Errors, status: StatusCode) -> Self {
        Self { errors, status, ..Self::plain(form) }
    }

    /// The form again with one message about the whole of it.
    fn refused(form: &'a FormView, text: &str, status: StatusCode) -> Self {
        Self::failed(form, Errors { form: Some(text.to_owned()), ..Errors::default() }, status)
    }
}

#[derive(Serialize)]
struct Autosaved {
    when: String,
    href: String,
}

/// An upload offered for insertion into the text.
#[derive(Serialize)]
struct Pick {
    id: i64,
    name: String,
    thumb: Option<String>,
    markdown: String,
    /// No alternative text in the item's language yet.
    to_translate: bool,
}

/// The most recent uploads, with their Markdown in `lang`.
fn picks(state: &AppState, lang: &Language) -> Vec<Pick> {
    let media = match state.store.media_list(0, 24) {
        Ok((list, _)) => list,
        Err(e) => {
            tracing::error!(error = %e, "could not list the uploads for the editor");
            return Vec::new();
        }
    };
    media
        .iter()
        .map(|m| {
            let alt = m.alt.iter().find(|(l, _)| l == lang.as_str()).map(|(_, a)| a.clone()).unwrap_or_default();
            Pick {
                id: m.id,
                name: m.name.clone(),
                thumb: (m.kind == "image").then(|| m.variants.first().map_or_else(|| m.path(), |w| m.variant_path(*w))),
                markdown: super::media::markdown_for(m, &alt),
                to_translate: m.kind == "image" && alt.trim().is_empty(),
            }
        })
        .collect()
}

/// "Insert" in the image list without the script: the file's Markdown
/// is added at the end of the text, and the editor comes back with a
/// preview (nothing is saved).
fn insert_media(state: &AppState, form: &mut FormView, data: &FormData, lang: &Language) -> bool {
    let Some(media) = data.get("insert_media").parse::<i64>().ok().and_then(|id| state.store.media(id).ok().flatten())
    else {
        return false;
    };
    let alt = media.alt.iter().find(|(l, _)| l == lang.as_str()).map(|(_, a)| a.clone()).unwrap_or_default();
    let body = form.body.trim_end().to_owned();
    form.body =
        format!("{body}{}{}\n", if body.is_empty() { "" } else { "\n\n" }, super::media::markdown_for(&media, &alt));
    true
}

#[derive(Serialize)]
struct ReviewLink {
    href: String,
    text: String,
}

fn editor(state: &AppState, admin: &Admin, ctx: &EditorContext, shown: Shown<'_>) -> Response {
    let Shown { form, errors, preview, notice, status, conflict, from_autosave } = shown;
    let t = &admin.t;
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
    let versions: Vec<Version> = ctx
        .item
        .as_ref()
        .and_then(|i| state.store.group_items(i.group_id).ok())
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
                href: format!("/admin/items/{}/translate/{l}", item.id),
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
        && let Ok(Some(src)) = state.store.item(src_id)
    {
        let revisions = state.store.revisions(src_id).unwrap_or_default();
        let latest = revisions.first().map(|r| r.id).unwrap_or(0);
        show_mark_current = true;
        if latest > item.source_revision.unwrap_or(0) {
            let old = revisions.iter().find(|r| Some(r.id) == item.source_revision);
            let old_text = old.map(super::history::revision_text).unwrap_or_default();
            let new_text = revisions.first().map(super::history::revision_text).unwrap_or_default();
            diff = super::history::line_diff(t, &old_text, &new_text);
            source_changes = Some(Changes {
                heading: t.get("admin_source_changed").replace("{language}", &lang_name(state, &admin.t, &src.lang)),
            });
        }
        source = Some(src);
    }
    let categories: Vec<Choice> = state
        .store
        .categories(&ctx.lang)
        .unwrap_or_default()
        .into_iter()
        .map(|c| Choice { value: c.key.to_string(), label: c.name })
        .collect();
    let has_errors = errors.any();
    let appeal = (ctx.kind == Kind::Appeal).then(|| {
        super::appeals::editor_values(state, admin, ctx.item.as_ref().or(ctx.source.as_ref()), ctx.item.is_some(), form)
    });
    // Changes awaiting review: editors see them, with a link each.
    let reviews: Vec<ReviewLink> = match &ctx.item {
        Some(item) if admin.can_edit() => state
            .store
            .asides_of_item(item.id, AsideKind::Review)
            .unwrap_or_else(|e| {
                tracing::error!(error = %e, "could not read the changes awaiting review");
                Vec::new()
            })
            .into_iter()
            .map(|a| ReviewLink {
                href: format!("/admin/items/{}/review/{}", item.id, a.id),
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
        .then(|| super::autosave::pending(state, admin, &ctx.action, ctx.item.as_ref().map(|i| i.updated_at)))
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
    let values = minijinja::context! {
        autosaved => minijinja::value::Serde(autosaved),
        picks => minijinja::value::Serde(if read_only { Vec::new() } else { picks(state, &ctx.lang) }),
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
            body_html: to_safe_html(&s.body),
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
        preview_html => preview.then(|| to_safe_html(&form.body)),
        can_delete => admin.can_edit(),
    };
    let section = ctx.kind.as_str();
    Page::new(admin, "admin/edit.html", section, title).notice(notice).status(status).render(state, &admin.lang, values)
}

fn query_map(raw: Option<&str>) -> BTreeMap<String, String> {
    pairs(raw.unwrap_or_default(), 20).into_iter().collect()
}

fn notice_text(admin: &Admin, raw: Option<&str>) -> Option<String> {
    let key = match query_map(raw).get("notice").map(String::as_str) {
        Some("saved") => "admin_saved",
        Some("deleted") => "admin_deleted",
        Some("restored") => "admin_restored",
        Some("submitted") => "admin_submitted_for_review",
        Some("discarded") => "admin_review_discarded",
        _ => return None,
    };
    Some(admin.t.get(key).to_owned())
}

/// What the list shows, read from its address.
struct ListQuery {
    filter: AdminFilter,
    page: u32,
    /// The address's pairs, to build the next page's link.
    pairs: BTreeMap<String, String>,
}

fn list_query(state: &AppState, raw: Option<&str>) -> ListQuery {
    let q = query_map(raw);
    let get = |k: &str| q.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
    let date = |k: &str| {
        get(k).and_then(|v| time::Date::parse(v, time::macros::format_description!("[year]-[month]-[day]")).ok())
    };
    let page: u32 = get("page").and_then(|p| p.parse().ok()).filter(|p| (1..=10_000).contains(p)).unwrap_or(1);
    let filter = AdminFilter {
        kind: get("kind").and_then(|k| k.parse::<Kind>().ok()),
        lang: get("lang").and_then(|l| Language::parse(l).ok()).filter(|l| state.site.languages().contains(l)),
        status: get("status").and_then(|s| s.parse::<Status>().ok()),
        outdated_only: get("outdated") == Some("1"),
        text: get("q").map(|t| t.chars().take(200).collect()),
        author: get("author").and_then(|a| a.parse().ok()),
        category: get("category").map(str::to_owned),
        from: date("from"),
        to: date("to"),
        sort: refuge_core::AdminSort::parse(get("sort").unwrap_or_default()),
        offset: (page - 1) * 50,
        limit: 50,
    };
    ListQuery { filter, page, pairs: q }
}

pub async fn list(State(state): State<AppState>, admin: Admin, RawQuery(raw): RawQuery) -> Response {
    let ListQuery { filter, page, pairs: q } = list_query(&state, raw.as_deref());
    let (rows, total) = match state.store.admin_items(&filter) {
        Ok(found) => found,
        Err(e) => return store_error(&state, &admin, e),
    };
    let kind = filter.kind;
    let t = &admin.t;
    let title = match kind {
        Some(Kind::Page) => t.get("admin_pages"),
        Some(Kind::News) => t.get("admin_news"),
        Some(Kind::Appeal) => t.get("admin_appeals"),
        None => t.get("admin_content"),
    }
    .to_owned();
    let next_href = (page * 50 < total).then(|| {
        let mut q = q.clone();
        q.insert("page".into(), (page + 1).to_string());
        format!(
            "/admin/items?{}",
            q.iter()
                .map(|(k, v)| format!(
                    "{k}={}",
                    percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC)
                ))
                .collect::<Vec<_>>()
                .join("&")
        )
    });
    let languages: Vec<BTreeMap<&str, String>> = state
        .site
        .languages()
        .iter()
        .map(|l| BTreeMap::from([("code", l.to_string()), ("name", lang_name(&state, &admin.t, l))]))
        .collect();
    let authors: Vec<Choice> = state
        .store
        .users()
        .unwrap_or_else(|e| {
            tracing::error!(error = %e, "could not list the accounts");
            Vec::new()
        })
        .into_iter()
        .map(|u| Choice { value: u.id.to_string(), label: u.email.to_string() })
        .collect();
    let category_lang = filter.lang.clone().unwrap_or_else(|| admin.lang.clone());
    let categories: Vec<Choice> = state
        .store
        .categories(&category_lang)
        .unwrap_or_default()
        .into_iter()
        .map(|c| Choice { value: c.key.to_string(), label: c.name })
        .collect();
    let sorts: Vec<Choice> =
        [refuge_core::AdminSort::Updated, refuge_core::AdminSort::Published, refuge_core::AdminSort::Title]
            .into_iter()
            .map(|s| Choice { value: s.as_str().into(), label: t.get(&format!("admin_sort_{}", s.as_str())).into() })
            .collect();
    let day = |d: Option<time::Date>| {
        d.map(|d| format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())).unwrap_or_default()
    };
    let values = minijinja::context! {
        rows => minijinja::value::Serde(rows.iter().map(|r| row_view(&state, &admin, r)).collect::<Vec<_>>()),
        total => total,
        kind => kind.map_or("news", Kind::as_str),
        filter_kind => kind.map(Kind::as_str).unwrap_or_default(),
        languages => minijinja::value::Serde(languages),
        statuses => minijinja::value::Serde(status_choices(&admin)),
        authors => minijinja::value::Serde(authors),
        categories => minijinja::value::Serde(categories),
        sorts => minijinja::value::Serde(sorts),
        filter_lang => filter.lang.as_ref().map(|l| l.to_string()).unwrap_or_default(),
        filter_status => filter.status.map(|s| s.as_str().to_owned()).unwrap_or_default(),
        filter_text => filter.text.clone().unwrap_or_default(),
        filter_author => filter.author.map(|a| a.to_string()).unwrap_or_default(),
        filter_category => filter.category.clone().unwrap_or_default(),
        filter_from => day(filter.from),
        filter_to => day(filter.to),
        filter_sort => filter.sort.as_str(),
        outdated_only => filter.outdated_only,
        can_edit => admin.can_edit(),
        next_href => next_href,
        back => raw.as_deref().map(|r| format!("/admin/items?{r}")).unwrap_or_else(|| "/admin/items".into()),
    };
    let section = kind.map_or("news", Kind::as_str);
    Page::new(&admin, "admin/items.html", section, title).notice(notice_text(&admin, raw.as_deref())).render(
        &state,
        &admin.lang,
        values,
    )
}

/// What a bulk action does to one item.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Bulk {
    Publish,
    Unpublish,
    Delete,
}

impl Bulk {
    fn parse(s: &str) -> Option<Self> {
        match s {
            "publish" => Some(Self::Publish),
            "unpublish" => Some(Self::Unpublish),
            "delete" => Some(Self::Delete),
            _ => None,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::Publish => "publish",
            Self::Unpublish => "unpublish",
            Self::Delete => "delete",
        }
    }
}

/// Publishes, unpublishes or deletes the ticked items, after one
/// confirmation page that lists them.
pub async fn bulk(State(state): State<AppState>, admin: Admin, data: FormData) -> Response {
    let t = &admin.t;
    let back = Some(data.get("back")).filter(|b| b.starts_with("/admin/items")).unwrap_or("/admin/items").to_owned();
    let Some(action) = Bulk::parse(data.get("bulk_action")) else { return see_other(&back) };
    let items: Vec<Item> = data
        .0
        .iter()
        .filter(|(k, _)| k == "ids")
        .filter_map(|(_, v)| v.parse::<i64>().ok())
        .take(200)
        .filter_map(|id| state.store.item(id).ok().flatten())
        .collect();
    if items.is_empty() {
        return see_other(&back);
    }
    if !super::confirmed(&data) {
        let mut hidden: Vec<(String, String)> = items.iter().map(|i| ("ids".to_owned(), i.id.to_string())).collect();
        hidden.push(("bulk_action".into(), action.as_str().into()));
        hidden.push(("back".into(), back.clone()));
        return super::Confirm {
            title: t.get(&format!("admin_bulk_{}", action.as_str())).to_owned(),
            question: t
                .get(&format!("admin_bulk_{}_question", action.as_str()))
                .replace("{count}", &items.len().to_string()),
            links: items
                .iter()
                .map(|i| super::LinkTo {
                    href: format!("/admin/items/{}", i.id),
                    text: format!(
                        "{} ({}, {})",
                        i.title,
                        lang_name(&state, t, &i.lang),
                        t.get(&format!("admin_status_{}", i.status.as_str()))
                    ),
                })
                .collect(),
            action: "/admin/items/bulk".into(),
            confirm_label: t.get(&format!("admin_bulk_{}", action.as_str())).to_owned(),
            cancel_href: back,
            hidden,
            ..super::Confirm::default()
        }
        .render(&state, &admin, "news");
    }
    let mut done = 0;
    let mut failed = 0;
    for item in &items {
        let result = match action {
            Bulk::Delete => state.store.delete_item(item.id).map(|()| None),
            Bulk::Publish | Bulk::Unpublish => {
                let status = if action == Bulk::Publish { Status::Published } else { Status::Draft };
                if item.status == status {
                    continue;
                }
                let published_at = if action == Bulk::Publish {
                    item.published_at.or(Some(time::OffsetDateTime::now_utc()))
                } else {
                    item.published_at
                };
                let draft = item.redraft(status, published_at);
                state.store.save_item_by(Some(item.id), &draft, Some(admin.session.user.id), action.as_str()).map(Some)
            }
        };
        match result {
            Ok(after) => {
                state.item_changed(Some(item), after.as_ref());
                let subject = format!("{} {} “{}” ({})", item.kind, item.id, item.title, item.lang);
                audit(&state, admin.email(), action.as_str(), &subject, "bulk");
                done += 1;
            }
            Err(e) => {
                tracing::error!(error = %e, id = item.id, "a bulk change failed");
                failed += 1;
            }
        }
    }
    let text = t.get("admin_bulk_done").replace("{done}", &done.to_string()).replace("{failed}", &failed.to_string());
    let values = minijinja::context! { text => text.clone() };
    let status = if failed > 0 { StatusCode::INTERNAL_SERVER_ERROR } else { StatusCode::OK };
    Page::new(&admin, "admin/message.html", "news", text).status(status).render(&state, &admin.lang, values)
}

fn store_error(state: &AppState, admin: &Admin, e: StoreError) -> Response {
    tracing::error!(error = %e, "back-office storage error");
    super::message(state, admin, StatusCode::INTERNAL_SERVER_ERROR, "error_text")
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
        && match super::autosave::pending(&state, &admin, &ctx.action, None) {
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

/// Saves (or previews) the editor form; on success redirects to the item.
async fn save(
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
            super::appeals::check(admin, data, &mut errors);
        }
        // Online, every image says what it shows, in the item's language.
        let missing = refuge_core::markdown::images_without_alt(&draft.body);
        if matches!(draft.status, Status::Published | Status::Scheduled) && !missing.is_empty() {
            errors.body = Some(admin.t.get("admin_image_without_alt").replace("{images}", &missing.join(", ")));
        }
        if errors.any() { Err(Box::new(errors)) } else { Ok(draft) }
    });
    let draft = match checked {
        Ok(d) => d,
        Err(errors) => {
            return editor(state, admin, ctx, Shown::failed(&form, *errors, StatusCode::UNPROCESSABLE_ENTITY));
        }
    };
    if super::intent(data) == "preview" {
        return editor(state, admin, ctx, Shown { preview: true, ..Shown::plain(&form) });
    }
    if let Some(item) = &ctx.item
        && let Some(conflict) = conflict(state, admin, item, &form)
    {
        let mut form = form.clone();
        form.base_revision = conflict.1;
        let text = conflict.0.text.clone();
        return editor(
            state,
            admin,
            ctx,
            Shown { conflict: Some(conflict.0), ..Shown::refused(&form, &text, StatusCode::CONFLICT) },
        );
    }
    let request = SaveItem {
        id: ctx.item.as_ref().map(|i| i.id),
        draft,
        note: form.note.clone(),
        appeal: (ctx.kind == Kind::Appeal).then(|| super::appeals::from_form(data)),
        translation_of: translation_of.map(|s| s.id),
        marks_current: form.mark_current,
        resolves_review: data.get("review").parse().ok(),
    };
    let store = state.store.clone();
    let user = admin.session.user.clone();
    let saved = tokio::task::spawn_blocking(move || save_item(&*store, &user, request))
        .await
        .unwrap_or_else(|e| Err(AppError::Storage(format!("the save task failed: {e}"))));
    let Saved { before, after, .. } = match saved {
        Ok(saved) => saved,
        Err(e) => return save_failed(state, admin, ctx, &form, e),
    };
    state.item_changed(before.as_ref(), Some(&after));
    if after.status == Status::Scheduled {
        state.scheduler.notify_one();
    }
    if after.status == Status::Review && before.as_ref().is_none_or(|b| b.status != Status::Review) {
        crate::outgoing::review_request(state, &after, admin.email());
    }
    super::autosave::forget(state, admin, &ctx.action);
    see_other(&format!("/admin/items/{}?notice=saved", after.id))
}

/// The editor again, with what was typed and why it was not saved.
fn save_failed(state: &AppState, admin: &Admin, ctx: &EditorContext, form: &FormView, e: AppError) -> Response {
    let t = &admin.t;
    let (errors, status) = match e {
        AppError::Conflict(text) => (Errors { slug: Some(text), ..Errors::default() }, StatusCode::CONFLICT),
        AppError::Invalid(text) => {
            (Errors { title: Some(text), ..Errors::default() }, StatusCode::UNPROCESSABLE_ENTITY)
        }
        AppError::Forbidden => {
            return editor(
                state,
                admin,
                ctx,
                Shown::refused(form, t.get("admin_forbidden_kept"), StatusCode::FORBIDDEN),
            );
        }
        AppError::NotFound(_) => return not_found(state, admin),
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

/// Whether the item was saved by someone else since `form` was opened:
/// what to say and the difference between their text and this one, and
/// the latest revision (with which a second save goes through).
fn conflict(state: &AppState, admin: &Admin, item: &Item, form: &FormView) -> Option<(ConflictView, i64)> {
    if form.base_revision == 0 {
        return None; // a form from before versions were sent
    }
    let latest = match state.store.latest_revision(item.id) {
        Ok(latest) => latest,
        Err(e) => {
            tracing::error!(error = %e, "could not read an item's latest revision");
            return None;
        }
    };
    if latest == form.base_revision {
        return None;
    }
    let theirs = state.store.revision(latest).ok().flatten()?;
    let mine = super::history::form_text(form);
    let t = &admin.t;
    let text = t
        .get("admin_conflict")
        .replace("{who}", theirs.author.as_deref().unwrap_or(t.get("admin_system")))
        .replace("{when}", &admin.zone.show(theirs.created_at));
    let diff = super::history::line_diff(t, &super::history::revision_text(&theirs), &mine);
    Some((ConflictView { text, diff }, latest))
}

/// A translator's change to a published item: checked like a save, then
/// kept aside for an editor while the published text stays online.
async fn propose(state: &AppState, admin: &Admin, ctx: &EditorContext, item: &Item, data: &FormData) -> Response {
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
        super::appeals::check(admin, data, &mut errors);
    }
    if errors.any() {
        return editor(state, admin, ctx, Shown::failed(&form, errors, StatusCode::UNPROCESSABLE_ENTITY));
    }
    if super::intent(data) == "preview" {
        return editor(state, admin, ctx, Shown { preview: true, ..Shown::plain(&form) });
    }
    let fields: Vec<(String, String)> =
        data.0.iter().filter(|(k, _)| !matches!(k.as_str(), "csrf" | "intent" | "action")).cloned().collect();
    let place = format!("/admin/items/{}", item.id);
    let aside = refuge_core::NewAside {
        kind: AsideKind::Review,
        key_hash: None,
        user_id: Some(admin.session.user.id),
        item_id: Some(item.id),
        place: &place,
        base_revision: form.base_revision,
        form: &fields,
    };
    if let Err(e) = state.store.put_aside(&aside) {
        tracing::error!(error = %e, "a change for review could not be kept");
        let text = admin.t.get("admin_save_failed");
        return editor(state, admin, ctx, Shown::refused(&form, text, StatusCode::INTERNAL_SERVER_ERROR));
    }
    let subject = format!("{} {} “{}” ({})", item.kind, item.id, item.title, item.lang);
    super::autosave::forget(state, admin, &ctx.action);
    audit(state, admin.email(), "propose", &subject, "awaits review");
    crate::outgoing::review_request(state, item, admin.email());
    see_other(&format!("/admin/items/{}?notice=submitted", item.id))
}

fn load(state: &AppState, id: &str) -> Option<Item> {
    id.parse::<i64>().ok().and_then(|id| state.store.item(id).ok().flatten())
}

/// The editor of a new item of `kind` in `lang`.
fn new_item_context(kind: Kind, lang: &Language) -> EditorContext {
    EditorContext {
        item: None,
        kind,
        lang: lang.clone(),
        action: format!("/admin/items/new?kind={kind}&lang={lang}"),
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
        action: format!("/admin/items/{}", item.id),
        hidden: Vec::new(),
        source: None,
        access: access(admin, item),
    }
}

/// The form for an item as stored, with its version for the two-tab check.
fn stored_form(state: &AppState, admin: &Admin, item: &Item) -> FormView {
    let mut form = form_of(item, &admin.zone);
    form.base_revision = state.store.latest_revision(item.id).unwrap_or_else(|e| {
        tracing::error!(error = %e, "could not read an item's latest revision");
        0
    });
    form
}

pub async fn edit_form(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let Some(item) = load(&state, &id) else { return not_found(&state, &admin) };
    let mut notice = notice_text(&admin, raw.as_deref());
    let ctx = edit_context(&admin, &item);
    let mut form = stored_form(&state, &admin, &item);
    let place = format!("/admin/items/{}", item.id);
    // A translator goes on with their own change awaiting review; an
    // editor may open a change awaiting review to edit it before saving.
    let review = query_map(raw.as_deref()).get("review").and_then(|r| r.parse::<i64>().ok());
    let pending = match (ctx.access, review) {
        (Access::Propose, _) => state.store.own_aside(AsideKind::Review, &place, admin.session.user.id).ok().flatten(),
        (Access::Save, Some(id)) if admin.can_edit() => {
            state.store.aside(id).ok().flatten().filter(|a| a.item_id == Some(item.id) && a.kind == AsideKind::Review)
        }
        _ => None,
    };
    let mut ctx = ctx;
    let mut from_autosave = false;
    if query_map(raw.as_deref()).get("autosave").is_some_and(|v| v == "1")
        && let Some(aside) = super::autosave::pending(&state, &admin, &place, None)
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
    editor(&state, &admin, &ctx, Shown { notice, from_autosave, ..Shown::plain(&form) })
}

pub async fn update(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    headers: HeaderMap,
    genuine: Genuine,
    data: FormData,
) -> Response {
    let Some(item) = load(&state, &id) else { return not_found(&state, &admin) };
    let ctx = edit_context(&admin, &item);
    if !genuine.0 {
        return refused_form(&state, &admin, &ctx, &headers, &data);
    }
    match ctx.access {
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
    }
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
    if !super::same_origin(state, headers) {
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
        action: format!("/admin/items/{}/translate/{lang}", source.id),
        hidden: Vec::new(),
        source: Some(source.clone()),
        access: Access::Save,
    }
}

fn translation_target(
    state: &AppState,
    admin: &Admin,
    id: &str,
    lang: &str,
) -> Result<(Item, Language), Box<Response>> {
    let Some(source) = load(state, id) else { return Err(Box::new(not_found(state, admin))) };
    let Some(lang) = Language::parse(lang).ok().filter(|l| state.site.languages().contains(l) && *l != source.lang)
    else {
        return Err(Box::new(not_found(state, admin)));
    };
    if !may_translate_into(admin, &lang) {
        return Err(Box::new(forbidden(state, admin)));
    }
    if let Some(existing) =
        state.store.group_items(source.group_id).unwrap_or_default().into_iter().find(|r| r.lang == lang)
    {
        return Err(Box::new(see_other(&format!("/admin/items/{}", existing.id))));
    }
    Ok((source, lang))
}

pub async fn translate_form(
    State(state): State<AppState>,
    admin: Admin,
    Path((id, lang)): Path<(String, String)>,
) -> Response {
    let (source, lang) = match translation_target(&state, &admin, &id, &lang) {
        Ok(found) => found,
        Err(response) => return *response,
    };
    let form = FormView {
        slug: source.slug.to_string(),
        body: source.body.clone(),
        category: source.category.clone().unwrap_or_default(),
        status: "draft".into(),
        published_at: admin.zone.input(source.published_at),
        ..FormView::default()
    };
    editor(&state, &admin, &translate_context(&source, &lang), Shown::plain(&form))
}

pub async fn translate(
    State(state): State<AppState>,
    admin: Admin,
    Path((id, lang)): Path<(String, String)>,
    headers: HeaderMap,
    genuine: Genuine,
    data: FormData,
) -> Response {
    let (source, lang) = match translation_target(&state, &admin, &id, &lang) {
        Ok(found) => found,
        Err(response) => return *response,
    };
    let ctx = translate_context(&source, &lang);
    if !genuine.0 {
        return refused_form(&state, &admin, &ctx, &headers, &data);
    }
    save(&state, &admin, &ctx, &data, Some(&source)).await
}

pub async fn delete_form(State(state): State<AppState>, admin: Admin, Path(id): Path<String>) -> Response {
    let Some(item) = load(&state, &id) else { return not_found(&state, &admin) };
    let question = admin
        .t
        .get("admin_delete_confirm")
        .replace("{title}", &item.title)
        .replace("{language}", &lang_name(&state, &admin.t, &item.lang));
    super::Confirm {
        title: admin.t.get("admin_delete").to_owned(),
        question,
        action: format!("/admin/items/{}/delete", item.id),
        confirm_label: admin.t.get("admin_delete").to_owned(),
        cancel_href: format!("/admin/items/{}", item.id),
        ..super::Confirm::default()
    }
    .render(&state, &admin, item.kind.as_str())
}

pub async fn delete(State(state): State<AppState>, admin: Admin, Path(id): Path<String>) -> Response {
    let Some(item) = load(&state, &id) else { return not_found(&state, &admin) };
    if let Err(e) = state.store.delete_item(item.id) {
        return store_error(&state, &admin, e);
    }
    state.item_changed(Some(&item), None);
    audit(&state, admin.email(), "delete", &format!("{} {} “{}” ({})", item.kind, item.id, item.title, item.lang), "");
    see_other(&format!("/admin/items?kind={}&notice=deleted", item.kind))
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
        [id] => edit_context(admin, &load(state, id)?),
        [id, "translate", lang] => {
            let (source, lang) = translation_target(state, admin, id, lang).ok()?;
            translate_context(&source, &lang)
        }
        _ => return None,
    };
    Some(editor(state, admin, &ctx, Shown { notice, ..Shown::plain(&form) }))
}
