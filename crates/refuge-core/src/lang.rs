//! Language codes.

use std::fmt;

/// A language code such as `en`, `ja` or `zh-hant`: 2–3 ASCII letters,
/// optionally followed by one subtag of 2–8 letters or digits. Stored lower-case.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct Language(String);

/// Why a text is not a language code.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("`{0}` is not a language code (expected something like `en`, `ja` or `zh-hant`)")]
pub struct LanguageError(pub String);

/// [`Language::tag`] for a code given as text (templates use it as the
/// `tag` filter); text that is not a code comes back as it was.
pub fn bcp47(code: &str) -> String {
    if code == "zh" {
        return "zh-Hans".into();
    }
    let mut parts = code.split('-');
    let mut out = parts.next().unwrap_or_default().to_ascii_lowercase();
    for sub in parts {
        out.push('-');
        match sub.len() {
            4 if sub.bytes().all(|b| b.is_ascii_alphabetic()) => {
                out.push_str(&sub[..1].to_ascii_uppercase());
                out.push_str(&sub[1..].to_ascii_lowercase());
            }
            2 => out.push_str(&sub.to_ascii_uppercase()),
            _ => out.push_str(sub),
        }
    }
    out
}

impl Language {
    /// Parses and normalises a language code.
    pub fn parse(text: &str) -> Result<Self, LanguageError> {
        let lower = text.trim().to_ascii_lowercase();
        let mut parts = lower.split('-');
        let primary = parts.next().unwrap_or_default();
        let primary_ok = (2..=3).contains(&primary.len()) && primary.bytes().all(|b| b.is_ascii_lowercase());
        let rest: Vec<&str> = parts.collect();
        let rest_ok = match rest.as_slice() {
            [] => true,
            [sub] => (2..=8).contains(&sub.len()) && sub.bytes().all(|b| b.is_ascii_alphanumeric()),
            _ => false,
        };
        if primary_ok && rest_ok { Ok(Self(lower)) } else { Err(LanguageError(text.chars().take(40).collect())) }
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The code as a BCP 47 tag for `lang` and `hreflang` attributes:
    /// `zh` (Refuge's Simplified Chinese, at `/zh/`) is `zh-Hans`; a
    /// script subtag is title case (`zh-Hant`), a region upper case
    /// (`pt-BR`).
    pub fn tag(&self) -> String {
        bcp47(&self.0)
    }

    /// The primary subtag (`zh` for `zh-hant`).
    pub fn primary(&self) -> &str {
        self.0.split('-').next().unwrap_or(&self.0)
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Language {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Language::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Picks the best of `available` for an `Accept-Language` header value,
/// honouring quality values; `None` when nothing matches.
pub fn negotiate<'a>(header: &str, available: &'a [Language]) -> Option<&'a Language> {
    let mut best: Option<(f32, usize, &'a Language)> = None;
    for (index, part) in header.split(',').take(32).enumerate() {
        let mut pieces = part.split(';');
        let tag = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
        let quality =
            pieces.find_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.trim().parse::<f32>().ok())).unwrap_or(1.0);
        if quality <= 0.0 || tag.is_empty() {
            continue;
        }
        let found = available
            .iter()
            .find(|l| l.as_str() == tag)
            .or_else(|| available.iter().find(|l| l.primary() == tag.split('-').next().unwrap_or("")));
        if let Some(lang) = found {
            let better = match best {
                None => true,
                Some((q, i, _)) => quality > q || (quality == q && index < i),
            };
            if better {
                best = Some((quality, index, lang));
            }
        }
    }
    best.map(|(_, _, l)| l)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_for_attributes() {
        let tag = |c: &str| Language::parse(c).unwrap().tag();
        assert_eq!(tag("en"), "en");
        assert_eq!(tag("ko"), "ko");
        assert_eq!(tag("zh"), "zh-Hans");
        assert_eq!(tag("zh-hant"), "zh-Hant");
        assert_eq!(tag("pt-br"), "pt-BR");
        assert_eq!(bcp47("x-default"), "x-default");
    }

    fn langs() -> Vec<Language> {
        vec![Language::parse("en").unwrap(), Language::parse("ja").unwrap()]
    }

    #[test]
    fn parses_and_normalises() {
        assert_eq!(Language::parse("JA").unwrap().as_str(), "ja");
        assert_eq!(Language::parse("zh-Hant").unwrap().as_str(), "zh-hant");
        assert_eq!(Language::parse("zh-hant").unwrap().primary(), "zh");
    }

    #[test]
    fn rejects_garbage() {
        for bad in ["", "e", "english", "en-", "en_US", "../", "ja-jp-x", "日本", "en-toolongsubtag"] {
            assert!(Language::parse(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn negotiates_accept_language() {
        let l = langs();
        assert_eq!(negotiate("ja,en;q=0.8", &l).unwrap().as_str(), "ja");
        assert_eq!(negotiate("ja-JP", &l).unwrap().as_str(), "ja");
        assert_eq!(negotiate("fr, en;q=0.5, ja;q=0.9", &l).unwrap().as_str(), "ja");
        assert_eq!(negotiate("en-GB,en;q=0.9", &l).unwrap().as_str(), "en");
        assert!(negotiate("fr, de", &l).is_none());
        assert!(negotiate("ja;q=0", &l).is_none());
        assert!(negotiate(";;;,,q=", &l).is_none());
    }
}
