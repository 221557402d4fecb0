//! Per-day rollups: the counters and sketches every figure is computed from.
//!
//! The store keeps one [`Rollup`] per [`RollupKey`] — a day and the
//! service area, channel and owner the facts belong to — and a dashboard
//! merges the rows of its period instead of reading every case and
//! response, so it costs the same at ten million responses as at a hundred
//! thousand. Each row is kept up to date inside the write transaction that
//! changes a case, response or invitation:
//!
//! ```text
//! let new = Rollup::of_case(&CaseFacts::of(&case, &calendar));
//! if let Some(old) = the case's stored facts { rows[old.key].subtract(&Rollup::of_case(&old).rollup)? }
//! rows[new.key].add(&new.rollup); store the case's new facts beside it
//! ```
//!
//! and alike for a response ([`Rollup::of_response`], added once) and an
//! invitation ([`Rollup::of_invitation`], changed once, when answered). A
//! row whose rollup [`is_empty`](Rollup::is_empty) can be deleted. Adding
//! and subtracting are exact — every field is an integer count or sum,
//! sketches included — so adding a contribution and removing it again gives
//! back the row exactly as it was.
//!
//! Subtract the *stored* facts, not facts derived afresh from the old case:
//! a changed calendar would derive other business times and the subtraction
//! would miss. When the organisation's time zone or calendar changes, every
//! day and business time moves, so the rows are rebuilt (the sum of every
//! contribution), as other derived columns are under a new projection version.
//!
//! Rows number at most the (day, service area, channel, owner) combinations
//! that occur, whatever the volume of responses: survey rows are one per day
//! and service area. A store that wants fewer rows for unfiltered reads can
//! keep a second table of the same contributions under
//! [`RollupKey::without_owner`], and read it when no owner is asked for.

use super::facts::{CaseFacts, InvitationFacts, ResponseFacts};
use super::loyalty::LoyaltyTally;
use super::sketch::{DurationSketch, Underflow};
use crate::case::Channel;
use crate::{CategoryId, ServiceAreaId, UserId};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// Which row a contribution belongs to. Cases carry their channel and
/// owner; survey responses and invitations have neither (`None`), so a
/// channel or owner filter leaves them out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RollupKey {
    /// In the organisation's time zone.
    pub day: Date,
    pub service_area_id: Option<ServiceAreaId>,
    pub channel: Option<Channel>,
    pub owner_id: Option<UserId>,
    /// The case's category; survey rows have none.
    #[serde(default)]
    pub category_id: Option<CategoryId>,
}

impl RollupKey {
    /// The same key for every owner: rows merged across owners.
    pub fn without_owner(self) -> RollupKey {
        RollupKey { owner_id: None, ..self }
    }

    /// The key of a day alone: no service area, channel, owner or category
    /// (the rows loyalty contributions live in).
    pub fn of_day(day: Date) -> RollupKey {
        RollupKey { day, service_area_id: None, channel: None, owner_id: None, category_id: None }
    }

    pub fn is_day_only(&self) -> bool {
        *self == RollupKey::of_day(self.day)
    }
}

pub(crate) fn all_zero<const N: usize>(a: &[u64; N]) -> bool {
    a.iter().all(|n| *n == 0)
}

fn zero(n: &u64) -> bool {
    *n == 0
}

fn zero_sum(n: &i64) -> bool {
    *n == 0
}

fn no_met_total(m: &MetTotal) -> bool {
    m.total == 0 && m.met == 0
}

/// A row: its key and its counters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyedRollup {
    pub key: RollupKey,
    pub rollup: Rollup,
}

/// Met against decided for one target.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetTotal {
    pub met: u64,
    /// Met in time, met late or breached.
    pub total: u64,
}

/// Counters and sums of one row. Every field is an integer, so rows merge
/// and subtract exactly; missing fields read as zero, so rows written by
/// older code still load.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Rollup {
    /// Cases reported.
    #[serde(skip_serializing_if = "zero")]
    pub cases: u64,
    /// Identification lag of each case, seconds.
    #[serde(skip_serializing_if = "DurationSketch::is_empty")]
    pub identification_lag: DurationSketch,
    /// First-response time of each answered case, business and calendar seconds.
    #[serde(skip_serializing_if = "DurationSketch::is_empty")]
    pub first_response_business: DurationSketch,
    #[serde(skip_serializing_if = "DurationSketch::is_empty")]
    pub first_response_calendar: DurationSketch,
    /// Resolution time of each closed case, business and calendar seconds.
    #[serde(skip_serializing_if = "DurationSketch::is_empty")]
    pub resolution_business: DurationSketch,
    #[serde(skip_serializing_if = "DurationSketch::is_empty")]
    pub resolution_calendar: DurationSketch,
    #[serde(skip_serializing_if = "no_met_total")]
    pub first_response_target: MetTotal,
    #[serde(skip_serializing_if = "no_met_total")]
    pub resolution_target: MetTotal,
    #[serde(skip_serializing_if = "no_met_total")]
    pub follow_up_target: MetTotal,
    /// Transfers, summed over cases; cases flagged as bounced.
    #[serde(skip_serializing_if = "zero")]
    pub transfers: u64,
    #[serde(skip_serializing_if = "zero")]
    pub flagged: u64,
    /// Cases reopened at least once; reopenings summed over cases.
    #[serde(skip_serializing_if = "zero")]
    pub reopened_cases: u64,
    #[serde(skip_serializing_if = "zero")]
    pub reopens: u64,
    /// Agreed corrective actions with a value, and their value in minor units.
    #[serde(skip_serializing_if = "zero")]
    pub remedies: u64,
    #[serde(skip_serializing_if = "zero_sum")]
    pub remedy_cost_scaled: i64,
    /// Goodwill gestures and their cost in minor units.
    #[serde(skip_serializing_if = "zero")]
    pub gifts: u64,
    #[serde(skip_serializing_if = "zero_sum")]
    pub gift_cost_scaled: i64,
    /// Cases with a recovery measured; the sum of recovery minus opening
    /// score; how many came out higher.
    #[serde(skip_serializing_if = "zero")]
    pub recoveries: u64,
    #[serde(skip_serializing_if = "zero_sum")]
    pub recovery_change_sum: i64,
    #[serde(skip_serializing_if = "zero")]
    pub recoveries_improved: u64,
    /// Feedback-survey responses (recovery surveys not counted).
    #[serde(skip_serializing_if = "zero")]
    pub responses: u64,
    /// Responses by lowest rating: index 0 is a rating of 1, index 4 a 5.
    #[serde(skip_serializing_if = "all_zero")]
    pub ratings: [u64; 5],
    /// Responses by recommendation score: index n is a score of n.
    #[serde(skip_serializing_if = "all_zero")]
    pub nps: [u64; 11],
    /// Feedback-survey invitations created, and how many were answered.
    #[serde(skip_serializing_if = "zero")]
    pub invitations: u64,
    #[serde(skip_serializing_if = "zero")]
    pub invitations_answered: u64,
    /// Loyalty (on [`RollupKey::of_day`] rows only; see
    /// [`CustomerFacts::contributions`](super::CustomerFacts::contributions)):
    /// customers whose first case was reported that day; the resolved
    /// complainants' and the never-complained customers' counters.
    #[serde(skip_serializing_if = "zero")]
    pub loyalty_complainants: u64,
    #[serde(skip_serializing_if = "LoyaltyTally::is_empty")]
    pub loyalty_resolved: LoyaltyTally,
    #[serde(skip_serializing_if = "LoyaltyTally::is_empty")]
    pub loyalty_never: LoyaltyTally,
}

#[derive(Clone, Copy)]
enum Sign {
    Plus,
    Minus,
}

fn count(a: &mut u64, b: u64, sign: Sign, what: &'static str) -> Result<(), Underflow> {
    *a = match sign {
        Sign::Plus => a.saturating_add(b),
        Sign::Minus => a.checked_sub(b).ok_or(Underflow(what))?,
    };
    Ok(())
}

fn sum(a: &mut i64, b: i64, sign: Sign) {
    *a = match sign {
        Sign::Plus => a.saturating_add(b),
        Sign::Minus => a.saturating_sub(b),
    };
}

fn met_total(a: &mut MetTotal, b: MetTotal, sign: Sign, what: &'static str) -> Result<(), Underflow> {
    count(&mut a.met, b.met, sign, what)?;
    count(&mut a.total, b.total, sign, what)
}

fn sketch(a: &mut DurationSketch, b: &DurationSketch, sign: Sign, what: &'static str) -> Result<(), Underflow> {
    match sign {
        Sign::Plus => {
            a.merge(b);
            Ok(())
        }
        Sign::Minus => a.subtract(b, what),
    }
}

impl Rollup {
    /// Whether the row holds nothing (and may be deleted).
    pub fn is_empty(&self) -> bool {
        *self == Rollup::default()
    }

    /// Merges `other` in: the figures of both sets of facts together.
    pub fn add(&mut self, other: &Rollup) {
        self.apply(other, Sign::Plus).expect("adding never underflows");
    }

    /// Takes `other` back out. Refuses, changing nothing, when `other` was
    /// not part of this row (a count would go negative).
    pub fn subtract(&mut self, other: &Rollup) -> Result<(), Underflow> {
        if other.is_empty() {
            return Ok(());
        }
        let mut next = self.clone();
        next.apply(other, Sign::Minus)?;
        *self = next;
        Ok(())
    }

    /// The sum of many rows.
    /// (Each sketch is summed in one pass over the rows, not row by row.)
    pub fn merged<'a>(rows: impl IntoIterator<Item = &'a Rollup>) -> Rollup {
        let rows: Vec<&Rollup> = rows.into_iter().collect();
        let mut total = Rollup::default();
        for r in &rows {
            total.apply_counts(r, Sign::Plus).expect("adding never underflows");
        }
        let sum = |f: fn(&Rollup) -> &DurationSketch| DurationSketch::sum(rows.iter().map(|r| f(r)));
        total.identification_lag = sum(|r| &r.identification_lag);
        total.first_response_business = sum(|r| &r.first_response_business);
        total.first_response_calendar = sum(|r| &r.first_response_calendar);
        total.resolution_business = sum(|r| &r.resolution_business);
        total.resolution_calendar = sum(|r| &r.resolution_calendar);
        total
    }

    fn apply(&mut self, o: &Rollup, s: Sign) -> Result<(), Underflow> {
        sketch(&mut self.identification_lag, &o.identification_lag, s, "identification_lag")?;
        sketch(&mut self.first_response_business, &o.first_response_business, s, "first_response_business")?;
        sketch(&mut self.first_response_calendar, &o.first_response_calendar, s, "first_response_calendar")?;
        sketch(&mut self.resolution_business, &o.resolution_business, s, "resolution_business")?;
        sketch(&mut self.resolution_calendar, &o.resolution_calendar, s, "resolution_calendar")?;
        self.apply_counts(o, s)
    }

    /// Everything but the sketches.
    fn apply_counts(&mut self, o: &Rollup, s: Sign) -> Result<(), Underflow> {
        count(&mut self.cases, o.cases, s, "cases")?;
        met_total(&mut self.first_response_target, o.first_response_target, s, "first_response_target")?;
        met_total(&mut self.resolution_target, o.resolution_target, s, "resolution_target")?;
        met_total(&mut self.follow_up_target, o.follow_up_target, s, "follow_up_target")?;
        count(&mut self.transfers, o.transfers, s, "transfers")?;
        count(&mut self.flagged, o.flagged, s, "flagged")?;
        count(&mut self.reopened_cases, o.reopened_cases, s, "reopened_cases")?;
        count(&mut self.reopens, o.reopens, s, "reopens")?;
        count(&mut self.remedies, o.remedies, s, "remedies")?;
        sum(&mut self.remedy_cost_scaled, o.remedy_cost_scaled, s);
        count(&mut self.gifts, o.gifts, s, "gifts")?;
        sum(&mut self.gift_cost_scaled, o.gift_cost_scaled, s);
        count(&mut self.recoveries, o.recoveries, s, "recoveries")?;
        sum(&mut self.recovery_change_sum, o.recovery_change_sum, s);
        count(&mut self.recoveries_improved, o.recoveries_improved, s, "recoveries_improved")?;
        count(&mut self.responses, o.responses, s, "responses")?;
        for (a, b) in self.ratings.iter_mut().zip(o.ratings) {
            count(a, b, s, "ratings")?;
        }
        for (a, b) in self.nps.iter_mut().zip(o.nps) {
            count(a, b, s, "nps")?;
        }
        count(&mut self.invitations, o.invitations, s, "invitations")?;
        count(&mut self.invitations_answered, o.invitations_answered, s, "invitations_answered")?;
        count(&mut self.loyalty_complainants, o.loyalty_complainants, s, "loyalty_complainants")?;
        let plus = matches!(s, Sign::Plus);
        self.loyalty_resolved.apply(&o.loyalty_resolved, plus)?;
        self.loyalty_never.apply(&o.loyalty_never, plus)
    }

    /// One case's contribution, on the day it was reported.
    pub fn of_case(f: &CaseFacts) -> KeyedRollup {
        let key = RollupKey {
            day: f.day,
            service_area_id: f.service_area_id,
            channel: Some(f.channel),
            owner_id: Some(f.owner_id),
            category_id: f.category_id,
        };
        let target = |m: Option<bool>| MetTotal { met: u64::from(m == Some(true)), total: u64::from(m.is_some()) };
        let mut r = Rollup {
            cases: 1,
            identification_lag: DurationSketch::of([f.identification_lag_secs]),
            first_response_target: target(f.first_response_met),
            resolution_target: target(f.resolution_met),
            follow_up_target: target(f.follow_up_met),
            transfers: u64::from(f.transfers),
            flagged: u64::from(f.flagged),
            reopened_cases: u64::from(f.reopens > 0),
            reopens: u64::from(f.reopens),
            remedies: u64::from(f.remedies),
            remedy_cost_scaled: f.remedy_cost_scaled,
            gifts: u64::from(f.gifts),
            gift_cost_scaled: f.gift_cost_scaled,
            ..Rollup::default()
        };
        if let Some(e) = f.first_response {
            r.first_response_business.insert(e.business_secs);
            r.first_response_calendar.insert(e.calendar_secs);
        }
        if let Some(e) = f.resolution {
            r.resolution_business.insert(e.business_secs);
            r.resolution_calendar.insert(e.calendar_secs);
        }
        if let Some(change) = f.recovery_change {
            r.recoveries = 1;
            r.recovery_change_sum = i64::from(change);
            r.recoveries_improved = u64::from(change > 0);
        }
        KeyedRollup { key, rollup: r }
    }

    /// One survey response's contribution; a recovery survey's is empty.
    pub fn of_response(f: &ResponseFacts) -> KeyedRollup {
        let key = RollupKey { service_area_id: f.service_area_id, ..RollupKey::of_day(f.day) };
        let mut r = Rollup::default();
        if !f.recovery {
            r.responses = 1;
            if let Some(rating) = f.rating.filter(|x| (1..=5).contains(x)) {
                r.ratings[usize::from(rating - 1)] = 1;
            }
            if let Some(n) = f.nps.filter(|x| *x <= 10) {
                r.nps[usize::from(n)] = 1;
            }
        }
        KeyedRollup { key, rollup: r }
    }

    /// One invitation's contribution; a recovery survey's is empty.
    pub fn of_invitation(f: &InvitationFacts) -> KeyedRollup {
        let key = RollupKey { service_area_id: f.service_area_id, ..RollupKey::of_day(f.day) };
        let mut r = Rollup::default();
        if !f.recovery {
            r.invitations = 1;
            r.invitations_answered = u64::from(f.answered);
        }
        KeyedRollup { key, rollup: r }
    }
}
