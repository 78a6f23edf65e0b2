//! Markdown rendering and sanitising: never panics, and nothing that can
//! run script survives, whatever an editor (or an import) writes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use refuge_core::markdown::{excerpt, to_plain_text, to_safe_html};
use refuge_core::redaction::{NameGuard, Redaction, check, names_in};

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
    let hidden = Redaction::hidden("en");
    let shown = Redaction { lang: "ja", names_public: true };
    for html in [to_safe_html(text, hidden), to_safe_html(text, shown)] {
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
    let _ = to_plain_text(text, hidden);
    let _ = excerpt(text, 160);
    // The redaction parser, its check and the name guard never panic,
    // whatever is typed; and a text that passes the check shows none of
    // its marks' brackets once redacted.
    let public = hidden.apply(text);
    let names = names_in(text);
    if check(text).is_ok() && !names.is_empty() {
        assert!(!public.as_str().contains("[[name:"), "a mark survived: {text:?} → {public}");
    }
    let guard = NameGuard::new(&names);
    let _ = guard.find_in_text(text);
    let _ = guard.find_in_page("text/html", public.as_str().as_bytes());
});
