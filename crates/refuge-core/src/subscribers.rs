//! Bringing an existing mailing list in, and taking it out, as CSV.
//!
//! Columns: the address, and optionally the language, the topics and the
//! date joined. A first row naming them (`email`, `language`, `topics`,
//! `joined`, in any order) is recognised; without one the columns are taken
//! in that order. Every address is checked; the report says how many were
//! added, updated, unchanged and skipped, and why.

use std::collections::HashSet;

use time::OffsetDateTime;

use crate::{Email, ImportedSubscriber, Language, SubscriberRecord};

/// A topic of the mailing list: what a subscriber chose to receive.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Topic {
    /// News articles and newsletters (the default of a new issue).
    #[default]
    News,
    /// Urgent appeals and their updates.
    Appeals,
}

impl Topic {
    pub const ALL: [Topic; 2] = [Topic::News, Topic::Appeals];

    /// As stored and as forms send it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Topic::News => "news",
            Topic::Appeals => "appeals",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == text)
    }
}

impl serde::Serialize for Topic {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// Topics a subscription can have, as text.
pub const TOPICS: [&str; 2] = [Topic::News.as_str(), Topic::Appeals.as_str()];

/// The topics among `chosen` (form values), each once, in [`TOPICS`]
/// order; unknown values are ignored.
pub fn chosen_topics<'a>(chosen: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let chosen: Vec<&str> = chosen.into_iter().collect();
    TOPICS.iter().filter(|t| chosen.contains(t)).map(|t| (*t).to_owned()).collect()
}

/// Every topic (what an empty choice means when signing up).
pub fn all_topics() -> Vec<String> {
    TOPICS.iter().map(|t| (*t).to_owned()).collect()
}

/// One line that was not imported, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    /// 1-based line of the file.
    pub line: usize,
    pub reason: String,
}

/// What an import did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub added: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub suppressed: usize,
    pub skipped: Vec<Skipped>,
}

impl ImportReport {
    /// One line for people: `12 added, 3 updated, …`.
    pub fn summary(&self) -> String {
        format!(
            "{} added, {} updated, {} unchanged, {} skipped (removed or unsubscribed before), {} skipped (not importable)",
            self.added,
            self.updated,
            self.unchanged,
            self.suppressed,
            self.skipped.len()
        )
    }
}

/// The rows of a file, checked, before anything is stored.
#[derive(Clone, Debug, Default)]
pub struct ParsedList {
    /// (line, subscriber).
    pub rows: Vec<(usize, ImportedSubscriber)>,
    pub skipped: Vec<Skipped>,
    /// Columns of the header row that are not kept (a name, a note…):
    /// the list keeps only addresses, languages, topics and dates.
    pub ignored_columns: Vec<String>,
}

/// What a list's rows take when they do not say.
#[derive(Clone, Copy, Debug)]
pub struct ListDefaults<'a> {
    /// The language of rows without one.
    pub lang: &'a Language,
    /// The topics of rows without any.
    pub topics: &'a [String],
    /// The site's languages.
    pub languages: &'a [Language],
    /// For rows in a language the site does not have: this one, or
    /// (`None`) such rows are left out, each with its reason.
    pub other_language: Option<&'a Language>,
}

fn parse_date(text: &str) -> Option<OffsetDateTime> {
    let text = text.trim();
    if let Ok(t) = OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339) {
        return Some(t);
    }
    let date = text.get(..10)?;
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(&date.replace('/', "-"), &format).ok().map(|d| d.midnight().assume_utc())
}

fn parse_topics(text: &str) -> Result<Vec<String>, String> {
    let mut topics = Vec::new();
    for t in text.split([',', ';', ' ', '|', '/']).map(str::trim).filter(|t| !t.is_empty()) {
        let t = t.to_lowercase();
        if !TOPICS.contains(&t.as_str()) {
            return Err(format!("unknown topic `{t}` (use news, appeals)"));
        }
        if !topics.contains(&t) {
            topics.push(t);
        }
    }
    Ok(topics)
}

/// Reads a CSV list; `defaults` fill what a row does not say.
pub fn parse_csv(text: &str, defaults: &ListDefaults<'_>) -> ParsedList {
    let ListDefaults { lang, topics, languages, other_language } = *defaults;
    let mut reader =
        csv::ReaderBuilder::new().has_headers(false).flexible(true).trim(csv::Trim::All).from_reader(text.as_bytes());
    let mut parsed = ParsedList::default();
    let mut columns = [Some(0), Some(1), Some(2), Some(3)];
    let mut seen = HashSet::new();
    // Lines as a spreadsheet numbers its rows, counted from byte offsets
    // (the CSV reader's own count is one short after "\r\n" line ends).
    let (mut counted_to, mut lines_before) = (0usize, 0usize);
    let mut line_at = |byte: u64| {
        let mut byte = usize::try_from(byte).unwrap_or(usize::MAX).min(text.len()).max(counted_to);
        // A record's position may be on the end of the line before it.
        while matches!(text.as_bytes().get(byte), Some(b'\r' | b'\n')) {
            byte += 1;
        }
        lines_before += text.as_bytes()[counted_to..byte].iter().filter(|b| **b == b'\n').count();
        counted_to = byte;
        lines_before + 1
    };
    for (i, record) in reader.records().enumerate() {
        let position = match &record {
            Ok(r) => r.position().cloned(),
            Err(e) => e.position().cloned(),
        };
        let line = position.map_or(i + 1, |p| line_at(p.byte()));
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                parsed.skipped.push(Skipped { line, reason: format!("not readable as CSV: {e}") });
                continue;
            }
        };
        let cell = |n: Option<usize>| n.and_then(|n| record.get(n)).map(from_cell).unwrap_or_default();
        if i == 0 && !cell(Some(0)).contains('@') {
            // A header row: find the columns by name.
            let find =
                |names: &[&str]| record.iter().position(|h| names.iter().any(|n| h.trim().eq_ignore_ascii_case(n)));
            columns = [
                find(&["email", "e-mail", "address", "mail", "email address", "メールアドレス", "メール"]),
                find(&["language", "lang", "言語"]),
                find(&["topics", "topic", "lists", "list"]),
                find(&["joined", "joined_at", "date", "created", "subscribed"]),
            ];
            if columns[0].is_none() {
                parsed.skipped.push(Skipped { line, reason: "the first row names no address column (email)".into() });
                return parsed;
            }
            parsed.ignored_columns = (record.iter().enumerate())
                .filter(|(n, h)| !h.is_empty() && !columns.contains(&Some(*n)))
                .map(|(_, h)| h.to_owned())
                .collect();
            continue;
        }
        if record.iter().all(str::is_empty) {
            continue;
        }
        let email = match Email::parse(cell(columns[0])) {
            Ok(e) => e,
            Err(e) => {
                parsed.skipped.push(Skipped { line, reason: e });
                continue;
            }
        };
        let row_lang = match cell(columns[1]) {
            "" => lang.clone(),
            code => match (Language::parse(code).ok().filter(|l| languages.contains(l)), other_language) {
                (Some(l), _) => l,
                (None, Some(other)) => other.clone(),
                (None, None) => {
                    let reason = format!(
                        "`{code}` is not a language of this site (choose a language for such rows to import them)"
                    );
                    parsed.skipped.push(Skipped { line, reason });
                    continue;
                }
            },
        };
        let row_topics = match cell(columns[2]) {
            "" => topics.to_vec(),
            text => match parse_topics(text) {
                Ok(t) if !t.is_empty() => t,
                Ok(_) => topics.to_vec(),
                Err(e) => {
                    parsed.skipped.push(Skipped { line, reason: e });
                    continue;
                }
            },
        };
        let key = (email.as_str().to_lowercase(), row_lang.clone());
        if !seen.insert(key) {
            parsed.skipped.push(Skipped { line, reason: format!("{email} appears earlier in the file") });
            continue;
        }
        let joined_at = parse_date(cell(columns[3]));
        parsed.rows.push((
            line,
            ImportedSubscriber { email: email.to_string(), lang: row_lang, topics: row_topics, joined_at },
        ));
    }
    parsed
}

/// What a spreadsheet would run as a formula when a cell starts with it.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A cell as written to CSV: one a spreadsheet would take for a formula
/// (`=1+2@x.test`, `@SUM(…)`, `-cmd`…) gets a leading `'`, which shows
/// it as text and which [`from_cell`] takes off again.
pub fn to_cell(text: &str) -> std::borrow::Cow<'_, str> {
    if text.starts_with(FORMULA_STARTS) { format!("'{text}").into() } else { text.into() }
}

/// A cell as read from CSV: the `'` that [`to_cell`] put before a
/// formula's first character taken off.
pub fn from_cell(text: &str) -> &str {
    match text.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_STARTS) => rest,
        _ => text,
    }
}

/// Writes subscriptions as CSV with a header row; it imports back as is.
/// No cell starts as a formula would (see [`to_cell`]).
pub fn to_csv(records: &[SubscriberRecord]) -> String {
    // Written into memory: the writer's results cannot be errors of a
    // disk or a network, and a record is always whole.
    let mut writer = csv::Writer::from_writer(Vec::new());
    let date = |t: Option<OffsetDateTime>| {
        t.and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok()).unwrap_or_default()
    };
    let _ = writer.write_record([
        "email",
        "language",
        "topics",
        "joined",
        "state",
        "source",
        "confirmed",
        "last_sent",
        "bounces",
    ]);
    for r in records {
        let cells = [
            r.email.clone(),
            r.lang.clone(),
            r.topics.join(" "),
            date(Some(r.joined_at)),
            r.state.as_str().to_owned(),
            r.source.clone(),
            date(r.confirmed_at),
            date(r.last_sent_at),
            r.bounces.to_string(),
        ];
        let _ = writer.write_record(cells.iter().map(|c| to_cell(c).into_owned()));
    }
    String::from_utf8(writer.into_inner().unwrap_or_default()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chosen_topics_are_known_once_and_in_order() {
        assert_eq!(chosen_topics(["appeals", "news", "appeals", "spam"]), ["news", "appeals"]);
        assert!(chosen_topics([]).is_empty());
        assert_eq!(all_topics(), TOPICS);
        for topic in Topic::ALL {
            assert_eq!(Topic::parse(topic.as_str()), Some(topic));
        }
        assert_eq!(Topic::parse("new"), None, "whole words only");
    }

    /// A spreadsheet opening the export runs nothing: every cell that
    /// would start a formula starts with `'`, and the file imports back
    /// with the addresses as they were.
    #[test]
    fn no_cell_of_an_export_is_a_formula_and_it_imports_back() {
        let evil = ["=1+2@x.test", "=cmd|'/C'!A0@x.test", "+1@x.test", "-2@x.test"];
        let records: Vec<SubscriberRecord> = evil
            .iter()
            .enumerate()
            .map(|(i, email)| SubscriberRecord {
                id: i as i64,
                email: (*email).into(),
                lang: "en".into(),
                topics: vec!["news".into()],
                state: crate::SubscriberState::Confirmed,
                source: "=HYPERLINK(\"http://x.test\")".into(),
                joined_at: OffsetDateTime::UNIX_EPOCH,
                confirmed_at: None,
                last_sent_at: None,
                bounces: 0,
            })
            .collect();
        let text = to_csv(&records);
        let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(text.as_bytes());
        for record in reader.records() {
            for cell in record.unwrap().iter() {
                assert!(!cell.starts_with(FORMULA_STARTS), "a formula: {cell} in {text}");
            }
        }
        let back = parse_csv(&text, &defaults(&Language::parse("en").unwrap(), &[]));
        let emails: Vec<&str> = back.rows.iter().map(|(_, r)| r.email.as_str()).collect();
        assert_eq!(emails, evil, "{:?}", back.skipped);
        assert_eq!(from_cell("'plain"), "'plain", "a quote before anything else stays");
    }

    fn langs() -> Vec<Language> {
        vec![Language::parse("en").unwrap(), Language::parse("ja").unwrap()]
    }

    static LANGS: std::sync::LazyLock<Vec<Language>> = std::sync::LazyLock::new(langs);

    fn defaults<'a>(lang: &'a Language, topics: &'a [String]) -> ListDefaults<'a> {
        ListDefaults { lang, topics, languages: &LANGS, other_language: None }
    }

    #[test]
    fn rows_in_another_language_take_the_chosen_one_and_unkept_columns_are_named() {
        let csv = "email,name,language\nkim@example.org,Kim,fr\nlee@example.org,Lee,ja\n";
        let en = Language::parse("en").unwrap();
        let left_out = parse_csv(csv, &defaults(&en, &[]));
        assert_eq!(left_out.rows.len(), 1);
        assert!(left_out.skipped[0].reason.contains("choose a language"), "{:?}", left_out.skipped);
        assert_eq!(left_out.ignored_columns, ["name"], "said, not dropped without a word");
        let chosen = parse_csv(csv, &ListDefaults { other_language: Some(&en), ..defaults(&en, &[]) });
        let langs: Vec<&str> = chosen.rows.iter().map(|(_, r)| r.lang.as_str()).collect();
        assert_eq!(langs, ["en", "ja"]);
    }

    #[test]
    fn reads_headers_checks_addresses_and_finds_duplicates() {
        let csv = "Email,Language,Topics,Joined\n\
                   kim@example.org,ja,news appeals,2004-05-01\n\
                   KIM@EXAMPLE.ORG,ja,,\n\
                   \"Friend\" <x@example.org>,en,,\n\
                   lee@example.org,fr,,\n\
                   park@example.org,,appeals,\n\
                   \n";
        let parsed = parse_csv(csv, &defaults(&Language::parse("en").unwrap(), &["news".into()]));
        assert_eq!(parsed.rows.len(), 2, "{parsed:?}");
        assert_eq!(parsed.rows[0].1.topics, ["news", "appeals"]);
        assert_eq!(parsed.rows[0].1.joined_at.unwrap().year(), 2004);
        assert_eq!(parsed.rows[1].1.lang.as_str(), "en", "the default language");
        let reasons: Vec<(usize, &str)> = parsed.skipped.iter().map(|s| (s.line, s.reason.as_str())).collect();
        assert_eq!(reasons.len(), 3, "{reasons:?}");
        assert!(reasons[0].1.contains("earlier") && reasons[0].0 == 3);
        assert!(reasons[1].1.contains("not an e-mail address"));
        assert!(reasons[2].1.contains("not a language"));
        // Without a header the columns are taken in order.
        let plain = parse_csv("a@example.org\nb@example.org,ja\n", &defaults(&Language::parse("en").unwrap(), &[]));
        assert_eq!(plain.rows.len(), 2);
        assert_eq!(plain.rows[1].1.lang.as_str(), "ja");
    }

    #[test]
    fn lines_are_a_spreadsheets_rows_whatever_the_line_ends() {
        for csv in
            ["email,name\r\na@example.org,A\r\nnot an address,B\r\n", "email,name\na@example.org,A\nnot an address,B\n"]
        {
            let parsed = parse_csv(csv, &defaults(&Language::parse("en").unwrap(), &[]));
            assert_eq!(parsed.rows[0].0, 2, "{csv:?}");
            assert_eq!(parsed.skipped[0].line, 3, "{csv:?}");
        }
    }
}
