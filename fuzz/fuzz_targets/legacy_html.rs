//! Legacy HTML import: any bytes decode, convert and yield dates without
//! panicking or running away.
#![no_main]

use libfuzzer_sys::fuzz_target;
use refuge_import::{KeepAbsolute, convert, decode, dates};

fuzz_target!(|bytes: &[u8]| {
    let decoded = decode(bytes);
    let page = convert(&decoded.text, &KeepAbsolute);
    let text = page.text();
    let _ = dates::in_text(&text);
    let _ = dates::in_name(&decoded.text);
    for block in &page.blocks {
        assert!(!block.trim().is_empty(), "empty block");
    }
});
