//! SQLite: one file, WAL, `synchronous=FULL`, one writer with group commit.

use crate::{migrate, OpenError};
use futures_util::future::BoxFuture;
use futures_util::FutureExt;
use std::panic::AssertUnwindSafe;
use redress_core::store::{StoreError, StoreResult};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{ConnectOptions, Connection, SqliteConnection, SqlitePool};
use std::str::FromStr;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

pub type Db = sqlx::Sqlite;
/// SQLite has no row locks; the single writer serialises changes.
const LOCK_FOR_UPDATE: &str = "";
/// Nor a lock for a change: a write runs alone.
const LOCK_FOR_CHANGE: &str = "";
/// SQLite has no data-modifying `WITH`: a write runs its statements one
/// after another.
const DATA_MODIFYING_CTES: bool = false;
/// SQLite's LIKE is case-insensitive for ASCII already.
const ILIKE: &str = "LIKE";
/// The single writer claims jobs one batch at a time; nothing to skip.
const SKIP_LOCKED: &str = "";
/// Nothing to lock for a rollup rebuild: it runs in the one writer's
/// transaction, so writes wait for it anyway.
const HOLD_WRITES: Option<&str> = None;
/// Opens a transaction that will write: SQLite takes the write lock at once
/// (waiting out the busy timeout), where a deferred one that read first
/// would fail outright on its first write if another writer had committed.
const BEGIN_WRITE: &str = "BEGIN IMMEDIATE";
/// The ids of cases whose text matches a search (the full-text index `case_text`, FTS5).
const TEXT_MATCH: &str = "SELECT rowid FROM case_text WHERE case_text MATCH ?";
/// The cases whose text matches a search (`?`), as the start of a
/// statement's `FROM … WHERE`: the full-text index leads, so walking it in
/// `TEXT_CASES_ORDER` stops at a page's end.
const TEXT_CASES: &str = "case_text JOIN cases ON cases.id = case_text.rowid WHERE case_text MATCH ?";
const TEXT_CASES_ORDER: &str = "case_text.rowid";
/// No window of newest cases to try first: FTS5 walks by rowid already.
const TEXT_WINDOW: Option<(i64, &str)> = None;
/// The ids of customers whose name is like a pattern without escapes
/// (`%text%`): through the trigram index `customer_names` (FTS5).
const NAME_MATCH: &str = "SELECT rowid FROM customer_names WHERE name LIKE ?";
/// The order of `TEXT_CASES` best match first: bm25, the summary weighted
/// four times the description.
const TEXT_CASES_RANK: &str = "bm25(case_text, 4.0, 1.0) ASC";

/// An FTS5 query for `words` (letters and digits only): every word, each as a prefix.
fn text_query(words: &[String]) -> String {
    words.iter().map(|w| format!("\"{w}\"*")).collect::<Vec<_>>().join(" ")
}

#[allow(clippy::duplicate_mod)] // the same repository code, compiled for this driver
#[path = "repo/mod.rs"]
mod repo;

/// The benchmark's bulk path and storage ceiling (`crate::bench`).
pub(crate) use repo::{bulk, ceiling};

/// A connection of its own for the bulk path, with the store's options.
pub(crate) async fn bulk_connection(url: &str) -> Result<SqliteConnection, OpenError> {
    // Its multi-row statements are slow by design: not worth a warning each.
    // It waits as long as it must for the server's writer, whose batches it
    // shares the file with.
    Ok(options(url)?
        .log_slow_statements(tracing::log::LevelFilter::Off, std::time::Duration::from_secs(1))
        .busy_timeout(std::time::Duration::from_secs(300))
        .connect()
        .await?)
}

/// Most writes committed together in one transaction.
pub(crate) const MAX_BATCH: usize = 512;

/// A write waiting for the writer. It runs inside the batch transaction in
/// its own savepoint and says whether it succeeded, with a callback that
/// answers its caller once the batch's COMMIT is known.
type Job = Box<dyn for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, (bool, Finish)> + Send>;
type Finish = Box<dyn FnOnce(Result<(), StoreError>) + Send>;

type This = SqliteStore;

pub struct SqliteStore {
    writer: mpsc::Sender<Job>,
    reads: SqlitePool,
    /// The directory responses are judged against, while current.
    directory: repo::directory::DirectoryCache,
}

fn options(url: &str) -> Result<SqliteConnectOptions, OpenError> {
    Ok(SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(Duration::from_secs(10))
        .foreign_keys(true)
        .log_statements(tracing::log::LevelFilter::Trace))
}

async fn run_migrations(conn: &mut SqliteConnection) -> Result<usize, OpenError> {
    let err = |e: sqlx::Error| OpenError::Migrate(e.to_string());
    sqlx::raw_sql("BEGIN IMMEDIATE").execute(&mut *conn).await.map_err(err)?;
    let result = async {
        sqlx::raw_sql(migrate::CREATE_TABLE).execute(&mut *conn).await?;
        let mut ran = 0;
        for (version, sql) in migrate::SQLITE {
            let done: Option<i64> = sqlx::query_scalar("SELECT version FROM schema_migrations WHERE version = $1")
                .bind(version)
                .fetch_optional(&mut *conn)
                .await?;
            if done.is_none() {
                sqlx::raw_sql(sql).execute(&mut *conn).await?;
                sqlx::query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)")
                    .bind(version)
                    .bind(jiff::Timestamp::now().as_microsecond())
                    .execute(&mut *conn)
                    .await?;
                ran += 1;
            }
        }
        Ok::<usize, sqlx::Error>(ran)
    }
    .await;
    let end = if result.is_ok() { "COMMIT" } else { "ROLLBACK" };
    sqlx::raw_sql(end).execute(&mut *conn).await.map_err(err)?;
    result.map_err(err)
}

pub async fn migrate_only(url: &str) -> Result<usize, OpenError> {
    let mut conn = options(url)?.connect().await?;
    let ran = run_migrations(&mut conn).await?;
    conn.close().await?;
    Ok(ran)
}

impl SqliteStore {
    pub async fn open(url: &str) -> Result<SqliteStore, OpenError> {
        let opts = options(url)?;
        let mut writer = opts.connect().await?;
        run_migrations(&mut writer).await?;
        // A connection to a local file does not go stale: no ping before each use.
        let reads = SqlitePoolOptions::new().max_connections(8).min_connections(1).test_before_acquire(false).connect_with(opts).await?;
        let (tx, rx) = mpsc::channel(4096);
        tokio::spawn(write_loop(writer, rx));
        let store = SqliteStore { writer: tx, reads, directory: Default::default() };
        repo::reproject(&store).await.map_err(|e| OpenError::Migrate(e.to_string()))?;
        Ok(store)
    }

    /// Runs `f` in the next batch; resolves once the batch is committed.
    async fn write<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, StoreResult<T>> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job: Job = Box::new(move |conn| {
            Box::pin(async move {
                let result = f(conn).await;
                let ok = result.is_ok();
                let finish: Finish = Box::new(move |committed: Result<(), StoreError>| {
                    let _ = reply.send(committed.and(result));
                });
                (ok, finish)
            })
        });
        self.writer.send(job).await.map_err(|_| StoreError::Backend("the database writer has stopped".into()))?;
        answer.await.map_err(|_| StoreError::Backend("the database writer dropped a write".into()))?
    }
}

/// Takes whatever writes are waiting, runs each in its own savepoint inside one
/// IMMEDIATE transaction, commits once, then answers every caller. A failed
/// (or panicking) write rolls back to its savepoint and leaves nothing behind;
/// a job whose caller cannot be answered is dropped, which the caller sees as
/// an error. Ending one savepoint and opening the next is one round trip to
/// the database, as is ending the last and committing.
async fn write_loop(mut conn: SqliteConnection, mut rx: mpsc::Receiver<Job>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let enqueued = crate::enqueued();
        if let Err(e) = exec(&mut conn, "BEGIN IMMEDIATE; SAVEPOINT job").await {
            tracing::error!(error = %e, jobs = batch.len(), "cannot begin a write transaction");
            let _ = exec(&mut conn, "ROLLBACK").await;
            batch.clear();
            continue;
        }
        let mut finishers: Vec<Finish> = Vec::with_capacity(batch.len());
        let mut broken: Option<StoreError> = None;
        let mut last_ok = true;
        let last = batch.len() - 1;
        for (i, job) in batch.drain(..).enumerate() {
            if broken.is_some() {
                continue;
            }
            let ran = AssertUnwindSafe(job(&mut conn)).catch_unwind().await;
            let (ok, finish) = match ran {
                Ok((ok, finish)) => (ok, Some(finish)),
                Err(_) => {
                    tracing::error!("a database write panicked; it was rolled back");
                    (false, None)
                }
            };
            finishers.extend(finish);
            last_ok = ok;
            if i == last {
                break;
            }
            let next = if ok { "RELEASE job; SAVEPOINT job" } else { "ROLLBACK TO job; RELEASE job; SAVEPOINT job" };
            if let Err(e) = exec(&mut conn, next).await {
                broken = Some(e);
            }
        }
        let end = if last_ok { "RELEASE job; COMMIT" } else { "ROLLBACK TO job; RELEASE job; COMMIT" };
        let committed = match broken {
            None => exec(&mut conn, end).await,
            Some(e) => Err(e),
        };
        if let Err(e) = &committed {
            tracing::error!(error = %e, writes = finishers.len(), "write batch failed and was rolled back");
            // A failed COMMIT may already have ended the transaction; an
            // error here then only says there was nothing left to undo.
            let _ = exec(&mut conn, "ROLLBACK").await;
        }
        if committed.is_ok() {
            crate::committed_since(enqueued);
        }
        for finish in finishers {
            finish(committed.clone());
        }
    }
}

/// Runs one or more statements without parameters. Boxed so the writer
/// task's future stays provably `Send`.
fn exec<'c>(conn: &'c mut SqliteConnection, sql: &'static str) -> BoxFuture<'c, Result<(), StoreError>> {
    Box::pin(async move { sqlx::query(sql).execute(conn).await.map(|_| ()).map_err(crate::db_error) })
}
