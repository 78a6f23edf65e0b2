//! The name guard on every page the renderer makes: before a page, a
//! feed, a redirect or a download name is cached, served, exported or
//! sent to a bucket, it is searched for every protected name
//! (`refuge_core::redaction::NameGuard`); one that would show a name is
//! withheld. The guard is built from the store's list and kept until
//! something changes.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use refuge_core::redaction::NameGuard;

use crate::RenderError;
use crate::site::{Outcome, Rendered, Site};

impl Site {
    /// The name guard, built from the store's protected names.
    pub fn name_guard(&self) -> Result<Arc<NameGuard>, RenderError> {
        let changes = self.names.changes.load(Ordering::Acquire);
        if let Some((built, guard)) = self.names.guard.read().unwrap_or_else(|p| p.into_inner()).as_ref()
            && *built == changes
        {
            return Ok(guard.clone());
        }
        let guard = Arc::new(NameGuard::new(self.store.protected_names()?));
        let mut kept = self.names.guard.write().unwrap_or_else(|p| p.into_inner());
        if self.names.changes.load(Ordering::Acquire) == changes {
            *kept = Some((changes, guard.clone()));
        }
        Ok(guard)
    }

    /// Forgets the name guard, after content changed (it may have brought
    /// a new name); the next page builds it again.
    pub fn forget_names(&self) {
        self.names.changes.fetch_add(1, Ordering::AcqRel);
        *self.names.guard.write().unwrap_or_else(|p| p.into_inner()) = None;
    }

    /// Refuses a page that would show a protected name: its body (text,
    /// attributes, addresses), its download name.
    pub fn guard_page(&self, path: &str, page: &Rendered) -> Result<(), RenderError> {
        let guard = self.name_guard()?;
        let leaks = guard.find_in_page(page.content_type, &page.body).is_some()
            || page.attachment.as_deref().is_some_and(|a| guard.find_in_text(a).is_some());
        if leaks { Err(withheld(&guard, path)) } else { Ok(()) }
    }

    /// Whether a page made before may be sent now: none of the names
    /// protected now is in it. False when the names cannot be read.
    pub fn still_safe(&self, page: &crate::CachedPage) -> bool {
        let Ok(guard) = self.name_guard() else { return false };
        guard.find_in_page(page.content_type, &page.identity).is_none()
            && page.attachment.as_deref().is_none_or(|a| guard.find_in_text(a).is_none())
    }

    /// Renders whatever lives at `path`, refusing (`Withheld`) a page or
    /// a redirect that would show a protected name.
    pub fn resolve(&self, path: &str) -> Result<Outcome, RenderError> {
        let outcome = self.resolve_unguarded(path)?;
        match &outcome {
            Outcome::Page(page) => self.guard_page(path, page)?,
            Outcome::Redirect(to) => {
                let guard = self.name_guard()?;
                if guard.find_in_text(to).is_some() {
                    return Err(withheld(&guard, to));
                }
            }
            Outcome::NotFound(_) => {}
        }
        Ok(outcome)
    }
}

/// The error for a page withheld at `path`, with every segment of the
/// path that holds a name replaced by `…` (the log must not hold it).
fn withheld(guard: &NameGuard, path: &str) -> RenderError {
    let shown: Vec<&str> =
        path.split('/').map(|segment| if guard.find_in_text(segment).is_some() { "…" } else { segment }).collect();
    RenderError::Withheld { path: shown.join("/") }
}
