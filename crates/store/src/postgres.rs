//! PostgreSQL: pooled connections, one transaction per write, the case row
//! locked while it changes so several `redress serve` processes can share it.

use crate::{db_error, migrate, OpenError};
use futures_util::future::BoxFuture;
use redress_core::store::StoreResult;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgConnection, PgPool};
use std::str::FromStr;
use std::time::Duration;

pub type Db = sqlx::Postgres;
type Conn = PgConnection;
type DbRow = sqlx::postgres::PgRow;
const LOCK_FOR_UPDATE: &str = " FOR UPDATE";
/// A statement may write to several tables (data-modifying `WITH`), saving
/// a round trip and a table opening for each one folded in.
const DATA_MODIFYING_CTES: bool = true;
/// Locks a row against other writers of it until the transaction ends, while
/// rows that refer to it can still be written (their foreign-key checks
/// take a weaker lock).
const LOCK_FOR_CHANGE: &str = " FOR NO KEY UPDATE";
const ILIKE: &str = "ILIKE";
/// Concurrent claimers (several processes) pass over each other's rows.
const SKIP_LOCKED: &str = " FOR UPDATE SKIP LOCKED";
/// A rollup rebuild holds writes to what it reads (plain reads go on), so no
/// case or customer changes between its reading and its writing of their
/// facts. EXCLUSIVE, not SHARE: a writer's `SELECT … FOR UPDATE` must wait
/// too, or it could lock a row the rebuild is about to rewrite.
const HOLD_WRITES: Option<&str> = Some("LOCK TABLE cases, responses, invitations, customers IN EXCLUSIVE MODE");
/// Opens a transaction that will write (row locks are taken as it goes).
const BEGIN_WRITE: &str = "BEGIN";
/// The ids of cases whose text matches a search (the generated `search` tsvector, GIN-indexed).
const TEXT_MATCH: &str = "SELECT id FROM cases WHERE search @@ to_tsquery('simple', ?)";
/// The cases whose text matches a search (`?`), as the start of a
/// statement's `FROM … WHERE`, and their order by id.
const TEXT_CASES: &str = "cases WHERE search @@ to_tsquery('simple', ?)";
const TEXT_CASES_ORDER: &str = "cases.id";
/// A GIN index yields every match before the newest can be taken, so a
/// newest-first search tries this many newest cases first with this test.
const TEXT_WINDOW: Option<(i64, &str)> = Some((2000, "search @@ to_tsquery('simple', ?)"));
/// The ids of customers whose name is like a pattern without escapes
/// (`%text%`), case-insensitively: the trigram index serves it.
const NAME_MATCH: &str = "SELECT id FROM customers WHERE name ILIKE ?";
/// The order of `TEXT_CASES` best match first (ts_rank; the summary weighs
/// more), `?` being the search of `TEXT_CASES`.
const TEXT_CASES_RANK: &str = "ts_rank(search, to_tsquery('simple', ?)) DESC";

/// A tsquery for `words` (letters and digits only): every word, each as a prefix.
fn text_query(words: &[String]) -> String {
    words.iter().map(|w| format!("{w}:*")).collect::<Vec<_>>().join(" & ")
}

#[allow(clippy::duplicate_mod)] // the same repository code, compiled for this driver
#[path = "repo/mod.rs"]
mod repo;

/// The benchmark's bulk path, and the reads its storage ceiling prepares
/// and the batch writer's statements it writes them with (`crate::bench`).
pub(crate) use repo::{batch, bulk, ceiling};

/// A connection of its own for the bulk path, with the store's options.
pub(crate) async fn bulk_connection(url: &str) -> Result<sqlx::PgConnection, OpenError> {
    // Its multi-row statements are slow by design: not worth a warning each.
    Ok(options(url)?.log_slow_statements(tracing::log::LevelFilter::Off, std::time::Duration::from_secs(1)).connect().await?)
}

/// A pooled connection idle this long is pinged before its next use.
const PING_AFTER_IDLE: Duration = Duration::from_secs(1);

/// How many connections a process keeps to PostgreSQL: four per processor
/// this process may use, at least 8 and at most 64. Past that, requests
/// mostly wait inside PostgreSQL instead of for a connection, and each
/// statement waits longer for a processor: on 2 cores, 24 connections
/// wrote 5–30 % fewer cases and responses a second than 8, with a p99 half
/// as long again (docs/PERFORMANCE.md).
fn pool_size() -> u32 {
    let processors = std::thread::available_parallelism().map_or(2, |n| n.get());
    u32::try_from(processors.saturating_mul(4)).unwrap_or(u32::MAX).clamp(8, 64)
}

/// Serialises concurrent migrators (several processes starting at once).
const MIGRATION_LOCK: i64 = 0x0072_6564_7265_7373;

type This = PgStore;

pub struct PgStore {
    /// Serves reads and write transactions alike (the repository calls it
    /// `reads` on both backends).
    reads: PgPool,
    /// The directory responses are judged against, while current.
    directory: repo::directory::DirectoryCache,
    /// New cases and survey responses, written many to a transaction.
    batches: repo::batch::Batches,
}

fn options(url: &str) -> Result<PgConnectOptions, OpenError> {
    Ok(PgConnectOptions::from_str(url)?.log_statements(tracing::log::LevelFilter::Trace))
}

async fn run_migrations(conn: &mut PgConnection) -> Result<usize, OpenError> {
    let err = |e: sqlx::Error| OpenError::Migrate(e.to_string());
    let mut tx = conn.begin().await.map_err(err)?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(MIGRATION_LOCK).execute(&mut *tx).await.map_err(err)?;
    sqlx::raw_sql(migrate::CREATE_TABLE).execute(&mut *tx).await.map_err(err)?;
    let mut ran = 0;
    for (version, sql) in migrate::POSTGRES {
        let done: Option<i64> = sqlx::query_scalar("SELECT version FROM schema_migrations WHERE version = $1")
            .bind(version)
            .fetch_optional(&mut *tx)
            .await
            .map_err(err)?;
        if done.is_none() {
            sqlx::raw_sql(sql).execute(&mut *tx).await.map_err(err)?;
            sqlx::query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)")
                .bind(version)
                .bind(jiff::Timestamp::now().as_microsecond())
                .execute(&mut *tx)
                .await
                .map_err(err)?;
            ran += 1;
        }
    }
    tx.commit().await.map_err(err)?;
    Ok(ran)
}

pub async fn migrate_only(url: &str) -> Result<usize, OpenError> {
    let mut conn = options(url)?.connect().await?;
    let ran = run_migrations(&mut conn).await?;
    conn.close().await?;
    Ok(ran)
}

impl PgStore {
    pub async fn open(url: &str) -> Result<PgStore, OpenError> {
        let opts = options(url)?;
        let mut conn = opts.clone().connect().await?;
        run_migrations(&mut conn).await?;
        conn.close().await?;
        let reads = PgPoolOptions::new()
            .max_connections(pool_size())
            .acquire_timeout(Duration::from_secs(10))
            // A connection in steady use is known to be alive: only one that
            // sat idle (the server may have restarted meanwhile) is pinged
            // before it is handed out, not every one on every use.
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move {
                    if meta.idle_for >= PING_AFTER_IDLE {
                        conn.ping().await?;
                    }
                    Ok(true)
                })
            })
            .connect_with(opts)
            .await?;
        let batches = repo::batch::Batches::start(reads.clone());
        let store = PgStore { reads, directory: Default::default(), batches };
        repo::reproject(&store).await.map_err(|e| OpenError::Migrate(e.to_string()))?;
        Ok(store)
    }

    /// The batch writer new cases are queued to.
    fn batches(&self) -> Option<&repo::batch::Batches> {
        Some(&self.batches)
    }

    /// A read by key the SQLite store runs directly on the calling thread
    /// (`sqlite::Direct`): here on a pooled connection, like any other.
    async fn read_direct<T, F>(&self, f: F) -> StoreResult<T>
    where
        F: for<'c> FnOnce(&'c mut PgConnection) -> BoxFuture<'c, StoreResult<T>>,
    {
        let mut c = self.reads.acquire().await.map_err(db_error)?;
        f(&mut c).await
    }

    /// A write the SQLite writer runs directly (`sqlite::Direct`), which
    /// may run more than once there: here, once, like any other.
    async fn write_direct<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: for<'c> FnMut(&'c mut PgConnection) -> BoxFuture<'c, StoreResult<T>> + Send + 'static,
    {
        self.write(f).await
    }

    /// Runs `f` in its own transaction; commits on success, rolls back otherwise.
    async fn write<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut PgConnection) -> BoxFuture<'c, StoreResult<T>> + Send + 'static,
    {
        let enqueued = crate::enqueued();
        let mut tx = self.reads.begin().await.map_err(db_error)?;
        match f(&mut tx).await {
            Ok(v) => {
                tx.commit().await.map_err(db_error)?;
                crate::committed_since(enqueued);
                Ok(v)
            }
            Err(e) => {
                // A failed rollback leaves nothing either: the connection
                // drops the transaction when it returns to the pool.
                let _ = tx.rollback().await;
                Err(e)
            }
        }
    }
}
