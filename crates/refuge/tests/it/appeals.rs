//! Urgent appeals: their life from draft to closed, and names that never
//! reach the public.

use refuge_core::ContentReads;
use refuge_core::Role;

use crate::admin::sign_in;
use crate::helpers::*;

const FULL_NAMES: &[&str] = &["Ri Sun-hee", "Sun-hee", "李順姫", "Kwon Hae-jin", "Hae-jin", "2015"];

#[tokio::test]
async fn full_names_never_reach_the_public() {
    let app = spawn_app().await;
    // An appeal written with a full name, as the staff know it.
    let ed = sign_in(&app, "ed@example.org", Role::Editor, &[]).await;
    let created = ed
        .post(
            "/admin/items/new?kind=appeal&lang=en",
            &[
                ("title", "Appeal for [[name:Kwon Hae-jin]]"),
                ("slug", "kwon-appeal"),
                ("summary", "[[name:Kwon Hae-jin]] was arrested."),
                ("body", "We know [[name:Kwon Hae-jin]] personally."),
                ("status", "published"),
                ("published_at", ""),
                ("people", "[[name:Kwon Hae-jin]], born [[year:2015]]"),
                ("case_status", "detained"),
                ("letter", "About [[name:Kwon Hae-jin]]."),
                ("what_to_do", "Write for [[name:Kwon Hae-jin]]."),
                ("addr_name", "The Ambassador"),
                ("note", ""),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(created.status, 303, "{}", created.body);
    let id =
        created.header("location").unwrap().trim_start_matches("/admin/items/").split('?').next().unwrap().to_owned();
    let update = ed
        .post(
            &format!("/admin/items/{id}/updates"),
            &[("date", "2026-03-20"), ("text", "[[name:Kwon Hae-jin]] was moved."), ("source", "")],
        )
        .await;
    assert_eq!(update.status, 303);
    let staff_view = ed.get(&format!("/admin/items/{id}")).await;
    assert!(staff_view.body.contains("Kwon Hae-jin"), "the back office keeps the full name");

    let mut public: Vec<(String, String)> = app.crawl(500).await.into_iter().map(|(p, page)| (p, page.body)).collect();
    for path in [
        "/en/feed.xml",
        "/ja/feed.xml",
        "/sitemap.xml",
        "/en/appeals/kwon-appeal/feed.xml",
        "/en/appeals/kwon-appeal/letter.txt",
        "/en/appeals/kwon-appeal/appeal.html",
        "/en/appeals/eleven-held-at-the-border/feed.xml",
        "/en/appeals/eleven-held-at-the-border/letter.txt",
        "/en/search/?q=Kwon&lang=all",
        "/en/search/?q=Hae-jin&lang=all",
        "/en/search/?q=appeal&lang=all",
        "/ja/search/?q=%E6%9D%8E%E9%A0%86%E5%A7%AB&lang=all",
        "/ja/search/?q=%E7%B7%8A%E6%80%A5&lang=all",
    ] {
        let page = app.get(path).await;
        assert_eq!(page.status, 200, "{path}");
        public.push((path.to_owned(), page.body));
    }
    assert!(public.iter().any(|(p, _)| p == "/en/appeals/kwon-appeal/"), "the crawl reached the new appeal");
    for (path, body) in &public {
        // A search page repeats what the reader typed; its results must not
        // reveal anything.
        let body = if path.contains("/search/") { select(body, "ol.results").join("") } else { body.clone() };
        for name in FULL_NAMES {
            assert!(!body.contains(name), "{path} shows {name}");
        }
    }
    let page = app.get("/en/appeals/kwon-appeal/").await;
    assert!(page.body.contains("K. H.") && page.body.contains("201X"), "initials and blurred years instead");
    let hits = app.get("/en/search/?q=moved&lang=all").await;
    assert!(!hits.body.contains("Kwon"));
    app.stop().await;
}

#[tokio::test]
async fn an_appeal_from_publication_to_closed() {
    let app = spawn_app().await;
    let ed = sign_in(&app, "ed@example.org", Role::Editor, &[]).await;
    let tomorrow = time::OffsetDateTime::now_utc() + time::Duration::days(1);
    let deadline = format!("{:04}-{:02}-{:02}", tomorrow.year(), u8::from(tomorrow.month()), tomorrow.day());
    let fields = |status: &str, deadline: &str| {
        vec![
            ("title".to_owned(), "Three people held in a port city".to_owned()),
            ("slug".into(), "three-held".into()),
            ("summary".into(), "Held since Monday.".into()),
            ("body".into(), "They were arrested on Monday.".into()),
            ("status".into(), status.into()),
            ("published_at".into(), String::new()),
            ("number".into(), "UA 9/2026".into()),
            ("people_count".into(), "3".into()),
            ("case_status".into(), "detained".into()),
            ("deadline".into(), deadline.into()),
            ("what_to_do".into(), "Write to the governor.".into()),
            ("letter".into(), "Dear Governor, please release them.".into()),
            ("addr_name".into(), "The Governor".into()),
            ("addr_email".into(), "governor@example.org".into()),
            ("note".into(), String::new()),
            ("action".into(), "save".into()),
        ]
    };
    let draft = fields("draft", &deadline);
    let refs: Vec<(&str, &str)> = draft.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let created = ed.post("/admin/items/new?kind=appeal&lang=en", &refs).await;
    assert_eq!(created.status, 303);
    let id =
        created.header("location").unwrap().trim_start_matches("/admin/items/").split('?').next().unwrap().to_owned();
    assert_eq!(app.get("/en/appeals/three-held/").await.status, 404, "a draft is not public");

    let published = fields("published", &deadline);
    let refs: Vec<(&str, &str)> = published.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(ed.post(&format!("/admin/items/{id}"), &refs).await.status, 303);
    let page = app.get("/en/appeals/three-held/").await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("governor@example.org") && page.body.contains("Dear Governor"),
        "action box with addressees and letter"
    );
    let list = app.get("/en/appeals/").await;
    assert!(
        select(&list.body, "ol.appeals:not(.closed) a").iter().any(|a| a.contains("Three people held")),
        "listed as open"
    );
    let letter = app.get("/en/appeals/three-held/letter.txt").await;
    assert_eq!(letter.header("content-type"), Some("text/plain; charset=utf-8"));
    assert_eq!(letter.header("content-disposition"), Some("attachment; filename=\"letter-three-held.txt\""));

    // Further information: on the page, in the language feed and the appeal's feed.
    let update = ed
        .post(
            &format!("/admin/items/{id}/updates"),
            &[("date", "2026-11-20"), ("text", "They were moved to the capital."), ("source", "A lawyer")],
        )
        .await;
    assert_eq!(update.status, 303);
    let page = app.get("/en/appeals/three-held/").await;
    assert!(
        select(&page.body, "section.timeline li")
            .iter()
            .any(|li| li.contains("moved to the capital") && li.contains("A lawyer"))
    );
    let feed = app.get("/en/feed.xml").await;
    assert!(feed.body.contains("/en/appeals/three-held/#update-"), "the update is in the language feed");
    let own = app.get("/en/appeals/three-held/feed.xml").await;
    assert_eq!(own.status, 200);
    assert!(roxmltree::Document::parse(&own.body).is_ok());
    assert!(own.body.contains("moved to the capital"));

    // The deadline passes: the appeal shows as closed and leaves the home page.
    let closed = fields("published", "2020-01-01");
    let refs: Vec<(&str, &str)> = closed.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(ed.post(&format!("/admin/items/{id}"), &refs).await.status, 303);
    let page = app.get("/en/appeals/three-held/").await;
    assert!(page.body.contains("This appeal is closed"));
    assert!(select(&page.body, "section.action").is_empty(), "no action asked any more");
    let list = app.get("/en/appeals/").await;
    assert!(
        select(&list.body, "ol.appeals.closed a").iter().any(|a| a.contains("Three people held")),
        "listed as closed"
    );
    assert!(!select(&app.get("/en/").await.body, "section.featured").join("").contains("Three people held"));
    app.stop().await;
}

/// Preview never writes, on any editor form. An appeal's "What you can
/// do" field was once named like the buttons, and Preview saved and
/// published the unfinished appeal.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn preview_never_writes() {
    use refuge_core::{Kind, Language, NewsletterReads, PublicContent, Slug};
    let app = spawn_app().await;
    let ed = sign_in(&app, "ed@example.org", Role::Editor, &[]).await;
    let en = Language::parse("en").unwrap();
    let slug = Slug::parse("eleven-held-at-the-border").unwrap();
    let appeal = app.store.published_item(Kind::Appeal, &en, &slug).unwrap().unwrap();
    // The form as the browser sends it: every field, then the button pressed.
    let page = ed.get(&format!("/admin/items/{}", appeal.id)).await;
    let mut fields: Vec<(String, String)> = Vec::new();
    for (name, value) in crate::helpers::form_fields(&page.body, "form.editor") {
        if name != "csrf" && name != "intent" {
            fields.push((name, value));
        }
    }
    for f in fields.iter_mut() {
        if f.0 == "title" {
            f.1 = "UNFINISHED TITLE".into();
        }
    }
    fields.push(("intent".into(), "preview".into()));
    let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let shown = ed.post(&format!("/admin/items/{}", appeal.id), &refs).await;
    assert_eq!(shown.status, 200, "a preview, not a redirect after saving");
    assert!(shown.body.contains("UNFINISHED TITLE"), "the preview shows the change");
    let public = app.get(&appeal.path()).await;
    assert!(!public.body.contains("UNFINISHED TITLE"), "the public page is untouched");
    assert_eq!(app.store.item(appeal.id).unwrap().unwrap().title, appeal.title);

    // A new appeal and a new article: Preview creates nothing.
    for kind in ["appeal", "news", "page"] {
        let before = app.store.item_versions().unwrap().len();
        let preview = ed
            .post(
                &format!("/admin/items/new?kind={kind}&lang=en"),
                &[
                    ("title", "Only a preview"),
                    ("slug", ""),
                    ("summary", "s"),
                    ("body", "b"),
                    ("status", "draft"),
                    ("published_at", ""),
                    ("note", ""),
                    ("what_to_do", "Write."),
                    ("intent", "preview"),
                ],
            )
            .await;
        assert_eq!(preview.status, 200, "{kind}");
        assert_eq!(app.store.item_versions().unwrap().len(), before, "{kind}: nothing created");
    }
    // A newsletter: Preview saves nothing either.
    let preview = ed
        .post(
            "/admin/newsletters",
            &[("lang", "en"), ("topic", "news"), ("title", "Draft"), ("body", "b"), ("intent", "preview")],
        )
        .await;
    assert_eq!(preview.status, 200);
    assert!(app.store.newsletters(None, false).unwrap().is_empty());
    app.stop().await;
}

/// The deadline and the timeline's dates are written in the reader's
/// language (they were shown as 2099-01-15 beside dates written out).
#[tokio::test]
async fn appeal_dates_are_written_in_the_readers_language() {
    let app = spawn_app().await;
    let ed = sign_in(&app, "ed@example.org", Role::Editor, &[]).await;
    for (lang, deadline_shown, update_shown) in
        [("en", "15 January 2099", "20 November 2026"), ("ja", "2099年1月15日", "2026年11月20日")]
    {
        let fields = [
            ("title", "Held at the border"),
            ("slug", &*format!("held-{lang}")),
            ("summary", ""),
            ("body", "Text."),
            ("status", "published"),
            ("published_at", ""),
            ("deadline", "2099-01-15"),
            ("case_status", "detained"),
            ("note", ""),
            ("action", "save"),
        ];
        let created = ed.post(&format!("/admin/items/new?kind=appeal&lang={lang}"), &fields).await;
        assert_eq!(created.status, 303, "{}", created.body);
        let id = created
            .header("location")
            .unwrap()
            .trim_start_matches("/admin/items/")
            .split('?')
            .next()
            .unwrap()
            .to_owned();
        let update = ed
            .post(&format!("/admin/items/{id}/updates"), &[("date", "2026-11-20"), ("text", "Moved."), ("source", "")])
            .await;
        assert_eq!(update.status, 303);
        for path in [format!("/{lang}/appeals/held-{lang}/"), format!("/{lang}/appeals/held-{lang}/appeal.html")] {
            let page = app.get(&path).await;
            assert_eq!(page.status, 200, "{path}");
            let text: String = scraper::Html::parse_document(&page.body).root_element().text().collect();
            assert!(text.contains(deadline_shown) && text.contains(update_shown), "{path}: {text}");
            assert!(!text.contains("2099-01-15") && !text.contains("2026-11-20"), "{path}: no ISO date shown");
        }
        let list = app.get(&format!("/{lang}/appeals/")).await.body;
        assert!(list.contains(deadline_shown), "the appeals list too");
    }
    app.stop().await;
}

/// A Japanese translation started from the English appeal keeps the
/// English words the translator has not translated yet: the public page
/// marks each such field (its language, "not yet translated") instead of
/// a silent mix, writes dates as Japanese does, and the dashboard lists it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_translated_appeal_marks_what_is_not_yet_translated() {
    let app = spawn_app().await;
    let ed = sign_in(&app, "ed@example.org", Role::Editor, &[]).await;
    let tr = sign_in(&app, "tr@example.org", Role::Translator, &["ja"]).await;
    let english: Vec<(&str, &str)> = vec![
        ("title", "Two people held in a port city"),
        ("slug", "two-held"),
        ("summary", "Held since January."),
        ("body", "They were arrested in January."),
        ("status", "published"),
        ("published_at", ""),
        ("number", "UA 11/2026"),
        ("people_count", "2"),
        ("ages", "32 and 27"),
        ("held_where", "Port city detention centre"),
        ("held_since", "2026-01-14"),
        ("case_status", "detained"),
        ("deadline", "2099-01-15"),
        ("what_to_do", "Write to the governor."),
        ("letter", "Dear Governor, please release them."),
        ("addr_name", "Governor Example"),
        ("addr_institution", "Office of the Governor"),
        ("addr_email", "governor@example.org"),
        ("note", ""),
        ("action", "save"),
    ];
    let created = ed.post("/admin/items/new?kind=appeal&lang=en", &english).await;
    assert_eq!(created.status, 303, "{}", created.body);
    let source_id: i64 = created
        .header("location")
        .unwrap()
        .trim_start_matches("/admin/items/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();

    // The translator's form comes filled with the English facts; they
    // translate the title, the text and what to do, and nothing else yet.
    let form = tr.get(&format!("/admin/items/{source_id}/translate/ja")).await;
    assert_eq!(form.status, 200);
    let mut fields: Vec<(String, String)> =
        form_fields(&form.body, "form.editor").into_iter().filter(|(k, _)| k != "csrf").collect();
    let set =
        |fields: &mut Vec<(String, String)>, key: &str, value: &str| match fields.iter_mut().find(|(k, _)| k == key) {
            Some(f) => f.1 = value.into(),
            None => fields.push((key.into(), value.into())),
        };
    assert!(fields.iter().any(|(k, v)| k == "ages" && v == "32 and 27"), "pre-filled: {fields:?}");
    set(&mut fields, "title", "港町で二人が拘束");
    set(&mut fields, "summary", "1月から拘束されています。");
    set(&mut fields, "body", "二人は1月に逮捕されました。");
    set(&mut fields, "what_to_do", "知事に手紙を書いてください。");
    set(&mut fields, "status", "review");
    let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let sent = tr.post(&format!("/admin/items/{source_id}/translate/ja"), &refs).await;
    assert_eq!(sent.status, 303, "{}", select(&sent.body, ".error").join(""));
    let ja_id =
        sent.header("location").unwrap().trim_start_matches("/admin/items/").split('?').next().unwrap().to_owned();

    // Listed on the dashboard as missing its translation.
    let dashboard = ed.get("/admin/").await;
    let listed = select(&dashboard.body, "section.untranslated li");
    assert!(listed.iter().any(|l| l.contains(&format!("/admin/items/{ja_id}"))), "{listed:?}");

    // The editor publishes it as it is.
    let page = ed.get(&format!("/admin/items/{ja_id}")).await;
    let mut fields: Vec<(String, String)> =
        form_fields(&page.body, "form.editor").into_iter().filter(|(k, _)| k != "csrf").collect();
    set(&mut fields, "status", "published");
    fields.push(("intent".into(), "save".into()));
    let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(ed.post(&format!("/admin/items/{ja_id}"), &refs).await.status, 303);

    let ja = app.get("/ja/appeals/two-held/").await;
    assert_eq!(ja.status, 200);
    let marked: Vec<String> = select(&ja.body, "dd span[lang=en]");
    for english in ["32 and 27", "Port city detention centre"] {
        assert!(marked.iter().any(|m| m.contains(english)), "{english} marked as English: {marked:?}");
    }
    assert_eq!(select(&ja.body, "dd small.untranslated").len(), 2, "only the untranslated facts");
    assert!(ja.body.contains("2026年1月14日") && !ja.body.contains(">2026-01-14<"), "the day is data");
    assert_eq!(select(&ja.body, "pre.letter[lang=en]").len(), 1, "the letter is marked");
    assert!(select(&ja.body, ".addressees span[lang=en]").iter().any(|s| s.contains("Office of the Governor")));
    assert!(ja.body.contains("知事に手紙を書いてください。"));
    assert!(select(&ja.body, "section.action div[lang=en]").is_empty(), "what to do is translated");
    // The single file says the same.
    let file = app.get("/ja/appeals/two-held/appeal.html").await;
    assert!(file.body.contains("（未翻訳）") && file.body.contains("lang=\"en\""));
    // The English page has nothing marked.
    let en = app.get("/en/appeals/two-held/").await;
    assert!(select(&en.body, ".untranslated").is_empty());
    app.stop().await;
}
