//! The mailing list end to end, through a real SMTP exchange.

use refuge_core::{AppealDeskReads, ListReads, OutboxReads};
use std::time::Duration;

use refuge::config::SmtpFile;
use refuge_core::{AppealReads, Language, MailStore, Outbox, Role};

use crate::admin::sign_in;
use crate::helpers::*;
use crate::smtp::SmtpSink;

pub fn smtp(port: u16) -> SmtpFile {
    SmtpFile {
        host: "127.0.0.1".into(),
        port: Some(port),
        security: Some(refuge_mail::Security::None),
        username: None,
        password_file: None,
        from: "Lighthouse Network <news@example.org>".into(),
        per_minute: Some(60_000),
        reply_to: None,
        contact_from: None,
        helo_name: None,
        dkim_key_file: None,
        dkim_selector: None,
        dkim_domain: None,
    }
}

/// Opens a confirmation link as a person does: the page, then its button.
pub async fn confirm(app: &TestApp, link: &str) {
    let path = link.trim_start_matches(&app.base).to_owned();
    let page = app.get(&path).await;
    assert_eq!(page.status, 200, "{path}");
    assert_eq!(page.header("cache-control"), Some("no-store"));
    let action =
        attrs(&page.body, "form[method=post]", "action").into_iter().find(|a| a.contains("/subscribe/confirm/"));
    let action = action.expect("a form with the confirm button");
    let r = app.client.post(app.url(&action)).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200, "{action}");
    // The page says it once: the header's search box alone, no second one.
    let body = r.text().await.unwrap();
    assert_eq!(attrs(&body, "input[type=search]", "name").len(), 1, "one search box");
}

/// A plain mail for the outbox tests.
pub fn test_mail<'a>(dedupe: &'a refuge_core::DedupeKey, recipient: &'a str) -> refuge_core::NewMail<'a> {
    refuge_core::NewMail {
        dedupe,
        kind: refuge_core::MailKind::Other,
        lang: "en",
        recipient,
        subject: "Hello",
        body: "Body",
        unsubscribe: "",
    }
}

/// A fixed key for the outbox tests: the same number, the same key.
pub fn lasting(n: i64) -> refuge_core::DedupeKey {
    refuge_core::DedupeKey::of_lasting(refuge_core::Purpose::Newsletter, n)
}

/// The one-click address of a list mail (its header may be folded).
pub fn unsubscribe_url(mail: &crate::smtp::Received) -> String {
    let value = mail.header("List-Unsubscribe").expect("a List-Unsubscribe header");
    value.trim().trim_start_matches('<').trim_end_matches('>').to_owned()
}

pub fn link_in(mail: &str, path: &str) -> String {
    mail.split_whitespace().find(|w| w.contains(path)).unwrap_or_else(|| panic!("no {path} link in {mail}")).to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn double_opt_in_appeal_updates_once_each_and_one_click_unsubscribe() {
    let sink = SmtpSink::start().await;
    let app = spawn_with(|c| {
        c.smtp = Some(smtp(sink.port));
        c.welcome_mail = false;
    })
    .await;
    // Three people sign up in Japanese, one in English; one never confirms.
    for (lang, email) in
        [("ja", "a@example.org"), ("ja", "b@example.org"), ("ja", "lazy@example.org"), ("en", "e@example.org")]
    {
        let r = app
            .client
            .post(app.url(&format!("/{lang}/subscribe/")))
            .form(&[("email", email), ("topic", "appeals")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
    }
    let confirmations = sink.wait_for(4).await;
    assert_eq!(confirmations.len(), 4, "a confirmation to each");
    for mail in confirmations.iter().filter(|m| m.to[0] != "lazy@example.org") {
        confirm(&app, &link_in(&mail.body(), "/subscribe/confirm/")).await;
    }
    let ja = Language::parse("ja").unwrap();
    assert_eq!(app.store.confirmed_subscribers(&ja, refuge_core::subscribers::Topic::Appeals).unwrap().len(), 2);

    // Further information on the Japanese appeal reaches the two confirmed
    // Japanese subscribers, once each.
    let ed = sign_in(&app, "ed@example.org", Role::Editor, &[]).await;
    let appeal = refuge_core::PublicContent::published_item(
        &*app.store,
        refuge_core::Kind::Appeal,
        &ja,
        &refuge_core::Slug::parse("eleven-held-at-the-border").unwrap(),
    )
    .unwrap()
    .unwrap();
    let posted = ed
        .post(
            &format!("/admin/items/{}/updates", appeal.id),
            &[("date", "2026-11-25"), ("text", "面会が許可されました。"), ("source", "")],
        )
        .await;
    assert_eq!(posted.status, 303);
    let all = sink.wait_for(6).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let updates: Vec<_> = sink.received().into_iter().skip(4).collect();
    assert_eq!(all.len(), 6);
    let mut recipients: Vec<String> = updates.iter().map(|m| m.to[0].clone()).collect();
    recipients.sort();
    assert_eq!(recipients, ["a@example.org", "b@example.org"], "exactly the confirmed subscribers of that language");
    for mail in &updates {
        assert!(mail.header("List-Unsubscribe").is_some_and(|u| u.trim().starts_with('<')), "{}", mail.data);
        assert!(mail.data.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"));
        assert!(!mail.data.to_ascii_lowercase().contains("<img"), "no tracking pixels");
    }

    // One-click unsubscribe (RFC 8058) stops the next mail.
    let a_mail = updates.iter().find(|m| m.to[0] == "a@example.org").unwrap();
    let url = unsubscribe_url(a_mail);
    let r = app
        .client
        .post(&url)
        .body("List-Unsubscribe=One-Click")
        .header("content-type", "application/x-www-form-urlencoded")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);

    // The page behind the same link manages topics: b adds the news.
    let b_mail = updates.iter().find(|m| m.to[0] == "b@example.org").unwrap();
    let b_url = unsubscribe_url(b_mail);
    let manage = app.client.get(&b_url).send().await.unwrap().text().await.unwrap();
    assert_eq!(attrs(&manage, "form[action*=unsubscribe] input[name=topic][checked]", "value"), ["appeals"]);
    assert!(app.store.confirmed_subscribers(&ja, refuge_core::subscribers::Topic::News).unwrap().is_empty());
    let choice = [("action", "save"), ("topic", "news"), ("topic", "appeals")];
    let saved = app.client.post(&b_url).form(&choice).send().await.unwrap();
    assert_eq!(saved.status().as_u16(), 200);
    assert!(
        app.store
            .confirmed_subscribers(&ja, refuge_core::subscribers::Topic::News)
            .unwrap()
            .iter()
            .any(|s| s.email == "b@example.org")
    );
    assert!(
        app.store
            .confirmed_subscribers(&ja, refuge_core::subscribers::Topic::Appeals)
            .unwrap()
            .iter()
            .any(|s| s.email == "b@example.org")
    );
    let posted = ed
        .post(
            &format!("/admin/items/{}/updates", appeal.id),
            &[("date", "2026-11-26"), ("text", "続報です。"), ("source", "")],
        )
        .await;
    assert_eq!(posted.status, 303);
    let after = sink.wait_for(7).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let last: Vec<String> = sink.received().into_iter().skip(6).map(|m| m.to[0].clone()).collect();
    assert_eq!(last, ["b@example.org"], "{after:?}");
    app.stop().await;
}

/// A one-click unsubscribe from an appeal update leaves the urgent
/// appeals only: the news still come, and the page says which list was
/// left.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_click_leaves_the_list_of_that_mail_only() {
    let sink = SmtpSink::start().await;
    let app = spawn_with(|c| {
        c.smtp = Some(smtp(sink.port));
        c.welcome_mail = false;
    })
    .await;
    let r = app
        .client
        .post(app.url("/en/subscribe/"))
        .form(&[("email", "both@example.org"), ("topic", "news"), ("topic", "appeals")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    confirm(&app, &link_in(&sink.wait_for(1).await[0].body(), "/subscribe/confirm/")).await;
    let ed = sign_in(&app, "ed@example.org", Role::Editor, &[]).await;
    let en = Language::parse("en").unwrap();
    let appeal = refuge_core::PublicContent::published_item(
        &*app.store,
        refuge_core::Kind::Appeal,
        &en,
        &refuge_core::Slug::parse("eleven-held-at-the-border").unwrap(),
    )
    .unwrap()
    .unwrap();
    let fields = [("date", "2026-11-25"), ("text", "Visits were allowed."), ("source", "")];
    assert_eq!(ed.post(&format!("/admin/items/{}/updates", appeal.id), &fields).await.status, 303);
    let mails = sink.wait_for(2).await;
    let url = unsubscribe_url(&mails[1]);
    assert!(url.contains("list=appeals"), "{url}");
    let r = app
        .client
        .post(&url)
        .body("List-Unsubscribe=One-Click")
        .header("content-type", "application/x-www-form-urlencoded")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(r.text().await.unwrap().contains("Urgent appeals"), "the page names the list left");
    let topic = refuge_core::subscribers::Topic::Appeals;
    assert!(app.store.confirmed_subscribers(&en, topic).unwrap().is_empty(), "no more appeals");
    let news = app.store.confirmed_subscribers(&en, refuge_core::subscribers::Topic::News).unwrap();
    assert_eq!(news.len(), 1, "the news still come");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_outbox_resumes_after_a_restart_without_sending_twice() {
    let sink = SmtpSink::start().await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // First run: no SMTP server configured, so mail waits in the outbox.
    let first =
        spawn_in(data.clone(), refuge::app::StartOptions { inbox_work_factor: Some(10), ..Default::default() }).await;
    for i in 0..10 {
        assert!(first.store.enqueue(&test_mail(&lasting(i), &format!("r{i}@example.org"))).unwrap());
    }
    assert!(!first.store.enqueue(&test_mail(&lasting(3), "r3@example.org")).unwrap(), "queued once");
    // Two were being handed over when the process died.
    let interrupted: Vec<_> =
        (0..2).map(|_| first.store.take_due(time::OffsetDateTime::now_utc()).unwrap().unwrap()).collect();
    first.stop().await;

    // Restart with the SMTP server: the rest are delivered, the interrupted
    // ones are not sent again (their fate is unknown and reported).
    let mut config = refuge::config::Config::defaults(&data);
    config.addr = "127.0.0.1:0".into();
    config.smtp = Some(smtp(sink.port));
    let app = refuge::app::App::build(config, refuge::app::StartOptions::default()).await.unwrap();
    let store = app.store.clone();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(app.run(async move {
        let _ = rx.await;
    }));
    let got = sink.wait_for(8).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(sink.received().len(), 8, "{got:?}");
    let mut to: Vec<String> = sink.received().iter().map(|m| m.to[0].clone()).collect();
    to.sort();
    to.dedup();
    assert_eq!(to.len(), 8, "no one received two");
    for mail in &interrupted {
        assert!(!to.contains(&mail.recipient), "{} was not sent again", mail.recipient);
    }
    assert_eq!(store.outbox_counts().unwrap(), [0, 8, 0, 2]);
    let _ = tx.send(());
    task.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newsletter_reaches_its_language_and_topic_once_each_and_is_archived() {
    let sink = SmtpSink::start().await;
    let app = spawn_with(|c| c.smtp = Some(smtp(sink.port))).await;
    let en = Language::parse("en").unwrap();
    let ja = Language::parse("ja").unwrap();
    for (lang, email, topic, token) in [
        (&en, "news1@example.org", "news", "t1"),
        (&en, "news2@example.org", "news", "t2"),
        (&en, "appeals-only@example.org", "appeals", "t3"),
        (&ja, "ja-news@example.org", "news", "t4"),
        (&en, "unconfirmed@example.org", "news", "t5"),
    ] {
        app.store.subscribe(email, lang, &[topic.to_owned()], token, "form").unwrap();
        if token != "t5" {
            app.store.confirm_subscription(token).unwrap();
        }
    }
    let ed = sign_in(&app, "ed@example.org", Role::Editor, &[]).await;
    let saved = ed
        .post(
            "/admin/newsletters",
            &[
                ("lang", "en"),
                ("topic", "news"),
                ("title", "Winter issue"),
                ("body", "Coal reached **140** homes."),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(saved.status, 303);
    let id = saved.header("location").unwrap().trim_start_matches("/admin/newsletters/").to_owned();
    assert_eq!(app.get("/en/newsletter/1/").await.status, 404, "not public before it is sent");
    // One click asks first, saying how many will receive it.
    let asked = ed.post(&format!("/admin/newsletters/{id}/send"), &[]).await;
    assert_eq!(asked.status, 200);
    assert!(asked.body.contains("2 confirmed subscribers"), "{}", asked.body);
    assert!(asked.body.contains("Send to 2 subscribers"));
    assert_eq!(app.get("/en/newsletter/1/").await.status, 404, "not sent by asking");
    let sent = ed.post(&format!("/admin/newsletters/{id}/send"), &[("confirm", "1")]).await;
    assert_eq!(sent.status, 200);
    assert!(sent.body.contains("Queued for 2"));
    let again = ed.post(&format!("/admin/newsletters/{id}/send"), &[("confirm", "1")]).await;
    assert!(again.body.contains("has been sent"), "sending twice queues nothing");
    sink.wait_for(2).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut to: Vec<String> = sink.received().iter().map(|m| m.to[0].clone()).collect();
    to.sort();
    assert_eq!(to, ["news1@example.org", "news2@example.org"]);
    assert!(sink.received()[0].body().contains("Coal reached"));
    let archive = app.get("/en/newsletter/").await;
    assert!(archive.body.contains("Winter issue"));
    let issue = app.get("/en/newsletter/1/").await;
    assert_eq!(issue.status, 200);
    assert!(issue.body.contains("<strong>140</strong>"));
    app.stop().await;
}

#[tokio::test]
async fn a_newsletter_whose_mail_cannot_be_queued_is_not_marked_sent() {
    let app = spawn_app().await;
    let en = Language::parse("en").unwrap();
    for (email, token) in [("one@example.org", "t1"), ("two@example.org", "t2")] {
        app.store.subscribe(email, &en, &["news".to_owned()], token, "form").unwrap();
        app.store.confirm_subscription(token).unwrap();
    }
    let ed = sign_in(&app, "ed@example.org", Role::Editor, &[]).await;
    let fields = [("lang", "en"), ("topic", "news"), ("title", "Spring"), ("body", "Text."), ("action", "save")];
    let saved = ed.post("/admin/newsletters", &fields).await;
    let id = saved.header("location").unwrap().trim_start_matches("/admin/newsletters/").to_owned();
    // The outbox takes one mail, then fails.
    let side = rusqlite::Connection::open(app.data_dir.join("refuge.db")).unwrap();
    side.execute_batch(
        "CREATE TRIGGER outbox_full BEFORE INSERT ON outbox WHEN (SELECT count(*) FROM outbox WHERE kind = 'newsletter') >= 1 \
         BEGIN SELECT RAISE(ABORT, 'injected'); END;",
    )
    .unwrap();
    let failed = ed.post(&format!("/admin/newsletters/{id}/send"), &[("confirm", "1")]).await;
    assert!(failed.body.contains("nothing was saved") || failed.body.contains("try again"), "{}", failed.body);
    assert_eq!(app.get("/en/newsletter/1/").await.status, 404, "not in the archive: not sent");
    side.execute_batch("DROP TRIGGER outbox_full;").unwrap();
    let sent = ed.post(&format!("/admin/newsletters/{id}/send"), &[("confirm", "1")]).await;
    assert!(sent.body.contains("Queued for 1"), "the second send goes on where the first stopped: {}", sent.body);
    assert_eq!(app.get("/en/newsletter/1/").await.status, 200);
    let queued: i64 =
        side.query_row("SELECT count(*) FROM outbox WHERE kind = 'newsletter'", [], |r| r.get(0)).unwrap();
    assert_eq!(queued, 2, "each subscriber once");
    app.stop().await;
}

/// An English timeline entry of a four-language appeal: shown at once on
/// the other pages, marked as not yet translated; a Japanese translator
/// finds it on the dashboard and in the editor, and their translation
/// replaces it on the Japanese page and is what Japanese subscribers get;
/// Korean subscribers, with no translation, get the English words with a
/// note in Korean once the site's wait is over. Each person gets one mail.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timeline_entry_reaches_every_language_once_translated_or_after_the_wait() {
    let sink = SmtpSink::start().await;
    let app = spawn_with(|c| {
        c.languages = all_languages();
        c.smtp = Some(smtp(sink.port));
        c.welcome_mail = false;
    })
    .await;
    for (lang, email) in [("en", "en@example.org"), ("ja", "ja@example.org"), ("ko", "ko@example.org")] {
        let r = app
            .client
            .post(app.url(&format!("/{lang}/subscribe/")))
            .form(&[("email", email), ("topic", "appeals")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
    }
    for mail in sink.wait_for(3).await {
        confirm(&app, &link_in(&mail.body(), "/subscribe/confirm/")).await;
    }
    let version = |lang: &str| {
        refuge_core::PublicContent::published_item(
            &*app.store,
            refuge_core::Kind::Appeal,
            &Language::parse(lang).unwrap(),
            &refuge_core::Slug::parse("eleven-held-at-the-border").unwrap(),
        )
        .unwrap()
        .unwrap()
    };
    let (en, ja) = (version("en"), version("ja"));
    let ed = sign_in(&app, "ed@example.org", Role::Editor, &[]).await;
    let posted = ed
        .post(
            &format!("/admin/items/{}/updates", en.id),
            &[("date", "2026-11-25"), ("text", "Lawyers were allowed to visit."), ("source", "")],
        )
        .await;
    assert_eq!(posted.status, 303, "{}", posted.body);
    let mails = sink.wait_for(4).await;
    assert_eq!(mails.len(), 4);
    assert_eq!(mails[3].to, ["en@example.org"]);
    let entry = app.store.appeal_updates(en.id).unwrap()[0].clone();

    // On the Japanese and Korean pages at once, in English, marked.
    for lang in ["ja", "ko"] {
        let page = app.get(&format!("/{lang}/appeals/eleven-held-at-the-border/")).await;
        let marked = select(&page.body, &format!("li#update-{} div[lang=en]", entry.id));
        assert!(marked.iter().any(|m| m.contains("Lawyers were allowed")), "{lang}: {marked:?}");
        assert_eq!(select(&page.body, &format!("li#update-{} small.untranslated", entry.id)).len(), 1);
    }

    // The Japanese translator is asked for it, and translates it.
    let tr = sign_in(&app, "tr@example.org", Role::Translator, &["ja"]).await;
    let dashboard = tr.get("/admin/").await;
    let listed = select(&dashboard.body, "section.untranslated li");
    assert!(
        listed.iter().any(|l| l.contains(&format!("/admin/items/{}", ja.id)) && l.contains("1 timeline entr")),
        "{listed:?}"
    );
    let editor = tr.get(&format!("/admin/items/{}", ja.id)).await;
    let form = format!("form#translate-{}", entry.id);
    assert_eq!(attrs(&editor.body, &format!("{form} input[name=translates]"), "value"), [entry.id.to_string()]);
    let translated = tr
        .post(
            &format!("/admin/items/{}/updates", ja.id),
            &[("translates", &entry.id.to_string()), ("text", "弁護士の面会が認められました。"), ("source", "")],
        )
        .await;
    assert_eq!(translated.status, 303, "{}", translated.body);
    // A second translation of the same entry is refused, and says why.
    let again = tr
        .post(
            &format!("/admin/items/{}/updates", ja.id),
            &[("translates", &entry.id.to_string()), ("text", "二度目"), ("source", "")],
        )
        .await;
    assert_eq!(again.status, 409);
    // A translator adds no news of their own.
    let own = tr
        .post(
            &format!("/admin/items/{}/updates", ja.id),
            &[("date", "2026-11-26"), ("text", "独自の記録"), ("source", "")],
        )
        .await;
    assert_eq!(own.status, 403);
    // The version is published: the translation waits for an editor,
    // unseen and unmailed.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got = sink.received();
    assert_eq!(got.len(), 4, "{:?}", got.last().map(|m| (m.to.clone(), m.body())));
    let page = app.get("/ja/appeals/eleven-held-at-the-border/").await;
    assert!(!page.body.contains("弁護士の面会が認められました。") && page.body.contains("Lawyers were allowed"));
    let dashboard = ed.get("/admin/").await;
    assert!(dashboard.body.contains("1 timeline translations to approve"), "the editor is asked");
    let pending = app.store.all_appeal_updates(ja.id).unwrap().into_iter().find(|u| u.pending).unwrap();
    let editor = ed.get(&format!("/admin/items/{}", ja.id)).await;
    let approve = format!("/admin/items/{}/updates/{}/approve", ja.id, pending.id);
    assert_eq!(attrs(&editor.body, &format!("li#entry-{} form", pending.id), "action")[0], approve);
    assert_eq!(tr.post(&approve, &[]).await.status, 403, "a translator cannot approve");
    assert_eq!(ed.post(&approve, &[]).await.status, 303);
    let mails = sink.wait_for(5).await;
    assert_eq!(mails.len(), 5);
    assert_eq!(mails[4].to, ["ja@example.org"]);
    let body = mails[4].body();
    assert!(body.contains("弁護士の面会が認められました。") && body.contains("2026年11月25日"), "{body}");
    assert!(!body.contains("Lawyers") && !body.contains("2026-11-25"), "{body}");
    let page = app.get("/ja/appeals/eleven-held-at-the-border/").await;
    assert!(page.body.contains("弁護士の面会が認められました。") && !page.body.contains("Lawyers were allowed"));
    let dashboard = tr.get("/admin/").await;
    assert!(!dashboard.body.contains("1 timeline entr"), "translated, no longer asked for");

    // Nobody has translated it into Korean: when the admin shortens the
    // wait to nothing, Korean subscribers get the English, said so in Korean.
    let boss = sign_in(&app, "boss@example.org", Role::Admin, &[]).await;
    let refused = boss.post("/admin/settings", &[("translation_wait_hours", "a week")]).await;
    assert_eq!(refused.status, 422);
    assert_eq!(boss.post("/admin/settings", &[("translation_wait_hours", "0")]).await.status, 200);
    let mails = sink.wait_for(6).await;
    assert_eq!(mails.len(), 6, "one mail to the Korean subscriber");
    assert_eq!(mails[5].to, ["ko@example.org"]);
    let body = mails[5].body();
    assert!(body.contains("Lawyers were allowed to visit.") && body.contains("원문(English)"), "{body}");
    assert!(body.contains("2026년 11월 25일"), "{body}");
    // Nobody is told twice, whatever the scheduler does next.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(sink.received().len(), 6);
    app.stop().await;
}
