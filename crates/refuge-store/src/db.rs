//! Opening the database and running migrations.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use refuge_core::StoreError;
use rusqlite::{Connection, OpenFlags};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Migrations in order; the schema version is their count.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/001_content.sql"),
    include_str!("migrations/002_backoffice.sql"),
    include_str!("migrations/003_media.sql"),
    include_str!("migrations/004_appeals.sql"),
    include_str!("migrations/005_inbox.sql"),
    include_str!("migrations/006_mail.sql"),
    include_str!("migrations/007_newsletters.sql"),
    include_str!("migrations/008_redirects.sql"),
    include_str!("migrations/009_news_order.sql"),
    include_str!("migrations/010_item_versions.sql"),
    include_str!("migrations/011_security.sql"),
    include_str!("migrations/012_mail.sql"),
    include_str!("migrations/013_subscribers.sql"),
    include_str!("migrations/014_editorial.sql"),
    include_str!("migrations/015_admin_lists.sql"),
    include_str!("migrations/016_changes.sql"),
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Why the database could not be opened. Each message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error(
        "{path} is not a Refuge database or is damaged (SQLite says: {detail}). Nothing was changed. \
         Restore it from a backup with `refuge restore FILE`, or move it away to start afresh."
    )]
    Damaged { path: PathBuf, detail: String },
    #[error(
        "{path} was written by a newer Refuge (schema version {found}; this program knows up to {supported}). \
         Nothing was changed. Run the newer Refuge, or restore a backup made with this version."
    )]
    Newer { path: PathBuf, found: i64, supported: i64 },
    #[error("cannot open {path}: {detail}")]
    Io { path: PathBuf, detail: String },
}

/// The SQLite store. One connection behind a mutex: pages are rendered
/// once and served from memory, so the database sees few reads.
pub struct SqliteStore {
    conn: Mutex<Connection>,
    path: PathBuf,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore").field("path", &self.path).finish()
    }
}

impl SqliteStore {
    /// Opens (creating if missing) the database at `path` and brings its
    /// schema up to date. A damaged file or one from a newer version is
    /// refused and left untouched.
    pub fn open(path: &Path) -> Result<Self, OpenError> {
        let io = |e: rusqlite::Error| OpenError::Io { path: path.to_owned(), detail: e.to_string() };
        let damaged = |e: rusqlite::Error| OpenError::Damaged { path: path.to_owned(), detail: e.to_string() };
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(io)?;
        conn.busy_timeout(std::time::Duration::from_secs(5)).map_err(io)?;

        // Reading the schema version is the first thing that touches the
        // file's contents: a non-database fails here, before any write.
        let found: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(damaged)?;
        if found > SCHEMA_VERSION {
            return Err(OpenError::Newer { path: path.to_owned(), found, supported: SCHEMA_VERSION });
        }
        let check: String = conn.query_row("PRAGMA quick_check(1)", [], |r| r.get(0)).map_err(damaged)?;
        if check != "ok" {
            return Err(OpenError::Damaged { path: path.to_owned(), detail: check });
        }
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY;
             PRAGMA secure_delete = ON; PRAGMA cache_size = -32768;",
        )
        .map_err(damaged)?;
        let mut store = Self { conn: Mutex::new(conn), path: path.to_owned() };
        store.migrate(found).map_err(|e| OpenError::Damaged { path: path.to_owned(), detail: e.to_string() })?;
        Ok(store)
    }

    fn migrate(&mut self, from: i64) -> rusqlite::Result<()> {
        let conn = self.conn.get_mut().unwrap_or_else(|p| p.into_inner());
        for (index, sql) in MIGRATIONS.iter().enumerate().skip(from as usize) {
            let version = index as i64 + 1;
            let tx = conn.transaction()?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", version)?;
            tx.commit()?;
            tracing::info!(version, "database schema migrated");
        }
        Ok(())
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves the connection usable:
        // SQLite rolls back any open transaction when it is dropped.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }
}

pub(crate) fn backend(e: rusqlite::Error) -> StoreError {
    if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DiskFull) {
        StoreError::Full(e.to_string())
    } else {
        StoreError::Backend(e.to_string())
    }
}

/// Timestamps are stored as RFC 3339 UTC text with whole seconds, which
/// sorts correctly as text.
pub(crate) fn ts(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC).replace_nanosecond(0).unwrap_or(t);
    t.format(&Rfc3339).unwrap_or_default()
}

pub(crate) fn parse_ts(text: &str) -> rusqlite::Result<OffsetDateTime> {
    OffsetDateTime::parse(text, &Rfc3339)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e)))
}

pub(crate) fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

/// Writes a consistent copy of the database at `db_path` to `out` (which
/// must not exist) with `VACUUM INTO`, while other connections keep
/// reading and writing.
pub fn snapshot(db_path: &Path, out: &Path) -> Result<(), OpenError> {
    let fail = |e: rusqlite::Error| OpenError::Io { path: db_path.to_owned(), detail: format!("snapshot failed: {e}") };
    let conn =
        rusqlite::Connection::open_with_flags(db_path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(fail)?;
    conn.busy_timeout(std::time::Duration::from_secs(30)).map_err(fail)?;
    conn.execute("VACUUM INTO ?", [out.to_string_lossy()]).map_err(fail)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_and_reopens() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("refuge.db");
        drop(SqliteStore::open(&path).unwrap());
        let store = SqliteStore::open(&path).unwrap();
        let v: i64 = store.conn().query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!(v, SCHEMA_VERSION);
    }

    #[test]
    fn refuses_garbage_without_touching_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("refuge.db");
        let garbage = b"this is not a database, it is a shopping list\n".repeat(200);
        std::fs::write(&path, &garbage).unwrap();
        let err = SqliteStore::open(&path).unwrap_err();
        assert!(matches!(err, OpenError::Damaged { .. }), "{err}");
        assert!(err.to_string().contains("refuge restore"), "{err}");
        assert_eq!(std::fs::read(&path).unwrap(), garbage);
    }

    #[test]
    fn refuses_newer_schema() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("refuge.db");
        {
            let c = Connection::open(&path).unwrap();
            c.pragma_update(None, "user_version", SCHEMA_VERSION + 5).unwrap();
        }
        let before = std::fs::read(&path).unwrap();
        let err = SqliteStore::open(&path).unwrap_err();
        assert!(matches!(err, OpenError::Newer { found, .. } if found == SCHEMA_VERSION + 5), "{err}");
        assert_eq!(std::fs::read(&path).unwrap(), before);
    }

    #[test]
    fn timestamps_round_trip_and_sort() {
        let a = time::macros::datetime!(2002-07-20 09:30:00.123 UTC);
        let b = time::macros::datetime!(2010-01-02 00:00:00 +09:00);
        assert_eq!(ts(a), "2002-07-20T09:30:00Z");
        assert_eq!(ts(b), "2010-01-01T15:00:00Z");
        assert_eq!(parse_ts(&ts(b)).unwrap(), b);
        assert!(ts(a) < ts(b));
    }
}
