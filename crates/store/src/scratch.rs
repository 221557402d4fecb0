//! Throwaway PostgreSQL databases for tests and benchmarks: each run gets a
//! fresh, empty database on a server it is given.

use crate::Backend;
use sqlx::{ConnectOptions, Connection};
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};

/// The PostgreSQL server tests use: `REDRESS_TEST_POSTGRES`, else the local default.
pub fn test_postgres_server() -> String {
    std::env::var("REDRESS_TEST_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A fresh, empty database: a file in a temporary folder (removed on drop)
/// for SQLite, a new database on `postgres_server` for PostgreSQL.
pub struct ScratchDatabase {
    pub url: String,
    _dir: tempfile::TempDir,
}

impl ScratchDatabase {
    pub async fn create(backend: Backend, postgres_server: &str) -> Result<ScratchDatabase, String> {
        let dir = tempfile::tempdir().map_err(|e| format!("cannot make a temporary folder: {e}"))?;
        let url = match backend {
            Backend::Sqlite => format!("sqlite://{}", dir.path().join("redress.db").display()),
            Backend::Postgres => create_postgres_database(postgres_server, &unique_name())
                .await
                .map_err(|e| format!("cannot create a scratch database on {postgres_server}: {e}"))?,
        };
        Ok(ScratchDatabase { url, _dir: dir })
    }

    /// The database's name on its PostgreSQL server.
    pub fn postgres_name(&self) -> Option<&str> {
        self.url.starts_with("postgres").then(|| self.url.rsplit('/').next().unwrap_or_default())
    }
}

/// `redress_t_<pid>_<n>_<nanos>`: unique per process and call; the test
/// command drops every `redress_t_%` database before and after a run.
fn unique_name() -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    format!("redress_t_{}_{}_{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed), nanos)
}

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
