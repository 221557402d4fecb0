//! Backups of the embedded database: a consistent copy taken while the
//! server goes on serving (`VACUUM INTO`, one read transaction), and its
//! restoring in place of a stopped server's file. PostgreSQL has its own
//! tools for both (`pg_dump`, `pg_restore`), which the README shows.

use crate::{Backend, OpenError};
use sqlx::{ConnectOptions, Connection};
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// What a backup or restore could not do, in words for the operator.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Open(#[from] OpenError),
    #[error("the database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("{path}: {error}")]
    File { path: PathBuf, error: std::io::Error },
}

fn file_error(path: &Path) -> impl FnOnce(std::io::Error) -> BackupError + '_ {
    move |error| BackupError::File { path: path.to_path_buf(), error }
}

const POSTGRES: &str = "a PostgreSQL database is backed up with pg_dump and restored with pg_restore (see the README, \"Backups\")";

/// Writes a consistent copy of the database at `url` to `output`, which
/// must not exist yet, while the server may go on writing: the copy holds
/// every write committed before it began. Answers the copy's size in bytes.
pub async fn backup(url: &str, output: &Path) -> Result<u64, BackupError> {
    if Backend::of(url)? == Backend::Postgres {
        return Err(BackupError::Refused(POSTGRES.into()));
    }
    if output.exists() {
        return Err(BackupError::Refused(format!("{} already exists: name a new file", output.display())));
    }
    let source = sqlx::sqlite::SqliteConnectOptions::from_str(url).map_err(OpenError::from)?;
    if !source.get_filename().exists() {
        return Err(BackupError::Refused(format!("there is no database at {url}")));
    }
    // Written beside the output and renamed once complete, so a backup
    // cut short never looks like one.
    let partial = beside(output, "partial");
    let _ = std::fs::remove_file(&partial);
    let mut c = source.read_only(true).connect().await?;
    sqlx::query("VACUUM INTO ?").bind(partial.to_string_lossy().into_owned()).execute(&mut c).await?;
    c.close().await?;
    put_in_place(&partial, output)?;
    Ok(std::fs::metadata(output).map_err(file_error(output))?.len())
}

/// Puts the backup `input` in place of the database at `url` and brings
/// its schema up to date (a backup taken by an older version is migrated
/// forward). The server must be stopped. An existing database is replaced
/// only when `replace` says so. Answers the migrations applied.
pub async fn restore(url: &str, input: &Path, replace: bool) -> Result<usize, BackupError> {
    if Backend::of(url)? == Backend::Postgres {
        return Err(BackupError::Refused(POSTGRES.into()));
    }
    check_backup(input).await?;
    let target = sqlx::sqlite::SqliteConnectOptions::from_str(url).map_err(OpenError::from)?.get_filename().to_path_buf();
    if target.exists() && !replace {
        return Err(BackupError::Refused(format!(
            "{} already holds a database: stop the server and pass --replace to put the backup in its place",
            target.display()
        )));
    }
    let partial = beside(&target, "restoring");
    std::fs::copy(input, &partial).map_err(file_error(&partial))?;
    // The replaced database's write-ahead log belongs to it, not to the backup.
    for suffix in ["-wal", "-shm"] {
        let side = PathBuf::from(format!("{}{suffix}", target.display()));
        match std::fs::remove_file(&side) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(file_error(&side)(e)),
        }
    }
    put_in_place(&partial, &target)?;
    Ok(crate::migrate(url).await?)
}

/// Refuses anything but an intact Redress database.
async fn check_backup(input: &Path) -> Result<(), BackupError> {
    if !input.is_file() {
        return Err(BackupError::Refused(format!("{} is not a file", input.display())));
    }
    let not_ours = || BackupError::Refused(format!("{} is not a Redress backup", input.display()));
    let mut c = sqlx::sqlite::SqliteConnectOptions::new().filename(input).read_only(true).connect().await.map_err(|_| not_ours())?;
    let checked: Result<String, sqlx::Error> = sqlx::query_scalar("PRAGMA integrity_check").fetch_one(&mut c).await;
    let versions: Result<i64, sqlx::Error> = sqlx::query_scalar("SELECT COUNT(*) FROM schema_migrations").fetch_one(&mut c).await;
    c.close().await.ok();
    match (checked, versions) {
        (Ok(ok), Ok(n)) if ok == "ok" && n > 0 => Ok(()),
        (Ok(problem), Ok(_)) if problem != "ok" => Err(BackupError::Refused(format!("{} is damaged: {problem}", input.display()))),
        _ => Err(not_ours()),
    }
}

/// A hidden name beside `path` for the file being written in its place
/// (`.redress.db.restoring`), so that one cut short never looks finished.
fn beside(path: &Path, what: &str) -> PathBuf {
    path.with_file_name(format!(".{}.{what}", path.file_name().and_then(|n| n.to_str()).unwrap_or("redress.db")))
}

/// Makes the complete file `partial` durable as `target`: its bytes, the
/// rename, and the directory entry all reach the disk.
fn put_in_place(partial: &Path, target: &Path) -> Result<(), BackupError> {
    std::fs::File::open(partial).and_then(|f| f.sync_all()).map_err(file_error(partial))?;
    std::fs::rename(partial, target).map_err(file_error(target))?;
    let dir = target.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::File::open(dir).and_then(|d| d.sync_all()).map_err(file_error(dir))
}
