//! Feeds, sitemap and robots.txt, checked with a strict XML parser (and
//! with Python's feedparser, a real feed reader library, when present).

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use crate::helpers::*;

const ATOM: &str = "http://www.w3.org/2005/Atom";

fn child<'a>(node: roxmltree::Node<'a, 'a>, name: &str) -> Option<roxmltree::Node<'a, 'a>> {
    node.children().find(|c| c.has_tag_name((ATOM, name)))
}

fn text<'a>(node: roxmltree::Node<'a, 'a>, name: &str) -> String {
    child(node, name).and_then(|c| c.text()).unwrap_or_default().trim().to_owned()
}

fn is_rfc3339(t: &str) -> bool {
    time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).is_ok()
}

/// Checks what RFC 4287 requires; returns the number of entries.
fn check_atom(path: &str, xml: &str, lang: &str) -> usize {
    let doc = roxmltree::Document::parse(xml).unwrap_or_else(|e| panic!("{path} is not well-formed XML: {e}"));
    let feed = doc.root_element();
    assert!(feed.has_tag_name((ATOM, "feed")), "{path}: root is not an Atom feed");
    assert_eq!(feed.attribute((roxmltree::NS_XML_URI, "lang")), Some(lang), "{path}: xml:lang");
    for required in ["id", "title", "updated"] {
        assert!(!text(feed, required).is_empty(), "{path}: feed lacks {required}");
    }
    assert!(is_rfc3339(&text(feed, "updated")), "{path}: updated is not RFC 3339");
    let self_link = feed.children().find(|c| c.has_tag_name((ATOM, "link")) && c.attribute("rel") == Some("self"));
    assert!(self_link.and_then(|l| l.attribute("href")).is_some_and(|h| h.ends_with(path)), "{path}: self link");
    let feed_author = child(feed, "author").is_some_and(|a| !text(a, "name").is_empty());
    let mut ids = BTreeSet::new();
    let entries: Vec<_> = feed.children().filter(|c| c.has_tag_name((ATOM, "entry"))).collect();
    for entry in &entries {
        for required in ["id", "title", "updated"] {
            assert!(!text(*entry, required).is_empty(), "{path}: an entry lacks {required}");
        }
        assert!(is_rfc3339(&text(*entry, "updated")) && is_rfc3339(&text(*entry, "published")), "{path}: entry dates");
        assert!(feed_author || child(*entry, "author").is_some(), "{path}: no author");
        assert!(ids.insert(text(*entry, "id")), "{path}: duplicate entry id");
        let content = child(*entry, "content").unwrap_or_else(|| panic!("{path}: entry without content"));
        assert_eq!(content.attribute("type"), Some("html"));
        let html = content.text().unwrap_or_default().to_ascii_lowercase();
        assert!(!html.contains("<script") && !html.contains("javascript:"), "{path}: unsafe content");
        assert!(child(*entry, "link").and_then(|l| l.attribute("href")).is_some_and(|h| h.starts_with("http")));
    }
    entries.len()
}

#[tokio::test]
async fn feeds_are_valid_atom() {
    let app = spawn_app().await;
    let mut checked = Vec::new();
    for (path, lang) in [
        ("/en/feed.xml", "en"),
        ("/ja/feed.xml", "ja"),
        ("/en/news/category/background/feed.xml", "en"),
        ("/ja/news/category/activities/feed.xml", "ja"),
    ] {
        let page = app.get(path).await;
        assert_eq!(page.status, 200, "{path}");
        assert_eq!(page.header("content-type"), Some("application/atom+xml; charset=utf-8"));
        let n = check_atom(path, &page.body, lang);
        assert!(n > 0, "{path} has entries");
        checked.push((path, page.body, n));
    }
    let home = app.get("/en/").await;
    assert_eq!(attrs(&home.body, "link[rel=alternate][type='application/atom+xml']", "href"), vec!["/en/feed.xml"]);
    let category = app.get("/en/news/category/background/").await;
    assert!(
        attrs(&category.body, "link[type='application/atom+xml']", "href")
            .contains(&"/en/news/category/background/feed.xml".to_owned())
    );
    assert_eq!(app.get("/en/news/category/nothing/feed.xml").await.status, 404);
    assert_eq!(app.get("/en/feed.xml/").await.status, 301);

    // A real feed reader library, where installed (CI installs it).
    let feedparser = Command::new("python3").args(["-c", "import feedparser"]).status().is_ok_and(|s| s.success());
    if !feedparser {
        assert!(std::env::var_os("CI").is_none(), "CI must install Python's feedparser");
        eprintln!("skipping the feedparser check: python3 -m pip install feedparser to run it");
    }
    for (path, body, n) in checked.iter().filter(|_| feedparser) {
        let file = app.data_dir.join("feed-check.xml");
        std::fs::write(&file, body).unwrap();
        let script = "import sys, feedparser\nd = feedparser.parse(sys.argv[1])\nprint(int(bool(d.bozo)), len(d.entries), d.feed.get('title', ''))";
        let out = Command::new("python3").args(["-c", script, file.to_str().unwrap()]).output().unwrap();
        let printed = String::from_utf8_lossy(&out.stdout);
        let mut parts = printed.split_whitespace();
        assert_eq!(
            parts.next(),
            Some("0"),
            "{path}: feedparser says bozo: {printed} {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(parts.next().and_then(|c| c.parse::<usize>().ok()), Some(*n), "{path}: entry count");
    }
    app.stop().await;
}

#[tokio::test]
async fn sitemap_and_robots() {
    let app = spawn_app().await;
    let robots = app.get("/robots.txt").await;
    assert_eq!(robots.status, 200);
    assert!(robots.body.contains("Disallow: /admin/"));
    assert!(robots.body.contains(&format!("Sitemap: {}/sitemap.xml", app.base)));

    let sitemap = app.get("/sitemap.xml").await;
    assert_eq!(sitemap.status, 200);
    let doc = roxmltree::Document::parse(&sitemap.body).expect("well-formed");
    let ns = "http://www.sitemaps.org/schemas/sitemap/0.9";
    assert!(doc.root_element().has_tag_name((ns, "urlset")));
    let mut alternates: BTreeMap<String, BTreeSet<(String, String)>> = BTreeMap::new();
    let urls: Vec<_> = doc.root_element().children().filter(|c| c.has_tag_name((ns, "url"))).collect();
    assert!(!urls.is_empty() && urls.len() <= 50_000);
    for url in &urls {
        let loc = url.children().find(|c| c.has_tag_name((ns, "loc"))).and_then(|l| l.text()).unwrap().to_owned();
        assert!(loc.starts_with(&app.base), "absolute: {loc}");
        assert_eq!(app.get(loc.trim_start_matches(&app.base)).await.status, 200, "{loc}");
        let links: BTreeSet<(String, String)> = url
            .children()
            .filter(|c| c.has_tag_name(("http://www.w3.org/1999/xhtml", "link")))
            .map(|l| (l.attribute("hreflang").unwrap().to_owned(), l.attribute("href").unwrap().to_owned()))
            .collect();
        assert!(alternates.insert(loc, links).is_none(), "each URL once");
    }
    // Alternates are symmetric: every page listed as an alternate lists the same set.
    for (loc, links) in &alternates {
        if links.is_empty() {
            continue;
        }
        assert!(links.iter().any(|(_, h)| h == loc), "{loc} lists itself");
        for (_, href) in links {
            assert_eq!(alternates.get(href), Some(links), "{loc} ↔ {href}");
        }
    }
    assert!(
        alternates.contains_key(&app.url("/en/news/testimony-evening-tokyo/")),
        "untranslated pages are listed too"
    );
    assert!(alternates[&app.url("/en/news/testimony-evening-tokyo/")].is_empty());
    app.stop().await;
}
