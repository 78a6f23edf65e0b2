//! Markup nested too deep for the HTML parser (whose work grows with the
//! square of the depth) is read as text, in linear time.

/// Elements the HTML parser closes by itself when the next one starts
/// (old pages rarely close them): they add no depth.
const SELF_CLOSING: [&str; 30] = [
    "p", "li", "dt", "dd", "option", "optgroup", "tr", "td", "th", "tbody", "thead", "tfoot", "colgroup", "rb", "rt",
    "rp", "br", "img", "hr", "input", "meta", "link", "area", "base", "col", "embed", "param", "source", "track",
    "wbr",
];

/// How deep elements may nest before their markup is dropped (the
/// parser's work grows with the square of the depth; no real page comes
/// near).
pub const MOST_NESTED: usize = 2_000;

/// `html` with the tags nested deeper than `limit` left out (their text
/// kept), or `None` when nothing nests that deep. Linear: one pass to
/// measure, one to copy.
pub fn limit_nesting(html: &str, limit: usize) -> Option<String> {
    // Each tag: its start and end in `html`, and +1 (opens), -1 (closes) or 0.
    let bytes = html.as_bytes();
    let mut tags: Vec<(usize, usize, i8)> = Vec::new();
    let mut at = 0;
    let (mut depth, mut deepest) = (0usize, 0usize);
    while let Some(lt) = html[at..].find('<').map(|i| at + i) {
        let rest = &html[lt..];
        if rest.starts_with("<!--") {
            at = rest.find("-->").map_or(html.len(), |i| lt + i + 3);
            continue;
        }
        let Some(gt) = rest.find('>').map(|i| lt + i + 1) else { break };
        let closing = bytes.get(lt + 1) == Some(&b'/');
        let start = lt + 1 + usize::from(closing);
        let name: String =
            html[start..gt].chars().take_while(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect();
        let step = if name.is_empty() || SELF_CLOSING.contains(&name.as_str()) || html[..gt].ends_with("/>") {
            0
        } else if closing {
            -1
        } else {
            1
        };
        match step {
            1 => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            -1 => depth = depth.saturating_sub(1),
            _ => {}
        }
        tags.push((lt, gt, step));
        // The text of a script or style is not markup.
        at = if step == 1 && matches!(name.as_str(), "script" | "style") {
            let end = format!("</{name}");
            html.as_bytes()[gt..]
                .windows(end.len())
                .position(|w| w.eq_ignore_ascii_case(end.as_bytes()))
                .map_or(html.len(), |i| gt + i)
        } else {
            gt
        };
    }
    if deepest <= limit {
        return None;
    }
    let mut out = String::with_capacity(html.len());
    let (mut copied, mut depth) = (0, 0usize);
    for (lt, gt, step) in tags {
        let keep = match step {
            1 => {
                depth += 1;
                depth <= limit
            }
            -1 => {
                depth = depth.saturating_sub(1);
                depth < limit
            }
            _ => depth < limit,
        };
        out.push_str(&html[copied..lt]);
        if keep {
            out.push_str(&html[lt..gt]);
        } else {
            out.push(' ');
        }
        copied = gt;
    }
    out.push_str(&html[copied..]);
    Some(out)
}
