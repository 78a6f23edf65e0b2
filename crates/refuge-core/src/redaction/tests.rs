use super::*;

fn en(text: &str) -> String {
    Redaction::hidden("en").apply(text).into_string()
}

#[test]
fn names_become_initials_or_a_placeholder() {
    assert_eq!(en("Mr [[name:Kim Minji]] was held in [[year:2003]]."), "Mr K. M. was held in 200X.");
    assert_eq!(en("[[name:Park Ji-hoon]]"), "P. J.");
    assert_eq!(en("[[name:Мария Иванова]]"), "М. И.");
    assert_eq!(en("[[name:李 明]]"), "(name withheld)");
    assert_eq!(en("[[name:김 민지]]"), "(name withheld)");
    assert_eq!(en("[[name:Kim 민지]]"), "(name withheld)", "mixed scripts: no character of the name");
    let ja = Redaction::hidden("ja");
    assert_eq!(ja.apply("[[name:山田 花子]]さん").as_str(), "○○さん");
    assert_eq!(Redaction::hidden("ko").apply("[[name:김민지]] 씨").as_str(), "○○○ 씨");
    assert_eq!(Redaction::hidden("zh").apply("[[name:李明]]先生").as_str(), "某某先生");
    assert_eq!(Redaction { lang: "en", names_public: true }.apply("[[name:Kim Minji]]").as_str(), "Kim Minji");
}

#[test]
fn an_explicit_label_is_the_public_form() {
    assert_eq!(en("[[name:김민지|K]] and [[name:李明|Mr L.]]"), "K and Mr L.");
    assert_eq!(check("[[name:김민지|K]]"), Ok(()));
    assert!(matches!(check("[[name:Kim Minji|Minji]]"), Err(MarkupError::LabelRevealsName { .. })));
    assert!(matches!(check("[[name:김민지|민지]]"), Err(MarkupError::LabelRevealsName { .. })));
    assert!(matches!(check("[[name:Kim|*evil*]]"), Err(MarkupError::BadLabel { .. })));
    // A label that reveals is never shown, even if saved before the check.
    assert_eq!(en("[[name:Kim Minji|Minji]]"), "K. M.");
}

#[test]
fn initials_end_a_sentence_once() {
    assert_eq!(en("Free [[name:Park Min]]."), "Free P. M.");
    assert_eq!(en("Free [[name:Park Min]]!"), "Free P. M.!");
}

#[test]
fn markdown_around_a_mark_does_not_hide_it() {
    assert_eq!(en("[[[name:Kim Minji]]](https://example.org)"), "[K. M.](https://example.org)");
    assert_eq!(en("![[[name:Kim Minji]]](/media/a.jpg)"), "![K. M.](/media/a.jpg)");
    assert_eq!(en("[[[year:1905]]]"), "[190X]");
    assert_eq!(en("`[[name:Kim Minji]]`"), "`K. M.`");
    assert_eq!(en("**[[name:Kim Minji]]**"), "**K. M.**");
    for text in ["[[[name:Kim Minji]]](u)", "![[[name:Kim Minji]]](u)", "[[[year:1905]]]", "[x]: /u \"[[name:A B]]\""] {
        assert_eq!(check(text), Ok(()), "{text}");
    }
}

#[test]
fn malformed_markup_is_refused_with_the_text_quoted() {
    for (text, unclosed) in [
        ("Mr [[Name:Park Ji-hoon]] was", false),
        ("Mr [[ name:Park Ji-hoon]] was", false),
        ("Mr [[name：Park Ji-hoon]] was", false),
        ("Mr [[name :Park Ji-hoon]] was", false),
        ("Mr [[NAME:Park]]", false),
        ("Mr ［［name:Park Ji-hoon］］", false),
        ("Mr 【name:朴智勋】", false),
        ("Mr [name:Park Ji-hoon]]", false),
        ("Mr [[name;Park Ji-hoon]]", false),
        ("Mr [[nmae:Park Ji-hoon]]", false),
        ("Mr [[person:Park Ji-hoon]]", false),
        ("Mr [[name:Park Ji-hoon] was", false),
        ("Mr [[name:Park Ji-hoon was held", true),
        ("Mr [[name:Park\nJi-hoon]]", true),
        ("Mr \\[\\[name:Park Ji-hoon\\]\\]", false),
        ("[[Year:2003]]", false),
    ] {
        let error = check(text).expect_err(text);
        assert!(
            error.quote().contains("Park") || error.quote().contains("朴") || text.contains("Year"),
            "{text}: {error}"
        );
        assert_eq!(matches!(error, MarkupError::Unclosed { .. }), unclosed, "{text}: {error}");
    }
    assert!(matches!(check("[[name:]]"), Err(MarkupError::Empty { .. })));
    assert!(matches!(check("[[name: - ]]"), Err(MarkupError::Empty { .. })));
}

#[test]
fn ordinary_brackets_are_not_markup() {
    for text in [
        "[Note: the figures are from 2002.]",
        "See [[1]](https://example.org) and [2].",
        "a[[0]] = 1",
        "[[ wiki link ]]",
        "Time: 10:30 [approx]",
        "「名前：山田」",
    ] {
        assert_eq!(check(text), Ok(()), "{text}");
    }
}

#[test]
fn names_are_found_in_every_form() {
    assert_eq!(names_in("[[name:Kim Minji]] and [[name:李明|L]] and [[name:Kim Minji]]"), ["Kim Minji", "李明"]);
    let old = names_in("Saved long ago: [[Name:Park Ji-hoon]] and [[ name：김민지]] and [[name:Choi");
    assert_eq!(old, ["Park Ji-hoon", "김민지", "Choi"]);
    assert!(names_in("[[year:2003]] [Note: x]").is_empty());
}

#[test]
fn public_forms_never_hold_two_letters_of_the_name() {
    for name in ["Kim Minji", "Park Ji-hoon", "李明", "김민지", "山田花子", "Мария Иванова", "O'Brien Sean", "Ærø Øy"]
    {
        for lang in ["en", "ja", "ko", "zh", "fr"] {
            let shown = public_form(name, None, lang);
            let folded: Vec<char> = fold::fold_text(&shown).chars().collect();
            let whole = fold::fold_text(name);
            assert!(
                !folded.windows(2).any(|w| whole.contains(&w.iter().collect::<String>())),
                "{name} in {lang}: {shown}"
            );
        }
    }
}
