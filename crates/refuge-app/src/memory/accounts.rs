//! Accounts and sessions in memory, as `refuge-store` keeps them: one
//! address per account, a role change ending the account's sessions, a
//! time step and a recovery code used once. Passwords are kept as given
//! (this store lives for one test).

use refuge_core::store::StoreResult;
use refuge_core::{AccountChange, AuditLine, Email, Language, Role, Session, StoreError, User, UserReads, UserStore};

use super::{Fail, Memory};

pub(super) struct Account {
    user: User,
    password: String,
    secret: Option<String>,
    recovery: Vec<String>,
    last_step: Option<i64>,
}

pub(super) struct MemSession {
    id_hash: String,
    user_id: i64,
    csrf: String,
    verified: bool,
    created_at: i64,
    last_seen: i64,
}

fn missing(id: i64) -> StoreError {
    StoreError::NotFound(format!("user {id}"))
}

impl Memory {
    fn with_account<T>(&self, id: i64, f: impl FnOnce(&mut Account) -> T) -> StoreResult<T> {
        let mut inner = self.inner();
        let account = inner.users.iter_mut().find(|a| a.user.id == id).ok_or_else(|| missing(id))?;
        Ok(f(account))
    }

    fn end_sessions(&self, user_id: i64, keep: Option<&str>) -> u64 {
        let mut inner = self.inner();
        let before = inner.sessions.len();
        inner.sessions.retain(|s| s.user_id != user_id || Some(s.id_hash.as_str()) == keep);
        (before - inner.sessions.len()) as u64
    }
}

impl UserReads for Memory {
    fn verify_password(&self, email: &Email, password: &str) -> StoreResult<Option<User>> {
        let inner = self.inner();
        Ok(inner.users.iter().find(|a| a.user.email == *email && a.password == password).map(|a| a.user.clone()))
    }
    fn users(&self) -> StoreResult<Vec<User>> {
        let mut users: Vec<User> = self.inner().users.iter().map(|a| a.user.clone()).collect();
        users.sort_by(|a, b| a.email.as_str().cmp(b.email.as_str()));
        Ok(users)
    }
    fn user_count(&self) -> StoreResult<u64> {
        Ok(self.inner().users.len() as u64)
    }
    fn user(&self, id: i64) -> StoreResult<Option<User>> {
        Ok(self.inner().users.iter().find(|a| a.user.id == id).map(|a| a.user.clone()))
    }
    fn recovery_codes_left(&self, user_id: i64) -> StoreResult<u32> {
        Ok(self.inner().users.iter().find(|a| a.user.id == user_id).map_or(0, |a| a.recovery.len() as u32))
    }
    fn totp_secret(&self, user_id: i64) -> StoreResult<Option<String>> {
        Ok(self.inner().users.iter().find(|a| a.user.id == user_id).and_then(|a| a.secret.clone()))
    }
    fn session(&self, id_hash: &str) -> StoreResult<Option<Session>> {
        self.session_where(|s| s.id_hash == id_hash)
    }
    fn session_of_form(&self, csrf: &str) -> StoreResult<Option<Session>> {
        self.session_where(|s| s.csrf == csrf)
    }
}

impl Memory {
    fn session_where(&self, found: impl Fn(&MemSession) -> bool) -> StoreResult<Option<Session>> {
        let inner = self.inner();
        let Some(s) = inner.sessions.iter().find(|s| found(s)) else { return Ok(None) };
        let Some(account) = inner.users.iter().find(|a| a.user.id == s.user_id) else { return Ok(None) };
        Ok(Some(Session {
            user: account.user.clone(),
            csrf: s.csrf.clone(),
            created_at: s.created_at,
            last_seen: s.last_seen,
            verified: s.verified,
        }))
    }
}

impl UserStore for Memory {
    fn add_user(&self, email: &Email, role: Role, password: &str) -> StoreResult<User> {
        let printed = false;
        self.change_account(&AccountChange::Create { email, role, languages: &[], password, printed }, None)
    }
    fn set_password(&self, user_id: i64, password: &str) -> StoreResult<()> {
        self.failing(Fail::Account)?;
        self.with_account(user_id, |a| {
            a.password = password.to_owned();
            a.user.must_change_password = false;
        })
    }
    fn set_email(&self, user_id: i64, email: &Email) -> StoreResult<()> {
        self.failing(Fail::Account)?;
        if self.inner().users.iter().any(|a| a.user.email == *email && a.user.id != user_id) {
            return Err(StoreError::Conflict(format!("another account already uses {email}")));
        }
        self.with_account(user_id, |a| a.user.email = email.clone())
    }
    fn set_time_zone(&self, user_id: i64, zone: Option<&str>) -> StoreResult<()> {
        self.failing(Fail::Account)?;
        self.with_account(user_id, |a| a.user.time_zone = zone.map(str::to_owned))
    }
    fn set_role(&self, user_id: i64, role: Role, languages: &[Language]) -> StoreResult<()> {
        self.failing(Fail::Account)?;
        self.with_account(user_id, |a| {
            a.user.role = role;
            a.user.languages = languages.to_vec();
        })
    }
    fn delete_user(&self, user_id: i64) -> StoreResult<()> {
        self.failing(Fail::Account)?;
        let mut inner = self.inner();
        let before = inner.users.len();
        inner.users.retain(|a| a.user.id != user_id);
        if inner.users.len() == before {
            return Err(missing(user_id));
        }
        inner.sessions.retain(|s| s.user_id != user_id);
        Ok(())
    }
    fn set_totp(&self, user_id: i64, secret: Option<&str>, recovery_hashes: &[String]) -> StoreResult<()> {
        self.failing(Fail::Account)?;
        self.with_account(user_id, |a| {
            a.secret = secret.map(str::to_owned);
            a.user.totp = secret.is_some();
            a.recovery = recovery_hashes.to_vec();
            a.last_step = None;
        })
    }
    fn use_totp_step(&self, user_id: i64, step: i64) -> StoreResult<bool> {
        self.with_account(user_id, |a| {
            let fresh = a.last_step.is_none_or(|last| last < step);
            if fresh {
                a.last_step = Some(step);
            }
            fresh
        })
    }
    fn use_recovery_code(&self, user_id: i64, code_hash: &str) -> StoreResult<bool> {
        self.with_account(user_id, |a| match a.recovery.iter().position(|c| c == code_hash) {
            Some(at) => {
                a.recovery.remove(at);
                true
            }
            None => false,
        })
    }
    fn create_session(&self, id_hash: &str, user_id: i64, csrf: &str, verified: bool, now: i64) -> StoreResult<()> {
        let session = MemSession {
            id_hash: id_hash.to_owned(),
            user_id,
            csrf: csrf.to_owned(),
            verified,
            created_at: now,
            last_seen: now,
        };
        self.inner().sessions.push(session);
        Ok(())
    }
    fn touch_session(&self, id_hash: &str, now: i64, verified: bool) -> StoreResult<()> {
        if let Some(s) = self.inner().sessions.iter_mut().find(|s| s.id_hash == id_hash) {
            s.last_seen = now;
            s.verified = verified;
        }
        Ok(())
    }
    fn delete_session(&self, id_hash: &str) -> StoreResult<()> {
        self.inner().sessions.retain(|s| s.id_hash != id_hash);
        Ok(())
    }
    fn delete_sessions_of(&self, user_id: i64) -> StoreResult<u64> {
        Ok(self.end_sessions(user_id, None))
    }
    fn purge_sessions(&self, idle_before: i64, created_before: i64) -> StoreResult<u64> {
        let mut inner = self.inner();
        let before = inner.sessions.len();
        inner.sessions.retain(|s| s.last_seen >= idle_before && s.created_at >= created_before);
        Ok((before - inner.sessions.len()) as u64)
    }

    fn change_account(&self, change: &AccountChange<'_>, audit: Option<AuditLine<'_>>) -> StoreResult<User> {
        self.failing(Fail::Account)?;
        if audit.is_some() {
            // The line is written with the change: when it cannot be, nothing is.
            self.failing(Fail::Audit)?;
        }
        let id = match change {
            AccountChange::Create { email, role, languages, password, printed } => {
                let mut inner = self.inner();
                if inner.users.iter().any(|a| a.user.email == **email) {
                    return Err(StoreError::Conflict(format!("an account for {email} already exists")));
                }
                let id = inner.next_id();
                let user = User {
                    id,
                    email: (*email).clone(),
                    role: *role,
                    languages: languages.to_vec(),
                    totp: false,
                    must_change_password: *printed,
                    time_zone: None,
                };
                let password = (*password).to_owned();
                inner.users.push(Account { user, password, secret: None, recovery: Vec::new(), last_step: None });
                id
            }
            AccountChange::Role { user_id, role, languages } => {
                let was = self.with_account(*user_id, |a| {
                    let was = a.user.role;
                    a.user.role = *role;
                    a.user.languages = languages.to_vec();
                    was
                })?;
                if was != *role {
                    self.end_sessions(*user_id, None);
                }
                *user_id
            }
            AccountChange::ResetPassword { user_id, password, printed } => {
                self.with_account(*user_id, |a| {
                    a.password = (*password).to_owned();
                    a.user.must_change_password = *printed;
                })?;
                self.end_sessions(*user_id, None);
                *user_id
            }
            AccountChange::OwnPassword { user_id, password, keep_session } => {
                self.with_account(*user_id, |a| {
                    a.password = (*password).to_owned();
                    a.user.must_change_password = false;
                })?;
                self.end_sessions(*user_id, Some(keep_session));
                *user_id
            }
            AccountChange::EnableTotp { user_id, secret, recovery_hashes, step, keep_session } => {
                self.with_account(*user_id, |a| {
                    a.secret = Some((*secret).to_owned());
                    a.user.totp = true;
                    a.recovery = recovery_hashes.to_vec();
                    a.last_step = Some(*step);
                })?;
                self.end_sessions(*user_id, Some(keep_session));
                *user_id
            }
            AccountChange::RecoveryCodes { user_id, recovery_hashes } => {
                let on = self.with_account(*user_id, |a| {
                    if a.secret.is_some() {
                        a.recovery = recovery_hashes.to_vec();
                    }
                    a.secret.is_some()
                })?;
                if !on {
                    return Err(StoreError::Invalid("two-step sign-in is off for this account".into()));
                }
                *user_id
            }
            AccountChange::ResetTotp { user_id } => {
                self.with_account(*user_id, |a| {
                    a.secret = None;
                    a.user.totp = false;
                    a.recovery.clear();
                    a.last_step = None;
                })?;
                self.end_sessions(*user_id, None);
                *user_id
            }
        };
        let user = self.user(id)?.ok_or_else(|| missing(id))?;
        if let Some(line) = audit {
            self.inner().audit.push((line.actor.into(), line.action.into(), user.email.to_string()));
        }
        Ok(user)
    }
}
