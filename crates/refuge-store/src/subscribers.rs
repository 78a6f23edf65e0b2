//! `SubscriberStore` over SQLite: counts, search, removal with a
//! suppression list of salted hashes, import, export and housekeeping.

use crate::sql::{DbResult, Handle, Optional, Row, params};
use refuge_core::SubscriberReads;
use refuge_core::store::StoreResult;
use refuge_core::{
    BOUNCING, ImportOutcome, ImportedSubscriber, Language, StoreError, Subscriber, SubscriberCount, SubscriberRecord,
    SubscriberState, SubscriberStore,
};
use time::OffsetDateTime;

use crate::db::{SqlStore, backend, now, parse_ts, ts};

/// The state of a row, in SQL.
const STATE: &str = "CASE WHEN unsubscribed_at IS NOT NULL THEN 'unsubscribed'
    WHEN confirmed_at IS NULL THEN 'waiting'
    WHEN bounces >= 3 THEN 'bouncing' ELSE 'confirmed' END";

fn columns() -> String {
    format!("id, email, lang, topics, ({STATE}), source, created_at, confirmed_at, last_sent_at, bounces")
}

fn record(r: &Row<'_>) -> DbResult<SubscriberRecord> {
    let topics: String = r.get(3)?;
    let state: String = r.get(4)?;
    let time = |i: usize| -> DbResult<Option<OffsetDateTime>> {
        r.get::<Option<String>>(i)?.as_deref().map(parse_ts).transpose()
    };
    Ok(SubscriberRecord {
        id: r.get(0)?,
        email: r.get(1)?,
        lang: r.get(2)?,
        topics: topics.split(',').filter(|t| !t.is_empty()).map(str::to_owned).collect(),
        state: SubscriberState::parse(&state).unwrap_or(SubscriberState::Waiting),
        source: r.get(5)?,
        joined_at: time(6)?.unwrap_or(OffsetDateTime::UNIX_EPOCH),
        confirmed_at: time(7)?,
        last_sent_at: time(8)?,
        bounces: r.get(9)?,
    })
}

/// A `Subscriber` from `id, email, lang, topics, token, confirmed, bounces`.
pub(crate) fn subscription(r: &Row<'_>) -> DbResult<Subscriber> {
    let topics: String = r.get(3)?;
    Ok(Subscriber {
        id: r.get(0)?,
        email: r.get(1)?,
        lang: r.get(2)?,
        topics: topics.split(',').filter(|t| !t.is_empty()).map(str::to_owned).collect(),
        token: r.get(4)?,
        confirmed: r.get(5)?,
        bounces: r.get(6)?,
    })
}

/// The site's salt for the suppression list.
fn salt(conn: &Handle<'_>) -> StoreResult<String> {
    conn.query_row("SELECT value FROM settings WHERE key = 'suppression_salt' AND lang = ''", params![], |r| r.get(0))
        .optional()
        .map_err(backend)?
        .ok_or_else(|| StoreError::Backend("the suppression list has no salt".into()))
}

fn hash_with(salt: &str, email: &str) -> String {
    refuge_core::digest::sha256_hex(format!("{salt}:{}", email.trim().to_lowercase()).as_bytes())
}

/// The salted hash an address is kept as on the suppression list.
fn address_hash(conn: &Handle<'_>, email: &str) -> StoreResult<String> {
    Ok(hash_with(&salt(conn)?, email))
}

/// Puts `email` on the suppression list (as a salted hash).
pub(crate) fn suppress(conn: &Handle<'_>, email: &str) -> StoreResult<()> {
    let hash = address_hash(conn, email)?;
    conn.execute("INSERT INTO suppressed (hash, at) VALUES (?, ?) ON CONFLICT DO NOTHING", params![hash, ts(now())])
        .map_err(backend)?;
    Ok(())
}

fn suppressed(conn: &Handle<'_>, email: &str) -> StoreResult<bool> {
    let hash = address_hash(conn, email)?;
    conn.query_row("SELECT 1 FROM suppressed WHERE hash = ?", params![hash], |_| Ok(()))
        .optional()
        .map(|found| found.is_some())
        .map_err(backend)
}

fn like_escape(text: &str) -> String {
    text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

impl SubscriberReads for SqlStore {
    fn subscriber_counts(&self) -> StoreResult<Vec<SubscriberCount>> {
        let conn = self.conn()?;
        let mut stmt = conn
            .prepare(&format!("SELECT lang, topics, ({STATE}), count(*) FROM subscribers GROUP BY 1, 2, 3"))
            .map_err(backend)?;
        let rows = stmt
            .query_map(params![], |r| {
                Ok((r.get::<String>(0)?, r.get::<String>(1)?, r.get::<String>(2)?, r.get::<i64>(3)?))
            })
            .map_err(backend)?;
        let mut counts: Vec<SubscriberCount> = Vec::new();
        for row in rows {
            let (lang, topics, state, n) = row.map_err(backend)?;
            let n = n.unsigned_abs();
            let state = SubscriberState::parse(&state).unwrap_or(SubscriberState::Waiting);
            for topic in topics.split(',').filter(|t| !t.is_empty()) {
                match counts.iter_mut().find(|c| c.lang == lang && c.topic == topic && c.state == state) {
                    Some(c) => c.count += n,
                    None => {
                        counts.push(SubscriberCount { lang: lang.clone(), topic: topic.to_owned(), state, count: n })
                    }
                }
            }
        }
        counts.sort_by(|a, b| (&a.lang, &a.topic, a.state).cmp(&(&b.lang, &b.topic, b.state)));
        Ok(counts)
    }
    fn find_subscribers(&self, query: &str, limit: u32) -> StoreResult<Vec<SubscriberRecord>> {
        let conn = self.conn()?;
        let mut stmt = conn
            .prepare(&format!(
                "SELECT {} FROM subscribers WHERE email LIKE ? ESCAPE '\\' ORDER BY email, lang LIMIT ?",
                columns()
            ))
            .map_err(backend)?;
        let pattern = format!("%{}%", like_escape(query.trim()));
        let rows = stmt.query_map(params![pattern, limit], record).map_err(backend)?;
        rows.collect::<Result<_, _>>().map_err(backend)
    }
    fn subscriber_record(&self, id: i64) -> StoreResult<Option<SubscriberRecord>> {
        self.conn()?
            .query_row(&format!("SELECT {} FROM subscribers WHERE id = ?", columns()), params![id], record)
            .optional()
            .map_err(backend)
    }
    fn export_subscribers(
        &self,
        lang: Option<&Language>,
        topic: Option<&str>,
        state: Option<SubscriberState>,
    ) -> StoreResult<Vec<SubscriberRecord>> {
        let conn = self.conn()?;
        let mut stmt = conn
            .prepare(&format!(
                "SELECT {} FROM subscribers
                 WHERE (CAST(?1 AS TEXT) IS NULL OR lang = ?1) AND (CAST(?2 AS TEXT) IS NULL OR (',' || topics || ',') LIKE '%,' || ?2 || ',%')
                   AND (CAST(?3 AS TEXT) IS NULL OR ({STATE}) = ?3)
                 ORDER BY email, lang",
                columns()
            ))
            .map_err(backend)?;
        let rows = stmt
            .query_map(params![lang.map(Language::as_str), topic, state.map(SubscriberState::as_str)], record)
            .map_err(backend)?;
        rows.collect::<Result<_, _>>().map_err(backend)
    }
    fn awaiting_first_confirmation(&self, limit: u32) -> StoreResult<Vec<Subscriber>> {
        let conn = self.conn()?;
        let mut stmt = conn
            .prepare(
                "SELECT id, email, lang, topics, token, 0, bounces FROM subscribers
                 WHERE source LIKE 'import:%' AND confirmed_at IS NULL AND unsubscribed_at IS NULL
                   AND confirm_sent_at IS NULL ORDER BY id LIMIT ?",
            )
            .map_err(backend)?;
        let rows = stmt.query_map(params![limit], subscription).map_err(backend)?;
        rows.collect::<Result<_, _>>().map_err(backend)
    }
    fn waiting_subscription(&self, id: i64) -> StoreResult<Option<Subscriber>> {
        self.conn()?
            .query_row(
                "SELECT id, email, lang, topics, token, 0, bounces FROM subscribers
                 WHERE id = ? AND confirmed_at IS NULL AND unsubscribed_at IS NULL",
                params![id],
                subscription,
            )
            .optional()
            .map_err(backend)
    }
    fn is_suppressed(&self, email: &str) -> StoreResult<bool> {
        suppressed(&self.conn()?, email)
    }
}

impl SubscriberStore for SqlStore {
    fn remove_address(&self, email: &str) -> StoreResult<u64> {
        let conn = self.conn()?;
        let tx = conn.transaction().map_err(backend)?;
        let n = tx.execute("DELETE FROM subscribers WHERE email = ?", params![email.trim()]).map_err(backend)?;
        suppress(&tx, email)?;
        tx.commit().map_err(backend)?;
        Ok(n)
    }

    fn set_subscriber_topics(&self, id: i64, topics: &[String]) -> StoreResult<bool> {
        let n = self
            .conn()?
            .execute("UPDATE subscribers SET topics = ? WHERE id = ?", params![topics.join(","), id])
            .map_err(backend)?;
        Ok(n > 0)
    }

    // Long on purpose: one transaction deciding each address's outcome in turn.
    fn import_subscribers(
        &self,
        entries: &[ImportedSubscriber],
        source: &str,
        confirmed: bool,
        token: &mut dyn FnMut() -> String,
    ) -> StoreResult<Vec<(ImportOutcome, Option<Subscriber>)>> {
        let conn = self.conn()?;
        let tx = conn.transaction().map_err(backend)?;
        let salt = salt(&tx)?;
        let source = format!("import: {source}");
        let mut out = Vec::with_capacity(entries.len());
        {
            let mut is_suppressed = tx.prepare("SELECT 1 FROM suppressed WHERE hash = ?").map_err(backend)?;
            let mut find = tx
                .prepare("SELECT id, topics, confirmed_at IS NOT NULL FROM subscribers WHERE email = ? AND lang = ?")
                .map_err(backend)?;
            let mut insert = tx
                .prepare(
                    "INSERT INTO subscribers (email, lang, topics, token, created_at, confirmed_at, source)
                     VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                )
                .map_err(backend)?;
            let mut update = tx
                .prepare(
                    "UPDATE subscribers SET topics = ?,
                        confirmed_at = CASE WHEN ? THEN ? ELSE confirmed_at END,
                        source = CASE WHEN ? THEN ? ELSE source END
                     WHERE id = ?",
                )
                .map_err(backend)?;
            let mut select = tx
                .prepare(
                    "SELECT id, email, lang, topics, token, confirmed_at IS NOT NULL, bounces FROM subscribers WHERE id = ?",
                )
                .map_err(backend)?;
            let stamp = ts(now());
            for entry in entries {
                let hash = hash_with(&salt, &entry.email);
                if is_suppressed.query_row(params![hash], |_| Ok(())).optional().map_err(backend)?.is_some() {
                    out.push((ImportOutcome::Suppressed, None));
                    continue;
                }
                let found: Option<(i64, String, bool)> = find
                    .query_row(params![entry.email, entry.lang.as_str()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                    .optional()
                    .map_err(backend)?;
                let (outcome, id) = match found {
                    None => {
                        let joined = entry.joined_at.map_or_else(|| stamp.clone(), ts);
                        let confirmed_at = confirmed.then(|| stamp.clone());
                        let id = insert
                            .query_row(
                                params![
                                    entry.email,
                                    entry.lang.as_str(),
                                    entry.topics.join(","),
                                    token(),
                                    joined,
                                    confirmed_at,
                                    source
                                ],
                                |r| r.get(0),
                            )
                            .map_err(backend)?;
                        (ImportOutcome::Added, id)
                    }
                    Some((id, topics, was_confirmed)) => {
                        let mut all: Vec<String> =
                            topics.split(',').filter(|t| !t.is_empty()).map(str::to_owned).collect();
                        let before = all.len();
                        for t in &entry.topics {
                            if !all.contains(t) {
                                all.push(t.clone());
                            }
                        }
                        let confirm_now = confirmed && !was_confirmed;
                        if all.len() == before && !confirm_now {
                            (ImportOutcome::Unchanged, id)
                        } else {
                            update
                                .execute(params![all.join(","), confirm_now, stamp, confirm_now, source, id])
                                .map_err(backend)?;
                            (ImportOutcome::Updated, id)
                        }
                    }
                };
                let sub = select.query_row(params![id], subscription).optional().map_err(backend)?;
                out.push((outcome, sub));
            }
        }
        tx.commit().map_err(backend)?;
        Ok(out)
    }

    fn purge_subscribers(&self, at: OffsetDateTime) -> StoreResult<u64> {
        let conn = self.conn()?;
        let n = conn
            .execute(
                "DELETE FROM subscribers
                 WHERE (confirmed_at IS NULL AND unsubscribed_at IS NULL
                        AND coalesce(confirm_sent_at, created_at) < ?1
                        AND NOT (source LIKE 'import:%' AND confirm_sent_at IS NULL))
                    OR (unsubscribed_at IS NOT NULL AND unsubscribed_at < ?2)",
                params![ts(at - time::Duration::days(7)), ts(at - time::Duration::days(30))],
            )
            .map_err(backend)?;
        Ok(n)
    }
}

const _: () = assert!(BOUNCING == 3, "STATE's SQL says 3");

#[cfg(test)]
mod tests {
    use refuge_core::MailStore;

    use super::*;

    fn entry(email: &str, lang: &str, topics: &[&str]) -> ImportedSubscriber {
        ImportedSubscriber {
            email: email.into(),
            lang: Language::parse(lang).unwrap(),
            topics: topics.iter().map(|t| (*t).to_owned()).collect(),
            joined_at: None,
        }
    }

    #[test]
    fn import_remove_suppress_and_purge() {
        for db in crate::testing::each_engine() {
            let s = &db.store;
            let a = entry("a@example.org", "ja", &["news"]);
            let one = |e: &ImportedSubscriber, t: &str| {
                let t = t.to_owned();
                s.import_subscribers(std::slice::from_ref(e), "old list", true, &mut || t.clone()).unwrap()[0].0
            };
            assert_eq!(one(&a, "t1"), ImportOutcome::Added);
            assert_eq!(one(&a, "t2"), ImportOutcome::Unchanged);
            let both = entry("A@example.org", "ja", &["news", "appeals"]);
            assert_eq!(one(&both, "t3"), ImportOutcome::Updated, "any case");
            let found = s.find_subscribers("EXAMPLE", 10).unwrap();
            assert_eq!(found.len(), 1);
            assert_eq!((found[0].state, found[0].source.as_str()), (SubscriberState::Confirmed, "import: old list"));
            assert_eq!(found[0].topics, ["news", "appeals"]);
            let counts = s.subscriber_counts().unwrap();
            assert_eq!(counts.iter().map(|c| c.count).sum::<u64>(), 2, "{counts:?}");

            assert_eq!(s.remove_address("a@example.org").unwrap(), 1);
            assert!(s.is_suppressed("A@Example.org").unwrap());
            assert_eq!(one(&a, "t4"), ImportOutcome::Suppressed);
            assert!(s.find_subscribers("a@", 10).unwrap().is_empty());
            let stored: Vec<String> = s
                .conn()
                .unwrap()
                .prepare("SELECT hash FROM suppressed")
                .unwrap()
                .query_map(params![], |r| r.get(0))
                .unwrap()
                .map(Result::unwrap)
                .collect();
            assert!(stored.iter().all(|h| h.len() == 64 && !h.contains("example")), "hashes only");

            // Unsubscribing keeps the row 30 days, suppressed; then it goes.
            let b =
                s.subscribe("b@example.org", &Language::parse("en").unwrap(), &["news".into()], "tb", "form").unwrap();
            s.confirm_subscription(&b.token).unwrap().unwrap();
            assert!(s.unsubscribe("tb").unwrap());
            let rows = s.export_subscribers(None, None, Some(SubscriberState::Unsubscribed)).unwrap();
            assert_eq!(rows.len(), 1);
            assert_eq!(s.purge_subscribers(now()).unwrap(), 0);
            assert_eq!(s.purge_subscribers(now() + time::Duration::days(31)).unwrap(), 1);
            assert!(s.is_suppressed("b@example.org").unwrap());
            // The person may sign up again by themselves.
            let again =
                s.subscribe("b@example.org", &Language::parse("en").unwrap(), &["news".into()], "tb2", "form").unwrap();
            assert!(!again.confirmed);
        }
    }
}
