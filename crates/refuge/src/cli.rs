//! Command-line interface. Each subcommand lives in `cmd/`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::cmd;

/// Refuge runs the website of a small human-rights organisation: a
/// bilingual news and appeals site with search, a safe contact channel
/// and a back office, from one program and one data folder.
#[derive(Debug, Parser)]
#[command(name = "refuge", version, propagate_version = true, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the website.
    ///
    /// On the first start the data folder is created and filled with a demo
    /// site in English and Japanese (unless --no-demo), and an admin account
    /// is created whose one-time password is printed. Later starts reuse
    /// the data and print no password.
    Serve(cmd::serve::ServeArgs),
    /// Manage back-office accounts.
    #[command(subcommand)]
    User(cmd::user::UserCommand),
    /// The encrypted contact inbox: create its keys, read it offline.
    #[command(subcommand)]
    Inbox(cmd::inbox::InboxCommand),
    /// The mailing list: import an existing list from CSV, export it.
    #[command(subcommand)]
    Subscribers(cmd::subscribers::SubscribersCommand),
    /// The database: copy a site between SQLite and PostgreSQL.
    #[command(subcommand)]
    Db(cmd::db::DbCommand),
    /// Outgoing mail: a DKIM key so receivers trust it.
    #[command(subcommand)]
    Mail(cmd::mail::MailCommand),
    /// Rebuild the search index from the database, with a progress bar.
    ///
    /// Run it with the server stopped. A server also rebuilds a missing,
    /// damaged or outdated index by itself when it starts.
    Reindex(cmd::reindex::ReindexArgs),
    /// Check that a running Refuge answers (exit status 0 if healthy).
    ///
    /// Requests /healthz from the address in the data folder's settings
    /// (or --addr); for service managers and container health checks.
    Healthcheck(cmd::healthcheck::HealthcheckArgs),
    /// Write one archive of the site: a consistent snapshot of the
    /// database, the media, the theme, refuge.toml and the inbox keys, with
    /// SHA-256 checksums. Safe while the server runs.
    Backup(cmd::backup::BackupArgs),
    /// Restore an archive from `refuge backup` into an empty data folder
    /// (or, with --force, move the current one aside first). Every checksum
    /// is verified before anything is replaced; the search index is rebuilt
    /// at the next start.
    Restore(cmd::backup::RestoreArgs),
    /// Write the public site as static files, for mirrors, CDNs and
    /// censorship-resistant copies.
    ///
    /// Every page is the bytes the server sends; search and the forms send
    /// readers to the running site (--forms-url). A second export writes
    /// only what changed, and the folder is replaced only once the new copy
    /// is complete. Safe while the server runs.
    Export(cmd::export::ExportArgs),
    /// Keep copies of the public site in S3-compatible buckets (AWS S3,
    /// Cloudflare R2, Backblaze B2, Garage…), for readers who cannot reach
    /// the main address.
    ///
    /// Renders the static export (kept in the data folder's publish/) and
    /// sends only what changed since the last publish, which a manifest in
    /// the bucket records; pages are sent after what they link to, and
    /// pages no longer on the site are removed last. An interrupted publish
    /// is simply run again. Credentials: AWS_ACCESS_KEY_ID and
    /// AWS_SECRET_ACCESS_KEY, or a mirror's `credentials` file. Safe while
    /// the server runs.
    Publish(cmd::publish::PublishArgs),
    /// Bring content in from elsewhere: `refuge import html SRC_DIR --lang LANG`.
    #[command(subcommand)]
    Import(cmd::import::ImportCommand),
}

/// The data folder, shared by every subcommand.
#[derive(Debug, Clone, Args)]
pub struct DataArg {
    /// The data folder: database, settings (refuge.toml), theme and media.
    #[arg(long, env = "REFUGE_DATA", default_value = "refuge-data", value_name = "DIR")]
    pub data: PathBuf,
    /// The database, over `database_url` in refuge.toml and
    /// REFUGE_DATABASE_URL: postgres://USER:PASSWORD@HOST:PORT/DATABASE
    /// for PostgreSQL; without it, the SQLite file in the data folder.
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,
    /// The settings file, instead of the data folder's refuge.toml (the
    /// Debian package keeps it in /etc/refuge/refuge.toml).
    #[arg(long = "config", env = "REFUGE_CONFIG", value_name = "FILE")]
    pub config_file: Option<PathBuf>,
}

impl DataArg {
    /// The data folder alone (the database its settings name).
    pub fn new(data: PathBuf) -> Self {
        Self { data, database_url: None, config_file: None }
    }

    /// The settings of this data folder, with `--database-url` over them.
    pub fn config(&self) -> anyhow::Result<crate::config::Config> {
        let mut config = crate::config::Config::load_with(&self.data, self.config_file.as_deref())?;
        if let Some(url) = &self.database_url {
            config.database_url = Some(url.clone());
        }
        Ok(config)
    }
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ =
        tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_target(false).try_init();
}

/// Parses the command line and runs the command.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    let result = match cli.command {
        Command::Serve(args) => cmd::serve::run(args),
        Command::User(command) => cmd::user::run(command),
        Command::Healthcheck(args) => cmd::healthcheck::run(args),
        Command::Reindex(args) => cmd::reindex::run(args),
        Command::Inbox(command) => cmd::inbox::run(command),
        Command::Mail(command) => cmd::mail::run(command),
        Command::Db(command) => cmd::db::run(command),
        Command::Subscribers(command) => cmd::subscribers::run(command),
        Command::Backup(args) => cmd::backup::run_backup(args),
        Command::Restore(args) => cmd::backup::run_restore(args),
        Command::Export(args) => cmd::export::run(args),
        Command::Publish(args) => cmd::publish::run(args),
        Command::Import(command) => cmd::import::run(command),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        super::Cli::command().debug_assert();
    }
}
