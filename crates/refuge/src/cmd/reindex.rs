//! `refuge reindex`

use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Result;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use refuge_search::SearchIndex;

use crate::app::{StartOptions, open_data};
use crate::cli::DataArg;

#[derive(Debug, Args)]
pub struct ReindexArgs {
    #[command(flatten)]
    pub data: DataArg,
}

/// A progress bar on a terminal; a log line every few seconds otherwise.
pub fn progress(what: impl Into<String>) -> impl FnMut(u64, u64) {
    let what: String = what.into();
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} ({eta} left)")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.set_message(what.clone());
        bar
    });
    let mut last = Instant::now();
    move |done, total| match &bar {
        Some(bar) => {
            bar.set_length(total);
            bar.set_position(done);
            if done >= total {
                bar.finish_and_clear();
            }
        }
        None => {
            if last.elapsed() > Duration::from_secs(5) || done == total {
                last = Instant::now();
                tracing::info!(done, total, "{what}");
            }
        }
    }
}

pub fn run(args: ReindexArgs) -> Result<ExitCode> {
    let config = args.data.config()?;
    let (store, _) = open_data(&config, &StartOptions { no_demo: true, ..StartOptions::default() })?;
    let (index, _) = SearchIndex::open(&config.data_dir.search())?;
    let started = Instant::now();
    let n = refuge_search::rebuild_from_store(&index, store.as_ref(), &config.languages, progress("indexing"))?;
    println!("Indexed {n} documents in {:.1} s.", started.elapsed().as_secs_f32());
    Ok(ExitCode::SUCCESS)
}
