//! Translations found on import: an old page that links to its version in
//! another language (a link named after the language: "English",
//! "日本語版"…) joins that page's translation group, as do the pairs of
//! old addresses an administrator lists (`--pairs FILE`).

use std::collections::HashMap;

use refuge_core::{ContentStore, Item, ItemDraft, Kind, Language, RedirectStore, Slug};
use scraper::Selector;

use super::paths::resolve;
use super::{ImportError, PageReport};

/// Link texts that name a language, lower case, without brackets.
const LANGUAGE_NAMES: &[&str] = &[
    "english",
    "in english",
    "english version",
    "english page",
    "english site",
    "英語",
    "英語版",
    "英文",
    "japanese",
    "in japanese",
    "japanese version",
    "japanese page",
    "日本語",
    "日本語版",
    "日本語ページ",
    "和文",
    "korean",
    "한국어",
    "韓国語",
    "chinese",
    "中文",
    "中国語",
    "简体中文",
    "繁體中文",
];

/// Old paths `html` (the page at old path `from`) links to with a
/// language's name as the link's text (or its image's alternative text).
pub(super) fn translation_links(html: &str, from: &str) -> Vec<String> {
    let (doc, _) = crate::convert::parse(html);
    let links = Selector::parse("a[href]").expect("a valid selector");
    let images = Selector::parse("img[alt]").expect("a valid selector");
    let mut out = Vec::new();
    for link in doc.select(&links) {
        let mut text: String = link.text().collect();
        for image in link.select(&images) {
            text.push(' ');
            text.push_str(image.value().attr("alt").unwrap_or_default());
        }
        let text = text
            .trim_matches(|c: char| c.is_whitespace() || "[]()（）【】「」<>«»›‹→←|/・:：".contains(c))
            .to_lowercase();
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        if LANGUAGE_NAMES.contains(&text.as_str())
            && let Some(target) = link.value().attr("href").and_then(|href| resolve(from, href))
            && target != from
            && !out.contains(&target)
        {
            out.push(target);
        }
    }
    out
}

/// Reads a pairs file: one pair of old addresses a line (`/about.html
/// /ja/about.html`, separated by spaces, a tab or a comma); `#` starts a
/// comment. Errors name the line.
pub fn parse_pairs(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut pairs = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or_default().trim();
        if line.is_empty() {
            continue;
        }
        let parts: Vec<&str> = line.split(|c: char| c.is_whitespace() || c == ',').filter(|p| !p.is_empty()).collect();
        match parts.as_slice() {
            [a, b] if a.starts_with('/') && b.starts_with('/') => pairs.push(((*a).to_owned(), (*b).to_owned())),
            _ => {
                return Err(format!(
                    "line {}: write two old addresses, like `/about.html /ja/about.html` (got `{line}`)",
                    n + 1
                ));
            }
        }
    }
    Ok(pairs)
}

/// Joins `item` into `other`'s translation group, unless either group
/// already has the other's language; what happened, for the report.
pub(super) fn join<S>(store: &S, item: &Item, other: &Item, why: &str, dry_run: bool) -> Result<String, ImportError>
where
    S: ContentStore + ?Sized,
{
    if item.group_id == other.group_id {
        return Ok(format!("already a translation of {}", other.path()));
    }
    if item.lang == other.lang || item.kind != other.kind {
        return Ok(format!("not paired with {} ({why}): it is in the same language", other.path()));
    }
    let taken = |group: i64, lang: &Language| -> Result<bool, ImportError> {
        Ok(store.group_items(group)?.iter().any(|row| &row.lang == lang))
    };
    if taken(other.group_id, &item.lang)? || taken(item.group_id, &other.lang)? {
        return Ok(format!(
            "not paired with {} ({why}): one of the two already has a translation in the other's language",
            other.path()
        ));
    }
    if !dry_run {
        let draft = ItemDraft { group_id: Some(other.group_id), ..item.redraft(item.status, item.published_at) };
        store
            .save_item_by(Some(item.id), &draft, None, &format!("paired on import with {} ({why})", other.path()))
            .map_err(|source| ImportError::Save { old_path: item.path(), source })?;
    }
    Ok(format!("paired with {} as its translation ({why})", other.path()))
}

/// Pairs this import's pages with the pages they link to by a language's
/// name (when exactly one page links there: many pages linking to one
/// is navigation), then the listed pairs.
pub(super) fn pair_all<S>(
    store: &S,
    lang: &Language,
    pages: &[(String, String)],
    report: &mut [PageReport],
    listed: &[(String, String)],
    dry_run: bool,
) -> Result<(), ImportError>
where
    S: ContentStore + RedirectStore + ?Sized,
{
    let item_at = |old: &str| -> Result<Option<Item>, ImportError> {
        Ok(match store.redirect_item(old)? {
            Some(id) => store.item(id)?,
            None => None,
        })
    };
    // This import's own item for a report line (its address may have
    // stayed with another import's page).
    let own = |line: &PageReport| -> Result<Option<Item>, ImportError> {
        let slug = line.new_path.trim_end_matches('/').rsplit('/').next().unwrap_or_default();
        Ok(match Slug::parse(slug).ok() {
            Some(slug) => match store.item_id_by_slug(Kind::News, lang, &slug)? {
                Some(id) => store.item(id)?,
                None => None,
            },
            None => None,
        })
    };
    let mut linked: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, (old, html)) in pages.iter().enumerate() {
        for target in translation_links(html, old) {
            linked.entry(target).or_default().push(i);
        }
    }
    let mut targets: Vec<_> = linked.into_iter().collect();
    targets.sort();
    for (target, from) in targets {
        let [i] = from[..] else { continue };
        let Some(line) = report.iter().position(|l| l.old_path == pages[i].0) else { continue };
        let (Some(item), Some(other)) = (own(&report[line])?, item_at(&target)?) else { continue };
        if other.lang == *lang {
            continue;
        }
        let said = join(store, &item, &other, &format!("it links to {target} by its language's name"), dry_run)?;
        report[line].warnings.push(said);
    }
    for (a, b) in listed {
        let (Some(first), Some(second)) = (item_at(a)?, item_at(b)?) else {
            if let Some(line) = report.iter_mut().find(|l| &l.old_path == a || &l.old_path == b) {
                line.warnings.push(format!("the pair {a} {b}: one of them was not imported (yet)"));
            }
            continue;
        };
        // The one from this import joins the other's group.
        let (item, other) = if second.lang == *lang { (second, first) } else { (first, second) };
        let said = join(store, &item, &other, "listed in the pairs file", dry_run)?;
        if let Some(line) = report.iter_mut().find(|l| &l.old_path == a || &l.old_path == b) {
            line.warnings.push(said);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_named_after_a_language() {
        let html = r#"<p><a href="../ja/about.html">[日本語]</a> <a href="index.html">Home</a>
            <a href="/ko/about.html"><img src="flag.gif" alt="한국어"></a> <a href="http://x.org/">English</a>
            <a href="about.html">English</a></p>"#;
        assert_eq!(translation_links(html, "/en/about.html"), ["/ja/about.html", "/ko/about.html"]);
    }

    #[test]
    fn pairs_files() {
        let pairs = parse_pairs("# old English, old Japanese\n/about.html /ja/about.html\n\n/a.html,/ja/a.html  # x\n");
        assert_eq!(pairs.unwrap().len(), 2);
        let err = parse_pairs("/about.html\n").unwrap_err();
        assert!(err.contains("line 1"), "{err}");
        assert!(parse_pairs("about.html ja/about.html").is_err());
    }
}
