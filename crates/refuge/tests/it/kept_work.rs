//! Nothing typed is lost: two tabs do not overwrite each other, a stale
//! token or an expired session keeps the text, autosaves come back.

use refuge_core::ContentReads;
use refuge_core::{Language, PublicContent, Role, UserStore};

use crate::admin::{Staff, article_fields, sign_in};
use crate::editorial::{edited, item_id, post_fields};
use crate::helpers::*;

/// Two tabs edit one item: the second save is stopped, shows both
/// versions with the difference, keeps its text; saving again replaces.
/// (The second save silently overwrote the first.)
#[tokio::test]
async fn two_tabs_editing_one_item() {
    let app = spawn_app().await;
    let ed = sign_in(&app, "ed@example.org", Role::Editor, &[]).await;
    let created =
        ed.post("/admin/items/new?kind=news&lang=en", &article_fields("Two tabs", "line one", "published", "")).await;
    let id = item_id(created.header("location").unwrap());
    let path = format!("/admin/items/{id}");
    let tab_a = edited(&ed, &path, &[("body", "line one\nfrom tab A")]).await;
    let tab_b = edited(&ed, &path, &[("body", "line one\nfrom tab B")]).await;
    assert_eq!(post_fields(&ed, &path, &tab_a).await.status, 303);
    let second = post_fields(&ed, &path, &tab_b).await;
    assert_eq!(second.status, 409, "the second save is stopped");
    assert!(select(&second.body, "section.conflict tr.diff-delete").iter().any(|r| r.contains("from tab A")));
    assert!(select(&second.body, "section.conflict tr.diff-insert").iter().any(|r| r.contains("from tab B")));
    assert!(select(&second.body, "textarea#body").iter().any(|b| b.contains("from tab B")), "B's text kept");
    assert!(app.store.item(id).unwrap().unwrap().body.contains("from tab A"), "A's save stands");
    // Saving again, knowingly, replaces it.
    let again: Vec<(String, String)> = form_fields(&second.body, "form.editor")
        .into_iter()
        .filter(|(k, _)| k != "csrf")
        .chain([("intent".into(), "save".into())])
        .collect();
    assert_eq!(post_fields(&ed, &path, &again).await.status, 303);
    assert!(app.store.item(id).unwrap().unwrap().body.contains("from tab B"));
    app.stop().await;
}

/// A form whose token went stale (the account signed in again in another
/// tab) comes back with its text instead of a bare refusal.
#[tokio::test]
async fn a_stale_token_keeps_the_text() {
    let app = spawn_app().await;
    let ed = sign_in(&app, "ed@example.org", Role::Editor, &[]).await;
    let stale = Staff { client: ed.client.clone(), base: ed.base.clone(), csrf: "0".repeat(64) };
    let before = app.store.item_versions().unwrap().len();
    let shown = stale
        .post("/admin/items/new?kind=news&lang=en", &article_fields("Stale", "WORDS WORTH KEEPING", "draft", ""))
        .await;
    assert_eq!(shown.status, 403);
    assert!(shown.body.contains("WORDS WORTH KEEPING"));
    assert_eq!(app.store.item_versions().unwrap().len(), before, "nothing saved");
    // From another site, it is refused without showing anything back.
    let forged = ed
        .client
        .post(app.url("/admin/items/new?kind=news&lang=en"))
        .header("origin", "https://evil.example")
        .form(&[("csrf", ed.csrf.as_str()), ("title", "x"), ("body", "FORGED TEXT")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status().as_u16(), 403);
    assert!(!forged.text().await.unwrap().contains("FORGED TEXT"));
    app.stop().await;
}

/// Saving after the session expired: the form is kept, the sign-in page
/// says so, and signing in again leads back to the editor with the text.
/// (It landed on the sign-in page with no message, then an empty form.)
/// A kept form belongs to the account whose session expired.
#[tokio::test]
async fn work_survives_an_expired_session() {
    let app = spawn_app().await;
    let (jar, client, ed) = editor_with_jar(&app).await;
    let form = edited(
        &ed,
        "/admin/items/new?kind=news&lang=en",
        &[("title", "Written slowly"), ("body", "THREE HOURS OF WORK")],
    )
    .await;

    // The session expires while the editor writes (idle for three hours).
    use reqwest::cookie::CookieStore;
    let cookies = jar.cookies(&app.url("/admin/").parse().unwrap()).unwrap();
    let id = cookies.to_str().unwrap().split('=').nth(1).unwrap().split(';').next().unwrap().to_owned();
    let id_hash = refuge_web::admin::session::hash(&id);
    let long_ago = time::OffsetDateTime::now_utc().unix_timestamp() - 3 * 60 * 60;
    app.store.touch_session(&id_hash, long_ago, true).unwrap();

    // Without any session, nothing is kept: nobody stores forms anonymously.
    let anonymous = crate::admin::jar_client()
        .post(app.url("/admin/items/new?kind=news&lang=en"))
        .form(&[("title", "x"), ("body", "FILLING THE DISK")])
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status().as_u16(), 303);
    assert!(!anonymous.headers()["location"].to_str().unwrap().contains("resume"));
    // The script's autosave is not kept as a form: it is told to sign in.
    let autosave = ed.post("/admin/autosave", &[("place", "/admin/items/new?kind=news&lang=en"), ("body", "x")]).await;
    assert_eq!(autosave.status, 303);
    assert!(!autosave.header("location").unwrap().contains("resume"), "{:?}", autosave.header("location"));
    let before = app.store.item_versions().unwrap().len();
    let sent = post_fields(&ed, "/admin/items/new?kind=news&lang=en", &form).await;
    assert_eq!(sent.status, 303);
    let login_path = sent.header("location").unwrap().to_owned();
    assert!(login_path.starts_with("/admin/login?next=%2Fadmin%2Fresume%2F"), "{login_path}");
    assert_eq!(app.store.item_versions().unwrap().len(), before, "nothing saved without a session");
    let login_page = ed.get(&login_path).await;
    assert!(login_page.body.contains("Nothing is lost"), "the sign-in page says the form is kept");
    let next = attrs(&login_page.body, "input[name=next]", "value").remove(0);
    assert!(next.starts_with("/admin/resume/"));

    // Another account cannot open it.
    let other = sign_in(&app, "other@example.org", Role::Editor, &[]).await;
    assert_eq!(other.get(&next).await.status, 403);

    // Signing in again leads back to the editor, filled in.
    sign_in_again(&client, &app, &next).await;
    let back = ed.get(&next).await;
    assert_eq!(back.status, 200);
    assert!(select(&back.body, "textarea#body").iter().any(|b| b.contains("THREE HOURS OF WORK")), "{}", back.body);
    assert_eq!(attrs(&back.body, "input#title", "value"), vec!["Written slowly".to_owned()]);
    assert!(back.body.contains("was not saved yet"));
    assert_eq!(ed.get(&next).await.status, 404, "the key works once");
    app.stop().await;
}

/// An editor signed in through the sign-in form, with the cookie jar and
/// the client (the tests look at and replace the session cookie).
async fn editor_with_jar(app: &TestApp) -> (std::sync::Arc<reqwest::cookie::Jar>, reqwest::Client, Staff) {
    use refuge_core::Email;
    app.store.add_user(&Email::parse("ed@example.org").unwrap(), Role::Editor, crate::admin::PASSWORD).unwrap();
    let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
    refuge_bucket::install_tls_provider();
    let client = reqwest::Client::builder()
        .cookie_provider(jar.clone())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    assert_eq!(crate::admin::login(&client, app, "ed@example.org", crate::admin::PASSWORD).await.status(), 303);
    let dashboard = client.get(app.url("/admin/")).send().await.unwrap().text().await.unwrap();
    let csrf = attrs(&dashboard, "input[name=csrf]", "value").remove(0);
    let ed = Staff { client: client.clone(), base: app.base.clone(), csrf };
    (jar, client, ed)
}

/// Signs ed@example.org in again with the sign-in form, going on to `next`.
async fn sign_in_again(client: &reqwest::Client, app: &TestApp, next: &str) {
    let token = {
        let page = client.get(app.url("/admin/login")).send().await.unwrap().text().await.unwrap();
        attrs(&page, "input[name=token]", "value").remove(0)
    };
    let signed = client
        .post(app.url("/admin/login"))
        .header("origin", &app.base)
        .form(&[
            ("token", token.as_str()),
            ("email", "ed@example.org"),
            ("password", crate::admin::PASSWORD),
            ("next", next),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(signed.headers()["location"].to_str().unwrap(), next);
}

/// Autosave (what the script sends every 30 s) is kept aside, offered
/// back when the form is opened again, and forgotten once saved; the
/// image list inserts a file's Markdown without the script.
#[tokio::test]
async fn autosaved_drafts_come_back_and_images_are_inserted() {
    use refuge_core::{Media, MediaStore};
    let app = spawn_app().await;
    let ed = sign_in(&app, "ed@example.org", Role::Editor, &[]).await;
    let created = ed
        .post(
            "/admin/items/new?kind=news&lang=en",
            &crate::admin::article_fields("Autosaved", "saved text", "draft", ""),
        )
        .await;
    let id = item_id(created.header("location").unwrap());
    let path = format!("/admin/items/{id}");
    let mut form = edited(&ed, &path, &[("body", "TYPED BUT NEVER SAVED")]).await;
    form.retain(|(k, _)| k != "intent");
    form.push(("place".into(), path.clone()));
    let refs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(ed.post("/admin/autosave", &refs).await.status, 204);
    assert!(app.store.item(id).unwrap().unwrap().body.contains("saved text"), "autosave never applies");
    let reopened = ed.get(&path).await;
    let offer = attrs(&reopened.body, "section.autosaved a", "href");
    assert_eq!(offer, vec![format!("{path}?autosave=1")]);
    let restored = ed.get(&offer[0]).await;
    assert!(select(&restored.body, "textarea#body").iter().any(|b| b.contains("TYPED BUT NEVER SAVED")));
    let save = edited(&ed, &offer[0], &[]).await;
    assert_eq!(post_fields(&ed, &path, &save).await.status, 303);
    assert!(app.store.item(id).unwrap().unwrap().body.contains("TYPED BUT NEVER SAVED"));
    assert!(attrs(&ed.get(&path).await.body, "section.autosaved a", "href").is_empty(), "forgotten once saved");
    // Autosave only takes editor forms: a new item's or an existing one's.
    assert_eq!(ed.post("/admin/autosave", &[("place", "https://evil.example/"), ("body", "x")]).await.status, 400);
    for place in ["/admin/items/999999", "/admin/items/anything-else", "/admin/items/x1"] {
        assert_eq!(ed.post("/admin/autosave", &[("place", place), ("body", "x")]).await.status, 400, "{place}");
    }
    // And no more than a megabyte at once.
    let huge = "x".repeat(1_000_100);
    let refused = ed.post("/admin/autosave", &[("place", "/admin/items/new?kind=news&lang=en"), ("body", &huge)]).await;
    assert_eq!(refused.status, 413);

    // Insert without the script: the Markdown at the end, a preview, no save.
    let media = Media {
        id: 0,
        kind: "image".into(),
        name: "river.jpg".into(),
        stored: "fedcba9876543210fedcba9876543210".into(),
        extension: "jpg".into(),
        width: Some(640),
        height: Some(480),
        bytes: 1000,
        variants: vec![320],
        report: String::new(),
        alt: vec![("en".into(), "Two people at the river".into())],
    };
    let media_id = app.store.add_media(&media, None).unwrap();
    app.store.set_media_alt(media_id, &Language::parse("en").unwrap(), "Two people at the river").unwrap();
    let page = ed.get(&path).await;
    assert!(!attrs(&page.body, &format!("button[name=insert_media][value='{media_id}']"), "data-markdown").is_empty());
    let mut insert = edited(&ed, &path, &[]).await;
    insert.retain(|(k, _)| k != "intent");
    insert.push(("insert_media".into(), media_id.to_string()));
    let shown = post_fields(&ed, &path, &insert).await;
    assert_eq!(shown.status, 200);
    let body = select(&shown.body, "textarea#body").join("");
    assert!(body.contains("![Two people at the river](/media/fedcba9876543210fedcba9876543210-320.jpg)"), "{body}");
    assert!(!app.store.item(id).unwrap().unwrap().body.contains("river"), "inserting saves nothing");
    app.stop().await;
}

/// Signing out in another tab keeps the text as an expired session does:
/// the tab still open sends its form without a cookie (the sign-out
/// cleared it), the form is kept for the account by the token it
/// carries, and signing in again brings it back. (The item opened
/// without the text and without a word.)
#[tokio::test]
async fn work_survives_signing_out_in_another_tab() {
    let app = spawn_app().await;
    let (_, client, ed) = editor_with_jar(&app).await;
    // Tab A: an article being written.
    let form = edited(
        &ed,
        "/admin/items/new?kind=news&lang=en",
        &[("title", "Written in tab A"), ("body", "A MORNING OF WORK")],
    )
    .await;
    // Tab B: signing out (the browser drops the cookie for every tab).
    let out = ed.post("/admin/logout", &[]).await;
    assert_eq!(out.status, 303);
    assert_eq!(ed.get("/admin/").await.status, 303, "signed out");

    // Tab A saves: the form goes with its token and no cookie.
    let sent = post_fields(&ed, "/admin/items/new?kind=news&lang=en", &form).await;
    assert_eq!(sent.status, 303);
    let login_path = sent.header("location").unwrap().to_owned();
    assert!(login_path.starts_with("/admin/login?next=%2Fadmin%2Fresume%2F"), "kept: {login_path}");
    let login_page = ed.get(&login_path).await;
    assert!(login_page.body.contains("Nothing is lost"), "the sign-in page says so");
    let next = attrs(&login_page.body, "input[name=next]", "value").remove(0);

    // A form with a made-up token is not kept for anyone.
    let mut forged = form.clone();
    forged.push(("csrf".into(), "ab".repeat(32)));
    let anonymous = crate::admin::jar_client()
        .post(app.url("/admin/items/new?kind=news&lang=en"))
        .header("origin", &app.base)
        .form(&forged)
        .send()
        .await
        .unwrap();
    assert!(!anonymous.headers()["location"].to_str().unwrap().contains("resume"));

    sign_in_again(&client, &app, &next).await;
    let back = ed.get(&next).await;
    assert!(select(&back.body, "textarea#body").iter().any(|b| b.contains("A MORNING OF WORK")), "{}", back.body);
    assert_eq!(attrs(&back.body, "input#title", "value"), vec!["Written in tab A".to_owned()]);
    app.stop().await;
}
