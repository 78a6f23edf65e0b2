//! Injection lists replayed against every kind of input: query strings,
//! paths, headers, public forms, the editor's fields and upload names.
//! Nothing may answer 500, and no answer may carry anything that runs
//! script: public pages have none at all, so any is an injection.

use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use refuge_core::Role;
use reqwest::multipart::{Form, Part};

use crate::admin::sign_in;
use crate::helpers::*;

const LISTS: &str = "/usr/share/wfuzz/wordlist/Injections";

/// Payloads of our own, then wfuzz's lists (Debian package `wfuzz`;
/// required when CI is set).
fn payloads() -> Vec<String> {
    let mut out: Vec<String> = [
        "<script>alert(1)</script>",
        "\"><img src=x onerror=alert(1)>",
        "'><svg/onload=alert(1)>",
        "javascript:alert(1)",
        "[x](javascript:alert(1))",
        "![x](x\" onerror=\"alert(1))",
        "<a href=\"javascript:alert(1)\">x</a>",
        "' OR '1'='1' --",
        "1; DROP TABLE items; --",
        "../../../../etc/passwd",
        "..%2f..%2f..%2fetc%2fpasswd",
        "%00",
        "\u{202e}evil\u{202d}",
        "{{ 7*7 }}{% raw %}",
        "[[name:Kim Chol]]",
        "強制送還<script>alert('日本')</script>",
        // Set a marker the browser check looks for, should they ever run.
        "<script>window.__refuge_pwned=1</script>",
        "<img src=/x onerror=\"window.__refuge_pwned=1\">",
        "<svg><animate onbegin=\"window.__refuge_pwned=1\" attributeName=x dur=1s>",
        "<details open ontoggle=\"window.__refuge_pwned=1\">",
    ]
    .map(String::from)
    .to_vec();
    out.push("A".repeat(10_000));
    match std::fs::read_dir(LISTS) {
        Ok(_) => {
            for list in ["XSS.txt", "SQL.txt", "Traversal.txt", "bad_chars.txt", "All_attack.txt"] {
                let bytes = std::fs::read(format!("{LISTS}/{list}")).unwrap();
                out.extend(String::from_utf8_lossy(&bytes).lines().filter(|l| !l.is_empty()).map(String::from));
            }
        }
        Err(_) if std::env::var_os("CI").is_some() => panic!("{LISTS} is missing: apt-get install wfuzz"),
        Err(_) => eprintln!("{LISTS} is missing (apt-get install wfuzz): only the built-in payloads are used"),
    }
    out.sort();
    out.dedup();
    out
}

/// Anything in `html` that could run script: script-like elements, event
/// handler attributes, script URLs.
fn script_in(html: &str) -> Option<String> {
    let doc = scraper::Html::parse_document(html);
    for el in doc.root_element().descendants().filter_map(scraper::ElementRef::wrap) {
        let name = el.value().name();
        // The back office's own script (the photo review page loads it).
        let own_script = name == "script"
            && el.value().attr("src").is_some_and(|s| s.starts_with("/static/admin") && s.ends_with(".js"))
            && el.text().next().is_none();
        if ["script", "iframe", "object", "embed", "frame", "applet", "base"].contains(&name) && !own_script {
            return Some(format!("<{name}>"));
        }
        for (attr, value) in el.value().attrs() {
            let v = value.trim().to_ascii_lowercase();
            if attr.starts_with("on") || attr == "style" || attr == "srcdoc" {
                return Some(format!("{attr}= on <{name}>"));
            }
            if ["href", "src", "action", "formaction", "xlink:href"].contains(&attr)
                && (v.starts_with("javascript:") || v.starts_with("vbscript:") || v.starts_with("data:text"))
            {
                return Some(format!("{attr}={value}"));
            }
        }
    }
    None
}

fn check(what: &str, payload: &str, status: u16, body: &str) {
    assert!(status < 500, "{what} with {payload:?} answered {status}");
    if let Some(found) = script_in(body) {
        panic!("{what} with {payload:?}: {found} in the answer");
    }
}

fn enc(text: &str) -> String {
    utf8_percent_encode(text, NON_ALPHANUMERIC).to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn injection_lists_find_no_500_and_no_script() {
    // The detector itself detects.
    for bad in ["<script>x</script>", "<img src=x onerror=y>", "<a href=' javascript:x'>", "<p style=x>", "<iframe>"] {
        assert!(script_in(bad).is_some(), "{bad}");
    }
    assert!(script_in("<p>&lt;script&gt; <a href=\"/en/\">x</a></p>").is_none());
    let app = spawn_with(|c| c.search_per_minute = 0).await;
    let payloads = payloads();
    let ed = sign_in(&app, "ed@example.org", Role::Editor, &[]).await;
    let client = client();
    for p in &payloads {
        let e = enc(p);
        // Query strings and paths.
        for path in [
            format!("/en/search/?q={e}"),
            format!("/ja/search/?q={e}&lang={e}&type={e}&year={e}&page={e}"),
            format!("/en/news/{e}/"),
            format!("/{e}"),
            format!("/en/news/tag/{e}/"),
            format!("/en/appeals/{e}/letter.txt"),
            format!("/media/{e}"),
            format!("/en/unsubscribe/?token={e}"),
            format!("/en/subscribe/confirm/?token={e}"),
        ] {
            let page = app.get(&path).await;
            check(&path, p, page.status, &page.body);
        }
        // Headers, where the payload is a valid header value.
        if p.bytes().all(|b| (0x20..0x7f).contains(&b)) {
            for header in ["accept-language", "referer", "user-agent", "x-forwarded-for", "if-none-match"] {
                let page = app.get_with("/", &[(header, p)]).await;
                check(header, p, page.status, &page.body);
                let page = app.get_with("/en/", &[(header, p)]).await;
                check(header, p, page.status, &page.body);
            }
        }
        // Public forms: the text comes back (nothing typed is lost), escaped.
        let r = client
            .post(app.url("/en/contact/"))
            .form(&[("token", p.as_str()), ("name", p), ("reply_to", p), ("category", p), ("text", p)])
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        check("contact form", p, status, &r.text().await.unwrap());
        let r =
            client.post(app.url("/ja/subscribe/")).form(&[("email", p.as_str()), ("topic", p)]).send().await.unwrap();
        let status = r.status().as_u16();
        check("subscribe form", p, status, &r.text().await.unwrap());
        let r = client
            .post(app.url("/admin/login"))
            .form(&[("token", p.as_str()), ("email", p), ("password", p), ("next", p)])
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        check("sign-in form", p, status, &r.text().await.unwrap());
    }

    // Stored: the editor's fields, then the public page and search.
    let mut published = 0;
    for (i, p) in payloads.iter().enumerate().filter(|(_, p)| p.len() < 2000) {
        let title = format!("Payload {i} {p}");
        let fields = [
            ("title", title.as_str()),
            ("slug", if i % 2 == 0 { p.as_str() } else { "" }),
            ("summary", p.as_str()),
            ("body", p.as_str()),
            ("category", p.as_str()),
            ("tags", p.as_str()),
            ("status", "published"),
            ("published_at", ""),
            ("note", p.as_str()),
            ("action", "save"),
        ];
        let page = ed.post("/admin/items/new?kind=news&lang=en", &fields).await;
        assert!(page.status < 500, "saving {p:?} answered {}", page.status);
        if page.status == 303 {
            let location = page.header("location").unwrap().to_owned();
            let editor = ed.get(&location).await;
            assert!(editor.status < 500);
            published += 1;
        }
    }
    assert!(published > payloads.len() / 3, "only {published} of the payload articles could be saved");
    eprintln!("{} payloads; {published} saved as articles", payloads.len());
    let crawled = app.crawl(5000).await;
    for (path, page) in &crawled {
        check(&format!("public page {path}"), "(stored payloads)", page.status, &page.body);
    }
    // The same pages in a real browser: no dialog opens, the console
    // reports no blocked script, nothing is fetched from another host.
    if let Some(browser) = crate::browser::Browser::start().await {
        let mut seen = 0;
        for (path, page) in &crawled {
            if page.status == 200 && page.body.contains("Payload ") && path.starts_with("/en/") {
                browser.go(&app.url(path)).await;
                browser.assert_no_script(&app.base, path).await;
                seen += 1;
            }
        }
        eprintln!("{seen} pages with stored payloads rendered in Chromium: no dialog, no script, no foreign request");
        browser.close().await;
    }
    for p in payloads.iter().take(200) {
        let page = app.get(&format!("/en/search/?q={}", enc(p))).await;
        check("search over stored payloads", p, page.status, &page.body);
    }
    let feed = app.get("/en/feed.xml").await;
    assert!(roxmltree::Document::parse(&feed.body).is_ok(), "the feed stays well-formed XML");

    // Upload names.
    let jpeg = include_bytes!("../fixtures/gps-tagged.jpg");
    for p in payloads.iter().filter(|p| p.len() < 300).take(60) {
        let form = Form::new()
            .text("csrf", ed.csrf.clone())
            .text("alt_en", p.clone())
            .text("alt_ja", p.clone())
            .part("file", Part::bytes(jpeg.to_vec()).file_name(p.clone()));
        let r = ed
            .client
            .post(format!("{}/admin/media", ed.base))
            .header("origin", &ed.base)
            .multipart(form)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let location = r.headers().get("location").map(|l| l.to_str().unwrap().to_owned());
        check("upload name", p, status, &r.text().await.unwrap());
        // A photo waits for its review, which shows the name, then is saved.
        let review = location.unwrap_or_else(|| panic!("upload {p:?} answered {status} without its review"));
        let page = ed.get(&review).await;
        check("photo review", p, page.status, &page.body);
        let saved = ed.post(&review, &[("action", "save")]).await;
        check("saved photo", p, saved.status, &saved.body);
    }
    app.stop().await;
}
