//! Back-office pages as editors read them: what each field is called,
//! and a look at what a restore changes before it changes anything.

use refuge_core::{ContentReads, Role, UserReads};

use crate::admin::{article_fields, sign_in};
use crate::editorial::item_id;
use crate::helpers::*;

#[tokio::test]
async fn revisions_diff_and_restore() {
    let app = spawn_app().await;
    let ed = sign_in(&app, "ed@example.org", Role::Editor, &[]).await;
    let created = ed
        .post(
            "/admin/items/new?kind=news&lang=en",
            &article_fields("Versioned", "first text\nsecond line", "published", ""),
        )
        .await;
    let id = item_id(created.header("location").unwrap());
    let edit = ed
        .post(&format!("/admin/items/{id}"), &article_fields("Versioned", "first text\nchanged line", "published", ""))
        .await;
    assert_eq!(edit.status, 303);
    let history = ed.get(&format!("/admin/items/{id}/history")).await;
    assert_eq!(history.status, 200);
    assert!(select(&history.body, "tr.diff-delete").iter().any(|r| r.contains("second line")));
    assert!(select(&history.body, "tr.diff-insert").iter().any(|r| r.contains("changed line")));
    let revisions = app.store.revisions(id).unwrap();
    assert_eq!(revisions.len(), 2);
    assert_eq!(revisions[0].author.as_deref(), Some("ed@example.org"));
    let first = revisions[1].id;
    // Restoring a published item asks first: what changes, the version
    // as readers would see it, and that the public page changes at once.
    // (The history's button changed the public page at once.)
    let ask = format!("/admin/items/{id}/restore/{first}");
    assert_eq!(attrs(&history.body, "a.button", "href"), vec![ask.clone()], "a look first, not a change");
    assert!(attrs(&history.body, "form", "action").iter().all(|a| !a.contains("/restore/")));
    let page = ed.get(&ask).await;
    assert_eq!(page.status, 200);
    assert!(select(&page.body, "tr.diff-delete").iter().any(|r| r.contains("changed line")), "now");
    assert!(select(&page.body, "tr.diff-insert").iter().any(|r| r.contains("second line")), "after");
    assert!(texts(&page.body, "section.preview .body").join("").contains("second line"), "as readers see it");
    assert!(texts(&page.body, ".warning").join("").contains("online"), "the public page changes at once");
    assert!(app.get("/en/news/versioned/").await.body.contains("changed line"), "looking changes nothing");
    assert_eq!(attrs(&page.body, "main form", "action"), vec![ask.clone()]);
    let restored = ed.post(&ask, &[]).await;
    assert_eq!(restored.status, 303);
    assert_eq!(app.store.revisions(id).unwrap().len(), 3, "restoring adds a revision; nothing is lost");
    assert!(app.get("/en/news/versioned/").await.body.contains("second line"));
    app.stop().await;
}

/// Labels say what each field is (the editors' walk-through): the
/// appeal form's two statuses are told apart, a new account's role is
/// "Role", a language field has help instead of a placeholder that reads
/// as a value, and an admin is not offered to delete their own account.
#[tokio::test]
async fn labels_say_what_each_field_is() {
    let app = spawn_app().await;
    let boss = sign_in(&app, "boss@example.org", Role::Admin, &[]).await;
    let form = boss.get("/admin/items/new?kind=appeal&lang=en").await;
    let status = texts(&form.body, "label[for=status]").join("");
    let case = texts(&form.body, "label[for=appeal-status]").join("");
    assert!(!status.is_empty() && !case.is_empty() && status != case, "{status:?} / {case:?}");
    let accounts = boss.get("/admin/users").await;
    assert_eq!(texts(&accounts.body, "label[for=new-role]"), vec!["Role".to_owned()]);
    assert!(attrs(&accounts.body, "input[name=languages]", "placeholder").is_empty(), "no placeholder as a value");
    assert!(!select(&accounts.body, "#langs-help").is_empty());
    let own = app.store.users().unwrap().into_iter().find(|u| u.email.as_str() == "boss@example.org").unwrap();
    let deletes = attrs(&accounts.body, "form[action$='/delete']", "action");
    assert!(!deletes.contains(&format!("/admin/users/{}/delete", own.id)), "not one's own: {deletes:?}");
    let ja = boss.client.get(app.url("/admin/items/new?kind=appeal&lang=en")).header("accept-language", "ja");
    let ja = ja.send().await.unwrap().text().await.unwrap();
    assert_eq!(texts(&ja, "label[for=appeal-status]"), vec!["当事者の状況".to_owned()]);
    assert_eq!(texts(&ja, "label[for=status]"), vec!["公開状態".to_owned()]);
    app.stop().await;
}
