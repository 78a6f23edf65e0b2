//! The tantivy index: schema, opening (rebuilding when missing or
//! damaged), updates, and ranked search with facets.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use tantivy::collector::{Collector, SegmentCollector, TopDocs};
use tantivy::columnar::Column;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, PhraseQuery, Query, RegexQuery, TermQuery};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions, Value,
};
use tantivy::tokenizer::TokenStream;
use tantivy::{
    DocAddress, DocId, Index, IndexReader, IndexWriter, ReloadPolicy, Score, SegmentReader, TantivyDocument, Term, doc,
};

use crate::analysis::{ANALYZER, analyzer, is_cjk};
use crate::query::{ParsedQuery, parse};
use crate::{DocKey, Facets, Hit, KINDS, SearchDoc, SearchError, SearchRequest, SearchResults};

/// Bumped when the schema changes; an index of another version is rebuilt.
const SCHEMA_VERSION: &str = "refuge-search-3";
/// Most results a reader can page to.
pub const MAX_WINDOW: usize = 500;

#[derive(Clone, Copy)]
struct Fields {
    key: Field,
    kind: Field,
    lang: Field,
    year: Field,
    date: Field,
    month_only: Field,
    title: Field,
    summary: Field,
    body: Field,
    tags: Field,
    url: Field,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = |stored: bool| {
        let indexing = TextFieldIndexing::default()
            .set_tokenizer(ANALYZER)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions);
        let options = TextOptions::default().set_indexing_options(indexing);
        if stored { options.set_stored() } else { options }
    };
    let fields = Fields {
        key: b.add_text_field("key", STRING | STORED),
        kind: b.add_u64_field("kind", INDEXED | FAST | STORED),
        lang: b.add_u64_field("lang", INDEXED | FAST | STORED),
        year: b.add_u64_field("year", INDEXED | FAST | STORED),
        date: b.add_i64_field("date", STORED),
        month_only: b.add_u64_field("month_only", STORED),
        title: b.add_text_field("title", text(true)),
        summary: b.add_text_field("summary", text(true)),
        // Bodies are not stored: snippets are cut from the database's text,
        // which keeps the index (and the memory it maps) much smaller.
        body: b.add_text_field("body", text(false)),
        tags: b.add_text_field("tags", text(true)),
        url: b.add_text_field("url", STORED),
    };
    (b.build(), fields)
}

/// A language code packed into a number (up to 8 ASCII bytes).
fn pack_lang(code: &str) -> u64 {
    code.bytes().take(8).fold(0u64, |acc, b| (acc << 8) | u64::from(b))
}

fn unpack_lang(mut n: u64) -> String {
    let mut bytes = Vec::new();
    while n > 0 {
        bytes.push((n & 0xff) as u8);
        n >>= 8;
    }
    bytes.reverse();
    String::from_utf8_lossy(&bytes).into_owned()
}

fn kind_code(kind: &str) -> u64 {
    KINDS.iter().position(|k| *k == kind).map_or(99, |i| i as u64)
}

fn kind_name(code: u64) -> String {
    KINDS.get(code as usize).map_or("other", |k| k).to_owned()
}

/// How the index was found at start.
#[derive(Debug, PartialEq, Eq)]
pub enum OpenState {
    /// Present and current; its payload is the stamp of the last update.
    Ready(Option<String>),
    /// Created empty (missing, damaged or of an older version): rebuild it.
    Created(&'static str),
}

/// The index and its one writer.
pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    writer: Mutex<Option<IndexWriter>>,
    fields: Fields,
    dir: PathBuf,
}

fn io(path: &Path, e: impl std::fmt::Display) -> SearchError {
    SearchError::Io { path: path.display().to_string(), detail: e.to_string() }
}

impl SearchIndex {
    /// Opens the index in `dir`, creating it empty when it is missing,
    /// damaged or of another schema version (the caller then rebuilds it).
    pub fn open(dir: &Path) -> Result<(Self, OpenState), SearchError> {
        std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
        let (schema, fields) = schema();
        let has_index = dir.join("meta.json").exists();
        let (index, state) = match has_index.then(|| Index::open_in_dir(dir)) {
            Some(Ok(index)) if index.schema() == schema && version_ok(&index) => {
                let payload = index.load_metas().ok().and_then(|m| m.payload).and_then(|p| strip_version(&p));
                (index, OpenState::Ready(payload))
            }
            found => {
                let reason = match found {
                    None => "missing",
                    Some(Ok(_)) => "from another version",
                    Some(Err(_)) => "damaged",
                };
                clear_dir(dir)?;
                (Index::create_in_dir(dir, schema).map_err(SearchError::from)?, OpenState::Created(reason))
            }
        };
        index.tokenizers().register(ANALYZER, analyzer());
        let writer = small_writer(&index)?;
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        Ok((Self { index, reader, writer: Mutex::new(Some(writer)), fields, dir: dir.to_owned() }, state))
    }

    /// Releases the writer (and its lock on the folder), for a clean stop;
    /// later updates fail with [`SearchError::Locked`].
    pub fn close(&self) {
        if let Some(writer) = self.writer().take()
            && let Err(e) = writer.wait_merging_threads()
        {
            tracing::warn!(error = %e, "search index merge did not finish");
        }
    }

    /// The index folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Documents in the index.
    pub fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn document(&self, d: &SearchDoc) -> TantivyDocument {
        let f = self.fields;
        let mut document = doc!(
            f.key => d.key.to_string(),
            f.kind => kind_code(&d.kind),
            f.lang => pack_lang(&d.lang),
            f.year => d.year.map_or(0, |y| y.max(0) as u64),
            f.title => d.title.clone(),
            f.summary => d.summary.clone(),
            f.body => d.body.clone(),
            f.url => d.url.clone(),
        );
        if let Some(date) = d.date {
            document.add_i64(f.date, date);
        }
        if d.month_only {
            document.add_u64(f.month_only, 1);
        }
        for tag in &d.tags {
            document.add_text(f.tags, tag);
        }
        document
    }

    fn writer(&self) -> std::sync::MutexGuard<'_, Option<IndexWriter>> {
        self.writer.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn commit(&self, writer: &mut IndexWriter, stamp: &str) -> Result<(), SearchError> {
        let mut prepared = writer.prepare_commit()?;
        prepared.set_payload(&format!("{SCHEMA_VERSION}\n{stamp}"));
        prepared.commit()?;
        self.reader.reload()?;
        Ok(())
    }

    /// Removes the documents with `remove` keys and adds `add`, then
    /// commits with `stamp` (the database's change stamp) and makes the
    /// result visible to searches at once.
    pub fn update(&self, remove: &[DocKey], add: &[SearchDoc], stamp: &str) -> Result<(), SearchError> {
        let mut guard = self.writer();
        let writer = guard.as_mut().ok_or(SearchError::Locked)?;
        for key in remove.iter().chain(add.iter().map(|d| &d.key)) {
            writer.delete_term(Term::from_field_text(self.fields.key, &key.to_string()));
        }
        for d in add {
            writer.add_document(self.document(d))?;
        }
        self.commit(writer, stamp)
    }

    /// Replaces everything with `docs`; `progress` is called after each.
    pub fn rebuild(
        &self,
        docs: impl IntoIterator<Item = SearchDoc>,
        stamp: &str,
        mut progress: impl FnMut(u64),
    ) -> Result<u64, SearchError> {
        let mut guard = self.writer();
        // A bulk writer (more threads and memory) for the rebuild, then
        // back to the small one for day-to-day updates.
        if let Some(small) = guard.take() {
            small.wait_merging_threads()?;
        }
        let result = (|| {
            let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 4);
            // The small writer's lock, too, may outlive it for a moment.
            let mut writer = writer_when_free(&self.index, threads, threads * 100_000_000)?;
            writer.delete_all_documents()?;
            let mut n = 0;
            for d in docs {
                writer.add_document(self.document(&d))?;
                n += 1;
                progress(n);
            }
            self.commit(&mut writer, stamp)?;
            writer.wait_merging_threads()?;
            Ok::<u64, SearchError>(n)
        })();
        // The bulk writer's lock may be released a moment after it is
        // dropped (its threads end on their own): wait for it, as at start.
        *guard = Some(small_writer(&self.index)?);
        result
    }

    /// The stamp of the last committed update.
    pub fn stamp(&self) -> Option<String> {
        self.index.load_metas().ok().and_then(|m| m.payload).and_then(|p| strip_version(&p))
    }

    /// Keys of every document, for checks.
    pub fn keys(&self) -> Result<Vec<String>, SearchError> {
        let searcher = self.reader.searcher();
        let addresses = searcher.search(&tantivy::query::AllQuery, &DocAddresses)?;
        let mut keys = Vec::with_capacity(addresses.len());
        for address in addresses {
            let document: TantivyDocument = searcher.doc(address)?;
            keys.push(document.get_first(self.fields.key).and_then(|v| v.as_str()).unwrap_or_default().to_owned());
        }
        keys.sort();
        Ok(keys)
    }

    /// The query for one clause: its tokens as a term or a phrase, in any
    /// text field, title first.
    fn clause_query(&self, clause: &str) -> Option<Box<dyn Query>> {
        let mut a = analyzer();
        let mut stream = a.token_stream(clause);
        let mut tokens = Vec::new();
        while stream.advance() {
            tokens.push((stream.token().position, stream.token().text.clone()));
        }
        if tokens.is_empty() {
            return None;
        }
        let f = self.fields;
        let weighted = [(f.title, 3.0), (f.tags, 2.0), (f.summary, 1.5), (f.body, 1.0)];
        let mut per_field: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for (field, boost) in weighted {
            let query: Box<dyn Query> = match tokens.as_slice() {
                [(_, one)] if one.chars().count() == 1 && one.chars().all(is_cjk) => {
                    // One CJK character: its unigram, or any bigram with it.
                    let c = regex_escape(one);
                    Box::new(RegexQuery::from_pattern(&format!("{c}|{c}.|.{c}"), field).ok()?)
                }
                [(_, one)] => Box::new(TermQuery::new(Term::from_field_text(field, one), IndexRecordOption::WithFreqs)),
                many => Box::new(PhraseQuery::new_with_offset(
                    many.iter().map(|(p, t)| (*p, Term::from_field_text(field, t))).collect(),
                )),
            };
            per_field.push((Occur::Should, Box::new(BoostQuery::new(query, boost))));
        }
        Some(Box::new(BooleanQuery::new(per_field)))
    }

    fn text_query(&self, parsed: &ParsedQuery) -> Option<Box<dyn Query>> {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for clause in &parsed.required {
            if let Some(q) = self.clause_query(clause) {
                clauses.push((Occur::Must, q));
            }
        }
        if clauses.is_empty() {
            return None;
        }
        for clause in &parsed.excluded {
            if let Some(q) = self.clause_query(clause) {
                clauses.push((Occur::MustNot, q));
            }
        }
        Some(Box::new(BooleanQuery::new(clauses)))
    }

    /// Runs a search. Malformed queries are searched as plain text; an
    /// empty query finds nothing.
    pub fn search(&self, request: &SearchRequest) -> Result<SearchResults, SearchError> {
        let parsed = parse(&request.query);
        let Some(text) = self.text_query(&parsed) else { return Ok(SearchResults::default()) };
        let searcher = self.reader.searcher();
        let f = self.fields;

        // One pass over every match for the facet counts.
        let combos = searcher.search(text.as_ref(), &ComboCounter)?;
        let want_lang = request.lang.as_deref().map(pack_lang);
        let want_kind = request.kind.as_deref().map(kind_code);
        let want_year = request.year.map(|y| y.max(0) as u64);
        let mut facets = Facets::default();
        let (mut langs, mut kinds, mut years) = (BTreeMap::new(), BTreeMap::new(), BTreeMap::new());
        let (mut total_unfiltered, mut total) = (0, 0);
        for (&(lang, kind, year), &count) in &combos {
            total_unfiltered += count as usize;
            let lang_ok = want_lang.is_none_or(|w| w == lang);
            let kind_ok = want_kind.is_none_or(|w| w == kind);
            let year_ok = want_year.is_none_or(|w| w == year);
            if lang_ok && kind_ok && year_ok {
                total += count as usize;
            }
            if kind_ok && year_ok {
                *langs.entry(lang).or_insert(0) += count;
            }
            if lang_ok && year_ok {
                *kinds.entry(kind).or_insert(0) += count;
            }
            if lang_ok && kind_ok && year > 0 {
                *years.entry(year).or_insert(0) += count;
            }
        }
        facets.langs = langs.into_iter().map(|(l, n)| (unpack_lang(l), n)).collect();
        facets.kinds = kinds.into_iter().map(|(k, n)| (kind_name(k), n)).collect();
        facets.kinds.sort_by_key(|(k, _)| KINDS.iter().position(|x| x == k));
        facets.years = years.into_iter().rev().map(|(y, n)| (y as i32, n)).collect();

        let mut filtered: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, text)];
        let mut filter = |field: Field, value: Option<u64>| {
            if let Some(v) = value {
                let term = Term::from_field_u64(field, v);
                filtered.push((Occur::Must, Box::new(TermQuery::new(term, IndexRecordOption::Basic))));
            }
        };
        filter(f.lang, want_lang);
        filter(f.kind, want_kind);
        filter(f.year, want_year);
        let query = BooleanQuery::new(filtered);
        let offset = request.offset.min(MAX_WINDOW);
        let limit = request.limit.clamp(1, 50).min(MAX_WINDOW.saturating_sub(offset).max(1));
        // TopDocs alone (no Count) lets tantivy skip blocks that cannot
        // make the top; the total comes from the facet pass above.
        let top = searcher.search(&query, &TopDocs::with_limit(limit).and_offset(offset).order_by_score())?;

        let mut hits = Vec::with_capacity(top.len());
        for (score, address) in top {
            let d: TantivyDocument = searcher.doc(address)?;
            let text_of = |field| d.get_first(field).and_then(|v| v.as_str()).unwrap_or_default().to_owned();
            let Some(key) = d.get_first(f.key).and_then(|v| v.as_str()).and_then(DocKey::parse) else {
                // Only an index written by another version holds such a key;
                // `refuge reindex` rebuilds it.
                tracing::warn!("a search hit with an unknown key was left out");
                continue;
            };
            hits.push(Hit {
                key,
                url: text_of(f.url),
                title: text_of(f.title),
                lang: unpack_lang(d.get_first(f.lang).and_then(|v| v.as_u64()).unwrap_or_default()),
                kind: kind_name(d.get_first(f.kind).and_then(|v| v.as_u64()).unwrap_or(99)),
                date: d.get_first(f.date).and_then(|v| v.as_i64()),
                month_only: d.get_first(f.month_only).and_then(|v| v.as_u64()) == Some(1),
                score,
                snippet: Vec::new(),
            });
        }
        Ok(SearchResults { total, hits, facets, total_unfiltered })
    }
}

/// A writer, waiting up to ten seconds for the folder's lock: a server
/// restarted at once may find it still held for a moment by the process
/// that is going away, and a writer just dropped (the day-to-day one
/// before a rebuild, the bulk one after) releases it when its threads end.
fn writer_when_free(index: &Index, threads: usize, memory: usize) -> Result<IndexWriter, SearchError> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let writer = index.writer_with_num_threads(threads, memory).map_err(|e| match e {
            tantivy::TantivyError::LockFailure(..) => SearchError::Locked,
            other => SearchError::Index(other),
        });
        match writer {
            Err(SearchError::Locked) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            other => return other,
        }
    }
}

/// The writer for day-to-day updates (one thread, 50 MB), once the
/// folder's lock is free.
fn small_writer(index: &Index) -> Result<IndexWriter, SearchError> {
    writer_when_free(index, 1, 50_000_000)
}

fn version_ok(index: &Index) -> bool {
    index.load_metas().ok().and_then(|m| m.payload).is_none_or(|p| p.starts_with(SCHEMA_VERSION))
}

fn strip_version(payload: &str) -> Option<String> {
    payload.strip_prefix(SCHEMA_VERSION).map(|rest| rest.trim_start_matches('\n').to_owned())
}

fn clear_dir(dir: &Path) -> Result<(), SearchError> {
    for entry in std::fs::read_dir(dir).map_err(|e| io(dir, e))? {
        let path = entry.map_err(|e| io(dir, e))?.path();
        let removed = if path.is_dir() { std::fs::remove_dir_all(&path) } else { std::fs::remove_file(&path) };
        removed.map_err(|e| io(&path, e))?;
    }
    Ok(())
}

fn regex_escape(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            let special = "\\.+*?()|[]{}^$#&-~\"<>@".contains(c);
            special.then_some('\\').into_iter().chain(std::iter::once(c))
        })
        .collect()
}

/// A multiply-shift hasher for the facet counter's small integer keys:
/// the default SipHash showed up in profiles.
#[derive(Default)]
struct FastHasher(u64);

impl std::hash::Hasher for FastHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_u64(u64::from(*b));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

type Counts = HashMap<(u64, u64, u64), u64, std::hash::BuildHasherDefault<FastHasher>>;

/// Counts matches per (language, kind, year).
struct ComboCounter;

struct ComboSegment {
    lang: Column<u64>,
    kind: Column<u64>,
    year: Column<u64>,
    counts: Counts,
}

impl Collector for ComboCounter {
    type Fruit = Counts;
    type Child = ComboSegment;

    fn for_segment(&self, _: u32, segment: &SegmentReader) -> tantivy::Result<ComboSegment> {
        let fast = segment.fast_fields();
        Ok(ComboSegment {
            lang: fast.u64("lang")?,
            kind: fast.u64("kind")?,
            year: fast.u64("year")?,
            counts: Counts::default(),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<Self::Fruit>) -> tantivy::Result<Self::Fruit> {
        let mut all = Counts::default();
        for fruit in fruits {
            for (k, v) in fruit {
                *all.entry(k).or_insert(0) += v;
            }
        }
        Ok(all)
    }
}

impl SegmentCollector for ComboSegment {
    type Fruit = Counts;

    fn collect(&mut self, doc: DocId, _: Score) {
        let key =
            (self.lang.first(doc).unwrap_or(0), self.kind.first(doc).unwrap_or(99), self.year.first(doc).unwrap_or(0));
        *self.counts.entry(key).or_insert(0) += 1;
    }

    fn harvest(self) -> Self::Fruit {
        self.counts
    }
}

/// Collects the address of every match.
struct DocAddresses;

struct DocAddressSegment(u32, Vec<DocAddress>);

impl Collector for DocAddresses {
    type Fruit = Vec<DocAddress>;
    type Child = DocAddressSegment;

    fn for_segment(&self, ord: u32, _: &SegmentReader) -> tantivy::Result<DocAddressSegment> {
        Ok(DocAddressSegment(ord, Vec::new()))
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<Vec<DocAddress>>) -> tantivy::Result<Vec<DocAddress>> {
        Ok(fruits.into_iter().flatten().collect())
    }
}

impl SegmentCollector for DocAddressSegment {
    type Fruit = Vec<DocAddress>;

    fn collect(&mut self, doc: DocId, _: Score) {
        self.1.push(DocAddress::new(self.0, doc));
    }

    fn harvest(self) -> Vec<DocAddress> {
        self.1
    }
}

#[cfg(test)]
mod tests;
