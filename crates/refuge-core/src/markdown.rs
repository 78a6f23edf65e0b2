//! Markdown → safe HTML.
//!
//! CommonMark with tables, footnotes and strike-through, then an allow-list
//! sanitiser, so a body can never carry script, event handlers, styles or
//! `javascript:` links. Two house rules on top of CommonMark:
//!
//! * A block quote whose last paragraph (or last line) starts with a dash
//!   (`—`, `―` or `--`) is a quotation with a source line; it renders as
//!   `<figure class="quote"><blockquote>…</blockquote><figcaption>…</figcaption></figure>`.
//! * Images from other hosts are never embedded (a reader's browser would
//!   contact that host): they become plain links to the image.

use std::collections::HashSet;
use std::sync::OnceLock;

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd};

use crate::redaction::Redaction;

pub(crate) fn options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_FOOTNOTES | Options::ENABLE_STRIKETHROUGH
}

/// Renders Markdown to sanitised HTML, with the redaction markup
/// applied first (see [`crate::redaction`]): a mark inside link text,
/// image alternative text or code is redacted like any other.
pub fn to_safe_html(markdown: &str, redaction: Redaction<'_>) -> String {
    let markdown = redaction.cow(markdown);
    let events = rewrite_images(Parser::new_ext(&markdown, options()));
    let events = quotes_with_sources(events);
    let mut html = String::with_capacity(markdown.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    sanitizer().clean(&html).to_string()
}

/// The addresses of the images in a Markdown document that have no
/// alternative text (`![](…)`), in order.
pub fn images_without_alt(markdown: &str) -> Vec<String> {
    let mut missing = Vec::new();
    let mut open: Option<(String, String)> = None;
    for event in Parser::new_ext(markdown, options()) {
        match event {
            Event::Start(Tag::Image { dest_url, .. }) => open = Some((dest_url.to_string(), String::new())),
            Event::Text(t) | Event::Code(t) if open.is_some() => {
                if let Some((_, alt)) = open.as_mut() {
                    alt.push_str(&t);
                }
            }
            Event::End(TagEnd::Image) => {
                if let Some((url, alt)) = open.take()
                    && alt.trim().is_empty()
                {
                    missing.push(url);
                }
            }
            _ => {}
        }
    }
    missing
}

/// The text of a Markdown document without markup, for summaries and
/// search; paragraphs are separated by blank lines.
pub fn to_plain_text(markdown: &str, redaction: Redaction<'_>) -> String {
    let mut out = String::with_capacity(markdown.len());
    let markdown = redaction.cow(markdown);
    for event in Parser::new_ext(&markdown, options()) {
        match event {
            Event::Text(t) | Event::Code(t) => out.push_str(&t),
            Event::SoftBreak | Event::HardBreak => out.push(' '),
            Event::End(
                TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::Item | TagEnd::TableRow | TagEnd::CodeBlock,
            ) => out.push_str("\n\n"),
            Event::End(TagEnd::TableCell) => out.push(' '),
            _ => {}
        }
    }
    out.trim().to_owned()
}

/// Cuts `text` to at most `max_chars` characters at a word boundary where
/// there is one, adding an ellipsis when something was cut.
pub fn excerpt(text: &str, max_chars: usize) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max_chars {
        return flat;
    }
    let cut: String = flat.chars().take(max_chars).collect();
    let trimmed = match cut.rfind(' ') {
        Some(pos) if pos > max_chars / 2 => &cut[..pos],
        _ => &cut,
    };
    format!("{}…", trimmed.trim_end_matches([',', '.', ';', ':', '、', '。']))
}

fn is_external(url: &str) -> bool {
    let lower = url.trim().to_ascii_lowercase();
    lower.starts_with("//") || lower.contains(':')
}

/// Turns images with an absolute URL into links, so no page embeds a
/// resource from another host.
fn rewrite_images<'a>(events: impl Iterator<Item = Event<'a>>) -> Vec<Event<'a>> {
    let mut out = Vec::new();
    let mut open_external = Vec::new();
    for event in events {
        match event {
            Event::Start(Tag::Image { link_type, dest_url, title, id }) => {
                let external = is_external(&dest_url);
                open_external.push(external);
                if external {
                    out.push(Event::Start(Tag::Link { link_type, dest_url, title, id }));
                } else {
                    out.push(Event::Start(Tag::Image { link_type, dest_url, title, id }));
                }
            }
            Event::End(TagEnd::Image) => {
                if open_external.pop().unwrap_or(false) {
                    out.push(Event::End(TagEnd::Link));
                } else {
                    out.push(Event::End(TagEnd::Image));
                }
            }
            other => out.push(other),
        }
    }
    out
}

const SOURCE_MARKS: [&str; 4] = ["— ", "―", "—", "-- "];

fn strip_source_mark(text: &str) -> Option<&str> {
    SOURCE_MARKS.iter().find_map(|m| text.strip_prefix(m)).map(str::trim_start)
}

/// Wraps top-level block quotes that end in a source line in a figure.
fn quotes_with_sources(events: Vec<Event<'_>>) -> Vec<Event<'_>> {
    let mut out = Vec::with_capacity(events.len() + 8);
    let mut depth = 0usize;
    let mut quote: Vec<Event<'_>> = Vec::new();
    for event in events {
        match &event {
            Event::Start(Tag::BlockQuote(_)) => {
                depth += 1;
                if depth == 1 {
                    quote.clear();
                }
                quote.push(event);
            }
            Event::End(TagEnd::BlockQuote(_)) => {
                quote.push(event);
                depth -= 1;
                if depth == 0 {
                    out.extend(figure_for(std::mem::take(&mut quote)));
                }
            }
            _ if depth > 0 => quote.push(event),
            _ => out.push(event),
        }
    }
    out
}

/// Given the events of one block quote (start and end included), returns
/// them as a figure with a caption when the quote ends with a source line.
fn figure_for(quote: Vec<Event<'_>>) -> Vec<Event<'_>> {
    let len = quote.len();
    // The last paragraph must close right before the quote ends.
    if len < 4 || !matches!(quote[len - 2], Event::End(TagEnd::Paragraph)) {
        return quote;
    }
    let Some(para_start) = quote[..len - 2].iter().rposition(|e| matches!(e, Event::Start(Tag::Paragraph))) else {
        return quote;
    };
    // A source line starts the paragraph, or follows a line break inside it.
    let inline = &quote[para_start + 1..len - 2];
    let Some(split) = inline.iter().enumerate().rposition(|(i, e)| {
        let starts_line = i == 0 || matches!(inline[i - 1], Event::SoftBreak | Event::HardBreak);
        matches!(e, Event::Text(t) if starts_line && strip_source_mark(t).is_some())
    }) else {
        return quote;
    };
    let mut caption: Vec<Event<'_>> = inline[split..].to_vec();
    if let Some(Event::Text(t)) = caption.first_mut() {
        let rest = strip_source_mark(t).unwrap_or_default().to_owned();
        *t = CowStr::from(rest);
    }
    let mut kept_inline: Vec<Event<'_>> = inline[..split].to_vec();
    while matches!(kept_inline.last(), Some(Event::SoftBreak | Event::HardBreak)) {
        kept_inline.pop();
    }

    let mut out = Vec::with_capacity(len + 4);
    out.push(Event::Html(CowStr::from("<figure class=\"quote\">")));
    out.extend_from_slice(&quote[..para_start]);
    if !kept_inline.is_empty() {
        out.push(Event::Start(Tag::Paragraph));
        out.extend(kept_inline);
        out.push(Event::End(TagEnd::Paragraph));
    }
    out.push(quote[len - 1].clone());
    out.push(Event::Html(CowStr::from("<figcaption>")));
    out.extend(caption);
    out.push(Event::Html(CowStr::from("</figcaption></figure>\n")));
    out
}

fn sanitizer() -> &'static ammonia::Builder<'static> {
    static BUILDER: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    BUILDER.get_or_init(|| {
        let mut b = ammonia::Builder::default();
        b.add_tags(["figure", "figcaption"])
            .url_schemes(HashSet::from(["http", "https", "mailto", "tel"]))
            .link_rel(Some("noopener noreferrer"))
            .add_tag_attributes("div", ["id"])
            .add_tag_attributes("sup", ["id"])
            .add_tag_attributes("li", ["id"])
            .add_allowed_classes("div", ["footnote-definition"])
            .add_allowed_classes("sup", ["footnote-definition-label", "footnote-reference"])
            .add_allowed_classes("figure", ["quote"])
            .attribute_filter(|element, attribute, value| {
                // Images only from this site: a reader's browser must not
                // contact any other host.
                if element == "img" && (attribute == "src" || attribute == "srcset") && is_external(value) {
                    None
                } else {
                    Some(value.into())
                }
            });
        b
    })
}

/// Escapes text for HTML and XML (text and attribute values): the one
/// escape function, used by the templates' formatter and for markup built
/// outside the templates. Only `& < > " '` change, so URLs stay readable.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    write_escaped(&mut out, text).expect("writing to a String cannot fail");
    out
}

/// [`escape_html`], written to `out` without an allocation.
pub fn write_escaped(out: &mut impl std::fmt::Write, text: &str) -> std::fmt::Result {
    let mut last = 0;
    for (i, b) in text.bytes().enumerate() {
        let entity = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#39;",
            _ => continue,
        };
        out.write_str(&text[last..i])?;
        out.write_str(entity)?;
        last = i + 1;
    }
    out.write_str(&text[last..])
}

#[cfg(test)]
mod tests {
    use super::*;

    const EN: Redaction<'static> = Redaction { lang: "en", names_public: false };

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape_html("<a href=\"x\">O'Neil & co</a>"),
            "&lt;a href=&quot;x&quot;&gt;O&#39;Neil &amp; co&lt;/a&gt;"
        );
    }

    #[test]
    fn renders_commonmark_tables_and_footnotes() {
        let html =
            to_safe_html("# Title\n\nSome *text*.[^1]\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n[^1]: A note.\n", EN);
        assert!(html.contains("<h1>Title</h1>"), "{html}");
        assert!(html.contains("<em>text</em>"));
        assert!(html.contains("<table>") && html.contains("<td>1</td>"));
        assert!(html.contains("class=\"footnote-definition\""), "{html}");
        assert!(html.contains("href=\"#1\""), "{html}");
    }

    #[test]
    fn quote_with_source_becomes_figure() {
        let md = "> \"Beijing, July 20 - Refugees are held.\"\n>\n> — Wire service, 20 July\n";
        let html = to_safe_html(md, EN);
        assert!(html.starts_with("<figure class=\"quote\">\n<blockquote>"), "{html}");
        assert!(html.contains("<figcaption>Wire service, 20 July</figcaption></figure>"), "{html}");
        assert!(!html.contains("— Wire"));
    }

    #[test]
    fn source_on_last_line_of_single_paragraph() {
        let html = to_safe_html("> Words of the report.\n> ― 共同通信\n", EN);
        assert!(html.contains("<blockquote>\n<p>Words of the report.</p>\n</blockquote>"), "{html}");
        assert!(html.contains("<figcaption>共同通信</figcaption>"), "{html}");
    }

    #[test]
    fn plain_quote_stays_plain() {
        let html = to_safe_html("> Just a quote - with a hyphen.\n", EN);
        assert!(html.starts_with("<blockquote>"), "{html}");
        assert!(!html.contains("figure"));
    }

    #[test]
    fn nested_quotes_do_not_break() {
        let html = to_safe_html("> outer\n>\n> > inner\n> > — inner source\n>\n> — outer source\n", EN);
        assert!(html.contains("<figcaption>outer source</figcaption>"), "{html}");
    }

    #[test]
    fn script_and_handlers_are_removed() {
        let attacks = [
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            "[click](javascript:alert(1))",
            "<a href=\"JaVaScRiPt:alert(1)\">x</a>",
            "<svg onload=alert(1)><circle/></svg>",
            "<iframe src=\"https://evil.example\"></iframe>",
            "<p style=\"background:url(https://evil.example)\">x</p>",
            "<math><mi xlink:href=\"javascript:alert(1)\">x</mi></math>",
            "<object data=\"x\"></object><embed src=\"x\">",
            "<form action=\"https://evil.example\"><input name=a></form>",
            "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
            "<a href=\"vbscript:msgbox\">x</a>",
            "<div onclick=\"alert(1)\">x</div>",
            "<base href=\"https://evil.example/\">",
            "<meta http-equiv=\"refresh\" content=\"0;url=https://evil.example\">",
            "<link rel=stylesheet href=https://evil.example/x.css>",
            "<style>body{}</style>",
        ];
        for attack in attacks {
            let html = to_safe_html(attack, EN).to_ascii_lowercase();
            for bad in [
                "<script",
                "onerror",
                "onload",
                "onclick",
                "javascript:",
                "vbscript:",
                "<svg",
                "<iframe",
                "style=",
                "<object",
                "<embed",
                "<form",
                "<input",
                "data:",
                "<base",
                "<meta",
                "<link",
                "<style",
                "<math",
            ] {
                assert!(!html.contains(bad), "{attack:?} rendered as {html:?}");
            }
        }
    }

    #[test]
    fn external_images_become_links() {
        let html = to_safe_html("![a photo](https://other.example/p.jpg) ![local](/media/x.jpg)", EN);
        assert!(
            html.contains("<a href=\"https://other.example/p.jpg\" rel=\"noopener noreferrer\">a photo</a>"),
            "{html}"
        );
        assert!(html.contains("<img src=\"/media/x.jpg\" alt=\"local\">"), "{html}");
        let raw = to_safe_html("<img src=\"https://other.example/t.gif\" alt=\"t\">", EN);
        assert!(!raw.contains("other.example"), "{raw}");
        let proto = to_safe_html("<img src=\"//other.example/t.gif\">", EN);
        assert!(!proto.contains("other.example"), "{proto}");
    }

    #[test]
    fn redaction_markup() {
        let html = to_safe_html("Held: **[[name:Park Jisoo]]** since [[year:2004]].", EN);
        assert!(html.contains("<strong>P. J.</strong>") && html.contains("200X") && !html.contains("Park"), "{html}");
        assert!(!to_plain_text("[[name:Park Jisoo]]", EN).contains("Park"));
        let alt = to_safe_html("![Photo of [[name:Park Jisoo]]](/media/a.jpg) [[[name:Park Jisoo]]](/x)", EN);
        assert!(alt.contains("alt=\"Photo of P. J.\"") && alt.contains(">P. J.</a>") && !alt.contains("Park"), "{alt}");
        let public = Redaction { lang: "en", names_public: true };
        assert!(to_safe_html("[[name:Park Jisoo]]", public).contains("Park Jisoo"));
    }

    #[test]
    fn plain_text_and_excerpts() {
        let text = to_plain_text("# Head\n\nA *b* `c`.\n\n- one\n- two\n", EN);
        assert_eq!(text, "Head\n\nA b c.\n\none\n\ntwo");
        assert_eq!(excerpt("one two three four", 100), "one two three four");
        assert_eq!(excerpt("one two three four", 12), "one two…");
        assert_eq!(excerpt("北朝鮮難民の救援活動について。", 6), "北朝鮮難民の…");
    }

    #[test]
    fn finds_images_without_alternative_text() {
        let text = "![A river](/media/a.jpg)\n\n![](/media/b-800.jpg) and ![ ](/c.png)\n\n![**Bold** alt](/d.jpg)";
        assert_eq!(images_without_alt(text), ["/media/b-800.jpg", "/c.png"]);
        assert!(images_without_alt("No images here.").is_empty());
    }
}
