//! End to end in a real browser: Debian's Chromium, headless, driven
//! through chromedriver's W3C WebDriver protocol over HTTP.
//!
//! Runs when `chromium` and `chromedriver` are installed; when the `CI`
//! variable is set they are required (`.ci/run` installs them), so CI
//! cannot skip it silently. Screenshots go to `target/e2e/`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use refuge_core::{Email, Role, UserStore};
use serde_json::{Value, json};

use crate::helpers::*;

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A headless Chromium session.
pub struct Browser {
    driver: Child,
    http: reqwest::Client,
    base: String,
    session: String,
    _profile: tempfile::TempDir,
}

fn installed(path: &str) -> bool {
    Path::new(path).exists()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Where screenshots are kept for review.
pub fn shots_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/e2e");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        _ => 63,
    };
    let clean: Vec<u8> = text.bytes().filter(|b| !b"=\n\r ".contains(b)).collect();
    let mut out = Vec::with_capacity(clean.len() * 3 / 4);
    for chunk in clean.chunks(4) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, c)| acc | u32::from(value(*c)) << (18 - 6 * i));
        out.extend_from_slice(&n.to_be_bytes()[1..chunk.len()]);
    }
    out
}

impl Browser {
    /// Starts chromedriver and a browser, or `None` when they are not
    /// installed (a failure instead when `CI` is set).
    pub async fn start() -> Option<Self> {
        if !installed("/usr/bin/chromium") || !installed("/usr/bin/chromedriver") {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must install chromium and chromium-driver for the browser tests"
            );
            eprintln!("skipping browser test: chromium or chromedriver is not installed");
            return None;
        }
        let port = free_port();
        let driver = Command::new("/usr/bin/chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let base = format!("http://127.0.0.1:{port}");
        let http = client();
        let started = Instant::now();
        while http.get(format!("{base}/status")).send().await.is_err() {
            assert!(started.elapsed() < Duration::from_secs(20), "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = tempfile::tempdir().unwrap();
        let capabilities = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            // The console and the network events, read back by `assert_clean`.
            "goog:loggingPrefs": { "browser": "ALL", "performance": "ALL" },
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
                    "--window-size=1200,1000", format!("--user-data-dir={}", profile.path().display()),
                ],
            },
        }}});
        let created: Value =
            http.post(format!("{base}/session")).json(&capabilities).send().await.unwrap().json().await.unwrap();
        let session =
            created["value"]["sessionId"].as_str().unwrap_or_else(|| panic!("no session: {created}")).to_owned();
        let browser = Self { driver, http, base, session, _profile: profile };
        // Forget what the browser itself did on starting (its new-tab page).
        browser.log("browser").await;
        browser.log("performance").await;
        Some(browser)
    }

    /// One WebDriver command: its value, or the error it answered.
    async fn try_call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Result<Value, Value> {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let mut request = self.http.request(method, url);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let answer: Value = request.send().await.unwrap().json().await.unwrap();
        if answer["value"].get("error").is_some() { Err(answer["value"].clone()) } else { Ok(answer["value"].clone()) }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        self.try_call(method, path, body).await.unwrap_or_else(|e| panic!("WebDriver {path}: {e}"))
    }

    /// The page printed to PDF by the browser (A4, as a reader's printer
    /// would, without backgrounds).
    pub async fn print_pdf(&self) -> Vec<u8> {
        let body = json!({ "background": false, "page": { "width": 21.0, "height": 29.7 } });
        let value = self.call(reqwest::Method::POST, "/print", Some(body)).await;
        base64_decode(value.as_str().expect("a PDF in base64"))
    }

    /// The text of an open alert, confirm or prompt dialog (dismissed).
    pub async fn dialog(&self) -> Option<String> {
        let text = self.try_call(reqwest::Method::GET, "/alert/text", None).await.ok()?;
        let _ = self.try_call(reqwest::Method::POST, "/alert/dismiss", Some(json!({}))).await;
        Some(text.as_str().unwrap_or_default().to_owned())
    }

    /// The entries of one of Chromium's logs (`browser`: the console,
    /// `performance`: DevTools events) since the last read.
    async fn log(&self, kind: &str) -> Vec<Value> {
        let entries = self.call(reqwest::Method::POST, "/se/log", Some(json!({ "type": kind }))).await;
        entries.as_array().cloned().unwrap_or_default()
    }

    /// Every address the page asked the network for since the last read.
    pub async fn requests(&self) -> Vec<String> {
        let mut urls = Vec::new();
        for entry in self.log("performance").await {
            let Some(text) = entry["message"].as_str() else { continue };
            let Ok(event) = serde_json::from_str::<Value>(text) else { continue };
            if event["message"]["method"] == "Network.requestWillBeSent"
                && let Some(url) = event["message"]["params"]["request"]["url"].as_str()
            {
                urls.push(url.to_owned());
            }
        }
        urls
    }

    /// Asserts that, since the last check, the console showed nothing (no
    /// CSP violation, no error, no warning), no dialog opened and the page
    /// asked for nothing from any host but `origin`.
    pub async fn assert_clean(&self, origin: &str, what: &str) {
        assert_eq!(self.dialog().await, None, "{what}: a dialog opened");
        let console: Vec<Value> =
            self.log("browser").await.into_iter().filter(|e| e["level"] != "INFO" && e["level"] != "DEBUG").collect();
        assert!(console.is_empty(), "{what}: the console says {console:?}");
        for url in self.requests().await {
            let network = url.starts_with("http:") || url.starts_with("https:") || url.starts_with("ws");
            assert!(!network || url.starts_with(&format!("{origin}/")), "{what}: a request to {url}");
        }
    }

    /// Asserts, for a page showing hostile text, that no dialog opened,
    /// the console reports no script or style blocked by the CSP (which
    /// would mean the sanitiser let it through) and nothing was fetched
    /// from another host. Missing images of the payloads may log 404s.
    pub async fn assert_no_script(&self, origin: &str, what: &str) {
        assert_eq!(self.dialog().await, None, "{what}: a dialog opened");
        let marker = self.run_script("return document.title.length >= 0 && !window.__refuge_pwned").await;
        assert_eq!(marker, Value::Bool(true), "{what}: the page's script state is unexpected");
        for entry in self.log("browser").await {
            let message = entry["message"].as_str().unwrap_or_default();
            assert!(
                !message.contains("Content Security Policy") && entry["source"] != "javascript",
                "{what}: {message}"
            );
        }
        for url in self.requests().await {
            let network = url.starts_with("http:") || url.starts_with("https:") || url.starts_with("ws");
            assert!(!network || url.starts_with(&format!("{origin}/")), "{what}: a request to {url}");
        }
    }

    /// Runs `script` in the page until it calls its last argument back
    /// with a value, which is returned.
    pub async fn run_async(&self, script: &str) -> Value {
        self.call(reqwest::Method::POST, "/execute/async", Some(json!({ "script": script, "args": [] }))).await
    }

    /// Runs `script` in the page (WebDriver's own channel, which the
    /// page's CSP does not govern) and returns its value.
    pub async fn run_script(&self, script: &str) -> Value {
        self.call(reqwest::Method::POST, "/execute/sync", Some(json!({ "script": script, "args": [] }))).await
    }

    pub async fn go(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", Some(json!({ "url": url }))).await;
    }

    /// Runs `script` every quarter second until `done` accepts its
    /// (string) value or `seconds` pass; the last value.
    pub async fn wait_for_script(&self, what: &str, script: &str, seconds: u64, done: impl Fn(&str) -> bool) -> String {
        let started = Instant::now();
        loop {
            let value = self.run_script(script).await.as_str().unwrap_or_default().to_owned();
            if done(&value) {
                return value;
            }
            assert!(started.elapsed() < Duration::from_secs(seconds), "waited in vain for {what}: {value:?}");
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// Forgets the console and network logs so far (a page that answered
    /// 409 on purpose logs an error).
    pub async fn forget_logs(&self) {
        self.log("browser").await;
        self.log("performance").await;
    }

    /// Opens a new tab and returns its handle; `switch_to` goes to one.
    pub async fn new_tab(&self) -> String {
        let made = self.call(reqwest::Method::POST, "/window/new", Some(json!({ "type": "tab" }))).await;
        made["handle"].as_str().unwrap().to_owned()
    }

    pub async fn tab(&self) -> String {
        self.call(reqwest::Method::GET, "/window", None).await.as_str().unwrap().to_owned()
    }

    pub async fn switch_to(&self, handle: &str) {
        self.call(reqwest::Method::POST, "/window", Some(json!({ "handle": handle }))).await;
    }

    /// The value of a cookie (HttpOnly ones too: WebDriver sees them).
    pub async fn cookie(&self, name: &str) -> Option<String> {
        let found = self.try_call(reqwest::Method::GET, &format!("/cookie/{name}"), None).await.ok()?;
        found["value"].as_str().map(str::to_owned)
    }

    /// Sets the window's size (the layout width pages are checked at).
    pub async fn resize(&self, width: u32, height: u32) {
        self.call(reqwest::Method::POST, "/window/rect", Some(json!({ "width": width, "height": height }))).await;
    }

    pub async fn url(&self) -> String {
        self.call(reqwest::Method::GET, "/url", None).await.as_str().unwrap_or_default().to_owned()
    }

    pub async fn source(&self) -> String {
        self.call(reqwest::Method::GET, "/source", None).await.as_str().unwrap_or_default().to_owned()
    }

    pub async fn find(&self, css: &str) -> String {
        let found =
            self.call(reqwest::Method::POST, "/element", Some(json!({ "using": "css selector", "value": css }))).await;
        found[ELEMENT].as_str().unwrap_or_else(|| panic!("no element {css}")).to_owned()
    }

    pub async fn type_into(&self, css: &str, text: &str) {
        let id = self.find(css).await;
        self.call(reqwest::Method::POST, &format!("/element/{id}/clear"), Some(json!({}))).await;
        self.call(reqwest::Method::POST, &format!("/element/{id}/value"), Some(json!({ "text": text }))).await;
    }

    /// Chooses a file for a file input (its path on this machine).
    pub async fn choose_file(&self, css: &str, path: &std::path::Path) {
        let id = self.find(css).await;
        let text = path.to_str().expect("a path in UTF-8");
        self.call(reqwest::Method::POST, &format!("/element/{id}/value"), Some(json!({ "text": text }))).await;
    }

    /// Waits (up to 10 s) until the page's source or address satisfies
    /// `done`; a click that submits a form returns before the next page
    /// has loaded.
    pub async fn wait_for(&self, what: &str, done: impl Fn(&str, &str) -> bool) -> String {
        let started = Instant::now();
        loop {
            let (url, source) = (self.url().await, self.source().await);
            if done(&url, &source) {
                return source;
            }
            assert!(started.elapsed() < Duration::from_secs(10), "waited in vain for {what}: at {url}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn click(&self, css: &str) {
        let id = self.find(css).await;
        self.call(reqwest::Method::POST, &format!("/element/{id}/click"), Some(json!({}))).await;
    }

    /// Saves a PNG screenshot as `target/e2e/NAME.png`.
    pub async fn screenshot(&self, name: &str) {
        let data = self.call(reqwest::Method::GET, "/screenshot", None).await;
        let png = base64_decode(data.as_str().unwrap_or_default());
        std::fs::write(shots_dir().join(format!("{name}.png")), png).unwrap();
    }

    pub async fn close(mut self) {
        let _ = self.http.delete(format!("{}/session/{}", self.base, self.session)).send().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

#[test]
fn base64_decodes() {
    assert_eq!(base64_decode("aGVsbG8gd29ybGQ="), b"hello world");
    assert_eq!(base64_decode("YQ=="), b"a");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_editor_writes_and_publishes_in_the_browser() {
    let Some(browser) = Browser::start().await else { return };
    let app = spawn_app().await;
    app.store.add_user(&Email::parse("ed@example.org").unwrap(), Role::Editor, "a long enough password").unwrap();

    browser.go(&app.url("/admin/")).await;
    assert!(browser.url().await.contains("/admin/login"), "sent to sign in");
    browser.type_into("#email", "ed@example.org").await;
    browser.type_into("#password", "a long enough password").await;
    browser.screenshot("admin-login").await;
    browser.click("form button[type=submit]").await;
    browser.wait_for("the dashboard", |url, _| url.ends_with("/admin/")).await;

    browser.go(&app.url("/admin/items/new?kind=news&lang=en")).await;
    browser.type_into("#title", "Written in a real browser").await;
    browser.type_into("#summary", "An end-to-end test.").await;
    browser.type_into("#body", "Eleven people are *still* held.\n\n> \"Quoted.\"\n>\n> — A source\n").await;
    browser.click("button[value=preview]").await;
    browser.wait_for("the preview", |_, source| source.contains("<em>still</em>")).await;
    browser.screenshot("admin-preview").await;
    browser.click("#status option[value=published]").await;
    browser.click("button[value=save]").await;
    browser.wait_for("the saved article", |url, _| url.contains("notice=saved")).await;

    browser.go(&app.url("/en/news/written-in-a-real-browser/")).await;
    let page = browser.source().await;
    assert!(page.contains("Written in a real browser"), "published on the public site");
    assert!(page.contains("<figcaption>A source</figcaption>"));
    browser.screenshot("public-article-en").await;
    browser.go(&app.url("/en/")).await;
    assert!(browser.source().await.contains("Written in a real browser"), "and on the home page");
    browser.go(&app.url("/ja/news/current-background-march-2026/")).await;
    browser.screenshot("public-article-ja").await;
    browser.close().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_editor_covers_faces_before_a_photo_is_saved() {
    let Some(browser) = Browser::start().await else { return };
    let app = spawn_app().await;
    app.store.add_user(&Email::parse("ed@example.org").unwrap(), Role::Editor, "a long enough password").unwrap();
    browser.go(&app.url("/admin/login")).await;
    browser.type_into("#email", "ed@example.org").await;
    browser.type_into("#password", "a long enough password").await;
    browser.click("form button[type=submit]").await;
    browser.wait_for("the dashboard", |url, _| url.ends_with("/admin/")).await;

    let photo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/faces/astronaut.jpg");
    browser.go(&app.url("/admin/media")).await;
    browser.type_into("#file", &photo.display().to_string()).await;
    browser.type_into("#alt-new-en", "An astronaut in her suit").await;
    browser.click("form[enctype] button[type=submit]").await;
    browser.wait_for("the review", |url, _| url.contains("/admin/media/review/")).await;
    browser.assert_clean(&app.base, "/admin/media/review/").await;
    let shown =
        browser.run_script("let i = document.getElementById('face-photo'); return i.complete && i.naturalWidth").await;
    assert_eq!(shown.as_u64(), Some(512), "the photo for review is shown");
    browser.screenshot("faces-review").await;
    // The flag, drawn on the photo (the script fills in the four numbers).
    let drawn = browser
        .run_script(
            "let i = document.getElementById('face-photo'); let b = i.getBoundingClientRect(); \
             let s = b.width / 512; \
             let at = (t, x, y) => i.dispatchEvent(new PointerEvent(t, {bubbles: true, pointerId: 1, \
               clientX: b.left + x * s, clientY: b.top + y * s})); \
             at('pointerdown', 0, 0); at('pointerup', 90, 200); \
             return ['area-x', 'area-y', 'area-width', 'area-height'].map(id => document.getElementById(id).value).join(' ')",
        )
        .await;
    assert_eq!(drawn.as_str(), Some("0 0 90 200"), "the drawn area's numbers");
    let said = browser.run_script("return document.getElementById('draw-status').textContent").await;
    assert_eq!(said.as_str(), Some("Area drawn: 0, 0 · 90 × 200 pixels. Press “Add an area” to add it."));
    browser.click("button[value=add]").await;
    browser.wait_for("the added area", |_, s| s.contains("Area 2 (added by you")).await;
    browser.screenshot("faces-review-added").await;
    browser.click("button[value=save]").await;
    browser.wait_for("the library", |_, s| s.contains("2 areas covered")).await;
    let full = browser.run_script("return document.querySelector('section.media-item a').getAttribute('href')").await;
    let full = full.as_str().unwrap().to_owned();
    browser.go(&app.url(&full)).await;
    browser.screenshot("faces-redacted").await;
    let (_, _, bytes) = app.get_bytes(&full, &[]).await;
    let saved = image::load_from_memory(&bytes).unwrap().to_rgb8();
    assert!(saved.get_pixel(220, 115).0.iter().all(|c| *c < 12), "her face is covered");
    browser.close().await;
    app.stop().await;
}

/// An appeal's single file, opened from disk as someone who was sent it
/// would: its style applies (its own policy allows it by hash), nothing is
/// fetched from any host, and the sample letter and addressees are there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_appeal_passed_on_as_one_file_opens_with_no_request_anywhere() {
    let Some(browser) = Browser::start().await else { return };
    let app = spawn_app().await;
    let page = app.get("/en/appeals/eleven-held-at-the-border/").await;
    let link = attrs(&page.body, "p.pass-on a", "href");
    assert_eq!(link, ["/en/appeals/eleven-held-at-the-border/appeal.html"], "the appeal page offers the file");
    let (status, headers, bytes) = app.get_bytes(&link[0], &[]).await;
    assert_eq!(status, 200);
    let disposition = headers.get("content-disposition").unwrap().to_str().unwrap();
    assert!(disposition.contains("attachment") && disposition.contains("appeal-eleven-held-at-the-border.html"));
    let html = String::from_utf8(bytes).unwrap();
    let letter = app.get("/en/appeals/eleven-held-at-the-border/letter.txt").await.body;
    let first_line = letter.lines().find(|l| !l.trim().is_empty()).unwrap();
    assert!(
        html.contains(&first_line.replace('\'', "&#x27;")) || html.contains(first_line),
        "the letter is in the file"
    );
    for forbidden in ["<script", "<img", "stylesheet", "src=", "url(", "@import"] {
        assert!(!html.contains(forbidden), "the file holds {forbidden}");
    }

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("appeal-eleven-held-at-the-border.html");
    std::fs::write(&file, &html).unwrap();
    browser.forget_logs().await;
    browser.go(&format!("file://{}", file.display())).await;
    browser.assert_clean("file://", "the appeal's single file").await;
    let styled = browser.run_script("return getComputedStyle(document.querySelector('pre')).borderLeftStyle").await;
    assert_eq!(styled, Value::String("solid".into()), "the inline style applies");
    let text = browser.run_script("return document.body.innerText").await;
    let text = text.as_str().unwrap();
    assert!(text.contains("Write to") || text.contains("write to"), "{text}");
    browser.screenshot("appeal-single-file").await;
    browser.close().await;
    app.stop().await;
}

/// Serves `html` to every request on 127.0.0.1, with no CSP.
async fn serve_once(html: &'static str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut buf = [0u8; 4096];
            let _ = socket.read(&mut buf).await;
            let answer = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{html}",
                html.len()
            );
            let _ = socket.write_all(answer.as_bytes()).await;
        }
    });
    base
}

/// The checks the other browser tests rely on can fail: a page that runs
/// script is caught.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_browser_checks_catch_script_that_runs() {
    let Some(browser) = Browser::start().await else { return };
    let base = serve_once("<!doctype html><title>t</title><script>window.__refuge_pwned=1;alert('x')</script>").await;
    browser.go(&format!("{base}/")).await;
    assert_eq!(browser.dialog().await.as_deref(), Some("x"), "the dialog is seen");
    let marker = browser.run_script("return !window.__refuge_pwned").await;
    assert_eq!(marker, Value::Bool(false), "the marker is seen");
    let base = serve_once("<!doctype html><title>t</title><img src=\"http://192.0.2.1/pixel.gif\">").await;
    browser.go(&format!("{base}/")).await;
    let requests = browser.requests().await;
    assert!(requests.iter().any(|u| u.contains("192.0.2.1")), "the foreign request is seen: {requests:?}");
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn korean_and_chinese_pages_render_in_their_own_script() {
    let Some(browser) = Browser::start().await else { return };
    let app = spawn_with(|c| c.languages = all_languages()).await;
    for (lang, word) in [("ko", "긴급 행동"), ("zh", "紧急呼吁")] {
        for (page, path) in [("home", format!("/{lang}/")), ("appeals", format!("/{lang}/appeals/"))] {
            browser.go(&app.url(&path)).await;
            browser.assert_clean(&app.base, &path).await;
            let text = browser.run_script("return document.body.innerText").await;
            assert!(text.as_str().unwrap_or_default().contains(word), "{path} shows {word}");
            // The page's language reaches the browser (fonts, screen readers).
            let declared = browser.run_script("return document.documentElement.lang").await;
            assert_eq!(declared.as_str(), Some(if lang == "zh" { "zh-Hans" } else { lang }));
            browser.screenshot(&format!("{lang}-{page}")).await;
        }
    }
    // A page not yet translated says so, in the reader's language.
    browser.go(&app.url("/ko/news/annual-report-2025/")).await;
    let text = browser.run_script("return document.body.innerText").await;
    assert!(text.as_str().unwrap_or_default().contains("한국어로 번역되지 않았습니다"), "{text}");
    browser.screenshot("ko-appeal-not-translated").await;
    browser.close().await;
    app.stop().await;
}
