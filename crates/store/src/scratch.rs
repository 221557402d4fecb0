//! Throwaway PostgreSQL databases for tests and benchmarks: each run gets a
//! fresh, empty database on a server it is given.

use sqlx::{ConnectOptions, Connection};
use std::str::FromStr;

/// Creates database `name` on the server at `server_url` and returns its URL.
pub async fn create_postgres_database(server_url: &str, name: &str) -> Result<String, sqlx::Error> {
    let opts = sqlx::postgres::PgConnectOptions::from_str(server_url)?;
    let mut conn = opts.connect().await?;
    sqlx::query(&format!("CREATE DATABASE \"{name}\"")).execute(&mut conn).await?;
    conn.close().await?;
    let mut url = url_without_database(server_url);
    url.push('/');
    url.push_str(name);
    Ok(url)
}

/// Drops database `name` (and any connection still using it).
pub async fn drop_postgres_database(server_url: &str, name: &str) -> Result<(), sqlx::Error> {
    let opts = sqlx::postgres::PgConnectOptions::from_str(server_url)?;
    let mut conn = opts.connect().await?;
    sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).execute(&mut conn).await?;
    conn.close().await
}

/// `postgres://user@host:port/db?x` → `postgres://user@host:port`.
fn url_without_database(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("postgres", url));
    let rest = rest.split(['?', '#']).next().unwrap_or(rest);
    let authority = rest.split('/').next().unwrap_or(rest);
    format!("{scheme}://{authority}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn strips_database() {
        assert_eq!(super::url_without_database("postgres://postgres@127.0.0.1:5432/postgres"), "postgres://postgres@127.0.0.1:5432");
        assert_eq!(super::url_without_database("postgresql://u:p@h/db?sslmode=disable"), "postgresql://u:p@h");
    }
}
