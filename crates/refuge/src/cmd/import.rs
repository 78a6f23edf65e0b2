//! `refuge import html SRC_DIR --lang LANG`: the arguments, handed to
//! `refuge_import::site`, and the report printed.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use refuge_core::Language;
use refuge_import::site::{ImportError, ImportOptions, Outcome, PageReport, Stage, import_site};

use crate::cli::DataArg;
use crate::cmd::reindex::progress;
use crate::config::Config;

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Import an old hand-written HTML site (tables, <font> tags, legacy
    /// encodings such as Shift_JIS, EUC-JP, ISO-2022-JP and Latin-1).
    ///
    /// Every .html/.htm file becomes a published article in LANG: its
    /// title (without the site name), its date (from the title or the
    /// text, else the file name, else the file's time, and never later
    /// than the file's time; "July 2002" or "2002年7月" count as the
    /// month), and its body as Markdown, with
    /// navigation and footers that repeat across pages removed. Images
    /// are cleaned of metadata into the media library. Links between the
    /// old pages point to the new addresses, and each old address
    /// redirects (301) to its new one. Running it again updates the pages
    /// it imported before. Pages that link to their translation (a link
    /// named "English", "日本語"…) to a page imported before in another
    /// language become its translation. A report lists every page.
    Html(ImportHtmlArgs),
}

#[derive(Debug, Args)]
pub struct ImportHtmlArgs {
    /// The folder holding the old site (as it was served from its root).
    #[arg(value_name = "SRC_DIR")]
    pub src: PathBuf,
    /// The language of the pages, e.g. en or ja.
    #[arg(long, value_name = "LANG")]
    pub lang: String,
    /// The path SRC_DIR was served under on the old site, when it is not
    /// the root: e.g. /japanese for pages that were at /japanese/….
    #[arg(long, value_name = "PATH", default_value = "/")]
    pub old_prefix: String,
    /// Show the report without changing anything.
    #[arg(long)]
    pub dry_run: bool,
    /// When an old address already leads to a page of an earlier import
    /// (two folders claiming the same path), point it at this import's
    /// page instead of keeping the earlier one (the report names each).
    #[arg(long)]
    pub replace_redirects: bool,
    /// A file of old addresses that are translations of each other, one
    /// pair a line: `/about.html /ja/about.html` (`#` starts a comment).
    /// Pages that link to their translation by the language's name
    /// ("日本語", "English"…) are paired without it, once the other
    /// language has been imported.
    #[arg(long, value_name = "FILE")]
    pub pairs: Option<PathBuf>,
    #[command(flatten)]
    pub data: DataArg,
}

pub fn run(command: ImportCommand) -> Result<ExitCode> {
    let ImportCommand::Html(args) = command;
    let config = args.data.config()?;
    let report = import_html(&config, &args)?;
    print_report(&report, args.dry_run);
    if !args.dry_run {
        reindex(&config);
    }
    Ok(ExitCode::SUCCESS)
}

fn print_report(report: &[PageReport], dry_run: bool) {
    for page in report {
        let outcome = match page.outcome {
            Outcome::New => "new",
            Outcome::Updated => "updated",
            Outcome::Unchanged => "unchanged",
            Outcome::Skipped => "skipped",
        };
        println!("{} -> {}  [{outcome}]", page.old_path, page.new_path);
        println!("    title: {}", page.title);
        println!("    date:  {} (from {}); encoding {}", page.date, page.date_source, page.encoding);
        for w in &page.warnings {
            println!("    warning: {w}");
        }
    }
    let count = |o: Outcome| report.iter().filter(|p| p.outcome == o).count();
    println!(
        "{} pages: {} new, {} updated, {} unchanged, {} skipped{}.",
        report.len(),
        count(Outcome::New),
        count(Outcome::Updated),
        count(Outcome::Unchanged),
        count(Outcome::Skipped),
        if dry_run { " (dry run: nothing was changed)" } else { "" }
    );
    if !dry_run {
        println!(
            "A running server shows the new pages, in its lists and its search, within two seconds; the old addresses redirect at once."
        );
    }
}

/// Brings the search index up to date if no server holds it; otherwise the
/// server does, following the change feed.
fn reindex(config: &Config) {
    let Ok(store) = config.open_store() else { return };
    // Held by a running server, the index is updated by that server.
    if let Ok((index, _)) = refuge_search::SearchIndex::open(&config.data_dir.search())
        && let Err(e) = refuge_search::rebuild_from_store(&index, &store, &config.languages, |_, _| {})
    {
        println!("The search index could not be updated ({e}); run `refuge reindex`.");
    }
}

/// Imports as `args` say into the site of `config`; the report, page by page.
pub fn import_html(config: &Config, args: &ImportHtmlArgs) -> Result<Vec<PageReport>> {
    let lang = Language::parse(&args.lang)
        .ok()
        .filter(|l| config.languages.contains(l))
        .with_context(|| format!("--lang {}: the site's languages are {}", args.lang, names(&config.languages)))?;
    if config.database_url.is_none() && !config.data_dir.has_site() {
        bail!(
            "there is no site in {}: start one with `refuge serve` first, or name it with --data",
            config.data_dir.display()
        );
    }
    let pairs = match &args.pairs {
        Some(file) => {
            let text = std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
            refuge_import::site::parse_pairs(&text).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?
        }
        None => Vec::new(),
    };
    let store = config.open_store()?;
    let options = ImportOptions {
        src: args.src.clone(),
        lang,
        old_prefix: args.old_prefix.clone(),
        dry_run: args.dry_run,
        replace_redirects: args.replace_redirects,
        pairs,
    };
    let mut reading = progress("reading");
    let mut importing = progress("importing");
    let mut bar = |stage, done, total| match stage {
        Stage::Reading => reading(done, total),
        Stage::Importing => importing(done, total),
    };
    let media = config.media_files()?;
    let report = import_site(&store, media.as_ref(), &options, &mut bar).map_err(|e| match e {
        ImportError::BadPrefix(_) => anyhow::anyhow!("--old-prefix {}: give a path like /japanese", args.old_prefix),
        e => e.into(),
    })?;
    Ok(report)
}

fn names(languages: &[Language]) -> String {
    languages.iter().map(Language::as_str).collect::<Vec<_>>().join(", ")
}
