//! A message sent through the contact form: what the site accepts, and
//! keeping it sealed to the organisation's key. The form's spam defences
//! that need the request (its signed time, the hidden field, the client's
//! rate) stay with the web layer, which checks them before this.

use refuge_core::{DataDir, Email, Language, MessageStore, StoreError};
use refuge_inbox::{InboxError, Message};

/// The longest message accepted, in characters.
pub const MAX_TEXT: usize = 20_000;
/// The largest attachment accepted, in bytes.
pub const MAX_ATTACHMENT: usize = 5 * 1024 * 1024;
/// Links a message may carry before it reads as spam.
const MAX_LINKS: usize = 3;

/// A message as written.
#[derive(Debug, Default)]
pub struct Submission {
    pub name: String,
    pub reply_to: String,
    pub category: String,
    pub text: String,
    pub lang: Option<Language>,
    /// The writer asks for the news by mail (confirmed by the usual link).
    pub join_list: bool,
    /// Files sent with it (one at most is accepted), by name.
    pub attachments: Vec<(String, Vec<u8>)>,
}

/// Why a message was turned back; the writer is told what to do, with
/// their text kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the message is empty")]
    Empty,
    /// One file per message: refused, never a file silently dropped.
    #[error("more than one file")]
    OneAttachment,
    #[error("the text or the file is too large")]
    TooLarge,
    #[error("too many links")]
    Links,
}

/// Why an accepted message could not be kept.
#[derive(Debug, thiserror::Error)]
pub enum ContactError {
    #[error("the message was refused: {0}")]
    Refused(#[from] Refusal),
    /// Never stored in clear: without the inbox's key nothing is kept
    /// (`refuge inbox keygen` makes one).
    #[error("the inbox has no key")]
    NoKey(#[source] InboxError),
    #[error("the message could not be sealed")]
    Seal(#[source] InboxError),
    #[error("the sealed message could not be stored")]
    Storage(#[from] StoreError),
}

/// What the site accepts: some text, at most one file, sizes within
/// limits, few links.
pub fn check(submission: &Submission) -> Result<(), Refusal> {
    let text = &submission.text;
    if text.trim().is_empty() {
        return Err(Refusal::Empty);
    }
    if submission.attachments.len() > 1 {
        return Err(Refusal::OneAttachment);
    }
    if text.chars().count() > MAX_TEXT || submission.attachments.iter().any(|(_, b)| b.len() > MAX_ATTACHMENT) {
        return Err(Refusal::TooLarge);
    }
    let links = text.matches("http://").count() + text.matches("https://").count() + text.matches("www.").count();
    if links > MAX_LINKS {
        return Err(Refusal::Links);
    }
    Ok(())
}

/// A message kept: the address to ask about the mailing list, if the
/// writer asked for it and gave one.
#[derive(Debug)]
pub struct Received {
    pub id: i64,
    pub join_list: Option<Email>,
}

/// Checks the message, seals it to the key in `data`'s inbox and stores
/// only the sealed bytes (with its category and language in clear).
pub fn submit<S: MessageStore + ?Sized>(
    store: &S,
    data: &DataDir,
    submission: Submission,
) -> Result<Received, ContactError> {
    check(&submission)?;
    let recipient = refuge_inbox::recipient(data).map_err(ContactError::NoKey)?;
    let join_list = submission.join_list.then(|| Email::parse(&submission.reply_to).ok()).flatten();
    let lang = submission.lang.as_ref().map(Language::to_string).unwrap_or_default();
    let category = submission.category.clone();
    let (attachment_name, attachment) =
        submission.attachments.into_iter().next().map_or((None, Vec::new()), |(n, b)| (Some(n), b));
    let message = Message {
        name: submission.name,
        reply_to: submission.reply_to,
        category: submission.category,
        text: submission.text,
        lang: lang.clone(),
        join_list: submission.join_list,
        attachment_name,
        attachment,
    };
    let sealed = refuge_inbox::seal(&recipient, &message).map_err(ContactError::Seal)?;
    drop(message);
    let id = store.add_message(&category, &lang, &sealed)?;
    Ok(Received { id, join_list })
}

#[cfg(test)]
mod tests {
    use refuge_core::MessageReads;
    use refuge_store::SqlStore;

    use super::*;

    fn written(text: &str) -> Submission {
        Submission { text: text.into(), category: "help".into(), ..Submission::default() }
    }

    #[test]
    fn what_the_site_accepts() {
        assert_eq!(check(&written("  ")), Err(Refusal::Empty));
        assert_eq!(check(&written(&"x".repeat(MAX_TEXT + 1))), Err(Refusal::TooLarge));
        assert_eq!(check(&written("see https://a http://b www.c https://d")), Err(Refusal::Links));
        let mut two = written("Two files");
        two.attachments = vec![("a.pdf".into(), vec![1]), ("b.pdf".into(), vec![2])];
        assert_eq!(check(&two), Err(Refusal::OneAttachment));
        let mut big = written("A big file");
        big.attachments = vec![("a.pdf".into(), vec![0; MAX_ATTACHMENT + 1])];
        assert_eq!(check(&big), Err(Refusal::TooLarge));
        assert_eq!(check(&written("Please help my brother, see https://a")), Ok(()));
    }

    #[test]
    fn only_sealed_bytes_are_stored_and_never_without_a_key() {
        let dir = tempfile::tempdir().unwrap();
        let data = DataDir::new(dir.path());
        let store = SqlStore::open(&data.database()).unwrap();
        let secret = "My brother is held at the border post";
        let e = submit(&store, &data, written(secret)).unwrap_err();
        assert!(matches!(e, ContactError::NoKey(_)), "{e:?}");
        assert_eq!(store.messages(0, 10).unwrap().1, 0, "nothing kept without a key");

        refuge_inbox::keygen(&data, None, Some(10)).unwrap();
        let mut sub = written(secret);
        sub.join_list = true;
        sub.reply_to = "writer@example.org".into();
        sub.lang = Some(Language::parse("ja").unwrap());
        let received = submit(&store, &data, sub).unwrap();
        assert_eq!(received.join_list.unwrap().as_str(), "writer@example.org");
        let sealed = store.sealed_message(received.id).unwrap().unwrap();
        assert!(!sealed.windows(secret.len()).any(|w| w == secret.as_bytes()), "sealed, not in clear");
        let refused = submit(&store, &data, written("")).unwrap_err();
        assert!(matches!(refused, ContactError::Refused(Refusal::Empty)));
    }
}
