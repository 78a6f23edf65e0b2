//! `spawn_app()` and small helpers shared by the integration tests.

use std::collections::{BTreeSet, VecDeque};
use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;

use refuge::app::{App, FirstAccount, StartOptions};
use refuge::config::Config;
use refuge_store::SqlStore;
use refuge_web::AppState;
use reqwest::header::HeaderMap;

/// Lighthouse times page loads on this machine: while it runs, no other
/// test's application may (each holds a read guard; Lighthouse takes the
/// write guard, then starts its own application with `spawn_alone`).
pub static TIMING: tokio::sync::RwLock<()> = tokio::sync::RwLock::const_new(());

/// A running application and a client for it.
pub struct TestApp {
    pub base: String,
    /// The main address (HTTPS when the test set up [tls]).
    pub addr: std::net::SocketAddr,
    /// The plain-HTTP address beside HTTPS.
    pub http_addr: Option<std::net::SocketAddr>,
    pub client: reqwest::Client,
    pub state: AppState,
    pub store: Arc<SqlStore>,
    pub first_account: Option<FirstAccount>,
    pub first_inbox: Option<refuge::app::FirstInbox>,
    pub data_dir: PathBuf,
    _dir: Option<tempfile::TempDir>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    _timing: Option<tokio::sync::RwLockReadGuard<'static, ()>>,
}

/// A response read whole.
pub struct Page {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl Page {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

pub fn client() -> reqwest::Client {
    refuge_bucket::install_tls_provider();
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// A draft that saves `item` as it is; change what a test needs with
/// `ItemDraft { title: …, ..draft_of(&item) }`.
pub fn draft_of(item: &refuge_core::Item) -> refuge_core::ItemDraft {
    refuge_core::ItemDraft {
        group_id: Some(item.group_id),
        kind: item.kind,
        lang: item.lang.clone(),
        slug: item.slug.clone(),
        title: item.title.clone(),
        summary: item.summary.clone(),
        body: item.body.clone(),
        category: item.category.clone(),
        tags: item.tags.clone(),
        status: item.status,
        published_at: item.published_at,
    }
}

/// Starts the demo site in a fresh temporary data folder.
pub async fn spawn_app() -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data");
    let mut app = spawn_in(path, StartOptions { inbox_work_factor: Some(10), ..StartOptions::default() }).await;
    app._dir = Some(dir);
    app
}

/// Starts the demo site with settings changed by `change`.
pub async fn spawn_with(change: impl FnOnce(&mut Config)) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::defaults(&dir.path().join("data"));
    change(&mut config);
    let mut app = start(config, StartOptions { inbox_work_factor: Some(10), ..StartOptions::default() }).await;
    app._dir = Some(dir);
    app
}

/// Starts a new site without the demo content (as an organisation starts
/// its own), with settings changed by `change`.
pub async fn spawn_empty(change: impl FnOnce(&mut Config)) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::defaults(&dir.path().join("data"));
    change(&mut config);
    let mut app = start(config, StartOptions { no_demo: true, inbox_work_factor: Some(10) }).await;
    app._dir = Some(dir);
    app
}

/// Starts the application on an existing (or new) data folder.
pub async fn spawn_in(data_dir: PathBuf, options: StartOptions) -> TestApp {
    start(Config::defaults(&data_dir), options).await
}

/// Starts the application on a data folder and the database `url`
/// names (`None`: the folder's SQLite file).
pub async fn spawn_on(data_dir: PathBuf, url: Option<&str>) -> TestApp {
    let mut config = Config::defaults(&data_dir);
    config.database_url = url.map(str::to_owned);
    start(config, StartOptions { inbox_work_factor: Some(10), ..StartOptions::default() }).await
}

/// Every built-in language: English, Japanese, Korean, Simplified Chinese.
pub fn all_languages() -> Vec<refuge_core::Language> {
    ["en", "ja", "ko", "zh"].iter().map(|l| refuge_core::Language::parse(l).unwrap()).collect()
}

/// Starts the demo site for a test that holds `TIMING` for writing.
pub async fn spawn_alone(change: impl FnOnce(&mut Config)) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::defaults(&dir.path().join("data"));
    change(&mut config);
    let mut app =
        start_with(config, StartOptions { inbox_work_factor: Some(10), ..StartOptions::default() }, None).await;
    app._dir = Some(dir);
    app
}

async fn start(config: Config, options: StartOptions) -> TestApp {
    // Bounded, so a test that holds two applications at once can never
    // wait for ever behind Lighthouse's turn.
    let guard = tokio::time::timeout(std::time::Duration::from_secs(240), TIMING.read()).await.ok();
    start_with(config, options, guard).await
}

async fn start_with(
    mut config: Config,
    options: StartOptions,
    timing: Option<tokio::sync::RwLockReadGuard<'static, ()>>,
) -> TestApp {
    let data_dir = config.data_dir.to_path_buf();
    config.addr = "127.0.0.1:0".into();
    // REFUGE_TEST_DATABASE=postgres runs a new site's tests on a fresh
    // PostgreSQL database holding the demo site (a way to look for
    // queries one engine refuses; tests that read the SQLite file itself
    // fail then, as they should).
    if std::env::var("REFUGE_TEST_DATABASE").is_ok_and(|v| v == "postgres")
        && config.database_url.is_none()
        && !data_dir.join("refuge.db").exists()
        && let Some(db) = refuge_store::testing::postgres_db()
    {
        if !options.no_demo {
            refuge::demo::fill(&db.store, &config.languages).expect("the demo fills PostgreSQL");
        }
        config.database_url = Some(db.url.clone());
    }
    let app = App::build(config, options).await.expect("app builds");
    let base = format!("http://{}", app.addr);
    let (addr, http_addr) = (app.addr, app.http_addr);
    let state = app.state.clone();
    let store = app.store.clone();
    let first_account = app.first_account.clone();
    let first_inbox = app.first_inbox.clone();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(app.run(async move {
        let _ = rx.await;
    }));
    TestApp {
        base,
        addr,
        http_addr,
        client: client(),
        state,
        store,
        first_account,
        first_inbox,
        data_dir,
        _dir: None,
        shutdown: Some(tx),
        task: Some(task),
        _timing: timing,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn get(&self, path: &str) -> Page {
        self.get_with(path, &[]).await
    }

    pub async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Page {
        let mut request = self.client.get(self.url(path));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.unwrap_or_else(|e| panic!("GET {path}: {e}"));
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.unwrap();
        Page { status, headers, body: String::from_utf8_lossy(&bytes).into_owned() }
    }

    pub async fn get_bytes(&self, path: &str, headers: &[(&str, &str)]) -> (u16, HeaderMap, Vec<u8>) {
        let mut request = self.client.get(self.url(path));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        (status, headers, response.bytes().await.unwrap().to_vec())
    }

    /// Stops the server and waits for it.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap().unwrap();
        }
    }

    /// Every page reachable from the language homes by following links
    /// on this site, with its response (redirects followed one step).
    pub async fn crawl(&self, limit: usize) -> Vec<(String, Page)> {
        let mut seen = BTreeSet::new();
        let mut queue: VecDeque<String> = self.state.site.languages().iter().map(|l| format!("/{l}/")).collect();
        let mut pages = Vec::new();
        while let Some(path) = queue.pop_front() {
            if !seen.insert(path.clone()) || pages.len() >= limit {
                continue;
            }
            let mut page = self.get(&path).await;
            if page.status == 301 {
                let to = page.header("location").unwrap().to_owned();
                page = self.get(&to).await;
            }
            if page.header("content-type").is_some_and(|c| c.starts_with("text/html")) {
                for link in links(&page.body) {
                    if let Some(local) = local_path(&self.base, &link)
                        && !seen.contains(&local)
                    {
                        queue.push_back(local);
                    }
                }
            }
            pages.push((path, page));
        }
        pages
    }
}

/// Every `href` and `src` in a document.
pub fn links(html: &str) -> Vec<String> {
    let doc = scraper::Html::parse_document(html);
    let selector = scraper::Selector::parse("[href], [src]").unwrap();
    doc.select(&selector)
        .flat_map(|e| [e.value().attr("href"), e.value().attr("src")])
        .flatten()
        .map(str::to_owned)
        .collect()
}

/// The site path of a link to this site, without fragment or query.
pub fn local_path(base: &str, link: &str) -> Option<String> {
    let link = link.split('#').next().unwrap_or_default();
    let path = if let Some(rest) = link.strip_prefix(base) {
        rest.to_owned()
    } else if link.starts_with('/') && !link.starts_with("//") {
        link.to_owned()
    } else {
        return None;
    };
    let path = path.split('?').next().unwrap_or_default().to_owned();
    (!path.is_empty()).then_some(path)
}

/// Selects the elements matching `css` and returns their outer HTML.
pub fn select(html: &str, css: &str) -> Vec<String> {
    let doc = scraper::Html::parse_document(html);
    let selector = scraper::Selector::parse(css).unwrap();
    doc.select(&selector).map(|e| e.html()).collect()
}

/// The text of each element matching `css`.
pub fn texts(html: &str, css: &str) -> Vec<String> {
    let doc = scraper::Html::parse_document(html);
    let selector = scraper::Selector::parse(css).unwrap();
    doc.select(&selector).map(|e| e.text().collect::<String>()).collect()
}

/// The values of attribute `attr` on elements matching `css`.
pub fn attrs(html: &str, css: &str, attr: &str) -> Vec<String> {
    let doc = scraper::Html::parse_document(html);
    let selector = scraper::Selector::parse(css).unwrap();
    doc.select(&selector).filter_map(|e| e.value().attr(attr).map(str::to_owned)).collect()
}

pub fn gunzip(bytes: &[u8]) -> String {
    let mut out = String::new();
    flate2::read::GzDecoder::new(bytes).read_to_string(&mut out).unwrap();
    out
}

pub fn unbrotli(bytes: &[u8]) -> String {
    let mut out = Vec::new();
    brotli::BrotliDecompress(&mut &bytes[..], &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

/// How many mails to `recipient` wait in the outbox (taking every mail
/// off it: for tests without an SMTP server).
pub fn queued_to(app: &TestApp, recipient: &str) -> usize {
    use refuge_core::Outbox;
    let far = time::OffsetDateTime::now_utc() + time::Duration::days(1);
    let mut n = 0;
    while let Some(mail) = app.store.take_due(far).unwrap() {
        if mail.recipient == recipient {
            n += 1;
        }
    }
    n
}

/// The fields a browser would send from the form matching `css`: inputs
/// (checked boxes only), text areas and selected options, in order.
pub fn form_fields(html: &str, css: &str) -> Vec<(String, String)> {
    let doc = scraper::Html::parse_document(html);
    let form = scraper::Selector::parse(css).unwrap();
    let controls = scraper::Selector::parse("input[name], textarea[name], select[name]").unwrap();
    let option = scraper::Selector::parse("option[selected]").unwrap();
    let mut out = Vec::new();
    for f in doc.select(&form) {
        for c in f.select(&controls) {
            let e = c.value();
            let name = e.attr("name").unwrap_or_default().to_owned();
            match e.name() {
                "textarea" => out.push((name, c.text().collect())),
                "select" => {
                    if let Some(o) = c.select(&option).next() {
                        out.push((name, o.value().attr("value").unwrap_or_default().to_owned()));
                    }
                }
                _ => {
                    let kind = e.attr("type").unwrap_or("text");
                    if (kind == "checkbox" || kind == "radio") && e.attr("checked").is_none() {
                        continue;
                    }
                    if kind == "submit" || kind == "file" {
                        continue;
                    }
                    out.push((name, e.attr("value").unwrap_or_default().to_owned()));
                }
            }
        }
    }
    out
}

/// Asks `app` for `path` until `ready` holds for its body, for at most
/// 2 s (what a change made elsewhere may take to show); how long it took.
pub async fn within_two_seconds(app: &TestApp, path: &str, ready: impl Fn(&str) -> bool) -> std::time::Duration {
    let started = std::time::Instant::now();
    loop {
        let page = app.get(path).await;
        if ready(&page.body) {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(2),
            "{path} on {} did not follow the change within 2 s",
            app.base
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
