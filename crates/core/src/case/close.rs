//! Transfers, deviations, goodwill gestures and closing.

use super::*;
use crate::user::required_text;
use serde_json::json;

impl Case {
    /// Hands the case to another owner with a reason. Every transfer counts;
    /// past the organisation's limit the case is flagged as bounced.
    pub fn transfer(&mut self, actor: &User, to: &User, reason: &str, ctx: &CaseContext, now: Timestamp) -> Result<Outcome, DomainError> {
        self.authorise(actor, CaseAction::Transfer)?;
        self.require_open("transfer it")?;
        let reason = required_text("reason", reason, 2000)?;
        if !to.role.is_staff() || !to.active {
            return Err(DomainError::invalid(format!("user {} cannot own cases: owners must be active staff", to.id)));
        }
        if to.id == self.owner_id {
            return Err(DomainError::invalid(format!("user {} already owns {}", to.id, self.reference)));
        }
        let from = self.owner_id;
        self.transfers.push(Transfer { from, to: to.id, by: actor.id, reason: reason.clone(), at: now });
        self.owner_id = to.id;
        let count = self.transfers.len();
        let mut out = Outcome::default().event(NewEvent::new(
            actor.id,
            now,
            "transferred",
            format!("Transferred to {} (transfer {count}): {reason}", to.name),
            json!({ "from": from, "to": to.id, "reason": reason, "transfer_count": count }),
        ));
        if count > ctx.settings.transfer_flag_after as usize && !self.flagged {
            self.flagged = true;
            out.events.push(NewEvent::new(
                actor.id,
                now,
                "flagged",
                format!("Flagged: passed along {count} times; the customer should not be bounced between people"),
                json!({ "transfer_count": count, "limit": ctx.settings.transfer_flag_after }),
            ));
        }
        self.settle();
        Ok(out)
    }

    /// Waives a step with a recorded reason: common sense over a rigid
    /// script, visible in the debrief. Waiving the independent follow-up takes
    /// a supervisor.
    pub fn deviate(&mut self, actor: &User, step: Step, reason: &str, now: Timestamp) -> Result<Outcome, DomainError> {
        self.authorise(actor, if step == Step::FollowUp { CaseAction::WaiveFollowUp } else { CaseAction::Waive })?;
        self.require_open("record a deviation")?;
        let reason = required_text("reason", reason, 2000)?;
        if !self.needs(step) {
            return Err(DomainError::conflict(format!("{} does not need {}; there is nothing to waive", self.reference, step.as_str())));
        }
        if self.is_waived(step) {
            return Err(DomainError::conflict(format!("{} is already waived on {}", step.as_str(), self.reference)));
        }
        // A scheduled apology can still be called off before it goes out.
        if self.is_done(step) && step != Step::Apology {
            return Err(DomainError::conflict(format!("{} is already done on {}; there is nothing to waive", step.as_str(), self.reference)));
        }
        self.deviations.push(Deviation { step, reason: reason.clone(), by: actor.id, at: now });
        self.settle();
        Ok(Outcome::default().event(NewEvent::new(
            actor.id,
            now,
            "deviation",
            format!("Step {} waived: {reason}", step.as_str()),
            json!({ "step": step, "reason": reason }),
        )))
    }

    /// Records a goodwill gesture and its cost, which must lie within the
    /// giver's mandate.
    pub fn give_gift(&mut self, actor: &User, description: &str, cost: Money, ctx: &CaseContext, now: Timestamp) -> Result<Outcome, DomainError> {
        self.authorise(actor, CaseAction::Gift)?;
        self.require_open("record a gift")?;
        let description = required_text("description", description, 500)?;
        let cost = ctx.settings.amount("cost", cost)?;
        if cost > actor.mandate {
            return Err(DomainError::forbidden(format!("a gift costing {cost} exceeds your mandate of {}", actor.mandate)));
        }
        self.gifts.push(Gift { description: description.clone(), cost, by: actor.id, at: now });
        Ok(Outcome::default().event(NewEvent::new(
            actor.id,
            now,
            "gift",
            format!("Goodwill gesture: {description} ({cost})"),
            json!({ "description": description, "cost": cost }),
        )))
    }

    /// Closes the case once every step is done or waived, and invites the
    /// customer to the short recovery survey.
    pub fn close(
        &mut self,
        actor: &User,
        note: Option<&str>,
        recovery: Option<RecoveryInvite>,
        ctx: &CaseContext,
        now: Timestamp,
    ) -> Result<Outcome, DomainError> {
        self.authorise(actor, CaseAction::Close)?;
        self.require_open("close it again")?;
        if let Some(p) = self.pending_action() {
            return Err(DomainError::conflict(format!("action {} still awaits approval", p.id)));
        }
        let missing = self.missing_steps();
        if !missing.is_empty() {
            return Err(DomainError::Incomplete(missing));
        }
        let note = crate::user::optional_text("note", note, 2000)?;
        self.closed_at = Some(now);
        self.closed_by = Some(actor.id);
        self.update_due_at = None;
        let waived: Vec<Step> = self.deviations.iter().map(|d| d.step).collect();
        self.settle();
        let mut out = Outcome::default().event(NewEvent::new(
            actor.id,
            now,
            "closed",
            if waived.is_empty() { "Case closed: every step of the loop done".to_string() } else { format!("Case closed with {} step(s) waived", waived.len()) },
            json!({ "note": note, "waived": waived, "within_resolution_target": now <= self.resolution_due_at }),
        ));
        if let Some(invite) = recovery {
            self.invite_to_recovery(actor.id, invite, ctx, now, &mut out);
        }
        Ok(out)
    }
}
