//! `UserStore` over SQLite, with Argon2id password hashes.
//!
//! Parameters: Argon2id v19, 19 MiB memory, 2 passes, 1 lane (the
//! `argon2` crate's defaults, which follow the OWASP recommendation).
//! The parameters are stored in each hash, so raising them later keeps
//! old hashes verifiable.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use refuge_core::store::StoreResult;
use refuge_core::{Email, Role, StoreError, User, UserStore};
use rusqlite::{OptionalExtension, params};

use crate::db::{SqliteStore, backend, now, ts};

/// The shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 12;

fn hash(password: &str) -> StoreResult<String> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(StoreError::Invalid(format!("a password needs at least {MIN_PASSWORD_CHARS} characters")));
    }
    if password.len() > 1024 {
        return Err(StoreError::Invalid("a password may be at most 1024 bytes".into()));
    }
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| StoreError::Backend(format!("password hashing failed: {e}")))
}

fn verify(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

fn user(row: &rusqlite::Row<'_>) -> rusqlite::Result<User> {
    let email: String = row.get(1)?;
    let role: String = row.get(2)?;
    let bad = |e: String| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, e.into());
    Ok(User { id: row.get(0)?, email: Email::parse(&email).map_err(bad)?, role: role.parse().map_err(bad)? })
}

impl UserStore for SqliteStore {
    fn add_user(&self, email: &Email, role: Role, password: &str) -> StoreResult<User> {
        let hashed = hash(password)?;
        let conn = self.conn();
        conn.execute(
            "INSERT INTO users (email, role, password_hash, created_at) VALUES (?, ?, ?, ?)",
            params![email.as_str(), role.as_str(), hashed, ts(now())],
        )
        .map_err(|e| match e {
            rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ConstraintViolation => {
                StoreError::Conflict(format!("an account for {email} already exists"))
            }
            e => backend(e),
        })?;
        Ok(User { id: conn.last_insert_rowid(), email: email.clone(), role })
    }

    fn verify_password(&self, email: &Email, password: &str) -> StoreResult<Option<User>> {
        let found = self
            .conn()
            .query_row("SELECT id, email, role, password_hash FROM users WHERE email = ?", [email.as_str()], |r| {
                Ok((user(r)?, r.get::<_, String>(3)?))
            })
            .optional()
            .map_err(backend)?;
        match found {
            Some((user, stored)) if verify(password, &stored) => Ok(Some(user)),
            Some(_) => Ok(None),
            None => {
                // Spend the same time as a real check, so timing does not
                // tell which addresses have accounts.
                let _ = hash("not-a-real-password-at-all");
                Ok(None)
            }
        }
    }

    fn set_password(&self, user_id: i64, password: &str) -> StoreResult<()> {
        let hashed = hash(password)?;
        let n = self
            .conn()
            .execute("UPDATE users SET password_hash = ? WHERE id = ?", params![hashed, user_id])
            .map_err(backend)?;
        if n == 0 { Err(StoreError::NotFound(format!("user {user_id}"))) } else { Ok(()) }
    }

    fn users(&self) -> StoreResult<Vec<User>> {
        let conn = self.conn();
        let mut stmt = conn.prepare("SELECT id, email, role FROM users ORDER BY email").map_err(backend)?;
        let rows = stmt.query_map([], user).map_err(backend)?;
        rows.collect::<Result<_, _>>().map_err(backend)
    }

    fn user_count(&self) -> StoreResult<u64> {
        let n: i64 = self.conn().query_row("SELECT count(*) FROM users", [], |r| r.get(0)).map_err(backend)?;
        Ok(n.unsigned_abs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_verify_and_change_passwords() {
        let dir = tempfile::tempdir().unwrap();
        let s = SqliteStore::open(&dir.path().join("t.db")).unwrap();
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
        let stored: String = s.conn().query_row("SELECT password_hash FROM users", [], |r| r.get(0)).unwrap();
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{stored}");
        assert_eq!(s.user_count().unwrap(), 1);
    }
}
