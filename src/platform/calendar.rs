//! Business calendars for SLA clocks: a time zone, working days, opening hours and holidays.
//! Business time counts only time inside opening hours on working days that are not holidays,
//! in the calendar's own time zone, so DST shifts move the UTC hours but never the local ones.
//! Instants are `time::OffsetDateTime` (returned in UTC); jiff's bundled tzdb does the zone maths.

use std::collections::BTreeSet;
use std::fmt;

use jiff::civil::{Date, DateTime};
use jiff::tz::{TimeZone, TimeZoneDatabase};
use jiff::{Timestamp, ToSpan};
use time::OffsetDateTime;

/// How many local days a single query walks at most. Holidays could cover long stretches,
/// so this bounds the work per call (~10 years); answers past it stop at the cap instant.
const MAX_WALK_DAYS: i64 = 3_700;
const NANOS_PER_MINUTE: i128 = 60_000_000_000;
const MINUTES_IN_DAY: u16 = 24 * 60;
const DAY_NAMES: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// Why a calendar could not be built: one sentence naming the field and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarError(pub String);

impl fmt::Display for CalendarError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CalendarError {}

/// Opening hours on working days in one IANA time zone, minus local-date holidays.
#[derive(Debug, Clone)]
pub struct BusinessCalendar {
    zone_name: String,
    tz: TimeZone,
    /// Indexed Monday = 0 … Sunday = 6.
    work_days: [bool; 7],
    /// Minutes after local midnight; `closes` may be 1440 ("24:00") for round-the-clock days.
    opens: u16,
    closes: u16,
    holidays: BTreeSet<Date>,
}

impl BusinessCalendar {
    /// zone: IANA name ("Europe/Berlin", "UTC"); work_days: comma-separated lowercase
    /// three-letter days ("mon,tue,wed,thu,fri"); opens/closes: "HH:MM" 24h with
    /// opens < closes on the same day ("24:00" is allowed as a closing time); holidays: local dates.
    pub fn new(
        zone: &str,
        work_days: &str,
        opens: &str,
        closes: &str,
        holidays: impl IntoIterator<Item = time::Date>,
    ) -> Result<BusinessCalendar, CalendarError> {
        // The bundled database, not the host's, so every machine computes the same deadlines.
        let tz = TimeZoneDatabase::bundled().get(zone).ok();
        let Some(tz) = tz.filter(|tz| !tz.is_unknown()) else {
            let example = "such as Europe/Berlin";
            let msg = format!("Time zone \"{zone}\" is not a known IANA time zone, {example}.");
            return Err(CalendarError(msg));
        };
        let zone_name = tz.iana_name().unwrap_or(zone).to_string();
        let work_days = parse_work_days(work_days)?;
        let opens = parse_hhmm(opens, "Opening time", false)?;
        let closes = parse_hhmm(closes, "Closing time", true)?;
        if opens >= closes {
            return Err(CalendarError(format!(
                "Opening time {} must be before closing time {}; \
                 overnight shifts are not supported.",
                hhmm(opens),
                hhmm(closes)
            )));
        }
        // A date outside jiff's range (beyond ±9999) can never be walked, so dropping it is exact.
        let to_jiff = |d: time::Date| Date::new(d.year() as i16, d.month() as i8, d.day() as i8);
        let holidays = holidays.into_iter().filter_map(|d| to_jiff(d).ok());
        Ok(BusinessCalendar {
            zone_name,
            tz,
            work_days,
            opens,
            closes,
            holidays: holidays.collect(),
        })
    }

    /// The canonical IANA name of the calendar's time zone.
    pub fn zone_name(&self) -> &str {
        &self.zone_name
    }

    /// Nominal length of one working day in minutes (480 for 09:00–17:00).
    pub fn minutes_per_day(&self) -> i64 {
        i64::from(self.closes - self.opens)
    }

    /// The instant `minutes` business minutes after `from` (negative counts as 0). Counting starts
    /// at `from` if it is open, else at the next opening; 0 minutes gives that starting instant.
    /// A count that ends exactly at closing time returns the closing instant (end of business).
    /// If the walk hits its ~10-year cap, the local midnight at the cap is returned.
    pub fn add_business_minutes(&self, from: OffsetDateTime, minutes: i64) -> OffsetDateTime {
        let start = to_nanos(from);
        let mut remaining = i128::from(minutes.max(0)) * NANOS_PER_MINUTE;
        let mut result = None;
        for (open, close) in self.windows_from(start) {
            let begin = open.max(start);
            if remaining <= close - begin {
                result = Some(begin + remaining);
                break;
            }
            remaining -= close - begin;
        }
        let nanos = result.unwrap_or_else(|| self.cap_instant(start));
        // Every candidate came from a jiff timestamp, which always fits `time`'s range.
        OffsetDateTime::from_unix_timestamp_nanos(nanos).unwrap_or(from)
    }

    /// Whole business minutes (rounded down) between two instants; 0 when `to <= from`.
    /// Spans longer than the ~10-year walk cap count only the part inside the cap.
    pub fn business_minutes_between(&self, from: OffsetDateTime, to: OffsetDateTime) -> i64 {
        let (from, to) = (to_nanos(from), to_nanos(to));
        if to <= from {
            return 0;
        }
        let open_nanos: i128 = self
            .windows_from(from)
            .take_while(|&(open, _)| open < to)
            .map(|(open, close)| close.min(to) - open.max(from))
            .sum();
        i64::try_from(open_nanos / NANOS_PER_MINUTE).unwrap_or(i64::MAX)
    }

    /// Whether an instant lies inside opening hours on a business day.
    #[cfg(test)]
    pub fn is_open(&self, at: OffsetDateTime) -> bool {
        let at = to_nanos(at);
        self.window(self.local_date(at))
            .is_some_and(|(open, close)| open <= at && at < close)
    }

    /// For people, e.g. "Mon–Fri 09:00–17:00 (Europe/Berlin), 9 holidays".
    pub fn describe(&self) -> String {
        let days: Vec<usize> = (0..7).filter(|&i| self.work_days[i]).collect();
        let (first, last) = (days[0], days[days.len() - 1]);
        let day_text = if days.len() > 1 && last - first + 1 == days.len() {
            format!("{}–{}", DAY_NAMES[first], DAY_NAMES[last])
        } else {
            let names: Vec<&str> = days.iter().map(|&i| DAY_NAMES[i]).collect();
            names.join(", ")
        };
        let holidays = match self.holidays.len() {
            0 => "no holidays".to_string(),
            1 => "1 holiday".to_string(),
            n => format!("{n} holidays"),
        };
        let hours = format!("{}–{}", hhmm(self.opens), hhmm(self.closes));
        format!("{day_text} {hours} ({}), {holidays}", self.zone_name)
    }

    /// Opening windows `[open, close)` in unix nanoseconds, in order, that end after `start`,
    /// walking local days from the one containing `start` for at most `MAX_WALK_DAYS` days.
    fn windows_from(&self, start: i128) -> impl Iterator<Item = (i128, i128)> + '_ {
        std::iter::successors(Some(self.local_date(start)), |d| d.tomorrow().ok())
            .take(MAX_WALK_DAYS as usize)
            .filter_map(|d| self.window(d))
            .filter(move |&(_, close)| close > start)
    }

    /// The opening window of one local date, or None on closed days.
    fn window(&self, date: Date) -> Option<(i128, i128)> {
        let weekday = date.weekday().to_monday_zero_offset() as usize;
        if !self.work_days[weekday] || self.holidays.contains(&date) {
            return None;
        }
        let open = self.local_instant(date, self.opens)?;
        let close = self.local_instant(date, self.closes)?;
        // Only odd hours inside a DST transition could collapse a window; skip it then.
        (open < close).then_some((open, close))
    }

    /// A local wall-clock time as unix nanoseconds. Times in a DST gap or fold use jiff's
    /// "compatible" rule: a skipped time moves forward by the gap, a repeated one takes the earlier.
    fn local_instant(&self, date: Date, minute_of_day: u16) -> Option<i128> {
        let local: DateTime = if minute_of_day >= MINUTES_IN_DAY {
            date.tomorrow().ok()?.at(0, 0, 0, 0)
        } else {
            date.at((minute_of_day / 60) as i8, (minute_of_day % 60) as i8, 0, 0)
        };
        let ts = self.tz.to_ambiguous_timestamp(local).compatible().ok()?;
        Some(ts.as_nanosecond())
    }

    /// Local midnight `MAX_WALK_DAYS` after the day containing `start` (or the end of time).
    fn cap_instant(&self, start: i128) -> i128 {
        let date = self.local_date(start);
        let cap = date.checked_add(MAX_WALK_DAYS.days()).ok();
        let cap = cap.and_then(|d| self.local_instant(d, 0));
        cap.unwrap_or(Timestamp::MAX.as_nanosecond())
    }

    /// The calendar date, in this zone, of an instant. Inputs come from `to_nanos` or jiff
    /// itself, so they always fit a jiff timestamp and the fallback is never taken.
    fn local_date(&self, nanos: i128) -> Date {
        let ts = Timestamp::from_nanosecond(nanos).unwrap_or(Timestamp::MAX);
        self.tz.to_datetime(ts).date()
    }
}

/// "3 h 20 min", "45 min", "2 d 1 h": a business duration for people, with days of
/// `minutes_per_day` working minutes. Negative values use their absolute value (callers say
/// "overdue by …"). At most two units, zero units dropped, "0 min" for nothing.
pub fn format_business_minutes(minutes: i64, minutes_per_day: i64) -> String {
    let total = minutes.unsigned_abs();
    // A non-positive day length has no meaningful days, so fall back to hours only.
    let per_day = u64::try_from(minutes_per_day).ok().filter(|&d| d > 0);
    let (days, rest) = match per_day {
        Some(d) => (total / d, total % d),
        None => (0, total),
    };
    let parts: Vec<String> = [(days, "d"), (rest / 60, "h"), (rest % 60, "min")]
        .into_iter()
        .filter(|&(value, _)| value > 0)
        .take(2)
        .map(|(value, unit)| format!("{value} {unit}"))
        .collect();
    if parts.is_empty() {
        "0 min".into()
    } else {
        parts.join(" ")
    }
}

fn parse_work_days(text: &str) -> Result<[bool; 7], CalendarError> {
    let fail = |problem: String| {
        CalendarError(format!("Work days {problem}, such as mon,tue,wed,thu,fri."))
    };
    if text.trim().is_empty() {
        return Err(fail("must list at least one day".into()));
    }
    let mut days = [false; 7];
    for name in text.split(',').map(str::trim) {
        let index = (0..7).find(|&i| DAY_NAMES[i].to_ascii_lowercase() == name);
        let index = index.ok_or_else(|| {
            fail(format!(
                "contain \"{name}\", which is not a lowercase three-letter day"
            ))
        })?;
        if std::mem::replace(&mut days[index], true) {
            return Err(fail(format!("list \"{name}\" twice; list each day once")));
        }
    }
    Ok(days)
}

/// Strict "HH:MM" (two digits each) into minutes after midnight; "24:00" only as a closing time.
fn parse_hhmm(text: &str, field: &str, allow_24: bool) -> Result<u16, CalendarError> {
    let two_digits = |s: &str| {
        let digits = s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit());
        digits.then_some(s).and_then(|s| s.parse::<u16>().ok())
    };
    let pair = |(h, m)| Some((two_digits(h)?, two_digits(m)?));
    let parsed = text.split_once(':').and_then(pair);
    match parsed {
        Some((h, m)) if (h < 24 && m < 60) || (allow_24 && h == 24 && m == 0) => Ok(h * 60 + m),
        _ => Err(CalendarError(format!(
            "{field} \"{text}\" is not a 24-hour HH:MM time, such as 09:00."
        ))),
    }
}

fn hhmm(minute_of_day: u16) -> String {
    format!("{:02}:{:02}", minute_of_day / 60, minute_of_day % 60)
}

/// `time` and jiff meet at unix nanoseconds; values outside jiff's slightly smaller range clamp.
fn to_nanos(at: OffsetDateTime) -> i128 {
    let min = Timestamp::MIN.as_nanosecond();
    at.unix_timestamp_nanos()
        .clamp(min, Timestamp::MAX.as_nanosecond())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::PrimitiveDateTime;
    use time::macros::{datetime, format_description};

    /// A UTC instant from "YYYY-MM-DD HH:MM".
    fn at(text: &str) -> OffsetDateTime {
        let format = format_description!("[year]-[month]-[day] [hour]:[minute]");
        PrimitiveDateTime::parse(text, format).unwrap().assume_utc()
    }

    /// A calendar from "zone days opens closes" and local holiday dates.
    fn cal(spec: &str, holidays: &[&str]) -> BusinessCalendar {
        let format = format_description!("[year]-[month]-[day]");
        let parse = |d: &&str| time::Date::parse(d, format).unwrap();
        let holidays = holidays.iter().map(parse);
        let f: Vec<&str> = spec.split(' ').collect();
        BusinessCalendar::new(f[0], f[1], f[2], f[3], holidays).unwrap()
    }

    fn berlin(holidays: &[&str]) -> BusinessCalendar {
        cal("Europe/Berlin mon,tue,wed,thu,fri 09:00 17:00", holidays)
    }

    fn add(cal: &BusinessCalendar, from: &str, minutes: i64) -> OffsetDateTime {
        cal.add_business_minutes(at(from), minutes)
    }

    fn between(cal: &BusinessCalendar, from: &str, to: &str) -> i64 {
        cal.business_minutes_between(at(from), at(to))
    }

    fn err(zone: &str, days: &str, opens: &str, closes: &str) -> String {
        let result = BusinessCalendar::new(zone, days, opens, closes, []);
        result.unwrap_err().to_string()
    }

    #[test]
    fn friday_afternoon_rolls_over_the_weekend_and_holidays() {
        // Fri 2026-01-09 16:00 CET = 15:00 UTC; Mon 10:00 CET = 09:00 UTC.
        let due = add(&berlin(&[]), "2026-01-09 15:00", 120);
        assert_eq!(due, at("2026-01-12 09:00"));
        assert_eq!(due.offset(), time::UtcOffset::UTC);
        // A holiday on that Monday pushes the deadline to Tuesday.
        let due = add(&berlin(&["2026-01-12"]), "2026-01-09 15:00", 120);
        assert_eq!(due, at("2026-01-13 09:00"));
    }

    #[test]
    fn closed_starts_move_to_the_next_opening() {
        let c = berlin(&[]);
        // Saturday counts from Monday 09:00.
        assert_eq!(add(&c, "2026-01-10 11:00", 0), at("2026-01-12 08:00"));
        assert_eq!(add(&c, "2026-01-10 11:00", 30), at("2026-01-12 08:30"));
        // 07:30 local counts from 09:00 the same day; 18:00 from the next day's opening.
        assert_eq!(add(&c, "2026-01-13 06:30", 60), at("2026-01-13 09:00"));
        assert_eq!(add(&c, "2026-01-13 17:00", 60), at("2026-01-14 09:00"));
        // Closing time itself is already closed.
        assert_eq!(add(&c, "2026-01-13 16:00", 0), at("2026-01-14 08:00"));
    }

    #[test]
    fn zero_minutes_inside_hours_return_from_and_closing_is_end_of_business() {
        let c = berlin(&[]);
        let from = datetime!(2026-01-13 10:17:42.5 UTC);
        assert_eq!(c.add_business_minutes(from, 0), from);
        assert_eq!(c.add_business_minutes(from, -5), from);
        assert_eq!(add(&c, "2026-01-09 15:00", 60), at("2026-01-09 16:00"));
        assert_eq!(add(&c, "2026-01-12 08:00", 480), at("2026-01-12 16:00"));
        assert_eq!(add(&c, "2026-01-12 08:00", 481), at("2026-01-13 08:01"));
    }

    #[test]
    fn between_skips_weekends_and_holidays_and_rounds_down() {
        // Fri 16:00 → Tue 10:00 local: 60 on Friday, Monday is a holiday, 60 on Tuesday.
        let c = berlin(&["2026-01-12"]);
        assert_eq!(between(&c, "2026-01-09 15:00", "2026-01-13 09:00"), 120);
        assert_eq!(
            between(&berlin(&[]), "2026-01-09 15:00", "2026-01-13 09:00"),
            600
        );
        assert_eq!(between(&c, "2026-01-13 10:00", "2026-01-13 09:00"), 0);
        assert_eq!(between(&c, "2026-01-13 10:00", "2026-01-13 10:00"), 0);
        assert_eq!(between(&c, "2026-01-10 00:00", "2026-01-11 23:00"), 0);
        let to = datetime!(2026-01-13 09:01:59 UTC);
        assert_eq!(c.business_minutes_between(at("2026-01-13 09:00"), to), 1);
    }

    #[test]
    fn between_inverts_add() {
        let c = berlin(&["2026-01-12", "2026-02-02", "2026-03-30"]);
        for day in 0..90 {
            for offset in [0, 1, 59, 233, 479] {
                let from = at("2026-01-05 08:00") + time::Duration::minutes(day * 1440 + offset);
                if !c.is_open(from) {
                    continue;
                }
                for minutes in [0, 1, 7, 60, 479, 480, 481, 1_000, 2_400, 10_000] {
                    let to = c.add_business_minutes(from, minutes);
                    assert_eq!(
                        c.business_minutes_between(from, to),
                        minutes,
                        "{from}+{minutes}"
                    );
                }
            }
        }
    }

    #[test]
    fn large_amounts_skip_whole_windows_and_the_walk_is_capped() {
        let c = berlin(&[]);
        // 10,000 min = 20 days of 480 + 400 min: from Mon 09:00, four weeks later at 15:40.
        assert_eq!(add(&c, "2026-01-05 08:00", 10_000), at("2026-02-02 14:40"));
        // 3,700 days from Mon 2026-01-05 end at local midnight of 2036-02-22 (CET),
        // after 528 weeks and 4 weekdays of 480 minutes.
        let due = add(&c, "2026-01-05 08:00", i64::MAX);
        assert_eq!(due, at("2036-02-21 23:00"));
        assert_eq!(
            c.business_minutes_between(at("2026-01-05 08:00"), due),
            2_644 * 480
        );
    }

    #[test]
    fn dst_days_keep_local_hours() {
        let c = berlin(&[]);
        // Monday after spring-forward (Sun 2026-03-29): 09:00 CEST = 07:00 UTC, still 480 min.
        assert_eq!(add(&c, "2026-03-30 00:00", 0), at("2026-03-30 07:00"));
        assert_eq!(between(&c, "2026-03-29 00:00", "2026-03-31 00:00"), 480);
        // Monday after fall-back (Sun 2026-10-25): 09:00 CET = 08:00 UTC, still 480 min.
        assert_eq!(add(&c, "2026-10-26 00:00", 0), at("2026-10-26 08:00"));
        assert_eq!(between(&c, "2026-10-25 00:00", "2026-10-27 00:00"), 480);
        // Friday before spring-forward to the Monday after: the local hours stay 09–17.
        assert_eq!(add(&c, "2026-03-27 15:00", 120), at("2026-03-30 08:00"));
    }

    #[test]
    fn hours_across_a_transition_count_real_time() {
        let c = cal("Europe/Berlin sun 01:00 04:00", &[]);
        assert_eq!(between(&c, "2026-03-21 12:00", "2026-03-22 12:00"), 180);
        assert_eq!(between(&c, "2026-03-28 12:00", "2026-03-29 12:00"), 120); // 02:xx skipped
        assert_eq!(between(&c, "2026-10-24 12:00", "2026-10-25 12:00"), 240); // 02:xx twice
        // An opening inside the gap uses the compatible rule: 02:30 → 03:30 CEST = 01:30 UTC.
        let gap = cal("Europe/Berlin sun 02:30 05:00", &[]);
        assert_eq!(add(&gap, "2026-03-28 12:00", 0), at("2026-03-29 01:30"));
    }

    #[test]
    fn utc_new_york_and_round_the_clock() {
        let utc = cal("UTC mon,tue,wed,thu,fri 09:00 17:00", &[]);
        assert_eq!(utc.zone_name(), "UTC");
        assert_eq!(add(&utc, "2026-01-09 16:00", 120), at("2026-01-12 10:00"));
        let ny = cal("America/New_York mon,tue,wed,thu,fri 09:00 17:00", &[]);
        // Fri 16:00 EST = 21:00 UTC; US DST starts 2026-03-08, so Mon 10:00 EDT = 14:00 UTC.
        assert_eq!(add(&ny, "2026-03-06 21:00", 120), at("2026-03-09 14:00"));
        assert!(ny.is_open(at("2026-03-09 13:00")) && !ny.is_open(at("2026-03-09 12:59")));
        let always = cal("UTC mon,tue,wed,thu,fri,sat,sun 00:00 24:00", &[]);
        assert_eq!(always.minutes_per_day(), 1_440);
        assert_eq!(add(&always, "2026-01-09 23:30", 90), at("2026-01-10 01:00"));
        assert_eq!(always.describe(), "Mon–Sun 00:00–24:00 (UTC), no holidays");
    }

    #[test]
    fn is_open_respects_hours_days_and_holidays() {
        let c = berlin(&["2026-01-12"]);
        assert!(c.is_open(at("2026-01-13 08:00")));
        assert!(!c.is_open(datetime!(2026-01-13 07:59:59 UTC)));
        assert!(!c.is_open(at("2026-01-13 16:00")));
        assert!(!c.is_open(at("2026-01-12 10:00")), "holiday");
        assert!(!c.is_open(at("2026-01-10 10:00")), "Saturday");
        assert!(c.is_open(datetime!(2026-01-13 09:00 +01:00)), "offset");
    }

    #[test]
    fn errors_name_the_field_and_the_fix() {
        let days = "mon,tue,wed,thu,fri";
        let zone = err("Europe/Berln", days, "09:00", "17:00");
        let want =
            "Time zone \"Europe/Berln\" is not a known IANA time zone, such as Europe/Berlin.";
        assert_eq!(zone, want);
        assert!(err("Etc/Unknown", days, "09:00", "17:00").starts_with("Time zone"));
        let bad_day = err("UTC", "mon,tue,xyz", "09:00", "17:00");
        assert!(bad_day.contains("Work days contain \"xyz\"") && bad_day.contains("lowercase"));
        assert!(err("UTC", "Mon", "09:00", "17:00").contains("Work days contain \"Mon\""));
        assert!(err("UTC", "mon,mon", "09:00", "17:00").contains("Work days list \"mon\" twice"));
        assert!(err("UTC", "", "09:00", "17:00").contains("Work days must list at least one day"));
        assert!(err("UTC", "mon,,tue", "09:00", "17:00").contains("Work days contain \"\""));
        for bad in [
            "9:00", "09.00", "25:00", "09:60", "24:00", "ab:cd", "+9:00", "",
        ] {
            let msg = err("UTC", days, bad, "17:00");
            assert!(msg.starts_with(&format!("Opening time \"{bad}\" is not a 24-hour HH:MM")));
        }
        assert!(err("UTC", days, "09:00", "5pm").starts_with("Closing time \"5pm\""));
        let order = err("UTC", days, "17:00", "09:00");
        assert!(order.starts_with("Opening time 17:00 must be before closing time 09:00;"));
        assert!(err("UTC", days, "09:00", "09:00").contains("must be before closing time"));
        // Spaces around day names are tolerated and zone names come back canonical.
        let c = BusinessCalendar::new("europe/berlin", " mon , tue ", "09:00", "17:00", []);
        let want = "Mon–Tue 09:00–17:00 (Europe/Berlin), no holidays";
        assert_eq!(c.map(|c| c.describe()).as_deref(), Ok(want));
    }

    #[test]
    fn describe_collapses_or_lists_days() {
        let one = "Mon–Fri 09:00–17:00 (Europe/Berlin), 1 holiday";
        assert_eq!(berlin(&["2026-12-25"]).describe(), one);
        let c = cal(
            "America/New_York fri,mon,wed 08:30 12:00",
            &["2026-01-01", "2026-07-03"],
        );
        let want = "Mon, Wed, Fri 08:30–12:00 (America/New_York), 2 holidays";
        assert_eq!(c.describe(), want);
        let sat = cal("UTC sat 10:00 14:00", &[]);
        assert_eq!(sat.describe(), "Sat 10:00–14:00 (UTC), no holidays");
    }

    #[test]
    fn formats_business_durations() {
        let f = |minutes| format_business_minutes(minutes, 480);
        assert_eq!(f(0), "0 min");
        assert_eq!(f(45), "45 min");
        assert_eq!(f(200), "3 h 20 min");
        assert_eq!(f(480 * 2 + 60), "2 d 1 h");
        assert_eq!(f(-45), "45 min");
        assert_eq!(f(480), "1 d");
        assert_eq!(f(480 * 2 + 65), "2 d 1 h");
        assert_eq!(f(485), "1 d 5 min");
        assert_eq!(f(i64::MIN), "19215358410114116 d 2 h");
        assert_eq!(format_business_minutes(600, 0), "10 h");
        assert_eq!(berlin(&[]).minutes_per_day(), 480);
    }
}
