//! The benchmark's bulk path (`redress bench --workload insight`): many
//! customers, cases and answered survey invitations in multi-row INSERTs,
//! each call one transaction. The rows are the ones the ordinary write path
//! stores — the case's projection columns derived by the same code
//! ([`Queues`](super::cases)), its full state as `data`, the id assigned on
//! load — without the per-row work a benchmark does not measure (timeline
//! events, notifications, rollup deltas: the caller rebuilds the rollups
//! afterwards with `Store::rebuild_rollups`).

use super::cases::{Queues, PROJECTION};
use super::*;
use crate::bench::{BulkCustomer, BulkResponse};
use redress_core::case::Case;
use redress_core::settings::OrgSettings;
use redress_core::survey::Receipt;
use redress_core::ResponseId;

/// Rows per statement: small enough that one prepared statement of each
/// shape is reused from the driver's cache for every full chunk (a
/// statement of thousands of parameters costs more to prepare and bind
/// than its rows take to write).
const CASE_ROWS: usize = 100;
const ROWS: usize = 200;

async fn begin(c: &mut Conn) -> StoreResult<()> {
    sqlx::raw_sql(BEGIN_WRITE).execute(&mut *c).await.map_err(db_error)?;
    Ok(())
}

async fn commit(c: &mut Conn) -> StoreResult<()> {
    sqlx::raw_sql("COMMIT").execute(&mut *c).await.map_err(db_error)?;
    Ok(())
}

/// Inserts customers in one transaction; answers their ids, in order.
pub(crate) async fn customers(c: &mut Conn, rows: &[BulkCustomer], now: Timestamp) -> StoreResult<Vec<CustomerId>> {
    begin(c).await?;
    let mut ids = Vec::with_capacity(rows.len());
    for chunk in rows.chunks(ROWS) {
        let sql = format!("INSERT INTO customers (name, email, phone, timezone, client_manager_id, created_at, language) VALUES {} RETURNING id", values_list(chunk.len(), 7));
        let mut q = sqlx::query_scalar::<_, i64>(&sql);
        for r in chunk {
            q = q.bind(&r.name).bind(&r.email).bind(None::<String>).bind(&r.timezone).bind(r.client_manager_id.map(|u| u.0)).bind(micros(now)).bind(None::<String>);
        }
        ids.extend(q.fetch_all(&mut *c).await.map_err(db_error)?.into_iter().map(CustomerId));
    }
    commit(c).await?;
    Ok(ids)
}

/// Inserts cases (their `id` and `reference` unset, as `insert_case`
/// writes them) in one transaction; answers their ids, in order.
pub(crate) async fn cases(c: &mut Conn, rows: &[Case], settings: &OrgSettings) -> StoreResult<Vec<CaseId>> {
    let cal = settings.calendar();
    begin(c).await?;
    let mut ids = Vec::with_capacity(rows.len());
    for chunk in rows.chunks(CASE_ROWS) {
        let sql = format!(
            "INSERT INTO cases (customer_id, channel, status, owner_id, created_by, service_area_id, significant, flagged, \
             summary, description, occurred_at, reported_at, created_at, first_response_due_at, responded_at, update_due_at, \
             resolution_due_at, closed_at, transfer_count, reopen_count, data, target_check_at, next_due_at, pending_value_scaled, \
             pending_proposer_id, awaits_follow_up, projection, remedies_scaled, gifts_scaled, category_id, problem_id) VALUES {} RETURNING id",
            values_list(chunk.len(), 31)
        );
        let mut q = sqlx::query_scalar::<_, i64>(&sql);
        for case in chunk {
            let queues = Queues::of(case);
            q = q
                .bind(case.customer_id.0)
                .bind(case.channel.as_str())
                .bind(case.status.as_str())
                .bind(case.owner_id.0)
                .bind(case.created_by.0)
                .bind(case.service_area_id.map(|a| a.0))
                .bind(case.significant)
                .bind(case.flagged)
                .bind(&case.summary)
                .bind(&case.description)
                .bind(micros(case.occurred_at))
                .bind(micros(case.reported_at))
                .bind(micros(case.created_at))
                .bind(micros(case.first_response_due_at))
                .bind(case.responded_at.map(micros))
                .bind(case.update_due_at.map(micros))
                .bind(micros(case.resolution_due_at))
                .bind(case.closed_at.map(micros))
                .bind(case.transfers.len() as i64)
                .bind(i64::from(case.reopen_count))
                .bind(to_json(case)?)
                .bind(case.next_target_check(&cal).map(micros))
                .bind(queues.next_due_at)
                .bind(queues.pending_value_scaled)
                .bind(queues.pending_proposer_id)
                .bind(queues.awaits_follow_up)
                .bind(PROJECTION)
                .bind(queues.remedies_scaled)
                .bind(queues.gifts_scaled)
                .bind(case.category_id.map(|k| k.0))
                .bind(case.preventive.as_ref().and_then(|p| p.problem_id).map(|p| p.0));
        }
        ids.extend(q.fetch_all(&mut *c).await.map_err(db_error)?.into_iter().map(CaseId));
    }
    commit(c).await?;
    Ok(ids)
}

/// Inserts answered invitations and their responses in one transaction.
/// Each response's receipt names its id, so ids are assigned here (the
/// next after the largest) rather than by the database.
pub(crate) async fn responses(c: &mut Conn, rows: &[BulkResponse]) -> StoreResult<()> {
    begin(c).await?;
    let mut next: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM responses").fetch_one(&mut *c).await.map_err(db_error)?;
    for chunk in rows.chunks(ROWS) {
        let sql = format!(
            "INSERT INTO invitations (survey_id, customer_id, code_sha256, expires_at, used_at, case_id, created_at) VALUES {} RETURNING id",
            values_list(chunk.len(), 7)
        );
        let mut q = sqlx::query_scalar::<_, i64>(&sql);
        for r in chunk {
            q = q
                .bind(r.survey_id.0)
                .bind(r.customer_id.0)
                .bind(&r.code_digest)
                .bind(micros(r.invited_at + jiff::SignedDuration::from_hours(24 * 30)))
                .bind(micros(r.created_at))
                .bind(None::<i64>)
                .bind(micros(r.invited_at));
        }
        let invitations = q.fetch_all(&mut *c).await.map_err(db_error)?;
        let sql = format!(
            "INSERT INTO responses (id, survey_id, invitation_id, customer_id, answers, lowest_rating, nps, idempotency_key, receipt, created_at) VALUES {}",
            values_list(chunk.len(), 10)
        );
        let mut q = sqlx::query(&sql);
        for (r, invitation) in chunk.iter().zip(invitations) {
            next += 1;
            let receipt = Receipt { response_id: ResponseId(next), thank_you: r.thank_you.clone(), next: r.next.clone(), reward_points: r.reward_points };
            q = q
                .bind(next)
                .bind(r.survey_id.0)
                .bind(invitation)
                .bind(r.customer_id.0)
                .bind(to_json(&r.answers)?)
                .bind(r.lowest_rating.map(i64::from))
                .bind(r.nps.map(i64::from))
                .bind(None::<String>)
                .bind(to_json(&receipt)?)
                .bind(micros(r.created_at));
        }
        q.execute(&mut *c).await.map_err(db_error)?;
    }
    if <Db as sqlx::Database>::NAME == "PostgreSQL" {
        // Ids were given explicitly: the identity continues after them.
        sqlx::query("SELECT setval(pg_get_serial_sequence('responses', 'id'), (SELECT MAX(id) FROM responses))").execute(&mut *c).await.map_err(db_error)?;
    }
    commit(c).await
}
