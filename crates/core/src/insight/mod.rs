//! Insight (SPEC §5): the figures of `GET /api/v1/metrics`, defined exactly.
//!
//! The figures are computed from per-day [`Rollup`]s rather than from cases
//! and responses, so a dashboard reads a few hundred rows whatever the size
//! of the history: the store keeps one row per day, service area, channel
//! and owner up to date in each write transaction ([`rollup`] says how),
//! with their sums per week and over dimensions ([`summary`]), and
//! [`Metrics::of`] merges the rows of a period. Percentiles come
//! from mergeable, subtractable sketches ([`sketch`]: nearest-rank, exact
//! below 128 s, within 1/128 relative above). The loyalty comparison is per
//! customer and computed apart ([`Loyalty::compare`]); trends use an exact
//! Poisson test ([`trend`]); similar open cases a TF-IDF trigram cosine
//! ([`similar`]). Everything here is pure: no I/O, no clock.
//!
//! Every field's doc comment below is its definition; they are the OpenAPI
//! descriptions too, so they say what a number means, not how it is made.

mod codec;
mod compute;
mod facts;
mod loyalty;
pub mod rollup;
pub mod similar;
pub mod sketch;
pub mod summary;
pub mod trend;

pub use codec::DecodeError;
pub use facts::{day_of, CaseFacts, Elapsed, InvitationFacts, ResponseFacts};
pub use loyalty::{add_contributions, CustomerFacts, Loyalty, LoyaltyGroup, LoyaltyTally, OtherResponses, ScoredResponse};
pub use rollup::{KeyedRollup, MetTotal, Rollup, RollupKey};
pub use sketch::{DurationSketch, Underflow};
pub use summary::{Dim, Span, Summary, SummaryKey, SummaryPlan, SummaryRead};
pub use trend::{RisingRule, Trend, TrendKey};

use crate::case::{Channel, TargetName};
use crate::{CategoryId, Money, ServiceAreaId, UserId};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::Timestamp;
use serde::Serialize;

/// What the figures are asked for: a period of whole days in the
/// organisation's time zone (both ends included) and optional filters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MetricsQuery {
    pub from: Date,
    pub to: Date,
    pub service_area_id: Option<ServiceAreaId>,
    pub channel: Option<Channel>,
    pub owner_id: Option<UserId>,
    pub category_id: Option<CategoryId>,
}

/// A period as instants: `start` inclusive, `end` exclusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Period {
    pub start: Timestamp,
    pub end: Timestamp,
}

impl MetricsQuery {
    /// Whether a row's service area, channel and owner pass the filters.
    pub fn admits(&self, key: &RollupKey) -> bool {
        self.service_area_id.is_none_or(|a| key.service_area_id == Some(a))
            && self.channel.is_none_or(|c| key.channel == Some(c))
            && self.owner_id.is_none_or(|o| key.owner_id == Some(o))
            && self.category_id.is_none_or(|c| key.category_id == Some(c))
    }

    /// Whether `day` lies in the period.
    pub fn contains(&self, day: Date) -> bool {
        self.from <= day && day <= self.to
    }

    /// The first day whose rows [`Metrics::from_rollups`] reads: the
    /// period's first day, or earlier when the trends' two weeks (the 14
    /// days ending on `to`) reach back further.
    pub fn first_day_needed(&self) -> Date {
        self.from.min(self.to.saturating_sub(jiff::Span::new().days(13)))
    }

    /// From midnight starting `from` to midnight ending `to`, in `zone`.
    pub fn period(&self, zone: &TimeZone) -> Period {
        let midnight = |d: Date| d.to_zoned(zone.clone()).map(|z| z.timestamp()).unwrap_or(Timestamp::MIN);
        Period { start: midnight(self.from), end: midnight(self.to.saturating_add(jiff::Span::new().days(1))) }
    }
}

/// `part / whole`, or `None` for an empty whole.
pub(crate) fn share(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// The mean rating of a 1–5 histogram (index 0 is a rating of 1).
pub(crate) fn average_rating(ratings: &[u64; 5]) -> Option<f64> {
    let n: u64 = ratings.iter().sum();
    let total: u64 = ratings.iter().zip(1u64..).map(|(c, r)| c * r).sum();
    share(total, n)
}

/// Net Promoter Score from 0–10 answers.
#[derive(Clone, Debug, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Nps {
    /// Responses with a 0–10 recommendation score.
    pub answered: u64,
    /// Of them, scores of 9 or 10.
    pub promoters: u64,
    /// Scores of 7 or 8.
    pub passives: u64,
    /// Scores of 0 to 6.
    pub detractors: u64,
    /// `100 × (promoters − detractors) / answered`, from −100 to 100; `null`
    /// when nobody answered.
    pub score: Option<f64>,
}

impl Nps {
    /// From a histogram: index n holds the answers scoring n.
    pub fn of(histogram: &[u64; 11]) -> Nps {
        let detractors = histogram[..7].iter().sum();
        let passives = histogram[7..9].iter().sum();
        let promoters = histogram[9..].iter().sum();
        let answered = detractors + passives + promoters;
        let score = (answered > 0).then(|| 100.0 * (promoters as f64 - detractors as f64) / answered as f64);
        Nps { answered, promoters, passives, detractors, score }
    }
}

/// How satisfied respondents were.
#[derive(Clone, Debug, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Satisfaction {
    /// Feedback-survey responses submitted in the period (recovery surveys
    /// are counted in `recovery` instead).
    pub responses: u64,
    /// Of them, those with a 1–5 rating.
    pub rated: u64,
    /// Mean of each rated response's lowest rating; `null` when none.
    pub average_rating: Option<f64>,
    /// Rated responses by lowest rating: five counts, for ratings 1 to 5.
    pub distribution: Vec<u64>,
    /// Net Promoter Score of the responses' recommendation answers.
    pub nps: Nps,
}

/// How many invited customers answered.
#[derive(Clone, Debug, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ResponseRate {
    /// Feedback-survey invitations created in the period.
    pub invitations: u64,
    /// Of them, those answered (at any time since).
    pub answered: u64,
    /// `answered / invitations`; `null` when none were sent.
    pub rate: Option<f64>,
}

/// Percentiles of a duration, nearest-rank, in seconds. Exact below 128 s,
/// otherwise within 1/128 (0.8 %) of the exact value.
#[derive(Clone, Debug, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct DurationStats {
    /// How many durations were measured.
    pub count: u64,
    /// The value at rank ⌈n/2⌉ of the n sorted durations; `null` when none.
    pub median_seconds: Option<u64>,
    /// The value at rank ⌈0.9·n⌉; `null` when none.
    pub p90_seconds: Option<u64>,
}

impl DurationStats {
    pub fn of(sketch: &DurationSketch) -> DurationStats {
        let count = sketch.count();
        DurationStats { count, median_seconds: sketch.percentile_of(count, 50), p90_seconds: sketch.percentile_of(count, 90) }
    }
}

/// A duration measured while the organisation was open and on the wall clock.
#[derive(Clone, Debug, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct BusinessAndCalendar {
    /// Counting only business hours on the organisation's calendar (its
    /// opening hours, less holidays).
    pub business: DurationStats,
    /// Counting every second.
    pub calendar: DurationStats,
}

/// The identification lag of one channel.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ChannelLag {
    pub channel: Channel,
    pub lag: DurationStats,
}

/// From a problem occurring to the company being informed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct IdentificationLag {
    /// `reported_at − occurred_at` of each case reported in the period, in
    /// calendar seconds.
    pub overall: DurationStats,
    /// The same per channel, for the channels with cases.
    pub by_channel: Vec<ChannelLag>,
}

/// How often a target was met.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct TargetCompliance {
    pub target: TargetName,
    /// Cases of the period whose target is decided: met by its due time, met
    /// late, or breached while unmet. Cases still within it, and waived
    /// follow-ups, are not counted.
    pub total: u64,
    /// Of them, met by the due time.
    pub met: u64,
    /// `met / total`; `null` when none is decided.
    pub share: Option<f64>,
}

/// Ownership transfers.
#[derive(Clone, Debug, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Transfers {
    /// Transfers of the period's cases, summed.
    pub transfers: u64,
    /// `transfers / cases`; `null` without cases.
    pub per_case: Option<f64>,
    /// Cases passed along more often than the organisation allows.
    pub flagged: u64,
}

/// Cases the independent follow-up found not resolved.
#[derive(Clone, Debug, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Reopens {
    /// The period's cases reopened at least once.
    pub reopened: u64,
    /// Reopenings summed over those cases.
    pub reopens: u64,
    /// `reopened / cases`; `null` without cases.
    pub rate: Option<f64>,
}

/// Remedies or gifts given, and what they cost.
#[derive(Clone, Debug, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Costs {
    /// For remedies: agreed corrective actions of the period's cases with a
    /// value above zero. For gifts: goodwill gestures on them.
    pub count: u64,
    /// Their value summed, in the organisation's currency.
    pub cost: Money,
}

/// How far satisfaction came back after a complaint.
#[derive(Clone, Debug, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RecoveryFigures {
    /// The period's cases with both an opening score (the survey response
    /// that opened them) and a recovery-survey score.
    pub measured: u64,
    /// Mean of recovery score minus opening score (points on the 1–5
    /// scale); `null` when none is measured.
    pub average_change: Option<f64>,
    /// Of the measured, those whose recovery score is above the opening score.
    pub improved: u64,
    /// `improved / measured`; `null` when none is measured.
    pub share_improved: Option<f64>,
}

/// One week of the charts.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct WeekPoint {
    /// The Monday the week starts on.
    #[schema(value_type = String, format = Date)]
    pub week_start: Date,
    /// Days of this week inside the period (fewer than 7 at its edges).
    pub days: u32,
    /// Cases reported in those days.
    pub cases: u64,
    /// Feedback-survey responses submitted.
    pub responses: u64,
    /// As `satisfaction.average_rating`, for the week.
    pub average_rating: Option<f64>,
    /// As `satisfaction.nps.score`, for the week.
    pub nps: Option<f64>,
    /// Median business-time first response of the week's cases, seconds.
    pub first_response_median_business_seconds: Option<u64>,
    /// Median business-time resolution of the week's closed cases, seconds.
    pub resolution_median_business_seconds: Option<u64>,
    /// As `reopens.rate`, for the week.
    pub reopen_rate: Option<f64>,
}

/// The insight figures for a period, as `GET /api/v1/metrics` answers them.
/// A case counts in the period it was *reported* in, with everything that
/// has happened to it since; a survey response in the period it was
/// submitted; an invitation in the period it was created.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Metrics {
    /// The period's first day, included, in the organisation's time zone.
    #[schema(value_type = String, format = Date)]
    pub from: Date,
    /// The period's last day, included.
    #[schema(value_type = String, format = Date)]
    pub to: Date,
    /// When set, only cases and surveys of this service area count.
    pub service_area_id: Option<ServiceAreaId>,
    /// When set, only cases that arrived on this channel count. Surveys
    /// belong to no channel, so satisfaction and response rate count nothing.
    pub channel: Option<Channel>,
    /// When set, only cases this user owns now count; satisfaction and
    /// response rate count nothing, as surveys have no owner.
    pub owner_id: Option<UserId>,
    /// When set, only cases of this category count; satisfaction and
    /// response rate count nothing, as surveys have no category.
    pub category_id: Option<CategoryId>,
    /// Cases reported in the period.
    pub cases: u64,
    pub satisfaction: Satisfaction,
    pub response_rate: ResponseRate,
    pub identification_lag: IdentificationLag,
    /// From the company being informed (`reported_at`) to the owner's first
    /// response to the customer, for the period's answered cases.
    pub first_response: BusinessAndCalendar,
    /// From `reported_at` to closing, for the period's closed cases.
    pub resolution: BusinessAndCalendar,
    /// Per target (first response, resolution, independent follow-up).
    pub compliance: Vec<TargetCompliance>,
    pub transfers: Transfers,
    pub reopens: Reopens,
    pub remedies: Costs,
    pub gifts: Costs,
    pub recovery: RecoveryFigures,
    /// Later survey scores of resolved complainants against customers who
    /// never complained, with the counts behind each. Per customer, so the
    /// filters do not apply to it.
    pub loyalty: Loyalty,
    /// The period week by week (Monday to Sunday), for charts.
    pub weekly: Vec<WeekPoint>,
    /// Cases in the seven days ending on `to` against the seven before, per
    /// service area, per channel and per category, with an exact one-sided
    /// Poisson test; `rising` marks a candidate problem.
    pub trends: Vec<Trend>,
}

impl Metrics {
    /// The costs written at `currency`'s exponent (they are summed at the
    /// finest scale, whatever the currency).
    pub fn in_currency(mut self, currency: crate::money::Currency) -> Metrics {
        for costs in [&mut self.remedies, &mut self.gifts] {
            costs.cost = costs.cost.at(currency.exponent());
        }
        self
    }
}

#[cfg(test)]
mod tests;
