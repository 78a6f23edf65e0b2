//! The one guard on every way out. Whatever makes something public —
//! an editor's save as published or scheduled, the scheduler, bulk
//! publish, a reviewed change, a restored revision, an appeal update, a
//! newsletter (test sends too) — passes here first:
//!
//! 1. [`check_markup`]: every field that can reach readers has its
//!    redaction markup written exactly (a typo would print the name);
//! 2. [`check_public`]: the public form of every field (address, title,
//!    summary, text with its links and image texts, appeal facts, letter,
//!    timeline, tags, mail subject and text) holds no protected name in
//!    any spelling — neither a name marked anywhere on the site nor one
//!    this very text marks and then writes out elsewhere.
//!
//! The renderer checks every page again before it is sent, exported or
//! published (`refuge_render::Site::resolve`), so a path this module
//! does not know still cannot let a name out.

use refuge_core::markdown::to_safe_html;
use refuge_core::redaction::{self, NameGuard, Redaction};
use refuge_core::{Addressee, AppealFacts, AppealReads, AppealUpdate, ContentStore, ItemDraft, Kind, NameReads};

use crate::AppError;

/// A field an editor fills in, as messages name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    Title,
    Summary,
    Body,
    Address,
    Tags,
    Number,
    People,
    Ages,
    HeldWhere,
    HeldSince,
    Risk,
    Action,
    Letter,
    Deadline,
    Addressees,
    Timeline,
    TimelineSource,
    ImageText,
    Subject,
    Question,
    Answer,
    /// Shown as written, never redacted: a menu label, the site's name,
    /// tagline or postal address.
    Label,
    /// A setting in Markdown, redacted where shown (the home page's title
    /// and introduction, the welcome mail).
    Setting,
}

impl Field {
    /// The key of its name in the back office's strings (`admin_field_…`).
    pub fn key(self) -> &'static str {
        match self {
            Field::Title => "title",
            Field::Summary => "summary",
            Field::Body => "body",
            Field::Address => "address",
            Field::Tags => "tags",
            Field::Number => "number",
            Field::People => "people",
            Field::Ages => "ages",
            Field::HeldWhere => "held_where",
            Field::HeldSince => "held_since",
            Field::Risk => "risk",
            Field::Action => "action",
            Field::Letter => "letter",
            Field::Deadline => "deadline",
            Field::Addressees => "addressees",
            Field::Timeline => "timeline",
            Field::TimelineSource => "timeline_source",
            Field::ImageText => "image_text",
            Field::Subject => "subject",
            Field::Question => "question",
            Field::Answer => "answer",
            Field::Label => "label",
            Field::Setting => "setting",
        }
    }
}

/// The fields of an item save that can reach readers, as typed.
pub fn item_fields<'a>(
    draft: &'a ItemDraft,
    appeal: Option<(&'a AppealFacts, &'a [Addressee])>,
) -> Vec<(Field, &'a str)> {
    let mut fields =
        vec![(Field::Title, draft.title.as_str()), (Field::Summary, &draft.summary), (Field::Body, &draft.body)];
    fields.extend(draft.tags.iter().map(|t| (Field::Tags, t.as_str())));
    if let Some((facts, addressees)) = appeal {
        fields.extend([
            (Field::Number, facts.number.as_str()),
            (Field::People, &facts.people),
            (Field::Ages, &facts.ages),
            (Field::HeldWhere, &facts.held_where),
            (Field::HeldSince, &facts.held_since),
            (Field::Risk, &facts.risk),
            (Field::Action, &facts.action),
            (Field::Letter, &facts.letter),
            (Field::Deadline, &facts.deadline),
        ]);
        for a in addressees {
            fields.extend(
                [&a.name, &a.institution, &a.address, &a.email, &a.fax].map(|t| (Field::Addressees, t.as_str())),
            );
        }
    }
    fields
}

/// Refuses markup that is almost right (`[[Name:…]]`, `[[ name:…]]`, a
/// full-width colon, an unclosed mark): it would print the name. Fields
/// shown as written — addresses, tags (part of addresses), menu labels,
/// the site's name, tagline and postal address — may hold no mark at all.
pub fn check_markup(fields: &[(Field, &str)]) -> Result<(), AppError> {
    for (field, text) in fields {
        redaction::check(text).map_err(|error| AppError::Markup { field: field.key(), error })?;
        if matches!(field, Field::Tags | Field::Label | Field::Address) && text.contains("[[") {
            let error = redaction::MarkupError::Malformed { quote: (*text).to_owned() };
            return Err(AppError::Markup { field: field.key(), error });
        }
    }
    Ok(())
}

/// What an item would show readers, field by field: its address, and
/// each field of [`item_fields`] as its pages, feeds and files show it
/// (Markdown rendered), the title also as lists show it (names hidden),
/// and the appeal's timeline.
pub fn item_public_texts(
    draft: &ItemDraft,
    appeal: Option<(&AppealFacts, &[Addressee])>,
    updates: &[AppealUpdate],
) -> Vec<(Field, String)> {
    let lang = draft.lang.as_str();
    let shown = Redaction { lang, names_public: appeal.is_some_and(|(f, _)| f.names_public) };
    let public = |field: Field, text: &str| match field {
        Field::Body | Field::Action | Field::Timeline => to_safe_html(text, shown),
        _ => shown.apply(text).into_string(),
    };
    let mut texts = vec![
        (Field::Address, draft.kind.path(&draft.lang, &draft.slug)),
        (Field::Title, Redaction::hidden(lang).apply(&draft.title).into_string()),
    ];
    texts.extend(item_fields(draft, appeal).into_iter().map(|(field, text)| (field, public(field, text))));
    for u in updates {
        texts.push((Field::Timeline, public(Field::Timeline, &u.text)));
        texts.push((Field::TimelineSource, public(Field::TimelineSource, &u.source)));
    }
    texts
}

/// The guard for a release: every name protected on the site but those
/// of the rows `own` says belong to what is being released (an item and
/// its translations, whose marks are given in `marks` as they will be
/// stored), plus the names `marks` hold unless `names_public`.
pub fn guard_for<S: NameReads + ?Sized>(
    store: &S,
    own: impl Fn(&str) -> bool,
    marks: &[&str],
    names_public: bool,
) -> Result<NameGuard, AppError> {
    let marked = store.marked_names()?;
    let mut names = redaction::protected(&marked, &own);
    if !names_public {
        names.extend(marked.iter().filter(|m| own(&m.source)).map(|m| m.name.clone()));
        for text in marks {
            names.extend(redaction::names_in(text));
        }
    }
    Ok(NameGuard::new(names))
}

/// Checks an item about to be public (saved as published or scheduled,
/// published by the scheduler or in bulk, a reviewed change published,
/// restored while online): its markup, every image's alternative text,
/// then every public text against every protected name. `id` is
/// the stored item (`None`: new); `appeal` the facts and addressees as
/// they will be stored (`None`: as stored now, for an appeal).
pub fn check_item<S>(
    store: &S,
    id: Option<i64>,
    draft: &ItemDraft,
    appeal: Option<(&AppealFacts, &[Addressee])>,
) -> Result<(), AppError>
where
    S: ContentStore + AppealReads + NameReads + ?Sized,
{
    let stored = match (appeal, id) {
        (None, Some(id)) if draft.kind == Kind::Appeal => Some((store.appeal_facts(id)?, store.addressees(id)?)),
        _ => None,
    };
    let appeal = appeal.or(stored.as_ref().map(|(f, a)| (f, a.as_slice())));
    let fields = item_fields(draft, appeal);
    check_markup(&fields)?;
    // Online, every image says what it shows, in the item's language.
    let images = refuge_core::markdown::images_without_alt(&draft.body);
    if !images.is_empty() {
        return Err(AppError::MissingAlt { images });
    }
    let updates = match id {
        Some(id) if draft.kind == Kind::Appeal => store.appeal_updates(id)?,
        _ => Vec::new(),
    };
    // The item's own rows and its translations' (names public or not is
    // the whole appeal's choice) count as this release's.
    let mut sources: Vec<String> = id.map(|id| format!("item:{id}")).into_iter().collect();
    if let Some(group) = draft.group_id {
        sources.extend(store.group_items(group)?.into_iter().map(|r| format!("item:{}", r.id)));
    }
    let mut marks: Vec<&str> = fields.iter().map(|(_, t)| *t).collect();
    marks.extend(updates.iter().flat_map(|u| [u.text.as_str(), u.source.as_str()]));
    let names_public = appeal.is_some_and(|(f, _)| f.names_public);
    let guard = guard_for(store, |s| sources.iter().any(|o| o == s), &marks, names_public)?;
    check_public(&guard, &item_public_texts(draft, appeal, &updates))
}

/// Checks texts that are public as soon as they are saved — FAQ entries,
/// menu labels, site settings, an image's text, a timeline entry — of a
/// language: markup written exactly, then no protected name in their
/// public form (names they mark themselves included). `own` names the
/// rows the store keeps for them (`faq:ja:…`, `menu:ja`), which they
/// replace.
pub fn check_texts<S: NameReads + ?Sized>(
    store: &S,
    lang: &str,
    own: impl Fn(&str) -> bool,
    fields: &[(Field, &str)],
    names_public: bool,
) -> Result<(), AppError> {
    check_markup(fields)?;
    let marks: Vec<&str> = fields.iter().map(|(_, t)| *t).collect();
    let guard = guard_for(store, own, &marks, names_public)?;
    let shown = Redaction { lang, names_public };
    let texts: Vec<(Field, String)> = fields.iter().map(|(f, t)| (*f, to_safe_html(t, shown))).collect();
    check_public(&guard, &texts)
}

/// Refuses a release any of whose public texts holds a protected name,
/// naming the field and the part found (the editor wrote it). Each text
/// is read as text and, if it may be HTML, as a page (attributes and
/// entities too): a `<` in a plain letter must not hide what follows.
pub fn check_public(guard: &NameGuard, texts: &[(Field, String)]) -> Result<(), AppError> {
    for (field, text) in texts {
        let found = guard
            .find_in_text(text)
            .or_else(|| text.contains('<').then(|| guard.find_in_page("text/html", text.as_bytes())).flatten());
        if let Some(found) = found {
            return Err(AppError::Leak { field: field.key(), part: found.part });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use refuge_core::redaction::MarkedName;
    use refuge_core::store::StoreResult;
    use refuge_core::{Language, Slug, Status};

    use super::*;

    struct Names(Vec<MarkedName>);
    impl NameReads for Names {
        fn marked_names(&self) -> StoreResult<Vec<MarkedName>> {
            Ok(self.0.clone())
        }
    }

    fn draft(slug: &str, title: &str, body: &str) -> ItemDraft {
        ItemDraft {
            group_id: None,
            kind: Kind::Appeal,
            lang: Language::parse("en").unwrap(),
            slug: Slug::parse(slug).unwrap(),
            title: title.into(),
            summary: String::new(),
            body: body.into(),
            category: None,
            tags: Vec::new(),
            status: Status::Published,
            published_at: None,
        }
    }

    fn check(store: &Names, d: &ItemDraft, facts: Option<&AppealFacts>) -> Result<(), AppError> {
        let appeal = facts.map(|f| (f, &[][..]));
        check_markup(&item_fields(d, appeal))?;
        let marks: Vec<&str> = item_fields(d, appeal).into_iter().map(|(_, t)| t).collect();
        let guard = guard_for(store, |s| s == "item:1", &marks, facts.is_some_and(|f| f.names_public))?;
        check_public(&guard, &item_public_texts(d, appeal, &[]))
    }

    fn leak_in(result: Result<(), AppError>) -> &'static str {
        match result {
            Err(AppError::Leak { field, .. }) => field,
            other => panic!("expected a leak, got {other:?}"),
        }
    }

    #[test]
    fn a_name_in_the_address_or_written_out_is_refused() {
        let none = Names(Vec::new());
        let title = "Urgent: [[name:Park Ji-hoon]] faces forced return";
        assert!(check(&none, &draft("urgent-p-j-faces", title, "Text."), None).is_ok());
        let named = draft("urgent-name-park-ji-hoon-faces-forced-return", title, "Text.");
        assert_eq!(leak_in(check(&none, &named, None)), "address");
        let again = draft("urgent", title, "Later Ji-hoon said he was well.");
        assert_eq!(leak_in(check(&none, &again, None)), "body");
        let link = draft("urgent", title, "See [his page](/en/people/park-ji-hoon/).");
        assert_eq!(leak_in(check(&none, &link, None)), "body");
        let alt = draft("urgent", title, "![Ji-hoon at home](/media/a.jpg)");
        assert_eq!(leak_in(check(&none, &alt, None)), "body");
        let family = draft("urgent", title, "Mr Park's lawyer and Kim Jong-un.");
        assert!(check(&none, &family, None).is_ok(), "a family name alone is ordinary text");
    }

    #[test]
    fn names_marked_elsewhere_are_protected_and_public_appeals_are_not() {
        let store = Names(vec![MarkedName { name: "김민지".into(), source: "item:7".into(), public: false }]);
        let d = draft("report", "News", "어제 민지 씨가 풀려났다.");
        assert_eq!(leak_in(check(&store, &d, None)), "body");
        let public = AppealFacts { names_public: true, ..AppealFacts::default() };
        let named = draft("free", "Free [[name:Choi Yu-na]]", "Choi Yu-na is held.");
        assert!(check(&store, &named, Some(&public)).is_ok(), "names public: shown in full");
        assert_eq!(leak_in(check(&store, &named, None)), "body");
    }

    #[test]
    fn malformed_markup_names_the_field() {
        let d = draft("a", "Free [[Name:Park Ji-hoon]]", "");
        match check(&Names(Vec::new()), &d, None) {
            Err(AppError::Markup { field, error }) => {
                assert_eq!(field, "title");
                assert!(error.quote().contains("Park Ji-hoon"));
            }
            other => panic!("{other:?}"),
        }
        let mut tagged = draft("a", "Title", "");
        tagged.tags = vec!["[[name:Park Ji-hoon]]".into()];
        assert!(matches!(check(&Names(Vec::new()), &tagged, None), Err(AppError::Markup { field: "tags", .. })));
    }
}
