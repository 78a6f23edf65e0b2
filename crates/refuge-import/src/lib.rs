//! Reading old hand-written websites: HTML 3.2/4 with table layouts and
//! `<font>` tags, in the encodings Japanese and European sites used
//! (Shift_JIS, EUC-JP, ISO-2022-JP, Latin-1/Windows-1252, UTF-8).
//!
//! Owns: bytes to text ([`decode`]), HTML to Markdown ([`convert`]),
//! dates in text and file names ([`dates`]), and what repeats across
//! pages (navigation, footers: [`repeated_blocks`], [`title_affixes`]).
//! [`site`] puts a whole old site into Refuge through the storage traits.

pub mod convert;
pub mod dates;
pub mod decode;
pub mod site;

use std::collections::{HashMap, HashSet};

pub use convert::{Converted, KeepAbsolute, Resolver, convert};
pub use decode::{Decoded, EncodingSource, decode};

/// Blocks that appear on at least half of the pages (and on two or
/// more): navigation bars, footers, counters. Pages of one site repeat
/// them; articles do not.
pub fn repeated_blocks(pages: &[Vec<String>]) -> HashSet<String> {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for blocks in pages {
        let unique: HashSet<&str> = blocks.iter().map(String::as_str).collect();
        for block in unique {
            *counts.entry(block).or_default() += 1;
        }
    }
    let needed = pages.len().div_ceil(2).max(2);
    counts.into_iter().filter(|(_, n)| *n >= needed).map(|(b, _)| b.to_owned()).collect()
}

const SEPARATORS: &[&str] = &[" - ", " – ", " — ", " | ", ": ", " :: ", "：", "｜", " / ", "　", "・"];

/// The site name most `<title>`s share, as a prefix and/or suffix with a
/// separator (`"Refugee Aid - "`, `" | 難民支援"`), to cut from them.
pub fn title_affixes(titles: &[String]) -> (Option<String>, Option<String>) {
    let mut prefixes: HashMap<String, usize> = HashMap::new();
    let mut suffixes: HashMap<String, usize> = HashMap::new();
    for title in titles {
        let mut seen = HashSet::new();
        for sep in SEPARATORS {
            if let Some(at) = title.find(sep) {
                let prefix = title[..at + sep.len()].to_owned();
                if seen.insert(prefix.clone()) {
                    *prefixes.entry(prefix).or_default() += 1;
                }
            }
            if let Some(at) = title.rfind(sep) {
                let suffix = title[at..].to_owned();
                if seen.insert(suffix.clone()) {
                    *suffixes.entry(suffix).or_default() += 1;
                }
            }
        }
    }
    let needed = titles.len().div_ceil(2).max(2);
    let best = |m: HashMap<String, usize>| {
        m.into_iter().filter(|(_, n)| *n >= needed).max_by_key(|(a, n)| (*n, a.len())).map(|(a, _)| a)
    };
    (best(prefixes), best(suffixes))
}

/// A page's title without the site's name around it.
pub fn clean_title(title: &str, affixes: &(Option<String>, Option<String>)) -> String {
    let mut t = title;
    if let Some(p) = &affixes.0 {
        t = t.strip_prefix(p.as_str()).unwrap_or(t);
    }
    if let Some(s) = &affixes.1 {
        t = t.strip_suffix(s.as_str()).unwrap_or(t);
    }
    t.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_blocks_are_chrome() {
        let nav = "[Home](/en/) [News](/en/news/)".to_owned();
        let pages = vec![
            vec![nav.clone(), "First article".into()],
            vec![nav.clone(), "Second article".into(), "Second article".into()],
            vec!["Third article".into()],
        ];
        let repeated = repeated_blocks(&pages);
        assert!(repeated.contains(&nav));
        assert_eq!(repeated.len(), 1, "a block repeated within one page is content");
    }

    #[test]
    fn site_names_are_cut_from_titles() {
        let titles: Vec<String> =
            ["Refugee Aid - Two faces", "Refugee Aid - Appeal: Mr K", "Refugee Aid - About"].map(String::from).into();
        let affixes = title_affixes(&titles);
        assert_eq!(affixes.0.as_deref(), Some("Refugee Aid - "));
        assert_eq!(clean_title(&titles[1], &affixes), "Appeal: Mr K");
        let ja: Vec<String> = ["緊急アピール｜北朝鮮難民救援会", "活動報告｜北朝鮮難民救援会"].map(String::from).into();
        let affixes = title_affixes(&ja);
        assert_eq!(clean_title(&ja[0], &affixes), "緊急アピール");
    }
}
