//! The outbox sender. Every e-mail is first a row in the database's
//! outbox; this task delivers them over SMTP one at a time, at a bounded
//! rate, retrying temporary failures with growing waits and marking
//! permanent ones. A mail is marked as being sent before it is handed to
//! the server, so a crash can never lead to sending it twice (it is then
//! reported as "unknown" instead).

use std::sync::Arc;
use std::time::Duration;

use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use refuge_core::{MailStore, OutboxMail};
use time::OffsetDateTime;

/// How the SMTP connection is secured.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Security {
    /// Plain (only for a relay on the same machine).
    None,
    /// STARTTLS on the submission port (587).
    #[default]
    Starttls,
    /// TLS from the start (465).
    Tls,
}

/// Where and how to send.
#[derive(Clone, Debug)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub username: Option<String>,
    pub password: Option<String>,
    /// The sender address, e.g. `Lighthouse Network <news@example.org>`.
    pub from: String,
    /// Mails per minute at most.
    pub per_minute: u32,
}

/// Why a mail could not be handed over.
enum Failure {
    Temporary(String),
    Permanent(String),
}

fn transport(config: &SmtpConfig) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
    let builder = match config.security {
        Security::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host),
        Security::Starttls => {
            AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&config.host).map_err(|e| e.to_string())?
        }
        Security::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&config.host).map_err(|e| e.to_string())?,
    };
    let mut builder = builder.port(config.port).timeout(Some(Duration::from_secs(30)));
    if let (Some(user), Some(password)) = (&config.username, &config.password) {
        builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
    }
    Ok(builder.build())
}

fn message(config: &SmtpConfig, mail: &OutboxMail) -> Result<Message, String> {
    let host = config.from.rsplit('@').next().unwrap_or("refuge.invalid").trim_end_matches('>');
    let mut builder = Message::builder()
        .from(config.from.parse().map_err(|e| format!("the sender address: {e}"))?)
        .to(mail.recipient.parse().map_err(|e| format!("the recipient address: {e}"))?)
        .subject(mail.subject.clone())
        .message_id(Some(format!("<outbox-{}@{host}>", mail.id)))
        .header(ContentType::TEXT_PLAIN);
    if !mail.unsubscribe.is_empty() {
        // RFC 2369 and RFC 8058: one-click unsubscribe.
        builder = builder
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe"),
                format!("<{}>", mail.unsubscribe),
            ))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                "List-Unsubscribe=One-Click".into(),
            ));
    }
    builder.body(mail.body.clone()).map_err(|e| e.to_string())
}

async fn deliver(config: &SmtpConfig, mail: &OutboxMail) -> Result<(), Failure> {
    let message = message(config, mail).map_err(Failure::Permanent)?;
    let transport = transport(config).map_err(Failure::Temporary)?;
    match transport.send(message).await {
        Ok(_) => Ok(()),
        Err(e) if e.is_permanent() => Err(Failure::Permanent(e.to_string())),
        Err(e) => Err(Failure::Temporary(e.to_string())),
    }
}

/// Waits after the n-th failed try: 1, 2, 4 … minutes, at most 6 hours.
fn backoff(attempts: u32) -> time::Duration {
    time::Duration::minutes(1i64 << attempts.saturating_sub(1).min(9)).min(time::Duration::hours(6))
}

/// Tries at most this many times before giving up.
const MAX_ATTEMPTS: u32 = 8;

/// Runs until the process ends. `wake` is notified when mail is queued.
pub async fn run(store: Arc<dyn MailStore>, config: Option<SmtpConfig>, wake: Arc<tokio::sync::Notify>) {
    match store.recover_interrupted() {
        Ok(0) => {}
        Ok(n) => tracing::warn!(
            mails = n,
            "mails were being sent when Refuge stopped; they are marked unknown, not sent again"
        ),
        Err(e) => tracing::error!(error = %e, "could not check the outbox"),
    }
    let Some(config) = config else {
        tracing::info!("no SMTP server configured ([smtp] in refuge.toml): e-mails wait in the outbox");
        return;
    };
    let pause = Duration::from_millis(60_000 / u64::from(config.per_minute.max(1)));
    loop {
        let due = match store.take_due(OffsetDateTime::now_utc()) {
            Ok(due) => due,
            Err(e) => {
                tracing::error!(error = %e, "could not read the outbox");
                None
            }
        };
        let Some(mail) = due else {
            let wait = store
                .next_mail_due()
                .ok()
                .flatten()
                .map(|at| (at - OffsetDateTime::now_utc()).whole_milliseconds().clamp(100, 60_000) as u64)
                .unwrap_or(60_000);
            tokio::select! {
                () = tokio::time::sleep(Duration::from_millis(wait)) => {},
                () = wake.notified() => {},
            }
            continue;
        };
        let outcome = deliver(&config, &mail).await;
        let recorded = match outcome {
            Ok(()) => store.mark_sent(mail.id),
            Err(Failure::Permanent(e)) => {
                tracing::warn!(id = mail.id, error = %e, "an e-mail was refused for good");
                store.mark_failed(mail.id, &e)
            }
            Err(Failure::Temporary(e)) if mail.attempts + 1 >= MAX_ATTEMPTS => store.mark_failed(mail.id, &e),
            Err(Failure::Temporary(e)) => {
                tracing::info!(id = mail.id, error = %e, "an e-mail will be tried again");
                store.mark_retry(mail.id, &e, OffsetDateTime::now_utc() + backoff(mail.attempts + 1))
            }
        };
        if let Err(e) = recorded {
            tracing::error!(error = %e, id = mail.id, "could not record an e-mail's state");
        }
        tokio::time::sleep(pause).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_bounded() {
        assert_eq!(backoff(1), time::Duration::minutes(1));
        assert_eq!(backoff(2), time::Duration::minutes(2));
        assert_eq!(backoff(30), time::Duration::hours(6));
    }

    #[test]
    fn list_mail_carries_one_click_unsubscribe() {
        let config = SmtpConfig {
            host: "localhost".into(),
            port: 25,
            security: Security::None,
            username: None,
            password: None,
            from: "News <news@example.org>".into(),
            per_minute: 60,
        };
        let mail = OutboxMail {
            id: 7,
            recipient: "a@example.org".into(),
            subject: "会報".into(),
            body: "本文".into(),
            unsubscribe: "https://example.org/ja/unsubscribe/?token=abc".into(),
            attempts: 0,
        };
        let text = String::from_utf8(message(&config, &mail).unwrap().formatted()).unwrap();
        assert!(text.contains("List-Unsubscribe: <https://example.org/ja/unsubscribe/?token=abc>"), "{text}");
        assert!(text.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"));
        assert!(text.contains("Message-ID: <outbox-7@example.org>"));
    }
}
