//! Keeping a bucket equal to a folder (a static export), sending only
//! what changed.
//!
//! A manifest object (`.refuge-publish.json` under the prefix) records
//! each object's SHA-256 and headers as last published. A publish compares
//! the folder with it and uploads new and changed files, in tiers so that
//! a reader never meets a link to something not yet there: media and
//! other assets first, then pages from the deepest to the home pages,
//! then feeds and the sitemap. Objects no longer in the folder are removed
//! last, once every upload has succeeded. The manifest is written after
//! each tier, so an interrupted publish, run again, sends only what it had
//! not sent yet.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use bytes::Bytes;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{Bucket, BucketError, Headers};

type Result<T> = std::result::Result<T, BucketError>;

/// The manifest's name under the target's prefix.
pub const MANIFEST: &str = ".refuge-publish.json";
const FORMAT: u32 = 1;
/// The manifest is written again after this many uploads…
const RECORD_EVERY: usize = 100;
/// …or this long, whichever comes first.
const RECORD_AFTER: std::time::Duration = std::time::Duration::from_secs(5);

/// How to publish.
#[derive(Clone, Debug)]
pub struct PublishOptions {
    /// Store text (pages, feeds, CSS) gzip-compressed, with
    /// `Content-Encoding: gzip`, for hosts that serve objects as stored.
    pub gzip: bool,
    /// Uploads at once.
    pub concurrency: usize,
}

impl Default for PublishOptions {
    fn default() -> Self {
        Self { gzip: false, concurrency: 16 }
    }
}

/// What a publish did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PublishReport {
    /// Files in the folder (objects of the copy).
    pub files: usize,
    pub uploaded: usize,
    /// Bytes sent in uploads (as stored, so compressed with `gzip`).
    pub bytes_sent: u64,
    pub unchanged: usize,
    pub deleted: usize,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Manifest {
    format: u32,
    files: BTreeMap<String, Entry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Entry {
    sha256: String,
    size: u64,
    /// Content type, cache control and encoding as sent.
    headers: String,
}

/// One file of the folder.
struct Local {
    name: String,
    path: PathBuf,
    entry: Entry,
    headers: Headers,
}

/// Makes the objects under `bucket`'s prefix those of `dir`. `progress`
/// hears (uploads done, uploads to do).
pub async fn publish(
    bucket: &Bucket,
    dir: &Path,
    options: &PublishOptions,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<PublishReport> {
    let files = local_files(dir, options)?;
    let mut remote = match bucket.get(MANIFEST).await? {
        Some(bytes) => serde_json::from_slice::<Manifest>(&bytes).ok().filter(|m| m.format == FORMAT).unwrap_or_else(|| {
            tracing::warn!(target = %bucket.target(), "the bucket's publish manifest is unreadable; every file is sent again");
            Manifest::default()
        }),
        None => Manifest::default(),
    };
    remote.format = FORMAT;
    let mut report = PublishReport { files: files.len(), ..PublishReport::default() };
    let changed: Vec<&Local> = files.iter().filter(|f| remote.files.get(&f.name) != Some(&f.entry)).collect();
    report.unchanged = files.len() - changed.len();
    let total = changed.len() as u64;
    progress(0, total);
    let done = AtomicU64::new(0);
    let sent = AtomicU64::new(0);
    for tier in tiers(changed) {
        let mut uploads = futures_util::stream::iter(tier.iter().map(|file| async {
            let bytes = body(file, options)?;
            let size = bytes.len() as u64;
            bucket.put(&file.name, bytes, &file.headers).await?;
            sent.fetch_add(size, Ordering::Relaxed);
            progress(done.fetch_add(1, Ordering::Relaxed) + 1, total);
            Ok::<_, BucketError>(*file)
        }))
        .buffer_unordered(options.concurrency.max(1));
        let mut failed = None;
        let mut recorded = std::time::Instant::now();
        while let Some(result) = uploads.next().await {
            match result {
                Ok(file) => {
                    remote.files.insert(file.name.clone(), file.entry.clone());
                    report.uploaded += 1;
                    // Recorded as it goes too (a tier may be thousands of
                    // files): a publish killed mid-tier, run again, sends
                    // only what it had not sent.
                    if report.uploaded.is_multiple_of(RECORD_EVERY) || recorded.elapsed() > RECORD_AFTER {
                        write_manifest(bucket, &remote).await?;
                        recorded = std::time::Instant::now();
                    }
                }
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            }
        }
        drop(uploads);
        // What was sent is recorded, so that running the command again
        // goes on from here.
        if report.uploaded > 0 {
            write_manifest(bucket, &remote).await?;
        }
        if let Some(e) = failed {
            return Err(e);
        }
    }
    report.bytes_sent = sent.into_inner();
    let names: std::collections::HashSet<&str> = files.iter().map(|f| f.name.as_str()).collect();
    let gone: Vec<String> = remote.files.keys().filter(|k| !names.contains(k.as_str())).cloned().collect();
    let deleted = AtomicUsize::new(0);
    let counter = &deleted;
    let mut deletes = futures_util::stream::iter(gone.iter().map(|name| async move {
        bucket.delete(name).await?;
        counter.fetch_add(1, Ordering::Relaxed);
        Ok::<_, BucketError>(name)
    }))
    .buffer_unordered(options.concurrency.max(1));
    let mut failed = None;
    while let Some(result) = deletes.next().await {
        match result {
            Ok(name) => {
                remote.files.remove(name);
            }
            Err(e) => {
                failed = Some(e);
                break;
            }
        }
    }
    drop(deletes);
    report.deleted = deleted.into_inner();
    if report.uploaded > 0 || report.deleted > 0 || failed.is_some() {
        write_manifest(bucket, &remote).await?;
    }
    match failed {
        Some(e) => Err(e),
        None => Ok(report),
    }
}

async fn write_manifest(bucket: &Bucket, manifest: &Manifest) -> Result<()> {
    let bytes = serde_json::to_vec(manifest).map_err(|e| BucketError::Other(e.to_string()))?;
    let headers = Headers {
        content_type: "application/json".into(),
        cache_control: Some("no-store".into()),
        content_encoding: None,
    };
    bucket.put(MANIFEST, Bytes::from(bytes), &headers).await
}

/// The object's bytes: the file, compressed when its headers say so.
fn body(file: &Local, _options: &PublishOptions) -> Result<Bytes> {
    let bytes = std::fs::read(&file.path).map_err(|source| BucketError::File {
        action: "read",
        path: file.path.clone(),
        source,
    })?;
    if file.headers.content_encoding.is_none() {
        return Ok(Bytes::from(bytes));
    }
    let mut z = flate2::write::GzEncoder::new(Vec::with_capacity(bytes.len() / 3), flate2::Compression::best());
    z.write_all(&bytes).and_then(|()| z.finish()).map(Bytes::from).map_err(|e| BucketError::Other(e.to_string()))
}

/// Uploads in the order that keeps every link working while they go:
/// assets and media first, then pages from the deepest up, then feeds and
/// the sitemap.
fn tiers(files: Vec<&Local>) -> Vec<Vec<&Local>> {
    let mut by_rank: BTreeMap<(u8, std::cmp::Reverse<usize>), Vec<&Local>> = BTreeMap::new();
    for file in files {
        let rank = if file.headers.content_type.starts_with("text/html") {
            (1, std::cmp::Reverse(file.name.matches('/').count()))
        } else if file.headers.content_type.contains("xml") {
            (2, std::cmp::Reverse(0))
        } else {
            (0, std::cmp::Reverse(0))
        };
        by_rank.entry(rank).or_default().push(file);
    }
    by_rank.into_values().collect()
}

/// Every file under `dir` but the export's own bookkeeping (names starting
/// with a dot at the top) and compressed siblings, with its hash and
/// headers.
fn local_files(dir: &Path, options: &PublishOptions) -> Result<Vec<Local>> {
    let mut out = Vec::new();
    walk(dir, dir, options, &mut out)?;
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

fn walk(root: &Path, dir: &Path, options: &PublishOptions, out: &mut Vec<Local>) -> Result<()> {
    let read_error = |source| BucketError::File { action: "read", path: dir.to_owned(), source };
    for entry in std::fs::read_dir(dir).map_err(read_error)? {
        let entry = entry.map_err(read_error)?;
        let path = entry.path();
        let Ok(rel) = path.strip_prefix(root) else { continue };
        let Some(name) = rel.to_str().map(|n| n.replace('\\', "/")) else {
            tracing::warn!(path = %path.display(), "a file whose name is not UTF-8 is left out");
            continue;
        };
        if dir == root && name.starts_with('.') {
            continue;
        }
        if entry.file_type().map_err(read_error)?.is_dir() {
            walk(root, &path, options, out)?;
            continue;
        }
        if name.ends_with(".gz") || name.ends_with(".br") {
            continue;
        }
        let bytes =
            std::fs::read(&path).map_err(|source| BucketError::File { action: "read", path: path.clone(), source })?;
        let headers = headers_for(&name, &bytes, options.gzip);
        let entry = Entry {
            sha256: hex(&Sha256::digest(&bytes)),
            size: bytes.len() as u64,
            headers: format!(
                "{}|{}|{}",
                headers.content_type,
                headers.cache_control.as_deref().unwrap_or(""),
                headers.content_encoding.as_deref().unwrap_or("")
            ),
        };
        out.push(Local { name, path, entry, headers });
    }
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The headers of a file of the copy: its type with charset for text,
/// caching by how often it changes, gzip for text when asked.
pub fn headers_for(name: &str, bytes: &[u8], gzip: bool) -> Headers {
    let extension = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    let file_name = name.rsplit('/').next().unwrap_or(name);
    let content_type = match extension.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "txt" => "text/plain; charset=utf-8",
        "json" => "application/json",
        "xml" if file_name.starts_with("sitemap") => "application/xml; charset=utf-8",
        "xml" => "application/atom+xml; charset=utf-8",
        "ico" => "image/x-icon",
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "webp" => "image/webp",
        "gif" => "image/gif",
        "svg" => "image/svg+xml",
        "pdf" => "application/pdf",
        _ if looks_like_html(bytes) => "text/html; charset=utf-8",
        _ => "application/octet-stream",
    };
    // Fingerprinted style sheets and media (random names, never rewritten)
    // may be kept a year; pages, feeds and the rest change.
    let immutable = name.starts_with("media/") || (name.starts_with("static/") && file_name.matches('.').count() >= 2);
    let cache_control = if immutable { "public, max-age=31536000, immutable" } else { "public, max-age=300" };
    let text = content_type.starts_with("text/") || content_type.contains("xml") || content_type.contains("json");
    Headers {
        content_type: content_type.to_owned(),
        cache_control: Some(cache_control.to_owned()),
        content_encoding: (gzip && text && bytes.len() > 256).then(|| "gzip".to_owned()),
    }
}

fn looks_like_html(bytes: &[u8]) -> bool {
    let start = String::from_utf8_lossy(&bytes[..bytes.len().min(64)]).trim_start().to_ascii_lowercase();
    start.starts_with("<!doctype html") || start.starts_with("<html")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_follow_the_kind_of_file() {
        let page = headers_for("en/news/a/index.html", b"<!doctype html><p>", false);
        assert_eq!(page.content_type, "text/html; charset=utf-8");
        assert_eq!(page.cache_control.as_deref(), Some("public, max-age=300"));
        assert_eq!(headers_for("en/feed.xml", b"", false).content_type, "application/atom+xml; charset=utf-8");
        assert_eq!(headers_for("sitemap.xml", b"", false).content_type, "application/xml; charset=utf-8");
        let css = headers_for("static/style.0a1b2c3d.css", b"", false);
        assert_eq!(css.cache_control.as_deref(), Some("public, max-age=31536000, immutable"));
        assert_eq!(headers_for("media/ab-480.jpg", b"", false).content_type, "image/jpeg");
        // An old address without an extension keeps its redirect page working.
        assert_eq!(
            headers_for("old/report", b"<!DOCTYPE html>\n<html>", false).content_type,
            "text/html; charset=utf-8"
        );
        let big = vec![b'a'; 1000];
        assert_eq!(headers_for("en/index.html", &big, true).content_encoding.as_deref(), Some("gzip"));
        assert_eq!(headers_for("media/x.jpg", &big, true).content_encoding, None);
    }

    #[test]
    fn links_are_uploaded_after_what_they_lead_to() {
        let dir = tempfile::tempdir().unwrap();
        for (name, body) in [
            ("index.html", "<!doctype html>"),
            ("en/index.html", "<!doctype html>"),
            ("en/news/a/index.html", "<!doctype html>"),
            ("en/feed.xml", "<feed>"),
            ("media/x.jpg", "jpg"),
            (".refuge-export", "marker"),
        ] {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, body).unwrap();
        }
        let files = local_files(dir.path(), &PublishOptions::default()).unwrap();
        assert_eq!(files.len(), 5, "the export's marker stays home");
        let order: Vec<Vec<&str>> =
            tiers(files.iter().collect()).iter().map(|t| t.iter().map(|f| f.name.as_str()).collect()).collect();
        assert_eq!(
            order,
            [
                vec!["media/x.jpg"],
                vec!["en/news/a/index.html"],
                vec!["en/index.html"],
                vec!["index.html"],
                vec!["en/feed.xml"]
            ]
        );
    }
}

/// Against a real S3-compatible server (Garage, see `testing`).
#[cfg(test)]
mod against_garage {
    use super::*;
    use crate::Credentials;
    use crate::testing::garage;

    fn write(dir: &Path, name: &str, body: &[u8]) {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, body).unwrap();
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
    }

    #[test]
    fn only_changes_are_sent_and_removed_files_go_last() {
        let Some(garage) = garage() else { return };
        let b = garage.bucket();
        let bucket = Bucket::open(&b.target, &b.credentials).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let page = "<!doctype html><p>".to_owned() + &"words ".repeat(100);
        for name in ["index.html", "en/index.html", "en/a/index.html", "en/b/index.html"] {
            write(dir.path(), name, page.as_bytes());
        }
        write(dir.path(), "en/feed.xml", b"<feed/>");
        write(dir.path(), "media/x.jpg", b"\xff\xd8jpeg");
        let rt = runtime();
        let options = PublishOptions::default();
        let publish = || rt.block_on(publish(&bucket, dir.path(), &options, &|_, _| {})).unwrap();
        let first = publish();
        assert_eq!((first.files, first.uploaded, first.unchanged, first.deleted), (6, 6, 0, 0));
        let again = publish();
        assert_eq!((again.uploaded, again.unchanged, again.deleted), (0, 6, 0), "nothing changed, nothing sent");

        write(dir.path(), "en/a/index.html", b"<!doctype html><p>changed");
        std::fs::remove_dir_all(dir.path().join("en/b")).unwrap();
        let third = publish();
        assert_eq!((third.uploaded, third.unchanged, third.deleted), (1, 4, 1));
        let got = rt.block_on(bucket.get("en/a/index.html")).unwrap().unwrap();
        assert_eq!(&got[..], b"<!doctype html><p>changed");
        assert!(rt.block_on(bucket.get("en/b/index.html")).unwrap().is_none(), "a removed page is gone");

        // A publish cut short left a manifest naming only part of the
        // files: running it again sends the rest, and only the rest.
        let manifest: Manifest = serde_json::from_slice(&rt.block_on(bucket.get(MANIFEST)).unwrap().unwrap()).unwrap();
        let mut partial = Manifest { format: FORMAT, files: manifest.files.clone() };
        partial.files.remove("en/index.html");
        partial.files.remove("media/x.jpg");
        rt.block_on(write_manifest(&bucket, &partial)).unwrap();
        let resumed = publish();
        assert_eq!((resumed.uploaded, resumed.unchanged), (2, 3));

        // Gzip is part of what was sent: switching it on sends text again.
        let gzip = PublishOptions { gzip: true, ..PublishOptions::default() };
        let zipped = rt.block_on(super::publish(&bucket, dir.path(), &gzip, &|_, _| {})).unwrap();
        assert_eq!(zipped.uploaded, 2, "the two pages long enough to gain from it");
        let stored = rt.block_on(bucket.get("index.html")).unwrap().unwrap();
        assert_eq!(&stored[..2], b"\x1f\x8b", "stored gzip-compressed");
    }

    /// A first publish killed in the middle of a tier of pages, run
    /// again, sends only what it had not sent (it sent 6,092 of 6,720
    /// files again after a kill at 2,010).
    #[test]
    fn a_publish_killed_mid_tier_goes_on_from_where_it_was() {
        let Some(garage) = garage() else { return };
        let b = garage.bucket();
        let bucket = Bucket::open(&b.target, &b.credentials).unwrap();
        let dir = tempfile::tempdir().unwrap();
        for n in 0..600 {
            write(dir.path(), &format!("en/news/item-{n}/index.html"), format!("<p>page {n}").as_bytes());
        }
        let rt = runtime();
        let options = PublishOptions { concurrency: 4, ..PublishOptions::default() };
        let enough = tokio::sync::Notify::new();
        let progress = |done: u64, _: u64| {
            if done == 350 {
                enough.notify_one();
            }
        };
        // Killed: the future is dropped mid-upload, nothing runs after.
        rt.block_on(async {
            tokio::select! {
                _ = publish(&bucket, dir.path(), &options, &progress) => panic!("finished before the kill"),
                () = enough.notified() => {}
            }
        });
        let again = rt.block_on(publish(&bucket, dir.path(), &options, &|_, _| {})).unwrap();
        assert!(again.unchanged >= 300, "only {} of the files sent before the kill were known", again.unchanged);
        assert_eq!(again.uploaded + again.unchanged, 600);
    }

    #[test]
    fn large_files_go_in_parts_and_come_back_the_same() {
        let Some(garage) = garage() else { return };
        let b = garage.bucket();
        let bucket = Bucket::open(&b.target, &b.credentials).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("archive.tar");
        let bytes: Vec<u8> =
            (0..(crate::PART_SIZE + 12345) as u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect();
        std::fs::write(&source, &bytes).unwrap();
        let rt = runtime();
        let sent = rt.block_on(bucket.upload_file("backups/a.tar", &source, &|_| {})).unwrap();
        assert_eq!(sent, bytes.len() as u64);
        let back = dir.path().join("back.tar");
        let got = rt.block_on(bucket.download_file("backups/a.tar", &back, &|_, _| {})).unwrap();
        assert_eq!(got, Some(bytes.len() as u64));
        assert!(std::fs::read(&back).unwrap() == bytes, "the same bytes come back");
        assert_eq!(rt.block_on(bucket.download_file("backups/none.tar", &back, &|_, _| {})).unwrap(), None);
    }

    #[test]
    fn wrong_credentials_say_what_to_check() {
        let Some(garage) = garage() else { return };
        let b = garage.bucket();
        let bucket = Bucket::open(&b.target, &Credentials::new("GK000000000000000000000000", "0".repeat(64))).unwrap();
        let e = runtime().block_on(bucket.get("x")).unwrap_err().to_string();
        assert!(e.contains("refused the credentials"), "{e}");
    }
}
