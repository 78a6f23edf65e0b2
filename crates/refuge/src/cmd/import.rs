//! `refuge import html SRC_DIR --lang LANG`: an old hand-written site
//! becomes articles, its images go into the media library (cleaned like
//! every upload), and every old address answers with a permanent redirect.
//!
//! Importing again updates what was imported before (pages are known by
//! their old path), so nothing is duplicated.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use refuge_core::{ContentStore, ItemDraft, Kind, Language, MediaStore, RedirectStore, RedirectTarget, Slug, Status};
use refuge_import::convert::absolute;
use refuge_import::{Converted, KeepAbsolute, Resolver, clean_title, convert, decode, repeated_blocks, title_affixes};
use refuge_store::SqliteStore;
use time::OffsetDateTime;

use crate::cli::DataArg;
use crate::cmd::reindex::progress;
use crate::config::Config;

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Import an old hand-written HTML site (tables, <font> tags, legacy
    /// encodings such as Shift_JIS, EUC-JP, ISO-2022-JP and Latin-1).
    ///
    /// Every .html/.htm file becomes a published article in LANG: its
    /// title (without the site name), its date (from the text, else the
    /// file name, else the file's time), and its body as Markdown, with
    /// navigation and footers that repeat across pages removed. Images
    /// are cleaned of metadata into the media library. Links between the
    /// old pages point to the new addresses, and each old address
    /// redirects (301) to its new one. Running it again updates the pages
    /// it imported before. A report lists every page.
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
    #[command(flatten)]
    pub data: DataArg,
}

/// What happened to one page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    New,
    Updated,
    Unchanged,
    Skipped,
}

/// One line of the report.
#[derive(Debug, Clone)]
pub struct PageReport {
    pub old_path: String,
    pub new_path: String,
    pub title: String,
    pub date: String,
    pub date_source: &'static str,
    pub encoding: String,
    pub outcome: Outcome,
    pub warnings: Vec<String>,
}

pub fn run(command: ImportCommand) -> Result<ExitCode> {
    let ImportCommand::Html(args) = command;
    let config = Config::load(&args.data.data)?;
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
            "A running server shows the new pages in its lists after a restart; the old addresses redirect at once."
        );
    }
}

/// Brings the search index up to date if no server holds it; otherwise the
/// server does at its next start.
fn reindex(config: &Config) {
    let Ok(store) = SqliteStore::open(&config.data_dir.join("refuge.db")) else { return };
    match refuge_search::SearchIndex::open(&config.data_dir.join("search")) {
        Ok((index, _)) => {
            if let Err(e) = refuge_search::rebuild_from_store(&index, &store, &config.languages, |_, _| {}) {
                println!("The search index could not be updated ({e}); run `refuge reindex`.");
            }
        }
        Err(_) => println!("A running server holds the search index: restart it to make the new pages searchable."),
    }
}

/// A page of the old site, read.
struct OldPage {
    old_path: String,
    file: PathBuf,
    encoding: String,
    warnings: Vec<String>,
    html: String,
    first: Converted,
    modified: Option<OffsetDateTime>,
}

/// Imports `args.src`; the report, page by page.
pub fn import_html(config: &Config, args: &ImportHtmlArgs) -> Result<Vec<PageReport>> {
    let lang = Language::parse(&args.lang)
        .ok()
        .filter(|l| config.languages.contains(l))
        .with_context(|| format!("--lang {}: the site's languages are {}", args.lang, names(&config.languages)))?;
    if !args.src.is_dir() {
        bail!("{} is not a folder: name the folder holding the old site", args.src.display());
    }
    let db = config.data_dir.join("refuge.db");
    if !db.is_file() {
        bail!(
            "there is no site in {}: start one with `refuge serve` first, or name it with --data",
            config.data_dir.display()
        );
    }
    let store = SqliteStore::open(&db)?;
    let prefix = args.old_prefix.trim().trim_end_matches('/');
    if !(prefix.is_empty() || prefix.starts_with('/')) || prefix.contains(['?', '#']) {
        bail!("--old-prefix {}: give a path like /japanese", args.old_prefix);
    }
    let mut files = Vec::new();
    collect(&args.src, &args.src, &mut files)?;
    for (old_path, _) in &mut files {
        *old_path = format!("{prefix}{old_path}");
    }
    if files.is_empty() {
        bail!("{} holds no .html or .htm files", args.src.display());
    }
    files.sort();

    // Pass 1: read every page, for titles, dates and what repeats.
    let mut bar = progress("reading");
    let mut pages = Vec::new();
    for (i, (old_path, file)) in files.iter().enumerate() {
        let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
        let decoded = decode(&bytes);
        let mut warnings = Vec::new();
        if decoded.had_errors {
            warnings.push(format!("some bytes are not valid {}; they show as �", decoded.encoding));
        }
        let encoding = format!("{} ({:?})", decoded.encoding, decoded.source).to_lowercase();
        let first = convert(&decoded.text, &KeepAbsolute);
        let modified = std::fs::metadata(file).and_then(|m| m.modified()).ok().map(OffsetDateTime::from);
        pages.push(OldPage {
            old_path: old_path.clone(),
            file: file.clone(),
            encoding,
            warnings,
            html: decoded.text,
            first,
            modified,
        });
        bar(i as u64 + 1, files.len() as u64);
    }
    let titles: Vec<String> = pages.iter().filter_map(|p| p.first.title.clone()).collect();
    let affixes = title_affixes(&titles);

    // New addresses: the item imported before from the same old path
    // keeps its own; new ones get a slug from the file name.
    let mut taken: Vec<String> = Vec::new();
    let mut targets: HashMap<String, (Option<i64>, Slug)> = HashMap::new();
    for page in &mut pages {
        let mut existing = store.redirect_item(&page.old_path)?.and_then(|id| store.item(id).ok().flatten());
        if let Some(item) = existing.as_ref().filter(|item| item.lang != lang) {
            page.warnings.push(format!(
                "{} was imported before as a page in {}; this one gets its own address (use --old-prefix \
                 if the two folders were at different paths of the old site)",
                page.old_path, item.lang
            ));
            existing = None;
        }
        let slug = match existing.as_ref() {
            Some(item) => item.slug.clone(),
            None => free_slug(&store, &lang, &slug_from(&page.old_path[prefix.len()..]), &taken)?,
        };
        taken.push(slug.to_string());
        targets.insert(page.old_path.clone(), (existing.map(|i| i.id), slug));
    }

    // Images: into the media library once, known by their old path.
    let media_dir = config.data_dir.join("media");
    let mut images: HashMap<String, String> = HashMap::new();
    for page in &mut pages {
        for (src, alt) in page.first.images.clone() {
            let Some(old) = resolve(&page.old_path, &src) else { continue };
            if images.contains_key(&old) {
                continue;
            }
            if let Some(path) = store.redirect(&old)? {
                images.insert(old, path);
                continue;
            }
            let file = args.src.join(old.trim_start_matches('/'));
            let Ok(bytes) = std::fs::read(&file) else {
                page.warnings.push(format!("image {src} is missing; left out"));
                continue;
            };
            if args.dry_run {
                let url = format!("/media/(new){old}");
                images.insert(old, url);
                continue;
            }
            match refuge_media::library::stage_files(&media_dir, &old, &bytes) {
                Ok(staged) => {
                    let id = store.add_media(&staged.media)?;
                    let mut media = match staged.commit() {
                        Ok(media) => media,
                        Err(e) => {
                            store.delete_media(id)?;
                            return Err(e.into());
                        }
                    };
                    media.id = id;
                    let alt = if alt.is_empty() { media.name.clone() } else { alt };
                    store.set_media_alt(media.id, &lang, &alt)?;
                    let url = format!("/media/{}.{}", media.stored, media.extension);
                    store.set_redirect(&old, &RedirectTarget::Path(url.clone()))?;
                    images.insert(old, url);
                }
                Err(e) => page.warnings.push(format!("image {src} was not imported: {e}")),
            }
        }
    }

    // Pass 2: convert with the new addresses, then drop what repeats.
    let paths: HashMap<String, String> =
        targets.iter().map(|(old, (_, slug))| (old.clone(), Kind::News.path(&lang, slug))).collect();
    let mut converted = Vec::new();
    for page in &mut pages {
        let resolver = Rewriter { from: &page.old_path, pages: &paths, images: &images, missing: Default::default() };
        let c = convert(&page.html, &resolver);
        for link in resolver.missing.into_inner().into_keys() {
            page.warnings.push(format!("link to {link} leads to no imported page; its text is kept"));
        }
        converted.push(c);
    }
    let blocks: Vec<Vec<String>> = converted.iter().map(|c| c.blocks.clone()).collect();
    let chrome = if pages.len() >= 3 { repeated_blocks(&blocks) } else { Default::default() };

    let mut report = Vec::new();
    let mut bar = progress("importing");
    let total = pages.len() as u64;
    for (i, (page, c)) in pages.iter().zip(converted).enumerate() {
        let (existing, slug) = targets[&page.old_path].clone();
        let mut warnings = page.warnings.clone();
        let raw_title = c.title.clone().or_else(|| c.heading.clone());
        let mut title = raw_title.as_deref().map(|t| clean_title(t, &affixes)).unwrap_or_default();
        if title.is_empty() {
            title = c.heading.clone().unwrap_or_else(|| slug.to_string());
            warnings.push("no title; the first heading or the file name is used".into());
        }
        let body_blocks: Vec<&String> = c.blocks.iter().filter(|b| !chrome.contains(*b)).collect();
        // The title is shown above the body: drop a first heading that repeats it.
        let skip_first = body_blocks
            .first()
            .is_some_and(|b| b.starts_with('#') && refuge_import::convert::plain(b.trim_start_matches('#')) == title);
        let body =
            body_blocks.iter().skip(usize::from(skip_first)).map(|b| b.as_str()).collect::<Vec<_>>().join("\n\n");
        let (date, date_source) = match refuge_import::dates::in_text(&body) {
            Some(d) => (Some(d), "the text"),
            None => match refuge_import::dates::in_name(&page.old_path) {
                Some(d) => (Some(d), "the file name"),
                None => (page.modified.map(|m| m.date()), "the file's time"),
            },
        };
        let published_at = date.map_or_else(OffsetDateTime::now_utc, |d| d.midnight().assume_utc());
        let new_path = Kind::News.path(&lang, &slug);
        let mut line = PageReport {
            old_path: page.old_path.clone(),
            new_path: new_path.clone(),
            title: title.clone(),
            date: published_at.date().to_string(),
            date_source,
            encoding: page.encoding.clone(),
            outcome: Outcome::New,
            warnings,
        };
        if c.frameset && body.trim().is_empty() {
            line.outcome = Outcome::Skipped;
            line.warnings.push("a frameset: its frames are imported as pages of their own".into());
            report.push(line);
            continue;
        }
        if body.trim().is_empty() {
            line.warnings.push("no text once navigation was removed".into());
        }
        if title.chars().count() > 300 {
            title = title.chars().take(300).collect();
        }
        let draft = ItemDraft {
            group_id: None,
            kind: Kind::News,
            lang: lang.clone(),
            slug: slug.clone(),
            title,
            summary: String::new(),
            body,
            category: None,
            tags: vec!["imported".into()],
            status: Status::Published,
            published_at: Some(published_at),
        };
        if let Some(id) = existing {
            let item = store.item(id)?.context("an imported item vanished")?;
            let same = item.title == draft.title
                && item.body == draft.body
                && item.published_at.map(|d| d.date()) == Some(published_at.date())
                && item.status == Status::Published;
            line.outcome = if same { Outcome::Unchanged } else { Outcome::Updated };
            if !same && !args.dry_run {
                let draft = ItemDraft { group_id: Some(item.group_id), tags: item.tags.clone(), ..draft };
                store.save_item_by(Some(id), &draft, None, &format!("imported again from {}", page.old_path))?;
            }
        } else if !args.dry_run {
            let item = store
                .save_item_by(None, &draft, None, &format!("imported from {}", page.old_path))
                .with_context(|| format!("cannot save the page from {}", page.file.display()))?;
            store.set_redirect(&page.old_path, &RedirectTarget::Item(item.id))?;
            if let Some(dir) =
                page.old_path.strip_suffix("index.html").or_else(|| page.old_path.strip_suffix("index.htm"))
            {
                store.set_redirect(dir, &RedirectTarget::Item(item.id))?;
            }
        }
        report.push(line);
        bar(i as u64 + 1, total);
    }
    Ok(report)
}

fn names(languages: &[Language]) -> String {
    languages.iter().map(Language::as_str).collect::<Vec<_>>().join(", ")
}

/// Every .html/.htm file under `dir`, with its old path (`/a/b.html`).
fn collect(root: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) -> Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let path = entry?.path();
        if path.is_dir() {
            collect(root, &path, out)?;
        } else if path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "html" | "htm"))
            && let Ok(rel) = path.strip_prefix(root)
        {
            let rel: Vec<String> = rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
            out.push((format!("/{}", rel.join("/")), path));
        }
    }
    Ok(())
}

/// A slug from an old path: `/news/2faced.html` → `news-2faced`.
fn slug_from(old_path: &str) -> String {
    let stem = old_path.trim_start_matches('/');
    let stem = stem.rsplit_once('.').map_or(stem, |(s, _)| s);
    let stem = stem.strip_suffix("/index").or_else(|| stem.strip_suffix("index")).unwrap_or(stem);
    let mut slug = String::new();
    for c in stem.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    let slug = slug.trim_matches('-').to_owned();
    if slug.is_empty() && stem.is_empty() {
        return "start".into();
    }
    if slug.is_empty() || slug.bytes().all(|b| b.is_ascii_digit()) {
        format!("page-{slug}").trim_end_matches('-').to_owned()
    } else {
        slug
    }
}

/// `wanted`, or `wanted-2`, `-3`… whichever no item of this language uses.
fn free_slug(store: &SqliteStore, lang: &Language, wanted: &str, taken: &[String]) -> Result<Slug> {
    let base: String = wanted.chars().take(70).collect::<String>().trim_matches('-').to_owned();
    for n in 1..1000 {
        let text = if n == 1 { base.clone() } else { format!("{base}-{n}") };
        let Ok(slug) = Slug::parse(&text) else {
            return free_slug(store, lang, &format!("imported-{base}"), taken);
        };
        let used = taken.contains(&text) || store.item_id_by_slug(Kind::News, lang, &slug)?.is_some();
        if !used {
            return Ok(slug);
        }
    }
    bail!("no free address for {wanted}")
}

/// An old link resolved against the page it is on: `../a.html` on
/// `/news/b.html` → `/a.html`. `None` for other sites and anchors.
fn resolve(from: &str, href: &str) -> Option<String> {
    let href = href.trim();
    if absolute(href) || href.starts_with('#') || href.contains(':') || href.starts_with("//") {
        return None;
    }
    let href = href.split(['#', '?']).next().unwrap_or_default();
    if href.is_empty() {
        return None;
    }
    let decoded = percent_encoding::percent_decode_str(href).decode_utf8_lossy().into_owned();
    let mut parts: Vec<&str> = if decoded.starts_with('/') {
        Vec::new()
    } else {
        let dir = from.rsplit_once('/').map_or("", |(d, _)| d);
        dir.split('/').filter(|s| !s.is_empty()).collect()
    };
    for seg in decoded.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    let mut path = format!("/{}", parts.join("/"));
    if decoded.ends_with('/') && path != "/" {
        path.push('/');
    }
    Some(path)
}

struct Rewriter<'a> {
    from: &'a str,
    pages: &'a HashMap<String, String>,
    images: &'a HashMap<String, String>,
    missing: std::cell::RefCell<BTreeMap<String, ()>>,
}

impl Resolver for Rewriter<'_> {
    fn link(&self, href: &str) -> Option<String> {
        if absolute(href) {
            return Some(href.trim().to_owned());
        }
        let old = resolve(self.from, href)?;
        let candidates = [old.clone(), format!("{}index.html", old), format!("{}/index.html", old)];
        for c in &candidates {
            if let Some(new) = self.pages.get(c).or_else(|| self.images.get(c)) {
                return Some(new.clone());
            }
        }
        self.missing.borrow_mut().insert(href.to_owned(), ());
        None
    }

    fn image(&self, src: &str) -> Option<String> {
        self.images.get(&resolve(self.from, src)?).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_links_resolve_against_their_page() {
        assert_eq!(resolve("/news/b.html", "../a.html").as_deref(), Some("/a.html"));
        assert_eq!(resolve("/news/b.html", "c.html#x").as_deref(), Some("/news/c.html"));
        assert_eq!(resolve("/b.html", "/img/x.jpg").as_deref(), Some("/img/x.jpg"));
        assert_eq!(resolve("/b.html", "../../x.html"), None);
        assert_eq!(resolve("/b.html", "http://x.org/"), None);
        assert_eq!(resolve("/b.html", "javascript:alert(1)"), None);
        assert_eq!(resolve("/b.html", "%E6%97%A5.html").as_deref(), Some("/日.html"));
    }

    #[test]
    fn slugs_from_old_paths() {
        assert_eq!(slug_from("/2faced.html"), "2faced");
        assert_eq!(slug_from("/news/Appeal_K.htm"), "news-appeal-k");
        assert_eq!(slug_from("/katsudou/index.html"), "katsudou");
        assert_eq!(slug_from("/20020720.html"), "page-20020720");
        assert_eq!(slug_from("/index.html"), "start");
        assert_eq!(slug_from("/活動.html"), "page");
    }
}
