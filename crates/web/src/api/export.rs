//! The CSV export of cases and survey responses, for managers and above:
//! streamed, read in keyset batches of [`BATCH`] rows so that no export
//! holds more than one batch in memory, and written with the `csv` crate.
//! The rows are `redress_core::export`'s; `redress export` writes the same
//! through [`Export`].

use crate::auth::Actor;
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiQuery;
use crate::AppState;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response as HttpResponse};
use futures_util::{Stream, StreamExt};
use redress_core::export::{case_row, parse_range, response_row, CASE_COLUMNS, RESPONSE_COLUMNS};
use redress_core::store::{Store, StoreError, StoreResult, TimeRange};
use redress_core::survey::Survey;
use redress_core::user::User;
use redress_core::{CaseId, ResponseId, ServiceAreaId, SurveyId};
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::Arc;
use utoipa::IntoParams;

/// Rows read from the database at a time.
pub const BATCH: u32 = 1000;

/// What an export holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dataset {
    /// Cases, by when they were reported (`reported_at`).
    Cases,
    /// Survey responses, by when they were given (`created_at`).
    Responses,
}

impl Dataset {
    pub fn as_str(self) -> &'static str {
        match self {
            Dataset::Cases => "cases",
            Dataset::Responses => "responses",
        }
    }
}

/// A piece of the CSV text: the header row, or one batch of rows.
pub struct Chunk {
    pub csv: Bytes,
    /// Data rows in it (0 for the header).
    pub rows: u64,
}

/// An export under way: yields the header, then one batch after another,
/// lowest id first, until the period holds no more.
pub struct Export {
    store: Arc<dyn Store>,
    what: Dataset,
    range: TimeRange,
    /// The last id written.
    after: Option<i64>,
    header_written: bool,
    done: bool,
    /// Service areas' names and surveys, read once and completed as new ones appear.
    areas: HashMap<ServiceAreaId, String>,
    surveys: HashMap<SurveyId, Survey>,
}

impl Export {
    pub async fn new(store: Arc<dyn Store>, what: Dataset, range: TimeRange) -> StoreResult<Export> {
        let (areas, surveys) = match what {
            Dataset::Cases => (store.service_areas().await?.into_iter().map(|a| (a.id, a.name)).collect(), HashMap::new()),
            Dataset::Responses => (HashMap::new(), store.surveys().await?.into_iter().map(|s| (s.id, s)).collect()),
        };
        Ok(Export { store, what, range, after: None, header_written: false, done: false, areas, surveys })
    }

    /// How many rows the export will hold, about (rows written meanwhile may add to it).
    pub async fn count(&self) -> StoreResult<i64> {
        match self.what {
            Dataset::Cases => self.store.count_cases_in(self.range).await,
            Dataset::Responses => self.store.count_responses_in(self.range).await,
        }
    }

    /// The next piece of CSV text; `None` once everything is written.
    pub async fn next_chunk(&mut self) -> StoreResult<Option<Chunk>> {
        if !self.header_written {
            self.header_written = true;
            let columns: &[&str] = match self.what {
                Dataset::Cases => &CASE_COLUMNS,
                Dataset::Responses => &RESPONSE_COLUMNS,
            };
            return Ok(Some(Chunk { csv: csv_text(std::iter::once(columns.iter().map(|c| c.to_string()).collect()))?, rows: 0 }));
        }
        if self.done {
            return Ok(None);
        }
        let rows = match self.what {
            Dataset::Cases => self.case_rows().await?,
            Dataset::Responses => self.response_rows().await?,
        };
        if rows.len() < BATCH as usize {
            self.done = true;
        }
        if rows.is_empty() {
            return Ok(None);
        }
        let n = rows.len() as u64;
        Ok(Some(Chunk { csv: csv_text(rows.into_iter())?, rows: n }))
    }

    async fn case_rows(&mut self) -> StoreResult<Vec<Vec<String>>> {
        let cases = self.store.cases_page(self.range, self.after.map(CaseId), BATCH).await?;
        let mut rows = Vec::with_capacity(cases.len());
        for case in &cases {
            let area = match case.service_area_id {
                Some(id) if !self.areas.contains_key(&id) => match self.store.service_area(id).await? {
                    Some(a) => Some(self.areas.entry(id).or_insert(a.name).as_str()),
                    None => None,
                },
                Some(id) => self.areas.get(&id).map(String::as_str),
                None => None,
            };
            rows.push(case_row(case, area));
            self.after = Some(case.id.0);
        }
        Ok(rows)
    }

    async fn response_rows(&mut self) -> StoreResult<Vec<Vec<String>>> {
        let responses = self.store.responses_page(self.range, self.after.map(ResponseId), BATCH).await?;
        let mut rows = Vec::with_capacity(responses.len());
        for r in &responses {
            if !self.surveys.contains_key(&r.survey_id) {
                if let Some(s) = self.store.survey(r.survey_id).await? {
                    self.surveys.insert(s.id, s);
                }
            }
            rows.push(response_row(r, self.surveys.get(&r.survey_id)));
            self.after = Some(r.id.0);
        }
        Ok(rows)
    }

    /// The rest of the export as a stream of CSV text. A failure part way
    /// is logged and ends the stream with an error (the client sees the
    /// download broken off, never a silently short file).
    pub fn into_stream(self) -> impl Stream<Item = Result<Bytes, StoreError>> + Send + 'static {
        futures_util::stream::unfold(Some(self), |export| async move {
            let mut export = export?;
            match export.next_chunk().await {
                Ok(Some(chunk)) => Some((Ok(chunk.csv), Some(export))),
                Ok(None) => None,
                Err(e) => {
                    tracing::error!(error = %e, export = export.what.as_str(), "the CSV export failed part way");
                    Some((Err(e), None))
                }
            }
        })
    }
}

/// Rows as CSV text (RFC 4180: CRLF line ends, fields with a comma, a
/// quote or a line break quoted, quotes doubled).
fn csv_text(rows: impl Iterator<Item = Vec<String>>) -> StoreResult<Bytes> {
    let fail = |e: String| StoreError::Backend(format!("cannot write CSV: {e}"));
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    for row in rows {
        w.write_record(&row).map_err(|e| fail(e.to_string()))?;
    }
    w.into_inner().map(Bytes::from).map_err(|e| fail(e.to_string()))
}

/// The period `from`–`to` as the organisation's settings read it (a date
/// is a day in its time zone); a bad value is a 400 naming the parameter.
pub async fn period(store: &dyn Store, from: Option<&str>, to: Option<&str>) -> ApiResult<TimeRange> {
    let zone = store.settings().await?.time_zone();
    parse_range(from, to, &zone).map_err(|e| if e.malformed { ApiError::bad_request(e.detail) } else { ApiError::unprocessable(e.detail) })
}

/// Managers, seniors and admins export; agents and partners are refused.
pub fn may_export(user: &User) -> ApiResult<()> {
    if user.role.supervises() {
        Ok(())
    } else {
        Err(ApiError::forbidden(format!("only a manager, senior or admin may export; you are {}", user.role.as_str())))
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ExportQuery {
    /// Start of the period (inclusive): an RFC 3339 timestamp, or a date
    /// `YYYY-MM-DD` for the start of that day in the organisation's time
    /// zone. Open when absent.
    #[param(pattern = r"^[12]\d{3}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])([Tt]([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,6})?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d))?$")]
    from: Option<String>,
    /// End of the period (exclusive), written as `from` is. Open when absent.
    #[param(pattern = r"^[12]\d{3}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])([Tt]([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,6})?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d))?$")]
    to: Option<String>,
}

async fn answer(app: AppState, actor: Actor, q: ExportQuery, what: Dataset) -> ApiResult<HttpResponse> {
    let user = actor.staff()?;
    download(app, &user, q.from.as_deref(), q.to.as_deref(), what).await
}

/// The CSV download of `what` for `user` (the console's download links too).
pub(crate) async fn download(app: AppState, user: &User, from: Option<&str>, to: Option<&str>, what: Dataset) -> ApiResult<HttpResponse> {
    may_export(user)?;
    let range = period(app.store(), from, to).await?;
    let mut export = Export::new(app.store_handle(), what, range).await?;
    // The header and the first batch are read before answering, so that a
    // database that fails at once is a 500 rather than a broken download.
    let mut head = Vec::new();
    for _ in 0..2 {
        if let Some(chunk) = export.next_chunk().await? {
            head.push(Ok(chunk.csv));
        }
    }
    let body = Body::from_stream(futures_util::stream::iter(head).chain(export.into_stream()));
    let filename = format!("{}-{}.csv", what.as_str(), app.now().strftime("%Y%m%dT%H%M%SZ"));
    Ok(csv_download(&filename, body))
}

/// A CSV body as a download named `filename`, never cached.
fn csv_download(filename: &str, body: impl Into<Body>) -> HttpResponse {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{filename}\"")),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        body.into(),
    )
        .into_response()
}

/// Every case reported (`reported_at`) in the period as CSV, lowest id
/// first (managers, seniors and admins), streamed. Columns: `id`,
/// `reference`, `status`, `channel`, `severity`, `significant`, `flagged`,
/// `service_area_id`, `service_area`, `customer_id`, `owner_id`,
/// `created_by`, `summary`, `order_reference`, `occurred_at`,
/// `reported_at`, `created_at`, `identification_lag_seconds`,
/// `first_response_due_at`, `responded_at`, `resolution_due_at`,
/// `closed_at`, `transfer_count`, `reopen_count`, `remedy_kind`,
/// `remedy_value` (the agreed actions' total), `gift_cost`, `problem_id`,
/// `survey_response_id`, `opening_score`, `recovery_score`. A text cell
/// starting with `=`, `+`, `-`, `@`, a tab or a carriage return gets a
/// leading `'` so spreadsheets do not run it as a formula.
#[utoipa::path(get, path = "/api/v1/export/cases", tag = "export", params(ExportQuery),
    responses((status = 200, description = "The cases as CSV, header row first", content_type = "text/csv",
        headers(("content-disposition" = String, description = "attachment; filename=\"cases-<time of export>.csv\"")))))]
pub async fn export_cases(State(app): State<AppState>, actor: Actor, ApiQuery(q): ApiQuery<ExportQuery>) -> ApiResult<HttpResponse> {
    answer(app, actor, q, Dataset::Cases).await
}

/// Every survey response given (`created_at`) in the period as CSV, lowest
/// id first (managers, seniors and admins), streamed. Columns: `id`,
/// `survey_id`, `survey_title`, `customer_id`, `invitation_id`,
/// `created_at`, `lowest_rating`, `nps`, `case_id` (the follow-up case the
/// answers opened), `answers` (one JSON object by question key, as
/// `GET /api/v1/responses/{id}` has it). Text cells are neutralised against
/// formulas as in the case export.
#[utoipa::path(get, path = "/api/v1/export/responses", tag = "export", params(ExportQuery),
    responses((status = 200, description = "The responses as CSV, header row first", content_type = "text/csv",
        headers(("content-disposition" = String, description = "attachment; filename=\"responses-<time of export>.csv\"")))))]
pub async fn export_responses(State(app): State<AppState>, actor: Actor, ApiQuery(q): ApiQuery<ExportQuery>) -> ApiResult<HttpResponse> {
    answer(app, actor, q, Dataset::Responses).await
}

/// The insight figures as CSV (managers, seniors and admins): the period's
/// weekly series, one row per week (its Monday) — cases, responses, average
/// rating, NPS, median business-time first response and resolution, reopen
/// rate — then a row `total` with the whole period's figures, including
/// those kept only for the period (response rate, identification lag,
/// target shares, transfers per case, remedy and gift cost, recovery). The
/// parameters are those of `GET /api/v1/metrics`. At most 523 weeks, so the
/// body is written at once.
#[utoipa::path(get, path = "/api/v1/export/metrics", tag = "export", params(crate::api::metrics::MetricsParams),
    responses((status = 200, description = "The weekly figures as CSV, header row first", content_type = "text/csv")))]
pub async fn export_metrics(
    State(app): State<AppState>,
    actor: Actor,
    ApiQuery(q): ApiQuery<crate::api::metrics::MetricsParams>,
) -> ApiResult<HttpResponse> {
    let user = actor.staff()?;
    metrics_download(&app, &user, &q).await
}

/// The metrics CSV for `user` (the console's download link too).
pub(crate) async fn metrics_download(app: &AppState, user: &User, q: &crate::api::metrics::MetricsParams) -> ApiResult<HttpResponse> {
    may_export(user)?;
    let m = crate::api::metrics::metrics(app, q).await?;
    let header = redress_core::export::METRICS_COLUMNS.iter().map(|c| c.to_string()).collect::<Vec<_>>();
    let body = csv_text(std::iter::once(header).chain(redress_core::export::metrics_rows(&m)))?;
    Ok(csv_download(&format!("metrics-{}-{}.csv", m.from, m.to), body))
}
