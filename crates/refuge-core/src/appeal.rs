//! Urgent appeals: the facts of a case, whom to write to, its timeline.

use std::str::FromStr;

use time::OffsetDateTime;

/// Where the people of an appeal stand.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub enum CaseStatus {
    AtRisk,
    Detained,
    Released,
    Repatriated,
    Safe,
    Unknown,
}

impl CaseStatus {
    pub const ALL: [CaseStatus; 6] =
        [Self::AtRisk, Self::Detained, Self::Released, Self::Repatriated, Self::Safe, Self::Unknown];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::AtRisk => "at-risk",
            Self::Detained => "detained",
            Self::Released => "released",
            Self::Repatriated => "repatriated",
            Self::Safe => "safe",
            Self::Unknown => "unknown",
        }
    }

    /// Whether people are still in danger, so readers should act.
    pub fn needs_action(self) -> bool {
        matches!(self, Self::AtRisk | Self::Detained | Self::Unknown)
    }
}

impl FromStr for CaseStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|c| c.as_str() == s).ok_or_else(|| format!("unknown case status `{s}`"))
    }
}

/// The facts of an urgent appeal, per language version. Real names are
/// never required: `people` holds a count, pseudonyms or initials.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct AppealFacts {
    pub number: String,
    pub people_count: Option<u32>,
    pub people: String,
    /// Whether `[[name:…]]` markup may show full names publicly.
    pub names_public: bool,
    pub ages: String,
    pub held_where: String,
    /// A date as written (`2026-01-14`), possibly blurred by markup.
    pub held_since: String,
    pub risk: String,
    pub status: Option<CaseStatus>,
    /// Markdown: what readers should do.
    pub action: String,
    /// Plain text: a sample letter.
    pub letter: String,
    /// `YYYY-MM-DD`; after it the appeal is shown as closed.
    pub deadline: String,
}

/// Someone readers should write to about an appeal.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Addressee {
    pub name: String,
    pub institution: String,
    pub address: String,
    pub email: String,
    pub fax: String,
}

/// A dated entry of an appeal's timeline ("further information").
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct AppealUpdate {
    pub id: i64,
    pub item_id: i64,
    /// `YYYY-MM-DD`.
    pub date: String,
    /// Markdown.
    pub text: String,
    pub source: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// The entry of another language version this one translates; `None`
    /// for an original.
    pub translates: Option<i64>,
    /// A translator's entry for a published version, waiting for an
    /// editor: never shown, fed or mailed until approved.
    pub pending: bool,
}

/// A timeline entry to add.
#[derive(Clone, Copy, Debug, Default)]
pub struct NewUpdate<'a> {
    /// `YYYY-MM-DD`; a translation takes its original's.
    pub date: &'a str,
    /// Markdown.
    pub text: &'a str,
    pub source: &'a str,
    /// The entry of another version this one translates.
    pub translates: Option<i64>,
    /// Kept for an editor's approval.
    pub pending: bool,
}

/// The text fields of an appeal's facts that a translator translates
/// (numbers, the status and the deadline are data, shown in each language).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FactField {
    People,
    Ages,
    HeldWhere,
    HeldSince,
    Risk,
    Action,
    Letter,
}

impl FactField {
    pub const ALL: [FactField; 7] =
        [Self::People, Self::Ages, Self::HeldWhere, Self::HeldSince, Self::Risk, Self::Action, Self::Letter];

    /// The field's name in forms (`what_to_do` for the action).
    pub fn key(self) -> &'static str {
        match self {
            Self::People => "people",
            Self::Ages => "ages",
            Self::HeldWhere => "held_where",
            Self::HeldSince => "held_since",
            Self::Risk => "risk",
            Self::Action => "what_to_do",
            Self::Letter => "letter",
        }
    }

    pub fn of(self, facts: &AppealFacts) -> &str {
        match self {
            Self::People => &facts.people,
            Self::Ages => &facts.ages,
            Self::HeldWhere => &facts.held_where,
            Self::HeldSince => &facts.held_since,
            Self::Risk => &facts.risk,
            Self::Action => &facts.action,
            Self::Letter => &facts.letter,
        }
    }
}

/// Whether a text has words in it (a letter of any script), so that it
/// reads differently in each language; "27, 32" or "2026-01-14" do not.
pub fn has_words(text: &str) -> bool {
    text.chars().any(char::is_alphabetic)
}

/// The fields of a translation still as they are in its source: the same
/// words, copied when the translation was started and not translated since.
pub fn untranslated(own: &AppealFacts, source: &AppealFacts) -> Vec<FactField> {
    FactField::ALL
        .into_iter()
        .filter(|f| {
            let (mine, theirs) = (f.of(own).trim(), f.of(source).trim());
            !mine.is_empty() && mine == theirs && has_words(mine)
        })
        .collect()
}

/// An addressee's institution still as in the source's addressee at the
/// same place (its postal address stays as the post expects it).
pub fn untranslated_addressees(own: &[Addressee], source: &[Addressee]) -> Vec<usize> {
    own.iter()
        .zip(source)
        .enumerate()
        .filter(|(_, (a, b))| {
            let (mine, theirs) = (a.institution.trim(), b.institution.trim());
            !mine.is_empty() && mine == theirs && has_words(mine)
        })
        .map(|(i, _)| i)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copied_words_are_untranslated_and_data_is_not() {
        let source = AppealFacts {
            people: "Eleven people".into(),
            ages: "32 and 27".into(),
            held_where: "Tumen".into(),
            held_since: "2026-01-14".into(),
            risk: "Forced return".into(),
            action: "Write to the Minister.".into(),
            letter: String::new(),
            ..AppealFacts::default()
        };
        let own = AppealFacts {
            people: "十一人".into(),
            ages: "32 and 27".into(),
            held_where: "Tumen".into(),
            held_since: "2026-01-14".into(),
            risk: " Forced return ".into(),
            action: "大臣に手紙を".into(),
            ..AppealFacts::default()
        };
        assert_eq!(
            untranslated(&own, &source),
            vec![FactField::Ages, FactField::HeldWhere, FactField::Risk],
            "a date is data, an empty field is not shown"
        );
        let a = |institution: &str| Addressee { institution: institution.into(), ..Addressee::default() };
        assert_eq!(untranslated_addressees(&[a("法務大臣"), a("Ministry")], &[a("Minister"), a("Ministry")]), vec![1]);
    }
}
