//! Failed guesses, counted in the database so that every process sharing
//! it sees the others': a guessing limit holds across all of them.

use super::*;

/// How many failures `client` made at `limiter` since `since`, and when the
/// oldest of them was.
pub(super) async fn recent(pool: &Pool, limiter: &str, client: &str, since: Timestamp) -> StoreResult<(u32, Option<Timestamp>)> {
    let (n, oldest): (i64, Option<i64>) = sqlx::query_as("SELECT COUNT(*), MIN(at) FROM guess_failures WHERE limiter = $1 AND client = $2 AND at > $3")
        .bind(limiter)
        .bind(client)
        .bind(micros(since))
        .fetch_one(pool)
        .await
        .map_err(db_error)?;
    Ok((n as u32, opt_ts(oldest)?))
}

/// Records a failure, and forgets every failure before `forget_before`.
pub(super) async fn record(c: &mut Conn, limiter: &str, client: &str, at: Timestamp, forget_before: Timestamp) -> StoreResult<()> {
    sqlx::query("DELETE FROM guess_failures WHERE at <= $1").bind(micros(forget_before)).execute(&mut *c).await.map_err(db_error)?;
    sqlx::query("INSERT INTO guess_failures (limiter, client, at) VALUES ($1, $2, $3)")
        .bind(limiter)
        .bind(client)
        .bind(micros(at))
        .execute(&mut *c)
        .await
        .map_err(db_error)?;
    Ok(())
}
