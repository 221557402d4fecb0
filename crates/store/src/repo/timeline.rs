//! A case's timeline (append-only events with actor and time) and its
//! communications with the customer: together, the debrief.

use super::*;
use redress_core::case::{Communication, NewCommunication};
use redress_core::timeline::{NewEvent, TimelineEvent};

type EventRow = (i64, i64, i64, Option<i64>, String, String, String);

fn event_from(r: EventRow) -> StoreResult<TimelineEvent> {
    Ok(TimelineEvent {
        id: r.0,
        case_id: CaseId(r.1),
        at: ts(r.2)?,
        actor_id: r.3.map(UserId),
        kind: r.4,
        summary: r.5,
        detail: from_json(&r.6)?,
    })
}

type CommunicationRow = (i64, i64, String, String, String, i64, Option<i64>);

fn communication_from(r: CommunicationRow) -> StoreResult<Communication> {
    Ok(Communication {
        id: r.0,
        case_id: CaseId(r.1),
        direction: parse_name(r.2)?,
        channel: parse_name(r.3)?,
        body: r.4,
        at: ts(r.5)?,
        actor_id: r.6.map(UserId),
    })
}

/// Appends timeline events, each to its case, in one statement; answers
/// whether any webhook subscription is active (read by the same statement,
/// so fan-out need not look when none is).
pub(super) async fn insert_events(c: &mut Conn, events: &[(CaseId, &NewEvent)]) -> StoreResult<bool> {
    if events.is_empty() {
        return Ok(false);
    }
    let sql = format!(
        "INSERT INTO case_events (case_id, at, actor_id, kind, summary, detail) VALUES {} \
         RETURNING EXISTS (SELECT 1 FROM webhooks WHERE active = TRUE)",
        values_list(events.len(), 6)
    );
    let mut q = sqlx::query_scalar::<_, bool>(&sql);
    for (case, e) in events {
        q = q.bind(case.0).bind(micros(e.at)).bind(e.actor_id.map(|a| a.0)).bind(e.kind).bind(e.summary.clone()).bind(to_json(&e.detail)?);
    }
    let hooks = q.fetch_all(&mut *c).await.map_err(db_error)?;
    Ok(hooks.first().copied().unwrap_or(false))
}

pub(super) async fn insert_communication(c: &mut Conn, case: CaseId, m: &NewCommunication) -> StoreResult<()> {
    sqlx::query("INSERT INTO communications (case_id, direction, channel, body, at, actor_id) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(case.0)
        .bind(name_of(&m.direction)?)
        .bind(m.channel.as_str())
        .bind(&m.body)
        .bind(micros(m.at))
        .bind(m.actor_id.map(|a| a.0))
        .execute(&mut *c)
        .await
        .map_err(db_error)?;
    Ok(())
}

// ---- reads ------------------------------------------------------------------

pub(super) async fn events_of(c: &mut Conn, case: CaseId) -> StoreResult<Vec<TimelineEvent>> {
    let rows: Vec<EventRow> = sqlx::query_as("SELECT id, case_id, at, actor_id, kind, summary, detail FROM case_events WHERE case_id = $1 ORDER BY id")
        .bind(case.0)
        .fetch_all(&mut *c)
        .await
        .map_err(db_error)?;
    rows.into_iter().map(event_from).collect()
}

pub(super) async fn communications_of(c: &mut Conn, case: CaseId) -> StoreResult<Vec<Communication>> {
    let rows: Vec<CommunicationRow> =
        sqlx::query_as("SELECT id, case_id, direction, channel, body, at, actor_id FROM communications WHERE case_id = $1 ORDER BY id")
            .bind(case.0)
            .fetch_all(&mut *c)
            .await
            .map_err(db_error)?;
    rows.into_iter().map(communication_from).collect()
}

/// The time of each case's newest timeline event (cases without one left out).
pub(super) async fn last_changes(pool: &Pool, ids: &[CaseId]) -> StoreResult<std::collections::HashMap<CaseId, Timestamp>> {
    let mut ids: Vec<i64> = ids.iter().map(|c| c.0).collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(Default::default());
    }
    let list = (1..=ids.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
    let sql = format!("SELECT case_id, MAX(at) FROM case_events WHERE case_id IN ({list}) GROUP BY case_id");
    let mut q = sqlx::query_as::<_, (i64, i64)>(&sql);
    for id in ids {
        q = q.bind(id);
    }
    q.fetch_all(pool).await.map_err(db_error)?.into_iter().map(|(id, at)| Ok((CaseId(id), ts(at)?))).collect()
}

// ---- erasure ------------------------------------------------------------------

/// Rewrites an event's text (only ever to erase personal data from it).
pub(super) async fn rewrite_event(c: &mut Conn, id: i64, summary: &str, detail: &serde_json::Value) -> StoreResult<()> {
    sqlx::query("UPDATE case_events SET summary = $2, detail = $3 WHERE id = $1")
        .bind(id)
        .bind(summary)
        .bind(to_json(detail)?)
        .execute(&mut *c)
        .await
        .map_err(db_error)?;
    Ok(())
}

/// Erases the bodies of every communication of `case`, in and out; answers how many.
pub(super) async fn erase_communications(c: &mut Conn, case: CaseId, marker: &str) -> StoreResult<u64> {
    let done = sqlx::query("UPDATE communications SET body = $2 WHERE case_id = $1")
        .bind(case.0)
        .bind(marker)
        .execute(&mut *c)
        .await
        .map_err(db_error)?;
    Ok(done.rows_affected())
}
