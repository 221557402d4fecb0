//! The Redress [`Store`] on SQLite (the embedded default) and PostgreSQL (for
//! several `redress serve` processes sharing one database), chosen by URL.
//!
//! Both backends compile the same repository code (`repo/`, one module per
//! aggregate) against their own sqlx driver, so a query is written once and
//! the contract tests run on both. SQLite funnels every write through one writer task that commits in
//! batches (group commit) with `synchronous=FULL`: each `2xx` is on disk and
//! thousands of writes a second share an fsync. PostgreSQL writes in ordinary
//! transactions and locks the case row (`FOR UPDATE`) while changing it.
#![forbid(unsafe_code)]

mod migrate;
mod postgres;
pub mod bench;
pub mod scratch;
mod sqlite;

use redress_core::store::Store;
use std::str::FromStr;
use std::sync::Arc;

pub use postgres::PgStore;
/// Notified (`notify_waiters`) after a transaction of this process that
/// enqueued a job has committed, so the job worker starts it at once
/// rather than at its next poll. Jobs enqueued by another process are
/// found by polling and by [`Store::next_job_at`](redress_core::store::Store::next_job_at).
pub static JOBS_ADDED: tokio::sync::Notify = tokio::sync::Notify::const_new();

/// Jobs enqueued by this process so far: a transaction that sees it move
/// between its start and its commit notifies [`JOBS_ADDED`] (another
/// transaction's job may make that a needless wake-up, never a missed one).
static ENQUEUED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

fn enqueued() -> u64 {
    ENQUEUED.load(std::sync::atomic::Ordering::Acquire)
}

/// Counts a job enqueued in a transaction still open.
fn note_enqueued() {
    ENQUEUED.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
}

/// Wakes the worker when jobs were enqueued since `before` (read when the
/// transaction, now committed, began).
fn committed_since(before: u64) {
    if enqueued() != before {
        JOBS_ADDED.notify_waiters();
    }
}

pub use sqlite::SqliteStore;

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("database URL '{0}' is not understood: use sqlite://PATH or postgres://USER@HOST/DB")]
    UnknownScheme(String),
    #[error("cannot open the database: {0}")]
    Connect(#[from] sqlx::Error),
    #[error("cannot migrate the database: {0}")]
    Migrate(String),
    /// The SQLite store's own connections and threads (its writer's, its
    /// checkpointer's) could not be started.
    #[error("cannot open the database: {0}")]
    Open(String),
}

pub mod backup;

/// Which backend a URL names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of(url: &str) -> Result<Backend, OpenError> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(OpenError::UnknownScheme(url.to_string()))
        }
    }

    /// The most writes the server commits in one transaction (group
    /// commit): SQLite's writer's batch, PostgreSQL's batch writer's.
    pub fn group_commit(self) -> usize {
        match self {
            Backend::Sqlite => sqlite::MAX_BATCH,
            Backend::Postgres => postgres::batch::MAX_BATCH,
        }
    }
}

/// Opens the database at `url`, creating an SQLite file on first use, and
/// brings its schema up to date.
pub async fn open(url: &str) -> Result<Arc<dyn Store>, OpenError> {
    Ok(match Backend::of(url)? {
        Backend::Sqlite => Arc::new(SqliteStore::open(url).await?),
        Backend::Postgres => Arc::new(PgStore::open(url).await?),
    })
}

/// Applies pending migrations and reports how many ran.
pub async fn migrate(url: &str) -> Result<usize, OpenError> {
    match Backend::of(url)? {
        Backend::Sqlite => sqlite::migrate_only(url).await,
        Backend::Postgres => postgres::migrate_only(url).await,
    }
}

/// Refreshes the query planner's statistics (`ANALYZE`), as PostgreSQL's
/// autovacuum does on its own a while after a bulk load; the benchmark runs
/// it after seeding so it measures the steady state.
pub async fn refresh_statistics(url: &str) -> Result<(), OpenError> {
    use sqlx::{ConnectOptions, Connection};
    match Backend::of(url)? {
        Backend::Sqlite => {
            let mut c = sqlx::sqlite::SqliteConnectOptions::from_str(url)?.connect().await?;
            sqlx::query("ANALYZE").execute(&mut c).await?;
            c.close().await?;
        }
        Backend::Postgres => {
            let mut c = sqlx::postgres::PgConnectOptions::from_str(url)?.connect().await?;
            sqlx::query("ANALYZE").execute(&mut c).await?;
            c.close().await?;
        }
    }
    Ok(())
}

/// Maps a driver error to the store's: constraint violations become the 4xx
/// they are, anything else a backend failure.
fn db_error(e: sqlx::Error) -> redress_core::store::StoreError {
    use redress_core::{store::StoreError, DomainError};
    match &e {
        sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::WorkerCrashed => return StoreError::Unavailable(e.to_string()),
        sqlx::Error::Database(db) => {
            let code = db.code().unwrap_or_default();
            // SQLite's SQLITE_FULL (13, with any extended code); PostgreSQL's
            // disk_full (53100).
            if code == "13" || code == "53100" {
                return StoreError::Full(e.to_string());
            }
            // PostgreSQL shutting down or starting (57P01..57P03), or a
            // connection exception (class 08).
            if code.starts_with("57P") || code.starts_with("08") {
                return StoreError::Unavailable(e.to_string());
            }
        }
        _ => {}
    }
    if let sqlx::Error::Database(db) = &e {
        if db.is_unique_violation() {
            return StoreError::Domain(DomainError::conflict("that value is already taken: it must be unique"));
        }
        if db.is_foreign_key_violation() {
            return StoreError::Domain(DomainError::invalid("the request refers to a record that does not exist"));
        }
        // PostgreSQL's character_not_in_repertoire: a NUL in text.
        if db.code().as_deref() == Some("22021") {
            return StoreError::Domain(DomainError::invalid("text must not contain the NUL character"));
        }
    }
    StoreError::Backend(e.to_string())
}
