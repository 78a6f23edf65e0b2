//! The media library's records in memory, and the names their texts
//! mark (`NameReads`: what the guard reads), as `refuge-store` keeps
//! them: a name marked once is remembered, whatever the text says later.

use refuge_core::redaction::{MarkedName, names_in};
use refuge_core::store::StoreResult;
use refuge_core::{AuditLine, Language, Media, MediaReads, MediaStore, NameReads, StoreError};

use super::{Fail, Memory};

impl MediaReads for Memory {
    fn media_list(&self, offset: u32, limit: u32) -> StoreResult<(Vec<Media>, u32)> {
        let inner = self.inner();
        let page = inner.media.iter().rev().skip(offset as usize).take(limit as usize).cloned().collect();
        Ok((page, inner.media.len() as u32))
    }
    fn media(&self, id: i64) -> StoreResult<Option<Media>> {
        Ok(self.inner().media.iter().find(|m| m.id == id).cloned())
    }
    fn media_by_stored(&self, stored: &str) -> StoreResult<Option<Media>> {
        Ok(self.inner().media.iter().find(|m| m.stored == stored).cloned())
    }
    fn media_stored_names(&self) -> StoreResult<Vec<String>> {
        Ok(self.inner().media.iter().map(|m| m.stored.clone()).collect())
    }
}

impl MediaStore for Memory {
    fn add_media(&self, media: &Media, audit: Option<AuditLine<'_>>) -> StoreResult<i64> {
        self.failing(Fail::Media)?;
        self.audit_with(audit.as_ref(), &media.name)?;
        let mut inner = self.inner();
        let id = inner.next_id();
        inner.media.push(Media { id, ..media.clone() });
        for (_, text) in &media.alt {
            inner.remember_names(id, text);
        }
        Ok(id)
    }
    fn set_media_alts(&self, id: i64, alts: &[(Language, String)], audit: Option<AuditLine<'_>>) -> StoreResult<()> {
        self.failing(Fail::Media)?;
        let name = self.media(id)?.map(|m| m.name).unwrap_or_default();
        self.audit_with(audit.as_ref(), &name)?;
        let mut inner = self.inner();
        let media =
            inner.media.iter_mut().find(|m| m.id == id).ok_or_else(|| StoreError::NotFound(format!("media {id}")))?;
        for (lang, text) in alts {
            media.alt.retain(|(l, _)| l != lang.as_str());
            if !text.is_empty() {
                media.alt.push((lang.to_string(), text.clone()));
            }
        }
        for (_, text) in alts {
            inner.remember_names(id, text);
        }
        Ok(())
    }
    fn delete_media(&self, id: i64, audit: Option<AuditLine<'_>>) -> StoreResult<()> {
        self.failing(Fail::Media)?;
        let name = self.media(id)?.map(|m| m.name).unwrap_or_default();
        self.audit_with(audit.as_ref(), &name)?;
        self.inner().media.retain(|m| m.id != id);
        Ok(())
    }
}

impl super::Inner {
    fn remember_names(&mut self, media_id: i64, text: &str) {
        let source = format!("media:{media_id}");
        for name in names_in(text) {
            if !self.names.iter().any(|n| n.name == name && n.source == source) {
                self.names.push(MarkedName { name, source: source.clone(), public: false });
            }
        }
    }
}

impl NameReads for Memory {
    fn marked_names(&self) -> StoreResult<Vec<MarkedName>> {
        Ok(self.inner().names.clone())
    }
}
