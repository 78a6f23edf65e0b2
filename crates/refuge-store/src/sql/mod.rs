//! One way to talk SQL to either backend: the embedded SQLite file or a
//! PostgreSQL server. Every storage method is written once against
//! [`Handle`]; the differences between the two engines stay here.
//!
//! - Queries are written with `?` or `?N` placeholders (SQLite's); for
//!   PostgreSQL they become `$N`, and `LIKE` becomes `ILIKE` (SQLite's
//!   `LIKE` ignores the case of ASCII letters; PostgreSQL's does not).
//! - Parameters are [`Value`]s. PostgreSQL is strict about types, so a
//!   value is written as whatever type the server expects for that
//!   place (an integer as `int4` or `int8`, a flag as `boolean`).
//! - Rows are read through [`Row::get`] into Rust types the same way from
//!   both engines.
//! - A transaction is `BEGIN IMMEDIATE` on SQLite (so two processes never
//!   deadlock on an upgrade from reading to writing) and `BEGIN` on
//!   PostgreSQL; dropped without `commit`, it rolls back.

use std::sync::MutexGuard;

use tokio_postgres::types::ToSql;

use crate::sql::pg::Pooled;

pub(crate) mod pg;
mod value;

/// Why a statement failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum DbError {
    #[error("{0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("{}", pg_message(.0))]
    Pg(#[from] tokio_postgres::Error),
    /// A value that does not fit the Rust type asked for.
    #[error("unexpected value in column {column}: {detail}")]
    Conversion { column: usize, detail: String },
    /// `query_row` found no row.
    #[error("no row")]
    NoRow,
    #[error("cannot reach the database: {0}")]
    Connect(String),
}

/// PostgreSQL's own message (with its detail), which the bare `Display`
/// of the client's error leaves out.
fn pg_message(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => match db.detail() {
            Some(detail) => format!("{} ({detail})", db.message()),
            None => db.message().to_owned(),
        },
        None => e.to_string(),
    }
}

pub(crate) type DbResult<T> = Result<T, DbError>;

impl DbError {
    /// A unique or primary-key constraint refused the write.
    pub(crate) fn is_unique_violation(&self) -> bool {
        match self {
            DbError::Sqlite(rusqlite::Error::SqliteFailure(f, _)) => {
                f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                    || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
            }
            DbError::Pg(e) => e.code() == Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION),
            _ => false,
        }
    }
    /// Any constraint (unique, check, foreign key, not null) refused it.
    pub(crate) fn is_constraint(&self) -> bool {
        match self {
            DbError::Sqlite(e) => e.sqlite_error_code() == Some(rusqlite::ErrorCode::ConstraintViolation),
            DbError::Pg(e) => e.code().is_some_and(|c| c.code().starts_with("23")),
            _ => false,
        }
    }
    /// The disk (or a size limit) is full.
    pub(crate) fn is_full(&self) -> bool {
        match self {
            DbError::Sqlite(e) => e.sqlite_error_code() == Some(rusqlite::ErrorCode::DiskFull),
            DbError::Pg(e) => e.code().is_some_and(|c| {
                c == &tokio_postgres::error::SqlState::DISK_FULL
                    || c == &tokio_postgres::error::SqlState::INSUFFICIENT_RESOURCES
            }),
            _ => false,
        }
    }
}

/// `.optional()` on a single-row query: no row is `None`, not an error.
pub(crate) trait Optional<T> {
    fn optional(self) -> DbResult<Option<T>>;
}

impl<T> Optional<T> for DbResult<T> {
    fn optional(self) -> DbResult<Option<T>> {
        match self {
            Ok(v) => Ok(Some(v)),
            Err(DbError::NoRow) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

pub(crate) use value::{FromValue, ToValue, Value, ValueRef};

/// A list of parameters (for `IN (?, ?, …)`).
pub(crate) fn list<T: ToValue>(items: &[T]) -> Vec<Value> {
    items.iter().map(ToValue::to_value).collect()
}

/// Parameters for a statement: `params![a, b]`.
macro_rules! params {
    () => { &[] as &[crate::sql::Value] };
    ($($x:expr),+ $(,)?) => { &[$(crate::sql::ToValue::to_value(&$x)),+] as &[crate::sql::Value] };
}
pub(crate) use params;

/// One row of a result, from either engine.
pub(crate) enum Row<'a> {
    Lite(&'a rusqlite::Row<'a>),
    Pg(&'a tokio_postgres::Row),
}

impl Row<'_> {
    /// Column `i` as `T`.
    pub(crate) fn get<T: FromValue>(&self, i: usize) -> DbResult<T> {
        let conversion = |detail: String| DbError::Conversion { column: i, detail };
        match self {
            Row::Lite(r) => {
                let v = match r.get_ref(i)? {
                    rusqlite::types::ValueRef::Null => ValueRef::Null,
                    rusqlite::types::ValueRef::Integer(n) => ValueRef::Int(n),
                    rusqlite::types::ValueRef::Real(f) => ValueRef::Real(f),
                    rusqlite::types::ValueRef::Text(t) => {
                        ValueRef::Text(std::str::from_utf8(t).map_err(|e| conversion(e.to_string()))?)
                    }
                    rusqlite::types::ValueRef::Blob(b) => ValueRef::Blob(b),
                };
                T::from_value(v).map_err(conversion)
            }
            Row::Pg(r) => {
                let v: ValueRef<'_> = r.try_get(i)?;
                T::from_value(v).map_err(conversion)
            }
        }
    }
    pub(crate) fn len(&self) -> usize {
        match self {
            Row::Lite(r) => r.as_ref().column_count(),
            Row::Pg(r) => r.len(),
        }
    }
}

/// A conversion failure raised while mapping a row.
pub(crate) fn conversion(detail: impl Into<String>) -> DbError {
    DbError::Conversion { column: 0, detail: detail.into() }
}

/// Rewrites SQLite-flavoured SQL for PostgreSQL: `?`/`?N` become `$N`,
/// `LIKE` becomes `ILIKE`, outside quoted text, and SQLite's index hints
/// (`INDEXED BY name`) are left out (PostgreSQL's planner has none).
pub(crate) fn to_postgres(sql: &str) -> String {
    let rewritten = placeholders_and_like(sql);
    match rewritten.find(" INDEXED BY ") {
        None => rewritten,
        Some(at) => {
            let rest = &rewritten[at + " INDEXED BY ".len()..];
            let name_end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(rest.len());
            to_postgres(&format!("{}{}", &rewritten[..at], &rest[name_end..]))
        }
    }
}

fn placeholders_and_like(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut next = 0u32;
    let mut chars = sql.char_indices().peekable();
    let mut quote: Option<char> = None;
    while let Some((at, c)) = chars.next() {
        if let Some(q) = quote {
            out.push(c);
            if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '\'' | '"' => {
                quote = Some(c);
                out.push(c);
            }
            '?' => {
                let mut digits = String::new();
                while let Some((_, d)) = chars.peek().copied().filter(|(_, d)| d.is_ascii_digit()) {
                    digits.push(d);
                    chars.next();
                }
                if digits.is_empty() {
                    next += 1;
                    out.push_str(&format!("${next}"));
                } else {
                    out.push('$');
                    out.push_str(&digits);
                }
            }
            'L' if sql[at..].starts_with("LIKE ") && sql[..at].ends_with(' ') && !sql[..at].ends_with("I ") => {
                out.push_str("ILIKE");
                chars.next();
                chars.next();
                chars.next();
            }
            _ => out.push(c),
        }
    }
    out
}

/// Which engine a handle talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Engine {
    Sqlite,
    Postgres,
}

/// A connection while it is in use: the SQLite connection (behind the
/// store's mutex) or one taken from the PostgreSQL pool.
pub(crate) enum Handle<'a> {
    Lite(MutexGuard<'a, rusqlite::Connection>),
    Pg(Pooled<'a>),
}

impl<'c> Handle<'c> {
    pub(crate) fn engine(&self) -> Engine {
        match self {
            Handle::Lite(_) => Engine::Sqlite,
            Handle::Pg(_) => Engine::Postgres,
        }
    }

    /// SQLite: folds the write-ahead log into the database, whose freed
    /// pages are overwritten (`secure_delete`), so no old copy of deleted
    /// text stays on disk. PostgreSQL has no such thing: old row versions
    /// stay in its files until vacuumed, and in its WAL, replicas and
    /// backups (the README's privacy section says so).
    /// Whether the fold completed: false when a reader held the log (the
    /// checkpoint reports itself blocked), so old pages may remain in it.
    pub(crate) fn fold_deleted(&self) -> DbResult<bool> {
        match self {
            Handle::Lite(c) => {
                let busy: i64 = c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))?;
                Ok(busy == 0)
            }
            Handle::Pg(_) => Ok(true),
        }
    }

    /// Runs one statement; how many rows it changed.
    pub(crate) fn execute(&self, sql: &str, params: &[Value]) -> DbResult<u64> {
        match self {
            Handle::Lite(c) => {
                let mut stmt = c.prepare_cached(sql)?;
                Ok(stmt.execute(rusqlite::params_from_iter(params.iter()))? as u64)
            }
            Handle::Pg(p) => {
                let stmt = p.conn().statement(sql)?;
                let refs = pg_params(params);
                Ok(p.conn().block_on(p.conn().client.execute(&stmt, &refs))?)
            }
        }
    }

    /// Runs statements separated by `;`, without parameters.
    pub(crate) fn batch(&self, sql: &str) -> DbResult<()> {
        match self {
            Handle::Lite(c) => Ok(c.execute_batch(sql)?),
            Handle::Pg(p) => Ok(p.conn().block_on(p.conn().client.batch_execute(sql))?),
        }
    }

    /// The first row, mapped; [`DbError::NoRow`] when there is none (see
    /// [`Optional::optional`]).
    pub(crate) fn query_row<T>(
        &self,
        sql: &str,
        params: &[Value],
        f: impl FnOnce(&Row<'_>) -> DbResult<T>,
    ) -> DbResult<T> {
        match self {
            Handle::Lite(c) => {
                let mut stmt = c.prepare_cached(sql)?;
                let mut rows = stmt.query(rusqlite::params_from_iter(params.iter()))?;
                let first = match rows.next()? {
                    Some(row) => f(&Row::Lite(row))?,
                    None => return Err(DbError::NoRow),
                };
                // Run the statement to its end: a write with `RETURNING`
                // commits (and may fail, say on a full disk) only there.
                while rows.next()?.is_some() {}
                Ok(first)
            }
            Handle::Pg(p) => {
                let conn = p.conn();
                let stmt = conn.statement(sql)?;
                let refs = pg_params(params);
                let rows = conn.block_on(conn.client.query(&stmt, &refs))?;
                match rows.first() {
                    Some(row) => f(&Row::Pg(row)),
                    None => Err(DbError::NoRow),
                }
            }
        }
    }

    /// Every row, mapped.
    pub(crate) fn query_map<T>(
        &self,
        sql: &str,
        params: &[Value],
        mut f: impl FnMut(&Row<'_>) -> DbResult<T>,
    ) -> DbResult<Vec<T>> {
        match self {
            Handle::Lite(c) => {
                let mut stmt = c.prepare_cached(sql)?;
                let mut rows = stmt.query(rusqlite::params_from_iter(params.iter()))?;
                let mut out = Vec::new();
                while let Some(row) = rows.next()? {
                    out.push(f(&Row::Lite(row))?);
                }
                Ok(out)
            }
            Handle::Pg(p) => {
                let conn = p.conn();
                let stmt = conn.statement(sql)?;
                let refs = pg_params(params);
                let rows = conn.block_on(conn.client.query(&stmt, &refs))?;
                rows.iter().map(|r| f(&Row::Pg(r))).collect()
            }
        }
    }

    /// Runs an `INSERT` and returns the new row's `id`.
    pub(crate) fn insert(&self, sql: &str, params: &[Value]) -> DbResult<i64> {
        self.query_row(&format!("{sql} RETURNING id"), params, |r| r.get(0))
    }

    /// A statement to run once or several times.
    pub(crate) fn prepare(&self, sql: &str) -> DbResult<Stmt<'_, 'c>> {
        Ok(Stmt { handle: self, sql: sql.to_owned() })
    }

    /// Starts a transaction; it rolls back unless committed.
    pub(crate) fn transaction(&self) -> DbResult<Tx<'_, 'c>> {
        self.batch(match self.engine() {
            Engine::Sqlite => "BEGIN IMMEDIATE",
            Engine::Postgres => "BEGIN",
        })?;
        Ok(Tx { handle: self, done: false })
    }
}

/// A statement (see [`Handle::prepare`]); both engines keep it prepared
/// on the connection between uses.
pub(crate) struct Stmt<'s, 'c> {
    handle: &'s Handle<'c>,
    sql: String,
}

impl Stmt<'_, '_> {
    /// Every row, mapped, to be collected.
    pub(crate) fn query_map<T>(
        &mut self,
        params: &[Value],
        mut f: impl FnMut(&Row<'_>) -> DbResult<T>,
    ) -> DbResult<std::vec::IntoIter<DbResult<T>>> {
        Ok(self.handle.query_map(&self.sql, params, |r| Ok(f(r)))?.into_iter())
    }
    pub(crate) fn query_row<T>(&mut self, params: &[Value], f: impl FnOnce(&Row<'_>) -> DbResult<T>) -> DbResult<T> {
        self.handle.query_row(&self.sql, params, f)
    }
    pub(crate) fn execute(&mut self, params: &[Value]) -> DbResult<u64> {
        self.handle.execute(&self.sql, params)
    }
}

fn pg_params(params: &[Value]) -> Vec<&(dyn ToSql + Sync)> {
    params.iter().map(|v| v as &(dyn ToSql + Sync)).collect()
}

/// An open transaction; derefs to its connection.
pub(crate) struct Tx<'t, 'c> {
    handle: &'t Handle<'c>,
    done: bool,
}

impl Tx<'_, '_> {
    pub(crate) fn commit(mut self) -> DbResult<()> {
        self.done = true;
        self.handle.batch("COMMIT")
    }
}

impl<'c> std::ops::Deref for Tx<'_, 'c> {
    type Target = Handle<'c>;
    fn deref(&self) -> &Handle<'c> {
        self.handle
    }
}

impl Drop for Tx<'_, '_> {
    fn drop(&mut self) {
        if !self.done
            && let Err(e) = self.handle.batch("ROLLBACK")
        {
            tracing::warn!(error = %e, "a transaction could not be rolled back");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_sql_is_rewritten_for_postgres() {
        assert_eq!(
            to_postgres("SELECT a FROM t INDEXED BY t_slug WHERE a = ? AND b LIKE ? AND c = '?' AND d = ?"),
            "SELECT a FROM t WHERE a = $1 AND b ILIKE $2 AND c = '?' AND d = $3"
        );
        assert_eq!(
            to_postgres("WHERE (?1 IS NULL OR lang = ?1) AND n = ?2"),
            "WHERE ($1 IS NULL OR lang = $1) AND n = $2"
        );
        assert_eq!(to_postgres("x ILIKE ? AND y NOT LIKE ?"), "x ILIKE $1 AND y NOT ILIKE $2");
    }
}
