//! The list of items: filters, sorting, pages, and bulk actions.

use super::*;
use crate::admin::paths::To;
use refuge_app::items::Bulk;

/// What the list shows, read from its address.
pub(super) struct ListQuery {
    pub(super) filter: AdminFilter,
    pub(super) page: u32,
    /// The address's pairs, to build the next page's link.
    pub(super) pairs: BTreeMap<String, String>,
}

pub(super) fn list_query(state: &AppState, admin: &Admin, raw: Option<&str>) -> ListQuery {
    let q = query_map(raw);
    let get = |k: &str| q.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
    // Days are the reader's: from the start of the first in their zone
    // to the start of the day after the last.
    let date = |k: &str| {
        get(k).and_then(|v| time::Date::parse(v, time::macros::format_description!("[year]-[month]-[day]")).ok())
    };
    let start = |d: time::Date| admin.zone.start_of(d);
    let page: u32 = get("page").and_then(|p| p.parse().ok()).filter(|p| (1..=10_000).contains(p)).unwrap_or(1);
    let filter = AdminFilter {
        kind: get("kind").and_then(|k| k.parse::<Kind>().ok()),
        lang: get("lang").and_then(|l| Language::parse(l).ok()).filter(|l| state.site.languages().contains(l)),
        status: get("status").and_then(|s| s.parse::<Status>().ok()),
        outdated_only: get("outdated") == Some("1"),
        text: get("q").map(|t| t.chars().take(200).collect()),
        author: get("author").and_then(|a| a.parse().ok()),
        category: get("category").map(str::to_owned),
        from: date("from").and_then(start),
        until: date("to").and_then(|d| d.next_day()).and_then(start),
        sort: refuge_core::AdminSort::parse(get("sort").unwrap_or_default()),
        offset: (page - 1) * 50,
        limit: 50,
    };
    ListQuery { filter, page, pairs: q }
}

// Long on purpose: the list page's values (filters, choices, rows), as the template reads them.
pub async fn list(State(state): State<AppState>, admin: Admin, RawQuery(raw): RawQuery) -> Answer {
    let ListQuery { filter, page, pairs: q } = list_query(&state, &admin, raw.as_deref());
    let (rows, total) = crate::admin::read(&state, &admin, "item list", state.reads.admin_items(&filter))?;
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
    let authors: Vec<Choice> = crate::admin::read(&state, &admin, "accounts", state.reads.users())?
        .into_iter()
        .map(|u| Choice { value: u.id.to_string(), label: u.email.to_string() })
        .collect();
    let category_lang = filter.lang.clone().unwrap_or_else(|| admin.lang.clone());
    let mut categories: Vec<Choice> = state
        .reads
        .categories(&category_lang)
        .unwrap_or_default()
        .into_iter()
        .map(|c| Choice { value: c.key.to_string(), label: c.name })
        .collect();
    refuge_render::sort_names(&category_lang, &mut categories, |c| c.label.as_str());
    let sorts: Vec<Choice> =
        [refuge_core::AdminSort::Updated, refuge_core::AdminSort::Published, refuge_core::AdminSort::Title]
            .into_iter()
            .map(|s| Choice { value: s.as_str().into(), label: t.get(&format!("admin_sort_{}", s.as_str())).into() })
            .collect();
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
        filter_from => q.get("from").cloned().unwrap_or_default(),
        filter_to => q.get("to").cloned().unwrap_or_default(),
        filter_sort => filter.sort.as_str(),
        outdated_only => filter.outdated_only,
        can_edit => admin.can_edit(),
        next_href => next_href,
        back => To::Items(raw.as_deref()).path(),
    };
    let section = kind.map_or("news", Kind::as_str);
    Ok(Page::new(&admin, "admin/items.html", section, title).notice(notice_text(&admin, raw.as_deref())).render(
        &state,
        &admin.lang,
        values,
    ))
}

/// Publishes, unpublishes or deletes the ticked items, after one
/// confirmation page that lists them.
pub async fn bulk(State(state): State<AppState>, admin: Admin, data: FormData) -> Answer {
    let t = &admin.t;
    let back = Some(data.get("back")).filter(|b| b.starts_with("/admin/items")).unwrap_or("/admin/items").to_owned();
    let Some(action) = Bulk::parse(data.get("bulk_action")) else { return Ok(see_other(&back)) };
    let mut items: Vec<Item> = Vec::new();
    for id in data.0.iter().filter(|(k, _)| k == "ids").filter_map(|(_, v)| v.parse::<i64>().ok()).take(200) {
        // An item deleted meanwhile is left out; a failed read stops all.
        if let Some(item) = crate::admin::read(&state, &admin, "ticked item", state.reads.item(id))? {
            items.push(item);
        }
    }
    if items.is_empty() {
        return Ok(see_other(&back));
    }
    if !crate::admin::confirmed(&data) {
        let mut hidden: Vec<(String, String)> = items.iter().map(|i| ("ids".to_owned(), i.id.to_string())).collect();
        hidden.push(("bulk_action".into(), action.as_str().into()));
        hidden.push(("back".into(), back.clone()));
        return Ok(crate::admin::Confirm {
            title: t.get(&format!("admin_bulk_{}", action.as_str())).to_owned(),
            question: t
                .get(&format!("admin_bulk_{}_question", action.as_str()))
                .replace("{count}", &items.len().to_string()),
            links: items
                .iter()
                .map(|i| {
                    // Publishing an appeal whose names are public shows them in full: say so.
                    let full = action == Bulk::Publish
                        && i.kind == Kind::Appeal
                        && state.reads.appeal_facts(i.id).is_ok_and(|f| f.names_public);
                    crate::admin::LinkTo {
                        href: To::Item(i.id).path(),
                        text: format!(
                            "{} ({}, {}){}",
                            i.title,
                            lang_name(&state, t, &i.lang),
                            t.get(&format!("admin_status_{}", i.status.as_str())),
                            if full { format!(" — {}", t.get("admin_shows_full_names")) } else { String::new() }
                        ),
                    }
                })
                .collect(),
            action: "/admin/items/bulk".into(),
            confirm_label: t.get(&format!("admin_bulk_{}", action.as_str())).to_owned(),
            cancel_href: back,
            hidden,
            ..crate::admin::Confirm::default()
        }
        .render(&state, &admin, "news"));
    }
    let (app, user) = (state.app.clone(), admin.session.user.clone());
    let done = match crate::admin::run_case(move || app.bulk(&user, items, action)).await {
        Ok(done) => done,
        Err(e) => return Ok(crate::admin::app_failed(&state, &admin, "bulk", &e, &back)),
    };
    for (before, after) in &done.changed {
        state.item_changed(Some(before), after.as_ref());
    }
    let refused: Vec<String> = done
        .refused
        .iter()
        .map(|(item, e)| format!("{}: {}", item.title, crate::admin::explain_app(&admin, "bulk", e)))
        .collect();
    let failed = done.failed.len();
    let done = done.changed.len();
    let text = t
        .get("admin_bulk_done")
        .replace("{done}", &done.to_string())
        .replace("{failed}", &(failed + refused.len()).to_string());
    let text = std::iter::once(text).chain(refused.iter().cloned()).collect::<Vec<_>>().join(" — ");
    let values = minijinja::context! { text => text.clone(), back => back };
    let status = if failed > 0 {
        StatusCode::INTERNAL_SERVER_ERROR
    } else if !refused.is_empty() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok(Page::new(&admin, "admin/message.html", "news", text).status(status).render(&state, &admin.lang, values))
}
