//! Service-level targets at work: a reminder to the owner on the day a target
//! is due, a timeline entry and a notice to the owner's manager when it is
//! missed, and an "update due" reminder when the customer has not heard from
//! us for the update interval. Each is raised once; staff messages go out in
//! business hours.

use super::*;
use crate::calendar::BusinessCalendar;
use crate::notification::{NotificationKind, Recipient};
use serde_json::json;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TargetName {
    FirstResponse,
    Resolution,
    FollowUp,
}

impl TargetName {
    const ALL: [TargetName; 3] = [TargetName::FirstResponse, TargetName::Resolution, TargetName::FollowUp];

    fn words(self) -> &'static str {
        match self {
            TargetName::FirstResponse => "first response",
            TargetName::Resolution => "resolution",
            TargetName::FollowUp => "independent follow-up",
        }
    }
}

/// What has been raised already, so a check never raises it twice.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TargetMarks {
    #[serde(default)]
    pub reminded: Vec<TargetName>,
    #[serde(default)]
    pub breached: Vec<TargetName>,
    /// The update-due time already reminded about.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub update_reminded_for: Option<Timestamp>,
}

impl Case {
    /// When `target` is due, while it is still to be met.
    pub fn target_due(&self, target: TargetName) -> Option<Timestamp> {
        if self.is_closed() {
            return None;
        }
        match target {
            TargetName::FirstResponse => self.responded_at.is_none().then_some(self.first_response_due_at),
            TargetName::Resolution => Some(self.resolution_due_at),
            TargetName::FollowUp => self.follow_up_due_at.filter(|_| !self.is_done(Step::FollowUp) && !self.is_waived(Step::FollowUp)),
        }
    }

    /// The earliest due time still to be met (first response, the next
    /// update, the follow-up or resolution) and what it is for.
    pub fn next_due(&self) -> Option<(Timestamp, &'static str)> {
        let update = self.update_due_at.filter(|_| !self.is_closed()).map(|u| (u, "update to the customer"));
        TargetName::ALL.into_iter().filter_map(|t| self.target_due(t).map(|d| (d, t.words()))).chain(update).min_by_key(|(d, _)| *d)
    }

    /// Targets whose due time has passed while still unmet.
    pub fn breached_targets(&self, now: Timestamp) -> Vec<TargetName> {
        TargetName::ALL.into_iter().filter(|t| self.target_due(*t).is_some_and(|d| d <= now)).collect()
    }

    /// The reminder for a target due at `due`: when its working day opens,
    /// if that is earlier.
    fn reminder_at(due: Timestamp, cal: &BusinessCalendar) -> Option<Timestamp> {
        cal.opening_of(due).filter(|open| *open < due)
    }

    /// The next moment a target check has something to do, if any.
    pub fn next_target_check(&self, cal: &BusinessCalendar) -> Option<Timestamp> {
        let marks = &self.target_marks;
        let mut times = Vec::new();
        for t in TargetName::ALL {
            let Some(due) = self.target_due(t) else { continue };
            if marks.breached.contains(&t) {
                continue;
            }
            times.push(due);
            if !marks.reminded.contains(&t) {
                times.extend(Self::reminder_at(due, cal));
            }
        }
        if let Some(update) = self.update_due_at.filter(|u| !self.is_closed() && marks.update_reminded_for != Some(*u)) {
            times.push(update);
        }
        times.into_iter().min()
    }

    /// Raises what is due at `now`: reminders, breaches, update-due.
    pub fn check_targets(&mut self, ctx: &CaseContext, now: Timestamp) -> Result<Outcome, DomainError> {
        let cal = ctx.settings.calendar();
        let send_at = cal.next_open(now);
        let owner = ctx.users.get(&self.owner_id).cloned();
        let owner_name = owner.as_ref().map_or("the owner".to_string(), |u| u.name.clone());
        let local = |t: Timestamp| t.to_zoned(cal.time_zone().clone()).strftime("%a %-d %b %H:%M").to_string();
        let mut out = Outcome::default();
        for t in TargetName::ALL {
            let Some(due) = self.target_due(t) else { continue };
            if due <= now && !self.target_marks.breached.contains(&t) {
                self.target_marks.breached.push(t);
                out.events.push(NewEvent::system(now, "target_breached", format!("The {} target was missed (due {})", t.words(), local(due)), json!({ "target": t, "due_at": due })));
                let manager = owner.as_ref().and_then(|o| o.manager_id).and_then(|m| ctx.users.get(&m));
                if let Some(m) = manager {
                    out.notifications.push(crate::notification::NewNotification {
                        kind: NotificationKind::TargetBreach,
                        recipient: Recipient::User(m.id),
                        address: m.email.clone(),
                        subject: format!("Target missed: {} [{}]", t.words(), self.reference),
                        body: format!(
                            "{}, the {} target of {} (\"{}\") was missed: it was due {}. {} owns the case.",
                            m.name,
                            t.words(),
                            self.reference,
                            self.summary,
                            local(due),
                            owner_name
                        ),
                        scheduled_for: send_at,
                    });
                }
            } else if due > now && !self.target_marks.reminded.contains(&t) && Self::reminder_at(due, &cal).is_some_and(|r| r <= now) {
                self.target_marks.reminded.push(t);
                if let Some(o) = &owner {
                    out.notifications.push(crate::notification::NewNotification {
                        kind: NotificationKind::TargetReminder,
                        recipient: Recipient::User(o.id),
                        address: o.email.clone(),
                        subject: format!("Due today: {} [{}]", t.words(), self.reference),
                        body: format!("{}, the {} of {} (\"{}\") is due by {}.", o.name, t.words(), self.reference, self.summary, local(due)),
                        scheduled_for: send_at,
                    });
                }
                out.events.push(NewEvent::system(now, "target_reminder", format!("Reminded {owner_name}: {} due by {}", t.words(), local(due)), json!({ "target": t, "due_at": due })));
            }
        }
        if let Some(update) = self.update_due_at.filter(|u| *u <= now && !self.is_closed() && self.target_marks.update_reminded_for != Some(*u)) {
            self.target_marks.update_reminded_for = Some(update);
            let since = self.last_outbound_at.unwrap_or(self.reported_at);
            if let Some(o) = &owner {
                out.notifications.push(crate::notification::NewNotification {
                    kind: NotificationKind::UpdateReminder,
                    recipient: Recipient::User(o.id),
                    address: o.email.clone(),
                    subject: format!("Update due: {} [{}]", self.summary, self.reference),
                    body: format!(
                        "{}, the customer of {} has not heard from us since {}. Please give them an update.",
                        o.name,
                        self.reference,
                        local(since)
                    ),
                    scheduled_for: send_at,
                });
            }
            out.events.push(NewEvent::system(now, "update_due", format!("Update due: no contact with the customer since {}", local(since)), json!({ "update_due_at": update, "last_outbound_at": self.last_outbound_at })));
        }
        Ok(out)
    }
}
