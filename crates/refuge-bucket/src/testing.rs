//! A real S3-compatible server for tests: Garage, started on 127.0.0.1.
//!
//! The first call starts one single-node Garage per test process (ports
//! chosen free, `replication_factor = 1`, one key imported with the CLI)
//! with its website endpoint on; each test asks for a bucket of its own.
//! A small watchdog stops the server and removes its folder when the test
//! process ends, however it ends.
//!
//! The `garage` program is found in `REFUGE_GARAGE`, on `PATH`, or in
//! cargo's `bin` folder (`cargo install garage`, which `.ci/run` does when
//! it is missing). Without it the tests that need it are skipped with a
//! note, unless `CI` is set: then they fail.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use crate::{Credentials, Target};

/// The region the test server answers for.
pub const REGION: &str = "garage";
/// The website endpoint serves bucket `B` for requests with `Host: B.` and this.
pub const WEB_DOMAIN: &str = "web.garage.localhost";
const KEY_ID: &str = "GK0a1b2c3d4e5f60718293a4b5";
const SECRET: &str = "5e1f0a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7";

/// The test server.
#[derive(Debug)]
pub struct TestGarage {
    program: PathBuf,
    config: PathBuf,
    s3_port: u16,
    web_port: u16,
    next: AtomicU32,
}

static SERVER: OnceLock<Option<TestGarage>> = OnceLock::new();

/// The test server, started at the first call; `None` (with a note on
/// stderr) when Garage is not installed and `CI` is not set.
pub fn garage() -> Option<&'static TestGarage> {
    SERVER
        .get_or_init(|| match start() {
            Ok(server) => Some(server),
            Err(e) if std::env::var_os("CI").is_none() => {
                eprintln!("note: object storage tests skipped: {e}");
                None
            }
            Err(e) => panic!("CI must install Garage (cargo install garage) for these tests: {e}"),
        })
        .as_ref()
}

/// A bucket of a test's own.
#[derive(Debug, Clone)]
pub struct TestBucket {
    pub target: Target,
    pub credentials: Credentials,
    /// `http://127.0.0.1:PORT`, the S3 address (`--endpoint`).
    pub endpoint: String,
    /// `http://127.0.0.1:PORT`, the website endpoint; send `Host:` [`Self::web_host`].
    pub web: String,
    /// `BUCKET.web.garage.localhost`.
    pub web_host: String,
    /// `http://BUCKET.web.garage.localhost:PORT`, the copy's address as
    /// readers would type it.
    pub web_url: String,
}

impl TestGarage {
    /// A new, empty bucket served as a website (index.html, 404.html).
    pub fn bucket(&self) -> TestBucket {
        let name = format!("test-{}-{}", std::process::id(), self.next.fetch_add(1, Ordering::Relaxed));
        self.cli(&["bucket", "create", &name]).expect("garage creates a bucket");
        self.cli(&["bucket", "allow", "--read", "--write", "--owner", &name, "--key", "refuge"])
            .expect("garage lets the key use the bucket");
        self.cli(&[
            "bucket",
            "website",
            "--allow",
            &name,
            "--index-document",
            "index.html",
            "--error-document",
            "404.html",
        ])
        .expect("garage serves the bucket as a website");
        let endpoint = format!("http://127.0.0.1:{}", self.s3_port);
        let mut target = Target::parse(&format!("s3://{name}")).expect("a valid bucket name");
        target.endpoint = Some(endpoint.clone());
        target.region = Some(REGION.into());
        TestBucket {
            target,
            credentials: Credentials::new(KEY_ID, SECRET),
            endpoint,
            web: format!("http://127.0.0.1:{}", self.web_port),
            web_host: format!("{name}.{WEB_DOMAIN}"),
            web_url: format!("http://{name}.{WEB_DOMAIN}:{}", self.web_port),
        }
    }

    /// The environment a `refuge` command needs for this server's key.
    pub fn env(&self) -> [(&'static str, &'static str); 2] {
        [("AWS_ACCESS_KEY_ID", KEY_ID), ("AWS_SECRET_ACCESS_KEY", SECRET)]
    }

    fn cli(&self, args: &[&str]) -> Result<String, String> {
        run(Command::new(&self.program).arg("-c").arg(&self.config).args(args))
    }
}

fn run(command: &mut Command) -> Result<String, String> {
    let out = command.stdin(Stdio::null()).output().map_err(|e| format!("{command:?}: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!("{command:?}: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
    }
}

/// Where the `garage` program is.
fn program() -> Result<PathBuf, String> {
    if let Some(path) = std::env::var_os("REFUGE_GARAGE") {
        return Ok(PathBuf::from(path));
    }
    let mut candidates: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).map(|d| d.join("garage")).collect())
        .unwrap_or_default();
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")));
    candidates.extend(cargo_home.map(|c| c.join("bin/garage")));
    candidates
        .into_iter()
        .find(|p| p.is_file())
        .ok_or_else(|| "garage is not installed (cargo install garage --locked, or set REFUGE_GARAGE)".to_owned())
}

fn free_port() -> Result<u16, String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    listener.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}

fn start() -> Result<TestGarage, String> {
    let program = program()?;
    let dir = std::env::temp_dir().join(format!("refuge-garage-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let [rpc, s3_port, web_port] = [free_port()?, free_port()?, free_port()?];
    let secret: String = {
        use sha2::Digest;
        let seed = format!("{:?}{}", Instant::now(), std::process::id());
        sha2::Sha256::digest(seed.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
    };
    let config = dir.join("garage.toml");
    let text = format!(
        "metadata_dir = \"{meta}\"\ndata_dir = \"{data}\"\ndb_engine = \"lmdb\"\nreplication_factor = 1\n\
         rpc_bind_addr = \"127.0.0.1:{rpc}\"\nrpc_public_addr = \"127.0.0.1:{rpc}\"\nrpc_secret = \"{secret}\"\n\n\
         [s3_api]\ns3_region = \"{REGION}\"\napi_bind_addr = \"127.0.0.1:{s3_port}\"\nroot_domain = \".s3.garage.localhost\"\n\n\
         [s3_web]\nbind_addr = \"127.0.0.1:{web_port}\"\nroot_domain = \".{WEB_DOMAIN}\"\nindex = \"index.html\"\n",
        meta = dir.join("meta").display(),
        data = dir.join("data").display(),
    );
    std::fs::write(&config, text).map_err(|e| e.to_string())?;
    let log = std::fs::File::create(dir.join("log")).map_err(|e| e.to_string())?;
    let err = log.try_clone().map_err(|e| e.to_string())?;
    let child = Command::new(&program)
        .arg("-c")
        .arg(&config)
        .arg("server")
        .env("RUST_LOG", "garage=warn")
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(err)
        .spawn()
        .map_err(|e| format!("{}: {e}", program.display()))?;
    // The watchdog: when this process is gone, stop the server and remove
    // its folder.
    let stop = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 1; done; kill {child} 2>/dev/null; sleep 1; kill -9 {child} 2>/dev/null; rm -rf {dir}",
        pid = std::process::id(),
        child = child.id(),
        dir = dir.display(),
    );
    Command::new("sh")
        .args(["-c", &stop])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("the watchdog: {e}"))?;
    let server = TestGarage { program, config, s3_port, web_port, next: AtomicU32::new(0) };
    let started = Instant::now();
    // `status` asks the running server (`node id` only reads its key file).
    loop {
        match server.cli(&["status"]) {
            Ok(_) => break,
            Err(e) if started.elapsed() > Duration::from_secs(20) => {
                let log = std::fs::read_to_string(dir.join("log")).unwrap_or_default();
                return Err(format!("garage did not start: {e}\n{log}"));
            }
            Err(_) => std::thread::sleep(Duration::from_millis(100)),
        }
    }
    let node = server.cli(&["node", "id", "-q"])?.trim().split('@').next().unwrap_or_default().to_owned();
    server.cli(&["layout", "assign", "-z", "dc1", "-c", "1G", &node])?;
    server.cli(&["layout", "apply", "--version", "1"])?;
    server.cli(&["key", "import", "--yes", "-n", "refuge", KEY_ID, SECRET])?;
    Ok(server)
}
