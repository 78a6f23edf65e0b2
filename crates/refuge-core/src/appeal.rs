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
}
