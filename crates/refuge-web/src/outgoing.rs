//! What each e-mail says, and putting it in the outbox.
//!
//! Every mail is plain text: Markdown is rendered for reading in a mail
//! client (`refuge_core::mail_text`), wrapped at 72 columns, links kept as
//! numbered references with absolute addresses. Each mail's dedupe key is
//! unique for ever: built from random values or from secrets that belong to
//! one subscription, never from a row id that SQLite may hand out again
//! after a delete.

use refuge_core::mail_text::{to_mail_text, wrap_plain};
use refuge_core::redaction::{PublicText, Redaction};
use refuge_core::subscribers::Topic;
use refuge_core::{DedupeKey, Language, MailKind, NewMail, Purpose, Role, StoreError, Subscriber};

use crate::AppState;
use refuge_render::routes::{Live, Route};

/// The organisation's name in `lang` (Site settings), for mail texts.
/// A mail goes out even when the setting cannot be read (with the
/// name in the default language, or "Refuge"); the failure is logged.
pub fn site_name(state: &AppState, lang: &Language) -> String {
    let setting = |lang: &Language| match state.reads.setting("site_name", lang) {
        Ok(name) => name.filter(|n| !n.trim().is_empty()),
        Err(e) => {
            tracing::error!(error = %e, "could not read the site's name for a mail");
            None
        }
    };
    setting(lang).or_else(|| setting(state.site.default_language())).unwrap_or_else(|| "Refuge".into())
}

/// Queues `mail`; whether it was queued (`false`: a mail with its key
/// exists, or the database failed, which is logged).
pub fn queue(state: &AppState, mail: &NewMail<'_>) -> bool {
    match state.app.queue_mail(mail) {
        Ok(queued) => {
            if queued {
                state.wake.mail.notify_one();
            }
            queued
        }
        Err(e) => {
            tracing::error!(error = %e, kind = mail.kind.as_str(), "could not queue an e-mail");
            false
        }
    }
}

/// The signature every list mail ends with, but for the subscriber's own
/// address to change or stop it, which follows it.
fn list_footer(state: &AppState, lang: &Language) -> String {
    let t = state.site.strings(lang);
    format!("-- \n{}\n{}", site_name(state, lang), wrap_plain(t.get("mail_unsubscribe_line"), lang.as_str()))
}

/// The subscriber's page to change topics or leave.
pub fn manage_url(state: &AppState, lang: &Language, sub: &Subscriber) -> String {
    state.site.url(&Live::Unsubscribe.with_query(lang, &format!("token={}", sub.token)))
}

/// Mails `markdown` (with `heading` above it) to every confirmed
/// subscriber of `lang` and `topic`. `key` names this mailing; each
/// (mailing, subscription) pair is queued once, so after a failure the
/// same call goes on where it stopped. Returns how many were queued.
pub fn to_list(
    state: &AppState,
    kind: MailKind,
    lang: &Language,
    topic: Topic,
    key: &DedupeKey,
    subject: &PublicText,
    text: &PublicText,
) -> Result<usize, StoreError> {
    let (subject, text) = (subject.as_str(), text.as_str());
    // The last check before list mail leaves: no protected name in it.
    let guard = state.site.name_guard().map_err(|e| StoreError::Backend(e.to_string()))?;
    if guard.find_in_text(subject).is_some() || guard.find_in_text(text).is_some() {
        tracing::error!(kind = kind.as_str(), "list mail was not sent: it would show a protected name");
        return Err(StoreError::Invalid("the mail would show a name hidden with [[name:…]]".into()));
    }
    let subscribers = state.reads.confirmed_subscribers(lang, topic)?;
    // Made once per mailing, not once per subscriber.
    let footer = list_footer(state, lang);
    let mut queued = 0;
    for sub in subscribers {
        let manage = manage_url(state, lang, &sub);
        let body = format!("{text}\n\n{footer}\n{manage}\n");
        // One click leaves this list only (news, or urgent appeals).
        let unsubscribe = format!("{manage}&list={}", topic.as_str());
        let dedupe = key.to_subscription(&sub);
        let mail = NewMail {
            dedupe: &dedupe,
            kind,
            lang: lang.as_str(),
            recipient: &sub.email,
            subject,
            body: &body,
            unsubscribe: &unsubscribe,
        };
        if state.app.queue_mail(&mail)? {
            queued += 1;
        }
    }
    if queued > 0 {
        state.wake.mail.notify_one();
    }
    Ok(queued)
}

/// The text of a newsletter issue as subscribers get it (also the
/// back office's preview).
pub fn newsletter_text(state: &AppState, lang: &Language, heading: &str, markdown: &str, archive: &str) -> String {
    let base = state.site.config().base_url.clone();
    let text = to_mail_text(markdown, &base, Redaction::hidden(lang.as_str()));
    format!("{}\n\n{text}\n\n{archive}", wrap_plain(heading, lang.as_str()))
}

/// The link that confirms a sign-up. `key` makes the mail unique: random
/// for a sign-up on the form (sent at most once an hour), the
/// subscription's own for an imported one (sent once, across restarts).
pub fn confirmation(state: &AppState, lang: &Language, sub: &Subscriber, key: Option<DedupeKey>) -> bool {
    let mail = ConfirmationText::new(state, lang).mail(sub, key);
    queue(
        state,
        &NewMail {
            dedupe: &mail.dedupe,
            kind: MailKind::Confirm,
            lang: lang.as_str(),
            recipient: &sub.email,
            subject: &mail.subject,
            body: &mail.body,
            unsubscribe: "",
        },
    )
}

/// A confirmation mail's words in a language, read before the sign-up's
/// transaction (which then only adds the subscription's link: the store
/// is not read again while it is held).
pub struct ConfirmationText {
    subject: String,
    intro: String,
    ignore: String,
    home: String,
    site: String,
    link_base: String,
}

impl ConfirmationText {
    pub fn new(state: &AppState, lang: &Language) -> Self {
        let t = state.site.strings(lang);
        let site = site_name(state, lang);
        Self {
            subject: t.get("mail_confirm_subject").replace("{site}", &site),
            intro: wrap_plain(&t.get("mail_confirm_body").replace("{site}", &site), lang.as_str()),
            ignore: wrap_plain(t.get("mail_confirm_ignore"), lang.as_str()),
            home: state.site.url(&Route::home(lang)),
            link_base: state.site.url(&Live::SubscribeConfirm.with_query(lang, "token=")),
            site,
        }
    }

    /// The mail for `sub`, with its link.
    pub fn mail(&self, sub: &Subscriber, key: Option<DedupeKey>) -> refuge_core::Confirmation {
        let Self { subject, intro, ignore, home, site, link_base } = self;
        let body = format!("{intro}\n\n{link_base}{}\n\n{ignore}\n\n-- \n{site}\n{home}\n", sub.token);
        let dedupe = key.unwrap_or_else(|| DedupeKey::once(Purpose::Confirm));
        refuge_core::Confirmation { dedupe, subject: subject.clone(), body }
    }
}

/// The welcome after confirming: the Site settings text of `lang`, or
/// the built-in one. Once per subscription.
pub fn welcome(state: &AppState, lang: &Language, sub: &Subscriber) -> bool {
    if !state.config.welcome_mail {
        return false;
    }
    let t = state.site.strings(lang);
    let site = site_name(state, lang);
    let custom = match state.reads.setting("welcome_mail", lang) {
        Ok(text) => text.filter(|w| !w.trim().is_empty()),
        Err(e) => {
            // The built-in welcome rather than none.
            tracing::error!(error = %e, "could not read the custom welcome mail");
            None
        }
    };
    let text = match custom {
        Some(markdown) => to_mail_text(&markdown, &state.site.config().base_url, Redaction::hidden(lang.as_str())),
        None => wrap_plain(&t.get("mail_welcome_body").replace("{site}", &site), lang.as_str()),
    };
    let unsubscribe = manage_url(state, lang, sub);
    let body = format!("{text}\n\n{}\n{unsubscribe}\n", list_footer(state, lang));
    let dedupe = DedupeKey::of_subscription(Purpose::Welcome, sub);
    let subject = t.get("mail_welcome_subject").replace("{site}", &site);
    queue(
        state,
        &NewMail {
            dedupe: &dedupe,
            kind: MailKind::Welcome,
            lang: lang.as_str(),
            recipient: &sub.email,
            subject: &subject,
            body: &body,
            unsubscribe: &unsubscribe,
        },
    )
}

/// Sends the first confirmation of imported sign-ups (`--reconfirm`), a
/// batch at a time; how many were queued.
pub fn imported_confirmations(state: &AppState) -> usize {
    let waiting = match state.reads.awaiting_first_confirmation(500) {
        Ok(w) => w,
        Err(e) => {
            tracing::error!(error = %e, "could not read the imported sign-ups");
            return 0;
        }
    };
    let mut queued = 0;
    for sub in waiting {
        let Some(lang) = Language::parse(&sub.lang).ok().filter(|l| state.site.languages().contains(l)) else {
            continue;
        };
        // Queued under the subscription's own key first, then marked: a
        // crash in between queues nothing twice.
        let key = DedupeKey::of_subscription(Purpose::ConfirmImport, &sub);
        if confirmation(state, &lang, &sub, Some(key)) {
            queued += 1;
        }
        if let Err(e) = state.app.first_confirmation_sent(sub.id) {
            tracing::error!(error = %e, "could not record a confirmation mail");
        }
    }
    queued
}

/// Who is told that a contact message arrived: `notify` from the
/// settings, or every admin account.
pub fn staff_addresses(state: &AppState) -> Vec<String> {
    if !state.config.notify.is_empty() {
        return state.config.notify.clone();
    }
    match state.reads.users() {
        Ok(users) => users.into_iter().filter(|u| u.role == Role::Admin).map(|u| u.email.to_string()).collect(),
        Err(e) => {
            tracing::error!(error = %e, "could not read the accounts to tell of a new message");
            Vec::new()
        }
    }
}

/// Tells the staff that a message arrived (never what it says), with a
/// link to the inbox. Returns how many were queued.
pub fn staff_notice(state: &AppState) -> usize {
    let lang = state.site.default_language().clone();
    let t = state.site.strings(&lang);
    let site = site_name(state, &lang);
    let subject = t.get("mail_new_message_subject").replace("{site}", &site);
    let body = format!(
        "{}\n\n{}\n",
        wrap_plain(t.get("mail_new_message_body"), lang.as_str()),
        state.site.url("/admin/inbox")
    );
    // One arrival, one random key: a new message after a delete is never
    // mistaken for the deleted one.
    let key = DedupeKey::once(Purpose::Contact);
    to_staff(state, &key, &lang, &staff_addresses(state), &subject, &body)
}

/// Queues one staff mail to each of `addresses`, keyed `KEY:ADDRESS`
/// (`key` made random by the caller); how many were queued.
fn to_staff(
    state: &AppState,
    key: &DedupeKey,
    lang: &Language,
    addresses: &[String],
    subject: &str,
    body: &str,
) -> usize {
    addresses
        .iter()
        .filter(|address| {
            let dedupe = key.to_address(address);
            let mail = NewMail {
                dedupe: &dedupe,
                kind: MailKind::StaffNotice,
                lang: lang.as_str(),
                recipient: address,
                subject,
                body,
                unsubscribe: "",
            };
            queue(state, &mail)
        })
        .count()
}

/// Tells the editors of an item's language that a change to it awaits
/// their review (`who` submitted it). Editors whose account names no
/// language look after every language. Returns how many were queued.
pub fn review_request(state: &AppState, item: &refuge_core::Item, who: &str) -> usize {
    let users = match state.reads.users() {
        Ok(users) => users,
        Err(e) => {
            tracing::error!(error = %e, "could not read the accounts to ask for a review");
            return 0;
        }
    };
    let lang = &item.lang;
    let t = state.site.strings(lang);
    let site = site_name(state, lang);
    let title = Redaction::hidden(lang.as_str()).apply(&item.title).into_string();
    let subject = t.get("mail_review_subject").replace("{site}", &site).replace("{title}", &title);
    let language = t.get("language_name");
    let body = format!(
        "{}\n\n{}\n",
        wrap_plain(&t.get("mail_review_body").replace("{who}", who).replace("{language}", language), lang.as_str()),
        state.site.url(&crate::admin::paths::To::Item(item.id).path())
    );
    let editors: Vec<String> = users
        .into_iter()
        .filter(|u| matches!(u.role, Role::Admin | Role::Editor) && u.email.as_str() != who)
        .filter(|u| u.languages.is_empty() || u.languages.contains(lang))
        .map(|u| u.email.to_string())
        .collect();
    to_staff(state, &DedupeKey::once(Purpose::Review), lang, &editors, &subject, &body)
}
