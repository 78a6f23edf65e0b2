//! Mail and messages: the contact inbox's clear metadata, the mailing
//! list's subscriptions, the durable outbox and newsletters.

use time::OffsetDateTime;

use crate::Language;

/// A contact message as the inbox lists it: what is in clear.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct MessageMeta {
    pub id: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub received_at: OffsetDateTime,
    pub size: u64,
    pub category: String,
    pub lang: String,
    pub handled: bool,
}

/// Someone on the mailing list.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Subscriber {
    pub id: i64,
    pub email: String,
    pub lang: String,
    /// `news`, `appeals`.
    pub topics: Vec<String>,
    /// Secret for the confirmation and unsubscribe links.
    pub token: String,
    pub confirmed: bool,
    /// Permanent delivery failures in a row; at `BOUNCING` the address
    /// gets no more list mail.
    pub bounces: u32,
}

/// Where a subscription stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SubscriberState {
    /// Signed up, the confirmation link not yet used.
    Waiting,
    Confirmed,
    /// Confirmed, but mail to it failed for good `BOUNCING` times.
    Bouncing,
    /// Left; the row is deleted 30 days later.
    Unsubscribed,
}

impl SubscriberState {
    pub const ALL: [SubscriberState; 4] = [Self::Waiting, Self::Confirmed, Self::Bouncing, Self::Unsubscribed];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Waiting => "waiting",
            Self::Confirmed => "confirmed",
            Self::Bouncing => "bouncing",
            Self::Unsubscribed => "unsubscribed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// One subscription (an address in one language) as the list's owners
/// see it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SubscriberRecord {
    pub id: i64,
    pub email: String,
    pub lang: String,
    pub topics: Vec<String>,
    pub state: SubscriberState,
    /// How it joined: `form` (the sign-up form, or the tick with a contact
    /// message: the same on purpose), or `import: SOURCE`.
    pub source: String,
    #[serde(with = "time::serde::rfc3339")]
    pub joined_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub confirmed_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_sent_at: Option<OffsetDateTime>,
    pub bounces: u32,
}

/// How many subscriptions are in one language, topic and state.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SubscriberCount {
    pub lang: String,
    pub topic: String,
    pub state: SubscriberState,
    pub count: u64,
}

/// One address to bring in from an existing list.
#[derive(Clone, Debug)]
pub struct ImportedSubscriber {
    pub email: String,
    pub lang: crate::Language,
    pub topics: Vec<String>,
    pub joined_at: Option<OffsetDateTime>,
}

/// What became of one imported address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImportOutcome {
    Added,
    /// Already there: topics joined, or (without re-confirmation) confirmed.
    Updated,
    Unchanged,
    /// Removed or unsubscribed before: never brought back by an import.
    Suppressed,
}

/// Permanent delivery failures after which an address is left out.
pub const BOUNCING: u32 = 3;

/// What a mail is: decides the headers it goes out with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MailKind {
    /// The link that confirms a sign-up.
    Confirm,
    /// The welcome after confirming.
    Welcome,
    Newsletter,
    /// Further information on an appeal, to its subscribers.
    AppealUpdate,
    /// "A message arrived" to the staff.
    StaffNotice,
    /// A person's answer to a contact message.
    Reply,
    Other,
}

impl MailKind {
    pub const ALL: [MailKind; 7] = [
        Self::Confirm,
        Self::Welcome,
        Self::Newsletter,
        Self::AppealUpdate,
        Self::StaffNotice,
        Self::Reply,
        Self::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Confirm => "confirm",
            Self::Welcome => "welcome",
            Self::Newsletter => "newsletter",
            Self::AppealUpdate => "appeal-update",
            Self::StaffNotice => "staff-notice",
            Self::Reply => "reply",
            Self::Other => "other",
        }
    }

    /// The kind named `text`; anything unknown is `Other`.
    pub fn parse(text: &str) -> Self {
        Self::ALL.into_iter().find(|k| k.as_str() == text).unwrap_or(Self::Other)
    }

    /// Sent to a mailing list: `List-Id`, one-click unsubscribe, `Precedence: bulk`.
    pub fn is_list(self) -> bool {
        matches!(self, Self::Newsletter | Self::AppealUpdate)
    }

    /// Sent by the program rather than written to this person
    /// (`Auto-Submitted: auto-generated`, RFC 3834).
    pub fn is_automatic(self) -> bool {
        matches!(self, Self::Confirm | Self::Welcome | Self::AppealUpdate | Self::StaffNotice)
    }

    /// Private: a reply to someone who wrote in. The store leaves no copy
    /// of its text on disk once it is sent.
    pub fn is_private(self) -> bool {
        matches!(self, Self::Reply)
    }

    /// Sent to a subscriber, whose permanent failures are counted.
    pub fn to_subscriber(self) -> bool {
        matches!(self, Self::Confirm | Self::Welcome | Self::Newsletter | Self::AppealUpdate)
    }
}

/// A sign-up to make (see [`crate::MailStore::request_subscription`]).
#[derive(Clone, Copy, Debug)]
pub struct SubscriptionRequest<'a> {
    pub email: &'a str,
    pub lang: &'a crate::Language,
    pub topics: &'a [String],
    /// The token of a new subscription (an existing one keeps its own).
    pub token: &'a str,
    pub source: &'a str,
    /// At most one confirmation mail in this long.
    pub every: time::Duration,
}

/// A confirmation mail, made for a subscription (its link carries the
/// subscription's token).
#[derive(Clone, Debug)]
pub struct Confirmation {
    pub dedupe: DedupeKey,
    pub subject: String,
    pub body: String,
}

/// A mail to put in the outbox.
#[derive(Clone, Copy, Debug)]
pub struct NewMail<'a> {
    /// Unique for ever per mail: a second mail with the same key is
    /// never queued.
    pub dedupe: &'a DedupeKey,
    pub kind: MailKind,
    /// The language of the text (for the list's name), or "".
    pub lang: &'a str,
    pub recipient: &'a str,
    pub subject: &'a str,
    pub body: &'a str,
    /// The one-click unsubscribe URL of list mail, or "".
    pub unsubscribe: &'a str,
}

/// What a mail is sent for: the first part of its dedupe key, so two
/// purposes never share a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// An admin's answer to a contact message.
    Reply,
    /// A newsletter issue, to its list.
    Newsletter,
    /// A newsletter issue, to an editor as a test.
    NewsletterTest,
    /// Further information on an appeal, to the appeals list.
    AppealUpdate,
    /// The link that confirms a sign-up made on the form.
    Confirm,
    /// The link that confirms an imported sign-up.
    ConfirmImport,
    /// The welcome once a sign-up is confirmed.
    Welcome,
    /// The staff notice that a contact message arrived.
    Contact,
    /// The editors' notice that a change awaits review.
    Review,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reply => "reply",
            Self::Newsletter => "newsletter",
            Self::NewsletterTest => "newsletter-test",
            Self::AppealUpdate => "appeal-update",
            Self::Confirm => "confirm",
            Self::ConfirmImport => "confirm-import",
            Self::Welcome => "welcome",
            Self::Contact => "contact",
            Self::Review => "review",
        }
    }
}

/// The key that keeps a mail from being queued twice (the outbox holds
/// one mail per key, for ever). Made only here, from a [`Purpose`], so
/// no key is written by hand and none is built from a row id that can be
/// handed out again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DedupeKey(String);

impl DedupeKey {
    /// A key used once: the purpose and 128 random bits (a reply, a test
    /// send, a notice about a row whose id could be reused).
    pub fn once(purpose: Purpose) -> Self {
        Self(format!("{}:{}", purpose.as_str(), crate::secret::random_hex(16)))
    }

    /// The key of a record that is never deleted, so its id is never
    /// handed out again (a newsletter issue).
    pub fn of_lasting(purpose: Purpose, id: i64) -> Self {
        Self(format!("{}:{id}", purpose.as_str()))
    }

    /// The key of a subscription's own mail (its welcome, an imported
    /// sign-up's confirmation): sent once, across restarts. Built from a
    /// hash of the token, never the address.
    pub fn of_subscription(purpose: Purpose, sub: &Subscriber) -> Self {
        Self(format!("{}:{}", purpose.as_str(), subscription_part(sub)))
    }

    /// The key of this mailing to one subscription: a mailing that stopped
    /// half way goes on where it stopped.
    pub fn to_subscription(&self, sub: &Subscriber) -> Self {
        Self(format!("{}:{}", self.0, subscription_part(sub)))
    }

    /// The key of this notice to one staff address.
    pub fn to_address(&self, address: &str) -> Self {
        Self(format!("{}:{address}", self.0))
    }

    /// As stored in the outbox.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A subscription's part of a key: a hash of its token (the address
/// never appears in a key).
fn subscription_part(sub: &Subscriber) -> String {
    crate::digest::sha256_hex(sub.token.as_bytes())[..24].to_owned()
}

/// An e-mail waiting in (or gone through) the outbox.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct OutboxMail {
    pub id: i64,
    pub kind: MailKind,
    pub lang: String,
    /// Random, made when the mail was queued: its `Message-ID`.
    pub uid: String,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    /// The one-click unsubscribe URL, if this is list mail.
    pub unsubscribe: String,
    pub attempts: u32,
}

/// A newsletter issue.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Newsletter {
    pub id: i64,
    pub lang: Language,
    /// Numbered per language: 1, 2, 3 …
    pub number: i64,
    /// Who receives it.
    pub topic: crate::subscribers::Topic,
    pub title: String,
    /// Markdown.
    pub body: String,
    #[serde(with = "time::serde::rfc3339::option")]
    pub sent_at: Option<OffsetDateTime>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sub(token: &str) -> Subscriber {
        Subscriber {
            id: 1,
            email: "kim@example.org".into(),
            lang: "ja".into(),
            topics: vec!["news".into()],
            token: token.into(),
            confirmed: true,
            bounces: 0,
        }
    }

    #[test]
    fn dedupe_keys_never_collide_across_purposes_and_never_show_a_secret() {
        let once = DedupeKey::once(Purpose::Reply);
        assert!(once.as_str().starts_with("reply:") && once.as_str().len() == "reply:".len() + 32);
        assert_ne!(once, DedupeKey::once(Purpose::Reply), "random each time");
        assert_eq!(DedupeKey::of_lasting(Purpose::Newsletter, 7).as_str(), "newsletter:7");
        assert_ne!(
            DedupeKey::of_subscription(Purpose::Welcome, &sub("tok")),
            DedupeKey::of_subscription(Purpose::ConfirmImport, &sub("tok"))
        );
        let mailing = DedupeKey::of_lasting(Purpose::Newsletter, 7);
        let one = mailing.to_subscription(&sub("secret-token"));
        assert!(one.as_str().starts_with("newsletter:7:"));
        assert!(!one.as_str().contains("secret-token") && !one.as_str().contains("kim@"), "{}", one.as_str());
        assert_eq!(one, mailing.to_subscription(&sub("secret-token")), "the same mailing, the same key");
        assert_eq!(DedupeKey::once(Purpose::Contact).to_address("a@example.org").as_str().split(':').count(), 3);
    }
}
