//! The site's own texts: settings (admins), the FAQ and the menus
//! (editors). Each is public as soon as it is saved, so each passes the
//! guard's text check ([`crate::release::check_texts`]) first; then it is
//! written in one transaction and the audit line recorded.

use refuge_core::{AuditLog, ContentStore, Language, MenuEntry, NameReads, PublicContent, Slug, User};

use crate::AppError;
use crate::access::{admin_only, can_edit};
use crate::release::{Field, check_texts};

/// Settings shown as written, never redacted (a mark there would print).
const AS_WRITTEN: [&str; 3] = ["site_name", "tagline", "org_address"];

/// A change of site settings, as typed and already parsed.
#[derive(Debug, Default)]
pub struct Settings {
    /// The site's time zone, by its name (checked by the caller).
    pub time_zone: Option<String>,
    /// Hours a new timeline entry waits for its translations (0–720).
    pub translation_wait_hours: Option<u16>,
    /// (key, language, text) of the settings each language shows.
    pub texts: Vec<(&'static str, Language, String)>,
}

/// The setting that holds how long timeline entries wait for translations.
pub const TRANSLATION_WAIT: &str = "translation_wait_hours";

/// Saves site settings, all or none (admins only). Texts are checked per
/// language: markup exact, no protected name.
pub fn save_settings<S>(store: &S, user: &User, settings: &Settings) -> Result<(), AppError>
where
    S: ContentStore + NameReads + AuditLog + ?Sized,
{
    admin_only(user)?;
    if settings.translation_wait_hours.is_some_and(|h| h > 720) {
        return Err(AppError::Invalid("the wait for translations is at most 720 hours".into()));
    }
    let mut languages: Vec<&Language> = settings.texts.iter().map(|(_, l, _)| l).collect();
    languages.dedup();
    for lang in languages {
        let fields: Vec<(Field, &str)> = settings
            .texts
            .iter()
            .filter(|(_, l, _)| l == lang)
            .map(|(key, _, text)| (if AS_WRITTEN.contains(key) { Field::Label } else { Field::Setting }, text.as_str()))
            .collect();
        let keys: Vec<&str> = settings.texts.iter().map(|(k, _, _)| *k).collect();
        let own = |s: &str| s.strip_prefix("setting:").is_some_and(|k| keys.contains(&k));
        check_texts(store, lang.as_str(), own, &fields, false)?;
    }
    let hours = settings.translation_wait_hours.map(|h| h.to_string());
    let mut values: Vec<(&str, Option<&Language>, &str)> = Vec::new();
    if let Some(zone) = &settings.time_zone {
        values.push(("time_zone", None, zone));
    }
    if let Some(hours) = &hours {
        values.push((TRANSLATION_WAIT, None, hours));
    }
    values.extend(settings.texts.iter().map(|(key, lang, text)| (*key, Some(lang), text.trim())));
    store.set_settings(&values)?;
    crate::audit::record(store, user.email.as_str(), "change settings", "", "");
    Ok(())
}

/// Replaces a language's FAQ (editors); answers the old entries' ids
/// (for the search index). Questions without an anchor get one from
/// their public text.
pub fn save_faq<S>(
    store: &S,
    user: &User,
    lang: &Language,
    rows: &[(String, String, String)],
) -> Result<Vec<i64>, AppError>
where
    S: ContentStore + PublicContent + NameReads + AuditLog + ?Sized,
{
    if !can_edit(user) {
        return Err(AppError::Forbidden);
    }
    let entries = faq_entries(lang, rows);
    let fields: Vec<(Field, &str)> =
        entries.iter().flat_map(|(_, q, a)| [(Field::Question, q.as_str()), (Field::Answer, a.as_str())]).collect();
    let own = format!("faq:{}:", lang.as_str());
    check_texts(store, lang.as_str(), |s| s.starts_with(&own), &fields, false)?;
    let old_ids: Vec<i64> = store.faq(lang)?.iter().map(|e| e.id).collect();
    store.replace_faq(lang, &entries)?;
    crate::audit::record(store, user.email.as_str(), "edit FAQ", lang.as_str(), &format!("{} entries", entries.len()));
    Ok(old_ids)
}

/// The FAQ's entries from typed rows (anchor, question, answer): empty
/// questions left out, anchors made from the question's public form.
pub fn faq_entries(lang: &Language, rows: &[(String, String, String)]) -> Vec<(Slug, String, String)> {
    let mut entries = Vec::new();
    for (anchor, question, answer) in rows.iter().filter(|r| !r.1.trim().is_empty()) {
        let shown = refuge_core::redaction::Redaction::hidden(lang.as_str()).apply(question.trim());
        let anchor = if anchor.trim().is_empty() { Slug::suggest(&shown) } else { Slug::parse(anchor.trim()).ok() };
        let Some(anchor) = anchor.or_else(|| Slug::parse(&format!("q{}", entries.len() + 1)).ok()) else { continue };
        entries.push((anchor, question.trim().to_owned(), answer.replace("\r\n", "\n")));
    }
    entries
}

/// Replaces a language's menu (editors). Labels are shown as written: no
/// mark, and no protected name.
pub fn save_menu<S>(store: &S, user: &User, lang: &Language, entries: &[MenuEntry]) -> Result<(), AppError>
where
    S: ContentStore + NameReads + AuditLog + ?Sized,
{
    if !can_edit(user) {
        return Err(AppError::Forbidden);
    }
    let fields: Vec<(Field, &str)> =
        entries.iter().flat_map(|e| [(Field::Label, e.label.as_str()), (Field::Address, e.path.as_str())]).collect();
    let own = format!("menu:{}", lang.as_str());
    check_texts(store, lang.as_str(), |s| s == own, &fields, false)?;
    store.replace_menu(lang, entries)?;
    crate::audit::record(store, user.email.as_str(), "edit menu", lang.as_str(), &format!("{} links", entries.len()));
    Ok(())
}

#[cfg(test)]
mod tests {
    use refuge_core::AuditReads;
    use refuge_core::{Email, Role, UserStore};

    use super::*;

    #[test]
    fn settings_are_saved_all_or_none_by_admins_only_on_both_engines() {
        for db in refuge_store::testing::each_engine() {
            let s = &db.store;
            let admin = s.add_user(&Email::parse("a@example.org").unwrap(), Role::Admin, "a long password").unwrap();
            let ed = s.add_user(&Email::parse("e@example.org").unwrap(), Role::Editor, "a long password").unwrap();
            let en = Language::parse("en").unwrap();
            let change = Settings {
                time_zone: Some("Asia/Tokyo".into()),
                translation_wait_hours: Some(24),
                texts: vec![("site_name", en.clone(), "Refuge".into()), ("home_intro", en.clone(), "Hello.".into())],
            };
            assert!(matches!(save_settings(s, &ed, &change), Err(AppError::Forbidden)));
            save_settings(s, &admin, &change).unwrap();
            assert_eq!(s.setting("site_name", &en).unwrap().as_deref(), Some("Refuge"));
            assert_eq!(s.setting(TRANSLATION_WAIT, &en).unwrap().as_deref(), Some("24"));
            // A mark in a setting shown as written is refused, and nothing of the change is kept.
            let bad = Settings {
                time_zone: Some("Europe/Paris".into()),
                texts: vec![
                    ("home_intro", en.clone(), "Bye.".into()),
                    ("tagline", en.clone(), "[[name:Kim Ji]]".into()),
                ],
                ..Settings::default()
            };
            assert!(matches!(save_settings(s, &admin, &bad), Err(AppError::Markup { .. })));
            assert_eq!(s.setting("home_intro", &en).unwrap().as_deref(), Some("Hello."));
            assert_eq!(s.setting("time_zone", &en).unwrap().as_deref(), Some("Asia/Tokyo"));
            let audit = s.audit_entries(0, 10).unwrap().0;
            assert_eq!(audit.iter().filter(|e| e.action == "change settings").count(), 1);
        }
    }

    #[test]
    fn faq_and_menu_are_editors_and_checked() {
        let db = refuge_store::testing::sqlite();
        let s = &db.store;
        let ed = s.add_user(&Email::parse("e@example.org").unwrap(), Role::Editor, "a long password").unwrap();
        let tr = s.add_user(&Email::parse("t@example.org").unwrap(), Role::Translator, "a long password").unwrap();
        let ja = Language::parse("ja").unwrap();
        let rows = vec![
            (String::new(), "寄付は？".to_owned(), "口座へ。".to_owned()),
            (String::new(), " ".into(), "x".into()),
        ];
        assert!(matches!(save_faq(s, &tr, &ja, &rows), Err(AppError::Forbidden)));
        assert!(save_faq(s, &ed, &ja, &rows).unwrap().is_empty());
        assert_eq!(s.faq(&ja).unwrap().len(), 1, "an empty question is left out");
        let menu = vec![MenuEntry { label: "[[name:Kim]]".into(), path: "/ja/about/".into() }];
        assert!(matches!(save_menu(s, &ed, &ja, &menu), Err(AppError::Markup { .. })));
        assert!(s.menu(&ja).unwrap().is_empty());
    }
}
