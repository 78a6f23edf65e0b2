//! URL slugs.

use std::fmt;

use crate::redaction::PublicText;

/// Words that cannot be slugs because they name routes of their own.
pub const RESERVED: &[&str] = &[
    "news",
    "appeals",
    "search",
    "page",
    "category",
    "tag",
    "feed.xml",
    "newsletter",
    "admin",
    "static",
    "media",
    "home",
];

/// The last path segment of an article or page URL: 1–80 characters of
/// lower-case ASCII letters, digits and single hyphens, not all digits
/// (those are year archives) and not a reserved word.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct Slug(String);

/// Why a text is not a slug.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SlugError {
    #[error("a slug must be 1 to 80 characters long")]
    Length,
    #[error("a slug may contain only lower-case letters a–z, digits and single hyphens between them")]
    Characters,
    #[error("a slug cannot be only digits (those URLs are year archives)")]
    Numeric,
    #[error("`{0}` is reserved for a part of the site; choose another slug")]
    Reserved(String),
}

impl Slug {
    /// The page the FAQ entries are shown on (`/{lang}/faq/`).
    pub fn faq() -> Self {
        Self("faq".to_owned())
    }

    /// The page the contact form is shown on (`/{lang}/contact/`).
    pub fn contact() -> Self {
        Self("contact".to_owned())
    }

    /// Validates a slug exactly as given.
    pub fn parse(text: &str) -> Result<Self, SlugError> {
        if text.is_empty() || text.len() > 80 {
            return Err(SlugError::Length);
        }
        let chars_ok = text.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !chars_ok || text.starts_with('-') || text.ends_with('-') || text.contains("--") {
            return Err(SlugError::Characters);
        }
        if text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(SlugError::Numeric);
        }
        if RESERVED.contains(&text) {
            return Err(SlugError::Reserved(text.to_owned()));
        }
        Ok(Self(text.to_owned()))
    }

    /// Makes a slug from a title as readers see it (a [`PublicText`]: a
    /// name marked in the title never reaches the address): ASCII letters
    /// and digits kept, everything else folded into hyphens. Returns `None`
    /// when nothing usable remains (for example a title written only in
    /// Japanese).
    pub fn suggest(title: &PublicText) -> Option<Self> {
        Self::from_text(title.as_str())
    }

    fn from_text(title: &str) -> Option<Self> {
        let mut out = String::new();
        for c in title.chars() {
            let c = c.to_ascii_lowercase();
            if c.is_ascii_lowercase() || c.is_ascii_digit() {
                out.push(c);
            } else if !out.is_empty() && !out.ends_with('-') {
                out.push('-');
            }
            if out.len() >= 72 {
                break;
            }
        }
        let trimmed = out.trim_matches('-');
        match Self::parse(trimmed) {
            Ok(slug) => Some(slug),
            Err(SlugError::Numeric | SlugError::Reserved(_)) => Self::parse(&format!("{trimmed}-1")).ok(),
            Err(_) => None,
        }
    }

    /// The slug as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn the_named_pages_are_valid_slugs() {
        assert_eq!(Slug::parse("faq").unwrap(), Slug::faq());
        assert_eq!(Slug::parse("contact").unwrap(), Slug::contact());
    }

    use super::*;

    #[test]
    fn accepts_good_slugs() {
        for good in ["about", "what-we-do", "report-2002", "a", "x1"] {
            assert_eq!(Slug::parse(good).unwrap().as_str(), good);
        }
    }

    #[test]
    fn rejects_bad_slugs() {
        assert_eq!(Slug::parse(""), Err(SlugError::Length));
        assert_eq!(Slug::parse(&"a".repeat(81)), Err(SlugError::Length));
        for bad in ["About", "a b", "a--b", "-a", "a-", "a/b", "..", "難民", "a_b", "%2e"] {
            assert_eq!(Slug::parse(bad), Err(SlugError::Characters), "{bad}");
        }
        assert_eq!(Slug::parse("2002"), Err(SlugError::Numeric));
        assert!(matches!(Slug::parse("page"), Err(SlugError::Reserved(_))));
    }

    #[test]
    fn suggests_from_titles() {
        assert_eq!(Slug::from_text("China's Two-Faced Policy").unwrap().as_str(), "china-s-two-faced-policy");
        assert_eq!(Slug::from_text("  Report: July 2002!  ").unwrap().as_str(), "report-july-2002");
        assert_eq!(Slug::from_text("2002").unwrap().as_str(), "2002-1");
        assert!(Slug::from_text("北朝鮮難民").is_none());
    }

    #[test]
    fn titles_make_addresses_without_the_names_they_mark() {
        let title =
            crate::redaction::Redaction::hidden("en").apply("Urgent: [[name:Park Ji-hoon]] faces forced return");
        assert_eq!(Slug::suggest(&title).unwrap().as_str(), "urgent-p-j-faces-forced-return");
        let korean = crate::redaction::Redaction::hidden("en").apply("[[name:김민지]] detained");
        assert_eq!(Slug::suggest(&korean).unwrap().as_str(), "name-withheld-detained");
    }

    #[test]
    fn every_suggestion_parses() {
        let samples = ["", "---", "a", "News", "x".repeat(300).as_str(), "Ünïcödé títle", "page", "日本 2024 report"]
            .map(str::to_owned);
        for s in samples {
            if let Some(slug) = Slug::from_text(&s) {
                assert!(Slug::parse(slug.as_str()).is_ok(), "{s:?} gave {slug}");
            }
        }
    }
}
