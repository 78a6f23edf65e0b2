//! The media library's records: an upload kept with its alternative
//! texts (one transaction), its texts changed by role, its deletion. The
//! files themselves are the media crate's (cleaned, staged, committed
//! once the record stands); the caller tells the files.

use refuge_core::{AuditLine, Language, Media, MediaStore, NameReads, User};

use crate::AppError;
use crate::access::can_edit;
use crate::release::{Field, check_markup};

/// Whether `user` may give `lang`'s alternative text where it is now
/// `current`: editors any; a translator a missing one in their own
/// languages (a text already there is an editor's to change).
pub fn may_set_alt(user: &User, lang: &Language, current: &str) -> bool {
    can_edit(user) || (user.languages.contains(lang) && current.trim().is_empty())
}

/// Records a cleaned upload and its texts (`media.alt`) in one write
/// (editors). Its files are committed after; if they cannot be,
/// [`undo_upload`] takes the record back.
pub fn record_upload<S>(store: &S, user: &User, media: &Media) -> Result<i64, AppError>
where
    S: MediaStore + ?Sized,
{
    if !can_edit(user) {
        return Err(AppError::Forbidden);
    }
    check_texts(media.alt.iter().map(|(_, a)| a.as_str()))?;
    let audit = AuditLine { actor: user.email.as_str(), action: "upload", detail: &media.report };
    Ok(store.add_media(media, Some(audit))?)
}

/// Alternative texts as they may be kept: each at most
/// [`Media::ALT_MAX_CHARS`] long, its markup written exactly (they are
/// public wherever the image is shown).
fn check_texts<'a>(texts: impl Iterator<Item = &'a str>) -> Result<(), AppError> {
    let texts: Vec<&str> = texts.collect();
    if texts.iter().any(|a| a.chars().count() > Media::ALT_MAX_CHARS) {
        return Err(AppError::Invalid(format!("an alternative text is at most {} characters", Media::ALT_MAX_CHARS)));
    }
    let fields: Vec<(Field, &str)> = texts.into_iter().map(|a| (Field::ImageText, a)).collect();
    check_markup(&fields)
}

/// Takes back the record of an upload whose files could not be kept.
pub fn undo_upload<S: MediaStore + ?Sized>(store: &S, id: i64) -> Result<(), AppError> {
    store.delete_media(id, None)?;
    Ok(())
}

/// Changes an upload's alternative texts: `changed` are the languages
/// typed differently from what is stored, each of which must be this
/// account's to change; one language at least keeps a text. Public at
/// once wherever the image is shown, so the markup is checked.
pub fn set_texts<S>(store: &S, user: &User, id: i64, changed: &[(Language, String)]) -> Result<Media, AppError>
where
    S: MediaStore + NameReads + ?Sized,
{
    let media = store.media(id)?.ok_or_else(|| AppError::NotFound(format!("upload {id}")))?;
    let current = |l: &Language| {
        media.alt.iter().find(|(code, _)| code == l.as_str()).map(|(_, a)| a.trim().to_owned()).unwrap_or_default()
    };
    if changed.iter().any(|(l, _)| !may_set_alt(user, l, &current(l))) {
        return Err(AppError::Forbidden);
    }
    let kept_elsewhere =
        media.alt.iter().any(|(code, a)| !a.trim().is_empty() && !changed.iter().any(|(l, _)| l.as_str() == code));
    if !kept_elsewhere && changed.iter().all(|(_, a)| a.trim().is_empty()) {
        return Err(AppError::Invalid("one language at least describes the image".into()));
    }
    check_texts(changed.iter().map(|(_, a)| a.as_str()))?;
    let langs: Vec<&str> = changed.iter().map(|(l, _)| l.as_str()).collect();
    let langs = langs.join(", ");
    let audit = AuditLine { actor: user.email.as_str(), action: "describe upload", detail: &langs };
    store.set_media_alts(id, changed, Some(audit))?;
    store.media(id)?.ok_or_else(|| AppError::NotFound(format!("upload {id}")))
}

/// Deletes an upload's record (editors); the caller removes its files.
pub fn delete<S>(store: &S, user: &User, id: i64) -> Result<Media, AppError>
where
    S: MediaStore + ?Sized,
{
    if !can_edit(user) {
        return Err(AppError::Forbidden);
    }
    let media = store.media(id)?.ok_or_else(|| AppError::NotFound(format!("upload {id}")))?;
    store.delete_media(id, Some(AuditLine { actor: user.email.as_str(), action: "delete upload", detail: "" }))?;
    Ok(media)
}

#[cfg(test)]
mod tests {

    use super::*;

    /// An upload, its texts by role and its deletion, on any store.
    fn kept_and_described<S>(s: &S)
    where
        S: MediaStore + NameReads + refuge_core::UserStore + ?Sized,
    {
        let (ed, tr) = crate::test_staff(s);
        let (en, ja) = (Language::parse("en").unwrap(), Language::parse("ja").unwrap());
        let mut media = Media {
            kind: "image".into(),
            name: "river".into(),
            stored: "abc123".into(),
            extension: "jpg".into(),
            alt: vec![("en".into(), "A river".into())],
            ..Media::default()
        };
        assert!(matches!(record_upload(s, &tr, &media), Err(AppError::Forbidden)));
        // A text over the limit: nothing of the upload is kept.
        media.alt.push(("ja".into(), "川".repeat(501)));
        assert!(record_upload(s, &ed, &media).is_err());
        assert_eq!(s.media_list(0, 10).unwrap().1, 0, "no record without its texts");
        media.alt.pop();
        let id = record_upload(s, &ed, &media).unwrap();
        assert_eq!(s.media(id).unwrap().unwrap().alt, vec![("en".to_owned(), "A river".to_owned())]);
        // The translator gives the missing Japanese text, not the English one.
        assert!(matches!(set_texts(s, &tr, id, &[(en.clone(), "Changed".into())]), Err(AppError::Forbidden)));
        set_texts(s, &tr, id, &[(ja.clone(), "川".into())]).unwrap();
        assert!(matches!(set_texts(s, &tr, id, &[(ja.clone(), "別の川".into())]), Err(AppError::Forbidden)));
        let none = [(en, String::new()), (ja, String::new())];
        assert!(matches!(set_texts(s, &ed, id, &none), Err(AppError::Invalid(_))), "one text stays");
        assert!(matches!(delete(s, &tr, id), Err(AppError::Forbidden)));
        delete(s, &ed, id).unwrap();
        assert!(s.media(id).unwrap().is_none());
    }

    #[test]
    fn an_upload_is_kept_with_its_texts_and_described_by_role() {
        kept_and_described(&crate::memory::Memory::default());
        kept_and_described(&refuge_store::testing::sqlite().store);
    }

    /// An upload, a description and a deletion never stand without their
    /// audit line: each is written in the change's own transaction.
    #[test]
    fn a_media_change_stands_only_with_its_audit_line() {
        use crate::memory::{Fail, Memory};
        use refuge_core::{AuditReads, MediaReads};
        let s = Memory::default();
        let (ed, _) = crate::test_staff(&s);
        let media = Media {
            name: "river".into(),
            stored: "abc".into(),
            alt: vec![("en".into(), "A river".into())],
            ..Media::default()
        };
        s.fail_next(Fail::Audit);
        assert!(record_upload(&s, &ed, &media).is_err());
        assert_eq!(s.media_list(0, 10).unwrap().1, 0, "no upload without its line");
        let id = record_upload(&s, &ed, &media).unwrap();
        let ja = Language::parse("ja").unwrap();
        s.fail_next(Fail::Audit);
        assert!(set_texts(&s, &ed, id, &[(ja, "川".into())]).is_err());
        assert_eq!(s.media(id).unwrap().unwrap().alt.len(), 1, "the text is as before");
        s.fail_next(Fail::Audit);
        assert!(delete(&s, &ed, id).is_err());
        assert!(s.media(id).unwrap().is_some(), "still there");
        let actions: Vec<String> = s.audit_entries(0, 10).unwrap().0.into_iter().map(|e| e.action).collect();
        assert_eq!(actions, ["upload"]);
    }
}
