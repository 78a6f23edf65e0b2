//! `SignInThrottle`: failed sign-ins in `sign_in_failures` (migration
//! 017); `ClientLimits`: token buckets in `rate_buckets` (migration 020).

use refuge_core::store::{ClientLimits, SignInThrottle, StoreResult};

use crate::db::{SqlStore, backend};
use crate::sql::{Optional, list, params};

impl SignInThrottle for SqlStore {
    fn sign_in_wait(&self, keys: &[String], now: i64) -> StoreResult<Option<u64>> {
        if keys.is_empty() {
            return Ok(None);
        }
        let marks = vec!["?"; keys.len()].join(", ");
        let until: Option<i64> = self
            .conn()?
            .query_row(
                &format!("SELECT max(locked_until) FROM sign_in_failures WHERE key IN ({marks})"),
                &list(keys),
                |r| r.get(0),
            )
            .map_err(backend)?;
        Ok(until.filter(|u| *u > now).map(|u| (u - now).unsigned_abs() + 1))
    }

    fn sign_in_failed(&self, keys: &[String], now: i64, free: u32, max: u64) -> StoreResult<()> {
        let conn = self.conn()?;
        let tx = conn.transaction().map_err(backend)?;
        for key in keys {
            // One statement counts, so two servers counting at once both count.
            let failures: i64 = tx
                .query_row(
                    "INSERT INTO sign_in_failures (key, failures, last_at) VALUES (?, 1, ?)
                     ON CONFLICT (key) DO UPDATE SET failures = sign_in_failures.failures + 1, last_at = excluded.last_at
                     RETURNING failures",
                    params![key, now],
                    |r| r.get(0),
                )
                .map_err(backend)?;
            let over = u32::try_from(failures).unwrap_or(u32::MAX).saturating_sub(free);
            if over > 0 {
                let wait = 2u64.saturating_pow(over.min(20)).min(max);
                tx.execute(
                    "UPDATE sign_in_failures SET locked_until = ? WHERE key = ?",
                    params![now.saturating_add(i64::try_from(wait).unwrap_or(i64::MAX)), key],
                )
                .map_err(backend)?;
            }
        }
        tx.commit().map_err(backend)
    }

    fn sign_in_succeeded(&self, keys: &[String]) -> StoreResult<()> {
        if keys.is_empty() {
            return Ok(());
        }
        let marks = vec!["?"; keys.len()].join(", ");
        self.conn()?
            .execute(&format!("DELETE FROM sign_in_failures WHERE key IN ({marks})"), &list(keys))
            .map_err(backend)?;
        Ok(())
    }

    fn purge_sign_in_failures(&self, before: i64) -> StoreResult<u64> {
        self.conn()?
            .execute(
                "DELETE FROM sign_in_failures WHERE last_at < ? AND coalesce(locked_until, 0) < ?",
                params![before, before],
            )
            .map_err(backend)
    }
}

impl ClientLimits for SqlStore {
    fn take_token(&self, key: &str, burst: f64, per_second: f64, now: f64) -> StoreResult<bool> {
        // One statement refills and takes, so two servers taking at once
        // both count; with no token left the row is left as it was.
        // (Numbers as DOUBLE PRECISION: PostgreSQL would read `?2 - 1` as
        // whole numbers.)
        const REFILLED: &str = "(CASE WHEN rate_buckets.tokens + (CAST(?4 AS DOUBLE PRECISION) - rate_buckets.at)
                       * CAST(?3 AS DOUBLE PRECISION) < CAST(?2 AS DOUBLE PRECISION)
                   THEN rate_buckets.tokens + (CAST(?4 AS DOUBLE PRECISION) - rate_buckets.at)
                       * CAST(?3 AS DOUBLE PRECISION)
                   ELSE CAST(?2 AS DOUBLE PRECISION) END)";
        let taken = self
            .conn()?
            .query_row(
                &format!(
                    "INSERT INTO rate_buckets (key, tokens, at)
                     VALUES (?1, CAST(?2 AS DOUBLE PRECISION) - 1, CAST(?4 AS DOUBLE PRECISION))
                     ON CONFLICT (key) DO UPDATE SET tokens = {REFILLED} - 1, at = CAST(?4 AS DOUBLE PRECISION)
                     WHERE {REFILLED} >= 1
                     RETURNING tokens"
                ),
                params![key, burst, per_second, now],
                |r| r.get::<f64>(0),
            )
            .optional()
            .map_err(backend)?;
        Ok(taken.is_some())
    }

    fn spend_once(&self, key: &str, until: i64) -> StoreResult<bool> {
        let n = self
            .conn()?
            .execute(
                "INSERT INTO spent_form_tokens (hash, until) VALUES (?, ?) ON CONFLICT (hash) DO NOTHING",
                params![key, until],
            )
            .map_err(backend)?;
        Ok(n == 1)
    }

    fn purge_spent(&self, now: i64) -> StoreResult<u64> {
        self.conn()?.execute("DELETE FROM spent_form_tokens WHERE until < ?", params![now]).map_err(backend)
    }

    fn purge_tokens(&self, before: f64) -> StoreResult<u64> {
        self.conn()?
            .execute("DELETE FROM rate_buckets WHERE at < CAST(? AS DOUBLE PRECISION)", params![before])
            .map_err(backend)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_lock_after_the_free_ones_for_every_connection() {
        for db in crate::testing::each_engine() {
            let (s, other) = (&db.store, db.reopen());
            let keys = vec!["account:a".to_owned(), "client:b".to_owned()];
            for n in 0..4 {
                // Counted by two connections in turn, as two servers would.
                let by = if n % 2 == 0 { s } else { &other };
                by.sign_in_failed(&keys, 1000, 4, 900).unwrap();
            }
            assert_eq!(s.sign_in_wait(&keys, 1000).unwrap(), None, "four are free");
            other.sign_in_failed(&keys, 1000, 4, 900).unwrap();
            assert_eq!(s.sign_in_wait(&keys, 1000).unwrap(), Some(3), "the fifth locks for 2 s");
            assert_eq!(s.sign_in_wait(&["client:b".to_owned()], 1000).unwrap(), Some(3));
            assert_eq!(s.sign_in_wait(&keys, 1002).unwrap(), None, "and then the wait is over");
            for _ in 0..30 {
                s.sign_in_failed(&keys, 1002, 4, 900).unwrap();
            }
            assert_eq!(other.sign_in_wait(&keys, 1002).unwrap(), Some(901), "never more than the longest");
            assert_eq!(s.purge_sign_in_failures(1003).unwrap(), 0, "a locked key is kept");
            s.sign_in_succeeded(&keys).unwrap();
            assert_eq!(other.sign_in_wait(&keys, 1002).unwrap(), None);
            s.sign_in_failed(&keys, 2000, 4, 900).unwrap();
            assert_eq!(s.purge_sign_in_failures(3000).unwrap(), 2);
        }
    }

    #[test]
    fn a_bucket_is_shared_by_every_connection() {
        for db in crate::testing::each_engine() {
            let (a, b) = (&db.store, db.reopen());
            // A burst of three, one a minute, taken through two servers.
            let take = |s: &SqlStore, now: f64| s.take_token("client:x", 3.0, 1.0 / 60.0, now).unwrap();
            assert!(take(a, 1000.0));
            assert!(take(&b, 1000.0));
            assert!(take(a, 1000.0));
            assert!(!take(&b, 1000.0), "the burst is spent, whichever server is asked");
            assert!(!take(a, 1030.0), "half a token after 30 s");
            assert!(take(&b, 1060.0), "one after a minute");
            assert!(a.take_token("client:y", 3.0, 1.0 / 60.0, 1060.0).unwrap(), "each client its own");
            assert_eq!(a.purge_tokens(1061.0).unwrap(), 2);
        }
    }
}
