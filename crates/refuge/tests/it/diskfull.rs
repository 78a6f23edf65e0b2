//! A full disk: the data folder on a small tmpfs, filled to the last byte
//! while the site runs. Writes must fail with a clear message and keep
//! what was typed; reading goes on; nothing stored before is lost; once
//! space is freed, writing works again without a restart.
//!
//! Mounting needs root (as on CI and the development machines here);
//! elsewhere the test says why it did not run.

use refuge_core::MessageReads;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use refuge_core::{Kind, Language, PublicContent, Role, Slug};
use reqwest::multipart::Form;

use crate::admin::{article_fields, sign_in};
use crate::helpers::*;

/// A tmpfs of `megabytes`, unmounted when dropped.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(megabytes: u32) -> Option<Self> {
        let dir = tempfile::tempdir().unwrap();
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={megabytes}m"), "tmpfs"])
            .arg(dir.path())
            .output()
            .is_ok_and(|o| o.status.success());
        if !mounted {
            eprintln!("skipping the disk-full test: cannot mount a tmpfs here (it needs root)");
            return None;
        }
        Some(Self { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(self.dir.path()).status();
    }
}

/// Fills the file system holding `dir` to the last byte; the filler files.
fn fill(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let block = vec![0u8; 64 * 1024];
    for size in [block.len(), 4096, 512, 1] {
        loop {
            let path = dir.join(format!("filler-{}", files.len()));
            let mut file = std::fs::File::create(&path).ok();
            let written =
                file.as_mut().is_some_and(|f| f.write_all(&block[..size]).and_then(|()| f.sync_all()).is_ok());
            if file.is_some() {
                files.push(path);
            }
            if !written {
                break;
            }
        }
    }
    files
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_refuses_writes_clearly_and_loses_nothing() {
    let Some(disk) = Tmpfs::mount(64) else { return };
    let data = disk.path().join("data");
    let app =
        spawn_in(data.clone(), refuge::app::StartOptions { inbox_work_factor: Some(10), ..Default::default() }).await;
    let ed = sign_in(&app, "ed@example.org", Role::Editor, &[]).await;
    let before = ed
        .post("/admin/items/new?kind=news&lang=en", &article_fields("Before the disk filled", "Kept.", "published", ""))
        .await;
    assert_eq!(before.status, 303);
    let contact_form = app.get("/en/contact/").await;
    let token = attrs(&contact_form.body, "input[name=token]", "value").remove(0);

    let fillers = fill(disk.path());
    assert!(!fillers.is_empty());

    // The editor: a clear message, and the text is still on the screen.
    let t = app.state.site.strings(&Language::parse("en").unwrap());
    let long_body = "A long report written while the disk was full. ".repeat(200);
    let refused = ed
        .post(
            "/admin/items/new?kind=news&lang=en",
            &article_fields("Written on a full disk", &long_body, "published", ""),
        )
        .await;
    assert_eq!(refused.status, 507, "{}", refused.body);
    assert!(refused.body.contains("disk is full"), "the editor says why");
    assert!(refused.body.contains("Written on a full disk"), "the title is kept");
    assert!(refused.body.contains("A long report written while the disk was full."), "the text is kept");

    // A reader's message: refused, its text given back.
    tokio::time::sleep(std::time::Duration::from_millis(3100)).await;
    let message = "A message sent while the disk was full.";
    let form = Form::new().text("token", token).text("text", message).text("category", "help");
    let r = app.client.post(app.url("/en/contact/")).multipart(form).send().await.unwrap();
    let status = r.status().as_u16();
    let body = r.text().await.unwrap();
    assert_eq!(status, 503, "{body}");
    assert!(body.contains(message), "the reader's text is given back");
    assert!(body.contains(&html_escape(t.get("contact_unavailable"))), "and the reason");

    // An upload: refused clearly, nothing half-written left behind.
    let media_before = std::fs::read_dir(data.join("media")).unwrap().count();
    let jpeg = include_bytes!("../fixtures/gps-tagged.jpg");
    let page = crate::media::upload(&ed, "photo.jpg", jpeg, "A river at dusk", "夕暮れの川").await;
    assert_eq!(page.status, 507, "{:?}", select(&page.body, "p.error"));
    assert!(page.body.contains("disk is full"));
    assert_eq!(std::fs::read_dir(data.join("media")).unwrap().count(), media_before, "no partial files");

    // Reading goes on.
    assert_eq!(app.get("/en/news/before-the-disk-filled/").await.status, 200);
    assert_eq!(app.get("/ja/").await.status, 200);
    assert_eq!(app.get("/en/search/?q=disk").await.status, 200);

    // Space comes back: writing works again, without a restart.
    for f in &fillers {
        std::fs::remove_file(f).unwrap();
    }
    let after = ed
        .post("/admin/items/new?kind=news&lang=en", &article_fields("After space came back", "Saved.", "published", ""))
        .await;
    assert_eq!(after.status, 303, "{}", after.body);
    assert_eq!(app.get("/en/news/after-space-came-back/").await.status, 200);
    // The search index kept up, before and after.
    let found = app.get("/en/search/?q=space+came+back").await.body;
    assert!(found.contains("After space came back"), "search finds the new article");
    let found = app.get("/en/search/?q=disk+filled").await.body;
    assert!(found.contains("Before the disk filled"), "and the earlier one");
    let en = Language::parse("en").unwrap();
    for slug in ["before-the-disk-filled", "after-space-came-back"] {
        assert!(app.store.published_item(Kind::News, &en, &Slug::parse(slug).unwrap()).unwrap().is_some(), "{slug}");
    }
    assert!(
        app.store.published_item(Kind::News, &en, &Slug::parse("written-on-a-full-disk").unwrap()).unwrap().is_none()
    );
    assert_eq!(app.store.messages(0, 10).unwrap().1, 0, "the refused message was not half-stored");
    app.stop().await;

    let conn = rusqlite::Connection::open(data.join("refuge.db")).unwrap();
    let check: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(check, "ok");
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#x27;")
}
