//! SQLite: one file, WAL, `synchronous=FULL`, one writer with group commit.

use crate::{migrate, OpenError};
use futures_util::future::BoxFuture;
use futures_util::FutureExt;
use std::panic::AssertUnwindSafe;
use redress_core::store::{StoreError, StoreResult};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{ConnectOptions, Connection, SqliteConnection, SqlitePool};
use std::str::FromStr;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

pub type Db = sqlx::Sqlite;
type Conn = SqliteConnection;
type DbRow = sqlx::sqlite::SqliteRow;
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

/// The writer's direct connection ([`Direct`]) for the bulk path's storage
/// ceiling, waiting as long as [`bulk_connection`] does.
pub(crate) fn bulk_direct(url: &str) -> Result<Direct, OpenError> {
    Direct::open_batch_writer(&options(url)?, Duration::from_secs(300))
}

/// The storage ceiling's writes ([`ceiling::write`]) on a direct connection.
pub(crate) fn ceiling_direct(direct: &mut Direct, writes: crate::bench::CeilingWrites, batch: usize) -> StoreResult<usize> {
    in_place(|| at_once(ceiling::write(direct, writes, batch)))
}

/// The outcome of `work` on a direct connection, which never waits: its
/// statements are function calls. Should it wait all the same, it fails.
fn at_once<T>(work: impl std::future::Future<Output = StoreResult<T>>) -> StoreResult<T> {
    work.now_or_never().unwrap_or_else(|| Err(StoreError::Backend("a direct read or write waited for something".into())))
}

/// Most writes committed together in one transaction.
pub(crate) const MAX_BATCH: usize = 512;

/// A write waiting for the writer. It runs inside the batch transaction
/// and says whether it succeeded; its caller is answered once the batch's
/// COMMIT is known. A write on the driver's connection awaits each
/// statement and runs in a savepoint of its own, answering with a callback;
/// a direct one runs without waiting (see [`Direct`]) and may be run again
/// ([`DirectWrite`]).
enum Job {
    Driver(DriverJob),
    Direct(DirectJob),
}
type DriverJob = Box<dyn for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, (bool, Finish)> + Send>;
type DirectJob = Box<dyn DirectWrite>;
type Finish = Box<dyn FnOnce(Result<(), StoreError>) + Send>;

/// A write on the writer's own connection ([`Direct`]). A batch of them is
/// first run together and, when one fails, rolled back and run again from
/// the start with a savepoint each ([`Direct::run`]): a write may run more
/// than once, and only its last run counts.
trait DirectWrite: Send {
    /// Runs the write, keeping its outcome; says whether it succeeded.
    fn run(&mut self, direct: &mut Direct) -> bool;
    /// Answers the caller with the last run's outcome once the COMMIT of
    /// its transaction is known (`committed`).
    fn finish(self: Box<Self>, committed: Result<(), StoreError>);
}

/// A [`DirectWrite`] of `write`, answering on `reply`.
struct DirectWriteOf<F, T> {
    write: F,
    outcome: Option<StoreResult<T>>,
    reply: oneshot::Sender<StoreResult<T>>,
}

impl<F, T> DirectWrite for DirectWriteOf<F, T>
where
    T: Send,
    F: for<'c> FnMut(&'c mut Direct) -> BoxFuture<'c, StoreResult<T>> + Send,
{
    fn run(&mut self, direct: &mut Direct) -> bool {
        // A run that panics leaves no outcome, which answers as an error.
        self.outcome = None;
        let outcome = at_once((self.write)(direct));
        let ok = outcome.is_ok();
        self.outcome = Some(outcome);
        ok
    }

    fn finish(self: Box<Self>, committed: Result<(), StoreError>) {
        let outcome = self.outcome.unwrap_or_else(|| Err(StoreError::Backend("a database write panicked; it was rolled back".into())));
        let _ = self.reply.send(committed.and(outcome));
    }
}

type This = SqliteStore;

pub struct SqliteStore {
    writer: mpsc::Sender<Job>,
    reads: SqlitePool,
    /// Direct connections for reads by key ([`SqliteStore::read_direct`]).
    readers: Readers,
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

/// What a connection that writes in batches sets beyond the store's
/// options: a page cache of 32 MiB, so a batch's changed pages stay in it
/// until the commit (2 MiB, SQLite's own, is spilt into the log part way
/// through a batch of hundreds), and the statement journal (a savepoint, or
/// a statement SQLite may have to undo part way, copies the pages it first
/// changes there) in memory, not in a temporary file written with a system
/// call a page.
const BATCH_WRITER_PRAGMAS: &str = "PRAGMA cache_size = -32768; PRAGMA temp_store = MEMORY";

/// The store's writer's connections leave the log to the checkpointer.
const LEAVE_LOG_TO_CHECKPOINTER: &str = "PRAGMA wal_autocheckpoint = 0";

impl SqliteStore {
    pub async fn open(url: &str) -> Result<SqliteStore, OpenError> {
        SqliteStore::open_with_checkpoints(url, CHECKPOINT_EVERY, LONG_LOG_PAGES).await
    }

    /// [`Self::open`], the checkpointer's rounds `every` apart and the
    /// writer copying the log back itself past `long_log` pages.
    async fn open_with_checkpoints(url: &str, every: Duration, long_log: i64) -> Result<SqliteStore, OpenError> {
        let opts = options(url)?;
        let mut writer = opts.connect().await?;
        run_migrations(&mut writer).await?;
        sqlx::raw_sql(BATCH_WRITER_PRAGMAS).execute(&mut writer).await?;
        sqlx::raw_sql(LEAVE_LOG_TO_CHECKPOINTER).execute(&mut writer).await?;
        let direct = Direct::open_batch_writer(&opts, Duration::from_secs(10))?;
        direct.db.execute_batch(LEAVE_LOG_TO_CHECKPOINTER).map_err(|e| OpenError::Open(e.to_string()))?;
        let checkpointer = Checkpointer::start(&opts, every, long_log)?;
        let opts_for_readers = opts.clone();
        // A connection to a local file does not go stale: no ping before each use.
        let reads = SqlitePoolOptions::new().max_connections(8).min_connections(1).test_before_acquire(false).connect_with(opts).await?;
        let (tx, rx) = mpsc::channel(4096);
        let runtime = tokio::runtime::Handle::current();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || write_loop(&runtime, writer, direct, checkpointer, rx))
            .map_err(|e| OpenError::Open(format!("cannot start the database writer: {e}")))?;
        let store = SqliteStore { writer: tx, reads, readers: Readers { opts: opts_for_readers, idle: Default::default() }, directory: Default::default() };
        repo::reproject(&store).await.map_err(|e| OpenError::Migrate(e.to_string()))?;
        Ok(store)
    }

    /// No batch writer: the writer batches every write (PostgreSQL's is
    /// `repo::batch`).
    fn batches(&self) -> Option<&repo::batch::Batches> {
        None
    }

    /// Runs `f`, a read of a few rows by key, on a direct connection on
    /// this thread: each statement a function call of some microseconds,
    /// where a pooled connection's is a hand-over to its thread and back.
    /// Nothing longer belongs here: it holds the runtime's thread.
    async fn read_direct<T, F>(&self, f: F) -> StoreResult<T>
    where
        F: for<'c> FnOnce(&'c mut Direct) -> BoxFuture<'c, StoreResult<T>>,
    {
        let mut reader = self.readers.take()?;
        let result = at_once(f(&mut reader));
        self.readers.give_back(reader);
        result
    }

    /// Runs `f` in the next batch; resolves once the batch is committed.
    async fn write<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, StoreResult<T>> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job = Job::Driver(Box::new(move |conn| {
            Box::pin(async move {
                let result = f(conn).await;
                (result.is_ok(), answer_when_committed(reply, result))
            })
        }));
        self.enqueue(job, answer).await
    }

    /// Runs `f` in the next batch directly ([`Direct`]); resolves once the
    /// batch is committed. `f` must not wait on anything but its statements,
    /// and may be called more than once ([`DirectWrite`]).
    async fn write_direct<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: for<'c> FnMut(&'c mut Direct) -> BoxFuture<'c, StoreResult<T>> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        self.enqueue(Job::Direct(Box::new(DirectWriteOf { write: f, outcome: None, reply })), answer).await
    }

    async fn enqueue<T>(&self, job: Job, answer: oneshot::Receiver<StoreResult<T>>) -> StoreResult<T> {
        self.writer.send(job).await.map_err(|_| StoreError::Backend("the database writer has stopped".into()))?;
        answer.await.map_err(|_| StoreError::Backend("the database writer dropped a write".into()))?
    }
}

/// Answers a write's caller with its `result` once the batch's commit is known.
fn answer_when_committed<T: Send + 'static>(reply: oneshot::Sender<StoreResult<T>>, result: StoreResult<T>) -> Finish {
    Box::new(move |committed: Result<(), StoreError>| {
        let _ = reply.send(committed.and(result));
    })
}

/// Takes whatever writes are waiting and runs them in (at most) two
/// transactions, each committed once: the direct writes ([`Direct`]) on the
/// writer's own connection, then the others on the driver's. A failed (or
/// panicking) write leaves nothing behind while the others stand (see
/// [`Direct::run`] and [`run_on_driver`]). Every caller is answered once its
/// transaction's COMMIT is known; a job whose caller cannot be answered is
/// dropped, which the caller sees as an error. Writes waiting together
/// were made at once, so none of them is owed an order against another.
///
/// The writer is a thread of its own: woken by the first write, it takes
/// the processor at once, where a task would queue behind every request
/// the runtime has ready. It drives the driver's writes on `runtime`.
fn write_loop(runtime: &tokio::runtime::Handle, mut conn: SqliteConnection, mut direct: Direct, checkpointer: Checkpointer, mut rx: mpsc::Receiver<Job>) {
    let (mut on_driver, mut direct_jobs) = (Vec::with_capacity(MAX_BATCH), Vec::with_capacity(MAX_BATCH));
    while let Some(first) = rx.blocking_recv() {
        for job in std::iter::once(first).chain(std::iter::from_fn(|| rx.try_recv().ok())).take(MAX_BATCH) {
            match job {
                Job::Driver(job) => on_driver.push(job),
                Job::Direct(job) => direct_jobs.push(job),
            }
        }
        if !direct_jobs.is_empty() {
            let (enqueued, started) = (crate::enqueued(), Instant::now());
            let committed = direct.run(&mut direct_jobs);
            tracing::debug!(target: "redress_store::writer", writes = direct_jobs.len(), took_us = started.elapsed().as_micros() as u64, "batch on the direct connection");
            checkpointer.note(&committed);
            answer(committed, direct_jobs.drain(..).map(|job| move |committed| job.finish(committed)), enqueued);
        }
        if !on_driver.is_empty() {
            let (enqueued, started) = (crate::enqueued(), Instant::now());
            let mut finishers = Vec::with_capacity(on_driver.len());
            let committed = runtime.block_on(async {
                let committed = run_on_driver(&mut conn, on_driver.drain(..), &mut finishers).await;
                if committed.is_err() {
                    // A failed COMMIT may already have ended the transaction; an
                    // error here then only says there was nothing left to undo.
                    let _ = exec(&mut conn, "ROLLBACK").await;
                }
                committed
            });
            tracing::debug!(target: "redress_store::writer", writes = finishers.len(), took_us = started.elapsed().as_micros() as u64, "batch on the driver's connection");
            checkpointer.note(&committed);
            answer(committed, finishers.into_iter(), enqueued);
        }
        if checkpointer.log_is_long() {
            direct.copy_log_back("writer");
        }
    }
}

/// Most direct read connections kept between reads: reads do not wait,
/// so each of the runtime's threads holds at most one at a time.
const IDLE_READERS: usize = 8;

/// The direct connections reads by key run on, opened as they are needed
/// and kept (up to [`IDLE_READERS`]) for the next.
struct Readers {
    opts: SqliteConnectOptions,
    idle: std::sync::Mutex<Vec<Direct>>,
}

impl Readers {
    fn take(&self) -> StoreResult<Direct> {
        if let Some(reader) = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop() {
            return Ok(reader);
        }
        let reader = Direct::open(&self.opts, Duration::from_secs(10)).map_err(|e| StoreError::Unavailable(e.to_string()))?;
        reader.db.execute_batch("PRAGMA query_only = ON").map_err(direct_error)?;
        Ok(reader)
    }

    fn give_back(&self, reader: Direct) {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < IDLE_READERS {
            idle.push(reader);
        }
    }
}

/// How often the checkpointer looks for committed writes to copy back.
/// Once a second rather than five times: a page changed again and again
/// is copied once a round, and the rounds slow the batches they overlap
/// (p99 of cases and responses 1–5 ms lower at the same rates).
const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);

/// Copies the write-ahead log back into the database file (a PASSIVE
/// checkpoint, which neither waits for nor holds up the writer) on a
/// thread and connection of its own, every [`CHECKPOINT_EVERY`] while
/// writes are committed. The writer's connections do not checkpoint
/// (`wal_autocheckpoint = 0`): SQLite's default has the COMMIT that
/// crosses 1,000 pages of log do it, which held that batch's callers up to
/// ten times as long as a plain commit. Stops when the writer does.
///
/// Under writes that never pause, the checkpointer never catches up with
/// the writer, and SQLite starts the log afresh only when it has: the log
/// would grow for as long as the writes go on. So once it is past
/// [`LONG_LOG_PAGES`], the checkpointer asks the writer to copy the rest
/// itself between two batches ([`Checkpointer::log_is_long`]); the log's
/// next write then starts it afresh (SQLite does so when every page in it
/// is in the file and no reader is still reading it). Its file is written
/// over from the start, not cut back: cutting 256 MiB off it held the
/// writer's next batch 80 ms.
struct Checkpointer {
    commits: std::sync::Arc<std::sync::atomic::AtomicU64>,
    long_log: std::sync::Arc<std::sync::atomic::AtomicBool>,
    _stop: std::sync::mpsc::Sender<()>,
}

/// Pages of log (256 MiB of 4 KiB pages) past which the writer copies the
/// rest back itself: under writes that never pause, a pause of 10–20 ms
/// every few seconds.
const LONG_LOG_PAGES: i64 = 65_536;

impl Checkpointer {
    fn start(opts: &SqliteConnectOptions, every: Duration, long_log_pages: i64) -> Result<Checkpointer, OpenError> {
        let db = Direct::open(opts, Duration::from_secs(10))?;
        let commits = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        let long_log = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (seen, too_long) = (commits.clone(), long_log.clone());
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || {
                let mut copied = 0;
                while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(every) {
                    let now = seen.load(std::sync::atomic::Ordering::Relaxed);
                    if now == copied {
                        continue;
                    }
                    if let Some(log) = db.copy_log_back("checkpointer") {
                        too_long.store(log > long_log_pages, std::sync::atomic::Ordering::Relaxed);
                        copied = now;
                    }
                }
            })
            .map_err(|e| OpenError::Open(format!("cannot start the checkpointer: {e}")))?;
        Ok(Checkpointer { commits, long_log, _stop: stop })
    }

    /// Whether the log is long (asked once: the checkpointer asks again
    /// after its next round if it still is).
    fn log_is_long(&self) -> bool {
        self.long_log.swap(false, std::sync::atomic::Ordering::Relaxed)
    }

    /// Counts a committed transaction.
    fn note(&self, committed: &Result<(), StoreError>) {
        if committed.is_ok() {
            self.commits.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    }
}

/// Answers the callers of a transaction's writes with its outcome.
fn answer<F: FnOnce(Result<(), StoreError>)>(committed: Result<(), StoreError>, finishers: impl ExactSizeIterator<Item = F>, enqueued: u64) {
    match &committed {
        Ok(()) => crate::committed_since(enqueued),
        Err(e) => tracing::error!(error = %e, writes = finishers.len(), "write batch failed and was rolled back"),
    }
    for finish in finishers {
        finish(committed.clone());
    }
}

/// Runs `jobs` in one IMMEDIATE transaction on the driver's connection and
/// commits it. Ending one savepoint and opening the next is one round trip
/// to the driver's thread, as is ending the last and committing.
async fn run_on_driver(conn: &mut SqliteConnection, jobs: impl ExactSizeIterator<Item = DriverJob>, finishers: &mut Vec<Finish>) -> Result<(), StoreError> {
    exec(conn, "BEGIN IMMEDIATE; SAVEPOINT job").await?;
    let mut last_ok = true;
    let last = jobs.len().saturating_sub(1);
    for (i, job) in jobs.enumerate() {
        let ran = AssertUnwindSafe(job(conn)).catch_unwind().await;
        last_ok = match ran {
            Ok((ok, finish)) => {
                finishers.push(finish);
                ok
            }
            Err(_) => {
                tracing::error!("a database write panicked; it was rolled back");
                false
            }
        };
        if i < last {
            exec(conn, if last_ok { "RELEASE job; SAVEPOINT job" } else { "ROLLBACK TO job; RELEASE job; SAVEPOINT job" }).await?;
        }
    }
    exec(conn, if last_ok { "RELEASE job; COMMIT" } else { "ROLLBACK TO job; RELEASE job; COMMIT" }).await
}

/// Runs `f` on this thread, which (on a multi-threaded runtime) hands its
/// other tasks to another thread meanwhile.
fn in_place<R>(f: impl FnOnce() -> R) -> R {
    match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(f),
        _ => f(),
    }
}

/// Runs one or more statements without parameters. Boxed so the writer
/// task's future stays provably `Send`.
fn exec<'c>(conn: &'c mut SqliteConnection, sql: &'static str) -> BoxFuture<'c, Result<(), StoreError>> {
    Box::pin(async move { sqlx::query(sql).execute(conn).await.map(|_| ()).map_err(crate::db_error) })
}

/// The writer's own connection to the database file, beside the driver's:
/// SQLite's C interface (rusqlite) called on the writer's thread. Each
/// statement is a function call (about a microsecond) where through the
/// driver it is a hand-over to the driver's thread and back, whose
/// wake-ups, with the server busy on both processors, cost far more than
/// the statement. The hot writes (a new case, a survey response) are
/// written once against [`repo::run::Run`], which both connections
/// implement, and run here; a direct write never waits on anything else.
/// The writer never has both connections in a transaction at once.
pub(crate) struct Direct {
    db: rusqlite::Connection,
    /// For a connection that writes in batches (the writer's, the storage
    /// ceiling's): the rollup changes of the transaction, appended merged
    /// before it commits.
    deltas: Option<repo::insight::MergedDeltas>,
}

/// A row a direct statement answered.
pub(crate) struct DirectRow(Vec<rusqlite::types::Value>);

impl Direct {
    /// Opens the file of `opts` (created and migrated already) with the
    /// settings the driver's connections have.
    pub(crate) fn open(opts: &SqliteConnectOptions, busy: Duration) -> Result<Direct, OpenError> {
        let db = rusqlite::Connection::open(opts.get_filename()).map_err(|e| OpenError::Open(e.to_string()))?;
        db.busy_timeout(busy).map_err(|e| OpenError::Open(e.to_string()))?;
        db.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON").map_err(|e| OpenError::Open(e.to_string()))?;
        db.set_prepared_statement_cache_capacity(64);
        Ok(Direct { db, deltas: None })
    }

    /// Opens the connection a batch writer writes on: [`BATCH_WRITER_PRAGMAS`]
    /// set, and the rollup changes of each transaction merged.
    fn open_batch_writer(opts: &SqliteConnectOptions, busy: Duration) -> Result<Direct, OpenError> {
        let mut direct = Direct::open(opts, busy)?;
        direct.db.execute_batch(BATCH_WRITER_PRAGMAS).map_err(|e| OpenError::Open(e.to_string()))?;
        direct.deltas = Some(Default::default());
        Ok(direct)
    }

    /// Runs `jobs` in one IMMEDIATE transaction and commits it; rolls it
    /// back on failure. The writes run one after another, together; if one
    /// fails (or panics), the transaction is rolled back and they run again
    /// from the start, each in a savepoint of its own, so that the failed
    /// one (should it fail again) rolls back to its savepoint and leaves
    /// nothing behind while the others stand. Only a batch with a failing
    /// write pays for savepoints: each copies the pages its write changes
    /// that the batch had changed before it, and FTS5 writes out the terms
    /// it holds at each.
    fn run(&mut self, jobs: &mut [DirectJob]) -> Result<(), StoreError> {
        let ran = match self.run_together(jobs) {
            Ok(true) => Ok(()),
            Ok(false) => self.run_apart(jobs),
            Err(e) => Err(e),
        };
        if ran.is_err() {
            if let Some(deltas) = &mut self.deltas {
                deltas.clear();
            }
            if !self.db.is_autocommit() {
                let _ = self.fixed("ROLLBACK");
            }
        }
        ran
    }

    /// Runs `jobs` in one transaction and commits it; answers false, the
    /// transaction rolled back, as soon as one of them fails.
    fn run_together(&mut self, jobs: &mut [DirectJob]) -> Result<bool, StoreError> {
        self.fixed("BEGIN IMMEDIATE")?;
        for job in jobs.iter_mut() {
            if !self.run_one(job) {
                if let Some(deltas) = &mut self.deltas {
                    deltas.clear();
                }
                if !self.db.is_autocommit() {
                    self.fixed("ROLLBACK")?;
                }
                return Ok(false);
            }
        }
        at_once(repo::insight::append_merged(self))?;
        self.fixed("COMMIT")?;
        Ok(true)
    }

    /// Runs `jobs` in one transaction, each in a savepoint of its own, and
    /// commits it.
    fn run_apart(&mut self, jobs: &mut [DirectJob]) -> Result<(), StoreError> {
        self.fixed("BEGIN IMMEDIATE")?;
        for job in jobs.iter_mut() {
            self.fixed("SAVEPOINT job")?;
            if !self.run_one(job) {
                self.fixed("ROLLBACK TO job")?;
            }
            self.fixed("RELEASE job")?;
        }
        at_once(repo::insight::append_merged(self))?;
        self.fixed("COMMIT")
    }

    /// Runs one write of a batch; says whether it succeeded (a panic is a
    /// failure). Its rollup changes stay merged if it did.
    fn run_one(&mut self, job: &mut DirectJob) -> bool {
        let ok = std::panic::catch_unwind(AssertUnwindSafe(|| job.run(self))).unwrap_or_else(|_| {
            tracing::error!("a database write panicked; it was rolled back");
            false
        });
        if let Some(deltas) = &mut self.deltas {
            deltas.end_write(ok);
        }
        ok
    }

    /// Copies the log back into the file (a PASSIVE checkpoint: it waits
    /// for nobody; while another copy runs, it copies nothing); answers
    /// how many pages the log holds, or nothing when the copy failed.
    /// `by` (the checkpointer, the writer) is logged with it.
    fn copy_log_back(&self, by: &'static str) -> Option<i64> {
        let started = Instant::now();
        match self.db.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| Ok((r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))) {
            Ok((log, copied)) => {
                tracing::debug!(target: "redress_store::checkpoint", by, log, copied, took_us = started.elapsed().as_micros() as u64, "log copied back");
                Some(log)
            }
            Err(e) => {
                tracing::warn!(error = %e, by, "cannot copy the write-ahead log into the database file; will try again");
                None
            }
        }
    }

    /// Runs a statement without parameters, prepared once.
    fn fixed(&self, sql: &str) -> Result<(), StoreError> {
        self.db.prepare_cached(sql).and_then(|mut st| st.raw_execute()).map(|_| ()).map_err(direct_error)
    }

    /// Runs one statement with `params` (numbered `$1`, … across the call),
    /// appending the rows it answers to `out`.
    fn statement(&self, sql: &str, params: &[repo::run::Param], out: &mut Vec<DirectRow>) -> Result<(), StoreError> {
        use repo::run::Param;
        let mut st = self.db.prepare_cached(sql).map_err(direct_error)?;
        for i in 1..=st.parameter_count() {
            let name = st.parameter_name(i).unwrap_or_default();
            let param = name
                .strip_prefix('$')
                .and_then(|n| n.parse::<usize>().ok())
                .and_then(|n| params.get(n.wrapping_sub(1)))
                .ok_or_else(|| StoreError::Backend(format!("statement parameter {name} has no value")))?;
            match param {
                Param::Int(v) => st.raw_bind_parameter(i, v),
                Param::Text(v) => st.raw_bind_parameter(i, v),
                Param::Bool(v) => st.raw_bind_parameter(i, v),
            }
            .map_err(direct_error)?;
        }
        let width = st.column_count();
        let mut rows = st.raw_query();
        while let Some(row) = rows.next().map_err(direct_error)? {
            out.push(DirectRow((0..width).map(|c| row.get::<_, rusqlite::types::Value>(c)).collect::<Result<_, _>>().map_err(direct_error)?));
        }
        Ok(())
    }
}

impl repo::run::Run for Direct {
    type Row = DirectRow;

    async fn rows(&mut self, call: &repo::run::Call, params: repo::run::Params) -> StoreResult<Vec<DirectRow>> {
        let mut out = Vec::new();
        for sql in &call.0 {
            self.statement(sql, &params.0, &mut out)?;
        }
        Ok(out)
    }

    async fn execute(&mut self, sql: &str, params: repo::run::Params) -> StoreResult<u64> {
        self.statement(sql, &params.0, &mut Vec::new())?;
        Ok(self.db.changes())
    }

    fn driver(&mut self) -> StoreResult<&mut SqliteConnection> {
        Err(StoreError::Backend("a direct write reached for the driver's connection".into()))
    }

    fn merged_deltas(&mut self) -> Option<&mut repo::insight::MergedDeltas> {
        self.deltas.as_mut()
    }
}

impl repo::run::Cells for DirectRow {
    fn width(&self) -> usize {
        self.0.len()
    }

    fn int(&self, i: usize) -> StoreResult<i64> {
        self.opt_int(i)?.ok_or_else(|| cell_error(i, "an integer"))
    }

    fn opt_int(&self, i: usize) -> StoreResult<Option<i64>> {
        use rusqlite::types::Value;
        match self.0.get(i) {
            Some(Value::Null) => Ok(None),
            Some(Value::Integer(v)) => Ok(Some(*v)),
            _ => Err(cell_error(i, "an integer")),
        }
    }

    fn text(&self, i: usize) -> StoreResult<String> {
        self.opt_text(i)?.ok_or_else(|| cell_error(i, "text"))
    }

    fn opt_text(&self, i: usize) -> StoreResult<Option<String>> {
        use rusqlite::types::Value;
        match self.0.get(i) {
            Some(Value::Null) => Ok(None),
            Some(Value::Text(v)) => Ok(Some(v.clone())),
            _ => Err(cell_error(i, "text")),
        }
    }

    fn flag(&self, i: usize) -> StoreResult<bool> {
        Ok(self.int(i)? != 0)
    }
}

fn cell_error(column: usize, wanted: &str) -> StoreError {
    StoreError::Backend(format!("column {column} of a direct statement's row is not {wanted}"))
}

/// A direct statement's error, told apart as the driver's are (`db_error`).
fn direct_error(e: rusqlite::Error) -> StoreError {
    use redress_core::DomainError;
    use rusqlite::ffi;
    if let rusqlite::Error::SqliteFailure(f, _) = &e {
        match f.extended_code {
            ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY => {
                return StoreError::Domain(DomainError::conflict("that value is already taken: it must be unique"))
            }
            ffi::SQLITE_CONSTRAINT_FOREIGNKEY => return StoreError::Domain(DomainError::invalid("the request refers to a record that does not exist")),
            _ if f.code == rusqlite::ErrorCode::DiskFull => return StoreError::Full(e.to_string()),
            _ => {}
        }
    }
    StoreError::Backend(e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A batch appends the rollup changes of the writes that stand, merged
    /// into a row per key, and none of a write rolled back.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_batch_appends_the_changes_of_its_writes_that_stand_merged() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("redress.db").display());
        let _store = SqliteStore::open(&url).await.unwrap();
        let mut direct = Direct::open_batch_writer(&options(&url).unwrap(), Duration::from_secs(10)).unwrap();
        let day = jiff::civil::date(2026, 12, 1);
        let cases_appended = |direct: &mut Direct| -> Vec<u64> {
            let mut st = direct.db.prepare("SELECT plus FROM rollup_deltas ORDER BY id").unwrap();
            let rows = st.query_map([], |r| r.get::<_, String>(0)).unwrap();
            rows.map(|plus| serde_json::from_str::<redress_core::insight::Rollup>(&plus.unwrap()).unwrap().cases).collect()
        };
        let mut batch = vec![Merging::job(day, 1, true), Merging::job(day, 2, false), Merging::job(day, 4, true)];
        direct.run(&mut batch).unwrap();
        assert_eq!(cases_appended(&mut direct), vec![5], "one row for the day, of the two writes that stood");
        let mut batch = vec![Merging::job(day, 8, true)];
        direct.run(&mut batch).unwrap();
        assert_eq!(cases_appended(&mut direct), vec![5, 8], "the next batch appends its own");
    }

    /// A write of [`a_batch_appends_the_changes_of_its_writes_that_stand_merged`]:
    /// a row and `cases` new cases of `day`, standing or failing.
    struct Merging {
        day: jiff::civil::Date,
        cases: u64,
        stands: bool,
    }

    impl Merging {
        fn job(day: jiff::civil::Date, cases: u64, stands: bool) -> DirectJob {
            Box::new(Merging { day, cases, stands })
        }
    }

    impl DirectWrite for Merging {
        fn run(&mut self, d: &mut Direct) -> bool {
            d.fixed("CREATE TABLE IF NOT EXISTS written (cases INTEGER NOT NULL)").unwrap();
            d.db.execute("INSERT INTO written (cases) VALUES (?1)", [self.cases]).unwrap();
            d.deltas.as_mut().expect("a batch writer merges").add_cases(self.day, self.cases);
            self.stands
        }

        fn finish(self: Box<Self>, _: Result<(), StoreError>) {}
    }

    /// A batch with a failing write is run again, a savepoint each: the
    /// failed write leaves no row behind, each other write exactly one,
    /// and every caller hears its own outcome.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failing_write_leaves_nothing_and_its_neighbours_stand_once() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("redress.db").display());
        let store = std::sync::Arc::new(SqliteStore::open(&url).await.unwrap());
        store.write(|c| Box::pin(async move { exec(c, "CREATE TABLE written (n INTEGER NOT NULL)").await })).await.unwrap();
        // Held by the writer until all forty are queued: one batch.
        let (hold, held) = std::sync::mpsc::channel::<()>();
        let holding = tokio::spawn({
            let store = store.clone();
            async move {
                store
                    .write_direct(move |_| {
                        let _ = held.recv_timeout(Duration::from_secs(60));
                        Box::pin(async { Ok(()) })
                    })
                    .await
            }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        let writes: Vec<_> = (0..40_i64)
            .map(|n| {
                let store = store.clone();
                tokio::spawn(async move {
                    store
                        .write_direct(move |c| {
                            Box::pin(async move {
                                let mut params = repo::run::Params::default();
                                params.add(n);
                                repo::run::Run::execute(c, "INSERT INTO written (n) VALUES ($1)", params).await?;
                                if n % 10 == 3 {
                                    return Err(StoreError::Backend(format!("write {n} fails after its row")));
                                }
                                Ok(n)
                            })
                        })
                        .await
                })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(100)).await;
        hold.send(()).unwrap();
        holding.await.unwrap().unwrap();
        for (n, w) in writes.into_iter().enumerate() {
            let n = n as i64;
            match w.await.unwrap() {
                Ok(got) => assert_eq!(got, n, "write {n} hears its own outcome"),
                Err(e) => assert!(n % 10 == 3 && e.to_string().contains(&format!("write {n} fails")), "write {n} failed: {e}"),
            }
        }
        let rows: Vec<i64> = sqlx::query_scalar("SELECT n FROM written ORDER BY n").fetch_all(&store.reads).await.unwrap();
        let standing: Vec<i64> = (0..40).filter(|n| n % 10 != 3).collect();
        assert_eq!(rows, standing, "each standing write once, no failed write's row");
    }

    /// Under writes that never pause, the log is started afresh once long
    /// (the writer copying the rest back itself), so its file stops growing.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_log_under_writes_that_never_pause_is_started_afresh() {
        use std::sync::atomic::{AtomicU64, Ordering};
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("redress.db");
        let store = std::sync::Arc::new(SqliteStore::open_with_checkpoints(&format!("sqlite://{}", file.display()), Duration::from_millis(200), 256).await.unwrap());
        store.write(|c| Box::pin(async move { exec(c, "CREATE TABLE pages (body TEXT NOT NULL)").await })).await.unwrap();
        // At least 2.5 s of writes (a dozen of the checkpointer's rounds) and 16 MiB of rows.
        const ROW: usize = 1024;
        let (written, started, mut writers) = (std::sync::Arc::new(AtomicU64::new(0)), Instant::now(), Vec::new());
        for _ in 0..16 {
            let (store, written) = (store.clone(), written.clone());
            writers.push(tokio::spawn(async move {
                // A minute at most, however slow the machine: the log is judged against what was written.
                while (started.elapsed() < Duration::from_millis(2500) || written.load(Ordering::Relaxed) < 16 << 20) && started.elapsed() < Duration::from_secs(60) {
                    store
                        .write_direct(move |c| {
                            Box::pin(async move {
                                let mut params = repo::run::Params::default();
                                params.add("x".repeat(ROW));
                                repo::run::Run::execute(c, "INSERT INTO pages (body) VALUES ($1)", params).await
                            })
                        })
                        .await
                        .unwrap();
                    written.fetch_add(ROW as u64, Ordering::Relaxed);
                }
            }));
        }
        for w in writers {
            w.await.unwrap();
        }
        let log = std::fs::metadata(dir.path().join("redress.db-wal")).unwrap().len();
        let written = written.load(Ordering::Relaxed);
        // Never started afresh, the log would hold every row written.
        assert!(log < written / 2, "the log grew to {log} bytes for {written} bytes of rows");
    }
}
