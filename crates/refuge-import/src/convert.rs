//! Old HTML to clean Markdown: headings, paragraphs, lists, links,
//! images, block quotes and data tables are kept; layout tables, `<font>`,
//! `<center>` and the like are dissolved; scripts, forms and frames are
//! dropped.

use scraper::node::Node;
use scraper::{ElementRef, Html};

/// Rewrites what a page points to. Each gets the URL as written.
pub trait Resolver {
    /// A link's new target; `None` keeps only the link's text.
    fn link(&self, href: &str) -> Option<String>;
    /// An image's new address; `None` drops the image.
    fn image(&self, src: &str) -> Option<String>;
}

/// Keeps absolute web and mail links as they are, and drops the rest.
pub struct KeepAbsolute;

impl Resolver for KeepAbsolute {
    fn link(&self, href: &str) -> Option<String> {
        absolute(href).then(|| href.to_owned())
    }

    fn image(&self, _: &str) -> Option<String> {
        None
    }
}

/// Whether a link leaves the old site (web, mail).
pub fn absolute(href: &str) -> bool {
    let lower = href.trim().to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://") || lower.starts_with("mailto:")
}

/// One page, converted.
#[derive(Debug, Default)]
pub struct Converted {
    /// `<title>`, whitespace collapsed.
    pub title: Option<String>,
    /// The text of the first `<h1>`–`<h3>`.
    pub heading: Option<String>,
    /// Markdown blocks in order (paragraphs, headings, lists…).
    pub blocks: Vec<String>,
    /// The page is a frameset: its content lives in other files.
    pub frameset: bool,
    /// Markup nested deeper than [`MOST_NESTED`] was read as text.
    pub flattened: bool,
    /// Links and images as written, for the caller to find files.
    pub links: Vec<String>,
    pub images: Vec<(String, String)>,
}

impl Converted {
    /// All the text, for finding a date.
    pub fn text(&self) -> String {
        self.blocks.join("\n")
    }
}

mod nesting;
pub use nesting::{MOST_NESTED, limit_nesting};

/// Parses an old page, its markup nested deeper than [`MOST_NESTED`]
/// read as text (then `true`). Every reading of an old page goes through
/// here.
pub fn parse(html: &str) -> (Html, bool) {
    match limit_nesting(html, MOST_NESTED) {
        Some(limited) => (Html::parse_document(&limited), true),
        None => (Html::parse_document(html), false),
    }
}

/// Converts a page. Markup nested deeper than [`MOST_NESTED`] is read as
/// text (`flattened` says so).
pub fn convert(html: &str, resolver: &dyn Resolver) -> Converted {
    let (doc, flattened) = parse(html);
    let mut out = Converted { flattened, ..Converted::default() };
    let root = doc.root_element();
    let mut c = Conv { resolver, blocks: Vec::new(), inline: String::new(), out: &mut out };
    c.walk(root);
    c.flush();
    let blocks = std::mem::take(&mut c.blocks);
    out.blocks = blocks;
    out
}

struct Conv<'a> {
    resolver: &'a dyn Resolver,
    blocks: Vec<String>,
    inline: String,
    out: &'a mut Converted,
}

/// Elements nested deeper than this are read as plain text.
const MAX_DEPTH: usize = 100;

const SKIP: &[&str] = &[
    "script", "style", "noscript", "iframe", "frame", "object", "embed", "applet", "map", "input", "select",
    "textarea", "button", "option", "meta", "link", "base", "template", "svg", "canvas", "audio", "video",
];
const BLOCKS: &[&str] = &[
    "p",
    "div",
    "center",
    "address",
    "section",
    "article",
    "main",
    "header",
    "footer",
    "nav",
    "aside",
    "body",
    "html",
    "form",
    "fieldset",
    "dl",
    "dt",
    "dd",
    "figure",
    "figcaption",
    "noframes",
    "frameset",
    "caption",
    "legend",
    "tr",
    "td",
    "th",
    "tbody",
    "thead",
    "tfoot",
    "table",
    "li",
    "menu",
    "dir",
];

impl Conv<'_> {
    fn flush(&mut self) {
        let text = tidy(&self.inline);
        self.inline.clear();
        if !text.is_empty() {
            self.blocks.push(escape_start(&text));
        }
    }

    fn push_block(&mut self, block: String) {
        self.flush();
        if !block.trim().is_empty() {
            self.blocks.push(block);
        }
    }

    /// Converts the children of `el` into blocks of their own.
    fn sub_blocks(&mut self, el: ElementRef<'_>) -> Vec<String> {
        let mut sub = Conv { resolver: self.resolver, blocks: Vec::new(), inline: String::new(), out: self.out };
        sub.children(el);
        sub.flush();
        sub.blocks
    }

    fn children(&mut self, el: ElementRef<'_>) {
        for child in el.children() {
            match child.value() {
                Node::Text(text) => push_text(&mut self.inline, text),
                Node::Element(_) => {
                    if let Some(e) = ElementRef::wrap(child) {
                        self.walk(e);
                    }
                }
                _ => {}
            }
        }
    }

    /// Inline content of `el` as one line of Markdown.
    fn inline_of(&mut self, el: ElementRef<'_>) -> String {
        let saved = std::mem::take(&mut self.inline);
        let blocks_before = self.blocks.len();
        self.children(el);
        let mut text = std::mem::replace(&mut self.inline, saved);
        // Block elements inside inline context: join them back in.
        for extra in self.blocks.drain(blocks_before..) {
            text.push(' ');
            text.push_str(&extra);
        }
        tidy(&text)
    }

    // Long on purpose: one match over HTML elements, each case a few lines; split, the cases would scatter.
    fn walk(&mut self, el: ElementRef<'_>) {
        // Nesting deeper than any real page: keep the text, do not recurse.
        if el.ancestors().nth(MAX_DEPTH).is_some() {
            push_text(&mut self.inline, &el.text().collect::<String>());
            return;
        }
        let name = el.value().name().to_ascii_lowercase();
        let name = name.as_str();
        if SKIP.contains(&name) {
            return;
        }
        match name {
            "head" => {
                for child in el.descendants().filter_map(ElementRef::wrap) {
                    if child.value().name().eq_ignore_ascii_case("title") && self.out.title.is_none() {
                        let t = tidy(&child.text().collect::<String>());
                        self.out.title = (!t.is_empty()).then_some(t);
                    }
                }
            }
            "title" => {
                if self.out.title.is_none() {
                    let t = tidy(&el.text().collect::<String>());
                    self.out.title = (!t.is_empty()).then_some(t);
                }
            }
            "noframes" => {
                // Parsed as raw text: convert what it holds as a page.
                let inner: String = el.text().collect();
                let sub = if inner.to_ascii_lowercase().contains("<noframes") {
                    Converted { blocks: vec![tidy(&inner)], ..Converted::default() }
                } else {
                    convert(&inner, self.resolver)
                };
                self.flush();
                self.blocks.extend(sub.blocks);
                self.out.links.extend(sub.links);
                self.out.images.extend(sub.images);
            }
            "frameset" => {
                self.out.frameset = true;
                self.children(el);
            }
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                self.flush();
                let level = usize::from(name.as_bytes()[1] - b'0');
                let text = self.inline_of(el);
                if !text.is_empty() {
                    if level <= 3 && self.out.heading.is_none() {
                        self.out.heading = Some(plain(&text));
                    }
                    self.push_block(format!("{} {text}", "#".repeat(level)));
                }
            }
            "br" => self.inline.push_str("\\\n"),
            "hr" => self.push_block("* * *".into()),
            "img" => {
                let src = el.value().attr("src").unwrap_or_default().trim().to_owned();
                let alt = tidy(el.value().attr("alt").unwrap_or_default());
                if !src.is_empty() {
                    self.out.images.push((src.clone(), alt.clone()));
                    if let Some(url) = self.resolver.image(&src) {
                        self.inline.push_str(&format!("![{}]({})", escape(&alt), url));
                    }
                }
            }
            "a" => {
                let text = self.inline_of(el);
                match el.value().attr("href").map(str::trim).filter(|h| !h.is_empty() && !h.starts_with('#')) {
                    Some(href) => {
                        self.out.links.push(href.to_owned());
                        match self.resolver.link(href) {
                            Some(url) if !text.is_empty() => {
                                self.inline.push_str(&format!("[{text}]({})", url.replace(' ', "%20")))
                            }
                            _ => self.inline.push_str(&text),
                        }
                    }
                    None => self.inline.push_str(&text),
                }
            }
            "b" | "strong" => self.emphasis(el, "**"),
            "i" | "em" | "cite" => self.emphasis(el, "*"),
            "code" | "tt" | "kbd" | "samp" => {
                let text: String = el.text().collect();
                let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
                if !text.is_empty() {
                    self.inline.push_str(&format!("`{}`", text.replace('`', "'")));
                }
            }
            "pre" => {
                let text: String = el.text().collect();
                let text = text.trim_matches('\n');
                if !text.trim().is_empty() {
                    self.push_block(format!("```\n{}\n```", text.replace("```", "'''")));
                }
            }
            "blockquote" => {
                self.flush();
                let inner = self.sub_blocks(el);
                let quoted: Vec<String> = inner
                    .iter()
                    .map(|b| {
                        b.lines()
                            .map(|l| if l.is_empty() { ">".to_owned() } else { format!("> {l}") })
                            .collect::<Vec<_>>()
                            .join("\n")
                    })
                    .collect();
                self.push_block(quoted.join("\n>\n"));
            }
            "ul" | "ol" | "menu" | "dir" => {
                self.flush();
                let list = self.list(el, name == "ol");
                self.push_block(list);
            }
            "table" if is_data_table(el) => {
                self.flush();
                let table = self.table(el);
                self.push_block(table);
            }
            "dt" => {
                self.flush();
                let text = self.inline_of(el);
                if !text.is_empty() {
                    self.push_block(format!("**{text}**"));
                }
            }
            _ if BLOCKS.contains(&name) => {
                self.flush();
                self.children(el);
                self.flush();
            }
            // <font>, <span>, <small>, <u>… and anything unknown: keep the text.
            _ => self.children(el),
        }
    }

    fn emphasis(&mut self, el: ElementRef<'_>, mark: &str) {
        let text = self.inline_of(el);
        if text.is_empty() {
            return;
        }
        if text.starts_with(mark.chars().next().unwrap_or('*')) || text.contains('\n') {
            self.inline.push_str(&text);
        } else {
            self.inline.push_str(&format!("{mark}{text}{mark}"));
        }
    }

    fn list(&mut self, el: ElementRef<'_>, ordered: bool) -> String {
        let mut lines = Vec::new();
        let mut n = 0;
        for item in el.children().filter_map(ElementRef::wrap) {
            if !item.value().name().eq_ignore_ascii_case("li") {
                continue;
            }
            n += 1;
            let marker = if ordered { format!("{n}. ") } else { "- ".to_owned() };
            let indent = " ".repeat(marker.len());
            let blocks = self.sub_blocks(item);
            let mut first = true;
            for block in blocks {
                for line in block.lines() {
                    if first {
                        lines.push(format!("{marker}{line}"));
                        first = false;
                    } else if line.is_empty() {
                        lines.push(String::new());
                    } else {
                        lines.push(format!("{indent}{line}"));
                    }
                }
            }
        }
        lines.join("\n")
    }

    fn table(&mut self, el: ElementRef<'_>) -> String {
        let mut rows: Vec<Vec<String>> = Vec::new();
        for row in el.descendants().filter_map(ElementRef::wrap).filter(|e| e.value().name().eq_ignore_ascii_case("tr"))
        {
            let cells: Vec<String> = row
                .children()
                .filter_map(ElementRef::wrap)
                .filter(|c| matches!(c.value().name().to_ascii_lowercase().as_str(), "td" | "th"))
                .map(|c| self.inline_of(c).replace("\\\n", " ").replace('|', "\\|"))
                .collect();
            if !cells.is_empty() {
                rows.push(cells);
            }
        }
        let width = rows.iter().map(Vec::len).max().unwrap_or(0);
        let mut out = Vec::new();
        for (i, row) in rows.iter().enumerate() {
            let mut cells = row.clone();
            cells.resize(width, String::new());
            out.push(format!("| {} |", cells.join(" | ")));
            if i == 0 {
                out.push(format!("|{}", " --- |".repeat(width)));
            }
        }
        out.join("\n")
    }
}

/// A table of data (not of layout): no nested tables or block content,
/// at least two rows and two columns, short cells.
fn is_data_table(el: ElementRef<'_>) -> bool {
    let mut rows = 0;
    let mut columns = 0;
    for d in el.descendants().skip(1).filter_map(ElementRef::wrap) {
        let name = d.value().name().to_ascii_lowercase();
        match name.as_str() {
            "table" | "p" | "div" | "ul" | "ol" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "blockquote" | "pre"
            | "img" | "form" | "center" => return false,
            "tr" => {
                rows += 1;
                let cells = d
                    .children()
                    .filter_map(ElementRef::wrap)
                    .filter(|c| matches!(c.value().name().to_ascii_lowercase().as_str(), "td" | "th"))
                    .inspect(|c| {
                        if c.text().map(str::len).sum::<usize>() > 300 {
                            columns = usize::MAX;
                        }
                    })
                    .count();
                if columns != usize::MAX {
                    columns = columns.max(cells);
                }
            }
            _ => {}
        }
    }
    rows >= 2 && (2..usize::MAX).contains(&columns)
}

fn push_text(out: &mut String, text: &str) {
    for c in text.chars() {
        if c.is_whitespace() && c != '\u{3000}' && c != '\u{a0}' {
            if !out.ends_with(' ') && !out.ends_with('\n') && !out.is_empty() {
                out.push(' ');
            }
        } else if c == '\u{a0}' {
            out.push(' ');
        } else {
            if matches!(c, '\\' | '*' | '_' | '[' | ']' | '<' | '>' | '`' | '|') {
                out.push('\\');
            }
            out.push(c);
        }
    }
}

fn cjk(c: char) -> bool {
    matches!(c, '\u{3000}'..='\u{30ff}' | '\u{3400}'..='\u{9fff}' | '\u{f900}'..='\u{faff}' | '\u{ff00}'..='\u{ffef}')
}

/// Trims, collapses spaces, and removes the spaces a line break between
/// two Japanese characters became (HTML shows none there in Japanese).
fn tidy(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    for (i, &c) in chars.iter().enumerate() {
        if c == ' ' {
            let prev = out.chars().last();
            let next = chars.get(i + 1).copied();
            if prev.is_none_or(|p| p == ' ' || p == '\n') || next.is_none_or(|n| n == ' ' || n == '\n') {
                continue;
            }
            if prev.is_some_and(cjk) && next.is_some_and(cjk) {
                continue;
            }
        }
        out.push(c);
    }
    let out = out.trim().trim_end_matches("\\\n").trim_end_matches('\\').trim();
    out.lines().map(str::trim).collect::<Vec<_>>().join("\n")
}

/// Escapes what would start a Markdown block by accident.
fn escape_start(text: &str) -> String {
    let first = text.chars().next().unwrap_or(' ');
    if let Some((n, rest)) = text.split_once(". ")
        && !n.is_empty()
        && n.len() < 10
        && n.bytes().all(|b| b.is_ascii_digit())
    {
        return format!("{n}\\. {rest}");
    }
    if matches!(first, '#' | '-' | '+' | '=') { format!("\\{text}") } else { text.to_owned() }
}

fn escape(text: &str) -> String {
    let mut out = String::new();
    push_text(&mut out, text);
    out
}

/// Markdown inline text back to plain text (for titles).
pub fn plain(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    let mut chars = markdown.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(&n) = chars.peek()
                    && n != '\n'
                {
                    out.push(n);
                    chars.next();
                } else {
                    out.push(' ');
                    chars.next();
                }
            }
            '*' | '`' => {}
            '\n' => out.push(' '),
            _ => out.push(c),
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests;
