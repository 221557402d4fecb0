//! Who may do what to a case: one table of role × action × relation to the
//! case ([`CASE_MATRIX`]). Every case rule asks it through [`authorise`],
//! the console asks it through [`allows`] to show only what the viewer may
//! do, and an API test walks every cell of it on both backends.
//!
//! The table settles who may *attempt* an action. Rules that depend on
//! amounts or on the case's state stay with the action: a remedy above the
//! proposer's mandate waits for approval (`mandate`), an approver's own
//! mandate must cover the value and may not be the proposer's, a gift must
//! lie within the giver's mandate, a closed case takes no more steps.

use crate::case::Case;
use crate::user::{Role, User};
use crate::DomainError;

/// How an account stands to a case. Where several hold (an owner who also
/// owns the preventive action, say), the first in this order counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Relation {
    /// The case's one owner, the customer's single point of contact.
    Owner,
    /// Named to establish the root cause and guard against a recurrence.
    PreventiveOwner,
    /// Assigned besides the owner: a service manager, a senior to attend,
    /// or someone the owner named to help.
    Assignee,
    /// The retailer partner whose system submitted the case.
    Submitter,
    /// None of these.
    Other,
}

impl Relation {
    pub const ALL: [Relation; 5] = [Relation::Owner, Relation::PreventiveOwner, Relation::Assignee, Relation::Submitter, Relation::Other];

    pub fn as_str(self) -> &'static str {
        match self {
            Relation::Owner => "owner",
            Relation::PreventiveOwner => "preventive_owner",
            Relation::Assignee => "assignee",
            Relation::Submitter => "submitter",
            Relation::Other => "other",
        }
    }

    /// As a party is named in a refusal: "the case's owner".
    fn noun(self) -> &'static str {
        match self {
            Relation::Owner => "owner",
            Relation::PreventiveOwner => "preventive-action owner",
            Relation::Assignee => "assignee",
            Relation::Submitter => "submitter",
            Relation::Other => "someone else",
        }
    }

    /// How the actor stands, as a refusal tells them.
    fn standing(self) -> &'static str {
        match self {
            Relation::Owner => "who owns it",
            Relation::PreventiveOwner => "who owns its preventive action",
            Relation::Assignee => "assigned to it",
            Relation::Submitter => "that submitted it",
            Relation::Other => "not involved in it",
        }
    }

    const fn bit(self) -> u8 {
        1 << self as u8
    }
}

/// What can be done to a case. Each is one request of the API (or one form
/// of the console that takes the same path).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CaseAction {
    /// Read the case with its timeline and communications.
    Read,
    /// Read and download the files kept with the case (which may hold the
    /// customer's personal papers).
    ReadFiles,
    /// Correct what was captured, record the facts and the desired resolution.
    Update,
    /// Log a contact with the customer (a partner: send a message).
    Communicate,
    /// Assign someone besides the owner, or withdraw an assignment.
    Assign,
    /// Agree a corrective action (escalated above the proposer's mandate).
    ProposeAction,
    /// Approve, decline or amend an escalated action.
    DecideAction,
    /// Record the root cause, preventive action, its owner and problem link.
    RecordPreventive,
    /// Link the case to a problem from the problem's side.
    LinkProblem,
    /// Hand the case to another owner.
    Transfer,
    /// Waive a step of the loop other than the independent follow-up.
    Waive,
    /// Waive the independent follow-up.
    WaiveFollowUp,
    /// Record a goodwill gesture (within the giver's mandate).
    Gift,
    /// Deliver a formal action report to the customer.
    Report,
    /// Make the independent follow-up on an ordinary case.
    FollowUp,
    /// Make the independent follow-up on a significant case.
    FollowUpSignificant,
    /// Withdraw the customer's private status-page links.
    RevokeStatusLinks,
    /// Close the case.
    Close,
}

impl CaseAction {
    pub const ALL: [CaseAction; 18] = [
        CaseAction::Read,
        CaseAction::ReadFiles,
        CaseAction::Update,
        CaseAction::Communicate,
        CaseAction::Assign,
        CaseAction::ProposeAction,
        CaseAction::DecideAction,
        CaseAction::RecordPreventive,
        CaseAction::LinkProblem,
        CaseAction::Transfer,
        CaseAction::Waive,
        CaseAction::WaiveFollowUp,
        CaseAction::Gift,
        CaseAction::Report,
        CaseAction::FollowUp,
        CaseAction::FollowUpSignificant,
        CaseAction::RevokeStatusLinks,
        CaseAction::Close,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CaseAction::Read => "read",
            CaseAction::ReadFiles => "read_files",
            CaseAction::Update => "update",
            CaseAction::Communicate => "communicate",
            CaseAction::Assign => "assign",
            CaseAction::ProposeAction => "propose_action",
            CaseAction::DecideAction => "decide_action",
            CaseAction::RecordPreventive => "record_preventive",
            CaseAction::LinkProblem => "link_problem",
            CaseAction::Transfer => "transfer",
            CaseAction::Waive => "waive",
            CaseAction::WaiveFollowUp => "waive_follow_up",
            CaseAction::Gift => "gift",
            CaseAction::Report => "report",
            CaseAction::FollowUp => "follow_up",
            CaseAction::FollowUpSignificant => "follow_up_significant",
            CaseAction::RevokeStatusLinks => "revoke_status_links",
            CaseAction::Close => "close",
        }
    }

    /// What the action is, as a refusal names it: "to {verb} you must be…".
    fn verb(self) -> &'static str {
        match self {
            CaseAction::Read => "read the case",
            CaseAction::ReadFiles => "read the files kept with the case",
            CaseAction::Update => "change the case",
            CaseAction::Communicate => "record a contact on the case",
            CaseAction::Assign => "assign people to the case",
            CaseAction::ProposeAction => "agree a corrective action",
            CaseAction::DecideAction => "approve, decline or amend an escalated action",
            CaseAction::RecordPreventive => "record preventive action",
            CaseAction::LinkProblem => "link the case to a problem",
            CaseAction::Transfer => "transfer the case",
            CaseAction::Waive => "record a deviation",
            CaseAction::WaiveFollowUp => "waive the independent follow-up",
            CaseAction::Gift => "record a goodwill gesture",
            CaseAction::Report => "deliver a formal action report",
            CaseAction::FollowUp | CaseAction::FollowUpSignificant => "make the independent follow-up",
            CaseAction::RevokeStatusLinks => "withdraw the customer's status links",
            CaseAction::Close => "close the case",
        }
    }

    /// The action as the README's table names it, and its request.
    fn title(self) -> (&'static str, &'static str) {
        match self {
            CaseAction::Read => ("read the case", "`GET /cases/{id}`"),
            CaseAction::ReadFiles => ("read its files", "`GET /cases/{id}/attachments`, `GET /attachments/{id}`"),
            CaseAction::Update => ("correct it, record facts", "`PATCH /cases/{id}`"),
            CaseAction::Communicate => ("record a contact (a partner: a message)", "`POST /cases/{id}/communications`"),
            CaseAction::Assign => ("assign or unassign", "`POST /cases/{id}/assignees`, `DELETE /cases/{id}/assignees/{user_id}`"),
            CaseAction::ProposeAction => ("agree a corrective action", "`POST /cases/{id}/actions`"),
            CaseAction::DecideAction => ("decide an escalated action", "`POST /cases/{id}/approvals`"),
            CaseAction::RecordPreventive => ("record preventive action", "`POST /cases/{id}/preventive`"),
            CaseAction::LinkProblem => ("link it to a problem", "`POST /problems/{id}/cases`"),
            CaseAction::Transfer => ("transfer", "`POST /cases/{id}/transfer`"),
            CaseAction::Waive => ("waive a step", "`POST /cases/{id}/deviations`"),
            CaseAction::WaiveFollowUp => ("waive the follow-up", "`POST /cases/{id}/deviations` with `follow_up`"),
            CaseAction::Gift => ("give a goodwill gesture", "`POST /cases/{id}/gifts`"),
            CaseAction::Report => ("deliver a formal report", "`POST /cases/{id}/reports`"),
            CaseAction::FollowUp => ("follow up an ordinary case", "`POST /cases/{id}/follow-up`"),
            CaseAction::FollowUpSignificant => ("follow up a significant case", "`POST /cases/{id}/follow-up`"),
            CaseAction::RevokeStatusLinks => ("withdraw status links", "`DELETE /cases/{id}/status-links`"),
            CaseAction::Close => ("close", "`POST /cases/{id}/close`"),
        }
    }

    /// Why the rule is what it is, where the refusal should say so.
    fn why(self) -> Option<&'static str> {
        match self {
            CaseAction::FollowUp => Some("the follow-up must be made by someone other than the case owner: it is an independent verification"),
            CaseAction::FollowUpSignificant => {
                Some("a significant case's follow-up must come from senior management (role senior), and never from its owner")
            }
            _ => None,
        }
    }
}

/// A set of relations to a case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Relations(u8);

impl Relations {
    pub const NONE: Relations = Relations(0);
    pub const OWNER: Relations = Relations(Relation::Owner.bit());
    pub const PREVENTIVE_OWNER: Relations = Relations(Relation::PreventiveOwner.bit());
    pub const ASSIGNEE: Relations = Relations(Relation::Assignee.bit());
    pub const SUBMITTER: Relations = Relations(Relation::Submitter.bit());
    /// Whatever the relation.
    pub const ANY: Relations = Relations(0b1_1111);
    /// Anyone but the case's owner.
    pub const NOT_OWNER: Relations = Relations(Self::ANY.0 & !Self::OWNER.0);
    /// Those who work the case with the customer: its owner and assignees.
    pub const WORKING: Relations = Self::OWNER.or(Self::ASSIGNEE);

    pub const fn or(self, other: Relations) -> Relations {
        Relations(self.0 | other.0)
    }

    pub fn contains(self, relation: Relation) -> bool {
        self.0 & relation.bit() != 0
    }
}

/// One row of the matrix: for one action, the relations under which each
/// role may take it.
#[derive(Clone, Copy, Debug)]
pub struct Grant {
    pub action: CaseAction,
    pub agent: Relations,
    pub manager: Relations,
    pub senior: Relations,
    pub admin: Relations,
    pub partner: Relations,
}

impl Grant {
    pub fn for_role(&self, role: Role) -> Relations {
        match role {
            Role::Agent => self.agent,
            Role::Manager => self.manager,
            Role::Senior => self.senior,
            Role::Admin => self.admin,
            Role::Partner => self.partner,
        }
    }
}

const fn row(action: CaseAction, agent: Relations, manager: Relations, senior: Relations, admin: Relations, partner: Relations) -> Grant {
    Grant { action, agent, manager, senior, admin, partner }
}

use CaseAction as A;
const ANY: Relations = Relations::ANY;
const NONE: Relations = Relations::NONE;
const OWNER: Relations = Relations::OWNER;
const WORKING: Relations = Relations::WORKING;
const PREVENTING: Relations = Relations::WORKING.or(Relations::PREVENTIVE_OWNER);
const NOT_OWNER: Relations = Relations::NOT_OWNER;
const SUBMITTER: Relations = Relations::SUBMITTER;

/// The authorisation matrix. Staff work any case's facts and contacts; the
/// owner steers it (and managers, seniors and admins supervise every case);
/// those assigned beside the owner may agree remedies, give gestures,
/// record prevention and report; the preventive-action owner records
/// prevention; only supervisors decide escalations and waive the follow-up;
/// the follow-up is never the owner's, and on a significant case only a
/// senior's; a retailer partner reads and writes to the cases it submitted,
/// but not the files kept with them.
#[rustfmt::skip]
pub const CASE_MATRIX: [Grant; 18] = [
    //   action                    agent          manager    senior     admin      partner
    row(A::Read,                   ANY,           ANY,       ANY,       ANY,       SUBMITTER),
    row(A::ReadFiles,              ANY,           ANY,       ANY,       ANY,       NONE),
    row(A::Update,                 ANY,           ANY,       ANY,       ANY,       NONE),
    row(A::Communicate,            ANY,           ANY,       ANY,       ANY,       SUBMITTER),
    row(A::Assign,                 OWNER,         ANY,       ANY,       ANY,       NONE),
    row(A::ProposeAction,          WORKING,       ANY,       ANY,       ANY,       NONE),
    row(A::DecideAction,           NONE,          ANY,       ANY,       ANY,       NONE),
    row(A::RecordPreventive,       PREVENTING,    ANY,       ANY,       ANY,       NONE),
    row(A::LinkProblem,            ANY,           ANY,       ANY,       ANY,       NONE),
    row(A::Transfer,               OWNER,         ANY,       ANY,       ANY,       NONE),
    row(A::Waive,                  OWNER,         ANY,       ANY,       ANY,       NONE),
    row(A::WaiveFollowUp,          NONE,          ANY,       ANY,       ANY,       NONE),
    row(A::Gift,                   WORKING,       ANY,       ANY,       ANY,       NONE),
    row(A::Report,                 WORKING,       ANY,       ANY,       ANY,       NONE),
    row(A::FollowUp,               NOT_OWNER,     NOT_OWNER, NOT_OWNER, NOT_OWNER, NONE),
    row(A::FollowUpSignificant,    NONE,          NONE,      NOT_OWNER, NONE,      NONE),
    row(A::RevokeStatusLinks,      OWNER,         ANY,       ANY,       ANY,       NONE),
    row(A::Close,                  OWNER,         ANY,       ANY,       ANY,       NONE),
];

/// The matrix's row for `action`.
pub fn grant(action: CaseAction) -> &'static Grant {
    CASE_MATRIX.iter().find(|g| g.action == action).expect("every case action has a row in CASE_MATRIX")
}

/// Whether `role`, standing in `relation` to a case, may take `action`.
pub fn allows(role: Role, action: CaseAction, relation: Relation) -> bool {
    grant(action).for_role(role).contains(relation)
}

/// How `user` stands to `case` (the first of [`Relation::ALL`] that holds).
pub fn relation(case: &Case, user: &User) -> Relation {
    if case.owner_id == user.id {
        Relation::Owner
    } else if case.preventive.as_ref().is_some_and(|p| p.owner_id == user.id) {
        Relation::PreventiveOwner
    } else if case.assignees.iter().any(|a| a.user_id == user.id) {
        Relation::Assignee
    } else if case.created_by == user.id && user.role == Role::Partner {
        Relation::Submitter
    } else {
        Relation::Other
    }
}

/// Whether `user` may take `action` on `case`.
pub fn may(case: &Case, user: &User, action: CaseAction) -> bool {
    user.active && allows(user.role, action, relation(case, user))
}

/// Refuses `action` on `case` unless the matrix allows it to `user`. A
/// partner's refusal on a case it did not submit is "does not exist", as
/// reading it would be: a partner learns nothing of other cases.
pub fn authorise(case: &Case, user: &User, action: CaseAction) -> Result<(), DomainError> {
    let relation = relation(case, user);
    if user.active && allows(user.role, action, relation) {
        return Ok(());
    }
    if user.role == Role::Partner && relation != Relation::Submitter {
        return Err(DomainError::not_found(format!("case {} does not exist", case.id)));
    }
    if !user.active {
        return Err(DomainError::forbidden("this account is deactivated"));
    }
    let you = format!("you are {} {}", with_article(user.role.as_str()), relation.standing());
    Err(DomainError::forbidden(match action.why() {
        Some(why) => format!("{why}; {you}"),
        None => format!("to {} you must be {}; {you}", action.verb(), who_may(action)),
    }))
}

/// The matrix's row for `action` in words: "an agent who is the case's
/// owner, or a manager, senior or admin".
pub fn who_may(action: CaseAction) -> String {
    let g = grant(action);
    let mut groups: Vec<(Vec<&str>, Relations)> = Vec::new();
    for role in [Role::Agent, Role::Manager, Role::Senior, Role::Admin] {
        let set = g.for_role(role);
        if set == NONE {
            continue;
        }
        match groups.last_mut() {
            Some((roles, s)) if *s == set => roles.push(role.as_str()),
            _ => groups.push((vec![role.as_str()], set)),
        }
    }
    let mut parts: Vec<String> = groups
        .into_iter()
        .map(|(roles, set)| {
            let roles = with_article(&join_or(&roles));
            if set == ANY {
                roles
            } else if set == NOT_OWNER {
                format!("{roles} other than the case owner")
            } else {
                let named: Vec<&str> = Relation::ALL.into_iter().filter(|r| set.contains(*r)).map(Relation::noun).collect();
                format!("{roles} who is the case's {}", join_or(&named))
            }
        })
        .collect();
    if g.partner.contains(Relation::Submitter) {
        parts.push("the partner that submitted it".into());
    }
    if parts.is_empty() {
        return "nobody".into();
    }
    parts.join(", or ")
}

/// The matrix as a Markdown table, as the README shows it (a test keeps
/// the two the same).
pub fn markdown() -> String {
    let mut out = String::from("| action | request | agent | manager | senior | admin | partner |\n|---|---|---|---|---|---|---|\n");
    for g in &CASE_MATRIX {
        let cells: Vec<String> = [Role::Agent, Role::Manager, Role::Senior, Role::Admin, Role::Partner].into_iter().map(|r| cell(g.for_role(r))).collect();
        let (title, request) = g.action.title();
        out.push_str(&format!("| {title} | {request} | {} |\n", cells.join(" | ")));
    }
    out
}

/// One cell of the Markdown table: the relations, in words.
fn cell(set: Relations) -> String {
    match set {
        ANY => "any".into(),
        NONE => "—".into(),
        NOT_OWNER => "not its owner".into(),
        _ => {
            let named: Vec<&str> = Relation::ALL.into_iter().filter(|r| set.contains(*r)).map(Relation::noun).collect();
            format!("as {}", join_or(&named))
        }
    }
}

fn join_or(words: &[&str]) -> String {
    match words {
        [] => String::new(),
        [one] => (*one).to_string(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

fn with_article(words: &str) -> String {
    let article = if words.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
    format!("{article} {words}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_has_exactly_one_row() {
        for action in CaseAction::ALL {
            assert_eq!(CASE_MATRIX.iter().filter(|g| g.action == action).count(), 1, "{action:?}");
        }
        assert_eq!(CASE_MATRIX.len(), CaseAction::ALL.len());
    }

    #[test]
    fn the_loop_rules_hold_in_the_table() {
        for role in [Role::Agent, Role::Manager, Role::Senior, Role::Admin, Role::Partner] {
            // The independent follow-up is never the owner's.
            assert!(!allows(role, A::FollowUp, Relation::Owner));
            assert!(!allows(role, A::FollowUpSignificant, Relation::Owner));
            // Supervisors steer every case; a partner steers none.
            for relation in Relation::ALL {
                assert_eq!(allows(role, A::Transfer, relation), role.supervises() || (role == Role::Agent && relation == Relation::Owner));
                assert_eq!(allows(role, A::DecideAction, relation), role.supervises());
            }
        }
        // A significant case's follow-up comes from senior management alone.
        for role in [Role::Agent, Role::Manager, Role::Admin, Role::Partner] {
            assert!(Relation::ALL.iter().all(|r| !allows(role, A::FollowUpSignificant, *r)));
        }
        assert!(allows(Role::Senior, A::FollowUpSignificant, Relation::Other));
        // A partner reads and writes only to the cases it submitted.
        for action in CaseAction::ALL {
            for relation in Relation::ALL {
                let allowed = allows(Role::Partner, action, relation);
                assert!(!allowed || (relation == Relation::Submitter && matches!(action, A::Read | A::Communicate)), "{action:?} {relation:?}");
            }
        }
    }

    #[test]
    fn refusals_say_who_may() {
        assert_eq!(who_may(A::Transfer), "an agent who is the case's owner, or a manager, senior or admin");
        assert_eq!(who_may(A::RecordPreventive), "an agent who is the case's owner, preventive-action owner or assignee, or a manager, senior or admin");
        assert_eq!(who_may(A::FollowUp), "an agent, manager, senior or admin other than the case owner");
        assert_eq!(who_may(A::Read), "an agent, manager, senior or admin, or the partner that submitted it");
        assert_eq!(who_may(A::DecideAction), "a manager, senior or admin");
    }
}
