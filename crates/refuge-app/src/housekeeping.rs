//! What is kept no longer than it should be: sessions a day after they
//! expired, autosaves and kept forms after 30 days, counts of failed
//! sign-ins and spent tokens after a day, unconfirmed and ended
//! subscriptions past their time, handled contact messages past their
//! retention; and a deleted message's old copy folded out of the
//! write-ahead log once no reader holds it. One server of those sharing a
//! database does the hourly part, under a lease.

use refuge_core::{
    AsideStore, ClientLimits, Leases, MailStore, MessageStore, SignInThrottle, SubscriberStore, UserStore,
};

use crate::AppError;

/// The lease under which one server does the hourly housekeeping for all
/// (renewed each hour by its holder, taken over by another within the
/// hour after the holder stops).
pub const LEASE: &str = "housekeeping";
const LEASE_SECONDS: i64 = 65 * 60;

/// Whether this server does the housekeeping this hour.
pub fn take_turn<S: Leases + ?Sized>(store: &S) -> Result<bool, AppError> {
    Ok(store.take_lease(LEASE, LEASE_SECONDS)?)
}

/// Folds a deletion's old copy out of the write-ahead log if one waits;
/// whether one did.
pub fn fold_pending<S: MessageStore + ?Sized>(store: &S) -> Result<bool, AppError> {
    Ok(store.fold_if_pending()?)
}

/// Session times, in seconds: idle and absolute lifetimes, and how long
/// an expired session's row stays (for a form sent after it ended).
#[derive(Clone, Copy, Debug)]
pub struct SessionTimes {
    pub idle: i64,
    pub absolute: i64,
    pub keep_expired: i64,
}

/// Deletes expired sessions, old autosaves and kept forms (changes
/// awaiting review stay until decided), old sign-in counts and spent
/// tokens; how many sessions and forms went. `now` in Unix seconds.
pub fn purge_sessions_and_forms<S>(store: &S, now: i64, times: SessionTimes) -> Result<(u64, u64), AppError>
where
    S: UserStore + AsideStore + SignInThrottle + ClientLimits + ?Sized,
{
    let sessions =
        store.purge_sessions(now - times.idle - times.keep_expired, now - times.absolute - times.keep_expired)?;
    let forms = store.purge_asides(time::OffsetDateTime::now_utc() - time::Duration::days(30))?;
    store.purge_sign_in_failures(now - 86_400)?;
    store.purge_tokens((now - 86_400) as f64)?;
    store.purge_spent(now)?;
    Ok((sessions, forms))
}

/// Deletes sign-ups never confirmed within their time and subscriptions
/// ended long enough ago; how many.
pub fn purge_subscribers<S: SubscriberStore + MailStore + ?Sized>(store: &S) -> Result<u64, AppError> {
    Ok(store.purge_subscribers(time::OffsetDateTime::now_utc())?)
}

/// Drops changes older than `before` from the change feed other servers
/// follow; how many.
pub fn trim_changes<S: refuge_core::ChangeLog + ?Sized>(
    store: &S,
    before: time::OffsetDateTime,
) -> Result<u64, AppError> {
    Ok(store.trim_changes(before)?)
}

/// Deletes handled contact messages received before `before`; how many.
pub fn purge_messages<S: MessageStore + ?Sized>(store: &S, before: time::OffsetDateTime) -> Result<u64, AppError> {
    Ok(store.purge_handled_messages(before)?)
}
