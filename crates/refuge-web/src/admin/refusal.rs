//! What the name guard refused (`refuge_app::release`), said to the
//! editor in their language: the field, the text as typed, what to do.

use super::Admin;

/// What the name guard refused, in the person's language: the field, the
/// text as typed and what to do (`None` for any other error).
pub fn release_problem(admin: &Admin, e: &refuge_app::AppError) -> Option<String> {
    use refuge_app::AppError;
    let t = &admin.t;
    let field = |key: &str| t.get(&format!("admin_field_{key}")).to_owned();
    match e {
        AppError::Markup { field: f, error } => Some(
            t.get("admin_markup_problem")
                .replace("{field}", &field(f))
                .replace("{problem}", &t.get(&format!("admin_{}", error.key())).replace("{quote}", error.quote())),
        ),
        AppError::Leak { field: f, part } => {
            Some(t.get("admin_name_leak").replace("{field}", &field(f)).replace("{part}", part))
        }
        AppError::MissingAlt { images } => {
            Some(t.get("admin_image_without_alt").replace("{images}", &images.join(", ")))
        }
        _ => None,
    }
}
