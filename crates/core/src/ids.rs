//! Typed ids: a case id can never be passed where a user id is expected.

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($(#[$doc:meta] $name:ident),* $(,)?) => {$(
        #[$doc]
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(transparent)]
        #[schema(value_type = i64)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    )*};
}

id_type!(
    /// A staff member or partner account.
    UserId,
    /// A customer.
    CustomerId,
    /// A case.
    CaseId,
    /// A service area (transaction type).
    ServiceAreaId,
    /// A problem: a systemic issue shared by many cases.
    ProblemId,
    /// An outbound message.
    NotificationId,
    /// A survey definition.
    SurveyId,
    /// An invitation to answer a survey, redeemed with its access code.
    InvitationId,
    /// One submitted survey.
    ResponseId,
    /// A complaint category: an admin-managed list cases and survey questions map to.
    CategoryId,
);

impl CaseId {
    /// The human reference carried in mail subjects and on the phone ("RD-42").
    pub fn reference(self) -> String {
        format!("RD-{}", self.0)
    }

    /// Reads a reference such as `RD-42` (case-insensitive) back into an id.
    pub fn parse_reference(text: &str) -> Option<CaseId> {
        let rest = text.trim();
        let rest = rest.get(..3).filter(|p| p.eq_ignore_ascii_case("RD-")).map(|_| &rest[3..])?;
        rest.parse::<i64>().ok().filter(|n| *n > 0).map(CaseId)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_round_trip() {
        assert_eq!(CaseId(42).reference(), "RD-42");
        assert_eq!(CaseId::parse_reference("rd-42"), Some(CaseId(42)));
        assert_eq!(CaseId::parse_reference("RD-x"), None);
        assert_eq!(CaseId::parse_reference("RD-0"), None);
    }
}
