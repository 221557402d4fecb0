//! A bulk path for `redress bench --workload insight`: loads millions of
//! customers, cases and answered survey invitations straight into a
//! migrated database in large multi-row transactions, far faster than the
//! API could. The rows are those the ordinary write path stores (see
//! `repo/bulk.rs` for what it leaves out); the insight rollups are not
//! touched, so call `Store::rebuild_rollups` afterwards. Not for production
//! data: nothing is checked beyond the database's own constraints.
//!
//! It also writes the storage ceiling of `redress bench`'s write paths
//! ([`BulkLoader::write_ceiling`]).

use crate::{postgres, sqlite, Backend, OpenError};
use jiff::Timestamp;
use redress_core::case::{Case, NewCase, Outcome};
use redress_core::feedback::ResponsePlan;
use redress_core::survey::{Invitation, Survey};
use redress_core::terms::Reward;
use redress_core::settings::OrgSettings;
use redress_core::store::StoreResult;
use redress_core::survey::Answers;
use redress_core::{CaseId, CustomerId, SurveyId, UserId};

/// A customer to insert.
pub struct BulkCustomer {
    pub name: String,
    pub email: Option<String>,
    pub timezone: String,
    pub client_manager_id: Option<UserId>,
}

/// An invitation, answered at `created_at`, and its response.
pub struct BulkResponse {
    pub survey_id: SurveyId,
    pub customer_id: CustomerId,
    /// The invitation's code digest (unique).
    pub code_digest: String,
    pub invited_at: Timestamp,
    pub created_at: Timestamp,
    pub answers: Answers,
    pub lowest_rating: Option<u8>,
    pub nps: Option<u8>,
    /// What the receipt says, as the survey would.
    pub thank_you: String,
    pub next: String,
    pub reward_points: i64,
}

/// Writes prepared for [`BulkLoader::write_ceiling`]: cases opened, or
/// survey responses judged, the reads they need done beforehand, with the
/// settings they were decided under.
pub struct CeilingWrites {
    pub(crate) settings: OrgSettings,
    pub(crate) items: Vec<Prepared>,
}

pub(crate) enum Prepared {
    Case(Box<(Case, Outcome, Option<Reward>)>),
    Response(Box<(Invitation, Survey, ResponsePlan)>),
}

impl CeilingWrites {
    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

enum Conn {
    /// The driver's connection, and the writer's direct one the storage
    /// ceiling writes on, as the server's writer does.
    Sqlite(sqlx::SqliteConnection, sqlite::Direct),
    Postgres(sqlx::PgConnection),
}

/// One connection to the database being loaded; each call is one transaction.
pub struct BulkLoader(Conn);

impl BulkLoader {
    pub async fn connect(url: &str) -> Result<BulkLoader, OpenError> {
        Ok(BulkLoader(match Backend::of(url)? {
            Backend::Sqlite => Conn::Sqlite(sqlite::bulk_connection(url).await?, sqlite::bulk_direct(url)?),
            Backend::Postgres => Conn::Postgres(postgres::bulk_connection(url).await?),
        }))
    }

    /// Inserts customers; answers their ids, in order.
    pub async fn customers(&mut self, rows: &[BulkCustomer], now: Timestamp) -> StoreResult<Vec<CustomerId>> {
        match &mut self.0 {
            Conn::Sqlite(c, _) => sqlite::bulk::customers(c, rows, now).await,
            Conn::Postgres(c) => postgres::bulk::customers(c, rows, now).await,
        }
    }

    /// Inserts new cases (as `Case::open` and the changes after it leave
    /// them, id unset); answers their ids, in order.
    pub async fn cases(&mut self, rows: &[Case], settings: &OrgSettings) -> StoreResult<Vec<CaseId>> {
        match &mut self.0 {
            Conn::Sqlite(c, _) => sqlite::bulk::cases(c, rows, settings).await,
            Conn::Postgres(c) => postgres::bulk::cases(c, rows, settings).await,
        }
    }

    /// Opens `cases` (each for its customer) as the API would with
    /// `recorder` recording and owning them, ready for [`Self::write_ceiling`].
    pub async fn prepare_cases(&mut self, cases: Vec<(NewCase, CustomerId)>, recorder: UserId, now: Timestamp) -> StoreResult<CeilingWrites> {
        match &mut self.0 {
            Conn::Sqlite(c, _) => sqlite::ceiling::prepare_cases(c, cases, recorder, now).await,
            Conn::Postgres(c) => postgres::ceiling::prepare_cases(c, cases, recorder, now).await,
        }
    }

    /// Judges survey answers, each for the invitation whose code digest it
    /// carries, ready for [`Self::write_ceiling`].
    pub async fn prepare_responses(&mut self, answers: Vec<(String, serde_json::Map<String, serde_json::Value>)>, now: Timestamp) -> StoreResult<CeilingWrites> {
        match &mut self.0 {
            Conn::Sqlite(c, _) => sqlite::ceiling::prepare_responses(c, answers, now).await,
            Conn::Postgres(c) => postgres::ceiling::prepare_responses(c, answers, now).await,
        }
    }

    /// Stores prepared writes with the write path's own statements, as
    /// many to a transaction as the server commits together
    /// ([`Backend::group_commit`](crate::Backend::group_commit)): the
    /// storage ceiling a write path is measured against. Answers how many
    /// were written.
    pub async fn write_ceiling(&mut self, writes: CeilingWrites) -> StoreResult<usize> {
        match &mut self.0 {
            Conn::Sqlite(_, direct) => sqlite::ceiling_direct(direct, writes, crate::Backend::Sqlite.group_commit()),
            Conn::Postgres(c) => postgres::batch::write_ceiling(c, writes, crate::Backend::Postgres.group_commit()).await,
        }
    }

    /// Inserts answered invitations with their responses.
    pub async fn responses(&mut self, rows: &[BulkResponse]) -> StoreResult<()> {
        match &mut self.0 {
            Conn::Sqlite(c, _) => sqlite::bulk::responses(c, rows).await,
            Conn::Postgres(c) => postgres::bulk::responses(c, rows).await,
        }
    }
}
