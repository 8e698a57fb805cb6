//! Time: always UTC in storage. PostgreSQL keeps microseconds and SQLite keeps whatever it is
//! given, so timestamps are cut to microseconds before they are stored; a value read back then
//! compares equal on both databases.

use time::OffsetDateTime;

/// The current UTC time, to the microsecond.
pub fn now() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    now.replace_nanosecond(now.nanosecond() / 1_000 * 1_000)
        .expect("a truncated nanosecond value is always in range")
}

/// "12 Mar 2026", the date format of every page.
pub fn format_date(at: OffsetDateTime) -> String {
    const FORMAT: &[time::format_description::FormatItem<'static>] =
        time::macros::format_description!("[day padding:none] [month repr:short] [year]");
    at.format(FORMAT)
        .expect("the date format has no fallible parts")
}

/// A moment as pages show a deadline: "12 Mar 2026, 14:30 UTC".
pub fn format_moment(at: OffsetDateTime) -> String {
    const FORMAT: &[time::format_description::FormatItem<'static>] = time::macros::format_description!(
        "[day padding:none] [month repr:short] [year], [hour]:[minute] UTC"
    );
    at.to_offset(time::UtcOffset::UTC)
        .format(FORMAT)
        .expect("the moment format has no fallible parts")
}

/// A calendar day as pages show it: "12 Mar 2026".
pub fn format_day(day: time::Date) -> String {
    format_date(start_of_day(day))
}

/// Midnight UTC at the start of `day`.
pub fn start_of_day(day: time::Date) -> OffsetDateTime {
    day.midnight().assume_utc()
}

/// A day as date inputs send it (`2026-03-12`).
pub fn parse_day(text: &str) -> Option<time::Date> {
    time::Date::parse(
        text.trim(),
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .ok()
}

/// An optional day from a form field: `None` when empty; a wrong one adds a sentence naming
/// `field` to `errors`.
pub fn parse_form_day(text: &str, field: &str, errors: &mut Vec<String>) -> Option<time::Date> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let parsed = parse_day(text);
    if parsed.is_none() {
        errors.push(format!(
            "{field}: \"{text}\" is not a date; use YYYY-MM-DD, e.g. 2026-03-12."
        ));
    }
    parsed
}

/// "4 min ago", "3 h ago", "2 days ago": how long before `now` something happened.
pub fn ago(at: OffsetDateTime, now: OffsetDateTime) -> String {
    let minutes = (now - at).whole_minutes();
    match minutes {
        m if m < 1 => "just now".to_owned(),
        m if m < 60 => format!("{m} min ago"),
        m if m < 48 * 60 => format!("{} h ago", m / 60),
        m => format!("{} days ago", m / (24 * 60)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn now_has_whole_microseconds() {
        assert_eq!(now().nanosecond() % 1_000, 0);
    }

    #[test]
    fn ages_read_in_the_largest_sensible_unit() {
        let now = datetime!(2026-03-02 12:00 UTC);
        assert_eq!(ago(now, now), "just now");
        assert_eq!(ago(datetime!(2026-03-02 11:56 UTC), now), "4 min ago");
        assert_eq!(ago(datetime!(2026-03-02 09:00 UTC), now), "3 h ago");
        assert_eq!(ago(datetime!(2026-02-27 12:00 UTC), now), "3 days ago");
    }

    #[test]
    fn dates_read_like_a_person_writes_them() {
        assert_eq!(format_date(datetime!(2026-03-02 23:10 UTC)), "2 Mar 2026");
    }
}
