//! Connections to PostgreSQL: a small pool of `tokio-postgres` clients
//! whose network work runs on the pool's own one-thread runtime.
//!
//! The storage traits are synchronous and are called from threads that
//! may already be inside the server's runtime (a request answered on the
//! blocking pool). The synchronous `postgres` crate starts a runtime of
//! its own there and panics, so this module waits for each query with a
//! plain executor instead, while the connection is driven on the pool's
//! runtime thread.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{Condvar, Mutex};
use std::time::Duration;

use tokio_postgres::{Client, Config, NoTls, Statement};

use crate::sql::{DbError, DbResult, to_postgres};

/// How many connections one server opens at most.
const MAX_CONNECTIONS: usize = 8;
/// How long a caller waits for a free connection before giving up.
const WAIT: Duration = Duration::from_secs(30);

/// One open connection and the statements prepared on it.
pub(crate) struct PgConn {
    pub(crate) client: Client,
    statements: RefCell<HashMap<String, Statement>>,
}

impl PgConn {
    /// The prepared statement for `sql` (written with `?` placeholders).
    pub(crate) fn statement(&self, sql: &str) -> DbResult<Statement> {
        if let Some(s) = self.statements.borrow().get(sql) {
            return Ok(s.clone());
        }
        let stmt = self.block_on(self.client.prepare(&to_postgres(sql)))?;
        let mut cache = self.statements.borrow_mut();
        if cache.len() >= 512 {
            cache.clear();
        }
        cache.insert(sql.to_owned(), stmt.clone());
        Ok(stmt)
    }

    /// Waits here for a query's answer.
    pub(crate) fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        futures_executor::block_on(f)
    }
}

struct State {
    idle: Vec<PgConn>,
    open: usize,
}

/// The pool.
pub(crate) struct PgPool {
    runtime: Option<tokio::runtime::Runtime>,
    config: Config,
    state: Mutex<State>,
    freed: Condvar,
}

impl std::fmt::Debug for PgPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgPool").finish_non_exhaustive()
    }
}

impl PgPool {
    /// A pool for the server at `url` (`postgres://user@host:port/db`).
    /// Nothing is connected yet.
    pub(crate) fn new(url: &str) -> DbResult<Self> {
        let mut config: Config = url.parse().map_err(|e: tokio_postgres::Error| DbError::Connect(e.to_string()))?;
        config.connect_timeout(Duration::from_secs(10));
        config.application_name("refuge");
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("refuge-postgres")
            .enable_all()
            .build()
            .map_err(|e| DbError::Connect(e.to_string()))?;
        Ok(Self {
            runtime: Some(runtime),
            config,
            state: Mutex::new(State { idle: Vec::new(), open: 0 }),
            freed: Condvar::new(),
        })
    }

    /// The database name and server, for messages (never the password).
    pub(crate) fn describe(&self) -> String {
        let host = self
            .config
            .get_hosts()
            .first()
            .map(|h| match h {
                tokio_postgres::config::Host::Tcp(name) => name.clone(),
                tokio_postgres::config::Host::Unix(path) => path.display().to_string(),
            })
            .unwrap_or_default();
        let port = self.config.get_ports().first().copied().unwrap_or(5432);
        format!("database {:?} on {host}:{port}", self.config.get_dbname().unwrap_or(""))
    }

    fn connect(&self) -> DbResult<PgConn> {
        let runtime = self.runtime.as_ref().ok_or_else(|| DbError::Connect("the pool is closed".into()))?;
        let config = self.config.clone();
        let connecting = runtime.spawn(async move {
            let (client, connection) = config.connect(NoTls).await?;
            tokio::spawn(async move {
                if let Err(e) = connection.await {
                    tracing::warn!(error = %e, "a PostgreSQL connection ended");
                }
            });
            Ok::<_, tokio_postgres::Error>(client)
        });
        let client = futures_executor::block_on(connecting).map_err(|e| DbError::Connect(e.to_string()))??;
        Ok(PgConn { client, statements: RefCell::new(HashMap::new()) })
    }

    /// A connection for the caller's use; back in the pool when dropped.
    pub(crate) fn get(&self) -> DbResult<Pooled<'_>> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(conn) = state.idle.pop() {
                if conn.client.is_closed() {
                    state.open -= 1;
                    continue;
                }
                return Ok(Pooled { pool: self, conn: Some(Box::new(conn)) });
            }
            if state.open < MAX_CONNECTIONS {
                state.open += 1;
                drop(state);
                return match self.connect() {
                    Ok(conn) => Ok(Pooled { pool: self, conn: Some(Box::new(conn)) }),
                    Err(e) => {
                        self.state.lock().unwrap_or_else(|p| p.into_inner()).open -= 1;
                        self.freed.notify_one();
                        Err(e)
                    }
                };
            }
            let (next, timeout) = self.freed.wait_timeout(state, WAIT).unwrap_or_else(|p| p.into_inner());
            state = next;
            if timeout.timed_out() && state.idle.is_empty() && state.open >= MAX_CONNECTIONS {
                return Err(DbError::Connect(format!(
                    "all {MAX_CONNECTIONS} connections stayed busy for {} s",
                    WAIT.as_secs()
                )));
            }
        }
    }
}

impl Drop for PgPool {
    fn drop(&mut self) {
        // Dropping a runtime blocks, which is refused inside another
        // runtime; this does not wait.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// A connection taken from the pool.
pub(crate) struct Pooled<'p> {
    pool: &'p PgPool,
    conn: Option<Box<PgConn>>,
}

impl Pooled<'_> {
    pub(crate) fn conn(&self) -> &PgConn {
        self.conn.as_ref().expect("a pooled connection is present until dropped")
    }
}

impl Drop for Pooled<'_> {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else { return };
        let mut state = self.pool.state.lock().unwrap_or_else(|p| p.into_inner());
        if conn.client.is_closed() {
            state.open -= 1;
        } else {
            state.idle.push(*conn);
        }
        drop(state);
        self.pool.freed.notify_one();
    }
}
