//! `refuge publish TARGET…`: the static export, kept current in S3-compatible
//! buckets (`refuge_bucket::publish`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Args;
use refuge_bucket::{Bucket, Credentials, PublishOptions, Target};
use refuge_export::{ExportOptions, choose_languages, web_address};

use crate::cli::DataArg;
use crate::cmd::backup::BucketArgs;
use crate::cmd::reindex::progress;
use crate::config::{Config, MirrorFile};

#[derive(Debug, Args)]
pub struct PublishArgs {
    /// Where to publish: s3://BUCKET/PREFIX, or the name of a [[mirrors]]
    /// table in refuge.toml. Default: every mirror there with a `bucket`.
    #[arg(value_name = "TARGET")]
    pub targets: Vec<String>,
    /// Where readers will find the copy (canonical links, feeds and the
    /// sitemap use it). Default: the mirror's url, or for an s3:// target
    /// the bucket's own address (ENDPOINT/BUCKET/PREFIX, or
    /// https://BUCKET.s3.REGION.amazonaws.com/PREFIX), with --index-links.
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Where the copy's search and forms send readers. Default: the
    /// mirror's forms_url, or the site's base_url.
    #[arg(long, value_name = "URL")]
    pub forms_url: Option<String>,
    /// Links to folders name their index.html: needed where the host does
    /// not turn /en/news/ into /en/news/index.html (a bucket's plain
    /// address; its website endpoint does it).
    #[arg(long)]
    pub index_links: bool,
    /// Store pages, feeds and the style sheet gzip-compressed with
    /// Content-Encoding: gzip (for hosts that serve objects as stored).
    #[arg(long)]
    pub gzip: bool,
    /// Publish only these languages (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "LANG")]
    pub lang: Vec<String>,
    /// Uploads at once.
    #[arg(long, default_value_t = 16, value_name = "N")]
    pub jobs: usize,
    #[command(flatten)]
    pub bucket: BucketArgs,
    #[command(flatten)]
    pub data: DataArg,
}

/// One copy to publish, with everything settled.
struct Plan {
    target: Target,
    base_url: String,
    forms_url: String,
    index_links: bool,
    gzip: bool,
    credentials: Credentials,
}

pub fn run(args: PublishArgs) -> Result<ExitCode> {
    let config = args.data.config()?;
    let plans = plans(&args, &config)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the upload runtime")?;
    for plan in &plans {
        let started = Instant::now();
        let folder = staging_folder(&config, &plan.target);
        let options = ExportOptions {
            out: folder.clone(),
            base_url: plan.base_url.clone(),
            forms_url: plan.forms_url.clone(),
            languages: choose_languages(&config.languages, &args.lang).map_err(|e| anyhow::anyhow!("--lang: {e}"))?,
            precompress: false,
            index_links: plan.index_links,
            media: Some(config.media_files()?),
        };
        let mut site = config.site_config(options.base_url.clone());
        site.addresses.main = config.main_url();
        site.addresses.copy_made = Some(time::OffsetDateTime::now_utc().date());
        let mut bar = progress(format!("rendering for {}", plan.target));
        let exported =
            refuge_export::export(&config.data_dir, config.database_url.as_deref(), site, &options, &mut bar)?;
        for path in &exported.broken {
            tracing::warn!(path, "a page links to something that does not exist");
        }
        let bucket = Bucket::open(&plan.target, &plan.credentials)?;
        let publish_options = PublishOptions { gzip: plan.gzip, concurrency: args.jobs.max(1) };
        let mut bar = progress(format!("uploading to {}", plan.target));
        let bar = std::sync::Mutex::new(&mut bar);
        let report = runtime.block_on(refuge_bucket::publish(&bucket, &folder, &publish_options, &|done, total| {
            if let Ok(mut bar) = bar.lock() {
                (*bar)(done, total)
            }
        }))?;
        println!(
            "Published {} files to {} in {:.1} s: {} uploaded ({}), {} unchanged, {} removed.",
            report.files,
            plan.target,
            started.elapsed().as_secs_f32(),
            report.uploaded,
            human_bytes(report.bytes_sent),
            report.unchanged,
            report.deleted
        );
        let home =
            if plan.index_links { format!("{}/index.html", plan.base_url) } else { format!("{}/", plan.base_url) };
        println!("Readers find it at {home}");
    }
    Ok(ExitCode::SUCCESS)
}

/// The copies to publish, from the arguments and the [[mirrors]] tables.
fn plans(args: &PublishArgs, config: &Config) -> Result<Vec<Plan>> {
    let with_bucket: Vec<&MirrorFile> = config.mirrors.iter().filter(|m| m.bucket.is_some()).collect();
    let mut plans = Vec::new();
    if args.targets.is_empty() {
        if with_bucket.is_empty() {
            bail!(
                "say where to publish: refuge publish s3://BUCKET/PREFIX, or add a [[mirrors]] table with a \
                 `bucket` to refuge.toml (see its comments)"
            );
        }
        for mirror in with_bucket {
            plans.push(plan_for_mirror(args, config, mirror)?);
        }
        return Ok(plans);
    }
    for target in &args.targets {
        if target.starts_with("s3://") {
            plans.push(plan_for_url(args, config, target)?);
        } else if let Some(mirror) = config.mirrors.iter().find(|m| m.name() == *target) {
            if mirror.bucket.is_none() {
                bail!("the mirror `{target}` has no `bucket` in refuge.toml, so it is published by other means");
            }
            plans.push(plan_for_mirror(args, config, mirror)?);
        } else {
            let names: Vec<String> = config.mirrors.iter().map(MirrorFile::name).collect();
            bail!(
                "`{target}` is neither s3://BUCKET/PREFIX nor a mirror in refuge.toml (mirrors: {})",
                if names.is_empty() { "none".to_owned() } else { names.join(", ") }
            );
        }
    }
    Ok(plans)
}

fn plan_for_mirror(args: &PublishArgs, config: &Config, mirror: &MirrorFile) -> Result<Plan> {
    let mut target = Target::parse(mirror.bucket.as_deref().unwrap_or_default())?;
    target.endpoint = args.bucket.endpoint.clone().or_else(|| mirror.endpoint.clone());
    target.region = args.bucket.region.clone().or_else(|| mirror.region.clone());
    let credentials =
        credentials(args.bucket.credentials.as_deref().or(mirror.credentials.as_deref()), config, &target)?;
    Ok(Plan {
        base_url: web_address(args.base_url.as_deref().unwrap_or(&mirror.url), "--base-url")?,
        forms_url: web_address(
            args.forms_url.as_deref().or(mirror.forms_url.as_deref()).unwrap_or(&config.main_url()),
            "--forms-url",
        )?,
        index_links: args.index_links || mirror.index_links,
        gzip: args.gzip || mirror.gzip,
        target,
        credentials,
    })
}

fn plan_for_url(args: &PublishArgs, config: &Config, url: &str) -> Result<Plan> {
    let mut target = Target::parse(url)?;
    target.endpoint = args.bucket.endpoint.clone();
    target.region = args.bucket.region.clone();
    // Without --base-url, readers reach the copy at the bucket's plain
    // address, which does not add index.html.
    let (base_url, index_links) = match &args.base_url {
        Some(url) => (web_address(url, "--base-url")?, args.index_links),
        None => (web_address(&bucket_address(&target), "--base-url")?, true),
    };
    Ok(Plan {
        base_url,
        forms_url: web_address(args.forms_url.as_deref().unwrap_or(&config.main_url()), "--forms-url")?,
        index_links,
        gzip: args.gzip,
        credentials: credentials(args.bucket.credentials.as_deref(), config, &target)?,
        target,
    })
}

/// The bucket's own address: path-style on the given endpoint, or AWS's
/// virtual-hosted address.
fn bucket_address(target: &Target) -> String {
    let mut url = match &target.endpoint {
        Some(endpoint) => format!("{}/{}", endpoint.trim_end_matches('/'), target.bucket),
        None => {
            format!("https://{}.s3.{}.amazonaws.com", target.bucket, target.region.as_deref().unwrap_or("us-east-1"))
        }
    };
    if !target.prefix.is_empty() {
        url.push('/');
        url.push_str(&target.prefix);
    }
    url
}

fn credentials(file: Option<&Path>, config: &Config, target: &Target) -> Result<Credentials> {
    match file {
        Some(file) => {
            let path = if file.is_absolute() { file.to_owned() } else { config.data_dir.join(file) };
            Ok(Credentials::from_file(&path)?)
        }
        None => {
            Credentials::from_env().ok_or_else(|| refuge_bucket::BucketError::NoCredentials(target.to_string()).into())
        }
    }
}

/// Where a target's copy is rendered before it is sent: kept in the data
/// folder, so the next publish renders only what changed.
fn staging_folder(config: &Config, target: &Target) -> PathBuf {
    let name: String = target
        .to_string()
        .trim_start_matches("s3://")
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '.' { c } else { '_' })
        .collect();
    let endpoint = target.endpoint.as_deref().map(crate::config::host_of).unwrap_or_else(|| "aws".into());
    config.data_dir.join("publish").join(format!("{endpoint}_{name}"))
}

fn human_bytes(n: u64) -> String {
    match n {
        n if n >= 10 << 20 => format!("{} MB", n >> 20),
        n if n >= 1 << 20 => format!("{:.1} MB", n as f64 / f64::from(1 << 20)),
        n if n >= 1 << 10 => format!("{} KB", n >> 10),
        n => format!("{n} bytes"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_s3_target_alone_is_published_at_the_buckets_own_address() {
        let mut target = Target::parse("s3://refuge-mirror/site").unwrap();
        assert_eq!(bucket_address(&target), "https://refuge-mirror.s3.us-east-1.amazonaws.com/site");
        target.endpoint = Some("http://127.0.0.1:3900/".into());
        assert_eq!(bucket_address(&target), "http://127.0.0.1:3900/refuge-mirror/site");
        assert_eq!(human_bytes(1536), "1 KB");
        assert_eq!(human_bytes(3 << 20), "3.0 MB");
    }
}
