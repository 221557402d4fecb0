//! What a hot write or read by key runs its statements on: the driver's
//! connection, or on SQLite a direct one (`sqlite::Direct`: rusqlite, each
//! statement a function call on the calling thread instead of a hand-over
//! to the driver's thread).
//!
//! A write written against [`Run`] builds each call as [`Call`] (its
//! statements) and [`Param`]s (numbered across them), and reads answers
//! through [`Cells`]; it runs unchanged on either.

use super::*;
use std::future::Future;

/// A value for a numbered parameter (`$1`, …).
pub(crate) enum Param {
    Int(Option<i64>),
    Text(Option<String>),
    Bool(bool),
}

impl From<i64> for Param {
    fn from(v: i64) -> Param {
        Param::Int(Some(v))
    }
}

impl From<Option<i64>> for Param {
    fn from(v: Option<i64>) -> Param {
        Param::Int(v)
    }
}

impl From<String> for Param {
    fn from(v: String) -> Param {
        Param::Text(Some(v))
    }
}

impl From<&str> for Param {
    fn from(v: &str) -> Param {
        Param::Text(Some(v.to_string()))
    }
}

impl From<Option<String>> for Param {
    fn from(v: Option<String>) -> Param {
        Param::Text(v)
    }
}

impl From<Option<&str>> for Param {
    fn from(v: Option<&str>) -> Param {
        Param::Text(v.map(str::to_string))
    }
}

impl From<bool> for Param {
    fn from(v: bool) -> Param {
        Param::Bool(v)
    }
}

/// The parameters of a call, in their numbering's order.
#[derive(Default)]
pub(crate) struct Params(pub(crate) Vec<Param>);

impl Params {
    pub(crate) fn with_capacity(n: usize) -> Params {
        Params(Vec::with_capacity(n))
    }

    /// Appends the next parameter.
    pub(crate) fn add(&mut self, v: impl Into<Param>) -> &mut Params {
        self.0.push(v.into());
        self
    }
}

/// The statements of one call, run in order. On PostgreSQL a write folds
/// its statements into one ([`in_one_round_trip`]); on SQLite they stay
/// apart and run one after another.
pub(crate) struct Call(pub(crate) Vec<String>);

impl Call {
    pub(crate) fn one(sql: String) -> Call {
        Call(vec![sql])
    }

    /// The statements as one text, for the driver.
    fn text(&self) -> std::borrow::Cow<'_, str> {
        match self.0.as_slice() {
            [one] => std::borrow::Cow::Borrowed(one),
            many => std::borrow::Cow::Owned(many.join("; ")),
        }
    }
}

/// The columns of an answered row.
pub(crate) trait Cells {
    /// How many columns the row has.
    fn width(&self) -> usize;
    fn int(&self, i: usize) -> StoreResult<i64>;
    fn opt_int(&self, i: usize) -> StoreResult<Option<i64>>;
    fn text(&self, i: usize) -> StoreResult<String>;
    fn opt_text(&self, i: usize) -> StoreResult<Option<String>>;
    fn flag(&self, i: usize) -> StoreResult<bool>;
}

/// The first of `rows`, which a statement that always answers must have.
pub(crate) fn first<C: Cells>(rows: &[C]) -> StoreResult<&C> {
    rows.first().ok_or_else(|| db_error(sqlx::Error::RowNotFound))
}

/// Where a write's statements run.
pub(crate) trait Run: Send {
    type Row: Cells + Send;

    /// Runs `call` with `params`, answering every row its statements return.
    fn rows(&mut self, call: &Call, params: Params) -> impl Future<Output = StoreResult<Vec<Self::Row>>> + Send;

    /// Runs one statement, answering how many rows it changed.
    fn execute(&mut self, sql: &str, params: Params) -> impl Future<Output = StoreResult<u64>> + Send;

    /// The driver's connection, for a statement written for it alone. A
    /// write that may need it is never given to a direct run, which
    /// answers an error.
    fn driver(&mut self) -> StoreResult<&mut Conn>;

    /// Where the rollup changes of the transaction this run writes in are
    /// merged until it commits, if they are ([`super::insight::MergedDeltas`]:
    /// the SQLite writer's batches); otherwise each write appends its own.
    fn merged_deltas(&mut self) -> Option<&mut super::insight::MergedDeltas> {
        None
    }
}

/// `params` as the driver's arguments, in order: for the hot writes, and
/// for reads assembled at run time (`case_search`).
pub(crate) fn arguments<'q>(params: Vec<Param>) -> StoreResult<<Db as sqlx::Database>::Arguments<'q>> {
    use sqlx::Arguments;
    let mut args = <Db as sqlx::Database>::Arguments::default();
    for p in params {
        match p {
            Param::Int(v) => args.add(v),
            Param::Text(v) => args.add(v),
            Param::Bool(v) => args.add(v),
        }
        .map_err(|e| StoreError::Backend(format!("cannot bind a value: {e}")))?;
    }
    Ok(args)
}

impl Run for Conn {
    type Row = DbRow;

    async fn rows(&mut self, call: &Call, params: Params) -> StoreResult<Vec<Self::Row>> {
        let sql = call.text();
        // `fetch_all`: on SQLite the statements after the first run only
        // while the call's rows are read, and `fetch_one` stops at the first.
        sqlx::query_with(&sql, arguments(params.0)?).fetch_all(&mut *self).await.map_err(db_error)
    }

    async fn execute(&mut self, sql: &str, params: Params) -> StoreResult<u64> {
        Ok(sqlx::query_with(sql, arguments(params.0)?).execute(&mut *self).await.map_err(db_error)?.rows_affected())
    }

    fn driver(&mut self) -> StoreResult<&mut Conn> {
        Ok(self)
    }
}

impl Cells for DbRow {
    fn width(&self) -> usize {
        sqlx::Row::len(self)
    }

    fn int(&self, i: usize) -> StoreResult<i64> {
        sqlx::Row::try_get(self, i).map_err(db_error)
    }

    fn opt_int(&self, i: usize) -> StoreResult<Option<i64>> {
        sqlx::Row::try_get(self, i).map_err(db_error)
    }

    fn text(&self, i: usize) -> StoreResult<String> {
        sqlx::Row::try_get(self, i).map_err(db_error)
    }

    fn opt_text(&self, i: usize) -> StoreResult<Option<String>> {
        sqlx::Row::try_get(self, i).map_err(db_error)
    }

    fn flag(&self, i: usize) -> StoreResult<bool> {
        sqlx::Row::try_get(self, i).map_err(db_error)
    }
}
