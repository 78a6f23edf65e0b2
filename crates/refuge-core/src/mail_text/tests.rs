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

/// The lines of a wrapped paragraph of `lang`, checked: each within
/// the width unless it holds an address alone, every address whole.
fn wrapped(text: &str, lang: &str, urls: &[&str]) -> Vec<String> {
    let out = to_mail_text(text, BASE, Redaction { lang, names_public: false });
    let lines: Vec<String> = out.lines().map(str::to_owned).collect();
    for url in urls {
        let start = &url[..20];
        let holding: Vec<&String> = lines.iter().filter(|l| l.contains(start)).collect();
        assert_eq!(holding.len(), text.matches(url).count(), "{lang}: {url} once a line:\n{out}");
        for line in holding {
            assert!(line.contains(url), "{lang}: {url} whole:\n{out}");
            if display_width(url) > WIDTH {
                assert_eq!(line.trim().trim_end_matches(closes), *url, "{lang}: a long address stands alone:\n{out}");
            }
        }
    }
    for line in &lines {
        assert!(display_width(line) <= WIDTH || urls.iter().any(|u| line.contains(u)), "{lang}: {line}");
    }
    assert!(lines.len() > 3, "{lang}: wrapped:\n{out}");
    lines
}

#[test]
fn korean_breaks_at_spaces_japanese_and_chinese_between_characters_addresses_never() {
    let long = "https://example.org/ko/appeals/eleven-held-at-the-border-must-not-be-sent-back/letter-to-the-minister/";
    let short = "https://example.net/a-b";
    // Korean: lines end only where the text had a space.
    let korean = format!(
            "변호사들은 지난달 국경 부근에서 구금된 열한 명의 석방을 신청했습니다. 자세한 내용은 {long} 에서 볼 수 있습니다. \
             이들은 언제든지 강제 송환될 위험에 처해 있으며 {short} 여러분의 편지가 큰 힘이 됩니다. "
        )
        .repeat(3);
    let lines = wrapped(&korean, "ko", &[long, short]);
    let words: Vec<&str> = korean.split_whitespace().collect();
    let got: Vec<&str> = lines.iter().flat_map(|l| l.split_whitespace()).collect();
    assert_eq!(got, words, "no Korean word is cut");
    // Japanese and Chinese: between characters, but never before
    // closing punctuation or a small kana, and never inside "200X年".
    for (lang, text) in [
        (
            "ja",
            format!(
                "私たちは法務大臣に手紙を送りました。200X年に拘束された十一人は、今も収容されています（詳しくは{long}をご覧ください）。ショッピングセンターでの署名活動も続けます。"
            ),
        ),
        (
            "zh",
            format!(
                "我们已经给部长写了信。二〇二六年被拘押的十一人仍被关押在边境城市（详情请见{long}）。请您继续写信，每一封信都很重要。"
            ),
        ),
    ] {
        let text = text.repeat(4);
        let lines = wrapped(&text, lang, &[long]);
        assert_eq!(lines.concat(), text, "{lang}: only line breaks added");
        for pair in lines.windows(2) {
            let first = pair[1].chars().next().unwrap();
            assert!(!closes(first), "{lang}: a line starts with {first}: {pair:?}");
            assert!(!opens(pair[0].chars().next_back().unwrap()), "{lang}: a line ends opening: {pair:?}");
            let last = pair[0].chars().next_back().unwrap();
            assert!(
                !(last.is_ascii_alphanumeric() && east_asian(first)),
                "{lang}: a number is parted from its counter: {pair:?}"
            );
        }
    }
    // The same in a list and a quote, and a bare www. address.
    let www = "www.example.org/a-very-long-path-with-hyphens-that-mail-clients-would-cut-in-two/index.html";
    let text = to_mail_text(
        &format!("- 詳しくは {www} をご覧ください。\n"),
        BASE,
        Redaction { lang: "ja", names_public: false },
    );
    assert!(text.lines().any(|l| l.trim() == www), "{text}");
}

#[test]
fn redaction_applies() {
    let text = to_mail_text("[[name:Kim Minji]] was held in [[year:2003]].", BASE, EN);
    assert!(text.contains("K. M.") && text.contains("200X") && !text.contains("Minji"), "{text}");
}
