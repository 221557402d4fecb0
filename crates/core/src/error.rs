//! Why the domain refuses something. The HTTP layer maps each kind to a status.

use crate::terms::Step;

/// The one refusal for an access code that is unknown, used or expired.
pub const CODE_REFUSED: &str = "This access code is not valid. Check it and try again, or ask us for a new one.";

/// A rule of the loop that a request broke; the message says exactly which.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// The input is well-formed but not acceptable (422).
    #[error("{0}")]
    Invalid(String),
    /// The actor's role, mandate or relation to the case does not allow this (403).
    #[error("{0}")]
    Forbidden(String),
    /// The case is not in a state where this can happen (409).
    #[error("{0}")]
    Conflict(String),
    /// Something named in the request does not exist (404 for the path, 422 in a body).
    #[error("{0}")]
    NotFound(String),
    /// A survey access code is unknown, used or expired: one answer for all
    /// three, so a guesser learns nothing (403).
    #[error("{}", CODE_REFUSED)]
    AccessRefused,
    /// Closing was refused because these steps are neither done nor waived (409).
    #[error("the case cannot close: {}", crate::terms::describe_missing(.0))]
    Incomplete(Vec<Step>),
}

impl DomainError {
    pub fn invalid(msg: impl Into<String>) -> Self {
        Self::Invalid(msg.into())
    }
    pub fn forbidden(msg: impl Into<String>) -> Self {
        Self::Forbidden(msg.into())
    }
    pub fn conflict(msg: impl Into<String>) -> Self {
        Self::Conflict(msg.into())
    }
    pub fn not_found(msg: impl Into<String>) -> Self {
        Self::NotFound(msg.into())
    }
}
