//! Several servers on one PostgreSQL database behave as one site: what is
//! written through one — or by an import run beside them — is on every
//! other's pages, lists, feeds and search within 2 s.
//!
//! The tests start their own PostgreSQL server (see
//! `refuge_store::testing`); without PostgreSQL installed they are
//! skipped with a note, unless `CI` is set.

use refuge_core::ContentReads;
use std::path::PathBuf;

use refuge_core::{ContentStore, Kind, Language, PublicContent, Role, Slug, UserStore};

use crate::admin::{article_fields, jar_client, sign_in};
use crate::helpers::*;

/// A new PostgreSQL database holding the demo site, and its address.
fn demo_database() -> Option<String> {
    let db = refuge_store::testing::postgres_db()?;
    let languages = [Language::parse("en").unwrap(), Language::parse("ja").unwrap()];
    refuge::demo::fill(&db.store, &languages).unwrap();
    Some(db.url.clone())
}

/// Two servers on one new PostgreSQL database holding the demo site.
async fn two_servers() -> Option<(TestApp, TestApp)> {
    let url = demo_database()?;
    Some((server_on(&url).await, server_on(&url).await))
}

/// An editor account, with the tests' password, made through `app`.
fn add_editor(app: &TestApp) {
    let email = refuge_core::Email::parse("ed@example.org").unwrap();
    app.store.add_user(&email, Role::Editor, crate::admin::PASSWORD).unwrap();
}

async fn server_on(url: &str) -> TestApp {
    let url = url.to_owned();
    spawn_with(move |config| config.database_url = Some(url)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_article_published_on_one_server_is_on_the_other_within_two_seconds() {
    let Some((a, b)) = two_servers().await else { return };
    assert!(a.store.is_postgres() && b.store.is_postgres());
    // B has read (and cached) its pages before the article exists.
    for path in ["/en/", "/en/news/", "/en/feed.xml", "/en/search/?q=lanternfish"] {
        assert!(!b.get(path).await.body.contains("Lanternfish"), "{path}");
    }

    let ed = sign_in(&a, "ed@example.org", Role::Editor, &[]).await;
    let saved = ed
        .post(
            "/admin/items/new?kind=news&lang=en",
            &article_fields(
                "Lanternfish boats seen off the coast",
                "Fishermen saw lanternfish boats.",
                "published",
                "",
            ),
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let en = Language::parse("en").unwrap();
    let slug = Slug::parse("lanternfish-boats-seen-off-the-coast").unwrap();
    let item = b.store.published_item(Kind::News, &en, &slug).unwrap().expect("in the shared database at once");

    let page = within_two_seconds(&b, &item.path(), |body| body.contains("Fishermen saw lanternfish boats.")).await;
    within_two_seconds(&b, "/en/news/", |body| body.contains("Lanternfish boats seen")).await;
    within_two_seconds(&b, "/en/", |body| body.contains("Lanternfish boats seen")).await;
    within_two_seconds(&b, "/en/feed.xml", |body| body.contains("Lanternfish boats seen")).await;
    let found = within_two_seconds(&b, "/en/search/?q=lanternfish", |body| body.contains(&item.path())).await;
    println!("published on A: on B's page after {page:?}, in B's search after {found:?}");

    // And back: a retitle written through B's connection reaches A.
    let mut draft = item.redraft(item.status, item.published_at);
    draft.title = "Lanternfish boats counted".into();
    b.store.save_item(Some(item.id), &draft).unwrap();
    within_two_seconds(&a, &item.path(), |body| body.contains("Lanternfish boats counted")).await;
    within_two_seconds(&a, "/en/news/", |body| body.contains("Lanternfish boats counted")).await;
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_into_the_shared_database_shows_on_both_servers() {
    let Some(url) = demo_database() else { return };
    let a = server_on(&url).await;
    let b = server_on(&url).await;
    for app in [&a, &b] {
        assert!(!app.get("/sitemap.xml").await.body.contains("/en/news/2faced/"));
        assert!(!app.get("/en/search/?q=river").await.body.contains("/en/news/2faced/"));
    }
    let fixture = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/legacy-site/en");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_refuge"))
        .args(["import", "html"])
        .arg(&fixture)
        .args(["--lang", "en", "--data"])
        .arg(&a.data_dir)
        .args(["--database-url", &url])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{said}");
    for app in [&a, &b] {
        within_two_seconds(app, "/sitemap.xml", |body| body.contains("/en/news/2faced/")).await;
        within_two_seconds(app, "/en/news/2002/", |body| body.contains("Two faces")).await;
        within_two_seconds(app, "/en/search/?q=river", |body| body.contains("/en/news/2faced/")).await;
    }
    a.stop().await;
    b.stop().await;
}

/// Runs the `refuge` program; what it said. Fails the test if it failed.
fn refuge(args: &[&std::ffi::OsStr]) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_refuge")).args(args).output().unwrap();
    let said = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "refuge {args:?}: {said}");
    said
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_of_a_postgresql_site_restores_and_serves_on_either_engine() {
    let Some(url) = demo_database() else { return };
    let a = server_on(&url).await;
    let en = Language::parse("en").unwrap();
    let demo = a.store.published_kind(Kind::News, &en).unwrap().remove(0);
    let item = a.store.item(demo.id).unwrap().unwrap();
    let mut draft = item.redraft(item.status, item.published_at);
    draft.title = "Written just before the backup".into();
    a.store.save_item(Some(item.id), &draft).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("site.tar");
    let os = |s: &str| std::ffi::OsString::from(s);
    let said = refuge(&[
        &os("backup"),
        archive.as_os_str(),
        &os("--data"),
        a.data_dir.as_os_str(),
        &os("--database-url"),
        &os(&url),
    ]);
    assert!(said.contains("Backed up"), "{said}");
    a.stop().await;

    // Onto another, empty PostgreSQL database.
    let other = refuge_store::testing::postgres_db().unwrap();
    let onto_postgres = dir.path().join("restored-pg");
    let said = refuge(&[
        &os("restore"),
        archive.as_os_str(),
        &os("--data"),
        onto_postgres.as_os_str(),
        &os("--database-url"),
        &os(&other.url),
    ]);
    assert!(said.contains("checked table by table"), "{said}");
    assert!(!onto_postgres.join("refuge.db").exists(), "the database went to PostgreSQL, not beside it");
    let restored = spawn_on(onto_postgres, Some(&other.url)).await;
    assert!(restored.get(&item.path()).await.body.contains("Written just before the backup"));
    assert!(restored.get("/en/search/?q=backup").await.body.contains(&item.path()));
    restored.stop().await;

    // Or onto the SQLite file of a data folder.
    let onto_sqlite = dir.path().join("restored-sqlite");
    refuge(&[&os("restore"), archive.as_os_str(), &os("--data"), onto_sqlite.as_os_str()]);
    let restored = spawn_on(onto_sqlite, None).await;
    assert!(!restored.store.is_postgres());
    assert!(restored.get(&item.path()).await.body.contains("Written just before the backup"));
    restored.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn db_copy_moves_a_site_to_postgresql_and_back() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    spawn_on(data.clone(), None).await.stop().await;
    let Some(target) = refuge_store::testing::postgres_db() else { return };
    let os = |s: &str| std::ffi::OsString::from(s);
    let said = refuge(&[&os("db"), &os("copy"), &os(&target.url), &os("--data"), data.as_os_str()]);
    assert!(said.contains("the copy is identical"), "{said}");
    assert!(said.contains("items") && said.contains("same"), "a line per table: {said}");

    // Again into the same database: refused, it holds a site now.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_refuge"))
        .args([os("db"), os("copy"), os(&target.url), os("--data"), data.clone().into_os_string()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("already holds a site"));

    // And back into a new SQLite file: every table as it was.
    let back = dir.path().join("back.db");
    let back_url = format!("sqlite:{}", back.display());
    let said = refuge(&[
        &os("db"),
        &os("copy"),
        &os(&back_url),
        &os("--data"),
        data.as_os_str(),
        &os("--database-url"),
        &os(&target.url),
    ]);
    assert!(said.contains("the copy is identical"), "{said}");
    let original = refuge_store::SqlStore::open(&data.join("refuge.db")).unwrap();
    let returned = refuge_store::SqlStore::open(&back).unwrap();
    assert_eq!(refuge_store::copy::checks(&original).unwrap(), refuge_store::copy::checks(&returned).unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_shown_by_one_server_is_accepted_by_the_other() {
    let Some((a, b)) = two_servers().await else { return };
    add_editor(&a);
    // The load balancer sends the sign-in page from A and the sign-in to B.
    let client = jar_client();
    let form = client.get(a.url("/admin/login")).send().await.unwrap().text().await.unwrap();
    let token = attrs(&form, "input[name=token]", "value").remove(0);
    let signed_in = client
        .post(b.url("/admin/login"))
        .header("origin", &b.base)
        .form(&[("token", token.as_str()), ("email", "ed@example.org"), ("password", crate::admin::PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status().as_u16(), 303, "{}", signed_in.text().await.unwrap());
    // And the session it made is good on A too: sessions live in the database.
    let dashboard = client.get(a.url("/admin/")).send().await.unwrap();
    assert_eq!(dashboard.status().as_u16(), 200);
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_sign_ins_are_counted_across_servers() {
    let Some((a, b)) = two_servers().await else { return };
    add_editor(&a);
    // An attacker spreads guesses over both servers: five wrong passwords
    // lock the account on both, as five on one server would.
    for n in 0..5 {
        let server = if n % 2 == 0 { &a } else { &b };
        let r = crate::admin::login(&jar_client(), server, "ed@example.org", "a wrong guess here").await;
        assert_eq!(r.status().as_u16(), 401, "guess {n}");
    }
    for server in [&a, &b] {
        let r = crate::admin::login(&jar_client(), server, "ed@example.org", crate::admin::PASSWORD).await;
        assert_eq!(r.status().as_u16(), 429, "locked on {}, even with the right password", server.base);
    }
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clients_sign_ups_are_limited_across_servers() {
    let Some((a, b)) = two_servers().await else { return };
    let client = client();
    let sign_up = |server: &TestApp, n: u32| {
        let (url, base) = (server.url("/en/subscribe/"), server.base.clone());
        let client = client.clone();
        async move {
            let email = format!("reader-{n}@example.org");
            let form = [("email", email.as_str()), ("topic", "news")];
            client.post(url).header("origin", base).form(&form).send().await.unwrap().status().as_u16()
        }
    };
    // A burst of five from one address, spread over both servers...
    for n in 0..5 {
        let server = if n % 2 == 0 { &a } else { &b };
        assert_eq!(sign_up(server, n).await, 200, "sign-up {n}");
    }
    // ...and the sixth is refused by either, as by one server alone.
    assert_eq!(sign_up(&a, 5).await, 429);
    assert_eq!(sign_up(&b, 6).await, 429);
    a.stop().await;
    b.stop().await;
}
