//! The first page after signing in: what needs doing.

use axum::extract::{RawQuery, State};
use axum::response::Response;
use refuge_core::{AdminFilter, Status};
use serde::Serialize;

use super::items::{lang_name, row_view};
use super::{Admin, Page};
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

pub async fn show(State(state): State<AppState>, admin: Admin, RawQuery(_raw): RawQuery) -> Response {
    let t = &admin.t;
    let counts: Vec<Count> = Status::ALL
        .iter()
        .map(|s| Count {
            status: s.as_str(),
            label: t.get(&format!("admin_status_{}", s.as_str())).into(),
            count: state
                .store
                .admin_items(&AdminFilter { status: Some(*s), limit: 1, ..AdminFilter::default() })
                .map_or(0, |(_, n)| n),
        })
        .collect();
    let outdated = state
        .store
        .admin_items(&AdminFilter { outdated_only: true, limit: 50, ..AdminFilter::default() })
        .map(|(rows, _)| rows)
        .unwrap_or_default();
    let missing: Vec<Missing> = state
        .site
        .languages()
        .iter()
        .filter(|l| admin.can_edit() || admin.session.user.languages.contains(l))
        .map(|lang| {
            let rows = state.store.missing_translations(lang, 50).unwrap_or_default();
            Missing {
                heading: t.get("admin_missing_in").replace("{language}", &lang_name(&state, &admin.t, lang)),
                action: t.get("admin_translate").replace("{language}", &lang_name(&state, &admin.t, lang)),
                rows: rows
                    .into_iter()
                    .map(|r| MissingRow {
                        translate_href: Some(format!("/admin/items/{}/translate/{lang}", r.id)),
                        id: r.id,
                        title: r.title,
                        lang_name: lang_name(&state, &admin.t, &r.lang),
                    })
                    .collect(),
            }
        })
        .collect();
    // What waits for someone: messages (for admins), changes to review
    // (for editors).
    let waiting_messages = if admin.is_admin() {
        state.store.unhandled_count().unwrap_or_else(|e| {
            tracing::error!(error = %e, "could not count the waiting messages");
            0
        })
    } else {
        0
    };
    let reviews: Vec<Review> = if admin.can_edit() {
        state
            .store
            .awaiting_review(50)
            .unwrap_or_else(|e| {
                tracing::error!(error = %e, "could not read the changes awaiting review");
                Vec::new()
            })
            .into_iter()
            .filter_map(|a| {
                let item = state.store.item(a.item_id?).ok().flatten()?;
                Some(Review {
                    href: format!("/admin/items/{}/review/{}", item.id, a.id),
                    title: item.title,
                    lang_name: lang_name(&state, &admin.t, &item.lang),
                    who: a.author.unwrap_or_default(),
                    when: admin.zone.show(a.created_at),
                })
            })
            .collect()
    } else {
        Vec::new()
    };
    let values = minijinja::context! {
        waiting_messages => waiting_messages,
        reviews => minijinja::value::Serde(reviews),
        counts => minijinja::value::Serde(counts),
        outdated => minijinja::value::Serde(outdated.iter().map(|r| row_view(&state, &admin, r)).collect::<Vec<_>>()),
        missing => minijinja::value::Serde(missing),
        can_edit => admin.can_edit(),
    };
    Page::new(&admin, "admin/dashboard.html", "dashboard", t.get("admin_dashboard").into()).render(
        &state,
        &admin.lang,
        values,
    )
}
