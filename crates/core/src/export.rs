//! The CSV export of cases and survey responses (SPEC §5), as rows of text:
//! the column names, one row per case or response, and the period an export
//! covers. No I/O: the API streams these rows and `redress export` writes
//! them, both through the `csv` crate, which quotes what needs quoting.
//!
//! Text a person typed (a summary, an order number, an area's or survey's
//! name, the answers) is **neutralised against spreadsheet formula
//! injection**: a cell starting with `=`, `+`, `-`, `@`, a tab or a carriage
//! return gets a leading `'`, so a spreadsheet shows it as text instead of
//! running it. Ids, figures and times are never touched.
//!
//! Times are RFC 3339 in UTC, as the API writes them; money is a decimal
//! string (`"30.00"`); a missing value is an empty cell; flags are `true` or
//! `false`.

use crate::case::{ActionStatus, Case};
use crate::store::TimeRange;
use crate::survey::{Response, Survey};
use jiff::tz::TimeZone;
use jiff::Timestamp;
use serde::Serialize;

/// The columns of the case export, in order.
pub const CASE_COLUMNS: [&str; 32] = [
    "id",
    "reference",
    "status",
    "channel",
    "severity",
    "significant",
    "flagged",
    "service_area_id",
    "service_area",
    "category_id",
    "customer_id",
    "owner_id",
    "created_by",
    "summary",
    "order_reference",
    "occurred_at",
    "reported_at",
    "created_at",
    "identification_lag_seconds",
    "first_response_due_at",
    "responded_at",
    "resolution_due_at",
    "closed_at",
    "transfer_count",
    "reopen_count",
    "remedy_kind",
    "remedy_value",
    "gift_cost",
    "problem_id",
    "survey_response_id",
    "opening_score",
    "recovery_score",
];

/// The columns of the metrics export: one row per week of the period (its
/// Monday), then a row `total` for the whole period.
pub const METRICS_COLUMNS: [&str; 17] = [
    "week_start",
    "days",
    "cases",
    "responses",
    "average_rating",
    "nps",
    "first_response_median_business_seconds",
    "resolution_median_business_seconds",
    "reopen_rate",
    "response_rate",
    "identification_lag_median_seconds",
    "first_response_target_share",
    "resolution_target_share",
    "transfers_per_case",
    "remedy_cost",
    "gift_cost",
    "recovery_average_change",
];

/// The weekly series of `m` and its total as rows of [`METRICS_COLUMNS`];
/// figures only kept for the whole period are empty in the weekly rows.
pub fn metrics_rows(m: &crate::insight::Metrics) -> Vec<Vec<String>> {
    let f = |v: Option<f64>| v.map(|v| format!("{v:.4}")).unwrap_or_default();
    let mut rows: Vec<Vec<String>> = m
        .weekly
        .iter()
        .map(|w| {
            let mut row = vec![
                w.week_start.to_string(),
                w.days.to_string(),
                w.cases.to_string(),
                w.responses.to_string(),
                f(w.average_rating),
                f(w.nps),
                opt(w.first_response_median_business_seconds),
                opt(w.resolution_median_business_seconds),
                f(w.reopen_rate),
            ];
            row.resize(METRICS_COLUMNS.len(), String::new());
            row
        })
        .collect();
    let share = |t: crate::case::TargetName| m.compliance.iter().find(|c| c.target == t).and_then(|c| c.share);
    let days = m.from.until(m.to).map(|s| s.get_days() + 1).unwrap_or(0);
    rows.push(vec![
        "total".into(),
        days.to_string(),
        m.cases.to_string(),
        m.satisfaction.responses.to_string(),
        f(m.satisfaction.average_rating),
        f(m.satisfaction.nps.score),
        opt(m.first_response.business.median_seconds),
        opt(m.resolution.business.median_seconds),
        f(m.reopens.rate),
        f(m.response_rate.rate),
        opt(m.identification_lag.overall.median_seconds),
        f(share(crate::case::TargetName::FirstResponse)),
        f(share(crate::case::TargetName::Resolution)),
        f(m.transfers.per_case),
        m.remedies.cost.to_string(),
        m.gifts.cost.to_string(),
        f(m.recovery.average_change),
    ]);
    rows
}

/// The columns of the survey-response export, in order.
pub const RESPONSE_COLUMNS: [&str; 10] =
    ["id", "survey_id", "survey_title", "customer_id", "invitation_id", "created_at", "lowest_rating", "nps", "case_id", "answers"];

/// One case as a row of [`CASE_COLUMNS`]. `area_name` is the name of its
/// service area, when it has one.
///
/// `remedy_kind` is that of the latest agreed corrective action and
/// `remedy_value` the total of the agreed ones (one, unless a reopened case
/// agreed another); `gift_cost` totals the goodwill gifts.
pub fn case_row(case: &Case, area_name: Option<&str>) -> Vec<String> {
    let agreed: Vec<_> = case.actions.iter().filter(|a| a.status == ActionStatus::Agreed).collect();
    let remedy_value = (!agreed.is_empty()).then(|| agreed.iter().map(|a| a.remedy_value).sum::<crate::Money>());
    let gift_cost = (!case.gifts.is_empty()).then(|| case.gifts.iter().map(|g| g.cost).sum::<crate::Money>());
    vec![
        case.id.to_string(),
        case.reference.clone(),
        case.status.as_str().to_string(),
        case.channel.as_str().to_string(),
        name(&case.severity),
        case.significant.to_string(),
        case.flagged.to_string(),
        opt(case.service_area_id),
        text(area_name.unwrap_or_default()),
        opt(case.category_id),
        case.customer_id.to_string(),
        case.owner_id.to_string(),
        case.created_by.to_string(),
        text(&case.summary),
        text(case.order_reference.as_deref().unwrap_or_default()),
        case.occurred_at.to_string(),
        case.reported_at.to_string(),
        case.created_at.to_string(),
        case.identification_lag().as_secs().to_string(),
        case.first_response_due_at.to_string(),
        opt(case.responded_at),
        case.resolution_due_at.to_string(),
        opt(case.closed_at),
        case.transfers.len().to_string(),
        case.reopen_count.to_string(),
        agreed.last().map(|a| name(&a.remedy_kind)).unwrap_or_default(),
        opt(remedy_value),
        opt(gift_cost),
        opt(case.preventive.as_ref().and_then(|p| p.problem_id)),
        opt(case.survey_response_id),
        opt(case.opening_score),
        opt(case.recovery.as_ref().map(|r| r.score)),
    ]
}

/// One survey response as a row of [`RESPONSE_COLUMNS`]. `survey` is the
/// survey it answers, when known (for its title).
///
/// `answers` is the answers as one JSON object by question key, exactly as
/// the API returns them (`{"comment":"…","speed":2}`): unambiguous whatever
/// the answers say, and one column whatever the survey asks.
pub fn response_row(response: &Response, survey: Option<&Survey>) -> Vec<String> {
    // A map of strings and numbers always serialises.
    let answers = serde_json::to_string(&response.answers).unwrap_or_default();
    vec![
        response.id.to_string(),
        response.survey_id.to_string(),
        text(survey.map(|s| s.title.as_str()).unwrap_or_default()),
        response.customer_id.to_string(),
        response.invitation_id.to_string(),
        response.created_at.to_string(),
        opt(response.lowest_rating),
        opt(response.nps),
        opt(response.case_id),
        text(&answers),
    ]
}

/// Text as a spreadsheet may safely open it: a leading `'` before a cell
/// that would otherwise start a formula (`=`, `+`, `-`, `@`, tab, CR).
pub fn text(s: &str) -> String {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}"),
        _ => s.to_string(),
    }
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

/// An enum's wire name (`"in_person"`).
fn name<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

/// Why a requested period was refused: the parameter and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{detail}")]
pub struct RangeError {
    /// `from` or `to`.
    pub parameter: &'static str,
    pub detail: String,
    /// The value cannot be read (rather than two readable bounds that
    /// make no period).
    pub malformed: bool,
}

/// The period `from` (inclusive) to `to` (exclusive), either open. Each is
/// an RFC 3339 timestamp (`2026-11-01T09:00:00Z`) or a date (`2026-11-01`),
/// which stands for the start of that day in `zone` (the organisation's).
/// A `from` at or after `to` is refused.
pub fn parse_range(from: Option<&str>, to: Option<&str>, zone: &TimeZone) -> Result<TimeRange, RangeError> {
    let bound = |parameter: &'static str, v: Option<&str>| {
        v.map(|v| parse_bound(v, zone).map_err(|(detail, malformed)| RangeError { parameter, detail: format!("{parameter}: {detail}"), malformed })).transpose()
    };
    let range = TimeRange { from: bound("from", from)?, to: bound("to", to)? };
    if let (Some(f), Some(t)) = (range.from, range.to) {
        if f >= t {
            return Err(RangeError { parameter: "from", detail: format!("from ({f}) must be before to ({t}): the period runs from `from` (inclusive) to `to` (exclusive)"), malformed: false });
        }
    }
    Ok(range)
}

/// An RFC 3339 timestamp, or a date `YYYY-MM-DD` as the start of that day
/// in `zone`. The error says why, and whether the text cannot be read at
/// all (`true`) or reads as a day the calendar does not have (`false`:
/// 2026-02-30).
fn parse_bound(text: &str, zone: &TimeZone) -> Result<Timestamp, (String, bool)> {
    let t = text.trim();
    let refused = || (format!("'{text}' is neither an RFC 3339 timestamp (2026-11-01T09:00:00Z) nor a date (2026-11-01)"), true);
    let is_date = |s: &str| s.len() == 10 && s.bytes().enumerate().all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() });
    // A day numbered within 1 to 31 of a month 1 to 12 that the month does not have.
    let no_such_day = || {
        let day = t.get(..10).filter(|d| is_date(d))?;
        let (y, m, d): (i16, i8, i8) = (day[..4].parse().ok()?, day[5..7].parse().ok()?, day[8..].parse().ok()?);
        let first = jiff::civil::Date::new(y, m, 1).ok()?;
        (d > first.days_in_month() && d <= 31).then(|| (format!("'{text}': {} has {} days, not {d}", first.strftime("%B %Y"), first.days_in_month()), false))
    };
    if is_date(t) {
        let date: jiff::civil::Date = t.parse().map_err(|_| no_such_day().unwrap_or_else(refused))?;
        return date.to_zoned(zone.clone()).map(|z| z.timestamp()).map_err(|e| (format!("'{text}': {e}"), true));
    }
    // RFC 3339 needs a date, a time and an offset (or Z).
    let has_time = t.len() > 10 && matches!(t.as_bytes()[10], b'T' | b't' | b' ');
    if !has_time {
        return Err(refused());
    }
    t.parse::<Timestamp>().map_err(|_| no_such_day().unwrap_or_else(refused))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_neutralised_and_other_text_kept() {
        for s in ["=SUM(A1)", "+1", "-2", "@cmd", "\tx", "\rx"] {
            assert_eq!(text(s), format!("'{s}"));
        }
        for s in ["", "Vase arrived broken", "'quoted", "3 = 3", "a,b \"c\"\nd"] {
            assert_eq!(text(s), s);
        }
    }

    #[test]
    fn dates_are_days_in_the_organisations_zone() {
        let london = TimeZone::get("Europe/London").unwrap();
        let r = parse_range(Some("2026-07-01"), Some("2026-07-02T00:00:00Z"), &london).unwrap();
        assert_eq!(r.from, Some("2026-06-30T23:00:00Z".parse().unwrap()), "midnight in summer time");
        assert_eq!(r.to, Some("2026-07-02T00:00:00Z".parse().unwrap()));
        assert_eq!(parse_range(None, None, &london).unwrap(), TimeRange::default());
        assert_eq!(parse_range(Some("2026-11-01T09:00:00+01:00"), None, &london).unwrap().from, Some("2026-11-01T08:00:00Z".parse().unwrap()));
    }

    #[test]
    fn bad_bounds_name_their_parameter() {
        let utc = TimeZone::UTC;
        for bad in ["yesterday", "2026-13-01", "2026-11-01T09:00:00", "20261101", "2026-02-30", ""] {
            let e = parse_range(Some(bad), None, &utc).unwrap_err();
            assert_eq!(e.parameter, "from", "{bad}");
            assert!(e.detail.starts_with("from: "), "{}", e.detail);
        }
        assert_eq!(parse_range(None, Some("soon"), &utc).unwrap_err().parameter, "to");
        // Well-formed, but a day the month does not have: refused by a rule, not unreadable.
        for (day, says) in [("2026-02-30", "February 2026 has 28 days, not 30"), ("2028-02-30T10:00:00Z", "February 2028 has 29 days, not 30"), ("2026-04-31", "April 2026 has 30 days")] {
            let e = parse_range(Some(day), None, &utc).unwrap_err();
            assert!(!e.malformed && e.detail.contains(says), "{day}: {}", e.detail);
        }
        assert!(parse_range(Some("2026-13-01"), None, &utc).unwrap_err().malformed);
        let e = parse_range(Some("2026-11-02"), Some("2026-11-01"), &utc).unwrap_err();
        assert!(e.detail.contains("must be before"), "{}", e.detail);
        assert!(parse_range(Some("2026-11-01"), Some("2026-11-01"), &utc).is_err(), "an empty period");
    }
}
