//! Write latency and the change feed's lag: `refuge-bench writes DATA_DIR
//! [COUNT] [BASE_URL]` saves COUNT published articles (a new title each
//! time) through its own connection, as an editor's save would, and
//! prints the save's p50/p99; with BASE_URL (a server running on the same
//! data folder) it also waits after each save until that server's page
//! shows the new title (having asked for it once before the save, so
//! it is cached), and prints how long that took. REFUGE_DATABASE_URL
//! names a PostgreSQL database to write to instead of the folder's file.

use refuge_core::ContentReads;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use refuge_core::{ContentStore, PublicContent};
use refuge_store::SqlStore;

use crate::percentile;

/// The body of `GET path` from `host:port` (HTTP/1.0, no keep-alive).
fn get(host: &str, path: &str) -> Result<String> {
    let mut stream = TcpStream::connect(host)?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n")?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    Ok(String::from_utf8_lossy(&response).into_owned())
}

pub fn run(dir: &Path, count: usize, base: Option<&str>) -> Result<()> {
    // The database the server uses: REFUGE_DATABASE_URL, else the data
    // folder's SQLite file.
    let url = std::env::var("REFUGE_DATABASE_URL").ok();
    let store = SqlStore::open_url(url.as_deref(), &dir.join("refuge.db"))?;
    let items = store.published_items(0, count.min(1000) as u32)?;
    if items.is_empty() {
        bail!("the data folder has no articles: run `refuge-bench gen` first");
    }
    let host = base.map(|b| b.trim_start_matches("http://").trim_end_matches('/').to_owned());
    let (mut saves, mut reached) = (Vec::with_capacity(count), Vec::with_capacity(count));
    let stamp = time::OffsetDateTime::now_utc().unix_timestamp();
    for n in 0..count {
        let item = store.item(items[n % items.len()].id)?.context("an article vanished")?;
        let mut draft = item.redraft(item.status, item.published_at);
        draft.title = format!("Changed {stamp}-{n}");
        if let Some(host) = &host {
            // The page is rendered and cached first: it is the cached
            // page that must follow the change.
            get(host, &item.path())?;
        }
        let started = Instant::now();
        store.save_item(Some(item.id), &draft)?;
        saves.push(started.elapsed().as_secs_f64() * 1000.0);
        if let Some(host) = &host {
            let path = item.path();
            loop {
                if get(host, &path)?.contains(&draft.title) {
                    break;
                }
                if started.elapsed() > Duration::from_secs(10) {
                    bail!("{path} did not show the change within 10 s");
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            reached.push(started.elapsed().as_secs_f64() * 1000.0);
        }
    }
    saves.sort_by(f64::total_cmp);
    println!(
        "editor save ({count} saves, item and revision in one transaction): p50 {:.2} ms, p99 {:.2} ms",
        percentile(&saves, 0.5),
        percentile(&saves, 0.99)
    );
    if !reached.is_empty() {
        reached.sort_by(f64::total_cmp);
        println!(
            "a save by another process shown by the running server: p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
            percentile(&reached, 0.5),
            percentile(&reached, 0.99),
            reached.last().copied().unwrap_or_default()
        );
    }
    Ok(())
}
