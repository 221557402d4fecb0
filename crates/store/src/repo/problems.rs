//! Problems: systemic issues shared by many cases, with their owner, status,
//! root-cause analysis and permanent solution, their history, and what their
//! linked cases cost — summed in SQL over those cases' rows (`remedies_scaled`
//! and `gifts_scaled`, kept by every write of a case) and their timeline
//! events, never by loading the cases.

use super::*;
use redress_core::case::Status;
use redress_core::problem::{NewProblem, Problem, ProblemContext, ProblemCost, ProblemEvent, ProblemStatus};
use redress_core::store::{LinkedCase, ProblemMutation};
use redress_core::timeline::NewEvent;
use redress_core::user::User;
use redress_core::money::Currency;
use redress_core::{Money, ProblemId};
use serde_json::json;
use std::collections::HashMap;

const RECORD_COLS: &str = "id, title, description, root_cause, permanent_solution, COALESCE(owner_id, created_by), status, created_by, created_at, \
     COALESCE(updated_at, created_at), closed_at, closed_by FROM problems";
type RecordRow = (i64, String, Option<String>, Option<String>, Option<String>, i64, String, i64, i64, i64, Option<i64>, Option<i64>);

fn record_from(r: RecordRow) -> StoreResult<Problem> {
    Ok(Problem {
        id: ProblemId(r.0),
        title: r.1,
        description: r.2,
        root_cause: r.3,
        permanent_solution: r.4,
        owner_id: UserId(r.5),
        status: ProblemStatus::parse(&r.6).ok_or_else(|| StoreError::Backend(format!("problem {} has an unknown status {}", r.0, r.6)))?,
        created_by: UserId(r.7),
        created_at: ts(r.8)?,
        updated_at: ts(r.9)?,
        closed_at: opt_ts(r.10)?,
        closed_by: r.11.map(UserId),
        case_count: 0,
        cost: ProblemCost::default(),
    })
}

/// `p` with its cost, nothing (written in `currency`) when no case is linked.
fn with_cost(mut p: Problem, cost: Option<&ProblemCost>, currency: Currency) -> Problem {
    p.cost = cost.cloned().unwrap_or_else(|| ProblemCost::from_sums(0, 0, 0, 0, 0, currency));
    p.case_count = p.cost.cases;
    p
}

// ---- writes -----------------------------------------------------------------

/// Records a problem and the first entry of its history.
pub(super) async fn insert_problem(c: &mut Conn, p: NewProblem, now: Timestamp) -> StoreResult<Problem> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO problems (title, description, root_cause, permanent_solution, created_by, created_at, owner_id, status, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $6) RETURNING id",
    )
    .bind(&p.title)
    .bind(&p.description)
    .bind(&p.root_cause)
    .bind(&p.permanent_solution)
    .bind(p.created_by.0)
    .bind(micros(now))
    .bind(p.owner_id.0)
    .bind(p.initial_status().as_str())
    .fetch_one(&mut *c)
    .await
    .map_err(db_error)?;
    let event = p.recorded_event(now);
    let problem = p.into_problem(ProblemId(id), now);
    insert_events(c, problem.id, &[event]).await?;
    Ok(problem)
}

/// Loads a problem to change it, locking its row until the transaction ends
/// (on SQLite the single writer already serialises changes).
async fn lock_problem(c: &mut Conn, id: ProblemId) -> StoreResult<Problem> {
    let sql = format!("SELECT {RECORD_COLS} WHERE id = $1{LOCK_FOR_UPDATE}");
    let row: Option<RecordRow> = sqlx::query_as(&sql).bind(id.0).fetch_optional(&mut *c).await.map_err(db_error)?;
    match row {
        Some(r) => record_from(r),
        None => Err(DomainError::not_found(format!("problem {id} does not exist")).into()),
    }
}

async fn save_problem(c: &mut Conn, p: &Problem) -> StoreResult<()> {
    sqlx::query(
        "UPDATE problems SET title = $2, description = $3, root_cause = $4, permanent_solution = $5, owner_id = $6, status = $7, \
         updated_at = $8, closed_at = $9, closed_by = $10 WHERE id = $1",
    )
    .bind(p.id.0)
    .bind(&p.title)
    .bind(&p.description)
    .bind(&p.root_cause)
    .bind(&p.permanent_solution)
    .bind(p.owner_id.0)
    .bind(p.status.as_str())
    .bind(micros(p.updated_at))
    .bind(p.closed_at.map(micros))
    .bind(p.closed_by.map(|u| u.0))
    .execute(&mut *c)
    .await
    .map_err(db_error)?;
    Ok(())
}

/// Appends history entries in one statement.
async fn insert_events(c: &mut Conn, problem: ProblemId, events: &[NewEvent]) -> StoreResult<()> {
    if events.is_empty() {
        return Ok(());
    }
    let sql = format!("INSERT INTO problem_events (problem_id, at, actor_id, kind, summary, detail) VALUES {}", values_list(events.len(), 6));
    let mut q = sqlx::query(&sql);
    for e in events {
        q = q.bind(problem.0).bind(micros(e.at)).bind(e.actor_id.map(|a| a.0)).bind(e.kind).bind(e.summary.clone()).bind(to_json(&e.detail)?);
    }
    q.execute(&mut *c).await.map_err(db_error)?;
    Ok(())
}

/// Appends history entries to a problem that is not otherwise changing, and
/// marks it changed.
async fn note(c: &mut Conn, problem: ProblemId, events: &[NewEvent]) -> StoreResult<()> {
    let Some(last) = events.iter().map(|e| e.at).max() else { return Ok(()) };
    insert_events(c, problem, events).await?;
    sqlx::query("UPDATE problems SET updated_at = $2 WHERE id = $1").bind(problem.0).bind(micros(last)).execute(&mut *c).await.map_err(db_error)?;
    Ok(())
}

pub(super) async fn change_problem(c: &mut Conn, id: ProblemId, extra: Vec<UserId>, change: ProblemMutation) -> StoreResult<Problem> {
    let mut problem = lock_problem(c, id).await?;
    let mut users = HashMap::new();
    for uid in std::iter::once(problem.owner_id).chain(extra) {
        if let std::collections::hash_map::Entry::Vacant(slot) = users.entry(uid) {
            if let Some(u) = super::people::load_user(c, uid).await? {
                slot.insert(u);
            }
        }
    }
    let events = change(&mut problem, &ProblemContext { users })?;
    if !events.is_empty() {
        save_problem(c, &problem).await?;
        insert_events(c, id, &events).await?;
    }
    Ok(problem)
}

/// Links `cases` (each once, in the order given) to problem `id` as `actor`:
/// every case changes through [`Case::link_problem`], and the history gets
/// one entry naming those newly linked. Any refusal undoes it all.
///
/// [`Case::link_problem`]: redress_core::case::Case::link_problem
pub(super) async fn link_cases(c: &mut Conn, id: ProblemId, cases: Vec<CaseId>, actor: User, now: Timestamp) -> StoreResult<Problem> {
    let problem = lock_problem(c, id).await?;
    problem.check_linkable(&actor)?;
    let mut seen = std::collections::HashSet::new();
    let mut linked: Vec<(CaseId, String)> = Vec::new();
    for case_id in cases.into_iter().filter(|c| seen.insert(*c)) {
        let (p, who) = (problem.clone(), actor.clone());
        let done = super::cases::apply_change(c, case_id, vec![problem.owner_id], Box::new(move |case, ctx| case.link_problem(&who, &p, ctx, now))).await?;
        if done.changed {
            linked.push((done.case.id, done.case.reference));
        }
    }
    if !linked.is_empty() {
        let references: Vec<&str> = linked.iter().map(|(_, r)| r.as_str()).collect();
        let summary = format!("{} linked: {}", if linked.len() == 1 { "Case" } else { "Cases" }, references.join(", "));
        let ids: Vec<i64> = linked.iter().map(|(id, _)| id.0).collect();
        note(c, id, &[NewEvent::new(actor.id, now, "cases_linked", summary, json!({ "case_ids": ids }))]).await?;
    }
    lock_problem(c, id).await
}

/// Records a problem and links `cases` to it, as one write.
pub(super) async fn create_with_cases(c: &mut Conn, p: NewProblem, cases: Vec<CaseId>, actor: User, now: Timestamp) -> StoreResult<Problem> {
    let problem = insert_problem(c, p, now).await?;
    if cases.is_empty() {
        return Ok(problem);
    }
    link_cases(c, problem.id, cases, actor, now).await
}

/// Notes in the problems' histories that a case's preventive action moved
/// its link from `before` to `after` (a case changed from its own side).
pub(super) async fn note_link_change(
    c: &mut Conn,
    reference: &str,
    before: Option<ProblemId>,
    after: Option<ProblemId>,
    actor: Option<UserId>,
    now: Timestamp,
) -> StoreResult<()> {
    if before == after {
        return Ok(());
    }
    let event = |kind: &'static str, summary: String, detail: serde_json::Value| NewEvent { actor_id: actor, at: now, kind, summary, detail };
    if let Some(p) = after {
        note(c, p, &[event("case_linked", format!("{reference} linked from its preventive action"), json!({ "case": reference, "from_problem_id": before }))]).await?;
    }
    if let Some(p) = before {
        let summary = match after {
            Some(to) => format!("{reference} moved to problem {to} by its preventive action"),
            None => format!("{reference} unlinked by its preventive action"),
        };
        note(c, p, &[event("case_unlinked", summary, json!({ "case": reference, "to_problem_id": after }))]).await?;
    }
    Ok(())
}

// ---- reads ------------------------------------------------------------------

/// The figures of problem `only`, or of every problem with linked cases,
/// and the currency they are written in.
async fn costs(pool: &Pool, only: Option<ProblemId>) -> StoreResult<(HashMap<ProblemId, ProblemCost>, Currency)> {
    let which = if only.is_some() { "= $1" } else { "IS NOT NULL" };
    let sums = format!(
        "SELECT problem_id, COUNT(*), CAST(SUM(CASE WHEN closed_at IS NULL THEN 1 ELSE 0 END) AS BIGINT), \
         CAST(SUM(remedies_scaled) AS BIGINT), CAST(SUM(gifts_scaled) AS BIGINT) FROM cases WHERE problem_id {which} GROUP BY problem_id"
    );
    // Staff touches: events on the linked cases by any account but a partner's.
    let touches = format!(
        "SELECT c.problem_id, COUNT(*) FROM case_events e JOIN cases c ON c.id = e.case_id JOIN users u ON u.id = e.actor_id \
         WHERE c.problem_id {which} AND u.role <> 'partner' GROUP BY c.problem_id"
    );
    let mut q = sqlx::query_as::<_, (i64, i64, i64, i64, i64)>(&sums);
    let mut t = sqlx::query_as::<_, (i64, i64)>(&touches);
    if let Some(id) = only {
        q = q.bind(id.0);
        t = t.bind(id.0);
    }
    let sums = q.fetch_all(pool).await.map_err(db_error)?;
    let touches: HashMap<i64, i64> = t.fetch_all(pool).await.map_err(db_error)?.into_iter().collect();
    let currency = super::settings::currency(pool).await?;
    let costs = sums
        .into_iter()
        .map(|(p, n, open, remedies, gifts)| (ProblemId(p), ProblemCost::from_sums(n, open, remedies, gifts, touches.get(&p).copied().unwrap_or(0), currency)))
        .collect();
    Ok((costs, currency))
}

pub(super) async fn problem(pool: &Pool, id: ProblemId) -> StoreResult<Option<Problem>> {
    let sql = format!("SELECT {RECORD_COLS} WHERE id = $1");
    let row: Option<RecordRow> = sqlx::query_as(&sql).bind(id.0).fetch_optional(pool).await.map_err(db_error)?;
    let Some(p) = row.map(record_from).transpose()? else { return Ok(None) };
    let (costs, currency) = costs(pool, Some(id)).await?;
    Ok(Some(with_cost(p, costs.get(&id), currency)))
}

pub(super) async fn problems(pool: &Pool, status: Option<ProblemStatus>) -> StoreResult<Vec<Problem>> {
    let rows: Vec<RecordRow> = match status {
        Some(s) => sqlx::query_as(&format!("SELECT {RECORD_COLS} WHERE status = $1 ORDER BY id DESC")).bind(s.as_str()).fetch_all(pool).await,
        None => sqlx::query_as(&format!("SELECT {RECORD_COLS} ORDER BY id DESC")).fetch_all(pool).await,
    }
    .map_err(db_error)?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let (costs, currency) = costs(pool, None).await?;
    rows.into_iter()
        .map(|r| {
            let p = record_from(r)?;
            let cost = costs.get(&p.id);
            Ok(with_cost(p, cost, currency))
        })
        .collect()
}

pub(super) async fn records(pool: &Pool) -> StoreResult<Vec<Problem>> {
    let rows: Vec<RecordRow> = sqlx::query_as(&format!("SELECT {RECORD_COLS} ORDER BY id DESC")).fetch_all(pool).await.map_err(db_error)?;
    rows.into_iter().map(record_from).collect()
}

/// A history entry as stored: id, problem, at, actor, kind, summary, detail.
type EventRow = (i64, i64, i64, Option<i64>, String, String, String);

pub(super) async fn history(pool: &Pool, id: ProblemId) -> StoreResult<Vec<ProblemEvent>> {
    let rows: Vec<EventRow> =
        sqlx::query_as("SELECT id, problem_id, at, actor_id, kind, summary, detail FROM problem_events WHERE problem_id = $1 ORDER BY id")
            .bind(id.0)
            .fetch_all(pool)
            .await
            .map_err(db_error)?;
    rows.into_iter()
        .map(|r| {
            Ok(ProblemEvent { id: r.0, problem_id: ProblemId(r.1), at: ts(r.2)?, actor_id: r.3.map(UserId), kind: r.4, summary: r.5, detail: from_json(&r.6)? })
        })
        .collect()
}

pub(super) async fn linked_cases(pool: &Pool, id: ProblemId, limit: u32) -> StoreResult<Vec<LinkedCase>> {
    let rows: Vec<(i64, String, String, i64, i64, i64)> = sqlx::query_as(
        "SELECT id, summary, status, owner_id, remedies_scaled, gifts_scaled FROM cases WHERE problem_id = $1 ORDER BY id DESC LIMIT $2",
    )
    .bind(id.0)
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await
    .map_err(db_error)?;
    let currency = super::settings::currency(pool).await?;
    rows.into_iter()
        .map(|(case, summary, status, owner, remedies, gifts)| {
            Ok(LinkedCase {
                id: CaseId(case),
                reference: CaseId(case).reference(),
                summary,
                status: Status::parse(&status).ok_or_else(|| StoreError::Backend(format!("case {case} has an unknown status {status}")))?,
                owner_id: UserId(owner),
                remedies: Money::from_scaled(remedies).at(currency.exponent()),
                gifts: Money::from_scaled(gifts).at(currency.exponent()),
            })
        })
        .collect()
}
