//! Every kind of mail, read as a receiving system and a mail client
//! would: headers by kind, plain text that keeps links and structure in
//! 78 columns, SpamAssassin's score, and a DKIM signature checked by an
//! independent verifier (Python's dkimpy). Then: no mail is silently
//! dropped after a delete, and dead addresses stop getting list mail.

use refuge_core::{ListReads, MessageReads, OutboxReads};
use std::process::{Command, Stdio};
use std::time::Duration;

use refuge_core::mail_text::display_width;
use refuge_core::{
    AppealReads, AppealStore, Kind, Language, MailStore, MessageStore, Outbox, PublicContent, Role, Slug,
};

use crate::admin::{Staff, sign_in};
use crate::helpers::*;
use crate::mailing::{confirm, link_in, smtp};
use crate::smtp::{Received, SmtpSink};

/// The tools this needs: required when `CI` is set, else skipped with a note.
fn tools() -> bool {
    let sa = Command::new("spamassassin").arg("--version").output().is_ok_and(|o| o.status.success());
    let dkimpy = Command::new("python3").args(["-c", "import dkim"]).output().is_ok_and(|o| o.status.success());
    if !(sa && dkimpy) {
        assert!(std::env::var_os("CI").is_none(), "CI must install spamassassin and dkimpy (.ci/run does)");
        eprintln!("skipping the mail-client checks: spamassassin or Python's dkimpy is not installed");
    }
    sa && dkimpy
}

async fn subscribe(app: &TestApp, lang: &str, email: &str, topics: &[&str]) {
    let mut form = vec![("email", email)];
    form.extend(topics.iter().map(|t| ("topic", *t)));
    let r = app.client.post(app.url(&format!("/{lang}/subscribe/"))).form(&form).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
}

async fn contact(app: &TestApp, lang: &str, reply_to: &str, text: &str) {
    let page = app.get(&format!("/{lang}/contact/")).await;
    let token = attrs(&page.body, "input[name=token]", "value").remove(0);
    tokio::time::sleep(Duration::from_millis(3100)).await;
    let form = [("token", token.as_str()), ("text", text), ("category", "help"), ("reply_to", reply_to)];
    let r = app.client.post(app.url(&format!("/{lang}/contact/"))).form(&form).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
}

/// Saves and sends a newsletter issue; its id.
async fn newsletter(staff: &Staff, lang: &str, title: &str, body: &str) {
    let saved = staff
        .post(
            "/admin/newsletters",
            &[("lang", lang), ("topic", "news"), ("title", title), ("body", body), ("action", "save")],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let at = saved.header("location").unwrap().to_owned();
    let sent = staff.post(&format!("{at}/send"), &[("confirm", "1")]).await;
    assert_eq!(sent.status, 200);
}

fn appeal_id(app: &TestApp, lang: &str) -> i64 {
    let lang = Language::parse(lang).unwrap();
    let slug = Slug::parse("eleven-held-at-the-border").unwrap();
    app.store.published_item(Kind::Appeal, &lang, &slug).unwrap().unwrap().id
}

const NEWSLETTER_EN: &str = "Read [our annual report](/en/about/) before the meeting.\n\n\
- Eleven people are still held near the border, and their families have not heard from them since the autumn.\n\
- Two were released.\n\n\
> We were not allowed to see them.\n> — A relative\n\n\
The detention centre has refused every request for a visit since October, and the lawyers who asked were told that the people held there are not allowed visitors while their cases are examined, which can take many months.";

const NEWSLETTER_JA: &str = "総会の前に[年次報告](/ja/about/)をお読みください。\n\n\
- 国境付近で拘束された十一人は、秋以降、家族と連絡が取れていません。\n\
- 二人が釈放されました。\n\n\
> 面会は許されませんでした。\n> — 家族の一人\n\n\
収容施設は十月以降、すべての面会申請を拒否しており、問い合わせた弁護士には、審査が終わるまで面会はできないと伝えられました。審査には何か月もかかることがあります。";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_of_mail_arrives_as_mail_clients_expect() {
    let check_tools = tools();
    let sink = SmtpSink::start().await;
    let (key, record) = refuge_mail::dkim_keygen().unwrap();
    let keys = tempfile::tempdir().unwrap();
    let key_file = keys.path().join("dkim.pem");
    std::fs::write(&key_file, key).unwrap();
    let app = spawn_with(|c| {
        let mut s = smtp(sink.port);
        s.reply_to = Some("Lighthouse Network <office@example.org>".into());
        s.contact_from = Some("Lighthouse Network <help@example.org>".into());
        s.dkim_key_file = Some(key_file.clone());
        s.dkim_selector = Some("refuge".into());
        s.dkim_domain = Some("example.org".into());
        c.smtp = Some(s);
        c.notify = vec!["office@example.org".into()];
    })
    .await;

    // Confirmation and welcome, in each language.
    for lang in ["en", "ja"] {
        subscribe(&app, lang, &format!("reader.{lang}@example.org"), &["news", "appeals"]).await;
    }
    let confirmations = sink.wait_for(2).await;
    for mail in &confirmations {
        // Opening the link alone (as a scanner does) confirms nothing.
        let link = link_in(&mail.body(), "/subscribe/confirm/");
        let _ = app.get(link.trim_start_matches(&app.base)).await;
        assert!(app.store.subscriber_by_token(link.rsplit('=').next().unwrap()).unwrap().is_some_and(|s| !s.confirmed));
        confirm(&app, &link).await;
    }
    sink.wait_for(4).await;

    // A newsletter and an appeal update in each language.
    let boss = sign_in(&app, "boss@example.org", Role::Admin, &[]).await;
    newsletter(&boss, "en", "Autumn news", NEWSLETTER_EN).await;
    newsletter(&boss, "ja", "秋のお知らせ", NEWSLETTER_JA).await;
    for (lang, text) in
        [("en", "Visits were allowed today for the first time."), ("ja", "本日初めて面会が許可されました。")]
    {
        let posted = boss
            .post(
                &format!("/admin/items/{}/updates", appeal_id(&app, lang)),
                &[("date", "2026-11-30"), ("text", text), ("source", "")],
            )
            .await;
        assert_eq!(posted.status, 303);
    }
    sink.wait_for(8).await;

    // Staff notices of two contact messages, and replies to them.
    contact(&app, "ja", "writer.ja@example.org", "家族の消息を探しています。").await;
    contact(&app, "en", "writer.en@example.org", "I am looking for news of my family.").await;
    sink.wait_for(10).await;
    let passphrase = app.first_inbox.clone().unwrap().passphrase;
    assert_eq!(boss.post("/admin/inbox/unlock", &[("passphrase", &passphrase)]).await.status, 200);
    let (messages, _) = app.store.messages(0, 10).unwrap();
    for m in &messages {
        let page = boss.get(&format!("/admin/inbox/{}", m.id)).await;
        assert!(page.body.contains(&format!("<dd>{}</dd>", m.lang)), "the inbox shows the language written in");
        let text = if m.lang == "ja" {
            "ご連絡ありがとうございます。月曜日にお電話します。"
        } else {
            "Thank you for writing. We will call you on Monday."
        };
        assert_eq!(boss.post(&format!("/admin/inbox/{}/reply", m.id), &[("text", text)]).await.status, 200);
    }
    let mails = sink.wait_for(12).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(sink.received().len(), 12, "twelve mails, no more");

    let port = app.base.rsplit(':').next().unwrap().to_owned();
    let samples = shots_dir_mail();
    for mail in &mails {
        let kind = kind_of(mail);
        let lang = if mail.to[0].contains(".ja@") || mail.data.contains("=?utf-8?b?") && kind == "staff-notice" {
            "ja"
        } else {
            "en"
        };
        std::fs::write(samples.join(format!("{kind}-{}.eml", mail.to[0].split('@').next().unwrap())), &mail.data)
            .unwrap();
        let h = |name: &str| mail.header(name);
        assert_eq!(h("MIME-Version").as_deref(), Some("1.0"), "{kind}");
        let id = h("Message-ID").unwrap();
        assert!(
            id.len() == 32 + 2 + 1 + "127.0.0.1".len() && id.ends_with("@127.0.0.1>"),
            "{kind}: random id at the site: {id}"
        );
        assert!(h("Content-Type").unwrap().starts_with("text/plain; charset=utf-8"), "{kind}");
        assert!(h("Date").is_some() && h("DKIM-Signature").is_some(), "{kind}");
        // Every header line folded within 78 columns, the signature's too;
        // From and Subject over-signed (a second one breaks the signature).
        let head = mail.data.split("\n\n").next().unwrap_or_default();
        for line in head.lines().map(|l| l.trim_end_matches('\r')) {
            // (A word longer than a line, an address, stands alone on its line.)
            let lone_word = line.starts_with([' ', '\t']) && !line.trim().contains(char::is_whitespace);
            assert!(line.len() <= 78 || lone_word, "{kind}: a header line of {}: {line}", line.len());
        }
        let signed: String = h("DKIM-Signature").unwrap().chars().filter(|c| !c.is_whitespace()).collect();
        assert!(signed.contains("h=from:from:") && signed.contains(":subject:subject:"), "{kind}: {signed}");
        assert!(mail.helo.contains("127.0.0.1"), "{kind}: the greeting names the site, not the machine: {}", mail.helo);
        let body = mail.body();
        for line in body.lines() {
            assert!(display_width(line) <= 78, "{kind}: a line of {} columns: {line}", display_width(line));
        }
        let automatic = h("Auto-Submitted").as_deref() == Some("auto-generated");
        match kind {
            "confirm" => {
                assert!(automatic && h("X-Auto-Response-Suppress").is_some() && h("List-Id").is_none());
                assert!(h("Reply-To").unwrap().ends_with("<office@example.org>"), "{:?}", h("Reply-To"));
                assert!(h("Subject").unwrap().len() > 10, "names the organisation");
            }
            "welcome" => assert!(automatic && h("List-Unsubscribe").is_some(), "welcome"),
            "newsletter" | "appeal-update" => {
                assert!(h("List-Id").unwrap().contains(&format!("<{kind}.")), "{kind}: {:?}", h("List-Id"));
                assert!(h("List-Unsubscribe").unwrap().trim().starts_with(&format!("<http://127.0.0.1:{port}/")));
                assert_eq!(h("List-Unsubscribe-Post").as_deref(), Some("List-Unsubscribe=One-Click"));
                assert_eq!(h("Precedence").as_deref(), Some("bulk"));
                assert_eq!(automatic, kind == "appeal-update", "{kind}");
                let signed: String =
                    h("DKIM-Signature").unwrap().chars().filter(|c| !c.is_whitespace()).collect::<String>();
                let signed = signed.to_ascii_lowercase();
                assert!(signed.contains("list-unsubscribe:list-unsubscribe-post"), "{signed}");
            }
            "staff-notice" => {
                assert!(automatic && h("Reply-To").is_none());
                assert!(body.contains(&format!("http://127.0.0.1:{port}/admin/inbox")), "links to the inbox");
            }
            "reply" => {
                assert!(h("From").unwrap().ends_with("<help@example.org>"), "{:?}", h("From"));
                assert!(h("Reply-To").unwrap().ends_with("<help@example.org>"), "{:?}", h("Reply-To"));
                assert!(!automatic && h("List-Id").is_none());
                // A reply that does not name the mail it answers must not
                // look like one (spam filters count a fake "Re:").
                let subject = h("Subject").unwrap();
                assert!(h("In-Reply-To").is_some() || !subject.starts_with("Re:"), "{subject}");
                let encoded = mail.data.to_ascii_lowercase();
                assert!(!encoded.contains("?b?umu6") && !encoded.contains("?q?re:"), "no encoded Re: either");
            }
            other => panic!("unexpected mail {other}: {}", mail.data),
        }
        if kind == "newsletter" {
            let about = format!("[1] http://127.0.0.1:{port}/{lang}/about/");
            assert!(body.contains(&about), "{lang}: the link is kept as a reference: {body}");
            assert!(body.contains("\n- ") && body.contains("\n> "), "{lang}: bullets and quotes: {body}");
            assert!(body.lines().filter(|l| !l.is_empty()).count() > 8, "wrapped, not one line per paragraph");
        }
    }
    let kinds: std::collections::BTreeMap<&str, usize> = mails.iter().fold(Default::default(), |mut m, mail| {
        *m.entry(kind_of(mail)).or_default() += 1;
        m
    });
    assert!(kinds.values().all(|n| *n == 2) && kinds.len() == 6, "{kinds:?}");

    if check_tools {
        let scores = spam_scores(&mails);
        for (mail, (score, tests)) in mails.iter().zip(&scores) {
            assert!(*score < 1.0, "{} to {} scores {score}: {tests}", kind_of(mail), mail.to[0]);
        }
        eprintln!("SpamAssassin: {:?}", scores.iter().map(|s| s.0).collect::<Vec<_>>());
        let verified = dkim_verify(&mails, &record);
        assert!(verified.iter().all(|ok| *ok), "DKIM: {verified:?}");
        // A second From or Subject added on the way breaks the signature.
        for added in ["From: Someone Else <evil@example.net>", "Subject: Something else"] {
            let tampered: Vec<Received> =
                mails.iter().map(|m| Received { data: format!("{added}\n{}", m.data), ..m.clone() }).collect();
            let verified = dkim_verify(&tampered, &record);
            assert!(verified.iter().all(|ok| !*ok), "{added}: {verified:?}");
        }
    }
    app.stop().await;
}

fn shots_dir_mail() -> std::path::PathBuf {
    let dir = crate::browser::shots_dir().join("mail");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// What a received mail is, by its headers and recipient.
fn kind_of(mail: &Received) -> &'static str {
    let list = mail.header("List-Id").unwrap_or_default();
    if mail.to[0] == "office@example.org" {
        "staff-notice"
    } else if mail.to[0].starts_with("writer.") {
        "reply"
    } else if list.contains("<newsletter.") {
        "newsletter"
    } else if list.contains("<appeal-update.") {
        "appeal-update"
    } else if mail.header("List-Unsubscribe").is_some() {
        "welcome"
    } else {
        "confirm"
    }
}

/// SpamAssassin's score of each mail, offline (`-L`), in one run over an mbox.
fn spam_scores(mails: &[Received]) -> Vec<(f64, String)> {
    let mut mbox = String::new();
    for mail in mails {
        mbox.push_str("From refuge@example.org Tue Dec  1 00:00:00 2026\n");
        for line in mail.data.lines() {
            if line.starts_with("From ") {
                mbox.push('>');
            }
            mbox.push_str(line);
            mbox.push('\n');
        }
        mbox.push('\n');
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mails.mbox");
    std::fs::write(&path, mbox).unwrap();
    let out = Command::new("spamassassin")
        .args(["-t", "-L", "--mbox"])
        .stdin(std::fs::File::open(&path).unwrap())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let scores: Vec<(f64, String)> = text
        .split("\nFrom refuge@example.org")
        .filter_map(|m| {
            let status = m
                .lines()
                .skip_while(|l| !l.starts_with("X-Spam-Status:"))
                .take_while(|l| l.starts_with("X-Spam-Status:") || l.starts_with('\t') || l.starts_with(' '))
                .collect::<Vec<_>>()
                .join(" ");
            let score = status.split("score=").nth(1)?.split_whitespace().next()?.parse().ok()?;
            Some((score, status))
        })
        .collect();
    assert_eq!(scores.len(), mails.len(), "SpamAssassin said:\n{text}\n{}", String::from_utf8_lossy(&out.stderr));
    scores
}

/// Checks each DKIM signature with dkimpy, the public key given directly.
fn dkim_verify(mails: &[Received], record: &str) -> Vec<bool> {
    let dir = tempfile::tempdir().unwrap();
    for (i, mail) in mails.iter().enumerate() {
        std::fs::write(dir.path().join(format!("{i}.eml")), mail.data.replace('\n', "\r\n")).unwrap();
    }
    std::fs::write(dir.path().join("record.txt"), record).unwrap();
    let script = r#"
import dkim, glob, os, sys
folder = sys.argv[1]
record = open(os.path.join(folder, "record.txt"), "rb").read()
def dns(name, timeout=5):
    return record if name == b"refuge._domainkey.example.org." else None
for i in range(int(sys.argv[2])):
    data = open(os.path.join(folder, f"{i}.eml"), "rb").read()
    print("ok" if dkim.verify(data, dnsfunc=dns) else "bad")
"#;
    let out = Command::new("python3")
        .args(["-c", script, &dir.path().display().to_string(), &mails.len().to_string()])
        .stdout(Stdio::piped())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "dkimpy: {text} {}", String::from_utf8_lossy(&out.stderr));
    text.lines().map(|l| l == "ok").collect()
}

/// SQLite hands out the id of a deleted newest row again: for every kind
/// of mail, a delete followed by a new one must still mail.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_mail_is_dropped_after_a_delete() {
    let app = spawn_with(|c| c.notify = vec!["office@example.org".into()]).await;
    let boss = sign_in(&app, "boss@example.org", Role::Admin, &[]).await;

    // Staff notice: a message arrives, is deleted, another arrives.
    contact(&app, "en", "w1@example.org", "First message.").await;
    assert_eq!(queued_to(&app, "office@example.org"), 1);
    let (messages, _) = app.store.messages(0, 10).unwrap();
    app.store.delete_message(messages[0].id).unwrap();
    contact(&app, "en", "w2@example.org", "Second message.").await;
    assert_eq!(queued_to(&app, "office@example.org"), 1, "the second message is notified too");

    // (A reply's key is random, whatever the message's id: see
    // `contact::messages_are_sealed_and_read_only_after_unlocking` and the
    // replies delivered in `every_kind_of_mail_arrives_as_mail_clients_expect`.)

    // Confirmation and welcome: a sign-up leaves, a new one takes its id.
    subscribe(&app, "en", "first@example.org", &["appeals", "news"]).await;
    let far = time::OffsetDateTime::now_utc() + time::Duration::days(1);
    let confirm_first = app.store.take_due(far).unwrap().unwrap();
    confirm(&app, &link_in(&confirm_first.body, "/subscribe/confirm/")).await;
    assert_eq!(queued_to(&app, "first@example.org"), 1, "welcome");
    let en = Language::parse("en").unwrap();
    let first = app.store.confirmed_subscribers(&en, refuge_core::subscribers::Topic::Appeals).unwrap().remove(0);
    // Removed on request: the row is deleted, so SQLite may hand its id out again.
    assert_eq!(refuge_core::SubscriberStore::remove_address(&*app.store, &first.email).unwrap(), 1);
    subscribe(&app, "en", "second@example.org", &["appeals", "news"]).await;
    let confirm_second = app.store.take_due(far).unwrap().expect("a confirmation to the new sign-up");
    assert_eq!(confirm_second.recipient, "second@example.org");
    confirm(&app, &link_in(&confirm_second.body, "/subscribe/confirm/")).await;
    assert_eq!(queued_to(&app, "second@example.org"), 1, "welcome to the new sign-up");
    let second = app.store.confirmed_subscribers(&en, refuge_core::subscribers::Topic::Appeals).unwrap().remove(0);
    assert_eq!(second.id, first.id, "the test really reuses the id");

    // Appeal update: one is mailed, deleted, a corrected one is mailed.
    let appeal = appeal_id(&app, "en");
    let post = |text: &'static str| {
        let boss = &boss;
        async move {
            boss.post(
                &format!("/admin/items/{appeal}/updates"),
                &[("date", "2026-11-30"), ("text", text), ("source", "")],
            )
            .await
            .status
        }
    };
    assert_eq!(post("Visits allowed.").await, 303);
    assert_eq!(queued_to(&app, "second@example.org"), 1);
    let newest = app.store.appeal_updates(appeal).unwrap().into_iter().max_by_key(|u| u.id).unwrap();
    app.store.delete_appeal_update(newest.id).unwrap();
    assert_eq!(post("Visits allowed on Monday (corrected).").await, 303);
    assert_eq!(queued_to(&app, "second@example.org"), 1, "the corrected update is mailed");

    // Newsletter: reaches the subscriber who took a deleted one's id.
    newsletter(&boss, "en", "Winter news", "Short news.").await;
    assert_eq!(queued_to(&app, "second@example.org"), 1);
    app.stop().await;
}

/// Three permanent failures (5xx) in a row: the address is left out of
/// list mail, and the count is kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_addresses_stop_getting_list_mail() {
    let sink = SmtpSink::start().await;
    sink.reject.lock().unwrap().push("dead@example.org".into());
    let app = spawn_with(|c| {
        c.smtp = Some(smtp(sink.port));
        c.welcome_mail = false;
    })
    .await;
    let en = Language::parse("en").unwrap();
    for email in ["dead@example.org", "alive@example.org"] {
        let sub = app.store.subscribe(email, &en, &["appeals".into()], &format!("token-of-{email}"), "form").unwrap();
        app.store.confirm_subscription(&sub.token).unwrap().unwrap();
    }
    let boss = sign_in(&app, "boss@example.org", Role::Admin, &[]).await;
    let appeal = appeal_id(&app, "en");
    for i in 0..4 {
        let text = format!("Update number {i}.");
        boss.post(
            &format!("/admin/items/{appeal}/updates"),
            &[("date", "2026-11-30"), ("text", &text), ("source", "")],
        )
        .await;
        // Each update is delivered (or refused) before the next.
        let done = |[_, sent, failed, _]: [u64; 4]| sent + failed;
        let expected = (i + 1) + (i + 1).min(3);
        let started = std::time::Instant::now();
        while done(app.store.outbox_counts().unwrap()) < expected && started.elapsed() < Duration::from_secs(10) {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    let received: Vec<String> = sink.received().iter().map(|m| m.to[0].clone()).collect();
    assert_eq!(received, ["alive@example.org"; 4], "the dead address never receives, of course");
    let [_, sent, failed, _] = app.store.outbox_counts().unwrap();
    assert_eq!((sent, failed), (4, 3), "three refusals, then no fourth try");
    assert_eq!(app.store.subscriber_by_token("token-of-dead@example.org").unwrap().unwrap().bounces, 3);
    assert!(
        app.store
            .confirmed_subscribers(&en, refuge_core::subscribers::Topic::Appeals)
            .unwrap()
            .iter()
            .all(|s| s.email != "dead@example.org")
    );
    app.stop().await;
}
