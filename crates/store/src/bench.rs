//! A bulk path for `redress bench --workload insight`: loads millions of
//! customers, cases and answered survey invitations straight into a
//! migrated database in large multi-row transactions, far faster than the
//! API could. The rows are those the ordinary write path stores (see
//! `repo/bulk.rs` for what it leaves out); the insight rollups are not
//! touched, so call `Store::rebuild_rollups` afterwards. Not for production
//! data: nothing is checked beyond the database's own constraints.

use crate::{postgres, sqlite, Backend, OpenError};
use jiff::Timestamp;
use redress_core::case::Case;
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

enum Conn {
    Sqlite(sqlx::SqliteConnection),
    Postgres(sqlx::PgConnection),
}

/// One connection to the database being loaded; each call is one transaction.
pub struct BulkLoader(Conn);

impl BulkLoader {
    pub async fn connect(url: &str) -> Result<BulkLoader, OpenError> {
        Ok(BulkLoader(match Backend::of(url)? {
            Backend::Sqlite => Conn::Sqlite(sqlite::bulk_connection(url).await?),
            Backend::Postgres => Conn::Postgres(postgres::bulk_connection(url).await?),
        }))
    }

    /// Inserts customers; answers their ids, in order.
    pub async fn customers(&mut self, rows: &[BulkCustomer], now: Timestamp) -> StoreResult<Vec<CustomerId>> {
        match &mut self.0 {
            Conn::Sqlite(c) => sqlite::bulk::customers(c, rows, now).await,
            Conn::Postgres(c) => postgres::bulk::customers(c, rows, now).await,
        }
    }

    /// Inserts new cases (as `Case::open` and the changes after it leave
    /// them, id unset); answers their ids, in order.
    pub async fn cases(&mut self, rows: &[Case], settings: &OrgSettings) -> StoreResult<Vec<CaseId>> {
        match &mut self.0 {
            Conn::Sqlite(c) => sqlite::bulk::cases(c, rows, settings).await,
            Conn::Postgres(c) => postgres::bulk::cases(c, rows, settings).await,
        }
    }

    /// Inserts answered invitations with their responses.
    pub async fn responses(&mut self, rows: &[BulkResponse]) -> StoreResult<()> {
        match &mut self.0 {
            Conn::Sqlite(c) => sqlite::bulk::responses(c, rows).await,
            Conn::Postgres(c) => postgres::bulk::responses(c, rows).await,
        }
    }
}
