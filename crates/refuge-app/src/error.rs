//! What a use case reports when it cannot do what was asked.

use refuge_core::StoreError;

/// Why a use case failed. The web layer maps each to a status and a
/// translated message; the detail of a storage failure is for the log.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// What was asked for does not exist (or no longer).
    #[error("not found: {0}")]
    NotFound(String),
    /// The account's role or languages do not allow it.
    #[error("not allowed for this account")]
    Forbidden,
    /// Not to one's own account (an admin cannot delete or demote
    /// themselves).
    #[error("not to one's own account")]
    OwnAccount,
    /// Another record already holds this (an address, a slug); the text
    /// names it for the person who typed it.
    #[error("{0}")]
    Conflict(String),
    /// The item was saved by someone else since the revision the change
    /// was made from (`latest`): nothing was written.
    #[error("the item was saved meanwhile (revision {latest})")]
    Stale { latest: i64 },
    /// What was sent cannot be stored as it is; the text says why.
    #[error("{0}")]
    Invalid(String),
    /// Redaction markup that is almost right in a field (it would print
    /// the name): refused, nothing written.
    #[error("{field}: {error}")]
    Markup { field: &'static str, error: refuge_core::redaction::MarkupError },
    /// What would be made public shows a protected name (or its given
    /// name) in a field: refused, nothing written or sent.
    #[error("{field} would show “{part}”, part of a name hidden with [[name:…]] on this site")]
    Leak { field: &'static str, part: String },
    /// Images in the text (named by their address) say nothing of what
    /// they show: an item cannot go online so, by any path.
    #[error("images without alternative text: {}", images.join(", "))]
    MissingAlt { images: Vec<String> },
    /// The disk is full: nothing was written.
    #[error("the disk is full: {0}")]
    DiskFull(String),
    /// The database failed; nothing of the action was written.
    #[error("storage failed: {0}")]
    Storage(String),
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => AppError::NotFound(what),
            StoreError::Conflict(text) => AppError::Conflict(text),
            StoreError::Invalid(text) => AppError::Invalid(text),
            StoreError::Full(detail) => AppError::DiskFull(detail),
            StoreError::Backend(detail) => AppError::Storage(detail),
            StoreError::Stale { latest } => AppError::Stale { latest },
        }
    }
}

impl AppError {
    /// Why, in a few words that never quote what was typed (for the audit
    /// log and the server log: a refusal's detail may hold part of a name).
    pub fn reason(&self) -> &'static str {
        match self {
            AppError::NotFound(_) => "not found",
            AppError::Forbidden | AppError::OwnAccount => "not allowed",
            AppError::Conflict(_) => "conflict",
            AppError::Stale { .. } => "saved meanwhile",
            AppError::Invalid(_) => "invalid",
            AppError::Markup { .. } => "malformed redaction markup",
            AppError::Leak { .. } => "a protected name",
            AppError::MissingAlt { .. } => "an image without alternative text",
            AppError::DiskFull(_) => "disk full",
            AppError::Storage(_) => "storage failed",
        }
    }

    /// The HTTP status that fits (the web layer's default mapping).
    pub fn status(&self) -> u16 {
        match self {
            AppError::NotFound(_) => 404,
            AppError::Forbidden | AppError::OwnAccount => 403,
            AppError::Conflict(_) | AppError::Stale { .. } => 409,
            AppError::Invalid(_) | AppError::Markup { .. } | AppError::Leak { .. } | AppError::MissingAlt { .. } => 422,
            AppError::DiskFull(_) => 507,
            AppError::Storage(_) => 500,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_errors_keep_their_meaning() {
        assert_eq!(AppError::from(StoreError::Full("x".into())).status(), 507);
        assert_eq!(AppError::from(StoreError::Backend("x".into())).status(), 500);
        assert_eq!(AppError::from(StoreError::Conflict("slug".into())).to_string(), "slug");
    }
}
