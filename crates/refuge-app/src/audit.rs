//! The audit line every use case writes once its change stands.

use refuge_core::AuditLog;

/// Records an event that changes nothing of the site but belongs in the
/// audit log (a sign-in, an export, a test mail): logged when it cannot be
/// written, never shown to the person.
pub fn event<S: AuditLog + ?Sized>(store: &S, actor: &str, action: &str, subject: &str, detail: &str) {
    record(store, actor, action, subject, detail);
}

/// Records who did what. The change already stands, so a line that
/// cannot be written is logged, not shown to the person who acted.
pub(crate) fn record<S: AuditLog + ?Sized>(store: &S, actor: &str, action: &str, subject: &str, detail: &str) {
    if let Err(e) = store.record(actor, action, subject, detail) {
        tracing::error!(error = %e, action, "could not write the audit log");
    }
}
