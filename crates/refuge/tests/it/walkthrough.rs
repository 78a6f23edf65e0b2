//! The back office in a real browser, as its people use it: every page's
//! layout at 1280 and 390 px (labels above their fields, nothing wider
//! than the screen), screenshots under `target/e2e/`.

use refuge_core::{ContentStore, Email, Kind, Language, Role, Slug, UserStore};

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
/// fields, text areas are wide, inputs styled, nothing is wider than the
/// screen. (Labels sat to the right of the previous field in Site
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
    browser_sign_in(&browser, &app, "boss@example.org").await;
    let pages = [
        ("dashboard", "/admin/".to_owned()),
        ("news", "/admin/items?kind=news".into()),
        ("new-article", "/admin/items/new?kind=news&lang=en".into()),
        ("appeal", format!("/admin/items/{}", appeal.id)),
        ("history", format!("/admin/items/{article}/history")),
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
            browser.screenshot(&format!("admin-{name}-{width}")).await;
        }
    }
    assert!(faults.is_empty(), "layout faults:\n{}", faults.join("\n"));
    browser.close().await;
    app.stop().await;
}
