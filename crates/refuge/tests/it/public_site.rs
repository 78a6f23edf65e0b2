//! The public site as a reader meets it.

use refuge_core::{ContentStore, ItemDraft, Kind, Language, PublicContent, Slug, Status};
use refuge_render::deps_of_item;

use crate::helpers::*;

const SECURITY_HEADERS: &[&str] = &[
    "content-security-policy",
    "x-content-type-options",
    "referrer-policy",
    "permissions-policy",
    "x-frame-options",
    "cross-origin-opener-policy",
];

fn lang(code: &str) -> Language {
    Language::parse(code).unwrap()
}

#[tokio::test]
async fn root_redirects_by_accept_language() {
    let app = spawn_app().await;
    for (header, expected) in [("ja,en;q=0.5", "/ja/"), ("en-GB,en;q=0.9", "/en/"), ("fr", "/en/"), ("ja-JP", "/ja/")] {
        let page = app.get_with("/", &[("accept-language", header)]).await;
        assert!(matches!(page.status, 302 | 303), "{header}: {}", page.status);
        assert_eq!(page.header("location"), Some(expected), "{header}");
        assert_eq!(page.header("vary"), Some("Accept-Language"));
    }
    let page = app.get("/").await;
    assert_eq!(page.header("location"), Some("/en/"), "no header: the default language");
    app.stop().await;
}

#[tokio::test]
async fn every_page_reachable_from_home_is_sound() {
    let app = spawn_app().await;
    let pages = app.crawl(400).await;
    assert!(pages.len() > 60, "the crawl found only {} pages", pages.len());
    for (path, page) in &pages {
        assert_eq!(page.status, 200, "{path}");
        for header in SECURITY_HEADERS {
            assert!(page.header(header).is_some(), "{path} lacks {header}");
        }
        assert!(page.header("set-cookie").is_none(), "{path} sets a cookie");
        if !page.header("content-type").unwrap_or_default().starts_with("text/html") {
            continue;
        }
        assert!(!page.body.to_ascii_lowercase().contains("<script"), "{path} has a script");
        // No resource or link to another host, except outbound links
        // that authors put in article bodies.
        let without_bodies = select(&page.body, "html")[0].clone();
        let mut chrome = without_bodies;
        for body in select(&page.body, "div.body") {
            chrome = chrome.replace(&body, "");
        }
        for link in links(&chrome) {
            let external = link.starts_with("//") || (link.contains("://") && !link.starts_with(&app.base));
            assert!(!external, "{path} links to another host: {link}");
        }
        for src in attrs(&page.body, "[src]", "src") {
            assert!(local_path(&app.base, &src).is_some(), "{path} loads {src} from elsewhere");
        }
        let html_lang = attrs(&page.body, "html", "lang");
        assert_eq!(html_lang.len(), 1, "{path}");
        assert!(path.starts_with(&format!("/{}/", html_lang[0])), "{path} has lang {}", html_lang[0]);
        assert_eq!(attrs(&page.body, "link[rel=canonical]", "href").len(), 1, "{path} canonical");
    }
    app.stop().await;
}

#[tokio::test]
async fn nav_links_on_every_home_resolve() {
    let app = spawn_app().await;
    for l in ["en", "ja"] {
        let home = app.get(&format!("/{l}/")).await;
        let nav = attrs(&home.body, "nav.main-nav a", "href");
        assert!(nav.len() >= 7, "{l}: {nav:?}");
        for href in nav {
            let page = app.get(&href).await;
            assert_eq!(page.status, 200, "{l} nav link {href}");
        }
    }
    app.stop().await;
}

#[tokio::test]
async fn translated_article_has_alternates_and_canonical() {
    let app = spawn_app().await;
    let page = app.get("/en/news/current-background-march-2026/").await;
    assert_eq!(page.status, 200);
    let canonical = attrs(&page.body, "link[rel=canonical]", "href");
    assert_eq!(canonical, vec![app.url("/en/news/current-background-march-2026/")]);
    let hreflangs = attrs(&page.body, "link[rel=alternate][hreflang]", "hreflang");
    let hrefs = attrs(&page.body, "link[rel=alternate][hreflang]", "href");
    assert_eq!(hreflangs, vec!["en", "ja", "x-default"]);
    assert_eq!(hrefs[1], app.url("/ja/news/current-background-march-2026/"));
    assert_eq!(hrefs[2], app.url("/en/news/current-background-march-2026/"));
    let switch = attrs(&page.body, "li.lang-switch a", "href");
    assert_eq!(switch, vec!["/ja/news/current-background-march-2026/"]);
    assert_eq!(attrs(&page.body, "meta[property='og:type']", "content"), vec!["article"]);
    assert_eq!(attrs(&page.body, "meta[property='og:url']", "content"), canonical);
    // The Japanese version points back.
    let ja = app.get("/ja/news/current-background-march-2026/").await;
    assert_eq!(attrs(&ja.body, "html", "lang"), vec!["ja"]);
    assert_eq!(attrs(&ja.body, "li.lang-switch a", "href"), vec!["/en/news/current-background-march-2026/"]);
    assert!(ja.body.contains("2026年3月9日"));
    app.stop().await;
}

#[tokio::test]
async fn untranslated_article_falls_back_clearly() {
    let app = spawn_app().await;
    // English only.
    let page = app.get("/en/news/testimony-evening-tokyo/").await;
    let hreflangs = attrs(&page.body, "link[rel=alternate][hreflang]", "hreflang");
    assert_eq!(hreflangs, vec!["en", "x-default"], "no alternate for a translation that does not exist");
    let switch = attrs(&page.body, "li.lang-switch a", "href");
    assert_eq!(switch, vec!["/ja/news/testimony-evening-tokyo/"]);
    // The switcher's target says so in Japanese and links back; not a 404.
    let fallback = app.get(&switch[0]).await;
    assert_eq!(fallback.status, 200);
    assert_eq!(attrs(&fallback.body, "html", "lang"), vec!["ja"]);
    assert!(fallback.body.contains("日本語版はありません"), "says it in Japanese");
    assert!(attrs(&fallback.body, "main a", "href").contains(&"/en/news/testimony-evening-tokyo/".to_owned()));
    assert_eq!(attrs(&fallback.body, "meta[name=robots]", "content"), vec!["noindex"]);
    // And the other way round: a Japanese-only article.
    let ja_only = app.get("/en/news/newsletter-48/").await;
    assert_eq!(ja_only.status, 200);
    assert!(ja_only.body.contains("Not available in English"));
    assert!(ja_only.body.contains("/ja/news/newsletter-48/"));
    app.stop().await;
}

#[tokio::test]
async fn translation_under_another_slug_redirects() {
    let app = spawn_app().await;
    let en = app.store.published_item(Kind::News, &lang("en"), &Slug::parse("testimony-evening-tokyo").unwrap());
    let en = en.unwrap().unwrap();
    let ja = app
        .store
        .save_item(
            None,
            &ItemDraft {
                group_id: Some(en.group_id),
                kind: Kind::News,
                lang: lang("ja"),
                slug: Slug::parse("shogen-no-yube").unwrap(),
                title: "東京での証言の夕べ".into(),
                summary: String::new(),
                body: "本文".into(),
                category: None,
                tags: vec![],
                status: Status::Published,
                published_at: en.published_at,
            },
        )
        .unwrap();
    app.state.invalidate(&deps_of_item(&ja));
    let page = app.get("/ja/news/testimony-evening-tokyo/").await;
    assert_eq!(page.status, 301);
    assert_eq!(page.header("location"), Some("/ja/news/shogen-no-yube/"));
    let en_page = app.get("/en/news/testimony-evening-tokyo/").await;
    assert_eq!(attrs(&en_page.body, "li.lang-switch a", "href"), vec!["/ja/news/shogen-no-yube/"]);
    app.stop().await;
}

#[tokio::test]
async fn not_found_pages_speak_the_language_of_the_path() {
    let app = spawn_app().await;
    for (path, expected_lang, text) in [
        ("/ja/no-such-page/", "ja", "ページが見つかりません"),
        ("/en/no-such-page/", "en", "Page not found"),
        ("/en/news/no-such-article/", "en", "Page not found"),
        ("/ja/news/page/99/", "ja", "ページが見つかりません"),
    ] {
        let page = app.get(path).await;
        assert_eq!(page.status, 404, "{path}");
        assert_eq!(attrs(&page.body, "html", "lang"), vec![expected_lang], "{path}");
        assert!(page.body.contains(text), "{path}");
        assert_eq!(attrs(&page.body, "main form", "action"), vec![format!("/{expected_lang}/search/")]);
        assert!(attrs(&page.body, "main a", "href").contains(&format!("/{expected_lang}/")));
        for header in SECURITY_HEADERS {
            assert!(page.header(header).is_some(), "{path} lacks {header}");
        }
    }
    let unknown = app.get_with("/fr/", &[("accept-language", "ja")]).await;
    assert_eq!(unknown.status, 404);
    assert_eq!(attrs(&unknown.body, "html", "lang"), vec!["ja"], "outside a language: the reader's preference");
    app.stop().await;
}

#[tokio::test]
async fn security_headers_on_every_kind_of_response() {
    let app = spawn_app().await;
    let css = app.state.site.css_path().to_owned();
    for path in ["/", "/en/", "/en/news", "/healthz", "/nope", css.as_str(), "/en/news/page/0/"] {
        let page = app.get(path).await;
        for header in SECURITY_HEADERS {
            assert!(page.header(header).is_some(), "{path} ({}) lacks {header}", page.status);
        }
        let csp = page.header("content-security-policy").unwrap();
        assert!(csp.contains("default-src 'self'") && !csp.contains("unsafe-inline"), "{csp}");
        assert_eq!(page.header("x-frame-options"), Some("DENY"));
        assert_eq!(page.header("referrer-policy"), Some("no-referrer"));
        assert!(page.header("set-cookie").is_none());
        assert!(page.header("strict-transport-security").is_none(), "no HSTS unless configured");
    }
    app.stop().await;
}

#[tokio::test]
async fn etags_and_compression() {
    let app = spawn_app().await;
    let path = "/en/news/current-background-march-2026/";
    let (status, headers, plain) = app.get_bytes(path, &[]).await;
    assert_eq!(status, 200);
    let etag = headers.get("etag").unwrap().to_str().unwrap().to_owned();
    assert!(etag.starts_with('"') && !etag.starts_with("W/"), "strong ETag: {etag}");
    assert_eq!(headers.get("vary").unwrap(), "Accept-Encoding");
    let plain = String::from_utf8(plain).unwrap();

    let (status, headers, _) = app.get_bytes(path, &[("if-none-match", &etag)]).await;
    assert_eq!(status, 304);
    assert_eq!(headers.get("etag").unwrap().to_str().unwrap(), etag);

    let (_, headers, gz) = app.get_bytes(path, &[("accept-encoding", "gzip")]).await;
    assert_eq!(headers.get("content-encoding").unwrap(), "gzip");
    assert_eq!(gunzip(&gz), plain);
    let gz_etag = headers.get("etag").unwrap().to_str().unwrap().to_owned();
    assert_ne!(gz_etag, etag, "each representation has its own ETag");

    let (_, headers, br) = app.get_bytes(path, &[("accept-encoding", "gzip, deflate, br")]).await;
    assert_eq!(headers.get("content-encoding").unwrap(), "br");
    assert!(br.len() < gz.len());
    assert_eq!(unbrotli(&br), plain);
    let (status, _, _) = app.get_bytes(path, &[("accept-encoding", "br"), ("if-none-match", &gz_etag)]).await;
    assert_eq!(status, 304, "any representation's ETag revalidates");

    let (_, headers, _) = app.get_bytes(path, &[("accept-encoding", "br;q=0, gzip;q=0")]).await;
    assert!(headers.get("content-encoding").is_none());
    app.stop().await;
}

#[tokio::test]
async fn css_is_fingerprinted_and_immutable() {
    let app = spawn_app().await;
    let home = app.get("/en/").await;
    let css = attrs(&home.body, "link[rel=stylesheet]", "href");
    assert_eq!(css, vec![app.state.site.css_path().to_owned()]);
    let page = app.get(&css[0]).await;
    assert_eq!(page.status, 200);
    assert!(page.header("content-type").unwrap().starts_with("text/css"));
    assert!(page.header("cache-control").unwrap().contains("immutable"));
    assert!(page.body.contains(":focus-visible"));
    app.stop().await;
}

/// The page-weight budget: every public page's HTML plus its style sheet
/// is at most 30 KB compressed, and no page carries or loads JavaScript.
#[tokio::test]
async fn every_public_page_is_light() {
    let app = spawn_with(|c| c.languages = all_languages()).await;
    let css_path = app.state.site.css_path().to_owned();
    let (_, _, css_gz) = app.get_bytes(&css_path, &[("accept-encoding", "gzip")]).await;
    let mut heaviest = (0, String::new());
    for (path, page) in app.crawl(600).await {
        if !page.header("content-type").unwrap_or_default().starts_with("text/html") {
            assert!(!page.header("content-type").unwrap_or_default().contains("javascript"), "{path} is a script");
            continue;
        }
        let (_, headers, html_gz) = app.get_bytes(&path, &[("accept-encoding", "gzip")]).await;
        // Only pages carrying a per-request secret (the contact form's
        // token) go out uncompressed, against BREACH-style guessing; they
        // count at full size.
        if headers.get("content-encoding").is_none() {
            assert!(page.body.contains("name=\"token\""), "{path} is sent uncompressed");
        }
        let total = html_gz.len() + css_gz.len();
        assert!(total <= 30 * 1024, "{path}: {} + {} bytes compressed", html_gz.len(), css_gz.len());
        assert!(page.body.len() < 60 * 1024, "{path}: {} bytes uncompressed", page.body.len());
        for src in attrs(&page.body, "[src]", "src") {
            assert!(!src.ends_with(".js"), "{path} loads {src}");
        }
        assert!(attrs(&page.body, "link[rel=stylesheet]", "href").iter().all(|h| *h == css_path), "{path}");
        heaviest = heaviest.max((total, path));
    }
    eprintln!("heaviest page: {} with {} bytes of HTML and CSS, gzip", heaviest.1, heaviest.0);
    app.stop().await;
}

#[tokio::test]
async fn hostile_markdown_renders_inert() {
    let app = spawn_app().await;
    let body = r#"Hello.

<script>alert(1)</script>
<img src=x onerror="alert(2)">
[click me](javascript:alert(3))
<a href="jAvAsCrIpT:alert(4)">x</a>
<svg onload="alert(5)"><script>alert(6)</script></svg>
<iframe src="https://evil.example/"></iframe>
<div style="background:url(https://evil.example/x)" onclick="alert(7)">styled</div>
![tracker](https://evil.example/pixel.gif)
<form action="https://evil.example/"><input name="pw"></form>
"#;
    let item = app
        .store
        .save_item(
            None,
            &ItemDraft {
                group_id: None,
                kind: Kind::News,
                lang: lang("en"),
                slug: Slug::parse("hostile").unwrap(),
                title: "<script>alert('title')</script>".into(),
                summary: "\"><script>alert('summary')</script>".into(),
                body: body.into(),
                category: None,
                tags: vec!["<b>tag".into()],
                status: Status::Published,
                published_at: Some(time::OffsetDateTime::now_utc()),
            },
        )
        .unwrap();
    app.state.invalidate(&deps_of_item(&item));
    for path in ["/en/news/hostile/", "/en/", "/en/news/"] {
        let page = app.get(path).await;
        assert_eq!(page.status, 200, "{path}");
        let lower = page.body.to_ascii_lowercase();
        for bad in [
            "<script",
            "onerror",
            "onload",
            "onclick",
            "<svg",
            "<iframe",
            "style=",
            "<form action=\"https",
            "evil.example/pixel.gif\"",
        ] {
            assert!(!lower.contains(bad), "{path} contains {bad}");
        }
        assert!(page.body.contains("&lt;script&gt;alert("), "{path}: the title is shown as text");
        for url in
            attrs(&page.body, "[href], [src], [action]", "href").into_iter().chain(attrs(&page.body, "[src]", "src"))
        {
            assert!(!url.trim().to_ascii_lowercase().starts_with("javascript:"), "{path}: {url}");
        }
    }
    let article = app.get("/en/news/hostile/").await;
    assert!(attrs(&article.body, "img", "src").iter().all(|s| !s.contains("evil.example")));
    app.stop().await;
}

#[tokio::test]
async fn a_change_refreshes_exactly_what_shows_it() {
    let app = spawn_app().await;
    let about_before = app.get("/en/about/").await;
    let article = app
        .store
        .published_item(Kind::News, &lang("en"), &Slug::parse("volunteer-translators-wanted").unwrap())
        .unwrap()
        .unwrap();
    let _ = app.get("/en/news/volunteer-translators-wanted/").await;
    let _ = app.get("/en/news/").await;
    let cached = app.state.cache.len();
    let mut draft = ItemDraft {
        group_id: Some(article.group_id),
        kind: article.kind,
        lang: article.lang.clone(),
        slug: article.slug.clone(),
        title: "Volunteer translators wanted — urgently".into(),
        summary: article.summary.clone(),
        body: article.body.clone(),
        category: article.category.clone(),
        tags: article.tags.clone(),
        status: Status::Published,
        published_at: article.published_at,
    };
    let saved = app.store.save_item(Some(article.id), &draft).unwrap();
    let mut deps = deps_of_item(&article);
    deps.extend(deps_of_item(&saved));
    app.state.invalidate(&deps);
    assert!(app.state.cache.len() < cached);
    assert!(app.state.cache.get("/en/about/").is_some(), "an unrelated page stays cached");
    assert!(app.get("/en/news/volunteer-translators-wanted/").await.body.contains("— urgently"));
    assert!(app.get("/en/news/").await.body.contains("— urgently"), "the list shows the new title");
    assert_eq!(app.get("/en/about/").await.body, about_before.body);
    // Unpublishing removes it from the site.
    draft.status = Status::Draft;
    let hidden = app.store.save_item(Some(article.id), &draft).unwrap();
    app.state.invalidate(&deps_of_item(&hidden));
    let gone = app.get("/en/news/volunteer-translators-wanted/").await;
    assert!(gone.body.contains("Not available in English"), "only the Japanese version is left");
    assert!(!app.get("/en/news/").await.body.contains("Volunteer translators"));
    app.stop().await;
}

#[tokio::test]
async fn faq_has_anchored_entries_and_archive_lists_work() {
    let app = spawn_app().await;
    let faq = app.get("/ja/faq/").await;
    let anchors = attrs(&faq.body, "section.faq-entry", "id");
    assert!(anchors.len() >= 6);
    let toc = attrs(&faq.body, "nav.toc a", "href");
    assert_eq!(toc, anchors.iter().map(|a| format!("#{a}")).collect::<Vec<_>>());
    let news = app.get("/en/news/").await;
    let years = attrs(&news.body, "aside.archive a[href*='/news/20']", "href");
    assert!(years.len() >= 2, "{years:?}");
    for y in &years {
        assert_eq!(app.get(y).await.status, 200, "{y}");
    }
    assert_eq!(attrs(&news.body, "nav.pagination a[rel=next]", "href"), vec!["/en/news/page/2/"]);
    let tag = app.get("/ja/news/tag/%E5%BC%B7%E5%88%B6%E9%80%81%E9%82%84/").await;
    assert_eq!(tag.status, 200);
    assert!(tag.body.contains("強制送還"));
    app.stop().await;
}
