//! `refuge export OUT_DIR`: the arguments, handed to `refuge_export`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Result;
use clap::Args;
use refuge_export::{ExportOptions, Report, choose_languages, web_address};

use crate::cli::DataArg;
use crate::cmd::reindex::progress;
use crate::config::Config;

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The folder to write. It must be missing, empty, or an earlier export;
    /// it is replaced as a whole once the new copy is complete.
    #[arg(value_name = "OUT_DIR")]
    pub out: PathBuf,
    /// Where the copy will be served, e.g. https://mirror.example.org or
    /// https://example.github.io/refuge (canonical links, feeds and the
    /// sitemap use it). Default: the site's base_url.
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// The running site, where search, the contact form and the newsletter
    /// form of the copy send readers. Default: the site's base_url.
    #[arg(long, value_name = "URL")]
    pub forms_url: Option<String>,
    /// Export only these languages (comma-separated); links to the others
    /// go to the running site. Default: every configured language.
    #[arg(long, value_delimiter = ',', value_name = "LANG")]
    pub lang: Vec<String>,
    /// Also write .gz and .br files beside pages, feeds and the style
    /// sheet (the bytes the server sends), for servers that serve them
    /// (nginx gzip_static/brotli_static).
    #[arg(long)]
    pub precompress: bool,
    /// Links to folders name their index.html (/en/news/index.html), for
    /// hosts that do not add it themselves, such as a bucket's plain address.
    #[arg(long)]
    pub index_links: bool,
    #[command(flatten)]
    pub data: DataArg,
}

impl ExportArgs {
    /// The export's options, checked, with the site's defaults filled in.
    pub fn options(&self, config: &Config) -> Result<ExportOptions> {
        let main_url = config.main_url();
        Ok(ExportOptions {
            out: self.out.clone(),
            base_url: web_address(self.base_url.as_deref().unwrap_or(&main_url), "--base-url")?,
            forms_url: web_address(self.forms_url.as_deref().unwrap_or(&main_url), "--forms-url")?,
            languages: choose_languages(&config.languages, &self.lang).map_err(|e| anyhow::anyhow!("--lang: {e}"))?,
            precompress: self.precompress,
            index_links: self.index_links,
            media: Some(config.media_files()?),
        })
    }
}

pub fn run(args: ExportArgs) -> Result<ExitCode> {
    let config = args.data.config()?;
    let started = Instant::now();
    let options = args.options(&config)?;
    let report = export(&config, &options)?;
    for path in &report.broken {
        tracing::warn!(path, "a page links to something that does not exist");
    }
    println!(
        "Exported {} files to {} in {:.1} s: {} written, {} unchanged, {} removed.",
        report.files,
        args.out.display(),
        started.elapsed().as_secs_f32(),
        report.written,
        report.unchanged,
        report.removed
    );
    if !report.broken.is_empty() {
        println!("{} links lead nowhere (listed above); the copy has them as they are.", report.broken.len());
    }
    Ok(ExitCode::SUCCESS)
}

/// Exports the site of `config` as `options` say, with a progress bar.
pub fn export(config: &Config, options: &ExportOptions) -> Result<Report> {
    let mut bar = progress("exporting");
    let mut site = config.site_config(options.base_url.clone());
    site.addresses.main = config.main_url();
    site.addresses.copy_made = Some(time::OffsetDateTime::now_utc().date());
    Ok(refuge_export::export(&config.data_dir, config.database_url.as_deref(), site, options, &mut bar)?)
}
