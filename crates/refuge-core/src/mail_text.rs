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

use pulldown_cmark::{Event, HeadingLevel, Parser, Tag, TagEnd};
use textwrap::core::Word;
use textwrap::{Options, WordSeparator, WrapAlgorithm};

use crate::redaction::Redaction;

/// The widest a wrapped line may be, in display columns.
pub const WIDTH: usize = 72;

/// The display width of `text` (East Asian wide characters count two).
pub fn display_width(text: &str) -> usize {
    textwrap::core::display_width(text)
}

/// Where the next web or mail address in `text` starts.
fn next_address(text: &str) -> Option<usize> {
    ["https://", "http://", "mailto:"].iter().filter_map(|p| text.find(p)).min()
}

/// Splits a line into words by the Unicode line-breaking rules, except
/// that an address is one word: it may stand alone on a line, never break.
fn words(line: &str) -> Box<dyn Iterator<Item = Word<'_>> + '_> {
    let mut words: Vec<Word<'_>> = Vec::new();
    let mut rest = line;
    while let Some(start) = next_address(rest) {
        let (before, from) = rest.split_at(start);
        words.extend(WordSeparator::UnicodeBreakProperties.find_words(before));
        let end = from.find(char::is_whitespace).unwrap_or(from.len());
        let with_space = end + from[end..].len() - from[end..].trim_start_matches(' ').len();
        words.push(Word::from(&from[..with_space]));
        rest = &from[with_space..];
    }
    words.extend(WordSeparator::UnicodeBreakProperties.find_words(rest));
    Box::new(words.into_iter())
}

/// Wraps `text` at `width` columns with `first` before its first line and
/// `rest` before the others; `\n` in the text are kept as line breaks.
pub fn wrap(text: &str, width: usize, first: &str, rest: &str) -> Vec<String> {
    let options = Options::new(width)
        .initial_indent(first)
        .subsequent_indent(rest)
        .word_separator(WordSeparator::Custom(words))
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

/// Wraps every paragraph of a plain text (paragraphs are separated by
/// blank lines; single line breaks are kept).
pub fn wrap_plain(text: &str) -> String {
    wrap(text, WIDTH, "", "").join("\n")
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
        let mut lines = wrap(text, WIDTH, &first, &rest);
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
mod tests {
    use super::*;

    const BASE: &str = "https://example.org";
    const EN: Redaction<'static> = Redaction { lang: "en", names_public: false };

    fn widest(text: &str) -> usize {
        text.lines().map(display_width).max().unwrap_or(0)
    }

    #[test]
    fn links_become_numbered_references_with_absolute_addresses() {
        let text = to_mail_text(
            "Read [our annual report](/en/about/) and [the appeal](https://example.net/a). \
             Again: [the report](/en/about/). Write to <mailto:help@example.org>.",
            BASE,
            EN,
        );
        assert!(text.contains("our annual report [1]"), "{text}");
        assert!(text.contains("the appeal [2]"));
        assert!(text.contains("the report [1]"), "one number per address");
        assert!(text.contains("help@example.org"));
        let ja = to_mail_text("[年次報告](/ja/about/)をお読みください。", BASE, EN);
        assert!(ja.starts_with("年次報告[1]を"), "{ja}");
        assert!(text.ends_with("[1] https://example.org/en/about/\n[2] https://example.net/a"), "{text}");
    }

    #[test]
    fn structure_is_kept() {
        let md = "# Title\n\nIntro line one\nand two.  \nAfter a hard break.\n\n- first\n- second\n\n1. one\n2. two\n\n> A quote\n> — Source\n\n    code line\n";
        let text = to_mail_text(md, BASE, EN);
        assert!(text.contains("After a hard break.\n\n- first"), "a blank line before a list: {text}");
        assert!(text.contains("- second\n\n1. one"), "and between lists: {text}");
        assert!(text.contains("> A quote\n> — Source"), "the source on its own line: {text}");
        let text = to_mail_text(md, BASE, EN);
        assert!(text.starts_with("Title\n====="), "{text}");
        assert!(text.contains("Intro line one and two.\nAfter a hard break."), "{text}");
        assert!(text.contains("- first\n- second"), "{text}");
        assert!(text.contains("1. one\n2. two"), "{text}");
        assert!(text.contains("> A quote"), "{text}");
        assert!(text.contains("    code line"), "{text}");
    }

    #[test]
    fn long_paragraphs_wrap_at_72_columns_in_every_script() {
        let english = "The eleven people detained near the border last month are at risk of forced return. ".repeat(12);
        let text = to_mail_text(&english, BASE, EN);
        assert!(widest(&text) <= WIDTH, "{text}");
        assert!(text.lines().count() > 10);
        // Japanese has no spaces: it breaks between characters.
        let japanese = "先月国境付近で拘束された十一人は、強制送還の危険にさらされています。".repeat(20);
        let text = to_mail_text(&japanese, BASE, EN);
        assert!(widest(&text) <= WIDTH, "{text}");
        assert!(text.lines().count() > 15, "{text}");
        assert!(text.lines().all(|l| display_width(l) >= WIDTH - 2 || l == text.lines().last().unwrap()));
        // A list item's continuation lines are indented under its text.
        let text = to_mail_text(&format!("- {english}\n"), BASE, EN);
        assert!(text.lines().skip(1).all(|l| l.starts_with("  ")), "{text}");
        assert!(widest(&text) <= WIDTH);
        // Quotes keep their marker on every line.
        let text = to_mail_text(&format!("> {japanese}\n"), BASE, EN);
        assert!(text.lines().all(|l| l.starts_with("> ")), "{text}");
    }

    #[test]
    fn addresses_are_never_broken() {
        let url = format!("https://example.org/{}", "a".repeat(100));
        let text = to_mail_text(&format!("See {url} for more."), BASE, EN);
        assert!(text.lines().any(|l| l.contains(&url)), "{text}");
    }

    #[test]
    fn redaction_applies() {
        let text = to_mail_text("[[name:Kim Minji]] was held in [[year:2003]].", BASE, EN);
        assert!(text.contains("K. M.") && text.contains("200X") && !text.contains("Minji"), "{text}");
    }
}
