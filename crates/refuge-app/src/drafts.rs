//! Work kept aside so that nothing typed is lost: an editor form's
//! autosave (per account and place, bounded by the store), and a form
//! sent after its session ended, kept under a one-time key for its author
//! to take back once signed in again.

use refuge_core::{Aside, AsideKind, AsideStore, NewAside, User};

use crate::AppError;

/// Keeps the autosave of `user`'s form at `place` (replacing the last).
pub fn autosave<S: AsideStore + ?Sized>(
    store: &S,
    user: &User,
    place: &str,
    item_id: Option<i64>,
    base_revision: i64,
    form: &[(String, String)],
) -> Result<(), AppError> {
    let kind = AsideKind::Autosave;
    store.put_aside(&NewAside { kind, key_hash: None, user_id: Some(user.id), item_id, place, base_revision, form })?;
    Ok(())
}

/// Forgets `user`'s autosave at `place` (saved, or declined); a failure
/// is logged (it is offered again, and removed later).
pub fn forget_autosave<S: AsideStore + ?Sized>(store: &S, user: &User, place: &str) {
    if let Ok(Some(aside)) = store.own_aside(AsideKind::Autosave, place, user.id)
        && let Err(e) = store.remove_aside(aside.id)
    {
        tracing::error!(error = %e, "an autosave could not be removed");
    }
}

/// Keeps a form sent after its session ended, for the account `owner`,
/// under `key_hash` (the hash of a one-time key given to the browser).
pub fn keep_sent_form<S: AsideStore + ?Sized>(
    store: &S,
    owner: i64,
    key_hash: &str,
    place: &str,
    item_id: Option<i64>,
    base_revision: i64,
    form: &[(String, String)],
) -> Result<(), AppError> {
    let (kind, user_id) = (AsideKind::Expired, Some(owner));
    store.put_aside(&NewAside { kind, key_hash: Some(key_hash), user_id, item_id, place, base_revision, form })?;
    Ok(())
}

/// Takes back a kept form by its key: `None` when there is none (taken
/// already, or expired); another account's form stays for its author and
/// the answer is `Forbidden`.
pub fn take_sent_form<S: AsideStore + ?Sized>(
    store: &S,
    user: &User,
    key_hash: &str,
) -> Result<Option<Aside>, AppError> {
    let Some(aside) = store.take_expired(key_hash)? else { return Ok(None) };
    if let Some(owner) = aside.user_id.filter(|owner| *owner != user.id) {
        // Put back for its author.
        keep_sent_form(store, owner, key_hash, &aside.place, aside.item_id, aside.base_revision, &aside.form)?;
        return Err(AppError::Forbidden);
    }
    Ok(Some(aside))
}
