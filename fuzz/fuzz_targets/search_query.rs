//! Search query parsing and text analysis: never panics, and a query
//! never grows past its clause limit.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let parsed = refuge_search::query::parse(text);
    assert!(parsed.required.len() + parsed.excluded.len() <= refuge_search::query::MAX_CLAUSES, "too many clauses");
    let _ = refuge_search::query::clean(text);
});
