//! Real servers for tests, started on 127.0.0.1 and stopped when dropped:
//! Pebble (Let's Encrypt's ACME test CA, with its DNS helper answering
//! 127.0.0.1 for every name) and Tor (an onion service writing its
//! address without reaching the network), plus a small certificate
//! authority for test certificates.
//!
//! Programs are found on `PATH` (Debian packages `pebble` and `tor`,
//! which `.ci/run` installs). Without them the tests that need them are
//! skipped with a note, unless `CI` is set: then they fail.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose, SanType};

/// A port free on 127.0.0.1 a moment ago.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port()
}

/// `Some(path)` of `program` on PATH; `None` with a note (or a panic under
/// CI) when missing.
pub fn require(program: &str, package: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|dir| dir.join(program))
        .find(|p| p.is_file());
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install `{program}` (Debian package `{package}`) for these tests"
        );
        eprintln!("note: test skipped: `{program}` is not installed (apt-get install {package})");
    }
    found
}

/// A certificate authority of a test's own.
pub struct TestCa {
    issuer: Issuer<'static, KeyPair>,
    pem: String,
}

impl Default for TestCa {
    fn default() -> Self {
        Self::new()
    }
}

impl TestCa {
    pub fn new() -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
        params.distinguished_name.push(DnType::CommonName, "Refuge test CA");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let key = KeyPair::generate().expect("key");
        let cert = params.self_signed(&key).expect("CA certificate");
        Self { pem: cert.pem(), issuer: Issuer::new(params, key) }
    }

    /// The CA's certificate, PEM.
    pub fn pem(&self) -> &str {
        &self.pem
    }

    /// A certificate for `names` (DNS names or IP addresses) valid for
    /// `days` from now: (chain PEM, key PEM).
    pub fn issue(&self, names: &[&str], days: i64) -> (String, String) {
        self.issue_between(names, 0, days)
    }

    /// A certificate valid from `days_ago` days before now to `days` after.
    pub fn issue_between(&self, names: &[&str], days_ago: i64, days: i64) -> (String, String) {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
        for name in names {
            params.subject_alt_names.push(match name.parse::<std::net::IpAddr>() {
                Ok(ip) => SanType::IpAddress(ip),
                Err(_) => SanType::DnsName((*name).try_into().expect("a DNS name")),
            });
        }
        params.distinguished_name.push(DnType::CommonName, names[0]);
        let now = time::OffsetDateTime::now_utc();
        params.not_before = now - time::Duration::hours(1) - time::Duration::days(days_ago);
        params.not_after = now + time::Duration::days(days);
        let key = KeyPair::generate().expect("key");
        let cert = params.signed_by(&key, &self.issuer).expect("certificate");
        (format!("{}{}", cert.pem(), self.pem), key.serialize_pem())
    }
}

/// Processes stopped when dropped.
struct Processes(Vec<Child>);

impl Drop for Processes {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn wait_for_port(port: u16, what: &str, log: &Path) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "{what} did not start: {}",
            std::fs::read_to_string(log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Pebble with its DNS helper: every name resolves to 127.0.0.1, and
/// HTTP-01 checks go to `http_port` there.
pub struct Pebble {
    _processes: Processes,
    dir: tempfile::TempDir,
    /// The ACME directory URL.
    pub directory: String,
    /// The root to trust for Pebble's own HTTPS (PEM file).
    pub api_root: PathBuf,
    management: u16,
    ca: TestCa,
}

impl Pebble {
    /// Starts Pebble checking HTTP-01 challenges on `http_port`; `None`
    /// when Pebble is not installed (and `CI` is not set).
    pub fn start(http_port: u16) -> Option<Self> {
        let pebble = require("pebble", "pebble")?;
        let helper = require("pebble-challtestsrv", "pebble")?;
        let dir = tempfile::tempdir().expect("temp dir");
        let ca = TestCa::new();
        let (cert, key) = ca.issue(&["localhost", "127.0.0.1"], 30);
        std::fs::write(dir.path().join("api.pem"), cert).unwrap();
        std::fs::write(dir.path().join("api.key"), key).unwrap();
        std::fs::write(dir.path().join("root.pem"), ca.pem()).unwrap();
        let (api, management, dns, helper_management) = (free_port(), free_port(), free_port(), free_port());
        let config = serde_json::json!({"pebble": {
            "listenAddress": format!("127.0.0.1:{api}"),
            "managementListenAddress": format!("127.0.0.1:{management}"),
            "certificate": dir.path().join("api.pem"),
            "privateKey": dir.path().join("api.key"),
            "httpPort": http_port,
            "tlsPort": free_port(),
            "ocspResponderURL": "",
            "externalAccountBindingRequired": false
        }});
        std::fs::write(dir.path().join("pebble.json"), config.to_string()).unwrap();
        let log = |name: &str| std::fs::File::create(dir.path().join(name)).expect("log file");
        let dns_child = Command::new(helper)
            .args(["-dns01", &format!("127.0.0.1:{dns}"), "-http01", "", "-https01", "", "-tlsalpn01", ""])
            .args(["-management", &format!("127.0.0.1:{helper_management}")])
            .args(["-defaultIPv4", "127.0.0.1", "-defaultIPv6", ""])
            .stdout(log("dns.log"))
            .stderr(log("dns.err"))
            .stdin(Stdio::null())
            .spawn()
            .expect("pebble-challtestsrv starts");
        let mut processes = Processes(vec![dns_child]);
        let pebble_child = Command::new(pebble)
            .arg("-config")
            .arg(dir.path().join("pebble.json"))
            .args(["-dnsserver", &format!("127.0.0.1:{dns}")])
            .env("PEBBLE_VA_NOSLEEP", "1")
            .env("PEBBLE_WFE_NONCEREJECT", "0")
            .env("PEBBLE_AUTHZREUSE", "0")
            .stdout(log("pebble.log"))
            .stderr(log("pebble.err"))
            .stdin(Stdio::null())
            .spawn()
            .expect("pebble starts");
        processes.0.push(pebble_child);
        wait_for_port(helper_management, "pebble-challtestsrv", &dir.path().join("dns.err"));
        wait_for_port(api, "pebble", &dir.path().join("pebble.log"));
        Some(Self {
            _processes: processes,
            directory: format!("https://127.0.0.1:{api}/dir"),
            api_root: dir.path().join("root.pem"),
            dir,
            management,
            ca,
        })
    }

    /// The management address, serving the roots that sign issued
    /// certificates (`/roots/0`) over HTTPS with the API's certificate.
    pub fn management_url(&self, path: &str) -> String {
        format!("https://127.0.0.1:{}{path}", self.management)
    }

    /// The test CA that signed Pebble's own HTTPS certificate.
    pub fn api_ca(&self) -> &TestCa {
        &self.ca
    }

    /// Pebble's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("pebble.log")).unwrap_or_default()
    }
}

/// Tor with one onion service forwarded to a Unix socket, without network.
pub struct Tor {
    _processes: Processes,
    _dir: tempfile::TempDir,
    /// `abc…xyz.onion`
    pub hostname: String,
}

impl Tor {
    /// Starts Tor with an onion service whose port 80 goes to `socket`;
    /// `None` when Tor is not installed (and `CI` is not set).
    pub fn start(socket: &Path) -> Option<Self> {
        let tor = require("tor", "tor")?;
        let dir = tempfile::tempdir().expect("temp dir");
        let service = dir.path().join("service");
        std::fs::create_dir_all(&service).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&service, std::fs::Permissions::from_mode(0o700)).unwrap();
        let torrc = format!(
            "DataDirectory {data}\nSocksPort 0\nDisableNetwork 1\nLog notice file {log}\n\
             HiddenServiceDir {service}\nHiddenServicePort 80 unix:{socket}\n",
            data = dir.path().join("data").display(),
            log = dir.path().join("tor.log").display(),
            service = service.display(),
            socket = socket.display(),
        );
        std::fs::write(dir.path().join("torrc"), torrc).unwrap();
        let child = Command::new(tor)
            .arg("-f")
            .arg(dir.path().join("torrc"))
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.path().join("tor.err")).unwrap())
            .stdin(Stdio::null())
            .spawn()
            .expect("tor starts");
        let processes = Processes(vec![child]);
        let deadline = Instant::now() + Duration::from_secs(30);
        let hostname = loop {
            if let Ok(name) = std::fs::read_to_string(service.join("hostname"))
                && name.trim().ends_with(".onion")
            {
                break name.trim().to_owned();
            }
            assert!(
                Instant::now() < deadline,
                "Tor wrote no onion hostname: {}{}",
                std::fs::read_to_string(dir.path().join("tor.log")).unwrap_or_default(),
                std::fs::read_to_string(dir.path().join("tor.err")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(100));
        };
        Some(Self { _processes: processes, _dir: dir, hostname })
    }
}
