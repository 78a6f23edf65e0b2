//! The site's other addresses: the list page `/{lang}/mirrors/` and the
//! machine-readable `/mirrors.json`, from [`Addresses`].

use minijinja::value::Serde;
use refuge_core::Language;
use serde::Serialize;

use crate::RenderError;
use crate::addresses::label;
use crate::cache::Dep;
use crate::routes::Route;
use crate::site::{Rendered, Site};

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
