//! `MailStore` and the `Outbox` over SQLite.

use crate::sql::{DbResult, Handle, Optional, Row, params};
use refuge_core::store::StoreResult;
use refuge_core::subscribers::Topic;
use refuge_core::{
    BOUNCING, Confirmation, Language, MailKind, MailStore, NewMail, Newsletter, NewsletterReads, Outbox, OutboxMail,
    StoreError, Subscriber, SubscriptionRequest,
};
use refuge_core::{ListReads, OutboxReads};
use time::OffsetDateTime;

use crate::db::{SqlStore, backend, now, parse_ts, ts};

const NEWSLETTER: &str = "id, lang, number, topic, title, body, sent_at";

/// How long a server holds a mail it takes: far longer than one delivery
/// takes, so a live server's mail is never called interrupted.
const LEASE: time::Duration = time::Duration::minutes(15);

fn newsletter(r: &Row<'_>) -> DbResult<Newsletter> {
    let lang: String = r.get(1)?;
    let sent: Option<String> = r.get(6)?;
    let topic: String = r.get(3)?;
    Ok(Newsletter {
        id: r.get(0)?,
        lang: Language::parse(&lang).map_err(|e| crate::sql::conversion(e.to_string()))?,
        number: r.get(2)?,
        topic: Topic::parse(&topic).ok_or_else(|| crate::rows::conversion(format!("unknown topic {topic:?}")))?,
        title: r.get(4)?,
        body: r.get(5)?,
        sent_at: sent.as_deref().map(parse_ts).transpose()?,
    })
}

/// The columns `subscription` reads.
const SUBSCRIBER: &str = "id, email, lang, topics, token, confirmed_at IS NOT NULL, bounces";

use crate::subscribers::subscription as subscriber;

impl NewsletterReads for SqlStore {
    fn newsletters(&self, lang: Option<&Language>, sent_only: bool) -> StoreResult<Vec<Newsletter>> {
        let conn = self.conn()?;
        let mut stmt = conn
            .prepare(&format!(
                "SELECT {NEWSLETTER} FROM newsletters WHERE (CAST(?1 AS TEXT) IS NULL OR lang = ?1) AND (?2 = 0 OR sent_at IS NOT NULL)
                 ORDER BY lang, number DESC"
            ))
            .map_err(backend)?;
        let rows = stmt.query_map(params![lang.map(Language::as_str), sent_only], newsletter).map_err(backend)?;
        rows.collect::<Result<_, _>>().map_err(backend)
    }
    fn newsletter_by_number(&self, lang: &Language, number: i64) -> StoreResult<Option<Newsletter>> {
        self.conn()?
            .query_row(
                &format!("SELECT {NEWSLETTER} FROM newsletters WHERE lang = ? AND number = ?"),
                params![lang.as_str(), number],
                newsletter,
            )
            .optional()
            .map_err(backend)
    }
}

/// Puts a mail in the outbox inside the caller's transaction; false when
/// its key was used already.
fn enqueue_in(conn: &Handle<'_>, mail: &NewMail<'_>) -> StoreResult<bool> {
    let stamp = ts(now());
    let n = conn
        .execute(
            "INSERT INTO outbox
                (dedupe, kind, lang, uid, recipient, subject, body, unsubscribe, next_attempt, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            params![
                mail.dedupe.as_str(),
                mail.kind.as_str(),
                mail.lang,
                refuge_core::secret::random_hex(16),
                mail.recipient,
                mail.subject,
                mail.body,
                mail.unsubscribe,
                stamp,
                stamp
            ],
        )
        .map_err(backend)?;
    Ok(n > 0)
}

/// Adds (or finds) a subscription awaiting confirmation, inside the
/// caller's transaction. A subscription that was left starts again from
/// the beginning: new token, unconfirmed. (Every expression reads the old
/// row.)
fn subscribe_in(
    conn: &Handle<'_>,
    email: &str,
    lang: &Language,
    topics: &[String],
    token: &str,
    source: &str,
) -> StoreResult<Subscriber> {
    conn.execute(
        "INSERT INTO subscribers AS s (email, lang, topics, token, created_at, source) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (email, lang) DO UPDATE SET topics = excluded.topics,
            token = CASE WHEN s.unsubscribed_at IS NOT NULL THEN excluded.token ELSE s.token END,
            confirmed_at = CASE WHEN s.unsubscribed_at IS NOT NULL THEN NULL ELSE s.confirmed_at END,
            confirm_sent_at = CASE WHEN s.unsubscribed_at IS NOT NULL THEN NULL ELSE s.confirm_sent_at END,
            source = CASE WHEN s.unsubscribed_at IS NOT NULL THEN excluded.source ELSE s.source END,
            bounces = CASE WHEN s.unsubscribed_at IS NOT NULL THEN 0 ELSE s.bounces END,
            created_at = CASE WHEN s.confirmed_at IS NULL OR s.unsubscribed_at IS NOT NULL
                              THEN excluded.created_at ELSE s.created_at END,
            unsubscribed_at = NULL",
        params![email.trim(), lang.as_str(), topics.join(","), token, ts(now()), source],
    )
    .map_err(backend)?;
    conn.query_row(
        &format!("SELECT {SUBSCRIBER} FROM subscribers WHERE email = ? AND lang = ?"),
        params![email.trim(), lang.as_str()],
        subscriber,
    )
    .map_err(backend)
}

/// Claims the sending of a confirmation, inside the caller's transaction:
/// false when one went out in the last `every` (or it is confirmed).
fn claim_in(conn: &Handle<'_>, subscriber_id: i64, every: time::Duration) -> StoreResult<bool> {
    let n = conn
        .execute(
            "UPDATE subscribers SET confirm_sent_at = ?1
             WHERE id = ?2 AND confirmed_at IS NULL AND (confirm_sent_at IS NULL OR confirm_sent_at <= ?3)",
            params![ts(now()), subscriber_id, ts(now() - every)],
        )
        .map_err(backend)?;
    Ok(n == 1)
}

impl OutboxReads for SqlStore {
    fn next_mail_due(&self) -> StoreResult<Option<OffsetDateTime>> {
        let next: Option<String> = self
            .conn()?
            .query_row("SELECT min(next_attempt) FROM outbox WHERE state = 'pending'", params![], |r| r.get(0))
            .map_err(backend)?;
        next.as_deref().map(parse_ts).transpose().map_err(backend)
    }
    fn outbox_counts(&self) -> StoreResult<[u64; 4]> {
        let conn = self.conn()?;
        let mut out = [0u64; 4];
        for (i, state) in ["pending", "sent", "failed", "unknown"].iter().enumerate() {
            let n: i64 = conn
                .query_row("SELECT count(*) FROM outbox WHERE state = ?", params![state], |r| r.get(0))
                .map_err(backend)?;
            out[i] = n.unsigned_abs();
        }
        Ok(out)
    }
}

impl Outbox for SqlStore {
    fn enqueue(&self, mail: &NewMail<'_>) -> StoreResult<bool> {
        enqueue_in(&self.conn()?, mail)
    }
    fn take_due(&self, now: OffsetDateTime) -> StoreResult<Option<OutboxMail>> {
        let conn = self.conn()?;
        let tx = conn.transaction().map_err(backend)?;
        // Several servers may share a PostgreSQL database: each takes a
        // row no other is taking (and SQLite has one writer at a time).
        let lock = match tx.engine() {
            crate::sql::Engine::Postgres => " FOR UPDATE SKIP LOCKED",
            crate::sql::Engine::Sqlite => "",
        };
        let found = tx
            .query_row(
                &format!(
                    "SELECT id, recipient, subject, body, unsubscribe, attempts, kind, lang, uid FROM outbox
                     WHERE state = 'pending' AND next_attempt <= ? ORDER BY next_attempt, id LIMIT 1{lock}"
                ),
                params![ts(now)],
                |r| {
                    Ok(OutboxMail {
                        id: r.get(0)?,
                        recipient: r.get(1)?,
                        subject: r.get(2)?,
                        body: r.get(3)?,
                        unsubscribe: r.get(4)?,
                        attempts: r.get(5)?,
                        kind: MailKind::parse(&r.get::<String>(6)?),
                        lang: r.get(7)?,
                        uid: r.get(8)?,
                    })
                },
            )
            .optional()
            .map_err(backend)?;
        if let Some(mail) = &found {
            let taken = tx
                .execute(
                    "UPDATE outbox SET state = 'sending', attempts = attempts + 1, owner = ?, lease_until = ?
                     WHERE id = ? AND state = 'pending'",
                    params![self.server_id(), ts(now + LEASE), mail.id],
                )
                .map_err(backend)?;
            if taken == 0 {
                return Ok(None);
            }
        }
        tx.commit().map_err(backend)?;
        Ok(found)
    }
    fn mark_sent(&self, id: i64) -> StoreResult<()> {
        let conn = self.conn()?;
        // The text is not needed once delivered; the row stays (its key,
        // kind, language and times: what the counts need), so nothing is
        // sent twice.
        let sent: Option<(String, String, String)> = conn
            .query_row(
                "UPDATE outbox SET state = 'sent', sent_at = ?, subject = '', body = '' WHERE id = ?
                 RETURNING dedupe, kind, recipient",
                params![ts(now()), id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
            .map_err(backend)?;
        // A subscriber reached: when, and its failures in a row start again.
        if let Some((_, kind, recipient)) = &sent
            && MailKind::parse(kind).to_subscriber()
        {
            conn.execute(
                "UPDATE subscribers SET last_sent_at = ?, bounces = 0 WHERE email = ?",
                params![ts(now()), recipient],
            )
            .map_err(backend)?;
        }
        // A reply to someone who wrote in may be sensitive: fold the WAL
        // into the database (whose freed bytes are overwritten) so no old
        // copy of the text remains on disk.
        if let Some((_, kind, _)) = &sent
            && MailKind::parse(kind).is_private()
        {
            // Sent all the same; when the fold cannot happen now, the next
            // housekeeping folds the text in.
            crate::messages::fold(self, &conn);
        }
        Ok(())
    }
    fn mark_retry(&self, id: i64, error: &str, next: OffsetDateTime) -> StoreResult<()> {
        self.conn()?
            .execute(
                "UPDATE outbox SET state = 'pending', last_error = ?, next_attempt = ? WHERE id = ?",
                params![error, ts(next), id],
            )
            .map_err(backend)?;
        Ok(())
    }
    fn mark_failed(&self, id: i64, error: &str) -> StoreResult<()> {
        self.conn()?
            .execute(
                "UPDATE outbox SET state = 'failed', last_error = ?, subject = '', body = '' WHERE id = ?",
                params![error, id],
            )
            .map_err(backend)?;
        Ok(())
    }
    fn recover_interrupted(&self) -> StoreResult<u64> {
        let n = self
            .conn()?
            .execute(
                "UPDATE outbox SET state = 'unknown', last_error = 'interrupted while sending', subject = '', body = ''
                 WHERE state = 'sending' AND (owner = ? OR owner = '' OR lease_until IS NULL OR lease_until < ?)",
                params![self.server_id(), ts(now())],
            )
            .map_err(backend)?;
        Ok(n)
    }
}

impl ListReads for SqlStore {
    fn subscriber_by_token(&self, token: &str) -> StoreResult<Option<Subscriber>> {
        self.conn()?
            .query_row(
                &format!("SELECT {SUBSCRIBER} FROM subscribers WHERE token = ? AND unsubscribed_at IS NULL"),
                params![token],
                subscriber,
            )
            .optional()
            .map_err(backend)
    }
    fn confirmed_subscribers(&self, lang: &Language, topic: Topic) -> StoreResult<Vec<Subscriber>> {
        let conn = self.conn()?;
        let mut stmt = conn
            .prepare(&format!(
                "SELECT {SUBSCRIBER} FROM subscribers WHERE lang = ? AND confirmed_at IS NOT NULL
                 AND unsubscribed_at IS NULL AND bounces < {BOUNCING} AND (',' || topics || ',') LIKE ? ORDER BY id"
            ))
            .map_err(backend)?;
        let rows =
            stmt.query_map(params![lang.as_str(), format!("%,{},%", topic.as_str())], subscriber).map_err(backend)?;
        rows.collect::<Result<_, _>>().map_err(backend)
    }
    fn newsletter(&self, id: i64) -> StoreResult<Option<Newsletter>> {
        self.conn()?
            .query_row(&format!("SELECT {NEWSLETTER} FROM newsletters WHERE id = ?"), params![id], newsletter)
            .optional()
            .map_err(backend)
    }
}

impl MailStore for SqlStore {
    fn subscribe(
        &self,
        email: &str,
        lang: &Language,
        topics: &[String],
        token: &str,
        source: &str,
    ) -> StoreResult<Subscriber> {
        subscribe_in(&self.conn()?, email, lang, topics, token, source)
    }

    fn claim_confirmation(&self, subscriber_id: i64, every: time::Duration) -> StoreResult<bool> {
        claim_in(&self.conn()?, subscriber_id, every)
    }

    fn request_subscription(
        &self,
        request: &SubscriptionRequest<'_>,
        confirmation: &dyn Fn(&Subscriber) -> Confirmation,
    ) -> StoreResult<Option<Subscriber>> {
        let conn = self.conn()?;
        let tx = conn.transaction().map_err(backend)?;
        let r = request;
        let sub = subscribe_in(&tx, r.email, r.lang, r.topics, r.token, r.source)?;
        if sub.confirmed || !claim_in(&tx, sub.id, r.every)? {
            tx.commit().map_err(backend)?;
            return Ok(None);
        }
        let mail = confirmation(&sub);
        let queued = NewMail {
            dedupe: &mail.dedupe,
            kind: MailKind::Confirm,
            lang: r.lang.as_str(),
            recipient: &sub.email,
            subject: &mail.subject,
            body: &mail.body,
            unsubscribe: "",
        };
        enqueue_in(&tx, &queued)?;
        tx.commit().map_err(backend)?;
        Ok(Some(sub))
    }

    fn confirm_subscription(&self, token: &str) -> StoreResult<Option<Subscriber>> {
        let conn = self.conn()?;
        let week_ago = ts(now() - time::Duration::days(7));
        conn.execute(
            "UPDATE subscribers SET confirmed_at = ?
             WHERE token = ? AND confirmed_at IS NULL AND unsubscribed_at IS NULL
               AND coalesce(confirm_sent_at, created_at) >= ?",
            params![ts(now()), token, week_ago],
        )
        .map_err(backend)?;
        conn.query_row(
            &format!(
                "SELECT {SUBSCRIBER} FROM subscribers
                 WHERE token = ? AND confirmed_at IS NOT NULL AND unsubscribed_at IS NULL"
            ),
            params![token],
            subscriber,
        )
        .optional()
        .map_err(backend)
    }

    fn unsubscribe(&self, token: &str) -> StoreResult<bool> {
        let conn = self.conn()?;
        let tx = conn.transaction().map_err(backend)?;
        let email: Option<String> = tx
            .query_row(
                "UPDATE subscribers SET unsubscribed_at = ? WHERE token = ? AND unsubscribed_at IS NULL RETURNING email",
                params![ts(now()), token],
                |r| r.get(0),
            )
            .optional()
            .map_err(backend)?;
        if let Some(email) = &email {
            crate::subscribers::suppress(&tx, email)?;
        }
        tx.commit().map_err(backend)?;
        Ok(email.is_some())
    }

    fn set_topics(&self, token: &str, topics: &[String]) -> StoreResult<bool> {
        let n = self
            .conn()?
            .execute(
                "UPDATE subscribers SET topics = ? WHERE token = ? AND unsubscribed_at IS NULL",
                params![topics.join(","), token],
            )
            .map_err(backend)?;
        Ok(n > 0)
    }

    fn count_bounce(&self, email: &str) -> StoreResult<u32> {
        let conn = self.conn()?;
        conn.execute(
            "UPDATE subscribers SET bounces = bounces + 1 WHERE email = ? AND unsubscribed_at IS NULL",
            params![email],
        )
        .map_err(backend)?;
        let n: Option<u32> = conn
            .query_row("SELECT max(bounces) FROM subscribers WHERE email = ?", params![email], |r| r.get(0))
            .map_err(backend)?;
        Ok(n.unwrap_or(0))
    }

    fn save_newsletter(
        &self,
        id: Option<i64>,
        lang: &Language,
        topic: Topic,
        title: &str,
        body: &str,
    ) -> StoreResult<Newsletter> {
        if title.trim().is_empty() {
            return Err(StoreError::Invalid("the newsletter needs a title".into()));
        }
        let conn = self.conn()?;
        let tx = conn.transaction().map_err(backend)?;
        let id = match id {
            Some(id) => {
                let n = tx
                    .execute(
                        "UPDATE newsletters SET topic = ?, title = ?, body = ? WHERE id = ? AND sent_at IS NULL",
                        params![topic.as_str(), title.trim(), body, id],
                    )
                    .map_err(backend)?;
                if n == 0 {
                    return Err(StoreError::Conflict("a sent newsletter cannot be changed".into()));
                }
                id
            }
            None => {
                tx.insert(
                    "INSERT INTO newsletters (lang, number, topic, title, body, created_at)
                     VALUES (?1, (SELECT COALESCE(max(number), 0) + 1 FROM newsletters WHERE lang = ?1), ?2, ?3, ?4, ?5)",
                    params![lang.as_str(), topic.as_str(), title.trim(), body, ts(now())],
                )
                .map_err(backend)?
            }
        };
        let saved = tx
            .query_row(&format!("SELECT {NEWSLETTER} FROM newsletters WHERE id = ?"), params![id], newsletter)
            .map_err(backend)?;
        crate::names::record(&tx, &format!("newsletter:{id}"), &[title, body], false).map_err(backend)?;
        tx.commit().map_err(backend)?;
        Ok(saved)
    }

    fn mark_newsletter_sent(&self, id: i64) -> StoreResult<()> {
        self.conn()?
            .execute("UPDATE newsletters SET sent_at = ? WHERE id = ? AND sent_at IS NULL", params![ts(now()), id])
            .map_err(backend)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
