//! `refuge export`: the copy served by a real static server is the site.

use std::collections::{BTreeSet, VecDeque};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use refuge::config::Config;
use refuge_core::{ContentStore, ItemDraft, Kind, Language, PublicContent, RedirectStore, RedirectTarget, Slug};
use refuge_export::{ExportOptions, MARKER, Report};

use crate::helpers::*;

const FORMS: &str = "https://main.example";

fn args(app: &TestApp, out: &Path) -> ExportOptions {
    ExportOptions {
        out: out.to_owned(),
        base_url: app.base.clone(),
        forms_url: FORMS.into(),
        languages: vec![Language::parse("en").unwrap(), Language::parse("ja").unwrap()],
        precompress: false,
        index_links: false,
        media: None,
    }
}

fn run(app: &TestApp, options: &ExportOptions) -> Result<Report, refuge_export::ExportError> {
    let config = Config::load(&app.data_dir).unwrap();
    refuge_export::export(&config.data_dir, None, config.site_config(options.base_url.clone()), options, &mut |_, _| {})
}

/// Python's `http.server` serving `dir` on a free port of 127.0.0.1.
struct StaticServer {
    child: Child,
    base: String,
}

impl StaticServer {
    async fn start(dir: &Path) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut child = Command::new("python3")
            .args(["-m", "http.server", "--bind", "127.0.0.1", &port.to_string(), "--directory"])
            .arg(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 runs (it is needed for this test)");
        let base = format!("http://127.0.0.1:{port}");
        for _ in 0..100 {
            if client().get(format!("{base}/")).send().await.is_ok() {
                return Self { child, base };
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("python3 -m http.server did not start");
    }
}

impl Drop for StaticServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Every file under `dir` but the export's own records, by relative path.
fn files(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut std::collections::BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                if !rel.starts_with(".refuge-export") {
                    out.insert(rel, std::fs::read(&path).unwrap());
                }
            }
        }
    }
    let mut out = std::collections::BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// The copy updated in place equals a fresh export.
fn assert_same_tree(app: &TestApp, updated: &Path, scratch: &Path) {
    let fresh = scratch.join("fresh");
    let _ = std::fs::remove_dir_all(&fresh);
    run(app, &args(app, &fresh)).unwrap();
    let (a, b) = (files(updated), files(&fresh));
    let only_a: Vec<_> = a.keys().filter(|k| !b.contains_key(*k)).collect();
    let only_b: Vec<_> = b.keys().filter(|k| !a.contains_key(*k)).collect();
    assert!(only_a.is_empty() && only_b.is_empty(), "only in the update: {only_a:?}; only fresh: {only_b:?}");
    for (name, bytes) in &a {
        assert!(bytes == &b[name], "{name} differs from a fresh export");
    }
    std::fs::remove_dir_all(&fresh).unwrap();
}

fn without_token(html: &str) -> String {
    match html.find("name=\"token\" value=\"") {
        Some(at) => {
            let start = at + 20;
            let end = start + html[start..].find('"').unwrap();
            format!("{}{}", &html[..start], &html[end..])
        }
        None => html.to_owned(),
    }
}

#[tokio::test]
async fn the_static_copy_is_the_site_and_updates_incrementally() {
    let app = spawn_app().await;
    let en = Language::parse("en").unwrap();
    let item = app.store.published_item(Kind::News, &en, &Slug::parse("why-we-hide-names").unwrap()).unwrap().unwrap();
    app.store.set_redirect("/old/hide.html", &RedirectTarget::Item(item.id)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("mirror");

    let first = run(&app, &args(&app, &out)).unwrap();
    assert!(first.files > 100, "{first:?}");
    assert_eq!((first.written, first.unchanged, first.removed), (first.files, 0, 0));
    assert!(first.broken.is_empty(), "{:?}", first.broken);

    // Crawl the copy through a real static server: every link resolves,
    // and every page is what the live server sends, but for forms and
    // search, which go to the running site.
    let server = StaticServer::start(&out).await;
    let client = client();
    let mut seen = BTreeSet::new();
    let mut queue = VecDeque::from(["/".to_owned()]);
    let mut compared = 0;
    while let Some(path) = queue.pop_front() {
        if !seen.insert(path.clone()) {
            continue;
        }
        let response = client.get(format!("{}{path}", server.base)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path} is missing from the copy");
        let body = response.text().await.unwrap();
        let is_html = path.ends_with('/') || path.ends_with(".html");
        if !is_html {
            continue;
        }
        for link in links(&body) {
            if let Some(local) = local_path(&app.base, &link) {
                queue.push_back(local);
            }
        }
        if path == "/" || path.ends_with(".html") {
            continue;
        }
        let live = app.get(&path).await;
        assert_eq!(live.status, 200, "{path}");
        // The contact form's token is made per request.
        let live = without_token(&live.body);
        let body = without_token(&body);
        assert_eq!(body.replace(&format!("\"{FORMS}/"), "\"/"), live, "{path} differs from the live page");
        compared += 1;
    }
    assert!(compared > 90, "only {compared} pages compared");
    assert!(seen.contains("/ja/news/"), "the Japanese pages are in the copy");
    // Search and the forms go to the running site.
    let home = client.get(format!("{}/en/", server.base)).send().await.unwrap().text().await.unwrap();
    assert!(home.contains(&format!("action=\"{FORMS}/en/search/\"")));
    assert!(home.contains(&format!("action=\"{FORMS}/en/subscribe/\"")));
    // The old address sends readers on.
    let stub = client.get(format!("{}/old/hide.html", server.base)).send().await.unwrap().text().await.unwrap();
    assert!(stub.contains("url=/en/news/why-we-hide-names/"), "{stub}");
    // Files the server sends as they are.
    for path in ["/robots.txt", "/sitemap.xml", "/en/feed.xml", "/ja/feed.xml"] {
        let copy = client.get(format!("{}{path}", server.base)).send().await.unwrap().text().await.unwrap();
        assert_eq!(copy, app.get(path).await.body, "{path}");
    }

    // Nothing changed: nothing written.
    let second = run(&app, &args(&app, &out)).unwrap();
    assert_eq!((second.files, second.written, second.removed), (first.files, 0, 0), "{second:?}");

    // One article changed: only the pages showing it are written.
    let draft = ItemDraft { title: "Why we still hide names".into(), ..draft_of(&item) };
    app.store.save_item(Some(item.id), &draft).unwrap();
    let third = run(&app, &args(&app, &out)).unwrap();
    assert!(third.written > 0 && third.written < 30, "{third:?}");
    assert_eq!(third.removed, 0);
    let page = std::fs::read_to_string(out.join("en/news/why-we-hide-names/index.html")).unwrap();
    assert!(page.contains("Why we still hide names"));
    assert_same_tree(&app, &out, dir.path());

    // A new tag, another category, and an article taken down: the pages
    // rendered again are exactly the ones a full export makes.
    let other =
        app.store.published_item(Kind::News, &en, &Slug::parse("winter-relief-2025").unwrap()).unwrap().unwrap();
    let retagged =
        ItemDraft { tags: vec!["brand-new-tag".into()], category: Some("statements".into()), ..draft.clone() };
    app.store.save_item(Some(item.id), &retagged).unwrap();
    let taken_down = ItemDraft { status: refuge_core::Status::Draft, ..draft_of(&other) };
    app.store.save_item(Some(other.id), &taken_down).unwrap();
    let fourth = run(&app, &args(&app, &out)).unwrap();
    assert!(fourth.removed > 0, "{fourth:?}");
    assert!(out.join("en/news/tag/brand-new-tag/index.html").is_file());
    // Its address now says it is not available in English (it has a translation).
    let gone = std::fs::read_to_string(out.join("en/news/winter-relief-2025/index.html")).unwrap();
    assert!(gone.contains("noindex") && !gone.contains(&other.title), "taken down");
    assert_same_tree(&app, &out, dir.path());
    let page = std::fs::read_to_string(out.join("en/news/why-we-hide-names/index.html")).unwrap();
    drop(server);

    // A folder that is not an export is never replaced.
    let other = dir.path().join("documents");
    std::fs::create_dir(&other).unwrap();
    std::fs::write(other.join("letter.txt"), "mine").unwrap();
    let refused = run(&app, &args(&app, &other)).unwrap_err().to_string();
    assert!(refused.contains("not an earlier export"), "{refused}");
    assert_eq!(std::fs::read_to_string(other.join("letter.txt")).unwrap(), "mine");

    // A failure half-way leaves the previous copy whole, and no debris.
    let templates = app.data_dir.join("theme/templates");
    std::fs::create_dir_all(&templates).unwrap();
    let article = include_str!("../../../../templates/article.html");
    std::fs::write(templates.join("article.html"), format!("{{{{ no_such_function() }}}}{article}")).unwrap();
    let failed = run(&app, &args(&app, &out));
    assert!(failed.is_err(), "a broken theme fails the export");
    assert!(out.join(MARKER).is_file());
    assert_eq!(std::fs::read_to_string(out.join("en/news/why-we-hide-names/index.html")).unwrap(), page);
    let debris: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(debris.len(), 2, "{debris:?}");
    app.stop().await;
}

#[tokio::test]
async fn precompressed_siblings_and_a_base_path() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("copy");
    let mut a = args(&app, &out);
    a.base_url = "https://mirror.example/refuge/".into();
    a.languages = vec![Language::parse("ja").unwrap()];
    a.precompress = true;
    let report = run(&app, &a).unwrap();
    assert!(report.broken.is_empty(), "{:?}", report.broken);
    assert!(!out.join("en").exists(), "only Japanese was asked for");
    let page = std::fs::read(out.join("ja/index.html")).unwrap();
    assert_eq!(gunzip(&std::fs::read(out.join("ja/index.html.gz")).unwrap()).as_bytes(), page);
    assert_eq!(unbrotli(&std::fs::read(out.join("ja/index.html.br")).unwrap()).as_bytes(), page);
    let page = String::from_utf8(page).unwrap();
    assert!(page.contains("href=\"/refuge/ja/news/\""), "links live under the base path");
    assert!(page.contains("href=\"https://mirror.example/refuge/ja/\""), "canonical on the mirror");
    assert!(page.contains(&format!("href=\"{FORMS}/en/\"")), "the English pages are on the running site");
    let again = run(&app, &a).unwrap();
    assert_eq!(again.written, 0, "{again:?}");
    assert!(out.join("ja/index.html.br").is_file());
    app.stop().await;
}
