//! Private links to a case's status page: only each token's SHA-256 digest
//! is kept; a revoked link stays, marked, so it can never be issued again.

use super::*;

pub(super) async fn insert(c: &mut Conn, case: CaseId, token_digest: &str, now: Timestamp) -> StoreResult<()> {
    insert_many(c, &[(case, token_digest.to_string())], now).await
}

/// Adds links, each to its case, in one statement.
pub(super) async fn insert_many(c: &mut Conn, links: &[(CaseId, String)], now: Timestamp) -> StoreResult<()> {
    if links.is_empty() {
        return Ok(());
    }
    let sql = format!("INSERT INTO status_links (token_sha256, case_id, created_at) VALUES {}", values_list(links.len(), 3));
    let mut q = sqlx::query(&sql);
    for (case, digest) in links {
        q = q.bind(digest.as_str()).bind(case.0).bind(micros(now));
    }
    q.execute(&mut *c).await.map_err(db_error)?;
    Ok(())
}

/// The case a live (unrevoked) link leads to.
pub(super) async fn case_of(pool: &Pool, token_digest: &str) -> StoreResult<Option<CaseId>> {
    let id: Option<i64> = sqlx::query_scalar("SELECT case_id FROM status_links WHERE token_sha256 = $1 AND revoked_at IS NULL")
        .bind(token_digest)
        .fetch_optional(pool)
        .await
        .map_err(db_error)?;
    Ok(id.map(CaseId))
}

/// Revokes every live link of `case`; answers how many there were.
pub(super) async fn revoke_all(c: &mut Conn, case: CaseId, now: Timestamp) -> StoreResult<u64> {
    let done = sqlx::query("UPDATE status_links SET revoked_at = $2 WHERE case_id = $1 AND revoked_at IS NULL")
        .bind(case.0)
        .bind(micros(now))
        .execute(&mut *c)
        .await
        .map_err(db_error)?;
    Ok(done.rows_affected())
}

/// How many live links `case` has.
pub(super) async fn live_count(pool: &Pool, case: CaseId) -> StoreResult<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM status_links WHERE case_id = $1 AND revoked_at IS NULL")
        .bind(case.0)
        .fetch_one(pool)
        .await
        .map_err(db_error)
}
