//! Every back-office route, taken from the router's own table
//! (`refuge_web::admin::guard::ROUTES`), for every role and for nobody,
//! and every POST route forged (no token; another site's origin).

use refuge_core::{AuditReads, UserReads};
use refuge_core::{Email, Kind, Language, PublicContent, Role, Slug, UserStore};
use refuge_web::admin::guard::{Need, ROUTES, RouteSpec};

use crate::admin::{PASSWORD, Staff, jar_client, sign_in};
use crate::helpers::*;

/// The policy as people state it, independently of the table: admins
/// alone manage accounts, settings, the inbox, the audit log and single
/// subscribers; editors and admins publish, delete, mail and shape the
/// site; translators work on items in their languages and their account.
fn stated_need(method: &str, path: &str) -> Need {
    let admin_only = ["/admin/users", "/admin/audit", "/admin/settings", "/admin/inbox", "/admin/subscribers/"];
    let editors = [
        "/admin/items/new",
        "/admin/items/bulk",
        "/admin/newsletters",
        "/admin/subscribers",
        "/admin/faq/",
        "/admin/menus/",
        "/admin/media/{id}/delete",
    ];
    if path == "/admin" || path.starts_with("/admin/login") || path == "/admin/logout" {
        Need::Anyone
    } else if admin_only.iter().any(|p| path.starts_with(p)) {
        Need::Admin
    } else if editors.iter().any(|p| path.starts_with(p))
        || path == "/admin/items/{id}/delete"
        || path.contains("/review/")
        || path.contains("/updates/")
        || (method == "POST" && path == "/admin/media")
    {
        Need::Editor
    } else {
        // Translators too: adding a timeline entry (the handler lets a
        // translator add only the translation of another version's entry,
        // into their own version).
        Need::Staff
    }
}

/// The route's path with its parameters filled in.
fn concrete(route: &RouteSpec, item: i64, user: i64) -> String {
    let mut path = route.path.replace("{lang}", "ja").replace("{key}", &"0".repeat(64));
    let id = if path.starts_with("/admin/items/") {
        item
    } else if path.starts_with("/admin/users/") {
        user
    } else {
        999_999
    };
    path = path.replace("{id}", &id.to_string());
    for other in ["{rev}", "{aside}", "{update}"] {
        path = path.replace(other, "999999");
    }
    path
}

/// Everything a forged or refused request could have changed: content,
/// accounts, and what the audit log records (but for reading, which an
/// allowed GET of the subscriber list's export records).
fn fingerprint(app: &TestApp) -> (String, Vec<String>, usize) {
    let stamp = app.store.change_stamp().unwrap();
    let audit = app.store.audit_entries(0, 1000).unwrap().0;
    let actions = audit.into_iter().map(|e| e.action).filter(|a| !a.starts_with("export")).collect();
    let users = app.store.users().unwrap().len();
    (stamp, actions, users)
}

async fn send(staff: &Staff, method: &str, path: &str, fields: &[(&str, &str)], origin: &str) -> (u16, String) {
    let url = format!("{}{path}", staff.base);
    let request = if method == "GET" {
        staff.client.get(url)
    } else {
        staff.client.post(url).header("origin", origin).form(fields)
    };
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let location = response.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    (status, location)
}

#[tokio::test]
async fn every_back_office_route_for_every_role_and_every_forgery() {
    let app = spawn_app().await;
    let admin = sign_in(&app, "boss@example.org", Role::Admin, &[]).await;
    let editor = sign_in(&app, "ed@example.org", Role::Editor, &[]).await;
    let translator = sign_in(&app, "tr@example.org", Role::Translator, &["ja"]).await;
    let nobody = Staff { client: jar_client(), base: app.base.clone(), csrf: String::new() };
    let en = Language::parse("en").unwrap();
    let item = app
        .store
        .published_item(Kind::News, &en, &Slug::parse("testimony-evening-tokyo").unwrap())
        .unwrap()
        .unwrap()
        .id;
    let user = app.store.add_user(&Email::parse("victim@example.org").unwrap(), Role::Editor, PASSWORD).unwrap().id;
    let roles = [(Role::Admin, &admin), (Role::Editor, &editor), (Role::Translator, &translator)];

    assert!(ROUTES.len() >= 70, "the table lists the whole back office ({} routes)", ROUTES.len());
    for route in ROUTES {
        assert_eq!(route.need, stated_need(route.method, route.path), "{} {}", route.method, route.path);
    }

    let before = fingerprint(&app);
    for route in ROUTES.iter().filter(|r| r.need != Need::Anyone) {
        let path = concrete(route, item, user);
        let what = format!("{} {path}", route.method);
        // Nobody signed in: the way to sign in, nothing else.
        let (status, location) = send(&nobody, route.method, &path, &[("x", "1")], &app.base).await;
        assert_eq!(status, 303, "nobody: {what}");
        assert!(location.starts_with("/admin/login?next="), "nobody: {what} → {location}");
        for (role, staff) in roles {
            if !route.need.allows(role) {
                // The right token and origin, the wrong role.
                let fields = [("csrf", staff.csrf.as_str())];
                let (status, _) = send(staff, route.method, &path, &fields, &app.base).await;
                assert_eq!(status, 403, "{role:?}: {what}");
            } else if route.method == "GET" {
                let (status, location) = send(staff, "GET", &path, &[], &app.base).await;
                assert_ne!(status, 403, "{role:?} may: {what}");
                assert!(!location.starts_with("/admin/login"), "{role:?} may: {what} → {location}");
            } else {
                let (status, _) = send(staff, "POST", &path, &[("title", "forged")], &app.base).await;
                assert_eq!(status, 403, "{role:?}, no token: {what}");
                let fields = [("csrf", staff.csrf.as_str()), ("title", "forged")];
                let (status, _) = send(staff, "POST", &path, &fields, "https://evil.example").await;
                assert_eq!(status, 403, "{role:?}, another site: {what}");
            }
        }
    }
    // Another site cannot sign anyone out.
    for (_, staff) in roles {
        let fields = [("csrf", staff.csrf.as_str())];
        let (status, _) = send(staff, "POST", "/admin/logout", &fields, "https://evil.example").await;
        assert_eq!(status, 403);
    }
    assert_eq!(fingerprint(&app), before, "refused requests changed nothing");
    for (role, staff) in roles {
        assert_eq!(staff.get("/admin/").await.status, 200, "{role:?} is still signed in");
    }
    app.stop().await;
}
