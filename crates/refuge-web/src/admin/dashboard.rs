//! The first page after signing in: what needs doing.

use crate::admin::paths::To;
use axum::extract::{RawQuery, State};
use refuge_core::{AdminFilter, Kind, Status};
use serde::Serialize;

use super::items::row_view;
use super::lang_name;
use super::{Admin, Answer, Page, read};
use crate::AppState;

#[derive(Serialize)]
struct Count {
    status: &'static str,
    label: String,
    count: u32,
}

#[derive(Serialize)]
struct MissingRow {
    id: i64,
    title: String,
    lang_name: String,
    translate_href: Option<String>,
}

#[derive(Serialize)]
struct Untranslated {
    id: i64,
    title: String,
    lang_name: String,
    /// The fields still in the source's words, named.
    fields: String,
}

/// Appeal translations (in the languages this account works in) with
/// facts still in their source's words; none is left unsaid on the page.
fn untranslated_appeals(state: &AppState, admin: &Admin) -> Result<Vec<Untranslated>, super::Halt> {
    let t = &admin.t;
    let mut rows = Vec::new();
    for lang in state.site.languages().iter().filter(|l| admin.can_edit() || admin.session.user.languages.contains(l)) {
        let filter =
            AdminFilter { kind: Some(Kind::Appeal), lang: Some(lang.clone()), limit: 200, ..AdminFilter::default() };
        let (appeals, _) = read(state, admin, "appeals", state.reads.admin_items(&filter))?;
        for row in appeals {
            let Some(item) = read(state, admin, "appeal", state.reads.item(row.id))? else { continue };
            let mut fields: Vec<String> = Vec::new();
            if let Some(source) = item.translated_from.filter(|s| *s != item.id) {
                let own = read(state, admin, "appeal facts", state.reads.appeal_facts(item.id))?;
                let theirs = read(state, admin, "appeal facts", state.reads.appeal_facts(source))?;
                fields.extend(
                    refuge_core::appeal::untranslated(&own, &theirs)
                        .into_iter()
                        .map(|f| t.get(super::appeals::label_key(f.key())).to_owned()),
                );
                let own_to = read(state, admin, "addressees", state.reads.addressees(item.id))?;
                let their_to = read(state, admin, "addressees", state.reads.addressees(source))?;
                if !refuge_core::appeal::untranslated_addressees(&own_to, &their_to).is_empty() {
                    fields.push(t.get("admin_addressees").to_owned());
                }
            }
            // Timeline entries of the other versions still to translate.
            let waiting =
                read(state, admin, "appeal updates", refuge_app::appeals::to_translate(&*state.reads, &item))?;
            if !waiting.is_empty() {
                fields.push(t.get("admin_timeline_untranslated").replace("{count}", &waiting.len().to_string()));
            }
            if admin.can_edit() {
                let own = read(state, admin, "appeal updates", state.reads.all_appeal_updates(item.id))?;
                let pending = own.iter().filter(|u| u.pending).count();
                if pending > 0 {
                    fields.push(t.get("admin_timeline_pending_count").replace("{count}", &pending.to_string()));
                }
            }
            if !fields.is_empty() {
                rows.push(Untranslated {
                    id: item.id,
                    title: item.title,
                    lang_name: lang_name(state, t, &item.lang),
                    fields: fields.join(t.get("admin_list_separator")),
                });
            }
        }
    }
    Ok(rows)
}

#[derive(Serialize)]
struct Review {
    href: String,
    title: String,
    lang_name: String,
    who: String,
    when: String,
}

#[derive(Serialize)]
struct Missing {
    heading: String,
    action: String,
    rows: Vec<MissingRow>,
}

/// The dashboard: counts, what is out of date or missing, what waits.
/// A failed read shows the "try again" page, never a zero.
pub async fn show(State(state): State<AppState>, admin: Admin, RawQuery(_raw): RawQuery) -> Answer {
    let t = &admin.t;
    let mut counts: Vec<Count> = Vec::new();
    for s in Status::ALL {
        let filter = AdminFilter { status: Some(s), limit: 1, ..AdminFilter::default() };
        let (_, count) = read(&state, &admin, "item counts", state.reads.admin_items(&filter))?;
        counts.push(Count { status: s.as_str(), label: t.get(&format!("admin_status_{}", s.as_str())).into(), count });
    }
    let filter = AdminFilter { outdated_only: true, limit: 50, ..AdminFilter::default() };
    let (outdated, _) = read(&state, &admin, "outdated translations", state.reads.admin_items(&filter))?;
    let mut missing_rows = Vec::new();
    for lang in state.site.languages().iter().filter(|l| admin.can_edit() || admin.session.user.languages.contains(l)) {
        missing_rows
            .push((lang, read(&state, &admin, "missing translations", state.reads.missing_translations(lang, 50))?));
    }
    let missing: Vec<Missing> = missing_rows
        .into_iter()
        .map(|(lang, rows)| Missing {
            heading: t.get("admin_missing_in").replace("{language}", &lang_name(&state, &admin.t, lang)),
            action: t.get("admin_translate").replace("{language}", &lang_name(&state, &admin.t, lang)),
            rows: rows
                .into_iter()
                .map(|r| MissingRow {
                    translate_href: Some(To::Translate { item: r.id, lang }.path()),
                    id: r.id,
                    title: r.title,
                    lang_name: lang_name(&state, &admin.t, &r.lang),
                })
                .collect(),
        })
        .collect();
    // What waits for someone: messages (for admins), changes to review
    // (for editors).
    let waiting_messages =
        if admin.is_admin() { read(&state, &admin, "waiting messages", state.reads.unhandled_count())? } else { 0 };
    let mut reviews: Vec<Review> = Vec::new();
    if admin.can_edit() {
        for a in read(&state, &admin, "changes awaiting review", state.reads.awaiting_review(50))? {
            let Some(item_id) = a.item_id else { continue };
            // An item deleted since has no change to review.
            let Some(item) = read(&state, &admin, "item under review", state.reads.item(item_id))? else { continue };
            reviews.push(Review {
                href: To::Review { item: item.id, aside: a.id }.path(),
                title: item.title,
                lang_name: lang_name(&state, &admin.t, &item.lang),
                who: a.author.unwrap_or_default(),
                when: admin.zone.show(a.created_at),
            });
        }
    }
    let untranslated = untranslated_appeals(&state, &admin)?;
    let values = minijinja::context! {
        untranslated => minijinja::value::Serde(untranslated),
        waiting_messages => waiting_messages,
        reviews => minijinja::value::Serde(reviews),
        counts => minijinja::value::Serde(counts),
        outdated => minijinja::value::Serde(outdated.iter().map(|r| row_view(&state, &admin, r)).collect::<Vec<_>>()),
        missing => minijinja::value::Serde(missing),
        can_edit => admin.can_edit(),
        secrets_file => admin
            .is_admin()
            .then(|| crate::first_secrets_path(&state.config.data))
            .filter(|p| p.exists())
            .map(|p| p.display().to_string()),
    };
    Ok(Page::new(&admin, "admin/dashboard.html", "dashboard", t.get("admin_dashboard").into()).render(
        &state,
        &admin.lang,
        values,
    ))
}
