//! Urgent appeals: the list, the case page, its letter and feed, and the
//! home page's featured appeal. An appeal is open while its people still
//! need action and its deadline has not passed; pages that show one are
//! only valid until that deadline.

use minijinja::value::Serde;
use refuge_core::appeal::FactField;
use refuge_core::markdown::to_safe_html;
use refuge_core::redaction::Redaction;
use refuge_core::{AppealFacts, AppealUpdate, CaseStatus, Item, ItemRef, Kind, Language, Slug};
use serde::Serialize;
use time::{Date, OffsetDateTime};

use crate::RenderError;
use crate::cache::Dep;
use crate::feeds::{rendered, rfc3339};
use crate::routes::{AppealFile, AppealFilter, Route};
use crate::site::{FeedLink, Outcome, Rendered, Site};

fn deadline(facts: &AppealFacts) -> Option<Date> {
    day(&facts.deadline)
}

/// A day stored as `YYYY-MM-DD`.
fn day(iso: &str) -> Option<Date> {
    Date::parse(iso.trim(), time::macros::format_description!("[year]-[month]-[day]")).ok()
}

/// The first second after the deadline day.
fn deadline_end(facts: &AppealFacts) -> Option<i64> {
    deadline(facts).and_then(|d| d.next_day()).map(|d| d.midnight().assume_utc().unix_timestamp())
}

/// Whether the appeal still asks readers to act, at `now`.
pub fn is_open(facts: &AppealFacts, now: OffsetDateTime) -> bool {
    facts.status.unwrap_or(CaseStatus::AtRisk).needs_action()
        && deadline_end(facts).is_none_or(|end| now.unix_timestamp() < end)
}

#[derive(Serialize)]
pub(crate) struct AppealCard {
    pub path: String,
    /// The appeal's language tag and name when it is not the page's.
    pub lang_tag: Option<String>,
    pub lang_name: Option<String>,
    pub title: String,
    pub summary: String,
    pub number: String,
    pub status: &'static str,
    pub status_label: String,
    pub open: bool,
    pub deadline: String,
    pub date: String,
    pub date_iso: String,
}

#[derive(Serialize)]
struct Fact {
    label: String,
    value: String,
    /// The source's language tag when the value is still the source's
    /// words (shown marked "not yet translated", never as a silent mix).
    #[serde(skip_serializing_if = "Option::is_none")]
    untranslated: Option<String>,
}

#[derive(Serialize)]
struct UpdateView {
    id: i64,
    /// As the reader's language writes it (`20 November 2026`).
    date: String,
    /// `YYYY-MM-DD`, for `<time datetime>`.
    date_iso: String,
    html: String,
    source: String,
    /// The language tag of an entry of another version not yet translated
    /// into the page's language (shown marked, in its own language).
    #[serde(skip_serializing_if = "Option::is_none")]
    untranslated: Option<String>,
}

/// An appeal's facts, addressees and timeline, ready to show.
struct AppealParts {
    facts: Vec<Fact>,
    addressees: Vec<AddresseeView>,
    updates: Vec<UpdateView>,
    /// The source's language tag for the action and the letter when they
    /// are still the source's words.
    action_untranslated: Option<String>,
    letter_untranslated: Option<String>,
}

#[derive(Serialize)]
struct AddresseeView {
    name: String,
    institution: String,
    institution_untranslated: Option<String>,
    address: String,
    email: String,
    fax: String,
}

impl Site {
    fn card(&self, lang: &Language, r: &ItemRef, facts: &AppealFacts, now: OffsetDateTime) -> AppealCard {
        let t = self.strings(lang);
        let status = facts.status.unwrap_or(CaseStatus::AtRisk);
        let (lang_tag, lang_name) = self.language_mark(lang, &r.lang);
        AppealCard {
            path: r.path(),
            lang_tag,
            lang_name,
            title: Redaction::hidden(r.lang.as_str()).apply(&r.title).into_string(),
            summary: Redaction::hidden(r.lang.as_str()).apply(&r.summary).into_string(),
            number: facts.number.clone(),
            status: status.as_str(),
            status_label: t.get(&format!("appeal_status_{}", status.as_str())).into(),
            open: is_open(facts, now),
            deadline: t.day(&facts.deadline),
            date: r.published_at.map(|d| t.item_date(d, r.month_only)).unwrap_or_default(),
            date_iso: crate::dates::item_iso_date(r.published_at, r.month_only),
        }
    }

    /// Published appeals of a language with their facts, open ones first,
    /// and when the earliest open one closes. An appeal not (yet) in `lang`
    /// is shown in another language, marked as such: a reader must learn
    /// of every appeal, translated or not.
    fn appeal_cards(&self, lang: &Language) -> Result<(Vec<AppealCard>, Option<i64>), RenderError> {
        let now = OffsetDateTime::now_utc();
        let mut cards = Vec::new();
        let mut valid_until: Option<i64> = None;
        let mut seen = std::collections::HashSet::new();
        let mut languages = vec![lang.clone()];
        languages.extend(self.fallback_languages(lang));
        for source in &languages {
            for r in self.store.published_kind(Kind::Appeal, source)? {
                if !seen.insert(r.group_id) {
                    continue;
                }
                let facts = self.store.appeal_facts(r.id)?;
                if is_open(&facts, now)
                    && let Some(end) = deadline_end(&facts)
                {
                    valid_until = Some(valid_until.map_or(end, |v| v.min(end)));
                }
                cards.push((r.published_at, self.card(lang, &r, &facts, now)));
            }
        }
        cards.sort_by(|a, b| b.1.open.cmp(&a.1.open).then(b.0.cmp(&a.0)));
        Ok((cards.into_iter().map(|(_, c)| c).collect(), valid_until))
    }

    /// The newest open appeal, for the home page.
    pub(crate) fn featured(&self, lang: &Language) -> Result<(Option<AppealCard>, Option<i64>), RenderError> {
        let (cards, valid_until) = self.appeal_cards(lang)?;
        Ok((cards.into_iter().find(|c| c.open), valid_until))
    }

    pub(crate) fn appeals_list(&self, lang: &Language, filter: &AppealFilter) -> Result<Outcome, RenderError> {
        let t = self.strings(lang);
        let (mut cards, valid_until) = self.appeal_cards(lang)?;
        // Filter links only for statuses that have appeals, with counts.
        let statuses: Vec<Fact> = CaseStatus::ALL
            .iter()
            .filter_map(|s| {
                let n = cards.iter().filter(|c| c.status == s.as_str()).count();
                (n > 0).then(|| Fact {
                    label: format!("{} ({n})", t.get(&format!("appeal_status_{}", s.as_str()))),
                    value: Route::Appeals { lang: lang.clone(), filter: AppealFilter::Status(*s) }.path(),
                    untranslated: None,
                })
            })
            .collect();
        match filter {
            AppealFilter::All => {}
            AppealFilter::Status(s) => cards.retain(|c| c.status == s.as_str()),
            AppealFilter::Year(y) => cards.retain(|c| c.date.contains(&y.to_string())),
        }
        if cards.is_empty() && *filter != AppealFilter::All {
            return Ok(Outcome::NotFound(lang.clone()));
        }
        let path = Route::Appeals { lang: lang.clone(), filter: filter.clone() }.path();
        let mut chrome = self.chrome(lang, &path, Some(t.get("appeals_title").to_owned()))?;
        let available: Vec<(Language, String)> = if *filter == AppealFilter::All {
            self.languages().iter().map(|l| (l.clone(), Route::appeals(l))).collect()
        } else {
            vec![(lang.clone(), path.clone())]
        };
        self.set_languages(&mut chrome, lang, &available, Route::appeals);
        let (open, closed): (Vec<AppealCard>, Vec<AppealCard>) = cards.into_iter().partition(|c| c.open);
        let html = self.env.get_template("appeals.html")?.render(minijinja::context! {
            open => Serde(open),
            closed => Serde(closed),
            statuses => Serde(statuses),
            filtered => *filter != AppealFilter::All,
            ..Serde(&chrome),
        })?;
        let deps = self.languages().iter().map(|l| Dep::Appeals(l.clone())).collect();
        let mut page = Rendered::html(200, html, deps);
        page.valid_until = valid_until;
        Ok(Outcome::Page(page))
    }

    /// The case page of an appeal.
    // Long on purpose: the appeal page's values, one per line, as the template reads them.
    pub(crate) fn render_appeal(&self, item: &Item, mut page: Rendered) -> Result<Rendered, RenderError> {
        // `page` is the generic item page; replaced here by the appeal's own.
        let lang = &item.lang;
        let t = self.strings(lang);
        let facts = self.store.appeal_facts(item.id)?;
        let shown = Redaction { lang: lang.as_str(), names_public: facts.names_public };
        let now = OffsetDateTime::now_utc();
        let open = is_open(&facts, now);
        let status = facts.status.unwrap_or(CaseStatus::AtRisk);
        let title = shown.apply(&item.title).into_string();
        let mut chrome = self.chrome(lang, &item.path(), Some(title.clone()))?;
        let translations = self.store.published_translations(item.group_id)?;
        let available: Vec<(Language, String)> = translations
            .iter()
            .filter(|t| self.languages().contains(&t.lang))
            .map(|t| (t.lang.clone(), t.path()))
            .collect();
        self.set_languages(&mut chrome, lang, &available, |l| Kind::Appeal.path(l, &item.slug));
        chrome.og_type = "article";
        chrome.describe(shown.apply(&item.summary).into_string());
        chrome.feeds.push(FeedLink { title: title.clone(), href: format!("{}feed.xml", item.path()) });
        let parts = self.appeal_parts(item, &facts)?;
        let html = self.env.get_template("appeal.html")?.render(minijinja::context! {
            item => minijinja::context! {
                title => title,
                date => item.published_at.map(|d| t.item_date(d, item.month_only)).unwrap_or_default(),
            },
            status => status.as_str(),
            status_label => t.get(&format!("appeal_status_{}", status.as_str())),
            open => open,
            facts => Serde(parts.facts),
            body_html => to_safe_html(&item.body, shown),
            action_html => to_safe_html(&facts.action, shown),
            action_untranslated => parts.action_untranslated,
            letter => shown.apply(&facts.letter).into_string(),
            letter_untranslated => parts.letter_untranslated,
            letter_href => format!("{}letter.txt", item.path()),
            file_href => format!("{}appeal.html", item.path()),
            addressees => Serde(parts.addressees),
            updates => Serde(parts.updates),
            translations => Serde(self.translation_views_public(&translations, lang)),
            ..Serde(&chrome),
        })?;
        page.body = html.into_bytes();
        page.deps.push(Dep::Appeals(lang.clone()));
        page.valid_until = if open { deadline_end(&facts) } else { None };
        Ok(page)
    }

    /// An appeal's facts, addressees and timeline, as its page and its
    /// single file show them (names redacted unless public).
    fn appeal_parts(&self, item: &Item, facts: &AppealFacts) -> Result<AppealParts, RenderError> {
        let t = self.strings(&item.lang);
        let shown = Redaction { lang: item.lang.as_str(), names_public: facts.names_public };
        // A translation's fields still as in its source are marked, with
        // the source's language.
        let source = match item.translated_from {
            Some(id) if id != item.id => {
                let lang = self.store.published_translations(item.group_id)?.into_iter().find(|r| r.id == id);
                Some((self.store.appeal_facts(id)?, self.store.addressees(id)?, lang.map(|r| r.lang.tag())))
            }
            _ => None,
        };
        let untranslated: Vec<FactField> =
            source.as_ref().map(|(theirs, _, _)| refuge_core::appeal::untranslated(facts, theirs)).unwrap_or_default();
        let mark = |field: FactField| {
            untranslated.contains(&field).then(|| source.as_ref().and_then(|(_, _, l)| l.clone()).unwrap_or_default())
        };
        let fact = |key: &str, value: String, field: Option<FactField>| Fact {
            label: t.get(key).into(),
            value: shown.apply(&value).into_string(),
            untranslated: field.and_then(mark),
        };
        let facts_list: Vec<Fact> = [
            fact("appeal_number", facts.number.clone(), None),
            fact("appeal_people_count", facts.people_count.map(|n| n.to_string()).unwrap_or_default(), None),
            fact("appeal_people", facts.people.clone(), Some(FactField::People)),
            fact("appeal_ages", facts.ages.clone(), Some(FactField::Ages)),
            fact("appeal_held_where", facts.held_where.clone(), Some(FactField::HeldWhere)),
            fact("appeal_held_since", t.day(&facts.held_since), Some(FactField::HeldSince)),
            fact("appeal_risk", facts.risk.clone(), Some(FactField::Risk)),
            fact("appeal_deadline", t.day(&facts.deadline), None),
        ]
        .into_iter()
        .filter(|f| !f.value.trim().is_empty())
        .collect();
        let updates: Vec<UpdateView> = self
            .timeline(item)?
            .into_iter()
            .map(|(u, written_in)| {
                let shown = Redaction {
                    lang: written_in.as_ref().unwrap_or(&item.lang).as_str(),
                    names_public: facts.names_public,
                };
                UpdateView {
                    id: u.id,
                    date: t.day(&u.date),
                    date_iso: u.date.clone(),
                    html: to_safe_html(&u.text, shown),
                    source: shown.apply(&u.source).into_string(),
                    untranslated: written_in.map(|l| l.tag()),
                }
            })
            .collect();
        let own = self.store.addressees(item.id)?;
        let copied = source
            .as_ref()
            .map(|(_, theirs, _)| refuge_core::appeal::untranslated_addressees(&own, theirs))
            .unwrap_or_default();
        let source_lang = source.as_ref().and_then(|(_, _, l)| l.clone()).unwrap_or_default();
        let addressees: Vec<AddresseeView> = own
            .into_iter()
            .enumerate()
            .map(|(i, a)| AddresseeView {
                name: a.name,
                institution: a.institution,
                institution_untranslated: copied.contains(&i).then(|| source_lang.clone()),
                address: a.address,
                email: a.email,
                fax: a.fax,
            })
            .collect();
        Ok(AppealParts {
            facts: facts_list,
            addressees,
            updates,
            action_untranslated: mark(FactField::Action),
            letter_untranslated: mark(FactField::Letter),
        })
    }

    /// An appeal's timeline as its readers in `item`'s language see it,
    /// newest first: its own entries, and the original entries of its other
    /// published versions that it has no translation of yet, with their
    /// language. A draft's entries are never shown.
    fn timeline(&self, item: &Item) -> Result<Vec<(AppealUpdate, Option<Language>)>, RenderError> {
        // Entries waiting for an editor's approval are not public.
        let own: Vec<AppealUpdate> = self.store.appeal_updates(item.id)?.into_iter().filter(|u| !u.pending).collect();
        let translated: std::collections::HashSet<i64> = own.iter().filter_map(|u| u.translates).collect();
        let mut entries: Vec<(AppealUpdate, Option<Language>)> = own.into_iter().map(|u| (u, None)).collect();
        for other in self.store.published_translations(item.group_id)? {
            if other.id == item.id || !self.languages().contains(&other.lang) {
                continue;
            }
            for u in self.store.appeal_updates(other.id)? {
                if u.translates.is_none() && !u.pending && !translated.contains(&u.id) {
                    entries.push((u, Some(other.lang.clone())));
                }
            }
        }
        entries.sort_by(|(a, _), (b, _)| b.date.cmp(&a.date).then(b.created_at.cmp(&a.created_at)));
        Ok(entries)
    }

    /// `letter.txt` and `feed.xml` of an appeal.
    pub(crate) fn appeal_file(&self, lang: &Language, slug: &Slug, file: AppealFile) -> Result<Outcome, RenderError> {
        let Some(item) = self.store.published_item(Kind::Appeal, lang, slug)? else {
            return Ok(Outcome::NotFound(lang.clone()));
        };
        let facts = self.store.appeal_facts(item.id)?;
        let deps = vec![Dep::Group(item.group_id), Dep::Slug(Kind::Appeal, slug.clone())];
        match file {
            AppealFile::Letter => {
                if facts.letter.trim().is_empty() {
                    return Ok(Outcome::NotFound(lang.clone()));
                }
                let shown = Redaction { lang: lang.as_str(), names_public: facts.names_public };
                let mut page = rendered("text/plain; charset=utf-8", shown.apply(&facts.letter).into_string(), deps);
                page.attachment = Some(format!("letter-{slug}.txt"));
                Ok(Outcome::Page(page))
            }
            AppealFile::Standalone => {
                let mut page = self.appeal_standalone(&item, &facts)?;
                page.deps = deps;
                page.attachment = Some(format!("appeal-{slug}.html"));
                Ok(Outcome::Page(page))
            }
            AppealFile::Feed => {
                let appeal = ItemRef {
                    id: item.id,
                    group_id: item.group_id,
                    kind: item.kind,
                    lang: item.lang.clone(),
                    slug: item.slug.clone(),
                    title: item.title.clone(),
                    summary: item.summary.clone(),
                    category: None,
                    published_at: item.published_at,
                    updated_at: item.updated_at,
                    month_only: item.month_only,
                };
                let updates = self.store.appeal_updates(item.id)?;
                let updated =
                    updates.iter().map(|u| u.created_at).max().unwrap_or(item.updated_at).max(item.updated_at);
                let entries: Vec<_> =
                    updates.iter().map(|u| self.update_entry(&appeal, u, facts.names_public)).collect();
                let site_name = self.store.setting("site_name", lang)?.unwrap_or_else(|| "Refuge".into());
                let feed_path = format!("{}feed.xml", item.path());
                let xml = self.env.get_template("feed.xml")?.render(minijinja::context! {
                    lang => lang.as_str(),
                    base => self.config.base_url.clone(),
                    feed_url => self.url(&feed_path),
                    html_url => self.url(&item.path()),
                    title => format!("{site_name}: {}", Redaction::hidden(lang.as_str()).cow(&item.title)),
                    subtitle => Some(Redaction::hidden(lang.as_str()).apply(&item.summary).into_string())
                        .filter(|s| !s.is_empty()),
                    updated => rfc3339(updated),
                    site_name => site_name,
                    entries => Serde(entries),
                })?;
                Ok(Outcome::Page(rendered("application/atom+xml; charset=utf-8", xml, deps)))
            }
        }
    }
}

/// The single file's style: inline, allowed by its hash in the file's own
/// Content-Security-Policy, so the file shows the same wherever it is opened.
const STANDALONE_CSS: &str = "body{font:1.05rem/1.55 system-ui,sans-serif;max-width:42rem;margin:1.5rem auto;\
padding:0 1rem;color:#1a1a1a;background:#fff}h1{font-size:1.6rem;line-height:1.25}\
.status{font-weight:700;text-transform:uppercase;letter-spacing:.04em;color:#8a1c1c}\
.meta{color:#555;font-size:.9rem}dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}\
dt{font-weight:700}dd{margin:0}pre{white-space:pre-wrap;font:inherit;border-left:4px solid #8a1c1c;\
padding:.5rem 1rem;background:#f6f3ee}.addressees li{margin-bottom:.6rem;break-inside:avoid}\
footer{border-top:1px solid #ccc;margin-top:2rem;color:#555;font-size:.9rem}\
@media print{body{margin:0;max-width:none}pre{break-inside:avoid}}";

impl Site {
    /// `appeal.html`: the whole appeal as one file to pass on by a
    /// messaging app or a USB stick — inline style, no script, no image,
    /// nothing fetched from anywhere (its own policy says so), the sample
    /// letter included, and where it came from.
    fn appeal_standalone(&self, item: &Item, facts: &AppealFacts) -> Result<Rendered, RenderError> {
        let lang = &item.lang;
        let t = self.strings(lang);
        let shown = Redaction { lang: lang.as_str(), names_public: facts.names_public };
        let open = is_open(facts, OffsetDateTime::now_utc());
        let status = facts.status.unwrap_or(CaseStatus::AtRisk);
        let parts = self.appeal_parts(item, facts)?;
        let base = &self.config.base_url;
        let updates: Vec<UpdateView> =
            parts.updates.into_iter().map(|u| UpdateView { html: self_contained(&u.html, base), ..u }).collect();
        let latest = self.store.appeal_updates(item.id)?.iter().map(|u| u.created_at).max();
        let updated = latest.unwrap_or(item.updated_at).max(item.updated_at);
        let addresses: Vec<String> = self.config.addresses.others(base).into_iter().map(|a| a.href).collect();
        let html = self.env.get_template("appeal_file.html")?.render(minijinja::context! {
            lang => lang.as_str(),
            t => Serde(&*t),
            site_name => self.store.setting("site_name", lang)?.unwrap_or_default(),
            title => shown.apply(&item.title).into_string(),
            date => item.published_at.map(|d| t.item_date(d, item.month_only)).unwrap_or_default(),
            status_label => t.get(&format!("appeal_status_{}", status.as_str())),
            open => open,
            facts => Serde(parts.facts),
            body_html => self_contained(&to_safe_html(&item.body, shown), base),
            action_html => self_contained(&to_safe_html(&facts.action, shown), base),
            action_untranslated => parts.action_untranslated,
            letter => shown.apply(&facts.letter).into_string(),
            letter_untranslated => parts.letter_untranslated,
            addressees => Serde(parts.addressees),
            updates => Serde(updates),
            page_url => self.url(&item.path()),
            addresses => addresses,
            made => t.get("appeal_file_updated").replace("{date}", &t.date(updated)),
            style => STANDALONE_CSS,
            style_hash => refuge_core::digest::csp_hash(STANDALONE_CSS.as_bytes()),
        })?;
        let mut page = rendered("text/html; charset=utf-8", html, Vec::new());
        page.valid_until = if open { deadline_end(facts) } else { None };
        Ok(page)
    }
}

/// Sanitised HTML made to stand alone: images become their description in
/// brackets (a file passed on fetches nothing), and the site's own links
/// become absolute under `base`.
fn self_contained(html: &str, base: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(at) = rest.find("<img") {
        out.push_str(&rest[..at]);
        let end = rest[at..].find('>').map_or(rest.len(), |e| at + e + 1);
        let tag = &rest[at..end];
        let alt = tag.split_once(" alt=\"").and_then(|(_, a)| a.split_once('"')).map_or("", |(a, _)| a);
        if !alt.is_empty() {
            out.push_str(&format!("<span>[{alt}]</span>"));
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out.replace("href=\"/", &format!("href=\"{base}/"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_file_passed_on_fetches_nothing() {
        let html = r#"<p>See <a href="/en/news/x/">this</a> <img src="/media/a.jpg" alt="A &quot;photo&quot;"><img src="/media/b.jpg" alt=""></p>"#;
        assert_eq!(
            super::self_contained(html, "https://example.org"),
            r#"<p>See <a href="https://example.org/en/news/x/">this</a> <span>[A &quot;photo&quot;]</span></p>"#
        );
    }

    use super::*;
    use time::macros::datetime;

    #[test]
    fn open_until_the_end_of_the_deadline_day() {
        let facts =
            AppealFacts { deadline: "2026-03-31".into(), status: Some(CaseStatus::Detained), ..AppealFacts::default() };
        assert!(is_open(&facts, datetime!(2026-03-31 23:59 UTC)));
        assert!(!is_open(&facts, datetime!(2026-04-01 00:00 UTC)));
        let released = AppealFacts { status: Some(CaseStatus::Released), ..AppealFacts::default() };
        assert!(!is_open(&released, datetime!(2026-01-01 00:00 UTC)), "no action once released");
        let no_deadline = AppealFacts { status: Some(CaseStatus::AtRisk), ..AppealFacts::default() };
        assert!(is_open(&no_deadline, datetime!(2030-01-01 00:00 UTC)));
        assert_eq!(deadline_end(&facts), Some(datetime!(2026-04-01 00:00 UTC).unix_timestamp()));
    }
}
