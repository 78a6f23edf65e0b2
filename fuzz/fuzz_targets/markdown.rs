//! Markdown rendering and sanitising: never panics, and nothing that can
//! run script survives, whatever an editor (or an import) writes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use refuge_core::markdown::{excerpt, redact, to_plain_text, to_safe_html, to_safe_html_names};

fuzz_target!(|text: &str| {
    for html in [to_safe_html(text), to_safe_html_names(text, false)] {
        let lower = html.to_ascii_lowercase();
        for bad in ["<script", "<iframe", "<style", "<object", "<embed", "javascript:", "vbscript:", " onerror", " onload", " onclick", " style="] {
            assert!(!lower.contains(bad), "{bad} survived: {html}");
        }
    }
    let _ = to_plain_text(text);
    let _ = excerpt(text, 160);
    let public = redact(text, false);
    assert!(!public.contains("[[name:"), "a name survived redaction: {public}");
});
