//! The back office in a real browser, as its people use it: every page's
//! layout at 1280 and 390 px (labels above their fields, nothing wider
//! than the screen), screenshots under `target/e2e/`.

use refuge_core::{AsideReads, ContentReads, UserReads};
use refuge_core::{ContentStore, Email, Kind, Language, PublicContent, Role, Slug, UserStore};

use crate::browser::Browser;
use crate::helpers::*;

const PASSWORD: &str = "a long enough password";

/// Signs `email` in through the sign-in form.
pub async fn browser_sign_in(browser: &Browser, app: &TestApp, email: &str) {
    browser.go(&app.url("/admin/login")).await;
    browser.type_into("#email", email).await;
    browser.type_into("#password", PASSWORD).await;
    browser.click("form button[type=submit]").await;
    browser.wait_for("the dashboard", |url, _| url.ends_with("/admin/")).await;
}

/// Layout faults of the page in the browser: each a sentence.
async fn layout_faults(browser: &Browser) -> Vec<String> {
    let found = browser
        .run_script(
            r#"
const faults = [];
const width = document.documentElement.clientWidth;
if (document.documentElement.scrollWidth > width + 1) {
  faults.push(`the page is ${document.documentElement.scrollWidth}px wide on a ${width}px screen`);
}
for (const label of document.querySelectorAll('form.stack label[for], .stack label[for]')) {
  if (label.classList.contains('check') || label.classList.contains('visually-hidden')) continue;
  const field = document.getElementById(label.htmlFor);
  if (!field || field.type === 'hidden') continue;
  const a = label.getBoundingClientRect(), b = field.getBoundingClientRect();
  if (a.width === 0 || b.width === 0) continue;
  if (a.bottom > b.top + 2) faults.push(`label “${label.textContent.trim()}” is not above its field #${field.id}`);
  if (!field.closest('table') && (field.tagName === 'TEXTAREA' || (field.tagName === 'INPUT' && field.type !== 'checkbox'))) {
    const form = field.closest('form').getBoundingClientRect();
    if (b.width < Math.min(form.width, 600) * 0.6) faults.push(`#${field.id} is only ${Math.round(b.width)}px wide`);
  }
}
const narrow = width <= 640;
const header = document.querySelector('.admin-header');
if (narrow && header && header.getBoundingClientRect().height > window.innerHeight * 0.2) {
  faults.push(`the header takes ${Math.round(100 * header.getBoundingClientRect().height / window.innerHeight)}% of the screen`);
}
for (const label of document.querySelectorAll('.filters label[for]')) {
  if (label.classList.contains('visually-hidden')) continue;
  const field = document.getElementById(label.htmlFor);
  if (!field) continue;
  const a = label.getBoundingClientRect(), b = field.getBoundingClientRect();
  const sameRow = Math.abs((a.top + a.bottom) / 2 - (b.top + b.bottom) / 2) < b.height && b.left >= a.left && b.left - a.right < 40;
  const below = b.top >= a.bottom - 2 && b.top - a.bottom < 8 && Math.abs(b.left - a.left) < 8;
  if (!sameRow && !below) faults.push(`filter label “${label.textContent.trim()}” sits away from its field #${field.id}`);
}
const banners = [...document.querySelectorAll('.notice, [role=status]')].filter(n => n.textContent.trim() && n.getBoundingClientRect().height > 0);
if (new Set(banners).size > 1) faults.push(`${banners.length} status banners: ${banners.map(b => b.textContent.trim().slice(0, 40)).join(' | ')}`);
for (const table of document.querySelectorAll('table.rows')) {
  const heads = table.querySelectorAll('thead th');
  const third = heads[Math.min(2, heads.length - 1)];
  if (third && third.getBoundingClientRect().right > width + 1) faults.push(`column “${third.textContent.trim()}” is off the screen`);
}
for (const input of document.querySelectorAll('input[type=password], input[type=date], input[type=datetime-local]')) {
  const style = getComputedStyle(input);
  if (style.borderTopStyle === 'inset' || style.paddingTop === '1px') faults.push(`#${input.id} is unstyled`);
}
return faults;
"#,
        )
        .await;
    found.as_array().unwrap().iter().map(|f| f.as_str().unwrap().to_owned()).collect()
}

/// Every back-office page, at 1280 and 390 px: labels sit above their
/// fields (a filter's beside it), text areas are wide, inputs styled,
/// nothing is wider than the screen, the header leaves a phone's screen
/// to the page, one status banner at most, and axe finds nothing. (Labels sat to the right of the previous field in Site
/// settings, the FAQ editor and an appeal's facts; tables made pages
/// 414–588 px wide on a 390 px screen.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_back_office_page_lays_out_at_1280_and_390() {
    let Some(browser) = Browser::start().await else { return };
    let app = spawn_app().await;
    app.store.add_user(&Email::parse("boss@example.org").unwrap(), Role::Admin, PASSWORD).unwrap();
    let en = Language::parse("en").unwrap();
    let appeal = app
        .store
        .published_item(Kind::Appeal, &en, &Slug::parse("eleven-held-at-the-border").unwrap())
        .unwrap()
        .unwrap();
    let article = app.store.admin_items(&Default::default()).unwrap().0[0].id;
    // A second revision, to look at restoring the first.
    let mut draft = draft_of(&app.store.item(article).unwrap().unwrap());
    draft.body.push_str("\n\nOne more line.");
    app.store.save_item(Some(article), &draft).unwrap();
    let first = app.store.revisions(article).unwrap().last().unwrap().id;
    browser_sign_in(&browser, &app, "boss@example.org").await;
    let pages = [
        ("dashboard", "/admin/".to_owned()),
        ("news", "/admin/items?kind=news".into()),
        ("new-article", "/admin/items/new?kind=news&lang=en".into()),
        ("appeal", format!("/admin/items/{}", appeal.id)),
        ("history", format!("/admin/items/{article}/history")),
        ("restore", format!("/admin/items/{article}/restore/{first}")),
        ("settings", "/admin/settings".into()),
        ("faq", "/admin/faq/en".into()),
        ("menus", "/admin/menus/ja".into()),
        ("users", "/admin/users".into()),
        ("account", "/admin/account".into()),
        ("media", "/admin/media".into()),
        ("newsletters", "/admin/newsletters".into()),
        ("subscribers", "/admin/subscribers".into()),
        ("inbox", "/admin/inbox".into()),
        ("audit", "/admin/audit".into()),
    ];
    let mut faults = Vec::new();
    for width in [1280, 390] {
        browser.resize(width, 900).await;
        for (name, path) in &pages {
            browser.go(&app.url(path)).await;
            for fault in layout_faults(&browser).await {
                faults.push(format!("{path} at {width}px: {fault}"));
            }
            faults.extend(axe_here(&browser, &format!("{path} at {width}px")).await);
            browser.screenshot(&format!("admin-{name}-{width}")).await;
        }
    }
    assert!(faults.is_empty(), "layout faults:\n{}", faults.join("\n"));
    browser.close().await;
    app.stop().await;
}

/// Runs axe on the page in the browser; its violations, named by `what`.
async fn axe_here(browser: &Browser, what: &str) -> Vec<String> {
    let Some(tools) = crate::quality::tools() else { return Vec::new() };
    let source = std::fs::read_to_string(tools.join("axe-core/axe.min.js")).unwrap();
    crate::quality::axe(browser, &source).await.into_iter().map(|v| format!("{what}: {v}")).collect()
}

async fn sign_out(browser: &Browser) {
    browser.click("form[action='/admin/logout'] button").await;
    browser.wait_for("signed out", |url, _| !url.contains("/admin/items")).await;
}

/// The editors' day in the browser: a Japanese translator updates a
/// published translation at 390 px (kept for review, the public text
/// unchanged), the editor compares and publishes it at 1280 px, two tabs
/// of one item collide and are shown side by side, a session ends while
/// an article is being written and the text comes back after signing in,
/// the script autosaves and inserts an image at the cursor, and a
/// newsletter asks before it is sent. Screenshots under `target/e2e/`;
/// axe finds nothing on the new pages.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_editors_day_in_the_browser() {
    use refuge_core::{AsideKind, ItemDraft, Status};
    let Some(browser) = Browser::start().await else { return };
    let app = spawn_app().await;
    let origin = app.base.clone();
    for (email, role, langs) in [
        ("ed@example.org", Role::Editor, vec![]),
        ("tr@example.org", Role::Translator, vec![Language::parse("ja").unwrap()]),
    ] {
        let user = app.store.add_user(&Email::parse(email).unwrap(), role, PASSWORD).unwrap();
        app.store.set_role(user.id, role, &langs).unwrap();
    }
    // A published Japanese translation whose English source changed since.
    let en = Language::parse("en").unwrap();
    let source =
        app.store.published_item(Kind::News, &en, &Slug::parse("testimony-evening-tokyo").unwrap()).unwrap().unwrap();
    let ja = app
        .store
        .save_item(
            None,
            &ItemDraft {
                group_id: Some(source.group_id),
                kind: Kind::News,
                lang: Language::parse("ja").unwrap(),
                slug: source.slug.clone(),
                title: "東京での証言の夕べ".into(),
                summary: String::new(),
                body: "九十人が集まりました。".into(),
                category: None,
                tags: Vec::new(),
                status: Status::Published,
                published_at: source.published_at,
            },
        )
        .unwrap();
    app.store.mark_translated(ja.id, source.id).unwrap();
    let mut changed = ItemDraft {
        group_id: Some(source.group_id),
        kind: source.kind,
        lang: source.lang.clone(),
        slug: source.slug.clone(),
        title: source.title.clone(),
        summary: source.summary.clone(),
        body: format!("{}\n\nA new paragraph.", source.body),
        category: source.category.clone(),
        tags: source.tags.clone(),
        status: Status::Published,
        published_at: source.published_at,
    };
    app.store.save_item(Some(source.id), &changed).unwrap();
    let mut violations = Vec::new();

    // The translator, on a phone.
    browser.resize(390, 900).await;
    browser_sign_in(&browser, &app, "tr@example.org").await;
    browser.go(&app.url(&format!("/admin/items/{}", ja.id))).await;
    browser.wait_for("the translation", |_, s| s.contains("A new paragraph.")).await;
    browser.screenshot("walk-translator-flagged-390").await;
    browser.type_into("#body", "九十人が集まりました。新しい段落。").await;
    browser.click("input[name=mark_current]").await;
    browser.click("button[value=save]").await;
    browser.wait_for("kept for review", |url, _| url.contains("notice=submitted")).await;
    browser.screenshot("walk-translator-submitted-390").await;
    let faults = layout_faults(&browser).await;
    assert!(faults.is_empty(), "the translator's page after submitting: {faults:?}");
    assert!(!app.get(&ja.path()).await.body.contains("新しい段落"), "the published text stays");
    browser.go(&app.url(&format!("/admin/items/{}", source.id))).await;
    assert!(!browser.source().await.contains("value=\"save\""), "the source is read-only for a translator");
    browser.screenshot("walk-translator-source-read-only-390").await;
    sign_out(&browser).await;

    // The editor, at a desk: the dashboard says what waits.
    browser.resize(1280, 1000).await;
    browser_sign_in(&browser, &app, "ed@example.org").await;
    assert!(browser.source().await.contains("東京での証言の夕べ"), "the change awaiting review is on the dashboard");
    browser.screenshot("walk-editor-dashboard-1280").await;
    let aside = app.store.asides_of_item(ja.id, AsideKind::Review).unwrap().remove(0);
    browser.go(&app.url(&format!("/admin/items/{}/review/{}", ja.id, aside.id))).await;
    browser.screenshot("walk-editor-review-1280").await;
    violations.extend(axe_here(&browser, "review").await);
    browser.resize(390, 900).await;
    browser.screenshot("walk-editor-review-390").await;
    browser.resize(1280, 1000).await;
    browser.click("button[value=publish]").await;
    browser.wait_for("published", |url, _| url.contains("notice=saved")).await;
    assert!(app.get(&ja.path()).await.body.contains("新しい段落"), "published by the editor");

    // Two tabs of one item.
    let first = browser.tab().await;
    let path = format!("/admin/items/{}", source.id);
    browser.go(&app.url(&path)).await;
    let second = browser.new_tab().await;
    browser.switch_to(&second).await;
    browser.go(&app.url(&path)).await;
    browser.type_into("#note", "from the second tab").await;
    browser.type_into("#summary", "Changed in the second tab.").await;
    browser.click("button[value=save]").await;
    browser.wait_for("the second tab's save", |url, _| url.contains("notice=saved")).await;
    browser.switch_to(&first).await;
    browser.type_into("#summary", "Changed in the first tab.").await;
    browser.click("button[value=save]").await;
    let page = browser.wait_for("the collision", |_, s| s.contains("class=\"changes conflict\"")).await;
    assert!(page.contains("Changed in the first tab."), "the first tab's text is kept");
    browser.screenshot("walk-two-tabs-1280").await;
    violations.extend(axe_here(&browser, "two tabs").await);
    assert_eq!(app.store.item(source.id).unwrap().unwrap().summary, "Changed in the second tab.");
    changed.summary = String::new();

    // The session ends while an article is being written.
    browser.go(&app.url("/admin/items/new?kind=news&lang=en")).await;
    browser.type_into("#title", "Written through a long afternoon").await;
    browser.type_into("#body", "Every word of this survives the end of the session.").await;
    let id = browser.cookie("refuge_session").await.expect("a session cookie");
    let long_ago = time::OffsetDateTime::now_utc().unix_timestamp() - 3 * 60 * 60;
    app.store.touch_session(&refuge_web::admin::session::hash(&id), long_ago, true).unwrap();
    browser.click("button[value=save]").await;
    browser.wait_for("the sign-in page", |url, _| url.contains("/admin/login")).await;
    assert!(browser.source().await.contains("Nothing is lost"));
    browser.screenshot("walk-session-ended-1280").await;
    browser.type_into("#email", "ed@example.org").await;
    browser.type_into("#password", PASSWORD).await;
    browser.click("form button[type=submit]").await;
    let back = browser.wait_for("the form again", |url, _| url.contains("/admin/resume/")).await;
    assert!(back.contains("Every word of this survives the end of the session."), "the text is back");
    browser.screenshot("walk-session-resumed-1280").await;
    violations.extend(axe_here(&browser, "resumed form").await);

    // An English-only editor uploads a photo with English text only.
    let photo = tempfile::Builder::new().suffix(".jpg").tempfile().unwrap();
    std::fs::write(photo.path(), refuge_media::testing::tagged_jpeg(800, 600, 1)).unwrap();
    browser.go(&app.url("/admin/media")).await;
    browser.type_into("#file", &photo.path().display().to_string()).await;
    browser.type_into("#alt-new-en", "Two people at the river").await;
    browser.click("form[enctype] button[type=submit]").await;
    browser.wait_for("the photo's review", |_, s| s.contains("Cover faces before saving")).await;
    violations.extend(axe_here(&browser, "photo review").await);
    browser.screenshot("walk-media-review-1280").await;
    browser.click("button[value=save]").await;
    browser.wait_for("the upload", |_, s| s.contains("to translate")).await;
    browser.screenshot("walk-media-uploaded-1280").await;

    // The script: insert at the cursor, autosave after 30 s.
    browser.forget_logs().await;
    browser.go(&app.url("/admin/items/new?kind=news&lang=en")).await;
    browser.type_into("#title", "Autosaved in the browser").await;
    browser.type_into("#body", "First paragraph.").await;
    browser
        .run_script(
            "const b = document.getElementById('body'); b.focus(); b.selectionStart = b.selectionEnd = 0; return true;",
        )
        .await;
    browser.click("details.picker summary").await;
    browser.click("button[name=insert_media]").await;
    let body = browser.run_script("return document.getElementById('body').value;").await;
    let body = body.as_str().unwrap();
    assert!(body.starts_with("![Two people at the river](/media/"), "inserted at the cursor: {body}");
    assert!(body.ends_with("First paragraph."), "before the text: {body}");
    assert!(!browser.url().await.contains("autosave"), "no page load");
    let status = browser
        .wait_for_script("the autosave", "return document.getElementById('autosave-status').textContent;", 40, |v| {
            v.contains("saved automatically")
        })
        .await;
    assert!(status.contains("saved automatically"));
    browser.screenshot("walk-autosaved-1280").await;
    browser.assert_clean(&origin, "the editor's script").await;
    // Leaving with unsaved changes asks first (the page cancels the
    // browser's beforeunload; WebDriver itself never shows that prompt).
    let leaving = "const e = new Event('beforeunload', { cancelable: true }); window.dispatchEvent(e); return e.defaultPrevented;";
    assert_eq!(browser.run_script(leaving).await, serde_json::json!(true), "changed: the browser asks before leaving");
    browser.go(&app.url("/admin/items/new?kind=page&lang=en")).await;
    assert_eq!(browser.run_script(leaving).await, serde_json::json!(false), "unchanged: it does not");
    let ed_id = app.store.users().unwrap().into_iter().find(|u| u.email.as_str() == "ed@example.org").unwrap().id;
    assert!(
        app.store.own_aside(AsideKind::Autosave, "/admin/items/new?kind=news&lang=en", ed_id).unwrap().is_some(),
        "the autosave reached the server"
    );

    // A newsletter asks before it goes.
    browser.go(&app.url("/admin/newsletters")).await;
    browser.type_into("#nl-title", "Winter issue").await;
    browser.type_into("#nl-body", "Coal reached 140 homes.").await;
    browser.click("button[value=save]").await;
    browser.wait_for("the saved issue", |url, _| url.contains("/admin/newsletters/")).await;
    browser.click("form[action$='/send'] button").await;
    let asked = browser.wait_for("the confirmation", |_, s| s.contains("No one will receive it")).await;
    assert!(asked.contains("public archive"));
    browser.screenshot("walk-newsletter-confirm-1280").await;
    violations.extend(axe_here(&browser, "newsletter confirmation").await);
    browser.resize(390, 900).await;
    browser.screenshot("walk-newsletter-confirm-390").await;
    assert!(violations.is_empty(), "axe:\n{}", violations.join("\n"));
    browser.close().await;
    app.stop().await;
}
