//! The editor form: what was typed, read into a draft or into messages
//! next to the fields. Nothing typed is ever lost: on any error the form
//! comes back exactly as sent.

use refuge_core::{Item, ItemDraft, Kind, Language, Slug, Status};
use serde::Serialize;
use time::OffsetDateTime;

use super::Admin;
use crate::AppState;
use crate::form::FormData;

/// What the editor form shows (exactly what was typed, on errors too).
#[derive(Serialize, Default, Clone)]
pub struct FormView {
    pub title: String,
    pub slug: String,
    pub summary: String,
    pub body: String,
    pub category: String,
    pub tags: String,
    pub status: String,
    pub published_at: String,
    pub note: String,
    pub mark_current: bool,
    /// The item's latest revision when the form was opened (0: unknown),
    /// so that a save over someone else's later save is noticed.
    pub base_revision: i64,
    /// Other fields as posted (an appeal's facts and addressees), so that
    /// they come back unchanged when the form has errors.
    pub extra: Vec<(String, String)>,
}

/// Messages next to fields.
#[derive(Serialize, Default)]
pub struct Errors {
    pub title: Option<String>,
    pub slug: Option<String>,
    pub body: Option<String>,
    pub tags: Option<String>,
    pub status: Option<String>,
    pub published_at: Option<String>,
    /// An appeal's facts.
    pub deadline: Option<String>,
    pub people_count: Option<String>,
    /// About the whole form: it could not be saved (full disk, storage
    /// failure); what was typed is shown again.
    pub form: Option<String>,
}

impl Errors {
    pub fn any(&self) -> bool {
        self.form.is_some()
            || self.title.is_some()
            || self.slug.is_some()
            || self.body.is_some()
            || self.tags.is_some()
            || self.status.is_some()
            || self.published_at.is_some()
            || self.deadline.is_some()
            || self.people_count.is_some()
    }
}

/// The form for an item as stored; dates in `zone`.
pub fn form_of(item: &Item, zone: &super::zone::Zone) -> FormView {
    FormView {
        title: item.title.clone(),
        slug: item.slug.to_string(),
        summary: item.summary.clone(),
        body: item.body.clone(),
        category: item.category.clone().unwrap_or_default(),
        tags: item.tags.join(", "),
        status: item.status.as_str().into(),
        published_at: zone.input(item.published_at),
        note: String::new(),
        mark_current: false,
        base_revision: 0,
        extra: Vec::new(),
    }
}

pub fn form_from(data: &FormData) -> FormView {
    FormView {
        title: data.get("title").to_owned(),
        slug: data.get("slug").trim().to_owned(),
        summary: data.get("summary").to_owned(),
        body: data.get("body").replace("\r\n", "\n"),
        category: data.get("category").to_owned(),
        tags: data.get("tags").to_owned(),
        status: data.get("status").to_owned(),
        published_at: data.get("published_at").to_owned(),
        note: data.get("note").to_owned(),
        mark_current: data.get("mark_current") == "1",
        base_revision: data.get("base_revision").parse().unwrap_or(0),
        extra: data
            .0
            .iter()
            .filter(|(k, _)| {
                APPEAL_FIELDS.contains(&k.as_str())
                    || k.starts_with("addr_")
                    || k == "case_status"
                    || k == "names_public"
            })
            .cloned()
            .collect(),
    }
}

/// Turns what was typed into a draft, or says what is wrong, field by field.
// Long on purpose: one check per form field, in the form's order.
pub fn draft_from(
    state: &AppState,
    admin: &Admin,
    form: &FormView,
    kind: Kind,
    lang: &Language,
    group_id: Option<i64>,
    fallback_slug: Option<&Slug>,
) -> Result<ItemDraft, Box<Errors>> {
    let t = &admin.t;
    let mut errors = Errors::default();
    let title = form.title.trim();
    if title.is_empty() {
        errors.title = Some(t.get("admin_errors").into());
    }
    let slug = if form.slug.is_empty() {
        // Made from the title as readers see it: a name marked in the
        // title never reaches the address.
        let public_title = refuge_core::redaction::Redaction::hidden(lang.as_str()).apply(title);
        Slug::suggest(&public_title).or_else(|| fallback_slug.cloned()).or_else(|| {
            let now = OffsetDateTime::now_utc();
            Slug::parse(&format!(
                "{}-{:04}{:02}{:02}-{:02}{:02}",
                kind.as_str(),
                now.year(),
                u8::from(now.month()),
                now.day(),
                now.hour(),
                now.minute()
            ))
            .ok()
        })
    } else {
        match Slug::parse(&form.slug) {
            Ok(s) => Some(s),
            Err(e) => {
                errors.slug = Some(e.to_string());
                None
            }
        }
    };
    let tags: Vec<String> =
        form.tags.split([',', '、', '，']).map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect();
    if tags.iter().any(|t| t.chars().count() > 60 || t.contains('/')) {
        errors.tags = Some(t.get("admin_tags_invalid").into());
    }
    let status = match form.status.parse::<Status>() {
        Ok(s) if statuses(admin).contains(&s) => s,
        _ => {
            errors.status = Some(t.get("admin_forbidden").into());
            Status::Draft
        }
    };
    let typed_date =
        if form.published_at.trim().is_empty() { None } else { admin.zone.parse_input(&form.published_at) };
    if !form.published_at.trim().is_empty() && typed_date.is_none() {
        errors.published_at = Some(t.get("admin_date_invalid").into());
    }
    let now = OffsetDateTime::now_utc();
    let (status, published_at) = match status {
        Status::Published => (status, typed_date.or(Some(now))),
        Status::Scheduled => match typed_date {
            Some(d) if d > now => (status, Some(d)),
            // A time gone by would publish at once: never without asking.
            Some(d) => {
                errors.published_at = Some(t.get("admin_schedule_past").replace("{now}", &admin.zone.show(now)));
                (status, Some(d))
            }
            None => {
                errors.published_at = Some(t.get("admin_schedule_needs_date").into());
                (status, None)
            }
        },
        other => (other, typed_date),
    };
    let categories = state.reads.categories(lang).unwrap_or_else(|e| {
        // Without the list the category would be dropped: say so, keep the text.
        tracing::error!(error = %e, "could not read the categories");
        errors.form = Some(t.get("admin_try_again").into());
        Vec::new()
    });
    let category =
        Some(form.category.clone()).filter(|c| !c.is_empty() && categories.iter().any(|k| k.key.as_str() == c));
    if form.body.len() > 2_000_000 {
        errors.body = Some(t.get("admin_body_too_large").into());
    }
    if errors.any() {
        return Err(Box::new(errors));
    }
    let draft = ItemDraft {
        group_id,
        kind,
        lang: lang.clone(),
        slug: slug.unwrap_or_else(|| Slug::parse("untitled").expect("valid")),
        title: title.to_owned(),
        summary: form.summary.trim().to_owned(),
        body: form.body.clone(),
        category: if kind == Kind::News { category } else { None },
        tags: if kind == Kind::News { tags } else { Vec::new() },
        status,
        published_at,
    };
    draft.validate().map_err(|e| Box::new(Errors { title: Some(e), ..Errors::default() }))?;
    Ok(draft)
}

/// The facts' form fields, in the order shown.
pub const APPEAL_FIELDS: [&str; 10] = [
    "number",
    "people_count",
    "people",
    "ages",
    "held_where",
    "held_since",
    "risk",
    "deadline",
    "what_to_do",
    "letter",
];

/// The statuses this account may give an item.
pub(crate) fn statuses(admin: &Admin) -> Vec<Status> {
    refuge_app::access::statuses(&admin.session.user)
}
