//! `MessageStore` over SQLite. Deleted messages are overwritten on disk
//! (`PRAGMA secure_delete`, set when the database is opened).

use refuge_core::MessageReads;
use std::sync::atomic::Ordering;

use crate::sql::{Handle, Optional, params};
use refuge_core::store::StoreResult;
use refuge_core::{Erasure, MessageMeta, MessageStore, StoreError};

use crate::db::{SqlStore, backend, now, parse_ts, ts};

impl MessageReads for SqlStore {
    fn unhandled_count(&self) -> StoreResult<u32> {
        self.conn()?
            .query_row("SELECT count(*) FROM messages WHERE handled = 0", params![], |r| r.get(0))
            .map_err(backend)
    }
    fn messages(&self, offset: u32, limit: u32) -> StoreResult<(Vec<MessageMeta>, u32)> {
        let conn = self.conn()?;
        let total: u32 = conn.query_row("SELECT count(*) FROM messages", params![], |r| r.get(0)).map_err(backend)?;
        let mut stmt = conn
            .prepare(
                "SELECT id, received_at, size, category, lang, handled FROM messages ORDER BY id DESC LIMIT ? OFFSET ?",
            )
            .map_err(backend)?;
        let rows = stmt
            .query_map(params![limit, offset], |r| {
                let at: String = r.get(1)?;
                Ok(MessageMeta {
                    id: r.get(0)?,
                    received_at: parse_ts(&at)?,
                    size: r.get::<i64>(2)?.unsigned_abs(),
                    category: r.get(3)?,
                    lang: r.get(4)?,
                    handled: r.get(5)?,
                })
            })
            .map_err(backend)?;
        Ok((rows.collect::<Result<_, _>>().map_err(backend)?, total))
    }
    fn sealed_message(&self, id: i64) -> StoreResult<Option<Vec<u8>>> {
        self.conn()?
            .query_row("SELECT sealed FROM messages WHERE id = ?", params![id], |r| r.get(0))
            .optional()
            .map_err(backend)
    }
}

impl MessageStore for SqlStore {
    fn add_message(&self, category: &str, lang: &str, sealed: &[u8]) -> StoreResult<i64> {
        let conn = self.conn()?;
        conn.insert(
            "INSERT INTO messages (received_at, size, category, lang, sealed) VALUES (?, ?, ?, ?, ?)",
            params![ts(now()), sealed.len() as i64, category, lang, sealed],
        )
        .map_err(backend)
    }

    fn set_handled(&self, id: i64, handled: bool) -> StoreResult<()> {
        let n = self
            .conn()?
            .execute("UPDATE messages SET handled = ? WHERE id = ?", params![handled, id])
            .map_err(backend)?;
        if n == 0 { Err(StoreError::NotFound(format!("message {id}"))) } else { Ok(()) }
    }

    fn delete_message(&self, id: i64) -> StoreResult<Erasure> {
        let conn = self.conn()?;
        let n = conn.execute("DELETE FROM messages WHERE id = ?", params![id]).map_err(backend)?;
        if n == 0 {
            return Err(StoreError::NotFound(format!("message {id}")));
        }
        // Fold the WAL into the database so the overwritten pages are all
        // that remains.
        Ok(fold(self, &conn))
    }

    fn purge_handled_messages(&self, before: time::OffsetDateTime) -> StoreResult<u64> {
        let conn = self.conn()?;
        let n = conn
            .execute("DELETE FROM messages WHERE handled = 1 AND received_at < ?", params![ts(before)])
            .map_err(backend)?;
        if n > 0 {
            fold(self, &conn);
        }
        Ok(n)
    }

    fn fold_if_pending(&self) -> StoreResult<bool> {
        if !self.fold_pending.load(Ordering::Acquire) {
            return Ok(true);
        }
        let conn = self.conn()?;
        Ok(fold(self, &conn) == Erasure::Complete)
    }
}

/// Folds the write-ahead log in after deleting what must leave no copy;
/// what is left. When it cannot (a reader, such as a backup, holds the
/// log; or the database failed) it says so in the log, and the store
/// folds again at the next [`MessageStore::fold_if_pending`].
pub(crate) fn fold(store: &SqlStore, conn: &Handle<'_>) -> Erasure {
    let done = match conn.fold_deleted() {
        Ok(done) => done,
        Err(e) => {
            tracing::error!(error = %e, "the write-ahead log could not be folded in");
            false
        }
    };
    store.fold_pending.store(!done, Ordering::Release);
    if done {
        Erasure::Complete
    } else {
        tracing::warn!(
            "deleted data stays in the write-ahead log until it can be folded in (a reader holds it); housekeeping \
             folds it again"
        );
        Erasure::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_handled_messages_older_than_the_cutoff_are_purged() {
        for db in crate::testing::each_engine() {
            let store = &db.store;
            let old_handled = store.add_message("help", "en", b"sealed-1").unwrap();
            let old_open = store.add_message("help", "en", b"sealed-2").unwrap();
            store.set_handled(old_handled, true).unwrap();
            // Nothing handled arrived before a cutoff in the past.
            let past = now() - time::Duration::days(1);
            assert_eq!(store.purge_handled_messages(past).unwrap(), 0);
            let later = now() + time::Duration::seconds(5);
            assert_eq!(store.purge_handled_messages(later).unwrap(), 1);
            assert!(store.sealed_message(old_handled).unwrap().is_none());
            assert!(store.sealed_message(old_open).unwrap().is_some(), "unhandled messages are kept");
        }
    }

    fn holds(path: &std::path::Path, needle: &[u8]) -> bool {
        std::fs::read(path).is_ok_and(|bytes| bytes.windows(needle.len()).any(|w| w == needle))
    }

    /// A reader holding the write-ahead log (a backup) keeps a deleted
    /// message's old pages in it: the deletion says so (it said nothing,
    /// its fold's result dropped), and the next fold removes them.
    #[test]
    fn a_fold_a_reader_blocks_is_reported_and_done_later() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.db");
        let store = SqlStore::open(&path).unwrap();
        let wal = dir.path().join("m.db-wal");
        let marker = b"SEALED-MARKER-5f1e";
        let id = store.add_message("help", "en", marker).unwrap();
        // A backup reading from before the deletion.
        let reader = rusqlite::Connection::open(&path).unwrap();
        reader.execute_batch("BEGIN; SELECT count(*) FROM messages;").unwrap();
        assert_eq!(store.delete_message(id).unwrap(), Erasure::Pending);
        assert!(holds(&wal, marker), "the old copy is still in the log");
        assert!(!store.fold_if_pending().unwrap(), "still held");
        reader.execute_batch("COMMIT;").unwrap();
        assert!(store.fold_if_pending().unwrap());
        assert!(!holds(&wal, marker) && !holds(&path, marker), "no copy left");
        let other = store.add_message("help", "en", b"sealed-2").unwrap();
        assert_eq!(store.delete_message(other).unwrap(), Erasure::Complete);
    }
}
