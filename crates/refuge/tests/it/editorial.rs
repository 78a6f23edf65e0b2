//! The back office as its people use it: a translator's change to a
//! published translation waits for review, restoring keeps the status,
//! two tabs do not overwrite each other, a refused save keeps the text.

use refuge_core::{AppealReads, AsideKind, Kind, Language, PublicContent, Role, Slug};
use refuge_core::{AsideReads, ContentReads, MediaReads, UserReads};

use crate::admin::{Staff, article_fields, sign_in};
use crate::helpers::*;

pub(crate) fn item_id(location: &str) -> i64 {
    location.trim_start_matches("/admin/items/").split(['?', '/']).next().unwrap().parse().unwrap()
}

/// The editor form of `path` as the browser would send it, with `changes`
/// applied and the Save button pressed.
pub(crate) async fn edited(staff: &Staff, path: &str, changes: &[(&str, &str)]) -> Vec<(String, String)> {
    let page = staff.get(path).await;
    assert_eq!(page.status, 200, "{path}");
    let mut fields: Vec<(String, String)> =
        form_fields(&page.body, "form.editor").into_iter().filter(|(k, _)| k != "csrf").collect();
    for (name, value) in changes {
        match fields.iter_mut().find(|(k, _)| k == name) {
            Some(f) => f.1 = (*value).to_owned(),
            None => fields.push(((*name).to_owned(), (*value).to_owned())),
        }
    }
    fields.push(("intent".into(), "save".into()));
    fields
}

pub(crate) async fn post_fields(staff: &Staff, path: &str, fields: &[(String, String)]) -> Page {
    let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    staff.post(path, &refs).await
}

/// As editor, change the English source of an article whose Japanese
/// version is published; as the Japanese translator, update the flagged
/// translation and say it matches: the change is kept for review while
/// the published text stays; the editor publishes it. (It was a 403 page,
/// the typed text gone, the flag still on.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_translator_updates_a_published_translation() {
    let app = spawn_app().await;
    let ed = sign_in(&app, "ed@example.org", Role::Editor, &[]).await;
    let tr = sign_in(&app, "tr@example.org", Role::Translator, &["ja"]).await;
    let en = Language::parse("en").unwrap();
    let source =
        app.store.published_item(Kind::News, &en, &Slug::parse("testimony-evening-tokyo").unwrap()).unwrap().unwrap();

    // A published Japanese translation.
    let mut fields = article_fields("東京での証言の夕べ", "九十人が集まりました。", "review", "");
    fields.retain(|(k, _)| *k != "action");
    let created = tr.post(&format!("/admin/items/{}/translate/ja", source.id), &fields).await;
    assert_eq!(created.status, 303);
    let ja_id = item_id(created.header("location").unwrap());
    let publish = edited(&ed, &format!("/admin/items/{ja_id}"), &[("status", "published")]).await;
    assert_eq!(post_fields(&ed, &format!("/admin/items/{ja_id}"), &publish).await.status, 303);
    let ja_path = app.store.item(ja_id).unwrap().unwrap().path();
    assert!(app.get(&ja_path).await.body.contains("九十人が集まりました。"));

    // The editor changes the source; the translation is flagged.
    let changed =
        edited(&ed, &format!("/admin/items/{}", source.id), &[("body", "Ninety people came. A new paragraph.")]).await;
    assert_eq!(post_fields(&ed, &format!("/admin/items/{}", source.id), &changed).await.status, 303);
    assert!(ed.get("/admin/items?outdated=1").await.body.contains(&format!("/admin/items/{ja_id}\"")));
    queued_to(&app, "nobody@example.org"); // empty the outbox

    // The translator opens it: a form that says the change will be reviewed.
    let page = tr.get(&format!("/admin/items/{ja_id}")).await;
    assert!(select(&page.body, "button[value=save]").iter().any(|b| b.contains("Submit for review")), "{}", page.body);
    let update = edited(
        &tr,
        &format!("/admin/items/{ja_id}"),
        &[("body", "九十人が集まりました。新しい段落。"), ("mark_current", "1"), ("note", "段落を追加")],
    )
    .await;
    let sent = post_fields(&tr, &format!("/admin/items/{ja_id}"), &update).await;
    assert_eq!(sent.status, 303, "kept, not refused: {}", sent.body);
    assert!(sent.header("location").unwrap().contains("notice=submitted"));
    let public = app.get(&ja_path).await.body;
    assert!(public.contains("九十人が集まりました。") && !public.contains("新しい段落"), "the published text stays");
    assert_eq!(app.store.asides_of_item(ja_id, AsideKind::Review).unwrap().len(), 1);
    assert_eq!(queued_to(&app, "ed@example.org"), 1, "the editor is asked to review it");
    // Opening it again, the translator finds their change, not the old text.
    let again = tr.get(&format!("/admin/items/{ja_id}")).await;
    assert!(again.body.contains("新しい段落"), "the translator's own change is shown");

    // The editor sees it waiting, compares, and publishes it.
    let editor_page = ed.get(&format!("/admin/items/{ja_id}")).await;
    let review = attrs(&editor_page.body, "section.reviews a", "href");
    assert_eq!(review.len(), 1, "one change awaiting review");
    let compare = ed.get(&review[0]).await;
    assert_eq!(compare.status, 200, "{}", compare.body);
    assert!(select(&compare.body, "tr.diff-insert").iter().any(|r| r.contains("新しい段落")));
    assert_eq!(tr.get(&review[0]).await.status, 403, "a translator cannot publish it");
    let published = ed.post(&review[0], &[("intent", "publish")]).await;
    assert_eq!(published.status, 303, "{}", published.body);
    assert!(app.get(&ja_path).await.body.contains("新しい段落"), "published by the editor");
    assert!(
        !ed.get("/admin/items?outdated=1").await.body.contains(&format!("/admin/items/{ja_id}\"")),
        "it matches its source now"
    );
    assert!(app.store.asides_of_item(ja_id, AsideKind::Review).unwrap().is_empty());
    let latest = &app.store.revisions(ja_id).unwrap()[0];
    assert!(latest.note.contains("tr@example.org") && latest.note.contains("段落を追加"), "{}", latest.note);

    // The source-language item is read-only for the translator, and a
    // refused save shows the typed text again.
    let read_only = tr.get(&format!("/admin/items/{}", source.id)).await;
    assert!(select(&read_only.body, "button[value=save]").is_empty(), "no Save button");
    assert!(!attrs(&read_only.body, "form.editor fieldset[disabled]", "class").is_empty(), "fields are disabled");
    let mut attempt = article_fields("Changed by a translator", "A TEXT THAT MUST NOT BE LOST", "draft", "");
    attempt.retain(|(k, _)| *k != "tags");
    let refused = tr.post(&format!("/admin/items/{}", source.id), &attempt).await;
    assert_eq!(refused.status, 403);
    assert!(refused.body.contains("A TEXT THAT MUST NOT BE LOST"), "the typed text comes back");
    app.stop().await;
}

/// Restoring a draft revision of a published article restores its text
/// only: it stays published. (It was unpublished without a word.)
#[tokio::test]
async fn restoring_a_revision_keeps_the_status() {
    let app = spawn_app().await;
    let ed = sign_in(&app, "ed@example.org", Role::Editor, &[]).await;
    let created = ed
        .post("/admin/items/new?kind=news&lang=en", &article_fields("Kept online", "the first draft", "draft", ""))
        .await;
    let id = item_id(created.header("location").unwrap());
    let publish =
        edited(&ed, &format!("/admin/items/{id}"), &[("status", "published"), ("body", "the final text")]).await;
    assert_eq!(post_fields(&ed, &format!("/admin/items/{id}"), &publish).await.status, 303);
    assert!(app.get("/en/news/kept-online/").await.body.contains("the final text"));
    let first = app.store.revisions(id).unwrap().last().unwrap().id;
    let history = ed.get(&format!("/admin/items/{id}/history")).await;
    assert!(history.body.contains("Whether the item is published stays as it is"), "the history says so");
    assert_eq!(ed.post(&format!("/admin/items/{id}/restore/{first}"), &[]).await.status, 303);
    let page = app.get("/en/news/kept-online/").await;
    assert_eq!(page.status, 200, "still published");
    assert!(page.body.contains("the first draft"), "with the restored text");
    assert_eq!(app.store.item(id).unwrap().unwrap().status.as_str(), "published");
    app.stop().await;
}

/// Sending a newsletter, deleting an account, a media file or an inbox
/// message each ask first, saying what will happen. (One click did it
/// for good; a newsletter went to 0 subscribers and into the archive.)
#[tokio::test]
async fn destructive_actions_ask_first() {
    use refuge_core::{Email, Media, MediaStore, UserStore};
    let app = spawn_app().await;
    let boss = sign_in(&app, "boss@example.org", Role::Admin, &[]).await;

    // A newsletter to nobody says so, and offers a test send first.
    let saved = boss
        .post(
            "/admin/newsletters",
            &[("lang", "ja"), ("topic", "news"), ("title", "冬号"), ("body", "本文"), ("intent", "save")],
        )
        .await;
    let at = saved.header("location").unwrap().to_owned();
    let asked = boss.post(&format!("{at}/send"), &[]).await;
    assert!(asked.body.contains("No one will receive it"), "{}", asked.body);
    assert!(asked.body.contains("public archive"));
    assert!(asked.body.contains("No mail server is configured"));
    assert_eq!(app.get("/ja/newsletter/1/").await.status, 404, "asking sends nothing");
    let test = attrs(&asked.body, "form[action$='/test']", "action");
    assert_eq!(test.len(), 1, "a test send is offered");
    assert_eq!(boss.post(&test[0], &[]).await.status, 200);
    assert_eq!(queued_to(&app, "boss@example.org"), 1, "the test goes to the editor only");
    assert_eq!(app.get("/ja/newsletter/1/").await.status, 404, "a test is not an issue");

    // A file used by a published article names it.
    let media = Media {
        id: 0,
        kind: "image".into(),
        name: "border-crossing.jpg".into(),
        stored: "0123456789abcdef0123456789abcdef".into(),
        extension: "jpg".into(),
        width: Some(800),
        height: Some(600),
        bytes: 1000,
        variants: Vec::new(),
        report: String::new(),
        alt: Vec::new(),
    };
    let media_id = app.store.add_media(&media, None).unwrap();
    let mut fields = crate::admin::article_fields(
        "Where the river is narrow",
        "![The river](/media/0123456789abcdef0123456789abcdef-800.jpg)",
        "published",
        "",
    );
    fields.retain(|(k, _)| *k != "action");
    assert_eq!(boss.post("/admin/items/new?kind=news&lang=en", &fields).await.status, 303);
    let asked = boss.post(&format!("/admin/media/{media_id}/delete"), &[]).await;
    assert!(select(&asked.body, "ul.uses a").iter().any(|a| a.contains("Where the river is narrow")), "{}", asked.body);
    assert!(app.store.media(media_id).unwrap().is_some(), "not deleted by asking");
    boss.post(&format!("/admin/media/{media_id}/delete"), &[("confirm", "1")]).await;
    assert!(app.store.media(media_id).unwrap().is_none());

    // An account.
    let other =
        app.store.add_user(&Email::parse("leaving@example.org").unwrap(), Role::Editor, "a long password").unwrap();
    let asked = boss.post(&format!("/admin/users/{}/delete", other.id), &[]).await;
    assert!(asked.body.contains("leaving@example.org") && asked.body.contains("can no longer sign in"));
    assert!(app.store.user(other.id).unwrap().is_some());
    boss.post(&format!("/admin/users/{}/delete", other.id), &[("confirm", "1")]).await;
    assert!(app.store.user(other.id).unwrap().is_none());
    app.stop().await;
}

/// An appeal's deadline is a date: "15 January 2027" never closed the
/// appeal; now it is refused with a message, the text kept, and the
/// form offers a date input.
#[tokio::test]
async fn appeal_deadlines_are_dates() {
    let app = spawn_app().await;
    let ed = sign_in(&app, "ed@example.org", Role::Editor, &[]).await;
    let en = Language::parse("en").unwrap();
    let appeal = app
        .store
        .published_item(Kind::Appeal, &en, &Slug::parse("eleven-held-at-the-border").unwrap())
        .unwrap()
        .unwrap();
    let path = format!("/admin/items/{}", appeal.id);
    let page = ed.get(&path).await;
    assert_eq!(attrs(&page.body, "#appeal-deadline", "type"), vec!["date".to_owned()]);
    let wrong = edited(&ed, &path, &[("deadline", "15 January 2027"), ("letter", "A LETTER BEING WRITTEN")]).await;
    let refused = post_fields(&ed, &path, &wrong).await;
    assert_eq!(refused.status, 422);
    assert!(refused.body.contains("The deadline must be a date"));
    assert!(refused.body.contains("A LETTER BEING WRITTEN"), "what was typed stays");
    let right = edited(&ed, &path, &[("deadline", "2027-01-15")]).await;
    assert_eq!(post_fields(&ed, &path, &right).await.status, 303);
    assert_eq!(refuge_core::AppealReads::appeal_facts(&*app.store, appeal.id).unwrap().deadline, "2027-01-15");
    // A scheduled item without a date says what to do.
    let mut fields = crate::admin::article_fields("Later", "b", "scheduled", "");
    fields.retain(|(k, _)| *k != "action");
    let shown = ed.post("/admin/items/new?kind=news&lang=en", &fields).await;
    assert_eq!(shown.status, 422);
    assert!(shown.body.contains("give the date and time when it should go online"));
    app.stop().await;
}

/// `password1234` is refused with a reason; a password shown to someone
/// else (a new account, a reset) is replaced at the first sign-in before
/// anything else opens.
#[tokio::test]
async fn weak_and_printed_passwords_are_replaced() {
    use refuge_core::Email;
    let app = spawn_app().await;
    let boss = sign_in(&app, "boss@example.org", Role::Admin, &[]).await;
    let weak = boss
        .post(
            "/admin/account/password",
            &[("current", crate::admin::PASSWORD), ("new1", "password1234"), ("new2", "password1234")],
        )
        .await;
    assert_eq!(weak.status, 422);
    assert!(weak.body.contains("too easy to guess"), "{}", weak.body);
    assert!(
        app.store
            .verify_password(&Email::parse("boss@example.org").unwrap(), crate::admin::PASSWORD)
            .unwrap()
            .is_some()
    );

    // An account made in the back office: its printed password must go.
    let added = boss.post("/admin/users", &[("email", "new@example.org"), ("role", "editor")]).await;
    let notice = select(&added.body, ".notice").join(" ");
    let printed = notice
        .split([' ', '<'])
        .find(|w| w.len() == 20 && w.bytes().all(|b| b.is_ascii_hexdigit()))
        .unwrap()
        .to_owned();
    let client = crate::admin::jar_client();
    assert_eq!(crate::admin::login(&client, &app, "new@example.org", &printed).await.status(), 303);
    let elsewhere = client.get(app.url("/admin/items?kind=news")).send().await.unwrap();
    assert_eq!(elsewhere.status().as_u16(), 303);
    assert_eq!(elsewhere.headers()["location"], "/admin/account");
    let account = client.get(app.url("/admin/account")).send().await.unwrap().text().await.unwrap();
    assert!(account.contains("Choose your own password now"));
    let csrf = attrs(&account, "input[name=csrf]", "value").remove(0);
    let changed = client
        .post(app.url("/admin/account/password"))
        .header("origin", &app.base)
        .form(&[
            ("csrf", csrf.as_str()),
            ("current", printed.as_str()),
            ("new1", "quiet river lantern moss"),
            ("new2", "quiet river lantern moss"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status().as_u16(), 200);
    assert_eq!(client.get(app.url("/admin/items?kind=news")).send().await.unwrap().status().as_u16(), 200, "open now");
    app.stop().await;
}

/// Smaller things that said too little or the wrong thing: languages in
/// the interface's own words (英語版), what adding an appeal update does
/// before the click (and that no mail server is set), the two-step QR
/// code, and waiting messages on the dashboard.
#[tokio::test]
async fn small_things_say_what_they_mean() {
    let app = spawn_app().await;
    let boss = sign_in(&app, "boss@example.org", Role::Admin, &[]).await;
    let ja =
        boss.client.get(app.url("/admin/")).header("accept-language", "ja").send().await.unwrap().text().await.unwrap();
    assert!(ja.contains("英語版") && !ja.contains("English版"), "the Japanese interface says 英語版");
    let en = Language::parse("en").unwrap();
    let appeal = app
        .store
        .published_item(Kind::Appeal, &en, &Slug::parse("eleven-held-at-the-border").unwrap())
        .unwrap()
        .unwrap();
    let editor = boss.get(&format!("/admin/items/{}", appeal.id)).await;
    let note = select(&editor.body, "#update-note").join("");
    assert!(note.contains("Adding an update mails it at once to the 0 confirmed subscribers"), "{note}");
    assert!(note.contains("No mail server is configured"));
    // A count the database cannot give is said so, never shown as nobody.
    let side = rusqlite::Connection::open(app.data_dir.join("refuge.db")).unwrap();
    side.execute_batch("ALTER TABLE subscribers RENAME TO subscribers_away;").unwrap();
    let editor = boss.get(&format!("/admin/items/{}", appeal.id)).await;
    let note = select(&editor.body, "#update-note").join("");
    assert!(note.contains("how many could not be read just now") && !note.contains(" 0 "), "{note}");
    side.execute_batch("ALTER TABLE subscribers_away RENAME TO subscribers;").unwrap();
    let account = boss.get("/admin/account").await;
    assert!(account.body.contains("<svg role=\"img\""), "a QR code drawn on the server");
    refuge_core::MessageStore::add_message(&*app.store, "help", "en", b"sealed bytes").unwrap();
    let dashboard = boss.get("/admin/").await;
    assert!(dashboard.body.contains("Messages waiting in the inbox: 1"));
    app.stop().await;
}

/// An appeal is saved whole or not at all: when its addressees cannot be
/// written, neither the new appeal nor a change to an existing one (its
/// text, its facts) is left behind, and the editor keeps what was typed.
#[tokio::test]
async fn an_appeal_save_that_fails_half_way_leaves_nothing_half_written() {
    let app = spawn_app().await;
    let ed = sign_in(&app, "ed@example.org", Role::Editor, &[]).await;
    let fields = |title: &str, slug: &str, number: &str| {
        vec![
            ("title".to_owned(), title.to_owned()),
            ("slug".into(), slug.into()),
            ("summary".into(), "Held since Monday.".into()),
            ("body".into(), "They were arrested on Monday.".into()),
            ("status".into(), "draft".into()),
            ("published_at".into(), String::new()),
            ("number".into(), number.into()),
            ("people_count".into(), "2".into()),
            ("case_status".into(), "detained".into()),
            ("addr_name".into(), "The Governor".into()),
            ("note".into(), String::new()),
            ("intent".into(), "save".into()),
        ]
    };
    let post = |path: String, fields: Vec<(String, String)>| {
        let ed = &ed;
        async move {
            let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            ed.post(&path, &refs).await
        }
    };
    let created =
        post("/admin/items/new?kind=appeal&lang=en".into(), fields("Two held", "two-held", "UA 1/2026")).await;
    assert_eq!(created.status, 303);
    let id: i64 = created
        .header("location")
        .unwrap()
        .trim_start_matches("/admin/items/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    // From now on the addressees cannot be written.
    let side = rusqlite::Connection::open(app.data_dir.join("refuge.db")).unwrap();
    side.execute_batch(
        "CREATE TRIGGER refuse_addressees BEFORE INSERT ON appeal_addressees BEGIN SELECT RAISE(ABORT, 'injected'); END;",
    )
    .unwrap();
    let failed = post(format!("/admin/items/{id}"), fields("Two held, renamed", "two-held", "UA 2/2026")).await;
    assert_eq!(failed.status, 500);
    assert!(failed.body.contains("Two held, renamed"), "the editor keeps what was typed");
    let item = app.store.item(id).unwrap().unwrap();
    assert_eq!(item.title, "Two held");
    assert_eq!(app.store.appeal_facts(id).unwrap().number, "UA 1/2026", "the facts are as before");
    assert_eq!(app.store.addressees(id).unwrap().len(), 1);
    assert_eq!(app.store.revisions(id).unwrap().len(), 1, "no revision of a save that did not happen");
    let fresh =
        post("/admin/items/new?kind=appeal&lang=en".into(), fields("Four held", "four-held", "UA 3/2026")).await;
    assert_eq!(fresh.status, 500);
    let en = Language::parse("en").unwrap();
    assert_eq!(
        app.store.item_id_by_slug(Kind::Appeal, &en, &Slug::parse("four-held").unwrap()).unwrap(),
        None,
        "no appeal without its addressees"
    );
    app.stop().await;
}

/// When the database fails, the back office says "try again" in the
/// editor's language (503), never "not found" or an empty list; and once
/// the database answers again, so does the page.
#[tokio::test]
async fn a_failing_database_is_said_never_shown_as_empty_or_missing() {
    let app = spawn_app().await;
    let ed = sign_in(&app, "ed@example.org", Role::Editor, &[]).await;
    let en = Language::parse("en").unwrap();
    let item =
        app.store.published_item(Kind::News, &en, &Slug::parse("testimony-evening-tokyo").unwrap()).unwrap().unwrap();
    let side = rusqlite::Connection::open(app.data_dir.join("refuge.db")).unwrap();
    let history = format!("/admin/items/{}/history", item.id);
    assert_eq!(ed.get(&history).await.status, 200);
    side.execute_batch(
        "ALTER TABLE revisions RENAME TO revisions_away; ALTER TABLE set_aside RENAME TO set_aside_away;",
    )
    .unwrap();
    for path in [history.as_str(), "/admin/", &format!("/admin/items/{}", item.id)] {
        let page = ed.get(path).await;
        assert_eq!(page.status, 503, "{path}");
        assert!(page.body.contains("could not be read just now"), "{path}: {}", page.body);
    }
    let ja = ed.client.get(format!("{}{history}", app.base)).header("accept-language", "ja").send().await.unwrap();
    assert_eq!(ja.status().as_u16(), 503);
    assert!(ja.text().await.unwrap().contains("データベースを今読み込めない"));
    side.execute_batch(
        "ALTER TABLE revisions_away RENAME TO revisions; ALTER TABLE set_aside_away RENAME TO set_aside;",
    )
    .unwrap();
    assert_eq!(ed.get(&history).await.status, 200, "back once the database answers");
    app.stop().await;
}
