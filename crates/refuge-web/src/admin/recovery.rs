//! Recovery codes: shown once as a list to print or download (kept in
//! memory for this session for 15 minutes, never on disk in clear), how
//! many are left, and new ones that end the old.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};

use super::session::random_hex;
use super::{Admin, Page};
use crate::AppState;

/// How many codes an account gets.
pub const CODES: usize = 10;

/// How long fresh codes can be downloaded again.
const FRESH_FOR: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// New codes (`abcde-fghij`) and their hashes as stored.
pub fn make_codes() -> (Vec<String>, Vec<String>) {
    let codes: Vec<String> = (0..CODES)
        .map(|_| {
            let raw = random_hex(5);
            format!("{}-{}", &raw[..5], &raw[5..])
        })
        .collect();
    // Typed with or without the dash, in any case: the hash is of the bare code.
    let hashes = codes.iter().map(|c| super::session::hash(&c.replace('-', ""))).collect();
    (codes, hashes)
}

/// The page that shows fresh codes, once; they stay downloadable from
/// this session for a while.
pub fn show_codes(state: &AppState, admin: &Admin, codes: Vec<String>) -> Response {
    {
        let mut fresh = state.memory.fresh_codes.lock().unwrap_or_else(|p| p.into_inner());
        fresh.retain(|_, (_, at)| at.elapsed() < FRESH_FOR);
        fresh.insert(admin.id_hash.clone(), (codes.clone(), std::time::Instant::now()));
    }
    let values = minijinja::context! { codes => codes, site => state.site.config().base_url.clone() };
    Page::new(admin, "admin/recovery_codes.html", "account", admin.t.get("admin_recovery_title").to_owned()).render(
        state,
        &admin.lang,
        values,
    )
}

/// `/admin/account/recovery-codes.txt`: the fresh codes as a text file.
pub async fn download(State(state): State<AppState>, admin: Admin) -> Response {
    let codes = {
        let fresh = state.memory.fresh_codes.lock().unwrap_or_else(|p| p.into_inner());
        fresh.get(&admin.id_hash).filter(|(_, at)| at.elapsed() < FRESH_FOR).map(|(c, _)| c.clone())
    };
    let Some(codes) = codes else {
        return super::message(&state, &admin, StatusCode::NOT_FOUND, "admin_recovery_gone");
    };
    let t = &admin.t;
    let mut text =
        format!("{}\n{}\n{}\n\n", t.get("admin_recovery_title"), admin.email(), state.site.config().base_url);
    for (n, code) in codes.iter().enumerate() {
        text.push_str(&format!("{:>2}. {code}\n", n + 1));
    }
    text.push('\n');
    text.push_str(t.get("admin_recovery_each_once"));
    text.push('\n');
    let mut response = (StatusCode::OK, text).into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"refuge-recovery-codes.txt\""),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
