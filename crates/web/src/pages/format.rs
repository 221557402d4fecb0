//! How pages show times, durations, money and names: in the organisation's
//! time zone and currency, in words people read.

use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use redress_core::settings::OrgSettings;
use redress_core::Money;
use serde::Serialize;

/// The organisation's zone (UTC if the stored name no longer resolves).
pub fn zone(settings: &OrgSettings) -> TimeZone {
    TimeZone::get(&settings.timezone).unwrap_or(TimeZone::UTC)
}

/// `Tue 24 Nov 2026, 09:00` in `tz`.
pub fn when(t: Timestamp, tz: &TimeZone) -> String {
    t.to_zoned(tz.clone()).strftime("%a %-d %b %Y, %H:%M").to_string()
}

/// `2026-11-24T09:00`, the value of a `datetime-local` field, in `tz`.
pub fn local_input(t: Timestamp, tz: &TimeZone) -> String {
    t.to_zoned(tz.clone()).strftime("%Y-%m-%dT%H:%M").to_string()
}

/// A length of time in words: `3 days 4 hours`, `2 hours 5 minutes`, `40 minutes`.
pub fn duration(d: SignedDuration) -> String {
    let secs = d.as_secs().unsigned_abs();
    let (days, hours, minutes) = (secs / 86_400, secs % 86_400 / 3_600, secs % 3_600 / 60);
    let unit = |n: u64, one: &str| if n == 1 { format!("1 {one}") } else { format!("{n} {one}s") };
    match (days, hours, minutes) {
        (0, 0, m) => unit(m, "minute"),
        (0, h, 0) => unit(h, "hour"),
        (0, h, m) => format!("{} {}", unit(h, "hour"), unit(m, "minute")),
        (d, 0, _) => unit(d, "day"),
        (d, h, _) => format!("{} {}", unit(d, "day"), unit(h, "hour")),
    }
}

/// `GBP 40.00`, `JPY 1500`, `KWD 12.500`: at the currency's exponent.
pub fn money(value: Money, settings: &OrgSettings) -> String {
    let currency = settings.currency();
    format!("{} {}", currency.code(), value.at(currency.exponent()))
}

/// An enum's wire name (`replacement`), as the API spells it.
pub fn wire<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_words() {
        assert_eq!(duration(SignedDuration::from_mins(40)), "40 minutes");
        assert_eq!(duration(SignedDuration::from_hours(1)), "1 hour");
        assert_eq!(duration(SignedDuration::from_mins(125)), "2 hours 5 minutes");
        assert_eq!(duration(SignedDuration::from_hours(72)), "3 days");
        assert_eq!(duration(SignedDuration::from_hours(76)), "3 days 4 hours");
        assert_eq!(duration(SignedDuration::from_hours(-25)), "1 day 1 hour");
    }

    #[test]
    fn times_show_in_the_organisations_zone() {
        let t: Timestamp = "2026-07-01T08:00:00Z".parse().unwrap();
        let london = TimeZone::get("Europe/London").unwrap();
        assert_eq!(when(t, &london), "Wed 1 Jul 2026, 09:00");
        assert_eq!(local_input(t, &london), "2026-07-01T09:00");
    }
}
