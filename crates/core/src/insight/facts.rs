//! The facts each figure needs, read off a case, a survey response or an
//! invitation. Small, comparable and serialisable: the store keeps a case's
//! last [`CaseFacts`] beside it, so that when the case changes it subtracts
//! exactly what it once added, even if the calendar has changed since.

use crate::calendar::BusinessCalendar;
use crate::case::{ActionStatus, Case, Channel, FollowUpOutcome, TargetName};
use crate::survey::{Invitation, Response, Survey, SurveyPurpose};
use crate::{CategoryId, ServiceAreaId, UserId};
use jiff::civil::Date;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// The calendar day of `t` in the organisation's time zone: the day a fact
/// counts on.
pub fn day_of(t: Timestamp, cal: &BusinessCalendar) -> Date {
    t.to_zoned(cal.time_zone().clone()).date()
}

/// How long something took, both ways.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Elapsed {
    /// Seconds while the organisation was open (its hours, less holidays).
    pub business_secs: u64,
    /// Seconds on the wall clock.
    pub calendar_secs: u64,
}

impl Elapsed {
    fn between(from: Timestamp, to: Timestamp, cal: &BusinessCalendar) -> Elapsed {
        let secs = |d: jiff::SignedDuration| d.as_secs().max(0) as u64;
        Elapsed { business_secs: secs(cal.business_time_between(from, to)), calendar_secs: secs(to.duration_since(from)) }
    }
}

/// What one case contributes to the figures. A case counts on the day it
/// was reported (a cohort): its first response, resolution, remedies and
/// recovery are figures of the cases reported in a period, whenever they
/// happened, so a period's figures settle as its cases close.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseFacts {
    /// The day the company was informed, in the organisation's zone.
    pub day: Date,
    pub service_area_id: Option<ServiceAreaId>,
    pub channel: Channel,
    /// The owner now: a transferred case counts for its current owner.
    pub owner_id: UserId,
    #[serde(default)]
    pub category_id: Option<CategoryId>,
    /// From the problem occurring to the company being informed.
    pub identification_lag_secs: u64,
    /// From being informed to the owner's first response.
    pub first_response: Option<Elapsed>,
    /// From being informed to closing.
    pub resolution: Option<Elapsed>,
    /// Each target: `Some(true)` met by its due time, `Some(false)` met late
    /// or breached, `None` not decided yet (still running, or waived).
    pub first_response_met: Option<bool>,
    pub resolution_met: Option<bool>,
    pub follow_up_met: Option<bool>,
    pub transfers: u32,
    /// Passed along more often than the organisation allows.
    pub flagged: bool,
    /// How often the independent follow-up found it not resolved.
    pub reopens: u32,
    /// Agreed corrective actions carrying a value, and that value in minor units.
    pub remedies: u32,
    pub remedy_cost_scaled: i64,
    /// Goodwill gestures and their cost in minor units.
    pub gifts: u32,
    pub gift_cost_scaled: i64,
    /// Recovery-survey score minus the score that opened the case.
    pub recovery_change: Option<i8>,
}

impl CaseFacts {
    /// The facts of `case` on the organisation's calendar `cal`.
    pub fn of(case: &Case, cal: &BusinessCalendar) -> CaseFacts {
        let breached = |t: TargetName| case.target_marks.breached.contains(&t).then_some(false);
        let met = |at: Option<Timestamp>, due: Option<Timestamp>, t: TargetName| match (at, due) {
            (Some(at), Some(due)) => Some(at <= due),
            _ => breached(t),
        };
        let resolved_at = case.follow_ups.iter().find(|f| f.outcome == FollowUpOutcome::Resolved).map(|f| f.at);
        let agreed = case.actions.iter().filter(|a| a.status == ActionStatus::Agreed && a.remedy_value > crate::Money::ZERO);
        CaseFacts {
            day: day_of(case.reported_at, cal),
            service_area_id: case.service_area_id,
            channel: case.channel,
            owner_id: case.owner_id,
            category_id: case.category_id,
            identification_lag_secs: case.identification_lag().as_secs().max(0) as u64,
            first_response: case.responded_at.map(|r| Elapsed::between(case.reported_at, r, cal)),
            resolution: case.closed_at.map(|c| Elapsed::between(case.reported_at, c, cal)),
            first_response_met: met(case.responded_at, Some(case.first_response_due_at), TargetName::FirstResponse),
            resolution_met: met(case.closed_at, Some(case.resolution_due_at), TargetName::Resolution),
            follow_up_met: met(resolved_at, case.follow_up_due_at, TargetName::FollowUp),
            transfers: case.transfers.len() as u32,
            flagged: case.flagged,
            reopens: case.reopen_count,
            remedies: agreed.clone().count() as u32,
            remedy_cost_scaled: agreed.map(|a| a.remedy_value.scaled_minor()).sum(),
            gifts: case.gifts.len() as u32,
            gift_cost_scaled: case.gifts.iter().map(|g| g.cost.scaled_minor()).sum(),
            recovery_change: case.recovery.as_ref().and_then(|r| r.delta),
        }
    }
}

/// What one survey response contributes: the score that drives follow-up
/// (its lowest 1–5 rating, as for the opening and recovery scores) and its
/// 0–10 recommendation score, on the day it was submitted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseFacts {
    pub day: Date,
    /// The survey's service area.
    pub service_area_id: Option<ServiceAreaId>,
    /// The lowest rating given, 1 to 5.
    pub rating: Option<u8>,
    /// The recommendation score, 0 to 10.
    pub nps: Option<u8>,
    /// A recovery survey: counted in satisfaction recovery, not satisfaction,
    /// since only complainants are sent one.
    pub recovery: bool,
}

impl ResponseFacts {
    pub fn of(response: &Response, survey: &Survey, cal: &BusinessCalendar) -> ResponseFacts {
        ResponseFacts {
            day: day_of(response.created_at, cal),
            service_area_id: survey.service_area_id,
            rating: response.lowest_rating.filter(|r| (1..=5).contains(r)),
            nps: response.nps.filter(|n| *n <= 10),
            recovery: survey.purpose == SurveyPurpose::Recovery,
        }
    }
}

/// What one invitation contributes to the response rate: it counts on the
/// day it was created, and as answered once its code was used.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationFacts {
    pub day: Date,
    pub service_area_id: Option<ServiceAreaId>,
    pub answered: bool,
    /// A recovery-survey invitation; left out, as its responses are.
    pub recovery: bool,
}

impl InvitationFacts {
    pub fn of(invitation: &Invitation, survey: &Survey, cal: &BusinessCalendar) -> InvitationFacts {
        InvitationFacts {
            day: day_of(invitation.created_at, cal),
            service_area_id: survey.service_area_id,
            answered: invitation.used_at.is_some(),
            recovery: survey.purpose == SurveyPurpose::Recovery,
        }
    }
}
