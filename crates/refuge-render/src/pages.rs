//! Rendering of each kind of public page.

use std::collections::HashMap;

use crate::dates::item_iso_date;
use refuge_core::markdown::{excerpt, to_plain_text, to_safe_html};
use refuge_core::redaction::Redaction;
use refuge_core::{Item, ItemRef, Kind, Language, NewsFilter, Slug};
use serde::Serialize;

use crate::cache::Dep;
use crate::routes::{Route, Scope};
use crate::site::{Outcome, Rendered, Site};
use minijinja::value::Serde;

use crate::RenderError;

#[derive(Serialize)]
struct CategoryLink {
    name: String,
    path: String,
    /// Set when the name is in another language than the page's.
    lang: Option<String>,
}

#[derive(Serialize)]
struct ListEntry {
    path: String,
    /// The item's language tag and name when it is not the page's language
    /// (shown from another language because this one has too little).
    lang_tag: Option<String>,
    lang_name: Option<String>,
    title: String,
    summary: String,
    date: String,
    date_iso: String,
    category: Option<CategoryLink>,
}

#[derive(Serialize)]
struct ItemView {
    title: String,
    date: String,
    date_iso: String,
    category: Option<CategoryLink>,
    tags: Vec<CategoryLink>,
}

#[derive(Serialize)]
struct Translation {
    lang: Language,
    name: String,
    path: String,
    title: String,
}

#[derive(Serialize)]
struct Counted {
    name: String,
    path: String,
    count: u32,
}

#[derive(Serialize)]
struct YearLink {
    year: i32,
    path: String,
    count: u32,
}

#[derive(Serialize)]
struct Archive {
    years: Vec<YearLink>,
    categories: Vec<Counted>,
    tags: Vec<Counted>,
}

#[derive(Serialize)]
struct PageLink {
    number: u32,
    path: String,
    current: bool,
}

#[derive(Serialize)]
struct FaqView {
    anchor: String,
    question: String,
    answer_html: String,
}

/// Names in the order readers of `lang` expect.
fn by_name(lang: &Language, mut list: Vec<Counted>) -> Vec<Counted> {
    crate::locale::sort_names(lang, &mut list, |c| c.name.as_str());
    list
}

/// Page numbers to show: first, last, and two either side of the current.
fn page_links(scope: &Scope, lang: &Language, page: u32, pages: u32) -> Vec<PageLink> {
    (1..=pages)
        .filter(|n| *n == 1 || *n == pages || n.abs_diff(page) <= 2)
        .map(|n| PageLink { number: n, path: scope.path(lang, n), current: n == page })
        .collect()
}

impl Site {
    fn category_names(&self, lang: &Language) -> Result<HashMap<String, String>, RenderError> {
        Ok(self.store.categories(lang)?.into_iter().map(|c| (c.key.to_string(), c.name)).collect())
    }

    fn list_entries(&self, lang: &Language, items: &[ItemRef]) -> Result<Vec<ListEntry>, RenderError> {
        let t = self.strings(lang);
        let names = self.category_names(lang)?;
        Ok(items
            .iter()
            .map(|i| {
                let (lang_tag, lang_name) = self.language_mark(lang, &i.lang);
                ListEntry {
                    path: i.path(),
                    lang_tag,
                    lang_name,
                    title: Redaction::hidden(i.lang.as_str()).apply(&i.title).into_string(),
                    summary: Redaction::hidden(i.lang.as_str()).apply(&i.summary).into_string(),
                    date: i.published_at.map(|d| t.item_date(d, i.month_only)).unwrap_or_default(),
                    date_iso: item_iso_date(i.published_at, i.month_only),
                    category: i.category.as_ref().and_then(|key| {
                        let scope = Scope::Category(Slug::parse(key).ok()?);
                        // A category named in the page's language is listed
                        // there; else (an item from another language) in the item's.
                        match names.get(key) {
                            Some(name) => {
                                Some(CategoryLink { name: name.clone(), path: scope.path(lang, 1), lang: None })
                            }
                            None => {
                                let theirs = self.category_names(&i.lang).ok()?;
                                Some(CategoryLink {
                                    name: theirs.get(key)?.clone(),
                                    path: scope.path(&i.lang, 1),
                                    lang: Some(i.lang.tag()),
                                })
                            }
                        }
                    }),
                }
            })
            .collect())
    }

    /// How something in `other` is marked on a page in `page`: its
    /// language tag and its language's own name (`None` when the same).
    pub(crate) fn language_mark(&self, page: &Language, other: &Language) -> (Option<String>, Option<String>) {
        if page == other {
            return (None, None);
        }
        (Some(other.tag()), Some(self.strings(other).get("language_name").to_owned()))
    }

    /// Other languages in the order a reader of `lang` is offered them:
    /// the site's default language first, then the rest as configured.
    pub(crate) fn fallback_languages(&self, lang: &Language) -> Vec<Language> {
        let mut order: Vec<Language> = self.other_languages(lang).collect();
        order.sort_by_key(|l| l != self.default_language());
        order
    }

    /// Up to `wanted` of the newest news items of other languages whose
    /// translation group has no version among `own`: what a language with
    /// little news shows besides its own, each in one language only.
    fn news_elsewhere(&self, lang: &Language, own: &[ItemRef], wanted: usize) -> Result<Vec<ItemRef>, RenderError> {
        let mut seen: std::collections::HashSet<i64> = own.iter().map(|i| i.group_id).collect();
        let mut found = Vec::new();
        if wanted == 0 {
            return Ok(found);
        }
        for other in self.fallback_languages(lang) {
            let (items, _) =
                self.store.published_news(&other, &NewsFilter::default(), 0, wanted as u32 + own.len() as u32)?;
            for i in items {
                if seen.insert(i.group_id) {
                    found.push(i);
                }
            }
        }
        found.sort_by_key(|i| std::cmp::Reverse(i.published_at));
        found.truncate(wanted);
        Ok(found)
    }

    pub(crate) fn home(&self, lang: &Language) -> Result<Rendered, RenderError> {
        let path = Route::home(lang);
        let mut chrome = self.chrome(lang, &path, None)?;
        let everywhere: Vec<(Language, String)> =
            self.languages().iter().map(|l| (l.clone(), Route::home(l))).collect();
        self.set_languages(&mut chrome, lang, &everywhere, Route::home);
        self.say_copy_made(&mut chrome, lang);
        // A language without an introduction of its own shows the first
        // other language's that has one, marked with its language.
        let mut intro_lang = lang.clone();
        let mut intro_md = self.store.setting("home_intro", lang)?.filter(|t| !t.trim().is_empty());
        if intro_md.is_none() {
            for other in self.fallback_languages(lang) {
                if let Some(text) = self.store.setting("home_intro", &other)?.filter(|t| !t.trim().is_empty()) {
                    intro_md = Some(text);
                    intro_lang = other;
                    break;
                }
            }
        }
        let intro_md = intro_md.unwrap_or_default();
        let hidden = Redaction::hidden(intro_lang.as_str());
        chrome.describe(excerpt(&to_plain_text(&intro_md, hidden), 160));
        // Without a title of its own (a language just turned on), the
        // home page is headed by the site's name.
        let intro_title = match self.store.setting("home_title", lang)?.filter(|t| !t.trim().is_empty()) {
            Some(title) => Redaction::hidden(lang.as_str()).apply(&title).into_string(),
            None => self.site_name(lang)?,
        };
        let (mut latest, _) = self.store.published_news(lang, &NewsFilter::default(), 0, 5)?;
        let more = self.news_elsewhere(lang, &latest, 5 - latest.len().min(5))?;
        latest.extend(more);
        let (featured, valid_until) = self.featured(lang)?;
        let (intro_tag, intro_lang_name) = self.language_mark(lang, &intro_lang);
        let html = self.env.get_template("home.html")?.render(minijinja::context! {
            intro_title => Serde(intro_title),
            intro_html => Serde(to_safe_html(&intro_md, hidden)),
            intro_lang => Serde(intro_tag),
            intro_lang_name => Serde(intro_lang_name),
            items => Serde(self.list_entries(lang, &latest)?),
            featured => Serde(featured),
            ..Serde(&chrome),
        })?;
        // What other languages have may show here: it depends on them all.
        let mut deps: Vec<Dep> = self.languages().iter().map(|l| Dep::News(l.clone())).collect();
        deps.extend(self.languages().iter().map(|l| Dep::Appeals(l.clone())));
        deps.push(Dep::Site);
        let mut page = Rendered::html(200, html, deps);
        page.valid_until = valid_until;
        Ok(page)
    }

    // Long on purpose: the listing's values (filters, pages, links), as the template reads them.
    pub(crate) fn news_list(&self, lang: &Language, scope: &Scope, page: u32) -> Result<Outcome, RenderError> {
        let t = self.strings(lang);
        let size = self.config.page_size.max(1);
        let mut filter = NewsFilter::default();
        let mut deps = Vec::new();
        let heading = match scope {
            Scope::All => {
                deps.push(Dep::News(lang.clone()));
                t.get("news_title").to_owned()
            }
            Scope::Year(y) => {
                filter.year = Some(*y);
                deps.extend(self.languages().iter().map(|l| Dep::Year(l.clone(), *y)));
                t.get("news_in_year").replace("{year}", &y.to_string())
            }
            Scope::Category(key) => {
                filter.category = Some(key.to_string());
                deps.extend(self.languages().iter().map(|l| Dep::Category(l.clone(), key.to_string())));
                let names = self.category_names(lang)?;
                let Some(name) = names.get(key.as_str()) else {
                    return Ok(Outcome::NotFound(lang.clone()));
                };
                t.get("news_in_category").replace("{category}", name)
            }
            Scope::Tag(tag) => {
                filter.tag = Some(tag.clone());
                deps.extend(self.languages().iter().map(|l| Dep::Tag(l.clone(), tag.clone())));
                t.get("news_tagged").replace("{tag}", tag)
            }
        };
        let (items, total) = self.store.published_news(lang, &filter, (page - 1).saturating_mul(size), size)?;
        let pages = total.div_ceil(size).max(1);
        let empty_scope = total == 0 && !matches!(scope, Scope::All | Scope::Category(_));
        if page > pages || empty_scope {
            return Ok(Outcome::NotFound(lang.clone()));
        }
        let path = scope.path(lang, page);
        let mut title = heading.clone();
        if page > 1 {
            title = format!(
                "{title} ({})",
                t.get("page_of").replace("{page}", &page.to_string()).replace("{pages}", &pages.to_string())
            );
        }
        let mut chrome = self.chrome(lang, &path, Some(title))?;
        // The same listing in other languages, where it has something.
        let mut available = vec![(lang.clone(), path.clone())];
        for other in self.other_languages(lang) {
            let exists = match scope {
                Scope::All => true,
                Scope::Year(_) | Scope::Tag(_) => self.store.published_news(&other, &filter, 0, 1)?.1 > 0,
                Scope::Category(key) => self.category_names(&other)?.contains_key(key.as_str()),
            };
            if exists && page == 1 {
                available.push((other.clone(), scope.path(&other, 1)));
            }
        }
        self.set_languages(&mut chrome, lang, &available, Route::news);
        if let Scope::Category(key) = scope {
            chrome.feeds.push(crate::site::FeedLink { title: heading.clone(), href: Route::feed(lang, Some(key)) });
        }
        // The archive (years, categories, tags) heads the first page; later
        // pages of a long listing are reached from it.
        let archive = if *scope == Scope::All && page == 1 {
            Some(Archive {
                years: self
                    .store
                    .news_years(lang)?
                    .into_iter()
                    .map(|(year, count)| YearLink { year, path: Scope::Year(year).path(lang, 1), count })
                    .collect(),
                categories: by_name(
                    lang,
                    self.store
                        .categories(lang)?
                        .into_iter()
                        .filter(|c| c.count > 0)
                        .map(|c| Counted { path: Scope::Category(c.key).path(lang, 1), name: c.name, count: c.count })
                        .collect(),
                ),
                tags: by_name(
                    lang,
                    self.store
                        .tags(lang)?
                        .into_iter()
                        .map(|(name, count)| Counted { path: Route::tag(lang, &name), name, count })
                        .collect(),
                ),
            })
        } else {
            None
        };
        // A language with less than a page of news shows the newest of
        // the others below its own, under a heading of their own.
        let elsewhere = if *scope == Scope::All && page == 1 && (total as usize) < size as usize {
            deps.extend(self.other_languages(lang).map(Dep::News));
            self.news_elsewhere(lang, &items, size as usize - total as usize)?
        } else {
            Vec::new()
        };
        let html = self.env.get_template("news_list.html")?.render(minijinja::context! {
            heading => Serde(heading),
            elsewhere => Serde(self.list_entries(lang, &elsewhere)?),
            intro => Serde(if *scope == Scope::All { Some(t.get("news_intro")) } else { None }),
            items => Serde(self.list_entries(lang, &items)?),
            page => Serde(page),
            pages => Serde(pages),
            prev_path => Serde((page > 1).then(|| scope.path(lang, page - 1))),
            next_path => Serde((page < pages).then(|| scope.path(lang, page + 1))),
            page_links => Serde(page_links(scope, lang, page, pages)),
            archive => Serde(archive),
            ..Serde(&chrome),
        })?;
        Ok(Outcome::Page(Rendered::html(200, html, deps)))
    }

    pub(crate) fn item(&self, lang: &Language, kind: Kind, slug: &Slug) -> Result<Outcome, RenderError> {
        match self.store.published_item(kind, lang, slug)? {
            Some(item) => self.render_item(&item).map(Outcome::Page),
            None => self.elsewhere(lang, kind, slug),
        }
    }

    /// No item at this slug in `lang`: redirect to its translation under
    /// another slug, or say that it is not translated, or not found.
    fn elsewhere(&self, lang: &Language, kind: Kind, slug: &Slug) -> Result<Outcome, RenderError> {
        let others = self.store.published_by_slug_any_lang(kind, slug)?;
        let Some(first) = others.first() else {
            return Ok(Outcome::NotFound(lang.clone()));
        };
        let translations = self.store.published_translations(first.group_id)?;
        if let Some(own) = translations.iter().find(|t| t.lang == *lang) {
            return Ok(Outcome::Redirect(own.path()));
        }
        let t = self.strings(lang);
        let path = kind.path(lang, slug);
        let mut chrome = self.chrome(lang, &path, Some(t.get("translation_missing_title").to_owned()))?;
        chrome.noindex = true;
        let available: Vec<(Language, String)> = translations.iter().map(|t| (t.lang.clone(), t.path())).collect();
        self.set_languages(&mut chrome, lang, &available, |l| kind.path(l, slug));
        chrome.alternates.clear();
        let html = self.env.get_template("translation_missing.html")?.render(minijinja::context! {
            translations => Serde(self.translation_views(&translations, None)),
            ..Serde(&chrome),
        })?;
        Ok(Outcome::Page(Rendered::html(200, html, vec![Dep::Group(first.group_id), Dep::Slug(kind, slug.clone())])))
    }

    /// Links to the other language versions of an item.
    pub(crate) fn translation_views_public(
        &self,
        translations: &[ItemRef],
        lang: &Language,
    ) -> Vec<impl Serialize + use<>> {
        self.translation_views(translations, Some(lang))
    }

    fn translation_views(&self, translations: &[ItemRef], except: Option<&Language>) -> Vec<Translation> {
        translations
            .iter()
            .filter(|t| Some(&t.lang) != except && self.languages().contains(&t.lang))
            .map(|t| Translation {
                lang: t.lang.clone(),
                name: self.strings(&t.lang).get("language_name").to_owned(),
                path: t.path(),
                title: Redaction::hidden(t.lang.as_str()).apply(&t.title).into_string(),
            })
            .collect()
    }

    fn render_item(&self, item: &Item) -> Result<Rendered, RenderError> {
        let lang = &item.lang;
        let t = self.strings(lang);
        let path = item.path();
        let hidden = Redaction::hidden(lang.as_str());
        let title = hidden.apply(&item.title).into_string();
        let mut chrome = self.chrome(lang, &path, Some(title.clone()))?;
        let translations = self.store.published_translations(item.group_id)?;
        let available: Vec<(Language, String)> = translations
            .iter()
            .filter(|t| self.languages().contains(&t.lang))
            .map(|t| (t.lang.clone(), t.path()))
            .collect();
        self.set_languages(&mut chrome, lang, &available, |l| item.kind.path(l, &item.slug));
        chrome.describe(item_description(item));
        let mut deps = vec![Dep::Group(item.group_id), Dep::Slug(item.kind, item.slug.clone())];
        let faq = if item.kind == Kind::Page && item.slug == Slug::faq() {
            deps.push(Dep::Faq(lang.clone()));
            self.store
                .faq(lang)?
                .into_iter()
                .map(|e| FaqView {
                    anchor: e.anchor.to_string(),
                    question: hidden.apply(&e.question).into_string(),
                    answer_html: to_safe_html(&e.answer, hidden),
                })
                .collect()
        } else {
            Vec::new()
        };
        let names = self.category_names(lang)?;
        let body_html = to_safe_html(&item.body, hidden);
        // The first image of this site in the text, for link previews.
        chrome.og_image = body_html
            .split("<img src=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .filter(|src| src.starts_with("/media/"))
            .map(|src| self.url(src));
        let template = match item.kind {
            Kind::News => {
                chrome.og_type = "article";
                "article.html"
            }
            Kind::Page => "page.html",
            Kind::Appeal => {
                let page = Rendered::html(200, String::new(), deps);
                return self.render_appeal(item, page);
            }
        };
        let view = ItemView {
            date: item.published_at.map(|d| t.item_date(d, item.month_only)).unwrap_or_default(),
            date_iso: item_iso_date(item.published_at, item.month_only),
            category: item.category.as_ref().and_then(|key| {
                names.get(key).map(|name| CategoryLink {
                    name: name.clone(),
                    path: Route::category(lang, key),
                    lang: None,
                })
            }),
            tags: item
                .tags
                .iter()
                .map(|tag| CategoryLink { name: tag.clone(), path: Route::tag(lang, tag), lang: None })
                .collect(),
            title,
        };
        let html = self.env.get_template(template)?.render(minijinja::context! {
            item => Serde(view),
            body_html => Serde(body_html),
            translations => Serde(self.translation_views(&translations, Some(lang))),
            faq => Serde(faq),
            ..Serde(&chrome),
        })?;
        Ok(Rendered::html(200, html, deps))
    }
}

/// What search engines and link previews show of an item: its summary, or
/// the start of its text, names hidden.
pub(crate) fn item_description(item: &Item) -> String {
    let hidden = Redaction::hidden(item.lang.as_str());
    if item.summary.is_empty() {
        excerpt(&to_plain_text(&item.body, hidden), 160)
    } else {
        hidden.apply(&item.summary).into_string()
    }
}

#[cfg(test)]
mod tests;
