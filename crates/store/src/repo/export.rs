//! The CSV export's reads: cases by `reported_at` and responses by
//! `created_at` within a period, in keyset pages by id, and how many there
//! are (for a progress bar). Indexed by `0013_export_indexes.sql`.

use super::cases::case_from;
use super::surveys::{response_from, ResponseRow, RESPONSE_COLS};
use super::*;
use redress_core::case::Case;
use redress_core::store::TimeRange;
use redress_core::survey::Response;
use redress_core::ResponseId;

/// The period as bind values: open ends become the widest bounds, so one
/// statement (and one plan) serves every period.
fn bounds(range: TimeRange) -> (i64, i64) {
    (range.from.map_or(i64::MIN, micros), range.to.map_or(i64::MAX, micros))
}

pub(super) async fn cases_page(pool: &Pool, range: TimeRange, after: Option<CaseId>, limit: u32) -> StoreResult<Vec<Case>> {
    let (from, to) = bounds(range);
    let rows: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, data FROM cases WHERE id > $1 AND reported_at >= $2 AND reported_at < $3 ORDER BY id LIMIT $4")
            .bind(after.map_or(0, |a| a.0))
            .bind(from)
            .bind(to)
            .bind(i64::from(limit.max(1)))
            .fetch_all(pool)
            .await
            .map_err(db_error)?;
    rows.into_iter().map(case_from).collect()
}

pub(super) async fn count_cases(pool: &Pool, range: TimeRange) -> StoreResult<i64> {
    let (from, to) = bounds(range);
    sqlx::query_scalar("SELECT COUNT(*) FROM cases WHERE reported_at >= $1 AND reported_at < $2").bind(from).bind(to).fetch_one(pool).await.map_err(db_error)
}

pub(super) async fn responses_page(pool: &Pool, range: TimeRange, after: Option<ResponseId>, limit: u32) -> StoreResult<Vec<Response>> {
    let (from, to) = bounds(range);
    let sql = format!("SELECT {RESPONSE_COLS} FROM responses WHERE id > $1 AND created_at >= $2 AND created_at < $3 ORDER BY id LIMIT $4");
    let rows: Vec<ResponseRow> = sqlx::query_as(&sql)
        .bind(after.map_or(0, |a| a.0))
        .bind(from)
        .bind(to)
        .bind(i64::from(limit.max(1)))
        .fetch_all(pool)
        .await
        .map_err(db_error)?;
    rows.into_iter().map(response_from).collect()
}

pub(super) async fn count_responses(pool: &Pool, range: TimeRange) -> StoreResult<i64> {
    let (from, to) = bounds(range);
    sqlx::query_scalar("SELECT COUNT(*) FROM responses WHERE created_at >= $1 AND created_at < $2").bind(from).bind(to).fetch_one(pool).await.map_err(db_error)
}
