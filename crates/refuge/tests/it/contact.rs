//! The contact form and the encrypted inbox.

use refuge_core::ListReads;
use std::process::Command;
use std::time::Duration;

use refuge_core::{Outbox, Role};
use reqwest::multipart::{Form, Part};

use crate::admin::sign_in;
use crate::helpers::*;

const MARKER: &str = "MARKER-c0ffee-41d7: my brother is held in the detention centre";

async fn form_token(app: &TestApp, lang: &str) -> String {
    let page = app.get(&format!("/{lang}/contact/")).await;
    assert_eq!(page.status, 200);
    attrs(&page.body, "input[name=token]", "value").remove(0)
}

async fn send(
    app: &TestApp,
    lang: &str,
    token: &str,
    text: &str,
    extra: &[(&str, &str)],
    file: Option<Vec<u8>>,
) -> Page {
    let mut form = Form::new().text("token", token.to_owned()).text("text", text.to_owned()).text("category", "help");
    for (k, v) in extra {
        form = form.text(k.to_string(), v.to_string());
    }
    if let Some(bytes) = file {
        form = form.part("attachment", Part::bytes(bytes).file_name("scan.pdf"));
    }
    let r = app.client.post(app.url(&format!("/{lang}/contact/"))).multipart(form).send().await.unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    Page { status, headers, body: r.text().await.unwrap() }
}

/// Every byte under `dir`, file by file.
fn files(dir: &std::path::Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files(&path));
        } else if let Ok(bytes) = std::fs::read(&path) {
            out.push((path, bytes));
        }
    }
    out
}

fn contains(bytes: &[u8], needle: &str) -> bool {
    bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_are_sealed_and_read_only_after_unlocking() {
    // A mail server that cannot be reached: the reply waits in the outbox.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let app = spawn_with(|c| c.smtp = Some(crate::mailing::smtp(closed))).await;
    let token = form_token(&app, "ja").await;
    tokio::time::sleep(Duration::from_millis(3100)).await;
    let attachment = b"%PDF-1.4 attachment ATTACH-MARKER-9e1".to_vec();
    let sent =
        send(&app, "ja", &token, MARKER, &[("name", "Kim"), ("reply_to", "kim@example.org")], Some(attachment.clone()))
            .await;
    assert_eq!(sent.status, 200, "{}", select(&sent.body, "p.error").join(""));
    assert!(sent.body.contains("メッセージを受け取り"), "thanked in Japanese");
    assert!(sent.header("set-cookie").is_none());

    // Neither the database, its WAL nor anything else in the data folder
    // contains what was written.
    for (path, bytes) in files(&app.data_dir) {
        for needle in ["MARKER-c0ffee", "ATTACH-MARKER", "kim@example.org"] {
            assert!(!contains(&bytes, needle), "{} contains {needle}", path.display());
        }
    }

    let boss = sign_in(&app, "boss@example.org", Role::Admin, &[]).await;
    let editor = sign_in(&app, "ed@example.org", Role::Editor, &[]).await;
    assert_eq!(editor.get("/admin/inbox").await.status, 403, "admins only");
    let inbox = boss.get("/admin/inbox").await;
    let links = attrs(&inbox.body, "table.rows a", "href");
    assert!(links.is_empty(), "nothing readable before unlocking");
    assert!(inbox.body.contains("help") || inbox.body.contains("Asking for help"));
    assert!(inbox.body.contains("deleted for good 90 days after"), "the retention period is stated");
    let (list, _) = refuge_core::MessageReads::messages(&*app.store, 0, 10).unwrap();
    let id = list[0].id;
    assert_eq!(boss.get(&format!("/admin/inbox/{id}")).await.status, 303, "locked: sent back to the list");

    let wrong = boss.post("/admin/inbox/unlock", &[("passphrase", "not the passphrase")]).await;
    assert_eq!(wrong.status, 422);
    let passphrase = app.first_inbox.clone().expect("a first start prints the passphrase").passphrase;
    let unlocked = boss.post("/admin/inbox/unlock", &[("passphrase", &passphrase)]).await;
    assert_eq!(unlocked.status, 200);
    let message = boss.get(&format!("/admin/inbox/{id}")).await;
    assert_eq!(message.status, 200);
    assert!(message.body.contains(MARKER) && message.body.contains("kim@example.org"));
    let r = boss.client.get(app.url(&format!("/admin/inbox/{id}/attachment"))).send().await.unwrap();
    let disposition = r.headers()["content-disposition"].to_str().unwrap().to_owned();
    assert!(disposition.contains("filename=\"scan.pdf\""), "the sender's file name, cleaned: {disposition}");
    assert_eq!(r.bytes().await.unwrap().to_vec(), attachment);

    // A reply goes to the writer's address, in their language, without
    // their words quoted; the message is then handled.
    let path = format!("/admin/inbox/{id}/reply");
    assert_eq!(boss.post(&path, &[("text", "  ")]).await.status, 422, "an empty reply is refused");
    let replied = boss.post(&path, &[("text", "We will call you on Monday.")]).await;
    assert_eq!(replied.status, 200);
    assert!(refuge_core::MessageReads::messages(&*app.store, 0, 10).unwrap().0[0].handled);
    // While it waits (the mail server is away), the reply is sealed like
    // the message: no file holds its words or the writer's address.
    tokio::time::sleep(Duration::from_millis(500)).await;
    for (path, bytes) in files(&app.data_dir) {
        for needle in ["call you on Monday", "kim@example.org"] {
            assert!(!contains(&bytes, needle), "{} holds the waiting reply's {needle}", path.display());
        }
    }

    // Another admin's session is still locked.
    let other = sign_in(&app, "boss2@example.org", Role::Admin, &[]).await;
    assert_eq!(other.get(&format!("/admin/inbox/{id}")).await.status, 303);

    // Deleting really deletes.
    let asked = boss.post(&format!("/admin/inbox/{id}/delete"), &[]).await;
    assert!(asked.body.contains("cannot be recovered"), "a confirmation page first");
    assert!(refuge_core::MessageReads::sealed_message(&*app.store, id).unwrap().is_some(), "not deleted yet");
    assert_eq!(boss.post(&format!("/admin/inbox/{id}/delete"), &[("confirm", "1")]).await.status, 200);
    assert!(refuge_core::MessageReads::sealed_message(&*app.store, id).unwrap().is_none());
    let (entries, _) = refuge_core::AuditReads::audit_entries(&*app.store, 0, 50).unwrap();
    assert!(entries.iter().any(|e| e.action == "unlock inbox"));
    assert!(entries.iter().all(|e| !e.detail.contains("MARKER") && !e.subject.contains("MARKER")));
    app.stop().await;
}

/// Each shown form sends one message: the same token sent again (from
/// another address, a proxy or the onion socket) is answered as an
/// expired form, with the text kept and a new token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_sends_one_message() {
    let app = spawn_app().await;
    let token = form_token(&app, "en").await;
    tokio::time::sleep(Duration::from_millis(3100)).await;
    assert_eq!(send(&app, "en", &token, "The first message.", &[], None).await.status, 200);
    let again = send(&app, "en", &token, "The same form again.", &[], None).await;
    assert_eq!(again.status, 422);
    assert!(select(&again.body, "textarea").concat().contains("The same form again."), "the text is kept");
    let fresh = attrs(&again.body, "input[name=token]", "value").remove(0);
    assert_ne!(fresh, token, "a new form to send it with");
    assert_eq!(refuge_core::MessageReads::messages(&*app.store, 0, 10).unwrap().1, 1);
    app.stop().await;
}

/// Without a mail server a reply could only wait in the outbox: it is
/// refused, nothing is queued, and what the admin wrote is kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_without_a_mail_server_is_refused_with_the_text_kept() {
    let app = spawn_app().await;
    let token = form_token(&app, "en").await;
    tokio::time::sleep(Duration::from_millis(3100)).await;
    assert_eq!(send(&app, "en", &token, MARKER, &[("reply_to", "kim@example.org")], None).await.status, 200);
    let boss = sign_in(&app, "boss@example.org", Role::Admin, &[]).await;
    let passphrase = app.first_inbox.clone().unwrap().passphrase;
    assert_eq!(boss.post("/admin/inbox/unlock", &[("passphrase", &passphrase)]).await.status, 200);
    let id = refuge_core::MessageReads::messages(&*app.store, 0, 10).unwrap().0[0].id;
    let refused = boss.post(&format!("/admin/inbox/{id}/reply"), &[("text", "We will call you on Monday.")]).await;
    assert_eq!(refused.status, 422);
    assert!(select(&refused.body, "textarea").concat().contains("We will call you on Monday."), "the text is kept");
    assert!(select(&refused.body, ".error").concat().contains("No mail server"));
    let far = time::OffsetDateTime::now_utc() + time::Duration::days(1);
    while let Some(mail) = app.store.take_due(far).unwrap() {
        assert_ne!(mail.kind, refuge_core::MailKind::Reply, "nothing queued");
    }
    assert!(!refuge_core::MessageReads::messages(&*app.store, 0, 10).unwrap().0[0].handled);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_join_list_tick_asks_for_confirmation_before_subscribing() {
    // By default the sign-up is made later, at a random moment: right
    // after the message there is none, nor any mail to the writer.
    let app = spawn_app().await;
    let token = form_token(&app, "ja").await;
    tokio::time::sleep(Duration::from_millis(3100)).await;
    let extra = [("reply_to", "lee@example.org"), ("join_list", "1")];
    assert_eq!(send(&app, "ja", &token, "Please keep me informed.", &extra, None).await.status, 200);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let records = refuge_core::SubscriberReads::find_subscribers(&*app.store, "lee@", 10).unwrap();
    assert!(records.iter().all(|r| r.email != "lee@example.org"), "no sign-up at the message's time");
    app.stop().await;

    let app = spawn_with(|c| c.join_list_delay_minutes = 0).await;
    let token = form_token(&app, "ja").await;
    tokio::time::sleep(Duration::from_millis(3100)).await;
    assert_eq!(send(&app, "ja", &token, "Please keep me informed.", &extra, None).await.status, 200);
    // Made like any sign-up: nothing in it says it came with a message.
    let made = async {
        loop {
            let records = refuge_core::SubscriberReads::find_subscribers(&*app.store, "lee@", 10).unwrap();
            if let Some(r) = records.into_iter().find(|r| r.email == "lee@example.org") {
                return r;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    let record = tokio::time::timeout(Duration::from_secs(10), made).await.expect("the sign-up is made");
    assert_eq!(record.source, "form");
    let ja = refuge_core::Language::parse("ja").unwrap();
    assert!(
        app.store.confirmed_subscribers(&ja, refuge_core::subscribers::Topic::News).unwrap().is_empty(),
        "not before confirming"
    );

    // The confirmation mail waits in the outbox (no SMTP server here).
    let far = time::OffsetDateTime::now_utc() + time::Duration::days(1);
    let mut confirm = None;
    while let Some(mail) = app.store.take_due(far).unwrap() {
        if mail.recipient == "lee@example.org" {
            confirm = Some(mail);
        }
    }
    let mail = confirm.expect("a confirmation mail to the writer");
    let link = mail.body.split_whitespace().find(|w| w.contains("/ja/subscribe/confirm/?token=")).unwrap();
    crate::mailing::confirm(&app, link).await;
    let subscribers = app.store.confirmed_subscribers(&ja, refuge_core::subscribers::Topic::News).unwrap();
    assert_eq!(subscribers.iter().map(|s| s.email.as_str()).collect::<Vec<_>>(), ["lee@example.org"]);

    // Retention (90 days by default) keeps a message handled today.
    let (list, _) = refuge_core::MessageReads::messages(&*app.store, 0, 10).unwrap();
    refuge_core::MessageStore::set_handled(&*app.store, list[0].id, true).unwrap();
    assert_eq!(refuge_web::purge_expired_messages(&app.state).await, Some(0));
    assert!(refuge_core::MessageReads::sealed_message(&*app.store, list[0].id).unwrap().is_some());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_can_be_read_offline_with_a_key_kept_off_the_server() {
    let app = spawn_app().await;
    let key = app.data_dir.parent().unwrap().join("offline.key");
    let data = app.data_dir.to_str().unwrap().to_owned();
    let refuge = env!("CARGO_BIN_EXE_refuge");
    let keygen = Command::new(refuge)
        .args(["inbox", "keygen", "--data", &data, "--identity-file", key.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!keygen.status.success(), "refuses to replace a key without --force");
    let keygen = Command::new(refuge)
        .args(["inbox", "keygen", "--force", "--data", &data, "--identity-file", key.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(keygen.status.success(), "{}", String::from_utf8_lossy(&keygen.stderr));
    let token = form_token(&app, "en").await;
    tokio::time::sleep(Duration::from_millis(3100)).await;
    assert_eq!(send(&app, "en", &token, MARKER, &[], None).await.status, 200);
    let read = Command::new(refuge)
        .args(["inbox", "read", "--data", &data, "--identity", key.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(read.status.success(), "{}", String::from_utf8_lossy(&read.stderr));
    assert!(String::from_utf8_lossy(&read.stdout).contains(MARKER));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spam_defences_turn_robots_away_and_keep_what_people_wrote() {
    let app = spawn_app().await;
    let token = form_token(&app, "en").await;
    let fast = send(&app, "en", &token, "written in no time", &[], None).await;
    assert_eq!(fast.status, 422);
    assert!(fast.body.contains("send it again") && fast.body.contains("written in no time"), "the text is kept");
    let forged = send(&app, "en", "12345.deadbeef", "forged", &[], None).await;
    assert_eq!(forged.status, 422);
    assert!(forged.body.contains("forged"));
    tokio::time::sleep(Duration::from_millis(3100)).await;
    let robot = send(&app, "en", &token, "buy now", &[("website", "http://spam.example")], None).await;
    assert_eq!(robot.status, 422);
    assert!(robot.body.contains("post or e-mail"), "a polite page that says what to do");
    let links =
        send(&app, "en", &token, "see http://a.example http://b.example http://c.example http://d.example", &[], None)
            .await;
    assert_eq!(links.status, 422);
    let big = send(&app, "en", &token, "big", &[], Some(vec![b'x'; 5 * 1024 * 1024 + 10_000])).await;
    assert!(matches!(big.status, 413), "{}", big.status);
    let long = send(&app, "en", &token, &"long ".repeat(5000), &[], None).await;
    assert_eq!(long.status, 413);
    let (before, _) = refuge_core::MessageReads::messages(&*app.store, 0, 100).unwrap();
    assert!(before.is_empty(), "none of those were stored");
    // Without a key the form refuses, rather than store anything in clear.
    let key_file = app.data_dir.join("inbox/public.txt");
    let key = std::fs::read(&key_file).unwrap();
    std::fs::remove_file(&key_file).unwrap();
    let refused = send(&app, "en", &token, "no key", &[], None).await;
    assert_eq!(refused.status, 503);
    assert!(refused.body.contains("post or e-mail") && refused.body.contains("no key"));
    assert!(refuge_core::MessageReads::messages(&*app.store, 0, 10).unwrap().0.is_empty());
    std::fs::write(&key_file, key).unwrap();
    // A genuine message goes through, each from a form of its own (a
    // form sends one message); then the per-client limit.
    let mut tokens = Vec::new();
    for _ in 0..8 {
        tokens.push(form_token(&app, "en").await);
    }
    tokio::time::sleep(Duration::from_millis(3100)).await;
    let mut statuses = Vec::new();
    for (i, token) in tokens.iter().enumerate() {
        statuses.push(send(&app, "en", token, &format!("genuine message {i}"), &[], None).await.status);
    }
    assert!(statuses.contains(&200) && statuses.contains(&429), "{statuses:?}");
    // The limit came after the defences above had already taken tokens:
    // count what was stored.
    let (stored, _) = refuge_core::MessageReads::messages(&*app.store, 0, 100).unwrap();
    assert_eq!(stored.len(), statuses.iter().filter(|s| **s == 200).count(), "every accepted message is kept");
    app.stop().await;
}
