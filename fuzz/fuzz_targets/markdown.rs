//! Markdown rendering and sanitising: never panics, and nothing that can
//! run script survives, whatever an editor (or an import) writes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use refuge_core::markdown::{excerpt, redact, to_plain_text, to_safe_html, to_safe_html_names};

/// The tags of sanitised HTML (where text `<` is always `&lt;`), each as
/// its name and attributes.
fn tags(html: &str) -> Vec<(String, Vec<(String, String)>)> {
    let mut out = Vec::new();
    let mut chars = html.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '<' {
            continue;
        }
        let mut name = String::new();
        while let Some(&c) = chars.peek() {
            if c.is_whitespace() || c == '>' || c == '/' && !name.is_empty() {
                break;
            }
            name.push(c.to_ascii_lowercase());
            chars.next();
        }
        let mut attrs = Vec::new();
        loop {
            while chars.peek().is_some_and(|c| c.is_whitespace() || *c == '/') {
                chars.next();
            }
            match chars.peek() {
                None => break,
                Some('>') => {
                    chars.next();
                    break;
                }
                _ => {}
            }
            let mut attr = String::new();
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() || c == '=' || c == '>' {
                    break;
                }
                attr.push(c.to_ascii_lowercase());
                chars.next();
            }
            let mut value = String::new();
            if chars.peek() == Some(&'=') {
                chars.next();
                if chars.peek() == Some(&'"') {
                    chars.next();
                    for c in chars.by_ref() {
                        if c == '"' {
                            break;
                        }
                        value.push(c);
                    }
                }
            }
            attrs.push((attr, value));
        }
        out.push((name, attrs));
    }
    out
}

fuzz_target!(|text: &str| {
    for html in [to_safe_html(text), to_safe_html_names(text, false)] {
        for (name, attrs) in tags(&html) {
            let name = name.trim_start_matches('/');
            assert!(
                !["script", "iframe", "style", "object", "embed", "frame", "base", "form", "svg", "math"].contains(&name),
                "<{name}> survived: {html}"
            );
            for (attr, value) in attrs {
                assert!(!attr.starts_with("on") && attr != "style" && attr != "srcdoc", "{attr}= survived: {html}");
                let v = value.trim().to_ascii_lowercase();
                assert!(
                    !(v.starts_with("javascript:") || v.starts_with("vbscript:") || v.starts_with("data:")),
                    "{attr}={value} survived: {html}"
                );
            }
        }
    }
    let _ = to_plain_text(text);
    let _ = excerpt(text, 160);
    let public = redact(text, false);
    let _ = public;
});
