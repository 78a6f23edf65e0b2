//! Atom feeds, the sitemap and robots.txt: the same renderer and cache as
//! the pages.

use std::collections::BTreeMap;

use minijinja::value::Serde;
use refuge_core::markdown::to_safe_html;
use refuge_core::redaction::Redaction;
use refuge_core::{ItemRef, Language, NewsFilter, Slug};
use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::RenderError;
use crate::cache::Dep;
use crate::routes::Route;
use crate::site::{Rendered, Site};
use refuge_core::markdown::escape_html as escape;

/// Entries per feed.
const FEED_ENTRIES: u32 = 30;
/// URLs per sitemap file (the protocol's limit).
pub const SITEMAP_URLS: usize = 50_000;

#[derive(Serialize)]
pub(crate) struct Term {
    term: String,
    label: String,
}

#[derive(Serialize)]
pub(crate) struct Entry {
    pub id: String,
    pub title: String,
    pub url: String,
    pub published: String,
    pub updated: String,
    pub summary: String,
    pub content: String,
    pub categories: Vec<Term>,
}

pub(crate) fn rfc3339(t: OffsetDateTime) -> String {
    t.to_offset(time::UtcOffset::UTC).replace_nanosecond(0).unwrap_or(t).format(&Rfc3339).unwrap_or_default()
}

pub(crate) fn rendered(content_type: &'static str, body: String, deps: Vec<Dep>) -> Rendered {
    Rendered {
        status: 200,
        content_type,
        body: body.into_bytes(),
        deps,
        immutable: false,
        valid_until: None,
        attachment: None,
    }
}

impl Site {
    /// `/{lang}/feed.xml` (all news) or a category's feed.
    pub(crate) fn feed(&self, lang: &Language, category: Option<&Slug>) -> Result<Option<Rendered>, RenderError> {
        let t = self.strings(lang);
        let names: BTreeMap<String, String> =
            self.store.categories(lang)?.into_iter().map(|c| (c.key.to_string(), c.name)).collect();
        let filter = NewsFilter { category: category.map(Slug::to_string), ..NewsFilter::default() };
        let (title_suffix, html_path, feed_path, dep) = match category {
            Some(key) => {
                let Some(name) = names.get(key.as_str()) else { return Ok(None) };
                (
                    Some(name.clone()),
                    Route::category(lang, key.as_str()),
                    Route::feed(lang, Some(key)),
                    Dep::Category(lang.clone(), key.to_string()),
                )
            }
            None => (None, Route::home(lang), Route::feed(lang, None), Dep::News(lang.clone())),
        };
        let (refs, _) = self.store.published_news(lang, &filter, 0, FEED_ENTRIES)?;
        let mut entries = Vec::with_capacity(refs.len());
        let mut updated = None;
        for r in &refs {
            let Some(item) = self.store.published_item(r.kind, &r.lang, &r.slug)? else { continue };
            updated = updated.max(Some(item.updated_at));
            let hidden = Redaction::hidden(item.lang.as_str());
            entries.push(Entry {
                id: self.url(&r.path()),
                title: hidden.apply(&item.title).into_string(),
                url: self.url(&r.path()),
                published: rfc3339(item.published_at.unwrap_or(item.updated_at)),
                updated: rfc3339(item.updated_at),
                summary: hidden.apply(&item.summary).into_string(),
                content: to_safe_html(&item.body, hidden),
                categories: item
                    .category
                    .iter()
                    .map(|c| Term { term: c.clone(), label: names.get(c).cloned().unwrap_or_else(|| c.clone()) })
                    .collect(),
            });
        }
        if category.is_none() {
            // Further information on appeals belongs in the language's feed.
            for (appeal, update) in self.store.recent_appeal_updates(lang, FEED_ENTRIES)? {
                let names_public = self.store.appeal_facts(appeal.id)?.names_public;
                updated = updated.max(Some(update.created_at));
                entries.push(self.update_entry(&appeal, &update, names_public));
            }
            entries.sort_by(|a, b| b.updated.cmp(&a.updated));
            entries.truncate(FEED_ENTRIES as usize);
        }
        let site_name = self.store.setting("site_name", lang)?.unwrap_or_else(|| "Refuge".into());
        let title = match title_suffix {
            Some(name) => format!("{site_name}: {name}"),
            None => site_name.clone(),
        };
        let xml = self.env.get_template("feed.xml")?.render(minijinja::context! {
            lang => lang.as_str(),
            base => self.config.base_url.clone(),
            feed_url => self.url(&feed_path),
            html_url => self.url(&html_path),
            title => title,
            subtitle => self.store.setting("tagline", lang)?,
            updated => rfc3339(updated.unwrap_or(OffsetDateTime::UNIX_EPOCH)),
            site_name => site_name,
            entries => Serde(entries),
            t => Serde(&*t),
        })?;
        Ok(Some(rendered("application/atom+xml; charset=utf-8", xml, vec![dep])))
    }

    /// A feed entry for one timeline update of an appeal.
    pub(crate) fn update_entry(
        &self,
        appeal: &ItemRef,
        update: &refuge_core::AppealUpdate,
        names_public: bool,
    ) -> Entry {
        let t = self.strings(&appeal.lang);
        let url = format!("{}#update-{}", self.url(&appeal.path()), update.id);
        let shown = Redaction { lang: appeal.lang.as_str(), names_public };
        let mut content = to_safe_html(&update.text, shown);
        if !update.source.is_empty() {
            content.push_str(&format!("<p>— {}</p>", escape(&shown.cow(&update.source))));
        }
        Entry {
            id: url.clone(),
            title: format!(
                "{}: {}",
                Redaction::hidden(appeal.lang.as_str()).cow(&appeal.title),
                t.get("appeal_update_title").replace("{date}", &t.day(&update.date))
            ),
            url,
            published: rfc3339(update.created_at),
            updated: rfc3339(update.created_at),
            summary: String::new(),
            content,
            categories: vec![Term { term: "appeal-update".into(), label: t.get("appeal_timeline").into() }],
        }
    }

    /// Every public URL with its language alternates.
    fn sitemap_urls(&self) -> Result<Vec<SitemapUrl>, RenderError> {
        let mut urls = Vec::new();
        // Home and news index of each language are translations of each other.
        for path in [Route::home, Route::news, Route::appeals] {
            for lang in self.languages() {
                let alternates = self
                    .languages()
                    .iter()
                    .map(|l| Alternate { lang: l.to_string(), href: self.url(&path(l)) })
                    .collect();
                urls.push(SitemapUrl { loc: self.url(&path(lang)), lastmod: None, alternates });
            }
        }
        let all = self.store.all_published()?;
        let mut groups: BTreeMap<i64, Vec<&ItemRef>> = BTreeMap::new();
        for item in all.iter().filter(|i| self.languages().contains(&i.lang)) {
            groups.entry(item.group_id).or_default().push(item);
        }
        for items in groups.values() {
            let alternates = || -> Vec<Alternate> {
                if items.len() < 2 {
                    return Vec::new();
                }
                items.iter().map(|i| Alternate { lang: i.lang.to_string(), href: self.url(&i.path()) }).collect()
            };
            for item in items {
                urls.push(SitemapUrl {
                    loc: self.url(&item.path()),
                    lastmod: Some(rfc3339(item.updated_at)),
                    alternates: alternates(),
                });
            }
        }
        Ok(urls)
    }

    /// `/sitemap.xml` (an index when there are more than 50,000 URLs) and
    /// its parts `/sitemap-N.xml`, from `sitemap.xml` / `sitemap_index.xml`.
    pub(crate) fn sitemap(&self, part: Option<usize>) -> Result<Option<Rendered>, RenderError> {
        self.sitemap_split(part, SITEMAP_URLS)
    }

    /// The sitemap with `per_file` URLs per file.
    pub(crate) fn sitemap_split(&self, part: Option<usize>, per_file: usize) -> Result<Option<Rendered>, RenderError> {
        let urls = self.sitemap_urls()?;
        let parts = urls.len().div_ceil(per_file).max(1);
        let xml = match part {
            None if parts > 1 => {
                let parts: Vec<String> = (1..=parts).map(|n| self.url(&format!("/sitemap-{n}.xml"))).collect();
                self.env.get_template("sitemap_index.xml")?.render(minijinja::context! { parts })?
            }
            None | Some(_) => {
                let n = part.unwrap_or(1);
                if n == 0 || n > parts || (part.is_some() && parts == 1) {
                    return Ok(None);
                }
                let urls = &urls[(n - 1) * per_file..urls.len().min(n * per_file)];
                self.env.get_template("sitemap.xml")?.render(minijinja::context! { urls => Serde(urls) })?
            }
        };
        Ok(Some(rendered("application/xml; charset=utf-8", xml, vec![Dep::Sitemap])))
    }

    /// `/robots.txt` (template `robots.txt`): everything public may be
    /// crawled, the back office not.
    pub(crate) fn robots(&self) -> Result<Rendered, RenderError> {
        let sitemap_url = self.url("/sitemap.xml");
        let body = self.env.get_template("robots.txt")?.render(minijinja::context! { sitemap_url })?;
        Ok(rendered("text/plain; charset=utf-8", body, vec![Dep::Site]))
    }
}

#[derive(Serialize)]
struct Alternate {
    lang: String,
    href: String,
}

#[derive(Serialize)]
struct SitemapUrl {
    loc: String,
    lastmod: Option<String>,
    alternates: Vec<Alternate>,
}
