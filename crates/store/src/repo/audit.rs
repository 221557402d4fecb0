//! The audit trail: appended to, read newest first, never changed (the
//! table's triggers refuse updates and deletes).

use super::*;
use redress_core::audit::{AuditEntry, NewAuditEntry};

pub(super) async fn record(c: &mut Conn, e: &NewAuditEntry) -> StoreResult<()> {
    let json = |v: &Option<serde_json::Value>| v.as_ref().map(to_json).transpose();
    sqlx::query("INSERT INTO audit_log (at, actor_id, action, subject, before, after) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(micros(e.at))
        .bind(e.actor_id.map(|u| u.0))
        .bind(e.action)
        .bind(&e.subject)
        .bind(json(&e.before)?)
        .bind(json(&e.after)?)
        .execute(&mut *c)
        .await
        .map_err(db_error)?;
    Ok(())
}

/// An entry as stored: id, time, actor, action, subject, before, after.
type Stored = (i64, i64, Option<i64>, String, String, Option<String>, Option<String>);

pub(super) async fn list(pool: &Pool, before: Option<i64>, limit: u32) -> StoreResult<Vec<AuditEntry>> {
    let rows: Vec<Stored> =
        sqlx::query_as("SELECT id, at, actor_id, action, subject, before, after FROM audit_log WHERE id < $1 ORDER BY id DESC LIMIT $2")
            .bind(before.unwrap_or(i64::MAX))
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await
            .map_err(db_error)?;
    rows.into_iter()
        .map(|(id, at, actor, action, subject, before, after)| {
            let json = |v: Option<String>| v.map(|v| from_json(&v)).transpose();
            Ok(AuditEntry { id, at: ts(at)?, actor_id: actor.map(UserId), action, subject, before: json(before)?, after: json(after)? })
        })
        .collect()
}
