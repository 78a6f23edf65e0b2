//! Dates as machines read them (`<time datetime>`, feeds' sort keys);
//! readers see dates written out in their language (`locale`).

use time::OffsetDateTime;

/// A day as `YYYY-MM-DD` (empty for none).
pub(crate) fn iso_date(d: Option<OffsetDateTime>) -> String {
    d.map(|d| format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())).unwrap_or_default()
}

/// An item's date for `<time datetime>`: its day, or its month alone
/// (`2002-07`, a valid month string) when it is dated by its month only.
pub(crate) fn item_iso_date(d: Option<OffsetDateTime>, month_only: bool) -> String {
    match d {
        Some(d) if month_only => format!("{:04}-{:02}", d.year(), u8::from(d.month())),
        _ => iso_date(d),
    }
}
