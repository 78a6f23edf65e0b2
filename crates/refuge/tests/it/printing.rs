//! Appeals printed from the browser: the facts, the action and the
//! letter without the site around it, the letter on one page.

use std::path::Path;
use std::process::Command;

use crate::browser::{Browser, shots_dir};
use crate::helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_appeal_prints_as_the_facts_the_action_and_the_letter_without_the_site_around_it() {
    let Some(browser) = Browser::start().await else { return };
    if !Path::new("/usr/bin/pdftotext").exists() {
        assert!(std::env::var_os("CI").is_none(), "CI must install poppler-utils (pdftotext)");
        eprintln!("skipping the print test: pdftotext is not installed (apt-get install poppler-utils)");
        return;
    }
    let app = spawn_app().await;
    let path = "/en/appeals/eleven-held-at-the-border/";
    let page = app.get(path).await;
    let words = |t: &str| t.split_whitespace().collect::<Vec<_>>().join(" ");
    let doc = scraper::Html::parse_document(&page.body);
    let texts = |css: &str| -> Vec<String> {
        doc.select(&scraper::Selector::parse(css).unwrap()).map(|e| words(&e.text().collect::<String>())).collect()
    };
    let addressees = texts(".addressees li strong");
    assert!(!addressees.is_empty(), "the demo appeal names addressees");
    browser.go(&app.url(path)).await;
    let pdf = browser.print_pdf().await;
    assert!(pdf.starts_with(b"%PDF"), "not a PDF");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("appeal.pdf");
    std::fs::write(&file, &pdf).unwrap();
    std::fs::copy(&file, shots_dir().join("appeal-printed.pdf")).unwrap();
    let out = Command::new("/usr/bin/pdftotext").arg("-layout").arg(&file).arg("-").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    // What the reader needs on paper …
    let letter = app.get(&format!("{path}letter.txt")).await.body;
    for line in letter.lines().map(str::trim).filter(|l| l.len() > 20).take(3) {
        let words = line.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(flat.contains(&words), "the printed page lacks the letter's line `{line}`");
    }
    for name in &addressees {
        assert!(flat.contains(name.as_str()), "the printed page lacks the addressee {name}");
    }
    for heading in texts(".facts dt").iter().chain(&texts("#action-title")) {
        assert!(flat.contains(heading.as_str()), "the printed page lacks `{heading}`");
    }
    // … and nothing of the site around it: navigation, search, forms, footer.
    let nav = texts(".main-nav a").join(" ");
    assert!(!nav.is_empty() && !flat.contains(&nav), "the navigation was printed: `{nav}`");
    for line in texts(".site-footer p").into_iter().filter(|t| t.len() > 15) {
        assert!(!flat.contains(&line), "the footer was printed: `{line}`");
    }
    for absent in texts("form button").into_iter().chain(["Skip to".to_owned()]) {
        assert!(!flat.contains(&absent), "`{absent}` was printed");
    }
    // Links print with their address.
    if let Some(href) = attrs(&page.body, "main .body a[href^='http']", "href").first() {
        assert!(flat.contains(href.as_str()), "a link printed without its address {href}");
    }
    browser.close().await;
    app.stop().await;
}

/// Printed, the sample letter is never split across pages, wherever the
/// text before it ends ("Yours sincerely," was left alone on page 2).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_printed_letter_stays_on_one_page() {
    let Some(browser) = Browser::start().await else { return };
    if !Path::new("/usr/bin/pdftotext").exists() {
        assert!(std::env::var_os("CI").is_none(), "CI must install poppler-utils (pdftotext)");
        return;
    }
    let app = spawn_app().await;
    let ed = crate::admin::sign_in(&app, "ed@example.org", refuge_core::Role::Editor, &[]).await;
    let letter = "Dear Minister,\n\nWe write about the people held at the border.\n\nPlease do not send them back.\n\n\
                  Let a lawyer and their families see them.\n\nWe ask for an answer within a month.\n\n\
                  Yours sincerely,\n\nThe undersigned";
    let dir = tempfile::tempdir().unwrap();
    // Texts of growing length before the letter: one of them ends where
    // the letter would straddle two pages.
    for n in 0..10 {
        let body: String = (0..(n * 4)).map(|i| format!("Paragraph {i} of the report on the case.\n\n")).collect();
        let slug = format!("print-{n}");
        let fields = [
            ("title", "Held at the border"),
            ("slug", slug.as_str()),
            ("summary", ""),
            ("body", body.as_str()),
            ("status", "published"),
            ("published_at", ""),
            ("case_status", "detained"),
            ("letter", letter),
            ("addr_name", "The Minister"),
            ("note", ""),
            ("action", "save"),
        ];
        assert_eq!(ed.post("/admin/items/new?kind=appeal&lang=en", &fields).await.status, 303);
        browser.go(&app.url(&format!("/en/appeals/{slug}/"))).await;
        let file = dir.path().join(format!("{slug}.pdf"));
        std::fs::write(&file, browser.print_pdf().await).unwrap();
        let page_of = |needle: &str| -> Vec<usize> {
            (1..=20)
                .filter(|p| {
                    let out = Command::new("/usr/bin/pdftotext")
                        .args(["-f", &p.to_string(), "-l", &p.to_string()])
                        .arg(&file)
                        .arg("-")
                        .output()
                        .unwrap();
                    out.status.success() && String::from_utf8_lossy(&out.stdout).contains(needle)
                })
                .collect()
        };
        let (first, last) = (page_of("Dear Minister,"), page_of("Yours sincerely,"));
        assert!(!first.is_empty() && first == last, "{slug}: the letter starts on {first:?} and ends on {last:?}");
    }
    browser.close().await;
    app.stop().await;
}
