//! Every figure of [`Metrics`] from merged rollup rows.

use super::summary::{week_start, Dim, Summary, SummaryPlan, TrendCounts};
use super::trend::{self, RisingRule, TrendKey};
use crate::store::RollupRows;
use super::*;
use std::borrow::Cow;
use std::collections::BTreeMap;


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

fn costs(count: u64, scaled: i64) -> Costs {
    Costs { count, cost: Money::from_scaled(scaled.max(0)) }
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

/// What the figures are made of, from per-day rows or from summaries.
#[derive(Default)]
struct Parts<'a> {
    /// The period's rows under the filters, each by its first day (a day,
    /// or the first of a whole week or month): the totals.
    period: Vec<(Date, &'a Rollup)>,
    /// The same days in days and whole weeks: the weekly series.
    weeks: Vec<(Date, &'a Rollup)>,
    /// Identification lag of the period's cases, by channel (summed at the end).
    by_channel: BTreeMap<Channel, Vec<&'a DurationSketch>>,
    trends: TrendCounts,
}

impl<'a> Parts<'a> {
    fn lag(&mut self, channel: Channel, r: &'a Rollup) {
        if r.cases > 0 {
            self.by_channel.entry(channel).or_default().push(&r.identification_lag);
        }
    }

    /// From per-day rows: those the filters admit.
    fn of_rows(&mut self, rows: &'a [KeyedRollup], query: &MetricsQuery) {
        for r in rows.iter().filter(|r| query.admits(&r.key)) {
            if query.contains(r.key.day) {
                self.period.push((r.key.day, &r.rollup));
                self.weeks.push((r.key.day, &r.rollup));
                if let Some(c) = r.key.channel {
                    self.lag(c, &r.rollup);
                }
            }
            let mut keys = vec![TrendKey::ServiceArea { service_area_id: r.key.service_area_id }];
            keys.extend(r.key.channel.map(|channel| TrendKey::Channel { channel }));
            keys.extend(r.key.category_id.map(|category_id| TrendKey::Category { category_id }));
            for key in keys {
                self.trends.add(key, r.key.day, r.rollup.cases, query);
            }
        }
    }

    /// From summaries: those `plan`'s period, weekly and channel reads take.
    fn of_summaries(&mut self, rows: &'a [Summary], plan: &SummaryPlan) {
        for s in rows {
            let k = &s.key;
            if plan.period.iter().any(|r| r.matches(k)) {
                self.period.push((k.start, &s.rollup));
            }
            if plan.weeks.iter().any(|r| r.matches(k)) {
                self.weeks.push((k.start, &s.rollup));
            }
            if let (true, Dim::One(Some(c))) = (plan.by_channel.iter().any(|r| r.matches(k)), k.channel) {
                self.lag(c, &s.rollup);
            }
        }
    }
}

impl Metrics {
    /// The figures of `query` from what the store read for it
    /// ([`Store::rollups`](crate::store::Store::rollups)): per-day rows, or
    /// the summaries of its [`SummaryPlan`], and the loyalty rows.
    pub fn of(rows: &RollupRows, query: &MetricsQuery) -> Metrics {
        let mut parts = Parts::default();
        parts.of_rows(&rows.period, query);
        parts.trends.merge(&rows.trends);
        let loyalty = match SummaryPlan::of(query) {
            Some(plan) => {
                parts.of_summaries(&rows.summaries, &plan);
                Loyalty::from_summaries(&rows.summaries, &plan)
            }
            None => Loyalty::from_rollups(&rows.loyalty, query),
        };
        Metrics::of_parts(parts, loyalty, query)
    }

    /// The figures of `query` from per-day rollup rows covering at least
    /// [`MetricsQuery::first_day_needed`] to `to`, and, for the loyalty
    /// comparison, the [`RollupKey::of_day`] rows from the first day kept to
    /// `to` ([`Loyalty::from_rollups`]). Rows outside the period or its
    /// filters are ignored, so the store may hand over more than it must.
    pub fn from_rollups(rows: &[KeyedRollup], loyalty_rows: &[KeyedRollup], query: &MetricsQuery) -> Metrics {
        let mut parts = Parts::default();
        parts.of_rows(rows, query);
        Metrics::of_parts(parts, Loyalty::from_rollups(loyalty_rows, query), query)
    }

    /// The same figures from the summaries of [`SummaryPlan::of`]`(query)`
    /// (from the per-day loyalty rows alone when there is no plan); extra
    /// rows are ignored.
    pub fn from_summaries(rows: &[Summary], loyalty_rows: &[KeyedRollup], query: &MetricsQuery) -> Metrics {
        let mut parts = Parts::default();
        let mut loyalty = Loyalty::from_rollups(loyalty_rows, query);
        if let Some(plan) = SummaryPlan::of(query) {
            parts.of_summaries(rows, &plan);
            parts.trends = plan.trend_counts(rows, query);
            loyalty = Loyalty::from_summaries(rows, &plan);
        }
        Metrics::of_parts(parts, loyalty, query)
    }

    fn of_parts(parts: Parts, loyalty: Loyalty, query: &MetricsQuery) -> Metrics {
        let total = Rollup::merged(parts.period.iter().map(|(_, r)| *r));
        let by_channel = parts.by_channel.into_iter().map(|(channel, s)| ChannelLag { channel, lag: DurationStats::of(&DurationSketch::sum(s)) }).collect();
        let rule = RisingRule::default();
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
            remedies: costs(total.remedies, total.remedy_cost_scaled),
            gifts: costs(total.gifts, total.gift_cost_scaled),
            recovery: RecoveryFigures {
                measured: total.recoveries,
                average_change: (total.recoveries > 0).then(|| total.recovery_change_sum as f64 / total.recoveries as f64),
                improved: total.recoveries_improved,
                share_improved: share(total.recoveries_improved, total.recoveries),
            },
            loyalty,
            weekly: weekly(&parts.weeks, query),
            trends: parts.trends.0.into_iter().map(|(key, (last, this))| trend::compare(key, last, this, &rule)).collect(),
        }
    }
}

/// One point per week touching the period, empty weeks included, so a
/// chart's axis has no gaps.
fn weekly(rows: &[(Date, &Rollup)], query: &MetricsQuery) -> Vec<WeekPoint> {
    if query.to < query.from {
        return Vec::new();
    }
    let mut parts: BTreeMap<Date, Vec<&Rollup>> = BTreeMap::new();
    for (day, r) in rows {
        parts.entry(week_start(*day)).or_default().push(r);
    }
    // A week read as its one summary row is taken as it is, not copied.
    let weeks: BTreeMap<Date, Cow<Rollup>> = parts
        .into_iter()
        .map(|(week, rows)| (week, if let [one] = rows[..] { Cow::Borrowed(one) } else { Cow::Owned(Rollup::merged(rows)) }))
        .collect();
    let empty = Rollup::default();
    let mut points = Vec::new();
    let mut week = week_start(query.from);
    while week <= query.to {
        let next = week.saturating_add(jiff::Span::new().days(7));
        let first = week.max(query.from);
        let last = next.saturating_sub(jiff::Span::new().days(1)).min(query.to);
        points.push(week_point(week, days_between(first, last) + 1, weeks.get(&week).map_or(&empty, |r| r)));
        if next == week {
            break;
        }
        week = next;
    }
    points
}
