//! The back office over HTTP with a cookie jar: sign-in, roles, CSRF,
//! editing, scheduling, revisions and translations.

use refuge_core::{AuditReads, ContentReads, UserReads};
use std::time::{Duration, Instant};

use refuge_core::{Email, Kind, Language, PublicContent, Role, Slug, UserStore};

use crate::helpers::*;

pub const PASSWORD: &str = "a long enough password";

/// A browser-like client signed in to the back office.
pub struct Staff {
    pub client: reqwest::Client,
    pub base: String,
    pub csrf: String,
}

pub fn jar_client() -> reqwest::Client {
    refuge_bucket::install_tls_provider();
    reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// Creates an account with `role` (and languages) and signs it in.
pub async fn sign_in(app: &TestApp, email: &str, role: Role, languages: &[&str]) -> Staff {
    let user = app.store.add_user(&Email::parse(email).unwrap(), role, PASSWORD).unwrap();
    let langs: Vec<Language> = languages.iter().map(|l| Language::parse(l).unwrap()).collect();
    app.store.set_role(user.id, role, &langs).unwrap();
    let client = jar_client();
    let response = login(&client, app, email, PASSWORD).await;
    assert_eq!(response.status().as_u16(), 303, "sign-in of {email}");
    let dashboard = client.get(app.url("/admin/")).send().await.unwrap().text().await.unwrap();
    let csrf = attrs(&dashboard, "input[name=csrf]", "value").into_iter().next().expect("a form with the token");
    Staff { client, base: app.base.clone(), csrf }
}

pub async fn login(client: &reqwest::Client, app: &TestApp, email: &str, password: &str) -> reqwest::Response {
    let form = client.get(app.url("/admin/login")).send().await.unwrap().text().await.unwrap();
    let token = attrs(&form, "input[name=token]", "value").remove(0);
    client
        .post(app.url("/admin/login"))
        .header("origin", &app.base)
        .form(&[("token", token.as_str()), ("email", email), ("password", password), ("next", "/admin/")])
        .send()
        .await
        .unwrap()
}

impl Staff {
    pub async fn get(&self, path: &str) -> Page {
        let r = self.client.get(format!("{}{path}", self.base)).send().await.unwrap();
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        Page { status, headers, body: r.text().await.unwrap() }
    }

    /// POSTs a form with this session's token and a same-site Origin.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let mut form: Vec<(&str, &str)> = vec![("csrf", self.csrf.as_str())];
        form.extend_from_slice(fields);
        let r = self
            .client
            .post(format!("{}{path}", self.base))
            .header("origin", &self.base)
            .form(&form)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        Page { status, headers, body: r.text().await.unwrap() }
    }
}

fn item_id(location: &str) -> i64 {
    location.trim_start_matches("/admin/items/").split(['?', '/']).next().unwrap().parse().unwrap()
}

pub fn article_fields<'a>(title: &'a str, body: &'a str, status: &'a str, when: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("title", title),
        ("slug", ""),
        ("summary", "A summary."),
        ("body", body),
        ("category", "updates"),
        ("tags", "test, 試験"),
        ("status", status),
        ("published_at", when),
        ("note", ""),
        ("action", "save"),
    ]
}

#[tokio::test]
async fn sign_in_and_out() {
    let app = spawn_app().await;
    let client = jar_client();
    let anonymous = client.get(app.url("/admin/")).send().await.unwrap();
    assert_eq!(anonymous.status().as_u16(), 303);
    assert!(anonymous.headers()["location"].to_str().unwrap().starts_with("/admin/login"));

    app.store.add_user(&Email::parse("ed@example.org").unwrap(), Role::Editor, PASSWORD).unwrap();
    let wrong = login(&client, &app, "ed@example.org", "not the password").await;
    assert_eq!(wrong.status().as_u16(), 401);
    let wrong_body = wrong.text().await.unwrap();
    let nobody = login(&client, &app, "nobody@example.org", "not the password").await;
    assert_eq!(nobody.status().as_u16(), 401);
    let nobody_body = nobody.text().await.unwrap();
    let message = |b: &str| select(b, "p.error").join("");
    assert_eq!(message(&wrong_body), message(&nobody_body), "no hint whether the account exists");

    let ok = login(&client, &app, "ED@example.org", PASSWORD).await;
    assert_eq!(ok.status().as_u16(), 303);
    let cookie = ok.headers()["set-cookie"].to_str().unwrap().to_owned();
    for part in ["HttpOnly", "SameSite=Strict", "Path=/admin"] {
        assert!(cookie.contains(part), "{cookie}");
    }
    let dashboard = client.get(app.url("/admin/")).send().await.unwrap();
    assert_eq!(dashboard.status().as_u16(), 200);
    assert_eq!(dashboard.headers()["cache-control"], "no-store");
    let body = dashboard.text().await.unwrap();
    let csrf = attrs(&body, "input[name=csrf]", "value").remove(0);
    // The session id in the database is a hash, not the cookie value.
    let id = cookie.split(';').next().unwrap().split('=').nth(1).unwrap();
    assert!(app.store.session(id).unwrap().is_none());

    let out = client
        .post(app.url("/admin/logout"))
        .header("origin", &app.base)
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(out.status().as_u16(), 303);
    assert_eq!(client.get(app.url("/admin/")).send().await.unwrap().status().as_u16(), 303, "signed out");
    let (entries, _) = app.store.audit_entries(0, 50).unwrap();
    let actions: Vec<&str> = entries.iter().map(|e| e.action.as_str()).collect();
    assert!(
        actions.contains(&"sign-in") && actions.contains(&"sign-in failed") && actions.contains(&"sign-out"),
        "{actions:?}"
    );
    assert!(entries.iter().all(|e| !e.detail.contains(PASSWORD) && !e.subject.contains(PASSWORD)));
    app.stop().await;
}

#[tokio::test]
async fn repeated_failures_lock_the_account_for_a_while() {
    let app = spawn_app().await;
    app.store.add_user(&Email::parse("ed@example.org").unwrap(), Role::Editor, PASSWORD).unwrap();
    let client = jar_client();
    for _ in 0..5 {
        let r = login(&client, &app, "ed@example.org", "guessing wrong").await;
        assert_eq!(r.status().as_u16(), 401);
    }
    let locked = login(&client, &app, "ed@example.org", PASSWORD).await;
    assert_eq!(locked.status().as_u16(), 429, "even the right password waits");
    assert!(locked.text().await.unwrap().contains("Too many attempts"));
    app.stop().await;
}

/// Nobody can lock a staff member out: failures from another address lock
/// that address, and the account for browsers it never signed in on, but
/// the owner's own browser signs in with the right password.
#[tokio::test]
async fn failures_elsewhere_never_lock_the_owner_out() {
    let app = spawn_app().await;
    app.store.add_user(&Email::parse("ed@example.org").unwrap(), Role::Editor, PASSWORD).unwrap();
    let from = |last: u8| {
        refuge_bucket::install_tls_provider();
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .local_address(std::net::IpAddr::from([127, 0, 0, last]))
            .build()
            .unwrap()
    };
    let owner = from(1);
    assert_eq!(login(&owner, &app, "ed@example.org", PASSWORD).await.status().as_u16(), 303);
    let attacker = from(2);
    for _ in 0..8 {
        let r = login(&attacker, &app, "ed@example.org", "guessing wrong").await;
        assert!(matches!(r.status().as_u16(), 401 | 429));
    }
    assert_eq!(login(&attacker, &app, "ed@example.org", PASSWORD).await.status().as_u16(), 429, "guessing stops");
    let stranger = from(3);
    let r = login(&stranger, &app, "ed@example.org", PASSWORD).await;
    assert_eq!(r.status().as_u16(), 429, "a browser the account never used waits too");
    // (Signed in already, the owner's browser gets no form: the form is
    // taken from another; it is bound to no session.)
    let form = stranger.get(app.url("/admin/login")).send().await.unwrap().text().await.unwrap();
    let token = attrs(&form, "input[name=token]", "value").remove(0);
    let fields = [("token", token.as_str()), ("email", "ed@example.org"), ("password", PASSWORD), ("next", "/admin/")];
    let r = owner.post(app.url("/admin/login")).header("origin", &app.base).form(&fields).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 303, "the owner's own browser is not locked out");
    app.stop().await;
}

#[tokio::test]
async fn forged_and_cross_site_forms_are_refused() {
    let app = spawn_app().await;
    let ed = sign_in(&app, "ed@example.org", Role::Editor, &[]).await;
    let fields = article_fields("Forged", "x", "published", "");
    let mut without: Vec<(&str, &str)> = fields.clone();
    without.push(("csrf", "0000"));
    let r = ed
        .client
        .post(app.url("/admin/items/new?kind=news&lang=en"))
        .header("origin", &app.base)
        .form(&without)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403, "wrong token");
    let mut with_token = fields.clone();
    with_token.push(("csrf", ed.csrf.as_str()));
    let r = ed
        .client
        .post(app.url("/admin/items/new?kind=news&lang=en"))
        .header("origin", "https://evil.example")
        .form(&with_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403, "other origin");
    let r = ed
        .client
        .post(app.url("/admin/items/new?kind=news&lang=en"))
        .header("referer", "https://evil.example/page")
        .form(&with_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403, "other referer");
    assert!(app.get("/en/news/forged/").await.status != 200);
    // Sign-in forms without a valid token are refused too.
    let r = jar_client()
        .post(app.url("/admin/login"))
        .form(&[("token", "1.abc"), ("email", "ed@example.org"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    app.stop().await;
}

/// Method, path, form fields, and the status expected for an admin, an
/// editor and a translator.
type Route<'a> = (&'a str, String, Vec<(&'a str, &'a str)>, [u16; 3]);

#[tokio::test]
async fn every_route_enforces_roles() {
    let app = spawn_app().await;
    let admin = sign_in(&app, "boss@example.org", Role::Admin, &[]).await;
    let editor = sign_in(&app, "ed@example.org", Role::Editor, &[]).await;
    let translator = sign_in(&app, "tr@example.org", Role::Translator, &["ja"]).await;
    let en = Language::parse("en").unwrap();
    let published =
        app.store.published_item(Kind::News, &en, &Slug::parse("testimony-evening-tokyo").unwrap()).unwrap().unwrap();
    let victim = app.store.add_user(&Email::parse("victim@example.org").unwrap(), Role::Editor, PASSWORD).unwrap();
    let p = published.id;
    let v = victim.id;
    // (method, path, fields, [admin, editor, translator] expected statuses)
    let routes: Vec<Route> = vec![
        ("GET", "/admin/".into(), vec![], [200, 200, 200]),
        ("GET", "/admin/items?kind=news".into(), vec![], [200, 200, 200]),
        ("GET", "/admin/items/new?kind=news&lang=en".into(), vec![], [200, 200, 403]),
        ("GET", format!("/admin/items/{p}"), vec![], [200, 200, 200]),
        ("GET", format!("/admin/items/{p}/history"), vec![], [200, 200, 200]),
        ("GET", format!("/admin/items/{p}/translate/ja"), vec![], [200, 200, 200]),
        ("GET", format!("/admin/items/{p}/delete"), vec![], [200, 200, 403]),
        ("GET", "/admin/users".into(), vec![], [200, 403, 403]),
        ("GET", "/admin/audit".into(), vec![], [200, 403, 403]),
        ("GET", "/admin/account".into(), vec![], [200, 200, 200]),
        ("POST", format!("/admin/items/{p}"), article_fields("Edited", "b", "published", ""), [303, 303, 403]),
        ("POST", format!("/admin/items/{p}/delete"), vec![], [403, 403, 403]),
        (
            "POST",
            "/admin/items/new?kind=news&lang=en".into(),
            article_fields("New one", "b", "draft", ""),
            [303, 303, 403],
        ),
        ("POST", format!("/admin/users/{v}/role"), vec![("role", "translator"), ("languages", "ja")], [200, 403, 403]),
        ("POST", format!("/admin/users/{v}/password"), vec![], [200, 403, 403]),
        ("POST", "/admin/users".into(), vec![("email", "new@example.org"), ("role", "editor")], [200, 403, 403]),
    ];
    for (method, path, fields, expected) in routes {
        for (who, staff, want) in
            [("admin", &admin, expected[0]), ("editor", &editor, expected[1]), ("translator", &translator, expected[2])]
        {
            if method == "POST" && path.ends_with("/delete") {
                continue; // checked below, once the right account exists
            }
            let title = format!("New one by {who}");
            let fields: Vec<(&str, &str)> = fields
                .iter()
                .map(|(k, v)| if *k == "title" && path.contains("/new") { (*k, title.as_str()) } else { (*k, *v) })
                .collect();
            let page = if method == "GET" { staff.get(&path).await } else { staff.post(&path, &fields).await };
            assert_eq!(page.status, want, "{who} {method} {path}");
        }
    }
    // Deleting: the translator may not; an editor may.
    let target =
        app.store.published_item(Kind::News, &en, &Slug::parse("un-review-submission").unwrap()).unwrap().unwrap();
    assert_eq!(translator.post(&format!("/admin/items/{}/delete", target.id), &[]).await.status, 403);
    assert!(app.store.item(target.id).unwrap().is_some());
    assert_eq!(editor.post(&format!("/admin/items/{}/delete", target.id), &[]).await.status, 303);
    assert!(app.store.item(target.id).unwrap().is_none());
    assert_eq!(app.get("/en/news/un-review-submission/").await.status, 404);
    // A translator cannot give itself more rights.
    assert_eq!(translator.post(&format!("/admin/users/{v}/role"), &[("role", "admin")]).await.status, 403);
    app.stop().await;
}

#[tokio::test]
async fn write_preview_schedule_and_auto_publish() {
    let app = spawn_app().await;
    let ed = sign_in(&app, "ed@example.org", Role::Editor, &[]).await;
    let mut fields =
        article_fields("Scheduled appeal", "Write **today**.\n\n<script>alert(1)</script>", "scheduled", "");
    fields.retain(|(k, _)| *k != "action");
    let mut preview = fields.clone();
    preview.push(("action", "preview"));
    let page = ed.post("/admin/items/new?kind=news&lang=en", &preview).await;
    assert_eq!(page.status, 422, "scheduled without a time is refused");
    assert!(page.body.contains("Write **today**."), "nothing typed is lost");

    // Typed in the site's time zone (Asia/Tokyo in the demo, UTC+9).
    let tokyo = time::UtcOffset::from_hms(9, 0, 0).unwrap();
    let when = (time::OffsetDateTime::now_utc() + time::Duration::seconds(2)).to_offset(tokyo);
    let stamp = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        when.year(),
        u8::from(when.month()),
        when.day(),
        when.hour(),
        when.minute(),
        when.second()
    );
    let mut with_time: Vec<(&str, &str)> = fields.iter().filter(|(k, _)| *k != "published_at").cloned().collect();
    with_time.push(("published_at", &stamp));
    let mut preview = with_time.clone();
    preview.push(("action", "preview"));
    let page = ed.post("/admin/items/new?kind=news&lang=en", &preview).await;
    assert_eq!(page.status, 200);
    assert!(
        select(&page.body, "section.preview strong").iter().any(|s| s.contains("today")),
        "preview renders Markdown"
    );
    assert!(!page.body.contains("<script>alert(1)"), "preview is sanitised");
    assert_eq!(app.get("/en/news/scheduled-appeal/").await.status, 404, "a preview saves nothing");

    let mut save = with_time.clone();
    save.push(("action", "save"));
    let saved = ed.post("/admin/items/new?kind=news&lang=en", &save).await;
    assert_eq!(saved.status, 303);
    assert_eq!(app.get("/en/news/scheduled-appeal/").await.status, 404, "not yet");
    let started = Instant::now();
    loop {
        if app.get("/en/news/scheduled-appeal/").await.status == 200 {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "the scheduler published it in time");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(app.get("/en/news/").await.body.contains("Scheduled appeal"), "lists show it");
    let found = app.get("/en/search/?q=scheduled+appeal").await;
    assert!(found.body.contains("/en/news/scheduled-appeal/"), "search has it");
    let (entries, _) = app.store.audit_entries(0, 20).unwrap();
    assert!(entries.iter().any(|e| e.action == "publish" && e.actor == "scheduler"));
    app.stop().await;
}

#[tokio::test]
async fn translations_are_flagged_when_their_source_changes() {
    let app = spawn_app().await;
    let ed = sign_in(&app, "ed@example.org", Role::Editor, &[]).await;
    let tr = sign_in(&app, "tr@example.org", Role::Translator, &["ja"]).await;
    let en = Language::parse("en").unwrap();
    let source =
        app.store.published_item(Kind::News, &en, &Slug::parse("testimony-evening-tokyo").unwrap()).unwrap().unwrap();

    let form = tr.get(&format!("/admin/items/{}/translate/ja", source.id)).await;
    assert!(form.body.contains("An evening of testimony in Tokyo"), "the source is shown beside the form");
    let mut fields = article_fields("東京での証言の夕べ", "九十人が集まりました。", "published", "");
    let forbidden = tr.post(&format!("/admin/items/{}/translate/ja", source.id), &fields).await;
    assert_eq!(forbidden.status, 422, "a translator cannot publish");
    fields.retain(|(k, _)| *k != "status");
    fields.push(("status", "review"));
    let created = tr.post(&format!("/admin/items/{}/translate/ja", source.id), &fields).await;
    assert_eq!(created.status, 303);
    let ja_id = item_id(created.header("location").unwrap());
    let ja = app.store.item(ja_id).unwrap().unwrap();
    assert_eq!((ja.group_id, ja.translated_from), (source.group_id, Some(source.id)));
    assert!(
        !ed.get("/admin/items?outdated=1").await.body.contains(&format!("/admin/items/{ja_id}\"")),
        "new: up to date"
    );

    // The editor changes the source: the translation is now out of date.
    let mut changed =
        article_fields("An evening of testimony in Tokyo", "Ninety people came. A new paragraph.", "published", "");
    changed.retain(|(k, _)| *k != "tags");
    ed.post(&format!("/admin/items/{}", source.id), &changed).await;
    let list = ed.get("/admin/items?outdated=1").await;
    assert!(list.body.contains(&format!("/admin/items/{ja_id}\"")), "listed as out of date");
    let editor_page = tr.get(&format!("/admin/items/{ja_id}")).await;
    assert!(
        select(&editor_page.body, "section.changes tr.diff-insert").iter().any(|r| r.contains("A new paragraph.")),
        "the editor shows what changed"
    );
    let dashboard = ed.get("/admin/").await;
    assert!(dashboard.body.contains(&format!("/admin/items/{ja_id}\"")));

    // The translator updates it and says so; the flag goes away.
    let mut update = article_fields("東京での証言の夕べ", "九十人が集まりました。新しい段落。", "review", "");
    update.push(("mark_current", "1"));
    assert_eq!(tr.post(&format!("/admin/items/{ja_id}"), &update).await.status, 303);
    assert!(!ed.get("/admin/items?outdated=1").await.body.contains(&format!("/admin/items/{ja_id}\"")));
    // Translators cannot touch the source or other languages.
    assert_eq!(tr.post(&format!("/admin/items/{}", source.id), &changed).await.status, 403);
    let ja_lang = Language::parse("ja").unwrap();
    let other =
        app.store.published_item(Kind::News, &ja_lang, &Slug::parse("newsletter-48").unwrap()).unwrap().unwrap();
    assert_eq!(tr.get(&format!("/admin/items/{}/translate/en", other.id)).await.status, 403, "not into English");
    app.stop().await;
}

#[tokio::test]
async fn session_fixation_and_role_change_end_sessions() {
    let app = spawn_app().await;
    app.store.add_user(&Email::parse("ed@example.org").unwrap(), Role::Editor, PASSWORD).unwrap();
    let planted = "a".repeat(64);
    let client = jar_client();
    let form = client
        .get(app.url("/admin/login"))
        .header("cookie", format!("refuge_session={planted}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = attrs(&form, "input[name=token]", "value").remove(0);
    let r = client
        .post(app.url("/admin/login"))
        .header("cookie", format!("refuge_session={planted}"))
        .header("origin", &app.base)
        .form(&[("token", token.as_str()), ("email", "ed@example.org"), ("password", PASSWORD), ("next", "/admin/")])
        .send()
        .await
        .unwrap();
    let set = r.headers()["set-cookie"].to_str().unwrap();
    assert!(!set.contains(&planted), "a new id at sign-in");
    let fixated = jar_client()
        .get(app.url("/admin/"))
        .header("cookie", format!("refuge_session={planted}"))
        .send()
        .await
        .unwrap();
    assert_eq!(fixated.status().as_u16(), 303, "the planted id is worthless");
    app.stop().await;
}

#[tokio::test]
async fn settings_faq_and_menus_are_edited_and_shown_at_once() {
    let app = spawn_app().await;
    let admin = sign_in(&app, "boss@example.org", Role::Admin, &[]).await;
    let editor = sign_in(&app, "ed@example.org", Role::Editor, &[]).await;
    let translator = sign_in(&app, "tr@example.org", Role::Translator, &["ja"]).await;
    let _ = app.get("/en/about/").await;
    assert_eq!(editor.get("/admin/settings").await.status, 403);
    assert_eq!(translator.get("/admin/faq/ja").await.status, 403);
    assert_eq!(translator.get("/admin/menus/ja").await.status, 403);

    let page = admin.post("/admin/settings", &[("site_name_en", "Harbour Light"), ("tagline_en", "new tagline")]).await;
    assert_eq!(page.status, 200);
    let about = app.get("/en/about/").await;
    assert!(about.body.contains("Harbour Light") && about.body.contains("new tagline"), "cached pages were refreshed");
    assert!(app.get("/ja/").await.body.contains("灯台ネットワーク"), "the other language keeps its own name");

    let faq = editor.get("/admin/faq/ja").await;
    let mut fields: Vec<(String, String)> = Vec::new();
    let questions = attrs(&faq.body, "input[name=question]", "value");
    let anchors = attrs(&faq.body, "input[name=anchor]", "value");
    let answers: Vec<String> = select(&faq.body, "textarea[name=answer]")
        .iter()
        .map(|t| scraper::Html::parse_fragment(t).root_element().text().collect())
        .collect();
    for (i, question) in questions.iter().enumerate() {
        fields.push(("anchor".into(), anchors.get(i).cloned().unwrap_or_default()));
        fields.push(("question".into(), question.clone()));
        fields.push(("answer".into(), answers.get(i).cloned().unwrap_or_default()));
    }
    fields.push(("anchor".into(), String::new()));
    fields.push(("question".into(), "匿名で寄付できますか？".into()));
    fields.push(("answer".into(), "はい、匿名のご寄付も受け付けています。".into()));
    let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(editor.post("/admin/faq/ja", &refs).await.status, 200);
    let public = app.get("/ja/faq/").await;
    assert!(public.body.contains("匿名で寄付できますか？"));
    assert_eq!(
        attrs(&public.body, "section.faq-entry", "id").len(),
        questions.iter().filter(|q| !q.is_empty()).count() + 1
    );
    let found = app.get("/ja/search/?q=%E5%8C%BF%E5%90%8D").await;
    assert!(found.body.contains("/ja/faq/#"), "the new entry is searchable");

    let saved = editor
        .post(
            "/admin/menus/en",
            &[("label", "Home"), ("path", "/en/"), ("label", "Evil"), ("path", "https://evil.example/")],
        )
        .await;
    assert_eq!(saved.status, 422, "only paths on this site");
    assert_eq!(
        editor
            .post(
                "/admin/menus/en",
                &[("label", "Start here"), ("path", "/en/"), ("label", "News"), ("path", "/en/news/")]
            )
            .await
            .status,
        200
    );
    let nav = attrs(&app.get("/en/about/").await.body, "nav.main-nav a", "href");
    assert_eq!(nav, vec!["/en/", "/en/news/", "/ja/about/"]);
    app.stop().await;
}

#[tokio::test]
async fn account_changes_that_cannot_end_sessions_change_nothing() {
    let app = spawn_app().await;
    let boss = sign_in(&app, "boss@example.org", Role::Admin, &[]).await;
    let ed = sign_in(&app, "ed@example.org", Role::Editor, &[]).await;
    let id = app.store.users().unwrap().into_iter().find(|u| u.email.as_str() == "ed@example.org").unwrap().id;
    // From now on the editor's sessions cannot be ended.
    let side = rusqlite::Connection::open(app.data_dir.join("refuge.db")).unwrap();
    side.execute_batch(&format!(
        "CREATE TRIGGER keep_sessions BEFORE DELETE ON sessions WHEN OLD.user_id = {id} \
         BEGIN SELECT RAISE(ABORT, 'injected'); END;"
    ))
    .unwrap();
    let said = "nothing was saved";
    let r = boss.post(&format!("/admin/users/{id}/role"), &[("role", "translator"), ("languages", "ja")]).await;
    assert!(r.body.contains(said), "the admin is told: {}", r.body);
    assert_eq!(app.store.user(id).unwrap().unwrap().role, Role::Editor, "the role is as before");
    let r = boss.post(&format!("/admin/users/{id}/password"), &[]).await;
    assert!(r.body.contains(said));
    assert!(!app.store.user(id).unwrap().unwrap().must_change_password, "the password is as before");
    assert!(app.store.verify_password(&Email::parse("ed@example.org").unwrap(), PASSWORD).unwrap().is_some());
    let r = ed.post("/admin/account/sessions/end", &[]).await;
    assert!(r.body.contains("still signed in"), "a failure is said: {}", r.body);
    assert_eq!(ed.get("/admin/").await.status, 200, "the editor is still an editor, still signed in");

    side.execute_batch("DROP TRIGGER keep_sessions;").unwrap();
    let r = boss.post(&format!("/admin/users/{id}/role"), &[("role", "translator"), ("languages", "ja")]).await;
    assert_eq!(r.status, 200);
    assert_eq!(app.store.user(id).unwrap().unwrap().role, Role::Translator);
    assert_eq!(ed.get("/admin/").await.status, 303, "a new role signs the account out at once");
    app.stop().await;
}
