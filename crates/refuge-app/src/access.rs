//! Who may do what with an item. Roles come from the account; a
//! translator works only in their languages, and only on translations.

use refuge_core::{Item, Language, Role, Status, User};

/// What an account may do with an item in the editor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Save it directly.
    Save,
    /// Propose a change, kept aside for an editor's review while the
    /// published text stays online (a translator and a published
    /// translation in their language).
    Propose,
    /// Read it only (a translator and a source-language item).
    ReadOnly,
}

/// Editors and admins publish; translators do not.
pub fn can_edit(user: &User) -> bool {
    matches!(user.role, Role::Admin | Role::Editor)
}

pub fn access(user: &User, item: &Item) -> Access {
    match user.role {
        Role::Admin | Role::Editor => Access::Save,
        Role::Translator if item.translated_from.is_some() && user.languages.contains(&item.lang) => {
            if matches!(item.status, Status::Draft | Status::Review) { Access::Save } else { Access::Propose }
        }
        Role::Translator => Access::ReadOnly,
    }
}

/// May this account save this item directly?
pub fn may_edit(user: &User, item: &Item) -> bool {
    access(user, item) == Access::Save
}

/// May this account start a translation into `lang`?
pub fn may_translate_into(user: &User, lang: &Language) -> bool {
    can_edit(user) || user.languages.contains(lang)
}

/// The statuses this account may give an item.
pub fn statuses(user: &User) -> Vec<Status> {
    if can_edit(user) { Status::ALL.to_vec() } else { vec![Status::Draft, Status::Review] }
}

/// Admins only (accounts, the inbox): anyone else is refused.
pub fn admin_only(user: &User) -> Result<(), crate::AppError> {
    if user.role == Role::Admin { Ok(()) } else { Err(crate::AppError::Forbidden) }
}
