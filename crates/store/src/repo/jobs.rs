//! Durable jobs: enqueued in the writing transaction, claimed with a lease
//! (`SKIP LOCKED` on PostgreSQL), finished with retry, backoff or a dead
//! letter; a notification's delivery outcome lands on its case's timeline.

use super::*;
use redress_core::jobs::{Job, JobOutcome, JobRecord, JobStatus};
use redress_core::store::{Attempted, DeliveryUpdate, FinishedJob, NotificationUpdate};
use redress_core::timeline::NewEvent;

/// Adds a job in the caller's transaction.
pub(super) async fn enqueue<R: Run>(c: &mut R, kind: &str, payload: &serde_json::Value, run_at: Timestamp, now: Timestamp) -> StoreResult<()> {
    let mut params = Params::with_capacity(4);
    params.add(kind).add(to_json(payload)?).add(micros(run_at)).add(micros(now));
    c.execute("INSERT INTO jobs (kind, payload, run_at, status, created_at, updated_at) VALUES ($1, $2, $3, 'pending', $4, $4)", params).await?;
    crate::note_enqueued();
    Ok(())
}

/// When the next job is due: the earliest pending one, or the earliest
/// lease to run out.
pub(super) async fn next_at(pool: &Pool, kind: &str) -> StoreResult<Option<Timestamp>> {
    let at: Option<i64> = sqlx::query_scalar(
        "SELECT MIN(t) FROM (SELECT MIN(run_at) AS t FROM jobs WHERE status = 'pending' AND kind = $1 \
         UNION ALL SELECT MIN(locked_until) AS t FROM jobs WHERE status = 'running' AND kind = $1) AS due",
    )
    .bind(kind)
    .fetch_one(pool)
    .await
    .map_err(db_error)?;
    opt_ts(at)
}

/// Leases due jobs (and ones whose lease ran out: their process died).
pub(super) async fn claim(c: &mut Conn, kind: &str, now: Timestamp, lease: jiff::SignedDuration, limit: u32) -> StoreResult<Vec<Job>> {
    let sql = format!(
        "UPDATE jobs SET status = 'running', locked_until = $1, attempts = attempts + 1, updated_at = $2 \
         WHERE id IN (SELECT id FROM jobs WHERE kind = $4 AND ((status = 'pending' AND run_at <= $2) OR (status = 'running' AND locked_until < $2)) \
         ORDER BY run_at LIMIT $3{SKIP_LOCKED}) RETURNING id, kind, payload, attempts"
    );
    let rows: Vec<(i64, String, String, i64)> = sqlx::query_as(&sql)
        .bind(micros(now + lease))
        .bind(micros(now))
        .bind(i64::from(limit))
        .bind(kind)
        .fetch_all(&mut *c)
        .await
        .map_err(db_error)?;
    rows.into_iter().map(|(id, kind, payload, attempts)| Ok(Job { id, kind, payload: from_json(&payload)?, attempts: attempts as u32 })).collect()
}

/// Records attempts: each job's outcome, each message's or webhook
/// delivery's new state, and the timeline entry of each message that reached
/// its final state (which fans out to webhook subscribers like every
/// event). A few statements for the lot, however many there are.
pub(super) async fn finish_all(c: &mut Conn, finished: &[FinishedJob]) -> StoreResult<()> {
    for chunk in finished.chunks(FINISHED_PER_STATEMENT) {
        update_jobs(c, chunk).await?;
        let messages: Vec<(&NotificationUpdate, Timestamp)> =
            chunk.iter().filter_map(|f| if let Attempted::Notification(n) = &f.attempted { Some((n, f.at)) } else { None }).collect();
        let hooks: Vec<&DeliveryUpdate> = chunk.iter().filter_map(|f| if let Attempted::Webhook(d) = &f.attempted { Some(d) } else { None }).collect();
        update_notifications(c, &messages).await?;
        update_deliveries(c, &hooks).await?;
        let events: Vec<(CaseId, NewEvent)> = messages.iter().filter_map(|(n, at)| Some((n.case_id?, delivery_event(n, *at)?))).collect();
        let events: Vec<(CaseId, &NewEvent)> = events.iter().map(|(case, e)| (*case, e)).collect();
        if super::timeline::insert_events(c, &events).await? {
            // The newest attempt's time stands for the batch's.
            let now = chunk.iter().map(|f| f.at).max().unwrap_or_else(Timestamp::now);
            super::webhooks::fan_out(c, &events, now).await?;
        }
    }
    Ok(())
}

/// Rows a statement of [`finish_all`] changes at most (its parameters
/// stay well inside either database's limit).
const FINISHED_PER_STATEMENT: usize = 256;

async fn update_jobs(c: &mut Conn, finished: &[FinishedJob]) -> StoreResult<()> {
    let set = "status = v.column2, run_at = COALESCE(v.column3, jobs.run_at), last_error = v.column4, locked_until = NULL, updated_at = v.column5";
    update_rows(c, "jobs", set, finished, |q, f| {
        let (status, run_at, error) = match &f.outcome {
            JobOutcome::Done => (JobStatus::Done, None, None),
            JobOutcome::Retry { at, error } => (JobStatus::Pending, Some(micros(*at)), Some(error.clone())),
            JobOutcome::Dead { error } => (JobStatus::Dead, None, Some(error.clone())),
        };
        q.bind(f.job).bind(status.as_str()).bind(run_at).bind(error).bind(micros(f.at))
    })
    .await
}

async fn update_notifications(c: &mut Conn, messages: &[(&NotificationUpdate, Timestamp)]) -> StoreResult<()> {
    let set = "status = v.column2, sent_at = v.column3, last_error = v.column4, attempts = attempts + 1, body = COALESCE(v.column5, notifications.body)";
    update_rows(c, "notifications", set, messages, |q, (n, _)| {
        q.bind(n.id.0).bind(n.status.as_str()).bind(n.sent_at.map(micros)).bind(n.error.clone()).bind(n.body.clone())
    })
    .await
}

async fn update_deliveries(c: &mut Conn, deliveries: &[&DeliveryUpdate]) -> StoreResult<()> {
    let set = "status = v.column2, attempts = attempts + 1, last_status = v.column3, last_error = v.column4, delivered_at = v.column5";
    update_rows(c, "webhook_deliveries", set, deliveries, |q, d| {
        q.bind(d.id).bind(d.status).bind(d.http_status.map(i64::from)).bind(d.error.clone()).bind(d.delivered_at.map(micros))
    })
    .await
}

type Query<'q> = sqlx::query::Query<'q, Db, <Db as sqlx::Database>::Arguments<'q>>;

/// Updates rows of `table` in one statement: `bind` gives each five values,
/// its id first, and `set` assigns columns from `v.column2` … `v.column5`.
async fn update_rows<T>(c: &mut Conn, table: &str, set: &str, rows: &[T], bind: impl for<'q> Fn(Query<'q>, &T) -> Query<'q>) -> StoreResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let sql = format!("UPDATE {table} SET {set} FROM (VALUES {}) AS v WHERE {table}.id = v.column1", values_list(rows.len(), 5));
    rows.iter().fold(sqlx::query(&sql), bind).execute(&mut *c).await.map_err(db_error)?;
    Ok(())
}

/// The timeline entry for a message's final state: every communication is
/// on the debrief. A retry still pending records nothing.
fn delivery_event(n: &NotificationUpdate, now: Timestamp) -> Option<NewEvent> {
    use redress_core::notification::NotificationStatus as S;
    let what = n.kind.as_str().replace('_', " ");
    let to = n.address.as_deref().unwrap_or("the recipient");
    let (kind, summary) = match n.status {
        S::Sent => ("message_sent", format!("Sent the {what} to {to}")),
        S::NotSent => ("message_not_sent", format!("The {what} was not sent: {}", n.error.as_deref().unwrap_or("no reason given"))),
        S::Failed => ("message_failed", format!("The {what} to {to} failed: {}", n.error.as_deref().unwrap_or("no reason given"))),
        S::Cancelled => ("message_cancelled", format!("The {what} was cancelled: {}", n.error.as_deref().unwrap_or("no reason given"))),
        S::Pending => return None,
    };
    Some(NewEvent::system(now, kind, summary, serde_json::json!({ "notification_id": n.id, "kind": n.kind, "status": n.status })))
}

type JobRow = (i64, String, String, String, i64, i64, Option<String>);

pub(super) async fn list(pool: &sqlx::Pool<Db>, status: Option<JobStatus>, limit: u32) -> StoreResult<Vec<JobRecord>> {
    let rows: Vec<JobRow> = sqlx::query_as(
        "SELECT id, kind, payload, status, attempts, run_at, last_error FROM jobs WHERE ($1 IS NULL OR status = $1) ORDER BY id DESC LIMIT $2",
    )
    .bind(status.map(JobStatus::as_str))
    .bind(i64::from(limit.max(1)))
    .fetch_all(pool)
    .await
    .map_err(db_error)?;
    rows.into_iter()
        .map(|r| {
            Ok(JobRecord {
                id: r.0,
                kind: r.1,
                payload: from_json(&r.2)?,
                status: JobStatus::parse(&r.3).ok_or_else(|| StoreError::Backend(format!("unknown job status {}", r.3)))?,
                attempts: r.4 as u32,
                run_at: ts(r.5)?,
                last_error: r.6,
            })
        })
        .collect()
}

/// Ends the delivery jobs of a message that must not go out (pending, or
/// leased by a worker: it finds the message no longer pending), recording why.
pub(super) async fn end_deliveries(c: &mut Conn, notification: redress_core::NotificationId, why: &str, now: Timestamp) -> StoreResult<u64> {
    let done = sqlx::query(
        "UPDATE jobs SET status = 'done', last_error = $3, locked_until = NULL, updated_at = $4 \
         WHERE kind = $1 AND payload = $2 AND status IN ('pending', 'running')",
    )
    .bind(redress_core::jobs::DELIVER_NOTIFICATION)
    .bind(to_json(&serde_json::json!({ "notification_id": notification.0 }))?)
    .bind(why)
    .bind(micros(now))
    .execute(&mut *c)
    .await
    .map_err(db_error)?;
    Ok(done.rows_affected())
}
