//! Old paths: finding the pages, resolving links between them, and the
//! new addresses' slugs.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use crate::Resolver;
use crate::convert::absolute;

/// Whether `file` is inside the folder `root` once links are followed
/// (a link to `/etc/passwd` or `../../secret` is not).
pub(super) fn inside(root: &Path, file: &Path) -> bool {
    match (root.canonicalize(), file.canonicalize()) {
        (Ok(root), Ok(file)) => file.starts_with(root),
        _ => false,
    }
}

/// Every .html/.htm file under `dir`, with its old path (`/a/b.html`).
/// Links are not followed out of `root` (their old paths go to
/// `refused`), nor into folders (which could loop).
pub(super) fn collect(
    root: &Path,
    dir: &Path,
    out: &mut Vec<(String, PathBuf)>,
    refused: &mut Vec<String>,
) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let kind = entry.file_type()?;
        if kind.is_symlink() && !(path.is_file() && inside(root, &path)) {
            if let Ok(rel) = path.strip_prefix(root) {
                refused.push(format!("/{}", rel.to_string_lossy().replace('\\', "/")));
            }
            continue;
        }
        if kind.is_dir() {
            collect(root, &path, out, refused)?;
        } else if path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "html" | "htm"))
            && let Ok(rel) = path.strip_prefix(root)
        {
            let rel: Vec<String> = rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
            out.push((format!("/{}", rel.join("/")), path));
        }
    }
    Ok(())
}

/// A slug from an old path: `/news/2faced.html` → `news-2faced`.
pub(super) fn slug_from(old_path: &str) -> String {
    let stem = old_path.trim_start_matches('/');
    let stem = stem.rsplit_once('.').map_or(stem, |(s, _)| s);
    let stem = stem.strip_suffix("/index").or_else(|| stem.strip_suffix("index")).unwrap_or(stem);
    let mut slug = String::new();
    for c in stem.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    let slug = slug.trim_matches('-').to_owned();
    if slug.is_empty() && stem.is_empty() {
        return "start".into();
    }
    if slug.is_empty() || slug.bytes().all(|b| b.is_ascii_digit()) {
        format!("page-{slug}").trim_end_matches('-').to_owned()
    } else {
        slug
    }
}

/// An old link resolved against the page it is on: `../a.html` on
/// `/news/b.html` → `/a.html`. `None` for other sites and anchors.
pub(super) fn resolve(from: &str, href: &str) -> Option<String> {
    let href = href.trim();
    if absolute(href) || href.starts_with('#') || href.contains(':') || href.starts_with("//") {
        return None;
    }
    let href = href.split(['#', '?']).next().unwrap_or_default();
    if href.is_empty() {
        return None;
    }
    let decoded = percent_encoding::percent_decode_str(href).decode_utf8_lossy().into_owned();
    let mut parts: Vec<&str> = if decoded.starts_with('/') {
        Vec::new()
    } else {
        let dir = from.rsplit_once('/').map_or("", |(d, _)| d);
        dir.split('/').filter(|s| !s.is_empty()).collect()
    };
    for seg in decoded.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    let mut path = format!("/{}", parts.join("/"));
    if decoded.ends_with('/') && path != "/" {
        path.push('/');
    }
    Some(path)
}

/// Links of one old page, pointed at the new addresses; remembers the
/// links that lead to no imported page.
pub(super) struct Rewriter<'a> {
    pub from: &'a str,
    pub pages: &'a HashMap<String, String>,
    pub images: &'a HashMap<String, String>,
    pub missing: RefCell<BTreeMap<String, ()>>,
}

impl Resolver for Rewriter<'_> {
    fn link(&self, href: &str) -> Option<String> {
        if absolute(href) {
            return Some(href.trim().to_owned());
        }
        let old = resolve(self.from, href)?;
        let candidates = [old.clone(), format!("{}index.html", old), format!("{}/index.html", old)];
        for c in &candidates {
            if let Some(new) = self.pages.get(c).or_else(|| self.images.get(c)) {
                return Some(new.clone());
            }
        }
        self.missing.borrow_mut().insert(href.to_owned(), ());
        None
    }

    fn image(&self, src: &str) -> Option<String> {
        self.images.get(&resolve(self.from, src)?).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_links_resolve_against_their_page() {
        assert_eq!(resolve("/news/b.html", "../a.html").as_deref(), Some("/a.html"));
        assert_eq!(resolve("/news/b.html", "c.html#x").as_deref(), Some("/news/c.html"));
        assert_eq!(resolve("/b.html", "/img/x.jpg").as_deref(), Some("/img/x.jpg"));
        assert_eq!(resolve("/b.html", "../../x.html"), None);
        assert_eq!(resolve("/b.html", "http://x.org/"), None);
        assert_eq!(resolve("/b.html", "javascript:alert(1)"), None);
        assert_eq!(resolve("/b.html", "%E6%97%A5.html").as_deref(), Some("/日.html"));
    }

    #[test]
    fn slugs_from_old_paths() {
        assert_eq!(slug_from("/2faced.html"), "2faced");
        assert_eq!(slug_from("/news/Appeal_K.htm"), "news-appeal-k");
        assert_eq!(slug_from("/katsudou/index.html"), "katsudou");
        assert_eq!(slug_from("/20020720.html"), "page-20020720");
        assert_eq!(slug_from("/index.html"), "start");
        assert_eq!(slug_from("/活動.html"), "page");
    }
}
