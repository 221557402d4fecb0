//! The first corrective action, the appeasement mandate, escalation and the
//! apology that follows agreement.

use super::*;
use redress_i18n as i18n;
use crate::mandate;
use crate::notification::{NotificationKind, Recipient};
use crate::user::{optional_text, required_text};
use serde_json::json;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RemedyKind {
    Refund,
    Credit,
    Gift,
    Replacement,
    Repair,
    #[default]
    Other,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActionStatus {
    /// Stands: within the proposer's mandate, or approved.
    Agreed,
    /// Above the proposer's mandate; waits for a supervisor.
    PendingApproval,
    Declined,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CorrectiveAction {
    /// 1 for the case's first action, then 2, 3…
    pub id: u32,
    pub description: String,
    pub remedy_kind: RemedyKind,
    pub remedy_value: Money,
    pub proposed_by: UserId,
    #[schema(value_type = String, format = DateTime)]
    pub proposed_at: Timestamp,
    pub status: ActionStatus,
    pub decided_by: Option<UserId>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub decided_at: Option<Timestamp>,
    pub decision_note: Option<String>,
    /// The value first proposed, when a supervisor amended it.
    pub proposed_value: Option<Money>,
}

/// A supervisor's answer to an escalated action.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case", tag = "decision")]
pub enum Decision {
    Approve,
    Decline,
    /// Agree a different value instead.
    Amend { amended_value: Money },
}

impl Case {
    /// Records a corrective action. Within the actor's mandate it is agreed at
    /// once; above it the case awaits approval. Naming `preventive_owner` here
    /// lets the apology be scheduled straight away.
    #[allow(clippy::too_many_arguments)]
    pub fn propose_action(
        &mut self,
        actor: &User,
        description: &str,
        remedy_kind: RemedyKind,
        remedy_value: Money,
        preventive_owner: Option<UserId>,
        ctx: &CaseContext,
        now: Timestamp,
    ) -> Result<Outcome, DomainError> {
        self.authorise(actor, CaseAction::ProposeAction)?;
        self.require_open("agree an action")?;
        if let Some(p) = self.pending_action() {
            return Err(DomainError::conflict(format!(
                "action {} of {} still awaits approval; decide it before proposing another",
                p.id, p.remedy_value
            )));
        }
        let description = required_text("description", description, super::capture::TEXT_MAX)?;
        let remedy_value = ctx.settings.amount("remedy_value", remedy_value)?;
        let mut out = Outcome::default();
        if let Some(owner) = preventive_owner {
            out.events.extend(self.name_preventive_owner(actor, ctx.user(owner)?, now)?);
        }
        let id = self.actions.len() as u32 + 1;
        let within = mandate::covers(actor, remedy_value);
        self.actions.push(CorrectiveAction {
            id,
            description: description.clone(),
            remedy_kind,
            remedy_value,
            proposed_by: actor.id,
            proposed_at: now,
            status: if within { ActionStatus::Agreed } else { ActionStatus::PendingApproval },
            decided_by: within.then_some(actor.id),
            decided_at: within.then_some(now),
            decision_note: None,
            proposed_value: None,
        });
        let detail = json!({ "action_id": id, "description": description, "remedy_kind": remedy_kind, "remedy_value": remedy_value, "mandate": actor.mandate });
        if within {
            out.events.push(NewEvent::new(
                actor.id,
                now,
                "action_agreed",
                format!("Corrective action agreed within mandate: {description} ({remedy_value})"),
                detail,
            ));
            self.after_agreement(id, actor.id, ctx, now, &mut out);
        } else {
            out.events.push(NewEvent::new(
                actor.id,
                now,
                "action_escalated",
                format!(
                    "Corrective action of {remedy_value} exceeds the proposer's mandate of {}; awaits approval by a manager whose mandate covers it",
                    actor.mandate
                ),
                detail,
            ));
        }
        self.settle();
        Ok(out)
    }

    /// A supervisor approves, declines or amends the action awaiting approval.
    pub fn decide(&mut self, actor: &User, decision: Decision, note: Option<&str>, ctx: &CaseContext, now: Timestamp) -> Result<Outcome, DomainError> {
        self.authorise(actor, CaseAction::DecideAction)?;
        self.require_open("decide an action")?;
        let note = optional_text("note", note, super::capture::TEXT_MAX)?;
        let Some(idx) = self.actions.iter().position(|a| a.status == ActionStatus::PendingApproval) else {
            return Err(DomainError::conflict(format!("no corrective action on {} awaits approval", self.reference)));
        };
        let action = &self.actions[idx];
        let (proposer, value, id) = (action.proposed_by, action.remedy_value, action.id);
        let decided_value = match decision {
            Decision::Amend { amended_value } => {
                let amended_value = ctx.settings.amount("amended_value", amended_value)?;
                if amended_value == value {
                    return Err(DomainError::invalid("amended_value equals the proposed value; approve it instead"));
                }
                amended_value
            }
            Decision::Approve | Decision::Decline => value,
        };
        mandate::check_approver(actor, proposer, decided_value)?;
        let action = &mut self.actions[idx];
        action.decided_by = Some(actor.id);
        action.decided_at = Some(now);
        action.decision_note = note.clone();
        let mut out = Outcome::default();
        let detail = json!({ "action_id": id, "proposed_value": value, "decided_value": decided_value, "note": note });
        match decision {
            Decision::Approve => {
                action.status = ActionStatus::Agreed;
                out.events.push(NewEvent::new(actor.id, now, "action_approved", format!("Escalated action of {value} approved"), detail));
            }
            Decision::Decline => {
                action.status = ActionStatus::Declined;
                out.events.push(NewEvent::new(actor.id, now, "action_declined", format!("Escalated action of {value} declined"), detail));
            }
            Decision::Amend { .. } => {
                let amended_value = decided_value;
                action.status = ActionStatus::Agreed;
                action.proposed_value = Some(value);
                action.remedy_value = amended_value;
                out.events.push(NewEvent::new(
                    actor.id,
                    now,
                    "action_amended",
                    format!("Escalated action amended from {value} to {amended_value} and agreed"),
                    detail,
                ));
            }
        }
        if self.actions[idx].status == ActionStatus::Agreed {
            self.after_agreement(id, actor.id, ctx, now, &mut out);
        }
        self.settle();
        Ok(out)
    }

    /// The first agreement starts the follow-up clock and the apology: it is
    /// scheduled for the next business morning in the customer's zone when a
    /// preventive-action owner is named, and held until one is otherwise.
    fn after_agreement(&mut self, action_id: u32, actor: UserId, ctx: &CaseContext, now: Timestamp, out: &mut Outcome) {
        if self.apology.is_some() {
            return;
        }
        self.follow_up_due_at = Some(ctx.settings.calendar().add(now, ctx.targets.follow_up));
        self.apology = Some(Apology { status: ApologyStatus::Held, action_id, agreed_at: now, scheduled_for: None });
        match self.preventive.as_ref().map(|p| p.owner_id) {
            Some(_) => self.schedule_apology(actor, ctx, now, out),
            None => out.events.push(NewEvent::new(
                actor,
                now,
                "apology_held",
                "Apology held: it is scheduled as soon as a preventive-action owner is named",
                json!({ "action_id": action_id }),
            )),
        }
    }

    /// The apology as it should read now: the agreed action, the current
    /// preventive-action owner and case owner. `None` when the case no longer
    /// needs one (the apology was waived) or no preventive owner is named.
    pub fn apology_body(&self, ctx: &CaseContext) -> Option<String> {
        let apology = self.apology.as_ref()?;
        if self.is_waived(Step::Apology) {
            return None;
        }
        let owner_id = self.preventive.as_ref()?.owner_id;
        let action = self.actions.iter().find(|a| a.id == apology.action_id)?;
        let lang = ctx.customer.lang(&ctx.settings);
        let prevent_name = ctx.users.get(&owner_id).map_or_else(|| format!("user {owner_id}"), |u| u.name.clone());
        let case_owner = ctx.users.get(&self.owner_id).map_or_else(|| i18n::t(lang, "customer-care"), |u| u.name.clone());
        let action_text = if action.remedy_value > Money::ZERO {
            format!("{} ({})", action.description, i18n::money(lang, action.remedy_value.minor(), action.remedy_value.exponent(), &ctx.settings.currency))
        } else {
            action.description.clone()
        };
        let reference = self.reference.as_str();
        Some(
            [
                i18n::text(lang, "email-dear", &[("name", (&ctx.customer.name).into())]),
                i18n::t(lang, "apology-sorry"),
                i18n::text(lang, "apology-action", &[("action", (&action_text).into())]),
                i18n::text(lang, "apology-prevent", &[("preventer", (&prevent_name).into())]),
                i18n::text(lang, "apology-contact", &[("reference", reference.into())]),
                case_owner,
            ]
            .join("\n\n"),
        )
    }

    /// Queues the held apology. It goes out the business morning after the
    /// agreement, or after today if that morning has already passed.
    pub(super) fn schedule_apology(&mut self, actor: UserId, ctx: &CaseContext, now: Timestamp, out: &mut Outcome) {
        let Some(apology) = self.apology.as_ref().filter(|a| a.status == ApologyStatus::Held) else { return };
        let Some(owner_id) = self.preventive.as_ref().map(|p| p.owner_id) else { return };
        let cal = ctx.settings.calendar();
        let zone = ctx.customer.time_zone();
        let mut when = cal.next_morning(apology.agreed_at, &zone);
        if when <= now {
            when = cal.next_morning(now, &zone);
        }
        let Some(body) = self.apology_body(ctx) else { return };
        let prevent_name = ctx.users.get(&owner_id).map_or_else(|| format!("user {owner_id}"), |u| u.name.clone());
        out.notifications.push(crate::notification::NewNotification {
            kind: NotificationKind::Apology,
            recipient: Recipient::Customer(self.customer_id),
            address: ctx.customer.email.clone(),
            subject: i18n::text(ctx.customer.lang(&ctx.settings), "apology-subject", &[("reference", self.reference.as_str().into())]),
            body,
            scheduled_for: when,
        });
        out.events.push(NewEvent::new(
            actor,
            now,
            "apology_scheduled",
            format!("Apology scheduled for the next business morning, naming {prevent_name} as preventive-action owner"),
            json!({ "scheduled_for": when, "preventive_owner_id": owner_id, "customer_timezone": ctx.customer.timezone }),
        ));
        if let Some(a) = self.apology.as_mut() {
            a.status = ApologyStatus::Scheduled;
            a.scheduled_for = Some(when);
        }
    }
}
