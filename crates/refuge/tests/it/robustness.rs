//! Bad input, restarts, damaged data, and the command line.

use refuge_core::UserReads;
use std::io::Write;
use std::process::{Command, Stdio};

use refuge::app::{App, StartOptions};
use refuge::config::Config;
use refuge_core::Email;

use crate::helpers::*;

#[tokio::test]
async fn bad_input_gets_a_clean_answer() {
    let app = spawn_app().await;
    let long = format!("/en/{}/", "a".repeat(5000));
    let cases: Vec<(String, u16)> = vec![
        ("/en/Bad_Slug!/".into(), 404),
        ("/en/news/%FF%FE/".into(), 404),
        ("/en/news/?q=%FF%FE%00".into(), 200),
        ("/en/?%E0%A4%A".into(), 200),
        (long, 404),
        ("/en/news/page/99999999999/".into(), 404),
        ("/en/../../etc/passwd".into(), 404),
        ("/%00/".into(), 404),
        ("/en/news/tag/%00/".into(), 404),
        ("/ja/news/category/no-such-category/".into(), 404),
    ];
    for (path, expected) in cases {
        let page = app.get(&path).await;
        assert_eq!(page.status, expected, "{}", &path[..path.len().min(60)]);
        assert!(page.header("content-type").unwrap_or_default().starts_with("text/html"));
    }
    let response = app.client.post(app.url("/en/")).body("x").send().await.unwrap();
    assert_eq!(response.status().as_u16(), 405);
    let response = app.client.post(app.url("/en/")).body(vec![b'x'; 3 * 1024 * 1024]).send().await.unwrap();
    assert!(matches!(response.status().as_u16(), 405 | 413), "{}", response.status());
    assert_eq!(app.get("/healthz").await.status, 200);
    app.stop().await;
}

#[tokio::test]
async fn first_start_creates_an_admin_once() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let first = spawn_in(data.clone(), StartOptions { inbox_work_factor: Some(10), ..StartOptions::default() }).await;
    let account = first.first_account.clone().expect("first start creates an account");
    assert!(account.password.len() >= 16);
    let email = Email::parse(&account.email).unwrap();
    assert!(first.store.verify_password(&email, &account.password).unwrap().is_some());
    assert!(data.join("refuge.toml").is_file() && data.join("theme").is_dir() && data.join("media").is_dir());
    first.stop().await;
    let second = spawn_in(data.clone(), StartOptions { inbox_work_factor: Some(10), ..StartOptions::default() }).await;
    assert!(second.first_account.is_none(), "a second start prints no new password");
    assert_eq!(second.get("/en/about/").await.status, 200, "and keeps the content");
    second.stop().await;
}

#[tokio::test]
async fn no_demo_starts_empty_but_working() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_in(dir.path().join("data"), StartOptions { no_demo: true, inbox_work_factor: Some(10) }).await;
    let home = app.get("/en/").await;
    assert_eq!(home.status, 200);
    assert!(home.body.contains("There is no news here yet."));
    assert_eq!(app.get("/en/about/").await.status, 404);
    assert_eq!(app.get("/ja/news/").await.status, 200);
    app.stop().await;
}

#[tokio::test]
async fn damaged_database_is_refused_and_kept() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let garbage = b"SQLite format 2\0 definitely not a database".repeat(100);
    std::fs::write(data.join("refuge.db"), &garbage).unwrap();
    let mut config = Config::defaults(&data);
    config.addr = "127.0.0.1:0".into();
    let err = App::build(config, StartOptions { inbox_work_factor: Some(10), ..StartOptions::default() })
        .await
        .err()
        .expect("refused");
    let text = format!("{err:#}");
    assert!(text.contains("refuge.db") && text.contains("Nothing was changed"), "{text}");
    assert_eq!(std::fs::read(data.join("refuge.db")).unwrap(), garbage);
}

#[tokio::test]
async fn unknown_setting_is_named() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("refuge.toml"), "adress = \"127.0.0.1:1\"\n").unwrap();
    let err = Config::load(dir.path()).unwrap_err().to_string();
    assert!(err.contains("adress"), "{err}");
}

fn refuge() -> Command {
    Command::new(env!("CARGO_BIN_EXE_refuge"))
}

/// Under a supervisor (no terminal), the first start's password and inbox
/// passphrase never reach standard output or the log, which a journal
/// keeps on the same disk as the inbox key: they go to a file only the
/// owner can read, which the log names.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_secrets_go_to_a_private_file_when_there_is_no_terminal() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let log = dir.path().join("stderr.log");
    let mut child = refuge()
        .args(["serve", "--no-demo", "--addr", &format!("127.0.0.1:{port}"), "--data"])
        .arg(&data)
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let banner = tokio::task::spawn_blocking(move || {
        let mut text = String::new();
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            text.push_str(&line);
            text.push('\n');
            if line.contains("Press Ctrl-C") {
                break;
            }
        }
        text
    })
    .await
    .unwrap();
    let file = refuge_web::first_secrets_path(&data);
    let secrets = std::fs::read_to_string(&file).expect("the secrets' file");
    let _ = child.kill();
    let _ = child.wait();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
    let password = secrets.lines().find_map(|l| l.trim().strip_prefix("password:")).unwrap().trim().to_owned();
    let lines: Vec<&str> = secrets.lines().collect();
    let at = lines.iter().position(|l| l.contains("passphrase, shown only this once")).unwrap();
    let passphrase = lines[at + 1].trim().to_owned();
    assert!(password.len() >= 12 && passphrase.len() >= 12, "{secrets}");
    let logged = std::fs::read_to_string(&log).unwrap();
    for (what, text) in [("standard output", &banner), ("the log", &logged)] {
        assert!(!text.contains(&password) && !text.contains(&passphrase), "a secret in {what}: {text}");
        assert!(text.contains("first-start-secrets.txt"), "{what} names the file: {text}");
    }
}

/// While that file exists, the dashboard tells admins (and only them) to
/// keep the secrets elsewhere and delete it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_reminds_admins_to_delete_the_secrets_file() {
    let app = spawn_app().await;
    let file = refuge_web::first_secrets_path(&app.data_dir);
    std::fs::write(&file, "password: x\n").unwrap();
    let boss = crate::admin::sign_in(&app, "boss@example.org", refuge_core::Role::Admin, &[]).await;
    let editor = crate::admin::sign_in(&app, "ed@example.org", refuge_core::Role::Editor, &[]).await;
    let shown = select(&boss.get("/admin/").await.body, "#secrets-file").concat();
    assert!(shown.contains("first-start-secrets.txt"), "{shown}");
    assert!(select(&editor.get("/admin/").await.body, "#secrets-file").is_empty(), "admins only");
    std::fs::remove_file(&file).unwrap();
    assert!(select(&boss.get("/admin/").await.body, "#secrets-file").is_empty(), "gone with the file");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_add_and_healthcheck_from_the_command_line() {
    let app = spawn_app().await;
    let data = app.data_dir.to_str().unwrap().to_owned();
    let mut child = refuge()
        .args(["user", "add", "ed@example.org", "--role", "editor", "--password-stdin", "--data", &data])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"a long editor password\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let email = Email::parse("ed@example.org").unwrap();
    assert!(app.store.verify_password(&email, "a long editor password").unwrap().is_some());

    let again = refuge().args(["user", "add", "ed@example.org", "--role", "editor", "--data", &data]).output().unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));

    let addr = app.base.trim_start_matches("http://").to_owned();
    let ok = refuge().args(["healthcheck", "--addr", &addr]).output().unwrap();
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    app.stop().await;
    let down = refuge().args(["healthcheck", "--addr", &addr, "--timeout", "1"]).output().unwrap();
    assert!(!down.status.success());
}

#[test]
fn help_explains_the_commands() {
    let out = refuge().arg("--help").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for word in ["serve", "user", "healthcheck"] {
        assert!(text.contains(word), "{text}");
    }
    let out = refuge().args(["serve", "--help"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("--no-demo") && text.contains("REFUGE_DATA") && text.contains("--addr"), "{text}");
}

/// While the database is away, readers get each page as it was last made
/// (a list, the home page), never an error, unless it shows a name
/// protected since: then nothing old is sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_last_made_are_sent_while_the_database_is_away() {
    use refuge_core::{ContentStore, Kind, Language, PublicContent, Slug};
    let app = spawn_app().await;
    let en = Language::parse("en").unwrap();
    let item = app.store.published_item(Kind::News, &en, &Slug::parse("winter-relief-2025").unwrap()).unwrap().unwrap();
    // A name written in full, then protected by an editor.
    let named = refuge_core::ItemDraft { title: "Winter relief with Ryu Sun-ok".into(), ..draft_of(&item) };
    let shown = app.store.save_item(Some(item.id), &named).unwrap();
    app.state.item_changed(Some(&item), Some(&shown));
    let home = app.get("/en/").await;
    let news = app.get("/en/news/").await;
    assert!(news.body.contains("Ryu Sun-ok"));
    let protected =
        refuge_core::ItemDraft { title: "Winter relief with [[name:Ryu Sun-ok]]".into(), ..draft_of(&item) };
    let hidden = app.store.save_item(Some(item.id), &protected).unwrap();
    app.state.item_changed(Some(&shown), Some(&hidden));
    // The home page is made again (with the name hidden); the news list is not.
    let home_again = app.get("/en/").await;
    assert!(!home_again.body.contains("Ryu Sun-ok"));
    // Then every page is dropped (as a change elsewhere would), and the
    // database goes away.
    app.state.invalidate(&[refuge_render::Dep::Site]);
    let side = rusqlite::Connection::open(app.data_dir.join("refuge.db")).unwrap();
    side.execute_batch("ALTER TABLE items RENAME TO items_away;").unwrap();
    let kept = app.get("/en/").await;
    assert_eq!(kept.status, 200, "the home page as last made");
    assert_eq!(kept.body, home_again.body);
    assert!(home.status == 200);
    let list = app.get("/en/news/").await;
    assert_ne!(list.status, 200, "the list last made shows a name protected since: not sent");
    assert!(!list.body.contains("Ryu Sun-ok"));
    let never = app.get("/en/about/").await;
    assert!(never.status >= 500, "a page never made cannot be sent: {}", never.status);
    side.execute_batch("ALTER TABLE items_away RENAME TO items;").unwrap();
    assert_eq!(app.get("/en/about/").await.status, 200, "back with the database");
    app.stop().await;
}
