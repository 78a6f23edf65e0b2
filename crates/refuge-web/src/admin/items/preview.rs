//! The editor's preview: the item exactly as readers will see it — the
//! title, the facts, the letter and the addressees of an appeal with its
//! names hidden, and the address it will get — and beside it, for the
//! editor only, each hidden name with the form readers see instead.

use refuge_core::markdown::to_safe_html;
use refuge_core::redaction::{Redaction, names_in, public_form};
use refuge_core::{Kind, Slug};
use serde::Serialize;

use super::*;

#[derive(Serialize)]
pub(super) struct Fact {
    label: String,
    value: String,
}

#[derive(Serialize)]
pub(super) struct Hidden {
    name: String,
    shown: String,
}

#[derive(Serialize)]
pub(super) struct PreviewView {
    title: String,
    address: String,
    body_html: String,
    facts: Vec<Fact>,
    action_html: String,
    letter: String,
    addressees: Vec<String>,
    hidden: Vec<Hidden>,
    names_public: bool,
}

/// The preview of what `form` would publish, in the item's language.
pub(super) fn preview(state: &AppState, ctx: &EditorContext, form: &FormView) -> PreviewView {
    let lang = ctx.lang.as_str();
    let extra = crate::form::FormData(form.extra.clone());
    let (facts, addressees) = crate::admin::appeals::from_form(&extra);
    let appeal = ctx.kind == Kind::Appeal;
    let names_public = appeal && facts.names_public;
    let shown = Redaction { lang, names_public };
    let slug = if form.slug.trim().is_empty() {
        Slug::suggest(&Redaction::hidden(lang).apply(form.title.trim()))
            .or_else(|| ctx.item.as_ref().map(|i| i.slug.clone()))
    } else {
        Slug::parse(form.slug.trim()).ok()
    };
    let address = slug.map(|s| state.site.url(&ctx.kind.path(&ctx.lang, &s))).unwrap_or_default();
    let t = state.site.strings(&ctx.lang);
    let mut texts: Vec<&str> = vec![&form.title, &form.summary, &form.body];
    let mut fact_list = Vec::new();
    if appeal {
        for (key, value) in [
            ("appeal_people", &facts.people),
            ("appeal_ages", &facts.ages),
            ("appeal_held_where", &facts.held_where),
            ("appeal_held_since", &facts.held_since),
            ("appeal_risk", &facts.risk),
            ("appeal_deadline", &facts.deadline),
        ] {
            texts.push(value);
            if !value.trim().is_empty() {
                fact_list.push(Fact { label: t.get(key).to_owned(), value: shown.apply(value).into_string() });
            }
        }
        texts.extend([facts.action.as_str(), facts.letter.as_str()]);
    }
    let mut hidden: Vec<Hidden> = Vec::new();
    for text in texts {
        for name in names_in(text) {
            if !hidden.iter().any(|h| h.name == name) {
                let form = if names_public { name.clone() } else { public_form(&name, None, lang) };
                hidden.push(Hidden { name, shown: form });
            }
        }
    }
    PreviewView {
        title: shown.apply(form.title.trim()).into_string(),
        address,
        body_html: to_safe_html(&form.body, shown),
        facts: fact_list,
        action_html: if appeal { to_safe_html(&facts.action, shown) } else { String::new() },
        letter: if appeal { shown.apply(&facts.letter).into_string() } else { String::new() },
        addressees: addressees
            .iter()
            .filter(|a| !a.name.trim().is_empty() || !a.institution.trim().is_empty())
            .map(|a| {
                [&a.name, &a.institution, &a.address, &a.email]
                    .iter()
                    .filter(|s| !s.trim().is_empty())
                    .map(|s| s.trim())
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .collect(),
        hidden,
        names_public,
    }
}
