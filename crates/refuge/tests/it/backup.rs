//! `refuge backup` and `refuge restore`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use std::path::Path;

use refuge_core::{DataDir, Outbox};
use refuge_store::backup::BackupError;

use crate::helpers::*;

fn backup(data: &Path, file: &Path) -> Result<usize, BackupError> {
    refuge_store::backup::backup(&DataDir::new(data), None, None, None, file, &mut |_, _, _| {})
}

/// Restores; how many files.
fn restore(file: &Path, data: &Path, force: bool) -> Result<usize, BackupError> {
    refuge_store::backup::restore(file, &DataDir::new(data), force, &mut |_, _, _| {}).map(|r| r.files)
}

/// Every row of every table, as text, table by table.
fn tables(db: &std::path::Path) -> Vec<(String, Vec<String>)> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let names: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    names
        .into_iter()
        .map(|table| {
            let columns = conn.prepare(&format!("SELECT * FROM \"{table}\"")).unwrap().column_count();
            let order = (1..=columns).map(|i| i.to_string()).collect::<Vec<_>>().join(", ");
            let mut stmt = conn.prepare(&format!("SELECT * FROM \"{table}\" ORDER BY {order}")).unwrap();
            let rows = stmt
                .query_map([], |r| {
                    (0..columns)
                        .map(|i| r.get_ref(i).map(|v| format!("{v:?}")))
                        .collect::<Result<Vec<_>, _>>()
                        .map(|v| v.join("|"))
                })
                .unwrap()
                .collect::<Result<Vec<_>, _>>()
                .unwrap();
            (table, rows)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_during_writes_restores_a_consistent_site() {
    let app = spawn_app().await;
    let media = app.data_dir.join("media/test");
    std::fs::create_dir_all(&media).unwrap();
    std::fs::write(media.join("photo.webp"), b"not really a picture, but bytes to keep").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("site.tar");

    // A writer keeps adding rows while the backup is taken.
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (store, stop) = (app.store.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut i = 0u32;
            while !stop.load(Ordering::Relaxed) || i < 50 {
                store
                    .enqueue(&crate::mailing::test_mail(&crate::mailing::lasting(i64::from(i)), "w@example.org"))
                    .unwrap();
                i += 1;
            }
            i
        })
    };
    let (data, out) = (app.data_dir.clone(), archive.clone());
    let files = tokio::task::spawn_blocking(move || backup(&data, &out)).await.unwrap().unwrap();
    stop.store(true, Ordering::Relaxed);
    let written = writer.join().unwrap();
    assert!(files >= 3, "{files}");
    assert!(backup(&app.data_dir, &archive).is_err(), "never overwrites an archive");

    // Restore into a new folder and compare: every table equal, except
    // that the outbox holds a prefix of the rows written meanwhile, and
    // the running server's lease on its housekeeping (taken at start, in
    // the background) may be newer than the copy.
    let restored = dir.path().join("restored");
    assert_eq!(restore(&archive, &restored, false).unwrap(), files);
    let live = tables(&app.data_dir.join("refuge.db"));
    let back = tables(&restored.join("refuge.db"));
    assert_eq!(live.iter().map(|t| &t.0).collect::<Vec<_>>(), back.iter().map(|t| &t.0).collect::<Vec<_>>());
    for ((table, live_rows), (_, back_rows)) in live.iter().zip(&back) {
        if table == "leases" {
            continue;
        }
        if table == "outbox" {
            assert!(back_rows.len() <= live_rows.len() && live_rows.starts_with(back_rows), "outbox is a prefix");
            assert!(live_rows.len() as u32 >= written);
        } else {
            assert_eq!(live_rows, back_rows, "table {table}");
        }
    }
    assert_eq!(
        std::fs::read(restored.join("media/test/photo.webp")).unwrap(),
        b"not really a picture, but bytes to keep"
    );
    assert_eq!(
        std::fs::read(restored.join("inbox/public.txt")).unwrap(),
        std::fs::read(app.data_dir.join("inbox/public.txt")).unwrap()
    );
    app.stop().await;

    // A non-empty folder is refused without --force; with it, moved aside.
    let err = restore(&archive, &restored, false).unwrap_err().to_string();
    assert!(err.contains("--force"), "{err}");

    // The restored site runs, with its search index rebuilt.
    let site =
        spawn_in(restored, refuge::app::StartOptions { inbox_work_factor: Some(10), ..Default::default() }).await;
    assert_eq!(site.get("/ja/").await.status, 200);
    let found = site.get("/en/search/?q=shelter").await;
    assert!(!attrs(&found.body, "ol.results h2 a", "href").is_empty(), "the index was rebuilt");
    site.stop().await;

    // With --force, what was there is moved aside, never deleted.
    let restored = dir.path().join("restored");
    restore(&archive, &restored, true).unwrap();
    let aside: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("restored.before-restore-"))
        .collect();
    assert_eq!(aside.len(), 1);
    assert!(aside[0].path().join("refuge.db").is_file());
    assert!(restored.join("refuge.db").is_file());
}

/// The data folder, its database and keys, a backup archive and what a
/// restore writes are this account's only; the DKIM key goes into the
/// backup and comes back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_backups_and_restores_are_private_and_keep_the_mail_key() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let app = spawn_app().await;
    let data = app.data_dir.clone();
    assert_eq!(mode(&data), 0o700, "the data folder");
    for file in ["refuge.db", "refuge.db-wal", "inbox/identity.age"] {
        assert_eq!(mode(&data.join(file)), 0o600, "{file}");
    }
    std::fs::write(data.join("dkim.pem"), "-----BEGIN PRIVATE KEY-----\nKEY\n").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("site.tar");
    backup(&data, &archive).unwrap();
    assert_eq!(mode(&archive), 0o600, "the archive");
    app.stop().await;
    let restored = dir.path().join("restored");
    restore(&archive, &restored, false).unwrap();
    assert_eq!(mode(&restored), 0o700, "the restored folder");
    for file in ["refuge.db", "inbox/identity.age", "dkim.pem", "refuge.toml"] {
        assert_eq!(mode(&restored.join(file)), 0o600, "restored {file}");
    }
    assert!(std::fs::read_to_string(restored.join("dkim.pem")).unwrap().contains("KEY"), "the mail key came back");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_archive_restores_nothing() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.tar");
    backup(&app.data_dir, &good).unwrap();
    app.stop().await;
    // Rewrite the archive with one file's bytes changed.
    let bad = dir.path().join("bad.tar");
    let mut out = tar::Builder::new(std::fs::File::create(&bad).unwrap());
    let mut archive = tar::Archive::new(std::fs::File::open(&good).unwrap());
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let name = entry.path().unwrap().to_string_lossy().into_owned();
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut bytes).unwrap();
        if name == "inbox/public.txt" {
            bytes[0] ^= 1;
        }
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o600);
        out.append_data(&mut header, &name, bytes.as_slice()).unwrap();
    }
    out.finish().unwrap();
    drop(out);
    let target = dir.path().join("target");
    let err = restore(&bad, &target, false).unwrap_err().to_string();
    assert!(err.contains("checksum"), "{err}");
    assert!(!target.exists(), "nothing restored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_kept_outside_the_data_folder_are_backed_up_as_its_refuge_toml() {
    // The Debian package keeps them in /etc/refuge/refuge.toml (--config).
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let settings = dir.path().join("etc-refuge.toml");
    std::fs::write(&settings, "page_size = 7\n").unwrap();
    let archive = dir.path().join("site.tar");
    let (data, out, file) = (app.data_dir.clone(), archive.clone(), settings.clone());
    tokio::task::spawn_blocking(move || {
        refuge_store::backup::backup(&DataDir::new(&data), None, None, Some(&file), &out, &mut |_, _, _| {})
    })
    .await
    .unwrap()
    .unwrap();
    let mut found = Vec::new();
    for entry in tar::Archive::new(std::fs::File::open(&archive).unwrap()).entries().unwrap() {
        let mut entry = entry.unwrap();
        if entry.path().unwrap().to_string_lossy() == "refuge.toml" {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut entry, &mut text).unwrap();
            found.push(text);
        }
    }
    assert_eq!(found, vec!["page_size = 7\n".to_owned()], "the settings in force, once");
    let restored = dir.path().join("restored");
    restore(&archive, &restored, false).unwrap();
    assert_eq!(std::fs::read_to_string(restored.join("refuge.toml")).unwrap(), "page_size = 7\n");
    app.stop().await;
}
