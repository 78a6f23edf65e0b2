//! Opening the database and running migrations.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use refuge_core::StoreError;
use rusqlite::{Connection, OpenFlags};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::sql::pg::PgPool;
use crate::sql::{DbError, DbResult, Handle};

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
    include_str!("migrations/017_sign_in.sql"),
    include_str!("migrations/018_outbox_lease.sql"),
    include_str!("migrations/019_leases.sql"),
    include_str!("migrations/020_rate_buckets.sql"),
    include_str!("migrations/021_month_dates.sql"),
    include_str!("migrations/022_protected_names.sql"),
    include_str!("migrations/023_timeline_translations.sql"),
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
    #[error(
        "{url} is not a database address Refuge knows. Use postgres://USER:PASSWORD@HOST:PORT/DATABASE for \
         PostgreSQL, or sqlite:PATH (or no database_url at all) for the SQLite file in the data folder."
    )]
    Url { url: String },
    #[error(
        "cannot use the {what}: {detail}. Check that PostgreSQL is running and that database_url names \
         the right host, port, database, user and password."
    )]
    Unreachable { what: String, detail: String },
    #[error(
        "the {what} was written by a newer Refuge (schema version {found}; this program knows up to {supported}). \
         Nothing was changed. Run the newer Refuge on every server."
    )]
    NewerServer { what: String, found: i64, supported: i64 },
}

/// Migrations for PostgreSQL, by the schema version each brings the
/// database to. A new database starts at the whole schema of version 16;
/// every later version has a file for each engine.
const PG_MIGRATIONS: &[(i64, &str)] = &[
    (16, include_str!("migrations/postgres/016_schema.sql")),
    (17, include_str!("migrations/postgres/017_sign_in.sql")),
    (18, include_str!("migrations/postgres/018_outbox_lease.sql")),
    (19, include_str!("migrations/postgres/019_leases.sql")),
    (20, include_str!("migrations/postgres/020_rate_buckets.sql")),
    (21, include_str!("migrations/postgres/021_month_dates.sql")),
    (22, include_str!("migrations/postgres/022_protected_names.sql")),
    (23, include_str!("migrations/postgres/023_timeline_translations.sql")),
];

/// The key of the advisory lock two servers starting at once take, so
/// only one of them migrates.
const PG_MIGRATION_LOCK: i64 = 0x5245_4655_4745; // "REFUGE"

/// The store: every storage trait over one SQL database, either the
/// embedded SQLite file in the data folder or a PostgreSQL server.
///
/// SQLite: one connection behind a mutex (pages are rendered once and
/// served from memory, so the database sees few reads). PostgreSQL: a
/// small pool of connections (see `pg.rs`).
pub struct SqlStore {
    backend: Backend,
    /// Whether this opening created the schema (a new database).
    created: bool,
    /// This server's name in the outbox (see `set_server_id`).
    server_id: std::sync::OnceLock<String>,
    /// A deletion's write-ahead log could not be folded in yet.
    pub(crate) fold_pending: std::sync::atomic::AtomicBool,
}

enum Backend {
    Sqlite { conn: Mutex<Connection>, path: PathBuf },
    Postgres(Box<PgPool>),
}

impl std::fmt::Debug for SqlStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlStore").field("database", &self.describe()).finish()
    }
}

impl SqlStore {
    /// Opens the database `url` names: `postgres://…` (or
    /// `postgresql://…`) is a PostgreSQL server; `sqlite:PATH` or nothing
    /// is the SQLite file (`default_path` when no path is given).
    pub fn open_url(url: Option<&str>, default_path: &Path) -> Result<Self, OpenError> {
        match url.map(str::trim).filter(|u| !u.is_empty()) {
            Some(u) if u.starts_with("postgres://") || u.starts_with("postgresql://") => Self::connect(u),
            Some(u) if u.starts_with("sqlite:") => {
                let path = u.trim_start_matches("sqlite:").trim_start_matches("//");
                Self::open(if path.is_empty() { default_path } else { Path::new(path) })
            }
            Some(u) => Err(OpenError::Url { url: redact(u) }),
            None => Self::open(default_path),
        }
    }

    /// Opens (creating if missing) the database at `path` and brings its
    /// schema up to date. A damaged file or one from a newer version is
    /// refused and left untouched.
    pub fn open(path: &Path) -> Result<Self, OpenError> {
        let io = |e: rusqlite::Error| OpenError::Io { path: path.to_owned(), detail: e.to_string() };
        let damaged = |e: rusqlite::Error| OpenError::Damaged { path: path.to_owned(), detail: e.to_string() };
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut conn = Connection::open_with_flags(path, flags).map_err(io)?;
        // The database is this account's only (0600), before its
        // write-ahead log and shared-memory files are made (SQLite gives
        // them the database's mode).
        private(path);
        conn.busy_timeout(std::time::Duration::from_secs(5)).map_err(io)?;
        conn.set_prepared_statement_cache_capacity(128);

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
        for side in ["-wal", "-shm"] {
            let mut name = path.as_os_str().to_owned();
            name.push(side);
            private(Path::new(&name));
        }
        migrate_sqlite(&mut conn, found)
            .map_err(|e| OpenError::Damaged { path: path.to_owned(), detail: e.to_string() })?;
        let store = Self {
            backend: Backend::Sqlite { conn: Mutex::new(conn), path: path.to_owned() },
            created: found == 0,
            server_id: Default::default(),
            fold_pending: Default::default(),
        };
        store
            .handle()
            .and_then(|conn| crate::names::record_everything_once(&conn))
            .map_err(|e| OpenError::Io { path: path.to_owned(), detail: e.to_string() })?;
        Ok(store)
    }

    /// Connects to the PostgreSQL database at `url` and brings its schema
    /// up to date (one server at a time, under an advisory lock).
    pub fn connect(url: &str) -> Result<Self, OpenError> {
        let pool = PgPool::new(url).map_err(|e| OpenError::Url { url: format!("{} ({e})", redact(url)) })?;
        let mut store = Self {
            backend: Backend::Postgres(Box::new(pool)),
            created: false,
            server_id: Default::default(),
            fold_pending: Default::default(),
        };
        let unreachable = |e: DbError| OpenError::Unreachable { what: store.describe(), detail: e.to_string() };
        let conn =
            store.handle().map_err(|e| OpenError::Unreachable { what: store.describe(), detail: e.to_string() })?;
        let found = migrate_postgres(&conn).map_err(unreachable)?;
        if found <= SCHEMA_VERSION {
            crate::names::record_everything_once(&conn).map_err(unreachable)?;
        }
        drop(conn);
        if found > SCHEMA_VERSION {
            return Err(OpenError::NewerServer { what: store.describe(), found, supported: SCHEMA_VERSION });
        }
        store.created = found == 0;
        Ok(store)
    }

    /// Which database this is, for messages (never a password).
    pub fn describe(&self) -> String {
        match &self.backend {
            Backend::Sqlite { path, .. } => format!("SQLite file {}", path.display()),
            Backend::Postgres(pool) => format!("PostgreSQL {}", pool.describe()),
        }
    }

    /// The SQLite file, when the store is one.
    pub fn sqlite_path(&self) -> Option<&Path> {
        match &self.backend {
            Backend::Sqlite { path, .. } => Some(path),
            Backend::Postgres(_) => None,
        }
    }

    /// Whether this opening created the database's schema: a new, empty
    /// database.
    pub fn created(&self) -> bool {
        self.created
    }

    /// Names this server in the outbox: a mail it is sending carries the
    /// name, and after a restart it recovers only its own. Give the same
    /// name at every start (the server keeps it in its data folder); set
    /// once, before any mail is taken. Unset, a name is made for this
    /// process.
    pub fn set_server_id(&self, id: &str) {
        if self.server_id.set(id.to_owned()).is_err() {
            tracing::warn!("the server's outbox name was already set");
        }
    }

    pub(crate) fn server_id(&self) -> &str {
        self.server_id.get_or_init(|| refuge_core::secret::random_hex(8))
    }

    /// Whether this is a PostgreSQL database.
    pub fn is_postgres(&self) -> bool {
        matches!(self.backend, Backend::Postgres(_))
    }

    /// A connection to use now.
    pub(crate) fn handle(&self) -> DbResult<Handle<'_>> {
        match &self.backend {
            // A panic while holding the lock leaves the connection usable:
            // SQLite rolls back any open transaction when it is dropped.
            Backend::Sqlite { conn, .. } => Ok(Handle::Lite(conn.lock().unwrap_or_else(|p| p.into_inner()))),
            Backend::Postgres(pool) => Ok(Handle::Pg(pool.get()?)),
        }
    }

    /// A connection to use now, or the storage error that says why not.
    pub(crate) fn conn(&self) -> Result<Handle<'_>, StoreError> {
        self.handle().map_err(backend)
    }
}

/// Makes a database file this account's only, when it exists; a file
/// this account cannot change keeps its mode (said in the log).
fn private(path: &Path) {
    if path.exists()
        && let Err(e) = refuge_core::data_dir::make_private(path)
    {
        tracing::warn!(error = %e, file = %path.display(), "could not make the database file private (0600)");
    }
}

fn migrate_sqlite(conn: &mut Connection, from: i64) -> rusqlite::Result<()> {
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

/// Brings a PostgreSQL database up to date (unless it is newer than this
/// program); the version found.
fn migrate_postgres(conn: &Handle<'_>) -> DbResult<i64> {
    let tx = conn.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock(?)", crate::sql::params![PG_MIGRATION_LOCK])?;
    tx.batch("CREATE TABLE IF NOT EXISTS refuge_schema (version BIGINT NOT NULL)")?;
    let found: Option<i64> = tx.query_row("SELECT max(version) FROM refuge_schema", &[], |r| r.get(0))?;
    let found = found.unwrap_or(0);
    if found > SCHEMA_VERSION {
        return Ok(found);
    }
    for (version, sql) in PG_MIGRATIONS.iter().filter(|(v, _)| *v > found) {
        tx.batch(sql)?;
        tx.execute("DELETE FROM refuge_schema", &[])?;
        tx.execute("INSERT INTO refuge_schema (version) VALUES (?)", crate::sql::params![version])?;
        tracing::info!(version, "database schema migrated");
    }
    tx.commit()?;
    Ok(found)
}

/// A database address without its password.
/// A database address as errors show it: never its password, however
/// malformed (`user:secret@…` with or without `//`, several `@`, the
/// `password=…` form).
fn redact(url: &str) -> String {
    let mut shown = match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            let hidden = if userinfo.contains(':') { ":…" } else { "" };
            format!("{}{user}{hidden}{}", &url[..scheme + 3], &url[at..])
        }
        // No `//`: whatever follows the first colon up to the last `@`
        // may be a password.
        (None, Some(at)) => match url[..at].find(':') {
            Some(colon) => format!("{}:…{}", &url[..colon], &url[at..]),
            None => url.to_owned(),
        },
        _ => url.to_owned(),
    };
    // The key=value form.
    let mut from = 0;
    while let Some(found) = shown[from..].to_ascii_lowercase().find("password=") {
        let value = from + found + "password=".len();
        let end = shown[value..].find(char::is_whitespace).map_or(shown.len(), |n| value + n);
        shown.replace_range(value..end, "…");
        from = value + "…".len();
    }
    shown
}

pub(crate) fn backend(e: DbError) -> StoreError {
    if e.is_full() { StoreError::Full(e.to_string()) } else { StoreError::Backend(e.to_string()) }
}

/// Timestamps are stored as RFC 3339 UTC text with whole seconds, which
/// sorts correctly as text.
pub(crate) fn ts(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC).replace_nanosecond(0).unwrap_or(t);
    t.format(&Rfc3339).unwrap_or_default()
}

pub(crate) fn parse_ts(text: &str) -> DbResult<OffsetDateTime> {
    OffsetDateTime::parse(text, &Rfc3339).map_err(|e| crate::sql::conversion(format!("{text:?}: {e}")))
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
    fn no_error_shows_a_database_password() {
        for url in [
            "postgres://refuge:s3cret@db.example.org/refuge",
            "postgres://refuge:s3cret@with@at@db.example.org/refuge",
            "postgres:/refuge:s3cret@db.example.org/refuge",
            "postgres:refuge:s3cret@db.example.org",
            "refuge:s3cret@db.example.org",
            "host=db.example.org user=refuge password=s3cret dbname=refuge",
            "host=db password=s3cret password=s3cret",
        ] {
            let shown = redact(url);
            assert!(!shown.contains("s3cret"), "{url} shown as {shown}");
        }
        assert_eq!(redact("postgres://refuge@db/refuge"), "postgres://refuge@db/refuge", "nothing to hide");
        let at = std::path::Path::new("unused.db");
        let err =
            SqlStore::open_url(Some("postgres:/refuge:s3cret@127.0.0.1:1/refuge"), at).err().map(|e| e.to_string());
        assert!(err.is_some_and(|e| !e.contains("s3cret")));
    }

    #[test]
    fn creates_and_reopens() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("refuge.db");
        drop(SqlStore::open(&path).unwrap());
        let store = SqlStore::open(&path).unwrap();
        let v: i64 = store.conn().unwrap().query_row("PRAGMA user_version", &[], |r| r.get(0)).unwrap();
        assert_eq!(v, SCHEMA_VERSION);
    }

    #[test]
    fn refuses_garbage_without_touching_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("refuge.db");
        let garbage = b"this is not a database, it is a shopping list\n".repeat(200);
        std::fs::write(&path, &garbage).unwrap();
        let err = SqlStore::open(&path).unwrap_err();
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
        let err = SqlStore::open(&path).unwrap_err();
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
