//! `refuge subscribers …`

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use refuge_core::subscribers::{ListDefaults, TOPICS, parse_csv, to_csv};
use refuge_core::{AuditLog, Language, SubscriberReads, SubscriberState};

use crate::app::{StartOptions, open_data};
use crate::cli::DataArg;
use crate::config::Config;

#[derive(Debug, Subcommand)]
pub enum SubscribersCommand {
    /// Bring an existing mailing list in from a CSV file.
    ///
    /// Columns: the address, and optionally the language, the topics
    /// (news, appeals) and the date joined; a first row naming them
    /// (email, language, topics, joined) is recognised. Addresses are
    /// checked; duplicates, bad addresses and addresses removed or
    /// unsubscribed before are skipped, and a report says why. By default
    /// the addresses are confirmed, with the source recorded (the
    /// organisation vouches for their consent); with --reconfirm each gets
    /// a confirmation mail (sent by the running server, at the outbox's
    /// pace) and waits for it. Importing the same file again changes
    /// nothing.
    Import(ImportArgs),
    /// Write the list as CSV to standard output (it imports back as is).
    Export(ExportArgs),
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The CSV file.
    pub file: PathBuf,
    /// The language of addresses without a language column.
    #[arg(long)]
    pub lang: String,
    /// The language of rows in a language the site does not have
    /// (default: such rows are left out, each named in the report).
    #[arg(long, value_name = "LANG")]
    pub other_language: Option<String>,
    /// Topics of addresses without a topics column (default: all).
    #[arg(long, value_delimiter = ',')]
    pub topics: Vec<String>,
    /// Where the list comes from, recorded with each address.
    #[arg(long, default_value = "imported list")]
    pub source: String,
    /// Ask each new address to confirm by mail instead of vouching for it.
    #[arg(long)]
    pub reconfirm: bool,
    /// Check the file and print the report; store nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub data: DataArg,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[arg(long)]
    pub lang: Option<String>,
    /// news or appeals.
    #[arg(long)]
    pub topic: Option<String>,
    /// waiting, confirmed, bouncing or unsubscribed.
    #[arg(long)]
    pub state: Option<String>,
    #[command(flatten)]
    pub data: DataArg,
}

/// How the audit log names changes made from the command line.
const ACTOR: &str = "command line";

fn token() -> String {
    refuge_core::secret::random_hex(16)
}

pub fn run(command: SubscribersCommand) -> Result<ExitCode> {
    match command {
        SubscribersCommand::Import(args) => {
            let config = args.data.config()?;
            let lang = Language::parse(&args.lang).map_err(anyhow::Error::from)?;
            if !config.languages.contains(&lang) {
                bail!("`{lang}` is not a language of this site ({})", langs(&config));
            }
            let topics: Vec<String> = if args.topics.is_empty() {
                TOPICS.iter().map(|t| (*t).to_owned()).collect()
            } else {
                args.topics.iter().map(|t| t.trim().to_lowercase()).collect()
            };
            if let Some(bad) = topics.iter().find(|t| !TOPICS.contains(&t.as_str())) {
                bail!("unknown topic `{bad}` (use news, appeals)");
            }
            let bytes = std::fs::read(&args.file).with_context(|| format!("cannot read {}", args.file.display()))?;
            let text = String::from_utf8(bytes).with_context(|| {
                format!("{} is not UTF-8 text; save it as CSV in UTF-8 and try again", args.file.display())
            })?;
            let other = match &args.other_language {
                Some(code) => match Language::parse(code).ok().filter(|l| config.languages.contains(l)) {
                    Some(l) => Some(l),
                    None => bail!("`{code}` is not a language of this site ({})", langs(&config)),
                },
                None => None,
            };
            let defaults = ListDefaults {
                lang: &lang,
                topics: &topics,
                languages: &config.languages,
                other_language: other.as_ref(),
            };
            let parsed = parse_csv(text.trim_start_matches('\u{feff}'), &defaults);
            let (store, _) = open_data(&config, &StartOptions { no_demo: true, ..StartOptions::default() })?;
            let report = if args.dry_run {
                let mut report =
                    refuge_core::subscribers::ImportReport { skipped: parsed.skipped.clone(), ..Default::default() };
                for (_, row) in &parsed.rows {
                    if store.is_suppressed(&row.email)? {
                        report.suppressed += 1;
                    } else {
                        report.added += 1;
                    }
                }
                report
            } else {
                let mut new_token = token;
                let mut waiting = 0;
                let report = refuge_app::list::import(
                    store.as_ref(),
                    &parsed,
                    &args.source,
                    !args.reconfirm,
                    &mut new_token,
                    &mut |_| waiting += 1,
                )?;
                store.record(ACTOR, "import subscribers", &args.source, &report.summary())?;
                if args.reconfirm && waiting > 0 {
                    println!(
                        "{waiting} addresses wait for their confirmation; the running server mails them at the \
                         outbox's pace (start it if it is not running)."
                    );
                }
                report
            };
            for skipped in &report.skipped {
                println!("line {}: skipped: {}", skipped.line, skipped.reason);
            }
            println!("{}{}", if args.dry_run { "(dry run) " } else { "" }, report.summary());
        }
        SubscribersCommand::Export(args) => {
            let config = args.data.config()?;
            let lang = args.lang.as_deref().map(Language::parse).transpose().map_err(anyhow::Error::from)?;
            if let Some(topic) = &args.topic
                && !TOPICS.contains(&topic.as_str())
            {
                bail!("unknown topic `{topic}` (use news, appeals)");
            }
            let state = match &args.state {
                Some(s) => Some(
                    SubscriberState::parse(s)
                        .with_context(|| format!("unknown state `{s}` (waiting, confirmed, bouncing, unsubscribed)"))?,
                ),
                None => None,
            };
            let (store, _) = open_data(&config, &StartOptions { no_demo: true, ..StartOptions::default() })?;
            let records = store.export_subscribers(lang.as_ref(), args.topic.as_deref(), state)?;
            store.record(ACTOR, "export subscribers", "", &format!("{} subscriptions", records.len()))?;
            std::io::stdout().lock().write_all(to_csv(&records).as_bytes())?;
            eprintln!("{} subscriptions written", records.len());
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn langs(config: &Config) -> String {
    config.languages.iter().map(Language::as_str).collect::<Vec<_>>().join(", ")
}
