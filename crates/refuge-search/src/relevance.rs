//! The relevance test set (`tests/relevance/`): 72 documents in four
//! languages and 66 queries with their expected answers (at least 10 each
//! in Korean and Chinese). Prints recall@5
//! and MRR, and fails below 0.9 and 0.8.

use serde::Deserialize;

use crate::{SearchDoc, SearchIndex, SearchRequest};

#[derive(Deserialize)]
struct Corpus {
    doc: Vec<Doc>,
}

#[derive(Deserialize)]
struct Doc {
    key: String,
    lang: String,
    title: String,
    body: String,
}

#[derive(Deserialize)]
struct Queries {
    q: Vec<Query>,
}

#[derive(Deserialize)]
struct Query {
    text: String,
    lang: String,
    expect: Vec<String>,
}

fn load() -> (SearchIndex, tempfile::TempDir, Vec<Query>, Vec<Doc>) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/relevance");
    let corpus: Corpus = toml::from_str(&std::fs::read_to_string(root.join("corpus.toml")).unwrap()).unwrap();
    let queries: Queries = toml::from_str(&std::fs::read_to_string(root.join("queries.toml")).unwrap()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (index, _) = SearchIndex::open(dir.path()).unwrap();
    let docs: Vec<SearchDoc> = corpus
        .doc
        .iter()
        .zip(1..)
        .map(|(d, n)| SearchDoc {
            key: crate::DocKey::Item(n),
            kind: "news".into(),
            lang: d.lang.clone(),
            year: Some(2025),
            date: None,
            month_only: false,
            title: d.title.clone(),
            summary: String::new(),
            body: d.body.clone(),
            tags: Vec::new(),
            url: format!("/{}/news/{}/", d.lang, d.key),
        })
        .collect();
    index.rebuild(docs, "test", |_| {}).unwrap();
    (index, dir, queries.q, corpus.doc)
}

fn top(index: &SearchIndex, text: &str, lang: Option<&str>, n: usize) -> Vec<(String, String)> {
    let request =
        SearchRequest { query: text.into(), lang: lang.map(str::to_owned), limit: n, ..SearchRequest::default() };
    // The corpus's own key is the last part of the address.
    let corpus_key = |url: &str| url.trim_end_matches('/').rsplit('/').next().unwrap_or_default().to_owned();
    index.search(&request).unwrap().hits.into_iter().map(|h| (corpus_key(&h.url), h.lang)).collect()
}

#[test]
fn recall_and_mrr_meet_the_bar() {
    let (index, _dir, queries, docs) = load();
    assert!(docs.len() >= 60, "corpus has {} documents", docs.len());
    assert!(queries.len() >= 40);
    let count = |l: &str| queries.iter().filter(|q| q.lang == l).count();
    assert!(count("ja") >= 20 && count("en") >= 15 && count("zh") >= 10 && count("ko") >= 10);

    let (mut recall_sum, mut rr_sum) = (0.0, 0.0);
    let mut misses = Vec::new();
    for q in &queries {
        let found: Vec<String> = top(&index, &q.text, Some(&q.lang), 5).into_iter().map(|(k, _)| k).collect();
        let hit = q.expect.iter().filter(|e| found.contains(e)).count();
        recall_sum += hit as f64 / q.expect.len() as f64;
        let rank = found.iter().position(|k| q.expect.contains(k));
        rr_sum += rank.map_or(0.0, |r| 1.0 / (r as f64 + 1.0));
        if hit < q.expect.len() || rank != Some(0) {
            misses.push(format!("{:?} → {found:?}, expected {:?}", q.text, q.expect));
        }
    }
    let n = queries.len() as f64;
    let (recall, mrr) = (recall_sum / n, rr_sum / n);
    println!(
        "relevance: {} queries over {} documents: recall@5 = {recall:.3}, MRR = {mrr:.3}",
        queries.len(),
        docs.len()
    );
    for m in &misses {
        println!("  imperfect: {m}");
    }
    assert!(recall >= 0.9, "recall@5 {recall:.3} < 0.9");
    assert!(mrr >= 0.8, "MRR {mrr:.3} < 0.8");
}

#[test]
fn english_queries_do_not_match_other_languages_by_accident() {
    let (index, _dir, queries, _) = load();
    for q in queries.iter().filter(|q| q.lang == "en") {
        for (key, lang) in top(&index, &q.text, None, 20) {
            assert_eq!(lang, "en", "{:?} matched {key}", q.text);
        }
    }
    for word in ["red", "a", "the", "refuge", "ja"] {
        assert!(top(&index, word, None, 20).iter().all(|(_, l)| l == "en"), "{word}");
    }
}

#[test]
fn compounds_match_as_substrings_not_as_scattered_words() {
    let (index, _dir, _, _) = load();
    let keys = |q: &str| top(&index, q, Some("ja"), 10).into_iter().map(|(k, _)| k).collect::<Vec<_>>();
    assert_eq!(keys("強制送還"), ["ja01"], "not 強制的に送還された");
    let spaced = keys("強制 送還");
    assert!(spaced.contains(&"ja01".to_owned()) && spaced.contains(&"ja02".to_owned()));
    assert_eq!(keys("送還 -強制"), ["ja13"], "exclusion removes both documents with 強制");
}
