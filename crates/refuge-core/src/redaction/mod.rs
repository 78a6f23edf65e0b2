//! Names of people at risk: the one parser of the redaction markup, the
//! public form of a name in every script, and the guard that looks for a
//! protected name in bytes about to leave the server.
//!
//! * `[[name:Kim Minji]]` marks a name. In public it shows only its
//!   public form ([`public_form`]): initials for names in Latin, Greek or
//!   Cyrillic letters (`K. M.`), and for names in any other script (Han,
//!   Hangul, kana…) no character of the name at all but the language's
//!   placeholder ([`placeholder`]: `○○`, `○○○`, `某某`, `(name withheld)`).
//!   `[[name:김민지|K]]` gives the public form explicitly.
//! * `[[year:2003]]` shows `200X`.
//!
//! Markup that is almost right (`[[Name:…]]`, `[[ name:…]]`, a full-width
//! colon, an unclosed `[[name:…`) is refused by [`check`] when it is
//! saved, so a typo can never print a name. Text that may hold names is
//! turned into [`PublicText`] only by [`Redaction::apply`]; and every way
//! out checks its bytes with a [`NameGuard`] built from every name ever
//! marked on the site.

mod fold;
mod guard;
mod names;

use std::borrow::Cow;

pub use guard::{Found, NameGuard};
pub use names::identifying_parts;

/// The longest markup read as one mark, in bytes (a name, its label and
/// the brackets); anything longer is not a mark, and [`check`] refuses it.
pub const MAX_MARK: usize = 200;

/// One piece of a text: plain text or a mark.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Piece<'a> {
    Text(&'a str),
    /// `[[name:NAME]]` or `[[name:NAME|LABEL]]` (trimmed).
    Name {
        name: &'a str,
        label: Option<&'a str>,
    },
    /// `[[year:YEAR]]` (trimmed).
    Year(&'a str),
}

/// A mark found in a text: where it is and what it says.
#[derive(Clone, Copy, Debug)]
struct Mark<'a> {
    /// The byte range of `[[…]]` in the text.
    start: usize,
    end: usize,
    piece: Piece<'a>,
}

/// The next well-formed mark at or after `from`. A run of `[` before
/// `name:` ends in the mark's two (`[[[name:X]]](url)` is a link whose
/// text is a name); a mark ends at the first `]]` and may not hold `[`,
/// `]` or a line break.
fn next_mark(text: &str, mut from: usize) -> Option<Mark<'_>> {
    let bytes = text.as_bytes();
    while let Some(found) = text.get(from..)?.find("[[") {
        let mut open = from + found;
        while bytes.get(open + 2) == Some(&b'[') {
            open += 1;
        }
        let inner = open + 2;
        let kind = if text[inner..].starts_with("name:") {
            Some(true)
        } else if text[inner..].starts_with("year:") {
            Some(false)
        } else {
            None
        };
        if let Some(is_name) = kind {
            let body = inner + 5;
            let limit = (open + MAX_MARK).min(text.len());
            let close = text[body..limit].find(['[', ']', '\n', '\r']).map(|i| body + i);
            if let Some(close) = close
                && text[close..].starts_with("]]")
            {
                let inside = &text[body..close];
                let piece = if is_name {
                    match inside.split_once('|') {
                        Some((name, label)) => Piece::Name { name: name.trim(), label: Some(label.trim()) },
                        None => Piece::Name { name: inside.trim(), label: None },
                    }
                } else {
                    Piece::Year(inside.trim())
                };
                return Some(Mark { start: open, end: close + 2, piece });
            }
        }
        from = inner;
    }
    None
}

/// The pieces of `text` in order: plain text between well-formed marks.
pub fn pieces(text: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(mark) = next_mark(text, at) {
        if mark.start > at {
            out.push(Piece::Text(&text[at..mark.start]));
        }
        out.push(mark.piece);
        at = mark.end;
    }
    if at < text.len() {
        out.push(Piece::Text(&text[at..]));
    }
    out
}

/// Why markup was refused; the quote is the text as typed (the back
/// office shows it to the editor, who wrote it).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MarkupError {
    #[error(
        "“{quote}” looks like redaction markup but is not written exactly as [[name:Full Name]] or \
         [[year:2003]] (lower-case, no space after [[, an ASCII colon)"
    )]
    Malformed { quote: String },
    #[error("“{quote}” is not closed with ]] on the same line")]
    Unclosed { quote: String },
    #[error("“{quote}” has no name in it")]
    Empty { quote: String },
    #[error("the public label in “{quote}” may hold only letters, digits, spaces and . - ' (at most 24 characters)")]
    BadLabel { quote: String },
    #[error("the public label in “{quote}” repeats part of the name; use an initial or a pseudonym")]
    LabelRevealsName { quote: String },
}

impl MarkupError {
    /// The key of the back office's translated message (`{quote}` in it).
    pub fn key(&self) -> &'static str {
        match self {
            MarkupError::Malformed { .. } => "markup_malformed",
            MarkupError::Unclosed { .. } => "markup_unclosed",
            MarkupError::Empty { .. } => "markup_empty",
            MarkupError::BadLabel { .. } => "markup_bad_label",
            MarkupError::LabelRevealsName { .. } => "markup_label_reveals",
        }
    }

    /// The text as typed.
    pub fn quote(&self) -> &str {
        match self {
            MarkupError::Malformed { quote }
            | MarkupError::Unclosed { quote }
            | MarkupError::Empty { quote }
            | MarkupError::BadLabel { quote }
            | MarkupError::LabelRevealsName { quote } => quote,
        }
    }
}

/// Opening brackets someone may type for `[`: ASCII, full-width and the
/// East Asian lenticular and tortoise-shell ones.
fn is_open_bracket(c: char) -> bool {
    matches!(c, '[' | '［' | '【' | '〚' | '⟦' | '〔' | '〖' | '｢' | '「')
}

/// Colons someone may type for `:`: ASCII, full-width, small, modifier and ratio.
fn is_colon(c: char) -> bool {
    matches!(c, ':' | '：' | '﹕' | '꞉' | '∶' | '︰' | 'ː' | ';' | '；')
}

/// An ASCII letter, or a full-width Latin letter, as a lower-case ASCII letter.
fn ascii_letter(c: char) -> Option<char> {
    match c {
        'a'..='z' => Some(c),
        'A'..='Z' => Some(c.to_ascii_lowercase()),
        'ａ'..='ｚ' => char::from_u32(c as u32 - 'ａ' as u32 + 'a' as u32),
        'Ａ'..='Ｚ' => char::from_u32(c as u32 - 'Ａ' as u32 + 'a' as u32),
        _ => None,
    }
}

/// Something that looks like a mark someone meant to write: where its
/// first bracket is, and where its kind word starts.
struct Attempt {
    bracket: usize,
    word: usize,
    /// Two or more brackets before the word (`[[…`), not one.
    doubled: bool,
}

/// Finds every place that looks like a mark: an opening bracket (any of
/// several), perhaps more brackets, spaces or backslashes, a word, perhaps
/// spaces, and a colon (any of several). With one bracket only `name` and
/// `year` count (`[Note: …]` is ordinary text); with two, any word does.
fn attempts(text: &str) -> Vec<Attempt> {
    let mut found = Vec::new();
    if !text.contains(is_open_bracket) {
        return found;
    }
    for (bracket, c) in text.char_indices() {
        if !is_open_bracket(c) {
            continue;
        }
        let mut chars = text[bracket..].char_indices().skip(1).map(|(i, c)| (bracket + i, c)).peekable();
        let mut brackets = 1;
        while let Some(&(_, c)) = chars.peek() {
            if is_open_bracket(c) {
                brackets += 1;
            } else if !(c.is_whitespace() || c == '\\') {
                break;
            }
            chars.next();
        }
        let Some(&(word_at, _)) = chars.peek() else { break };
        let mut word = String::new();
        while let Some(letter) = chars.peek().and_then(|&(_, c)| ascii_letter(c)) {
            word.push(letter);
            chars.next();
            if word.len() > 12 {
                break;
            }
        }
        while chars.peek().is_some_and(|&(_, c)| c.is_whitespace()) {
            chars.next();
        }
        let known = matches!(word.as_str(), "name" | "year" | "names" | "nmae" | "nane" | "neme" | "yaer");
        // A semicolon is a colon mistyped only after a known word.
        let colon = chars.peek().is_some_and(|&(_, c)| is_colon(c) && (known || !matches!(c, ';' | '；')));
        if colon && (known || (brackets >= 2 && (2..=12).contains(&word.len()))) {
            found.push(Attempt { bracket, word: word_at, doubled: brackets >= 2 });
        }
    }
    found
}

/// The text from `at` to the end of its line, at most 60 characters, to
/// quote in a message.
fn quote_from(text: &str, at: usize) -> String {
    let line = text[at..].split(['\n', '\r']).next().unwrap_or("");
    let mut quote: String = line.chars().take(60).collect();
    if line.chars().count() > 60 {
        quote.push('…');
    }
    quote
}

/// Checks the markup of a text that may reach readers: every place that
/// looks like a mark must be one, written exactly, with a name and (if
/// any) a public label that shows no part of the name.
pub fn check(text: &str) -> Result<(), MarkupError> {
    let mut marks = Vec::new();
    let mut at = 0;
    while let Some(mark) = next_mark(text, at) {
        marks.push(mark);
        at = mark.end;
    }
    for attempt in attempts(text) {
        // A well-formed mark's kind word sits right after its `[[`.
        let covered = marks.iter().any(|m| m.start + 2 == attempt.word);
        if !covered {
            let quote = quote_from(text, attempt.bracket);
            let line = &text[attempt.bracket..];
            let line = line.split(['\n', '\r']).next().unwrap_or("");
            let closed = line.contains([']', '］', '】', '〛', '⟧', '〕', '〗', '｣', '」']);
            return Err(if closed || !attempt.doubled {
                MarkupError::Malformed { quote }
            } else {
                MarkupError::Unclosed { quote }
            });
        }
    }
    for mark in &marks {
        let quote = || quote_from(text, mark.start);
        match mark.piece {
            Piece::Name { name, label } => {
                if name.is_empty() || !name.chars().any(char::is_alphanumeric) {
                    return Err(MarkupError::Empty { quote: quote() });
                }
                if let Some(label) = label {
                    check_label(name, label).map_err(|bad| {
                        if bad {
                            MarkupError::BadLabel { quote: quote() }
                        } else {
                            MarkupError::LabelRevealsName { quote: quote() }
                        }
                    })?;
                }
            }
            Piece::Year("") => return Err(MarkupError::Empty { quote: quote() }),
            _ => {}
        }
    }
    Ok(())
}

/// `Err(true)`: the label has characters it may not; `Err(false)`: it
/// repeats two or more letters of the name in a row.
fn check_label(name: &str, label: &str) -> Result<(), bool> {
    let allowed = |c: char| c.is_alphanumeric() || matches!(c, ' ' | '.' | '-' | '\'');
    if label.is_empty() || label.chars().count() > 24 || !label.chars().all(allowed) {
        return Err(true);
    }
    let name = fold::fold_text(name);
    for word in label.split([' ', '.', '-', '\'']) {
        let folded: Vec<char> = fold::fold_text(word).chars().collect();
        if folded.windows(2).any(|w| name.contains(&w.iter().collect::<String>())) {
            return Err(false);
        }
    }
    Ok(())
}

/// Every name marked in `text`, including names inside markup that is not
/// well formed (an old text saved before [`check`] existed), trimmed and
/// without duplicates.
pub fn names_in(text: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let mut add = |name: &str| {
        let name = name.trim();
        if name.chars().any(char::is_alphanumeric) && !names.iter().any(|n| n == name) {
            names.push(name.to_owned());
        }
    };
    for piece in pieces(text) {
        if let Piece::Name { name, .. } = piece {
            add(name);
        }
    }
    let covered: Vec<usize> = {
        let mut at = 0;
        let mut starts = Vec::new();
        while let Some(mark) = next_mark(text, at) {
            starts.push(mark.start + 2);
            at = mark.end;
        }
        starts
    };
    for attempt in attempts(text) {
        if covered.contains(&attempt.word) {
            continue;
        }
        let rest = &text[attempt.word..];
        let word: String = rest.chars().map_while(ascii_letter).collect();
        if word == "year" || word == "yaer" {
            continue;
        }
        let name_like = matches!(word.as_str(), "name" | "names" | "nmae" | "nane" | "neme");
        if !name_like && !attempt.doubled {
            continue;
        }
        let after_colon =
            rest.find(is_colon).map(|i| &rest[i..]).and_then(|r| r.char_indices().nth(1).map(|(i, _)| &r[i..]));
        if let Some(after) = after_colon {
            let end =
                after.find([']', '］', '】', '〛', '⟧', '〕', '〗', '｣', '」', '\n', '\r', '|']).unwrap_or(after.len());
            let end =
                after.char_indices().take_while(|(i, _)| *i < end).take(80).last().map_or(0, |(i, c)| i + c.len_utf8());
            add(&after[..end]);
        }
    }
    names
}

/// A name as the store records it: where it was marked, and whether it
/// may be shown in full there (an appeal whose names are public).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MarkedName {
    pub name: String,
    /// `item:42`, `media:7`, `newsletter:3`, `setting:tagline`…
    pub source: String,
    pub public: bool,
}

/// The names to protect: every name marked somewhere not public, leaving
/// out the rows `skip` says (the item being saved, whose own marks the
/// caller adds as it will store them).
pub fn protected(marked: &[MarkedName], skip: impl Fn(&str) -> bool) -> Vec<String> {
    let mut names: Vec<String> =
        marked.iter().filter(|m| !m.public && !skip(&m.source)).map(|m| m.name.clone()).collect();
    names.sort();
    names.dedup();
    names
}

/// The placeholder shown for a name that cannot be shortened to initials
/// (Han, Hangul, kana and every script without capital letters), in the
/// language of the text around it. Each follows its press's custom for a
/// withheld name: Japanese `○○` (maru-maru), Korean `○○○` (as in 김○○,
/// without the family name), Chinese `某某` ("so-and-so", as in 李某某,
/// without the family name); other languages a plain phrase.
pub fn placeholder(lang: &str) -> &'static str {
    match lang.split('-').next().unwrap_or(lang) {
        "ja" => "○○",
        "ko" => "○○○",
        "zh" => "某某",
        "en" => "(name withheld)",
        "fr" => "(nom masqué)",
        "de" => "(Name geschützt)",
        "es" => "(nombre reservado)",
        "ru" => "(имя скрыто)",
        _ => "○○",
    }
}

/// Whether every letter of `name` is in a script whose names are
/// shortened to initials: Latin, Greek, Cyrillic, Armenian, Georgian.
fn initials_script(name: &str) -> bool {
    name.chars().filter(|c| c.is_alphabetic()).all(|c| {
        matches!(c as u32,
            0x41..=0x24F | 0x1E00..=0x1EFF | 0x370..=0x3FF | 0x1F00..=0x1FFF | 0x400..=0x52F
            | 0x530..=0x58F | 0x10A0..=0x10FF | 0xFF21..=0xFF3A | 0xFF41..=0xFF5A)
    })
}

/// Separators between the parts of a name: spaces of every width, middle
/// dots, commas and slashes.
pub(crate) fn is_name_separator(c: char) -> bool {
    c.is_whitespace() || matches!(c, '·' | '・' | '･' | '‧' | '•' | '∙' | ',' | '、' | '/' | '_')
}

/// The public form of a marked name, in a text of language `lang`: the
/// editor's label if there is one; initials (`K. M.`) for a name in
/// Latin, Greek or Cyrillic letters; otherwise the language's
/// [`placeholder`]. It never holds two letters of the name in a row.
pub fn public_form(name: &str, label: Option<&str>, lang: &str) -> String {
    if let Some(label) = label.filter(|l| check_label(name, l).is_ok()) {
        return label.to_owned();
    }
    if !initials_script(name) {
        return placeholder(lang).to_owned();
    }
    let initials: Vec<String> = name
        .split(is_name_separator)
        .filter_map(|part| part.chars().find(|c| c.is_alphabetic()))
        .map(|c| {
            let c = ascii_letter(c).unwrap_or(c);
            let upper = c.to_uppercase().next().unwrap_or(c);
            format!("{upper}.")
        })
        .collect();
    if initials.is_empty() { placeholder(lang).to_owned() } else { initials.join(" ") }
}

/// How the marks of one text are shown: in which language (for the
/// placeholder), and whether the names may be shown in full (an appeal
/// whose editor chose so).
#[derive(Clone, Copy, Debug)]
pub struct Redaction<'a> {
    pub lang: &'a str,
    pub names_public: bool,
}

impl<'a> Redaction<'a> {
    /// Names hidden, in a text of `lang`.
    pub fn hidden(lang: &'a str) -> Self {
        Self { lang, names_public: false }
    }

    /// The text with every mark replaced by its public form.
    pub fn apply(&self, text: &str) -> PublicText {
        PublicText(self.cow(text).into_owned())
    }

    /// As [`Redaction::apply`], borrowing when there is no markup.
    pub fn cow<'t>(&self, text: &'t str) -> Cow<'t, str> {
        if !text.contains("[[") {
            return Cow::Borrowed(text);
        }
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        while let Some(mark) = next_mark(text, at) {
            out.push_str(&text[at..mark.start]);
            let rest = &text[mark.end..];
            let shown = match mark.piece {
                Piece::Name { name, .. } if self.names_public => name.to_owned(),
                Piece::Name { name, label } => public_form(name, label, self.lang),
                Piece::Year(year) => blur_year(year),
                Piece::Text(t) => t.to_owned(),
            };
            // Initials that end a sentence: `P. M.` and not `P. M..`.
            match shown.strip_suffix('.') {
                Some(short) if rest.starts_with('.') => out.push_str(short),
                _ => out.push_str(&shown),
            }
            at = mark.end;
        }
        out.push_str(&text[at..]);
        Cow::Owned(out)
    }
}

/// `2003` → `200X`; anything but four digits → `XXXX`.
fn blur_year(year: &str) -> String {
    if year.len() == 4 && year.bytes().all(|b| b.is_ascii_digit()) { format!("{}X", &year[..3]) } else { "XXXX".into() }
}

/// Text that has gone through [`Redaction::apply`] (or holds no marks by
/// construction): what may be written into a page, an address, a feed, a
/// file name or a mail.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct PublicText(String);

impl PublicText {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Display for PublicText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for PublicText {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests;
