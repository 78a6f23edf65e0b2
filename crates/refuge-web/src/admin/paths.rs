//! Back-office addresses, typed: every link, form action and redirect the
//! back office builds comes from a [`To`], and a test checks that each
//! one is a route of [`super::guard::ROUTES`], so the two cannot drift.

use refuge_core::{Kind, Language};

/// What a page says after a redirect (`?notice=`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Notice {
    Saved,
    Submitted,
    Restored,
    Discarded,
    Deleted,
    /// Saved, but its mail to subscribers could not be queued.
    SavedNotMailed,
}

impl Notice {
    pub fn as_str(self) -> &'static str {
        match self {
            Notice::Saved => "saved",
            Notice::Submitted => "submitted",
            Notice::Restored => "restored",
            Notice::Discarded => "discarded",
            Notice::Deleted => "deleted",
            Notice::SavedNotMailed => "saved_not_mailed",
        }
    }
}

/// A back-office address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum To<'a> {
    /// An item's editor.
    Item(i64),
    /// An item's editor, opened on a change awaiting review.
    ItemWithReview {
        item: i64,
        aside: i64,
    },
    ItemHistory(i64),
    ItemDelete(i64),
    /// A change awaiting review, compared with the published text.
    Review {
        item: i64,
        aside: i64,
    },
    /// A new translation of an item into a language.
    Translate {
        item: i64,
        lang: &'a Language,
    },
    NewItem {
        kind: Kind,
        lang: &'a Language,
    },
    /// The item list with the query it was opened with.
    Items(Option<&'a str>),
    /// The list of a kind of items.
    ItemsOfKind(Kind),
    Newsletter(i64),
    NewsletterTest(i64),
    NewsletterSend(i64),
    UserDelete(i64),
    Subscriber(i64),
    SubscriberRemove(i64),
    /// The media library, searched, at a page.
    Media {
        q: &'a str,
        page: u32,
    },
    MediaDelete(i64),
    /// A photo waiting for its faces to be reviewed.
    MediaReview(&'a str),
    Message(i64),
    MessageDelete(i64),
    Audit {
        page: u32,
    },
    /// The sign-in form, then `next`.
    Login {
        next: &'a str,
    },
    /// The second step of signing in, then `next`.
    LoginCode {
        next: &'a str,
    },
    /// A form kept after its session ended, by its one-time key.
    Resume(&'a str),
}

impl To<'_> {
    pub fn path(&self) -> String {
        match self {
            To::Item(id) => format!("/admin/items/{id}"),
            To::ItemWithReview { item, aside } => format!("/admin/items/{item}?review={aside}"),
            To::ItemHistory(id) => format!("/admin/items/{id}/history"),
            To::ItemDelete(id) => format!("/admin/items/{id}/delete"),
            To::Review { item, aside } => format!("/admin/items/{item}/review/{aside}"),
            To::Translate { item, lang } => format!("/admin/items/{item}/translate/{lang}"),
            To::NewItem { kind, lang } => format!("/admin/items/new?kind={kind}&lang={lang}"),
            To::Items(None) => "/admin/items".into(),
            To::Items(Some(query)) => format!("/admin/items?{query}"),
            To::ItemsOfKind(kind) => format!("/admin/items?kind={kind}"),
            To::Newsletter(id) => format!("/admin/newsletters/{id}"),
            To::NewsletterTest(id) => format!("/admin/newsletters/{id}/test"),
            To::NewsletterSend(id) => format!("/admin/newsletters/{id}/send"),
            To::UserDelete(id) => format!("/admin/users/{id}/delete"),
            To::Subscriber(id) => format!("/admin/subscribers/{id}"),
            To::SubscriberRemove(id) => format!("/admin/subscribers/{id}/remove"),
            To::Media { q, page } => format!("/admin/media?q={}&page={page}", percent(q)),
            To::MediaDelete(id) => format!("/admin/media/{id}/delete"),
            To::MediaReview(key) => format!("/admin/media/review/{key}"),
            To::Message(id) => format!("/admin/inbox/{id}"),
            To::MessageDelete(id) => format!("/admin/inbox/{id}/delete"),
            To::Audit { page } => format!("/admin/audit?page={page}"),
            To::Login { next } => format!("/admin/login?next={}", percent(next)),
            To::LoginCode { next } => format!("/admin/login/code?next={}", percent(next)),
            To::Resume(key) => format!("/admin/resume/{key}"),
        }
    }

    /// The address with what its page should say (`?notice=`, or
    /// `&notice=` after a query).
    pub fn notice(&self, notice: Notice) -> String {
        let path = self.path();
        let join = if path.contains('?') { '&' } else { '?' };
        format!("{path}{join}notice={}", notice.as_str())
    }
}

fn percent(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether `path` (its query left out) fits a route pattern, where
    /// `{name}` stands for one segment.
    fn fits(pattern: &str, path: &str) -> bool {
        let path = path.split('?').next().unwrap_or_default();
        let (a, b): (Vec<&str>, Vec<&str>) = (pattern.split('/').collect(), path.split('/').collect());
        a.len() == b.len() && a.iter().zip(&b).all(|(p, s)| (p.starts_with('{') && !s.is_empty()) || p == s)
    }

    #[test]
    fn every_address_built_is_a_route_served() {
        let ja = Language::parse("ja").unwrap();
        let all = [
            To::Item(1),
            To::ItemWithReview { item: 1, aside: 2 },
            To::ItemHistory(1),
            To::ItemDelete(1),
            To::Review { item: 1, aside: 2 },
            To::Translate { item: 1, lang: &ja },
            To::NewItem { kind: Kind::News, lang: &ja },
            To::Items(None),
            To::Items(Some("kind=news")),
            To::ItemsOfKind(Kind::Appeal),
            To::Newsletter(1),
            To::NewsletterTest(1),
            To::NewsletterSend(1),
            To::UserDelete(1),
            To::Subscriber(1),
            To::SubscriberRemove(1),
            To::Media { q: "川 & x", page: 2 },
            To::MediaDelete(1),
            To::MediaReview("abc"),
            To::Message(1),
            To::MessageDelete(1),
            To::Audit { page: 2 },
            To::Login { next: "/admin/items/1?x=1" },
            To::LoginCode { next: "/admin/" },
            To::Resume("abc"),
        ];
        for to in &all {
            let path = to.path();
            assert!(
                super::super::guard::ROUTES.iter().any(|r| fits(r.path, &path)),
                "{to:?} builds {path}, which no route serves"
            );
        }
        assert_eq!(To::Item(7).notice(Notice::Saved), "/admin/items/7?notice=saved");
        assert_eq!(To::ItemsOfKind(Kind::News).notice(Notice::Deleted), "/admin/items?kind=news&notice=deleted");
        assert_eq!(To::Login { next: "/a?b" }.path(), "/admin/login?next=%2Fa%3Fb");
    }
}
