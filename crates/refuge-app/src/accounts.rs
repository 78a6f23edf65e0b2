//! Accounts and roles, as an admin manages them. Every change that must
//! take effect at once (a new role, a reset password, two-step sign-in
//! turned off) ends the account's sessions in the same transaction: if the
//! sessions cannot be ended, nothing changed and the admin is told.

use refuge_core::{AccountChange, AuditLine, AuditLog, Email, Language, Role, User, UserStore};

use crate::AppError;
use crate::access::admin_only;

/// A new account and the password to give its owner (to be replaced at
/// the first sign-in).
#[derive(Debug)]
pub struct NewAccount {
    pub user: User,
    pub password: String,
}

/// A printed password: long enough, random, and replaced at first use.
fn printed_password() -> String {
    refuge_core::secret::random_hex(10)
}

fn not_own(actor: &User, user_id: i64) -> Result<(), AppError> {
    if actor.id == user_id { Err(AppError::OwnAccount) } else { Ok(()) }
}

/// The audit line of a change that stands.
fn audit<S: AuditLog + ?Sized>(store: &S, actor: &User, action: &str, subject: &str, detail: &str) {
    crate::audit::record(store, actor.email.as_str(), action, subject, detail);
}

/// Who the audit log names for the machine's operator at the command line
/// (`refuge user …`), who holds the data folder and so every account.
pub const OPERATOR: &str = "command line";

/// The operator adds an account with `password` (`printed`: shown to the
/// operator, to be changed at first sign-in).
pub fn operator_adds<S>(
    store: &S,
    email: &Email,
    role: Role,
    languages: &[Language],
    password: &str,
    printed: bool,
) -> Result<User, AppError>
where
    S: UserStore + AuditLog + ?Sized,
{
    let audit = Some(AuditLine { actor: OPERATOR, action: "add account", detail: role.as_str() });
    let user = store.change_account(&AccountChange::Create { email, role, languages, password, printed }, audit)?;
    Ok(user)
}

/// The operator gives an account a new password; its sessions end with it.
pub fn operator_sets_password<S>(store: &S, user_id: i64, password: &str, printed: bool) -> Result<User, AppError>
where
    S: UserStore + AuditLog + ?Sized,
{
    let audit = Some(AuditLine { actor: OPERATOR, action: "reset password", detail: "sessions ended" });
    let user = store.change_account(&AccountChange::ResetPassword { user_id, password, printed }, audit)?;
    Ok(user)
}

/// The operator turns an account's two-step sign-in off; its sessions end.
pub fn operator_resets_two_step<S>(store: &S, user_id: i64) -> Result<User, AppError>
where
    S: UserStore + AuditLog + ?Sized,
{
    let audit = Some(AuditLine { actor: OPERATOR, action: "two-step sign-in reset", detail: "sessions ended" });
    let user = store.change_account(&AccountChange::ResetTotp { user_id }, audit)?;
    Ok(user)
}

/// Adds an account with a printed password.
pub fn add_account<S>(
    store: &S,
    actor: &User,
    email: &str,
    role: Role,
    languages: &[Language],
) -> Result<NewAccount, AppError>
where
    S: UserStore + AuditLog + ?Sized,
{
    admin_only(actor)?;
    let email = Email::parse(email).map_err(AppError::Invalid)?;
    let password = printed_password();
    let create = AccountChange::Create { email: &email, role, languages, password: &password, printed: true };
    let user = store.change_account(
        &create,
        Some(AuditLine { actor: actor.email.as_str(), action: "add account", detail: role.as_str() }),
    )?;
    Ok(NewAccount { user, password })
}

/// Gives an account a new role (and, for translators, languages); its
/// sessions end when the role changes. An admin cannot demote themselves
/// (someone must stay able to manage accounts).
pub fn change_role<S>(
    store: &S,
    actor: &User,
    user_id: i64,
    role: Role,
    languages: &[Language],
) -> Result<User, AppError>
where
    S: UserStore + AuditLog + ?Sized,
{
    admin_only(actor)?;
    if role != Role::Admin {
        not_own(actor, user_id)?;
    }
    let before = store.user(user_id)?.ok_or_else(|| AppError::NotFound(format!("account {user_id}")))?;
    let detail = format!("{} → {}", before.role, role);
    let audit = Some(AuditLine { actor: actor.email.as_str(), action: "change role", detail: &detail });
    let after = store.change_account(&AccountChange::Role { user_id, role, languages }, audit)?;
    Ok(after)
}

/// Gives an account a new printed password; its sessions end.
pub fn reset_password<S>(store: &S, actor: &User, user_id: i64) -> Result<NewAccount, AppError>
where
    S: UserStore + AuditLog + ?Sized,
{
    admin_only(actor)?;
    let password = printed_password();
    let reset = AccountChange::ResetPassword { user_id, password: &password, printed: true };
    let user = store.change_account(
        &reset,
        Some(AuditLine { actor: actor.email.as_str(), action: "reset password", detail: "sessions ended" }),
    )?;
    Ok(NewAccount { user, password })
}

/// Turns off another account's two-step sign-in (a lost phone); its
/// sessions end, and it signs in with its password alone until it sets
/// two-step sign-in up again.
pub fn reset_two_step<S>(store: &S, actor: &User, user_id: i64) -> Result<User, AppError>
where
    S: UserStore + AuditLog + ?Sized,
{
    admin_only(actor)?;
    let audit =
        Some(AuditLine { actor: actor.email.as_str(), action: "two-step sign-in reset", detail: "sessions ended" });
    let user = store.change_account(&AccountChange::ResetTotp { user_id }, audit)?;
    Ok(user)
}

/// The account's owner chose a new password (the current one was checked
/// by the caller); every other session of the account ends with the
/// change, `keep_session` (this one) continues.
pub fn change_own_password<S>(store: &S, actor: &User, password: &str, keep_session: &str) -> Result<(), AppError>
where
    S: UserStore + AuditLog + ?Sized,
{
    let audit =
        Some(AuditLine { actor: actor.email.as_str(), action: "change password", detail: "other sessions ended" });
    store.change_account(&AccountChange::OwnPassword { user_id: actor.id, password, keep_session }, audit)?;
    Ok(())
}

/// The account's owner made new recovery codes (the password was checked
/// by the caller): the old ones no longer work.
pub fn new_recovery_codes<S>(store: &S, actor: &User, recovery_hashes: &[String]) -> Result<(), AppError>
where
    S: UserStore + AuditLog + ?Sized,
{
    let change = AccountChange::RecoveryCodes { user_id: actor.id, recovery_hashes };
    let audit = Some(AuditLine { actor: actor.email.as_str(), action: "new recovery codes", detail: "old ones ended" });
    store.change_account(&change, audit)?;
    Ok(())
}

/// The account's owner turned two-step sign-in on (the code and the
/// password were checked by the caller): every other session of the
/// account ends with it, as they were opened without the second step;
/// `keep_session` (this one) continues.
pub fn enable_two_step<S>(
    store: &S,
    actor: &User,
    secret: &str,
    recovery_hashes: &[String],
    step: i64,
    keep_session: &str,
) -> Result<(), AppError>
where
    S: UserStore + AuditLog + ?Sized,
{
    let enable = AccountChange::EnableTotp { user_id: actor.id, secret, recovery_hashes, step, keep_session };
    store.change_account(
        &enable,
        Some(AuditLine { actor: actor.email.as_str(), action: "two-step sign-in on", detail: "other sessions ended" }),
    )?;
    Ok(())
}

/// The account's owner gives a new address (the password was checked by
/// the caller); another account's address is refused.
pub fn change_own_email<S>(store: &S, actor: &User, email: &Email) -> Result<(), AppError>
where
    S: UserStore + AuditLog + ?Sized,
{
    store.set_email(actor.id, email)?;
    audit(store, actor, "change e-mail address", email.as_str(), "");
    Ok(())
}

/// The account's owner turns two-step sign-in off (the password was
/// checked by the caller).
pub fn disable_two_step<S>(store: &S, actor: &User) -> Result<(), AppError>
where
    S: UserStore + AuditLog + ?Sized,
{
    store.set_totp(actor.id, None, &[])?;
    audit(store, actor, "two-step sign-in off", "", "");
    Ok(())
}

/// The account's own time zone (`None`: the site's), by a name the
/// caller checked.
pub fn change_own_zone<S>(store: &S, actor: &User, zone: Option<&str>) -> Result<(), AppError>
where
    S: UserStore + ?Sized,
{
    store.set_time_zone(actor.id, zone)?;
    Ok(())
}

/// Deletes another account and its sessions; its revisions stay.
pub fn delete_account<S>(store: &S, actor: &User, user_id: i64) -> Result<User, AppError>
where
    S: UserStore + AuditLog + ?Sized,
{
    admin_only(actor)?;
    not_own(actor, user_id)?;
    let user = store.user(user_id)?.ok_or_else(|| AppError::NotFound(format!("account {user_id}")))?;
    store.delete_user(user_id)?;
    audit(store, actor, "delete account", user.email.as_str(), "");
    Ok(user)
}

/// Signs `actor` out everywhere (this session too); how many sessions
/// ended. A failure is reported, never taken for "none were open".
pub fn end_own_sessions<S>(store: &S, actor: &User) -> Result<u64, AppError>
where
    S: UserStore + AuditLog + ?Sized,
{
    let ended = store.delete_sessions_of(actor.id)?;
    audit(store, actor, "sign out everywhere", "", &format!("{ended} sessions"));
    Ok(ended)
}

#[cfg(test)]
mod tests {
    use refuge_core::{AuditReads, UserReads};
    use refuge_store::SqlStore;

    use super::*;
    use crate::memory::{Fail, Memory};

    /// An admin and an editor with two sessions, in `store`.
    fn people<S: UserStore + ?Sized>(store: &S) -> (User, User) {
        let admin = store.add_user(&Email::parse("ad@example.org").unwrap(), Role::Admin, "a long password").unwrap();
        let ed = store.add_user(&Email::parse("ed@example.org").unwrap(), Role::Editor, "a long password").unwrap();
        store.create_session("s1", ed.id, "t", true, 1).unwrap();
        store.create_session("s2", ed.id, "t", true, 1).unwrap();
        (admin, ed)
    }

    fn setup() -> (tempfile::TempDir, SqlStore, User, User) {
        let dir = tempfile::tempdir().unwrap();
        let store = SqlStore::open(&dir.path().join("refuge.db")).unwrap();
        let (admin, ed) = people(&store);
        (dir, store, admin, ed)
    }

    /// From now on, ending `user_id`'s sessions fails in the database.
    fn sessions_cannot_end(dir: &tempfile::TempDir) {
        let side = rusqlite::Connection::open(dir.path().join("refuge.db")).unwrap();
        side.execute_batch(
            "CREATE TRIGGER keep_sessions BEFORE DELETE ON sessions BEGIN SELECT RAISE(ABORT, 'injected'); END;",
        )
        .unwrap();
    }

    #[test]
    fn changes_that_must_end_sessions_change_nothing_when_they_cannot() {
        let (dir, store, admin, ed) = setup();
        sessions_cannot_end(&dir);
        let ja = [Language::parse("ja").unwrap()];
        let e = change_role(&store, &admin, ed.id, Role::Translator, &ja).unwrap_err();
        assert!(matches!(e, AppError::Storage(_)), "{e:?}");
        assert_eq!(store.user(ed.id).unwrap().unwrap().role, Role::Editor, "the role is as before");
        assert!(reset_password(&store, &admin, ed.id).is_err());
        assert!(store.verify_password(&ed.email, "a long password").unwrap().is_some(), "the password is as before");
        assert!(!store.user(ed.id).unwrap().unwrap().must_change_password);
        assert!(reset_two_step(&store, &admin, ed.id).is_err());
        assert!(end_own_sessions(&store, &ed).is_err(), "a failure is said, not counted as zero");
        assert!(change_own_password(&store, &ed, "another long passphrase", "s1").is_err());
        assert!(store.verify_password(&ed.email, "a long password").unwrap().is_some(), "the password is as before");
        assert!(store.session("s1").unwrap().is_some() && store.session("s2").unwrap().is_some());
    }

    /// An account change whose audit line cannot be written leaves the
    /// account as it was: the change and its line are one write.
    fn a_change_stands_only_with_its_audit_line<S>(store: &S, admin: &User, ed: &User, audit_fails: impl Fn())
    where
        S: UserStore + AuditLog + AuditReads + ?Sized,
    {
        let before = store.audit_entries(0, 100).unwrap().1;
        audit_fails();
        let ja = [Language::parse("ja").unwrap()];
        assert!(change_role(store, admin, ed.id, Role::Translator, &ja).is_err());
        assert_eq!(store.user(ed.id).unwrap().unwrap().role, Role::Editor, "the role is as before");
        assert!(store.session("s1").unwrap().is_some(), "the sessions go on");
        audit_fails();
        assert!(reset_password(store, admin, ed.id).is_err());
        assert!(store.verify_password(&ed.email, "a long password").unwrap().is_some(), "the password is as before");
        audit_fails();
        assert!(add_account(store, admin, "new@example.org", Role::Editor, &[]).is_err());
        assert_eq!(store.user_count().unwrap(), 2, "no account without its line");
        assert_eq!(store.audit_entries(0, 100).unwrap().1, before);
    }

    #[test]
    fn an_account_change_and_its_audit_line_are_one_write() {
        let (dir, store, admin, ed) = setup();
        let side = rusqlite::Connection::open(dir.path().join("refuge.db")).unwrap();
        let refuse = "CREATE TRIGGER IF NOT EXISTS refuse BEFORE INSERT ON audit BEGIN SELECT RAISE(ABORT, 'x'); END;";
        a_change_stands_only_with_its_audit_line(&store, &admin, &ed, || side.execute_batch(refuse).unwrap());

        let memory = Memory::default();
        let (admin, ed) = people(&memory);
        a_change_stands_only_with_its_audit_line(&memory, &admin, &ed, || memory.fail_next(Fail::Audit));
    }

    /// What every account change does, on any store.
    fn changes_take_effect_at_once<S>(store: &S)
    where
        S: UserStore + AuditLog + AuditReads + ?Sized,
    {
        let (admin, ed) = people(store);
        let same = change_role(store, &admin, ed.id, Role::Editor, &[]).unwrap();
        assert_eq!(same.role, Role::Editor);
        assert!(store.session("s1").unwrap().is_some(), "the same role keeps sessions");
        let tr = change_role(store, &admin, ed.id, Role::Translator, &[Language::parse("ja").unwrap()]).unwrap();
        assert_eq!((tr.role, tr.languages.len()), (Role::Translator, 1));
        assert!(store.session("s1").unwrap().is_none(), "a new role signs the account out");

        store.create_session("s3", ed.id, "t", true, 1).unwrap();
        let reset = reset_password(store, &admin, ed.id).unwrap();
        assert!(reset.user.must_change_password, "a printed password is replaced at first sign-in");
        assert!(store.verify_password(&ed.email, &reset.password).unwrap().is_some());
        assert!(store.session("s3").unwrap().is_none());

        store.create_session("s4", ed.id, "t", true, 1).unwrap();
        store.create_session("s5", ed.id, "t", true, 1).unwrap();
        change_own_password(store, &ed, "another long passphrase", "s4").unwrap();
        assert!(store.session("s4").unwrap().is_some() && store.session("s5").unwrap().is_none());
        assert!(!store.user(ed.id).unwrap().unwrap().must_change_password, "a chosen password stays");

        let added = add_account(store, &admin, "new@example.org", Role::Editor, &[]).unwrap();
        assert!(added.user.must_change_password);
        assert!(store.verify_password(&added.user.email, &added.password).unwrap().is_some());
        let taken = add_account(store, &admin, "new@example.org", Role::Editor, &[]).unwrap_err();
        assert!(matches!(taken, AppError::Conflict(_)), "{taken:?}");
        let bad = add_account(store, &admin, "not an address", Role::Editor, &[]).unwrap_err();
        assert!(matches!(bad, AppError::Invalid(_)), "{bad:?}");

        assert!(matches!(change_role(store, &admin, admin.id, Role::Editor, &[]), Err(AppError::OwnAccount)));
        assert!(matches!(delete_account(store, &admin, admin.id), Err(AppError::OwnAccount)));
        assert!(matches!(change_role(store, &ed, admin.id, Role::Editor, &[]), Err(AppError::Forbidden)));
        assert!(matches!(reset_password(store, &admin, 999), Err(AppError::NotFound(_))));
        delete_account(store, &admin, ed.id).unwrap();
        assert!(store.user(ed.id).unwrap().is_none());
        let lines = store.audit_entries(0, 50).unwrap().0;
        let said: Vec<(&str, &str)> = lines.iter().map(|l| (l.action.as_str(), l.subject.as_str())).collect();
        for line in [
            ("change role", "ed@example.org"),
            ("reset password", "ed@example.org"),
            ("change password", "ed@example.org"),
            ("add account", "new@example.org"),
            ("delete account", "ed@example.org"),
        ] {
            assert!(said.contains(&line), "{line:?} in {said:?}");
        }
    }

    #[test]
    fn account_changes_take_effect_at_once_on_the_fake_and_either_engine() {
        changes_take_effect_at_once(&Memory::default());
        for db in refuge_store::testing::each_engine() {
            changes_take_effect_at_once(&db.store);
        }
    }
}
