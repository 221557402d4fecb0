//! Failed guesses, counted in the database so that every process sharing
//! it sees the others': a guessing limit holds across all of them.

use super::*;

/// How many failures `client` made at `limiter` since `since`, and when the
/// oldest of them was.
pub(super) async fn recent<R: Run>(c: &mut R, limiter: &str, client: &str, since: Timestamp) -> StoreResult<(u32, Option<Timestamp>)> {
    static SQL: std::sync::LazyLock<Call> =
        std::sync::LazyLock::new(|| Call::one("SELECT COUNT(*), MIN(at) FROM guess_failures WHERE limiter = $1 AND client = $2 AND at > $3".into()));
    let mut params = Params::with_capacity(3);
    params.add(limiter).add(client).add(micros(since));
    let rows = c.rows(&SQL, params).await?;
    let row = run::first(&rows)?;
    Ok((u32::try_from(row.int(0)?).unwrap_or(u32::MAX), opt_ts(row.opt_int(1)?)?))
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
