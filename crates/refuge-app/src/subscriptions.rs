//! The mailing list as readers use it: signing up (double opt-in),
//! confirming, choosing topics, leaving. The mails themselves are written
//! by the web layer, which knows the site's words; what to send and when
//! is decided here.

use refuge_core::{Confirmation, Email, Language, MailStore, Subscriber, SubscriptionRequest};

use crate::AppError;

/// The shortest time between two confirmation mails to one sign-up, so the
/// form cannot be used to flood someone's mailbox.
pub const CONFIRM_EVERY: time::Duration = time::Duration::hours(1);

/// Records a wish to subscribe. The subscription to send a confirmation
/// link to now, if any: none when the address is already confirmed, or
/// when a link went to it less than [`CONFIRM_EVERY`] ago (signing up
/// again while unconfirmed sends the link again, since it may have been
/// lost). `source` says how it came (`form`, `import: …`). The sign-up,
/// the claim of its link and the mail `confirmation` makes are stored in
/// one transaction.
pub fn request<S: MailStore + ?Sized>(
    store: &S,
    email: &Email,
    lang: &Language,
    topics: &[String],
    source: &str,
    confirmation: &dyn Fn(&Subscriber) -> Confirmation,
) -> Result<Option<Subscriber>, AppError> {
    let token = refuge_core::secret::url_token();
    let request =
        SubscriptionRequest { email: email.as_str(), lang, topics, token: &token, source, every: CONFIRM_EVERY };
    Ok(store.request_subscription(&request, confirmation)?)
}

/// Confirms the subscription of a link's token; `None` when the link is
/// unknown or expired.
pub fn confirm<S: MailStore + ?Sized>(store: &S, token: &str) -> Result<Option<Subscriber>, AppError> {
    Ok(store.confirm_subscription(token)?)
}

/// What a subscriber's page did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Managed {
    /// The topics were changed.
    TopicsSaved,
    /// The subscription ended (or there was none for the token: the same
    /// answer, so the page tells nothing about addresses).
    Left,
    /// The link's token matches no subscription.
    UnknownLink,
}

/// Changes the topics of the subscription with `token`, or ends it when
/// no topic is left (or `topics` is `None`: the one-click unsubscribe).
pub fn manage<S: MailStore + ?Sized>(store: &S, token: &str, topics: Option<&[String]>) -> Result<Managed, AppError> {
    match topics.filter(|t| !t.is_empty()) {
        Some(topics) => Ok(if store.set_topics(token, topics)? { Managed::TopicsSaved } else { Managed::UnknownLink }),
        None => {
            store.unsubscribe(token)?;
            Ok(Managed::Left)
        }
    }
}

/// Marks an imported sign-up's first confirmation as sent (after its mail
/// was queued under the subscription's own key: a crash in between queues
/// nothing twice).
pub fn first_confirmation_sent<S: MailStore + ?Sized>(store: &S, subscriber_id: i64) -> Result<(), AppError> {
    store.claim_confirmation(subscriber_id, time::Duration::ZERO)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use refuge_core::ListReads;
    use refuge_core::subscribers::all_topics;
    use refuge_store::SqlStore;

    use super::*;

    fn mail(sub: &Subscriber) -> Confirmation {
        Confirmation {
            dedupe: refuge_core::DedupeKey::once(refuge_core::Purpose::Confirm),
            subject: "Confirm".into(),
            body: format!("token={}", sub.token),
        }
    }

    /// The sign-up, its claim and its mail are one: when the mail cannot
    /// be queued, nothing is claimed, and the next try sends it at once.
    #[test]
    fn a_sign_up_whose_mail_cannot_be_queued_leaves_no_claim() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqlStore::open(&dir.path().join("refuge.db")).unwrap();
        let side = rusqlite::Connection::open(dir.path().join("refuge.db")).unwrap();
        side.execute_batch(
            "CREATE TRIGGER no_mail BEFORE INSERT ON outbox BEGIN SELECT RAISE(ABORT, 'disk full'); END;",
        )
        .unwrap();
        let email = Email::parse("reader@example.org").unwrap();
        let ja = Language::parse("ja").unwrap();
        assert!(request(&store, &email, &ja, &all_topics(), "form", &mail).is_err());
        side.execute_batch("DROP TRIGGER no_mail;").unwrap();
        let again = request(&store, &email, &ja, &all_topics(), "form", &mail).unwrap();
        assert!(again.is_some(), "no claim was left by the failed try: the link goes now, not in an hour");
    }

    #[test]
    fn double_opt_in_at_most_one_link_an_hour_and_leaving() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqlStore::open(&dir.path().join("refuge.db")).unwrap();
        let ja = Language::parse("ja").unwrap();
        let email = Email::parse("reader@example.org").unwrap();
        let first = request(&store, &email, &ja, &all_topics(), "form", &mail).unwrap().expect("a link to send");
        assert!(!first.confirmed);
        // The confirmation was queued with the claim, carrying the token.
        let far = time::OffsetDateTime::now_utc() + time::Duration::days(1);
        let queued = refuge_core::Outbox::take_due(&store, far).unwrap().expect("the confirmation mail");
        assert!(queued.body.contains(&first.token) && queued.recipient == "reader@example.org");
        assert!(request(&store, &email, &ja, &all_topics(), "form", &mail).unwrap().is_none(), "not twice in an hour");
        assert!(confirm(&store, "not-a-token").unwrap().is_none());
        let confirmed = confirm(&store, &first.token).unwrap().unwrap();
        assert!(confirmed.confirmed);
        assert!(request(&store, &email, &ja, &all_topics(), "form", &mail).unwrap().is_none(), "already confirmed");
        let news = vec!["news".to_owned()];
        assert_eq!(manage(&store, &first.token, Some(&news)).unwrap(), Managed::TopicsSaved);
        assert_eq!(store.subscriber_by_token(&first.token).unwrap().unwrap().topics, news);
        assert_eq!(manage(&store, "unknown", Some(&news)).unwrap(), Managed::UnknownLink);
        assert_eq!(manage(&store, &first.token, Some(&[])).unwrap(), Managed::Left, "no topic left: left");
        assert!(store.confirmed_subscribers(&ja, refuge_core::subscribers::Topic::News).unwrap().is_empty());
    }

    #[test]
    fn a_failing_database_is_said() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqlStore::open(&dir.path().join("refuge.db")).unwrap();
        let side = rusqlite::Connection::open(dir.path().join("refuge.db")).unwrap();
        side.execute_batch("DROP TABLE subscribers;").unwrap();
        let email = Email::parse("reader@example.org").unwrap();
        let lang = Language::parse("en").unwrap();
        assert!(matches!(request(&store, &email, &lang, &all_topics(), "form", &mail), Err(AppError::Storage(_))));
        assert!(matches!(manage(&store, "token", None), Err(AppError::Storage(_))), "never taken for 'left'");
    }
}
