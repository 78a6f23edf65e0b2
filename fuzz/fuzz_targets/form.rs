//! Form and query-string decoding: never panics, never returns more
//! pairs than asked.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let pairs = refuge_core::form::pairs(text, 64);
    assert!(pairs.len() <= 64);
});
