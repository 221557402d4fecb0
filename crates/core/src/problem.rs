//! Problems: systemic issues shared by many cases, managed as records of
//! their own — an owner, a status, a root cause and a permanent solution,
//! what their cases have cost, and a history of every change.
//!
//! A problem moves through four statuses, set by staff (never derived):
//!
//! | status | means | needs |
//! |---|---|---|
//! | `open` | recorded; the root cause is not yet known | — |
//! | `diagnosed` | the root cause is known; a permanent solution is being found | `root_cause` |
//! | `solved` | a permanent solution is in place; watching that no new cases arrive | `permanent_solution` |
//! | `closed` | done: the solution holds | `permanent_solution` |
//!
//! Recording a root cause on an open problem makes it diagnosed, and a
//! permanent solution on an open or diagnosed one makes it solved, unless the
//! same change names a status. Any staff member edits a problem; its owner or
//! a supervisor closes it; only a supervisor (manager, senior or admin)
//! reopens a closed one, and nothing else about a closed problem changes
//! until then. Cases link to a problem through their preventive action
//! ([`Preventive::problem_id`](crate::case::Preventive)).

use crate::timeline::NewEvent;
use crate::user::{optional_text, required_text, User};
use crate::{DomainError, Money, ProblemId, UserId};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::HashMap;

/// Longest title, in characters.
pub const TITLE_MAX: usize = 300;
/// Longest description, root cause or permanent solution, in characters.
pub const TEXT_MAX: usize = 20_000;

/// Where a problem stands; see the [module](self) for what each needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProblemStatus {
    /// Recorded; the root cause is not yet known.
    Open,
    /// The root cause is known; a permanent solution is being found.
    Diagnosed,
    /// A permanent solution is in place; watching that no new cases arrive.
    Solved,
    /// Done: the permanent solution holds. Only a supervisor reopens it.
    Closed,
}

impl ProblemStatus {
    pub const ALL: [ProblemStatus; 4] = [ProblemStatus::Open, ProblemStatus::Diagnosed, ProblemStatus::Solved, ProblemStatus::Closed];

    pub fn as_str(self) -> &'static str {
        match self {
            ProblemStatus::Open => "open",
            ProblemStatus::Diagnosed => "diagnosed",
            ProblemStatus::Solved => "solved",
            ProblemStatus::Closed => "closed",
        }
    }

    /// The status in words, for people.
    pub fn label(self) -> &'static str {
        match self {
            ProblemStatus::Open => "Open",
            ProblemStatus::Diagnosed => "Diagnosed",
            ProblemStatus::Solved => "Solved",
            ProblemStatus::Closed => "Closed",
        }
    }

    pub fn parse(s: &str) -> Option<ProblemStatus> {
        ProblemStatus::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// `open, diagnosed, solved or closed`, for messages.
    pub fn choices() -> String {
        let names: Vec<&str> = ProblemStatus::ALL.iter().map(|s| s.as_str()).collect();
        format!("{} or {}", names[..names.len() - 1].join(", "), names[names.len() - 1])
    }
}

/// What a problem has cost, over the cases linked to it now (through their
/// preventive action). Computed by the store over those cases.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ProblemCost {
    /// Cases linked to the problem.
    pub cases: i64,
    /// Linked cases not closed yet.
    pub open_cases: i64,
    /// The agreed corrective actions' remedy values, summed over the linked
    /// cases (an amended action counts at its amended value; actions
    /// awaiting approval or declined do not count).
    pub remedies: Money,
    /// The goodwill gestures' costs, summed over the linked cases.
    pub gifts: Money,
    /// `remedies` plus `gifts`.
    pub total: Money,
    /// Staff touches: the timeline events on the linked cases written by a
    /// staff account — an actor whose role (as it is now, active or not) is
    /// agent, manager, senior or admin. Every contact, action, decision,
    /// note, transfer and link staff recorded is one touch; events Redress
    /// wrote itself (no actor: target checks, deliveries, survey intake) and
    /// a partner's events are not.
    pub staff_touches: i64,
}

impl ProblemCost {
    /// The figures from their stored sums (in ten-thousandths, see
    /// [`Money::scaled_minor`]), written in `currency`.
    pub fn from_sums(cases: i64, open_cases: i64, remedies_scaled: i64, gifts_scaled: i64, staff_touches: i64, currency: crate::money::Currency) -> ProblemCost {
        let at = |scaled: i64| Money::from_scaled(scaled).at(currency.exponent());
        ProblemCost {
            cases,
            open_cases,
            remedies: at(remedies_scaled),
            gifts: at(gifts_scaled),
            total: at(remedies_scaled.saturating_add(gifts_scaled)),
            staff_touches,
        }
    }
}

/// A problem as recorded, with the figures of its linked cases.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = ProblemRecord)]
pub struct Problem {
    pub id: ProblemId,
    pub title: String,
    pub description: Option<String>,
    pub root_cause: Option<String>,
    pub permanent_solution: Option<String>,
    /// The staff member answerable for the problem; its creator unless
    /// someone else was named.
    pub owner_id: UserId,
    pub status: ProblemStatus,
    pub created_by: UserId,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    /// When the record or its links last changed (its newest history entry).
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
    /// When it was closed; `null` while it is not (a reopened problem too).
    #[schema(value_type = Option<String>, format = DateTime)]
    pub closed_at: Option<Timestamp>,
    pub closed_by: Option<UserId>,
    /// Cases linked to this problem through their preventive action (the
    /// same as `cost.cases`).
    #[serde(default)]
    pub case_count: i64,
    /// What the linked cases have cost.
    #[serde(default)]
    pub cost: ProblemCost,
}

/// A problem about to be recorded, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewProblem {
    pub title: String,
    pub description: Option<String>,
    pub root_cause: Option<String>,
    pub permanent_solution: Option<String>,
    pub owner_id: UserId,
    pub created_by: UserId,
}

impl NewProblem {
    /// Checks a problem `actor` records, owned by `owner` (the actor when
    /// nobody else is named).
    pub fn check(
        actor: &User,
        owner: &User,
        title: &str,
        description: Option<&str>,
        root_cause: Option<&str>,
        permanent_solution: Option<&str>,
    ) -> Result<NewProblem, DomainError> {
        require_staff(actor)?;
        require_owner(owner)?;
        Ok(NewProblem {
            title: required_text("title", title, TITLE_MAX)?,
            description: optional_text("description", description, TEXT_MAX)?,
            root_cause: optional_text("root_cause", root_cause, TEXT_MAX)?,
            permanent_solution: optional_text("permanent_solution", permanent_solution, TEXT_MAX)?,
            owner_id: owner.id,
            created_by: actor.id,
        })
    }

    /// The status a new problem starts in: as far as what is known takes it.
    pub fn initial_status(&self) -> ProblemStatus {
        if self.permanent_solution.is_some() {
            ProblemStatus::Solved
        } else if self.root_cause.is_some() {
            ProblemStatus::Diagnosed
        } else {
            ProblemStatus::Open
        }
    }

    /// The record this becomes once the store has given it `id`.
    pub fn into_problem(self, id: ProblemId, now: Timestamp) -> Problem {
        let status = self.initial_status();
        Problem {
            id,
            title: self.title,
            description: self.description,
            root_cause: self.root_cause,
            permanent_solution: self.permanent_solution,
            owner_id: self.owner_id,
            status,
            created_by: self.created_by,
            created_at: now,
            updated_at: now,
            closed_at: None,
            closed_by: None,
            case_count: 0,
            cost: ProblemCost::default(),
        }
    }

    /// The first entry of the new problem's history.
    pub fn recorded_event(&self, now: Timestamp) -> NewEvent {
        let status = self.initial_status();
        NewEvent::new(
            self.created_by,
            now,
            "recorded",
            format!("Problem recorded ({})", status.as_str()),
            json!({ "title": self.title, "status": status, "owner_id": self.owner_id }),
        )
    }
}

/// One entry of a problem's history: who changed what, when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ProblemEvent {
    pub id: i64,
    pub problem_id: ProblemId,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    /// Who did it; absent for Redress itself.
    pub actor_id: Option<UserId>,
    /// `recorded`, `edited`, `owner_changed`, `status_changed`, `closed`,
    /// `reopened`, `cases_linked`, `case_linked` or `case_unlinked`.
    pub kind: String,
    pub summary: String,
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
}

/// A validated request to change a problem: each field given replaces what
/// is recorded (`Some(None)` clears an optional text).
#[derive(Clone, Debug, Default)]
pub struct ProblemChange {
    pub title: Option<String>,
    pub description: Option<Option<String>>,
    pub root_cause: Option<Option<String>>,
    pub permanent_solution: Option<Option<String>>,
    pub owner_id: Option<UserId>,
    pub status: Option<ProblemStatus>,
}

impl ProblemChange {
    fn is_empty(&self) -> bool {
        self.title.is_none()
            && self.description.is_none()
            && self.root_cause.is_none()
            && self.permanent_solution.is_none()
            && self.owner_id.is_none()
            && self.status.is_none()
    }
}

/// What a change to a problem needs beyond the problem: the accounts
/// involved (its owner and any the change names), loaded by the store.
#[derive(Clone, Debug, Default)]
pub struct ProblemContext {
    pub users: HashMap<UserId, User>,
}

impl ProblemContext {
    fn name(&self, id: UserId) -> String {
        self.users.get(&id).map_or_else(|| format!("user {id}"), |u| u.name.clone())
    }
}

fn require_staff(actor: &User) -> Result<(), DomainError> {
    if actor.role.is_staff() {
        Ok(())
    } else {
        Err(DomainError::forbidden("a partner account may only submit retailer cases and read its own; problems are for staff"))
    }
}

fn require_owner(owner: &User) -> Result<(), DomainError> {
    if owner.role.is_staff() && owner.active {
        Ok(())
    } else {
        Err(DomainError::invalid(format!(
            "user {} cannot own a problem: its owner must be an active staff member (agent, manager, senior or admin)",
            owner.id
        )))
    }
}

/// What a status needs recorded, as a refusal when it is missing.
fn check_needs(status: ProblemStatus, p: &Problem) -> Result<(), DomainError> {
    match status {
        ProblemStatus::Open => Ok(()),
        ProblemStatus::Diagnosed if p.root_cause.is_none() => {
            Err(DomainError::invalid("a diagnosed problem needs its root cause: give root_cause, or set the status to open"))
        }
        ProblemStatus::Solved if p.permanent_solution.is_none() => Err(DomainError::invalid(
            "a solved problem needs its permanent solution in place: give permanent_solution, or set the status to open or diagnosed",
        )),
        ProblemStatus::Closed if p.permanent_solution.is_none() => Err(DomainError::invalid(
            "a problem can close only once its permanent solution is in place: record permanent_solution first",
        )),
        _ => Ok(()),
    }
}

impl Problem {
    pub fn is_closed(&self) -> bool {
        self.status == ProblemStatus::Closed
    }

    /// Whether `actor` may close it: its owner or a supervisor.
    pub fn may_close(&self, actor: &User) -> bool {
        actor.role.is_staff() && (actor.id == self.owner_id || actor.role.supervises())
    }

    /// Whether `actor` may reopen it: a supervisor.
    pub fn may_reopen(&self, actor: &User) -> bool {
        actor.role.supervises()
    }

    /// Whether cases may be linked to it now, by `actor`: staff, and the
    /// problem not closed.
    pub fn check_linkable(&self, actor: &User) -> Result<(), DomainError> {
        require_staff(actor)?;
        if self.is_closed() {
            return Err(DomainError::conflict(format!(
                "problem {} is closed: a manager, senior or admin reopens it before cases are linked to it",
                self.id
            )));
        }
        Ok(())
    }

    /// Applies `change` by `actor`, checking every rule, and answers the
    /// history entries it makes (none when nothing actually changed). A
    /// refusal leaves the problem as it was.
    pub fn change(&mut self, actor: &User, change: ProblemChange, ctx: &ProblemContext, now: Timestamp) -> Result<Vec<NewEvent>, DomainError> {
        require_staff(actor)?;
        if change.is_empty() {
            return Err(DomainError::invalid(
                "nothing to change: give title, description, root_cause, permanent_solution, owner_id or status",
            ));
        }
        let reopening = self.is_closed() && change.status.is_some_and(|s| s != ProblemStatus::Closed);
        if reopening && !self.may_reopen(actor) {
            return Err(DomainError::forbidden(format!(
                "only a manager, senior or admin may reopen a closed problem; you are {}",
                actor.role.as_str()
            )));
        }
        if self.is_closed() && !reopening {
            let only_closing = change.status == Some(ProblemStatus::Closed)
                && ProblemChange { status: None, ..change.clone() }.is_empty();
            if only_closing {
                return Ok(Vec::new());
            }
            return Err(DomainError::conflict(format!(
                "problem {} is closed: a manager, senior or admin reopens it (status open, diagnosed or solved) before it changes",
                self.id
            )));
        }
        let mut next = self.clone();
        let mut edited: Vec<&'static str> = Vec::new();
        let mut detail = serde_json::Map::new();
        if let Some(title) = &change.title {
            let title = required_text("title", title, TITLE_MAX)?;
            if title != next.title {
                detail.insert("title".into(), json!(title));
                next.title = title;
                edited.push("title");
            }
        }
        let texts: [(&'static str, &Option<Option<String>>); 3] =
            [("description", &change.description), ("root_cause", &change.root_cause), ("permanent_solution", &change.permanent_solution)];
        for (field, value) in texts {
            let Some(value) = value else { continue };
            let value = optional_text(field, value.as_deref(), TEXT_MAX)?;
            let slot = match field {
                "description" => &mut next.description,
                "root_cause" => &mut next.root_cause,
                _ => &mut next.permanent_solution,
            };
            if *slot != value {
                detail.insert(field.into(), json!(value));
                *slot = value;
                edited.push(field);
            }
        }
        let mut events = Vec::new();
        if !edited.is_empty() {
            let words: Vec<String> = edited.iter().map(|f| f.replace('_', " ")).collect();
            let mut summary = words.join(", ");
            if let Some(first) = summary.get(..1) {
                summary = format!("{}{} changed", first.to_uppercase(), &summary[1..]);
            }
            detail.insert("fields".into(), json!(edited));
            events.push(NewEvent::new(actor.id, now, "edited", summary, serde_json::Value::Object(detail)));
        }
        if let Some(owner_id) = change.owner_id.filter(|o| *o != self.owner_id) {
            let owner = ctx.users.get(&owner_id).ok_or_else(|| DomainError::invalid(format!("owner_id {owner_id} does not exist")))?;
            require_owner(owner)?;
            next.owner_id = owner_id;
            events.push(NewEvent::new(
                actor.id,
                now,
                "owner_changed",
                format!("Owner changed from {} to {}", ctx.name(self.owner_id), owner.name),
                json!({ "from": self.owner_id, "to": owner_id }),
            ));
        }
        // The status: as named, else as far as what was just recorded takes it.
        let status = change.status.unwrap_or_else(|| {
            let solution_given = edited.contains(&"permanent_solution") && next.permanent_solution.is_some();
            let cause_given = edited.contains(&"root_cause") && next.root_cause.is_some();
            match self.status {
                ProblemStatus::Open | ProblemStatus::Diagnosed if solution_given => ProblemStatus::Solved,
                ProblemStatus::Open if cause_given => ProblemStatus::Diagnosed,
                s => s,
            }
        });
        if status == ProblemStatus::Closed && !self.is_closed() && !self.may_close(actor) {
            return Err(DomainError::forbidden(format!(
                "only the problem's owner (user {}) or a manager, senior or admin may close it",
                self.owner_id
            )));
        }
        check_needs(status, &next)?;
        if status != self.status {
            next.status = status;
            let from = self.status.as_str();
            let to = status.as_str();
            events.push(if status == ProblemStatus::Closed {
                next.closed_at = Some(now);
                next.closed_by = Some(actor.id);
                NewEvent::new(actor.id, now, "closed", "Closed: the permanent solution is in place", json!({ "from": from, "to": to }))
            } else if reopening {
                next.closed_at = None;
                next.closed_by = None;
                NewEvent::new(actor.id, now, "reopened", format!("Reopened as {to}"), json!({ "from": from, "to": to }))
            } else {
                NewEvent::new(actor.id, now, "status_changed", format!("Status changed from {from} to {to}"), json!({ "from": from, "to": to }))
            });
        }
        if !events.is_empty() {
            next.updated_at = now;
            *self = next;
        }
        Ok(events)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::user::Role;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn user(id: i64, role: Role) -> User {
        User {
            id: UserId(id),
            name: format!("User {id}"),
            email: None,
            role,
            mandate: Money::ZERO,
            manager_id: None,
            active: true,
            created_at: t("2026-01-01T00:00:00Z"),
        }
    }

    const NOW: &str = "2026-11-20T10:00:00Z";

    fn agent() -> User {
        user(1, Role::Agent)
    }

    fn problem(root_cause: Option<&str>, solution: Option<&str>) -> Problem {
        NewProblem::check(&agent(), &agent(), "Thin boxes", None, root_cause, solution).unwrap().into_problem(ProblemId(7), t("2026-11-01T10:00:00Z"))
    }

    fn ctx(users: &[User]) -> ProblemContext {
        ProblemContext { users: users.iter().map(|u| (u.id, u.clone())).collect() }
    }

    fn status(s: ProblemStatus) -> ProblemChange {
        ProblemChange { status: Some(s), ..Default::default() }
    }

    #[test]
    fn a_new_problem_is_owned_by_its_creator_and_starts_as_far_as_is_known() {
        let p = problem(None, None);
        assert_eq!((p.owner_id, p.created_by, p.status), (UserId(1), UserId(1), ProblemStatus::Open));
        assert_eq!(problem(Some("Thin cartons"), None).status, ProblemStatus::Diagnosed);
        assert_eq!(problem(Some("Thin cartons"), Some("Double walls")).status, ProblemStatus::Solved);
        let e = NewProblem::check(&agent(), &agent(), "  ", None, None, None).unwrap_err();
        assert_eq!(e, DomainError::invalid("title must not be empty"));
    }

    #[test]
    fn only_active_staff_own_and_only_staff_record() {
        let partner = user(2, Role::Partner);
        assert!(matches!(NewProblem::check(&partner, &agent(), "T", None, None, None), Err(DomainError::Forbidden(_))));
        assert!(matches!(NewProblem::check(&agent(), &partner, "T", None, None, None), Err(DomainError::Invalid(_))));
        let mut gone = user(3, Role::Manager);
        gone.active = false;
        let e = NewProblem::check(&agent(), &gone, "T", None, None, None).unwrap_err();
        assert!(e.to_string().contains("active staff"), "{e}");
        let mut p = problem(None, None);
        let e = p.change(&agent(), ProblemChange { owner_id: Some(UserId(3)), ..Default::default() }, &ctx(&[agent(), gone]), t(NOW)).unwrap_err();
        assert!(matches!(e, DomainError::Invalid(_)), "{e}");
        let e = p.change(&agent(), ProblemChange { owner_id: Some(UserId(99)), ..Default::default() }, &ctx(&[agent()]), t(NOW)).unwrap_err();
        assert_eq!(e, DomainError::invalid("owner_id 99 does not exist"));
        let e = p.change(&partner, ProblemChange { title: Some("Mine".into()), ..Default::default() }, &ctx(&[agent()]), t(NOW)).unwrap_err();
        assert!(matches!(e, DomainError::Forbidden(_)));
        assert_eq!(p, problem(None, None), "nothing changed");
    }

    #[test]
    fn closing_needs_a_permanent_solution() {
        let mut p = problem(Some("Thin cartons"), None);
        let before = p.clone();
        let e = p.change(&agent(), status(ProblemStatus::Closed), &ctx(&[agent()]), t(NOW)).unwrap_err();
        assert_eq!(e, DomainError::invalid("a problem can close only once its permanent solution is in place: record permanent_solution first"));
        assert_eq!(p, before, "a refusal changes nothing");
        // Giving the solution in the same change is enough.
        let change = ProblemChange { permanent_solution: Some(Some("Double-walled boxes".into())), status: Some(ProblemStatus::Closed), ..Default::default() };
        let events = p.change(&agent(), change, &ctx(&[agent()]), t(NOW)).unwrap();
        assert_eq!(events.iter().map(|e| e.kind).collect::<Vec<_>>(), ["edited", "closed"]);
        assert_eq!((p.status, p.closed_at, p.closed_by, p.updated_at), (ProblemStatus::Closed, Some(t(NOW)), Some(UserId(1)), t(NOW)));
        // Clearing the solution of a solved problem is refused the same way.
        let mut s = problem(Some("c"), Some("s"));
        let e = s.change(&agent(), ProblemChange { permanent_solution: Some(None), ..Default::default() }, &ctx(&[agent()]), t(NOW)).unwrap_err();
        assert!(e.to_string().starts_with("a solved problem needs its permanent solution"), "{e}");
    }

    #[test]
    fn its_owner_or_a_supervisor_closes_it() {
        let mut p = problem(Some("c"), Some("s"));
        let other = user(2, Role::Agent);
        let e = p.change(&other, status(ProblemStatus::Closed), &ctx(&[agent(), other.clone()]), t(NOW)).unwrap_err();
        assert!(matches!(e, DomainError::Forbidden(_)), "{e}");
        let manager = user(3, Role::Manager);
        p.change(&manager, status(ProblemStatus::Closed), &ctx(&[agent()]), t(NOW)).unwrap();
        assert_eq!(p.closed_by, Some(UserId(3)));
    }

    #[test]
    fn a_closed_problem_is_reopened_by_a_supervisor_and_otherwise_stays_as_it_is() {
        let mut p = problem(Some("c"), Some("s"));
        p.change(&agent(), status(ProblemStatus::Closed), &ctx(&[agent()]), t(NOW)).unwrap();
        let closed = p.clone();
        let e = p.change(&agent(), ProblemChange { title: Some("New".into()), ..Default::default() }, &ctx(&[agent()]), t(NOW)).unwrap_err();
        assert!(matches!(e, DomainError::Conflict(_)), "{e}");
        let e = p.change(&agent(), status(ProblemStatus::Diagnosed), &ctx(&[agent()]), t(NOW)).unwrap_err();
        assert!(matches!(e, DomainError::Forbidden(_)) && e.to_string().contains("reopen"), "{e}");
        assert!(p.change(&agent(), status(ProblemStatus::Closed), &ctx(&[agent()]), t(NOW)).unwrap().is_empty(), "closing again changes nothing");
        assert!(matches!(p.check_linkable(&agent()), Err(DomainError::Conflict(_))));
        assert_eq!(p, closed);
        let senior = user(4, Role::Senior);
        let later = t("2026-11-21T10:00:00Z");
        let events = p.change(&senior, status(ProblemStatus::Diagnosed), &ctx(&[agent()]), later).unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!((events[0].kind, events[0].summary.as_str()), ("reopened", "Reopened as diagnosed"));
        assert_eq!((p.status, p.closed_at, p.closed_by, p.updated_at), (ProblemStatus::Diagnosed, None, None, later));
        assert!(p.check_linkable(&agent()).is_ok());
    }

    #[test]
    fn recording_what_is_known_moves_the_status_on_unless_one_is_named() {
        let mut p = problem(None, None);
        let c = ctx(&[agent()]);
        let events = p.change(&agent(), ProblemChange { root_cause: Some(Some("Thin cartons".into())), ..Default::default() }, &c, t(NOW)).unwrap();
        assert_eq!(p.status, ProblemStatus::Diagnosed);
        assert_eq!(events[0].summary, "Root cause changed");
        assert_eq!(events[1].summary, "Status changed from open to diagnosed");
        p.change(&agent(), ProblemChange { permanent_solution: Some(Some("Double walls".into())), ..Default::default() }, &c, t(NOW)).unwrap();
        assert_eq!(p.status, ProblemStatus::Solved);
        // Back to diagnosed (the solution did not hold), and the title alone moves nothing.
        p.change(&agent(), status(ProblemStatus::Diagnosed), &c, t(NOW)).unwrap();
        p.change(&agent(), ProblemChange { title: Some("Thin boxes again".into()), ..Default::default() }, &c, t(NOW)).unwrap();
        assert_eq!(p.status, ProblemStatus::Diagnosed);
        let mut q = problem(None, None);
        let e = q.change(&agent(), status(ProblemStatus::Diagnosed), &c, t(NOW)).unwrap_err();
        assert!(e.to_string().starts_with("a diagnosed problem needs its root cause"), "{e}");
        // A named status wins over the step the new root cause would take.
        q.change(&agent(), ProblemChange { root_cause: Some(Some("x".into())), status: Some(ProblemStatus::Open), ..Default::default() }, &c, t(NOW)).unwrap();
        assert_eq!(q.status, ProblemStatus::Open);
    }

    #[test]
    fn every_change_is_recorded_and_no_change_records_nothing() {
        let mut p = problem(None, None);
        let max = User { name: "Max".into(), ..user(5, Role::Manager) };
        let c = ctx(&[User { name: "Alice".into(), ..agent() }, max]);
        let change = ProblemChange { title: Some(" Thin boxes ".into()), description: Some(Some("Glass breaks".into())), owner_id: Some(UserId(5)), ..Default::default() };
        let events = p.change(&agent(), change, &c, t(NOW)).unwrap();
        assert_eq!(events.iter().map(|e| e.summary.as_str()).collect::<Vec<_>>(), ["Description changed", "Owner changed from Alice to Max"]);
        assert_eq!(events[0].detail, json!({ "description": "Glass breaks", "fields": ["description"] }));
        assert_eq!(events[1].detail, json!({ "from": 1, "to": 5 }));
        assert_eq!((p.owner_id, p.updated_at), (UserId(5), t(NOW)));
        let same = p.clone();
        assert!(p.change(&agent(), ProblemChange { title: Some("Thin boxes".into()), ..Default::default() }, &c, t("2026-11-22T10:00:00Z")).unwrap().is_empty());
        assert_eq!(p, same, "updated_at stays when nothing changed");
        let e = p.change(&agent(), ProblemChange::default(), &c, t(NOW)).unwrap_err();
        assert!(e.to_string().starts_with("nothing to change"));
        let e = p.change(&agent(), ProblemChange { root_cause: Some(Some("x".repeat(TEXT_MAX + 1))), ..Default::default() }, &c, t(NOW)).unwrap_err();
        assert_eq!(e, DomainError::invalid(format!("root_cause is longer than {TEXT_MAX} characters")));
    }

    #[test]
    fn statuses_read_back_and_cost_adds_up() {
        for s in ProblemStatus::ALL {
            assert_eq!(ProblemStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(ProblemStatus::parse("investigating"), None);
        assert_eq!(ProblemStatus::choices(), "open, diagnosed, solved or closed");
        let eur = crate::money::Currency::from_code("EUR").unwrap();
        let cost = ProblemCost::from_sums(2, 1, 425_000, 50_000, 9, eur);
        assert_eq!((cost.remedies.to_string(), cost.gifts.to_string(), cost.total.to_string()), ("42.50".into(), "5.00".into(), "47.50".into()));
        let jpy = crate::money::Currency::from_code("JPY").unwrap();
        assert_eq!(ProblemCost::from_sums(1, 0, 15_000_000, 0, 1, jpy).total.to_string(), "1500");
    }
}
