//! The site: configuration, page chrome shared by every page, and the
//! entry point [`Site::resolve`] from a path to a rendered page.

use std::path::PathBuf;
use std::sync::Arc;

use minijinja::Environment;
use minijinja::value::Serde;
use refuge_core::redaction::Redaction;
use refuge_core::{Kind, Language, MenuEntry, PublicStore, Slug};
use serde::Serialize;

use crate::cache::Dep;
use crate::locale::{Locales, Strings};
use crate::routes::{self, Live, Parsed, Route};
use crate::{RenderError, templates};

const DEFAULT_CSS: &str = include_str!("../../../static/style.css");
/// Browsers ask for `/favicon.ico` on every site; without one, each first
/// visit logs a 404 in the console. A theme may bring its own.
const DEFAULT_FAVICON: &[u8] = include_bytes!("../../../static/favicon.ico");
const ADMIN_CSS: &str = include_str!("../../../static/admin.css");
const ADMIN_JS: &str = include_str!("../../../static/admin.js");

/// What the renderer needs to know about the site.
#[derive(Clone, Debug)]
pub struct SiteConfig {
    /// Absolute base URL without trailing slash, e.g. `https://example.org`.
    pub base_url: String,
    /// Configured languages; the first is the default.
    pub languages: Vec<Language>,
    /// `theme/` in the data folder, if any.
    pub theme_dir: Option<PathBuf>,
    /// News items per listing page.
    pub page_size: u32,
    /// The site's other addresses (mirrors, onion), named in every page's
    /// footer, on `/{lang}/mirrors/` and in `/mirrors.json`.
    pub addresses: crate::addresses::Addresses,
}

mod outcome;
pub use outcome::{Message, Outcome, Rendered};

/// The public site.
pub struct Site {
    pub(crate) store: Arc<dyn PublicStore>,
    /// Per-language settings and menu, read once until something
    /// site-wide changes (see [`Site::forget_site_data`]).
    site_data: std::sync::RwLock<std::collections::HashMap<Language, Arc<SiteData>>>,
    pub(crate) config: SiteConfig,
    pub(crate) env: Environment<'static>,
    pub(crate) locales: Locales,
    css: Vec<u8>,
    css_path: String,
    admin_css: Vec<u8>,
    admin_css_path: String,
    admin_js: Vec<u8>,
    admin_js_path: String,
    favicon: Vec<u8>,
    /// The site's other addresses, as every page's footer names them.
    other_addresses: Vec<crate::addresses::AddressLink>,
    /// The name guard every page passes before it leaves (see `guard.rs`).
    pub(crate) names: Names,
}

fn fingerprint(bytes: &[u8]) -> u32 {
    refuge_core::digest::fnv1a(bytes) as u32
}

#[derive(Serialize)]
pub(crate) struct Link {
    pub lang: Language,
    pub name: String,
    pub href: String,
}

#[derive(Serialize)]
pub(crate) struct Alternate {
    pub hreflang: String,
    pub href: String,
}

#[derive(Serialize)]
pub(crate) struct FeedLink {
    pub title: String,
    pub href: String,
}

#[derive(Serialize)]
struct NavLink {
    label: String,
    path: String,
    current: bool,
}

/// Settings and navigation of one language, as the chrome needs them.
struct SiteData {
    site_name: String,
    tagline: Option<String>,
    org_address: Option<String>,
    menu: Vec<MenuEntry>,
}

/// What every page template receives.
#[derive(Serialize)]
pub(crate) struct Chrome {
    lang: Language,
    t: Arc<Strings>,
    site_name: String,
    tagline: Option<String>,
    org_address: Option<String>,
    nav: Vec<NavLink>,
    pub switch: Vec<Link>,
    pub alternates: Vec<Alternate>,
    canonical: String,
    css: String,
    pub title: Option<String>,
    pub description: Option<String>,
    pub noindex: bool,
    pub og_type: &'static str,
    pub og_image: Option<String>,
    /// Feeds announced in the page head.
    pub feeds: Vec<FeedLink>,
    /// The site's other addresses, named in the footer.
    other_addresses: Vec<crate::addresses::AddressLink>,
    /// On a static copy's home pages: "This copy was made on …".
    copy_made: Option<String>,
    og_locale: String,
    og_locale_alternates: Vec<String>,
}

impl Chrome {
    /// Replaces the site-wide description with this page's own, if any.
    pub(crate) fn describe(&mut self, text: String) {
        if !text.is_empty() {
            self.description = Some(text);
        }
    }
}

fn og_locale(lang: &Language) -> String {
    match lang.as_str() {
        "en" => "en_US".into(),
        "ja" => "ja_JP".into(),
        "ko" => "ko_KR".into(),
        "zh" | "zh-hans" => "zh_CN".into(),
        "zh-hant" => "zh_TW".into(),
        other => other.replace('-', "_"),
    }
}

/// The guard as last built, and a count of changes: a guard built from
/// the list read before a change is never kept after it.
#[derive(Default)]
pub(crate) struct Names {
    pub(crate) guard: std::sync::RwLock<Option<(u64, std::sync::Arc<refuge_core::redaction::NameGuard>)>>,
    pub(crate) changes: std::sync::atomic::AtomicU64,
}

impl Site {
    /// Loads templates, strings and the style sheet (theme overrides
    /// included); fails with the file and line of any broken theme file.
    pub fn new(config: SiteConfig, store: Arc<dyn PublicStore>) -> Result<Self, RenderError> {
        if config.languages.is_empty() {
            return Err(RenderError::Locale("no languages are configured".into()));
        }
        let env = templates::environment(config.theme_dir.as_deref())?;
        let locales = Locales::load(&config.languages, config.theme_dir.as_deref())?;
        // The theme's own file, or the built-in one.
        let theme_file = |name: &str, default: &[u8]| -> Result<Vec<u8>, RenderError> {
            match config.theme_dir.as_ref().map(|d| d.join(name)).filter(|p| p.is_file()) {
                Some(path) => std::fs::read(&path)
                    .map_err(|e| RenderError::Theme { path: path.display().to_string(), detail: e.to_string() }),
                None => Ok(default.to_vec()),
            }
        };
        let css = theme_file("static/style.css", DEFAULT_CSS.as_bytes())?;
        let css_path = format!("/static/style.{:08x}.css", fingerprint(&css));
        // The back office uses the site's style sheet plus its own rules.
        let mut admin_css = css.clone();
        admin_css.extend_from_slice(b"\n");
        admin_css.extend_from_slice(ADMIN_CSS.as_bytes());
        let admin_css_path = format!("/static/admin.{:08x}.css", fingerprint(&admin_css));
        // The editor's optional script (autosave, unsaved-changes warning).
        let admin_js = ADMIN_JS.as_bytes().to_vec();
        let admin_js_path = format!("/static/admin.{:08x}.js", fingerprint(&admin_js));
        let favicon = theme_file("static/favicon.ico", DEFAULT_FAVICON)?;
        let other_addresses = config.addresses.others(&config.base_url);
        Ok(Self {
            store,
            site_data: std::sync::RwLock::default(),
            config,
            env,
            locales,
            css,
            css_path,
            admin_css,
            admin_css_path,
            admin_js,
            admin_js_path,
            favicon,
            other_addresses,
            names: Names::default(),
        })
    }

    pub fn config(&self) -> &SiteConfig {
        &self.config
    }

    pub fn languages(&self) -> &[Language] {
        &self.config.languages
    }

    pub fn default_language(&self) -> &Language {
        &self.config.languages[0]
    }

    /// Interface strings of a language.
    pub fn strings(&self, lang: &Language) -> Arc<Strings> {
        self.locales.get(lang)
    }

    /// The fingerprinted path of the style sheet.
    pub fn css_path(&self) -> &str {
        &self.css_path
    }

    /// The fingerprinted path of the back office's style sheet.
    pub fn admin_js_path(&self) -> &str {
        &self.admin_js_path
    }

    pub fn admin_css_path(&self) -> &str {
        &self.admin_css_path
    }

    /// Renders a named template with `context`: the back office's pages,
    /// and the export's redirect stubs and language choice.
    pub fn render_named(&self, template: &str, context: minijinja::Value) -> Result<String, RenderError> {
        Ok(self.env.get_template(template)?.render(context)?)
    }

    /// An absolute URL for a site path.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.config.base_url, path)
    }

    /// The language a path is in, if it starts with a configured one.
    pub fn language_of(&self, path: &str) -> Option<Language> {
        let first = path.trim_start_matches('/').split('/').next()?;
        Language::parse(first).ok().filter(|l| self.config.languages.contains(l))
    }

    /// Checks that the database answers.
    pub fn health(&self) -> Result<(), RenderError> {
        self.store.setting("site_name", self.default_language())?;
        Ok(())
    }

    /// Renders whatever lives at `path`, unchecked: `Site::resolve` (in
    /// `guard.rs`) checks what it gives.
    pub(crate) fn resolve_unguarded(&self, path: &str) -> Result<Outcome, RenderError> {
        // Fingerprinted style sheets are immutable; the favicon's address is fixed.
        let css = "text/css; charset=utf-8";
        for (asset_path, bytes, content_type, immutable) in [
            (self.css_path.as_str(), &self.css, css, true),
            (self.admin_css_path.as_str(), &self.admin_css, css, true),
            (self.admin_js_path.as_str(), &self.admin_js, "text/javascript; charset=utf-8", true),
            ("/favicon.ico", &self.favicon, "image/x-icon", false),
        ] {
            if path == asset_path {
                return Ok(Outcome::Page(Rendered {
                    status: 200,
                    content_type,
                    body: bytes.clone(),
                    deps: Vec::new(),
                    immutable,
                    valid_until: None,
                    attachment: None,
                }));
            }
        }
        match path {
            "/robots.txt" => return Ok(Outcome::Page(self.robots()?)),
            "/mirrors.json" => return Ok(Outcome::Page(self.mirrors_json()?)),
            "/sitemap.xml" => {
                return Ok(self
                    .sitemap(None)?
                    .map_or_else(|| Outcome::NotFound(self.default_language().clone()), Outcome::Page));
            }
            _ => {}
        }
        if let Some(n) =
            path.strip_prefix("/sitemap-").and_then(|r| r.strip_suffix(".xml")).and_then(|n| n.parse::<usize>().ok())
        {
            return Ok(self
                .sitemap(Some(n))?
                .map_or_else(|| Outcome::NotFound(self.default_language().clone()), Outcome::Page));
        }
        let outcome = match routes::parse(path, &self.config.languages) {
            Parsed::Redirect(to) => Outcome::Redirect(to),
            Parsed::NotFound(lang) => Outcome::NotFound(lang.unwrap_or_else(|| self.default_language().clone())),
            Parsed::Route(route) => self.render_route(&route)?,
        };
        if let Outcome::NotFound(_) = outcome
            && let Some(to) = self.old_path(path)?
        {
            return Ok(Outcome::Redirect(to));
        }
        Ok(outcome)
    }

    /// Where a path of an imported old site leads now (see
    /// `refuge import html`); matched as decoded text.
    fn old_path(&self, path: &str) -> Result<Option<String>, RenderError> {
        if path.len() > routes::MAX_PATH {
            return Ok(None);
        }
        let Ok(decoded) = percent_encoding::percent_decode_str(path).decode_utf8() else { return Ok(None) };
        Ok(self.store.redirect(&decoded)?.filter(|to| to != path))
    }

    fn render_route(&self, route: &Route) -> Result<Outcome, RenderError> {
        match route {
            Route::Home(lang) => self.home(lang).map(Outcome::Page),
            Route::News { lang, scope, page } => self.news_list(lang, scope, *page),
            Route::Item { lang, kind, slug } => self.item(lang, *kind, slug),
            Route::Feed { lang, category } => {
                Ok(self.feed(lang, category.as_ref())?.map_or_else(|| Outcome::NotFound(lang.clone()), Outcome::Page))
            }
            Route::Appeals { lang, filter } => self.appeals_list(lang, filter),
            Route::AppealFile { lang, slug, file } => self.appeal_file(lang, slug, *file),
            Route::Newsletter { lang, number } => self.newsletter_page(lang, *number),
            Route::Mirrors(lang) => self.mirrors_page(lang).map(Outcome::Page),
        }
    }

    /// A not-found, bad-request, too-many-requests or error page.
    pub fn message(&self, lang: &Language, message: Message) -> Result<Rendered, RenderError> {
        let t = self.strings(lang);
        let (title_key, text_key) = message.keys();
        let mut chrome = self.chrome(lang, &Route::home(lang), None)?;
        chrome.title = Some(t.get(title_key).to_owned());
        chrome.noindex = true;
        chrome.switch = self.other_languages(lang).map(|l| self.link(&l, Route::home(&l))).collect();
        chrome.alternates.clear();
        let html = self.env.get_template("message.html")?.render(minijinja::context! {
            heading => Serde(t.get(title_key)),
            text => Serde(t.get(text_key)),
            show_contact => matches!(message, Message::NotFound),
            // Looking for something that is not here: search it (a
            // notice page has the header's search box alone).
            offer_search => matches!(message, Message::NotFound),
            ..Serde(&chrome),
        })?;
        Ok(Rendered::html(message.status(), html, vec![Dep::Site]))
    }

    /// The newsletter archive (`None`) or one sent issue.
    fn newsletter_page(&self, lang: &Language, number: Option<i64>) -> Result<Outcome, RenderError> {
        let t = self.strings(lang);
        let deps = vec![Dep::Newsletters(lang.clone())];
        let not_found = || Ok(Outcome::NotFound(lang.clone()));
        match number {
            None => {
                let path = Route::newsletter(lang, None);
                let mut chrome = self.chrome(lang, &path, Some(t.get("newsletter_title").to_owned()))?;
                let everywhere: Vec<(Language, String)> =
                    self.languages().iter().map(|l| (l.clone(), Route::newsletter(l, None))).collect();
                self.set_languages(&mut chrome, lang, &everywhere, |l| Route::newsletter(l, None));
                let issues: Vec<_> = self
                    .store
                    .newsletters(Some(lang), true)?
                    .into_iter()
                    .map(|n| {
                        minijinja::context! {
                            number => n.number,
                            title => Redaction::hidden(lang.as_str()).apply(&n.title).into_string(),
                            date => n.sent_at.map(|d| t.date(d)).unwrap_or_default(),
                            date_iso => crate::dates::iso_date(n.sent_at),
                            path => Route::newsletter(lang, Some(n.number)),
                        }
                    })
                    .collect();
                let html = self.env.get_template("newsletters.html")?.render(minijinja::context! {
                    issues => issues,
                    ..Serde(&chrome),
                })?;
                Ok(Outcome::Page(Rendered::html(200, html, deps)))
            }
            Some(n) => {
                let Some(issue) = self.store.newsletter_by_number(lang, n)?.filter(|i| i.sent_at.is_some()) else {
                    return not_found();
                };
                let title = Redaction::hidden(lang.as_str()).apply(&issue.title).into_string();
                let path = Route::newsletter(lang, Some(n));
                let mut chrome = self.chrome(lang, &path, Some(title.clone()))?;
                self.set_languages(&mut chrome, lang, &[(lang.clone(), path.clone())], |l| Route::newsletter(l, None));
                chrome.og_type = "article";
                let html = self.env.get_template("newsletter.html")?.render(minijinja::context! {
                    issue => minijinja::context! {
                        number => issue.number,
                        title => title,
                        date => issue.sent_at.map(|d| t.date(d)).unwrap_or_default(),
                        date_iso => crate::dates::iso_date(issue.sent_at),
                    },
                    body_html => refuge_core::markdown::to_safe_html(&issue.body, Redaction::hidden(lang.as_str())),
                    ..Serde(&chrome),
                })?;
                Ok(Outcome::Page(Rendered::html(200, html, deps)))
            }
        }
    }

    /// A plain page with a heading from the interface strings and a text
    /// as given, in `lang` (subscription confirmations and the like).
    pub fn notice_page_text(
        &self,
        lang: &Language,
        heading_key: &str,
        text: &str,
        status: u16,
    ) -> Result<Rendered, RenderError> {
        let t = self.strings(lang);
        let mut chrome = self.chrome(lang, &Route::home(lang), Some(t.get(heading_key).to_owned()))?;
        chrome.noindex = true;
        chrome.switch = self.other_languages(lang).map(|l| self.link(&l, Route::home(&l))).collect();
        chrome.alternates.clear();
        let html = self.env.get_template("message.html")?.render(minijinja::context! {
            heading => t.get(heading_key),
            text => text,
            ..Serde(&chrome),
        })?;
        Ok(Rendered::html(status, html, Vec::new()))
    }

    /// The page behind an unsubscribe link: one button, no tracking.
    /// The page that manages a subscription: its topics, or leaving.
    pub fn unsubscribe_form(&self, lang: &Language, token: &str, topics: &[String]) -> Result<Rendered, RenderError> {
        let t = self.strings(lang);
        let mut chrome =
            self.chrome(lang, &Live::Unsubscribe.path(lang), Some(t.get("unsubscribe_title").to_owned()))?;
        chrome.noindex = true;
        chrome.alternates.clear();
        let html = self.env.get_template("unsubscribe.html")?.render(minijinja::context! {
            token => token,
            topics => topics.to_vec(),
            ..Serde(&chrome),
        })?;
        Ok(Rendered::html(200, html, Vec::new()))
    }

    /// The page behind a confirmation link: one button that confirms
    /// (a POST, so link scanners that open every link confirm nothing).
    pub fn confirm_form(&self, lang: &Language, token: &str) -> Result<Rendered, RenderError> {
        let t = self.strings(lang);
        let mut chrome =
            self.chrome(lang, &Live::SubscribeConfirm.path(lang), Some(t.get("subscribe_title").to_owned()))?;
        chrome.noindex = true;
        chrome.alternates.clear();
        let html = self
            .env
            .get_template("subscribe_confirm.html")?
            .render(minijinja::context! { token => token, ..Serde(&chrome) })?;
        Ok(Rendered::html(200, html, Vec::new()))
    }

    pub(crate) fn other_languages<'a>(&'a self, lang: &'a Language) -> impl Iterator<Item = Language> + 'a {
        self.config.languages.iter().filter(move |l| *l != lang).cloned()
    }

    pub(crate) fn link(&self, lang: &Language, href: String) -> Link {
        Link { lang: lang.clone(), name: self.strings(lang).get("language_name").to_owned(), href }
    }

    /// The chrome of a page at `path` in `lang`. `translations` are the
    /// paths of the same page in other languages (`None`: the equivalent
    /// page exists in every language at the same path shape).
    /// Forgets cached settings and menus, after they changed.
    pub fn forget_site_data(&self) {
        self.site_data.write().unwrap_or_else(|p| p.into_inner()).clear();
    }

    /// The site's name in `lang` (the default language's when it has none).
    pub(crate) fn site_name(&self, lang: &Language) -> Result<String, RenderError> {
        Ok(self.site_data(lang)?.site_name.clone())
    }

    fn site_data(&self, lang: &Language) -> Result<Arc<SiteData>, RenderError> {
        if let Some(data) = self.site_data.read().unwrap_or_else(|p| p.into_inner()).get(lang) {
            return Ok(data.clone());
        }
        // A language just turned on has no settings of its own yet: the
        // default language's name and address stand in until it has.
        let setting = |key: &str| -> Result<Option<String>, RenderError> {
            let own = self.store.setting(key, lang)?.filter(|v| !v.trim().is_empty());
            match own {
                Some(v) => Ok(Some(v)),
                None if lang != self.default_language() => {
                    Ok(self.store.setting(key, self.default_language())?.filter(|v| !v.trim().is_empty()))
                }
                None => Ok(None),
            }
        };
        let data = Arc::new(SiteData {
            site_name: setting("site_name")?.unwrap_or_else(|| "Refuge".into()),
            tagline: self.store.setting("tagline", lang)?,
            org_address: setting("org_address")?,
            menu: self.store.menu(lang)?,
        });
        self.site_data.write().unwrap_or_else(|p| p.into_inner()).insert(lang.clone(), data.clone());
        Ok(data)
    }

    pub(crate) fn chrome(&self, lang: &Language, path: &str, title: Option<String>) -> Result<Chrome, RenderError> {
        let t = self.strings(lang);
        let data = self.site_data(lang)?;
        let menu = data.menu.clone();
        let menu = if menu.is_empty() {
            vec![
                MenuEntry { label: t.get("news_title").into(), path: Route::news(lang) },
                MenuEntry { label: t.get("appeals_title").into(), path: Route::appeals(lang) },
                MenuEntry { label: t.get("contact_title").into(), path: Kind::Page.path(lang, &Slug::contact()) },
                MenuEntry { label: t.get("search_title").into(), path: Live::Search.path(lang) },
            ]
        } else {
            menu
        };
        let nav = menu.into_iter().map(|m| NavLink { current: m.path == path, label: m.label, path: m.path }).collect();
        Ok(Chrome {
            lang: lang.clone(),
            site_name: data.site_name.clone(),
            tagline: data.tagline.clone(),
            org_address: data.org_address.clone(),
            nav,
            switch: Vec::new(),
            alternates: Vec::new(),
            canonical: self.url(path),
            css: self.css_path.clone(),
            title,
            // Pages with their own description replace this one.
            description: Some(match data.tagline.as_deref().filter(|t| !t.is_empty()) {
                Some(tagline) => format!("{}: {tagline}", data.site_name),
                None => data.site_name.clone(),
            }),
            noindex: false,
            og_type: "website",
            og_image: None,
            feeds: vec![FeedLink { title: data.site_name.clone(), href: Route::feed(lang, None) }],
            other_addresses: self.other_addresses.clone(),
            copy_made: None,
            og_locale: og_locale(lang),
            og_locale_alternates: self.other_languages(lang).map(|l| og_locale(&l)).collect(),
            t,
        })
    }

    /// On a static copy, says in `chrome` when it was made.
    pub(crate) fn say_copy_made(&self, chrome: &mut Chrome, lang: &Language) {
        if let Some(day) = self.config.addresses.copy_made {
            let at = time::OffsetDateTime::new_utc(day, time::Time::MIDNIGHT);
            chrome.copy_made =
                Some(self.strings(lang).get("copy_made").replace("{date}", &self.strings(lang).date(at)));
        }
    }

    /// Fills the language switcher and `hreflang` alternates from the
    /// paths of this page in each language that has it; languages
    /// without it get `fallback(lang)` in the switcher only.
    pub(crate) fn set_languages(
        &self,
        chrome: &mut Chrome,
        lang: &Language,
        available: &[(Language, String)],
        fallback: impl Fn(&Language) -> String,
    ) {
        chrome.switch = self
            .other_languages(lang)
            .map(|l| {
                let href = available.iter().find(|(a, _)| *a == l).map_or_else(|| fallback(&l), |(_, p)| p.clone());
                self.link(&l, href)
            })
            .collect();
        chrome.alternates = available.iter().map(|(l, p)| Alternate { hreflang: l.tag(), href: self.url(p) }).collect();
        let default = available.iter().find(|(l, _)| l == self.default_language()).or_else(|| available.first());
        if let Some((_, p)) = default {
            chrome.alternates.push(Alternate { hreflang: "x-default".into(), href: self.url(p) });
        }
    }
}
