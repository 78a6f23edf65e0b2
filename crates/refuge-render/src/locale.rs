//! Interface strings per language, and date formatting.
//!
//! English, Japanese, Korean and Simplified Chinese (`zh`) are embedded;
//! the back office's strings exist in English and Japanese. A theme may
//! override any string in `theme/locales/{lang}.toml` and add languages. A
//! configured language without public strings of its own falls back to
//! English, with a warning.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;

use refuge_core::Language;
use time::OffsetDateTime;

use crate::RenderError;

/// Public strings and back-office strings (when there are), per language.
const EMBEDDED: &[(&str, &str, Option<&str>)] = &[
    ("en", include_str!("../../../locales/en.toml"), Some(include_str!("../../../locales/admin.en.toml"))),
    ("ja", include_str!("../../../locales/ja.toml"), Some(include_str!("../../../locales/admin.ja.toml"))),
    ("ko", include_str!("../../../locales/ko.toml"), None),
    ("zh", include_str!("../../../locales/zh.toml"), None),
];

/// Strings by key.
type Table = BTreeMap<String, String>;

/// A language's embedded strings, and whether the back office's are among them.
fn embedded(code: &str) -> Result<Option<(Table, bool)>, RenderError> {
    let Some((_, public, admin)) = EMBEDDED.iter().find(|(c, _, _)| *c == code) else { return Ok(None) };
    let mut strings = parse(public, &format!("locales/{code}.toml"))?;
    if let Some(admin) = admin {
        strings.extend(parse(admin, &format!("locales/admin.{code}.toml"))?);
    }
    Ok(Some((strings, admin.is_some())))
}

/// The strings of one language.
#[derive(Debug, Clone)]
pub struct Strings(Arc<BTreeMap<String, String>>, bool);

/// Templates look strings up one by one (`t.key`) from this object,
/// rather than receiving a copy of every string with each page.
#[derive(Debug)]
struct StringsObject(Arc<BTreeMap<String, String>>);

impl minijinja::value::Object for StringsObject {
    fn get_value(self: &Arc<Self>, key: &minijinja::Value) -> Option<minijinja::Value> {
        self.0.get(key.as_str()?).map(|s| minijinja::Value::from(s.as_str()))
    }

    fn enumerate(self: &Arc<Self>) -> minijinja::value::Enumerator {
        minijinja::value::ObjectExt::mapped_enumerator(self, |this| {
            Box::new(this.0.keys().map(|k| minijinja::Value::from(k.as_str())))
        })
    }
}

impl serde::Serialize for Strings {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if minijinja::value::serializing_for_value() {
            minijinja::Value::from_object(StringsObject(self.0.clone())).serialize(serializer)
        } else {
            self.0.serialize(serializer)
        }
    }
}

impl Strings {
    /// Whether the back office has strings of its own in this language
    /// (else it is shown in another of the site's).
    pub fn has_back_office(&self) -> bool {
        self.1
    }

    /// The string for `key` (the key itself if missing, which a test forbids).
    pub fn get<'a>(&'a self, key: &'a str) -> &'a str {
        self.0.get(key).map_or(key, String::as_str)
    }

    /// An item's date: its day, or its month alone when the item is dated
    /// by its month only (`July 2002`, `2002年7月`).
    pub fn item_date(&self, date: OffsetDateTime, month_only: bool) -> String {
        if !month_only {
            return self.date(date);
        }
        let month = self.get(&format!("month_{}", u8::from(date.month()))).to_owned();
        self.get("month_format").replace("{month}", &month).replace("{year}", &date.year().to_string())
    }

    /// A day stored as `YYYY-MM-DD`, as this language writes it
    /// (`15 January 2027`, `2027年1月15日`); anything else as it is.
    pub fn day(&self, iso: &str) -> String {
        time::Date::parse(iso.trim(), time::macros::format_description!("[year]-[month]-[day]"))
            .map_or_else(|_| iso.to_owned(), |d| self.date(d.midnight().assume_utc()))
    }

    /// A date in this language's style, e.g. `20 July 2002` or `2002年7月20日`.
    pub fn date(&self, date: OffsetDateTime) -> String {
        let month = self.get(&format!("month_{}", u8::from(date.month()))).to_owned();
        self.get("date_format")
            .replace("{day}", &date.day().to_string())
            .replace("{month}", &month)
            .replace("{year}", &date.year().to_string())
    }
}

/// Sorts `items` by their names as readers of `lang` expect them (CLDR
/// collation: Japanese kana in gojūon order and kanji by JIS order, which
/// follows their readings; Chinese by pinyin; Korean in dictionary order;
/// accents after plain letters). A language without rules of its own gets
/// the root collation.
pub fn sort_names<T>(lang: &Language, items: &mut [T], name: impl Fn(&T) -> &str) {
    let collator = icu_locale_core::Locale::try_from_str(&lang.tag())
        .ok()
        .and_then(|locale| icu_collator::Collator::try_new((&locale).into(), Default::default()).ok());
    match collator {
        Some(c) => items.sort_by(|a, b| c.compare(name(a), name(b)).then_with(|| name(a).cmp(name(b)))),
        None => items.sort_by(|a, b| name(a).cmp(name(b))),
    }
}

fn parse(text: &str, origin: &str) -> Result<BTreeMap<String, String>, RenderError> {
    toml::from_str(text).map_err(|e| RenderError::Locale(format!("{origin}: {e}")))
}

/// Strings for every configured language.
#[derive(Debug)]
pub struct Locales {
    by_lang: HashMap<Language, Arc<Strings>>,
}

impl Locales {
    /// Loads strings for `languages`, with overrides from `theme_dir/locales/`.
    pub fn load(languages: &[Language], theme_dir: Option<&Path>) -> Result<Self, RenderError> {
        let (english, _) = embedded("en")?.unwrap_or_default();
        let public =
            EMBEDDED.first().map(|(code, text, _)| parse(text, &format!("locales/{code}.toml"))).transpose()?;
        let public = public.unwrap_or_default();
        let mut by_lang = HashMap::new();
        for lang in languages {
            let (mut strings, back_office) = embedded(lang.as_str())?.unwrap_or_default();
            if let Some(dir) = theme_dir {
                let path = dir.join("locales").join(format!("{lang}.toml"));
                if path.is_file() {
                    let text = std::fs::read_to_string(&path)
                        .map_err(|e| RenderError::Locale(format!("{}: {e}", path.display())))?;
                    strings.extend(parse(&text, &path.display().to_string())?);
                }
            }
            // Only the public strings are expected in every language: the
            // back office's come from English where a language has none.
            let missing: Vec<&String> = public.keys().filter(|k| !strings.contains_key(*k)).collect();
            if !missing.is_empty() {
                tracing::warn!(
                    %lang,
                    missing = missing.len(),
                    "interface strings missing for this language; English is used for them (add theme/locales/{lang}.toml)"
                );
            }
            for (key, value) in &english {
                strings.entry(key.clone()).or_insert_with(|| value.clone());
            }
            by_lang.insert(lang.clone(), Arc::new(Strings(Arc::new(strings), back_office)));
        }
        Ok(Self { by_lang })
    }

    /// Strings of `lang` (which must be configured).
    pub fn get(&self, lang: &Language) -> Arc<Strings> {
        self.by_lang.get(lang).cloned().unwrap_or_else(|| {
            // Only configured languages reach rendering; keep going anyway.
            self.by_lang.values().next().cloned().unwrap_or_else(|| Arc::new(Strings(Arc::new(BTreeMap::new()), false)))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn lang(code: &str) -> Language {
        Language::parse(code).unwrap()
    }

    #[test]
    fn names_sort_by_each_languages_rules() {
        let sorted = |code: &str, names: &[&'static str]| {
            let mut v = names.to_vec();
            sort_names(&lang(code), &mut v, |s| s);
            v
        };
        // English: case and accents do not scatter the list.
        assert_eq!(sorted("en", &["zebra", "Émigré", "apple", "Border"]), ["apple", "Border", "Émigré", "zebra"]);
        // Chinese by pinyin: 北京 (běi), 难民 (nàn), 中国 (zhōng), not by code point.
        assert_eq!(sorted("zh", &["中国", "难民", "北京"]), ["北京", "难民", "中国"]);
        // Korean dictionary order: 가 나 다 … 하.
        assert_eq!(sorted("ko", &["탈북", "난민", "국경", "인권"]), ["국경", "난민", "인권", "탈북"]);
        // Japanese: kana in gojūon order, hiragana and katakana together,
        // before kanji.
        assert_eq!(
            sorted("ja", &["ニュース", "あいさつ", "難民", "かぞく"]),
            ["あいさつ", "かぞく", "ニュース", "難民"]
        );
    }

    #[test]
    fn every_embedded_language_has_every_key() {
        let (en, _) = embedded("en").unwrap().unwrap();
        let (ja, _) = embedded("ja").unwrap().unwrap();
        let en_keys: Vec<_> = en.keys().collect();
        let ja_keys: Vec<_> = ja.keys().collect();
        assert_eq!(en_keys, ja_keys);
        assert!(ja.values().all(|v| !v.trim().is_empty()));
        // Korean and Chinese: every public key, none other, none empty,
        // and the same {placeholders} as English.
        let public = parse(EMBEDDED[0].1, "en").unwrap();
        for code in ["ko", "zh"] {
            let (strings, back_office) = embedded(code).unwrap().unwrap();
            assert!(!back_office);
            assert_eq!(strings.keys().collect::<Vec<_>>(), public.keys().collect::<Vec<_>>(), "{code}");
            for (key, value) in &strings {
                assert!(!value.trim().is_empty(), "{code}: {key} is empty");
                let holes = |t: &str| {
                    let mut v: Vec<String> =
                        t.split('{').skip(1).filter_map(|p| p.split_once('}')).map(|(h, _)| h.to_owned()).collect();
                    v.sort();
                    v
                };
                assert_eq!(holes(value), holes(&public[key]), "{code}: {key} has other placeholders");
            }
        }
    }

    #[test]
    fn dates_per_language() {
        let all = [lang("en"), lang("ja"), lang("ko"), lang("zh")];
        let locales = Locales::load(&all, None).unwrap();
        let d = datetime!(2002-07-20 12:00 UTC);
        assert_eq!(locales.get(&lang("en")).date(d), "20 July 2002");
        assert_eq!(locales.get(&lang("ja")).date(d), "2002年7月20日");
        assert_eq!(locales.get(&lang("ko")).date(d), "2002년 7월 20일");
        assert_eq!(locales.get(&lang("zh")).date(d), "2002年7月20日");
        let month = [("en", "July 2002"), ("ja", "2002年7月"), ("ko", "2002년 7월"), ("zh", "2002年7月")];
        for (code, shown) in month {
            assert_eq!(locales.get(&lang(code)).item_date(d, true), shown);
        }
        assert_eq!(locales.get(&lang("en")).item_date(d, false), "20 July 2002");
        // The back office stays in English and Japanese; Korean and Chinese
        // pages still have every back-office key (in English).
        assert!(locales.get(&lang("ja")).has_back_office() && !locales.get(&lang("ko")).has_back_office());
        let en = locales.get(&lang("en"));
        let ko = locales.get(&lang("ko"));
        assert_eq!(ko.get("search_button"), "검색");
        assert!(en.0.keys().all(|k| ko.0.contains_key(k)));
    }

    #[test]
    fn theme_overrides_and_new_languages() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("locales")).unwrap();
        std::fs::write(dir.path().join("locales/en.toml"), "search_button = \"Find\"\n").unwrap();
        std::fs::write(dir.path().join("locales/ko.toml"), "search_button = \"찾기\"\n").unwrap();
        std::fs::write(dir.path().join("locales/eo.toml"), "language_name = \"Esperanto\"\n").unwrap();
        let locales = Locales::load(&[lang("en"), lang("ko"), lang("eo")], Some(dir.path())).unwrap();
        assert_eq!(locales.get(&lang("en")).get("search_button"), "Find");
        assert_eq!(locales.get(&lang("ko")).get("search_button"), "찾기", "a theme overrides a built-in language");
        assert_eq!(locales.get(&lang("ko")).get("search_title"), "검색");
        assert_eq!(locales.get(&lang("eo")).get("language_name"), "Esperanto");
        assert_eq!(locales.get(&lang("eo")).get("search_title"), "Search", "falls back to English");
        std::fs::write(dir.path().join("locales/en.toml"), "search_button = [").unwrap();
        let err = Locales::load(&[lang("en")], Some(dir.path())).unwrap_err();
        assert!(err.to_string().contains("en.toml"), "{err}");
    }
}
