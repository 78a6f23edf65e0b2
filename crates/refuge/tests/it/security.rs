//! Regression tests for the defects an independent attack test found
//! (issue 18): each failed on the code before its fix.

use refuge_core::{AuditReads, MediaReads, UserReads};
use std::time::Duration;

use refuge::cli::DataArg;
use refuge::cmd::user::{PasswdArgs, Reset2faArgs, UserCommand};
use refuge_core::{Email, Role, UserStore};
use refuge_media::testing::{hostile_pdf, jpeg_bomb, png_bomb};
use refuge_web::admin::totp;
use reqwest::multipart::{Form, Part};

use crate::admin::{PASSWORD, Staff, jar_client, login, sign_in};
use crate::helpers::*;
use crate::media::upload;

/// Every byte a PDF reader could see: the file and every stream inflated.
fn pdf_text(bytes: &[u8]) -> String {
    let mut text = String::from_utf8_lossy(bytes).into_owned();
    let doc = lopdf::Document::load_mem(bytes).expect("the served file is a PDF");
    for object in doc.objects.values() {
        if let lopdf::Object::Stream(s) = object {
            let plain = s.decompressed_content().unwrap_or_else(|_| s.content.clone());
            text.push_str(&String::from_utf8_lossy(&plain));
        }
    }
    text
}

#[test]
fn the_pdf_fixture_really_carries_what_must_go() {
    let text = pdf_text(&hostile_pdf());
    for needle in ["Jane Roe", "/Auth#6Fr", "/Cr#65ator", "Safe House", "jane@example.org", "CreationDate"] {
        assert!(text.contains(needle), "{needle}");
    }
    assert!(text.contains("GPSLatitude"), "in the inflated XMP stream");
    assert!(text.contains("/JavaScript") && text.contains("/Launch") && text.contains("/EmbeddedFile"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn served_pdfs_keep_no_metadata_scripts_or_old_revisions() {
    let app = spawn_app().await;
    let ed = sign_in(&app, "ed@example.org", Role::Editor, &[]).await;
    let page = upload(&ed, "report.pdf", &hostile_pdf(), "Annual report", "年次報告").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("document information"), "the editor is told what was removed");
    let link = attrs(&page.body, "section.media-item a", "href").into_iter().find(|h| h.ends_with(".pdf")).unwrap();
    let (status, _, bytes) = app.get_bytes(&link, &[]).await;
    assert_eq!(status, 200);
    let text = pdf_text(&bytes);
    for needle in [
        "Jane",
        "Roe",
        "4A616E65",
        "Safe House",
        "Company",
        "jane@example.org",
        "AuthorEmail",
        "CreationDate",
        "20250314",
        "xmpmeta",
        "GPS",
        "/Metadata",
        "JavaScript",
        "/JS",
        "/Launch",
        "cmd.exe",
        "EmbeddedFile",
        "/OpenAction",
        "/Info",
    ] {
        assert!(!text.contains(needle), "{needle} is still in the served file");
    }
    assert_eq!(text.matches("%%EOF").count(), 1, "one revision only");

    // A PDF that cannot be rebuilt is refused, never published with a warning.
    let broken = upload(&ed, "broken.pdf", b"%PDF-1.7\n1 0 obj << /Author (Jane) >>\n", "x", "x").await;
    assert_eq!(broken.status, 422);
    assert!(broken.body.contains("not published"), "says so");
    let (list, _) = app.store.media_list(0, 10).unwrap();
    assert_eq!(list.len(), 1, "only the cleaned file is in the library");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_redirect_leads_off_the_site() {
    let app = spawn_app().await;
    for path in [
        "/%2Fevil.example%23/search",
        "/%5Cevil.example/search",
        "/%09%2Fevil.example/search",
        "/%2F%2Fevil.example/search",
        "/%2Fevil.example/",
        "/en/%2F%2Fevil.example",
        "/%2Fevil.example%23/search?q=x",
        "//evil.example/search",
    ] {
        let page = app.get(path).await;
        if let Some(location) = page.header("location") {
            let second = location.as_bytes().get(1).copied();
            assert!(
                location.starts_with('/') && second != Some(b'/') && second != Some(b'\\') && !location.contains('\t'),
                "{path} → {location}"
            );
        }
    }
    assert_eq!(app.get("/%2Fevil.example%23/search").await.status, 404);
    assert_eq!(app.get("/en/search").await.header("location"), Some("/en/search/"));

    // The sign-in `next` cannot chain into it, nor break the redirect.
    app.store.add_user(&Email::parse("ed@example.org").unwrap(), Role::Editor, PASSWORD).unwrap();
    for next in [
        "/admin/../%252Fevil.example%2523/search",
        "/admin/%2e%2e/%2Fevil.example",
        "/admin//evil.example",
        "/admin/\u{1}",
        "/admin/\r\nSet-Cookie: x=1",
    ] {
        let client = jar_client();
        let form = client.get(app.url("/admin/login")).send().await.unwrap().text().await.unwrap();
        let token = attrs(&form, "input[name=token]", "value").remove(0);
        let r = client
            .post(app.url("/admin/login"))
            .header("origin", &app.base)
            .form(&[("token", token.as_str()), ("email", "ed@example.org"), ("password", PASSWORD), ("next", next)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 303, "{next:?}: a redirect, not an error");
        assert_eq!(r.headers()["location"], "/admin/", "{next:?}");
    }
    // A next in the query string with a control character, as the probe sent it.
    let page = app.get("/admin/login?next=/admin/%01").await;
    assert_eq!(page.status, 200);
    assert_eq!(attrs(&page.body, "input[name=next]", "value"), ["/admin/"]);
    app.stop().await;
}

fn code_at(secret: &str, at: u64) -> String {
    format!("{:06}", totp::hotp(&totp::unbase32(secret).unwrap(), at / 30, 6))
}

fn now() -> u64 {
    time::OffsetDateTime::now_utc().unix_timestamp().unsigned_abs()
}

/// Signs in with password and code; the response to the code form.
async fn sign_in_with_code(app: &TestApp, client: &reqwest::Client, email: &str, code: &str) -> reqwest::Response {
    let first = login(client, app, email, PASSWORD).await;
    assert_eq!(first.status().as_u16(), 303);
    let to = first.headers()["location"].to_str().unwrap().to_owned();
    assert!(to.starts_with("/admin/login/code"), "{to}");
    let page = client.get(app.url(&to)).send().await.unwrap().text().await.unwrap();
    let csrf = attrs(&page, "input[name=csrf]", "value").remove(0);
    assert!(!csrf.is_empty(), "the code form carries its token");
    client
        .post(app.url("/admin/login/code"))
        .header("origin", &app.base)
        .form(&[("csrf", csrf.as_str()), ("code", code), ("next", "/admin/")])
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_step_sign_in_works_once_per_code_and_can_be_reset() {
    let app = spawn_app().await;
    let ed = sign_in(&app, "ed@example.org", Role::Editor, &[]).await;
    let account = ed.get("/admin/account").await;
    let secret = attrs(&account.body, "input[name=secret]", "value").remove(0);

    // Turning it on asks for the password; a wrong code keeps the same secret.
    let no_password =
        ed.post("/admin/account/totp/on", &[("secret", &secret), ("code", &code_at(&secret, now()))]).await;
    assert_eq!(no_password.status, 422);
    let wrong =
        ed.post("/admin/account/totp/on", &[("secret", &secret), ("current", PASSWORD), ("code", "000000")]).await;
    assert_eq!(
        attrs(&wrong.body, "input[name=secret]", "value"),
        std::slice::from_ref(&secret),
        "same secret shown again"
    );
    // Another session of the account, opened with the password alone
    // (perhaps by whoever made the owner turn two-step sign-in on).
    let elsewhere = jar_client();
    let opened = crate::admin::login(&elsewhere, &app, "ed@example.org", PASSWORD).await;
    assert_eq!(opened.status().as_u16(), 303);
    assert_eq!(elsewhere.get(app.url("/admin/")).send().await.unwrap().status().as_u16(), 200);
    let used = code_at(&secret, now());
    let on = ed.post("/admin/account/totp/on", &[("secret", &secret), ("current", PASSWORD), ("code", &used)]).await;
    assert_eq!(on.status, 200, "{}", on.body);
    assert!(app.store.totp_secret(1).is_ok());
    // It ends with the change; this one goes on.
    let after = elsewhere.get(app.url("/admin/")).send().await.unwrap();
    assert_eq!(after.status().as_u16(), 303, "the other session ended");
    assert_eq!(ed.get("/admin/account").await.status, 200, "this session goes on");

    // The setup code cannot be used to sign in; the next step's can, once.
    let client = jar_client();
    let replay = sign_in_with_code(&app, &client, "ed@example.org", &used).await;
    assert_eq!(replay.status().as_u16(), 401, "the code used at setup is spent");
    let next = code_at(&secret, now() + 30);
    let client = jar_client();
    let ok = sign_in_with_code(&app, &client, "ed@example.org", &next).await;
    assert_eq!(ok.status().as_u16(), 303);
    assert_eq!(ok.headers()["location"], "/admin/");
    assert_eq!(client.get(app.url("/admin/")).send().await.unwrap().status().as_u16(), 200, "signed in");
    let again = sign_in_with_code(&app, &jar_client(), "ed@example.org", &next).await;
    assert_eq!(again.status().as_u16(), 401, "the same code twice is refused");

    // An admin turns it off for the account (a lost phone): audited, sessions end.
    let admin = sign_in(&app, "boss@example.org", Role::Admin, &[]).await;
    let users = admin.get("/admin/users").await;
    let ed_id = app.store.users().unwrap().into_iter().find(|u| u.email.as_str() == "ed@example.org").unwrap().id;
    assert!(users.body.contains(&format!("/admin/users/{ed_id}/totp/off")));
    let reset = admin.post(&format!("/admin/users/{ed_id}/totp/off"), &[]).await;
    assert_eq!(reset.status, 200);
    assert!(!app.store.user(ed_id).unwrap().unwrap().totp);
    assert_eq!(client.get(app.url("/admin/")).send().await.unwrap().status().as_u16(), 303, "its sessions ended");
    assert_eq!(login(&jar_client(), &app, "ed@example.org", PASSWORD).await.headers()["location"], "/admin/");
    let editor = sign_in_as(&app, "ed@example.org").await;
    assert_eq!(editor.post(&format!("/admin/users/{ed_id}/totp/off"), &[]).await.status, 403, "admins only");

    // And from the command line.
    app.store.set_totp(ed_id, Some(&secret), &[]).unwrap();
    let data = DataArg::new(app.data_dir.clone());
    let email = "ed@example.org".to_owned();
    tokio::task::spawn_blocking(move || refuge::cmd::user::run(UserCommand::Reset2fa(Reset2faArgs { email, data })))
        .await
        .unwrap()
        .unwrap();
    assert!(!app.store.user(ed_id).unwrap().unwrap().totp);
    let (entries, _) = app.store.audit_entries(0, 50).unwrap();
    let resets: Vec<&str> =
        entries.iter().filter(|e| e.action == "two-step sign-in reset").map(|e| e.actor.as_str()).collect();
    assert_eq!(resets, ["command line", "boss@example.org"]);
    app.stop().await;
}

/// Signs an existing account in (no second factor).
async fn sign_in_as(app: &TestApp, email: &str) -> Staff {
    let client = jar_client();
    assert_eq!(login(&client, app, email, PASSWORD).await.status().as_u16(), 303);
    let dashboard = client.get(app.url("/admin/")).send().await.unwrap().text().await.unwrap();
    let csrf = attrs(&dashboard, "input[name=csrf]", "value").remove(0);
    Staff { client, base: app.base.clone(), csrf }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_password_ends_every_other_session() {
    let app = spawn_app().await;
    let a = sign_in(&app, "ed@example.org", Role::Editor, &[]).await;
    let b = sign_in_as(&app, "ed@example.org").await;
    assert_eq!(b.get("/admin/").await.status, 200);
    let new = "another long enough password";
    let changed = a.post("/admin/account/password", &[("current", PASSWORD), ("new1", new), ("new2", new)]).await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    assert_eq!(b.get("/admin/").await.status, 303, "session B ended");
    assert_eq!(a.get("/admin/").await.status, 200, "session A continues");
    let wrong = a.post("/admin/account/password", &[("current", "not it at all"), ("new1", new), ("new2", new)]).await;
    assert!(wrong.body.contains("current password is not right"), "says which password is wrong");

    // `refuge user passwd` ends them all.
    let data = DataArg::new(app.data_dir.clone());
    let args = PasswdArgs { email: "ed@example.org".into(), password_stdin: false, data };
    tokio::task::spawn_blocking(move || refuge::cmd::user::run(UserCommand::Passwd(args))).await.unwrap().unwrap();
    assert_eq!(a.get("/admin/").await.status, 303, "session A ended too");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn image_bombs_get_a_clear_answer_without_decoding() {
    let app = spawn_app().await;
    let ed = sign_in(&app, "ed@example.org", Role::Editor, &[]).await;
    let bombs = [("bomb.jpg", jpeg_bomb(11_999, 11_999)), ("bomb.png", png_bomb(8_000, 8_000))];
    assert!(bombs[0].1.len() < 1000, "a few hundred bytes");
    // Four at once, as the probe sent them: each gets an answer.
    let mut answers = Vec::new();
    for i in 0..4 {
        let (name, bytes) = bombs[i % 2].clone();
        let staff = Staff { client: ed.client.clone(), base: ed.base.clone(), csrf: ed.csrf.clone() };
        answers.push(tokio::spawn(async move { upload(&staff, name, &bytes, "x", "x").await }));
    }
    for answer in answers {
        let page = answer.await.unwrap();
        assert_eq!(page.status, 422, "{}", page.body);
        assert!(page.body.contains("too large to process safely"), "{}", page.body);
        assert!(page.body.contains("megapixels"));
    }
    assert!(std::fs::read_dir(app.data_dir.join("media")).unwrap().next().is_none(), "nothing stored");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_that_times_out_leaves_no_file_without_a_row() {
    let app = spawn_with(|c| c.request_timeout_seconds = 1).await;
    let ed = sign_in(&app, "ed@example.org", Role::Editor, &[]).await;
    // Large enough that cleaning it takes longer than the timeout.
    let img = image::DynamicImage::ImageRgb8(image::RgbImage::from_fn(6000, 4000, |x, y| {
        image::Rgb([(x % 251) as u8, (y % 241) as u8, ((x ^ y) % 239) as u8])
    }));
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90).encode_image(&img).unwrap();
    let page = upload(&ed, "big.jpg", &jpeg, "A big photo", "大きな写真").await;
    assert_eq!(page.status, 408, "the request timed out while the image was being cleaned");
    // Whatever the answer, once the work is over every file has its row.
    let media = app.data_dir.join("media");
    let mut settled = 0;
    for _ in 0..600 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let names: Vec<String> =
            std::fs::read_dir(&media).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        if names.iter().any(|n| n.ends_with(".part")) {
            settled = 0;
            continue;
        }
        settled += 1;
        if settled == 20 {
            break;
        }
    }
    let known = app.store.media_stored_names().unwrap();
    for entry in std::fs::read_dir(&media).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        assert!(known.iter().any(|k| name.starts_with(k.as_str())), "{name} has no row (answer was {})", page.status);
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_no_row_refers_to_are_removed_at_start() {
    // Files left by a crash (an hour old) and an upload in progress.
    let leave = |media: &std::path::Path, stem: char| {
        std::fs::create_dir_all(media).unwrap();
        let orphan = media.join(format!("{}.jpg", stem.to_string().repeat(32)));
        let part = media.join(format!("{}-480.jpg.part", stem.to_string().repeat(32)));
        for path in [&orphan, &part] {
            std::fs::write(path, b"left by a crash").unwrap();
            let old = std::time::SystemTime::now() - Duration::from_secs(3600);
            std::fs::File::options().write(true).open(path).unwrap().set_modified(old).unwrap();
        }
        (orphan, part)
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let media = data.join("media");
    let (orphan, part) = leave(&media, 'a');
    let young = media.join(format!("{}.png.part", "c".repeat(32)));
    std::fs::write(&young, b"an upload in progress").unwrap();
    // The start's housekeeping removes what no row refers to.
    let app = spawn_in(data, refuge::app::StartOptions { inbox_work_factor: Some(10), ..Default::default() }).await;
    for _ in 0..200 {
        if !orphan.exists() && !part.exists() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!orphan.exists() && !part.exists(), "removed at start");
    assert!(young.exists(), "an upload in progress is kept");
    // And so does every later sweep, which counts them.
    let (orphan, part) = leave(&media, 'd');
    assert_eq!(refuge_web::sweep_media(&app.state, Duration::from_secs(15 * 60)).await, 2);
    assert!(!orphan.exists() && !part.exists() && young.exists());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forms_check_the_configured_origin_and_requests_need_a_host() {
    let app = spawn_app().await;
    let ed = sign_in(&app, "ed@example.org", Role::Editor, &[]).await;
    // An attacker's page at evil.example, reached through a DNS name that
    // points here: Host and Origin agree, but neither is this site.
    let r = ed
        .client
        .post(app.url("/admin/account/sessions/end"))
        .header("host", "evil.example")
        .header("origin", "http://evil.example")
        .form(&[("csrf", ed.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    assert_eq!(ed.get("/admin/").await.status, 200, "still signed in");

    // HTTP/1.1 without Host.
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut socket = tokio::net::TcpStream::connect(app.base.trim_start_matches("http://")).await.unwrap();
    socket.write_all(b"GET /en/ HTTP/1.1\r\nConnection: close\r\n\r\n").await.unwrap();
    let mut answer = Vec::new();
    socket.read_to_end(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_ups_take_a_bare_address_and_a_lost_confirmation_can_be_sent_again() {
    let app = spawn_app().await;
    let subscribe = |email: &'static str| {
        let app = &app;
        async move {
            let r = app
                .client
                .post(app.url("/en/subscribe/"))
                .form(&[("email", email), ("topic", "news")])
                .send()
                .await
                .unwrap();
            r.status().as_u16()
        }
    };
    // (The form allows five sign-ups at once from one client: two refused, three kept.)
    assert_eq!(subscribe("\"Friend\"<a@b.example>").await, 422);
    assert_eq!(subscribe("a@b.example, c@d.example").await, 422);
    assert_eq!(queued_to(&app, "a@b.example"), 0);

    assert_eq!(subscribe("kim@example.org").await, 200);
    assert_eq!(queued_to(&app, "kim@example.org"), 1);
    // The mail was lost; a second sign-up an hour later sends it again.
    refuge_store_backdate_confirmation(&app, "kim@example.org");
    assert_eq!(subscribe("kim@example.org").await, 200);
    assert_eq!(queued_to(&app, "kim@example.org"), 1, "sent again");
    assert_eq!(subscribe("kim@example.org").await, 200);
    assert_eq!(queued_to(&app, "kim@example.org"), 0, "but not twice within the hour");
    app.stop().await;
}

/// Moves the last confirmation mail of `email` two hours into the past.
fn refuge_store_backdate_confirmation(app: &TestApp, email: &str) {
    let conn = rusqlite::Connection::open(app.data_dir.join("refuge.db")).unwrap();
    conn.busy_timeout(Duration::from_secs(5)).unwrap();
    let past = (time::OffsetDateTime::now_utc() - time::Duration::hours(2))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let n = conn.execute("UPDATE subscribers SET confirm_sent_at = ?1 WHERE email = ?2", (past, email)).unwrap();
    assert_eq!(n, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_contact_message_with_two_files_is_refused_with_the_text_kept() {
    let app = spawn_app().await;
    let page = app.get("/en/contact/").await;
    let token = attrs(&page.body, "input[name=token]", "value").remove(0);
    tokio::time::sleep(Duration::from_millis(3100)).await;
    let text = "Two scans of the letter, TEXT-KEPT-7731";
    let form = Form::new()
        .text("token", token)
        .text("text", text)
        .text("category", "help")
        .part("attachment", Part::bytes(b"first".to_vec()).file_name("one.txt"))
        .part("attachment", Part::bytes(b"second".to_vec()).file_name("two.txt"));
    let r = app.client.post(app.url("/en/contact/")).multipart(form).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 422);
    let body = r.text().await.unwrap();
    assert!(body.contains("Only one file"), "{body}");
    assert!(body.contains("TEXT-KEPT-7731"), "the text is kept");
    let (list, _) = refuge_core::MessageReads::messages(&*app.store, 0, 10).unwrap();
    assert!(list.is_empty(), "nothing stored");
    app.stop().await;
}

/// Two-step sign-in as a person sets it up: the secret read off the
/// page, a code computed from it, sign out, then password and code.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_step_sign_in_in_the_browser() {
    let Some(browser) = crate::browser::Browser::start().await else { return };
    let app = spawn_app().await;
    app.store.add_user(&Email::parse("ed@example.org").unwrap(), Role::Editor, PASSWORD).unwrap();
    browser.go(&app.url("/admin/login")).await;
    browser.type_into("#email", "ed@example.org").await;
    browser.type_into("#password", PASSWORD).await;
    browser.click("form button[type=submit]").await;
    browser.wait_for("the dashboard", |url, _| url.ends_with("/admin/")).await;

    browser.go(&app.url("/admin/account")).await;
    let secret = browser.run_script("return document.querySelector('input[name=secret]').value").await;
    let secret = secret.as_str().unwrap().to_owned();
    browser.type_into("#totp-on-pw", PASSWORD).await;
    browser.type_into("#totp-code", &code_at(&secret, now())).await;
    browser.screenshot("admin-totp-setup").await;
    browser.click("form[action='/admin/account/totp/on'] button[type=submit]").await;
    browser.wait_for("the recovery codes", |_, source| source.contains("class=\"recovery-codes\"")).await;
    browser.screenshot("admin-recovery-codes").await;

    browser.click("form[action='/admin/logout'] button[type=submit]").await;
    browser.wait_for("the sign-in page", |url, _| url.contains("/admin/login")).await;
    browser.type_into("#email", "ed@example.org").await;
    browser.type_into("#password", PASSWORD).await;
    browser.click("form button[type=submit]").await;
    browser.wait_for("the code page", |url, _| url.contains("/admin/login/code")).await;
    // The next time step's code: the one used to set up is spent.
    browser.type_into("#code", &code_at(&secret, now() + 30)).await;
    browser.screenshot("admin-totp-code").await;
    browser.click("form button[type=submit]").await;
    let page = browser.wait_for("the dashboard", |url, _| url.ends_with("/admin/")).await;
    assert!(page.contains("ed@example.org"), "signed in with password and code");
    browser.close().await;
    app.stop().await;
}

/// Recovery codes as people keep them: a list to print or download
/// (not a banner gone at the next click), how many are left, and new
/// ones that end the old. (They could not be downloaded, printed or
/// made anew.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recovery_codes_are_a_list_to_keep_and_can_be_made_anew() {
    let app = spawn_app().await;
    let ed = sign_in(&app, "ed@example.org", Role::Editor, &[]).await;
    let account = ed.get("/admin/account").await;
    let secret = attrs(&account.body, "input[name=secret]", "value").remove(0);
    let on = ed
        .post(
            "/admin/account/totp/on",
            &[("secret", &secret), ("current", PASSWORD), ("code", &code_at(&secret, now()))],
        )
        .await;
    assert_eq!(on.status, 200, "{}", on.body);
    let codes = texts(&on.body, "ol.recovery-codes li");
    assert_eq!(codes.len(), 10, "a list, one code a line: {codes:?}");
    assert!(codes.iter().all(|c| c.len() == 11 && c.as_bytes()[5] == b'-'), "{codes:?}");
    let file = ed.get("/admin/account/recovery-codes.txt").await;
    assert_eq!(file.status, 200);
    assert!(file.header("content-disposition").unwrap().starts_with("attachment"));
    assert_eq!(file.header("cache-control"), Some("no-store"));
    assert!(codes.iter().all(|c| file.body.contains(c.as_str())), "the same codes in the file");
    let other = sign_in(&app, "other@example.org", Role::Editor, &[]).await;
    assert_eq!(other.get("/admin/account/recovery-codes.txt").await.status, 404, "another account gets none");

    // One used at sign-in: nine left, said on the account page.
    let client = jar_client();
    let used = sign_in_with_code(&app, &client, "ed@example.org", &codes[0].to_uppercase()).await;
    assert_eq!(used.status().as_u16(), 303, "a code typed in capitals works");
    let page = ed.get("/admin/account").await;
    assert!(page.body.contains("Recovery codes left: 9 of 10."), "{}", page.body);

    // New ones end the old; the password is asked.
    let refused = ed.post("/admin/account/recovery-codes", &[("current", "not it")]).await;
    assert_eq!(refused.status, 422);
    let renewed = ed.post("/admin/account/recovery-codes", &[("current", PASSWORD)]).await;
    let fresh = texts(&renewed.body, "ol.recovery-codes li");
    assert_eq!(fresh.len(), 10);
    let old = sign_in_with_code(&app, &jar_client(), "ed@example.org", &codes[1]).await;
    assert_eq!(old.status().as_u16(), 401, "an old code no longer works");
    let new = sign_in_with_code(&app, &jar_client(), "ed@example.org", &fresh[1]).await;
    assert_eq!(new.status().as_u16(), 303);
    let (entries, _) = app.store.audit_entries(0, 20).unwrap();
    assert!(entries.iter().any(|e| e.action == "new recovery codes"));
    app.stop().await;
}
