//! The mailing list, newsletters and the outbox every mail waits in.

use time::OffsetDateTime;

use super::StoreResult;
use crate::{Language, Newsletter, OutboxMail, Subscriber};

/// Newsletters as the archive and the back office list them.
pub trait NewsletterReads: Send + Sync {
    /// Issues of a language (all, or only sent ones), newest first.
    fn newsletters(&self, lang: Option<&Language>, sent_only: bool) -> StoreResult<Vec<Newsletter>>;
    fn newsletter_by_number(&self, lang: &Language, number: i64) -> StoreResult<Option<Newsletter>>;
}

/// What the outbox holds, read without touching it.
pub trait OutboxReads: Send + Sync {
    /// When the next queued mail is due.
    fn next_mail_due(&self) -> StoreResult<Option<OffsetDateTime>>;
    /// Counts by state: pending, sent, failed, unknown.
    fn outbox_counts(&self) -> StoreResult<[u64; 4]>;
}

/// The durable outbox: every mail Refuge sends waits here until it is
/// delivered, so nothing is lost to a crash or a mail server that is down.
pub trait Outbox: OutboxReads {
    /// Queues a mail unless one with the same `dedupe` key exists; whether
    /// it was queued.
    fn enqueue(&self, mail: &crate::NewMail<'_>) -> StoreResult<bool>;
    /// The next mail due, marked as being sent (so a crash never sends it twice).
    fn take_due(&self, now: OffsetDateTime) -> StoreResult<Option<OutboxMail>>;
    /// Delivered: the body is dropped, and a subscriber's time of last mail kept.
    fn mark_sent(&self, id: i64) -> StoreResult<()>;
    /// Back to the queue for another try at `next`.
    fn mark_retry(&self, id: i64, error: &str, next: OffsetDateTime) -> StoreResult<()>;
    fn mark_failed(&self, id: i64, error: &str) -> StoreResult<()>;
    /// After a restart: mails this server left "sending" (or any server
    /// left past its lease) may or may not have gone; they are marked
    /// unknown, never sent again. Returns how many.
    fn recover_interrupted(&self) -> StoreResult<u64>;
}

/// Reading the mailing list as readers' links and the senders use it.
pub trait ListReads: NewsletterReads {
    fn subscriber_by_token(&self, token: &str) -> StoreResult<Option<Subscriber>>;
    /// Confirmed subscribers of `lang` and `topic`, but for bouncing addresses.
    fn confirmed_subscribers(&self, lang: &Language, topic: crate::subscribers::Topic) -> StoreResult<Vec<Subscriber>>;
    fn newsletter(&self, id: i64) -> StoreResult<Option<Newsletter>>;
}

/// The mailing list, its subscribers and newsletters; their mail goes
/// through the [`Outbox`].
pub trait MailStore: ListReads + Outbox {
    /// Adds (or finds) a subscription awaiting confirmation.
    /// `source` says how it came (`form`, `import: …`); a subscription
    /// left before starts again, unconfirmed, with the new token.
    fn subscribe(
        &self,
        email: &str,
        lang: &Language,
        topics: &[String],
        token: &str,
        source: &str,
    ) -> StoreResult<Subscriber>;
    /// Whether a confirmation mail may be sent to this unconfirmed
    /// sign-up now (none was in the last `every`); if so, the time is
    /// recorded, so two requests at once send one mail.
    fn claim_confirmation(&self, subscriber_id: i64, every: time::Duration) -> StoreResult<bool>;
    /// A sign-up in one transaction: the subscription (as
    /// [`MailStore::subscribe`]), the claim of its confirmation (as
    /// [`MailStore::claim_confirmation`]) and the confirmation mail made
    /// by `confirmation` — all of them or none, so a crash never leaves a
    /// claimed confirmation without its mail. The subscription when its
    /// confirmation was queued. `confirmation` runs inside the
    /// transaction: it must not use the store.
    fn request_subscription(
        &self,
        request: &crate::SubscriptionRequest<'_>,
        confirmation: &dyn Fn(&Subscriber) -> crate::Confirmation,
    ) -> StoreResult<Option<Subscriber>>;
    /// Confirms the subscription with this token if it is at most 7 days old.
    fn confirm_subscription(&self, token: &str) -> StoreResult<Option<Subscriber>>;
    /// Ends the subscription with this token (kept 30 days as
    /// "unsubscribed", its address hash kept on the suppression list);
    /// whether there was one.
    fn unsubscribe(&self, token: &str) -> StoreResult<bool>;
    /// Replaces the topics of the subscription with this token; whether
    /// there was one.
    fn set_topics(&self, token: &str, topics: &[String]) -> StoreResult<bool>;
    /// Counts a permanent delivery failure to a subscriber's address; the
    /// new count (at `BOUNCING` the address gets no more list mail).
    fn count_bounce(&self, email: &str) -> StoreResult<u32>;

    /// Creates the next issue of a language (or rewrites an unsent one).
    fn save_newsletter(
        &self,
        id: Option<i64>,
        lang: &Language,
        topic: crate::subscribers::Topic,
        title: &str,
        body: &str,
    ) -> StoreResult<Newsletter>;
    fn mark_newsletter_sent(&self, id: i64) -> StoreResult<()>;
}

/// Reading the mailing list as its owners manage it.
pub trait SubscriberReads: Send + Sync {
    /// Counts per language, topic and state.
    fn subscriber_counts(&self) -> StoreResult<Vec<crate::SubscriberCount>>;
    /// Subscriptions whose address contains `query` (case-insensitive), at most `limit`.
    fn find_subscribers(&self, query: &str, limit: u32) -> StoreResult<Vec<crate::SubscriberRecord>>;
    fn subscriber_record(&self, id: i64) -> StoreResult<Option<crate::SubscriberRecord>>;
    /// Every subscription (or those of a language, topic and state), by address.
    fn export_subscribers(
        &self,
        lang: Option<&Language>,
        topic: Option<&str>,
        state: Option<crate::SubscriberState>,
    ) -> StoreResult<Vec<crate::SubscriberRecord>>;
    /// Imported sign-ups that wait for a confirmation never sent yet
    /// (`--reconfirm`); the server mails them at the outbox's pace.
    fn awaiting_first_confirmation(&self, limit: u32) -> StoreResult<Vec<Subscriber>>;
    /// The subscription with this id, if it waits for its confirmation.
    fn waiting_subscription(&self, id: i64) -> StoreResult<Option<Subscriber>>;
    fn is_suppressed(&self, email: &str) -> StoreResult<bool>;
}

/// The mailing list as its owners manage it. Addresses are personal
/// data: the suppression list keeps only salted hashes.
pub trait SubscriberStore: SubscriberReads {
    /// Deletes every subscription of `email` and keeps its salted hash on
    /// the suppression list; how many were deleted.
    fn remove_address(&self, email: &str) -> StoreResult<u64>;
    fn set_subscriber_topics(&self, id: i64, topics: &[String]) -> StoreResult<bool>;
    /// Brings addresses in, in one transaction: `confirmed` when the
    /// organisation vouches for consent, else each waits for its
    /// confirmation. `token` makes the secret of a new subscription.
    /// Suppressed addresses are never added.
    fn import_subscribers(
        &self,
        entries: &[crate::ImportedSubscriber],
        source: &str,
        confirmed: bool,
        token: &mut dyn FnMut() -> String,
    ) -> StoreResult<Vec<(crate::ImportOutcome, Option<Subscriber>)>>;
    /// Housekeeping: deletes sign-ups never confirmed within 7 days and
    /// subscriptions left more than 30 days ago; how many.
    fn purge_subscribers(&self, now: OffsetDateTime) -> StoreResult<u64>;
}
