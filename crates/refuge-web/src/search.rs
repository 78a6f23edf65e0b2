//! `/{lang}/search/`: ranked, filtered, highlighted, server-rendered.

use std::net::IpAddr;
use std::time::Duration;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use refuge_core::Language;
use refuge_core::search::SearchRequest;
use refuge_render::routes::Live;
use refuge_render::search_page::PER_PAGE;
use refuge_render::{CachedPage, Message, SearchQuery};

use crate::AppState;
use crate::error::{WebError, message_response};
use crate::send::send_page;

/// The longest a search may take before the reader gets an error page.
const TIMEOUT: Duration = Duration::from_secs(3);

/// Reads the query string; anything unknown or malformed is ignored.
pub(crate) fn read_query(raw: Option<&str>, page_lang: &Language, languages: &[Language]) -> SearchQuery {
    let mut query = SearchQuery { lang: Some(page_lang.clone()), page: 1, ..SearchQuery::default() };
    for (key, value) in crate::form::pairs(raw.unwrap_or_default(), 16) {
        match key.as_str() {
            "q" => query.q = refuge_search::query::clean(&value),
            "lang" if value == "all" => query.lang = None,
            "lang" => {
                if let Some(l) = Language::parse(&value).ok().filter(|l| languages.contains(l)) {
                    query.lang = Some(l);
                }
            }
            "kind" if refuge_search::KINDS.contains(&value.as_str()) => query.kind = Some(value),
            "year" => query.year = value.parse().ok().filter(|y| (1900..=2999).contains(y)),
            "page" => query.page = value.parse().ok().filter(|p| (1..=50).contains(p)).unwrap_or(1),
            _ => {}
        }
    }
    query
}

fn client(info: refuge_edge::ClientAddr) -> IpAddr {
    info.0
}

/// `/{lang}/search` without the slash. The target is built from the
/// parsed language, never from the decoded path (`/%2Fevil.example%23/search`
/// must not become `//evil.example#/search/`).
pub async fn add_slash(
    State(state): State<AppState>,
    Path(lang): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let Some(lang) = Language::parse(&lang).ok().filter(|l| state.site.languages().contains(l)) else {
        let lang = crate::public::language_for(&state, "/", &headers);
        return message_response(&state, &lang, Message::NotFound, &headers);
    };
    let target = match raw {
        Some(q) => Live::Search.with_query(&lang, &q),
        None => Live::Search.path(&lang),
    };
    if target.len() > 2048 {
        return StatusCode::NOT_FOUND.into_response();
    }
    crate::redirect::to(StatusCode::PERMANENT_REDIRECT, &target, "/")
}

pub async fn page(
    State(state): State<AppState>,
    Path(lang): Path<String>,
    RawQuery(raw): RawQuery,
    info: refuge_edge::ClientAddr,
    headers: HeaderMap,
) -> Response {
    let Some(lang) = Language::parse(&lang).ok().filter(|l| state.site.languages().contains(l)) else {
        let lang = crate::public::language_for(&state, "/", &headers);
        return message_response(&state, &lang, Message::NotFound, &headers);
    };
    let query = read_query(raw.as_deref(), &lang, state.site.languages());
    if !query.q.is_empty() && !state.limits.search.allow(client(info)) {
        let mut response = message_response(&state, &lang, Message::TooManyRequests, &headers);
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
        return response;
    }
    // At most one search per core at a time; the rest wait their turn
    // instead of crowding the cores (and memory) all at once.
    let Ok(_permit) = state.limits.search_slots.clone().acquire_owned().await else {
        return WebError::Task("search closed".into()).respond(&state, &lang, &headers);
    };
    let (br, gz) = crate::send::accepted(&headers);
    let task_state = state.clone();
    let task_lang = lang.clone();
    let task = crate::blocking::run(move || {
        let results = if query.q.is_empty() {
            None
        } else {
            let request = SearchRequest {
                query: query.q.clone(),
                lang: query.lang.as_ref().map(Language::to_string),
                kind: query.kind.clone(),
                year: query.year,
                offset: (query.page.max(1) as usize - 1) * PER_PAGE,
                limit: PER_PAGE,
            };
            let mut results = task_state.search.search(&request).map_err(|e| WebError::Task(e.to_string()))?;
            refuge_search::fill_snippets(&mut results, &query.q, &*task_state.reads)
                .map_err(|e| WebError::Task(e.to_string()))?;
            Some(results)
        };
        let rendered = task_state.site.search_page(&task_lang, &query, results.as_ref())?;
        Ok::<_, WebError>(CachedPage::dynamic(rendered.status, rendered.content_type, rendered.body, br, gz))
    });
    match tokio::time::timeout(TIMEOUT, task).await {
        Ok(Ok(Ok(page))) => {
            let mut response = send_page(&page, &headers);
            response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            response
        }
        Ok(Ok(Err(e))) => e.respond(&state, &lang, &headers),
        Ok(Err(e)) => WebError::Task(e.to_string()).respond(&state, &lang, &headers),
        Err(_) => WebError::Task("search timed out".into()).respond(&state, &lang, &headers),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn langs() -> Vec<Language> {
        vec![Language::parse("en").unwrap(), Language::parse("ja").unwrap()]
    }

    #[test]
    fn reads_and_sanitises_the_query_string() {
        let en = Language::parse("en").unwrap();
        let q = read_query(
            Some("q=%E5%BC%B7%E5%88%B6+%E9%80%81%E9%82%84&lang=all&kind=news&year=2025&page=2"),
            &en,
            &langs(),
        );
        assert_eq!(q.q, "強制 送還");
        assert_eq!((q.lang, q.kind.as_deref(), q.year, q.page), (None, Some("news"), Some(2025), 2));
        let bad = read_query(Some("q=%FF%FE%00x&lang=xx&kind=<script>&year=99999&page=-1&zzz"), &en, &langs());
        assert_eq!(bad.q, "\u{FFFD}\u{FFFD} x");
        assert_eq!((bad.lang, bad.kind, bad.year, bad.page), (Some(en.clone()), None, None, 1));
        assert_eq!(read_query(None, &en, &langs()).q, "");
    }
}
