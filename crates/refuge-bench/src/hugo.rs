//! A Hugo site with the same articles as a data folder, for comparing
//! `refuge export` with `hugo` (bench/export.sh): two languages under
//! /en/ and /ja/, an article page each, news listings of 10 per page, and
//! simple templates of about the same size as Refuge's.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Result;
use refuge_core::PublicContent;
use refuge_store::SqlStore;

const CONFIG: &str = r#"baseURL = "https://example.org/"
title = "Bench"
defaultContentLanguage = "en"
defaultContentLanguageInSubdir = true
disableKinds = ["taxonomy", "term", "RSS"]
enableRobotsTXT = true
[pagination]
pagerSize = 10
paginate = 10
[languages.en]
contentDir = "content/en"
languageName = "English"
weight = 1
[languages.ja]
contentDir = "content/ja"
languageName = "日本語"
weight = 2
"#;

const BASEOF: &str = r#"<!doctype html>
<html lang="{{ .Site.Language.Lang }}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ .Title }} · {{ .Site.Title }}</title>
<link rel="canonical" href="{{ .Permalink }}">
{{ range .AllTranslations }}<link rel="alternate" hreflang="{{ .Language.Lang }}" href="{{ .Permalink }}">{{ end }}
</head>
<body>
<header><p><a href="{{ "" | relLangURL }}">{{ .Site.Title }}</a></p>
<nav><ul><li><a href="{{ "news/" | relLangURL }}">News</a></li></ul></nav></header>
<main>{{ block "main" . }}{{ end }}</main>
<footer><p>Footer</p></footer>
</body>
</html>
"#;

const SINGLE: &str = r#"{{ define "main" }}<article><h1>{{ .Title }}</h1>
<p><time datetime="{{ .Date.Format "2006-01-02" }}">{{ .Date.Format "2 January 2006" }}</time></p>
{{ .Content }}</article>{{ end }}
"#;

const LIST: &str = r#"{{ define "main" }}<h1>{{ .Title }}</h1><ul>
{{ range .Paginator.Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a> {{ .Date.Format "2006-01-02" }}<p>{{ .Summary | plainify | truncate 200 }}</p></li>
{{ end }}</ul>
{{ template "_internal/pagination.html" . }}{{ end }}
"#;

/// Writes the site to `out`; returns how many articles.
pub fn write_site(store: &SqlStore, out: &Path) -> Result<usize> {
    let _ = std::fs::remove_dir_all(out);
    std::fs::create_dir_all(out.join("layouts/_default"))?;
    std::fs::write(out.join("hugo.toml"), CONFIG)?;
    std::fs::write(out.join("layouts/_default/baseof.html"), BASEOF)?;
    std::fs::write(out.join("layouts/_default/single.html"), SINGLE)?;
    std::fs::write(out.join("layouts/_default/list.html"), LIST)?;
    for lang in ["en", "ja"] {
        std::fs::create_dir_all(out.join(format!("content/{lang}/news")))?;
        std::fs::write(out.join(format!("content/{lang}/news/_index.md")), "---\ntitle: News\n---\n")?;
        std::fs::write(out.join(format!("content/{lang}/_index.md")), "---\ntitle: Home\n---\n")?;
    }
    let mut n = 0;
    let mut after = 0;
    loop {
        let items = store.published_items(after, 1000)?;
        let Some(last) = items.last() else { break };
        after = last.id;
        for item in &items {
            let mut page = String::with_capacity(item.body.len() + 200);
            let date = item.published_at.map(|d| d.date().to_string()).unwrap_or_default();
            let _ = write!(page, "---\ntitle: {:?}\ndate: {date}\nslug: {}\n---\n", item.title, item.slug);
            page.push_str(&item.body);
            std::fs::write(out.join(format!("content/{}/news/{}.md", item.lang, item.slug)), page)?;
            n += 1;
        }
    }
    Ok(n)
}
