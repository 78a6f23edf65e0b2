//! `refuge import html`: an old site in legacy encodings becomes articles,
//! and every old address redirects to its new one.

use std::path::PathBuf;

use refuge_core::{DataDir, Kind, Language, PublicContent, Slug};
use refuge_import::site::{ImportOptions, Outcome, PageReport, import_site};

use crate::helpers::*;

fn fixture(lang: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/legacy-site").join(lang)
}

/// Imports the fixture site in `lang` into the running app's data folder.
fn import(app: &TestApp, lang: &str, prefix: &str, dry_run: bool) -> Vec<PageReport> {
    let options = ImportOptions {
        src: fixture(lang),
        lang: Language::parse(lang).unwrap(),
        old_prefix: prefix.into(),
        dry_run,
        replace_redirects: false,
        pairs: Vec::new(),
    };
    let media = refuge_core::MediaFolder(DataDir::new(&app.data_dir).media());
    import_site(app.store.as_ref(), &media, &options, &mut |_, _, _| {}).unwrap()
}

#[tokio::test]
async fn a_legacy_site_is_imported_with_redirects_and_exact_japanese() {
    let app = spawn_app().await;
    let items_before = app.store.all_published().unwrap().len();

    // A dry run changes nothing.
    let dry = import(&app, "en", "/", true);
    assert_eq!(dry.len(), 3);
    assert_eq!(app.store.all_published().unwrap().len(), items_before);
    assert_eq!(app.get("/2faced.html").await.status, 404);

    let en = import(&app, "en", "/", false);
    let ja = import(&app, "ja", "/ja", false);
    assert!(en.iter().chain(&ja).all(|p| p.outcome == Outcome::New), "{en:?} {ja:?}");
    let page = |report: &[PageReport], old: &str| {
        report.iter().find(|p| p.old_path == old).cloned().unwrap_or_else(|| panic!("{old} in the report"))
    };
    let two = page(&en, "/2faced.html");
    assert_eq!((two.title.as_str(), two.date.as_str(), two.date_source), ("Two faces", "2002-07-20", "the text"));
    assert!(two.encoding.contains("windows-1252"), "{}", two.encoding);
    let appeal = page(&en, "/news/20021105.html");
    assert_eq!((appeal.date.as_str(), appeal.date_source), ("2002-11-05", "the file name"));
    assert_eq!(page(&en, "/index.html").date_source, "the file's time");
    assert!(page(&ja, "/ja/katsudou.html").encoding.contains("euc-jp"));
    assert!(page(&ja, "/ja/kinkyu.html").encoding.contains("shift_jis"));
    assert!(page(&ja, "/ja/iso.html").encoding.contains("iso-2022-jp"));
    assert_eq!(page(&ja, "/ja/kinkyu.html").date, "2002-11-05", "平成14年 is 2002");

    // Every old address answers with a permanent redirect to the new page.
    for report in en.iter().chain(&ja) {
        let old = app.get(&report.old_path).await;
        assert_eq!(old.status, 301, "{}", report.old_path);
        assert_eq!(old.header("location"), Some(report.new_path.as_str()));
        assert_eq!(app.get(&report.new_path).await.status, 200, "{}", report.new_path);
    }
    assert_eq!(app.get("/ja/").await.status, 200, "an old folder path does not hide the new home");

    // The article: text, table, quote and image kept; navigation and
    // footer gone; links point to the new pages.
    let en_lang = Language::parse("en").unwrap();
    let item = app.store.published_item(Kind::News, &en_lang, &Slug::parse("2faced").unwrap()).unwrap().unwrap();
    assert!(item.body.contains("families are sent back at night"));
    assert!(item.body.contains("| 2001 | about 300 |"));
    assert!(item.body.contains("> “We crossed the river in January.”"));
    assert!(item.body.contains("[the start page](/en/news/start/)"));
    assert!(!item.body.contains("Copyright 2002"), "the footer repeats on every page");
    assert!(!item.body.contains("[Appeal]"), "the navigation bar repeats on every page");
    let html = app.get("/en/news/2faced/").await.body;
    let image = attrs(&html, "article img", "src").into_iter().next().expect("the image is on the page");
    let (status, _, bytes) = app.get_bytes(&image, &[]).await;
    assert_eq!(status, 200);
    assert!(!bytes.windows(3).any(|w| w == b"GPS"), "the image lost its GPS position");
    assert_eq!(app.get("/img/river.jpg").await.header("location"), Some(image.as_str()));

    // Japanese text comes through exactly, whatever its encoding.
    let ja_lang = Language::parse("ja").unwrap();
    let get =
        |slug: &str| app.store.published_item(Kind::News, &ja_lang, &Slug::parse(slug).unwrap()).unwrap().unwrap();
    assert_eq!(get("katsudou").title, "活動報告");
    assert!(
        get("katsudou")
            .body
            .contains("中国で保護された女性たちに、冬の衣類と食料を届けました。ご協力ありがとうございました。")
    );
    assert!(get("kinkyu").body.contains("Ｋさんが国境近くで拘束されました。強制送還に反対する手紙を送ってください。"));
    assert!(get("iso").body.contains("事務所は１２月２８日から休みます。"));
    assert!(!get("kinkyu").body.contains("トップ"), "the Japanese navigation bar is gone");
    let page = app.get("/ja/news/kinkyu/").await.body;
    assert!(page.contains("強制送還に反対する手紙を送ってください。"));

    // Importing again changes nothing and duplicates nothing.
    let count = app.store.all_published().unwrap().len();
    let again = import(&app, "ja", "/ja", false);
    assert!(again.iter().all(|p| p.outcome == Outcome::Unchanged), "{again:?}");
    let again = import(&app, "en", "/", false);
    assert!(again.iter().all(|p| p.outcome == Outcome::Unchanged), "{again:?}");
    assert_eq!(app.store.all_published().unwrap().len(), count);
    assert_eq!(count, items_before + 7);

    // The command says the same, and explains what it refuses.
    let cli = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_refuge"))
            .args(["import", "html"])
            .args(args)
            .arg("--data")
            .arg(&app.data_dir)
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
        )
    };
    let en = fixture("en");
    let en = en.to_str().unwrap();
    let (ok, said) = cli(&[en, "--lang", "en", "--dry-run"]);
    assert!(ok && said.contains("3 pages: 0 new, 0 updated, 3 unchanged, 0 skipped (dry run"), "{said}");
    let (ok, said) = cli(&[en, "--lang", "ko"]);
    assert!(!ok && said.contains("--lang ko: the site's languages are en, ja"), "{said}");
    let (ok, said) = cli(&[en, "--lang", "en", "--old-prefix", "japanese"]);
    assert!(!ok && said.contains("--old-prefix japanese: give a path like /japanese"), "{said}");
    let (ok, said) = cli(&["/nonexistent/old-site", "--lang", "en"]);
    assert!(!ok && said.contains("is not a folder"), "{said}");
    assert_eq!(app.store.all_published().unwrap().len(), count, "refusals change nothing");
    app.stop().await;
}

/// Writes an old page and sets its file's time (`touch -d`).
fn old_page(dir: &std::path::Path, name: &str, html: &str, file_time: &str) {
    let path = dir.join(name);
    std::fs::write(&path, html).unwrap();
    let done = std::process::Command::new("touch").args(["-d", file_time]).arg(&path).status().unwrap();
    assert!(done.success());
}

#[tokio::test]
async fn an_old_archive_is_dated_by_its_months_and_never_on_the_day_of_the_import() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let page = |title: &str, text: &str| {
        format!("<html><head><title>{title}</title></head><body><h1>{title}</h1><p>{text}</p></body></html>")
    };
    old_page(
        dir.path(),
        "background.html",
        &page("Current Background - July 2002", "Forty people were returned across the river this month."),
        "2002-08-03",
    );
    old_page(dir.path(), "bg-2002-09.html", &page("Background", "The camps were moved again."), "2002-10-01");
    old_page(dir.path(), "notes.html", &page("Notes from the office", "Volunteers met on Saturday."), "2003-01-05");
    old_page(dir.path(), "plans.html", &page("Plans", "The shelter opens on July 20, 2031."), "2004-02-02");
    let options = ImportOptions {
        src: dir.path().to_owned(),
        lang: Language::parse("en").unwrap(),
        old_prefix: "/".into(),
        dry_run: false,
        replace_redirects: false,
        pairs: Vec::new(),
    };
    let media = refuge_core::MediaFolder(DataDir::new(&app.data_dir).media());
    let report = import_site(app.store.as_ref(), &media, &options, &mut |_, _, _| {}).unwrap();
    let line = |old: &str| report.iter().find(|p| p.old_path == old).unwrap().clone();

    let july = line("/background.html");
    assert_eq!((july.date.as_str(), july.date_source), ("2002-07", "the text (the month only)"));
    let september = line("/bg-2002-09.html");
    assert_eq!((september.date.as_str(), september.date_source), ("2002-09", "the file name (the month only)"));
    // No date anywhere: the file's time, said in the report and kept in
    // the item's history for an editor to check.
    let undated = line("/notes.html");
    assert_eq!((undated.date.as_str(), undated.date_source), ("2003-01-05", "the file's time"));
    assert!(undated.warnings.iter().any(|w| w.contains("no date")), "{:?}", undated.warnings);
    // A date after the file's own time is not believed.
    let future = line("/plans.html");
    assert_eq!((future.date.as_str(), future.date_source), ("2004-02-02", "the file's time"));
    assert!(future.warnings.iter().any(|w| w.contains("after the file's time")), "{:?}", future.warnings);

    // None of them is news of today: the newest article stays on top.
    let news = app.get("/en/news/").await;
    let first = attrs(&news.body, ".news-list article > :first-child a", "href");
    assert!(!first.is_empty());
    for old in [&july, &september, &undated, &future] {
        assert_ne!(first[0], old.new_path, "an old page is the newest item");
    }
    let en = Language::parse("en").unwrap();
    let slug = Slug::parse(undated.new_path.trim_end_matches('/').rsplit('/').next().unwrap()).unwrap();
    let item = app.store.published_item(Kind::News, &en, &slug).unwrap().unwrap();
    assert_eq!(item.published_at.unwrap().year(), 2003);
    let history = refuge_core::ContentReads::revisions(app.store.as_ref(), item.id).unwrap();
    assert!(history.iter().any(|r| r.note.contains("check it")), "the history says the date needs a look");

    // A month is shown as a month, not as its first day, on the page and
    // in lists; a day stays a day.
    let page = app.get(&july.new_path).await.body;
    assert_eq!(texts(&page, "article time"), ["July 2002"], "{page}");
    assert_eq!(attrs(&page, "article time", "datetime"), ["2002-07"]);
    let page = app.get(&undated.new_path).await.body;
    assert_eq!(texts(&page, "article time"), ["5 January 2003"]);
    let year = app.get("/en/news/2002/").await.body;
    assert!(year.contains(">September 2002</time>") && !year.contains("1 September 2002"), "{year}");
    // And in search results. (A server follows `refuge import html`, run
    // beside it, through the change feed; an import made in this process
    // is its own change, so the index is told here.)
    let ids: Vec<i64> = [&july, &september]
        .iter()
        .map(|l| {
            let slug = Slug::parse(l.new_path.trim_end_matches('/').rsplit('/').next().unwrap()).unwrap();
            app.store.published_item(Kind::News, &en, &slug).unwrap().unwrap().id
        })
        .collect();
    refuge_search::items_changed(&app.state.search, app.store.as_ref(), &ids).unwrap();
    let found = app.get("/en/search/?q=forty+returned+river").await.body;
    assert!(found.contains(&july.new_path), "{found}");
    assert!(found.contains(">July 2002</time>") && !found.contains("1 July 2002"), "{found}");
    // Imported again unchanged: still a month. An editor who sets a day
    // makes it a day.
    let again = import_site(app.store.as_ref(), &media, &options, &mut |_, _, _| {}).unwrap();
    assert!(again.iter().all(|p| p.outcome == Outcome::Unchanged), "{again:?}");
    assert_eq!(texts(&app.get(&july.new_path).await.body, "article time"), ["July 2002"]);
    let slug = Slug::parse(july.new_path.trim_end_matches('/').rsplit('/').next().unwrap()).unwrap();
    let item = app.store.published_item(Kind::News, &en, &slug).unwrap().unwrap();
    assert!(item.month_only);
    let ed = crate::admin::sign_in(&app, "ed@example.org", refuge_core::Role::Editor, &[]).await;
    let edit = format!("/admin/items/{}", item.id);
    let form = ed.get(&edit).await.body;
    let mut fields: Vec<(String, String)> =
        form_fields(&form, "form.editor").into_iter().filter(|(k, _)| k != "csrf").collect();
    for (name, value) in fields.iter_mut() {
        if name == "published_at" {
            assert!(value.starts_with("2002-07-01T"), "the month's first day, in the editor: {value}");
            *value = "2002-07-14T09:00".into();
        }
    }
    fields.push(("intent".into(), "save".into()));
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let saved = ed.post(&edit, &fields).await;
    assert!(saved.status == 303 || saved.status == 200, "{}: {}", saved.status, saved.body);
    assert_eq!(texts(&app.get(&july.new_path).await.body, "article time"), ["14 July 2002"]);
    app.stop().await;
}

#[tokio::test]
async fn an_old_address_claimed_by_two_imports_keeps_the_first_unless_told() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let (en, ja) = (dir.path().join("en"), dir.path().join("ja"));
    std::fs::create_dir_all(&en).unwrap();
    std::fs::create_dir_all(&ja).unwrap();
    let page = |title: &str| {
        format!("<html><head><title>{title}</title></head><body><p>{title}, 2002年7月20日.</p></body></html>")
    };
    std::fs::write(en.join("about.html"), page("About the network")).unwrap();
    std::fs::write(ja.join("about.html"), page("ネットワークについて")).unwrap();
    let run = |src: &std::path::Path, lang: &str, replace_redirects: bool| {
        let options = ImportOptions {
            src: src.to_owned(),
            lang: Language::parse(lang).unwrap(),
            old_prefix: "/".into(),
            dry_run: false,
            replace_redirects,
            pairs: Vec::new(),
        };
        let media = refuge_core::MediaFolder(DataDir::new(&app.data_dir).media());
        import_site(app.store.as_ref(), &media, &options, &mut |_, _, _| {}).unwrap()
    };
    let first = run(&en, "en", false);
    let english = first[0].new_path.clone();
    // The Japanese folder was served at the same paths (no --old-prefix):
    // the address stays with the English page, and the report says so.
    let second = run(&ja, "ja", false);
    let japanese = second[0].new_path.clone();
    assert_eq!(second[0].outcome, Outcome::New);
    assert!(
        second[0].warnings.iter().any(|w| w.contains("already leads to") && w.contains("--replace-redirects")),
        "{:?}",
        second[0].warnings
    );
    assert_eq!(app.get("/about.html").await.header("location"), Some(english.as_str()));
    // Importing it again updates that page rather than making another.
    let again = run(&ja, "ja", false);
    assert_eq!((again[0].outcome, again[0].new_path.as_str()), (Outcome::Unchanged, japanese.as_str()));
    // Told to, the address moves to the new page.
    let replaced = run(&ja, "ja", true);
    assert_eq!(replaced[0].new_path, japanese);
    assert!(replaced[0].warnings.iter().any(|w| w.contains("now leads here")), "{:?}", replaced[0].warnings);
    assert_eq!(app.get("/about.html").await.header("location"), Some(japanese.as_str()));
    app.stop().await;
}

#[tokio::test]
async fn translations_are_paired_by_their_links_and_by_a_list() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let (en, ja) = (dir.path().join("en"), dir.path().join("ja"));
    std::fs::create_dir_all(&en).unwrap();
    std::fs::create_dir_all(&ja).unwrap();
    let page = |title: &str, links: &str| {
        format!(
            "<html><head><title>{title}</title></head><body><p>{links}</p><h1>{title}</h1>\
             <p>{title}: 2002年7月20日 / July 20, 2002.</p></body></html>"
        )
    };
    std::fs::write(ja.join("index.html"), page("ホーム", "")).unwrap();
    std::fs::write(ja.join("about.html"), page("私たちについて", "")).unwrap();
    std::fs::write(ja.join("news.html"), page("ニュース", "")).unwrap();
    // Every English page links to the Japanese home in its navigation
    // ("Japanese"); the about page also links to its own translation.
    let nav = r#"<a href="index.html">Home</a> <a href="../ja/index.html">Japanese</a>"#;
    std::fs::write(en.join("index.html"), page("Home", nav)).unwrap();
    std::fs::write(
        en.join("about.html"),
        page("About us", &format!(r#"{nav} <a href="../ja/about.html">[日本語]</a>"#)),
    )
    .unwrap();
    std::fs::write(en.join("news.html"), page("News", nav)).unwrap();
    let run = |src: &std::path::Path, lang: &str, prefix: &str, pairs: Vec<(String, String)>| {
        let options = ImportOptions {
            src: src.to_owned(),
            lang: Language::parse(lang).unwrap(),
            old_prefix: prefix.into(),
            dry_run: false,
            replace_redirects: false,
            pairs,
        };
        let media = refuge_core::MediaFolder(DataDir::new(&app.data_dir).media());
        import_site(app.store.as_ref(), &media, &options, &mut |_, _, _| {}).unwrap()
    };
    let japanese = run(&ja, "ja", "/ja", Vec::new());
    let listed =
        refuge_import::site::parse_pairs("# what the links do not show\n/en/news.html /ja/news.html\n").unwrap();
    let english = run(&en, "en", "/en", listed);
    let path_of =
        |report: &[PageReport], old: &str| report.iter().find(|p| p.old_path == old).unwrap().new_path.clone();
    let translations = |html: &str| attrs(html, "p.translations a", "href");

    // Its own translation's link pairs the about page.
    let about = app.get(&path_of(&english, "/en/about.html")).await;
    assert_eq!(translations(&about.body), [path_of(&japanese, "/ja/about.html")]);
    let line = english.iter().find(|p| p.old_path == "/en/about.html").unwrap();
    assert!(line.warnings.iter().any(|w| w.contains("paired with")), "{:?}", line.warnings);
    // A link every page has is navigation: the home pages are not paired
    // by it (three pages link there).
    let home = app.get(&path_of(&english, "/en/index.html")).await;
    assert!(translations(&home.body).is_empty(), "navigation paired the home pages");
    // The list pairs what the links do not show.
    let news = app.get(&path_of(&english, "/en/news.html")).await;
    assert_eq!(translations(&news.body), [path_of(&japanese, "/ja/news.html")]);
    // And the other way round.
    let ja_about = app.get(&path_of(&japanese, "/ja/about.html")).await;
    assert_eq!(translations(&ja_about.body), [path_of(&english, "/en/about.html")]);
    // Importing again changes nothing and pairs nothing twice.
    let again = run(&en, "en", "/en", Vec::new());
    assert!(again.iter().all(|p| p.outcome == Outcome::Unchanged), "{again:?}");
    app.stop().await;
}

/// The text of every element matching `css`.
fn texts(html: &str, css: &str) -> Vec<String> {
    let doc = scraper::Html::parse_document(html);
    let selector = scraper::Selector::parse(css).unwrap();
    doc.select(&selector).map(|e| e.text().collect::<String>().trim().to_owned()).collect()
}

/// An old page that writes out a name the site hides elsewhere is
/// imported as a draft, never published, and the report says why.
#[tokio::test]
async fn an_old_page_showing_a_protected_name_is_kept_as_a_draft() {
    let app = spawn_app().await;
    let draft = refuge_core::ItemDraft {
        group_id: None,
        kind: Kind::News,
        lang: Language::parse("en").unwrap(),
        slug: Slug::parse("case-notes").unwrap(),
        title: "Case notes".into(),
        summary: String::new(),
        // "Families" is this person's given name: the old page writes it.
        body: "About [[name:Families Park]].".into(),
        category: None,
        tags: Vec::new(),
        status: refuge_core::Status::Draft,
        published_at: None,
    };
    refuge_core::ContentStore::save_item(app.store.as_ref(), None, &draft).unwrap();
    let report = import(&app, "en", "/", false);
    let held = report.iter().find(|r| r.old_path == "/2faced.html").unwrap();
    assert!(
        held.warnings.iter().any(|w| w.contains("kept as a draft") && w.contains("Families")),
        "{:?}",
        held.warnings
    );
    assert_eq!(app.get(&held.new_path).await.status, 404, "not published");
    let other = report.iter().find(|r| r.old_path == "/news/20021105.html").unwrap();
    assert_eq!(app.get(&other.new_path).await.status, 200, "the other pages are");
    app.stop().await;
}

/// An old page whose image says nothing of what it shows is imported as
/// a draft with the reason, like every other way online; a page whose
/// images are described is published. (Imports published them.)
#[tokio::test]
async fn an_old_page_with_an_undescribed_image_is_kept_as_a_draft() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path();
    std::fs::write(src.join("photo.jpg"), crate::media::GPS_JPEG).unwrap();
    old_page(
        src,
        "bare.html",
        "<html><body><h1>Bare</h1><p>Text.</p><img src=\"photo.jpg\"></body></html>",
        "2003-01-01",
    );
    let described = "<html><body><h1>Described</h1><p>Text.</p><img src=\"photo.jpg\" alt=\"A photo\"></body></html>";
    old_page(src, "described.html", described, "2003-01-02");
    let options = ImportOptions {
        src: src.to_owned(),
        lang: Language::parse("en").unwrap(),
        old_prefix: "/".into(),
        dry_run: false,
        replace_redirects: false,
        pairs: Vec::new(),
    };
    let media = refuge_core::MediaFolder(DataDir::new(&app.data_dir).media());
    let report = import_site(app.store.as_ref(), &media, &options, &mut |_, _, _| {}).unwrap();
    let line = |old: &str| report.iter().find(|p| p.old_path == old).unwrap().clone();
    let bare = line("/bare.html");
    assert!(
        bare.warnings.iter().any(|w| w.contains("kept as a draft") && w.contains("no alternative text")),
        "{:?}",
        bare.warnings
    );
    assert_eq!(app.get(&bare.new_path).await.status, 404, "not published");
    assert_eq!(app.get(&line("/described.html").new_path).await.status, 200);
    app.stop().await;
}

/// An old site's folder may hold links: none is followed out of it (a
/// link to a private file would publish it), none into a folder (a link
/// to `/` never ends); each is named in the report. A page nested 80,000
/// deep is read at once, its text kept.
#[tokio::test]
async fn links_out_of_the_old_site_are_not_followed_and_deep_pages_are_read_at_once() {
    let app = spawn_app().await;
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("private.html"), "<html><body><p>PRIVATE NOTES</p></body></html>").unwrap();
    std::fs::write(outside.path().join("photo.jpg"), crate::media::GPS_JPEG).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path();
    old_page(
        src,
        "index.html",
        "<html><body><h1>Home</h1><p>Welcome.</p><img src=\"photo.jpg\" alt=\"A photo\"></body></html>",
        "2003-01-01",
    );
    let n = 80_000;
    let deep = format!("<html><body><h1>Deep</h1>{}DEEP TEXT{}</body></html>", "<div>".repeat(n), "</div>".repeat(n));
    old_page(src, "deep.html", &deep, "2003-01-02");
    std::os::unix::fs::symlink(outside.path().join("private.html"), src.join("notes.html")).unwrap();
    std::os::unix::fs::symlink(outside.path().join("photo.jpg"), src.join("photo.jpg")).unwrap();
    std::os::unix::fs::symlink("/", src.join("everything")).unwrap();
    let options = ImportOptions {
        src: src.to_owned(),
        lang: Language::parse("en").unwrap(),
        old_prefix: "/".into(),
        dry_run: false,
        replace_redirects: false,
        pairs: Vec::new(),
    };
    let media = refuge_core::MediaFolder(DataDir::new(&app.data_dir).media());
    let started = std::time::Instant::now();
    let report = import_site(app.store.as_ref(), &media, &options, &mut |_, _, _| {}).unwrap();
    assert!(started.elapsed() < std::time::Duration::from_secs(10), "took {:?}", started.elapsed());
    for refused in ["/notes.html", "/everything"] {
        let line = report.iter().find(|p| p.old_path == refused).unwrap_or_else(|| panic!("{refused}: {report:?}"));
        assert_eq!(line.outcome, Outcome::Skipped);
        assert!(line.warnings[0].contains("out of the old site's folder"), "{:?}", line.warnings);
    }
    let home = report.iter().find(|p| p.old_path == "/index.html").unwrap();
    assert!(home.warnings.iter().any(|w| w.contains("photo.jpg is a link out of")), "{:?}", home.warnings);
    assert!(refuge_core::MediaReads::media_list(&*app.store, 0, 10).unwrap().0.is_empty(), "no image read");
    let deep = report.iter().find(|p| p.old_path == "/deep.html").unwrap();
    assert!(deep.warnings.iter().any(|w| w.contains("nested more than")), "{:?}", deep.warnings);
    let page = app.get(&deep.new_path).await;
    assert!(page.body.contains("DEEP TEXT"));
    for path in ["/en/", "/en/news/", "/en/search/?q=PRIVATE"] {
        assert!(!app.get(path).await.body.contains("PRIVATE NOTES"), "{path}");
    }
    app.stop().await;
}
