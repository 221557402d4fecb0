//! The loyalty comparison (SPEC §5, and the premise of the whole product): do
//! customers whose complaint was resolved score us better afterwards than
//! customers who never complained?
//!
//! Both groups are measured the same way from an anchor: for a resolved
//! complainant, the moment their first case closed; for a customer who never
//! complained, their first survey response. A customer is in a group once
//! their anchor lies before the period's end; they *returned* if they
//! answered a survey again after the anchor, before the period's end; their
//! scores are those of the responses after the anchor within the period.
//! Customers who complained before the period's end but had no case closed
//! by then are in neither group, and counted so the reader sees who was left
//! out.
//!
//! Each customer's part is kept as per-day contributions
//! ([`CustomerFacts::contributions`]) in the rollup rows that have no
//! service area, channel, owner or category: the customer, complainant and
//! return counts on the day they happened (summed from the beginning up to
//! the period's end), and each later response's scores on its own day
//! (summed over the period). When a customer's facts change (a new response,
//! a first case, a first closing) the store takes their old contributions
//! out and puts the new ones in. [`Loyalty::compare`] computes the same
//! figures straight from the facts, as the reference the rollups must equal.

use super::facts::day_of;
use super::rollup::{KeyedRollup, Rollup, RollupKey};
use super::summary::{Summary, SummaryPlan};
use super::{MetricsQuery, Nps, Period};
use crate::calendar::BusinessCalendar;
use crate::case::Case;
use crate::survey::Response;
use crate::CustomerId;
use jiff::civil::Date;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One survey response's scores, for the loyalty comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScoredResponse {
    pub at: Timestamp,
    /// The lowest 1–5 rating given.
    pub rating: Option<u8>,
    /// The 0–10 recommendation score.
    pub nps: Option<u8>,
}

/// What the comparison needs to know of one customer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomerFacts {
    pub customer_id: CustomerId,
    /// When the company was first informed of one of their problems: the
    /// earliest `reported_at` of their cases, on any channel.
    pub first_case_at: Option<Timestamp>,
    /// When the first of their cases closed (every step done or waived).
    pub resolved_at: Option<Timestamp>,
    /// Their feedback-survey responses; recovery surveys left out, since only
    /// complainants get one.
    pub responses: Vec<ScoredResponse>,
}

impl CustomerFacts {
    /// The facts of one customer from their cases and their feedback-survey
    /// responses (the caller leaves recovery-survey responses out).
    pub fn of(customer_id: CustomerId, cases: &[Case], responses: &[Response]) -> CustomerFacts {
        CustomerFacts {
            customer_id,
            first_case_at: cases.iter().map(|c| c.reported_at).min(),
            resolved_at: cases.iter().filter_map(|c| c.closed_at).min(),
            responses: responses.iter().map(|r| ScoredResponse { at: r.created_at, rating: r.lowest_rating, nps: r.nps }).collect(),
        }
    }
}

/// One side of the comparison.
#[derive(Clone, Debug, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct LoyaltyGroup {
    /// Customers in the group whose anchor (resolution, or first response)
    /// came before the period's end.
    pub customers: u64,
    /// Of them, those who answered a survey again after their anchor,
    /// before the period's end.
    pub returned: u64,
    /// `returned / customers`; `null` when the group is empty.
    pub repeat_response_rate: Option<f64>,
    /// Survey responses after the anchor within the period.
    pub responses: u64,
    /// Of those responses, how many carried a 1–5 rating.
    pub rated: u64,
    /// Mean of those responses' lowest ratings; `null` when none was rated.
    pub average_rating: Option<f64>,
    /// Net Promoter Score of those responses.
    pub nps: Nps,
}

/// Resolved complainants against customers who never complained.
#[derive(Clone, Debug, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Loyalty {
    /// Customers whose first case closed before the period's end, measured
    /// on their responses after that closing.
    pub resolved: LoyaltyGroup,
    /// Customers who never had a case, measured on their responses after
    /// their first one.
    pub never_complained: LoyaltyGroup,
    /// Customers with a case reported before the period's end but none
    /// closed by then: in neither group.
    pub unresolved: u64,
    /// `resolved.average_rating − never_complained.average_rating`:
    /// positive when a resolved complaint left customers happier; `null`
    /// when either is.
    pub rating_difference: Option<f64>,
}

/// One group's counters, as kept in rollup rows: `customers` and
/// `returned` count on the day they happened, the rest on the day of each
/// later response. Integers only, so rows add and subtract exactly.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LoyaltyTally {
    #[serde(skip_serializing_if = "is_zero")]
    pub customers: u64,
    #[serde(skip_serializing_if = "is_zero")]
    pub returned: u64,
    #[serde(skip_serializing_if = "is_zero")]
    pub responses: u64,
    #[serde(skip_serializing_if = "super::rollup::all_zero")]
    pub ratings: [u64; 5],
    #[serde(skip_serializing_if = "super::rollup::all_zero")]
    pub nps: [u64; 11],
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// The loyalty counters summed over rows.
#[derive(Default)]
struct Sums {
    resolved: LoyaltyTally,
    never: LoyaltyTally,
    complainants: u64,
}

impl Sums {
    /// The customer counts of a row (summed up to the period's end).
    fn customers(&mut self, x: &Rollup) {
        self.complainants += x.loyalty_complainants;
        for (mine, theirs) in [(&mut self.resolved, &x.loyalty_resolved), (&mut self.never, &x.loyalty_never)] {
            mine.customers += theirs.customers;
            mine.returned += theirs.returned;
        }
    }

    /// The scores of a row (summed over the period).
    fn responses(&mut self, x: &Rollup) {
        for (mine, theirs) in [(&mut self.resolved, &x.loyalty_resolved), (&mut self.never, &x.loyalty_never)] {
            mine.responses += theirs.responses;
            mine.ratings.iter_mut().zip(theirs.ratings).for_each(|(a, b)| *a += b);
            mine.nps.iter_mut().zip(theirs.nps).for_each(|(a, b)| *a += b);
        }
    }

    fn loyalty(&self) -> Loyalty {
        Loyalty::of(&self.resolved, &self.never, self.complainants)
    }
}

impl LoyaltyTally {
    pub fn is_empty(&self) -> bool {
        *self == LoyaltyTally::default()
    }

    fn response(&mut self, r: &ScoredResponse) {
        self.responses += 1;
        if let Some(x) = r.rating.filter(|x| (1..=5).contains(x)) {
            self.ratings[usize::from(x - 1)] += 1;
        }
        if let Some(n) = r.nps.filter(|n| *n <= 10) {
            self.nps[usize::from(n)] += 1;
        }
    }

    /// Adds (`sign` 1) or takes out (`sign` −1, refusing an underflow) `o`.
    pub(crate) fn apply(&mut self, o: &LoyaltyTally, plus: bool) -> Result<(), super::sketch::Underflow> {
        let f = |a: &mut u64, b: u64| -> Result<(), super::sketch::Underflow> {
            *a = if plus { a.saturating_add(b) } else { a.checked_sub(b).ok_or(super::sketch::Underflow("loyalty"))? };
            Ok(())
        };
        f(&mut self.customers, o.customers)?;
        f(&mut self.returned, o.returned)?;
        f(&mut self.responses, o.responses)?;
        for (a, b) in self.ratings.iter_mut().zip(o.ratings) {
            f(a, b)?;
        }
        for (a, b) in self.nps.iter_mut().zip(o.nps) {
            f(a, b)?;
        }
        Ok(())
    }

    fn group(&self) -> LoyaltyGroup {
        let rated: u64 = self.ratings.iter().sum();
        LoyaltyGroup {
            customers: self.customers,
            returned: self.returned,
            repeat_response_rate: super::share(self.returned, self.customers),
            responses: self.responses,
            rated,
            average_rating: super::average_rating(&self.ratings),
            nps: Nps::of(&self.nps),
        }
    }
}

/// Which group a customer's anchor puts them in.
enum Anchor {
    Resolved(Timestamp),
    NeverComplained(Timestamp),
}

impl CustomerFacts {
    fn anchor(&self) -> Option<Anchor> {
        match (self.first_case_at, self.resolved_at) {
            (Some(_), Some(at)) => Some(Anchor::Resolved(at)),
            (Some(_), None) => None,
            (None, _) => self.responses.iter().map(|r| r.at).min().map(Anchor::NeverComplained),
        }
    }

    /// This customer's part of the loyalty figures, as rollup rows on the
    /// days (in `cal`'s zone) things happened; see the module documentation.
    pub fn contributions(&self, cal: &BusinessCalendar) -> Vec<KeyedRollup> {
        fn row<'a>(days: &'a mut BTreeMap<Date, Rollup>, t: Timestamp, cal: &BusinessCalendar) -> &'a mut Rollup {
            days.entry(day_of(t, cal)).or_default()
        }
        fn tally(r: &mut Rollup, resolved: bool) -> &mut LoyaltyTally {
            if resolved {
                &mut r.loyalty_resolved
            } else {
                &mut r.loyalty_never
            }
        }
        let mut days = BTreeMap::new();
        if let Some(at) = self.first_case_at {
            row(&mut days, at, cal).loyalty_complainants += 1;
        }
        let anchor = match self.anchor() {
            Some(Anchor::Resolved(at)) => Some((at, true)),
            Some(Anchor::NeverComplained(at)) => Some((at, false)),
            None => None,
        };
        if let Some((at, resolved)) = anchor {
            tally(row(&mut days, at, cal), resolved).customers += 1;
            let mut later: Vec<&ScoredResponse> = self.responses.iter().filter(|r| r.at > at).collect();
            later.sort_by_key(|r| r.at);
            if let Some(first) = later.first() {
                tally(row(&mut days, first.at, cal), resolved).returned += 1;
            }
            for r in later {
                tally(row(&mut days, r.at, cal), resolved).response(r);
            }
        }
        days.into_iter().map(|(day, rollup)| KeyedRollup { key: RollupKey::of_day(day), rollup }).collect()
    }
}

/// A customer's feedback responses other than a new one, as far as
/// [`CustomerFacts::added_response`] needs them: the earliest and latest
/// time (none when there are none).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OtherResponses {
    pub first: Option<Timestamp>,
    pub last: Option<Timestamp>,
}

impl CustomerFacts {
    /// How a customer's contributions ([`Self::contributions`]) move when a
    /// new feedback response `new` joins their `others`, given their first
    /// report and first closing — without the responses themselves, when
    /// `new` is at least as late as every other (as a response written now
    /// is): its scores, and a return if it is their first response after
    /// the anchor, on its day; nothing if it is not after the anchor or the
    /// customer is in neither group; for a customer who never complained
    /// and never answered, their anchor. Answers none when `new` is earlier
    /// than another response (the contributions are then computed afresh).
    pub fn added_response(
        first_case_at: Option<Timestamp>,
        resolved_at: Option<Timestamp>,
        others: OtherResponses,
        new: &ScoredResponse,
        cal: &BusinessCalendar,
    ) -> Option<Vec<KeyedRollup>> {
        if others.last.is_some_and(|last| last > new.at) {
            return None;
        }
        let mut rollup = Rollup::default();
        let (anchor, tally) = match (first_case_at, resolved_at, others.first) {
            (Some(_), Some(at), _) => (at, &mut rollup.loyalty_resolved),
            (Some(_), None, _) => return Some(Vec::new()),
            (None, _, Some(first)) => (first, &mut rollup.loyalty_never),
            (None, _, None) => {
                rollup.loyalty_never.customers += 1;
                return Some(vec![KeyedRollup { key: RollupKey::of_day(day_of(new.at, cal)), rollup }]);
            }
        };
        if new.at <= anchor {
            return Some(Vec::new());
        }
        tally.response(new);
        // Their first return, unless another response returned before.
        if others.last.is_none_or(|last| last <= anchor) {
            tally.returned += 1;
        }
        Some(vec![KeyedRollup { key: RollupKey::of_day(day_of(new.at, cal)), rollup }])
    }
}

/// Adds `moved` (per day, as [`CustomerFacts::added_response`] answers) to
/// a customer's stored contributions, keeping them one row per day in
/// order, as [`CustomerFacts::contributions`] makes them.
pub fn add_contributions(stored: &mut Vec<KeyedRollup>, moved: Vec<KeyedRollup>) {
    for m in moved {
        match stored.binary_search_by(|s| s.key.day.cmp(&m.key.day)) {
            Ok(i) => stored[i].rollup.add(&m.rollup),
            Err(i) => stored.insert(i, m),
        }
    }
}

impl Loyalty {
    /// Compares the two groups over `period` (its bounds as instants),
    /// straight from each customer's facts.
    pub fn compare(customers: &[CustomerFacts], period: &Period) -> Loyalty {
        let (mut resolved, mut never) = (LoyaltyTally::default(), LoyaltyTally::default());
        let mut complainants = 0;
        for c in customers {
            complainants += u64::from(c.first_case_at.is_some_and(|at| at < period.end));
            let (at, tally) = match c.anchor() {
                Some(Anchor::Resolved(at)) => (at, &mut resolved),
                Some(Anchor::NeverComplained(at)) => (at, &mut never),
                None => continue,
            };
            if at >= period.end {
                continue;
            }
            tally.customers += 1;
            tally.returned += u64::from(c.responses.iter().any(|r| r.at > at && r.at < period.end));
            for r in c.responses.iter().filter(|r| r.at > at && r.at >= period.start && r.at < period.end) {
                tally.response(r);
            }
        }
        Loyalty::of(&resolved, &never, complainants)
    }

    /// The comparison from rollup rows with no service area, channel, owner
    /// or category, reaching from the first day kept to `query.to`: the
    /// customer counts summed up to `to`, the scores over the period.
    pub fn from_rollups(rows: &[KeyedRollup], query: &MetricsQuery) -> Loyalty {
        let mut sums = Sums::default();
        for r in rows.iter().filter(|r| r.key.is_day_only() && r.key.day <= query.to) {
            sums.customers(&r.rollup);
            if query.contains(r.key.day) {
                sums.responses(&r.rollup);
            }
        }
        sums.loyalty()
    }

    /// The same from the summaries of `plan`: its history reads give the
    /// customer counts, its loyalty-period reads the scores. (A summary of
    /// everything holds the loyalty counters of the day-only rows, as no
    /// other row has any.)
    pub fn from_summaries(rows: &[Summary], plan: &SummaryPlan) -> Loyalty {
        let mut sums = Sums::default();
        for s in rows {
            if plan.history.iter().any(|r| r.matches(&s.key)) {
                sums.customers(&s.rollup);
            }
            if plan.loyalty_period.iter().any(|r| r.matches(&s.key)) {
                sums.responses(&s.rollup);
            }
        }
        sums.loyalty()
    }

    fn of(resolved: &LoyaltyTally, never: &LoyaltyTally, complainants: u64) -> Loyalty {
        let (resolved_group, never_complained) = (resolved.group(), never.group());
        let rating_difference = resolved_group.average_rating.zip(never_complained.average_rating).map(|(a, b)| a - b);
        Loyalty { unresolved: complainants.saturating_sub(resolved.customers), resolved: resolved_group, never_complained, rating_difference }
    }
}
