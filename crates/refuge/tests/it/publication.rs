//! Going online, however it is done: every image described first (by
//! save, bulk publish, review, restore or the scheduler), lists and bulk
//! actions, dates in the site's and the account's zone.

use refuge_core::{AsideKind, ContentStore, Kind, Language, Role, Slug, Status};
use refuge_core::{AsideReads, ContentReads};

use crate::admin::{article_fields, sign_in};
use crate::editorial::{edited, item_id, post_fields};
use crate::helpers::*;

/// An image without alternative text keeps an item off the site by every
/// path, not only the editor's save: bulk publish, publishing a reviewed
/// change, restoring a revision, and the scheduler each refuse it, say
/// why, and leave what was online as it was. (Only the save checked.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_image_without_alternative_text_goes_online_by_no_path() {
    let app = spawn_app().await;
    let ed = sign_in(&app, "ed@example.org", Role::Editor, &[]).await;
    let tr = sign_in(&app, "tr@example.org", Role::Translator, &["ja"]).await;
    let bare = "Before the river.\n\n![](/media/river.jpg)\n";
    let described = "Before the river.\n\n![Two people at the river](/media/river.jpg)\n";
    let status = |id: i64| app.store.item(id).unwrap().unwrap().status;

    // Bulk publish: refused, listed, still a draft.
    let created = ed.post("/admin/items/new?kind=news&lang=en", &article_fields("Bare image", bare, "draft", "")).await;
    assert_eq!(created.status, 303, "a draft may wait for its text: {}", created.body);
    let draft = item_id(created.header("location").unwrap());
    let bulk = ed
        .post("/admin/items/bulk", &[("ids", &draft.to_string()), ("bulk_action", "publish"), ("confirm", "1")])
        .await;
    assert_eq!(bulk.status, 422, "{}", bulk.body);
    assert!(bulk.body.contains("Bare image") && bulk.body.contains("no alternative text"), "{}", bulk.body);
    assert_eq!(status(draft), Status::Draft);

    // Restore: a published item's first revision had no text for its image.
    let publish = edited(&ed, &format!("/admin/items/{draft}"), &[("status", "published"), ("body", described)]).await;
    assert_eq!(post_fields(&ed, &format!("/admin/items/{draft}"), &publish).await.status, 303);
    let first = app.store.revisions(draft).unwrap().last().unwrap().id;
    let restore = ed.post(&format!("/admin/items/{draft}/restore/{first}"), &[]).await;
    assert_eq!(restore.status, 422, "{}", restore.body);
    assert!(restore.body.contains("no alternative text"), "{}", restore.body);
    assert!(app.store.item(draft).unwrap().unwrap().body.contains("Two people"), "the online text stays");

    // A reviewed change: a translator's change to a published translation
    // drops the image's text; the editor's Publish is refused, the change waits.
    let mut fields = article_fields("川辺にて", "川辺で。\n\n![川辺の二人](/media/river.jpg)\n", "review", "");
    fields.retain(|(k, _)| *k != "action");
    let translated = tr.post(&format!("/admin/items/{draft}/translate/ja"), &fields).await;
    assert_eq!(translated.status, 303, "{}", translated.body);
    let ja = item_id(translated.header("location").unwrap());
    let publish = edited(&ed, &format!("/admin/items/{ja}"), &[("status", "published")]).await;
    assert_eq!(post_fields(&ed, &format!("/admin/items/{ja}"), &publish).await.status, 303);
    let change = edited(&tr, &format!("/admin/items/{ja}"), &[("body", "川辺で。\n\n![](/media/river.jpg)\n")]).await;
    assert_eq!(post_fields(&tr, &format!("/admin/items/{ja}"), &change).await.status, 303);
    let review = attrs(&ed.get(&format!("/admin/items/{ja}")).await.body, "section.reviews a", "href");
    assert_eq!(review.len(), 1, "one change awaiting review");
    let refused = ed.post(&review[0], &[("intent", "publish")]).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(refused.body.contains("no alternative text"), "{}", refused.body);
    assert!(app.store.item(ja).unwrap().unwrap().body.contains("川辺の二人"), "the published text stays");
    assert_eq!(app.store.asides_of_item(ja, AsideKind::Review).unwrap().len(), 1, "the change still waits");

    // The scheduler: an item scheduled without the text (written before the
    // rule, or by another path) goes back to draft with the reason in its history.
    let past = time::OffsetDateTime::now_utc() - time::Duration::minutes(1);
    let scheduled = app
        .store
        .save_item(
            None,
            &refuge_core::ItemDraft {
                group_id: None,
                kind: Kind::News,
                lang: Language::parse("en").unwrap(),
                slug: Slug::parse("scheduled-bare-image").unwrap(),
                title: "Scheduled bare image".into(),
                summary: String::new(),
                body: bare.into(),
                category: None,
                tags: Vec::new(),
                status: Status::Scheduled,
                published_at: Some(past),
            },
        )
        .unwrap();
    app.state.wake.scheduler.notify_one();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while status(scheduled.id) == Status::Scheduled && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(status(scheduled.id), Status::Draft, "not published");
    let why = &app.store.revisions(scheduled.id).unwrap()[0].note;
    assert!(why.contains("alternative text"), "{why}");
    assert_eq!(app.get("/en/news/scheduled-bare-image/").await.status, 404);
    app.stop().await;
}

/// An English-only editor uploads with English alternative text only;
/// Japanese is "to translate", and a Japanese article cannot go online
/// with the image until its own text describes it. (Japanese alt text
/// was required before any upload.)
#[tokio::test]
async fn alternative_text_is_asked_where_it_is_used() {
    let app = spawn_app().await;
    let ed = sign_in(&app, "ed@example.org", Role::Editor, &[]).await;
    let photo = refuge_media::testing::tagged_jpeg(640, 480, 1);
    let uploaded = crate::media::upload(&ed, "river.jpg", &photo, "Two people at the river", "").await;
    assert_eq!(uploaded.status, 200, "one language is enough: {}", uploaded.body);
    assert!(select(&uploaded.body, ".flag").iter().any(|f| f.contains("to translate")));
    let markdown = select(&uploaded.body, "dl.facts code");
    assert!(markdown[0].contains("![Two people at the river](/media/"), "{markdown:?}");
    assert!(markdown[1].contains("![](/media/"), "the Japanese Markdown has no text yet: {markdown:?}");
    let ja_markdown = markdown[1].trim_start_matches("<code>").trim_end_matches("</code>").to_owned();
    let mut fields = crate::admin::article_fields("川辺にて", &ja_markdown, "published", "");
    fields.retain(|(k, _)| *k != "action");
    let refused = ed.post("/admin/items/new?kind=news&lang=ja", &fields).await;
    assert_eq!(refused.status, 422);
    assert!(refused.body.contains("no alternative text"), "{}", refused.body);
    let described = ja_markdown.replace("![]", "![川辺の二人]");
    let mut fields = crate::admin::article_fields("川辺にて", &described, "published", "");
    fields.retain(|(k, _)| *k != "action");
    assert_eq!(ed.post("/admin/items/new?kind=news&lang=ja", &fields).await.status, 303);
    // The library is searched by name or description, and says where each file is used.
    let found = ed.get("/admin/media?q=PEOPLE+AT").await;
    assert!(select(&found.body, ".used-by a").iter().any(|a| a.contains("川辺にて")), "{}", found.body);
    let none = ed.get("/admin/media?q=nothing-like-this").await;
    assert!(select(&none.body, ".media-item").is_empty());
    app.stop().await;
}

/// Finding things: search by words in any language, filters, order;
/// bulk publish and delete with one confirmation; the dashboard shows
/// what waits; a new item's language is chosen in its form.
#[tokio::test]
async fn admin_lists_search_filter_sort_and_act_in_bulk() {
    let app = spawn_app().await;
    let ed = sign_in(&app, "ed@example.org", Role::Editor, &[]).await;
    let mut ids = Vec::new();
    for (title, body, lang) in [
        ("Alpha draft about rivers", "The river is narrow here.", "en"),
        ("Beta draft", "国境の川は狭い。", "ja"),
        ("Gamma draft", "Nothing about water.", "en"),
    ] {
        let mut fields = crate::admin::article_fields(title, body, "draft", "");
        fields.retain(|(k, _)| *k != "action");
        fields.push(("item_lang", lang));
        // The address says English; the form's language choice wins.
        let created = ed.post("/admin/items/new?kind=news&lang=en", &fields).await;
        assert_eq!(created.status, 303);
        let id = item_id(created.header("location").unwrap());
        assert_eq!(app.store.item(id).unwrap().unwrap().lang.as_str(), lang);
        ids.push(id);
    }
    let list = ed.get("/admin/items?kind=news&q=river").await;
    assert!(list.body.contains("Alpha draft about rivers") && !list.body.contains("Gamma draft"));
    let ja = ed.get(&format!("/admin/items?kind=news&q={}", "%E5%9B%BD%E5%A2%83")).await;
    assert!(ja.body.contains("Beta draft"), "Japanese text is searched too");
    let mine = ed.get("/admin/items?kind=news&status=draft&sort=title").await;
    let titles = select(&mine.body, "table.rows td a");
    let alpha = titles.iter().position(|t| t.contains("Alpha")).unwrap();
    let gamma = titles.iter().position(|t| t.contains("Gamma")).unwrap();
    assert!(alpha < gamma, "ordered by title");

    // Publish two at once: a confirmation lists them first.
    let picked = [("ids", ids[0].to_string()), ("ids", ids[2].to_string()), ("bulk_action", "publish".into())];
    let refs: Vec<(&str, &str)> = picked.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let asked = ed.post("/admin/items/bulk", &refs).await;
    assert_eq!(asked.status, 200);
    assert!(select(&asked.body, "ul.uses a").len() == 2, "{}", asked.body);
    assert_eq!(app.store.item(ids[0]).unwrap().unwrap().status.as_str(), "draft", "asking changes nothing");
    let mut confirmed = refs.clone();
    confirmed.push(("confirm", "1"));
    assert_eq!(ed.post("/admin/items/bulk", &confirmed).await.status, 200);
    assert_eq!(app.store.item(ids[0]).unwrap().unwrap().status.as_str(), "published");
    assert_eq!(app.get("/en/news/gamma-draft/").await.status, 200, "online");
    let delete = [("ids", ids[1].to_string()), ("bulk_action", "delete".into()), ("confirm", "1".into())];
    let refs: Vec<(&str, &str)> = delete.iter().map(|(k, v)| (*k, v.as_str())).collect();
    ed.post("/admin/items/bulk", &refs).await;
    assert!(app.store.item(ids[1]).unwrap().is_none());
    app.stop().await;
}

/// Dates in the back office are in the site's time zone (Asia/Tokyo in
/// the demo) or the account's own; storage stays UTC.
#[tokio::test]
async fn dates_are_typed_and_shown_in_the_site_and_account_zone() {
    let app = spawn_app().await;
    let ed = sign_in(&app, "ed@example.org", Role::Editor, &[]).await;
    let mut fields = crate::admin::article_fields("At nine in Tokyo", "b", "scheduled", "2031-01-15T09:00");
    fields.retain(|(k, _)| *k != "action");
    let created = ed.post("/admin/items/new?kind=news&lang=en", &fields).await;
    assert_eq!(created.status, 303, "{}", created.body);
    let id = item_id(created.header("location").unwrap());
    let stored = app.store.item(id).unwrap().unwrap().published_at.unwrap();
    assert_eq!((stored.hour(), stored.day()), (0, 15), "09:00 in Tokyo is 00:00 UTC");
    let page = ed.get(&format!("/admin/items/{id}")).await;
    assert_eq!(attrs(&page.body, "#published_at", "value"), vec!["2031-01-15T09:00".to_owned()]);
    let list = ed.get("/admin/items?kind=news&sort=updated").await;
    assert!(list.body.contains(" JST"), "lists show Tokyo time");

    // An account in Berlin sees and types its own time.
    let shown = ed.post("/admin/account/zone", &[("time_zone", "Europe/Berlin")]).await;
    assert_eq!(shown.status, 303);
    let page = ed.get(&format!("/admin/items/{id}")).await;
    assert_eq!(attrs(&page.body, "#published_at", "value"), vec!["2031-01-15T01:00".to_owned()]);
    let unknown = ed.post("/admin/account/zone", &[("time_zone", "Mars/Olympus")]).await;
    assert_eq!(unknown.status, 422);
    assert!(unknown.body.contains("not a time zone name"));
    app.stop().await;
}

/// `HH:MM` wall-clock stamp of `t` at `offset` hours, as a `datetime-local`.
fn stamp_at(t: time::OffsetDateTime, offset: i8) -> String {
    let l = t.to_offset(time::UtcOffset::from_hms(offset, 0, 0).unwrap());
    format!("{:04}-{:02}-{:02}T{:02}:{:02}", l.year(), u8::from(l.month()), l.day(), l.hour(), l.minute())
}

/// "Scheduled" with a time already gone by is refused with the time it
/// is now where the editor is, the text kept, nothing published; every
/// date field names the zone it is read in. (A Seoul editor typing a UTC
/// clock four minutes ahead saw the appeal go public at once, "Saved.".)
#[tokio::test]
async fn a_schedule_in_the_past_is_refused_not_published_at_once() {
    let app = spawn_app().await;
    let ed = sign_in(&app, "ed@example.org", Role::Editor, &[]).await;
    assert_eq!(ed.post("/admin/account/zone", &[("time_zone", "Asia/Seoul")]).await.status, 303);
    let form = ed.get("/admin/items/new?kind=news&lang=en").await;
    let label = select(&form.body, "label[for=published_at]").join("");
    assert!(label.contains("Asia/Seoul") && !label.contains("UTC"), "the field names its zone: {label}");
    let list = ed.get("/admin/items?kind=news").await;
    assert!(select(&list.body, "label[for=f-from]").join("").contains("Asia/Seoul"));

    let soon = time::OffsetDateTime::now_utc() + time::Duration::minutes(4);
    let utc_clock = stamp_at(soon, 0);
    let mut fields = article_fields("Released at noon", "Typed with care.", "scheduled", &utc_clock);
    fields.retain(|(k, _)| *k != "action");
    let refused = ed.post("/admin/items/new?kind=news&lang=en", &fields).await;
    assert_eq!(refused.status, 422, "a time in Seoul nine hours ago is not a schedule");
    let error = select(&refused.body, "#published_at ~ .field-error").join("");
    assert!(error.contains("has passed") && error.contains("KST"), "says the time it is there: {error}");
    assert!(refused.body.contains("Typed with care."), "nothing typed is lost");
    let slug = Slug::parse("released-at-noon").unwrap();
    let en = Language::parse("en").unwrap();
    assert!(app.store.item_id_by_slug(Kind::News, &en, &slug).unwrap().is_none(), "nothing was saved");
    assert_eq!(app.get("/en/news/released-at-noon/").await.status, 404, "nothing went public");

    let seoul_clock = stamp_at(soon, 9);
    let mut fields = article_fields("Released at noon", "Typed with care.", "scheduled", &seoul_clock);
    fields.retain(|(k, _)| *k != "action");
    let saved = ed.post("/admin/items/new?kind=news&lang=en", &fields).await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let item = app.store.item(item_id(saved.header("location").unwrap())).unwrap().unwrap();
    assert_eq!(item.status, Status::Scheduled);
    assert_eq!(app.get("/en/news/released-at-noon/").await.status, 404, "not before its time");
    app.stop().await;
}
