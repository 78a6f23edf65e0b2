//! Back-office accounts, their sessions and sign-in counts, and what
//! servers sharing a database agree on: secrets, leases, client limits.

use super::{AuditLine, StoreResult};
use crate::{Email, Language, Role, Session, User};

/// Secrets every server sharing the database must agree on, made once.
pub trait SiteSecrets: Send + Sync {
    /// The secret called `name`: 32 random bytes as hex, made at the first
    /// call and the same for every server on this database afterwards.
    fn shared_secret(&self, name: &str) -> StoreResult<String>;
}

/// Failed sign-ins, counted in the database so every server sharing it
/// counts the same. Keys are opaque (the web layer hashes them); times are
/// Unix seconds.
pub trait SignInThrottle: Send + Sync {
    /// Seconds still to wait at `now` for the most locked of `keys`, if any.
    fn sign_in_wait(&self, keys: &[String], now: i64) -> StoreResult<Option<u64>>;
    /// Counts a failure for each key; past `free` failures a key is locked
    /// for 2^(failures − free) seconds, at most `max`.
    fn sign_in_failed(&self, keys: &[String], now: i64, free: u32, max: u64) -> StoreResult<()>;
    /// Forgets the failures of `keys` (a sign-in succeeded).
    fn sign_in_succeeded(&self, keys: &[String]) -> StoreResult<()>;
    /// Housekeeping: forgets failures last counted before `before` and no
    /// longer locking; how many.
    fn purge_sign_in_failures(&self, before: i64) -> StoreResult<u64>;
}

/// Work one server at a time does for all that share the database.
pub trait Leases: Send + Sync {
    /// Whether this server holds the lease `name` for the next `seconds`:
    /// taken when free or ended, renewed when already its own.
    fn take_lease(&self, name: &str, seconds: i64) -> StoreResult<bool>;
}

/// Per-client limits counted in the database, so servers sharing it
/// count together. Keys are opaque (the web layer hashes them); times are
/// Unix seconds.
pub trait ClientLimits: Send + Sync {
    /// Takes one token from bucket `key`, which holds at most `burst` and
    /// refills at `per_second`; whether there was one.
    fn take_token(&self, key: &str, burst: f64, per_second: f64, now: f64) -> StoreResult<bool>;
    /// Housekeeping: forgets buckets last used before `before`; how many.
    fn purge_tokens(&self, before: f64) -> StoreResult<u64>;
    /// Spends a one-time key (a form's token, hashed) kept until `until`;
    /// false when it was spent already (on any server).
    fn spend_once(&self, key: &str, until: i64) -> StoreResult<bool>;
    /// Housekeeping: forgets spent keys whose time ran out before `now`.
    fn purge_spent(&self, now: i64) -> StoreResult<u64>;
}

/// Reading accounts and sessions (a password checked against its hash
/// writes nothing).
pub trait UserReads: Send + Sync {
    /// The account whose password matches, if any.
    fn verify_password(&self, email: &Email, password: &str) -> StoreResult<Option<User>>;
    fn users(&self) -> StoreResult<Vec<User>>;
    fn user_count(&self) -> StoreResult<u64>;
    fn user(&self, id: i64) -> StoreResult<Option<User>>;
    fn totp_secret(&self, user_id: i64) -> StoreResult<Option<String>>;
    /// How many recovery codes the account has left.
    fn recovery_codes_left(&self, user_id: i64) -> StoreResult<u32>;
    fn session(&self, id_hash: &str) -> StoreResult<Option<Session>>;
    /// The session whose forms carry `csrf` (live or ended, while its row
    /// is kept): whose a form is when its browser no longer sends the
    /// cookie (signed out in another tab).
    fn session_of_form(&self, csrf: &str) -> StoreResult<Option<Session>>;
}

/// Back-office accounts and their sessions.
pub trait UserStore: UserReads {
    /// Creates an account; fails with `Conflict` if the address is taken.
    fn add_user(&self, email: &Email, role: Role, password: &str) -> StoreResult<User>;
    /// Sets a new password.
    fn set_password(&self, user_id: i64, password: &str) -> StoreResult<()>;
    /// Changes the address an account signs in with (and is mailed at).
    fn set_email(&self, user_id: i64, email: &Email) -> StoreResult<()>;
    /// The account's time zone (`None`: the site's).
    fn set_time_zone(&self, user_id: i64, zone: Option<&str>) -> StoreResult<()>;
    /// Changes an account's role and (for translators) languages.
    fn set_role(&self, user_id: i64, role: Role, languages: &[Language]) -> StoreResult<()>;
    /// Deletes an account and its sessions.
    fn delete_user(&self, user_id: i64) -> StoreResult<()>;
    /// Turns the second factor on (with the secret and hashed recovery
    /// codes) or off (`None`).
    fn set_totp(&self, user_id: i64, secret: Option<&str>, recovery_hashes: &[String]) -> StoreResult<()>;
    /// Records that the code of time step `step` was used; `false` when
    /// that step (or a later one) was used already, so a code works once.
    fn use_totp_step(&self, user_id: i64, step: i64) -> StoreResult<bool>;
    /// Uses up a recovery code (by its hash); false if it is not one.
    fn use_recovery_code(&self, user_id: i64, code_hash: &str) -> StoreResult<bool>;

    /// Stores a new session under the hash of its cookie value.
    fn create_session(&self, id_hash: &str, user_id: i64, csrf: &str, verified: bool, now: i64) -> StoreResult<()>;
    fn touch_session(&self, id_hash: &str, now: i64, verified: bool) -> StoreResult<()>;
    fn delete_session(&self, id_hash: &str) -> StoreResult<()>;
    /// Signs an account out everywhere; returns how many sessions ended.
    fn delete_sessions_of(&self, user_id: i64) -> StoreResult<u64>;
    /// Removes sessions idle since `idle_before` or created before `created_before`.
    fn purge_sessions(&self, idle_before: i64, created_before: i64) -> StoreResult<u64>;

    /// Applies a change that must take effect at once, with the ending of
    /// the account's sessions where it says so and its `audit` line (its
    /// subject: the account's address), in one transaction: when any part
    /// fails, nothing changed. The account as it is afterwards.
    fn change_account(&self, change: &AccountChange<'_>, audit: Option<AuditLine<'_>>) -> StoreResult<User>;
}

/// Changes to an account that take effect at once (see
/// [`UserStore::change_account`]).
#[derive(Debug, Clone, Copy)]
pub enum AccountChange<'a> {
    /// A new account; a `printed` password (shown on a screen or in a
    /// terminal) must be replaced at its first sign-in.
    Create { email: &'a Email, role: Role, languages: &'a [Language], password: &'a str, printed: bool },
    /// A new role and languages; when the role differs, the account's
    /// sessions end (it signs in again under the new role).
    Role { user_id: i64, role: Role, languages: &'a [Language] },
    /// A new password set for the account (a `printed` one is replaced
    /// at the next sign-in); its sessions end.
    ResetPassword { user_id: i64, password: &'a str, printed: bool },
    /// Two-step sign-in turned off (a lost phone); sessions end.
    ResetTotp { user_id: i64 },
    /// The account's owner chose a new password: every other session of
    /// the account ends (perhaps the reason for the change); the one with
    /// `keep_session` (its id hash) continues.
    OwnPassword { user_id: i64, password: &'a str, keep_session: &'a str },
    /// The account's owner turned two-step sign-in on (`secret`, the
    /// hashes of its recovery codes, the code's time step just used):
    /// every other session ends, as signed in without it; the one with
    /// `keep_session` continues.
    EnableTotp { user_id: i64, secret: &'a str, recovery_hashes: &'a [String], step: i64, keep_session: &'a str },
    /// New recovery codes (their hashes) for an account with two-step
    /// sign-in; the old ones no longer work.
    RecoveryCodes { user_id: i64, recovery_hashes: &'a [String] },
}
