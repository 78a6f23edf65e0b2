//! The outbox sender. Every e-mail is first a row in the database's
//! outbox; this task delivers them over SMTP one at a time, at a bounded
//! rate, retrying temporary failures with growing waits and marking
//! permanent ones. A mail is marked as being sent before it is handed to
//! the server, so a crash can never lead to sending it twice (it is then
//! reported as "unknown" instead).
//!
//! Each mail carries the headers a receiving system and a mail client
//! expect for its kind (`MailKind`): a random `Message-ID` at the site's
//! domain, `MIME-Version`, a UTF-8 plain-text body; `List-Id`, one-click
//! unsubscribe (RFC 2369, RFC 8058) and `Precedence: bulk` on list mail;
//! `Auto-Submitted` (RFC 3834) and `X-Auto-Response-Suppress` on automatic
//! mail; `Reply-To` when configured. With a DKIM key, every mail is
//! signed, the unsubscribe headers included. Permanent failures of mail
//! to a subscriber are counted, so a dead address is left out after three.

use std::sync::Arc;

mod dkim;
use std::time::Duration;

use lettre::message::header::{ContentType, HeaderName, HeaderValue, MIME_VERSION_1_0};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use refuge_core::{MailKind, MailStore, OutboxMail};
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

/// A DKIM signing key (RSA, PKCS#1 PEM) and where its public half is
/// published: `SELECTOR._domainkey.DOMAIN`.
#[derive(Clone)]
pub struct Dkim {
    pub selector: String,
    pub domain: String,
    key: Arc<rsa::RsaPrivateKey>,
}

impl std::fmt::Debug for Dkim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dkim").field("selector", &self.selector).field("domain", &self.domain).finish()
    }
}

impl Dkim {
    /// Checks the key now, so a bad key is reported at start, not per mail.
    pub fn new(selector: &str, domain: &str, key_pem: &str) -> Result<Self, String> {
        let key = dkim::read_key(key_pem).map_err(|e| format!("the DKIM key: {e}"))?;
        Ok(Self { selector: selector.to_owned(), domain: domain.to_owned(), key: Arc::new(key) })
    }
}

/// A new DKIM key pair: the private key (PKCS#1 PEM, for `dkim_key_file`)
/// and the DNS TXT value that publishes the public one
/// (`v=DKIM1; k=rsa; p=…`).
pub fn dkim_keygen() -> Result<(String, String), String> {
    use rsa::pkcs1::EncodeRsaPrivateKey;
    use rsa::pkcs8::EncodePublicKey;
    let key = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).map_err(|e| e.to_string())?;
    let pem = key.to_pkcs1_pem(rsa::pkcs1::LineEnding::LF).map_err(|e| e.to_string())?.to_string();
    let public = key.to_public_key().to_public_key_der().map_err(|e| e.to_string())?;
    Ok((pem, format!("v=DKIM1; k=rsa; p={}", base64(public.as_bytes()))))
}

/// Standard base64 with padding.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, b)| acc | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
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
    /// The site's domain: `Message-ID`s and `List-Id`s are made at it.
    pub domain: String,
    /// The name given in the SMTP greeting (`domain` when not set).
    pub helo_name: Option<String>,
    /// `Reply-To` of list and automatic mail, if answers should go
    /// somewhere other than `from`.
    pub reply_to: Option<String>,
    /// The sender (and `Reply-To`) of answers to contact messages;
    /// `from` when not set.
    pub contact_from: Option<String>,
    /// The organisation's name, shown with `List-Id`.
    pub list_name: String,
    pub dkim: Option<Dkim>,
}

/// Whether `text` is an address a mail can come from or be answered to,
/// like `Name <news@example.org>` or `news@example.org`.
pub fn valid_mailbox(text: &str) -> bool {
    text.parse::<lettre::message::Mailbox>().is_ok()
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
    let helo = config.helo_name.clone().unwrap_or_else(|| config.domain.clone());
    let helo = match helo.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(ip)) => ClientId::Ipv4(ip),
        Ok(std::net::IpAddr::V6(ip)) => ClientId::Ipv6(ip),
        Err(_) => ClientId::Domain(helo),
    };
    let mut builder = builder.port(config.port).timeout(Some(Duration::from_secs(30))).hello_name(helo);
    if let (Some(user), Some(password)) = (&config.username, &config.password) {
        builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
    }
    Ok(builder.build())
}

fn raw(name: &'static str, value: String) -> HeaderValue {
    HeaderValue::new(HeaderName::new_from_ascii_str(name), value)
}

/// A header whose value (one long word, such as `<URL>`) goes on a line
/// of its own when the line would pass 78 columns.
fn folded(name: &'static str, value: String) -> HeaderValue {
    if name.len() + 2 + value.len() <= 78 {
        return raw(name, value);
    }
    let encoded = format!("\r\n {value}");
    HeaderValue::dangerous_new_pre_encoded(HeaderName::new_from_ascii_str(name), value, encoded)
}

/// The message for an outbox row, with the headers its kind calls for.
pub fn message(config: &SmtpConfig, mail: &OutboxMail) -> Result<Message, String> {
    let from = match (mail.kind, &config.contact_from) {
        (MailKind::Reply, Some(contact)) => contact.as_str(),
        _ => config.from.as_str(),
    };
    let reply_to = match mail.kind {
        MailKind::Reply => Some(config.contact_from.as_deref().unwrap_or(&config.from)),
        MailKind::StaffNotice => None,
        _ => config.reply_to.as_deref(),
    };
    let uid = if mail.uid.is_empty() { format!("outbox{}", mail.id) } else { mail.uid.clone() };
    let mut builder = Message::builder()
        .from(from.parse().map_err(|e| format!("the sender address: {e}"))?)
        .to(mail.recipient.parse().map_err(|e| format!("the recipient address: {e}"))?)
        .subject(mail.subject.clone())
        .date_now()
        .message_id(Some(format!("<{uid}@{}>", config.domain)))
        .header(MIME_VERSION_1_0)
        .header(ContentType::TEXT_PLAIN);
    if let Some(reply_to) = reply_to {
        builder = builder.reply_to(reply_to.parse().map_err(|e| format!("the reply address: {e}"))?);
    }
    if mail.kind.is_list() {
        // RFC 2919: one list per kind and language.
        let lang = if mail.lang.is_empty() { String::new() } else { format!("{}.", mail.lang) };
        let id = format!("{}.{lang}{}", mail.kind.as_str(), config.domain);
        let name = config.list_name.replace(['"', '\\', '\r', '\n'], "");
        builder = builder.raw_header(raw("List-Id", format!("\"{name}\" <{id}>")));
        builder = builder.raw_header(raw("Precedence", "bulk".into()));
    }
    if !mail.unsubscribe.is_empty() {
        // RFC 2369 and RFC 8058: one-click unsubscribe.
        builder = builder
            .raw_header(folded("List-Unsubscribe", format!("<{}>", mail.unsubscribe)))
            .raw_header(raw("List-Unsubscribe-Post", "List-Unsubscribe=One-Click".into()));
    }
    if mail.kind.is_automatic() {
        builder = builder
            .raw_header(raw("Auto-Submitted", "auto-generated".into()))
            .raw_header(raw("X-Auto-Response-Suppress", "All".into()));
    } else if mail.kind.is_list() {
        builder = builder.raw_header(raw("X-Auto-Response-Suppress", "OOF, AutoReply".into()));
    }
    builder.body(mail.body.clone()).map_err(|e| e.to_string())
}

/// The bytes sent for an outbox row: the message, signed with DKIM when
/// a key is configured.
pub fn signed(config: &SmtpConfig, mail: &OutboxMail) -> Result<(lettre::address::Envelope, Vec<u8>), String> {
    let message = message(config, mail)?;
    let raw = message.formatted();
    let bytes = match &config.dkim {
        Some(dkim) => {
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
            dkim::sign(&raw, &dkim.key, &dkim.domain, &dkim.selector, now)?
        }
        None => raw,
    };
    Ok((message.envelope().clone(), bytes))
}

/// The longest one mail's exchange with the server may take, from the
/// connection to the server's answer to the text (lettre's own timeout
/// covers the connection only): a server that hangs delays the queue by
/// this much, once, and its mail is tried again later.
const SEND_DEADLINE: Duration = Duration::from_secs(120);

async fn deliver(config: &SmtpConfig, mail: &OutboxMail) -> Result<(), Failure> {
    deliver_within(config, mail, SEND_DEADLINE).await
}

async fn deliver_within(config: &SmtpConfig, mail: &OutboxMail, deadline: Duration) -> Result<(), Failure> {
    let (envelope, bytes) = signed(config, mail).map_err(Failure::Permanent)?;
    let transport = transport(config).map_err(Failure::Temporary)?;
    match tokio::time::timeout(deadline, transport.send_raw(&envelope, &bytes)).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) if e.is_permanent() => Err(Failure::Permanent(e.to_string())),
        Ok(Err(e)) => Err(Failure::Temporary(e.to_string())),
        Err(_) => Err(Failure::Temporary(format!("the mail server did not answer within {} s", deadline.as_secs()))),
    }
}

/// Waits after the n-th failed try: 1, 2, 4 … minutes, at most 6 hours.
fn backoff(attempts: u32) -> time::Duration {
    time::Duration::minutes(1i64 << attempts.saturating_sub(1).min(9)).min(time::Duration::hours(6))
}

/// Tries at most this many times before giving up.
const MAX_ATTEMPTS: u32 = 8;

/// Opens a mail taken from the outbox before it is sent: the mail as it
/// is when nothing of it is sealed, opened when its key is at hand, `None`
/// while it is not (the mail waits).
pub type Unseal = Arc<dyn Fn(OutboxMail) -> Option<OutboxMail> + Send + Sync>;

/// How long a sealed mail waits for its key before it is looked at again.
const SEALED_WAIT: time::Duration = time::Duration::minutes(5);

/// Runs until the process ends. `wake` is notified when mail is queued.
pub async fn run(
    store: Arc<dyn MailStore>,
    config: Option<SmtpConfig>,
    wake: Arc<tokio::sync::Notify>,
    unseal: Unseal,
) {
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
    let mut recovered = std::time::Instant::now();
    loop {
        // A server sharing the outbox that stopped mid-send and never came
        // back: once its hold has run out, its mail is marked unknown here.
        if recovered.elapsed() > Duration::from_secs(600) {
            recovered = std::time::Instant::now();
            match store.recover_interrupted() {
                Ok(0) => {}
                Ok(n) => tracing::warn!(mails = n, "mails another server left mid-send are marked unknown"),
                Err(e) => tracing::error!(error = %e, "could not check the outbox"),
            }
        }
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
        let id = mail.id;
        let Some(mail) = unseal(mail) else {
            // Sealed to the inbox key, which no admin has unlocked here.
            let why = "waiting for an admin to unlock the inbox";
            if let Err(e) = store.mark_retry(id, why, OffsetDateTime::now_utc() + SEALED_WAIT) {
                tracing::error!(error = %e, id, "could not record an e-mail's state");
            }
            continue;
        };
        let outcome = deliver(&config, &mail).await;
        let recorded = match outcome {
            Ok(()) => store.mark_sent(mail.id),
            Err(Failure::Permanent(e)) => {
                tracing::warn!(id = mail.id, kind = mail.kind.as_str(), error = %e, "an e-mail was refused for good");
                if mail.kind.to_subscriber() {
                    match store.count_bounce(&mail.recipient) {
                        Ok(n) if n >= refuge_core::BOUNCING => {
                            tracing::warn!(
                                id = mail.id,
                                "a subscriber's address failed {n} times: no more list mail to it"
                            )
                        }
                        Ok(_) => {}
                        Err(e) => tracing::error!(error = %e, "could not count a failed delivery"),
                    }
                }
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

    /// A server that accepts the connection and never answers (or stops
    /// answering after DATA) holds a mail no longer than the deadline.
    #[tokio::test]
    async fn a_hung_server_holds_a_mail_no_longer_than_the_deadline() {
        use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
        for hang_at_data in [false, true] {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let port = listener.local_addr().unwrap().port();
            let server = tokio::spawn(async move {
                let (socket, _) = listener.accept().await.unwrap();
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                if !hang_at_data {
                    // Silent after the connection: not even a greeting.
                    std::future::pending::<()>().await;
                }
                write.write_all(b"220 hello\r\n").await.unwrap();
                while let Ok(Some(line)) = lines.next_line().await {
                    let answer: &[u8] = match line.get(..4).unwrap_or_default().to_ascii_uppercase().as_str() {
                        "EHLO" => b"250 ok\r\n",
                        "DATA" => b"354 go on\r\n",
                        _ if line == "." => {
                            std::future::pending::<()>().await;
                            b""
                        }
                        "MAIL" | "RCPT" => b"250 ok\r\n",
                        _ => continue,
                    };
                    write.write_all(answer).await.unwrap();
                }
            });
            let mut config = config();
            config.port = port;
            config.host = "127.0.0.1".into();
            config.domain = "example.org".into();
            let started = std::time::Instant::now();
            let outcome = deliver_within(&config, &mail(MailKind::Other, ""), Duration::from_secs(2)).await;
            assert!(matches!(outcome, Err(Failure::Temporary(_))), "tried again later");
            assert!(started.elapsed() < Duration::from_secs(5), "held {:?}", started.elapsed());
            server.abort();
        }
    }

    #[test]
    fn backoff_grows_and_is_bounded() {
        assert_eq!(backoff(1), time::Duration::minutes(1));
        assert_eq!(backoff(2), time::Duration::minutes(2));
        assert_eq!(backoff(30), time::Duration::hours(6));
    }

    fn config() -> SmtpConfig {
        SmtpConfig {
            host: "localhost".into(),
            port: 25,
            security: Security::None,
            username: None,
            password: None,
            from: "News <news@example.org>".into(),
            per_minute: 60,
            domain: "example.org".into(),
            helo_name: None,
            reply_to: Some("Office <office@example.org>".into()),
            contact_from: Some("Help <help@example.org>".into()),
            list_name: "Lighthouse Network".into(),
            dkim: None,
        }
    }

    fn mail(kind: MailKind, unsubscribe: &str) -> OutboxMail {
        OutboxMail {
            id: 7,
            kind,
            lang: "ja".into(),
            uid: "0123456789abcdef0123456789abcdef".into(),
            recipient: "a@example.org".into(),
            subject: "会報".into(),
            body: "本文".into(),
            unsubscribe: unsubscribe.into(),
            attempts: 0,
        }
    }

    fn text(config: &SmtpConfig, mail: &OutboxMail) -> String {
        String::from_utf8(message(config, mail).unwrap().formatted()).unwrap()
    }

    #[test]
    fn list_mail_carries_one_click_unsubscribe_and_list_headers() {
        let text = text(&config(), &mail(MailKind::Newsletter, "https://example.org/ja/unsubscribe/?token=abc"));
        assert!(text.contains("List-Unsubscribe: <https://example.org/ja/unsubscribe/?token=abc>"), "{text}");
        assert!(text.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"));
        assert!(text.contains("Message-ID: <0123456789abcdef0123456789abcdef@example.org>"), "{text}");
        assert!(text.contains("MIME-Version: 1.0"));
        assert!(text.contains("List-Id: \"Lighthouse Network\" <newsletter.ja.example.org>"), "{text}");
        assert!(text.contains("Precedence: bulk"));
        assert!(text.contains("Reply-To: Office <office@example.org>"));
        assert!(!text.contains("Auto-Submitted"), "a newsletter is written by people");
        assert!(text.contains("Content-Type: text/plain; charset=utf-8"));
    }

    #[test]
    fn base64_encodes() {
        assert_eq!(base64(b"hello world"), "aGVsbG8gd29ybGQ=");
        assert_eq!(base64(b"a"), "YQ==");
        assert_eq!(base64(b"abc"), "YWJj");
    }

    #[test]
    fn automatic_mail_and_replies() {
        let confirm = text(&config(), &mail(MailKind::Confirm, ""));
        assert!(
            confirm.contains("Auto-Submitted: auto-generated") && confirm.contains("X-Auto-Response-Suppress: All")
        );
        assert!(!confirm.contains("List-Id") && !confirm.contains("Precedence"));
        let reply = text(&config(), &mail(MailKind::Reply, ""));
        assert!(reply.contains("From: Help <help@example.org>"), "{reply}");
        assert!(reply.contains("Reply-To: Help <help@example.org>"));
        assert!(!reply.contains("Auto-Submitted"));
        let notice = text(&config(), &mail(MailKind::StaffNotice, ""));
        assert!(!notice.contains("Reply-To"));
    }
}
