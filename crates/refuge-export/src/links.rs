//! Finding the site's own links in rendered pages, and rewriting them for
//! a static copy: what needs the running program (search, forms) goes to
//! the main site, and everything moves under the mirror's base path.

/// The paths of this site a page links to (`href`, `src`, `srcset`,
/// sitemap `<loc>`): root-relative, or absolute under `base_url`; without
/// fragment. Links with a query string are dynamic and left out.
pub fn site_links(body: &str, base_url: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (open, close) in [("href=\"", '"'), ("src=\"", '"'), ("<loc>", '<')] {
        let mut rest = body;
        while let Some(at) = rest.find(open) {
            rest = &rest[at + open.len()..];
            let Some(end) = rest.find(close) else { break };
            push_link(&mut out, &rest[..end], base_url);
            rest = &rest[end..];
        }
    }
    let mut rest = body;
    while let Some(at) = rest.find("srcset=\"") {
        rest = &rest[at + 8..];
        let Some(end) = rest.find('"') else { break };
        for candidate in rest[..end].split(',') {
            if let Some(url) = candidate.split_whitespace().next() {
                push_link(&mut out, url, base_url);
            }
        }
        rest = &rest[end..];
    }
    out
}

fn push_link(out: &mut Vec<String>, raw: &str, base_url: &str) {
    let url = raw.replace("&amp;", "&");
    let url = url.split('#').next().unwrap_or_default();
    let path = match url.strip_prefix(base_url) {
        Some(rest) if rest.starts_with('/') => rest,
        _ => url,
    };
    if path.starts_with('/') && !path.starts_with("//") && !path.contains('?') {
        out.push(path.to_owned());
    }
}

/// How links are rewritten for a static copy.
pub struct Rewrite {
    /// The running site's origin (and path), where forms and search go.
    pub forms_url: String,
    /// Root-relative path prefixes only the running site answers
    /// (`/en/search/`, a language left out of the export…).
    pub dynamic: Vec<String>,
    /// The base path of the copy (`/mirror` for `https://x.org/mirror`),
    /// or empty.
    pub prefix: String,
    /// Absolute addresses replaced as they are (hreflang alternates of a
    /// language left out of the copy go to the running site).
    pub absolute: Vec<(String, String)>,
    /// Links to folders name their `index.html` (for hosts that do not
    /// add it, such as a bucket's plain address).
    pub index_links: bool,
}

impl Rewrite {
    /// Applies the rules to one HTML page.
    pub fn apply(&self, html: &str) -> String {
        let mut replaced = std::borrow::Cow::Borrowed(html);
        for (from, to) in &self.absolute {
            if replaced.contains(from.as_str()) {
                replaced = std::borrow::Cow::Owned(replaced.replace(from.as_str(), to));
            }
        }
        let html = replaced.as_ref();
        let mut out = String::with_capacity(html.len() + 256);
        let mut rest = html;
        loop {
            let next = ["href=\"/", "src=\"/", "action=\"/", "srcset=\""]
                .iter()
                .filter_map(|attr| rest.find(attr).map(|at| (at, *attr)))
                .min_by_key(|(at, _)| *at);
            let Some((at, attr)) = next else { break };
            let value_start = at + attr.len() - usize::from(attr.ends_with('/'));
            out.push_str(&rest[..value_start]);
            rest = &rest[value_start..];
            let end = rest.find('"').unwrap_or(rest.len());
            let value = &rest[..end];
            if attr == "srcset=\"" {
                let parts: Vec<String> = value.split(", ").map(|c| self.path(c, false)).collect();
                out.push_str(&parts.join(", "));
            } else {
                out.push_str(&self.path(value, attr == "action=\"/"));
            }
            rest = &rest[end..];
        }
        out.push_str(rest);
        out
    }

    fn path(&self, value: &str, form: bool) -> String {
        if !value.starts_with('/') || value.starts_with("//") {
            return value.to_owned();
        }
        if form || self.dynamic.iter().any(|d| value.starts_with(d.as_str())) {
            format!("{}{value}", self.forms_url)
        } else {
            self.local(value)
        }
    }

    /// A root-relative path of the site as the copy links to it.
    pub fn local(&self, path: &str) -> String {
        format!("{}{}", self.prefix, self.index(path))
    }

    /// `path` with `index.html` after a final slash, when asked for.
    fn index<'a>(&self, path: &'a str) -> std::borrow::Cow<'a, str> {
        if !self.index_links {
            return path.into();
        }
        let (before, fragment) = path.split_once('#').map_or((path, None), |(b, f)| (b, Some(f)));
        if !before.ends_with('/') || before.contains('?') {
            return path.into();
        }
        match fragment {
            Some(f) => format!("{before}index.html#{f}").into(),
            None => format!("{before}index.html").into(),
        }
    }

    /// Applies `index_links` to the copy's own absolute links in a feed
    /// (`href="BASE/…/"`); identifiers (`<id>`) stay as they are.
    pub fn apply_xml(&self, xml: &str, base_url: &str) -> String {
        if !self.index_links {
            return xml.to_owned();
        }
        let open = format!("href=\"{base_url}/");
        let mut out = String::with_capacity(xml.len() + 256);
        let mut rest = xml;
        while let Some(at) = rest.find(&open) {
            let start = at + open.len() - 1;
            out.push_str(&rest[..start]);
            rest = &rest[start..];
            let end = rest.find('"').unwrap_or(rest.len());
            out.push_str(&self.index(&rest[..end]));
            rest = &rest[end..];
        }
        out.push_str(rest);
        out
    }
}

/// The file of a URL path inside the export: `/en/news/` →
/// `en/news/index.html`; percent escapes decoded (static servers decode
/// the request path before looking for the file). `None` for a path no
/// file can stand for.
pub fn file_of(path: &str) -> Option<String> {
    let decoded = percent_encoding::percent_decode_str(path).decode_utf8().ok()?;
    let rel = decoded.strip_prefix('/')?;
    let mut file = String::with_capacity(rel.len() + 10);
    for (i, segment) in rel.split('/').enumerate() {
        let last = i == rel.split('/').count() - 1;
        if (segment.is_empty() && !last) || segment == "." || segment == ".." || segment.contains(['\0', '\\']) {
            return None;
        }
        file.push_str(segment);
        if !last {
            file.push('/');
        }
    }
    if file.is_empty() || file.ends_with('/') {
        file.push_str("index.html");
    }
    Some(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_own_links_only() {
        let html = r#"<link rel="canonical" href="https://x.org/en/a/"><a href="/en/b/#top">b</a>
            <a href="https://other.org/c/">c</a><a href="//cdn.example/x">x</a><a href="/en/search/?q=1">s</a>
            <img src="/media/f-480.jpg" srcset="/media/f-480.jpg 480w, /media/f-960.jpg 960w">
            <loc>https://x.org/ja/</loc><a href="mailto:a@b">m</a>"#;
        let links = site_links(html, "https://x.org");
        assert_eq!(links, ["/en/a/", "/en/b/", "/media/f-480.jpg", "/ja/", "/media/f-480.jpg", "/media/f-960.jpg"]);
    }

    #[test]
    fn rewrites_forms_dynamic_links_and_base_path() {
        let rewrite = Rewrite {
            forms_url: "https://main.org".into(),
            dynamic: vec!["/en/search/".into()],
            prefix: "/mirror".into(),
            absolute: vec![("\"https://x.org/ja/".into(), "\"https://main.org/ja/".into())],
            index_links: false,
        };
        let html = r#"<a href="/en/search/">s</a><form action="/en/contact/"><a href="/en/news/">n</a>
            <img src="/media/a.jpg" srcset="/media/a-480.jpg 480w, /media/a-960.jpg 960w"><a href="https://o.org/">o</a><link href="https://x.org/ja/">"#;
        assert_eq!(
            rewrite.apply(html),
            r#"<a href="https://main.org/en/search/">s</a><form action="https://main.org/en/contact/"><a href="/mirror/en/news/">n</a>
            <img src="/mirror/media/a.jpg" srcset="/mirror/media/a-480.jpg 480w, /mirror/media/a-960.jpg 960w"><a href="https://o.org/">o</a><link href="https://main.org/ja/">"#
        );
    }

    #[test]
    fn index_links_name_the_file_a_bucket_holds() {
        let rewrite = Rewrite {
            forms_url: "https://main.org".into(),
            dynamic: vec!["/en/search/".into()],
            prefix: "/site".into(),
            absolute: Vec::new(),
            index_links: true,
        };
        let html = r#"<a href="/en/news/">n</a><a href="/en/faq/#q1">f</a><a href="/en/feed.xml">x</a><a href="/en/search/">s</a><img src="/media/a.jpg">"#;
        assert_eq!(
            rewrite.apply(html),
            r#"<a href="/site/en/news/index.html">n</a><a href="/site/en/faq/index.html#q1">f</a><a href="/site/en/feed.xml">x</a><a href="https://main.org/en/search/">s</a><img src="/site/media/a.jpg">"#
        );
        let xml = r#"<id>https://b.org/site/en/a/</id><link href="https://b.org/site/en/a/"/><link href="https://o.org/x/"/>"#;
        assert_eq!(
            rewrite.apply_xml(xml, "https://b.org/site"),
            r#"<id>https://b.org/site/en/a/</id><link href="https://b.org/site/en/a/index.html"/><link href="https://o.org/x/"/>"#
        );
    }

    #[test]
    fn files_of_paths() {
        assert_eq!(file_of("/").as_deref(), Some("index.html"));
        assert_eq!(file_of("/en/news/").as_deref(), Some("en/news/index.html"));
        assert_eq!(file_of("/en/feed.xml").as_deref(), Some("en/feed.xml"));
        assert_eq!(file_of("/ja/news/tag/%E4%BA%BA%E6%A8%A9/").as_deref(), Some("ja/news/tag/人権/index.html"));
        assert_eq!(file_of("/old/2faced.html").as_deref(), Some("old/2faced.html"));
        assert_eq!(file_of("/en/../../etc/passwd"), None);
        assert_eq!(file_of("/en//x/"), None);
        assert_eq!(file_of("/a%2F..%2F..%2Fb"), None);
        assert_eq!(file_of("relative"), None);
    }
}
