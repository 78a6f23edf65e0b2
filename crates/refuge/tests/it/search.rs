//! Site search over HTTP, following the database.

use std::time::{Duration, Instant};

use refuge::app::StartOptions;
use refuge_core::{ContentStore, ItemDraft, Kind, Language, PublicContent, Slug, Status};

use crate::helpers::*;

fn draft(lang: &str, slug: &str, title: &str, body: &str) -> ItemDraft {
    ItemDraft {
        group_id: None,
        kind: Kind::News,
        lang: Language::parse(lang).unwrap(),
        slug: Slug::parse(slug).unwrap(),
        title: title.into(),
        summary: String::new(),
        body: body.into(),
        category: None,
        tags: vec![],
        status: Status::Published,
        published_at: Some(time::OffsetDateTime::now_utc()),
    }
}

async fn search(app: &TestApp, lang: &str, query: &str) -> Page {
    let url = format!("/{lang}/search/?q={}", percent(query));
    app.get(&url).await
}

fn percent(text: &str) -> String {
    text.bytes()
        .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

fn result_links(page: &Page) -> Vec<String> {
    attrs(&page.body, "ol.results h2 a", "href")
}

#[tokio::test]
async fn japanese_and_english_search_with_highlights() {
    let app = spawn_app().await;
    let ja = search(&app, "ja", "強制送還").await;
    assert_eq!(ja.status, 200);
    let links = result_links(&ja);
    assert!(links.contains(&"/ja/news/current-background-march-2026/".to_owned()), "{links:?}");
    assert!(select(&ja.body, "mark").iter().any(|m| m.contains("強制送還")), "highlighted as one run");
    let en = search(&app, "en", "repatriated").await;
    assert!(result_links(&en).iter().all(|l| l.starts_with("/en/")), "the page's language by default");
    assert!(!result_links(&en).is_empty(), "stemming: repatriated finds repatriation");
    let faq = search(&app, "en", "volunteer").await;
    assert!(result_links(&faq).iter().any(|l| l.starts_with("/en/faq/#")), "FAQ entries are found at their anchor");
    assert!(ja.header("set-cookie").is_none());
    assert!(!ja.body.to_ascii_lowercase().contains("<script"));
    app.stop().await;
}

#[tokio::test]
async fn other_language_is_suggested_when_only_it_has_results() {
    let app = spawn_app().await;
    let page = search(&app, "en", "奨学金").await;
    assert_eq!(page.status, 200);
    assert!(result_links(&page).is_empty());
    let suggestions = attrs(&page.body, "ul.suggestions a", "href");
    assert_eq!(suggestions.len(), 1, "{}", page.body);
    let there = app.get(&suggestions[0]).await;
    assert!(result_links(&there).contains(&"/ja/news/scholarship-2025/".to_owned()));
    // Facet links carry counts and filter.
    let all = app.get("/en/search/?q=donations&lang=all").await;
    let facet_links = attrs(&all.body, "aside.facets a", "href");
    assert!(facet_links.iter().any(|l| l.contains("lang=en")), "{facet_links:?}");
    for link in facet_links {
        assert_eq!(app.get(&link).await.status, 200, "{link}");
    }
    app.stop().await;
}

#[tokio::test]
async fn publishing_is_searchable_within_a_second_and_unpublishing_removes_it() {
    let app = spawn_app().await;
    let marker = "zebrafinchmarker";
    let item =
        app.store.save_item(None, &draft("en", "new-report", "A new report", &format!("About the {marker}."))).unwrap();
    let started = Instant::now();
    app.state.item_changed(None, Some(&item));
    let found = search(&app, "en", marker).await;
    assert!(started.elapsed() < Duration::from_secs(1), "took {:?}", started.elapsed());
    assert_eq!(result_links(&found), vec!["/en/news/new-report/"]);

    let mut hidden = draft("en", "new-report", "A new report", &format!("About the {marker}."));
    hidden.status = Status::Draft;
    let after = app.store.save_item(Some(item.id), &hidden).unwrap();
    app.state.item_changed(Some(&item), Some(&after));
    assert!(result_links(&search(&app, "en", marker).await).is_empty(), "drafts never appear");

    let draft_only = app.store.save_item(None, &{
        let mut d = draft("ja", "draft-only", "下書き", "秘密のくじら");
        d.status = Status::Draft;
        d
    });
    app.state.item_changed(None, Some(&draft_only.unwrap()));
    assert!(result_links(&search(&app, "ja", "くじら").await).is_empty());
    app.stop().await;
}

#[tokio::test]
async fn reindex_equals_incremental() {
    let app = spawn_app().await;
    let a = app.store.save_item(None, &draft("ja", "added-one", "追加の記事", "新しい本文")).unwrap();
    app.state.item_changed(None, Some(&a));
    let en = Language::parse("en").unwrap();
    let old = app.store.published_item(Kind::News, &en, &Slug::parse("winter-relief-2025").unwrap()).unwrap().unwrap();
    app.store.delete_item(old.id).unwrap();
    app.state.item_changed(Some(&old), None);
    let incremental = app.state.search.keys().unwrap();

    let dir = tempfile::tempdir().unwrap();
    let (fresh, _) = refuge_search::SearchIndex::open(dir.path()).unwrap();
    let languages = app.state.site.languages().to_vec();
    refuge_search::rebuild_from_store(&fresh, app.store.as_ref(), &languages, |_, _| {}).unwrap();
    assert_eq!(fresh.keys().unwrap(), incremental);
    assert_eq!(fresh.stamp(), app.state.search.stamp(), "both record the same database stamp");
    app.stop().await;
}

#[tokio::test]
async fn malformed_queries_get_a_page() {
    let app = spawn_with(|c| c.search_per_minute = 0).await;
    let queries = [
        "\"unbalanced",
        "-",
        "--",
        "\"\"",
        "AND OR NOT",
        "*",
        "title:foo",
        "a^2",
        "(((",
        "\\",
        "%",
        "<script>alert(1)</script>",
        "' OR 1=1 --",
        "../../etc/passwd",
        "\u{202E}gnp.exe",
        "🙂🙃",
        "ｶﾞｲﾄﾞ",
        &"長".repeat(500),
        &"word ".repeat(100),
    ];
    for q in queries {
        let page = search(&app, "en", q).await;
        assert_eq!(page.status, 200, "{q:?}");
        assert!(!page.body.contains("<script>alert"), "{q:?} reflected unescaped");
    }
    for raw in [
        "/en/search/?q=%FF%FE",
        "/en/search/?q=%00%01",
        "/en/search/?q",
        "/en/search/?=&&&",
        "/en/search/?q=a&page=999999",
        "/en/search/?q=a&lang=../&kind=x&year=abc",
    ] {
        assert_eq!(app.get(raw).await.status, 200, "{raw}");
    }
    assert_eq!(app.get("/en/search?q=x").await.status, 308, "missing slash redirects");
    assert_eq!(app.get("/xx/search/?q=x").await.status, 404);
    app.stop().await;
}

#[tokio::test]
async fn search_is_rate_limited_per_client() {
    let app = spawn_app().await;
    let mut statuses = Vec::new();
    for i in 0..40 {
        statuses.push(search(&app, "ja", &format!("難民{i}")).await);
    }
    let limited: Vec<&Page> = statuses.iter().filter(|p| p.status == 429).collect();
    assert!(!limited.is_empty(), "40 searches at once must hit the limit");
    assert!(statuses[..20].iter().all(|p| p.status == 200), "a burst of 20 is allowed");
    let page = limited[0];
    assert_eq!(page.header("retry-after"), Some("60"));
    assert!(page.body.contains("リクエストが多すぎます"), "the 429 page speaks Japanese");
    assert_eq!(app.get("/ja/search/").await.status, 200, "the empty search form is never limited");
    app.stop().await;
}

#[tokio::test]
async fn damaged_index_is_rebuilt_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let app = spawn_in(data.clone(), StartOptions { inbox_work_factor: Some(10), ..StartOptions::default() }).await;
    app.stop().await;
    std::fs::write(data.join("search/meta.json"), b"{ broken").unwrap();
    let app = spawn_in(data.clone(), StartOptions { inbox_work_factor: Some(10), ..StartOptions::default() }).await;
    assert!(!result_links(&search(&app, "en", "shelter").await).is_empty());
    app.stop().await;
    std::fs::remove_dir_all(data.join("search")).unwrap();
    let app = spawn_in(data, StartOptions { inbox_work_factor: Some(10), ..StartOptions::default() }).await;
    assert!(!result_links(&search(&app, "ja", "寄付").await).is_empty());
    app.stop().await;
}
