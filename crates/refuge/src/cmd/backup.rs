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
    let n = refuge_store::backup::backup(&DataDir::new(&args.data.data), &args.file, &mut bars())?;
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
    Ok(ExitCode::SUCCESS)
}
