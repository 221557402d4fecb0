//! The debrief of one case (SPEC §1.9): its timeline with the business
//! time that passed between entries, each target against when it was met,
//! the deviations, and who did what. Pure: the page lays it out.

use super::*;
use crate::calendar::BusinessCalendar;
use crate::timeline::TimelineEvent;
use jiff::SignedDuration;

/// One target of the case against when it was met.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TargetOutcome {
    pub name: &'static str,
    /// From when the clock ran (the report, or the agreed action).
    pub from: Timestamp,
    pub due: Timestamp,
    /// When it was met, if it was.
    pub met_at: Option<Timestamp>,
    /// Business time from `from` to `met_at` (or to now, if still open).
    pub business: SignedDuration,
    /// Calendar time over the same span.
    pub calendar: SignedDuration,
    /// `Some(true)` met on time, `Some(false)` met late or overdue, `None` not due yet.
    pub on_time: Option<bool>,
}

/// A timeline entry with the time since the one before it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DebriefEntry {
    pub event: TimelineEvent,
    pub gap_business: SignedDuration,
    pub gap_calendar: SignedDuration,
}

/// What each person (or Redress itself, `None`) did on the case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Contribution {
    pub actor: Option<UserId>,
    /// Timeline kinds with how often, in first-seen order.
    pub kinds: Vec<(String, usize)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Debrief {
    pub targets: Vec<TargetOutcome>,
    pub entries: Vec<DebriefEntry>,
    pub contributions: Vec<Contribution>,
    /// Business time from the report to closing (or to now).
    pub business_open: SignedDuration,
}

impl Case {
    /// The debrief of this case as of `now`, on the organisation's calendar.
    pub fn debrief(&self, timeline: &[TimelineEvent], cal: &BusinessCalendar, now: Timestamp) -> Debrief {
        let resolved_at = self.follow_ups.iter().find(|f| f.outcome == FollowUpOutcome::Resolved).map(|f| f.at);
        let agreed_at = self.actions.iter().filter(|a| a.status == ActionStatus::Agreed).filter_map(|a| a.decided_at.or(Some(a.proposed_at))).min();
        let mut targets = vec![
            target("First response", self.reported_at, self.first_response_due_at, self.responded_at, cal, now),
            target("Resolution", self.reported_at, self.resolution_due_at, self.closed_at, cal, now),
        ];
        if let (Some(due), Some(from)) = (self.follow_up_due_at, agreed_at) {
            targets.push(target("Independent follow-up", from, due, resolved_at, cal, now));
        }
        let mut entries = Vec::with_capacity(timeline.len());
        let mut previous = self.reported_at;
        for e in timeline {
            let from = previous.min(e.at);
            entries.push(DebriefEntry { event: e.clone(), gap_business: cal.business_time_between(from, e.at), gap_calendar: e.at.duration_since(from) });
            previous = e.at;
        }
        let mut contributions: Vec<Contribution> = Vec::new();
        for e in timeline {
            let slot = match contributions.iter_mut().position(|c| c.actor == e.actor_id) {
                Some(i) => &mut contributions[i],
                None => {
                    contributions.push(Contribution { actor: e.actor_id, kinds: Vec::new() });
                    contributions.last_mut().expect("just pushed")
                }
            };
            match slot.kinds.iter_mut().find(|(k, _)| *k == e.kind) {
                Some((_, n)) => *n += 1,
                None => slot.kinds.push((e.kind.clone(), 1)),
            }
        }
        Debrief { targets, entries, contributions, business_open: cal.business_time_between(self.reported_at, self.closed_at.unwrap_or(now)) }
    }
}

fn target(name: &'static str, from: Timestamp, due: Timestamp, met_at: Option<Timestamp>, cal: &BusinessCalendar, now: Timestamp) -> TargetOutcome {
    let until = met_at.unwrap_or(now).max(from);
    let on_time = match met_at {
        Some(m) => Some(m <= due),
        None if now > due => Some(false),
        None => None,
    };
    TargetOutcome { name, from, due, met_at, business: cal.business_time_between(from, until), calendar: until.duration_since(from), on_time }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::WeekHours;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn event(id: i64, at: &str, actor: Option<i64>, kind: &str) -> TimelineEvent {
        TimelineEvent { id, case_id: CaseId(1), at: t(at), actor_id: actor.map(UserId), kind: kind.into(), summary: kind.into(), detail: serde_json::json!({}) }
    }

    #[test]
    fn gaps_targets_and_who_did_what_in_business_time() {
        let cal = BusinessCalendar::new(jiff::tz::TimeZone::UTC, WeekHours::default(), []);
        let mut case: Case = serde_json::from_value(serde_json::json!({
            "id": 1, "reference": "RD-1", "customer_id": 1, "channel": "phone", "summary": "s", "description": "",
            "desired_resolution": null, "facts": null, "severity": "normal", "significant": false, "service_area_id": null,
            "occurred_at": "2026-11-20T15:00:00Z", "reported_at": "2026-11-20T16:00:00Z", "created_at": "2026-11-20T16:00:00Z",
            "created_by": 1, "owner_id": 1, "status": "open", "transfers": [], "flagged": false, "reopen_count": 0,
            "first_response_due_at": "2026-11-24T16:00:00Z", "responded_at": null, "last_outbound_at": null,
            "update_due_at": null, "resolution_due_at": "2026-12-04T16:00:00Z", "follow_up_due_at": null,
            "actions": [], "apology": null, "preventive": null, "follow_ups": [], "deviations": [], "gifts": [],
            "closed_at": null, "closed_by": null
        }))
        .unwrap();
        // Friday 16:00 reported; answered Monday 10:00: 1 h Friday + 1 h Monday = 2 business hours, 66 calendar hours.
        case.responded_at = Some(t("2026-11-23T10:00:00Z"));
        let timeline = [event(1, "2026-11-20T16:00:00Z", Some(1), "created"), event(2, "2026-11-23T10:00:00Z", Some(1), "communication"), event(3, "2026-11-23T10:00:00Z", Some(1), "first_response"), event(4, "2026-11-23T12:00:00Z", None, "message_sent")];
        let d = case.debrief(&timeline, &cal, t("2026-11-23T13:00:00Z"));
        let first = &d.targets[0];
        assert_eq!((first.business, first.calendar, first.on_time), (SignedDuration::from_hours(2), SignedDuration::from_hours(66), Some(true)));
        let resolution = &d.targets[1];
        assert_eq!((resolution.met_at, resolution.on_time), (None, None), "open and not yet due");
        assert_eq!(resolution.business, SignedDuration::from_hours(5), "Friday 16–17, Monday 09–13");
        assert_eq!(d.entries[1].gap_business, SignedDuration::from_hours(2));
        assert_eq!(d.entries[2].gap_calendar, SignedDuration::ZERO);
        assert_eq!(d.entries[3].gap_business, SignedDuration::from_hours(2));
        assert_eq!(d.contributions.len(), 2);
        assert_eq!(d.contributions[0].kinds, vec![("created".to_string(), 1), ("communication".to_string(), 1), ("first_response".to_string(), 1)]);
        assert_eq!(d.contributions[1].actor, None);
        // Overdue once its due time has passed unmet.
        let late = case.debrief(&timeline, &cal, t("2026-12-07T09:00:00Z"));
        assert_eq!(late.targets[1].on_time, Some(false));
    }
}
