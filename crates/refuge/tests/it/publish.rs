//! Object storage, against a real S3-compatible server (Garage, started
//! by `refuge_bucket::testing`): `refuge publish` puts the demo site in a
//! bucket, read back through the host's website endpoint as readers would;
//! `refuge backup s3://…` and `refuge restore s3://…` round-trip the site.

use refuge_core::ContentReads;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::Path;
use std::process::Command;

use refuge::config::MirrorFile;
use refuge_bucket::testing::{TestBucket, TestGarage, garage};
use refuge_core::{ContentStore, ItemDraft, Kind, Language, MailStore, PublicContent, Slug};

use crate::helpers::*;

/// Runs `refuge ARGS --data DIR` with the test server's key; its output.
fn refuge(garage: &TestGarage, data: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_refuge"))
        .args(args)
        .arg("--data")
        .arg(data)
        .envs(garage.env())
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "refuge {args:?}: {text}");
    text
}

/// "Published N files to … : U uploaded (…), K unchanged, D removed."
fn counts(output: &str) -> (usize, usize, usize, usize) {
    let line = output.lines().find(|l| l.starts_with("Published ")).unwrap_or_else(|| panic!("{output}"));
    let number = |after: &str| -> usize {
        let at = line.find(after).unwrap_or_else(|| panic!("{line}"));
        line[..at].trim_end().rsplit([' ', ',', ':', '(']).next().unwrap().parse().unwrap()
    };
    let files: usize = line["Published ".len()..].split(' ').next().unwrap().parse().unwrap();
    (files, number(" uploaded"), number(" unchanged"), number(" removed"))
}

fn mirror(bucket: &TestBucket) -> MirrorFile {
    MirrorFile {
        name: Some("garage".into()),
        url: bucket.web_url.clone(),
        bucket: Some(bucket.target.to_string()),
        endpoint: Some(bucket.endpoint.clone()),
        region: Some(refuge_bucket::testing::REGION.into()),
        credentials: None,
        forms_url: None,
        index_links: false,
        gzip: false,
    }
}

fn toml_of(m: &MirrorFile) -> String {
    format!(
        "[[mirrors]]\nname = \"{}\"\nurl = \"{}\"\nbucket = \"{}\"\nendpoint = \"{}\"\nregion = \"{}\"\n",
        m.name.as_deref().unwrap(),
        m.url,
        m.bucket.as_deref().unwrap(),
        m.endpoint.as_deref().unwrap(),
        m.region.as_deref().unwrap()
    )
}

/// A GET through the bucket's website endpoint.
async fn web_get(
    bucket: &TestBucket,
    path: &str,
    headers: &[(&str, &str)],
) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let mut request = client().get(format!("{}{path}", bucket.web)).header("Host", &bucket.web_host);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.bytes().await.unwrap().to_vec())
}

/// Every file of a local export, by the path a reader asks for.
fn export_files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let rel = path.strip_prefix(root).unwrap().to_string_lossy().into_owned();
            if rel.starts_with(".refuge") {
                continue;
            }
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// Follows the copy's own links from its home, through the website
/// endpoint: every page it reaches, by path. Links that lead nowhere fail
/// the test.
async fn crawl(bucket: &TestBucket) -> BTreeMap<String, (reqwest::header::HeaderMap, Vec<u8>)> {
    let mut seen = BTreeSet::from(["/".to_owned()]);
    let mut queue = VecDeque::from(["/".to_owned()]);
    let mut pages = BTreeMap::new();
    while let Some(path) = queue.pop_front() {
        let (status, headers, body) = web_get(bucket, &path, &[]).await;
        assert_eq!(status, 200, "{path} leads nowhere in the bucket");
        let text = String::from_utf8_lossy(&body).into_owned();
        let html = headers.get("content-type").is_some_and(|t| t.to_str().unwrap().starts_with("text/html"));
        if html || path.ends_with(".xml") {
            let srcset: Vec<String> = attrs(&text, "img", "srcset")
                .iter()
                .flat_map(|set| {
                    set.split(',').filter_map(|c| c.split_whitespace().next().map(str::to_owned)).collect::<Vec<_>>()
                })
                .collect();
            for link in links(&text).into_iter().chain(attrs(&text, "img", "src")).chain(srcset) {
                let link = link.strip_prefix(&bucket.web_url).map(str::to_owned).unwrap_or(link);
                if !link.starts_with('/') || link.starts_with("//") {
                    continue;
                }
                let link = link.split('#').next().unwrap().to_owned();
                if !link.is_empty() && seen.insert(link.clone()) {
                    queue.push_back(link);
                }
            }
        }
        pages.insert(path, (headers, body));
        assert!(pages.len() < 2000, "the crawl does not end");
    }
    pages
}

/// The export's file for a path a reader asks for.
fn file_of(path: &str) -> String {
    let path = percent_encoding::percent_decode_str(path).decode_utf8().unwrap();
    let rel = path.trim_start_matches('/');
    if rel.is_empty() || rel.ends_with('/') { format!("{rel}index.html") } else { rel.to_owned() }
}

#[tokio::test]
async fn the_demo_site_in_a_bucket_is_the_site_and_stays_current() {
    let Some(garage) = garage() else { return };
    let bucket = garage.bucket();
    let other = "https://mirror.example.net/refuge";
    let app = spawn_with(|config| {
        let mut second = mirror(&bucket);
        second.name = Some("elsewhere".into());
        second.url = other.into();
        second.bucket = None;
        config.mirrors = vec![mirror(&bucket), second];
        config.onion_address = Some("http://lighthousexyz.onion".into());
        // The command-line runs read the same settings from refuge.toml.
        let file = format!(
            "onion_location = \"http://lighthousexyz.onion\"\n\n{}\n[[mirrors]]\nname = \"elsewhere\"\nurl = \"{other}\"\n",
            toml_of(&mirror(&bucket))
        );
        std::fs::create_dir_all(&config.data_dir).unwrap();
        std::fs::write(config.data_dir.join("refuge.toml"), file).unwrap();
    })
    .await;

    // The live site names its other addresses.
    let home = app.get("/en/").await.body;
    assert!(home.contains(&format!("href=\"{}/\"", bucket.web_url)), "the footer names the mirror");
    assert!(home.contains(&format!("href=\"{other}/\"")));
    assert!(home.contains("href=\"http://lighthousexyz.onion/\""), "and the onion address");
    let list = app.get("/ja/mirrors/").await;
    assert_eq!(list.status, 200);
    assert!(list.body.contains(&bucket.web_url) && list.body.contains("lighthousexyz.onion"));
    let json: serde_json::Value = serde_json::from_str(&app.get("/mirrors.json").await.body).unwrap();
    assert_eq!(json["mirrors"][0]["url"], format!("{}/", bucket.web_url));
    assert_eq!(json["mirrors"][1]["url"], format!("{other}/"));
    assert_eq!(json["onion"], "http://lighthousexyz.onion/");

    // A photo (its metadata removed on upload) and a PDF in an article,
    // so the copy carries media too.
    let ed = crate::admin::sign_in(&app, "ed@example.org", refuge_core::Role::Editor, &[]).await;
    let photo = crate::media::upload(&ed, "river.jpg", crate::media::GPS_JPEG, "A river", "川").await;
    let photo =
        attrs(&photo.body, "section.media-item a", "href").into_iter().find(|h| h.starts_with("/media/")).unwrap();
    let pdf = crate::media::upload(&ed, "report.pdf", crate::media::PDF, "The report", "報告書").await;
    let pdf = attrs(&pdf.body, "section.media-item a", "href").into_iter().find(|h| h.ends_with(".pdf")).unwrap();
    let en = Language::parse("en").unwrap();
    let with_media =
        app.store.published_item(Kind::News, &en, &Slug::parse("winter-relief-2025").unwrap()).unwrap().unwrap();
    let illustrated = ItemDraft {
        body: format!("{}\n\n![A river]({photo})\n\n[The report]({pdf})\n", with_media.body),
        ..draft_of(&with_media)
    };
    app.store.save_item(Some(with_media.id), &illustrated).unwrap();

    // `refuge publish` with no target publishes every mirror with a bucket.
    let first = counts(&refuge(garage, &app.data_dir, &["publish"]));
    assert!(first.0 > 50 && first.1 == first.0, "{first:?}");

    // Through the website endpoint, every link resolves and every page is
    // what `refuge export` writes for that address.
    let local = tempfile::tempdir().unwrap();
    let out = local.path().join("copy");
    let out_text = out.to_str().unwrap();
    refuge(garage, &app.data_dir, &["export", out_text, "--base-url", &bucket.web_url]);
    let exported = export_files(&out);
    let pages = crawl(&bucket).await;
    assert!(pages.len() > 50, "{} pages", pages.len());
    for (path, (headers, body)) in &pages {
        let file = file_of(path);
        let expected = exported.get(&file).unwrap_or_else(|| panic!("{path} is not in the local export"));
        assert!(body == expected, "{path} differs from the local export");
        let kind = headers.get("content-type").unwrap().to_str().unwrap();
        let cache = headers.get("cache-control").map(|c| c.to_str().unwrap().to_owned()).unwrap_or_default();
        if file.ends_with(".html") {
            assert_eq!(kind, "text/html; charset=utf-8", "{path}");
            assert_eq!(cache, "public, max-age=300", "{path}");
        } else if file.starts_with("static/") {
            assert_eq!(kind, "text/css; charset=utf-8", "{path}");
            assert!(cache.contains("immutable"), "{path}: {cache}");
        } else if file.ends_with("feed.xml") {
            assert_eq!(kind, "application/atom+xml; charset=utf-8", "{path}");
        } else if file.starts_with("media/") {
            assert!(kind.starts_with("image/") || kind == "application/pdf", "{path}: {kind}");
            assert!(cache.contains("immutable"), "{path}: {cache}");
        }
    }
    // The media, as the server sends them (metadata already gone).
    let stem = |p: &str| p.trim_start_matches("/media/").split(['-', '.']).next().unwrap().to_owned();
    let media: Vec<&String> = pages.keys().filter(|p| p.starts_with("/media/")).collect();
    for wanted in [&photo, &pdf] {
        assert!(media.iter().any(|p| stem(p) == stem(wanted)), "{wanted} is not in the bucket: {media:?}");
    }
    for path in &media {
        let (_, body) = &pages[path.as_str()];
        let (status, _, served) = app.get_bytes(path, &[]).await;
        assert_eq!(status, 200);
        assert!(*body == served, "{path} differs from what the server sends");
        assert!(!body.windows(3).any(|w| w == b"GPS"), "{path}: no GPS in the copy");
    }
    // Every exported page was reached by following links (no orphan
    // objects), but for the files a crawl does not link to.
    let reached: BTreeSet<String> = pages.keys().map(|p| file_of(p)).collect();
    let unreached: Vec<&String> = exported
        .keys()
        .filter(|f| !reached.contains(*f))
        .filter(|f| !["robots.txt", "favicon.ico", "sitemap.xml", "404.html", "mirrors.json"].contains(&f.as_str()))
        .filter(|f| !f.starts_with("old/") && !f.ends_with("/letter.txt"))
        .collect();
    assert!(unreached.len() < 5, "{unreached:?}");
    // The copy says what it is and names the other addresses.
    let copy_home = String::from_utf8(pages["/en/"].1.clone()).unwrap();
    assert!(copy_home.contains("This copy was made on"), "the copy's home says when it was made");
    assert!(copy_home.contains("href=\"http://127.0.0.1:8080/\""), "the copy names the main site");
    assert!(!copy_home.contains(&format!("href=\"{}/\"", bucket.web_url)), "but not itself");
    let (status, _, body) = web_get(&bucket, "/mirrors.json", &[]).await;
    assert_eq!(status, 200);
    let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(json["mirrors"][0]["url"], format!("{}/", bucket.web_url));
    assert!(json["copy_made"].as_str().is_some_and(|d| d.len() == 10));
    let (status, _, body) = web_get(&bucket, "/no/such/page/", &[]).await;
    assert_eq!(status, 404);
    assert!(String::from_utf8_lossy(&body).contains("<html"), "the site's own not-found page");

    // Nothing changed: nothing is sent.
    let second = counts(&refuge(garage, &app.data_dir, &["publish", "garage"]));
    assert_eq!((second.1, second.2, second.3), (0, first.0, 0), "{second:?}");

    // One article retitled: its page, the lists and feeds showing it, and
    // nothing else.
    let slug = Slug::parse("why-we-hide-names").unwrap();
    let item = app.store.published_item(Kind::News, &en, &slug).unwrap().unwrap();
    let before: BTreeMap<String, Vec<u8>> = pages.iter().map(|(p, (_, b))| (p.clone(), b.clone())).collect();
    let draft = ItemDraft { title: "Why we still hide names".into(), ..draft_of(&item) };
    app.store.save_item(Some(item.id), &draft).unwrap();
    let third = counts(&refuge(garage, &app.data_dir, &["publish", "garage"]));
    assert!(third.1 > 0 && third.1 < 25 && third.3 == 0, "{third:?}");
    let (_, _, page) = web_get(&bucket, "/en/news/why-we-hide-names/", &[]).await;
    assert!(String::from_utf8_lossy(&page).contains("Why we still hide names"));
    let mut changed = 0;
    for (path, old) in &before {
        let (_, _, now) = web_get(&bucket, path, &[]).await;
        if now != *old {
            changed += 1;
            let text = String::from_utf8_lossy(&now);
            assert!(text.contains("Why we still hide names") || path.ends_with("sitemap.xml"), "{path} changed");
        }
    }
    assert!(changed > 0 && changed <= third.1, "{changed} objects changed for {} uploaded", third.1);

    // An article deleted: its page is gone from the bucket, after the
    // pages that linked to it were replaced.
    let gone = app.store.published_item(Kind::News, &en, &Slug::parse("winter-relief-2025").unwrap()).unwrap().unwrap();
    for translation in app.store.group_items(gone.group_id).unwrap() {
        app.store.delete_item(translation.id).unwrap();
    }
    let fourth = counts(&refuge(garage, &app.data_dir, &["publish", "garage"]));
    assert!(fourth.3 >= 1, "{fourth:?}");
    let (status, _, _) = web_get(&bucket, "/en/news/winter-relief-2025/", &[]).await;
    assert_eq!(status, 404, "a deleted article disappears from the mirror");
    for path in &media {
        let (status, _, _) = web_get(&bucket, path, &[]).await;
        assert_eq!(status, 404, "{path}: its media went with it");
    }
    for (path, (_, body)) in crawl(&bucket).await {
        assert!(!String::from_utf8_lossy(&body).contains("/en/news/winter-relief-2025/"), "{path} still links to it");
    }
}

#[tokio::test]
async fn a_bucket_without_index_documents_and_gzip_objects() {
    let Some(garage) = garage() else { return };
    let bucket = garage.bucket();
    let app = spawn_app().await;
    let target = format!("{}/site", bucket.target);
    let base = format!("{}/site", bucket.web_url);
    let out = refuge(
        garage,
        &app.data_dir,
        &[
            "publish",
            &target,
            "--endpoint",
            &bucket.endpoint,
            "--region",
            "garage",
            "--base-url",
            &base,
            "--index-links",
            "--gzip",
        ],
    );
    assert!(out.contains(&format!("Readers find it at {base}/index.html")), "{out}");
    // Every link names a file, so a host that never adds index.html
    // serves them all.
    let (status, headers, body) = web_get(&bucket, "/site/en/index.html", &[("Accept-Encoding", "gzip")]).await;
    assert_eq!(status, 200);
    assert_eq!(headers.get("content-encoding").unwrap(), "gzip", "stored and served compressed");
    let html = gunzip(&body);
    let own: Vec<String> = links(&html).into_iter().filter(|l| l.starts_with("/site/")).collect();
    assert!(own.len() > 10, "{own:?}");
    for link in &own {
        let path = link.split('#').next().unwrap();
        assert!(!path.ends_with('/'), "{link} relies on the host adding index.html");
        let (status, _, _) = web_get(&bucket, path, &[("Accept-Encoding", "gzip")]).await;
        assert_eq!(status, 200, "{link}");
    }
    // The same bytes as a local export with the same options.
    let local = tempfile::tempdir().unwrap();
    let copy = local.path().join("copy");
    refuge(garage, &app.data_dir, &["export", copy.to_str().unwrap(), "--base-url", &base, "--index-links"]);
    assert_eq!(html, std::fs::read_to_string(copy.join("en/index.html")).unwrap());
    // Without a key, the command says what to set.
    let failed = Command::new(env!("CARGO_BIN_EXE_refuge"))
        .args(["publish", &target, "--endpoint", &bucket.endpoint, "--data"])
        .arg(&app.data_dir)
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .output()
        .unwrap();
    assert!(!failed.status.success());
    assert!(String::from_utf8_lossy(&failed.stderr).contains("AWS_ACCESS_KEY_ID"));
}

#[tokio::test]
async fn a_backup_kept_in_a_bucket_restores_the_site() {
    let Some(garage) = garage() else { return };
    let bucket = garage.bucket();
    let app = spawn_app().await;
    let en = Language::parse("en").unwrap();
    let slug = Slug::parse("why-we-hide-names").unwrap();
    let item = app.store.published_item(Kind::News, &en, &slug).unwrap().unwrap();
    let draft = ItemDraft { title: "Kept off the machine".into(), ..draft_of(&item) };
    app.store.save_item(Some(item.id), &draft).unwrap();
    let url = format!("{}/backups/site.tar", bucket.target);
    let reach = ["--endpoint", bucket.endpoint.as_str(), "--region", refuge_bucket::testing::REGION];
    let out = refuge(garage, &app.data_dir, &[&["backup", url.as_str()][..], &reach[..]].concat());
    assert!(out.contains("Backed up") && out.contains("SHA-256"), "{out}");

    // The same name again is refused: an archive is never replaced.
    let again = Command::new(env!("CARGO_BIN_EXE_refuge"))
        .args([&["backup", url.as_str()][..], &reach[..]].concat())
        .arg("--data")
        .arg(&app.data_dir)
        .envs(garage.env())
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already holds"));

    // Restored into an empty folder, the site serves the last edit.
    let dir = tempfile::tempdir().unwrap();
    let restored = dir.path().join("restored");
    let out = refuge(garage, &restored, &[&["restore", url.as_str()][..], &reach[..]].concat());
    assert!(out.contains("Restored"), "{out}");
    let server = spawn_in(restored, refuge::app::StartOptions::default()).await;
    let page = server.get("/en/news/why-we-hide-names/").await;
    assert!(page.body.contains("Kept off the machine"), "the restored site has the edit");
    server.stop().await;

    // An archive that comes back different from what was sent restores
    // nothing, and says so.
    let store = refuge_bucket::Bucket::open(&bucket.target, &bucket.credentials).unwrap();
    let wrong = format!("{}  site.tar\n", "0".repeat(64));
    let headers = refuge_bucket::Headers { content_type: "text/plain".into(), ..Default::default() };
    store.put("backups/site.tar.sha256", wrong.into_bytes().into(), &headers).await.unwrap();
    let elsewhere = dir.path().join("second");
    let failed = Command::new(env!("CARGO_BIN_EXE_refuge"))
        .args([&["restore", url.as_str()][..], &reach[..]].concat())
        .arg("--data")
        .arg(&elsewhere)
        .envs(garage.env())
        .output()
        .unwrap();
    assert!(!failed.status.success());
    assert!(String::from_utf8_lossy(&failed.stderr).contains("came back damaged"));
    assert!(!elsewhere.join("refuge.db").exists(), "nothing was restored");
}

/// When the addresses change, the list is told: the back office drafts the
/// issue in the readers' language with every address, and it goes out as
/// any newsletter does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mailing_list_is_told_the_sites_new_addresses() {
    let sink = crate::smtp::SmtpSink::start().await;
    let new_mirror = "https://copy-two.example.net/site";
    let app = spawn_with(|config| {
        config.smtp = Some(crate::mailing::smtp(sink.port));
        config.onion_address = Some("http://lighthousexyz.onion".into());
        config.mirrors = vec![MirrorFile {
            name: None,
            url: new_mirror.into(),
            bucket: None,
            endpoint: None,
            region: None,
            credentials: None,
            forms_url: None,
            index_links: true,
            gzip: false,
        }];
    })
    .await;
    let ja = Language::parse("ja").unwrap();
    app.store.subscribe("reader@example.org", &ja, &["news".to_owned()], "tok", "form").unwrap();
    app.store.confirm_subscription("tok").unwrap();
    let ed = crate::admin::sign_in(&app, "ed@example.org", refuge_core::Role::Editor, &[]).await;
    let list = ed.get("/admin/newsletters").await;
    assert!(list.body.contains("/admin/newsletters?addresses=ja"), "the back office offers it");
    let draft = ed.get("/admin/newsletters?addresses=ja").await;
    let fields = form_fields(&draft.body, "form.stack");
    let get = |name: &str| fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone()).unwrap_or_default();
    assert_eq!(get("lang"), "ja");
    let body = get("body");
    assert!(body.contains(&format!("<{new_mirror}/index.html>")), "{body}");
    assert!(body.contains("lighthousexyz.onion") && body.contains("遮断"), "in Japanese, with every address: {body}");
    let saved = ed
        .post(
            "/admin/newsletters",
            &[("lang", "ja"), ("topic", "news"), ("title", &get("title")), ("body", &body), ("action", "save")],
        )
        .await;
    assert_eq!(saved.status, 303);
    let id = saved.header("location").unwrap().trim_start_matches("/admin/newsletters/").to_owned();
    let sent = ed.post(&format!("/admin/newsletters/{id}/send"), &[("confirm", "1")]).await;
    assert!(sent.status == 200, "{}", sent.body);
    sink.wait_for(1).await;
    let mail = sink.received()[0].body();
    assert!(mail.contains(&format!("{new_mirror}/index.html")), "{mail}");
    app.stop().await;
}

/// `media_url`: the media library in a bucket. Uploads are cleaned and
/// stored there (nothing in the data folder), served by Refuge, exported,
/// backed up and restored, and deleted from the bucket with their upload.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_media_library_can_live_in_a_bucket() {
    let Some(garage) = garage() else { return };
    let bucket = garage.bucket();
    let keys = tempfile::tempdir().unwrap();
    let key_file = keys.path().join("media-key");
    let [(_, id), (_, secret)] = garage.env();
    std::fs::write(&key_file, format!("aws_access_key_id = {id}\naws_secret_access_key = {secret}\n")).unwrap();
    let media_url = format!("{}/media", bucket.target);
    let settings = format!(
        "media_url = \"{media_url}\"\nmedia_endpoint = \"{}\"\nmedia_region = \"{}\"\nmedia_credentials = \"{}\"\n",
        bucket.endpoint,
        refuge_bucket::testing::REGION,
        key_file.display()
    );
    let app = spawn_with(|config| {
        config.media_url = Some(media_url.clone());
        config.media_endpoint = Some(bucket.endpoint.clone());
        config.media_region = Some(refuge_bucket::testing::REGION.into());
        config.media_credentials = Some(key_file.clone());
        std::fs::create_dir_all(&config.data_dir).unwrap();
        std::fs::write(config.data_dir.join("refuge.toml"), &settings).unwrap();
    })
    .await;
    let ed = crate::admin::sign_in(&app, "ed@example.org", refuge_core::Role::Editor, &[]).await;
    let page = crate::media::upload(&ed, "river.jpg", crate::media::GPS_JPEG, "A river", "川").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let link =
        attrs(&page.body, "section.media-item a", "href").into_iter().find(|h| h.starts_with("/media/")).unwrap();
    let name = link.trim_start_matches("/media/").to_owned();
    let (status, headers, served) = app.get_bytes(&link, &[]).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "image/jpeg");
    assert!(!served.windows(3).any(|w| w == b"GPS"), "cleaned before it was stored");
    let store = refuge_bucket::Bucket::open(&bucket.target, &bucket.credentials).unwrap();
    let object = store.get(&format!("media/{name}")).await.unwrap().expect("the file is in the bucket");
    assert!(object == served, "served from the bucket");
    let local = std::fs::read_dir(app.data_dir.join("media")).map(|d| d.count()).unwrap_or(0);
    assert_eq!(local, 0, "nothing in the data folder");

    // An export carries it, read from the bucket.
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("copy");
    let with_photo = format!("![A river]({link})");
    let en = Language::parse("en").unwrap();
    let item = app.store.published_item(Kind::News, &en, &Slug::parse("why-we-hide-names").unwrap()).unwrap().unwrap();
    let draft = ItemDraft { body: format!("{}\n\n{with_photo}\n", item.body), ..draft_of(&item) };
    app.store.save_item(Some(item.id), &draft).unwrap();
    refuge(garage, &app.data_dir, &["export", copy.to_str().unwrap()]);
    assert!(std::fs::read(copy.join("media").join(&name)).unwrap() == served, "exported from the bucket");

    // A backup holds it; restored after the bucket lost it, it goes back.
    let archive = dir.path().join("site.tar");
    refuge(garage, &app.data_dir, &["backup", archive.to_str().unwrap()]);
    let stem = name.split(['-', '.']).next().unwrap().to_owned();
    let media = refuge_core::MediaReads::media_by_stored(app.store.as_ref(), &stem).unwrap().unwrap();
    for file in refuge_media::library::file_names(&media) {
        store.delete(&format!("media/{file}")).await.unwrap();
    }
    let restored = dir.path().join("restored");
    let out = refuge(garage, &restored, &["restore", archive.to_str().unwrap()]);
    assert!(out.contains("were sent there"), "{out}");
    assert!(store.get(&format!("media/{name}")).await.unwrap().is_some(), "back in the bucket");

    // Deleting the upload deletes its files from the bucket.
    let deleted = ed.post(&format!("/admin/media/{}/delete", media.id), &[("confirm", "1")]).await;
    assert_eq!(deleted.status, 200, "{}", deleted.body);
    for file in refuge_media::library::file_names(&media) {
        assert!(store.get(&format!("media/{file}")).await.unwrap().is_none(), "{file} is gone");
    }
    let (status, _, _) = app.get_bytes(&link, &[]).await;
    assert_eq!(status, 404);
    app.stop().await;
}
