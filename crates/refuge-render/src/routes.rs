//! Public URLs: parsing a request path into a [`Route`] and back.
//!
//! Every route has exactly one canonical path; any other spelling of it
//! (missing trailing slash, lower-case percent escapes, `/page/1/`)
//! redirects there, so the cache holds each page once.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use refuge_core::{Kind, Language, Slug};

/// Characters escaped in path segments: everything but unreserved ones.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// Paths longer than this are never a page.
pub const MAX_PATH: usize = 1024;

/// Which news a listing shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    All,
    Year(i32),
    Category(Slug),
    Tag(String),
}

/// A public page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    Home(Language),
    News {
        lang: Language,
        scope: Scope,
        page: u32,
    },
    Item {
        lang: Language,
        kind: Kind,
        slug: Slug,
    },
    /// An Atom feed: the language's news, or one category's.
    Feed {
        lang: Language,
        category: Option<Slug>,
    },
    /// The list of urgent appeals, all or filtered.
    Appeals {
        lang: Language,
        filter: AppealFilter,
    },
    /// A file of an appeal: its sample letter or its timeline's feed.
    AppealFile {
        lang: Language,
        slug: Slug,
        file: AppealFile,
    },
    /// The newsletter archive, or one issue of it.
    Newsletter {
        lang: Language,
        number: Option<i64>,
    },
    /// The site's other addresses (mirrors, onion).
    Mirrors(Language),
}

/// Which appeals a list shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AppealFilter {
    All,
    Status(refuge_core::CaseStatus),
    Year(i32),
}

/// The files an appeal has besides its page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AppealFile {
    Letter,
    Feed,
    /// The whole appeal as one self-contained HTML file.
    Standalone,
}

/// What a request path means.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed {
    Route(Route),
    /// The same page lives at this canonical path.
    Redirect(String),
    /// No such page; the language to answer in, if the path names one.
    NotFound(Option<Language>),
}

/// Escapes one path segment.
pub fn encode_segment(text: &str) -> String {
    utf8_percent_encode(text, SEGMENT).to_string()
}

impl Scope {
    fn base(&self, lang: &Language) -> String {
        match self {
            Scope::All => format!("/{lang}/news/"),
            Scope::Year(y) => format!("/{lang}/news/{y}/"),
            Scope::Category(c) => Route::category(lang, c.as_str()),
            Scope::Tag(t) => Route::tag(lang, t),
        }
    }

    /// The path of page `page` (1-based) of this listing.
    pub fn path(&self, lang: &Language, page: u32) -> String {
        let base = self.base(lang);
        if page <= 1 { base } else { format!("{base}page/{page}/") }
    }
}

impl Route {
    pub fn lang(&self) -> &Language {
        match self {
            Route::Home(lang)
            | Route::News { lang, .. }
            | Route::Item { lang, .. }
            | Route::Feed { lang, .. }
            | Route::Appeals { lang, .. }
            | Route::AppealFile { lang, .. }
            | Route::Newsletter { lang, .. }
            | Route::Mirrors(lang) => lang,
        }
    }

    /// The canonical path.
    pub fn path(&self) -> String {
        match self {
            Route::Home(lang) => format!("/{lang}/"),
            Route::News { lang, scope, page } => scope.path(lang, *page),
            Route::Item { lang, kind, slug } => kind.path(lang, slug),
            Route::Feed { lang, category: None } => format!("/{lang}/feed.xml"),
            Route::Feed { lang, category: Some(c) } => format!("/{lang}/news/category/{c}/feed.xml"),
            Route::Appeals { lang, filter: AppealFilter::All } => format!("/{lang}/appeals/"),
            Route::Appeals { lang, filter: AppealFilter::Status(s) } => {
                format!("/{lang}/appeals/status/{}/", s.as_str())
            }
            Route::Appeals { lang, filter: AppealFilter::Year(y) } => format!("/{lang}/appeals/{y}/"),
            Route::AppealFile { lang, slug, file: AppealFile::Letter } => format!("/{lang}/appeals/{slug}/letter.txt"),
            Route::AppealFile { lang, slug, file: AppealFile::Feed } => format!("/{lang}/appeals/{slug}/feed.xml"),
            Route::AppealFile { lang, slug, file: AppealFile::Standalone } => {
                format!("/{lang}/appeals/{slug}/appeal.html")
            }
            Route::Newsletter { lang, number: None } => format!("/{lang}/newsletter/"),
            Route::Newsletter { lang, number: Some(n) } => format!("/{lang}/newsletter/{n}/"),
            Route::Mirrors(lang) => format!("/{lang}/mirrors/"),
        }
    }
}

/// Public pages answered live by the web layer (forms and search) rather
/// than from the page cache; with [`Route::path`], the home of every
/// public path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Live {
    Search,
    Subscribe,
    SubscribeConfirm,
    Unsubscribe,
}

impl Live {
    /// The path in `lang`.
    pub fn path(self, lang: &Language) -> String {
        let part = match self {
            Live::Search => "search/",
            Live::Subscribe => "subscribe/",
            Live::SubscribeConfirm => "subscribe/confirm/",
            Live::Unsubscribe => "unsubscribe/",
        };
        format!("/{lang}/{part}")
    }

    /// The path in `lang` with a query string (already encoded).
    pub fn with_query(self, lang: &Language, query: &str) -> String {
        format!("{}?{query}", self.path(lang))
    }
}

impl Route {
    /// The home page's path in `lang`.
    pub fn home(lang: &Language) -> String {
        Route::Home(lang.clone()).path()
    }

    /// The news list's first page in `lang`.
    pub fn news(lang: &Language) -> String {
        Scope::All.path(lang, 1)
    }

    /// The list of every appeal in `lang`.
    pub fn appeals(lang: &Language) -> String {
        Route::Appeals { lang: lang.clone(), filter: AppealFilter::All }.path()
    }

    /// The newsletter archive in `lang`, or one of its issues.
    pub fn newsletter(lang: &Language, number: Option<i64>) -> String {
        Route::Newsletter { lang: lang.clone(), number }.path()
    }

    /// The first page of a category's news (`key` as items store it).
    pub fn category(lang: &Language, key: &str) -> String {
        format!("/{lang}/news/category/{key}/")
    }

    /// The first page of a tag's news.
    pub fn tag(lang: &Language, tag: &str) -> String {
        format!("/{lang}/news/tag/{}/", encode_segment(tag))
    }

    /// The news feed of `lang`, or of one of its categories.
    pub fn feed(lang: &Language, category: Option<&Slug>) -> String {
        Route::Feed { lang: lang.clone(), category: category.cloned() }.path()
    }
}

fn page_number(text: &str) -> Option<u32> {
    if text.is_empty() || text.len() > 6 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok().filter(|n| *n >= 1)
}

fn year(text: &str) -> Option<i32> {
    if text.len() == 4 && text.bytes().all(|b| b.is_ascii_digit()) {
        text.parse().ok().filter(|y| (1900..=2999).contains(y))
    } else {
        None
    }
}

/// Parses a request path (as sent, percent-encoded) against the site's
/// languages.
// Long on purpose: the public URL grammar as one match, read top to bottom.
pub fn parse(path: &str, languages: &[Language]) -> Parsed {
    if path.len() > MAX_PATH || !path.starts_with('/') {
        return Parsed::NotFound(None);
    }
    let mut raw = path[1..].split('/');
    let first = raw.next().unwrap_or_default();
    let Some(lang) = Language::parse(first).ok().filter(|l| languages.contains(l)) else {
        return Parsed::NotFound(None);
    };
    let mut segments = Vec::new();
    for segment in raw {
        match percent_decode_str(segment).decode_utf8() {
            Ok(s) => segments.push(s.into_owned()),
            Err(_) => return Parsed::NotFound(Some(lang)),
        }
    }
    if segments.last().is_some_and(String::is_empty) {
        segments.pop();
    }
    // Files (feeds) have no trailing slash; pages always do.
    if segments.last().is_some_and(|s| s.ends_with(".xml") || s.ends_with(".txt")) && path.ends_with('/') {
        return Parsed::Redirect(path.trim_end_matches('/').to_owned());
    }
    let not_found = || Parsed::NotFound(Some(lang.clone()));
    let parts: Vec<&str> = segments.iter().map(String::as_str).collect();
    let (scope_parts, page) = match parts.as_slice() {
        [rest @ .., "page", n] if rest.first() == Some(&"news") => match page_number(n) {
            Some(n) => (rest, n),
            None => return not_found(),
        },
        other => (other, 1),
    };
    let route = match scope_parts {
        [] => Route::Home(lang.clone()),
        ["home"] => Route::Home(lang.clone()),
        ["feed.xml"] => Route::Feed { lang: lang.clone(), category: None },
        ["appeals"] => Route::Appeals { lang: lang.clone(), filter: AppealFilter::All },
        ["newsletter"] => Route::Newsletter { lang: lang.clone(), number: None },
        ["mirrors"] => Route::Mirrors(lang.clone()),
        ["newsletter", n] => match page_number(n) {
            Some(n) => Route::Newsletter { lang: lang.clone(), number: Some(i64::from(n)) },
            None => return not_found(),
        },
        ["appeals", "status", s] => match s.parse() {
            Ok(status) => Route::Appeals { lang: lang.clone(), filter: AppealFilter::Status(status) },
            Err(_) => return not_found(),
        },
        ["appeals", y] if year(y).is_some() => {
            Route::Appeals { lang: lang.clone(), filter: AppealFilter::Year(year(y).unwrap_or_default()) }
        }
        ["appeals", slug] => match Slug::parse(slug) {
            Ok(slug) => Route::Item { lang: lang.clone(), kind: Kind::Appeal, slug },
            Err(_) => return not_found(),
        },
        ["appeals", slug, file @ ("letter.txt" | "feed.xml" | "appeal.html")] => match Slug::parse(slug) {
            Ok(slug) => Route::AppealFile {
                lang: lang.clone(),
                slug,
                file: match *file {
                    "letter.txt" => AppealFile::Letter,
                    "feed.xml" => AppealFile::Feed,
                    _ => AppealFile::Standalone,
                },
            },
            Err(_) => return not_found(),
        },
        ["news", "category", key, "feed.xml"] => match Slug::parse(key) {
            Ok(key) => Route::Feed { lang: lang.clone(), category: Some(key) },
            Err(_) => return not_found(),
        },
        ["news"] => Route::News { lang: lang.clone(), scope: Scope::All, page },
        ["news", "category", key] => match Slug::parse(key) {
            Ok(key) => Route::News { lang: lang.clone(), scope: Scope::Category(key), page },
            Err(_) => return not_found(),
        },
        ["news", "tag", tag] if !tag.is_empty() && tag.chars().count() <= 60 => {
            Route::News { lang: lang.clone(), scope: Scope::Tag((*tag).to_owned()), page }
        }
        ["news", y] if year(y).is_some() => {
            Route::News { lang: lang.clone(), scope: Scope::Year(year(y).unwrap_or_default()), page }
        }
        ["news", slug] if page == 1 => match Slug::parse(slug) {
            Ok(slug) => Route::Item { lang: lang.clone(), kind: Kind::News, slug },
            Err(_) => return not_found(),
        },
        [slug] if page == 1 => match Slug::parse(slug) {
            Ok(slug) => Route::Item { lang: lang.clone(), kind: Kind::Page, slug },
            Err(_) => return not_found(),
        },
        _ => return not_found(),
    };
    let canonical = route.path();
    if canonical == path { Parsed::Route(route) } else { Parsed::Redirect(canonical) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn langs() -> Vec<Language> {
        vec![Language::parse("en").unwrap(), Language::parse("ja").unwrap()]
    }

    fn route(path: &str) -> Route {
        match parse(path, &langs()) {
            Parsed::Route(r) => r,
            other => panic!("{path}: {other:?}"),
        }
    }

    fn en() -> Language {
        Language::parse("en").unwrap()
    }

    #[test]
    fn parses_every_kind_of_page() {
        assert_eq!(route("/en/"), Route::Home(en()));
        assert_eq!(route("/en/news/"), Route::News { lang: en(), scope: Scope::All, page: 1 });
        assert_eq!(route("/en/news/page/3/"), Route::News { lang: en(), scope: Scope::All, page: 3 });
        assert_eq!(route("/en/news/2002/"), Route::News { lang: en(), scope: Scope::Year(2002), page: 1 });
        assert_eq!(route("/en/news/2002/page/2/"), Route::News { lang: en(), scope: Scope::Year(2002), page: 2 });
        let cat = Slug::parse("reports").unwrap();
        assert_eq!(
            route("/en/news/category/reports/"),
            Route::News { lang: en(), scope: Scope::Category(cat), page: 1 }
        );
        assert_eq!(
            route("/en/news/tag/%E9%9B%A3%E6%B0%91/"),
            Route::News { lang: en(), scope: Scope::Tag("難民".into()), page: 1 }
        );
        let slug = Slug::parse("two-faced").unwrap();
        assert_eq!(route("/en/news/two-faced/"), Route::Item { lang: en(), kind: Kind::News, slug });
        let about = Slug::parse("about").unwrap();
        assert_eq!(route("/en/about/"), Route::Item { lang: en(), kind: Kind::Page, slug: about });
        assert_eq!(route("/en/feed.xml"), Route::Feed { lang: en(), category: None });
        let cat = Slug::parse("reports").unwrap();
        assert_eq!(route("/en/news/category/reports/feed.xml"), Route::Feed { lang: en(), category: Some(cat) });
    }

    #[test]
    fn redirects_to_canonical_paths() {
        let l = langs();
        assert_eq!(parse("/en", &l), Parsed::Redirect("/en/".into()));
        assert_eq!(parse("/en/news", &l), Parsed::Redirect("/en/news/".into()));
        assert_eq!(parse("/en/news/page/1/", &l), Parsed::Redirect("/en/news/".into()));
        assert_eq!(parse("/EN/about/", &l), Parsed::Redirect("/en/about/".into()));
        assert_eq!(parse("/en/home/", &l), Parsed::Redirect("/en/".into()));
        assert_eq!(
            parse("/en/news/tag/%e9%9b%a3%e6%b0%91/", &l),
            Parsed::Redirect("/en/news/tag/%E9%9B%A3%E6%B0%91/".into())
        );
    }

    #[test]
    fn rejects_what_is_not_a_page() {
        let l = langs();
        let en = Some(en());
        assert_eq!(parse("/", &l), Parsed::NotFound(None));
        assert_eq!(parse("/fr/", &l), Parsed::NotFound(None));
        assert_eq!(parse("/../etc/passwd", &l), Parsed::NotFound(None));
        assert_eq!(parse("/en/Bad_Slug/", &l), Parsed::NotFound(en.clone()));
        assert_eq!(parse("/en/news/page/0/", &l), Parsed::NotFound(en.clone()));
        assert_eq!(parse("/en/news/page/x/", &l), Parsed::NotFound(en.clone()));
        assert_eq!(parse("/en/about/page/2/", &l), Parsed::NotFound(en.clone()));
        assert_eq!(parse("/en/%FF%FE/", &l), Parsed::NotFound(en.clone()));
        assert_eq!(parse("/en/a/b/c/", &l), Parsed::NotFound(en.clone()));
        assert_eq!(parse("/en//", &l), Parsed::NotFound(en.clone()));
        assert_eq!(parse(&format!("/en/{}/", "a".repeat(2000)), &l), Parsed::NotFound(None));
        assert_eq!(parse("/en/news/0999/", &l), Parsed::NotFound(en));
    }

    #[test]
    fn paths_round_trip() {
        let l = langs();
        for path in
            ["/ja/", "/ja/news/page/12/", "/ja/news/tag/%E5%BC%B7%E5%88%B6%E9%80%81%E9%82%84/page/2/", "/en/faq/"]
        {
            assert_eq!(route(path).path(), path);
            assert!(matches!(parse(path, &l), Parsed::Route(_)));
        }
    }
}
