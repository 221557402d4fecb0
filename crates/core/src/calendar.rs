//! The business-hours clock: when is a target due, when is "the next morning".
//!
//! Every target (first response, update interval, resolution, follow-up) is
//! measured in business time on the organisation's calendar: its time zone, its
//! opening hours per weekday and its holidays. A deadline never lands at
//! midnight or on a weekend because a naive clock added 48 hours.

use jiff::civil::{Date, Time, Weekday};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use serde::{de, Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeSet;
use std::fmt;

/// How far ahead the calendar looks before concluding no business day exists.
const HORIZON_DAYS: usize = 3660;

/// A span of business time, written `"2d"`, `"4h"` or `"90m"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// Whole business days: the same point of the working day, n working days on.
    Days(u32),
    /// Business hours, counted only while open.
    Hours(u32),
    /// Business minutes, counted only while open.
    Minutes(u32),
}

impl Target {
    pub fn parse(text: &str) -> Result<Target, String> {
        let t = text.trim();
        let bad = || format!("'{text}' is not a business-time target: write a whole number followed by d, h or m, such as \"2d\"");
        // The unit is the last character, whatever its width in bytes.
        let Some((num, unit)) = t.char_indices().last().filter(|(at, _)| *at > 0).map(|(at, _)| t.split_at(at)) else {
            return Err(bad());
        };
        let n: u32 = num.parse().map_err(|_| bad())?;
        let limit = match unit {
            "d" => 3650,
            "h" => 24 * 3650,
            "m" => 60 * 24 * 3650,
            _ => return Err(bad()),
        };
        if n > limit {
            return Err(format!("'{text}' is longer than ten years of business time"));
        }
        Ok(match unit {
            "d" => Target::Days(n),
            "h" => Target::Hours(n),
            _ => Target::Minutes(n),
        })
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Days(n) => write!(f, "{n}d"),
            Target::Hours(n) => write!(f, "{n}h"),
            Target::Minutes(n) => write!(f, "{n}m"),
        }
    }
}

impl Serialize for Target {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Target {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Target, D::Error> {
        let s = String::deserialize(d)?;
        Target::parse(&s).map_err(de::Error::custom)
    }
}

impl utoipa::PartialSchema for Target {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some("^[0-9]+[dhm]$"))
            .description(Some("Business time: whole days (\"2d\"), hours (\"4h\") or minutes (\"90m\")."))
            .examples([serde_json::json!("2d")])
            .into()
    }
}
impl utoipa::ToSchema for Target {}

/// Opening hours of one weekday, written `"09:00-17:00"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpenHours {
    pub open: Time,
    pub close: Time,
}

impl OpenHours {
    pub fn parse(text: &str) -> Result<OpenHours, String> {
        let bad = || format!("'{text}' is not opening hours: write \"HH:MM-HH:MM\", such as \"09:00-17:00\"");
        let (a, b) = text.trim().split_once('-').ok_or_else(bad)?;
        let time = |s: &str| -> Result<Time, String> {
            let (h, m) = s.trim().split_once(':').ok_or_else(bad)?;
            let (h, m): (i8, i8) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
            Time::new(h, m, 0, 0).map_err(|_| bad())
        };
        let (open, close) = (time(a)?, time(b)?);
        if open >= close {
            return Err(format!("'{text}': opening must be before closing"));
        }
        Ok(OpenHours { open, close })
    }
}

impl fmt::Display for OpenHours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.open.strftime("%H:%M"), self.close.strftime("%H:%M"))
    }
}

impl Serialize for OpenHours {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for OpenHours {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<OpenHours, D::Error> {
        let s = String::deserialize(d)?;
        OpenHours::parse(&s).map_err(de::Error::custom)
    }
}

impl utoipa::PartialSchema for OpenHours {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some("^[0-9]{2}:[0-9]{2}-[0-9]{2}:[0-9]{2}$"))
            .examples([serde_json::json!("09:00-17:00")])
            .into()
    }
}
impl utoipa::ToSchema for OpenHours {}

/// Opening hours for each weekday; a missing day is closed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WeekHours {
    #[serde(default)]
    pub mon: Option<OpenHours>,
    #[serde(default)]
    pub tue: Option<OpenHours>,
    #[serde(default)]
    pub wed: Option<OpenHours>,
    #[serde(default)]
    pub thu: Option<OpenHours>,
    #[serde(default)]
    pub fri: Option<OpenHours>,
    #[serde(default)]
    pub sat: Option<OpenHours>,
    #[serde(default)]
    pub sun: Option<OpenHours>,
}

impl Default for WeekHours {
    /// Monday to Friday, 09:00 to 17:00.
    fn default() -> Self {
        let day = Some(OpenHours { open: Time::constant(9, 0, 0, 0), close: Time::constant(17, 0, 0, 0) });
        WeekHours { mon: day, tue: day, wed: day, thu: day, fri: day, sat: None, sun: None }
    }
}

impl WeekHours {
    pub fn on(&self, day: Weekday) -> Option<OpenHours> {
        match day {
            Weekday::Monday => self.mon,
            Weekday::Tuesday => self.tue,
            Weekday::Wednesday => self.wed,
            Weekday::Thursday => self.thu,
            Weekday::Friday => self.fri,
            Weekday::Saturday => self.sat,
            Weekday::Sunday => self.sun,
        }
    }

    pub fn any_open(&self) -> bool {
        [self.mon, self.tue, self.wed, self.thu, self.fri, self.sat, self.sun].iter().any(Option::is_some)
    }
}

/// The organisation's working calendar, ready for due-time arithmetic.
#[derive(Clone, Debug)]
pub struct BusinessCalendar {
    tz: TimeZone,
    week: WeekHours,
    holidays: BTreeSet<Date>,
}

/// Hour at which "next morning" messages go out, in the recipient's zone.
pub const MORNING: Time = Time::constant(9, 0, 0, 0);

impl BusinessCalendar {
    pub fn new(tz: TimeZone, week: WeekHours, holidays: impl IntoIterator<Item = Date>) -> Self {
        BusinessCalendar { tz, week, holidays: holidays.into_iter().collect() }
    }

    pub fn time_zone(&self) -> &TimeZone {
        &self.tz
    }

    /// Whether `date` is a working day: open on its weekday and not a holiday.
    pub fn is_business_date(&self, date: Date) -> bool {
        self.week.on(date.weekday()).is_some() && !self.holidays.contains(&date)
    }

    /// The open interval of `date` as instants, if it is a working day.
    fn open_interval(&self, date: Date) -> Option<(Timestamp, Timestamp)> {
        if !self.is_business_date(date) {
            return None;
        }
        let hours = self.week.on(date.weekday())?;
        let at = |t: Time| date.to_datetime(t).to_zoned(self.tz.clone()).ok().map(|z| z.timestamp());
        let (open, close) = (at(hours.open)?, at(hours.close)?);
        (open < close).then_some((open, close))
    }

    fn days_from(&self, t: Timestamp) -> impl Iterator<Item = (Timestamp, Timestamp)> + '_ {
        let first = t.to_zoned(self.tz.clone()).date();
        first.series(jiff::Span::new().days(1)).take(HORIZON_DAYS).filter_map(|d| self.open_interval(d))
    }

    /// The instant `target` of business time after `start`.
    pub fn add(&self, start: Timestamp, target: Target) -> Timestamp {
        match target {
            Target::Days(n) => self.add_business_days(start, n),
            Target::Hours(h) => self.add_business_duration(start, SignedDuration::from_hours(i64::from(h))),
            Target::Minutes(m) => self.add_business_duration(start, SignedDuration::from_mins(i64::from(m))),
        }
    }

    /// When the working day of `t` opens, if `t`'s date is a working day.
    pub fn opening_of(&self, t: Timestamp) -> Option<Timestamp> {
        self.open_interval(t.to_zoned(self.tz.clone()).date()).map(|(open, _)| open)
    }

    /// The first open moment at or after `t`: when staff messages go out.
    pub fn next_open(&self, t: Timestamp) -> Timestamp {
        self.add_business_duration(t, SignedDuration::ZERO)
    }

    /// Counts `span` only while open. A zero span gives the next open moment.
    pub fn add_business_duration(&self, start: Timestamp, span: SignedDuration) -> Timestamp {
        let mut remaining = span;
        for (open, close) in self.days_from(start) {
            let from = open.max(start);
            if from >= close {
                continue;
            }
            let available = close.duration_since(from);
            if remaining <= available {
                return from + remaining;
            }
            remaining -= available;
        }
        start + span
    }

    /// How much business time passes from `from` to `to` (zero when `to`
    /// is not after `from`): what "answered in 3 business hours" means.
    pub fn business_time_between(&self, from: Timestamp, to: Timestamp) -> SignedDuration {
        let mut total = SignedDuration::ZERO;
        if to <= from {
            return total;
        }
        for (open, close) in self.days_from(from) {
            if open >= to {
                break;
            }
            let (start, end) = (open.max(from), close.min(to));
            if end > start {
                total += end.duration_since(start);
            }
        }
        total
    }

    /// `n` working days on at the same point of the working day. A start outside
    /// opening hours counts from the next opening, and n days from an opening is
    /// the close of the (n-1)th day after it: Friday 16:00 plus two days is
    /// Tuesday 16:00; Saturday 10:00 plus two days is Tuesday 17:00.
    pub fn add_business_days(&self, start: Timestamp, n: u32) -> Timestamp {
        let mut days = self.days_from(start).skip_while(|(_, close)| *close <= start);
        let Some((open, _)) = days.next() else { return start };
        let into_day = start.duration_since(open).max(SignedDuration::ZERO);
        if n == 0 {
            return open.max(start);
        }
        if into_day.is_zero() {
            // From an opening: the close of the (n-1)th following working day.
            let close_of = |k: u32| {
                self.days_from(start)
                    .skip_while(|(_, close)| *close <= start)
                    .nth(k as usize)
                    .map(|(_, close)| close)
            };
            return close_of(n - 1).unwrap_or(start);
        }
        match days.nth(n as usize - 1) {
            Some((open, close)) => (open + into_day).min(close),
            None => start,
        }
    }

    /// The next working day after the day of `t`, at 09:00 in `zone` (the
    /// customer's): the "next morning" of an apology. Weekdays and holidays
    /// are the organisation's.
    pub fn next_morning(&self, t: Timestamp, zone: &TimeZone) -> Timestamp {
        let today = t.to_zoned(zone.clone()).date();
        today
            .series(jiff::Span::new().days(1))
            .skip(1)
            .take(HORIZON_DAYS)
            .find(|d| self.is_business_date(*d))
            .and_then(|d| d.to_datetime(MORNING).to_zoned(zone.clone()).ok())
            .map(|z| z.timestamp())
            .unwrap_or(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn london() -> BusinessCalendar {
        BusinessCalendar::new(TimeZone::get("Europe/London").unwrap(), WeekHours::default(), [])
    }

    fn at(s: &str, tz: &str) -> Timestamp {
        s.parse::<jiff::civil::DateTime>().unwrap().to_zoned(TimeZone::get(tz).unwrap()).unwrap().timestamp()
    }

    fn local(t: Timestamp, tz: &str) -> String {
        t.to_zoned(TimeZone::get(tz).unwrap()).datetime().strftime("%a %Y-%m-%d %H:%M").to_string()
    }

    #[test]
    fn business_time_between_counts_only_open_hours() {
        let lon = "Europe/London";
        let cal = BusinessCalendar::new(TimeZone::get(lon).unwrap(), WeekHours::default(), ["2026-11-23".parse().unwrap()]);
        // Friday 16:00 to Tuesday 10:00, with Monday a holiday: 1 h Friday + 1 h Tuesday.
        assert_eq!(cal.business_time_between(at("2026-11-20T16:00", lon), at("2026-11-24T10:00", lon)), SignedDuration::from_hours(2));
        // Within one morning; overnight from a close; backwards is nothing.
        assert_eq!(cal.business_time_between(at("2026-11-24T09:30", lon), at("2026-11-24T11:00", lon)), SignedDuration::from_mins(90));
        assert_eq!(cal.business_time_between(at("2026-11-24T17:00", lon), at("2026-11-25T09:00", lon)), SignedDuration::ZERO);
        assert_eq!(cal.business_time_between(at("2026-11-25T09:00", lon), at("2026-11-24T09:00", lon)), SignedDuration::ZERO);
    }

    #[test]
    fn friday_afternoon_plus_two_days_is_tuesday_same_time() {
        // 2026-11-20 is a Friday.
        let due = london().add(at("2026-11-20T16:00", "Europe/London"), Target::Days(2));
        assert_eq!(local(due, "Europe/London"), "Tue 2026-11-24 16:00");
    }

    #[test]
    fn weekend_start_counts_from_monday_opening() {
        let due = london().add(at("2026-11-21T10:00", "Europe/London"), Target::Days(2));
        assert_eq!(local(due, "Europe/London"), "Tue 2026-11-24 17:00");
        let due = london().add(at("2026-11-23T07:00", "Europe/London"), Target::Days(1));
        assert_eq!(local(due, "Europe/London"), "Mon 2026-11-23 17:00");
    }

    #[test]
    fn after_closing_counts_from_next_opening() {
        let due = london().add(at("2026-11-23T18:30", "Europe/London"), Target::Days(1));
        assert_eq!(local(due, "Europe/London"), "Tue 2026-11-24 17:00");
    }

    #[test]
    fn hours_skip_nights_weekends_and_holidays() {
        let cal = BusinessCalendar::new(
            TimeZone::get("Europe/London").unwrap(),
            WeekHours::default(),
            ["2026-11-23".parse().unwrap()],
        );
        let due = cal.add(at("2026-11-20T15:00", "Europe/London"), Target::Hours(4));
        assert_eq!(local(due, "Europe/London"), "Tue 2026-11-24 11:00");
        let due = cal.add(at("2026-11-20T15:00", "Europe/London"), Target::Hours(2));
        assert_eq!(local(due, "Europe/London"), "Fri 2026-11-20 17:00");
        let due = cal.add(at("2026-11-20T15:00", "Europe/London"), Target::Minutes(150));
        assert_eq!(local(due, "Europe/London"), "Tue 2026-11-24 09:30");
    }

    #[test]
    fn days_clamp_to_a_shorter_day() {
        let week = WeekHours { fri: Some(OpenHours::parse("09:00-13:00").unwrap()), ..WeekHours::default() };
        let cal = BusinessCalendar::new(TimeZone::UTC, week, []);
        let due = cal.add(at("2026-11-19T15:00", "UTC"), Target::Days(1));
        assert_eq!(local(due, "UTC"), "Fri 2026-11-20 13:00");
    }

    #[test]
    fn next_morning_is_next_working_day_at_nine_in_customer_zone() {
        let cal = london();
        let ny = TimeZone::get("America/New_York").unwrap();
        let t = at("2026-11-20T16:59", "Europe/London");
        assert_eq!(local(cal.next_morning(t, cal.time_zone()), "Europe/London"), "Mon 2026-11-23 09:00");
        assert_eq!(local(cal.next_morning(t, &ny), "America/New_York"), "Mon 2026-11-23 09:00");
        let with_holiday = BusinessCalendar::new(cal.time_zone().clone(), WeekHours::default(), ["2026-11-23".parse().unwrap()]);
        assert_eq!(local(with_holiday.next_morning(t, cal.time_zone()), "Europe/London"), "Tue 2026-11-24 09:00");
    }

    #[test]
    fn dst_change_keeps_local_opening() {
        // Clocks go back in London on 2026-10-25.
        let due = london().add(at("2026-10-23T16:00", "Europe/London"), Target::Days(1));
        assert_eq!(local(due, "Europe/London"), "Mon 2026-10-26 16:00");
    }

    #[test]
    fn targets_and_hours_parse() {
        assert_eq!(Target::parse("2d"), Ok(Target::Days(2)));
        assert_eq!(Target::parse("90m"), Ok(Target::Minutes(90)));
        assert!(Target::parse("2w").is_err());
        assert!(Target::parse("d").is_err());
        for wide in ["á", "2á", "é", "2d\u{301}", "", " "] {
            assert!(Target::parse(wide).is_err(), "{wide:?}");
        }
        assert!(OpenHours::parse("17:00-09:00").is_err());
        assert_eq!(OpenHours::parse("08:30-18:00").unwrap().to_string(), "08:30-18:00");
    }

    #[test]
    fn closed_calendar_does_not_hang() {
        let week = WeekHours { mon: None, tue: None, wed: None, thu: None, fri: None, sat: None, sun: None };
        let cal = BusinessCalendar::new(TimeZone::UTC, week, []);
        let t = at("2026-11-20T16:00", "UTC");
        assert_eq!(cal.add(t, Target::Days(2)), t);
    }
}
