//! The search page: rendered per request (never cached), with the same
//! chrome as every other page.

use minijinja::value::Serde;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use refuge_core::Language;
use refuge_core::search::{SearchResults, Segment};
use serde::Serialize;
use time::OffsetDateTime;

use crate::RenderError;
use crate::routes::Live;
use crate::site::{Rendered, Site};

/// Characters escaped in query-string values.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// Results per page.
pub const PER_PAGE: usize = 10;

/// What the reader asked, already validated.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SearchQuery {
    pub q: String,
    /// `None`: all languages.
    pub lang: Option<Language>,
    pub kind: Option<String>,
    pub year: Option<i32>,
    pub page: u32,
}

impl SearchQuery {
    /// The search URL for this query in `lang`'s interface.
    pub fn href(&self, lang: &Language) -> String {
        let mut parts = vec![format!("q={}", utf8_percent_encode(&self.q, QUERY_VALUE))];
        parts.push(format!("lang={}", self.lang.as_ref().map_or("all", Language::as_str)));
        if let Some(kind) = &self.kind {
            parts.push(format!("kind={}", utf8_percent_encode(kind, QUERY_VALUE)));
        }
        if let Some(year) = self.year {
            parts.push(format!("year={year}"));
        }
        if self.page > 1 {
            parts.push(format!("page={}", self.page));
        }
        Live::Search.with_query(lang, &parts.join("&"))
    }

    fn with(&self, change: impl FnOnce(&mut SearchQuery)) -> SearchQuery {
        let mut q = self.clone();
        q.page = 1;
        change(&mut q);
        q
    }
}

#[derive(Serialize)]
struct ResultView {
    url: String,
    title: String,
    lang: String,
    lang_name: String,
    kind: String,
    date: Option<String>,
    date_iso: Option<String>,
    snippet: Vec<Segment>,
}

#[derive(Serialize)]
struct FacetLink {
    label: String,
    href: String,
    count: Option<u64>,
    active: bool,
}

#[derive(Serialize)]
struct FacetGroup {
    title: String,
    links: Vec<FacetLink>,
}

#[derive(Serialize)]
struct Suggestion {
    code: String,
    label: String,
    href: String,
}

impl Site {
    fn language_name(&self, code: &str) -> String {
        Language::parse(code)
            .ok()
            .filter(|l| self.languages().contains(l))
            .map_or_else(|| code.to_owned(), |l| self.strings(&l).get("language_name").to_owned())
    }

    /// Renders the search page for `query` with `results` (`None` when
    /// nothing was asked yet).
    // Long on purpose: the search page's values, one per line, as the template reads them.
    pub fn search_page(
        &self,
        lang: &Language,
        query: &SearchQuery,
        results: Option<&SearchResults>,
    ) -> Result<Rendered, RenderError> {
        let t = self.strings(lang);
        let path = Live::Search.path(lang);
        let mut chrome = self.chrome(lang, &path, Some(t.get("search_title").to_owned()))?;
        chrome.noindex = !query.q.is_empty();
        let others: Vec<(Language, String)> = self
            .languages()
            .iter()
            .map(|l| (l.clone(), if query.q.is_empty() { Live::Search.path(l) } else { query.href(l) }))
            .collect();
        self.set_languages(&mut chrome, lang, &others, |l| Live::Search.path(l));
        if !query.q.is_empty() {
            chrome.alternates.clear();
        }
        let empty = SearchResults::default();
        let results = results.unwrap_or(&empty);
        let kind_label = |k: &str| t.get(&format!("kind_{k}")).to_owned();
        let date = |secs: Option<i64>| secs.and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok());
        // The page echoes the reader's own query, which is never checked
        // (else the answer would tell which names are protected); each
        // hit is, and one that would show a protected name is left out.
        let guard = self.name_guard()?;
        let views: Vec<ResultView> = results
            .hits
            .iter()
            .filter(|h| {
                let text: String = h.snippet.iter().map(|s| s.text.as_str()).collect();
                let shows = [h.title.as_str(), h.url.as_str(), text.as_str()];
                let leaks = shows.iter().any(|s| guard.find_in_text(s).is_some());
                if leaks {
                    tracing::error!("a search hit was left out: it would show a protected name");
                }
                !leaks
            })
            .map(|h| ResultView {
                url: h.url.clone(),
                title: h.title.clone(),
                lang: h.lang.clone(),
                lang_name: self.language_name(&h.lang),
                kind: kind_label(&h.kind),
                date: date(h.date).map(|d| t.item_date(d, h.month_only)),
                date_iso: date(h.date).map(|d| crate::dates::item_iso_date(Some(d), h.month_only)),
                snippet: h.snippet.clone(),
            })
            .collect();

        let facet = |label: String, q: SearchQuery, count: Option<u64>, active: bool| FacetLink {
            label,
            href: q.href(lang),
            count,
            active,
        };
        let f = &results.facets;
        let mut lang_links = vec![facet(
            t.get("search_all_languages").to_owned(),
            query.with(|q| q.lang = None),
            Some(f.langs.iter().map(|(_, n)| n).sum()),
            query.lang.is_none(),
        )];
        for (code, n) in &f.langs {
            let l = Language::parse(code).ok();
            lang_links.push(facet(
                self.language_name(code),
                query.with(|q| q.lang = l.clone()),
                Some(*n),
                query.lang.as_ref().map(Language::as_str) == Some(code),
            ));
        }
        let mut kind_links =
            vec![facet(t.get("search_any").to_owned(), query.with(|q| q.kind = None), None, query.kind.is_none())];
        for (k, n) in &f.kinds {
            kind_links.push(facet(
                kind_label(k),
                query.with(|q| q.kind = Some(k.clone())),
                Some(*n),
                query.kind.as_deref() == Some(k),
            ));
        }
        let mut year_links =
            vec![facet(t.get("search_any").to_owned(), query.with(|q| q.year = None), None, query.year.is_none())];
        for (y, n) in &f.years {
            year_links.push(facet(y.to_string(), query.with(|q| q.year = Some(*y)), Some(*n), query.year == Some(*y)));
        }
        let mut facets = vec![FacetGroup { title: t.get("search_filter_language").to_owned(), links: lang_links }];
        if f.kinds.len() > 1 || query.kind.is_some() {
            facets.push(FacetGroup { title: t.get("search_filter_kind").to_owned(), links: kind_links });
        }
        if f.years.len() > 1 || query.year.is_some() {
            facets.push(FacetGroup { title: t.get("search_filter_year").to_owned(), links: year_links });
        }

        // Nothing in the chosen language, something in another.
        let suggestions: Vec<Suggestion> = if results.total == 0 && query.lang.is_some() {
            f.langs
                .iter()
                .filter(|(code, n)| *n > 0 && query.lang.as_ref().map(Language::as_str) != Some(code.as_str()))
                .map(|(code, n)| Suggestion {
                    code: code.clone(),
                    label: t
                        .get("search_other_language")
                        .replace("{count}", &crate::templates::grouped(*n as i64, t.get("digit_group")))
                        .replace("{language}", &self.language_name(code)),
                    href: query.with(|q| q.lang = Language::parse(code).ok()).href(lang),
                })
                .collect()
        } else {
            Vec::new()
        };
        let pages = results.total.min(crate::search_page::MAX_RESULTS).div_ceil(PER_PAGE).max(1) as u32;
        let page = query.page.max(1);
        let html = self.env.get_template("search.html")?.render(minijinja::context! {
            query => Serde(&query.q),
            filter_lang => Serde(query.lang.as_ref().map(Language::as_str)),
            total => Serde(results.total),
            results => Serde(views),
            facets => Serde(facets),
            suggestions => Serde(suggestions),
            all_languages_href => Serde(query.with(|q| q.lang = None).href(lang)),
            first_number => Serde((page as usize - 1) * PER_PAGE + 1),
            page => Serde(page),
            pages => Serde(pages),
            prev_href => Serde((page > 1).then(|| { let mut q = query.clone(); q.page = page - 1; q.href(lang) })),
            next_href => Serde((page < pages).then(|| { let mut q = query.clone(); q.page = page + 1; q.href(lang) })),
            ..Serde(&chrome),
        })?;
        Ok(Rendered::html(200, html, Vec::new()))
    }
}

/// The deepest a reader can page (matches the index's window).
pub const MAX_RESULTS: usize = 500;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hrefs_encode_the_query() {
        let en = Language::parse("en").unwrap();
        let q =
            SearchQuery {
                q: "強制 \"a&b\"".into(), lang: None, kind: Some("news".into()), year: Some(2025), page: 2
            };
        assert_eq!(q.href(&en), "/en/search/?q=%E5%BC%B7%E5%88%B6%20%22a%26b%22&lang=all&kind=news&year=2025&page=2");
    }
}
