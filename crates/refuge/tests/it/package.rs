//! The Debian package: what `cargo deb` builds, checked as dpkg and
//! systemd would see it.

use std::path::Path;
use std::process::Command;

fn run(command: &mut Command) -> String {
    let output = command.output().unwrap_or_else(|e| panic!("{command:?} could not run: {e}"));
    assert!(
        output.status.success(),
        "{command:?} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr)
}

/// Whether `cargo deb` is installed (`.ci/run` installs it; elsewhere the
/// test is skipped with a note).
fn have_cargo_deb() -> bool {
    let found = Command::new(env!("CARGO")).args(["deb", "--version"]).output().is_ok_and(|o| o.status.success());
    if !found {
        assert!(std::env::var_os("CI").is_none(), "CI must install cargo-deb (cargo install cargo-deb)");
        eprintln!("note: package test skipped: cargo-deb is not installed (cargo install cargo-deb)");
    }
    found
}

#[test]
fn the_debian_package_holds_a_hardened_service_and_its_settings_as_a_conffile() {
    if !have_cargo_deb() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    // The binary this test run built (dev profile): the package's contents
    // and metadata are what is checked here, not its optimisation.
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
    run(Command::new(env!("CARGO"))
        .args(["deb", "--no-build", "--profile", "dev", "--no-strip", "--fast", "--manifest-path"])
        .arg(&manifest)
        .arg("--output")
        .arg(&out));
    let deb = out.join(format!("refuge_{}_amd64.deb", env!("CARGO_PKG_VERSION")));
    assert!(deb.is_file(), "expected {}: {:?}", deb.display(), std::fs::read_dir(&out).unwrap().collect::<Vec<_>>());

    // Control: its dependencies, the conffile, and maintainer scripts that
    // make the user and enable (not start) the service.
    let control = dir.path().join("control");
    run(Command::new("dpkg-deb").arg("-e").arg(&deb).arg(&control));
    let fields = std::fs::read_to_string(control.join("control")).unwrap();
    assert!(fields.contains("Package: refuge") && fields.contains("adduser"), "{fields}");
    assert_eq!(std::fs::read_to_string(control.join("conffiles")).unwrap().trim(), "/etc/refuge/refuge.toml");
    let postinst = std::fs::read_to_string(control.join("postinst")).unwrap();
    assert!(postinst.contains("adduser --system") && postinst.contains("systemctl enable --now refuge"), "{postinst}");
    // Not enabled before it is configured (it would restart for ever):
    // enabled again on an upgrade only where it was enabled (inside the
    // `debian-installed` check), never on a first installation.
    assert_eq!(postinst.matches("deb-systemd-helper enable").count(), 1, "{postinst}");
    assert!(postinst.contains("debian-installed refuge.service"), "{postinst}");
    assert!(!postinst.contains("new installations run enable"), "{postinst}");

    // Contents.
    let root = dir.path().join("root");
    run(Command::new("dpkg-deb").arg("-x").arg(&deb).arg(&root));
    assert!(root.join("usr/bin/refuge").is_file());
    let unit_path = ["lib/systemd/system/refuge.service", "usr/lib/systemd/system/refuge.service"]
        .iter()
        .map(|p| root.join(p))
        .find(|p| p.is_file())
        .expect("the systemd unit is in the package");
    let unit = std::fs::read_to_string(&unit_path).unwrap();
    for line in [
        "User=refuge",
        "ProtectSystem=strict",
        "ProtectHome=yes",
        "PrivateTmp=yes",
        "NoNewPrivileges=yes",
        "CapabilityBoundingSet=CAP_NET_BIND_SERVICE",
        "AmbientCapabilities=CAP_NET_BIND_SERVICE",
        "StateDirectory=refuge",
        "StateDirectoryMode=0700",
        "StartLimitBurst=5",
        "ExecStart=/usr/bin/refuge serve --no-demo --data /var/lib/refuge --config /etc/refuge/refuge.toml",
    ] {
        assert!(unit.lines().any(|l| l == line), "the unit lacks `{line}`");
    }

    // systemd finds nothing wrong with the unit. It is checked inside the
    // extracted package (so its program is the package's), beside this
    // machine's own units (the targets it starts after).
    let units = unit_path.parent().unwrap();
    for entry in std::fs::read_dir("/usr/lib/systemd/system").expect("systemd's units").flatten() {
        let to = units.join(entry.file_name());
        if !to.exists() && entry.path().is_file() {
            std::fs::copy(entry.path(), to).unwrap();
        }
    }
    let verify = Command::new("systemd-analyze")
        .arg("verify")
        .arg(format!("--root={}", root.display()))
        .arg(&unit_path)
        .output()
        .expect("systemd-analyze runs");
    let said = String::from_utf8_lossy(&verify.stderr).into_owned() + &String::from_utf8_lossy(&verify.stdout);
    assert!(verify.status.success() && said.trim().is_empty(), "systemd-analyze verify: {said}");
    // And rates its sandbox: "OK" or better (below 2.0 of 10).
    let security = run(Command::new("systemd-analyze")
        .args(["security", "--offline=true", "--no-pager"])
        .arg(format!("--root={}", root.display()))
        .arg(&unit_path));
    let exposure: f64 = security
        .lines()
        .find_map(|l| l.split("Overall exposure level for refuge.service:").nth(1))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no exposure level in: {security}"));
    eprintln!("systemd-analyze security: exposure {exposure} of 10");
    assert!(exposure < 2.0, "the unit's sandbox is weaker than expected: {exposure}\n{security}");

    // The settings as shipped say what to do; with a domain they are a
    // site on 443 with HTTPS from Let's Encrypt and HSTS.
    let settings = root.join("etc/refuge/refuge.toml");
    let data = dir.path().join("data");
    let err = refuge::config::Config::load_with(&data, Some(&settings)).unwrap_err().to_string();
    assert!(err.contains("domains"), "{err}");
    let text = std::fs::read_to_string(&settings).unwrap().replace(
        "domains = []                        # e.g.",
        "domains = [\"example.org\"]\ncontact = \"webmaster@example.org\"\n#",
    );
    std::fs::write(&settings, text).unwrap();
    let config = refuge::config::Config::load_with(&data, Some(&settings)).unwrap();
    assert_eq!(config.base_url.as_deref(), Some("https://example.org"));
    assert_eq!(config.addr, "[::]:443");
    assert_eq!(config.http_addr(), "[::]:80");
    assert!(config.hsts());
    assert!(!data.join("refuge.toml").exists());
}
