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

/// Signs out: the session ends now as if it had expired at `expired_at`
/// (its row kept a day, like any expired one), so a form another tab
/// sends with its token afterwards is kept for the account, not lost.
pub fn sign_out<S: UserStore + ?Sized>(store: &S, id_hash: &str, expired_at: i64) -> Result<(), AppError> {
    store.touch_session(id_hash, expired_at, false)?;
    Ok(())
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

#[cfg(test)]
mod tests {
    use refuge_core::Role;

    use super::*;
    use crate::memory::Memory;
    use crate::totp;

    /// Signing in, on any store: the password, a code once, a recovery
    /// code once, and the sessions it opens.
    fn signing_in<S: UserStore + ?Sized>(store: &S) {
        let email = Email::parse("ed@example.org").unwrap();
        let ed = store.add_user(&email, Role::Editor, "a long password").unwrap();
        assert_eq!(check_password(store, Some(&email), "a long password").unwrap().map(|u| u.id), Some(ed.id));
        assert!(check_password(store, Some(&email), "another password").unwrap().is_none());
        assert!(check_password(store, None, "a long password").unwrap().is_none());

        let key = [7u8; 20];
        let hash = |code: &str| format!("hash of {code}");
        store.set_totp(ed.id, Some(&totp::base32(&key)), &[hash("abcdefghij")]).unwrap();
        let now = 1_800_000_000u64;
        let code = format!("{:06}", totp::hotp(&key, now / 30, 6));
        assert_eq!(second_step(store, ed.id, &code, now, hash).unwrap(), SecondStep::App);
        assert_eq!(second_step(store, ed.id, &code, now + 5, hash).unwrap(), SecondStep::Refused, "a code works once");
        let earlier = format!("{:06}", totp::hotp(&key, now / 30 - 1, 6));
        assert_eq!(second_step(store, ed.id, &earlier, now, hash).unwrap(), SecondStep::Refused, "nor one before it");
        assert_eq!(second_step(store, ed.id, "ABCDE-FGHIJ", now, hash).unwrap(), SecondStep::Recovery);
        let again = second_step(store, ed.id, "abcdefghij", now, hash).unwrap();
        assert_eq!(again, SecondStep::Refused, "a recovery code is used up");

        start(store, None, "first", ed.id, "token", false, 100).unwrap();
        start(store, Some("first"), "second", ed.id, "token", true, 110).unwrap();
        assert!(store.session("first").unwrap().is_none(), "signing in again ends the browser's old session");
        let found = look_up(store, "second", 120, |_| false).unwrap().unwrap();
        assert!(found.verified && found.user.id == ed.id);
        assert_eq!(found.last_seen, 110, "a use within the minute is not written");
        look_up(store, "second", 500, |_| false).unwrap().unwrap();
        assert_eq!(store.session("second").unwrap().unwrap().last_seen, 500, "a later one is");
        assert!(look_up(store, "second", 501, |_| true).unwrap().is_none(), "an expired session is none");
        assert!(store.session("second").unwrap().is_some(), "its row stays for housekeeping");
        end(store, "second");
        assert!(store.session("second").unwrap().is_none());
    }

    #[test]
    fn signing_in_on_the_fake_and_either_engine() {
        signing_in(&Memory::default());
        for db in refuge_store::testing::each_engine() {
            signing_in(&db.store);
        }
    }
}
