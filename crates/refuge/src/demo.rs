//! The demo site a new data folder starts with: an invented Tokyo NGO
//! (original text, English and Japanese, some articles deliberately left
//! untranslated to show the language fallback).

use std::collections::BTreeMap;

use anyhow::{Context, Result};
use refuge_core::{
    Addressee, AppealFacts, AppealStore, ContentStore, ItemDraft, Kind, Language, MenuEntry, NewUpdate, Slug, Status,
};
use serde::Deserialize;
use time::{Date, OffsetDateTime, Time, UtcOffset};

const SITE: &str = include_str!("../demo/site.toml");
const NEWS: &str = include_str!("../demo/news.toml");
const PAGES: &str = include_str!("../demo/pages.toml");
const APPEAL: &str = include_str!("../demo/appeals.toml");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SiteFile {
    settings: BTreeMap<String, BTreeMap<String, String>>,
    category: Vec<CategoryDef>,
    menu: BTreeMap<String, Vec<MenuDef>>,
    faq: Vec<FaqDef>,
}

#[derive(Deserialize)]
struct CategoryDef {
    key: String,
    #[serde(flatten)]
    names: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MenuDef {
    label: String,
    path: String,
}

#[derive(Deserialize)]
struct FaqDef {
    anchor: String,
    #[serde(flatten)]
    text: BTreeMap<String, QuestionAnswer>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QuestionAnswer {
    q: String,
    a: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entries {
    entry: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    slug: String,
    #[serde(default)]
    date: Option<String>,
    #[serde(default)]
    category: Option<String>,
    #[serde(flatten)]
    versions: BTreeMap<String, Version>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Version {
    title: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    tags: Vec<String>,
    body: String,
}

/// Publication time: 09:00 in Tokyo on the given day.
fn published(date: &str) -> Result<OffsetDateTime> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let day = Date::parse(date, format).with_context(|| format!("bad demo date {date}"))?;
    let tokyo = UtcOffset::from_hms(9, 0, 0)?;
    Ok(day.with_time(Time::from_hms(9, 0, 0)?).assume_offset(tokyo))
}

fn add_entries<S: ContentStore + ?Sized>(store: &S, kind: Kind, text: &str, languages: &[Language]) -> Result<()> {
    let entries: Entries = toml::from_str(text).context("demo content does not parse")?;
    for entry in entries.entry {
        let slug = Slug::parse(&entry.slug).map_err(|e| anyhow::anyhow!("demo slug {}: {e}", entry.slug))?;
        let when = entry.date.as_deref().map(published).transpose()?;
        let mut group = None;
        for (code, version) in entry.versions {
            let lang = Language::parse(&code)?;
            if !languages.contains(&lang) {
                continue;
            }
            let draft = ItemDraft {
                group_id: group,
                kind,
                lang,
                slug: slug.clone(),
                title: version.title,
                summary: version.summary,
                body: version.body,
                category: entry.category.clone(),
                tags: version.tags,
                status: Status::Published,
                published_at: Some(when.unwrap_or_else(|| published("2024-04-01").expect("valid date"))),
            };
            let item = store.save_item(None, &draft).with_context(|| format!("demo item {slug}"))?;
            group = Some(item.group_id);
        }
    }
    Ok(())
}

#[derive(Deserialize)]
struct DemoAppeal {
    slug: String,
    date: String,
    deadline: String,
    status: String,
    people_count: u32,
    held_since: String,
    update: Vec<BTreeMap<String, String>>,
    addressee: Vec<BTreeMap<String, String>>,
    #[serde(flatten)]
    versions: BTreeMap<String, BTreeMap<String, String>>,
}

fn add_appeal<S: ContentStore + AppealStore + ?Sized>(store: &S, languages: &[Language]) -> Result<()> {
    let demo: DemoAppeal = toml::from_str(APPEAL).context("demo appeal does not parse")?;
    let slug = Slug::parse(&demo.slug).map_err(|e| anyhow::anyhow!("demo appeal slug: {e}"))?;
    let mut group = None;
    // The first version's timeline is the original; the others translate it.
    let mut originals: Vec<i64> = Vec::new();
    let mut source = None;
    for (code, v) in &demo.versions {
        let lang = Language::parse(code)?;
        if !languages.contains(&lang) {
            continue;
        }
        let field = |k: &str| v.get(k).cloned().unwrap_or_default();
        let item = store.save_item(
            None,
            &ItemDraft {
                group_id: group,
                kind: Kind::Appeal,
                lang: lang.clone(),
                slug: slug.clone(),
                title: field("title"),
                summary: field("summary"),
                body: field("body"),
                category: None,
                tags: Vec::new(),
                status: Status::Published,
                published_at: Some(published(&demo.date)?),
            },
        )?;
        // The first version is the source the others were translated from
        // (so a translator may work on theirs).
        match source {
            Some(source) => store.mark_translated(item.id, source)?,
            None => source = Some(item.id),
        }
        group = Some(item.group_id);
        store.save_appeal_facts(
            item.id,
            &AppealFacts {
                number: field("number"),
                people_count: Some(demo.people_count),
                people: field("people"),
                names_public: false,
                ages: field("ages"),
                held_where: field("held_where"),
                held_since: demo.held_since.clone(),
                risk: field("risk"),
                status: demo.status.parse().ok(),
                action: field("action"),
                letter: field("letter"),
                deadline: demo.deadline.clone(),
            },
        )?;
        let addressees: Vec<Addressee> = demo
            .addressee
            .iter()
            .map(|a| {
                let f = |k: &str| a.get(k).cloned().unwrap_or_default();
                Addressee {
                    name: f("name"),
                    institution: f("institution"),
                    address: f("address"),
                    email: f("email"),
                    fax: f("fax"),
                }
            })
            .collect();
        store.replace_addressees(item.id, &addressees)?;
        let first = originals.is_empty();
        for (n, u) in demo.update.iter().rev().enumerate() {
            let text = u.get(code.as_str()).cloned().unwrap_or_default();
            let source = u.get(&format!("source_{code}")).cloned().unwrap_or_default();
            let date = u.get("date").map_or("", String::as_str);
            let translates = originals.get(n).copied();
            let new = NewUpdate { date, text: &text, source: &source, translates, pending: false };
            let added = store.add_appeal_update(item.id, &new)?;
            if first {
                originals.push(added.id);
            }
        }
    }
    Ok(())
}

/// Fills an empty store with the demo site, for the configured languages.
pub fn fill<S: ContentStore + AppealStore + ?Sized>(store: &S, languages: &[Language]) -> Result<()> {
    let site: SiteFile = toml::from_str(SITE).context("demo site settings do not parse")?;
    for (scope, values) in &site.settings {
        let lang = if scope == "all" { None } else { Some(Language::parse(scope)?) };
        if lang.as_ref().is_some_and(|l| !languages.contains(l)) {
            continue;
        }
        for (key, value) in values {
            store.set_setting(key, lang.as_ref(), value)?;
        }
    }
    for category in &site.category {
        let key = Slug::parse(&category.key).map_err(|e| anyhow::anyhow!("demo category: {e}"))?;
        for (code, name) in &category.names {
            let lang = Language::parse(code)?;
            if languages.contains(&lang) {
                store.save_category(&key, &lang, name)?;
            }
        }
    }
    for (code, entries) in &site.menu {
        let lang = Language::parse(code)?;
        if languages.contains(&lang) {
            let menu: Vec<MenuEntry> =
                entries.iter().map(|m| MenuEntry { label: m.label.clone(), path: m.path.clone() }).collect();
            store.replace_menu(&lang, &menu)?;
        }
    }
    for lang in languages {
        let mut faq = Vec::new();
        for entry in &site.faq {
            if let Some(qa) = entry.text.get(lang.as_str()) {
                let anchor = Slug::parse(&entry.anchor).map_err(|e| anyhow::anyhow!("demo FAQ anchor: {e}"))?;
                faq.push((anchor, qa.q.clone(), qa.a.clone()));
            }
        }
        if !faq.is_empty() {
            store.replace_faq(lang, &faq)?;
        }
    }
    add_entries(store, Kind::Page, PAGES, languages)?;
    add_entries(store, Kind::News, NEWS, languages)?;
    add_appeal(store, languages)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use refuge_core::{NewsFilter, PublicContent};

    #[test]
    fn demo_meets_the_brief() {
        let dir = tempfile::tempdir().unwrap();
        let store = refuge_store::SqlStore::open(&dir.path().join("d.db")).unwrap();
        let langs = vec![Language::parse("en").unwrap(), Language::parse("ja").unwrap()];
        fill(&store, &langs).unwrap();
        let all = store.all_published().unwrap();
        let news: Vec<_> = all.iter().filter(|i| i.kind == Kind::News).collect();
        let groups: std::collections::BTreeSet<i64> = news.iter().map(|i| i.group_id).collect();
        assert!(groups.len() >= 12, "at least 12 articles, got {}", groups.len());
        let translated = groups.iter().filter(|g| news.iter().filter(|i| i.group_id == **g).count() == 2).count();
        assert!(translated * 2 >= groups.len(), "at least half translated");
        assert!(translated < groups.len(), "some deliberately untranslated");
        for lang in &langs {
            assert!(store.news_years(lang).unwrap().len() >= 2, "news across two years or more");
            assert!(store.categories(lang).unwrap().iter().filter(|c| c.count > 0).count() >= 3);
            assert!(store.faq(lang).unwrap().len() >= 6);
            for page in ["about", "what-we-do", "faq", "contact", "donate"] {
                let slug = Slug::parse(page).unwrap();
                assert!(store.published_item(Kind::Page, lang, &slug).unwrap().is_some(), "{lang} {page}");
            }
            assert!(store.published_news(lang, &NewsFilter::default(), 0, 1).unwrap().1 > 0);
        }
    }

    #[test]
    fn only_configured_languages_are_filled() {
        let dir = tempfile::tempdir().unwrap();
        let store = refuge_store::SqlStore::open(&dir.path().join("d.db")).unwrap();
        fill(&store, &[Language::parse("en").unwrap()]).unwrap();
        assert!(store.all_published().unwrap().iter().all(|i| i.lang.as_str() == "en"));
    }
}
