//! Accounts (admins only), one's own account, and the audit log.

use crate::admin::paths::To;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use http::StatusCode;
use refuge_app::AppError;
use refuge_core::{Email, Language, Role};
use serde::Serialize;

use super::{Admin, Answer, Page, iso, role_label, see_other, totp};
use crate::AppState;
use crate::form::{FormData, pairs};

#[derive(Serialize)]
struct UserRow {
    id: i64,
    email: String,
    role: &'static str,
    languages: String,
    totp: bool,
    /// The signed-in admin's own account (never offered for deletion).
    own: bool,
}

#[derive(Serialize)]
struct RoleChoice {
    value: &'static str,
    label: String,
}

fn languages_from(state: &AppState, text: &str) -> Vec<Language> {
    text.split([',', ' ', '、'])
        .filter_map(|l| Language::parse(l).ok())
        .filter(|l| state.site.languages().contains(l))
        .collect()
}

fn users_page(state: &AppState, admin: &Admin, notice: Option<String>, error: Option<String>) -> Response {
    let rows: Vec<UserRow> = state
        .reads
        .users()
        .unwrap_or_default()
        .into_iter()
        .map(|u| UserRow {
            id: u.id,
            email: u.email.to_string(),
            role: u.role.as_str(),
            languages: u.languages.iter().map(Language::as_str).collect::<Vec<_>>().join(", "),
            totp: u.totp,
            own: u.id == admin.session.user.id,
        })
        .collect();
    let roles: Vec<RoleChoice> = [Role::Editor, Role::Translator, Role::Admin]
        .into_iter()
        .map(|r| RoleChoice { value: r.as_str(), label: role_label(&admin.t, r) })
        .collect();
    let values =
        minijinja::context! { users => minijinja::value::Serde(rows), roles => minijinja::value::Serde(roles) };
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Page::new(admin, "admin/users.html", "users", admin.t.get("admin_users").into())
        .notice(notice)
        .error(error)
        .status(status)
        .render(state, &admin.lang, values)
}

pub async fn users(State(state): State<AppState>, admin: Admin) -> Response {
    users_page(&state, &admin, None, None)
}

/// The users page with what went wrong, in the admin's language.
fn refused(state: &AppState, admin: &Admin, e: &AppError) -> Response {
    users_page(state, admin, None, Some(super::explain_app(admin, "people", e)))
}

pub async fn add_user(State(state): State<AppState>, admin: Admin, data: FormData) -> Response {
    let role: Role = data.get("role").parse().unwrap_or(Role::Editor);
    let languages = languages_from(&state, data.get("languages"));
    let user = &admin.session.user;
    match state.app.add_account(user, data.get("email"), role, &languages) {
        Ok(added) => {
            let notice = admin.t.get("admin_user_added").replace("{password}", &added.password);
            users_page(&state, &admin, Some(notice), None)
        }
        Err(e) => refused(&state, &admin, &e),
    }
}

fn target(state: &AppState, admin: &Admin, id: &str) -> Result<refuge_core::User, super::Halt> {
    super::found(state, admin, "account", state.reads.user(super::number(state, admin, id)?))
}

pub async fn set_role(State(state): State<AppState>, admin: Admin, Path(id): Path<String>, data: FormData) -> Answer {
    let user = target(&state, &admin, &id)?;
    let Ok(role) = data.get("role").parse::<Role>() else {
        return Ok(users_page(&state, &admin, None, Some(admin.t.get("admin_errors").into())));
    };
    let languages = languages_from(&state, data.get("languages"));
    // A changed role takes effect now: the account's sessions end with it.
    match state.app.change_role(&admin.session.user, user.id, role, &languages) {
        Ok(_) => Ok(users_page(&state, &admin, Some(admin.t.get("admin_saved").into()), None)),
        Err(e) => Ok(refused(&state, &admin, &e)),
    }
}

pub async fn reset_password(State(state): State<AppState>, admin: Admin, Path(id): Path<String>) -> Answer {
    let user = target(&state, &admin, &id)?;
    match state.app.reset_password(&admin.session.user, user.id) {
        Ok(reset) => {
            let t = &admin.t;
            let notice = t
                .get("admin_password_reset")
                .replace("{email}", user.email.as_str())
                .replace("{password}", &reset.password);
            Ok(users_page(&state, &admin, Some(notice), None))
        }
        Err(e) => Ok(refused(&state, &admin, &e)),
    }
}

pub async fn delete_user(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    data: FormData,
) -> Answer {
    let user = target(&state, &admin, &id)?;
    if user.id == admin.session.user.id {
        return Ok(refused(&state, &admin, &AppError::OwnAccount));
    }
    if !super::confirmed(&data) {
        let t = &admin.t;
        return Ok(super::Confirm {
            title: t.get("admin_delete_account").to_owned(),
            question: t
                .get("admin_delete_account_question")
                .replace("{email}", user.email.as_str())
                .replace("{role}", &super::role_label(t, user.role)),
            details: vec![t.get("admin_delete_account_details").to_owned()],
            action: To::UserDelete(user.id).path(),
            confirm_label: t.get("admin_delete_account").to_owned(),
            cancel_href: "/admin/users".into(),
            ..super::Confirm::default()
        }
        .render(&state, &admin, "users"));
    }
    match state.app.delete_account(&admin.session.user, user.id) {
        Ok(_) => Ok(users_page(&state, &admin, Some(admin.t.get("admin_deleted").into()), None)),
        Err(e) => Ok(refused(&state, &admin, &e)),
    }
}

fn account_page(state: &AppState, admin: &Admin, notice: Option<String>, error: Option<String>) -> Response {
    account_page_with(state, admin, notice, error, None)
}

/// The account page; `secret` keeps the two-step secret being set up
/// (after a wrong code the same secret is shown again, since the person
/// may already have added it to their app).
fn account_page_with(
    state: &AppState,
    admin: &Admin,
    notice: Option<String>,
    error: Option<String>,
    secret: Option<&str>,
) -> Response {
    let secret = match secret.filter(|s| totp::unbase32(s).is_some_and(|k| k.len() >= 16)) {
        Some(s) => s.to_owned(),
        None => totp::base32(&refuge_core::secret::random_bytes::<20>()),
    };
    let label = percent_encoding::utf8_percent_encode(admin.email(), percent_encoding::NON_ALPHANUMERIC);
    let otpauth = format!("otpauth://totp/Refuge:{label}?secret={secret}&issuer=Refuge&digits=6&period=30");
    let values = minijinja::context! {
        time_zone => admin.session.user.time_zone.clone().unwrap_or_default(),
        site_zone => super::session::site_zone(state).name().to_owned(),
        zones => super::zone::Zone::names(),
        totp_on => admin.session.user.totp,
        codes_left => admin.session.user.totp.then(|| recovery_codes_left(state, admin)).flatten(),
        codes_total => super::recovery::CODES,
        qr_svg => (!admin.session.user.totp).then(|| qr_svg(&otpauth, admin.t.get("admin_totp_qr"))).flatten(),
        otpauth => otpauth,
        new_secret => secret,
    };
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let notice = notice
        .or_else(|| admin.session.user.must_change_password.then(|| admin.t.get("admin_choose_password").to_owned()));
    Page::new(admin, "admin/account.html", "account", admin.t.get("admin_account").into())
        .notice(notice)
        .error(error)
        .status(status)
        .render(state, &admin.lang, values)
}

/// How many recovery codes the account has left; a failed read is logged
/// and the count left unsaid.
fn recovery_codes_left(state: &AppState, admin: &Admin) -> Option<u32> {
    state
        .reads
        .recovery_codes_left(admin.session.user.id)
        .inspect_err(|e| tracing::error!(error = %e, "could not count the recovery codes left"))
        .ok()
}

pub async fn account(
    State(state): State<AppState>,
    admin: Admin,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
) -> Response {
    let saved = raw.as_deref() == Some("notice=saved");
    account_page(&state, &admin, saved.then(|| admin.t.get("admin_saved").to_owned()), None)
}

/// Whether `password` is the account's; a failed read is the "try
/// again" page, never "wrong password".
fn password_ok(state: &AppState, admin: &Admin, password: &str) -> Result<bool, super::Halt> {
    let found =
        super::read(state, admin, "password", state.reads.verify_password(&admin.session.user.email, password))?;
    Ok(found.is_some())
}

pub async fn change_password(State(state): State<AppState>, admin: Admin, data: FormData) -> Answer {
    if !password_ok(&state, &admin, data.get("current"))? {
        return Ok(account_page(&state, &admin, None, Some(admin.t.get("admin_wrong_current_password").into())));
    }
    if data.get("new1") != data.get("new2") {
        return Ok(account_page(&state, &admin, None, Some(admin.t.get("admin_passwords_differ").into())));
    }
    if data.get("new1") == data.get("current") {
        return Ok(account_page(&state, &admin, None, Some(admin.t.get("admin_password_same").into())));
    }
    if let Some(weakness) = refuge_core::user::password_weakness(data.get("new1"), admin.email()) {
        let key = match weakness {
            refuge_core::PasswordWeakness::TooShort => "admin_password_short",
            refuge_core::PasswordWeakness::TooLong => "admin_password_long",
            refuge_core::PasswordWeakness::Guessable => "admin_password_guessable",
        };
        return Ok(account_page(&state, &admin, None, Some(admin.t.get(key).into())));
    }
    // Whoever else holds a session of this account (perhaps the reason
    // for the change) is signed out with it; this one continues.
    if let Err(e) = state.app.change_own_password(&admin.session.user, data.get("new1"), &admin.id_hash) {
        return Ok(account_page(&state, &admin, None, Some(super::explain_app(&admin, "people", &e))));
    }
    Ok(account_page(&state, &admin, Some(admin.t.get("admin_password_changed").into()), None))
}

/// Changes the account's own address (where staff notices go, and what
/// it signs in with); the password is asked.
pub async fn change_email(State(state): State<AppState>, admin: Admin, data: FormData) -> Answer {
    if !password_ok(&state, &admin, data.get("current"))? {
        return Ok(account_page(&state, &admin, None, Some(admin.t.get("admin_wrong_current_password").into())));
    }
    let email = match Email::parse(data.get("email")) {
        Ok(e) => e,
        Err(e) => return Ok(account_page(&state, &admin, None, Some(e))),
    };
    if let Err(e) = state.app.change_own_email(&admin.session.user, &email) {
        let text = match e {
            refuge_app::AppError::Conflict(text) => text,
            other => super::explain_app(&admin, "people", &other),
        };
        return Ok(account_page(&state, &admin, None, Some(text)));
    }
    let mut refreshed = admin;
    refreshed.session.user.email = email;
    Ok(account_page(&state, &refreshed, Some(refreshed.t.get("admin_saved").into()), None))
}

pub async fn totp_on(State(state): State<AppState>, admin: Admin, data: FormData) -> Answer {
    let secret = data.get("secret").trim().to_owned();
    // Whoever holds a session must not be able to lock the owner out:
    // the password is asked, as for turning it off.
    if !password_ok(&state, &admin, data.get("current"))? {
        let error = Some(admin.t.get("admin_wrong_current_password").into());
        return Ok(account_page_with(&state, &admin, None, error, Some(&secret)));
    }
    let step = if totp::unbase32(&secret).is_some_and(|k| k.len() >= 16) {
        totp::matching_step(&secret, data.get("code"), super::session::now().unsigned_abs())
    } else {
        None
    };
    let Some(step) = step else {
        return Ok(account_page_with(&state, &admin, None, Some(admin.t.get("admin_bad_code").into()), Some(&secret)));
    };
    let (codes, hashes) = super::recovery::make_codes();
    let step = i64::try_from(step).unwrap_or(i64::MAX);
    let user = &admin.session.user;
    if let Err(e) = state.app.enable_two_step(user, &secret, &hashes, step, &admin.id_hash) {
        tracing::error!(error = %e, "two-step sign-in could not be turned on");
        return Ok(account_page_with(&state, &admin, None, Some(admin.t.get("admin_try_again").into()), Some(&secret)));
    }
    let mut refreshed = admin;
    refreshed.session.user.totp = true;
    Ok(super::recovery::show_codes(&state, &refreshed, codes))
}

/// New codes for this account (its password asked): the old ones end.
pub async fn renew_recovery_codes(State(state): State<AppState>, admin: Admin, data: FormData) -> Answer {
    if !password_ok(&state, &admin, data.get("current"))? {
        let error = Some(admin.t.get("admin_wrong_current_password").into());
        return Ok(account_page(&state, &admin, None, error));
    }
    let (codes, hashes) = super::recovery::make_codes();
    if let Err(e) = state.app.new_recovery_codes(&admin.session.user, &hashes) {
        let error = Some(super::explain_app(&admin, "people", &e));
        return Ok(account_page(&state, &admin, None, error));
    }
    Ok(super::recovery::show_codes(&state, &admin, codes))
}

pub async fn totp_off(State(state): State<AppState>, admin: Admin, data: FormData) -> Answer {
    if !password_ok(&state, &admin, data.get("current"))? {
        return Ok(account_page(&state, &admin, None, Some(admin.t.get("admin_wrong_current_password").into())));
    }
    if let Err(e) = state.app.disable_two_step(&admin.session.user) {
        return Ok(account_page(&state, &admin, None, Some(super::explain_app(&admin, "people", &e))));
    }
    let mut refreshed = admin;
    refreshed.session.user.totp = false;
    Ok(account_page(&state, &refreshed, Some(refreshed.t.get("admin_saved").into()), None))
}

/// An admin turns off another account's two-step sign-in (a lost
/// phone); its sessions end, and it signs in with its password alone
/// until it sets two-step sign-in up again.
pub async fn reset_totp(State(state): State<AppState>, admin: Admin, Path(id): Path<String>) -> Answer {
    let user = target(&state, &admin, &id)?;
    match state.app.reset_two_step(&admin.session.user, user.id) {
        Ok(_) => {
            let notice = admin.t.get("admin_totp_reset").replace("{email}", user.email.as_str());
            Ok(users_page(&state, &admin, Some(notice), None))
        }
        Err(e) => Ok(refused(&state, &admin, &e)),
    }
}

pub async fn end_sessions(State(state): State<AppState>, admin: Admin) -> Response {
    if let Err(e) = state.app.end_own_sessions(&admin.session.user) {
        // Still signed in elsewhere: said, never taken for "none were open".
        tracing::error!(error = %e, "sessions could not be ended");
        let error = admin.t.get("admin_sessions_still_open").to_owned();
        return account_page(&state, &admin, None, Some(error));
    }
    super::inbox::forget(&state, &admin.id_hash);
    // This session ended too: back to the sign-in page.
    let mut response = see_other("/admin/login");
    response.headers_mut().insert(http::header::SET_COOKIE, super::session::set_cookie(&state, None));
    response
}

#[derive(Serialize)]
struct AuditView {
    when: String,
    iso: String,
    actor: String,
    action: String,
    subject: String,
    detail: String,
}

pub async fn audit_log(State(state): State<AppState>, admin: Admin, RawQuery(raw): RawQuery) -> Answer {
    let page: u32 = pairs(raw.as_deref().unwrap_or_default(), 5)
        .into_iter()
        .find(|(k, _)| k == "page")
        .and_then(|(_, v)| v.parse().ok())
        .filter(|p| (1..=100_000).contains(p))
        .unwrap_or(1);
    let (entries, total) = super::read(&state, &admin, "audit log", state.reads.audit_entries((page - 1) * 100, 100))?;
    let views: Vec<AuditView> = entries
        .into_iter()
        .map(|e| AuditView {
            when: admin.zone.show(e.at),
            iso: iso(e.at),
            actor: e.actor,
            action: e.action,
            subject: e.subject,
            detail: e.detail,
        })
        .collect();
    let values = minijinja::context! {
        entries => minijinja::value::Serde(views),
        next_href => (page * 100 < total).then(|| To::Audit { page: page + 1 }.path()),
    };
    Ok(Page::new(&admin, "admin/audit.html", "audit", admin.t.get("admin_audit").into()).render(
        &state,
        &admin.lang,
        values,
    ))
}

/// `text` as a QR code in SVG markup, drawn on the server (no script, no
/// image request), labelled for screen readers.
pub fn qr_svg(text: &str, label: &str) -> Option<String> {
    use qrcode::render::svg;
    let code = qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M).ok()?;
    let drawn = code
        .render::<svg::Color<'_>>()
        .min_dimensions(220, 220)
        .quiet_zone(true)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .build();
    let start = drawn.find("<svg")?;
    let label = label.replace(['"', '<', '>', '&'], " ");
    Some(format!("<svg role=\"img\" aria-label=\"{label}\"{}", &drawn[start + 4..]))
}

/// The account's own time zone (empty: the site's).
pub async fn change_zone(State(state): State<AppState>, admin: Admin, data: FormData) -> Response {
    let typed = data.get("time_zone").trim();
    let zone = match super::zone::Zone::parse(typed) {
        Some(zone) => Some(zone.name().to_owned()),
        None if typed.is_empty() => None,
        None => {
            let text = admin.t.get("admin_zone_unknown").replace("{zone}", typed);
            return account_page(&state, &admin, None, Some(text));
        }
    };
    if let Err(e) = state.app.change_own_zone(&admin.session.user, zone.as_deref()) {
        return account_page(&state, &admin, None, Some(super::explain_app(&admin, "people", &e)));
    }
    super::see_other("/admin/account?notice=saved")
}

#[cfg(test)]
mod tests {
    #[test]
    fn qr_codes_are_plain_svg() {
        let svg = super::qr_svg("otpauth://totp/Refuge:a%40b.org?secret=ABC", "Scan \"me\"").unwrap();
        assert!(svg.starts_with("<svg role=\"img\" aria-label=\"Scan  me \""), "{svg}");
        assert!(svg.ends_with("</svg>") && svg.contains("<path"));
        assert!(!svg.contains("<?xml") && !svg.contains("style=") && !svg.contains("<script"));
    }
}
