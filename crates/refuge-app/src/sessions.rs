//! Signing in and the sessions it opens: the password checked (as long
//! for an unknown address), the second step (a code accepted once, or a
//! recovery code used up), a session started, kept alive and ended.
//! Failed sign-ins are counted by the caller (`SignInThrottle`, a narrow
//! capability of its own).

use refuge_core::{Email, Session, User, UserStore};

use crate::AppError;

/// Checks a password: the account it opens, if any. An address that is
/// not one (or no account) costs the same work as a real check, so the
/// time taken says nothing about which accounts exist.
pub fn check_password<S: UserStore + ?Sized>(
    store: &S,
    email: Option<&Email>,
    password: &str,
) -> Result<Option<User>, AppError> {
    Ok(match email {
        Some(email) => store.verify_password(email, password)?,
        None => {
            let dummy = Email::parse("nobody@invalid.invalid").expect("valid");
            store.verify_password(&dummy, password)?;
            None
        }
    })
}

/// How the second step was passed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SecondStep {
    /// A code from the app (its time step is used up: never again).
    App,
    /// A recovery code (used up).
    Recovery,
    /// Neither.
    Refused,
}

/// Checks a second-step code for `user_id` at `now` (Unix seconds).
pub fn second_step<S: UserStore + ?Sized>(
    store: &S,
    user_id: i64,
    code: &str,
    now: u64,
    recovery_hash: impl FnOnce(&str) -> String,
) -> Result<SecondStep, AppError> {
    if let Some(secret) = store.totp_secret(user_id)?
        && let Some(step) = crate::totp::matching_step(&secret, code, now)
    {
        let fresh = store.use_totp_step(user_id, i64::try_from(step).unwrap_or(i64::MAX))?;
        return Ok(if fresh { SecondStep::App } else { SecondStep::Refused });
    }
    let normalised = code.to_ascii_lowercase().replace('-', "");
    if code.len() >= 10 && store.use_recovery_code(user_id, &recovery_hash(&normalised))? {
        return Ok(SecondStep::Recovery);
    }
    Ok(SecondStep::Refused)
}

/// Starts a session (`id_hash` of a fresh id), ending `old` (the
/// browser's previous one) first.
pub fn start<S: UserStore + ?Sized>(
    store: &S,
    old: Option<&str>,
    id_hash: &str,
    user_id: i64,
    csrf: &str,
    verified: bool,
    now: i64,
) -> Result<(), AppError> {
    if let Some(old) = old {
        end(store, old);
    }
    store.create_session(id_hash, user_id, csrf, verified, now)?;
    Ok(())
}

/// Ends a session; a failure is logged (it then lasts until it expires).
pub fn end<S: UserStore + ?Sized>(store: &S, id_hash: &str) {
    if let Err(e) = store.delete_session(id_hash) {
        tracing::error!(error = %e, "a session could not be ended; it expires by itself");
    }
}

/// The session of `id_hash` unless `expired` says it is, its last use
/// recorded at most once a minute (a failure only means it ends at its
/// earlier idle time). An expired session's row stays until housekeeping
/// deletes it, so that a form sent meanwhile is kept for its author.
pub fn look_up<S: UserStore + ?Sized>(
    store: &S,
    id_hash: &str,
    now: i64,
    expired: impl Fn(&Session) -> bool,
) -> Result<Option<Session>, AppError> {
    let Some(session) = store.session(id_hash)?.filter(|s| !expired(s)) else { return Ok(None) };
    if now - session.last_seen > 60
        && let Err(e) = store.touch_session(id_hash, now, session.verified)
    {
        tracing::error!(error = %e, "a session's last use could not be recorded");
    }
    Ok(Some(session))
}
