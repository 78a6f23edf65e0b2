//! The template environment: files embedded in the binary, each
//! overridable by a file of the same name in `theme/templates/`.
//! Undefined variables are errors, so a template mistake fails a test
//! instead of rendering blank.

use std::path::{Path, PathBuf};

use minijinja::{AutoEscape, Environment, Output, State, UndefinedBehavior, Value};

use crate::RenderError;

/// Every template the site uses, embedded at build time.
pub const EMBEDDED: &[(&str, &str)] = &[
    ("base.html", include_str!("../../../templates/base.html")),
    ("home.html", include_str!("../../../templates/home.html")),
    ("article.html", include_str!("../../../templates/article.html")),
    ("page.html", include_str!("../../../templates/page.html")),
    ("mirrors.html", include_str!("../../../templates/mirrors.html")),
    ("appeal_file.html", include_str!("../../../templates/appeal_file.html")),
    ("news_list.html", include_str!("../../../templates/news_list.html")),
    ("_news_list.html", include_str!("../../../templates/_news_list.html")),
    ("translation_missing.html", include_str!("../../../templates/translation_missing.html")),
    ("message.html", include_str!("../../../templates/message.html")),
    ("search.html", include_str!("../../../templates/search.html")),
    ("feed.xml", include_str!("../../../templates/feed.xml")),
    ("sitemap.xml", include_str!("../../../templates/sitemap.xml")),
    ("sitemap_index.xml", include_str!("../../../templates/sitemap_index.xml")),
    ("robots.txt", include_str!("../../../templates/robots.txt")),
    ("export/redirect.html", include_str!("../../../templates/export/redirect.html")),
    ("export/index.html", include_str!("../../../templates/export/index.html")),
    ("appeals.html", include_str!("../../../templates/appeals.html")),
    ("appeal.html", include_str!("../../../templates/appeal.html")),
    ("contact.html", include_str!("../../../templates/contact.html")),
    ("unsubscribe.html", include_str!("../../../templates/unsubscribe.html")),
    ("subscribe_confirm.html", include_str!("../../../templates/subscribe_confirm.html")),
    ("newsletters.html", include_str!("../../../templates/newsletters.html")),
    ("newsletter.html", include_str!("../../../templates/newsletter.html")),
    ("admin/base.html", include_str!("../../../templates/admin/base.html")),
    ("admin/login.html", include_str!("../../../templates/admin/login.html")),
    ("admin/dashboard.html", include_str!("../../../templates/admin/dashboard.html")),
    ("admin/_rows.html", include_str!("../../../templates/admin/_rows.html")),
    ("admin/_diff.html", include_str!("../../../templates/admin/_diff.html")),
    ("admin/items.html", include_str!("../../../templates/admin/items.html")),
    ("admin/edit.html", include_str!("../../../templates/admin/edit.html")),
    ("admin/history.html", include_str!("../../../templates/admin/history.html")),
    ("admin/confirm.html", include_str!("../../../templates/admin/confirm.html")),
    ("admin/review.html", include_str!("../../../templates/admin/review.html")),
    ("admin/kept.html", include_str!("../../../templates/admin/kept.html")),
    ("admin/message.html", include_str!("../../../templates/admin/message.html")),
    ("admin/users.html", include_str!("../../../templates/admin/users.html")),
    ("admin/subscribers.html", include_str!("../../../templates/admin/subscribers.html")),
    ("admin/subscriber.html", include_str!("../../../templates/admin/subscriber.html")),
    ("admin/subscribers_import.html", include_str!("../../../templates/admin/subscribers_import.html")),
    ("admin/media_faces.html", include_str!("../../../templates/admin/media_faces.html")),
    ("admin/account.html", include_str!("../../../templates/admin/account.html")),
    ("admin/recovery_codes.html", include_str!("../../../templates/admin/recovery_codes.html")),
    ("admin/restore.html", include_str!("../../../templates/admin/restore.html")),
    ("admin/audit.html", include_str!("../../../templates/admin/audit.html")),
    ("admin/media.html", include_str!("../../../templates/admin/media.html")),
    ("admin/settings.html", include_str!("../../../templates/admin/settings.html")),
    ("admin/faq.html", include_str!("../../../templates/admin/faq.html")),
    ("admin/menu.html", include_str!("../../../templates/admin/menu.html")),
    ("admin/_languages.html", include_str!("../../../templates/admin/_languages.html")),
    ("admin/inbox.html", include_str!("../../../templates/admin/inbox.html")),
    ("admin/newsletters.html", include_str!("../../../templates/admin/newsletters.html")),
    ("admin/inbox_message.html", include_str!("../../../templates/admin/inbox_message.html")),
];

/// Escapes the five characters that matter in HTML text and quoted
/// attributes (`& < > " '`) with the one escape function of the project.
fn html_formatter(out: &mut Output, state: &mut State, value: &Value) -> Result<(), minijinja::Error> {
    let text = match value.as_str() {
        Some(text) if matches!(state.auto_escape(), AutoEscape::Html) && !value.is_safe() => text,
        _ => return minijinja::escape_formatter(out, state, value),
    };
    refuge_core::markdown::write_escaped(out, text).map_err(minijinja::Error::from)
}

/// Builds the environment; every template is compiled once here, so a
/// broken theme file is reported at start with its name and line.
pub fn environment(theme_dir: Option<&Path>) -> Result<Environment<'static>, RenderError> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    let syntax = minijinja::syntax::SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .build()
        .map_err(|e| RenderError::Template(e.to_string()))?;
    env.set_syntax(syntax);
    env.set_formatter(html_formatter);
    // `{{ lang|tag }}`: a language code as a BCP 47 tag (`zh` → `zh-Hans`).
    env.add_filter("tag", |code: String| refuge_core::lang::bcp47(&code));
    // `{{ count|grouped(t.digit_group) }}`: 12345 → `12,345` (the language's
    // separator between groups of three digits).
    env.add_filter("grouped", |n: i64, separator: String| grouped(n, &separator));
    let theme: Option<PathBuf> = theme_dir.map(|d| d.join("templates"));
    for (name, embedded) in EMBEDDED {
        let override_path = theme.as_ref().map(|d| d.join(name)).filter(|p| p.is_file());
        let source = match &override_path {
            Some(path) => {
                std::fs::read_to_string(path).map_err(|e| RenderError::Template(format!("{}: {e}", path.display())))?
            }
            None => (*embedded).to_owned(),
        };
        env.add_template_owned(*name, source).map_err(|e| {
            let origin = override_path.map_or_else(|| format!("templates/{name}"), |p| p.display().to_string());
            RenderError::Template(format!("{origin}: {e}"))
        })?;
    }
    Ok(env)
}

/// `n` with `separator` between groups of three digits.
pub fn grouped(n: i64, separator: &str) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 * separator.len() + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push_str(separator);
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_grouped_by_three_digits() {
        assert_eq!(grouped(0, ","), "0");
        assert_eq!(grouped(999, ","), "999");
        assert_eq!(grouped(1000, ","), "1,000");
        assert_eq!(grouped(123_456_789, ","), "123,456,789");
        assert_eq!(grouped(-12_345, "."), "-12.345");
        assert_eq!(grouped(1_000_000, "\u{202f}"), "1\u{202f}000\u{202f}000");
    }

    #[test]
    fn embedded_templates_compile() {
        let env = environment(None).unwrap();
        for (name, _) in EMBEDDED {
            env.get_template(name).unwrap();
        }
    }

    #[test]
    fn a_broken_theme_template_names_its_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("templates")).unwrap();
        std::fs::write(dir.path().join("templates/home.html"), "{% if %}").unwrap();
        let err = environment(Some(dir.path())).unwrap_err().to_string();
        assert!(err.contains("home.html"), "{err}");
    }

    #[test]
    fn html_is_escaped() {
        let env = environment(None).unwrap();
        let out = env.render_str("{{ x }}", minijinja::context! { x => "<b>" }).unwrap();
        // render_str has no .html name, so use a named template:
        assert_eq!(out, "<b>");
        let mut env = env;
        env.add_template("t.html", "{{ x }}").unwrap();
        let out = env.get_template("t.html").unwrap().render(minijinja::context! { x => "<b>\"" }).unwrap();
        assert_eq!(out, "&lt;b&gt;&quot;");
        let out = env.get_template("t.html").unwrap().render(minijinja::context! { x => "/a/b?c=1&d='" }).unwrap();
        assert_eq!(out, "/a/b?c=1&amp;d=&#39;");
    }
}
