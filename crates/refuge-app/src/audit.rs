//! The audit line every use case writes once its change stands.

use refuge_core::AuditLog;

/// Records who did what. The change already stands, so a line that
/// cannot be written is logged, not shown to the person who acted.
pub(crate) fn record<S: AuditLog + ?Sized>(store: &S, actor: &str, action: &str, subject: &str, detail: &str) {
    if let Err(e) = store.record(actor, action, subject, detail) {
        tracing::error!(error = %e, action, "could not write the audit log");
    }
}
