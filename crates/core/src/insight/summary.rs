//! Summaries: the rollup rows summed over every value of some of the
//! service area, channel and category, per day, per week and per month.
//!
//! A year's figures from the per-day rows touch every (day, service area,
//! channel, category) combination that occurs, so their cost grows with the
//! volume until every combination is filled. The summaries bound it: the
//! figures of a query with at most one filter (no owner) come from
//!
//! - the period's whole months, and the whole weeks and days at its edges,
//!   at the filter's own level (for no filter, the one row of everything):
//!   every total;
//! - the same spans one level finer by channel, for the lag by channel;
//! - the period's whole weeks and its edge days at the filter's level, for
//!   the weekly series;
//! - the trends' fourteen days one level finer by service area, by channel
//!   and by category;
//! - for the loyalty comparison, everything up to the period's end (in
//!   whole months) and the period's spans, at the level of everything.
//!
//! That is a few hundred rows for a year whatever the volume. Queries that
//! name an owner or combine filters read the per-day rows
//! ([`Metrics::from_rollups`](super::Metrics::from_rollups)); both give the
//! same figures (the tests compare them on every query).
//!
//! A summary holds the sum of the owner-0 rows it covers, so the store keeps
//! it the way it keeps them: each per-day change is added to the summaries
//! [`SummaryKey::containing`] its key, and a rebuild sums them afresh.

use super::rollup::{Rollup, RollupKey};
use super::MetricsQuery;
use crate::case::Channel;
use super::trend::TrendKey;
use crate::{CategoryId, ServiceAreaId};
use jiff::civil::Date;
use std::collections::BTreeMap;

/// How long a summary row lasts: one day, the week starting on its
/// Monday, or a calendar month (weeks and months are whole: a row for one
/// holds all its days).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Span {
    Day,
    Week,
    Month,
}

impl Span {
    pub const ALL: [Span; 3] = [Span::Day, Span::Week, Span::Month];

    /// The first day of the span holding `day`.
    pub fn start_of(self, day: Date) -> Date {
        match self {
            Span::Day => day,
            Span::Week => week_start(day),
            Span::Month => day.first_of_month(),
        }
    }
}

/// The Monday on or before `day`.
pub fn week_start(day: Date) -> Date {
    day.saturating_sub(jiff::Span::new().days(i64::from(day.weekday().to_monday_zero_offset())))
}

/// One dimension of a summary: one value (`One(None)`: rows with none), or
/// every value summed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dim<T> {
    One(Option<T>),
    All,
}

impl<T: PartialEq> Dim<T> {
    /// Every value summed when `summed`, else `value`'s.
    pub fn summed_if(summed: bool, value: Option<T>) -> Dim<T> {
        if summed {
            Dim::All
        } else {
            Dim::One(value)
        }
    }

    #[cfg(test)]
    fn is_all(&self) -> bool {
        matches!(self, Dim::All)
    }
}

/// A summary row's key. At least one dimension is [`Dim::All`]; the row
/// with none summed is the per-day row itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SummaryKey {
    pub span: Span,
    /// The span's first day.
    pub start: Date,
    pub service_area_id: Dim<ServiceAreaId>,
    pub channel: Dim<Channel>,
    pub category_id: Dim<CategoryId>,
}

impl SummaryKey {
    /// The summaries the rows of `key` count in (its owner is ignored: a
    /// summary sums over owners): each way of summing at least one
    /// dimension, per day, per week and per month — 21 keys.
    pub fn containing(key: &RollupKey) -> Vec<SummaryKey> {
        Span::ALL.into_iter().flat_map(|span| LEVELS.map(|level| SummaryKey::at(span, level, key))).collect()
    }

    /// The summary of `span` and `level` that the rows of `key` count in.
    pub fn at(span: Span, level: u8, key: &RollupKey) -> SummaryKey {
        SummaryKey {
            span,
            start: span.start_of(key.day),
            service_area_id: Dim::summed_if(level & AREA != 0, key.service_area_id),
            channel: Dim::summed_if(level & CHANNEL != 0, key.channel),
            category_id: Dim::summed_if(level & CATEGORY != 0, key.category_id),
        }
    }

    /// Which dimensions are summed: the sum of [`AREA`], [`CHANNEL`] and [`CATEGORY`].
    pub fn level(&self) -> u8 {
        level_of(self.service_area_id == Dim::All, self.channel == Dim::All, self.category_id == Dim::All)
    }
}

/// The bits of a level: service area, channel, category summed.
pub const AREA: u8 = 1;
pub const CHANNEL: u8 = 2;
pub const CATEGORY: u8 = 4;
/// Every level a summary can have (none summed is the per-day row itself).
pub const LEVELS: [u8; 7] = [1, 2, 3, 4, 5, 6, 7];

fn level_of(area: bool, channel: bool, category: bool) -> u8 {
    u8::from(area) * AREA + u8::from(channel) * CHANNEL + u8::from(category) * CATEGORY
}

/// A summary row: its key and the sum of the rows it covers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    pub key: SummaryKey,
    pub rollup: Rollup,
}

/// Which values of one dimension a read takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pick<T> {
    /// The summed row.
    All,
    /// One value's row.
    One(Option<T>),
    /// Every single value's row (not the summed one).
    Each,
}

impl<T: PartialEq + Copy> Pick<T> {
    fn of(filter: Option<T>) -> Pick<T> {
        filter.map_or(Pick::All, |v| Pick::One(Some(v)))
    }

    pub fn matches(&self, d: &Dim<T>) -> bool {
        match (self, d) {
            (Pick::All, Dim::All) => true,
            (Pick::One(v), Dim::One(w)) => v == w,
            (Pick::Each, Dim::One(_)) => true,
            _ => false,
        }
    }

    /// Split by this dimension: every value, unless the read is of one already.
    fn each(self) -> Pick<T> {
        match self {
            Pick::All => Pick::Each,
            one => one,
        }
    }
}

/// Rows of one level over a range of span starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SummaryRead {
    pub span: Span,
    /// Span starts, both included.
    pub from: Date,
    pub to: Date,
    pub service_area_id: Pick<ServiceAreaId>,
    pub channel: Pick<Channel>,
    pub category_id: Pick<CategoryId>,
}

impl SummaryRead {
    /// The level of every row the read takes.
    pub fn level(&self) -> u8 {
        level_of(self.service_area_id == Pick::All, self.channel == Pick::All, self.category_id == Pick::All)
    }

    pub fn matches(&self, k: &SummaryKey) -> bool {
        self.span == k.span
            && self.from <= k.start
            && k.start <= self.to
            && self.service_area_id.matches(&k.service_area_id)
            && self.channel.matches(&k.channel)
            && self.category_id.matches(&k.category_id)
    }
}

/// The days from `r.from` to `r.to` as the whole months among them and
/// the [`week_spans`] before and after those: the reads of `r`'s level that
/// cover them once with the fewest rows.
fn spans(r: SummaryRead) -> Vec<SummaryRead> {
    if r.from > r.to {
        return Vec::new();
    }
    let month = jiff::Span::new().months(1);
    let mut first = r.from.first_of_month();
    if first < r.from {
        first = first.saturating_add(month);
    }
    // The last month that ends on or before `to`.
    let last = r.to.saturating_add(jiff::Span::new().days(1)).first_of_month().saturating_sub(month);
    if first > last {
        return week_spans(r);
    }
    let mut out = vec![SummaryRead { span: Span::Month, from: first, to: last, ..r }];
    out.extend(week_spans(SummaryRead { to: first.saturating_sub(jiff::Span::new().days(1)), ..r }));
    out.extend(week_spans(SummaryRead { from: last.saturating_add(month), ..r }));
    out
}

/// The days from `r.from` to `r.to` as the whole weeks among them and the
/// days before and after those: the reads of `r`'s level that cover them
/// once (none when `to` is before `from`).
fn week_spans(r: SummaryRead) -> Vec<SummaryRead> {
    let mut out = Vec::new();
    if r.from > r.to {
        return out;
    }
    let (day, week) = (jiff::Span::new().days(1), jiff::Span::new().days(7));
    let mut first_week = week_start(r.from);
    if first_week < r.from {
        first_week = first_week.saturating_add(week);
    }
    let last_week = week_start(r.to.saturating_sub(jiff::Span::new().days(6)));
    if first_week > last_week {
        out.push(SummaryRead { span: Span::Day, ..r });
        return out;
    }
    out.push(SummaryRead { span: Span::Week, from: first_week, to: last_week, ..r });
    if r.from < first_week {
        out.push(SummaryRead { span: Span::Day, to: first_week.saturating_sub(day), ..r });
    }
    let after = last_week.saturating_add(week);
    if after <= r.to {
        out.push(SummaryRead { span: Span::Day, from: after, ..r });
    }
    out
}

/// The summaries a query's figures come from; see the module documentation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SummaryPlan {
    /// The period at the query's level: its whole months, and the weeks
    /// and days at its edges.
    pub period: Vec<SummaryRead>,
    /// The same spans split by channel.
    pub by_channel: Vec<SummaryRead>,
    /// The period at the query's level as its whole weeks and its edge
    /// days: the weekly series.
    pub weeks: Vec<SummaryRead>,
    /// The trends' fourteen days split by service area, channel and
    /// category; a store may hand over their [`TrendCounts`] instead.
    pub trends: Vec<SummaryRead>,
    /// Everything up to the period's end, in whole months, weeks and days
    /// (the period's own spans last): the loyalty comparison's customer counts.
    pub history: Vec<SummaryRead>,
    /// The period's spans at the level of everything: its scores.
    pub loyalty_period: Vec<SummaryRead>,
}

impl SummaryPlan {
    /// The plan for `query`, or `None` when it names an owner or more than
    /// one filter (the per-day rows answer those).
    pub fn of(query: &MetricsQuery) -> Option<SummaryPlan> {
        let filters = usize::from(query.service_area_id.is_some()) + usize::from(query.channel.is_some()) + usize::from(query.category_id.is_some());
        if query.owner_id.is_some() || filters > 1 {
            return None;
        }
        let base = SummaryRead {
            span: Span::Day,
            from: query.from,
            to: query.to,
            service_area_id: Pick::of(query.service_area_id),
            channel: Pick::of(query.channel),
            category_id: Pick::of(query.category_id),
        };
        let period = spans(base);
        let weeks = week_spans(base);
        let everything = SummaryRead { service_area_id: Pick::All, channel: Pick::All, category_id: Pick::All, ..base };
        let loyalty_period = spans(everything);
        // Everything before the period, then the period's own spans: the
        // rows both take are read once.
        let first = SummaryRead { from: jiff::civil::date(1, 1, 1), ..everything };
        let history = if query.from <= query.to {
            let mut before = spans(SummaryRead { to: query.from.saturating_sub(jiff::Span::new().days(1)), ..first });
            before.extend(loyalty_period.iter().copied());
            before
        } else {
            spans(first)
        };
        let by_channel = period.iter().map(|r| SummaryRead { channel: r.channel.each(), ..*r }).collect();
        let window = SummaryRead { from: query.to.saturating_sub(jiff::Span::new().days(13)), ..base };
        let trends = vec![
            SummaryRead { service_area_id: base.service_area_id.each(), ..window },
            SummaryRead { channel: base.channel.each(), ..window },
            SummaryRead { category_id: base.category_id.each(), ..window },
        ];
        Some(SummaryPlan { period, by_channel, weeks, trends, history, loyalty_period })
    }

    /// The trend a summary counts for: its key, when a trend read takes it.
    pub fn trend_key(&self, k: &SummaryKey) -> Option<TrendKey> {
        match (self.trends.iter().position(|r| r.matches(k)), k.service_area_id, k.channel, k.category_id) {
            (Some(0), Dim::One(service_area_id), _, _) => Some(TrendKey::ServiceArea { service_area_id }),
            (Some(1), _, Dim::One(Some(channel)), _) => Some(TrendKey::Channel { channel }),
            (Some(2), _, _, Dim::One(Some(category_id))) => Some(TrendKey::Category { category_id }),
            _ => None,
        }
    }

    /// The trend counts of summaries (those the trend reads take).
    pub fn trend_counts(&self, rows: &[Summary], query: &MetricsQuery) -> TrendCounts {
        let mut counts = TrendCounts::default();
        for s in rows {
            if let Some(key) = self.trend_key(&s.key) {
                counts.add(key, s.key.start, s.rollup.cases, query);
            }
        }
        counts
    }
}

/// Case counts per trend key: (the seven days before, the seven ending on
/// the query's last day).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrendCounts(pub BTreeMap<TrendKey, (u64, u64)>);

impl TrendCounts {
    /// Counts `cases` reported on `day` for `key`, if the day is in the two weeks.
    pub fn add(&mut self, key: TrendKey, day: Date, cases: u64, query: &MetricsQuery) {
        let (last_from, this_from) = (query.to.saturating_sub(jiff::Span::new().days(13)), query.to.saturating_sub(jiff::Span::new().days(6)));
        if cases == 0 || day < last_from || day > query.to {
            return;
        }
        let slot = self.0.entry(key).or_default();
        if day >= this_from {
            slot.1 += cases;
        } else {
            slot.0 += cases;
        }
    }

    /// Takes `other`'s counts back out (none goes below zero).
    pub fn subtract(&mut self, other: &TrendCounts) {
        for (key, (last, this)) in &other.0 {
            let slot = self.0.entry(key.clone()).or_default();
            slot.0 = slot.0.saturating_sub(*last);
            slot.1 = slot.1.saturating_sub(*this);
        }
        self.0.retain(|_, c| *c != (0, 0));
    }

    /// The counts of both.
    pub fn merge(&mut self, other: &TrendCounts) {
        for (key, (last, this)) in &other.0 {
            let slot = self.0.entry(key.clone()).or_default();
            slot.0 += last;
            slot.1 += this;
        }
    }
}

/// The summaries of per-day `rows`, computed afresh: at one span and level,
/// or (`None`) at all. Owners are ignored, so pass each contribution once:
/// the per-owner rows or their sums, not both.
pub fn summaries_of<'a>(rows: impl IntoIterator<Item = (&'a RollupKey, &'a Rollup)>, at: Option<(Span, u8)>) -> Vec<Summary> {
    let mut out: BTreeMap<SummaryKey, Rollup> = BTreeMap::new();
    for (key, rollup) in rows {
        let keys = match at {
            Some((span, level)) => vec![SummaryKey::at(span, level, key)],
            None => SummaryKey::containing(key),
        };
        for key in keys {
            out.entry(key).or_default().add(rollup);
        }
    }
    out.into_iter().filter(|(_, r)| !r.is_empty()).map(|(key, rollup)| Summary { key, rollup }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    fn query(from: &str, to: &str) -> MetricsQuery {
        MetricsQuery { from: d(from), to: d(to), service_area_id: None, channel: None, owner_id: None, category_id: None }
    }

    #[test]
    fn a_period_is_its_whole_weeks_and_its_edge_days() {
        // Thursday 5 November to Wednesday 25 November 2026.
        let plan = SummaryPlan::of(&query("2026-11-05", "2026-11-25")).unwrap();
        let spans: Vec<(Span, Date, Date)> = plan.period.iter().map(|r| (r.span, r.from, r.to)).collect();
        assert_eq!(
            spans,
            vec![(Span::Week, d("2026-11-09"), d("2026-11-16")), (Span::Day, d("2026-11-05"), d("2026-11-08")), (Span::Day, d("2026-11-23"), d("2026-11-25"))]
        );
        // A period inside one week is its days; one of whole weeks has no edges.
        let inside = SummaryPlan::of(&query("2026-11-10", "2026-11-12")).unwrap();
        assert_eq!(inside.period.iter().map(|r| (r.span, r.from, r.to)).collect::<Vec<_>>(), vec![(Span::Day, d("2026-11-10"), d("2026-11-12"))]);
        let whole = SummaryPlan::of(&query("2026-11-02", "2026-11-15")).unwrap();
        assert_eq!(whole.period.iter().map(|r| (r.span, r.from, r.to)).collect::<Vec<_>>(), vec![(Span::Week, d("2026-11-02"), d("2026-11-09"))]);
        assert!(SummaryPlan::of(&query("2026-11-15", "2026-11-02")).unwrap().period.is_empty());
        // There the weekly series reads the same spans.
        assert_eq!(plan.weeks, plan.period);
    }

    #[test]
    fn a_long_period_is_its_whole_months_then_the_weeks_and_days_at_its_edges() {
        // Thursday 15 January to Tuesday 1 December 2026.
        let plan = SummaryPlan::of(&query("2026-01-15", "2026-12-01")).unwrap();
        let spans: Vec<(Span, Date, Date)> = plan.period.iter().map(|r| (r.span, r.from, r.to)).collect();
        assert_eq!(
            spans,
            vec![
                (Span::Month, d("2026-02-01"), d("2026-11-01")),
                (Span::Week, d("2026-01-19"), d("2026-01-19")),
                (Span::Day, d("2026-01-15"), d("2026-01-18")),
                (Span::Day, d("2026-01-26"), d("2026-01-31")),
                (Span::Day, d("2026-12-01"), d("2026-12-01")),
            ]
        );
        // The weekly series reads whole weeks, the totals' channel split whole months.
        assert_eq!(plan.weeks[0].span, Span::Week);
        assert_eq!((plan.weeks[0].from, plan.weeks[0].to), (d("2026-01-19"), d("2026-11-23")));
        assert_eq!(plan.by_channel[0].span, Span::Month);
        // A period ending on a month's last day takes that month whole; the
        // history is everything before the period, then the period's own spans.
        let whole = SummaryPlan::of(&query("2026-03-01", "2026-04-30")).unwrap();
        assert_eq!(whole.period.iter().map(|r| (r.span, r.from, r.to)).collect::<Vec<_>>(), vec![(Span::Month, d("2026-03-01"), d("2026-04-01"))]);
        let history: Vec<(Span, Date, Date)> = whole.history.iter().map(|r| (r.span, r.from, r.to)).collect();
        assert_eq!(history, vec![(Span::Month, d("0001-01-01"), d("2026-02-01")), (Span::Month, d("2026-03-01"), d("2026-04-01"))]);
    }

    #[test]
    fn owners_and_combined_filters_read_the_per_day_rows() {
        let mut q = query("2026-11-01", "2026-11-30");
        q.owner_id = Some(crate::UserId(3));
        assert!(SummaryPlan::of(&q).is_none());
        let mut q = query("2026-11-01", "2026-11-30");
        q.channel = Some(Channel::Email);
        assert!(SummaryPlan::of(&q).is_some());
        q.service_area_id = Some(ServiceAreaId(2));
        assert!(SummaryPlan::of(&q).is_none());
    }

    #[test]
    fn a_row_counts_in_21_summaries() {
        let key = RollupKey {
            day: d("2026-11-05"),
            service_area_id: Some(ServiceAreaId(2)),
            channel: Some(Channel::Phone),
            owner_id: None,
            category_id: None,
        };
        let keys = SummaryKey::containing(&key);
        assert_eq!(keys.len(), 21);
        assert_eq!(keys.iter().map(SummaryKey::level).collect::<Vec<_>>(), [LEVELS, LEVELS, LEVELS].concat());
        assert!(keys.iter().all(|k| k.service_area_id.is_all() || k.channel.is_all() || k.category_id.is_all()));
        assert!(keys.iter().filter(|k| k.span == Span::Week).all(|k| k.start == d("2026-11-02")));
        assert!(keys.iter().filter(|k| k.span == Span::Month).all(|k| k.start == d("2026-11-01")));
        let total = keys.iter().filter(|k| k.service_area_id.is_all() && k.channel.is_all() && k.category_id.is_all()).count();
        assert_eq!(total, 3);
    }
}
