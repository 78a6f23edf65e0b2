//! Dates in old pages: written in the text (`2002年7月20日`, `平成14年7月20日`,
//! `July 20, 2002`, `20 July 2002`, `2002/07/20`, `2002-07-20`,
//! `2002.7.20`), or in the file name (`20020720.html`, `news-2002-07-20.htm`).
//! Old archives often give only a month (`Current Background - July 2002`,
//! `2002年7月 現状報告`, `report-2002-07.html`): [`find_in_text`] and
//! [`find_in_name`] say so rather than inventing a day.

use time::{Date, Month};

/// How much of a date an old page gave.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Precision {
    Day,
    /// Only the month: the date is its first day.
    Month,
}

/// A date found, and how precise it was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Found {
    pub date: Date,
    pub precision: Precision,
}

impl Found {
    fn day(date: Date) -> Self {
        Self { date, precision: Precision::Day }
    }

    fn month(year: i32, month: u32) -> Option<Self> {
        date(year, month, 1).map(|date| Self { date, precision: Precision::Month })
    }
}

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

fn date(year: i32, month: u32, day: u32) -> Option<Date> {
    if !(1990..=2100).contains(&year) {
        return None;
    }
    Date::from_calendar_date(year, Month::try_from(u8::try_from(month).ok()?).ok()?, u8::try_from(day).ok()?).ok()
}

/// Runs of ASCII (or full-width) digits with their positions, as numbers.
fn numbers(text: &[char]) -> Vec<(usize, usize, u32)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < text.len() {
        let digit = |c: char| c.to_digit(10).or_else(|| ('０'..='９').contains(&c).then(|| c as u32 - '０' as u32));
        if digit(text[i]).is_some() {
            let start = i;
            let mut n: u32 = 0;
            while i < text.len()
                && let Some(d) = digit(text[i])
            {
                n = n.saturating_mul(10).saturating_add(d);
                i += 1;
            }
            out.push((start, i, n));
        } else {
            i += 1;
        }
    }
    out
}

fn era_year(before: &[char], n: u32) -> Option<i32> {
    let s: String = before.iter().rev().take(2).collect::<Vec<_>>().into_iter().rev().collect();
    let base = match s.as_str() {
        "昭和" => 1925,
        "平成" => 1988,
        "令和" => 2018,
        _ => return None,
    };
    Some(base + n as i32)
}

/// The first date written in `text`, to the day.
pub fn in_text(text: &str) -> Option<Date> {
    find_in_text(text).filter(|f| f.precision == Precision::Day).map(|f| f.date)
}

/// The first date written in `text`: a day, or a month alone (`July 2002`,
/// `Jul. 2002`, `2002年7月`, `平成14年7月`, `2002.7`).
pub fn find_in_text(text: &str) -> Option<Found> {
    let chars: Vec<char> = text.chars().collect();
    let nums = numbers(&chars);
    let between = |a: usize, b: usize| -> String { chars[a..b].iter().collect::<String>() };
    for (k, &(start, end, n)) in nums.iter().enumerate() {
        let next = nums.get(k + 1);
        let after = nums.get(k + 2);
        // Year first: 2002年7月20日, 平成14年7月20日, 2002/07/20, 2002-07-20, 2002.7.20
        if let (Some(&(s2, e2, m)), Some(&(s3, e3, d))) = (next, after) {
            let year = if end - start == 4 { Some(n as i32) } else { era_year(&chars[..start], n) };
            let (sep1, sep2) = (between(end, s2), between(e2, s3));
            let kanji = sep1.trim() == "年" && sep2.trim() == "月" && chars.get(e3) == Some(&'日');
            let punct = sep1 == sep2 && ["/", "-", ".", "．", "／"].contains(&sep1.as_str()) && end - start == 4;
            if let Some(year) = year
                && (kanji || punct)
                && let Some(found) = date(year, m, d)
            {
                return Some(Found::day(found));
            }
        }
        // July 20, 2002
        if let Some(&(s2, e2, y)) = next
            && e2 - s2 == 4
        {
            let before: String = chars[..start].iter().rev().take(12).collect::<Vec<_>>().into_iter().rev().collect();
            let sep = between(end, s2);
            if matches!(sep.trim(), "," | "") && !sep.is_empty() {
                let word: String =
                    before.trim_end().chars().rev().take_while(|c| c.is_ascii_alphabetic() || *c == '.').collect();
                let word: String = word.chars().rev().collect::<String>().to_lowercase();
                if let Some(m) = month_of(&word)
                    && let Some(found) = date(y as i32, m, n)
                {
                    return Some(Found::day(found));
                }
            }
        }
        // 20 July 2002
        if let Some(&(s2, e2, y)) = next
            && e2 - s2 == 4
        {
            let word = between(end, s2);
            if let Some(m) = month_of(word.trim().trim_end_matches(',').to_lowercase().as_str())
                && word.starts_with(' ')
                && let Some(found) = date(y as i32, m, n)
            {
                return Some(Found::day(found));
            }
        }
        // A month alone, where no day follows: 2002年7月, 平成14年7月, 2002.7
        if let Some(&(s2, e2, m)) = next {
            let year = if end - start == 4 { Some(n as i32) } else { era_year(&chars[..start], n) };
            let sep = between(end, s2);
            let day_follows = after.is_some_and(|&(s3, _, _)| {
                let gap = between(e2, s3);
                gap.trim().is_empty() || gap == "." || gap == "月"
            });
            let kanji = sep.trim() == "年" && chars.get(e2) == Some(&'月') && !day_follows;
            let dotted = end - start == 4
                && sep == "."
                && e2 - s2 <= 2
                && !chars.get(e2).is_some_and(|c| *c == '.' || c.is_ascii_alphanumeric());
            if let Some(year) = year
                && (kanji || dotted)
                && let Some(found) = Found::month(year, m)
            {
                return Some(found);
            }
        }
        // A month alone, named: July 2002, Jul. 2002
        if end - start == 4 {
            let before: String = chars[..start].iter().rev().take(12).collect::<Vec<_>>().into_iter().rev().collect();
            if before.ends_with(' ') {
                let word: String =
                    before.trim_end().chars().rev().take_while(|c| c.is_ascii_alphabetic() || *c == '.').collect();
                let word: String = word.chars().rev().collect::<String>().to_lowercase();
                let digit_after = chars.get(end).is_some_and(|c| c.is_ascii_alphanumeric());
                if let Some(m) = month_of(&word)
                    && !digit_after
                    && let Some(found) = Found::month(n as i32, m)
                {
                    return Some(found);
                }
            }
        }
    }
    None
}

fn month_of(word: &str) -> Option<u32> {
    let word = word.trim_end_matches('.');
    if word.len() < 3 {
        return None;
    }
    MONTHS
        .iter()
        .position(|m| m.starts_with(word) && (word.len() == 3 || *m == word || word == "sept"))
        .map(|i| i as u32 + 1)
}

/// A date in a file name: 8 digits (YYYYMMDD) or YYYY-MM-DD / YYYY_MM_DD.
pub fn in_name(name: &str) -> Option<Date> {
    find_in_name(name).filter(|f| f.precision == Precision::Day).map(|f| f.date)
}

/// A date in a file name, to the day (as [`in_name`]), or a month alone:
/// 6 digits (YYYYMM) or YYYY-MM / YYYY_MM.
pub fn find_in_name(name: &str) -> Option<Found> {
    if let Some(found) = day_in_name(name) {
        return Some(Found::day(found));
    }
    let chars: Vec<char> = name.chars().collect();
    let nums = numbers(&chars);
    for (k, &(start, end, n)) in nums.iter().enumerate() {
        if end - start == 6
            && let Some(found) = Found::month((n / 100) as i32, n % 100)
        {
            return Some(found);
        }
        if end - start == 4
            && let Some(&(s2, e2, m)) = nums.get(k + 1)
            && s2 == end + 1
            && matches!(chars[end], '-' | '_')
            && e2 - s2 <= 2
            && let Some(found) = Found::month(n as i32, m)
        {
            return Some(found);
        }
    }
    None
}

fn day_in_name(name: &str) -> Option<Date> {
    let chars: Vec<char> = name.chars().collect();
    let nums = numbers(&chars);
    for (k, &(start, end, n)) in nums.iter().enumerate() {
        if end - start == 8
            && let Some(d) = date((n / 10_000) as i32, n / 100 % 100, n % 100)
        {
            return Some(d);
        }
        if end - start == 4
            && let (Some(&(s2, e2, m)), Some(&(s3, _, d))) = (nums.get(k + 1), nums.get(k + 2))
            && s2 == end + 1
            && s3 == e2 + 1
            && let Some(found) = date(n as i32, m, d)
        {
            return Some(found);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    #[test]
    fn dates_in_text() {
        assert_eq!(in_text("更新：2002年7月20日（土）"), Some(date!(2002 - 07 - 20)));
        assert_eq!(in_text("平成14年7月20日"), Some(date!(2002 - 07 - 20)));
        assert_eq!(in_text("２００２年１２月３日"), Some(date!(2002 - 12 - 03)));
        assert_eq!(in_text("Posted July 20, 2002 by staff"), Some(date!(2002 - 07 - 20)));
        assert_eq!(in_text("*July 20, 2002*"), Some(date!(2002 - 07 - 20)));
        assert_eq!(in_text("On 3 Sept 2003 they were moved"), Some(date!(2003 - 09 - 03)));
        assert_eq!(in_text("Updated 2002/07/20"), Some(date!(2002 - 07 - 20)));
        assert_eq!(in_text("2002-7-20"), Some(date!(2002 - 07 - 20)));
        assert_eq!(in_text("2002.07.20"), Some(date!(2002 - 07 - 20)));
        assert_eq!(in_text("Call 03-5555-1234 now"), None);
        assert_eq!(in_text("We have 2002 members and 7 offices in 20 towns"), None);
        assert_eq!(in_text("2002/13/45"), None);
    }

    #[test]
    fn months_alone() {
        let month = |y, m| Some(Found::month(y, m).unwrap());
        assert_eq!(find_in_text("Current Background - July 2002"), month(2002, 7));
        assert_eq!(find_in_text("Report, Jul. 2002."), month(2002, 7));
        assert_eq!(find_in_text("2002年7月 現状報告"), month(2002, 7));
        assert_eq!(find_in_text("平成14年7月の報告"), month(2002, 7));
        assert_eq!(find_in_text("会報 2002.7 号"), month(2002, 7));
        assert_eq!(find_in_text("issue 2002.12"), month(2002, 12));
        // A day wins when the text gives one first.
        assert_eq!(find_in_text("July 20, 2002: July 2002 report"), Some(Found::day(date!(2002 - 07 - 20))));
        assert_eq!(find_in_text("2002年7月20日"), Some(Found::day(date!(2002 - 07 - 20))));
        // The first date in the text counts, whatever its precision.
        assert_eq!(find_in_text("July 2002. On 3 June 2002 he was taken"), month(2002, 7));
        // Not dates.
        assert_eq!(find_in_text("We have 2002 members"), None);
        assert_eq!(find_in_text("version 2002.7a"), None);
        assert_eq!(find_in_text("May 20022"), None);
        assert_eq!(find_in_text("2002年13月"), None);
        // in_text stays to the day.
        assert_eq!(in_text("July 2002"), None);
    }

    #[test]
    fn months_in_names() {
        let month = |y, m| Some(Found::month(y, m).unwrap());
        assert_eq!(find_in_name("bg-2002-07.html"), month(2002, 7));
        assert_eq!(find_in_name("report_2002_7.htm"), month(2002, 7));
        assert_eq!(find_in_name("200207.html"), month(2002, 7));
        assert_eq!(find_in_name("news-2002-07-20.htm"), Some(Found::day(date!(2002 - 07 - 20))));
        assert_eq!(find_in_name("200213.html"), None);
        assert_eq!(find_in_name("page123456.html"), None);
        assert_eq!(in_name("200207.html"), None);
    }

    #[test]
    fn dates_in_names() {
        assert_eq!(in_name("20020720.html"), Some(date!(2002 - 07 - 20)));
        assert_eq!(in_name("news-2002-07-20.htm"), Some(date!(2002 - 07 - 20)));
        assert_eq!(in_name("2faced.html"), None);
        assert_eq!(in_name("page12345678.html"), None);
    }
}
