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
        // A language without settings of its own yet is headed by the
        // site's name (not "None"), with the organisation's address.
        let site_name = app.get("/en/").await;
        let name = select(&site_name.body, ".site-name a").remove(0);
        assert!(!home.body.contains(">None<"), "{lang}: an empty setting shows as None");
        assert!(
            home.body.contains(&name[name.find('>').unwrap() + 1..name.rfind('<').unwrap()]),
            "{lang}: the site's name"
        );
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
    let en = app.get("/en/news/").await;
    let article = attrs(&en.body, ".news-list article a", "href").into_iter().next().unwrap();
    let korean = app.get(&article.replacen("/en/", "/ko/", 1)).await;
    assert!(korean.body.contains("한국어로 볼 수 없는 페이지"), "the not-translated page in Korean");

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

    // The back office stays in English or Japanese for a Korean browser.
    let login = app.get_with("/admin/login", &[("accept-language", "ko-KR,ko;q=0.9")]).await;
    assert!(
        login.body.contains("<html lang=\"en\"") || login.body.contains("<html lang=\"ja\""),
        "back office language"
    );
    app.stop().await;
}
