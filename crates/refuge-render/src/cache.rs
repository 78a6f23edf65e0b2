//! The rendered-page cache: each public page is rendered once per change
//! and kept with gzip and brotli variants and a strong ETag.
//!
//! Every entry records what it shows ([`Dep`]); a change invalidates
//! exactly the entries that depend on it. A generation counter makes sure
//! a page rendered before an invalidation is never stored after it.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use bytes::Bytes;
use refuge_core::{Item, ItemFacts, Kind, Language, Slug};

/// Something a page shows, whose change makes the page stale.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Dep {
    /// Any language version of a translation group (articles, pages).
    Group(i64),
    /// Whatever lives at a slug of a kind, in any language (the
    /// missing-translation page and slug redirects).
    Slug(Kind, Slug),
    /// The main news listings of a language: home, `/news/` pages, feeds.
    News(Language),
    /// The news of one year in a language.
    Year(Language, i32),
    /// The news of one category in a language.
    Category(Language, String),
    /// The news with one tag in a language.
    Tag(Language, String),
    /// A language's appeals list and the home page's featured appeal.
    Appeals(Language),
    /// A language's newsletter archive.
    Newsletters(Language),
    /// The sitemap (any published item).
    Sitemap,
    /// The FAQ entries of a language.
    Faq(Language),
    /// Site-wide things: settings, menus, category names, templates.
    Site,
}

/// A page ready to send: identity bytes and compressed variants.
#[derive(Debug)]
pub struct CachedPage {
    pub status: u16,
    pub content_type: &'static str,
    pub identity: Bytes,
    pub gzip: Option<Bytes>,
    pub brotli: Option<Bytes>,
    /// Strong ETag of the identity bytes, quoted; variants add a suffix.
    pub etag: String,
    /// Whether the body may be cached for long (fingerprinted assets).
    pub immutable: bool,
    /// Unix time after which the page must be rendered again (an appeal
    /// whose deadline passes then shows as closed).
    pub valid_until: Option<i64>,
    /// Download under this file name instead of showing inline.
    pub attachment: Option<String>,
}

impl CachedPage {
    /// Compresses `body` and computes its ETag.
    pub fn new(status: u16, content_type: &'static str, body: Vec<u8>, immutable: bool) -> Self {
        let gzip = gzip(&body).filter(|z| z.len() < body.len()).map(Bytes::from);
        let brotli = brotli(&body).filter(|z| z.len() < body.len()).map(Bytes::from);
        let etag = format!("\"{:x}-{:016x}\"", body.len(), fnv1a(&body));
        Self {
            status,
            content_type,
            identity: Bytes::from(body),
            gzip,
            brotli,
            etag,
            immutable,
            valid_until: None,
            attachment: None,
        }
    }

    /// Sets when the page stops being valid, and a download name.
    pub fn with(mut self, valid_until: Option<i64>, attachment: Option<String>) -> Self {
        self.valid_until = valid_until;
        self.attachment = attachment;
        self
    }

    /// A page made per request (search results): compressed quickly, and
    /// only in the one encoding the client asked for.
    pub fn dynamic(status: u16, content_type: &'static str, body: Vec<u8>, br: bool, gz: bool) -> Self {
        let (brotli, gzip) = match (br, gz) {
            (true, _) => (brotli_quality(&body, 4).map(Bytes::from), None),
            (false, true) => (None, gzip_level(&body, 4).map(Bytes::from)),
            _ => (None, None),
        };
        let etag = format!("\"{:x}-{:016x}\"", body.len(), fnv1a(&body));
        Self {
            status,
            content_type,
            identity: Bytes::from(body),
            gzip,
            brotli,
            etag,
            immutable: false,
            valid_until: None,
            attachment: None,
        }
    }

    /// Bytes held in memory by this entry.
    pub fn weight(&self) -> usize {
        self.identity.len() + self.gzip.as_ref().map_or(0, Bytes::len) + self.brotli.as_ref().map_or(0, Bytes::len)
    }
}

fn now_unix() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

use refuge_core::digest::fnv1a;

/// The cache dependencies of an item: invalidate these (for the item as
/// it was and as it is now) when it changes.
pub fn deps_of_item(item: &Item) -> Vec<Dep> {
    let mut deps = deps_of_facts(&item.facts());
    if item.kind == Kind::News {
        deps.extend(item.tags.iter().map(|t| Dep::Tag(item.lang.clone(), t.clone())));
    }
    deps
}

/// The pages that show an item with these facts, but for its tag pages
/// (the change feed names tags apart).
pub fn deps_of_facts(item: &ItemFacts) -> Vec<Dep> {
    let mut deps = vec![Dep::Group(item.group_id), Dep::Slug(item.kind, item.slug.clone()), Dep::Sitemap];
    if item.kind == Kind::Appeal {
        deps.push(Dep::Appeals(item.lang.clone()));
        deps.push(Dep::News(item.lang.clone()));
    }
    if item.kind == Kind::News {
        deps.push(Dep::News(item.lang.clone()));
        if let Some(year) = item.year {
            deps.push(Dep::Year(item.lang.clone(), year));
        }
        if let Some(category) = &item.category {
            deps.push(Dep::Category(item.lang.clone(), category.clone()));
        }
    }
    deps
}

fn gzip(body: &[u8]) -> Option<Vec<u8>> {
    gzip_level(body, 9)
}

fn brotli(body: &[u8]) -> Option<Vec<u8>> {
    brotli_quality(body, 11)
}

/// Gzip at `level` (0–9): 9 for pages compressed once and cached, low
/// levels for pages made per request.
pub fn gzip_level(body: &[u8], level: u32) -> Option<Vec<u8>> {
    let mut enc = flate2::write::GzEncoder::new(Vec::with_capacity(body.len() / 3), flate2::Compression::new(level));
    enc.write_all(body).ok()?;
    enc.finish().ok()
}

/// Brotli at `quality` (0–11): 11 for cached pages, about 4 per request.
pub fn brotli_quality(body: &[u8], quality: i32) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(body.len() / 3);
    let params = brotli::enc::BrotliEncoderParams { quality, lgwin: 22, ..Default::default() };
    let mut input = body;
    brotli::BrotliCompress(&mut input, &mut out, &params).ok()?;
    Some(out)
}

#[derive(Default)]
struct Inner {
    pages: HashMap<Arc<str>, Arc<CachedPage>>,
    by_dep: HashMap<Dep, HashSet<Arc<str>>>,
    bytes: usize,
    /// Pages dropped since they were last made (invalidated), kept to be
    /// sent while they cannot be made again (the database is away).
    last_good: HashMap<Arc<str>, Arc<CachedPage>>,
    last_good_bytes: usize,
}

/// Pages by path. Cheap to read from many threads.
pub struct PageCache {
    inner: RwLock<Inner>,
    generation: AtomicU64,
    max_bytes: usize,
}

impl PageCache {
    /// A cache that holds at most about `max_bytes` of pages.
    pub fn new(max_bytes: usize) -> Self {
        Self { inner: RwLock::new(Inner::default()), generation: AtomicU64::new(0), max_bytes }
    }

    /// The page cached for `key`, if any.
    pub fn get(&self, key: &str) -> Option<Arc<CachedPage>> {
        let page = self.inner.read().unwrap_or_else(|p| p.into_inner()).pages.get(key).cloned()?;
        match page.valid_until {
            Some(until) if now_unix() >= until => None,
            _ => Some(page),
        }
    }

    /// The page last made for `key`, current or not (invalidated, or past
    /// its `valid_until`): what is sent while a page cannot be made again.
    /// The caller checks it against the names protected now.
    pub fn last_good(&self, key: &str) -> Option<Arc<CachedPage>> {
        let inner = self.inner.read().unwrap_or_else(|p| p.into_inner());
        inner.pages.get(key).or_else(|| inner.last_good.get(key)).cloned()
    }

    /// Call before rendering; pass the result to [`PageCache::insert`].
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Stores a page rendered since `generation`, unless something was
    /// invalidated meanwhile (then the page may be stale: it is not kept).
    pub fn insert(&self, key: &str, page: Arc<CachedPage>, deps: &[Dep], generation: u64) {
        let mut inner = self.inner.write().unwrap_or_else(|p| p.into_inner());
        if self.generation.load(Ordering::Acquire) != generation {
            return;
        }
        if inner.bytes + page.weight() > self.max_bytes {
            Self::shrink(&mut inner, self.max_bytes / 2);
        }
        let key: Arc<str> = Arc::from(key);
        if let Some(old) = inner.last_good.remove(&key) {
            inner.last_good_bytes -= old.weight();
        }
        inner.bytes += page.weight();
        if let Some(old) = inner.pages.insert(key.clone(), page) {
            inner.bytes -= old.weight();
        }
        for dep in deps {
            inner.by_dep.entry(dep.clone()).or_default().insert(key.clone());
        }
        inner.by_dep.entry(Dep::Site).or_default().insert(key);
    }

    fn shrink(inner: &mut Inner, target: usize) {
        let victims: Vec<Arc<str>> = inner.pages.keys().take(inner.pages.len().div_ceil(2)).cloned().collect();
        for key in victims {
            if inner.bytes <= target {
                break;
            }
            if let Some(old) = inner.pages.remove(&key) {
                inner.bytes -= old.weight();
            }
        }
    }

    /// Drops every page that depends on any of `deps`; returns how many.
    pub fn invalidate(&self, deps: &[Dep]) -> usize {
        let mut inner = self.inner.write().unwrap_or_else(|p| p.into_inner());
        self.generation.fetch_add(1, Ordering::AcqRel);
        let mut removed = 0;
        for dep in deps {
            let Some(keys) = inner.by_dep.remove(dep) else {
                continue;
            };
            for key in keys {
                if let Some(old) = inner.pages.remove(&key) {
                    inner.bytes -= old.weight();
                    removed += 1;
                    // Kept, within a quarter of the cache's size, for
                    // when it cannot be made again.
                    if inner.last_good_bytes + old.weight() > self.max_bytes / 4 {
                        inner.last_good.clear();
                        inner.last_good_bytes = 0;
                    }
                    inner.last_good_bytes += old.weight();
                    if let Some(before) = inner.last_good.insert(key, old) {
                        inner.last_good_bytes -= before.weight();
                    }
                }
            }
        }
        if deps.contains(&Dep::Site) {
            inner.by_dep.clear();
        }
        removed
    }

    /// Number of pages held.
    pub fn len(&self) -> usize {
        self.inner.read().unwrap_or_else(|p| p.into_inner()).pages.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(text: &str) -> Arc<CachedPage> {
        Arc::new(CachedPage::new(200, "text/html; charset=utf-8", text.as_bytes().to_vec(), false))
    }

    fn en() -> Language {
        Language::parse("en").unwrap()
    }

    #[test]
    fn variants_decompress_to_the_same_bytes() {
        let body = "<p>北朝鮮難民 refugees</p>".repeat(200);
        let p = page(&body);
        let mut out = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&p.gzip.as_ref().unwrap()[..]), &mut out)
            .unwrap();
        assert_eq!(out, body);
        let mut out = Vec::new();
        brotli::BrotliDecompress(&mut &p.brotli.as_ref().unwrap()[..], &mut out).unwrap();
        assert_eq!(out, body.as_bytes());
        assert!(p.brotli.as_ref().unwrap().len() < body.len() / 10);
        assert_eq!(p.etag, page(&body).etag, "strong ETag is stable");
        assert_ne!(p.etag, page("other").etag);
        assert!(page("x").gzip.is_none(), "no variant when compression does not help");
    }

    #[test]
    fn invalidates_exactly_the_dependent_pages() {
        let cache = PageCache::new(1 << 20);
        let g = cache.generation();
        cache.insert("/en/news/a/", page("a"), &[Dep::Group(1)], g);
        cache.insert("/en/news/", page("list"), &[Dep::News(en())], g);
        cache.insert("/en/about/", page("about"), &[Dep::Group(2)], g);
        assert_eq!(cache.invalidate(&[Dep::Group(1), Dep::News(en())]), 2);
        assert!(cache.get("/en/news/a/").is_none());
        assert!(cache.get("/en/news/").is_none());
        assert!(cache.get("/en/about/").is_some());
        assert_eq!(cache.invalidate(&[Dep::Site]), 1);
        assert!(cache.is_empty());
    }

    #[test]
    fn pages_past_their_validity_are_not_served() {
        let cache = PageCache::new(1 << 20);
        let g = cache.generation();
        let expired = Arc::new(
            CachedPage::new(200, "text/html", b"closed soon".to_vec(), false).with(Some(now_unix() - 1), None),
        );
        cache.insert("/en/appeals/x/", expired, &[], g);
        assert!(cache.get("/en/appeals/x/").is_none(), "rendered again after its deadline");
        let valid =
            Arc::new(CachedPage::new(200, "text/html", b"open".to_vec(), false).with(Some(now_unix() + 3600), None));
        cache.insert("/en/appeals/y/", valid, &[], g);
        assert!(cache.get("/en/appeals/y/").is_some());
    }

    #[test]
    fn the_last_page_made_is_kept_until_a_new_one_is() {
        let cache = PageCache::new(1 << 20);
        let g = cache.generation();
        cache.insert("/en/", page("home"), &[Dep::News(en())], g);
        cache.invalidate(&[Dep::News(en())]);
        assert!(cache.get("/en/").is_none(), "made again when asked");
        assert_eq!(cache.last_good("/en/").unwrap().identity.as_ref(), b"home", "kept for when it cannot be");
        let g = cache.generation();
        cache.insert("/en/", page("new home"), &[Dep::News(en())], g);
        assert_eq!(cache.last_good("/en/").unwrap().identity.as_ref(), b"new home");
    }

    #[test]
    fn stale_render_is_not_stored() {
        let cache = PageCache::new(1 << 20);
        let g = cache.generation();
        cache.invalidate(&[Dep::Group(9)]);
        cache.insert("/en/", page("old"), &[], g);
        assert!(cache.get("/en/").is_none());
    }

    #[test]
    fn stays_within_its_budget() {
        let cache = PageCache::new(10_000);
        for i in 0..100 {
            let g = cache.generation();
            cache.insert(&format!("/p{i}/"), page(&"x".repeat(900)), &[], g);
        }
        let total: usize = (0..100).filter_map(|i| cache.get(&format!("/p{i}/"))).map(|p| p.weight()).sum();
        assert!(total <= 10_000, "{total}");
        assert!(cache.len() >= 5);
    }
}
