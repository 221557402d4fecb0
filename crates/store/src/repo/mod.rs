//! The repository, written once and compiled for each backend: the including
//! module supplies `Db` (the sqlx driver), `This` (the store type with its
//! `write` and `reads`), `LOCK_FOR_UPDATE`, `ILIKE` and `SKIP_LOCKED`.
//!
//! One module per aggregate holds that aggregate's SQL: the statements a
//! write transaction composes (taking `&mut Conn`) and the reads (taking the
//! pool). `store_impl` is the [`Store`](redress_core::store::Store) itself:
//! each method opens a read or a write and hands it to its aggregate. This
//! module keeps only what every aggregate shares: conversions between stored
//! and domain values, and helpers for statements assembled at run time.

use super::{text_query, Db, This, BEGIN_WRITE, DATA_MODIFYING_CTES, HOLD_WRITES, ILIKE, LOCK_FOR_CHANGE, LOCK_FOR_UPDATE, NAME_MATCH, SKIP_LOCKED, TEXT_CASES, TEXT_CASES_ORDER, TEXT_CASES_RANK, TEXT_MATCH, TEXT_WINDOW};
use crate::db_error;
use jiff::Timestamp;
use redress_core::store::{StoreError, StoreResult};
use redress_core::{CaseId, CustomerId, DomainError, UserId};
use serde::{de::DeserializeOwned, Serialize};
use run::{Call, Cells, Params, Run};

/// A connection inside a write transaction (or a read borrowed from the
/// pool): the backend's own type (`super::Conn`), named so that traits can
/// be implemented for it.
use super::{Conn, DbRow};
/// The pool reads run on.
type Pool = sqlx::Pool<Db>;

#[path = "attachments.rs"]
mod attachments;
// PostgreSQL's alone: SQLite's writer batches on its own connection.
#[allow(dead_code)]
#[path = "batch.rs"]
pub(crate) mod batch;
#[path = "bulk.rs"]
pub(crate) mod bulk;
#[path = "categories.rs"]
mod categories;
#[path = "ceiling.rs"]
pub(crate) mod ceiling;
#[path = "case_search.rs"]
mod case_search;
#[path = "cases.rs"]
mod cases;
#[path = "directory.rs"]
pub(crate) mod directory;
#[path = "export.rs"]
mod export;
#[path = "insight.rs"]
pub(crate) mod insight;
#[path = "jobs.rs"]
mod jobs;
#[path = "notifications.rs"]
mod notifications;
#[path = "people.rs"]
mod people;
#[path = "privacy.rs"]
mod privacy;
#[path = "problems.rs"]
mod problems;
#[path = "run.rs"]
pub(crate) mod run;
#[path = "settings.rs"]
mod settings;
#[path = "audit.rs"]
mod audit;
#[path = "guesses.rs"]
mod guesses;
#[path = "status_links.rs"]
mod status_links;
#[path = "store_impl.rs"]
mod store_impl;
#[path = "surveys.rs"]
mod surveys;
#[path = "timeline.rs"]
mod timeline;
#[path = "webhooks.rs"]
mod webhooks;

/// Brings the derived columns of rows written by older versions up to date,
/// in batches, before the store serves anything.
pub(super) async fn reproject(store: &This) -> StoreResult<()> {
    while store.write(|c| Box::pin(cases::reproject(c, 500))).await? > 0 {}
    if insight::rebuild_needed(&store.reads).await? {
        store.write(|c| Box::pin(insight::rebuild(c, true))).await?;
    }
    Ok(())
}

// ---- conversions ------------------------------------------------------------

fn ts(micros: i64) -> StoreResult<Timestamp> {
    Timestamp::from_microsecond(micros).map_err(|e| StoreError::Backend(format!("stored time {micros} is invalid: {e}")))
}

fn opt_ts(micros: Option<i64>) -> StoreResult<Option<Timestamp>> {
    micros.map(ts).transpose()
}

fn micros(t: Timestamp) -> i64 {
    t.as_microsecond()
}

fn to_json<T: Serialize>(v: &T) -> StoreResult<String> {
    serde_json::to_string(v).map_err(|e| StoreError::Backend(format!("cannot encode: {e}")))
}

fn from_json<T: DeserializeOwned>(text: &str) -> StoreResult<T> {
    serde_json::from_str(text).map_err(|e| StoreError::Backend(format!("stored JSON is unreadable: {e}")))
}

/// An enum's wire name (`"in_progress"`), as stored in text columns.
fn name_of<T: Serialize>(v: &T) -> StoreResult<String> {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => Ok(s),
        _ => Err(StoreError::Backend("enum without a name".into())),
    }
}

fn parse_name<T: DeserializeOwned>(s: String) -> StoreResult<T> {
    serde_json::from_value(serde_json::Value::String(s)).map_err(|e| StoreError::Backend(format!("stored name is unknown: {e}")))
}

// ---- statements assembled at run time ------------------------------------------

/// Two writes without answers in one round trip: on PostgreSQL `first` as
/// a data-modifying `WITH` of `second`, on SQLite one after the other in one
/// call. Their parameters are numbered in one sequence.
fn one_after_the_other(first: &str, second: &str) -> Call {
    if DATA_MODIFYING_CTES {
        Call::one(format!("WITH first AS ({first}) {second}"))
    } else {
        Call(vec![first.to_string(), second.to_string()])
    }
}

/// One of the writes [`in_one_round_trip`] makes: an `INSERT` (without
/// `RETURNING`) and, when later writes read its new row, the name they read
/// it by (`{name}` in their `FROM` stands for a one-row source `name` with
/// the row's `id`) and the table it is inserted into.
struct Write {
    sql: String,
    row: Option<(&'static str, &'static str)>,
}

impl Write {
    /// An insert whose new row later writes read as `name`.
    fn named(name: &'static str, table: &'static str, sql: String) -> Write {
        Write { sql, row: Some((name, table)) }
    }

    fn then(sql: String) -> Write {
        Write { sql, row: None }
    }
}

/// `writes` in one round trip, answering `answer` (`id` and expressions not
/// naming other columns) for the first write's new row; their parameters
/// are numbered in one sequence.
///
/// On PostgreSQL this is one statement, each write a part of a
/// data-modifying `WITH`. On SQLite it is the statements one after another
/// (in one call on the driver's connection), a named row found as its
/// table's newest: the one writer has just inserted it. Should an `INSERT`
/// insert nothing, the caller, finding no answer, fails the write, and the
/// writer rolls back whatever the writes after it wrote.
///
/// A write of one row from a named row alone, `INSERT … SELECT exprs FROM
/// {name}`, is `INSERT … VALUES (exprs)` on SQLite, the row's id read in
/// place: the same one row, from a statement SQLite needs no statement
/// journal for (an `INSERT … SELECT` that a constraint may stop part way
/// gets one, a copy of each page it changes that its transaction had
/// changed before it).
fn in_one_round_trip(writes: &[Write], answer: &str) -> Call {
    let source = |sql: &str| {
        writes.iter().filter_map(|w| w.row).fold(sql.to_string(), |sql, (name, table)| {
            if DATA_MODIFYING_CTES {
                return sql.replace(&format!("{{{name}}}"), name);
            }
            if let Some((insert, exprs)) = sql.strip_suffix(&format!(" FROM {{{name}}}")).and_then(|s| s.split_once(" SELECT ")) {
                if !exprs.contains(" FROM ") {
                    return format!("{insert} VALUES ({})", exprs.replace(&format!("{name}.id"), &format!("(SELECT MAX(id) FROM {table})")));
                }
            }
            sql.replace(&format!("{{{name}}}"), &format!("(SELECT MAX(id) AS id FROM {table}) AS {name}"))
        })
    };
    let first = writes.first().and_then(|w| w.row).map_or("new", |(name, _)| name);
    if DATA_MODIFYING_CTES {
        let parts: Vec<String> = writes
            .iter()
            .enumerate()
            .map(|(i, w)| match w.row {
                Some((name, _)) => format!("{name} AS ({} RETURNING id)", source(&w.sql)),
                None => format!("write{i} AS ({})", source(&w.sql)),
            })
            .collect();
        Call::one(format!("WITH {} SELECT {answer} FROM {first}", parts.join(", ")))
    } else {
        Call(writes.iter().enumerate().map(|(i, w)| if i == 0 { format!("{} RETURNING {answer}", source(&w.sql)) } else { source(&w.sql) }).collect())
    }
}

/// `($1, $2), ($3, $4)` for `rows` rows of `cols` parameters: a multi-row VALUES list.
fn values_list(rows: usize, cols: usize) -> String {
    (0..rows)
        .map(|r| format!("({})", (1..=cols).map(|c| format!("${}", r * cols + c)).collect::<Vec<_>>().join(", ")))
        .collect::<Vec<_>>()
        .join(", ")
}
