//! The mailing list as its owners manage it (admins): an address removed
//! everywhere, a subscriber's topics changed, a confirmation link sent
//! again. Each is recorded in the audit log with a masked address.

use refuge_core::{AuditLog, MailStore, SubscriberStore, User};

use crate::AppError;
use crate::access::admin_only;

/// `kim@example.org` → `k***@example.org`, for the audit log.
pub fn masked(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => format!("{}***@{domain}", local.chars().next().unwrap_or('*')),
        None => "***".into(),
    }
}

/// Removes an address from every list (it is suppressed, never mailed
/// again); how many subscriptions went.
pub fn remove_address<S>(store: &S, user: &User, email: &str) -> Result<u64, AppError>
where
    S: SubscriberStore + AuditLog + ?Sized,
{
    admin_only(user)?;
    let n = store.remove_address(email)?;
    crate::audit::record(
        store,
        user.email.as_str(),
        "remove subscriber",
        &masked(email),
        &format!("{n} subscriptions"),
    );
    Ok(n)
}

/// Changes a subscriber's topics (one at least).
pub fn set_topics<S>(store: &S, user: &User, id: i64, email: &str, topics: &[String]) -> Result<(), AppError>
where
    S: SubscriberStore + AuditLog + ?Sized,
{
    admin_only(user)?;
    if topics.is_empty() {
        return Err(AppError::Invalid("one topic at least".into()));
    }
    if !store.set_subscriber_topics(id, topics)? {
        return Err(AppError::NotFound(format!("subscriber {id}")));
    }
    crate::audit::record(store, user.email.as_str(), "change subscriber topics", &masked(email), &topics.join(", "));
    Ok(())
}

/// Records a confirmation link sent again by an admin (as sent now, so
/// the form's once-an-hour rule counts it).
pub fn confirmation_sent_again<S>(store: &S, user: &User, subscriber_id: i64, email: &str) -> Result<(), AppError>
where
    S: MailStore + AuditLog + ?Sized,
{
    admin_only(user)?;
    store.claim_confirmation(subscriber_id, time::Duration::ZERO)?;
    crate::audit::record(store, user.email.as_str(), "resend confirmation", &masked(email), "");
    Ok(())
}

/// Stores parsed rows; `confirmed` when the organisation vouches for
/// consent. `token` makes a new subscription secret; `added` is told of
/// each new subscription (to send a confirmation when it is not confirmed).
pub fn import<S: SubscriberStore + ?Sized>(
    store: &S,
    parsed: &refuge_core::subscribers::ParsedList,
    source: &str,
    confirmed: bool,
    token: &mut dyn FnMut() -> String,
    added: &mut dyn FnMut(&refuge_core::Subscriber),
) -> Result<refuge_core::subscribers::ImportReport, AppError> {
    let mut report = refuge_core::subscribers::ImportReport {
        skipped: parsed.skipped.clone(),
        ..refuge_core::subscribers::ImportReport::default()
    };
    let rows: Vec<refuge_core::ImportedSubscriber> = parsed.rows.iter().map(|(_, r)| r.clone()).collect();
    for (outcome, sub) in store.import_subscribers(&rows, source, confirmed, token)? {
        match outcome {
            refuge_core::ImportOutcome::Added => report.added += 1,
            refuge_core::ImportOutcome::Updated => report.updated += 1,
            refuge_core::ImportOutcome::Unchanged => report.unchanged += 1,
            refuge_core::ImportOutcome::Suppressed => report.suppressed += 1,
        }
        if let Some(sub) = sub.filter(|s| !s.confirmed) {
            added(&sub);
        }
    }
    Ok(report)
}
