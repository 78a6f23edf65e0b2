//! `refuge backup FILE` and `refuge restore FILE`: the arguments, handed
//! to `refuge_store::backup`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;
use refuge_core::DataDir;

use crate::cli::DataArg;
use crate::cmd::reindex::progress;

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The archive to write (a tar file); it must not exist yet.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    #[command(flatten)]
    pub data: DataArg,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The archive written by `refuge backup`.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
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
    let n = refuge_store::backup::backup(&DataDir::new(&args.data.data), database.as_ref(), &args.file, &mut bars())?;
    println!("Backed up {n} files to {}.", args.file.display());
    Ok(ExitCode::SUCCESS)
}

pub fn run_restore(args: RestoreArgs) -> Result<ExitCode> {
    let data = DataDir::new(&args.data.data);
    let restored = refuge_store::backup::restore(&args.file, &data, args.force, &mut bars())?;
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
            let _ = std::fs::remove_file(path);
        }
        let rows: u64 = checks.iter().map(|c| c.rows).sum();
        println!("Its database ({rows} rows) is now in the {}, checked table by table.", postgres.describe());
    }
    Ok(ExitCode::SUCCESS)
}
