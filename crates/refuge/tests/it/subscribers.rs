//! The mailing list as its owners manage it: import, export, removal with
//! a suppression list, the back-office page, and housekeeping.

use refuge_core::{ListReads, SubscriberReads};
use std::process::Command;
use std::time::{Duration, Instant};

use refuge_app::list::import;
use refuge_core::subscribers::{ListDefaults, parse_csv};
use refuge_core::{Language, MailStore, Outbox, Role, SubscriberState, SubscriberStore, UserStore};

use crate::admin::sign_in;
use crate::helpers::*;

fn langs() -> Vec<Language> {
    vec![Language::parse("en").unwrap(), Language::parse("ja").unwrap()]
}

/// Rows without a language take `lang`; rows in another are left out.
fn defaults<'a>(lang: &'a Language, topics: &'a [String], site: &'a [Language]) -> ListDefaults<'a> {
    ListDefaults { lang, topics, languages: site, other_language: None }
}

/// A list of `n` addresses as an old newsletter tool would export it,
/// with every kind of problem.
fn old_list(n: usize) -> String {
    let mut csv = String::from("E-mail,Language,Joined\n");
    for i in 0..n {
        csv.push_str(&format!("reader{i}@example.org,ja,2005-04-{:02}\n", i % 28 + 1));
    }
    csv.push_str("READER7@EXAMPLE.ORG,ja,\n"); // a duplicate in other case
    csv.push_str("reader8@example.org,ja,\n"); // a plain duplicate
    csv.push_str("not an address,ja,\n");
    csv.push_str("\"Friend\" <friend@example.org>,ja,\n");
    csv.push_str("removed@example.org,ja,\n"); // removed on request before
    csv
}

fn token_maker() -> impl FnMut() -> String {
    let mut n = 0;
    move || {
        n += 1;
        format!("imported-token-{n:08}")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_big_old_list_imports_with_a_true_report_and_only_once() {
    let site_langs = langs();
    let app = spawn_app().await;
    let ja = Language::parse("ja").unwrap();
    // Someone asked to be removed, years ago: never brought back.
    let s = app.store.subscribe("removed@example.org", &ja, &["news".into()], "tok-removed", "form").unwrap();
    app.store.confirm_subscription(&s.token).unwrap();
    assert_eq!(app.store.remove_address("removed@example.org").unwrap(), 1);

    let csv = old_list(10_000);
    let started = Instant::now();
    let parsed = parse_csv(&csv, &defaults(&ja, &["news".into()], &site_langs));
    let report = import(&*app.store, &parsed, "old newsletter list", true, &mut token_maker(), &mut |_| {}).unwrap();
    let took = started.elapsed();
    assert_eq!((report.added, report.updated, report.unchanged, report.suppressed), (10_000, 0, 0, 1), "{report:?}");
    let reasons: Vec<&str> = report.skipped.iter().map(|s| s.reason.as_str()).collect();
    assert_eq!(reasons.len(), 4, "{reasons:?}");
    assert!(reasons[0].contains("earlier") && reasons[1].contains("earlier"));
    assert!(reasons[2].contains("not an e-mail address") && reasons[3].contains("not an e-mail address"));
    assert!(took < Duration::from_secs(5), "10,000 addresses took {took:?}");
    eprintln!("10,000 addresses imported in {took:?}");

    let counts = app.store.subscriber_counts().unwrap();
    let confirmed: u64 = counts.iter().filter(|c| c.state == SubscriberState::Confirmed).map(|c| c.count).sum();
    assert_eq!(confirmed, 10_000);
    let one = app.store.find_subscribers("reader42@", 5).unwrap().remove(0);
    assert_eq!(one.source, "import: old newsletter list");
    assert_eq!(one.joined_at.year(), 2005, "the date joined is kept");

    // The same file again changes nothing.
    let again = import(&*app.store, &parsed, "old newsletter list", true, &mut token_maker(), &mut |_| {}).unwrap();
    assert_eq!((again.added, again.updated, again.unchanged, again.suppressed), (0, 0, 10_000, 1));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconfirmation_mails_go_once_each_even_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let app =
        spawn_in(data.clone(), refuge::app::StartOptions { inbox_work_factor: Some(10), ..Default::default() }).await;
    let file = dir.path().join("list.csv");
    std::fs::write(&file, "email\nann@example.org\nben@example.org\nAnn@example.org\n").unwrap();
    let args = refuge::cmd::subscribers::ImportArgs {
        file: file.clone(),
        lang: "en".into(),
        other_language: None,
        topics: vec!["news".into()],
        source: "paper list".into(),
        reconfirm: true,
        dry_run: false,
        data: refuge::cli::DataArg::new(data.clone()),
    };
    let run = |args| {
        tokio::task::spawn_blocking(move || {
            refuge::cmd::subscribers::run(refuge::cmd::subscribers::SubscribersCommand::Import(args))
        })
    };
    run(args).await.unwrap().unwrap();
    let en = Language::parse("en").unwrap();
    assert!(
        app.store.confirmed_subscribers(&en, refuge_core::subscribers::Topic::News).unwrap().is_empty(),
        "waiting for their confirmation"
    );
    // The server's own minute task may get there first: either way, each
    // address gets one mail (counted below), and a second pass sends none.
    refuge_web::outgoing::imported_confirmations(&app.state);
    assert_eq!(refuge_web::outgoing::imported_confirmations(&app.state), 0);
    app.stop().await;

    let app = spawn_in(data.clone(), refuge::app::StartOptions::default()).await;
    assert_eq!(refuge_web::outgoing::imported_confirmations(&app.state), 0, "none twice across a restart");
    let far = time::OffsetDateTime::now_utc() + time::Duration::days(1);
    let mut mails = Vec::new();
    while let Some(mail) = app.store.take_due(far).unwrap() {
        mails.push(mail);
    }
    let mut to = Vec::new();
    for mail in mails.into_iter().filter(|m| m.kind == refuge_core::MailKind::Confirm) {
        to.push(mail.recipient.clone());
        // The link works even though the list was imported with old dates.
        let link = crate::mailing::link_in(&mail.body, "/subscribe/confirm/");
        let path = &link[link.find("/en/").unwrap()..];
        crate::mailing::confirm(&app, path).await;
    }
    to.sort();
    assert_eq!(to, ["ann@example.org", "ben@example.org"]);
    assert_eq!(app.store.confirmed_subscribers(&en, refuge_core::subscribers::Topic::News).unwrap().len(), 2);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removal_export_and_who_sees_addresses() {
    let site_langs = langs();
    let app = spawn_app().await;
    let ja = Language::parse("ja").unwrap();
    let parsed = parse_csv(
        "email,language,topics\nkim@example.org,ja,news\nlee@example.org,en,news appeals\n",
        &defaults(&ja, &[], &site_langs),
    );
    import(&*app.store, &parsed, "old list", true, &mut token_maker(), &mut |_| {}).unwrap();

    // Editors see counts, never addresses.
    let ed = sign_in(&app, "ed@example.org", Role::Editor, &[]).await;
    let page = ed.get("/admin/subscribers?q=example").await;
    assert_eq!(page.status, 200);
    assert_eq!(page.header("cache-control"), Some("no-store"));
    assert!(!page.body.contains("kim@") && !page.body.contains("lee@"), "no address for editors");
    let kim = app.store.find_subscribers("kim@", 1).unwrap().remove(0);
    assert_eq!(ed.get(&format!("/admin/subscribers/{}", kim.id)).await.status, 403);
    assert_eq!(ed.get("/admin/subscribers/export.csv").await.status, 403);

    // An admin finds, exports and removes.
    let boss = sign_in(&app, "boss@example.org", Role::Admin, &[]).await;
    let found = boss.get("/admin/subscribers?q=KIM").await;
    assert!(found.body.contains("kim@example.org"), "search is case-insensitive");
    let csv = boss.get("/admin/subscribers/export.csv").await;
    assert_eq!(csv.status, 200);
    assert_eq!(csv.header("cache-control"), Some("no-store"));
    assert!(csv.header("content-disposition").unwrap().starts_with("attachment"));
    assert!(csv.body.contains("kim@example.org") && csv.body.contains("lee@example.org"));
    // The export imports back as is.
    let back = parse_csv(&csv.body, &defaults(&ja, &[], &site_langs));
    assert_eq!(back.rows.len(), 2, "{:?}", back.skipped);
    let report = import(&*app.store, &back, "round trip", true, &mut token_maker(), &mut |_| {}).unwrap();
    assert_eq!(report.unchanged, 2, "{report:?}");

    let ask = boss.get(&format!("/admin/subscribers/{}/remove", kim.id)).await;
    assert!(ask.body.contains("kim@example.org"), "the confirmation step names the address");
    let removed = boss.post(&format!("/admin/subscribers/{}/remove", kim.id), &[]).await;
    assert_eq!(removed.status, 200);
    assert!(app.store.find_subscribers("kim@", 5).unwrap().is_empty());
    // The next newsletter does not reach it, and a later import does not bring it back.
    let again = import(&*app.store, &parsed, "old list", true, &mut token_maker(), &mut |_| {}).unwrap();
    assert_eq!(again.suppressed, 1);
    assert!(app.store.confirmed_subscribers(&ja, refuge_core::subscribers::Topic::News).unwrap().is_empty());
    let (entries, _) = refuge_core::AuditReads::audit_entries(&*app.store, 0, 50).unwrap();
    let removal = entries.iter().find(|e| e.action == "remove subscriber").unwrap();
    assert_eq!(removal.subject, "k***@example.org", "the audit log masks the address");
    assert!(entries.iter().any(|e| e.action == "export subscribers"));
    app.stop().await;
}

#[test]
fn the_command_line_exports_csv_that_imports_back() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let bin = env!("CARGO_BIN_EXE_refuge");
    let file = dir.path().join("in.csv");
    std::fs::write(&file, "park@example.org,ja,appeals\nchoi@example.org,en,news\nbroken\n").unwrap();
    let out = Command::new(bin)
        .args(["subscribers", "import"])
        .arg(&file)
        .args(["--lang", "en", "--source", "old list", "--data"])
        .arg(&data)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("line 3: skipped") && text.contains("2 added"), "{text}");
    let out = Command::new(bin)
        .args(["subscribers", "export", "--state", "confirmed", "--data"])
        .arg(&data)
        .output()
        .unwrap();
    let csv = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success());
    assert_eq!(csv.lines().count(), 3, "a header and two addresses: {csv}");
    std::fs::write(&file, &csv).unwrap();
    let out = Command::new(bin)
        .args(["subscribers", "import"])
        .arg(&file)
        .args(["--lang", "en", "--data"])
        .arg(&data)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("0 added, 0 updated, 2 unchanged"));
    let bad =
        Command::new(bin).args(["subscribers", "export", "--state", "gone", "--data"]).arg(&data).output().unwrap();
    assert!(!bad.status.success() && String::from_utf8_lossy(&bad.stderr).contains("waiting, confirmed"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_finds_and_removes_an_address_in_the_browser() {
    let Some(browser) = crate::browser::Browser::start().await else { return };
    let app = spawn_app().await;
    let en = Language::parse("en").unwrap();
    let sub = app.store.subscribe("please-remove-me@example.org", &en, &["news".into()], "tok-rm", "form").unwrap();
    app.store.confirm_subscription(&sub.token).unwrap();
    app.store
        .add_user(&refuge_core::Email::parse("boss@example.org").unwrap(), Role::Admin, crate::admin::PASSWORD)
        .unwrap();
    browser.go(&app.url("/admin/login")).await;
    browser.type_into("#email", "boss@example.org").await;
    browser.type_into("#password", crate::admin::PASSWORD).await;
    browser.click("form button[type=submit]").await;
    browser.wait_for("the dashboard", |url, _| url.ends_with("/admin/")).await;
    browser.click("a[href='/admin/subscribers']").await;
    browser.wait_for("the subscribers", |url, _| url.ends_with("/admin/subscribers")).await;
    browser.type_into("#sub-q", "remove-me").await;
    browser.click("form[role=search] button").await;
    browser.wait_for("the result", |_, source| source.contains("please-remove-me@example.org")).await;
    browser.screenshot("admin-subscribers-search").await;
    browser.click("table a[href^='/admin/subscribers/']").await;
    browser.wait_for("the address", |_, source| source.contains("<h1>please-remove-me@example.org</h1>")).await;
    browser.click("a.button.danger").await;
    browser.wait_for("the confirmation step", |url, _| url.ends_with("/remove")).await;
    browser.screenshot("admin-subscribers-remove").await;
    browser.click("form button.danger").await;
    browser.wait_for("the removal", |_, source| source.contains("was removed from the list")).await;
    assert!(app.store.find_subscribers("remove-me", 5).unwrap().is_empty());
    browser.close().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_imports_a_list_after_reviewing_it_in_the_back_office() {
    use reqwest::multipart::{Form, Part};
    let app = spawn_app().await;
    let boss = sign_in(&app, "boss@example.org", Role::Admin, &[]).await;
    let ed = sign_in(&app, "ed@example.org", Role::Editor, &[]).await;
    let csv = "email,language\nhan@example.org,ja\nyoon@example.org,\nnot-an-address,ja\n";
    let upload = |staff: &crate::admin::Staff| {
        let form = Form::new()
            .text("csrf", staff.csrf.clone())
            .text("lang", "en")
            .text("topic", "news")
            .text("source", "paper list 2003")
            .part("file", Part::bytes(csv.as_bytes().to_vec()).file_name("list.csv"));
        staff
            .client
            .post(format!("{}/admin/subscribers/import", staff.base))
            .header("origin", &staff.base)
            .multipart(form)
            .send()
    };
    assert_eq!(upload(&ed).await.unwrap().status().as_u16(), 403, "admins only");
    let review = upload(&boss).await.unwrap();
    assert_eq!(review.status().as_u16(), 200);
    assert_eq!(review.headers()["cache-control"], "no-store");
    let page = review.text().await.unwrap();
    assert!(page.contains("han@example.org") && page.contains("yoon@example.org"), "the first rows are shown");
    assert!(page.contains("not-an-address"), "and the problems, with their lines");
    assert!(app.store.find_subscribers("example", 10).unwrap().is_empty(), "nothing stored before the go-ahead");
    let key = attrs(&page, "input[name=key]", "value").remove(0);
    // Another admin cannot use this account's list.
    let other = sign_in(&app, "boss2@example.org", Role::Admin, &[]).await;
    let refused = other.post("/admin/subscribers/import/confirm", &[("key", &key)]).await;
    assert!(refused.body.contains("no longer waiting"));
    let done = boss.post("/admin/subscribers/import/confirm", &[("key", &key)]).await;
    assert!(done.body.contains("2 added"), "{}", done.body);
    let found = app.store.find_subscribers("example", 10).unwrap();
    assert_eq!(found.len(), 2);
    assert!(found.iter().all(|r| r.source == "import: paper list 2003" && r.state == SubscriberState::Confirmed));
    let again = boss.post("/admin/subscribers/import/confirm", &[("key", &key)]).await;
    assert!(again.body.contains("no longer waiting"), "a list is imported once");
    app.stop().await;
}

#[tokio::test]
async fn a_sign_up_the_database_cannot_keep_is_never_answered_check_your_mail() {
    let app = spawn_app().await;
    let form = app.get("/en/").await.body;
    assert!(form.contains("/en/subscribe/"), "the home page has the sign-up form");
    let side = rusqlite::Connection::open(app.data_dir.join("refuge.db")).unwrap();
    side.execute_batch(
        "CREATE TRIGGER refuse_sign_ups BEFORE INSERT ON subscribers BEGIN SELECT RAISE(ABORT, 'injected'); END;",
    )
    .unwrap();
    let sign_up = || async {
        let form = [("email", "reader@example.org"), ("topic", "news")];
        let r = app.client.post(app.url("/en/subscribe/")).form(&form).send().await.unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    };
    let (status, body) = sign_up().await;
    assert_eq!(status, 500, "{body}");
    assert!(!body.contains("a message with a confirmation link is on its way"), "{body}");
    assert!(body.contains("Please try again"), "{body}");
    side.execute_batch("DROP TRIGGER refuse_sign_ups;").unwrap();
    let (status, body) = sign_up().await;
    assert_eq!(status, 200);
    assert!(body.contains("a message with a confirmation link is on its way"));
    app.stop().await;
}

/// The list's counts and its search, when the database cannot give them,
/// are a failure page — never a list of nobody.
#[tokio::test]
async fn an_unreadable_list_is_a_failure_not_an_empty_list() {
    let app = spawn_app().await;
    let boss = sign_in(&app, "boss@example.org", Role::Admin, &[]).await;
    assert_eq!(boss.get("/admin/subscribers?q=example").await.status, 200);
    let side = rusqlite::Connection::open(app.data_dir.join("refuge.db")).unwrap();
    side.execute_batch("ALTER TABLE subscribers RENAME TO subscribers_away;").unwrap();
    let page = boss.get("/admin/subscribers?q=example").await;
    assert_eq!(page.status, 503, "{}", page.body);
    assert!(page.body.contains("The database could not be read just now"), "{}", page.body);
    side.execute_batch("ALTER TABLE subscribers_away RENAME TO subscribers;").unwrap();
    assert_eq!(boss.get("/admin/subscribers").await.status, 200);
    app.stop().await;
}

/// A spreadsheet's list as the walk-through met it: lines numbered as
/// the spreadsheet numbers its rows (it writes "\r\n"), a row in a
/// language the site does not have taking the language the admin chose
/// (or listed as left out), and a column that is not kept named in the
/// preview. ("Line N" was one short; `fr` rows were refused; `name`
/// vanished without a word.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spreadsheets_list_is_previewed_as_the_spreadsheet_shows_it() {
    use reqwest::multipart::{Form, Part};
    let app = spawn_app().await;
    let boss = sign_in(&app, "boss@example.org", Role::Admin, &[]).await;
    let csv = "email,name,language\r\nhan@example.org,Han,ja\r\nnot-an-address,X,ja\r\nmarie@example.org,Marie,fr\r\n";
    let upload = |other: &'static str| {
        let form = Form::new()
            .text("csrf", boss.csrf.clone())
            .text("lang", "en")
            .text("other_lang", other)
            .text("topic", "news")
            .part("file", Part::bytes(csv.as_bytes().to_vec()).file_name("list.csv"));
        boss.client
            .post(format!("{}/admin/subscribers/import", boss.base))
            .header("origin", &boss.base)
            .multipart(form)
            .send()
    };
    let page = upload("").await.unwrap().text().await.unwrap();
    let problems = texts(&page, "main li").join("\n");
    assert!(problems.contains("Line 3: ") && !problems.contains("Line 2: "), "row 3 is row 3: {problems}");
    assert!(problems.contains("Line 4: `fr`"), "left out, and said: {problems}");
    let lines = texts(&page, "table.rows tbody td:first-child");
    assert_eq!(lines, ["2"], "han is the spreadsheet's row 2");
    assert!(texts(&page, ".info").join("").contains("name"), "the column not kept is named");

    let page = upload("en").await.unwrap().text().await.unwrap();
    let lines = texts(&page, "table.rows tbody td:first-child");
    assert_eq!(lines, ["2", "4"], "marie comes in, in the language chosen");
    let key = attrs(&page, "input[name=key]", "value").remove(0);
    let done = boss.post("/admin/subscribers/import/confirm", &[("key", &key)]).await;
    assert!(done.body.contains("2 added"), "{}", done.body);
    let marie = app.store.find_subscribers("marie@", 1).unwrap().remove(0);
    assert_eq!(marie.lang.as_str(), "en");
    app.stop().await;
}
