use super::*;

/// 80,000 nested elements (400 KB) took 29 s to read: the parser's
/// work grows with the square of the depth. Beyond the limit the
/// markup is dropped, the text kept, in one pass.
#[test]
fn deep_nesting_is_read_in_linear_time_with_its_text() {
    let n = 80_000;
    let html = format!(
        "<html><body><p>Before</p>{}DEEP TEXT{}<p>After</p></body></html>",
        "<div>".repeat(n),
        "</div>".repeat(n)
    );
    let started = std::time::Instant::now();
    let page = convert(&html, &KeepAbsolute);
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "took {:?}", started.elapsed());
    assert!(page.flattened);
    let text = page.text();
    assert!(text.contains("Before") && text.contains("DEEP TEXT") && text.contains("After"), "{text}");
    // What real old pages do, never flattened: thousands of unclosed
    // paragraphs and list items, scripts holding tags, comments.
    let old = format!(
        "<html><body>{}<script>var s = '{}';</script><!-- {} --><ul>{}</ul></body></html>",
        "<p>para".repeat(3_000),
        "<div>".repeat(3_000),
        "<div>".repeat(3_000),
        "<li>item".repeat(3_000)
    );
    assert!(limit_nesting(&old, MOST_NESTED).is_none());
    assert!(!convert(&old, &KeepAbsolute).flattened);
}

struct Map;
impl Resolver for Map {
    fn link(&self, href: &str) -> Option<String> {
        match href {
            "2faced.html" => Some("/en/news/2faced/".into()),
            h if absolute(h) => Some(h.into()),
            _ => None,
        }
    }
    fn image(&self, src: &str) -> Option<String> {
        (src == "img/river.jpg").then(|| "/media/abc.jpg".into())
    }
}

#[test]
fn converts_a_table_layout_page() {
    let html = r##"<HTML><HEAD><TITLE>Refugee Aid - Two faces</TITLE>
<SCRIPT>alert(1)</SCRIPT></HEAD>
<BODY BGCOLOR="#FFFFFF"><TABLE WIDTH=600><TR><TD VALIGN=top><A HREF="index.html">Home</A><BR><A HREF="2faced.html">Two faces</A></TD>
<TD><CENTER><FONT SIZE=5 COLOR=red><B>Two faces of the border</B></FONT></CENTER>
<P>The guards   were <I>told</I> to send
everyone back. See <A HREF="http://www.example.org/report">the report</A>.
<P><IMG SRC="img/river.jpg" ALT="The river"> <IMG SRC="counter.gif">
<UL><LI>First * point<LI>Second <A HREF="2faced.html">link</A></UL>
<BLOCKQUOTE>We were afraid.<BR>We ran.</BLOCKQUOTE>
<TABLE BORDER=1><TR><TH>Year<TH>People</TR><TR><TD>2001<TD>120</TR></TABLE>
<H2>日本語の
見出し</H2>
</TD></TR></TABLE></BODY></HTML>"##;
    let c = convert(html, &Map);
    assert_eq!(c.title.as_deref(), Some("Refugee Aid - Two faces"));
    assert_eq!(c.heading.as_deref(), Some("日本語の見出し"));
    assert_eq!(
        c.blocks,
        [
            "Home\\\n[Two faces](/en/news/2faced/)",
            "**Two faces of the border**",
            "The guards were *told* to send everyone back. See [the report](http://www.example.org/report).",
            "![The river](/media/abc.jpg)",
            "- First \\* point\n- Second [link](/en/news/2faced/)",
            "> We were afraid.\\\n> We ran.",
            "| Year | People |\n| --- | --- |\n| 2001 | 120 |",
            "## 日本語の見出し",
        ]
    );
    assert_eq!(c.images.len(), 2);
}

#[test]
fn frames_and_oddities() {
    let c = convert("<frameset><frame src=a.html><noframes><p>Use a newer browser.</p></noframes></frameset>", &Map);
    assert!(c.frameset);
    assert_eq!(c.blocks, ["Use a newer browser."]);
    let c = convert("<p># not a heading</p><p>1. not a list</p><p><a name=x></a><b></b>&nbsp;</p>", &Map);
    assert_eq!(c.blocks, ["\\# not a heading", "1\\. not a list"]);
    assert!(convert("", &Map).blocks.is_empty());
    let deep =
        format!("{}deep{}", "<div><blockquote><ul><li>".repeat(5000), "</li></ul></blockquote></div>".repeat(5000));
    assert!(convert(&deep, &Map).text().contains("deep"));
}
