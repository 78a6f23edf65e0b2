//! `refuge backup FILE` and `refuge restore FILE`: the arguments, handed
//! to `refuge_store::backup`. FILE may be `s3://BUCKET/KEY`: the archive
//! is written locally first, then sent in parts, with its SHA-256 beside it
//! (`KEY.sha256`); a restore fetches both and checks the one against the
//! other before the archive's own checksums are checked.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;
use refuge_core::DataDir;

use crate::cli::DataArg;
use crate::cmd::reindex::progress;

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The archive to write (a tar file), or s3://BUCKET/KEY to keep it in
    /// an S3-compatible bucket; it must not exist yet.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    #[command(flatten)]
    pub bucket: BucketArgs,
    #[command(flatten)]
    pub data: DataArg,
}

/// How to reach an S3-compatible host (backups and publishing).
#[derive(Debug, Clone, Args)]
pub struct BucketArgs {
    /// The host's S3 address, for hosts other than AWS S3 (Cloudflare R2,
    /// Backblaze B2, DigitalOcean Spaces, Garage…), e.g.
    /// https://ACCOUNT.r2.cloudflarestorage.com.
    #[arg(long, value_name = "URL")]
    pub endpoint: Option<String>,
    /// The region the host expects (default us-east-1; R2 takes "auto").
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// A file with the access key (aws_access_key_id = … and
    /// aws_secret_access_key = …, as in ~/.aws/credentials). Default: a
    /// mirror's `credentials`, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.
    #[arg(long, value_name = "FILE")]
    pub credentials: Option<PathBuf>,
}

impl BucketArgs {
    /// The bucket and key `file` names, if it is an s3:// address.
    fn object(&self, file: &Path) -> Result<Option<(refuge_bucket::Bucket, String)>> {
        let Some(url) = file.to_str().filter(|f| f.starts_with("s3://")) else { return Ok(None) };
        let mut target = refuge_bucket::Target::parse(url)?;
        if target.prefix.is_empty() || url.ends_with('/') {
            anyhow::bail!("{url}: name the archive too, e.g. s3://{}/backups/site-2026-12-01.tar", target.bucket);
        }
        let key = target.prefix.clone();
        target.prefix = String::new();
        target.endpoint = self.endpoint.clone();
        target.region = self.region.clone();
        let credentials = match &self.credentials {
            Some(path) => refuge_bucket::Credentials::from_file(path)?,
            None => refuge_bucket::Credentials::from_env()
                .ok_or_else(|| refuge_bucket::BucketError::NoCredentials(target.to_string()))?,
        };
        Ok(Some((refuge_bucket::Bucket::open(&target, &credentials)?, key)))
    }
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread().enable_all().build()?)
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The archive written by `refuge backup`, or s3://BUCKET/KEY.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    #[command(flatten)]
    pub bucket: BucketArgs,
    /// Restore even if the data folder is not empty; what was there is
    /// moved aside to DIR.before-restore-<time>, never deleted.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub data: DataArg,
}

/// A stage's name and its progress bar.
type Bar = (&'static str, Box<dyn FnMut(u64, u64)>);

/// A progress bar per stage (checking, archiving, verifying).
fn bars() -> impl FnMut(&'static str, u64, u64) {
    let mut current: Option<Bar> = None;
    move |stage, done, total| {
        if current.as_ref().is_none_or(|(s, _)| *s != stage) {
            current = Some((stage, Box::new(progress(stage))));
        }
        if let Some((_, bar)) = current.as_mut() {
            bar(done, total);
        }
    }
}

pub fn run_backup(args: BackupArgs) -> Result<ExitCode> {
    let config = args.data.config()?;
    // A PostgreSQL site's archive holds a SQLite copy of its database.
    let database = match config.database_url {
        Some(_) => Some(config.open_store()?),
        None => None,
    };
    let data = DataDir::new(&args.data.data);
    // Media kept in a bucket (media_url) are fetched into the archive.
    let media = match config.media_url {
        Some(_) => Some(config.media_files()?),
        None => None,
    };
    let Some((bucket, key)) = args.bucket.object(&args.file)? else {
        let n = refuge_store::backup::backup(
            &data,
            database.as_ref(),
            media.as_deref(),
            Some(&config.config_file),
            &args.file,
            &mut bars(),
        )?;
        println!("Backed up {n} files to {}.", args.file.display());
        return Ok(ExitCode::SUCCESS);
    };
    let runtime = runtime()?;
    let sum_key = format!("{key}.sha256");
    if runtime.block_on(bucket.get(&sum_key))?.is_some() {
        anyhow::bail!("{} already holds {key}; give the archive another name", bucket.target());
    }
    // Written beside the data folder first (a temporary file, removed
    // however this ends), then sent.
    let parent = data.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new(".")).to_owned();
    let staging = tempfile::Builder::new().prefix(".refuge-backup-").tempdir_in(&parent)?;
    let local = staging.path().join("archive.tar");
    let n = refuge_store::backup::backup(
        &data,
        database.as_ref(),
        media.as_deref(),
        Some(&config.config_file),
        &local,
        &mut bars(),
    )?;
    let sum = sha256_of(&local)?;
    let total = std::fs::metadata(&local)?.len();
    let mut bar = progress("uploading");
    let bar = std::sync::Mutex::new(&mut bar);
    let sent = runtime.block_on(bucket.upload_file(&key, &local, &|sent| {
        if let Ok(mut bar) = bar.lock() {
            (*bar)(sent, total)
        }
    }))?;
    let line = format!("{sum}  {}\n", key.rsplit('/').next().unwrap_or(&key));
    let headers = refuge_bucket::Headers { content_type: "text/plain; charset=utf-8".into(), ..Default::default() };
    runtime.block_on(bucket.put(&sum_key, line.into_bytes().into(), &headers))?;
    println!("Backed up {n} files to {}/{key} ({sent} bytes, SHA-256 {sum} in {key}.sha256).", bucket.target());
    Ok(ExitCode::SUCCESS)
}

/// SHA-256 of a file, in hex.
fn sha256_of(path: &Path) -> Result<String> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let mut hasher = refuge_core::digest::Sha256Stream::default();
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    Ok(hasher.finish_hex())
}

pub fn run_restore(args: RestoreArgs) -> Result<ExitCode> {
    let data = DataDir::new(&args.data.data);
    // From a bucket: fetched beside the data folder and checked against
    // the SHA-256 sent with it, then restored as a local archive.
    let mut staging = None;
    let file = match args.bucket.object(&args.file)? {
        None => args.file.clone(),
        Some((bucket, key)) => {
            let runtime = runtime()?;
            let parent = data.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new(".")).to_owned();
            std::fs::create_dir_all(&parent)?;
            let dir = tempfile::Builder::new().prefix(".refuge-restore-").tempdir_in(&parent)?;
            let local = dir.path().join("archive.tar");
            let mut bar = progress("downloading");
            let bar = std::sync::Mutex::new(&mut bar);
            let got = runtime.block_on(bucket.download_file(&key, &local, &|got, total| {
                if let Ok(mut bar) = bar.lock() {
                    (*bar)(got, total)
                }
            }))?;
            if got.is_none() {
                anyhow::bail!("{} holds no {key}", bucket.target());
            }
            match runtime.block_on(bucket.get(&format!("{key}.sha256")))? {
                Some(line) => {
                    let expected =
                        String::from_utf8_lossy(&line).split_whitespace().next().unwrap_or_default().to_owned();
                    let actual = sha256_of(&local)?;
                    if expected != actual {
                        anyhow::bail!(
                            "{key} came back damaged (SHA-256 {actual}, sent as {expected}); nothing was restored. \
                             Try again, or restore an older archive"
                        );
                    }
                }
                None => tracing::warn!(key, "no .sha256 beside the archive; only its own checksums are checked"),
            }
            staging = Some(dir);
            local
        }
    };
    let restored = refuge_store::backup::restore(&file, &data, args.force, &mut bars())?;
    drop(staging);
    if let Some(aside) = &restored.moved_aside {
        eprintln!("What was in {data} is now in {}.", aside.display());
    }
    println!("Restored {} files into {data}. The search index is rebuilt when the server starts.", restored.files);
    // On a PostgreSQL site (database_url in the restored refuge.toml, the
    // environment or --database-url) the database goes there.
    let config = args.data.config()?;
    if let Some(url) = config.database_url.as_deref().filter(|u| u.starts_with("postgres")) {
        let restored_db = refuge_store::SqlStore::open(&data.database())?;
        let postgres = refuge_store::SqlStore::open_url(Some(url), &data.database())?;
        let checks = refuge_store::copy::copy(&restored_db, &postgres, &mut |_, _, _| {}).map_err(|e| {
            anyhow::anyhow!(
                "{e}. The archive is restored in {data}, with its database in {}",
                data.database().display()
            )
        })?;
        drop(restored_db);
        for suffix in ["", "-wal", "-shm"] {
            let mut path = data.database().into_os_string();
            path.push(suffix);
            // The WAL and shared-memory files exist only while open; the
            // rename below says if the database itself is in the way.
            let _ = std::fs::remove_file(path);
        }
        let rows: u64 = checks.iter().map(|c| c.rows).sum();
        println!("Its database ({rows} rows) is now in the {}, checked table by table.", postgres.describe());
    }
    // Media kept in a bucket: the archive's copies go back there (those the
    // bucket lacks), and the data folder keeps none.
    if config.media_url.is_some() {
        let files = config.media_files()?;
        let local = refuge_core::MediaFolder(data.media());
        let mut sent = 0;
        for (name, _) in refuge_core::MediaFiles::list(&local)? {
            if files.get(&name)?.is_none() {
                let bytes = refuge_core::MediaFiles::get(&local, &name)?.unwrap_or_default();
                files.put(&name, &bytes)?;
                sent += 1;
            }
            refuge_core::MediaFiles::remove(&local, &name)?;
        }
        println!("Media are kept in {}: {sent} files the archive had and it lacked were sent there.", files.describe());
    }
    Ok(ExitCode::SUCCESS)
}
