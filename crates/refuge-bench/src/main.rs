//! `refuge-bench`: generates a benchmark data folder and times search.
//!
//! ```text
//! refuge-bench gen DATA_DIR [COUNT]     a data folder with COUNT generated articles
//! refuge-bench search DATA_DIR [QUERIES] build the index (timed), then time queries
//!                                         single-threaded; writes DATA_DIR/queries.txt
//! refuge-bench hugo DATA_DIR HUGO_DIR    the same articles as a Hugo site
//! refuge-bench touch DATA_DIR            change the title of one article
//! refuge-bench admin DATA_DIR            time the back office's item lists (filters,
//!                                         text search) on the store, in process
//! ```
//! `bench/search.sh` and `bench/export.sh` drive it.

mod corpus;
mod hugo;
mod words;
mod writes;

use refuge_core::ContentReads;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use refuge_core::search::SearchRequest;
use refuge_core::{ContentStore, ItemDraft, Kind, Language, PublicContent, Slug, Status};
use refuge_search::SearchIndex;
use refuge_store::SqlStore;

const SEED: u64 = 20_021_126;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("gen") => {
            let dir = PathBuf::from(args.get(1).context("gen DATA_DIR [COUNT]")?);
            let count = args.get(2).map_or(Ok(100_000), |c| c.parse()).context("COUNT must be a number")?;
            generate(&dir, count)
        }
        Some("search") => {
            let dir = PathBuf::from(args.get(1).context("search DATA_DIR [QUERIES]")?);
            let n = args.get(2).map_or(Ok(1000), |c| c.parse()).context("QUERIES must be a number")?;
            build(&dir)?;
            time_queries(&dir, n)
        }
        Some("query") => {
            let dir = PathBuf::from(args.get(1).context("query DATA_DIR [QUERIES]")?);
            let n = args.get(2).map_or(Ok(1000), |c| c.parse()).context("QUERIES must be a number")?;
            time_queries(&dir, n)
        }
        Some("hugo") => {
            let dir = PathBuf::from(args.get(1).context("hugo DATA_DIR HUGO_DIR")?);
            let out = PathBuf::from(args.get(2).context("hugo DATA_DIR HUGO_DIR")?);
            let n = hugo::write_site(&SqlStore::open(&dir.join("refuge.db"))?, &out)?;
            println!("wrote a Hugo site of {n} articles to {}", out.display());
            Ok(())
        }
        Some("touch") => touch(&PathBuf::from(args.get(1).context("touch DATA_DIR")?)),
        Some("admin") => time_admin_lists(&PathBuf::from(args.get(1).context("admin DATA_DIR")?)),
        Some("writes") => {
            let dir = PathBuf::from(args.get(1).context("writes DATA_DIR [COUNT] [BASE_URL]")?);
            let n = args.get(2).map_or(Ok(200), |c| c.parse()).context("COUNT must be a number")?;
            writes::run(&dir, n, args.get(3).map(String::as_str))
        }
        _ => bail!(
            "usage: refuge-bench gen DATA_DIR [COUNT] | search DATA_DIR [QUERIES] | query DATA_DIR [QUERIES] \
             | hugo DATA_DIR HUGO_DIR | touch DATA_DIR | admin DATA_DIR | writes DATA_DIR [COUNT] [BASE_URL]"
        ),
    }
}

fn generate(dir: &Path, count: usize) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    let store = SqlStore::open(&dir.join("refuge.db"))?;
    let started = Instant::now();
    let vocab = corpus::Vocab::new();
    let mut chars = 0usize;
    for chunk_start in (0..count).step_by(5000) {
        let drafts: Vec<ItemDraft> = (chunk_start..(chunk_start + 5000).min(count))
            .map(|i| {
                let a = corpus::article(&vocab, SEED, i);
                chars += a.body.chars().count();
                let date = time::Date::from_calendar_date(a.year, time::Month::June, 1).expect("valid date");
                ItemDraft {
                    group_id: None,
                    kind: Kind::News,
                    lang: Language::parse(a.lang).expect("valid"),
                    slug: Slug::parse(&a.slug).expect("valid"),
                    title: a.title,
                    summary: String::new(),
                    body: a.body,
                    category: None,
                    tags: Vec::new(),
                    status: Status::Published,
                    published_at: Some(date.midnight().assume_utc()),
                }
            })
            .collect();
        store.insert_many(&drafts)?;
        eprint!("\rgenerated {} / {count}", (chunk_start + 5000).min(count));
    }
    eprintln!();
    println!(
        "generated {count} articles ({:.0} characters on average) in {:.1} s",
        chars as f64 / count.max(1) as f64,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Changes the title of the first article, as an editor would.
fn touch(dir: &Path) -> Result<()> {
    let store = SqlStore::open(&dir.join("refuge.db"))?;
    let item = store.published_items(0, 1)?.pop().context("the data folder has no articles")?;
    let draft = ItemDraft {
        group_id: Some(item.group_id),
        kind: item.kind,
        lang: item.lang.clone(),
        slug: item.slug.clone(),
        title: format!("{} (updated {})", item.title, time::OffsetDateTime::now_utc().unix_timestamp()),
        summary: item.summary,
        body: item.body,
        category: item.category,
        tags: item.tags,
        status: item.status,
        published_at: item.published_at,
    };
    store.save_item(Some(item.id), &draft)?;
    println!("changed the title of {}", item.slug);
    Ok(())
}

fn dir_size(path: &Path) -> u64 {
    std::fs::read_dir(path)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| match e.metadata() {
                    Ok(m) if m.is_dir() => dir_size(&e.path()),
                    Ok(m) => m.len(),
                    Err(_) => 0,
                })
                .sum()
        })
        .unwrap_or(0)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}

/// Builds the index from the database (timed) and reports its size.
fn build(dir: &Path) -> Result<()> {
    let store = SqlStore::open(&dir.join("refuge.db"))?;
    let languages = vec![Language::parse("en")?, Language::parse("ja")?];
    let index_dir = dir.join("search");
    let _ = std::fs::remove_dir_all(&index_dir);
    let (index, _) = SearchIndex::open(&index_dir)?;
    let started = Instant::now();
    let docs = refuge_search::rebuild_from_store(&index, &store, &languages, |done, total| {
        if done.is_multiple_of(10_000) {
            eprint!("\rindexed {done} / {total}");
        }
    })?;
    eprintln!();
    let build = started.elapsed().as_secs_f64();
    println!("index build: {docs} documents in {build:.1} s ({:.0} documents/s)", docs as f64 / build);
    println!("index size: {:.0} MB", dir_size(&index_dir) as f64 / 1e6);
    Ok(())
}

/// Times queries against the index already built in `dir`.
fn time_queries(dir: &Path, n: usize) -> Result<()> {
    let store = SqlStore::open(&dir.join("refuge.db"))?;
    let (index, _) = SearchIndex::open(&dir.join("search"))?;
    let queries = corpus::queries(&corpus::Vocab::new(), SEED, n);
    let mut paths = String::new();
    for (q, lang) in &queries {
        let encoded: String = q
            .bytes()
            .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
            .collect();
        let page = if lang == &"ja" { "ja" } else { "en" };
        paths.push_str(&format!("/{page}/search/?q={encoded}&lang={lang}\n"));
    }
    std::fs::write(dir.join("queries.txt"), paths)?;

    // Warm the caches once, then time, with the snippet part apart.
    let mut snippet_ms = Vec::with_capacity(queries.len());
    let mut run = |q: &str, lang: &str| {
        let request = SearchRequest {
            query: q.to_owned(),
            lang: (lang != "all").then(|| lang.to_owned()),
            limit: 10,
            ..SearchRequest::default()
        };
        let mut results = index.search(&request)?;
        let t = Instant::now();
        refuge_search::fill_snippets(&mut results, q, &store)?;
        snippet_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        Ok::<usize, anyhow::Error>(results.total)
    };
    for (q, lang) in queries.iter().take(100) {
        run(q, lang)?;
    }
    let mut times = Vec::with_capacity(queries.len());
    let mut matched = Vec::with_capacity(queries.len());
    for (q, lang) in &queries {
        let t = Instant::now();
        matched.push(run(q, lang)?);
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let mut snippets: Vec<f64> = snippet_ms.split_off(100.min(snippet_ms.len()));
    snippets.sort_by(f64::total_cmp);
    matched.sort_unstable();
    times.sort_by(f64::total_cmp);
    println!(
        "query latency (single thread, in process, {} mixed queries, top 10 with facets and snippets): p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; {:.0} matches per query on average (median {})",
        queries.len(),
        percentile(&times, 0.5),
        percentile(&times, 0.99),
        times.last().copied().unwrap_or(0.0),
        matched.iter().sum::<usize>() as f64 / queries.len() as f64,
        matched[matched.len() / 2]
    );
    println!(
        "  of which snippets (text from the database, highlighted): p50 {:.2} ms, p99 {:.2} ms",
        percentile(&snippets, 0.5),
        percentile(&snippets, 0.99)
    );
    Ok(())
}

/// Times the back office's item list as editors use it: the first page
/// unfiltered, by status and language, sorted by title, and a text search
/// (a word found often, a rare one, Japanese, and one found nowhere), each
/// five times; prints the median.
fn time_admin_lists(dir: &Path) -> Result<()> {
    use refuge_core::{AdminFilter, AdminSort};
    let store = SqlStore::open(&dir.join("refuge.db"))?;
    let ja = Language::parse("ja")?;
    let cases: Vec<(&str, AdminFilter)> = vec![
        ("first page, newest first", AdminFilter { limit: 50, ..AdminFilter::default() }),
        (
            "published, Japanese",
            AdminFilter { status: Some(Status::Published), lang: Some(ja), limit: 50, ..AdminFilter::default() },
        ),
        ("sorted by title", AdminFilter { sort: AdminSort::Title, limit: 50, ..AdminFilter::default() }),
        ("text: a common word", AdminFilter { text: Some("refugees".into()), limit: 50, ..AdminFilter::default() }),
        ("text: a rare word", AdminFilter { text: Some("zzyzx".into()), limit: 50, ..AdminFilter::default() }),
        ("text: Japanese", AdminFilter { text: Some("難民".into()), limit: 50, ..AdminFilter::default() }),
    ];
    for (name, filter) in cases {
        let mut times = Vec::new();
        let mut total = 0;
        for _ in 0..5 {
            let started = Instant::now();
            let (_, n) = store.admin_items(&filter)?;
            times.push(started.elapsed().as_secs_f64() * 1000.0);
            total = n;
        }
        times.sort_by(f64::total_cmp);
        println!("admin list, {name}: median {:.1} ms ({total} items match)", times[2]);
    }
    Ok(())
}
