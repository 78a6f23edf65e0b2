//! `SignInThrottle`: failed sign-ins in `sign_in_failures` (migration 017).

use refuge_core::store::{SignInThrottle, StoreResult};

use crate::db::{SqlStore, backend};
use crate::sql::{list, params};

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
}
