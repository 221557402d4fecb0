//! The Redress domain: everything the closed loop means, as plain Rust with no I/O.
//!
//! Storage and HTTP depend on this crate, never the other way round. The
//! concepts a reader looks for live under their own names: [`case`] (the loop's
//! state machine and its guards), [`authorisation`] (who may do what to a
//! case: role × action × relation), [`mandate`] (who may agree how much),
//! [`calendar`] (business hours, holidays and due times), [`clock`] (injected
//! time), [`money`] (minor units), [`store`] (the persistence contract),
//! [`insight`] (the dashboard's figures, from mergeable per-day rollups),
//! [`export`] (cases and responses as CSV rows).
#![forbid(unsafe_code)]

pub mod access_code;
pub mod audit;
pub mod authorisation;
pub mod calendar;
pub mod case;
pub mod category;
pub mod clock;
pub mod customer;
pub mod error;
pub mod export;
pub mod feedback;
pub mod ids;
pub mod insight;
pub mod jobs;
pub mod mandate;
pub mod mail;
pub mod money;
pub mod notification;
pub mod privacy;
pub mod problem;
pub mod rules;
pub mod service_area;
pub mod settings;
pub mod store;
pub mod terms;
pub mod survey;
pub mod timeline;
pub mod user;
pub mod webhook;

pub use error::DomainError;
pub use ids::*;
pub use money::Money;
pub use redress_i18n::Lang;
