//! `UserStore` and `AuditLog` over SQLite, with Argon2id password hashes.
//!
//! Parameters: Argon2id v19, 19 MiB memory, 2 passes, 1 lane (the
//! `argon2` crate's defaults, which follow the OWASP recommendation).
//! The parameters are stored in each hash, so raising them later keeps
//! old hashes verifiable. Session ids are stored only as hashes, so the
//! database alone does not let anyone sign in.

use crate::sql::{DbResult, Handle, Optional, Row, params};
use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use refuge_core::store::StoreResult;
use refuge_core::{
    AccountChange, AuditEntry, AuditLine, AuditLog, Email, Language, Role, Session, StoreError, User, UserStore,
};
use refuge_core::{AuditReads, UserReads};

use crate::db::{SqlStore, backend, now, parse_ts, ts};

pub use refuge_core::user::MIN_PASSWORD_CHARS;

fn hash(password: &str, email: &str) -> StoreResult<String> {
    if let Some(weakness) = refuge_core::user::password_weakness(password, email) {
        return Err(StoreError::Invalid(weakness.english().into()));
    }
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| StoreError::Backend(format!("password hashing failed: {e}")))
}

fn verify(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

const USER_COLUMNS: &str =
    "u.id, u.email, u.role, u.languages, u.totp_secret IS NOT NULL, u.must_change_password, u.time_zone";

fn user(row: &Row<'_>) -> DbResult<User> {
    let email: String = row.get(1)?;
    let role: String = row.get(2)?;
    let languages: String = row.get(3)?;
    let bad = crate::sql::conversion;
    Ok(User {
        id: row.get(0)?,
        email: Email::parse(&email).map_err(bad)?,
        role: role.parse().map_err(bad)?,
        languages: languages.split(',').filter_map(|l| Language::parse(l).ok()).collect(),
        totp: row.get(4)?,
        must_change_password: row.get(5)?,
        time_zone: row.get(6)?,
    })
}

fn join_languages(languages: &[Language]) -> String {
    languages.iter().map(Language::as_str).collect::<Vec<_>>().join(",")
}

/// Writes an account change inside the caller's transaction (the
/// password already hashed); the account's id.
fn apply_change(tx: &Handle<'_>, change: &AccountChange<'_>, hashed: Option<&str>) -> StoreResult<i64> {
    let end_sessions = |user_id: i64| -> StoreResult<()> {
        tx.execute("DELETE FROM sessions WHERE user_id = ?", params![user_id]).map_err(backend)?;
        Ok(())
    };
    match change {
        AccountChange::Create { email, role, languages, printed, .. } => tx
            .insert(
                "INSERT INTO users (email, role, languages, password_hash, must_change_password, created_at) \
                 VALUES (?, ?, ?, ?, ?, ?)",
                params![email.as_str(), role.as_str(), join_languages(languages), hashed, printed, ts(now())],
            )
            .map_err(|e| match e {
                e if e.is_constraint() => StoreError::Conflict(format!("an account for {email} already exists")),
                e => backend(e),
            }),
        AccountChange::Role { user_id, role, languages } => {
            let was: String =
                tx.query_row("SELECT role FROM users WHERE id = ?", params![user_id], |r| r.get(0)).map_err(backend)?;
            tx.execute(
                "UPDATE users SET role = ?, languages = ? WHERE id = ?",
                params![role.as_str(), join_languages(languages), user_id],
            )
            .map_err(backend)?;
            if was != role.as_str() {
                end_sessions(*user_id)?;
            }
            Ok(*user_id)
        }
        AccountChange::ResetPassword { user_id, printed, .. } => {
            tx.execute(
                "UPDATE users SET password_hash = ?, must_change_password = ? WHERE id = ?",
                params![hashed, printed, user_id],
            )
            .map_err(backend)?;
            end_sessions(*user_id)?;
            Ok(*user_id)
        }
        AccountChange::OwnPassword { user_id, keep_session, .. } => {
            tx.execute(
                "UPDATE users SET password_hash = ?, must_change_password = 0 WHERE id = ?",
                params![hashed, user_id],
            )
            .map_err(backend)?;
            tx.execute("DELETE FROM sessions WHERE user_id = ? AND id_hash <> ?", params![user_id, keep_session])
                .map_err(backend)?;
            Ok(*user_id)
        }
        AccountChange::EnableTotp { user_id, secret, recovery_hashes, step, keep_session } => {
            tx.execute(
                "UPDATE users SET totp_secret = ?, recovery_codes = ?, totp_last_step = ? WHERE id = ?",
                params![*secret, recovery_hashes.join(","), *step, user_id],
            )
            .map_err(backend)?;
            tx.execute("DELETE FROM sessions WHERE user_id = ? AND id_hash <> ?", params![user_id, keep_session])
                .map_err(backend)?;
            Ok(*user_id)
        }
        AccountChange::RecoveryCodes { user_id, recovery_hashes } => {
            let n = tx
                .execute(
                    "UPDATE users SET recovery_codes = ? WHERE id = ? AND totp_secret IS NOT NULL",
                    params![recovery_hashes.join(","), user_id],
                )
                .map_err(backend)?;
            if n == 0 {
                return Err(StoreError::Invalid("two-step sign-in is off for this account".into()));
            }
            Ok(*user_id)
        }
        AccountChange::ResetTotp { user_id } => {
            tx.execute(
                "UPDATE users SET totp_secret = NULL, recovery_codes = '', totp_last_step = NULL WHERE id = ?",
                params![user_id],
            )
            .map_err(backend)?;
            end_sessions(*user_id)?;
            Ok(*user_id)
        }
    }
}

impl UserReads for SqlStore {
    fn verify_password(&self, email: &Email, password: &str) -> StoreResult<Option<User>> {
        let found = self
            .conn()?
            .query_row(
                &format!("SELECT {USER_COLUMNS}, u.password_hash FROM users u WHERE u.email = ?"),
                params![email.as_str()],
                |r| Ok((user(r)?, r.get::<String>(7)?)),
            )
            .optional()
            .map_err(backend)?;
        match found {
            Some((user, stored)) if verify(password, &stored) => Ok(Some(user)),
            Some(_) => Ok(None),
            None => {
                // Spend the same time as a real check, so timing does not
                // tell which addresses have accounts.
                hash("Qv7-not-a-real-password-at-all-Lm9", "")?;
                Ok(None)
            }
        }
    }
    fn users(&self) -> StoreResult<Vec<User>> {
        let conn = self.conn()?;
        let mut stmt =
            conn.prepare(&format!("SELECT {USER_COLUMNS} FROM users u ORDER BY u.email")).map_err(backend)?;
        let rows = stmt.query_map(params![], user).map_err(backend)?;
        rows.collect::<Result<_, _>>().map_err(backend)
    }
    fn user_count(&self) -> StoreResult<u64> {
        let n: i64 = self.conn()?.query_row("SELECT count(*) FROM users", params![], |r| r.get(0)).map_err(backend)?;
        Ok(n.unsigned_abs())
    }
    fn user(&self, id: i64) -> StoreResult<Option<User>> {
        self.conn()?
            .query_row(&format!("SELECT {USER_COLUMNS} FROM users u WHERE u.id = ?"), params![id], user)
            .optional()
            .map_err(backend)
    }
    fn recovery_codes_left(&self, user_id: i64) -> StoreResult<u32> {
        let codes: Option<String> = self
            .conn()?
            .query_row("SELECT recovery_codes FROM users WHERE id = ?", params![user_id], |r| r.get(0))
            .optional()
            .map(Option::flatten)
            .map_err(backend)?;
        Ok(codes.unwrap_or_default().split(',').filter(|c| !c.is_empty()).count() as u32)
    }
    fn totp_secret(&self, user_id: i64) -> StoreResult<Option<String>> {
        self.conn()?
            .query_row("SELECT totp_secret FROM users WHERE id = ?", params![user_id], |r| r.get(0))
            .optional()
            .map(Option::flatten)
            .map_err(backend)
    }
    fn session(&self, id_hash: &str) -> StoreResult<Option<Session>> {
        self.session_where("s.id_hash", id_hash)
    }
    fn session_of_form(&self, csrf: &str) -> StoreResult<Option<Session>> {
        self.session_where("s.csrf", csrf)
    }
}

impl SqlStore {
    /// The session whose `column` (`s.id_hash`, `s.csrf`) is `value`, with its account.
    fn session_where(&self, column: &'static str, value: &str) -> StoreResult<Option<Session>> {
        self.conn()?
            .query_row(
                &format!(
                    "SELECT {USER_COLUMNS}, s.csrf, s.created_at, s.last_seen, s.verified
                     FROM sessions s JOIN users u ON u.id = s.user_id WHERE {column} = ?"
                ),
                params![value],
                |r| {
                    Ok(Session {
                        user: user(r)?,
                        csrf: r.get(7)?,
                        created_at: r.get(8)?,
                        last_seen: r.get(9)?,
                        verified: r.get(10)?,
                    })
                },
            )
            .optional()
            .map_err(backend)
    }
}

impl UserStore for SqlStore {
    fn add_user(&self, email: &Email, role: Role, password: &str) -> StoreResult<User> {
        let hashed = hash(password, email.as_str())?;
        let conn = self.conn()?;
        let id = conn
            .insert(
                "INSERT INTO users (email, role, password_hash, created_at) VALUES (?, ?, ?, ?)",
                params![email.as_str(), role.as_str(), hashed, ts(now())],
            )
            .map_err(|e| match e {
                e if e.is_constraint() => StoreError::Conflict(format!("an account for {email} already exists")),
                e => backend(e),
            })?;
        Ok(User {
            id,
            email: email.clone(),
            role,
            languages: Vec::new(),
            totp: false,
            must_change_password: false,
            time_zone: None,
        })
    }

    fn set_password(&self, user_id: i64, password: &str) -> StoreResult<()> {
        let email: Option<String> = self
            .conn()?
            .query_row("SELECT email FROM users WHERE id = ?", params![user_id], |r| r.get(0))
            .optional()
            .map_err(backend)?;
        let Some(email) = email else { return Err(StoreError::NotFound(format!("user {user_id}"))) };
        let hashed = hash(password, &email)?;
        let n = self
            .conn()?
            .execute(
                "UPDATE users SET password_hash = ?, must_change_password = 0 WHERE id = ?",
                params![hashed, user_id],
            )
            .map_err(backend)?;
        if n == 0 { Err(StoreError::NotFound(format!("user {user_id}"))) } else { Ok(()) }
    }

    fn set_time_zone(&self, user_id: i64, zone: Option<&str>) -> StoreResult<()> {
        self.conn()?.execute("UPDATE users SET time_zone = ? WHERE id = ?", params![zone, user_id]).map_err(backend)?;
        Ok(())
    }

    fn set_email(&self, user_id: i64, email: &Email) -> StoreResult<()> {
        let n = self
            .conn()?
            .execute("UPDATE users SET email = ? WHERE id = ?", params![email.as_str(), user_id])
            .map_err(|e| match e {
                e if e.is_constraint() => StoreError::Conflict(format!("another account already uses {email}")),
                e => backend(e),
            })?;
        if n == 0 { Err(StoreError::NotFound(format!("user {user_id}"))) } else { Ok(()) }
    }

    fn set_role(&self, user_id: i64, role: Role, languages: &[Language]) -> StoreResult<()> {
        let n = self
            .conn()?
            .execute(
                "UPDATE users SET role = ?, languages = ? WHERE id = ?",
                params![role.as_str(), join_languages(languages), user_id],
            )
            .map_err(backend)?;
        if n == 0 { Err(StoreError::NotFound(format!("user {user_id}"))) } else { Ok(()) }
    }

    fn delete_user(&self, user_id: i64) -> StoreResult<()> {
        let n = self.conn()?.execute("DELETE FROM users WHERE id = ?", params![user_id]).map_err(backend)?;
        if n == 0 { Err(StoreError::NotFound(format!("user {user_id}"))) } else { Ok(()) }
    }

    fn set_totp(&self, user_id: i64, secret: Option<&str>, recovery_hashes: &[String]) -> StoreResult<()> {
        self.conn()?
            .execute(
                "UPDATE users SET totp_secret = ?, recovery_codes = ?, totp_last_step = NULL WHERE id = ?",
                params![secret, recovery_hashes.join(","), user_id],
            )
            .map_err(backend)?;
        Ok(())
    }

    fn use_totp_step(&self, user_id: i64, step: i64) -> StoreResult<bool> {
        let n = self
            .conn()?
            .execute(
                "UPDATE users SET totp_last_step = ?1 WHERE id = ?2 AND (totp_last_step IS NULL OR totp_last_step < ?1)",
                params![step, user_id],
            )
            .map_err(backend)?;
        Ok(n == 1)
    }

    fn use_recovery_code(&self, user_id: i64, code_hash: &str) -> StoreResult<bool> {
        let conn = self.conn()?;
        let tx = conn.transaction().map_err(backend)?;
        let codes: String = tx
            .query_row("SELECT recovery_codes FROM users WHERE id = ?", params![user_id], |r| r.get(0))
            .map_err(backend)?;
        let mut list: Vec<&str> = codes.split(',').filter(|c| !c.is_empty()).collect();
        let Some(pos) = list.iter().position(|c| *c == code_hash) else { return Ok(false) };
        list.remove(pos);
        tx.execute("UPDATE users SET recovery_codes = ? WHERE id = ?", params![list.join(","), user_id])
            .map_err(backend)?;
        tx.commit().map_err(backend)?;
        Ok(true)
    }

    fn create_session(&self, id_hash: &str, user_id: i64, csrf: &str, verified: bool, now: i64) -> StoreResult<()> {
        self.conn()?
            .execute(
                "INSERT INTO sessions (id_hash, user_id, csrf, verified, created_at, last_seen) VALUES (?, ?, ?, ?, ?, ?)",
                params![id_hash, user_id, csrf, verified, now, now],
            )
            .map_err(backend)?;
        Ok(())
    }

    fn touch_session(&self, id_hash: &str, now: i64, verified: bool) -> StoreResult<()> {
        self.conn()?
            .execute(
                "UPDATE sessions SET last_seen = ?, verified = ? WHERE id_hash = ?",
                params![now, verified, id_hash],
            )
            .map_err(backend)?;
        Ok(())
    }

    fn delete_session(&self, id_hash: &str) -> StoreResult<()> {
        self.conn()?.execute("DELETE FROM sessions WHERE id_hash = ?", params![id_hash]).map_err(backend)?;
        Ok(())
    }

    fn change_account(&self, change: &AccountChange<'_>, audit: Option<AuditLine<'_>>) -> StoreResult<User> {
        // Hashing is slow: done before the transaction, which stays short.
        let (email, password, target) = match change {
            AccountChange::Create { email, password, .. } => (Some(email.to_string()), Some(*password), None),
            AccountChange::ResetPassword { user_id, password, .. }
            | AccountChange::OwnPassword { user_id, password, .. } => (None, Some(*password), Some(*user_id)),
            AccountChange::Role { user_id, .. }
            | AccountChange::RecoveryCodes { user_id, .. }
            | AccountChange::ResetTotp { user_id }
            | AccountChange::EnableTotp { user_id, .. } => (None, None, Some(*user_id)),
        };
        let email = match target {
            Some(id) => {
                Some(self.user(id)?.ok_or_else(|| StoreError::NotFound(format!("user {id}")))?.email.to_string())
            }
            None => email,
        };
        let hashed = password.map(|p| hash(p, email.as_deref().unwrap_or_default())).transpose()?;
        let conn = self.conn()?;
        let tx = conn.transaction().map_err(backend)?;
        let id = apply_change(&tx, change, hashed.as_deref())?;
        if let Some(line) = audit {
            let subject: String =
                tx.query_row("SELECT email FROM users WHERE id = ?", params![id], |r| r.get(0)).map_err(backend)?;
            write_audit(&tx, &line, &subject)?;
        }
        tx.commit().map_err(backend)?;
        drop(conn);
        self.user(id)?.ok_or_else(|| StoreError::NotFound(format!("user {id}")))
    }

    fn delete_sessions_of(&self, user_id: i64) -> StoreResult<u64> {
        let n = self.conn()?.execute("DELETE FROM sessions WHERE user_id = ?", params![user_id]).map_err(backend)?;
        Ok(n)
    }

    fn purge_sessions(&self, idle_before: i64, created_before: i64) -> StoreResult<u64> {
        let n = self
            .conn()?
            .execute("DELETE FROM sessions WHERE last_seen < ? OR created_at < ?", params![idle_before, created_before])
            .map_err(backend)?;
        Ok(n)
    }
}

/// Writes `line` (about `subject`) in the transaction of the change it records.
pub(crate) fn write_audit(tx: &Handle<'_>, line: &AuditLine<'_>, subject: &str) -> StoreResult<()> {
    tx.execute(
        "INSERT INTO audit (at, actor, action, subject, detail) VALUES (?, ?, ?, ?, ?)",
        params![ts(now()), line.actor, line.action, subject, line.detail],
    )
    .map_err(backend)?;
    Ok(())
}

impl AuditReads for SqlStore {
    fn audit_entries(&self, offset: u32, limit: u32) -> StoreResult<(Vec<AuditEntry>, u32)> {
        let conn = self.conn()?;
        let total: u32 = conn.query_row("SELECT count(*) FROM audit", params![], |r| r.get(0)).map_err(backend)?;
        let mut stmt = conn
            .prepare("SELECT id, at, actor, action, subject, detail FROM audit ORDER BY id DESC LIMIT ? OFFSET ?")
            .map_err(backend)?;
        let rows = stmt
            .query_map(params![limit, offset], |r| {
                let at: String = r.get(1)?;
                Ok(AuditEntry {
                    id: r.get(0)?,
                    at: parse_ts(&at)?,
                    actor: r.get(2)?,
                    action: r.get(3)?,
                    subject: r.get(4)?,
                    detail: r.get(5)?,
                })
            })
            .map_err(backend)?;
        Ok((rows.collect::<Result<_, _>>().map_err(backend)?, total))
    }
}

impl AuditLog for SqlStore {
    fn record(&self, actor: &str, action: &str, subject: &str, detail: &str) -> StoreResult<()> {
        self.conn()?
            .execute(
                "INSERT INTO audit (at, actor, action, subject, detail) VALUES (?, ?, ?, ?, ?)",
                params![ts(now()), actor, action, subject, detail],
            )
            .map_err(backend)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_verify_and_change_passwords() {
        for db in crate::testing::each_engine() {
            let s = &db.store;
            let email = Email::parse("ed@example.org").unwrap();
            assert!(matches!(s.add_user(&email, Role::Editor, "short"), Err(StoreError::Invalid(_))));
            let u = s.add_user(&email, Role::Editor, "correct horse battery").unwrap();
            assert!(matches!(s.add_user(&email, Role::Admin, "correct horse battery"), Err(StoreError::Conflict(_))));
            let upper = Email::parse("ED@example.org").unwrap();
            assert_eq!(s.verify_password(&upper, "correct horse battery").unwrap(), Some(u.clone()));
            assert_eq!(s.verify_password(&email, "wrong password!!").unwrap(), None);
            s.set_password(u.id, "another long password").unwrap();
            assert_eq!(s.verify_password(&email, "correct horse battery").unwrap(), None);
            assert!(s.verify_password(&email, "another long password").unwrap().is_some());
            let stored: String =
                s.conn().unwrap().query_row("SELECT password_hash FROM users", params![], |r| r.get(0)).unwrap();
            assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{stored}");
            assert_eq!(s.user_count().unwrap(), 1);
        }
    }

    #[test]
    fn roles_sessions_and_recovery_codes() {
        for db in crate::testing::each_engine() {
            let s = &db.store;
            let u = s.add_user(&Email::parse("tr@example.org").unwrap(), Role::Editor, "a long password here").unwrap();
            s.set_role(u.id, Role::Translator, &[Language::parse("ja").unwrap()]).unwrap();
            let again = s.user(u.id).unwrap().unwrap();
            assert_eq!((again.role, again.languages.len(), again.totp), (Role::Translator, 1, false));
            s.create_session("h1", u.id, "tok", true, 100).unwrap();
            s.create_session("h2", u.id, "tok2", false, 100).unwrap();
            let session = s.session("h1").unwrap().unwrap();
            assert_eq!((session.csrf.as_str(), session.verified, session.user.id), ("tok", true, u.id));
            s.touch_session("h2", 200, true).unwrap();
            assert!(s.session("h2").unwrap().unwrap().verified);
            assert_eq!(s.purge_sessions(150, 0).unwrap(), 1, "h1 idle since 100");
            assert_eq!(s.delete_sessions_of(u.id).unwrap(), 1);
            assert!(s.session("h2").unwrap().is_none());
            s.set_totp(u.id, Some("SECRET"), &["a".into(), "b".into()]).unwrap();
            assert!(s.user(u.id).unwrap().unwrap().totp);
            assert!(s.use_recovery_code(u.id, "a").unwrap());
            assert!(!s.use_recovery_code(u.id, "a").unwrap(), "each code works once");
            assert!(s.use_recovery_code(u.id, "b").unwrap());
            s.delete_user(u.id).unwrap();
            assert!(s.user(u.id).unwrap().is_none());
        }
    }

    #[test]
    fn audit_log_is_newest_first() {
        for db in crate::testing::each_engine() {
            let s = &db.store;
            s.record("ed@example.org", "sign-in", "", "").unwrap();
            s.record("ed@example.org", "publish", "item 4", "").unwrap();
            let (entries, total) = s.audit_entries(0, 10).unwrap();
            assert_eq!(total, 2);
            assert_eq!(entries[0].action, "publish");
        }
    }
}
