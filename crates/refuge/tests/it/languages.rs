//! Korean and Simplified Chinese, built in: one line of settings turns
//! them on, and readers get every public string, date and mail in them.

use refuge_core::{Language, Outbox};

use crate::helpers::*;

fn four() -> Vec<Language> {
    ["en", "ja", "ko", "zh"].iter().map(|l| Language::parse(l).unwrap()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn korean_and_chinese_readers_get_their_own_language_from_one_line_of_settings() {
    let app = spawn_with(|c| c.languages = four()).await;
    for (lang, latest, switch, search) in
        [("ko", "최근 소식", "한국어", "사이트 검색"), ("zh", "最新消息", "简体中文", "站内搜索")]
    {
        let home = app.get(&format!("/{lang}/")).await;
        assert_eq!(home.status, 200, "/{lang}/");
        let tag = if lang == "zh" { "zh-Hans" } else { lang };
        assert!(home.body.contains(&format!("<html lang=\"{tag}\"")), "{lang}: the page's language is {tag}");
        assert!(home.body.contains(latest) && home.body.contains(search), "{lang}: its strings");
        // The demo's name of the site in the language (not "None").
        assert!(!home.body.contains(">None<"), "{lang}: an empty setting shows as None");
        let name = if lang == "ko" { "등대 네트워크" } else { "灯塔网络" };
        assert!(select(&home.body, ".site-name a").concat().contains(name), "{lang}: the site's name");
        // Every other page's switcher names it in its own language.
        let english = app.get("/en/").await;
        assert!(english.body.contains(&format!("lang=\"{tag}\">{switch}</a>")), "{lang} in the switcher");
        // The error pages are translated.
        let missing = app.get(&format!("/{lang}/no-such-page/")).await;
        assert_eq!(missing.status, 404);
        let title = if lang == "ko" { "페이지를 찾을 수 없습니다" } else { "找不到页面" };
        assert!(missing.body.contains(title), "{lang}: the not-found page");
        // The search page works with a query in the language.
        let query = if lang == "ko" { "난민" } else { "难民" };
        let found = app.get(&format!("/{lang}/search/?q={query}")).await;
        assert_eq!(found.status, 200);
        assert!(found.body.contains(query));
        // Feeds and the mirrors page answer too.
        assert_eq!(app.get(&format!("/{lang}/feed.xml")).await.status, 200);
        assert!(app.get(&format!("/{lang}/mirrors/")).await.body.contains(if lang == "ko" {
            "이 사이트의 다른 주소"
        } else {
            "本站的其他地址"
        }));
    }
    // An English article not yet translated says so in Korean.
    assert_eq!(app.get("/en/news/annual-report-2025/").await.status, 200);
    let korean = app.get("/ko/news/annual-report-2025/").await;
    assert!(korean.body.contains("한국어판이 없는 페이지"), "the not-translated page in Korean");

    // A sign-up in Chinese gets its confirmation in Chinese.
    let r = app
        .client
        .post(app.url("/zh/subscribe/"))
        .form(&[("email", "reader@example.org"), ("topic", "news")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(r.text().await.unwrap().contains("谢谢"));
    let far = time::OffsetDateTime::now_utc() + time::Duration::days(1);
    let mut subjects = Vec::new();
    while let Some(mail) = app.store.take_due(far).unwrap() {
        if mail.recipient == "reader@example.org" {
            subjects.push(mail.subject.clone());
        }
    }
    assert_eq!(subjects.len(), 1);
    assert!(subjects[0].contains("请确认您的订阅"), "{subjects:?}");

    // An admin without a word of Korean or Chinese keeps the site's name,
    // postal address and menu in those languages from Site settings.
    let boss = crate::admin::sign_in(&app, "boss@example.org", refuge_core::Role::Admin, &[]).await;
    let settings = boss.get("/admin/settings").await;
    for field in ["site_name_ko", "org_address_ko", "site_name_zh", "org_address_zh"] {
        assert_eq!(select(&settings.body, &format!("[name={field}]")).len(), 1, "{field} on the settings page");
    }
    let saved = boss
        .post(
            "/admin/settings",
            &[
                ("site_name_ko", "등대 네트워크 서울"),
                ("org_address_zh", "东京都新宿区 1-2-3"),
                ("site_name_zh", "灯塔网络"),
            ],
        )
        .await;
    assert_eq!(saved.status, 200);
    assert!(select(&app.get("/ko/").await.body, ".site-name a").concat().contains("등대 네트워크 서울"));
    assert!(app.get("/zh/contact/").await.body.contains("东京都新宿区 1-2-3"), "the address on the form's page");
    let menu = boss.post("/admin/menus/ko", &[("label", "긴급 행동"), ("path", "/ko/appeals/")]).await;
    assert!(menu.status < 400, "{}", menu.status);
    let home = app.get("/ko/").await;
    assert!(links(&home.body).iter().any(|l| l == "/ko/appeals/"), "the Korean menu");
    assert!(home.body.contains("긴급 행동"));

    // The back office stays in English or Japanese for a Korean browser.
    let login = app.get_with("/admin/login", &[("accept-language", "ko-KR,ko;q=0.9")]).await;
    assert!(
        login.body.contains("<html lang=\"en\"") || login.body.contains("<html lang=\"ja\""),
        "back office language"
    );
    app.stop().await;
}

/// What every language of a site has before anyone writes a page: the
/// pages the site itself provides.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_site_without_content_has_its_own_pages_in_every_language() {
    let app = spawn_empty(|c| c.languages = four()).await;
    for lang in ["en", "ja", "ko", "zh"] {
        for path in ["/", "/contact/", "/search/", "/appeals/", "/news/", "/mirrors/", "/newsletter/"] {
            let page = app.get(&format!("/{lang}{path}")).await;
            assert_eq!(page.status, 200, "/{lang}{path}");
        }
        // The contact form is there, with the interface's own words.
        let contact = app.get(&format!("/{lang}/contact/")).await;
        assert_eq!(attrs(&contact.body, "form[action$='/contact/'] input[name=token]", "value").len(), 1, "{lang}");
        assert_eq!(select(&contact.body, "h1").len(), 1, "{lang}: a heading");
        // The menu of a language without one names the site's own pages.
        let nav = attrs(&contact.body, "nav.main-nav a", "href");
        for own in ["/news/", "/appeals/", "/contact/", "/search/"] {
            assert!(nav.contains(&format!("/{lang}{own}")), "{lang}: {own} in {nav:?}");
        }
        // A page that does not exist points to the form.
        let missing = app.get(&format!("/{lang}/no-such-page/")).await;
        assert_eq!(missing.status, 404);
        assert!(attrs(&missing.body, "main a", "href").contains(&format!("/{lang}/contact/")), "{lang}: 404");
    }
    app.stop().await;
}

/// The most important page for someone in danger, in Korean and Chinese:
/// a message with a file is sealed, and the inbox opens both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn korean_and_chinese_writers_reach_the_inbox_on_a_site_without_content() {
    use refuge_core::Role;
    use reqwest::multipart::{Form, Part};
    let app = spawn_empty(|c| c.languages = four()).await;
    let mut tokens = Vec::new();
    for lang in ["ko", "zh"] {
        let page = app.get(&format!("/{lang}/contact/")).await;
        tokens.push((lang, attrs(&page.body, "input[name=token]", "value").remove(0)));
    }
    // The form refuses a message sent faster than a person types.
    tokio::time::sleep(std::time::Duration::from_millis(3100)).await;
    for (lang, token) in &tokens {
        let text = if *lang == "ko" {
            "제 동생이 구금되어 있습니다 KO-MARK"
        } else {
            "我的弟弟被拘押了 ZH-MARK"
        };
        let form = Form::new()
            .text("token", token.clone())
            .text("text", text)
            .text("category", "help")
            .part("attachment", Part::bytes(format!("%PDF-1.4 {lang}-FILE").into_bytes()).file_name("scan.pdf"));
        let r = app.client.post(app.url(&format!("/{lang}/contact/"))).multipart(form).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 200, "{lang}");
        let body = r.text().await.unwrap();
        assert_eq!(select(&body, "p.notice").len(), 1, "{lang}: thanked, {}", select(&body, "p.error").join(""));
    }
    let boss = crate::admin::sign_in(&app, "boss@example.org", Role::Admin, &[]).await;
    let passphrase = app.first_inbox.clone().expect("a new inbox").passphrase;
    assert_eq!(boss.post("/admin/inbox/unlock", &[("passphrase", &passphrase)]).await.status, 200);
    let (list, _) = refuge_core::MessageReads::messages(&*app.store, 0, 10).unwrap();
    assert_eq!(list.len(), 2);
    for message in list {
        let page = boss.get(&format!("/admin/inbox/{}", message.id)).await;
        let (mark, file) =
            if page.body.contains("KO-MARK") { ("구금되어", "ko-FILE") } else { ("被拘押", "zh-FILE") };
        assert!(page.body.contains(mark), "the text opens whole");
        let r = boss.client.get(app.url(&format!("/admin/inbox/{}/attachment", message.id))).send().await.unwrap();
        assert!(String::from_utf8_lossy(&r.bytes().await.unwrap()).contains(file), "the file opens");
    }
    app.stop().await;
}

/// A language with little of its own shows what the others have, marked
/// with its language; open appeals first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_language_with_little_shows_the_others_marked() {
    use refuge_core::{AppealFacts, AppealStore, ContentStore, ItemDraft, Kind, Slug, Status};
    // The demo has one Korean and one Chinese news item and the appeal in
    // all four: the home page shows its own first, then the others, marked.
    let app = spawn_with(|c| c.languages = four()).await;
    for lang in ["ko", "zh"] {
        let home = app.get(&format!("/{lang}/")).await;
        let featured = select(&home.body, "section.featured h2");
        assert_eq!(featured.len(), 1, "{lang}: the open appeal");
        assert!(!featured[0].contains("lang="), "{lang}: in its own language: {}", featured[0]);
        let news = select(&home.body, "ol.news-list > li");
        assert_eq!(news.len(), 5, "{lang}: the home page is full");
        assert!(select(&news[0], ".badge-lang").is_empty(), "{lang}: its own first, unmarked");
        for entry in &news[1..] {
            assert_eq!(select(entry, ".badge-lang").len(), 1, "{lang}: labelled: {entry}");
            assert_eq!(select(entry, "h3[lang]").len(), 1, "{lang}: its title's language: {entry}");
        }
        let list = app.get(&format!("/{lang}/news/")).await;
        assert!(!select(&list.body, "#elsewhere-title").is_empty(), "{lang}: other languages' news on the list");
    }
    let home = app.get("/en/").await;
    assert!(select(&home.body, ".badge-lang").is_empty(), "nothing marked on a language with enough");
    app.stop().await;

    // A new site with an English appeal and English news only.
    let app = spawn_empty(|c| c.languages = four()).await;
    let en = Language::parse("en").unwrap();
    let draft = |kind: Kind, slug: &str, title: &str| ItemDraft {
        group_id: None,
        kind,
        lang: en.clone(),
        slug: Slug::parse(slug).unwrap(),
        title: title.into(),
        summary: "A summary.".into(),
        body: "A text.".into(),
        category: None,
        tags: Vec::new(),
        status: Status::Published,
        published_at: Some(time::OffsetDateTime::now_utc() - time::Duration::days(1)),
    };
    let appeal = app.store.save_item(None, &draft(Kind::Appeal, "three-held", "Three people held")).unwrap();
    let facts = AppealFacts { deadline: "2099-12-31".into(), ..AppealFacts::default() };
    app.store.save_appeal_facts(appeal.id, &facts).unwrap();
    app.store.save_item(None, &draft(Kind::News, "first-news", "Our first news")).unwrap();
    app.store.set_setting("home_intro", Some(&en), "We help people who flee.").unwrap();
    app.store.set_setting("site_name", Some(&en), "Example Aid").unwrap();
    app.state.site.forget_site_data();
    for lang in ["ko", "zh"] {
        let home = app.get(&format!("/{lang}/")).await;
        let featured = select(&home.body, "section.featured h2");
        assert_eq!(featured.len(), 1, "{lang}: an open appeal on the home page");
        assert!(featured[0].contains("lang=\"en\""), "{lang}: marked as English: {}", featured[0]);
        assert!(!select(&home.body, "section.featured .badge span[lang=en]").is_empty(), "{lang}: a visible label");
        assert_eq!(select(&home.body, "section.intro div[lang=en]").len(), 1, "{lang}: the introduction");
        // A language without settings of its own is headed by the default
        // language's name of the site.
        assert!(select(&home.body, ".site-name a").concat().contains("Example Aid"), "{lang}: the site's name");
        let news = select(&home.body, "ol.news-list > li");
        assert_eq!(news.len(), 1, "{lang}: the English news");
        assert_eq!(select(&news[0], ".badge-lang").len(), 1, "{lang}: labelled");
        for link in links(&home.body) {
            if let Some(path) = local_path(&app.base, &link) {
                let status = app.get(&path).await.status;
                assert!(status == 200, "{lang}: {path} answers {status}");
            }
        }
        let appeals = app.get(&format!("/{lang}/appeals/")).await;
        let open = select(&appeals.body, "ol.appeals:not(.closed) > li");
        assert_eq!(open.len(), 1, "{lang}: the open appeal is listed");
        assert!(select(&open[0], "h3[lang]").len() == 1 && open[0].contains("badge-lang"), "{lang}: marked");
    }
    app.stop().await;
}

/// A Korean and a Chinese reader, on a phone (390 px) and a desktop
/// (1280 px), in a real browser: the home page features the open appeal
/// in their language, nothing is wider than the screen, the appeal page is
/// theirs, and the contact form takes a message with a file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn korean_and_chinese_readers_on_a_phone_and_a_desktop() {
    let Some(browser) = crate::browser::Browser::start().await else { return };
    let app = spawn_with(|c| c.languages = four()).await;
    let origin = app.base.clone();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("scan.pdf");
    std::fs::write(&file, b"%PDF-1.4 a scan").unwrap();
    for (lang, width) in [("ko", 390), ("zh", 390), ("ko", 1280), ("zh", 1280)] {
        let tag = Language::parse(lang).unwrap().tag();
        browser.resize(width, 900).await;
        browser.go(&app.url(&format!("/{lang}/"))).await;
        let home = browser.source().await;
        assert!(home.contains(&format!("<html lang=\"{tag}\"")), "{}", &home[..home.len().min(300)]);
        let featured = select(&home, "section.featured h2 a");
        assert_eq!(featured.len(), 1, "{lang}: the open appeal is featured");
        assert!(select(&home, "section.featured h2[lang]").is_empty(), "{lang}: in the reader's language");
        let wide = browser.run_script("return document.documentElement.scrollWidth;").await;
        assert!(wide.as_u64().unwrap() <= u64::from(width), "{lang} at {width} px: {wide} px wide");
        browser.screenshot(&format!("reader-{lang}-home-{width}")).await;
        browser.assert_clean(&origin, &format!("/{lang}/ at {width} px")).await;

        browser.click("section.featured h2 a").await;
        let appeal = browser.wait_for("the appeal", |url, _| url.contains(&format!("/{lang}/appeals/"))).await;
        assert!(!select(&appeal, "section.timeline li").is_empty(), "{lang}: the timeline");
        assert!(select(&appeal, "section.timeline .untranslated").is_empty(), "{lang}: translated whole");
        let wide = browser.run_script("return document.documentElement.scrollWidth;").await;
        assert!(wide.as_u64().unwrap() <= u64::from(width), "{lang} appeal at {width} px: {wide} px wide");
        // Korean lines break at the spaces between words, not inside them.
        let breaking = browser.run_script("return getComputedStyle(document.querySelector('main')).wordBreak;").await;
        assert_eq!(breaking.as_str().unwrap(), if lang == "ko" { "keep-all" } else { "normal" }, "{lang}");
        browser.screenshot(&format!("reader-{lang}-appeal-{width}")).await;
        browser.assert_clean(&origin, &format!("{lang} appeal at {width} px")).await;

        let before = refuge_core::MessageReads::messages(&*app.store, 0, 100).unwrap().1;
        browser.go(&app.url(&format!("/{lang}/contact/"))).await;
        let text =
            if lang == "ko" { "제 동생이 구금되어 있습니다." } else { "我的弟弟被拘押了。" };
        browser.type_into("#contact-text", text).await;
        browser.choose_file("#contact-file", &file).await;
        // The form wants a human pause.
        tokio::time::sleep(std::time::Duration::from_millis(3200)).await;
        browser.click(".contact-form button[type=submit]").await;
        let sent = browser.wait_for("the sent notice", |_, source| source.contains("class=\"notice\"")).await;
        assert!(sent.contains(&format!("<html lang=\"{tag}\"")));
        browser.screenshot(&format!("reader-{lang}-contact-sent-{width}")).await;
        browser.assert_clean(&origin, &format!("{lang} contact at {width} px")).await;
        assert_eq!(refuge_core::MessageReads::messages(&*app.store, 0, 100).unwrap().1, before + 1);
    }

    // An entry added to the English appeal reaches the Korean and Japanese
    // pages at once, in English, marked as not yet translated.
    let ed = crate::admin::sign_in(&app, "ed@example.org", refuge_core::Role::Editor, &[]).await;
    let en = refuge_core::PublicContent::published_item(
        &*app.store,
        refuge_core::Kind::Appeal,
        &Language::parse("en").unwrap(),
        &refuge_core::Slug::parse("eleven-held-at-the-border").unwrap(),
    )
    .unwrap()
    .unwrap();
    let text = "Lawyers were allowed to visit two of them today.";
    let fields = [("date", "2026-11-25"), ("text", text), ("source", "")];
    let posted = ed.post(&format!("/admin/items/{}/updates", en.id), &fields).await;
    assert_eq!(posted.status, 303);
    browser.resize(390, 900).await;
    for lang in ["ko", "ja"] {
        // (A query of its own: the browser keeps the page it saw for five minutes.)
        browser.go(&app.url(&format!("/{lang}/appeals/eleven-held-at-the-border/?after-entry#timeline-title"))).await;
        let page = browser.source().await;
        let marked = select(&page, "section.timeline li div[lang=en]");
        assert!(marked.iter().any(|m| m.contains(text)), "{lang}: {marked:?}");
        assert!(!select(&page, "section.timeline li small.untranslated").is_empty(), "{lang}: marked");
        let wide = browser.run_script("return document.documentElement.scrollWidth;").await;
        assert!(wide.as_u64().unwrap() <= 390, "{lang}: {wide} px wide");
        browser.screenshot(&format!("reader-{lang}-appeal-untranslated-entry-390")).await;
        browser.assert_clean(&origin, &format!("{lang} appeal with an untranslated entry")).await;
    }
    browser.close().await;
    app.stop().await;
}

/// Dates on public pages are written as each language writes them: an
/// ISO date (`2026-11-25`) is only ever in a `datetime` attribute, never
/// in what readers see (feeds excluded, as machines read them).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_pages_write_dates_in_the_readers_language() {
    fn iso_date_in(text: &str) -> Option<&str> {
        let bytes = text.as_bytes();
        (0..bytes.len().saturating_sub(9)).find_map(|i| {
            let w = &bytes[i..i + 10];
            let shape =
                w.iter().enumerate().all(|(n, b)| if n == 4 || n == 7 { *b == b'-' } else { b.is_ascii_digit() });
            let alone = (i == 0 || !bytes[i - 1].is_ascii_alphanumeric())
                && bytes.get(i + 10).is_none_or(|b| !b.is_ascii_alphanumeric());
            (shape && alone).then(|| &text[i..i + 10])
        })
    }
    let app = spawn_with(|c| c.languages = four()).await;
    let mut seen = 0;
    for (path, page) in app.crawl(400).await {
        if page.status != 200 || !page.header("content-type").unwrap_or_default().starts_with("text/html") {
            continue;
        }
        let doc = scraper::Html::parse_document(&page.body);
        let main = scraper::Selector::parse("body").unwrap();
        let code = scraper::Selector::parse("code, pre").unwrap();
        let quoted: String = doc.select(&code).flat_map(|e| e.text()).collect();
        for body in doc.select(&main) {
            let text: String = body.text().collect::<Vec<_>>().join(" ");
            if let Some(date) = iso_date_in(&text).filter(|d| !quoted.contains(d)) {
                panic!("{path} shows {date} as it is stored");
            }
        }
        seen += 1;
    }
    assert!(seen > 60, "only {seen} pages");
    app.stop().await;
}
