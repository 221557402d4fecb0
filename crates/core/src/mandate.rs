//! Appeasement mandates: who may agree a remedy of what value.
//!
//! Within the actor's mandate a corrective action stands at once; above it the
//! case waits for a supervisor whose own mandate covers the value.

use crate::user::User;
use crate::{DomainError, Money};

/// Whether `actor` may agree `value` alone.
pub fn covers(actor: &User, value: Money) -> bool {
    actor.role.is_staff() && value <= actor.mandate
}

/// Checks that `approver` may decide an escalated remedy of `value` proposed
/// by someone else.
pub fn check_approver(approver: &User, proposer: crate::UserId, value: Money) -> Result<(), DomainError> {
    if !approver.role.supervises() {
        return Err(DomainError::forbidden(format!(
            "only a manager, senior or admin may approve an escalated action; you are {}",
            approver.role.as_str()
        )));
    }
    if approver.id == proposer {
        return Err(DomainError::forbidden("an escalated action must be approved by someone other than its proposer"));
    }
    if value > approver.mandate {
        return Err(DomainError::forbidden(format!(
            "a remedy of {value} exceeds your mandate of {}; it needs a manager whose mandate covers it",
            approver.mandate
        )));
    }
    Ok(())
}
