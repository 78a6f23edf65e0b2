//! Markdown → the plain text of an e-mail.
//!
//! What a mail client shows when a message has no HTML: paragraphs wrapped
//! at 72 columns of display width (a Japanese character is two columns)
//! with the Unicode line-breaking rules, so East Asian text breaks between
//! characters and Latin text between words; `-` and `1.` list markers with
//! their continuation lines indented; `> ` before quoted lines; links as
//! numbered references (`text [1]`) listed with their absolute addresses
//! at the end. Addresses are never broken, even when longer than a line.
//! Redaction markup is applied first, as everywhere public.

use icu_segmenter::options::{LineBreakOptions, LineBreakStrictness, LineBreakWordOption};
use icu_segmenter::{LineSegmenter, LineSegmenterBorrowed};
use pulldown_cmark::{Event, HeadingLevel, Parser, Tag, TagEnd};
use textwrap::core::Word;
use textwrap::{Options, WordSeparator, WordSplitter, WrapAlgorithm};

use crate::redaction::Redaction;

/// The widest a wrapped line may be, in display columns.
pub const WIDTH: usize = 72;

/// The display width of `text` (East Asian wide characters count two).
pub fn display_width(text: &str) -> usize {
    textwrap::core::display_width(text)
}

/// Where the next web or mail address in `text` starts.
fn next_address(text: &str) -> Option<usize> {
    ["https://", "http://", "mailto:", "www."]
        .iter()
        .filter_map(|p| text.match_indices(p).find(|(i, _)| starts_word(text, *i)).map(|(i, _)| i))
        .min()
}

/// Whether an address found at `at` starts there (`www.` inside
/// `https://www.` or a word does not).
fn starts_word(text: &str, at: usize) -> bool {
    text[..at].chars().next_back().is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '/' || c == '.'))
}

/// How a language's text may be broken between lines.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Breaking {
    /// Korean: at spaces only, as Korean is written (keep-all).
    Spaces,
    /// Japanese and Chinese: between characters, with the strict rules
    /// (never before closing punctuation, small kana or the long vowel mark).
    Characters,
    /// Everything else: the Unicode rules.
    Unicode,
}

impl Breaking {
    fn of(lang: &str) -> Self {
        match lang.split(['-', '_']).next().unwrap_or(lang) {
            "ko" => Breaking::Spaces,
            "ja" | "zh" => Breaking::Characters,
            _ => Breaking::Unicode,
        }
    }

    fn separator(self) -> WordSeparator {
        match self {
            Breaking::Spaces => WordSeparator::Custom(words_korean),
            Breaking::Characters => WordSeparator::Custom(words_cjk),
            Breaking::Unicode => WordSeparator::Custom(words_unicode),
        }
    }
}

thread_local! {
    static UNICODE: LineSegmenterBorrowed<'static> = LineSegmenter::new_for_non_complex_scripts(options(None));
    static KEEP_ALL: LineSegmenterBorrowed<'static> =
        LineSegmenter::new_for_non_complex_scripts(options(Some(LineBreakWordOption::KeepAll)));
}

fn options(word: Option<LineBreakWordOption>) -> LineBreakOptions<'static> {
    let mut options = LineBreakOptions::default();
    options.strictness = Some(LineBreakStrictness::Strict);
    options.word_option = word;
    options
}

fn words_unicode(line: &str) -> Box<dyn Iterator<Item = Word<'_>> + '_> {
    words(line, Breaking::Unicode)
}

fn words_korean(line: &str) -> Box<dyn Iterator<Item = Word<'_>> + '_> {
    words(line, Breaking::Spaces)
}

fn words_cjk(line: &str) -> Box<dyn Iterator<Item = Word<'_>> + '_> {
    words(line, Breaking::Characters)
}

/// Han, kana and Hangul: beside them a number or a Latin word is not set
/// apart ("2026年", "200X年").
fn east_asian(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x11FF | 0x3040..=0x30FF | 0x3130..=0x318F | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF | 0xAC00..=0xD7AF | 0xF900..=0xFAFF | 0x20000..=0x3FFFF)
}

/// Characters a line never ends with.
fn opens(c: char) -> bool {
    "（「『【〔〈《‘“([{".contains(c)
}

/// Characters a line never starts with: closing punctuation, small kana,
/// the long vowel mark.
fn closes(c: char) -> bool {
    "、。，．・：；？！）」』】〕〉》’”)]}.,;:!?ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶー".contains(c)
}

/// Where a line of text (no address in it) may break, by `breaking`.
fn break_points(text: &str, breaking: Breaking) -> Vec<usize> {
    let segment = |s: &LineSegmenterBorrowed<'static>| s.segment_str(text).collect::<Vec<usize>>();
    let points = match breaking {
        Breaking::Spaces => KEEP_ALL.with(segment),
        Breaking::Characters | Breaking::Unicode => UNICODE.with(segment),
    };
    points
        .into_iter()
        .filter(|&i| i > 0 && i < text.len())
        .filter(|&i| {
            let before = text[..i].chars().next_back();
            let after = text[i..].chars().next();
            match (before, after) {
                // A hyphenated word stays whole (as textwrap does).
                (Some('-' | '\u{AD}'), _) => false,
                // A number or Latin word stays with the character it
                // counts or names: "2026年", "UA 3/2026号".
                (Some(b), Some(a))
                    if (b.is_ascii_alphanumeric() && east_asian(a)) || (east_asian(b) && a.is_ascii_alphanumeric()) =>
                {
                    false
                }
                _ => true,
            }
        })
        .collect()
}

/// Splits a line into words by `breaking`, except that an address is one
/// word: it may stand alone on a line, never break.
fn words(line: &str, breaking: Breaking) -> Box<dyn Iterator<Item = Word<'_>> + '_> {
    let mut words: Vec<Word<'_>> = Vec::new();
    let mut rest = line;
    loop {
        let (mut text, mut address) = match next_address(rest) {
            Some(start) => rest.split_at(start),
            None => (rest, ""),
        };
        // Opening brackets stay on the address's line ("（https://…").
        if !address.is_empty() {
            let opened = text.trim_end_matches(opens).len();
            (text, address) = (&text[..opened], &rest[opened..]);
        }
        let mut from = 0;
        for point in break_points(text, breaking) {
            words.push(Word::from(&text[from..point]));
            from = point;
        }
        if from < text.len() {
            words.push(Word::from(&text[from..]));
        }
        if address.is_empty() {
            break;
        }
        // An address ends at a space or at the first character a mail
        // client would not take as part of it (Japanese text after it).
        let url = address.find(|c: char| !opens(c)).unwrap_or(0);
        let mut end =
            url + address[url..].find(|c: char| c.is_whitespace() || !c.is_ascii()).unwrap_or(address.len() - url);
        // Closing punctuation after it never starts the next line.
        end += address[end..].len() - address[end..].trim_start_matches(closes).len();
        let with_space = end + address[end..].len() - address[end..].trim_start_matches(' ').len();
        words.push(Word::from(&address[..with_space]));
        rest = &address[with_space..];
    }
    Box::new(words.into_iter())
}

/// Wraps `text` in `lang` at `width` columns with `first` before its first
/// line and `rest` before the others; `\n` in the text are kept as line breaks.
pub fn wrap(text: &str, lang: &str, width: usize, first: &str, rest: &str) -> Vec<String> {
    let options = Options::new(width)
        .initial_indent(first)
        .subsequent_indent(rest)
        .word_separator(Breaking::of(lang).separator())
        // textwrap's default also splits words at hyphens, cutting
        // addresses in two: words break only where `words` says.
        .word_splitter(WordSplitter::NoHyphenation)
        .wrap_algorithm(WrapAlgorithm::FirstFit)
        .break_words(false);
    let mut lines = Vec::new();
    for (i, line) in text.split('\n').enumerate() {
        let indent = if i == 0 { first } else { rest };
        if line.trim().is_empty() {
            lines.push(indent.trim_end().to_owned());
            continue;
        }
        let options = options.clone().initial_indent(indent);
        lines.extend(textwrap::wrap(line.trim(), options).into_iter().map(|l| l.trim_end().to_owned()));
    }
    lines
}

/// Wraps every paragraph of a plain text in `lang` (paragraphs are
/// separated by blank lines; single line breaks are kept).
pub fn wrap_plain(text: &str, lang: &str) -> String {
    wrap(text, lang, WIDTH, "", "").join("\n")
}

enum Container {
    Quote,
    List {
        next: Option<u64>,
    },
    /// A list item; its marker is printed before its first line only.
    Item {
        marker: String,
        used: bool,
    },
}

struct Renderer<'a> {
    base_url: &'a str,
    /// The text's language, for where lines may break.
    lang: &'a str,
    stack: Vec<Container>,
    /// (text, joined to the block before without a blank line).
    blocks: Vec<(String, bool)>,
    /// Whether the last block was a list item's.
    last_in_item: bool,
    /// A soft line break not yet written: a space, or a line break when
    /// what follows is a quotation's source line (`— Name`).
    soft_break: bool,
    inline: String,
    code: Option<String>,
    heading: Option<HeadingLevel>,
    links: Vec<String>,
    open_links: Vec<(String, usize)>,
    table_row: Vec<String>,
}

impl Renderer<'_> {
    fn absolute(&self, url: &str) -> Option<String> {
        if url.starts_with('#') || url.is_empty() {
            None
        } else if url.starts_with('/') && !url.starts_with("//") {
            Some(format!("{}{url}", self.base_url.trim_end_matches('/')))
        } else {
            Some(url.to_owned())
        }
    }

    /// The prefixes of the first and the other lines of the next block.
    fn prefixes(&mut self) -> (String, String) {
        let (mut first, mut rest) = (String::new(), String::new());
        for container in &mut self.stack {
            match container {
                Container::Quote => {
                    first.push_str("> ");
                    rest.push_str("> ");
                }
                Container::List { .. } => {}
                Container::Item { marker, used } => {
                    let pad = " ".repeat(display_width(marker));
                    if *used {
                        first.push_str(&pad);
                    } else {
                        first.push_str(marker);
                        *used = true;
                    }
                    rest.push_str(&pad);
                }
            }
        }
        (first, rest)
    }

    fn in_item(&self) -> bool {
        self.stack.iter().any(|c| matches!(c, Container::Item { .. }))
    }

    /// Ends the current block of text; `tight` joins it to the block
    /// before without a blank line (items of a tight list, after another item).
    fn flush(&mut self, tight: bool) {
        if self.soft_break {
            self.soft_break = false;
            self.inline.push(' ');
        }
        let text = std::mem::take(&mut self.inline);
        let text = text.trim_matches(|c: char| c == ' ' || c == '\n');
        if text.is_empty() {
            return;
        }
        let (first, rest) = self.prefixes();
        let mut lines = wrap(text, self.lang, WIDTH, &first, &rest);
        if let Some(level) = self.heading {
            let underline = if level <= HeadingLevel::H2 { '=' } else { '-' };
            let width = lines.iter().map(|l| display_width(l) - display_width(&rest)).max().unwrap_or(0).min(WIDTH);
            lines.push(format!("{rest}{}", underline.to_string().repeat(width)));
        }
        let in_item = self.in_item();
        self.blocks.push((lines.join("\n"), tight && in_item && self.last_in_item));
        self.last_in_item = in_item;
    }

    // Long on purpose: one state machine over Markdown events; its states are clearer side by side.
    fn event(&mut self, event: Event<'_>) {
        if let Some(code) = &mut self.code {
            match event {
                Event::Text(t) => code.push_str(&t),
                Event::End(TagEnd::CodeBlock) => {
                    let code = self.code.take().unwrap_or_default();
                    let (first, rest) = self.prefixes();
                    let lines: Vec<String> = code
                        .trim_end()
                        .lines()
                        .enumerate()
                        .map(|(i, l)| format!("{}    {l}", if i == 0 { &first } else { &rest }).trim_end().to_owned())
                        .collect();
                    self.blocks.push((lines.join("\n"), false));
                }
                _ => {}
            }
            return;
        }
        match event {
            Event::Start(Tag::Paragraph) => {}
            Event::End(TagEnd::Paragraph) => self.flush(false),
            Event::Start(Tag::Heading { level, .. }) => self.heading = Some(level),
            Event::End(TagEnd::Heading(_)) => {
                self.flush(false);
                self.heading = None;
            }
            Event::Start(Tag::BlockQuote(_)) => {
                self.flush(false);
                self.stack.push(Container::Quote);
            }
            Event::End(TagEnd::BlockQuote(_)) => {
                self.flush(false);
                self.stack.pop();
            }
            Event::Start(Tag::List(start)) => {
                self.flush(true);
                // A new list is set off from what came before.
                self.last_in_item = false;
                self.stack.push(Container::List { next: start });
            }
            Event::End(TagEnd::List(_)) => {
                self.flush(true);
                self.stack.pop();
            }
            Event::Start(Tag::Item) => {
                self.flush(true);
                let marker = match self.stack.last_mut() {
                    Some(Container::List { next: Some(n) }) => {
                        let marker = format!("{n}. ");
                        *n += 1;
                        marker
                    }
                    _ => "- ".to_owned(),
                };
                self.stack.push(Container::Item { marker, used: false });
            }
            Event::End(TagEnd::Item) => {
                self.flush(true);
                self.stack.pop();
            }
            Event::Start(Tag::CodeBlock(_)) => {
                self.flush(false);
                self.code = Some(String::new());
            }
            Event::Start(Tag::Link { dest_url, .. }) | Event::Start(Tag::Image { dest_url, .. }) => {
                self.open_links.push((dest_url.to_string(), self.inline.len()));
            }
            Event::End(TagEnd::Link) | Event::End(TagEnd::Image) => {
                if let Some((url, at)) = self.open_links.pop()
                    && let Some(url) = self.absolute(&url)
                {
                    let text = self.inline[at..].trim().to_owned();
                    let bare = url.trim_start_matches("mailto:");
                    if text.is_empty() || text == url || text == bare {
                        // An address shown as itself: written out whole.
                        self.inline.truncate(at);
                        self.inline.push_str(bare);
                    } else {
                        let n = match self.links.iter().position(|l| *l == url) {
                            Some(i) => i + 1,
                            None => {
                                self.links.push(url);
                                self.links.len()
                            }
                        };
                        // No space after a wide (East Asian) character: 年次報告[1].
                        let wide = self.inline.chars().last().is_some_and(|c| display_width(&c.to_string()) > 1);
                        self.inline.push_str(&if wide { format!("[{n}]") } else { format!(" [{n}]") });
                    }
                }
            }
            Event::Text(t) | Event::Code(t) => {
                if std::mem::take(&mut self.soft_break) {
                    let source = t.starts_with(['—', '―']) || t.starts_with("--");
                    self.inline.push(if source { '\n' } else { ' ' });
                }
                self.inline.push_str(&t);
            }
            Event::InlineHtml(_) | Event::Html(_) => {}
            Event::SoftBreak => self.soft_break = true,
            Event::HardBreak => self.inline.push('\n'),
            Event::Rule => {
                self.flush(false);
                self.blocks.push(("-".repeat(24), false));
            }
            Event::Start(Tag::TableRow | Tag::TableHead) => self.table_row.clear(),
            Event::End(TagEnd::TableCell) => {
                let cell = std::mem::take(&mut self.inline);
                self.table_row.push(cell.trim().to_owned());
            }
            Event::End(TagEnd::TableRow | TagEnd::TableHead) => {
                self.inline = self.table_row.join(" | ");
                self.flush(true);
            }
            Event::End(TagEnd::Table) => self.flush(false),
            Event::FootnoteReference(name) => self.inline.push_str(&format!("[{name}]")),
            Event::TaskListMarker(done) => self.inline.push_str(if done { "[x] " } else { "[ ] " }),
            _ => {}
        }
    }

    fn finish(mut self) -> String {
        self.flush(false);
        let mut out = String::new();
        for (i, (block, tight)) in self.blocks.iter().enumerate() {
            if i > 0 {
                out.push_str(if *tight { "\n" } else { "\n\n" });
            }
            out.push_str(block);
        }
        if !self.links.is_empty() {
            out.push_str("\n\n");
            for (i, url) in self.links.iter().enumerate() {
                out.push_str(&format!("[{}] {url}\n", i + 1));
            }
        }
        out.trim_end().to_owned()
    }
}

/// Renders Markdown as the plain text of an e-mail; relative links are
/// made absolute under `base_url`.
pub fn to_mail_text(markdown: &str, base_url: &str, redaction: Redaction<'_>) -> String {
    let markdown = redaction.cow(markdown);
    let mut renderer = Renderer {
        base_url,
        lang: redaction.lang,
        stack: Vec::new(),
        blocks: Vec::new(),
        last_in_item: false,
        soft_break: false,
        inline: String::new(),
        code: None,
        heading: None,
        links: Vec::new(),
        open_links: Vec::new(),
        table_row: Vec::new(),
    };
    for event in Parser::new_ext(&markdown, crate::markdown::options()) {
        renderer.event(event);
    }
    renderer.finish()
}

#[cfg(test)]
mod tests;
