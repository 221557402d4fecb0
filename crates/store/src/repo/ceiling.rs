//! The storage ceiling of `redress bench`: the rows a write path stores,
//! written by the repository's own statements — the very functions the
//! write path calls, on the connection it runs them on (on SQLite the
//! writer's direct one) — in transactions of the group-commit size, without
//! what surrounds them in a request (HTTP, the reads that decide the
//! write, the writer's queue). What the bench
//! compares a write path's rate with.

use super::cases::insert_case;
use super::people::{load_customer, load_user};
use super::settings::load_settings;
use super::surveys::{load_invitation, record, response_context};
use super::*;
use crate::bench::{CeilingWrites, Prepared};
use redress_core::case::{Case, NewCase, Outcome};
use std::collections::HashMap;

/// Opens each case as the API would for `recorder` (the owner too), with
/// its fast-report reward; reads, untimed.
pub(crate) async fn prepare_cases(c: &mut Conn, cases: Vec<(NewCase, CustomerId)>, recorder: UserId, now: Timestamp) -> StoreResult<CeilingWrites> {
    let settings = load_settings(c).await?;
    let user = load_user(c, recorder).await?.ok_or_else(|| DomainError::not_found(format!("user {recorder} does not exist")))?;
    let mut customers = HashMap::new();
    let mut items = Vec::with_capacity(cases.len());
    for (input, customer_id) in cases {
        if let std::collections::hash_map::Entry::Vacant(slot) = customers.entry(customer_id) {
            let found = load_customer(c, customer_id).await?.ok_or_else(|| DomainError::not_found(format!("customer {customer_id} does not exist")))?;
            slot.insert(found);
        }
        let targets = settings.targets_for(None, input.severity);
        let (case, events) = Case::open(input, &customers[&customer_id], &user, &user, &settings, targets, now)?;
        let reward = settings.fast_report_reward(case.identification_lag());
        items.push(Prepared::Case(Box::new((case, Outcome { events, ..Default::default() }, reward))));
    }
    Ok(CeilingWrites { settings, items })
}

/// Judges each answer against its invitation (by code digest) as a
/// submission would; reads, untimed.
pub(crate) async fn prepare_responses(c: &mut Conn, answers: Vec<(String, serde_json::Map<String, serde_json::Value>)>, now: Timestamp) -> StoreResult<CeilingWrites> {
    let settings = load_settings(c).await?;
    let mut items = Vec::with_capacity(answers.len());
    for (digest, raw) in answers {
        let invitation = load_invitation(c, &digest, false).await?.ok_or(DomainError::AccessRefused)?;
        let ctx = response_context(c, invitation.clone()).await?;
        let plan = redress_core::feedback::respond(&ctx, &raw, None, now)?;
        items.push(Prepared::Response(Box::new((invitation, ctx.survey, plan))));
    }
    Ok(CeilingWrites { settings, items })
}

/// Writes prepared writes, `batch` to a transaction (one commit, so one
/// fsync, each); answers how many were written.
#[allow(dead_code)] // in the SQLite build: PostgreSQL's ceiling is the batch writer's (`batch::write_ceiling`)
pub(crate) async fn write<R: Run>(c: &mut R, writes: CeilingWrites, batch: usize) -> StoreResult<usize> {
    let (settings, n) = (writes.settings, writes.items.len());
    let mut items = writes.items.into_iter().peekable();
    while items.peek().is_some() {
        c.execute(BEGIN_WRITE, Params::default()).await?;
        for item in items.by_ref().take(batch) {
            match item {
                Prepared::Case(case) => {
                    let (case, opening, reward) = *case;
                    insert_case(c, case, opening, reward, &settings).await?;
                }
                Prepared::Response(response) => {
                    let (invitation, survey, plan) = *response;
                    record(c, invitation, None, plan, &survey, &settings).await?;
                }
            }
        }
        super::insight::append_merged(c).await?;
        c.execute("COMMIT", Params::default()).await?;
    }
    Ok(n)
}
