//! `refuge db copy`

use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use refuge_store::SqlStore;

use crate::cli::DataArg;

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Copy the site's database into another, empty database, and check
    /// the copy table by table.
    ///
    /// From the data folder's SQLite file (or the database --database-url
    /// or database_url names) to TARGET: `postgres://USER:PASSWORD@HOST:PORT/DATABASE`
    /// to move a site to PostgreSQL, or `sqlite:PATH` (a new file) to
    /// move it back. The target must hold no site yet. Every table is
    /// compared afterwards (row counts and a checksum); only then is the
    /// copy called done. The source is never changed, and is read as it
    /// was at one moment: stop the servers first, so nothing written after
    /// that moment is left behind.
    Copy(CopyArgs),
}

#[derive(Debug, Args)]
pub struct CopyArgs {
    /// Where to copy to: postgres://… or sqlite:PATH.
    #[arg(value_name = "TARGET")]
    pub target: String,
    #[command(flatten)]
    pub data: DataArg,
}

pub fn run(command: DbCommand) -> Result<ExitCode> {
    match command {
        DbCommand::Copy(args) => copy(&args),
    }
}

fn copy(args: &CopyArgs) -> Result<ExitCode> {
    let config = args.data.config()?;
    if config.database_url.is_none() && !config.data_dir.has_site() {
        anyhow::bail!(
            "there is no site in {}: name its data folder with --data, or its database with --database-url",
            config.data_dir.display()
        );
    }
    let from = config.open_store()?;
    let target = args.target.trim();
    if let Some(path) = target.strip_prefix("sqlite:")
        && std::path::Path::new(path.trim_start_matches("//")).exists()
    {
        anyhow::bail!("{path} exists: copy into a new file, so nothing is overwritten");
    }
    let to = SqlStore::open_url(Some(target), &config.data_dir.database())
        .with_context(|| "cannot open the target database".to_string())?;
    if from.describe() == to.describe() {
        anyhow::bail!("the source and the target are the same database ({}): nothing was copied", from.describe());
    }
    println!("Copying the {} into the {}.", from.describe(), to.describe());
    let mut bars: std::collections::HashMap<String, Box<dyn FnMut(u64, u64)>> = Default::default();
    let checks = refuge_store::copy::copy(&from, &to, &mut |table, done, total| {
        if total == 0 {
            return;
        }
        let bar = bars
            .entry(table.to_owned())
            .or_insert_with(|| Box::new(super::reindex::progress(format!("copying {table}"))));
        bar(done, total);
    })?;
    let rows: u64 = checks.iter().map(|c| c.rows).sum();
    for c in &checks {
        println!("  {:<20} {:>9} rows  checksum {}  same", c.table, c.rows, c.checksum);
    }
    println!(
        "Copied and checked {} tables, {rows} rows: the copy is identical. To use it, set database_url to it \
         in refuge.toml (or REFUGE_DATABASE_URL) on every server, then start them.",
        checks.len()
    );
    Ok(ExitCode::SUCCESS)
}
