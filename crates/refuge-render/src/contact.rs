//! The contact page: the page's own text and a form rendered per request
//! (its token carries the time it was shown, for the spam defence).

use minijinja::value::Serde;
use refuge_core::markdown::to_safe_html;
use refuge_core::redaction::Redaction;
use refuge_core::{Kind, Language, Slug};
use serde::Serialize;

use crate::RenderError;
use crate::site::{Rendered, Site};

/// Subjects a writer can choose; the value is stored in clear.
pub const CATEGORIES: [&str; 5] = ["help", "information", "press", "volunteer", "other"];

#[derive(Serialize)]
struct Choice {
    value: &'static str,
    label: String,
}

/// What the form shows: as typed, so nothing is lost on an error.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ContactForm {
    pub token: String,
    pub name: String,
    pub reply_to: String,
    pub category: String,
    pub text: String,
    pub join_list: bool,
    pub error: Option<String>,
    pub sent: bool,
}

impl Site {
    /// `/{lang}/contact/` with the form; `None` when there is no contact page.
    pub fn contact_page(
        &self,
        lang: &Language,
        form: &ContactForm,
        status: u16,
    ) -> Result<Option<Rendered>, RenderError> {
        let slug = Slug::contact();
        let Some(item) = self.store.published_item(Kind::Page, lang, &slug)? else { return Ok(None) };
        let t = self.strings(lang);
        let title = Redaction::hidden(item.lang.as_str()).apply(&item.title).into_string();
        let mut chrome = self.chrome(lang, &item.path(), Some(title.clone()))?;
        let translations = self.store.published_translations(item.group_id)?;
        let available: Vec<(Language, String)> = translations
            .iter()
            .filter(|t| self.languages().contains(&t.lang))
            .map(|t| (t.lang.clone(), t.path()))
            .collect();
        self.set_languages(&mut chrome, lang, &available, |l| Kind::Page.path(l, &slug));
        chrome.describe(crate::pages::item_description(&item));
        let categories: Vec<Choice> = CATEGORIES
            .iter()
            .map(|c| Choice { value: c, label: t.get(&format!("contact_category_{c}")).into() })
            .collect();
        let mut form = form.clone();
        if form.category.is_empty() {
            form.category = "help".into();
        }
        // What the reader typed is shown back to them and not checked
        // (it would tell which names are protected); the page's own text is.
        let body_html = to_safe_html(&item.body, Redaction::hidden(item.lang.as_str()));
        let guard = self.name_guard()?;
        if guard.find_in_text(&title).is_some() || guard.find_in_page("text/html", body_html.as_bytes()).is_some() {
            return Err(RenderError::Withheld { path: item.path() });
        }
        let html = self.env.get_template("contact.html")?.render(minijinja::context! {
            item => minijinja::context! { title => title },
            body_html => body_html,
            translations => Serde(self.translation_views_public(&translations, lang)),
            form => minijinja::context! { categories => Serde(categories), ..Serde(&form) },
            ..Serde(&chrome),
        })?;
        Ok(Some(Rendered::html(status, html, Vec::new())))
    }
}
