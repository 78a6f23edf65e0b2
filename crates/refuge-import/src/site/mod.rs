//! An old hand-written site into Refuge: every page becomes a published
//! article, its images go into the media library (cleaned like every
//! upload), and every old address answers with a permanent redirect.
//!
//! Importing again updates what was imported before (pages are known by
//! their old path), so nothing is duplicated. `refuge import html` runs
//! it; the steps are [`import_site`]'s phases, in order.

mod pairs;
mod paths;

pub use pairs::parse_pairs;

use std::collections::HashMap;
use std::path::PathBuf;

use refuge_core::{
    ContentStore, ItemDraft, ItemSave, Kind, Language, MediaStore, RedirectStore, RedirectTarget, Slug, Status,
    StoreError,
};
use time::OffsetDateTime;

use crate::{Converted, KeepAbsolute, clean_title, convert, decode, repeated_blocks, title_affixes};
use paths::{Rewriter, collect, resolve, slug_from};

/// What to import.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// The folder holding the old site (as it was served from its root).
    pub src: PathBuf,
    /// The language of the pages (one of the site's).
    pub lang: Language,
    /// The path `src` was served under on the old site (`/japanese`), or
    /// `/` for its root.
    pub old_prefix: String,
    /// Report what would happen without changing anything.
    pub dry_run: bool,
    /// When an old address already leads somewhere (a page of another
    /// import), point it at the new page instead of keeping it.
    pub replace_redirects: bool,
    /// Pairs of old addresses that are translations of each other (from
    /// `--pairs FILE`), besides the pages that link to their translation.
    pub pairs: Vec<(String, String)>,
}

/// What happened to one page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

/// The import's two long phases, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Reading,
    Importing,
}

/// Why an import stopped. Pages saved before are kept: importing again
/// goes on from there.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{} is not a folder: name the folder holding the old site", .0.display())]
    NotAFolder(PathBuf),
    #[error("{} holds no .html or .htm files", .0.display())]
    NoPages(PathBuf),
    #[error("the old prefix {0:?} is not a path: give one like /japanese")]
    BadPrefix(String),
    #[error("cannot read {}", .path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("no free address for {0}")]
    NoFreeAddress(String),
    #[error("an image from {old} could not be stored")]
    Media {
        old: String,
        #[source]
        source: refuge_media::MediaError,
    },
    #[error("cannot save the page from {old_path}")]
    Save {
        old_path: String,
        #[source]
        source: StoreError,
    },
    #[error("the site's database failed")]
    Store(#[from] StoreError),
}

type Result<T> = std::result::Result<T, ImportError>;

/// A page of the old site, read.
struct OldPage {
    old_path: String,
    encoding: String,
    warnings: Vec<String>,
    html: String,
    first: Converted,
    modified: Option<OffsetDateTime>,
}

/// Imports `options.src` into `store` (its media files into `media`);
/// the report, page by page. `progress` hears (stage, done, total).
pub fn import_site<S>(
    store: &S,
    media: &dyn refuge_core::MediaFiles,
    options: &ImportOptions,
    progress: &mut dyn FnMut(Stage, u64, u64),
) -> Result<Vec<PageReport>>
where
    S: ContentStore + MediaStore + RedirectStore + refuge_core::NameReads + ?Sized,
{
    let prefix = options.old_prefix.trim().trim_end_matches('/');
    if !(prefix.is_empty() || prefix.starts_with('/')) || prefix.contains(['?', '#']) {
        return Err(ImportError::BadPrefix(options.old_prefix.clone()));
    }
    let names = refuge_core::redaction::NameGuard::new(store.protected_names()?);
    let run = Run { store, options, prefix, media, names, refused: Default::default() };
    let mut pages = run.read_pages(progress)?;
    let targets = run.addresses(&mut pages)?;
    let images = run.images(&mut pages)?;
    // Pass 2: convert with the new addresses, then drop what repeats.
    let paths: HashMap<String, String> =
        targets.iter().map(|(old, (_, slug))| (old.clone(), Kind::News.path(&options.lang, slug))).collect();
    let mut converted = Vec::new();
    for page in &mut pages {
        let missing = Default::default();
        let resolver = Rewriter { from: &page.old_path, pages: &paths, images: &images, missing };
        let c = convert(&page.html, &resolver);
        for link in resolver.missing.into_inner().into_keys() {
            page.warnings.push(format!("link to {link} leads to no imported page; its text is kept"));
        }
        converted.push(c);
    }
    let blocks: Vec<Vec<String>> = converted.iter().map(|c| c.blocks.clone()).collect();
    let chrome = if pages.len() >= 3 { repeated_blocks(&blocks) } else { Default::default() };
    let titles: Vec<String> = pages.iter().filter_map(|p| p.first.title.clone()).collect();
    let affixes = title_affixes(&titles);
    let mut report = Vec::new();
    let total = pages.len() as u64;
    for (i, (page, c)) in pages.iter().zip(converted).enumerate() {
        let body: Vec<&String> = c.blocks.iter().filter(|b| !chrome.contains(*b)).collect();
        report.push(run.page(page, &c, &body, &targets[&page.old_path], &affixes)?);
        progress(Stage::Importing, i as u64 + 1, total);
    }
    let pages: Vec<(String, String)> = pages.into_iter().map(|p| (p.old_path, p.html)).collect();
    pairs::pair_all(store, &options.lang, &pages, &mut report, &options.pairs, options.dry_run)?;
    for old_path in run.refused.take() {
        report.push(PageReport {
            old_path,
            new_path: String::new(),
            title: String::new(),
            date: String::new(),
            date_source: "",
            encoding: String::new(),
            outcome: Outcome::Skipped,
            warnings: vec!["a link to a file out of the old site's folder (or to a folder): not read".into()],
        });
    }
    Ok(report)
}

/// One import under way.
struct Run<'a, S: ?Sized> {
    store: &'a S,
    options: &'a ImportOptions,
    /// The old prefix without its trailing slash (empty for the root).
    prefix: &'a str,
    media: &'a dyn refuge_core::MediaFiles,
    /// Names marked elsewhere on the site: a page that shows one is
    /// imported as a draft, never published.
    names: refuge_core::redaction::NameGuard,
    /// Old paths of links that were not followed (out of the folder, or
    /// to a folder), for the report.
    refused: std::cell::RefCell<Vec<String>>,
}

/// Old path → (the item imported from it before, its slug).
type Targets = HashMap<String, (Option<i64>, Slug)>;

impl<S> Run<'_, S>
where
    S: ContentStore + MediaStore + RedirectStore + refuge_core::NameReads + ?Sized,
{
    /// Pass 1: every page, read, for titles, dates and what repeats.
    fn read_pages(&self, progress: &mut dyn FnMut(Stage, u64, u64)) -> Result<Vec<OldPage>> {
        let src = &self.options.src;
        if !src.is_dir() {
            return Err(ImportError::NotAFolder(src.clone()));
        }
        let (mut files, mut refused) = (Vec::new(), Vec::new());
        collect(src, src, &mut files, &mut refused)
            .map_err(|source| ImportError::Read { path: src.clone(), source })?;
        self.refused.borrow_mut().extend(refused);
        if files.is_empty() {
            return Err(ImportError::NoPages(src.clone()));
        }
        files.sort();
        let mut pages = Vec::new();
        for (i, (old_path, file)) in files.iter().enumerate() {
            let bytes = std::fs::read(file).map_err(|source| ImportError::Read { path: file.clone(), source })?;
            let decoded = decode(&bytes);
            let mut warnings = Vec::new();
            if decoded.had_errors {
                warnings.push(format!("some bytes are not valid {}; they show as �", decoded.encoding));
            }
            let first = convert(&decoded.text, &KeepAbsolute);
            if first.flattened {
                warnings.push(format!(
                    "elements nested more than {} deep: the text inside is kept without its markup",
                    crate::convert::MOST_NESTED
                ));
            }
            pages.push(OldPage {
                old_path: format!("{}{old_path}", self.prefix),
                encoding: format!("{} ({:?})", decoded.encoding, decoded.source).to_lowercase(),
                warnings,
                first,
                html: decoded.text,
                modified: std::fs::metadata(file).and_then(|m| m.modified()).ok().map(OffsetDateTime::from),
            });
            progress(Stage::Reading, i as u64 + 1, files.len() as u64);
        }
        Ok(pages)
    }

    /// New addresses: the item imported before from the same old path
    /// keeps its own; new ones get a slug from the file name.
    fn addresses(&self, pages: &mut [OldPage]) -> Result<Targets> {
        let lang = &self.options.lang;
        let mut taken: Vec<String> = Vec::new();
        let mut targets = Targets::new();
        for page in pages {
            let mut existing = match self.store.redirect_item(&page.old_path)? {
                Some(id) => self.store.item(id)?,
                None => None,
            };
            if let Some(item) = existing.as_ref().filter(|item| &item.lang != lang) {
                page.warnings.push(format!(
                    "{} was imported before as a page in {}; this one gets its own address (use --old-prefix \
                     if the two folders were at different paths of the old site)",
                    page.old_path, item.lang
                ));
                // This language's page from the same file, imported before
                // while the address stayed with the other: updated, not
                // made twice.
                existing = Slug::parse(&slug_from(&page.old_path[self.prefix.len()..]))
                    .ok()
                    .map(|slug| self.store.item_id_by_slug(Kind::News, lang, &slug))
                    .transpose()?
                    .flatten()
                    .map(|id| self.store.item(id))
                    .transpose()?
                    .flatten()
                    .filter(|item| item.tags.iter().any(|t| t == "imported"));
            }
            let slug = match existing.as_ref() {
                Some(item) => item.slug.clone(),
                None => self.free_slug(&slug_from(&page.old_path[self.prefix.len()..]), &taken)?,
            };
            taken.push(slug.to_string());
            targets.insert(page.old_path.clone(), (existing.map(|i| i.id), slug));
        }
        Ok(targets)
    }

    /// `wanted`, or `wanted-2`, `-3`… whichever no item of this language uses.
    fn free_slug(&self, wanted: &str, taken: &[String]) -> Result<Slug> {
        let base: String = wanted.chars().take(70).collect::<String>().trim_matches('-').to_owned();
        for n in 1..1000 {
            let text = if n == 1 { base.clone() } else { format!("{base}-{n}") };
            let Ok(slug) = Slug::parse(&text) else {
                return self.free_slug(&format!("imported-{base}"), taken);
            };
            let used =
                taken.contains(&text) || self.store.item_id_by_slug(Kind::News, &self.options.lang, &slug)?.is_some();
            if !used {
                return Ok(slug);
            }
        }
        Err(ImportError::NoFreeAddress(wanted.to_owned()))
    }

    /// Images: into the media library once, known by their old path;
    /// old path → new address.
    fn images(&self, pages: &mut [OldPage]) -> Result<HashMap<String, String>> {
        let mut images: HashMap<String, String> = HashMap::new();
        for page in pages {
            for (src, alt) in page.first.images.clone() {
                let Some(old) = resolve(&page.old_path, &src) else { continue };
                if images.contains_key(&old) {
                    continue;
                }
                if let Some(path) = self.store.redirect(&old)? {
                    images.insert(old, path);
                    continue;
                }
                let file = self.options.src.join(old.trim_start_matches('/'));
                if !paths::inside(&self.options.src, &file) {
                    if file.exists() {
                        page.warnings.push(format!("image {src} is a link out of the old site's folder; not read"));
                    } else {
                        page.warnings.push(format!("image {src} is missing; left out"));
                    }
                    continue;
                }
                let Ok(bytes) = std::fs::read(&file) else {
                    page.warnings.push(format!("image {src} is missing; left out"));
                    continue;
                };
                if self.options.dry_run {
                    let url = format!("/media/(new){old}");
                    images.insert(old, url);
                    continue;
                }
                match self.image(&old, &bytes, alt)? {
                    Ok((url, faces)) => {
                        if faces > 0 {
                            page.warnings.push(format!(
                                "image {src} shows {faces} possible face(s), not covered (it was public before): \
                                 check it in the media library, and upload a covered copy if needed"
                            ));
                        }
                        images.insert(old, url);
                    }
                    Err(e) => page.warnings.push(format!("image {src} was not imported: {e}")),
                }
            }
        }
        Ok(images)
    }

    /// One image into the media library: its new address, or why the file
    /// was refused (a warning, not a stop).
    /// With the address, the number of possible faces found in it.
    fn image(&self, old: &str, bytes: &[u8], alt: String) -> Result<std::result::Result<(String, usize), String>> {
        let staged = match refuge_media::library::stage_files(self.media, old, bytes) {
            Ok(staged) => staged,
            Err(e) => return Ok(Err(e.to_string())),
        };
        let faces = staged.faces;
        let id = self.store.add_media(&staged.media, None)?;
        let mut media = match staged.commit() {
            Ok(media) => media,
            Err(source) => {
                self.store.delete_media(id, None)?;
                return Err(ImportError::Media { old: old.to_owned(), source });
            }
        };
        media.id = id;
        let alt = if alt.is_empty() { media.name.clone() } else { alt };
        self.store.set_media_alt(media.id, &self.options.lang, &alt)?;
        let url = format!("/media/{}.{}", media.stored, media.extension);
        self.store.set_redirect(old, &RedirectTarget::Path(url.clone()))?;
        Ok(Ok((url, faces)))
    }

    /// One page, saved (unless a dry run), and its line of the report.
    fn page(
        &self,
        page: &OldPage,
        c: &Converted,
        body_blocks: &[&String],
        (existing, slug): &(Option<i64>, Slug),
        affixes: &(Option<String>, Option<String>),
    ) -> Result<PageReport> {
        let lang = &self.options.lang;
        let mut warnings = page.warnings.clone();
        let raw_title = c.title.clone().or_else(|| c.heading.clone());
        let mut title = raw_title.as_deref().map(|t| clean_title(t, affixes)).unwrap_or_default();
        if title.is_empty() {
            title = c.heading.clone().unwrap_or_else(|| slug.to_string());
            warnings.push("no title; the first heading or the file name is used".into());
        }
        // The title is shown above the body: drop a first heading that repeats it.
        let skip_first = body_blocks
            .first()
            .is_some_and(|b| b.starts_with('#') && crate::convert::plain(b.trim_start_matches('#')) == title);
        let body =
            body_blocks.iter().skip(usize::from(skip_first)).map(|b| b.as_str()).collect::<Vec<_>>().join("\n\n");
        // An old page is no newer than its file, and never in the future.
        let now = OffsetDateTime::now_utc();
        let latest = page.modified.filter(|m| *m < now).unwrap_or(now);
        // The title first ("Current Background - July 2002"), then the text.
        let found = crate::dates::find_in_text(&title)
            .or_else(|| crate::dates::find_in_text(&body))
            .map(|f| (f, "the text"))
            .or_else(|| crate::dates::find_in_name(&page.old_path).map(|f| (f, "the file name")));
        let shown = |f: &crate::dates::Found| match f.precision {
            crate::dates::Precision::Day => f.date.to_string(),
            crate::dates::Precision::Month => format!("{}-{:02}", f.date.year(), u8::from(f.date.month())),
        };
        let mut note = None;
        let month_only =
            matches!(found, Some((f, _)) if f.precision == crate::dates::Precision::Month && f.date <= latest.date());
        let (published_at, date, date_source) = match found {
            Some((f, source)) if f.date <= latest.date() => {
                let source = match (f.precision, source) {
                    (crate::dates::Precision::Month, "the text") => "the text (the month only)",
                    (crate::dates::Precision::Month, _) => "the file name (the month only)",
                    _ => source,
                };
                (f.date.midnight().assume_utc(), shown(&f), source)
            }
            Some((f, source)) => {
                warnings.push(format!(
                    "{source} gives {}, after the file's time: dated by the file's time instead; check it",
                    shown(&f)
                ));
                note = Some("the date it gives is after the file's time: check the date");
                (latest, latest.date().to_string(), "the file's time")
            }
            None => {
                warnings.push("no date in the text or the file name: dated by the file's time; check it".into());
                note = Some("no date found: dated by the file's time, check it");
                (latest, latest.date().to_string(), "the file's time")
            }
        };
        let mut line = PageReport {
            old_path: page.old_path.clone(),
            new_path: Kind::News.path(lang, slug),
            title: title.clone(),
            date,
            date_source,
            encoding: page.encoding.clone(),
            outcome: Outcome::New,
            warnings,
        };
        if c.frameset && body.trim().is_empty() {
            line.outcome = Outcome::Skipped;
            line.warnings.push("a frameset: its frames are imported as pages of their own".into());
            return Ok(line);
        }
        if body.trim().is_empty() {
            line.warnings.push("no text once navigation was removed".into());
        }
        let draft = ItemDraft {
            group_id: None,
            kind: Kind::News,
            lang: lang.clone(),
            slug: slug.clone(),
            title: title.chars().take(300).collect(),
            summary: String::new(),
            body,
            category: None,
            tags: vec!["imported".into()],
            status: Status::Published,
            published_at: Some(published_at),
        };
        let address = Kind::News.path(lang, slug);
        let shown =
            refuge_core::markdown::to_safe_html(&draft.body, refuge_core::redaction::Redaction::hidden(lang.as_str()));
        let found = [address.as_str(), draft.title.as_str()]
            .iter()
            .find_map(|t| self.names.find_in_text(t))
            .or_else(|| self.names.find_in_page("text/html", shown.as_bytes()));
        // The rules for going online, as for every other way out: no
        // protected name, and every image says what it shows.
        let images = refuge_core::markdown::images_without_alt(&draft.body);
        let draft = match found {
            Some(found) => {
                line.warnings.push(format!(
                    "kept as a draft: it shows “{}”, part of a name hidden with [[name:…]] on this site; \
                     mark or remove it in the back office, then publish",
                    found.part
                ));
                ItemDraft { status: Status::Draft, ..draft }
            }
            None if !images.is_empty() => {
                line.warnings.push(format!(
                    "kept as a draft: {} image(s) with no alternative text ({}); describe each in the \
                     back office, then publish",
                    images.len(),
                    images.join(", ")
                ));
                ItemDraft { status: Status::Draft, ..draft }
            }
            None => draft,
        };
        line.outcome = self.save(&page.old_path, *existing, (draft, month_only), note, &mut line.warnings)?;
        Ok(line)
    }

    /// Saves a page's article: updated if it was imported before and
    /// changed since, new otherwise (with redirects from its old paths).
    /// `note` goes into the item's history (a date to check); `month_only`
    /// says the date is known to its month only.
    fn save(
        &self,
        old_path: &str,
        existing: Option<i64>,
        (draft, month_only): (ItemDraft, bool),
        note: Option<&str>,
        warnings: &mut Vec<String>,
    ) -> Result<Outcome> {
        let note = note.map(|n| format!("; {n}")).unwrap_or_default();
        let dry_run = self.options.dry_run;
        if let Some(item) = existing.map(|id| self.store.item(id)).transpose()?.flatten() {
            let same = item.title == draft.title
                && item.body == draft.body
                && item.published_at.map(|d| d.date()) == draft.published_at.map(|d| d.date())
                && item.month_only == month_only
                && item.status == Status::Published;
            if !same && !dry_run {
                let draft = ItemDraft { group_id: Some(item.group_id), tags: item.tags.clone(), ..draft };
                let note = format!("imported again from {old_path}{note}");
                let save =
                    ItemSave { month_only: Some(month_only), ..ItemSave::item(Some(item.id), &draft, None, &note) };
                self.store.save_item_with(&save)?;
            }
            // Its old address stayed with another import's page: kept,
            // or moved here when told to.
            if self.store.redirect_item(old_path)? != Some(item.id) {
                match self.store.redirect(old_path)? {
                    Some(now) if dry_run => warnings.push(self.claimed(old_path, &now)),
                    _ if dry_run => {}
                    _ => self.redirect(old_path, item.id, warnings)?,
                }
            }
            return Ok(if same { Outcome::Unchanged } else { Outcome::Updated });
        }
        if !dry_run {
            let note = format!("imported from {old_path}{note}");
            let save = ItemSave { month_only: Some(month_only), ..ItemSave::item(None, &draft, None, &note) };
            let item = self
                .store
                .save_item_with(&save)
                .map_err(|source| ImportError::Save { old_path: old_path.to_owned(), source })?;
            self.redirect(old_path, item.id, warnings)?;
            if let Some(dir) = old_path.strip_suffix("index.html").or_else(|| old_path.strip_suffix("index.htm")) {
                self.redirect(dir, item.id, warnings)?;
            }
        } else if let Some(now) = self.store.redirect(old_path)? {
            warnings.push(self.claimed(old_path, &now));
        }
        Ok(Outcome::New)
    }

    /// Points `old` at the item, unless another import's page has it
    /// (kept, and said, without `replace_redirects`).
    fn redirect(&self, old: &str, item_id: i64, warnings: &mut Vec<String>) -> Result<()> {
        if let Some(now) = self.store.redirect(old)? {
            warnings.push(self.claimed(old, &now));
            if !self.options.replace_redirects {
                return Ok(());
            }
        }
        self.store.set_redirect(old, &RedirectTarget::Item(item_id))?;
        Ok(())
    }

    fn claimed(&self, old: &str, now: &str) -> String {
        if self.options.replace_redirects {
            format!("the old address {old} led to {now}; it now leads here (--replace-redirects)")
        } else {
            format!(
                "the old address {old} already leads to {now} (an earlier import); it is kept: \
                 --replace-redirects points it here"
            )
        }
    }
}
