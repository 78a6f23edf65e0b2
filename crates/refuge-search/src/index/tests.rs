//! Tests of the index: opening, searching, updating, recovering.

use super::*;

fn d(id: i64, lang: &str, title: &str, body: &str) -> SearchDoc {
    SearchDoc {
        key: DocKey::Item(id),
        kind: "news".into(),
        lang: lang.into(),
        year: Some(2025),
        date: Some(1_700_000_000),
        month_only: false,
        title: title.into(),
        summary: String::new(),
        body: body.into(),
        tags: vec![],
        url: format!("/{lang}/news/{id}/"),
    }
}

fn keys(results: &SearchResults) -> Vec<String> {
    results.hits.iter().map(|h| h.key.to_string()).collect()
}

fn search(index: &SearchIndex, q: &str) -> SearchResults {
    index.search(&SearchRequest { query: q.into(), limit: 10, ..Default::default() }).unwrap()
}

#[test]
fn finds_english_and_japanese_with_facets_and_snippets() {
    let dir = tempfile::tempdir().unwrap();
    let (index, state) = SearchIndex::open(dir.path()).unwrap();
    assert_eq!(state, OpenState::Created("missing"));
    index
        .update(
            &[],
            &[
                d(1, "en", "Refugees repatriated", "Eleven refugees were repatriated by force."),
                d(2, "ja", "強制送還の危機", "11人が強制送還されるおそれがある。"),
                d(3, "ja", "送還と強制労働", "送還された人々は強制労働に送られる。"),
            ],
            "s1",
        )
        .unwrap();
    assert_eq!(keys(&search(&index, "repatriation")), ["item:1"]);
    assert_eq!(keys(&search(&index, "強制送還")), ["item:2"], "a substring match, not both words anywhere");
    let both = search(&index, "強制 送還");
    assert_eq!(both.total, 2);
    assert_eq!(both.facets.langs, vec![("ja".into(), 2)]);
    assert_eq!(search(&index, "refugees").hits[0].title, "Refugees repatriated");
    assert_eq!(keys(&search(&index, "送還 -労働")), ["item:2"]);
    assert_eq!(search(&index, "\"unbalanced").total, 0);
    assert_eq!(search(&index, "").total, 0);
    let ja_only = index
        .search(&SearchRequest { query: "送還".into(), lang: Some("en".into()), limit: 10, ..Default::default() })
        .unwrap();
    assert_eq!((ja_only.total, ja_only.total_unfiltered), (0, 2));
    assert_eq!(ja_only.facets.langs, vec![("ja".into(), 2)], "facets show the other language");
    assert_eq!(search(&index, "還").total, 2, "one CJK character finds its bigrams");
}

#[test]
fn updates_replace_and_payload_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (index, _) = SearchIndex::open(dir.path()).unwrap();
        index.update(&[], &[d(1, "en", "First", "old text")], "s1").unwrap();
        index.update(&[], &[d(1, "en", "First", "new text")], "s2").unwrap();
        assert_eq!(search(&index, "old").total, 0);
        assert_eq!(search(&index, "new").total, 1);
        index.update(&[DocKey::Item(1)], &[], "s3").unwrap();
        assert!(index.is_empty());
    }
    let (index, state) = SearchIndex::open(dir.path()).unwrap();
    assert_eq!(state, OpenState::Ready(Some("s3".into())));
    assert_eq!(index.stamp().as_deref(), Some("s3"));
}

#[test]
fn damaged_index_is_recreated() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (index, _) = SearchIndex::open(dir.path()).unwrap();
        index.update(&[], &[d(1, "en", "x", "y")], "s").unwrap();
    }
    std::fs::write(dir.path().join("meta.json"), "{ not json").unwrap();
    let (index, state) = SearchIndex::open(dir.path()).unwrap();
    assert_eq!(state, OpenState::Created("damaged"));
    assert!(index.is_empty());
}

#[test]
fn languages_pack_both_ways() {
    for code in ["en", "ja", "zh-hant", "ko"] {
        assert_eq!(unpack_lang(pack_lang(code)), code);
    }
}

/// A rebuild at once after opening, and again: the writer dropped just
/// before holds the folder's lock until its threads end, and the next one
/// waits for it. (Under load the bulk writer failed with `LockBusy`, and a
/// new site did not start.)
#[test]
fn rebuilds_right_after_another_writer_wait_for_its_lock() {
    for round in 0..10 {
        let dir = tempfile::tempdir().unwrap();
        let (index, _) = SearchIndex::open(dir.path()).unwrap();
        index.update(&[], &[d(1, "en", "First", "text")], "a").unwrap();
        for stamp in ["b", "c"] {
            let n = index.rebuild(vec![d(1, "en", "Again", "text"), d(2, "ja", "二", "本文")], stamp, |_| {});
            assert_eq!(n.unwrap(), 2, "round {round}");
        }
        index.update(&[], &[d(3, "en", "Third", "text")], "d").unwrap();
        assert_eq!(index.stamp().as_deref(), Some("d"));
    }
}
