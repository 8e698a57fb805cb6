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

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn now_has_whole_microseconds() {
        assert_eq!(now().nanosecond() % 1_000, 0);
    }

    #[test]
    fn dates_read_like_a_person_writes_them() {
        assert_eq!(format_date(datetime!(2026-03-02 23:10 UTC)), "2 Mar 2026");
    }
}
