//! The change feed: what another process writes to the database — an
//! import run beside the server, another connection's edit — reaches the
//! running server's pages, lists and search within 2 s, with no restart.

use std::path::PathBuf;

use refuge_core::{ContentStore, Kind, Language, PublicContent, Slug};
use refuge_store::SqlStore;

use crate::helpers::*;

fn search_path(lang: &str, word: &str) -> String {
    format!("/{lang}/search/?q={word}")
}

#[tokio::test]
async fn an_import_beside_the_running_server_is_listed_and_searchable_within_two_seconds() {
    let app = spawn_app().await;
    // The sitemap, the archive's years and search answered (and cached)
    // before the import. (Its pages date from 2002: the archive lists
    // them under a new year.)
    assert!(!app.get("/sitemap.xml").await.body.contains("/en/news/2faced/"));
    assert!(!app.get("/en/news/").await.body.contains("/en/news/2002/"));
    assert!(!app.get(&search_path("en", "river")).await.body.contains("/en/news/2faced/"));

    let fixture = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/legacy-site/en");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_refuge"))
        .args(["import", "html"])
        .arg(&fixture)
        .args(["--lang", "en", "--data"])
        .arg(&app.data_dir)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{said}");
    assert!(!said.contains("restart"), "no restart is needed: {said}");
    assert!(said.contains("within two seconds"), "{said}");

    let listed = within_two_seconds(&app, "/en/news/", |body| body.contains("/en/news/2002/")).await;
    within_two_seconds(&app, "/sitemap.xml", |body| body.contains("/en/news/2faced/")).await;
    within_two_seconds(&app, "/en/news/2002/", |body| body.contains("Two faces")).await;
    let found = within_two_seconds(&app, &search_path("en", "river"), |body| body.contains("/en/news/2faced/")).await;
    println!("an import by another process: listed after {listed:?}, searchable after {found:?}");
    app.stop().await;
}

#[tokio::test]
async fn another_connections_edit_and_delete_reach_pages_tags_and_search() {
    let app = spawn_app().await;
    let en = Language::parse("en").unwrap();
    let slug = Slug::parse("two-women-reach-safety").unwrap();
    let item = app.store.published_item(Kind::News, &en, &slug).unwrap().unwrap();
    let tag_page = "/en/news/tag/released/";
    let search = search_path("en", "safety");
    assert!(app.get(tag_page).await.body.contains(&item.title), "the demo item is tagged 'released'");
    assert!(app.get(&item.path()).await.body.contains(&item.title));
    assert!(app.get(&search).await.body.contains(&item.path()));

    // Another connection (another process or server) retitles and retags it.
    let other = SqlStore::open(&refuge_core::DataDir::new(&app.data_dir).database()).unwrap();
    let mut draft = item.redraft(item.status, item.published_at);
    draft.title = "Two women are safe in Seoul".into();
    draft.tags = vec!["arrivals".into()];
    other.save_item(Some(item.id), &draft).unwrap();
    within_two_seconds(&app, &item.path(), |body| body.contains("Two women are safe in Seoul")).await;
    within_two_seconds(&app, tag_page, |body| !body.contains("Two women")).await;
    within_two_seconds(&app, "/en/news/tag/arrivals/", |body| body.contains("Two women are safe in Seoul")).await;
    within_two_seconds(&app, "/en/", |body| body.contains("Two women are safe in Seoul")).await;

    // A site setting, then a delete.
    other.set_setting("site_name", Some(&en), "Refuge Tokyo").unwrap();
    within_two_seconds(&app, "/en/about/", |body| body.contains("Refuge Tokyo")).await;
    other.delete_item(item.id).unwrap();
    within_two_seconds(&app, &search, |body| !body.contains(&item.path())).await;
    within_two_seconds(&app, &item.path(), |body| !body.contains("Two women are safe")).await;
    within_two_seconds(&app, "/en/", |body| !body.contains("Two women are safe")).await;
    app.stop().await;
}
