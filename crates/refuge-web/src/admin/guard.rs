//! Who may use each back-office route, checked before its handler runs.
//!
//! [`ROUTES`] is the one table of the back office: every route with the
//! role it needs and what a form without this session's token gets. The
//! router is built from it ([`super::router`] panics at start for a route
//! missing here), a guard in front of each route enforces it, and the
//! role test walks it for every role. A handler cannot obtain an
//! [`Admin`] any other way than through the guard.

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::request::Parts;
use http::{Method, StatusCode, header};
use refuge_core::Role;

use super::session::{self, Admin};
use crate::AppState;

/// The least a route asks of the account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    /// Signing in and out: the handler checks its own signed token.
    Anyone,
    /// Any signed-in account (translators too).
    Staff,
    /// Editors and admins.
    Editor,
    /// Admins only.
    Admin,
}

impl Need {
    pub fn allows(self, role: Role) -> bool {
        match self {
            Need::Anyone | Need::Staff => true,
            Need::Editor => matches!(role, Role::Admin | Role::Editor),
            Need::Admin => role == Role::Admin,
        }
    }
}

/// What a POST gets when its token or origin is not this session's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Forged {
    /// The plain "this form has expired" page (403).
    Refuse,
    /// The handler shows the form again with what was typed (403), so a
    /// stale tab loses nothing; it reads the verdict from [`Genuine`].
    ShowForm,
}

/// One back-office route.
#[derive(Clone, Copy, Debug)]
pub struct RouteSpec {
    pub method: &'static str,
    pub path: &'static str,
    pub need: Need,
    pub forged: Forged,
}

const fn get(path: &'static str, need: Need) -> RouteSpec {
    RouteSpec { method: "GET", path, need, forged: Forged::Refuse }
}

const fn post(path: &'static str, need: Need) -> RouteSpec {
    RouteSpec { method: "POST", path, need, forged: Forged::Refuse }
}

/// A POST whose handler shows the refused form again.
const fn post_form(path: &'static str, need: Need) -> RouteSpec {
    RouteSpec { method: "POST", path, need, forged: Forged::ShowForm }
}

use Need::{Admin as AdminOnly, Anyone, Editor, Staff};

/// Every back-office route. Item-level rules (a translator edits only
/// items in their languages) are the use case's, on top of these.
pub const ROUTES: &[RouteSpec] = &[
    get("/admin", Anyone),
    get("/admin/login", Anyone),
    post("/admin/login", Anyone),
    get("/admin/login/code", Anyone),
    post("/admin/login/code", Anyone),
    post("/admin/logout", Anyone),
    get("/admin/", Staff),
    get("/admin/items", Staff),
    get("/admin/items/new", Editor),
    post_form("/admin/items/new", Editor),
    post("/admin/items/bulk", Editor),
    get("/admin/items/{id}", Staff),
    post_form("/admin/items/{id}", Staff),
    get("/admin/items/{id}/delete", Editor),
    post("/admin/items/{id}/delete", Editor),
    get("/admin/items/{id}/translate/{lang}", Staff),
    post_form("/admin/items/{id}/translate/{lang}", Staff),
    get("/admin/items/{id}/history", Staff),
    get("/admin/items/{id}/diff", Staff),
    get("/admin/items/{id}/restore/{rev}", Staff),
    post("/admin/items/{id}/restore/{rev}", Staff),
    get("/admin/items/{id}/review/{aside}", Editor),
    post("/admin/items/{id}/review/{aside}", Editor),
    post("/admin/items/{id}/updates", Staff),
    post("/admin/items/{id}/updates/{update}/approve", Editor),
    post("/admin/items/{id}/updates/{update}/delete", Editor),
    get("/admin/users", AdminOnly),
    post("/admin/users", AdminOnly),
    post("/admin/users/{id}/role", AdminOnly),
    post("/admin/users/{id}/password", AdminOnly),
    post("/admin/users/{id}/delete", AdminOnly),
    post("/admin/users/{id}/totp/off", AdminOnly),
    get("/admin/account", Staff),
    post("/admin/account/password", Staff),
    post("/admin/account/email", Staff),
    post("/admin/account/zone", Staff),
    post("/admin/account/totp/on", Staff),
    post("/admin/account/totp/off", Staff),
    post("/admin/account/recovery-codes", Staff),
    get("/admin/account/recovery-codes.txt", Staff),
    post("/admin/account/sessions/end", Staff),
    get("/admin/audit", AdminOnly),
    get("/admin/media", Staff),
    post("/admin/media", Editor),
    get("/admin/media/review/{key}", Editor),
    get("/admin/media/review/{key}/photo.jpg", Editor),
    post("/admin/media/review/{key}", Editor),
    post("/admin/media/{id}", Staff),
    post("/admin/media/{id}/delete", Editor),
    get("/admin/settings", AdminOnly),
    post("/admin/settings", AdminOnly),
    get("/admin/newsletters", Editor),
    post("/admin/newsletters", Editor),
    get("/admin/newsletters/{id}", Editor),
    post("/admin/newsletters/{id}/send", Editor),
    post("/admin/newsletters/{id}/test", Editor),
    get("/admin/subscribers", Editor),
    get("/admin/subscribers/export.csv", AdminOnly),
    post("/admin/subscribers/import", AdminOnly),
    post("/admin/subscribers/import/confirm", AdminOnly),
    get("/admin/subscribers/{id}", AdminOnly),
    get("/admin/subscribers/{id}/remove", AdminOnly),
    post("/admin/subscribers/{id}/remove", AdminOnly),
    post("/admin/subscribers/{id}/topics", AdminOnly),
    post("/admin/subscribers/{id}/confirm", AdminOnly),
    get("/admin/inbox", AdminOnly),
    post("/admin/inbox/unlock", AdminOnly),
    post("/admin/inbox/lock", AdminOnly),
    get("/admin/inbox/{id}", AdminOnly),
    get("/admin/inbox/{id}/attachment", AdminOnly),
    post("/admin/inbox/{id}/handled", AdminOnly),
    post("/admin/inbox/{id}/reply", AdminOnly),
    post("/admin/inbox/{id}/delete", AdminOnly),
    get("/admin/faq/{lang}", Editor),
    post("/admin/faq/{lang}", Editor),
    get("/admin/menus/{lang}", Editor),
    post("/admin/menus/{lang}", Editor),
    get("/admin/resume/{key}", Staff),
    post("/admin/autosave", Staff),
    post("/admin/autosave/discard", Staff),
];

/// The table's row for a route (the router panics at start without one).
pub fn spec(method: &str, path: &str) -> &'static RouteSpec {
    ROUTES
        .iter()
        .find(|r| r.method == method && r.path == path)
        .unwrap_or_else(|| panic!("{method} {path} is not in admin::guard::ROUTES; add it with the role it needs"))
}

/// Whether the form's token (and the browser's origin) were this
/// session's, for handlers of [`Forged::ShowForm`] routes.
#[derive(Clone, Copy, Debug)]
pub struct Genuine(pub bool);

impl FromRequestParts<AppState> for Genuine {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Response> {
        parts.extensions.get::<Genuine>().copied().ok_or_else(unguarded)
    }
}

/// A handler asked for what only the guard provides: a route registered
/// outside the table. Never reached by a request when the router is built
/// by `admin::router`.
fn unguarded() -> Response {
    tracing::error!("a back-office handler ran without its guard");
    (StatusCode::INTERNAL_SERVER_ERROR, "This page is not set up correctly; the error was logged.").into_response()
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Response> {
        parts.extensions.remove::<Admin>().ok_or_else(unguarded)
    }
}

/// The guard in front of one route: the account (else the way to sign
/// in), its role (else 403), and for a POST the form's token and origin.
pub async fn check(
    State((state, spec)): State<(AppState, &'static RouteSpec)>,
    request: Request,
    next: Next,
) -> Response {
    if spec.need == Need::Anyone {
        return next.run(request).await;
    }
    let (mut parts, body) = request.into_parts();
    let admin = match session::authenticate(&state, &parts) {
        Ok(admin) => admin,
        Err(response) => return *response,
    };
    if !spec.need.allows(admin.role()) {
        return super::forbidden(&state, &admin);
    }
    let body = if parts.method == Method::POST {
        let bytes = match Bytes::from_request(Request::from_parts(parts.clone(), body), &()).await {
            Ok(bytes) => bytes,
            Err(rejection) => return rejection.into_response(),
        };
        let token = form_token(&parts, &bytes);
        let genuine =
            token.is_some_and(|t| session::same(&t, &admin.session.csrf)) && super::same_origin(&state, &parts.headers);
        if !genuine && spec.forged == Forged::Refuse {
            return super::rejected(&state, &admin);
        }
        parts.extensions.insert(Genuine(genuine));
        Body::from(bytes)
    } else {
        body
    };
    parts.extensions.insert(admin);
    next.run(Request::from_parts(parts, body)).await
}

/// The `csrf` field of a URL-encoded or multipart form.
fn form_token(parts: &Parts, bytes: &Bytes) -> Option<String> {
    let content_type = parts.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    if content_type.starts_with("multipart/form-data") {
        let boundary = content_type.split(';').find_map(|p| p.trim().strip_prefix("boundary="))?.trim_matches('"');
        return multipart_field(bytes, boundary, "csrf");
    }
    let text = String::from_utf8_lossy(bytes);
    crate::form::pairs(&text, 2000).into_iter().find(|(k, _)| k == "csrf").map(|(_, v)| v)
}

/// A short text field of a multipart body (the token comes before the
/// file in every form of the back office, so this stops early).
fn multipart_field(body: &[u8], boundary: &str, name: &str) -> Option<String> {
    let delimiter = format!("--{boundary}");
    let find = |haystack: &[u8], needle: &[u8]| haystack.windows(needle.len()).position(|w| w == needle);
    let mut rest = &body[find(body, delimiter.as_bytes())? + delimiter.len()..];
    let wanted = format!("name=\"{name}\"");
    loop {
        let rest_part = rest.strip_prefix(b"\r\n")?;
        let end = find(rest_part, format!("\r\n{delimiter}").as_bytes())?;
        let part = &rest_part[..end];
        let split = find(part, b"\r\n\r\n")?;
        let headers = String::from_utf8_lossy(&part[..split]);
        let named = headers.lines().any(|line| {
            line.to_ascii_lowercase().starts_with("content-disposition:") && line.split(';').any(|p| p.trim() == wanted)
        });
        if named {
            return Some(String::from_utf8_lossy(&part[split + 4..]).into_owned());
        }
        rest = &rest_part[end + 2 + delimiter.len()..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_route_once_and_roles_ordered() {
        let mut seen = std::collections::HashSet::new();
        for r in ROUTES {
            assert!(seen.insert((r.method, r.path)), "{} {} twice", r.method, r.path);
            assert!(r.path.starts_with("/admin"));
        }
        assert!(Need::Editor.allows(Role::Admin) && !Need::Editor.allows(Role::Translator));
        assert!(Need::Admin.allows(Role::Admin) && !Need::Admin.allows(Role::Editor));
        assert!(Need::Staff.allows(Role::Translator));
    }

    #[test]
    fn the_token_of_a_multipart_form() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"alt_en\"\r\n\r\na csrf\r\n--XyZ\r\n\
            content-disposition: form-data; name=\"csrf\"\r\n\r\nabc123\r\n--XyZ\r\n\
            Content-Disposition: form-data; name=\"file\"; filename=\"a.jpg\"\r\n\r\n\xff\xd8\r\n--XyZ--\r\n";
        assert_eq!(multipart_field(body, "XyZ", "csrf").as_deref(), Some("abc123"));
        assert_eq!(multipart_field(body, "XyZ", "other"), None);
        assert_eq!(multipart_field(b"garbage", "XyZ", "csrf"), None);
        assert_eq!(multipart_field(b"--XyZ\r\nno end", "XyZ", "csrf"), None);
    }
}
