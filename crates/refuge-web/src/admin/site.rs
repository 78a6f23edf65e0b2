//! Site settings (admins), the FAQ and the menus (editors), per language.

use axum::extract::{Path, State};
use axum::response::Response;
use http::StatusCode;
use refuge_core::{Language, MenuEntry};
use refuge_render::Dep;
use serde::Serialize;

use super::lang_name;
use super::{Admin, Page, not_found};
use crate::AppState;
use crate::form::FormData;

/// The settings an administrator edits, per language.
pub const SETTINGS: [&str; 6] = ["site_name", "tagline", "org_address", "home_title", "home_intro", "welcome_mail"];

#[derive(Serialize)]
struct SettingField {
    key: &'static str,
    label: String,
    value: String,
    long: bool,
}

#[derive(Serialize)]
struct LanguageSettings {
    lang: String,
    lang_name: String,
    fields: Vec<SettingField>,
}

#[derive(Serialize)]
struct LanguageLink {
    href: String,
    name: String,
    current: bool,
}

fn language_links(state: &AppState, admin: &Admin, base: &str, current: &Language) -> Vec<LanguageLink> {
    state
        .site
        .languages()
        .iter()
        .map(|l| LanguageLink {
            href: format!("{base}/{l}"),
            name: lang_name(state, &admin.t, l),
            current: l == current,
        })
        .collect()
}

fn settings_page(state: &AppState, admin: &Admin, notice: Option<String>, error: Option<String>) -> Response {
    let mut reads = super::Reads::default();
    let languages: Vec<LanguageSettings> = state
        .site
        .languages()
        .iter()
        .map(|l| LanguageSettings {
            lang: l.to_string(),
            lang_name: lang_name(state, &admin.t, l),
            fields: SETTINGS
                .iter()
                .map(|key| SettingField {
                    key,
                    label: admin.t.get(&format!("admin_setting_{key}")).into(),
                    value: reads.or_empty("settings", state.reads.setting(key, l)).unwrap_or_default(),
                    long: matches!(*key, "home_intro" | "welcome_mail"),
                })
                .collect(),
        })
        .collect();
    let zone =
        reads.or_empty("settings", state.reads.setting("time_zone", state.site.default_language())).unwrap_or_default();
    let wait = super::appeals::translation_wait(state).whole_hours();
    if reads.failed {
        // Saving a form with missing values would erase them.
        return super::message(state, admin, StatusCode::SERVICE_UNAVAILABLE, "admin_store_failed");
    }
    let values = minijinja::context! {
        languages => minijinja::value::Serde(languages),
        time_zone => zone,
        zones => super::zone::Zone::names(),
        translation_wait => wait,
    };
    let status = if error.is_some() { http::StatusCode::UNPROCESSABLE_ENTITY } else { http::StatusCode::OK };
    Page::new(admin, "admin/settings.html", "settings", admin.t.get("admin_settings").into())
        .notice(notice)
        .error(error)
        .status(status)
        .render(state, &admin.lang, values)
}

pub async fn settings(State(state): State<AppState>, admin: Admin) -> Response {
    settings_page(&state, &admin, None, None)
}

pub async fn save_settings(State(state): State<AppState>, admin: Admin, form: FormData) -> Response {
    let mut change = refuge_app::site::Settings::default();
    if form.has("translation_wait_hours") {
        let typed = form.get("translation_wait_hours").trim();
        match typed.parse::<u16>().ok().filter(|h| *h <= 720) {
            Some(hours) => change.translation_wait_hours = Some(hours),
            None => {
                let text = admin.t.get("admin_translation_wait_invalid").to_owned();
                return settings_page(&state, &admin, None, Some(text));
            }
        }
    }
    if form.has("time_zone") {
        let typed = form.get("time_zone").trim();
        match super::zone::Zone::parse(typed) {
            Some(zone) => change.time_zone = Some(zone.name().to_owned()),
            None if typed.is_empty() => {}
            None => {
                let text = admin.t.get("admin_zone_unknown").replace("{zone}", typed);
                return settings_page(&state, &admin, None, Some(text));
            }
        }
    }
    for lang in state.site.languages() {
        for key in SETTINGS {
            let name = format!("{key}_{lang}");
            if form.has(&name) {
                change.texts.push((key, lang.clone(), form.get(&name).replace("\r\n", "\n")));
            }
        }
    }
    let (app, user) = (state.app.clone(), admin.session.user.clone());
    let wait_changed = change.translation_wait_hours.is_some();
    if let Err(e) = super::run_case(move || app.save_settings(&user, &change)).await {
        return settings_page(&state, &admin, None, Some(super::explain_app(&admin, "settings", &e)));
    }
    if wait_changed {
        // A shorter wait may have ended some already.
        state.wake.scheduler.notify_one();
    }
    state.invalidate(&[Dep::Site]);
    settings_page(&state, &admin, Some(admin.t.get("admin_saved").into()), None)
}

#[derive(Serialize, Clone)]
struct FaqRow {
    anchor: String,
    question: String,
    answer: String,
}

fn target_language(state: &AppState, lang: &str) -> Option<Language> {
    Language::parse(lang).ok().filter(|l| state.site.languages().contains(l))
}

fn faq_page(
    state: &AppState,
    admin: &Admin,
    lang: &Language,
    rows: Vec<FaqRow>,
    notice: Option<String>,
    error: Option<String>,
) -> Response {
    let mut rows = rows;
    rows.extend((0..2).map(|_| FaqRow { anchor: String::new(), question: String::new(), answer: String::new() }));
    let values = minijinja::context! {
        rows => minijinja::value::Serde(rows),
        form_lang => lang.to_string(),
        languages => minijinja::value::Serde(language_links(state, admin, "/admin/faq", lang)),
    };
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let title = format!("{} ({})", admin.t.get("admin_faq"), lang_name(state, &admin.t, lang));
    Page::new(admin, "admin/faq.html", "faq", title).notice(notice).error(error).status(status).render(
        state,
        &admin.lang,
        values,
    )
}

pub async fn faq(State(state): State<AppState>, admin: Admin, Path(lang): Path<String>) -> Response {
    let Some(lang) = target_language(&state, &lang) else { return not_found(&state, &admin) };
    let rows = state
        .reads
        .faq(&lang)
        .unwrap_or_default()
        .into_iter()
        .map(|e| FaqRow { anchor: e.anchor.to_string(), question: e.question, answer: e.answer })
        .collect();
    faq_page(&state, &admin, &lang, rows, None, None)
}

/// Rows of a repeated-field form: the n-th value of each name.
fn rows<'a>(form: &'a FormData, names: &[&str]) -> Vec<Vec<&'a str>> {
    let columns: Vec<Vec<&str>> =
        names.iter().map(|n| form.0.iter().filter(|(k, _)| k == n).map(|(_, v)| v.as_str()).collect()).collect();
    let count = columns.iter().map(Vec::len).max().unwrap_or(0);
    (0..count).map(|i| columns.iter().map(|c| c.get(i).copied().unwrap_or("")).collect()).collect()
}

pub async fn save_faq(
    State(state): State<AppState>,
    admin: Admin,
    Path(lang): Path<String>,
    form: FormData,
) -> Response {
    let Some(lang) = target_language(&state, &lang) else { return not_found(&state, &admin) };
    let typed: Vec<FaqRow> = rows(&form, &["anchor", "question", "answer"])
        .into_iter()
        .filter(|r| !r[1].trim().is_empty())
        .map(|r| FaqRow {
            anchor: r[0].trim().to_owned(),
            question: r[1].trim().to_owned(),
            answer: r[2].replace("\r\n", "\n"),
        })
        .collect();
    let rows: Vec<(String, String, String)> =
        typed.iter().map(|r| (r.anchor.clone(), r.question.clone(), r.answer.clone())).collect();
    let entries = refuge_app::site::faq_entries(&lang, &rows);
    let (app, user, l) = (state.app.clone(), admin.session.user.clone(), lang.clone());
    let old_ids = match super::run_case(move || app.save_faq(&user, &l, &rows)).await {
        Ok(old_ids) => old_ids,
        Err(e) => return faq_page(&state, &admin, &lang, typed, None, Some(super::explain_app(&admin, "faq", &e))),
    };
    state.invalidate(&[Dep::Faq(lang.clone())]);
    if let Err(e) = refuge_search::faq_changed(&state.search, &*state.reads, &lang, &old_ids) {
        tracing::error!(error = %e, "search index update failed");
    }
    let saved: Vec<FaqRow> =
        entries.into_iter().map(|(a, q, ans)| FaqRow { anchor: a.to_string(), question: q, answer: ans }).collect();
    faq_page(&state, &admin, &lang, saved, Some(admin.t.get("admin_saved").into()), None)
}

fn menu_page(
    state: &AppState,
    admin: &Admin,
    lang: &Language,
    entries: Vec<MenuEntry>,
    notice: Option<String>,
    error: Option<String>,
) -> Response {
    let mut entries = entries;
    entries.extend((0..3).map(|_| MenuEntry { label: String::new(), path: String::new() }));
    let values = minijinja::context! {
        entries => minijinja::value::Serde(entries),
        form_lang => lang.to_string(),
        languages => minijinja::value::Serde(language_links(state, admin, "/admin/menus", lang)),
    };
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let title = format!("{} ({})", admin.t.get("admin_menus"), lang_name(state, &admin.t, lang));
    Page::new(admin, "admin/menu.html", "menus", title).notice(notice).error(error).status(status).render(
        state,
        &admin.lang,
        values,
    )
}

pub async fn menu(State(state): State<AppState>, admin: Admin, Path(lang): Path<String>) -> Response {
    let Some(lang) = target_language(&state, &lang) else { return not_found(&state, &admin) };
    let entries = match state.reads.menu(&lang) {
        Ok(entries) => entries,
        Err(e) => return super::store_failed(&state, &admin, "menu", e),
    };
    menu_page(&state, &admin, &lang, entries, None, None)
}

pub async fn save_menu(
    State(state): State<AppState>,
    admin: Admin,
    Path(lang): Path<String>,
    form: FormData,
) -> Response {
    let Some(lang) = target_language(&state, &lang) else { return not_found(&state, &admin) };
    let entries: Vec<MenuEntry> = rows(&form, &["label", "path"])
        .into_iter()
        .filter(|r| !r[0].trim().is_empty() && !r[1].trim().is_empty())
        .map(|r| MenuEntry { label: r[0].trim().to_owned(), path: r[1].trim().to_owned() })
        .collect();
    let (app, user, l, e) = (state.app.clone(), admin.session.user.clone(), lang.clone(), entries.clone());
    if let Err(e) = super::run_case(move || app.save_menu(&user, &l, &e)).await {
        return menu_page(&state, &admin, &lang, entries, None, Some(super::explain_app(&admin, "menu", &e)));
    }
    state.invalidate(&[Dep::Site]);
    menu_page(&state, &admin, &lang, entries, Some(admin.t.get("admin_saved").into()), None)
}
