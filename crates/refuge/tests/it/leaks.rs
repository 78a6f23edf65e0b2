//! Names of people at risk never reach a public byte. A site in four
//! languages is written with 44 names in every script (Latin, Cyrillic,
//! Han, Hangul, kana, mixed; with spaces, hyphens and middle dots), in
//! every field that exists, with slugs left empty, as link text and image
//! text, in a PDF's text and file name; published every way (save,
//! schedule, bulk, a reviewed change, a restored revision, appeal
//! updates, a newsletter and its test send, FAQ); then every public byte
//! is collected — every page reachable from the homes and the sitemap,
//! feeds, robots, mirrors.json, 404 pages, headers, the appeal's files,
//! media, the static export, and every mail the SMTP server received —
//! and searched for each name and its given name in any spelling.

use refuge_core::{ContentReads, OutboxReads};
use std::path::Path;

use refuge::config::Config;
use refuge_core::{AppealReads, Kind, Language, MailStore, PublicContent, Role};
use unicode_normalization::UnicodeNormalization;

use crate::admin::{Staff, sign_in};
use crate::helpers::*;
use crate::mailing::smtp;
use crate::smtp::SmtpSink;

/// Each name as written in `[[name:…]]`, the part of it that must never
/// appear (its given name, or the whole name when the given name is one
/// character), and how its public form is recognised on an English page
/// (initials) — CJK names show the placeholder.
const NAMES: &[(&str, &str, Option<&str>)] = &[
    ("Park Ji-hoon", "Ji-hoon", Some("P. J.")),
    ("Kim Min-seo", "Min-seo", Some("K. M.")),
    ("Choi Yu-na", "Yu-na", Some("C. Y.")),
    ("Ri Chol-ung", "Chol-ung", Some("R. C.")),
    ("Han Seo-yeon", "Seo-yeon", Some("H. S.")),
    ("Jang Hyun-woo", "Hyun-woo", Some("J. H.")),
    ("Kang Eun-byeol", "Eun-byeol", Some("K. E.")),
    ("O Song-il", "Song-il", Some("O. S.")),
    ("Svetlana Petrovskaya", "Svetlana", Some("S. P.")),
    ("Olumide Adeyemi", "Olumide", Some("O. A.")),
    ("Zhang Xiaowei", "Xiaowei", Some("Z. X.")),
    ("Liu Meiling", "Meiling", Some("L. M.")),
    ("Tanaka Haruko", "Haruko", Some("T. H.")),
    ("Jeon Da-bin", "Da-bin", Some("J. D.")),
    ("Мария Ивановская", "Мария", Some("М. И.")),
    ("Сергей Ким", "Сергей", Some("С. К.")),
    ("李明华", "明华", None),
    ("王小红", "小红", None),
    ("张 伟东", "伟东", None),
    ("欧阳秀英", "秀英", None),
    ("陈·建国", "建国", None),
    ("朴智勋", "智勋", None),
    ("黄　志强", "志强", None),
    ("李明", "李明", None),
    ("王伟", "王伟", None),
    ("김민지", "민지", None),
    ("박 지훈", "지훈", None),
    ("최유나", "유나", None),
    ("남궁민수", "민수", None),
    ("리순희", "순희", None),
    ("정은별", "은별", None),
    ("이 서연", "서연", None),
    ("한·가람", "가람", None),
    ("山田花子", "花子", None),
    ("佐藤 健太", "健太", None),
    ("田中・美咲", "美咲", None),
    ("やまもと ゆうき", "ゆうき", None),
    ("マリア・イワノワ", "マリア", None),
    ("スズキ タロウ", "タロウ", None),
    ("ﾀｶﾊｼ ﾐｻｷ", "ﾐｻｷ", None),
    ("Kim 민준", "민준", None),
    ("Lee 서준", "서준", None),
    ("Nguyễn Thị Lan", "Thị Lan", Some("N. T. L.")),
    ("Ahn Ye-seul", "Ye-seul", Some("A. Y.")),
];

/// The words of a text as the test sees them, independently of the
/// guard: NFKC, lower case, no accents, katakana as hiragana, split at
/// everything that is not a letter or a digit.
fn words(text: &str) -> Vec<String> {
    let folded: String = text
        .nfkd()
        .filter(|c| !('\u{300}'..='\u{36f}').contains(c))
        .collect::<String>()
        .nfkc()
        .flat_map(char::to_lowercase)
        .map(|c| match c as u32 {
            k @ 0x30A1..=0x30F6 => char::from_u32(k - 0x60).unwrap_or(c),
            _ if c.is_alphanumeric() => c,
            _ => ' ',
        })
        .collect();
    folded.split_whitespace().map(str::to_owned).collect()
}

/// Whether `part` is in the text of `words`: a name in Han, Hangul or
/// kana anywhere; one in Latin or Cyrillic letters as whole words,
/// written together or apart (`Ji-hoon`, `Ji hoon`, `jihoon`).
fn shows(words: &[String], joined: &str, part: &str) -> bool {
    let target: String = self::words(part).concat();
    if target.chars().any(|c| c as u32 >= 0x1100 && !matches!(c as u32, 0x400..=0x52F | 0x1E00..=0x1EFF)) {
        return joined.contains(&target);
    }
    (0..words.len()).any(|i| {
        let mut run = String::new();
        for w in &words[i..] {
            run.push_str(w);
            if run.len() >= target.len() {
                return run == target;
            }
        }
        false
    })
}

/// The name of entry `i`, marked.
fn n(i: usize) -> String {
    format!("[[name:{}]]", NAMES[i % NAMES.len()].0)
}

async fn post(staff: &Staff, path: &str, fields: &[(&str, String)]) -> Page {
    let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    staff.post(path, &refs).await
}

fn id_of(page: &Page) -> i64 {
    let location = page.header("location").unwrap_or_else(|| panic!("{} {}", page.status, page.body));
    location.trim_start_matches("/admin/items/").split(['?', '/']).next().unwrap().parse().unwrap()
}

/// An item's fields with names in each, the slug left empty.
fn item(title: String, names: usize, status: &str, when: &str) -> Vec<(&'static str, String)> {
    vec![
        ("title", title),
        ("slug", String::new()),
        ("summary", format!("About {} and {}.", n(names), n(names + 1))),
        (
            "body",
            format!(
                "[{}](/en/about/) was seen with [[[name:{}]]](/en/news/) and **{}**.\n\n\
                 ![Photo of {}](/media/00000000000000000000000000000000.jpg)\n\n> {} said so.\n> — {}\n",
                n(names + 2),
                NAMES[(names + 3) % NAMES.len()].0,
                n(names + 4),
                n(names + 5),
                n(names + 6),
                n(names + 7)
            ),
        ),
        ("tags", "report, 報告".into()),
        ("status", status.into()),
        ("published_at", when.into()),
        ("note", String::new()),
        ("action", "save".into()),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_name_reaches_a_public_byte() {
    let sink = SmtpSink::start().await;
    let app = spawn_with(|c| {
        c.languages = all_languages();
        c.smtp = Some(smtp(sink.port));
        c.welcome_mail = false;
    })
    .await;
    for lang in ["en", "ja", "ko", "zh"] {
        let l = Language::parse(lang).unwrap();
        let token = format!("token-{lang}");
        let sub = app
            .store
            .subscribe(&format!("reader-{lang}@example.org"), &l, &["appeals".into(), "news".into()], &token, "form")
            .unwrap();
        app.store.confirm_subscription(&sub.token).unwrap().unwrap();
    }
    let ed = sign_in(&app, "ed@example.org", Role::Editor, &[]).await;
    let tr = sign_in(&app, "tr@example.org", Role::Translator, &["ja", "ko", "zh"]).await;

    // 1. An appeal saved as published, every field holding names, the slug empty.
    let mut appeal = item(format!("Urgent: {} faces forced return", n(0)), 1, "published", "");
    appeal.extend([
        ("number", "UA 7/2026".into()),
        ("people_count", "3".into()),
        ("people", format!("{}, {} and {}, born [[year:2015]]", n(8), n(9), n(10))),
        ("ages", format!("{} is 17", n(11))),
        ("held_where", format!("With {} near the river", n(12))),
        ("held_since", "[[year:2025]]".into()),
        ("risk", format!("{} may be returned", n(13))),
        ("case_status", "detained".into()),
        ("what_to_do", format!("Write for [{}](/en/about/).", n(14))),
        ("letter", format!("Dear Minister,\n\nI write about {} and {}.", n(15), n(16))),
        ("deadline", "2099-01-15".into()),
        ("addr_name", "The Minister".into()),
    ]);
    let created = post(&ed, "/admin/items/new?kind=appeal&lang=en", &appeal).await;
    assert_eq!(created.status, 303, "{}", created.body);
    let appeal_id = id_of(&created);
    let appeal_item = app.store.item(appeal_id).unwrap().unwrap();
    assert!(
        appeal_item.slug.as_str().starts_with("urgent-p-j-faces"),
        "made from the public title: {}",
        appeal_item.slug
    );
    // Its timeline, mailed to subscribers.
    let update = post(
        &ed,
        &format!("/admin/items/{appeal_id}/updates"),
        &[("date", "2026-11-20".into()), ("text", format!("{} was moved.", n(17))), ("source", n(18))],
    )
    .await;
    assert_eq!(update.status, 303, "{}", update.body);

    // 2. A translation of it in each other language, by the translator
    //    (who cannot make names public), published by the editor.
    for (k, lang) in ["ja", "ko", "zh"].iter().enumerate() {
        let mut fields = item(format!("緊急 {}", n(19 + k)), 20 + k * 3, "review", "");
        fields.push(("names_public", "1".into()));
        fields.push(("people", format!("{}、{}", n(23 + k), n(26 + k))));
        fields.push(("letter", format!("{}について", n(29 + k))));
        let sent = post(&tr, &format!("/admin/items/{appeal_id}/translate/{lang}"), &fields).await;
        assert_eq!(sent.status, 303, "{lang}: {}", sent.body);
        let id = id_of(&sent);
        assert!(!app.store.appeal_facts(id).unwrap().names_public, "{lang}: a translator cannot make names public");
        let page = ed.get(&format!("/admin/items/{id}")).await;
        let mut fields: Vec<(String, String)> =
            form_fields(&page.body, "form.editor").into_iter().filter(|(k, _)| k != "csrf").collect();
        fields.iter_mut().filter(|(k, _)| k == "status").for_each(|f| f.1 = "published".into());
        fields.push(("intent".into(), "save".into()));
        let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(ed.post(&format!("/admin/items/{id}"), &refs).await.status, 303, "{lang}");
    }

    // 3. News published by the scheduler, in bulk, after review, and by restoring a revision.
    let soon = time::OffsetDateTime::now_utc() + time::Duration::seconds(3);
    let zone_input = |t: time::OffsetDateTime| {
        let t = t.to_offset(time::macros::offset!(+9));
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        )
    };
    let scheduled = post(
        &ed,
        "/admin/items/new?kind=news&lang=ja",
        &item(format!("予定 {}", n(32)), 33, "scheduled", &zone_input(soon)),
    )
    .await;
    assert_eq!(scheduled.status, 303, "{}", scheduled.body);
    let scheduled_id = id_of(&scheduled);
    let drafted =
        post(&ed, "/admin/items/new?kind=news&lang=ko", &item(format!("초안 {}", n(34)), 35, "draft", "")).await;
    let bulk_id = id_of(&drafted);
    let bulk = ed
        .post("/admin/items/bulk", &[("ids", &bulk_id.to_string()), ("bulk_action", "publish"), ("confirm", "1")])
        .await;
    assert_eq!(bulk.status, 200, "{}", bulk.body);
    let restored =
        post(&ed, "/admin/items/new?kind=news&lang=en", &item(format!("Report on {}", n(36)), 37, "published", ""))
            .await;
    let restored_id = id_of(&restored);
    let first_revision = app.store.revisions(restored_id).unwrap().last().unwrap().id;
    let mut changed = item("Report, names removed".into(), 0, "published", "");
    changed.iter_mut().for_each(|(k, v)| {
        if matches!(*k, "summary" | "body") {
            *v = "Nothing.".into();
        }
    });
    assert_eq!(post(&ed, &format!("/admin/items/{restored_id}"), &changed).await.status, 303);
    let restore = ed.post(&format!("/admin/items/{restored_id}/restore/{first_revision}"), &[]).await;
    assert_eq!(restore.status, 303, "{}", restore.body);

    // 4. A newsletter, tested then sent; a FAQ entry; a PDF whose file
    //    name and text carry a name.
    let saved = post(
        &ed,
        "/admin/newsletters",
        &[
            ("lang", "en".into()),
            ("topic", "news".into()),
            ("title", format!("News of {}", n(38))),
            ("body", format!("{} and [{}](/en/about/) are safe.", n(39), n(40))),
            ("action", "save".into()),
        ],
    )
    .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let at = saved.header("location").unwrap().to_owned();
    assert_eq!(ed.post(&format!("{at}/test"), &[]).await.status, 200);
    assert_eq!(ed.post(&format!("{at}/send"), &[("confirm", "1")]).await.status, 200);
    let faq = ed
        .post(
            "/admin/faq/en",
            &[("anchor", ""), ("question", &format!("Who is {}?", n(41))), ("answer", &format!("{} is well.", n(42)))],
        )
        .await;
    assert_eq!(faq.status, 200, "{}", faq.body);
    let pdf = crate::media::upload(
        &ed,
        "Report_Ahn_Ye-seul_2026.pdf",
        crate::media::PDF,
        &format!("Report on {}", n(43)),
        "報告",
    )
    .await;
    assert_eq!(pdf.status, 200, "{}", pdf.body);
    // Inserted into an article with the editor's Insert (its text carries the mark).
    let (media, _) = refuge_core::MediaReads::media_list(app.store.as_ref(), 0, 1).unwrap();
    let mut fields = item("Annual report".into(), 0, "published", "");
    fields.iter_mut().filter(|(k, _)| matches!(*k, "summary" | "body")).for_each(|f| f.1 = "Our report.".into());
    fields.push(("insert_media", media[0].id.to_string()));
    let inserted = post(&ed, "/admin/items/new?kind=news&lang=en", &fields).await;
    assert_eq!(inserted.status, 200, "a preview with the file's Markdown: {}", inserted.body);
    let mut fields: Vec<(String, String)> =
        form_fields(&inserted.body, "form.editor").into_iter().filter(|(k, _)| k != "csrf").collect();
    assert!(fields.iter().any(|(k, v)| k == "body" && v.contains("/media/")), "the file was inserted");
    fields.push(("intent".into(), "save".into()));
    let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(ed.post("/admin/items/new?kind=news&lang=en", &refs).await.status, 303);

    // A family name on its own is ordinary text.
    let family = post(
        &ed,
        "/admin/items/new?kind=news&lang=en",
        &item("Kim Jong-un's government and Mr Park".into(), 0, "published", "")
            .into_iter()
            .map(|(k, v)| {
                if matches!(k, "summary" | "body") {
                    (k, "Mr Kim, Ms Lee, 李, 김 and 山田 were there.".into())
                } else {
                    (k, v)
                }
            })
            .collect::<Vec<_>>(),
    )
    .await;
    assert_eq!(family.status, 303, "no false alarm: {}", family.body);

    // Wait for the scheduler, then collect.
    let started = std::time::Instant::now();
    while app.store.item(scheduled_id).unwrap().unwrap().status != refuge_core::Status::Published
        && started.elapsed() < std::time::Duration::from_secs(20)
    {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(app.store.item(scheduled_id).unwrap().unwrap().status, refuge_core::Status::Published);
    for id in [appeal_id, bulk_id, restored_id] {
        assert_eq!(app.store.item(id).unwrap().unwrap().status, refuge_core::Status::Published, "item {id}");
    }

    let mut public: Vec<(String, String)> = Vec::new();
    for (path, page) in app.crawl(3000).await {
        let headers: Vec<String> =
            page.headers.iter().map(|(k, v)| format!("{k}: {}", v.to_str().unwrap_or(""))).collect();
        public.push((path.clone(), headers.join("\n")));
        if !path.contains("/search/") {
            public.push((path, page.body));
        }
    }
    let mut extra: Vec<String> = ["/sitemap.xml", "/robots.txt", "/mirrors.json"].map(str::to_owned).to_vec();
    for lang in ["en", "ja", "ko", "zh"] {
        extra.push(format!("/{lang}/feed.xml"));
        extra.push(format!("/{lang}/no-such-page/"));
    }
    for item in app.store.all_published().unwrap() {
        let path = item.path();
        extra.push(path.clone());
        if item.kind == Kind::Appeal {
            for file in ["appeal.html", "letter.txt", "feed.xml"] {
                extra.push(format!("{path}{file}"));
            }
        }
    }
    for url in select(&app.get("/sitemap.xml").await.body, "loc") {
        let after_scheme = url.split_once("://").map_or(url.as_str(), |(_, rest)| rest);
        extra.push(after_scheme.find('/').map_or("/".into(), |i| after_scheme[i..].to_owned()));
    }
    for path in extra {
        let (status, headers, bytes) = app.get_bytes(&path, &[]).await;
        assert!(status < 500, "{path} answered {status}");
        let headers: Vec<String> = headers.iter().map(|(k, v)| format!("{k}: {}", v.to_str().unwrap_or(""))).collect();
        public.push((path.clone(), headers.join("\n")));
        public.push((path, String::from_utf8_lossy(&bytes).into_owned()));
    }
    // The PDF as served.
    for (path, body) in public.clone() {
        for link in links(&body).into_iter().filter(|l| l.starts_with("/media/")) {
            let (_, headers, bytes) = app.get_bytes(&link, &[]).await;
            public.push((link.clone(), format!("{:?}", headers)));
            public.push((format!("{link} (from {path})"), String::from_utf8_lossy(&bytes).into_owned()));
        }
    }
    // The static copy.
    let out = tempfile::tempdir().unwrap();
    let mut config = Config::load(&app.data_dir).unwrap();
    config.languages = all_languages();
    let options = refuge_export::ExportOptions {
        out: out.path().join("site"),
        base_url: app.base.clone(),
        forms_url: app.base.clone(),
        languages: all_languages(),
        precompress: false,
        index_links: false,
        media: None,
    };
    refuge_export::export(&config.data_dir, None, config.site_config(app.base.clone()), &options, &mut |_, _| {})
        .expect("the export succeeds: nothing in it shows a name");
    collect_files(&out.path().join("site"), &out.path().join("site"), &mut public);
    // The same copy in a bucket of the test Garage, read back through its
    // website endpoint with the headers the host sends.
    if let Some(garage) = refuge_bucket::testing::garage() {
        let target = garage.bucket();
        let bucket = refuge_bucket::Bucket::open(&target.target, &target.credentials).unwrap();
        let options = refuge_bucket::PublishOptions::default();
        refuge_bucket::publish(&bucket, &out.path().join("site"), &options, &|_, _| {}).await.unwrap();
        let home = format!("{}/en/index.html", target.web);
        let response = client().get(&home).header("Host", &target.web_host).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 200, "the bucket serves the copy");
        for (name, _) in bucket.list().await.unwrap() {
            let response =
                client().get(format!("{}/{name}", target.web)).header("Host", &target.web_host).send().await.unwrap();
            let headers: Vec<String> =
                response.headers().iter().map(|(k, v)| format!("{k}: {}", v.to_str().unwrap_or(""))).collect();
            public.push((format!("bucket object {name}"), format!("{name}\n{}", headers.join("\n"))));
            public.push((format!("bucket object {name} (body)"), response.text().await.unwrap_or_default()));
        }
    }
    // Every mail.
    let started = std::time::Instant::now();
    while app.store.outbox_counts().unwrap()[0] > 0 && started.elapsed() < std::time::Duration::from_secs(30) {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let mails = sink.received();
    assert!(mails.len() >= 5, "the update, the newsletter and its test were mailed: {}", mails.len());
    for mail in mails {
        public.push((format!("mail to {:?}", mail.to), format!("{}\n{}", mail.data, mail.body())));
    }

    let mut leaks = Vec::new();
    for (where_, body) in &public {
        let words = words(body);
        let joined = words.concat();
        for (name, given, _) in NAMES {
            for part in [*name, *given] {
                if shows(&words, &joined, part) {
                    leaks.push(format!("{where_} shows {part:?}"));
                }
            }
        }
    }
    leaks.dedup();
    assert!(leaks.is_empty(), "{} leaks:\n{}", leaks.len(), leaks.join("\n"));

    // Each public form follows its script's rule.
    let en = app.get(&appeal_item.path()).await.body;
    assert!(en.contains("P. J.") && en.contains("(name withheld)"), "initials and the placeholder on the English page");
    // And each name's public form is its script's: initials or the placeholder.
    for (name, _, initials) in NAMES {
        let shown = refuge_core::redaction::Redaction::hidden("en").apply(&format!("[[name:{name}]]"));
        assert_eq!(shown.as_str(), initials.unwrap_or("(name withheld)"), "{name}");
    }
    let ja_path =
        app.store.group_items(appeal_item.group_id).unwrap().into_iter().find(|r| r.lang.as_str() == "ja").unwrap();
    let ja = app.get(&app.store.item(ja_path.id).unwrap().unwrap().path()).await.body;
    assert!(ja.contains("○○"), "the Japanese placeholder");
    app.stop().await;
}

fn collect_files(root: &Path, dir: &Path, into: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.strip_prefix(root).unwrap().display().to_string();
        into.push((format!("export file name {name}"), name));
        if path.is_dir() {
            collect_files(root, &path, into);
        } else {
            into.push((
                path.display().to_string(),
                String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned(),
            ));
        }
    }
}

/// Markup that is almost right would print the name: each form is
/// refused at save, the field named and the text kept on the screen, and
/// nothing is published. Marks inside link text and image text are fine.
#[tokio::test]
async fn malformed_markup_is_refused_and_the_text_kept() {
    let app = spawn_app().await;
    let ed = sign_in(&app, "ed@example.org", Role::Editor, &[]).await;
    let before = app.store.all_published().unwrap().len();
    for (typo, field) in [
        ("[[Name:Park Ji-hoon]]", "title"),
        ("[[ name:Park Ji-hoon]]", "title"),
        ("[[name：Park Ji-hoon]]", "title"),
        ("[[name:Park Ji-hoon", "title"),
        ("［［name:Park Ji-hoon］］", "body"),
        ("[[NAME:Park Ji-hoon]]", "body"),
        ("[[name :Park Ji-hoon]]", "summary"),
        ("[name:Park Ji-hoon]]", "body"),
    ] {
        let mut fields = crate::admin::article_fields("Free them", "Text.", "published", "");
        let typed = format!("Free {typo} now");
        fields.iter_mut().filter(|(k, _)| *k == field).for_each(|f| f.1 = &typed);
        let page = ed.post("/admin/items/new?kind=news&lang=en", &fields).await;
        assert_eq!(page.status, 422, "{typo} in the {field}: {}", page.body);
        let shown = select(&page.body, ".error, .field-error").join(" ");
        assert!(shown.contains("Park Ji-hoon"), "{typo}: the message quotes the text: {shown}");
        let kept = form_fields(&page.body, "form.editor");
        assert!(kept.iter().any(|(k, v)| k == field && v == &typed), "{typo}: the text is kept in the form");
        assert_eq!(app.store.all_published().unwrap().len(), before, "{typo}: nothing was published");
    }
    // Fields shown as written (the tagline on every page, a menu label)
    // take no mark at all: shown raw, it would print the name.
    let boss = sign_in(&app, "boss@example.org", Role::Admin, &[]).await;
    let page = boss.post("/admin/settings", &[("tagline_en", "For [[name:Park Ji-hoon]]")]).await;
    assert_eq!(page.status, 422, "{}", page.body);
    assert!(!app.get("/en/").await.body.contains("Ji-hoon"));
    let page = boss.post("/admin/menus/en", &[("label", "[[name:Park Ji-hoon]]"), ("path", "/en/about/")]).await;
    assert_eq!(page.status, 422, "{}", page.body);
    // Inside link text and image text, a mark is a mark.
    let body = "[[[name:Park Ji-hoon]]](/en/about/) ![Photo of [[name:Park Ji-hoon]]](/media/x.jpg)";
    let fields = crate::admin::article_fields("Free them", body, "published", "");
    let page = ed.post("/admin/items/new?kind=news&lang=en", &fields).await;
    assert_eq!(page.status, 303, "{}", page.body);
    let id = id_of(&page);
    let public = app.get(&app.store.item(id).unwrap().unwrap().path()).await.body;
    assert!(public.contains(">P. J.</a>") && public.contains("alt=\"Photo of P. J.\""), "{public}");
    assert!(!public.contains("Ji-hoon"));
    // Written out elsewhere, the given name is refused: the guard.
    let fields =
        crate::admin::article_fields("Free [[name:Park Ji-hoon]]", "Later Ji-hoon said he was well.", "published", "");
    let page = ed.post("/admin/items/new?kind=news&lang=en", &fields).await;
    assert_eq!(page.status, 422, "{}", page.body);
    assert!(select(&page.body, ".error, .field-error").join(" ").contains("Ji-hoon"), "the part found is named");
    app.stop().await;
}

/// The preview of an appeal is what readers will see — its title, facts,
/// letter and future address with the names hidden — and, for the
/// editor, which names are hidden and how they show.
#[tokio::test]
async fn the_preview_shows_what_readers_will() {
    let app = spawn_app().await;
    let ed = sign_in(&app, "ed@example.org", Role::Editor, &[]).await;
    let fields = [
        ("title", "Urgent: [[name:Park Ji-hoon]] faces forced return"),
        ("slug", ""),
        ("summary", ""),
        ("body", "Held with [[name:김민지]]."),
        ("status", "draft"),
        ("published_at", ""),
        ("people", "[[name:Park Ji-hoon]]"),
        ("held_where", "A camp near [[name:Choi Yu-na]]'s town"),
        ("letter", "Dear Minister, free [[name:Park Ji-hoon]]."),
        ("what_to_do", "Write today."),
        ("addr_name", "The Minister"),
        ("note", ""),
        ("intent", "preview"),
    ];
    let page = ed.post("/admin/items/new?kind=appeal&lang=en", &fields).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let shown = select(&page.body, "section.preview article").join("");
    assert!(shown.contains("Urgent: P. J. faces forced return"), "{shown}");
    assert!(shown.contains("C. Y.") && shown.contains("(name withheld)") && shown.contains("free P. J."), "{shown}");
    assert!(shown.contains("The Minister"), "the addressees");
    assert!(!shown.contains("Ji-hoon") && !shown.contains("민지") && !shown.contains("[[name"), "{shown}");
    let address = select(&page.body, ".preview-address").join("");
    assert!(address.contains("/en/appeals/urgent-p-j-faces-forced-return/"), "{address}");
    let hidden = select(&page.body, ".hidden-names li").join("\n");
    let hidden: String = scraper::Html::parse_fragment(&hidden).root_element().text().collect();
    assert!(hidden.contains("Park Ji-hoon → P. J.") && hidden.contains("김민지 → (name withheld)"), "{hidden}");
    assert!(app.store.all_published().unwrap().iter().all(|r| !r.title.contains("Ji-hoon")), "nothing written");
    app.stop().await;
}
