//! Cases: the row and its full state, the context a change is judged in,
//! the one write path every change takes (`change_case` then
//! `write_outcome`), and the case reads and search.

use super::people::{load_customer, load_user};
use super::insight::{answer_and_loyalty, with_loyalty_read};
use super::settings::{load_area, load_settings};
use super::*;
use redress_core::case::{Case, CaseContext, Outcome, Status};
use redress_core::insight::CaseFacts;
use redress_core::settings::OrgSettings;
use redress_core::store::{CaseDetail, CaseMutation};
use redress_core::terms::Reward;
use std::collections::HashMap;

const CASE_BY_ID: &str = "SELECT id, data FROM cases WHERE id = $1";

pub(super) fn case_from((id, data): (i64, String)) -> StoreResult<Case> {
    let mut case: Case = from_json(&data)?;
    case.assign_id(CaseId(id));
    Ok(case)
}

/// The version of the derived columns this code writes; rows carrying an
/// older one are re-derived when the store opens ([`reproject`]).
pub(super) const PROJECTION: i64 = 3;

/// What the queues select on, and what a problem's cost sums, derived from
/// the case's state.
pub(super) struct Queues {
    pub(super) next_due_at: Option<i64>,
    pub(super) pending_value_scaled: Option<i64>,
    pub(super) pending_proposer_id: Option<i64>,
    pub(super) awaits_follow_up: bool,
    pub(super) remedies_scaled: i64,
    pub(super) gifts_scaled: i64,
}

impl Queues {
    pub(super) fn of(case: &Case) -> Queues {
        let pending = case.pending_action();
        Queues {
            next_due_at: case.next_due().map(|(t, _)| micros(t)),
            pending_value_scaled: pending.map(|a| a.remedy_value.scaled_minor()),
            pending_proposer_id: pending.map(|a| a.proposed_by.0),
            awaits_follow_up: case.awaits_follow_up(),
            remedies_scaled: case.agreed_remedies().scaled_minor(),
            gifts_scaled: case.gift_costs().scaled_minor(),
        }
    }
}

/// Writes the case's projection columns and its full state; `settings`
/// gives the calendar its next target check is reckoned on.
pub(super) async fn save_case(c: &mut Conn, case: &Case, settings: &OrgSettings) -> StoreResult<()> {
    let q = Queues::of(case);
    let cal = settings.calendar();
    let old_facts = super::insight::stored_facts(c, case.id).await?;
    let facts = CaseFacts::of(case, &cal);
    sqlx::query(
        "UPDATE cases SET status = $2, owner_id = $3, problem_id = $4, significant = $5, flagged = $6, summary = $7, \
         description = $8, responded_at = $9, update_due_at = $10, closed_at = $11, transfer_count = $12, \
         reopen_count = $13, data = $14, target_check_at = $15, next_due_at = $16, pending_value_scaled = $17, \
         pending_proposer_id = $18, awaits_follow_up = $19, projection = $20, remedies_scaled = $21, gifts_scaled = $22, category_id = $23, \
         facts = $24 WHERE id = $1",
    )
    .bind(case.id.0)
    .bind(case.status.as_str())
    .bind(case.owner_id.0)
    .bind(case.preventive.as_ref().and_then(|p| p.problem_id).map(|p| p.0))
    .bind(case.significant)
    .bind(case.flagged)
    .bind(&case.summary)
    .bind(&case.description)
    .bind(case.responded_at.map(micros))
    .bind(case.update_due_at.map(micros))
    .bind(case.closed_at.map(micros))
    .bind(case.transfers.len() as i64)
    .bind(i64::from(case.reopen_count))
    .bind(to_json(case)?)
    .bind(case.next_target_check(&cal).map(micros))
    .bind(q.next_due_at)
    .bind(q.pending_value_scaled)
    .bind(q.pending_proposer_id)
    .bind(q.awaits_follow_up)
    .bind(PROJECTION)
    .bind(q.remedies_scaled)
    .bind(q.gifts_scaled)
    .bind(case.category_id.map(|k| k.0))
    .bind(to_json(&facts)?)
    .execute(&mut *c)
    .await
    .map_err(db_error)?;
    super::insight::case_changed(c, case, old_facts, &facts, &cal, None).await
}

/// Re-derives the columns of up to `limit` cases written by older code;
/// answers how many it did (0: none are left).
pub(super) async fn reproject(c: &mut Conn, limit: i64) -> StoreResult<usize> {
    let rows: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, data FROM cases WHERE projection < $1 ORDER BY id LIMIT $2").bind(PROJECTION).bind(limit).fetch_all(&mut *c).await.map_err(db_error)?;
    let settings = load_settings(c).await?;
    let n = rows.len();
    for row in rows {
        save_case(c, &case_from(row)?, &settings).await?;
    }
    Ok(n)
}

/// Inserts a new case. Its `data` is written before the id is known; the id
/// column is authoritative and every load assigns it (`case_from`).
///
/// The case, its opening events and its reward are one round trip
/// ([`in_one_round_trip`]): a network exchange on PostgreSQL; on SQLite
/// statements one after another, function calls on the writer's direct
/// connection (`sqlite::Direct`) or one hand-over to the driver's thread.
pub(super) async fn insert_case<R: Run>(c: &mut R, mut case: Case, mut opening: Outcome, reward: Option<Reward>, settings: &OrgSettings) -> StoreResult<Case> {
    let queues = Queues::of(&case);
    let cal = settings.calendar();
    let facts = CaseFacts::of(&case, &cal);
    // The customer's row is locked for the rest of the transaction (on
    // PostgreSQL), so the loyalty read below sees every other case of theirs
    // committed before it, and none commits between that read and this
    // write's end.
    let insert = format!(
        "INSERT INTO cases (customer_id, channel, status, owner_id, created_by, service_area_id, problem_id, significant, flagged, \
         summary, description, occurred_at, reported_at, created_at, first_response_due_at, responded_at, update_due_at, \
         resolution_due_at, closed_at, transfer_count, reopen_count, data, target_check_at, next_due_at, pending_value_scaled, \
         pending_proposer_id, awaits_follow_up, projection, remedies_scaled, gifts_scaled, category_id, facts) \
         SELECT $1, $2, $3, $4, $5, $6, NULL, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, NULL, 0, 0, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28 \
         FROM customers WHERE id = $1{LOCK_FOR_CHANGE}"
    );
    let mut writes = vec![Write::named("new", "cases", insert)];
    if !opening.events.is_empty() {
        writes.push(Write::then(opening_events(opening.events.len())));
    }
    if reward.is_some() {
        writes.push(Write::then(super::people::reward_for_new(super::people::RewardFor::Case, 1, 29 + 5 * opening.events.len(), 13)));
    }
    let call = with_loyalty_read(in_one_round_trip(&writes, "id, EXISTS (SELECT 1 FROM webhooks WHERE active = TRUE)"), 1);
    let mut params = Params::with_capacity(28 + 5 * opening.events.len() + 2);
    params
        .add(case.customer_id.0)
        .add(case.channel.as_str())
        .add(case.status.as_str())
        .add(case.owner_id.0)
        .add(case.created_by.0)
        .add(case.service_area_id.map(|a| a.0))
        .add(case.significant)
        .add(case.flagged)
        .add(case.summary.as_str())
        .add(case.description.as_str())
        .add(micros(case.occurred_at))
        .add(micros(case.reported_at))
        .add(micros(case.created_at))
        .add(micros(case.first_response_due_at))
        .add(case.responded_at.map(micros))
        .add(case.update_due_at.map(micros))
        .add(micros(case.resolution_due_at))
        .add(to_json(&case)?)
        .add(case.next_target_check(&cal).map(micros))
        .add(queues.next_due_at)
        .add(queues.pending_value_scaled)
        .add(queues.pending_proposer_id)
        .add(queues.awaits_follow_up)
        .add(PROJECTION)
        .add(queues.remedies_scaled)
        .add(queues.gifts_scaled)
        .add(case.category_id.map(|k| k.0))
        .add(to_json(&facts)?);
    for e in &opening.events {
        params.add(micros(e.at)).add(e.actor_id.map(|a| a.0)).add(e.kind).add(e.summary.clone()).add(to_json(&e.detail)?);
    }
    if let Some(r) = &reward {
        params.add(r.points).add(r.reason);
    }
    let rows = c.rows(&call, params).await?;
    let (first, loyalty) = answer_and_loyalty(&rows, 2)?;
    let (id, hooks) = (first.int(0)?, first.flag(1)?);
    case.assign_id(CaseId(id));
    if let Some(ack) = opening.acknowledgement.take() {
        opening.notifications.push(ack.notification(&case));
    }
    if hooks {
        let events: Vec<_> = opening.events.iter().map(|e| (case.id, e)).collect();
        webhooks::fan_out(c, &events, case.created_at).await?;
    }
    write_outcome_beside_events(c, case.id, &opening, case.created_at).await?;
    super::insight::case_changed(c, &case, None, &facts, &cal, loyalty).await?;
    Ok(case)
}

/// The `INSERT` of a new case's `events` opening events, for
/// [`in_one_round_trip`] after the case's (parameters `$1`–`$28`): five
/// parameters each from `$29` (time, actor, kind, summary, detail), written
/// in their order.
fn opening_events(events: usize) -> String {
    let rows: Vec<String> = (0..events)
        .map(|i| {
            let p = 29 + 5 * i;
            format!("({i}, CAST(${p} AS BIGINT), CAST(${} AS BIGINT), CAST(${} AS TEXT), CAST(${} AS TEXT), CAST(${} AS TEXT))", p + 1, p + 2, p + 3, p + 4)
        })
        .collect();
    format!(
        "INSERT INTO case_events (case_id, at, actor_id, kind, summary, detail) \
         SELECT new.id, v.column2, v.column3, v.column4, v.column5, v.column6 FROM {{new}}, (VALUES {}) AS v ORDER BY v.column1",
        rows.join(", ")
    )
}

/// What a change to `case` (or a message about it) needs to know.
async fn case_context(c: &mut Conn, case: &Case, extra: Vec<UserId>) -> StoreResult<CaseContext> {
    let id = case.id;
    let settings = load_settings(c).await?;
    let area = match case.service_area_id {
        Some(a) => load_area(c, a).await?,
        None => None,
    };
    let targets = settings.targets_for(area.as_ref(), case.severity);
    let customer = load_customer(c, case.customer_id)
        .await?
        .ok_or_else(|| StoreError::Backend(format!("case {id} refers to a missing customer")))?;
    let mut users = HashMap::new();
    let owner = load_user(c, case.owner_id).await?;
    let wanted = [owner.as_ref().and_then(|o| o.manager_id), case.preventive.as_ref().map(|p| p.owner_id)].into_iter().flatten().chain(extra);
    if let Some(o) = owner {
        users.insert(o.id, o);
    }
    for uid in wanted {
        if let std::collections::hash_map::Entry::Vacant(slot) = users.entry(uid) {
            if let Some(u) = load_user(c, uid).await? {
                slot.insert(u);
            }
        }
    }
    Ok(CaseContext { settings, targets, customer, users })
}

/// Loads a case to change it, locking its row until the transaction ends
/// (on SQLite the single writer already serialises changes).
pub(super) async fn lock_case(c: &mut Conn, id: CaseId) -> StoreResult<Option<Case>> {
    let sql = format!("{CASE_BY_ID}{LOCK_FOR_UPDATE}");
    let row: Option<(i64, String)> = sqlx::query_as(&sql).bind(id.0).fetch_optional(&mut *c).await.map_err(db_error)?;
    row.map(case_from).transpose()
}

pub(super) async fn change_case(c: &mut Conn, id: CaseId, extra: Vec<UserId>, change: CaseMutation) -> StoreResult<Case> {
    let done = apply_change(c, id, extra, change).await?;
    let after = done.case.preventive.as_ref().and_then(|p| p.problem_id);
    super::problems::note_link_change(c, &done.case.reference, done.problem_before, after, done.actor, done.at).await?;
    Ok(done.case)
}

/// A change to a case, written.
pub(super) struct Changed {
    pub(super) case: Case,
    /// Whether the change wrote any timeline event.
    pub(super) changed: bool,
    /// The problem the case was linked to before the change.
    pub(super) problem_before: Option<redress_core::ProblemId>,
    /// Who made the change (the first event's actor) and when.
    pub(super) actor: Option<UserId>,
    pub(super) at: Timestamp,
}

/// Applies `change` to case `id` and writes the case and what the change
/// causes (a problem it records too), without noting link changes in any
/// problem's history.
pub(super) async fn apply_change(c: &mut Conn, id: CaseId, extra: Vec<UserId>, change: CaseMutation) -> StoreResult<Changed> {
    let Some(mut case) = lock_case(c, id).await? else {
        return Err(DomainError::not_found(format!("case {id} does not exist")).into());
    };
    let problem_before = case.preventive.as_ref().and_then(|p| p.problem_id);
    let ctx = case_context(c, &case, extra).await?;
    let mut outcome = change(&mut case, &ctx)?;
    let at = outcome.events.first().map_or_else(Timestamp::now, |e| e.at);
    if let Some(p) = outcome.new_problem.take() {
        let problem = super::problems::insert_problem(c, p, at).await?;
        if let Some(prevent) = case.preventive.as_mut() {
            prevent.problem_id = Some(problem.id);
        }
    }
    save_case(c, &case, &ctx.settings).await?;
    write_outcome(c, id, &outcome, at).await?;
    let actor = outcome.events.iter().find_map(|e| e.actor_id);
    Ok(Changed { case, changed: !outcome.events.is_empty(), problem_before, actor, at })
}

/// Writes everything a change to case `id` causes: timeline events, the
/// communication, notifications (with their delivery jobs), invitations, a
/// report link and attachments.
pub(super) async fn write_outcome(c: &mut Conn, id: CaseId, outcome: &Outcome, now: Timestamp) -> StoreResult<()> {
    let events: Vec<_> = outcome.events.iter().map(|e| (id, e)).collect();
    if timeline::insert_events(c, &events).await? {
        webhooks::fan_out(c, &events, now).await?;
    }
    write_outcome_beside_events(c, id, outcome, now).await
}

/// What `write_outcome` writes besides the timeline events.
async fn write_outcome_beside_events<R: Run>(c: &mut R, id: CaseId, outcome: &Outcome, now: Timestamp) -> StoreResult<()> {
    if let Some(m) = &outcome.communication {
        timeline::insert_communication(c.driver()?, id, m).await?;
    }
    for n in &outcome.notifications {
        notifications::insert_notification(c, Some(id), n, now).await?;
    }
    if !outcome.invitations.is_empty() {
        let c = c.driver()?;
        let survey = surveys::recovery_survey(c).await?;
        surveys::insert_invitations(c, survey, &outcome.invitations, now).await?;
    }
    if let Some((digest, report)) = &outcome.report_link {
        sqlx::query("INSERT INTO report_links (token_sha256, case_id, report_id) VALUES ($1, $2, $3)")
            .bind(digest)
            .bind(id.0)
            .bind(i64::from(*report))
            .execute(c.driver()?)
            .await
            .map_err(db_error)?;
    }
    if outcome.revoke_status_links {
        status_links::revoke_all(c.driver()?, id, now).await?;
    }
    if let Some(digest) = &outcome.status_link {
        status_links::insert(c.driver()?, id, digest, now).await?;
    }
    for a in &outcome.attachments {
        attachments::insert(c.driver()?, id, a, now).await?;
    }
    Ok(())
}

/// Whether `outcome` writes only what a direct run of the SQLite writer
/// can (see [`Run::driver`]): events, notifications and webhook deliveries.
pub(super) fn writes_directly(outcome: &Outcome) -> bool {
    outcome.communication.is_none()
        && outcome.invitations.is_empty()
        && outcome.report_link.is_none()
        && !outcome.revoke_status_links
        && outcome.status_link.is_none()
        && outcome.attachments.is_empty()
}

// ---- reads ------------------------------------------------------------------

async fn load_case(c: &mut Conn, id: CaseId) -> StoreResult<Option<Case>> {
    let row: Option<(i64, String)> = sqlx::query_as(CASE_BY_ID).bind(id.0).fetch_optional(&mut *c).await.map_err(db_error)?;
    row.map(case_from).transpose()
}

pub(super) async fn case(pool: &Pool, id: CaseId) -> StoreResult<Option<Case>> {
    let row: Option<(i64, String)> = sqlx::query_as(CASE_BY_ID).bind(id.0).fetch_optional(pool).await.map_err(db_error)?;
    row.map(case_from).transpose()
}

pub(super) async fn case_with_context(pool: &Pool, id: CaseId) -> StoreResult<Option<(Case, CaseContext)>> {
    let mut c = pool.acquire().await.map_err(db_error)?;
    let Some(case) = load_case(&mut c, id).await? else { return Ok(None) };
    let ctx = case_context(&mut c, &case, vec![]).await?;
    Ok(Some((case, ctx)))
}

pub(super) async fn case_detail(pool: &Pool, id: CaseId) -> StoreResult<Option<CaseDetail>> {
    let mut c = pool.acquire().await.map_err(db_error)?;
    detail_on(&mut c, id).await
}

pub(super) async fn due_for_target_check(pool: &Pool, now: Timestamp, limit: u32) -> StoreResult<Vec<CaseId>> {
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM cases WHERE target_check_at <= $1 ORDER BY target_check_at LIMIT $2")
        .bind(micros(now))
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await
        .map_err(db_error)?;
    Ok(ids.into_iter().map(CaseId).collect())
}

pub(super) async fn counts_by_status(pool: &Pool) -> StoreResult<Vec<(Status, i64)>> {
    let rows: Vec<(String, i64)> = sqlx::query_as("SELECT status, COUNT(*) FROM cases GROUP BY status").fetch_all(pool).await.map_err(db_error)?;
    Ok(rows.into_iter().filter_map(|(s, n)| Status::parse(&s).map(|s| (s, n))).collect())
}

/// The case and report a private report link shows.
pub(super) async fn report_by_token(pool: &Pool, token_digest: &str) -> StoreResult<Option<(Case, u32)>> {
    let row: Option<(i64, String, i64)> =
        sqlx::query_as("SELECT c.id, c.data, l.report_id FROM report_links l JOIN cases c ON c.id = l.case_id WHERE l.token_sha256 = $1")
            .bind(token_digest)
            .fetch_optional(pool)
            .await
            .map_err(db_error)?;
    row.map(|(id, data, report)| Ok((case_from((id, data))?, report as u32))).transpose()
}

// ---- a customer's cases ------------------------------------------------------------

/// The ids of `customer`'s cases, oldest first.
pub(super) async fn ids_of_customer(c: &mut Conn, customer: CustomerId) -> StoreResult<Vec<CaseId>> {
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM cases WHERE customer_id = $1 ORDER BY id").bind(customer.0).fetch_all(&mut *c).await.map_err(db_error)?;
    Ok(ids.into_iter().map(CaseId).collect())
}

/// Removes the private links to `case`'s formal action reports: the page
/// they lead to is gone.
pub(super) async fn remove_report_links(c: &mut Conn, case: CaseId) -> StoreResult<u64> {
    let done = sqlx::query("DELETE FROM report_links WHERE case_id = $1").bind(case.0).execute(&mut *c).await.map_err(db_error)?;
    Ok(done.rows_affected())
}

/// A case with its debrief, read on `c`.
pub(super) async fn detail_on(c: &mut Conn, id: CaseId) -> StoreResult<Option<CaseDetail>> {
    let Some(case) = load_case(c, id).await? else { return Ok(None) };
    let timeline = timeline::events_of(c, id).await?;
    let communications = timeline::communications_of(c, id).await?;
    Ok(Some(CaseDetail { case, timeline, communications }))
}
