//! Back-office accounts.

use std::fmt;
use std::str::FromStr;

/// What an account may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Everything, including users and settings.
    Admin,
    /// Write and publish all content.
    Editor,
    /// Translate existing items; cannot publish or delete.
    Translator,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Editor => "editor",
            Role::Translator => "translator",
        }
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "admin" => Ok(Role::Admin),
            "editor" => Ok(Role::Editor),
            "translator" => Ok(Role::Translator),
            other => Err(format!("unknown role `{other}` (expected admin, editor or translator)")),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A bare e-mail address (`local@domain`), trimmed. The local part takes
/// letters, digits and ``.!#$%&'*+/=?^_`{|}~-`` (any script's letters, as
/// in internationalised mail), never quotes, angle brackets, commas,
/// spaces or control characters, so `"Friend" <a@b.c>` or a list of
/// addresses is refused; the domain is dot-separated labels of letters,
/// digits and inner hyphens.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    pub fn parse(text: &str) -> Result<Self, String> {
        let t = text.trim();
        let bad = || format!("`{}` is not an e-mail address", t.chars().take(80).collect::<String>());
        if t.len() > 254 {
            return Err(bad());
        }
        let (local, domain) = t.split_once('@').ok_or_else(bad)?;
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local.chars().all(|c| c.is_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c));
        let label_ok = |l: &str| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        };
        let labels: Vec<&str> = domain.split('.').collect();
        if !local_ok || labels.len() < 2 || !labels.iter().all(|l| label_ok(l)) {
            return Err(bad());
        }
        Ok(Self(format!("{local}@{}", domain.to_lowercase())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A back-office account (without its password hash or secrets).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct User {
    pub id: i64,
    pub email: Email,
    pub role: Role,
    /// For translators: the languages they may translate into.
    pub languages: Vec<crate::Language>,
    /// Whether a second factor (TOTP) is required at sign-in.
    pub totp: bool,
    /// The password was printed or shown to someone else (a new account,
    /// a reset): the person must choose their own before anything else.
    pub must_change_password: bool,
    /// The account's time zone (an IANA name such as `Asia/Tokyo`);
    /// `None`: the site's.
    pub time_zone: Option<String>,
}

/// The shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 12;

/// Why `password` would be refused for the account `email`, if it would:
/// too short, too long, or guessable by the zxcvbn estimate (a score
/// below 3 of 4, the account's address counted as known to an attacker).
pub fn password_weakness(password: &str, email: &str) -> Option<PasswordWeakness> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Some(PasswordWeakness::TooShort);
    }
    if password.len() > 1024 {
        return Some(PasswordWeakness::TooLong);
    }
    let local = email.split('@').next().unwrap_or_default();
    let estimate = zxcvbn::zxcvbn(password, &[email, local, "refuge"]);
    (u8::from(estimate.score()) < 3).then_some(PasswordWeakness::Guessable)
}

/// Why a password is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PasswordWeakness {
    /// Fewer characters than the minimum.
    TooShort,
    /// More than 1024 bytes.
    TooLong,
    /// Long enough, but easy to guess (a strength estimate below
    /// "safely unguessable": common words, names, keyboard patterns,
    /// dates, the account's own address).
    Guessable,
}

impl PasswordWeakness {
    /// The reason in English (the CLI; the web translates it).
    pub fn english(self) -> &'static str {
        match self {
            Self::TooShort => "a password needs at least 12 characters",
            Self::TooLong => "a password may be at most 1024 bytes",
            Self::Guessable => {
                "this password is too easy to guess: use four or five unrelated words, or one made by a password manager"
            }
        }
    }
}

/// A signed-in back-office session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    pub user: User,
    /// The per-session token every form must carry.
    pub csrf: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub last_seen: i64,
    /// False until the second factor is given (accounts with TOTP).
    pub verified: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert_eq!(Email::parse(" Ana@Example.ORG ").unwrap().as_str(), "Ana@example.org");
        assert_eq!(Email::parse("o'brien+news@mail.example.org").unwrap().as_str(), "o'brien+news@mail.example.org");
        assert_eq!(Email::parse("山田@例え.日本").unwrap().as_str(), "山田@例え.日本");
        for bad in [
            "",
            "a",
            "a@b",
            "@b.c",
            "a@@b.c",
            "a b@c.d",
            "a@.c",
            "a@c.",
            "a@b\u{1}c.d",
            "\"Friend\"<a@b.example>",
            "Friend <a@b.example>",
            "a@b.example, c@d.example",
            "a@b.example>",
            "<a@b.example>",
            "a..b@c.example",
            ".a@c.example",
            "a@-b.example",
            "a@b_c.example",
            "a@b.example\r\nBcc: x@y.example",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn roles() {
        for r in [Role::Admin, Role::Editor, Role::Translator] {
            assert_eq!(r.as_str().parse::<Role>().unwrap(), r);
        }
        assert!("root".parse::<Role>().is_err());
    }
}
