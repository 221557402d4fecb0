//! The loyalty comparison (SPEC §5, and the premise of the whole product): do
//! customers whose complaint was resolved score us better afterwards than
//! customers who never complained?
//!
//! Both groups are measured the same way from an anchor: for a resolved
//! complainant, the moment their first case closed; for a customer who never
//! complained, their first survey response. What counts is what they said
//! *after* the anchor, within the period: the scores of those later
//! responses, and the share of the group that answered again at all (the
//! repeat-response rate). Customers who complained but whose case is still
//! open are in neither group, and counted so the reader sees who was left
//! out. This is per customer, so it is not in the per-day rollups: the
//! store reads [`CustomerFacts`] for the customers with a case or a
//! response before the period's end.

use super::{Nps, Period};
use crate::case::Case;
use crate::survey::Response;
use crate::CustomerId;
use jiff::Timestamp;
use serde::Serialize;

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
    /// Whether the customer ever had a case, on any channel.
    pub complained: bool,
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
            complained: !cases.is_empty(),
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
    /// Of them, those who gave at least one survey response after their
    /// anchor, within the period.
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
    /// Customers with a case but none closed before the period's end: in
    /// neither group.
    pub unresolved: u64,
    /// `resolved.average_rating − never_complained.average_rating`:
    /// positive when a resolved complaint left customers happier; `null`
    /// when either is.
    pub rating_difference: Option<f64>,
}

#[derive(Default)]
struct Tally {
    customers: u64,
    returned: u64,
    responses: u64,
    ratings: [u64; 5],
    nps: [u64; 11],
}

impl Tally {
    fn customer(&mut self, later: &[&ScoredResponse]) {
        self.customers += 1;
        self.returned += u64::from(!later.is_empty());
        for r in later {
            self.responses += 1;
            if let Some(x) = r.rating.filter(|x| (1..=5).contains(x)) {
                self.ratings[usize::from(x - 1)] += 1;
            }
            if let Some(n) = r.nps.filter(|n| *n <= 10) {
                self.nps[usize::from(n)] += 1;
            }
        }
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

impl Loyalty {
    /// Compares the two groups over `period` (its bounds as instants).
    pub fn compare(customers: &[CustomerFacts], period: &Period) -> Loyalty {
        let (mut resolved, mut never) = (Tally::default(), Tally::default());
        let mut unresolved = 0;
        for c in customers {
            let anchor = match (c.complained, c.resolved_at) {
                (true, Some(at)) if at < period.end => Some((at, &mut resolved)),
                (true, _) => {
                    unresolved += 1;
                    None
                }
                (false, _) => c.responses.iter().map(|r| r.at).min().map(|at| (at, &mut never)),
            };
            let Some((anchor, tally)) = anchor.filter(|(at, _)| *at < period.end) else { continue };
            let later: Vec<&ScoredResponse> = c.responses.iter().filter(|r| r.at > anchor && r.at >= period.start && r.at < period.end).collect();
            tally.customer(&later);
        }
        let (resolved, never_complained) = (resolved.group(), never.group());
        let rating_difference = resolved.average_rating.zip(never_complained.average_rating).map(|(a, b)| a - b);
        Loyalty { resolved, never_complained, unresolved, rating_difference }
    }
}
