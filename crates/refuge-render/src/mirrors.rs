//! The site's other addresses: the list page `/{lang}/mirrors/` and the
//! machine-readable `/mirrors.json`, from [`Addresses`].

use minijinja::value::Serde;
use refuge_core::Language;
use serde::Serialize;

use crate::RenderError;
use crate::cache::Dep;
use crate::routes::Route;
use crate::site::{Rendered, Site};

/// Where else readers find the site.
#[derive(Clone, Debug, Default)]
pub struct Addresses {
    /// The main site's address (its `base_url`); a copy names it among
    /// the others.
    pub main: String,
    pub mirrors: Vec<MirrorAddress>,
    /// The onion service's address, e.g. `http://….onion`.
    pub onion: Option<String>,
    /// On a static copy: the day it was made (said on its home pages and
    /// its list of addresses).
    pub copy_made: Option<time::Date>,
}

/// One mirror as readers see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MirrorAddress {
    /// Where the copy is served (its base URL, without trailing slash).
    pub url: String,
    /// Where its search and forms go (the main site unless set).
    pub forms_url: Option<String>,
    /// Served from a bucket's plain address, where `/` is not `/index.html`.
    pub index_links: bool,
}

impl MirrorAddress {
    /// The address to give readers: the copy's home.
    pub fn link(&self) -> String {
        if self.index_links { format!("{}/index.html", self.url) } else { format!("{}/", self.url) }
    }
}

/// One address as a page shows it.
#[derive(Clone, Debug, Serialize)]
pub struct AddressLink {
    pub href: String,
    /// What readers see: the host and path, or "onion address (Tor)".
    pub label: String,
    pub onion: bool,
}

impl Addresses {
    /// Every address of the site but `here` (the one this page is served
    /// from): the main site, the mirrors, the onion address.
    pub fn others(&self, here: &str) -> Vec<AddressLink> {
        let mut out = Vec::new();
        let plain = |url: &str, href: String| AddressLink { label: label(url), href, onion: false };
        if !self.main.is_empty() && self.main != here {
            out.push(plain(&self.main, format!("{}/", self.main)));
        }
        for mirror in self.mirrors.iter().filter(|m| m.url != here) {
            out.push(plain(&mirror.url, mirror.link()));
        }
        if let Some(onion) = self.onion.as_deref().map(|o| o.trim_end_matches('/')).filter(|o| *o != here) {
            out.push(AddressLink { href: format!("{onion}/"), label: label(onion), onion: true });
        }
        out
    }
}

/// `mirror.example.net/site` for `https://mirror.example.net/site`.
fn label(url: &str) -> String {
    url.split_once("://").map_or(url, |(_, rest)| rest).trim_end_matches('/').to_owned()
}

#[derive(Serialize)]
struct MirrorsJson<'a> {
    /// The site's name in its default language.
    name: String,
    main: String,
    mirrors: Vec<MirrorJson>,
    onion: Option<String>,
    /// On a static copy: the day it was made (YYYY-MM-DD).
    copy_made: Option<String>,
    languages: Vec<&'a str>,
}

#[derive(Serialize)]
struct MirrorJson {
    url: String,
    forms: String,
}

impl Site {
    /// `/{lang}/mirrors/`: every address of the site, with what each is.
    pub(crate) fn mirrors_page(&self, lang: &Language) -> Result<Rendered, RenderError> {
        let t = self.strings(lang);
        let path = Route::Mirrors(lang.clone()).path();
        let mut chrome = self.chrome(lang, &path, Some(t.get("mirrors_title").to_owned()))?;
        let everywhere: Vec<(Language, String)> =
            self.languages().iter().map(|l| (l.clone(), Route::Mirrors(l.clone()).path())).collect();
        self.set_languages(&mut chrome, lang, &everywhere, |l| Route::Mirrors(l.clone()).path());
        self.say_copy_made(&mut chrome, lang);
        let addresses = &self.config().addresses;
        let here = &self.config().base_url;
        let mut all = Vec::new();
        let main = if addresses.main.is_empty() { here.clone() } else { addresses.main.clone() };
        all.push(minijinja::context! { href => format!("{main}/"), label => label(&main), what => t.get("mirrors_main"), here => main == *here });
        for m in &addresses.mirrors {
            all.push(minijinja::context! { href => m.link(), label => label(&m.url), what => t.get("mirrors_copy"), here => m.url == *here });
        }
        if let Some(onion) = addresses.onion.as_deref().map(|o| o.trim_end_matches('/')) {
            all.push(minijinja::context! { href => format!("{onion}/"), label => label(onion), what => t.get("mirrors_onion"), here => onion == here });
        }
        let html = self.env.get_template("mirrors.html")?.render(minijinja::context! {
            addresses => all,
            ..Serde(&chrome),
        })?;
        Ok(Rendered::html(200, html, vec![Dep::Site]))
    }

    /// `/mirrors.json`: the same list for programs (an app, a mail
    /// robot, another mirror's script).
    pub(crate) fn mirrors_json(&self) -> Result<Rendered, RenderError> {
        let config = self.config();
        let addresses = &config.addresses;
        let main = if addresses.main.is_empty() { config.base_url.clone() } else { addresses.main.clone() };
        let name = self.store.setting("site_name", self.default_language())?.unwrap_or_default();
        let json = MirrorsJson {
            name,
            main: format!("{main}/"),
            mirrors: addresses
                .mirrors
                .iter()
                .map(|m| MirrorJson { url: m.link(), forms: format!("{}/", m.forms_url.as_deref().unwrap_or(&main)) })
                .collect(),
            onion: addresses.onion.as_deref().map(|o| format!("{}/", o.trim_end_matches('/'))),
            copy_made: addresses.copy_made.map(|d| d.to_string()),
            languages: config.languages.iter().map(Language::as_str).collect(),
        };
        let body = serde_json::to_vec_pretty(&json).map_err(|e| RenderError::Template(e.to_string()))?;
        Ok(Rendered {
            status: 200,
            content_type: "application/json",
            body,
            deps: vec![Dep::Site],
            immutable: false,
            valid_until: None,
            attachment: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_names_every_address_but_its_own() {
        let addresses = Addresses {
            main: "https://example.org".into(),
            mirrors: vec![
                MirrorAddress { url: "https://m1.example.net/site".into(), forms_url: None, index_links: true },
                MirrorAddress { url: "https://m2.example.com".into(), forms_url: None, index_links: false },
            ],
            onion: Some("http://abc.onion/".into()),
            copy_made: None,
        };
        let hrefs = |here: &str| addresses.others(here).into_iter().map(|a| a.href).collect::<Vec<_>>();
        assert_eq!(
            hrefs("https://example.org"),
            ["https://m1.example.net/site/index.html", "https://m2.example.com/", "http://abc.onion/"]
        );
        assert_eq!(
            hrefs("https://m2.example.com"),
            ["https://example.org/", "https://m1.example.net/site/index.html", "http://abc.onion/"]
        );
        let labels: Vec<String> = addresses.others("http://abc.onion").into_iter().map(|a| a.label).collect();
        assert_eq!(labels, ["example.org", "m1.example.net/site", "m2.example.com"]);
    }
}
