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
    /// `/{lang}/contact/` with the form. The form is the site's own and
    /// exists in every enabled language: a contact page written by the
    /// editors (slug `contact`) gives it its title and introduction; without
    /// one in `lang`, the interface's own words and the postal address do.
    pub fn contact_page(&self, lang: &Language, form: &ContactForm, status: u16) -> Result<Rendered, RenderError> {
        let slug = Slug::contact();
        let t = self.strings(lang);
        let path = Kind::Page.path(lang, &slug);
        let item = self.store.published_item(Kind::Page, lang, &slug)?;
        let (title, body_html, translations) = match &item {
            Some(item) => {
                let hidden = Redaction::hidden(item.lang.as_str());
                let translations = self.store.published_translations(item.group_id)?;
                (hidden.apply(&item.title).into_string(), to_safe_html(&item.body, hidden), translations)
            }
            None => (t.get("contact_title").to_owned(), String::new(), Vec::new()),
        };
        let mut chrome = self.chrome(lang, &path, Some(title.clone()))?;
        // Every language has the form, so the switcher and alternates name
        // the form in each.
        let everywhere: Vec<(Language, String)> =
            self.languages().iter().map(|l| (l.clone(), Kind::Page.path(l, &slug))).collect();
        self.set_languages(&mut chrome, lang, &everywhere, |l| Kind::Page.path(l, &slug));
        match &item {
            Some(item) => chrome.describe(crate::pages::item_description(item)),
            None => chrome.describe(t.get("contact_intro").to_owned()),
        }
        let categories: Vec<Choice> = CATEGORIES
            .iter()
            .map(|c| Choice { value: c, label: t.get(&format!("contact_category_{c}")).into() })
            .collect();
        let mut form = form.clone();
        if form.category.is_empty() {
            form.category = "help".into();
        }
        let template = self.env.get_template("contact.html")?;
        let translations = self.translation_views_public(&translations, lang);
        let render = |form: &ContactForm| {
            template.render(minijinja::context! {
                item => minijinja::context! { title => &title },
                body_html => &body_html,
                own_words => item.is_none(),
                translations => Serde(&translations),
                form => minijinja::context! { categories => Serde(&categories), ..Serde(form) },
                ..Serde(&chrome),
            })
        };
        let html = render(&form)?;
        // The whole page is checked, as every other page is, but for what
        // the reader typed, shown back to them only (checking it would tell
        // which names are protected): a form sent back is checked blank.
        let typed = !(form.name.is_empty() && form.reply_to.is_empty() && form.text.is_empty());
        let blank;
        let checked = if typed {
            blank = render(&ContactForm { token: form.token.clone(), ..ContactForm::default() })?;
            &blank
        } else {
            &html
        };
        if self.name_guard()?.find_in_page("text/html", checked.as_bytes()).is_some() {
            return Err(RenderError::Withheld { path });
        }
        Ok(Rendered::html(status, html, Vec::new()))
    }
}
