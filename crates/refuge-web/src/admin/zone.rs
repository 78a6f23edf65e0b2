//! Time zones of the back office: every date is shown and typed in the
//! account's zone (or the site's, Site settings), and stored in UTC. The
//! time zone database is built into the program (jiff's bundled copy),
//! so a machine without `/usr/share/zoneinfo` works the same.

use time::{Date, OffsetDateTime, UtcOffset};

/// A named time zone.
#[derive(Clone, Debug)]
pub struct Zone {
    name: String,
    tz: jiff::tz::TimeZone,
}

impl Zone {
    pub fn utc() -> Self {
        Self { name: "UTC".into(), tz: jiff::tz::TimeZone::UTC }
    }

    /// An IANA name (`Asia/Tokyo`), if the database knows it.
    pub fn parse(name: &str) -> Option<Self> {
        let name = name.trim();
        if name.is_empty() || name.len() > 64 {
            return None;
        }
        let tz = jiff::tz::db().get(name).ok()?;
        Some(Self { name: name.to_owned(), tz })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Every zone name the database knows, sorted.
    pub fn names() -> Vec<String> {
        let mut names: Vec<String> = jiff::tz::db().available().map(|n| n.to_string()).collect();
        names.sort();
        names
    }

    fn offset(&self, t: OffsetDateTime) -> UtcOffset {
        let seconds =
            jiff::Timestamp::from_second(t.unix_timestamp()).map(|ts| self.tz.to_offset(ts).seconds()).unwrap_or(0);
        UtcOffset::from_whole_seconds(seconds).unwrap_or(UtcOffset::UTC)
    }

    /// `2026-03-09 18:30 JST`: for reading.
    pub fn show(&self, t: OffsetDateTime) -> String {
        let local = t.to_offset(self.offset(t));
        let abbreviation = jiff::Timestamp::from_second(t.unix_timestamp())
            .map(|ts| self.tz.to_offset_info(ts).abbreviation().to_owned())
            .unwrap_or_else(|_| "UTC".into());
        format!(
            "{:04}-{:02}-{:02} {:02}:{:02} {abbreviation}",
            local.year(),
            u8::from(local.month()),
            local.day(),
            local.hour(),
            local.minute()
        )
    }

    /// `2026-03-09T18:30`: the value of a `datetime-local` input.
    pub fn input(&self, t: Option<OffsetDateTime>) -> String {
        t.map(|t| {
            let l = t.to_offset(self.offset(t));
            format!("{:04}-{:02}-{:02}T{:02}:{:02}", l.year(), u8::from(l.month()), l.day(), l.hour(), l.minute())
        })
        .unwrap_or_default()
    }

    /// A `datetime-local` value (or `YYYY-MM-DD HH:MM`, or a bare date at
    /// midnight) in this zone, as a point in time. A time skipped by a
    /// daylight-saving change moves forward; a repeated one takes the
    /// earlier.
    pub fn parse_input(&self, text: &str) -> Option<OffsetDateTime> {
        let text = text.trim();
        let (date, time) = text.split_once('T').or_else(|| text.split_once(' ')).unwrap_or((text, "00:00"));
        let mut d = date.split('-').map(|p| p.parse::<i32>().ok());
        let (y, m, day) = (d.next()??, d.next()??, d.next()??);
        if d.next().is_some() {
            return None;
        }
        let mut t = time.split(':').map(|p| p.parse::<u8>().ok());
        let (h, min, sec) = (t.next()??, t.next().flatten().unwrap_or(0), t.next().flatten().unwrap_or(0));
        let date =
            Date::from_calendar_date(y, time::Month::try_from(u8::try_from(m).ok()?).ok()?, u8::try_from(day).ok()?)
                .ok()?;
        self.at(date.with_hms(h, min, sec).ok()?)
    }

    /// The start of `date` in this zone.
    pub fn start_of(&self, date: Date) -> Option<OffsetDateTime> {
        self.at(date.midnight())
    }

    /// A wall-clock time in this zone as a point in time (a time skipped
    /// by a daylight-saving change moves forward; a repeated one takes the
    /// earlier).
    fn at(&self, naive: time::PrimitiveDateTime) -> Option<OffsetDateTime> {
        let civil = jiff::civil::DateTime::new(
            i16::try_from(naive.year()).ok()?,
            i8::try_from(u8::from(naive.month())).ok()?,
            i8::try_from(naive.day()).ok()?,
            i8::try_from(naive.hour()).ok()?,
            i8::try_from(naive.minute()).ok()?,
            i8::try_from(naive.second()).ok()?,
            0,
        )
        .ok()?;
        let zoned = self.tz.to_ambiguous_zoned(civil).compatible().ok()?;
        OffsetDateTime::from_unix_timestamp(zoned.timestamp().as_second()).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokyo_and_utc() {
        let tokyo = Zone::parse("Asia/Tokyo").unwrap();
        let t = Zone::utc().parse_input("2026-03-09T09:30").unwrap();
        assert_eq!(tokyo.show(t), "2026-03-09 18:30 JST");
        assert_eq!(tokyo.input(Some(t)), "2026-03-09T18:30");
        assert_eq!(tokyo.parse_input("2026-03-09T18:30").unwrap(), t, "typed in Tokyo, stored in UTC");
        assert_eq!(Zone::utc().show(t), "2026-03-09 09:30 UTC");
        assert!(Zone::parse("Mars/Olympus").is_none() && Zone::parse("").is_none());
        assert!(Zone::names().iter().any(|n| n == "Europe/Berlin"));
        assert!(tokyo.parse_input("2026-13-01T00:00").is_none());
        assert!(tokyo.parse_input("yesterday").is_none());
        assert!(tokyo.parse_input("2026-02-30T10:00").is_none());
        assert_eq!(tokyo.parse_input("2026-03-09T18:30:15").unwrap().second(), 15);
        // A skipped hour (Berlin, 2026-03-29 02:30) moves forward.
        let berlin = Zone::parse("Europe/Berlin").unwrap();
        let skipped = berlin.parse_input("2026-03-29T02:30").unwrap();
        assert_eq!(berlin.input(Some(skipped)), "2026-03-29T03:30");
    }
}
