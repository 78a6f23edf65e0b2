use std::sync::Arc;

use refuge_core::{ContentStore, ItemDraft, Kind, Language, Slug, Status};
use time::macros::datetime;

use crate::site::{Outcome, Site, SiteConfig};

fn lang(code: &str) -> Language {
    Language::parse(code).unwrap()
}

fn fixture_site() -> (tempfile::TempDir, Site) {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(refuge_store::SqlStore::open(&dir.path().join("s.db")).unwrap());
    store.set_setting("site_name", None, "Snapshot Society").unwrap();
    store.save_category(&Slug::parse("reports").unwrap(), &lang("en"), "Reports").unwrap();
    let draft = |l: &str, title: &str, body: &str, group| ItemDraft {
        group_id: group,
        kind: Kind::News,
        lang: lang(l),
        slug: Slug::parse("border-report").unwrap(),
        title: title.into(),
        summary: "A short summary & more.".into(),
        body: body.into(),
        category: Some("reports".into()),
        tags: vec!["border".into(), "強制送還".into()],
        status: Status::Published,
        published_at: Some(datetime!(2002-07-22 09:00 +09:00)),
    };
    let body = "*Tokyo*\n\n> \"Quoted dispatch.\"\n>\n> — Wire, 20 July\n\nWrite to the embassy.\n";
    let en = store.save_item(None, &draft("en", "Border report", body, None)).unwrap();
    store.save_item(None, &draft("ja", "国境報告", "本文", Some(en.group_id))).unwrap();
    let config = SiteConfig {
        base_url: "https://refuge.example".into(),
        languages: vec![lang("en"), lang("ja")],
        theme_dir: None,
        page_size: 10,
        addresses: Default::default(),
    };
    (dir, Site::new(config, store).unwrap())
}

/// Compares with the checked-in snapshot; `UPDATE_SNAPSHOTS=1`
/// rewrites it (review the diff before committing).
fn assert_snapshot(name: &str, actual: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots").join(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("missing snapshot {}; run with UPDATE_SNAPSHOTS=1", path.display()));
    assert!(expected == actual, "{name} differs from its snapshot; run with UPDATE_SNAPSHOTS=1 and review the diff");
}

#[test]
fn article_page_snapshot() {
    let (_dir, site) = fixture_site();
    let Outcome::Page(page) = site.resolve("/en/news/border-report/").unwrap() else { panic!("not a page") };
    assert_eq!(page.status, 200);
    let html = String::from_utf8(page.body).unwrap();
    let html = html.replace(site.css_path(), "/static/style.css");
    assert_snapshot("article_en.html", &html);
}

#[test]
fn every_route_kind_resolves_in_both_languages() {
    let (_dir, site) = fixture_site();
    for path in [
        "/en/",
        "/ja/",
        "/en/news/",
        "/ja/news/",
        "/en/news/2002/",
        "/en/news/category/reports/",
        "/ja/news/tag/%E5%BC%B7%E5%88%B6%E9%80%81%E9%82%84/",
    ] {
        assert!(matches!(site.resolve(path).unwrap(), Outcome::Page(p) if p.status == 200), "{path}");
    }
    assert!(matches!(site.resolve("/ja/news/category/reports/").unwrap(), Outcome::NotFound(_)), "no ja name");
    assert!(matches!(site.resolve("/en/news/2003/").unwrap(), Outcome::NotFound(_)));
}

#[test]
fn sitemaps_split_into_an_index_and_robots_txt_is_a_theme_template() {
    let (dir, site) = fixture_site();
    let text = |r: Option<crate::site::Rendered>| String::from_utf8(r.unwrap().body).unwrap();
    let whole = text(site.sitemap_split(None, 100).unwrap());
    assert_eq!(whole.matches("<url>").count(), 8, "3 pages in 2 languages and 2 translations: {whole}");
    assert!(whole.contains("<url><loc>https://refuge.example/ja/news/border-report/</loc><lastmod>"));
    assert!(whole.contains("<xhtml:link rel=\"alternate\" hreflang=\"en\" href=\"https://refuge.example/en/\"/>"));
    assert!(whole.ends_with("</urlset>\n"));
    let index = text(site.sitemap_split(None, 3).unwrap());
    assert!(index.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<sitemapindex "), "{index}");
    for n in 1..=3 {
        assert!(index.contains(&format!("<sitemap><loc>https://refuge.example/sitemap-{n}.xml</loc></sitemap>\n")));
    }
    assert!(!index.contains("sitemap-4.xml"));
    let parts: Vec<String> = (1..=3).map(|n| text(site.sitemap_split(Some(n), 3).unwrap())).collect();
    let counts: Vec<usize> = parts.iter().map(|p| p.matches("<url>").count()).collect();
    assert_eq!(counts, [3, 3, 2]);
    assert!(site.sitemap_split(Some(4), 3).unwrap().is_none());
    assert!(site.sitemap_split(Some(0), 3).unwrap().is_none());
    assert!(site.sitemap_split(Some(1), 100).unwrap().is_none(), "one file has no parts");

    let Outcome::Page(robots) = site.resolve("/robots.txt").unwrap() else { panic!("robots.txt") };
    let robots = String::from_utf8(robots.body).unwrap();
    assert_eq!(robots, "User-agent: *\nAllow: /\nDisallow: /admin/\n\nSitemap: https://refuge.example/sitemap.xml\n");
    let theme = dir.path().join("theme");
    std::fs::create_dir_all(theme.join("templates")).unwrap();
    std::fs::write(theme.join("templates/robots.txt"), "User-agent: *\nDisallow: /\n").unwrap();
    let store = Arc::new(refuge_store::SqlStore::open(&dir.path().join("s.db")).unwrap());
    let config = SiteConfig {
        base_url: "https://mirror.example".into(),
        languages: vec![lang("en")],
        theme_dir: Some(theme),
        page_size: 10,
        addresses: Default::default(),
    };
    let themed = Site::new(config, store).unwrap();
    let Outcome::Page(robots) = themed.resolve("/robots.txt").unwrap() else { panic!("robots.txt") };
    // Templates drop one final newline (minijinja's default).
    assert_eq!(robots.body, b"User-agent: *\nDisallow: /");
}
