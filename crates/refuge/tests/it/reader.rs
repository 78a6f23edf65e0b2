//! Readers and translators in a real browser (see `browser.rs` for the
//! harness): the whole path a reader takes in each language, every public
//! page checked for console messages and foreign requests, and stored
//! injection payloads rendered by Chromium without running anything.

use refuge_core::{ContentReads, MessageReads};
use std::time::Duration;

use refuge_core::{Email, Kind, Language, Outbox, PublicContent, Role, Slug, UserStore};

use crate::admin::PASSWORD;
use crate::browser::Browser;
use crate::helpers::*;

/// Mails waiting in the outbox for `recipient` (taken out of it).
fn queued_for(app: &TestApp, recipient: &str) -> usize {
    let far = time::OffsetDateTime::now_utc() + time::Duration::days(1);
    let mut n = 0;
    while let Some(mail) = app.store.take_due(far).unwrap() {
        n += usize::from(mail.recipient == recipient);
    }
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_reads_switches_language_searches_subscribes_and_writes() {
    let Some(browser) = Browser::start().await else { return };
    let app = spawn_app().await;
    let origin = app.base.clone();
    for (lang, other, query) in [("en", "ja", "repatriated"), ("ja", "en", "強制送還")] {
        let t = app.state.site.strings(&Language::parse(lang).unwrap());

        // Home, then the newest article.
        browser.go(&app.url(&format!("/{lang}/"))).await;
        browser.screenshot(&format!("reader-{lang}-home")).await;
        browser.assert_clean(&origin, &format!("/{lang}/")).await;
        browser.click("ol.news-list h3 a").await;
        let article = browser
            .wait_for("an article", |url, _| url.contains(&format!("/{lang}/news/")) && url.len() > origin.len() + 10)
            .await;
        assert!(article.contains(&format!("<html lang=\"{lang}\"")), "the article is in {lang}");
        let article_url = browser.url().await;
        browser.screenshot(&format!("reader-{lang}-article")).await;
        browser.assert_clean(&origin, &article_url).await;

        // The language switch leads to the same article in the other
        // language (or says it is not translated yet).
        browser.click("li.lang-switch a").await;
        let switched =
            browser.wait_for("the other language", |url, _| url.starts_with(&format!("{origin}/{other}/"))).await;
        assert!(switched.contains(&format!("<html lang=\"{other}\"")), "switched to {other}");
        browser.assert_clean(&origin, &format!("{article_url} → {other}")).await;

        // Search from the header box.
        browser.go(&app.url(&format!("/{lang}/"))).await;
        browser.type_into("#site-search", query).await;
        browser.click("form.search-box button").await;
        let results = browser.wait_for("search results", |url, _| url.contains("/search/?")).await;
        assert!(!select(&results, "ol.results h2 a").is_empty(), "{query}: results listed");
        browser.screenshot(&format!("reader-{lang}-search")).await;
        browser.assert_clean(&origin, &format!("search {query}")).await;

        // Subscribe from the footer: a confirmation mail is queued.
        let email = format!("reader-{lang}@example.org");
        browser.type_into("#subscribe-email", &email).await;
        browser.click("form.subscribe button").await;
        let check_mail = t.get("subscribe_check_mail").to_owned();
        browser.wait_for("the subscription notice", |_, source| source.contains(&check_mail)).await;
        browser.assert_clean(&origin, "subscribed").await;
        assert_eq!(queued_for(&app, &email), 1, "one confirmation mail for {email}");

        // Write to the organisation (the form wants a human pause).
        let before = app.store.messages(0, 100).unwrap().1;
        browser.go(&app.url(&format!("/{lang}/contact/"))).await;
        browser.type_into("#contact-text", &format!("A message typed in a browser, in {lang}.")).await;
        tokio::time::sleep(Duration::from_millis(3200)).await;
        browser.click(".contact-form button[type=submit]").await;
        browser.wait_for("the sent notice", |_, source| source.contains("class=\"notice\"")).await;
        browser.screenshot(&format!("reader-{lang}-contact-sent")).await;
        browser.assert_clean(&origin, "contact sent").await;
        assert_eq!(app.store.messages(0, 100).unwrap().1, before + 1, "the message is stored (sealed)");
    }
    browser.close().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_public_page_is_clean_in_the_browser() {
    let Some(browser) = Browser::start().await else { return };
    let app = spawn_app().await;
    let pages = app.crawl(400).await;
    let mut seen = 0;
    for (path, page) in &pages {
        if page.status != 200 || !page.header("content-type").unwrap_or_default().starts_with("text/html") {
            continue;
        }
        browser.go(&app.url(path)).await;
        browser.assert_clean(&app.base, path).await;
        seen += 1;
    }
    assert!(seen > 60, "only {seen} pages were seen");
    eprintln!("{seen} public pages: no console message, no dialog, no request to another host");
    // Error pages too.
    for path in ["/en/news/no-such-article/", "/ja/no/such/page/"] {
        browser.go(&app.url(path)).await;
        let source = browser.source().await;
        assert!(source.contains("<main"), "{path}: a real page");
        let console = browser.requests().await;
        assert!(console.iter().all(|u| u.starts_with(&app.base)), "{path}: {console:?}");
        assert_eq!(browser.dialog().await, None);
    }
    browser.close().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_translator_translates_in_the_browser() {
    let Some(browser) = Browser::start().await else { return };
    let app = spawn_app().await;
    let user = app.store.add_user(&Email::parse("tr@example.org").unwrap(), Role::Translator, PASSWORD).unwrap();
    app.store.set_role(user.id, Role::Translator, &[Language::parse("ja").unwrap()]).unwrap();
    let en = Language::parse("en").unwrap();
    let source =
        app.store.published_item(Kind::News, &en, &Slug::parse("testimony-evening-tokyo").unwrap()).unwrap().unwrap();

    browser.go(&app.url("/admin/login")).await;
    browser.type_into("#email", "tr@example.org").await;
    browser.type_into("#password", PASSWORD).await;
    browser.click("form button[type=submit]").await;
    browser.wait_for("the dashboard", |url, _| url.ends_with("/admin/")).await;

    browser.go(&app.url(&format!("/admin/items/{}/translate/ja", source.id))).await;
    let form = browser.source().await;
    assert!(form.contains("An evening of testimony in Tokyo"), "the source is shown beside the form");
    assert!(!form.contains("option value=\"published\""), "a translator cannot publish");
    browser.type_into("#title", "東京での証言の夕べ").await;
    browser.type_into("#body", "九十人が集まり、脱北者の証言に耳を傾けました。").await;
    browser.click("#status option[value=review]").await;
    browser.screenshot("admin-translate-ja").await;
    browser.click("button[value=save]").await;
    browser.wait_for("the saved translation", |url, _| url.contains("notice=saved")).await;
    browser.assert_clean(&app.base, "the translation saved").await;

    let group = app.store.group_items(source.group_id).unwrap();
    let ja = group.iter().find(|r| r.lang.as_str() == "ja").expect("a Japanese version in the group");
    assert_eq!(ja.status.as_str(), "review", "waiting for an editor");
    assert_eq!(ja.title, "東京での証言の夕べ");
    browser.close().await;
    app.stop().await;
}
