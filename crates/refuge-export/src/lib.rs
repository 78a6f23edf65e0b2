//! The public site as static files, for mirrors, CDNs and
//! censorship-resistant copies (`refuge export OUT_DIR` runs it).
//!
//! Pages come from the same renderer the server answers from
//! ([`Site::resolve`]), found by following the site's own links from the
//! home pages, feeds and sitemap; `tree.rs` writes them so that a failed
//! export leaves the previous copy as it was, and `manifest.rs` lets a
//! later export render only what a change can have touched.

mod error;
pub mod links;
mod manifest;
mod tree;

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};

use refuge_core::{DataDir, Kind, Language, MediaFiles, MediaReads, PublicContent, RedirectReads, Slug};
use refuge_render::contact::ContactForm;
use refuge_render::routes::{Live, Route};
use refuge_render::{Message, Outcome, Site, SiteConfig};
use refuge_store::SqlStore;

pub use error::ExportError;
use links::{Rewrite, file_of, site_links};
use manifest::{Manifest, PageMeta, dep_key};
use tree::{Body, Put, Tree};

type Result<T> = std::result::Result<T, ExportError>;

/// Marks a folder as written by an export; a later export replaces only
/// such folders (or empty ones).
pub const MARKER: &str = ".refuge-export";
/// The marker's line saying the copy has .gz and .br siblings.
const PRECOMPRESSED: &str = "precompressed";

/// What to export, and where to.
#[derive(Debug, Clone)]
pub struct ExportOptions {
    /// The folder to write. It must be missing, empty, or an earlier
    /// export; it is replaced as a whole once the new copy is complete.
    pub out: PathBuf,
    /// Where the copy will be served (canonical links, feeds and the
    /// sitemap use it), e.g. `https://mirror.example.org`.
    pub base_url: String,
    /// The running site, where search, the contact form and the
    /// newsletter form of the copy send readers.
    pub forms_url: String,
    /// The languages to export; links to the site's others go to
    /// `forms_url`. See [`choose_languages`].
    pub languages: Vec<Language>,
    /// Also write .gz and .br files beside pages, feeds and the style sheet.
    pub precompress: bool,
    /// Links to folders name their `index.html`, for hosts that do not add
    /// it (a bucket's plain address).
    pub index_links: bool,
    /// Where the media library's files are (`None`: the data folder's
    /// `media/`).
    pub media: Option<Arc<dyn MediaFiles>>,
}

/// What an export did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Files in the new copy (compressed siblings not counted).
    pub files: usize,
    /// Written because they are new or changed.
    pub written: usize,
    /// Kept from the previous copy unchanged.
    pub unchanged: usize,
    /// In the previous copy but no longer part of the site.
    pub removed: usize,
    /// Internal links that lead nowhere (paths).
    pub broken: Vec<String>,
}

/// Exports the site in `data` (rendered with `site`, whose `base_url` the
/// options replace) as `options` say, reading the database `database_url`
/// names (`None`: the data folder's SQLite file). `progress` hears (done,
/// known so far).
pub fn export(
    data: &DataDir,
    database_url: Option<&str>,
    mut site: SiteConfig,
    options: &ExportOptions,
    progress: &mut (dyn FnMut(u64, u64) + Send),
) -> Result<Report> {
    if database_url.is_none() && !data.has_site() {
        return Err(ExportError::NoSite(data.clone()));
    }
    let store = Arc::new(SqlStore::open_url(database_url, &data.database())?);
    let base_url = web_address(&options.base_url, "the copy's address")?;
    let forms_url = web_address(&options.forms_url, "the forms' address")?;
    let languages = &options.languages;
    if languages.is_empty() || languages.iter().any(|l| !site.languages.contains(l)) {
        let asked = join(languages);
        return Err(ExportError::UnknownLanguage { asked, site: join(&site.languages) });
    }
    let mut rewrite = rewrite(&site.languages, languages, &base_url, forms_url);
    rewrite.index_links = options.index_links;
    let setup = setup(&site, options, &base_url, &rewrite, store.as_ref())?;
    site.base_url = base_url.clone();
    let renderer = Site::new(site, store.clone())?;
    let out = Tree::prepare(&options.out, options.precompress)?;
    let crawl = Crawl {
        site: &renderer,
        store: store.as_ref(),
        languages,
        base_url: &base_url,
        rewrite: &rewrite,
        media: match &options.media {
            Some(files) => files.clone(),
            None => Arc::new(refuge_core::MediaFolder(data.media())),
        },
    };
    // With the manifest of the previous copy, only what a change can have
    // touched is rendered again (see manifest.rs).
    let previous = if out.updating() { manifest::load(&options.out, &setup) } else { None };
    let (items, touched) = manifest::item_changes(store.as_ref(), previous.as_ref())?;
    let mut seeds = crawl.seeds()?;
    let mut known = Vec::new();
    if let Some(previous) = &previous {
        seeds.retain(|s| !previous.pages.contains_key(s));
        seeds.extend(manifest::stale_pages(previous, &touched, now_unix()));
        known = previous.pages.keys().cloned().collect();
    }
    let crawled = crawl.run(Frontier::new(seeds, known), &out, progress)?;
    let (mut report, candidates, metas) = keep_untouched(crawled, previous, &out);
    let manifest = Manifest { setup, items, pages: metas };
    out.put(manifest::FILE, Body::Bytes { bytes: serde_json::to_vec(&manifest)?, compressible: false })?;
    for (file, bytes) in crawl.extras()? {
        let put = out.put(&file, Body::Bytes { bytes, compressible: true })?;
        report.count(put);
    }
    out.commit(&mut report, candidates)?;
    Ok(report)
}

/// What the crawl rendered and wrote.
struct Crawled {
    report: Report,
    metas: BTreeMap<String, PageMeta>,
    rendered: HashSet<String>,
}

/// Pages of the previous copy that nothing touched stay as they are, with
/// their media; with a manifest, the files that can have gone are those
/// of its pages (`None`: look through the whole copy).
fn keep_untouched(
    crawled: Crawled,
    previous: Option<Manifest>,
    out: &Tree,
) -> (Report, Option<Vec<String>>, BTreeMap<String, PageMeta>) {
    let Crawled { mut report, mut metas, rendered } = crawled;
    let Some(previous) = previous else { return (report, None, metas) };
    let mut before = Vec::new();
    for (path, meta) in &previous.pages {
        before.extend(std::iter::once(path).chain(&meta.media).filter_map(|p| file_of(p)));
    }
    for (path, meta) in previous.pages {
        if rendered.contains(&path) {
            continue;
        }
        let files = std::iter::once(&path).chain(&meta.media).filter_map(|p| file_of(p));
        let mut kept = true;
        for file in files {
            kept &= out.keep(&file);
        }
        if kept {
            report.count(Put::Unchanged);
            metas.insert(path, meta);
        }
    }
    (report, Some(before), metas)
}

/// How links in the copy change: forms and other languages go to the
/// running site, and a copy under a path gets it in front of its links.
fn rewrite(all: &[Language], exported: &[Language], base_url: &str, forms_url: String) -> Rewrite {
    let mut dynamic: Vec<String> = ["/admin", "/healthz"].map(String::from).to_vec();
    let mut absolute = Vec::new();
    for lang in all {
        if exported.contains(lang) {
            for page in [Live::Search, Live::Subscribe, Live::Unsubscribe] {
                dynamic.push(page.path(lang));
            }
        } else {
            dynamic.push(Route::home(lang));
            absolute.push((format!("\"{base_url}/{lang}/"), format!("\"{forms_url}/{lang}/")));
        }
    }
    Rewrite { forms_url, dynamic, prefix: base_path(base_url), absolute, index_links: false }
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Report {
    fn count(&mut self, put: Put) {
        match put {
            Put::Written => self.written += 1,
            Put::Unchanged => self.unchanged += 1,
            Put::Again => return,
        }
        self.files += 1;
    }
}

fn now_unix() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// Everything besides items that decides what the pages are.
fn setup(
    site: &SiteConfig,
    options: &ExportOptions,
    base_url: &str,
    rewrite: &Rewrite,
    store: &SqlStore,
) -> Result<String> {
    let program = std::env::current_exe()
        .and_then(std::fs::metadata)
        .map(|m| format!("{}-{:?}", m.len(), m.modified().ok()))
        .unwrap_or_default();
    let mut theme = Vec::new();
    if let Some(dir) = &site.theme_dir {
        files_of(dir, &mut theme);
    }
    theme.sort();
    Ok(format!(
        "{} {program} | theme {} | {base_url} {} {} {} {} {} | site {} {} {:?} | data {}",
        env!("CARGO_PKG_VERSION"),
        theme.join(","),
        rewrite.forms_url,
        rewrite.prefix,
        join(&options.languages),
        options.precompress,
        options.index_links,
        join(&site.languages),
        site.page_size,
        site.addresses,
        store.public_fingerprint()?
    ))
}

/// Names, sizes and times of the files under `dir`.
fn files_of(dir: &std::path::Path, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files_of(&path, out);
        } else if let Ok(m) = entry.metadata() {
            out.push(format!("{}:{}:{:?}", path.display(), m.len(), m.modified().ok()));
        }
    }
}

/// `url` without a trailing slash, if it is an http(s) address with a
/// host; `what` names it in the error (say, the option that gave it).
pub fn web_address(url: &str, what: &'static str) -> Result<String> {
    let url = url.trim_end_matches('/');
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
    match rest {
        Some(rest) if !rest.is_empty() && !rest.starts_with('/') && !url.contains(['?', '#', '"', '<', ' ']) => {
            Ok(url.to_owned())
        }
        _ => Err(ExportError::NotAnAddress { what, url: url.to_owned() }),
    }
}

/// `/mirror` for `https://x.org/mirror`; empty for a site at the root.
fn base_path(base_url: &str) -> String {
    let after_scheme = base_url.split_once("://").map_or(base_url, |(_, r)| r);
    after_scheme.find('/').map_or_else(String::new, |at| after_scheme[at..].to_owned())
}

/// The languages named in `asked` (codes), each one of the site's;
/// every language of the site when none is named.
pub fn choose_languages(configured: &[Language], asked: &[String]) -> Result<Vec<Language>> {
    if asked.is_empty() {
        return Ok(configured.to_vec());
    }
    asked
        .iter()
        .map(|code| {
            Language::parse(code)
                .ok()
                .filter(|l| configured.contains(l))
                .ok_or_else(|| ExportError::UnknownLanguage { asked: code.clone(), site: join(configured) })
        })
        .collect()
}

fn join(languages: &[Language]) -> String {
    languages.iter().map(Language::as_str).collect::<Vec<_>>().join(", ")
}

/// Rendering one path and finding where it links.
struct Crawl<'a> {
    site: &'a Site,
    store: &'a SqlStore,
    languages: &'a [Language],
    base_url: &'a str,
    rewrite: &'a Rewrite,
    media: Arc<dyn MediaFiles>,
}

impl Crawl<'_> {
    /// Renders every path the frontier gives on a few threads; each
    /// renders a page, writes its file and queues its links. The first
    /// error stops the others.
    fn run(&self, frontier: Frontier, out: &Tree, progress: &mut (dyn FnMut(u64, u64) + Send)) -> Result<Crawled> {
        let report = Mutex::new(Report::default());
        let progress = Mutex::new(progress);
        let metas: Mutex<BTreeMap<String, PageMeta>> = Mutex::default();
        let rendered: Mutex<HashSet<String>> = Mutex::default();
        let failure: Mutex<Option<ExportError>> = Mutex::new(None);
        let failed = AtomicBool::new(false);
        let workers = std::thread::available_parallelism().map_or(2, |n| n.get()).min(8);
        let work = |path: &str| -> Result<()> {
            let (body, mut found, meta) = self.page(path)?;
            found.retain(|p| self.wanted(p));
            lock(&rendered).insert(path.to_owned());
            if body.is_some() && !path.starts_with("/media/") {
                lock(&metas).insert(path.to_owned(), meta);
            }
            let Some(body) = body else {
                frontier.done(found, Some(path.to_owned()));
                return Ok(());
            };
            frontier.done(found, None);
            if let Some(file) = file_of(path) {
                let put = out.put(&file, body)?;
                lock(&report).count(put);
            }
            let (done, seen) = frontier.counts();
            (lock(&progress))(done as u64, seen as u64);
            Ok(())
        };
        std::thread::scope(|scope| {
            for _ in 0..workers {
                scope.spawn(|| {
                    while let Some(path) = frontier.next() {
                        if failed.load(Ordering::Relaxed) {
                            frontier.done(Vec::new(), None);
                        } else if let Err(e) = work(&path) {
                            failed.store(true, Ordering::Relaxed);
                            frontier.done(Vec::new(), None);
                            lock(&failure).get_or_insert(e);
                        }
                    }
                });
            }
        });
        if let Some(e) = lock(&failure).take() {
            return Err(e);
        }
        let mut report = report.into_inner().unwrap_or_else(|e| e.into_inner());
        report.broken = frontier.broken();
        Ok(Crawled {
            report,
            metas: metas.into_inner().unwrap_or_else(|e| e.into_inner()),
            rendered: rendered.into_inner().unwrap_or_else(|e| e.into_inner()),
        })
    }

    fn seeds(&self) -> Result<Vec<String>> {
        let mut seeds = vec![
            "/robots.txt".to_owned(),
            "/favicon.ico".to_owned(),
            "/sitemap.xml".to_owned(),
            self.site.css_path().to_owned(),
        ];
        let contact = Slug::contact();
        for lang in self.languages {
            seeds.extend([
                Route::home(lang),
                Route::feed(lang, None),
                Route::news(lang),
                Route::appeals(lang),
                Route::newsletter(lang, None),
                Kind::Page.path(lang, &contact),
                Route::Mirrors(lang.clone()).path(),
            ]);
        }
        seeds.push("/mirrors.json".to_owned());
        // Old paths of an imported site become pages that send readers on.
        for (from, _) in self.store.redirects()? {
            seeds.push(from.split('/').map(refuge_render::routes::encode_segment).collect::<Vec<_>>().join("/"));
        }
        Ok(seeds)
    }

    /// Whether a path belongs in the copy.
    fn wanted(&self, path: &str) -> bool {
        !self.rewrite.dynamic.iter().any(|d| path.starts_with(d.as_str())) && path != "/"
    }

    /// The file for `path` (if any) and the paths it links to.
    fn page(&self, path: &str) -> Result<(Option<Body>, Vec<String>, PageMeta)> {
        if let Some(name) = path.strip_prefix("/media/") {
            let body = self.media(name)?.map(|bytes| Body::Bytes { bytes, compressible: false });
            return Ok((body, Vec::new(), PageMeta::default()));
        }
        if let Some(lang) = contact_language(path, self.languages) {
            let page = self.site.contact_page(&lang, &ContactForm::default(), 200)?;
            let contact = Slug::contact();
            let deps = vec![
                dep_key(&refuge_render::Dep::Slug(refuge_core::Kind::Page, contact)),
                dep_key(&refuge_render::Dep::Site),
            ];
            return Ok(self.html(page.body, deps, None));
        }
        let render = |source| ExportError::Render { path: path.to_owned(), source };
        match self.site.resolve(path).map_err(render)? {
            Outcome::Page(page) if page.status == 200 => {
                let deps: Vec<String> = page.deps.iter().map(dep_key).collect();
                if page.content_type.starts_with("text/html") {
                    Ok(self.html(page.body, deps, page.valid_until))
                } else {
                    let (found, bytes) = if page.content_type.contains("xml") {
                        let text = String::from_utf8_lossy(&page.body);
                        let found = site_links(&text, self.base_url);
                        (found, self.rewrite.apply_xml(&text, self.base_url).into_bytes())
                    } else {
                        (Vec::new(), page.body)
                    };
                    let meta = PageMeta { deps, until: page.valid_until, media: Vec::new() };
                    Ok((Some(Body::Bytes { bytes, compressible: true }), found, meta))
                }
            }
            Outcome::Page(_) | Outcome::NotFound(_) => Ok((None, Vec::new(), PageMeta::default())),
            Outcome::Redirect(to) => Ok((Some(self.redirect_stub(&to)?), vec![to], PageMeta::default())),
        }
    }

    fn html(&self, body: Vec<u8>, deps: Vec<String>, until: Option<i64>) -> (Option<Body>, Vec<String>, PageMeta) {
        let text = String::from_utf8_lossy(&body);
        let found = site_links(&text, self.base_url);
        let bytes = self.rewrite.apply(&text).into_bytes();
        let media = found.iter().filter(|l| l.starts_with("/media/")).cloned().collect();
        (Some(Body::Bytes { bytes, compressible: true }), found, PageMeta { deps, until, media })
    }

    /// A media file the site knows, by its served name.
    fn media(&self, name: &str) -> Result<Option<Vec<u8>>> {
        let stored = name.split(['-', '.']).next().unwrap_or_default();
        if stored.len() != 32 || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.') {
            return Ok(None);
        }
        if self.store.media_by_stored(stored)?.is_none() {
            return Ok(None);
        }
        self.media.get(name).map_err(|e| ExportError::Media { name: name.to_owned(), detail: e.to_string() })
    }

    /// A page that sends readers on to `to` without a server: a meta
    /// refresh, a canonical link and a plain link (`export/redirect.html`).
    fn redirect_stub(&self, to: &str) -> Result<Body> {
        let context = minijinja::context! {
            to,
            local => self.rewrite.local(to),
            canonical => format!("{}{to}", self.base_url),
        };
        let html = self.site.render_named("export/redirect.html", context)?;
        Ok(Body::Bytes { bytes: html.into_bytes(), compressible: false })
    }

    /// `index.html` (the language choice, going on to the default
    /// language: `export/index.html`) and `404.html`, which a server has
    /// no path for.
    fn extras(&self) -> Result<Vec<(String, Vec<u8>)>> {
        let first = &self.languages[0];
        let languages: Vec<minijinja::Value> = self
            .languages
            .iter()
            .map(|lang| minijinja::context! { code => lang.as_str(), name => self.site.strings(lang).get("language_name") })
            .collect();
        let context = minijinja::context! {
            first => first.as_str(),
            prefix => &self.rewrite.prefix,
            index => if self.rewrite.index_links { "index.html" } else { "" },
            site_name => self.store.setting("site_name", first)?.unwrap_or_default(),
            css => self.site.css_path(),
            languages,
        };
        let index = self.site.render_named("export/index.html", context)?;
        let not_found = self.site.message(first, Message::NotFound)?;
        let not_found = self.rewrite.apply(&String::from_utf8_lossy(&not_found.body)).into_bytes();
        Ok(vec![("index.html".into(), index.into_bytes()), ("404.html".into(), not_found)])
    }
}

fn contact_language(path: &str, languages: &[Language]) -> Option<Language> {
    let code = path.strip_prefix('/')?.strip_suffix("/contact/")?;
    languages.iter().find(|l| l.as_str() == code).cloned()
}

/// The paths still to render, shared by the workers.
struct Frontier {
    state: Mutex<FrontierState>,
    ready: Condvar,
}

struct FrontierState {
    queue: VecDeque<String>,
    seen: HashSet<String>,
    in_flight: usize,
    done: usize,
    /// Paths that were rendered but gave no file (not found).
    broken: Vec<String>,
}

impl Frontier {
    /// Starts from `seeds`; links to `known` pages are not followed.
    fn new(seeds: Vec<String>, known: Vec<String>) -> Self {
        let mut seen: HashSet<String> = known.into_iter().collect();
        seen.extend(seeds.iter().cloned());
        let state = FrontierState { queue: seeds.into(), seen, in_flight: 0, done: 0, broken: Vec::new() };
        Self { state: Mutex::new(state), ready: Condvar::new() }
    }

    /// The next path, waiting while others may still find some; `None`
    /// when all is done.
    fn next(&self) -> Option<String> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(path) = state.queue.pop_front() {
                state.in_flight += 1;
                return Some(path);
            }
            if state.in_flight == 0 {
                self.ready.notify_all();
                return None;
            }
            state = self.ready.wait(state).unwrap_or_else(|e| e.into_inner());
        }
    }

    /// Records that a path was rendered, what it links to, and whether it
    /// led nowhere.
    fn done(&self, found: Vec<String>, broken: Option<String>) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.broken.extend(broken);
        for path in found {
            if !state.seen.contains(&path) {
                state.seen.insert(path.clone());
                state.queue.push_back(path);
            }
        }
        state.in_flight -= 1;
        state.done += 1;
        self.ready.notify_all();
    }

    fn counts(&self) -> (usize, usize) {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        (state.done, state.seen.len())
    }

    fn broken(&self) -> Vec<String> {
        let mut broken = self.state.lock().unwrap_or_else(|e| e.into_inner()).broken.clone();
        broken.sort();
        broken
    }
}

#[cfg(test)]
mod tests;
