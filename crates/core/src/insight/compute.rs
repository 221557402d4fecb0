//! Every figure of [`Metrics`] from merged rollup rows.

use super::trend::{self, RisingRule, Trend, TrendKey};
use super::*;
use std::collections::BTreeMap;

/// The Monday on or before `day`.
fn week_start(day: Date) -> Date {
    day.saturating_sub(jiff::Span::new().days(i64::from(day.weekday().to_monday_zero_offset())))
}

fn days_between(a: Date, b: Date) -> u32 {
    b.since(a).map(|s| s.get_days().max(0) as u32).unwrap_or(0)
}

fn satisfaction(r: &Rollup) -> Satisfaction {
    Satisfaction {
        responses: r.responses,
        rated: r.ratings.iter().sum(),
        average_rating: average_rating(&r.ratings),
        distribution: r.ratings.to_vec(),
        nps: Nps::of(&r.nps),
    }
}

fn both(business: &DurationSketch, calendar: &DurationSketch) -> BusinessAndCalendar {
    BusinessAndCalendar { business: DurationStats::of(business), calendar: DurationStats::of(calendar) }
}

fn compliance(target: TargetName, m: MetTotal) -> TargetCompliance {
    TargetCompliance { target, total: m.total, met: m.met, share: share(m.met, m.total) }
}

fn costs(count: u64, minor: i64) -> Costs {
    Costs { count, cost: Money::from_minor(minor.max(0)) }
}

fn week_point(week: Date, days: u32, r: &Rollup) -> WeekPoint {
    WeekPoint {
        week_start: week,
        days,
        cases: r.cases,
        responses: r.responses,
        average_rating: average_rating(&r.ratings),
        nps: Nps::of(&r.nps).score,
        first_response_median_business_seconds: r.first_response_business.percentile(50),
        resolution_median_business_seconds: r.resolution_business.percentile(50),
        reopen_rate: share(r.reopened_cases, r.cases),
    }
}

impl Metrics {
    /// The figures of `query` from rollup rows covering at least
    /// [`MetricsQuery::first_day_needed`] to `to`, and, for the loyalty
    /// comparison, the [`RollupKey::of_day`] rows from the first day kept to
    /// `to` ([`Loyalty::from_rollups`]). Rows outside the period or its
    /// filters are ignored, so the store may hand over more than it must.
    pub fn from_rollups(rows: &[KeyedRollup], loyalty_rows: &[KeyedRollup], query: &MetricsQuery) -> Metrics {
        let loyalty = Loyalty::from_rollups(loyalty_rows, query);
        let admitted: Vec<&KeyedRollup> = rows.iter().filter(|r| query.admits(&r.key)).collect();
        let in_period: Vec<&KeyedRollup> = admitted.iter().copied().filter(|r| query.contains(r.key.day)).collect();
        let total = Rollup::merged(in_period.iter().map(|r| &r.rollup));

        let mut by_channel: BTreeMap<Channel, DurationSketch> = BTreeMap::new();
        for r in in_period.iter().filter(|r| r.rollup.cases > 0) {
            if let Some(c) = r.key.channel {
                by_channel.entry(c).or_default().merge(&r.rollup.identification_lag);
            }
        }
        let by_channel = by_channel.into_iter().map(|(channel, s)| ChannelLag { channel, lag: DurationStats::of(&s) }).collect();

        Metrics {
            from: query.from,
            to: query.to,
            service_area_id: query.service_area_id,
            channel: query.channel,
            owner_id: query.owner_id,
            category_id: query.category_id,
            cases: total.cases,
            satisfaction: satisfaction(&total),
            response_rate: ResponseRate {
                invitations: total.invitations,
                answered: total.invitations_answered,
                rate: share(total.invitations_answered, total.invitations),
            },
            identification_lag: IdentificationLag { overall: DurationStats::of(&total.identification_lag), by_channel },
            first_response: both(&total.first_response_business, &total.first_response_calendar),
            resolution: both(&total.resolution_business, &total.resolution_calendar),
            compliance: vec![
                compliance(TargetName::FirstResponse, total.first_response_target),
                compliance(TargetName::Resolution, total.resolution_target),
                compliance(TargetName::FollowUp, total.follow_up_target),
            ],
            transfers: Transfers { transfers: total.transfers, per_case: share(total.transfers, total.cases), flagged: total.flagged },
            reopens: Reopens { reopened: total.reopened_cases, reopens: total.reopens, rate: share(total.reopened_cases, total.cases) },
            remedies: costs(total.remedies, total.remedy_cost_minor),
            gifts: costs(total.gifts, total.gift_cost_minor),
            recovery: RecoveryFigures {
                measured: total.recoveries,
                average_change: (total.recoveries > 0).then(|| total.recovery_change_sum as f64 / total.recoveries as f64),
                improved: total.recoveries_improved,
                share_improved: share(total.recoveries_improved, total.recoveries),
            },
            loyalty,
            weekly: weekly(&in_period, query),
            trends: trends(&admitted, query, &RisingRule::default()),
        }
    }
}

/// One point per week touching the period, empty weeks included, so a
/// chart's axis has no gaps.
fn weekly(rows: &[&KeyedRollup], query: &MetricsQuery) -> Vec<WeekPoint> {
    if query.to < query.from {
        return Vec::new();
    }
    let mut weeks: BTreeMap<Date, Rollup> = BTreeMap::new();
    for r in rows {
        weeks.entry(week_start(r.key.day)).or_default().add(&r.rollup);
    }
    let empty = Rollup::default();
    let mut points = Vec::new();
    let mut week = week_start(query.from);
    while week <= query.to {
        let next = week.saturating_add(jiff::Span::new().days(7));
        let first = week.max(query.from);
        let last = next.saturating_sub(jiff::Span::new().days(1)).min(query.to);
        points.push(week_point(week, days_between(first, last) + 1, weeks.get(&week).unwrap_or(&empty)));
        if next == week {
            break;
        }
        week = next;
    }
    points
}

/// Case counts in the seven days ending on `to` against the seven before,
/// per service area, per channel and per category.
fn trends(rows: &[&KeyedRollup], query: &MetricsQuery, rule: &RisingRule) -> Vec<Trend> {
    let this_from = query.to.saturating_sub(jiff::Span::new().days(6));
    let last_from = query.to.saturating_sub(jiff::Span::new().days(13));
    let mut counts: BTreeMap<TrendKey, (u64, u64)> = BTreeMap::new();
    for r in rows.iter().filter(|r| r.rollup.cases > 0 && r.key.day >= last_from && r.key.day <= query.to) {
        let this = r.key.day >= this_from;
        let mut keys = vec![TrendKey::ServiceArea { service_area_id: r.key.service_area_id }];
        keys.extend(r.key.channel.map(|channel| TrendKey::Channel { channel }));
        keys.extend(r.key.category_id.map(|category_id| TrendKey::Category { category_id }));
        for key in keys {
            let slot = counts.entry(key).or_default();
            if this {
                slot.1 += r.rollup.cases;
            } else {
                slot.0 += r.rollup.cases;
            }
        }
    }
    counts.into_iter().map(|(key, (last, this))| trend::compare(key, last, this, rule)).collect()
}
