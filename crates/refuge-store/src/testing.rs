//! For tests: a throw-away PostgreSQL server of their own.
//!
//! The first call starts one server per test process: `initdb` into a new
//! temporary folder and `pg_ctl start` on 127.0.0.1 with a free port (as
//! the `postgres` user when running as root, since `initdb` refuses root).
//! A small watchdog stops it and removes the folder when the test process
//! ends, however it ends. Each test asks for a database of its own.
//!
//! Without PostgreSQL installed the tests that need it are skipped with a
//! note, unless `CI` is set (`.ci/run` installs it): then they fail.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

/// The test server.
#[derive(Debug)]
pub struct TestPostgres {
    port: u16,
    next: AtomicU32,
    /// Connections to its `postgres` database, which makes the others.
    admin: crate::sql::pg::PgPool,
}

static SERVER: OnceLock<Option<TestPostgres>> = OnceLock::new();

/// The test server, started at the first call; `None` (with a note on
/// stderr) when PostgreSQL is not installed and `CI` is not set.
pub fn postgres() -> Option<&'static TestPostgres> {
    SERVER
        .get_or_init(|| match start() {
            Ok(server) => Some(server),
            Err(e) if std::env::var_os("CI").is_none() => {
                eprintln!("note: PostgreSQL tests skipped: {e}");
                None
            }
            Err(e) => panic!("CI must install PostgreSQL (Debian `postgresql`) for these tests: {e}"),
        })
        .as_ref()
}

impl TestPostgres {
    /// The address of a new, empty database.
    pub fn fresh_database(&self) -> String {
        let name = format!("t{}_{}", std::process::id(), self.next.fetch_add(1, Ordering::Relaxed));
        let conn = self.admin.get().expect("the test server answers");
        futures_executor::block_on(conn.conn().client.batch_execute(&format!("CREATE DATABASE {name}")))
            .expect("a test database is created");
        drop(conn);
        self.url(&name)
    }

    /// The address of database `name` on the test server.
    pub fn url(&self, name: &str) -> String {
        format!("postgres://refuge@127.0.0.1:{}/{name}", self.port)
    }
}

/// The folder with `initdb` and `pg_ctl`: the newest Debian version, or
/// wherever `PATH` has them.
fn bin_dir() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
        .filter(|(_, bin): &(u32, PathBuf)| bin.join("initdb").is_file())
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return Some(bin);
    }
    std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path).find(|dir| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file())
    })
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

/// A command run as the `postgres` user when this process is root.
fn as_owner(root: bool, program: &Path) -> Command {
    if root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

fn run(mut command: Command, what: &str) -> Result<(), String> {
    let out = command.stdin(Stdio::null()).output().map_err(|e| format!("{what}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("{what} failed: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
    }
}

fn start() -> Result<TestPostgres, String> {
    let bin = bin_dir().ok_or("initdb and pg_ctl were not found (install Debian's `postgresql`)")?;
    let root = is_root();
    let dir = tempfile::Builder::new().prefix("refuge-test-pg-").tempdir().map_err(|e| e.to_string())?.keep();
    if root {
        let mut chown = Command::new("chown");
        chown.arg("postgres").arg(&dir);
        run(chown, "chown")?;
    }
    let data = dir.join("data");
    let mut initdb = as_owner(root, &bin.join("initdb"));
    initdb.arg("-D").arg(&data).args(["-A", "trust", "-U", "refuge", "-E", "UTF8", "--locale=C", "--no-sync"]);
    run(initdb, "initdb")?;
    let port =
        std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map_err(|e| e.to_string())?.port();
    let options = format!(
        "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off \
         -c full_page_writes=off -c max_connections=400 -c shared_buffers=64MB",
        dir.display()
    );
    let mut pg_ctl = as_owner(root, &bin.join("pg_ctl"));
    // With `-l` the server does not keep this process's pipes open.
    pg_ctl.arg("-D").arg(&data).arg("-l").arg(dir.join("log")).args(["-o", &options, "-w", "start"]);
    run(pg_ctl, "pg_ctl start")?;

    // The watchdog: when this process is gone, stop the server and remove
    // its folder.
    let stop = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 1; done; {owner}{pg_ctl} -D {data} -m immediate -w stop >/dev/null 2>&1; rm -rf {dir}",
        pid = std::process::id(),
        owner = if root { "runuser -u postgres -- " } else { "" },
        pg_ctl = bin.join("pg_ctl").display(),
        data = data.display(),
        dir = dir.display(),
    );
    Command::new("sh")
        .args(["-c", &stop])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("the watchdog: {e}"))?;
    let admin = crate::sql::pg::PgPool::new(&format!("postgres://refuge@127.0.0.1:{port}/postgres"))
        .map_err(|e| e.to_string())?;
    Ok(TestPostgres { port, next: AtomicU32::new(0), admin })
}

/// A fresh store for a test, and its address (to open it a second time,
/// as another process would).
#[derive(Debug)]
pub struct TestDb {
    pub store: crate::SqlStore,
    /// `sqlite:PATH` or `postgres://…`.
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    /// Opens the same database again (another connection, as another
    /// process or server would have).
    pub fn reopen(&self) -> crate::SqlStore {
        crate::SqlStore::open_url(Some(&self.url), Path::new("")).expect("the test database opens again")
    }
}

/// A fresh SQLite store in a temporary folder.
pub fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("refuge.db");
    let store = crate::SqlStore::open(&path).expect("a new SQLite database opens");
    TestDb { store, url: format!("sqlite:{}", path.display()), _dir: Some(dir) }
}

/// A fresh PostgreSQL store on the test server, if there is one.
pub fn postgres_db() -> Option<TestDb> {
    let url = postgres()?.fresh_database();
    let store = crate::SqlStore::connect(&url).expect("a new PostgreSQL database opens");
    Some(TestDb { store, url, _dir: None })
}

/// The same test on each engine: a fresh SQLite store, then a fresh
/// PostgreSQL one (when the test server runs). Says on stderr which is
/// being tested, so a failure names its engine.
pub fn each_engine() -> impl Iterator<Item = TestDb> {
    std::iter::once_with(sqlite).chain(std::iter::once_with(postgres_db).flatten()).inspect(|db| {
        eprintln!("-- on the {}", db.store.describe());
    })
}
