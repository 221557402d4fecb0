//! Prevention and independent verification.

use super::*;
use crate::user::{optional_text, required_text};
use crate::ProblemId;
use serde_json::json;

/// Who guards against a recurrence, and how.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Preventive {
    pub owner_id: UserId,
    pub root_cause: Option<String>,
    pub action: Option<String>,
    /// The systemic problem this case is an instance of.
    pub problem_id: Option<ProblemId>,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

impl Preventive {
    /// Done when an owner, a root cause and an action are all recorded.
    pub fn is_complete(&self) -> bool {
        self.root_cause.is_some() && self.action.is_some()
    }
}

/// What a preventive-action request carries; `None` keeps what is recorded.
#[derive(Clone, Debug, Default)]
pub struct PreventiveInput {
    pub owner_id: Option<UserId>,
    pub root_cause: Option<String>,
    pub action: Option<String>,
    pub problem_id: Option<ProblemId>,
    /// The title of a problem to record and link, instead of `problem_id`.
    pub new_problem: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FollowUpOutcome {
    Resolved,
    NotResolved,
}

/// The independent check that the matter is closed for the customer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FollowUp {
    pub by: UserId,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    pub outcome: FollowUpOutcome,
    /// The customer's satisfaction, 1 to 5.
    pub satisfaction: u8,
    /// Whether the preventive action was confirmed to be in place.
    pub preventive_confirmed: bool,
    pub notes: Option<String>,
}

impl Case {
    /// Names (or changes) the preventive-action owner; releases a held apology.
    pub(super) fn name_preventive_owner(&mut self, actor: &User, owner: &User, now: Timestamp) -> Result<Vec<NewEvent>, DomainError> {
        if !owner.role.is_staff() || !owner.active {
            return Err(DomainError::invalid(format!("user {} cannot own preventive action: it must be active staff", owner.id)));
        }
        if self.preventive.as_ref().is_some_and(|p| p.owner_id == owner.id) {
            return Ok(Vec::new());
        }
        match self.preventive.as_mut() {
            Some(p) => {
                p.owner_id = owner.id;
                p.updated_at = now;
            }
            None => {
                self.preventive = Some(Preventive { owner_id: owner.id, root_cause: None, action: None, problem_id: None, updated_at: now })
            }
        }
        Ok(vec![NewEvent::new(
            actor.id,
            now,
            "preventive_owner_named",
            format!("{} owns the preventive action", owner.name),
            json!({ "preventive_owner_id": owner.id }),
        )])
    }

    /// Records root cause, preventive action, owner and problem link. The
    /// owner, the preventive owner or a supervisor may write it.
    pub fn record_preventive(&mut self, actor: &User, input: PreventiveInput, ctx: &CaseContext, now: Timestamp) -> Result<Outcome, DomainError> {
        self.authorise(actor, CaseAction::RecordPreventive)?;
        self.require_open("record preventive action")?;
        let root_cause = optional_text("root_cause", input.root_cause.as_deref(), super::capture::TEXT_MAX)?;
        let action = optional_text("action", input.action.as_deref(), super::capture::TEXT_MAX)?;
        if input.owner_id.is_none() && self.preventive.is_none() {
            return Err(DomainError::invalid("owner_id is required: name who owns the preventive action"));
        }
        let new_problem = input.new_problem.as_deref().map(|t| required_text("new_problem_title", t, 300)).transpose()?;
        if new_problem.is_some() && input.problem_id.is_some() {
            return Err(DomainError::invalid("give either problem_id or new_problem_title, not both"));
        }
        if input.owner_id.is_none() && root_cause.is_none() && action.is_none() && input.problem_id.is_none() && new_problem.is_none() {
            return Err(DomainError::invalid("nothing to record: give owner_id, root_cause, action, problem_id or new_problem_title"));
        }
        let mut out = Outcome::default();
        if let Some(owner) = input.owner_id {
            out.events.extend(self.name_preventive_owner(actor, ctx.user(owner)?, now)?);
        }
        let Some(p) = self.preventive.as_mut() else {
            // Unreachable: an owner is either named above or was already there.
            return Err(DomainError::invalid("owner_id is required: name who owns the preventive action"));
        };
        if root_cause.is_some() {
            p.root_cause = root_cause;
        }
        if action.is_some() {
            p.action = action;
        }
        if input.problem_id.is_some() {
            p.problem_id = input.problem_id;
        }
        p.updated_at = now;
        // Recorded, and linked here, by the store in the same transaction.
        out.new_problem = new_problem.clone().map(|title| crate::problem::NewProblem {
            title,
            description: Some(format!("Recorded from case {}", self.reference)),
            root_cause: p.root_cause.clone(),
            permanent_solution: None,
            owner_id: actor.id,
            created_by: actor.id,
        });
        let complete = p.is_complete();
        out.events.push(NewEvent::new(
            actor.id,
            now,
            "preventive_recorded",
            if complete { "Root cause and preventive action recorded" } else { "Preventive action updated (incomplete)" },
            json!({ "owner_id": p.owner_id, "root_cause": p.root_cause, "action": p.action, "problem_id": p.problem_id, "new_problem": new_problem, "complete": complete }),
        ));
        self.schedule_apology(actor.id, ctx, now, &mut out);
        self.settle();
        Ok(out)
    }

    /// Links the case to `problem` from the problem's side: a problem
    /// recorded with its cases, or cases added to it. Any staff member may,
    /// on an open or a closed case (what a problem cost counts closed cases
    /// too), but not to a closed problem. A case already linked to it stays
    /// as it is; one linked to another problem is refused (it moves through
    /// its preventive action). A case with no preventive action yet gets the
    /// problem's owner as its preventive-action owner — whoever owns the
    /// permanent solution guards this case against a recurrence — which, as
    /// naming one always does, releases a held apology.
    pub fn link_problem(&mut self, actor: &User, problem: &crate::problem::Problem, ctx: &CaseContext, now: Timestamp) -> Result<Outcome, DomainError> {
        problem.check_linkable(actor)?;
        self.authorise(actor, CaseAction::LinkProblem)?;
        match self.preventive.as_ref().and_then(|p| p.problem_id) {
            Some(id) if id == problem.id => return Ok(Outcome::default()),
            Some(other) => {
                return Err(DomainError::conflict(format!(
                    "{} is already linked to problem {other}; move it from its preventive action",
                    self.reference
                )))
            }
            None => {}
        }
        let mut out = Outcome::default();
        if self.preventive.is_none() {
            let owner = ctx.user(problem.owner_id)?;
            if !owner.role.is_staff() || !owner.active {
                return Err(DomainError::invalid(format!(
                    "{} has no preventive-action owner and the problem's owner (user {}) is no longer active: give the problem an active owner first",
                    self.reference, problem.owner_id
                )));
            }
            out.events.extend(self.name_preventive_owner(actor, owner, now)?);
        }
        let Some(p) = self.preventive.as_mut() else {
            // Unreachable: an owner was named above or was already there.
            return Err(DomainError::invalid("the case has no preventive action to link"));
        };
        p.problem_id = Some(problem.id);
        p.updated_at = now;
        out.events.push(NewEvent::new(
            actor.id,
            now,
            "problem_linked",
            format!("Linked to problem {}: {}", problem.id, problem.title),
            json!({ "problem_id": problem.id, "preventive_owner_id": p.owner_id }),
        ));
        self.schedule_apology(actor.id, ctx, now, &mut out);
        self.settle();
        Ok(out)
    }

    /// Ready for the independent follow-up: open, nothing awaiting approval,
    /// the corrective and preventive action each done or waived, and no
    /// follow-up has yet found the matter resolved (nor was it waived).
    pub fn awaits_follow_up(&self) -> bool {
        let settled = |s: Step| self.is_done(s) || self.is_waived(s);
        !self.is_closed()
            && self.pending_action().is_none()
            && settled(Step::CorrectiveAction)
            && settled(Step::PreventiveAction)
            && !settled(Step::FollowUp)
    }

    /// The action the independent follow-up is on this case: staff other
    /// than the owner may make it, and on a significant case only senior
    /// management.
    pub fn follow_up_action(&self) -> CaseAction {
        if self.significant {
            CaseAction::FollowUpSignificant
        } else {
            CaseAction::FollowUp
        }
    }

    /// The independent follow-up: never the owner; a senior for significant
    /// cases. "Not resolved" reopens the case.
    #[allow(clippy::too_many_arguments)]
    pub fn follow_up(
        &mut self,
        actor: &User,
        outcome: FollowUpOutcome,
        satisfaction: u8,
        preventive_confirmed: bool,
        notes: Option<&str>,
        now: Timestamp,
    ) -> Result<Outcome, DomainError> {
        self.authorise(actor, self.follow_up_action())?;
        self.require_open("follow up")?;
        if !(1..=5).contains(&satisfaction) {
            return Err(DomainError::invalid(format!("satisfaction must be 1 to 5, not {satisfaction}")));
        }
        if let Some(p) = self.pending_action() {
            return Err(DomainError::conflict(format!("action {} still awaits approval; follow up once it is decided", p.id)));
        }
        for step in [Step::CorrectiveAction, Step::PreventiveAction] {
            if !self.is_done(step) && !self.is_waived(step) {
                return Err(DomainError::conflict(format!(
                    "nothing to verify yet: {} is missing ({}); record it or waive it with a deviation first",
                    step.as_str(),
                    step.what_to_do()
                )));
            }
        }
        let notes = optional_text("notes", notes, super::capture::TEXT_MAX)?;
        self.follow_ups.push(FollowUp { by: actor.id, at: now, outcome, satisfaction, preventive_confirmed, notes: notes.clone() });
        let detail = json!({ "outcome": outcome, "satisfaction": satisfaction, "preventive_confirmed": preventive_confirmed, "notes": notes });
        let mut out = Outcome::default();
        match outcome {
            FollowUpOutcome::Resolved => out.events.push(NewEvent::new(
                actor.id,
                now,
                "follow_up",
                format!("Independent follow-up: customer confirms the matter is resolved (satisfaction {satisfaction}/5)"),
                detail,
            )),
            FollowUpOutcome::NotResolved => {
                self.reopen_count += 1;
                out.events.push(NewEvent::new(
                    actor.id,
                    now,
                    "follow_up",
                    format!("Independent follow-up: customer says the matter is not resolved (satisfaction {satisfaction}/5)"),
                    detail,
                ));
                out.events.push(NewEvent::new(
                    actor.id,
                    now,
                    "reopened",
                    "Case reopened: it needs further action and a new follow-up",
                    json!({ "reopen_count": self.reopen_count }),
                ));
            }
        }
        self.settle();
        Ok(out)
    }
}
