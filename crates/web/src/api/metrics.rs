//! `GET /api/v1/metrics`: the insight figures of SPEC §5 for a period, from
//! the rollups the store keeps in every write transaction — the cost of a
//! request depends on the days asked for, not on how many cases and
//! responses there are.

use crate::auth::Actor;
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiQuery;
use crate::AppState;
use axum::extract::State;
use axum::Json;
use jiff::civil::Date;
use redress_core::case::{Case, Channel, Status};
use redress_core::insight::{Metrics, MetricsQuery, Trend, TrendKey};
use redress_core::store::{CaseFilter, RollupRows};
use redress_core::{CaseId, CategoryId, ServiceAreaId, UserId};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// The longest period one request may ask for, in days (ten years).
const MAX_DAYS: i64 = 3660;

#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MetricsParams {
    /// The period's first day (`YYYY-MM-DD`, in the organisation's time
    /// zone); 29 days before `to` when absent.
    #[param(value_type = Option<String>, format = Date)]
    pub from: Option<Date>,
    /// The period's last day, included; today when absent.
    #[param(value_type = Option<String>, format = Date)]
    pub to: Option<Date>,
    pub service_area_id: Option<i64>,
    #[param(value_type = Option<Channel>)]
    pub channel: Option<Channel>,
    pub owner_id: Option<i64>,
    pub category_id: Option<i64>,
}

impl MetricsParams {
    /// The query these parameters ask for; a period backwards or longer
    /// than ten years is refused.
    pub fn query(&self, today: Date) -> ApiResult<MetricsQuery> {
        let to = self.to.unwrap_or(today);
        let from = self.from.unwrap_or_else(|| to.saturating_sub(jiff::Span::new().days(29)));
        if from > to {
            return Err(ApiError::unprocessable(format!("from ({from}) is after to ({to})")));
        }
        let days = from.until(to).map(|s| s.get_days()).unwrap_or(i32::MAX) as i64 + 1;
        if days > MAX_DAYS {
            return Err(ApiError::unprocessable(format!("the period from {from} to {to} is {days} days; at most {MAX_DAYS} may be asked for")));
        }
        Ok(MetricsQuery {
            from,
            to,
            service_area_id: self.service_area_id.map(ServiceAreaId),
            channel: self.channel,
            owner_id: self.owner_id.map(UserId),
            category_id: self.category_id.map(CategoryId),
        })
    }
}

/// The insight figures (managers, seniors and admins).
///
/// A case counts in the period it was reported in, with everything that has
/// happened to it since; a survey response in the period it was submitted;
/// an invitation in the period it was created. Each figure's definition is
/// in the `Metrics` schema. `trends` compares the seven days ending on `to`
/// with the seven before.
#[utoipa::path(get, path = "/api/v1/metrics", tag = "insight", params(MetricsParams), responses((status = 200, body = Metrics)))]
pub async fn get_metrics(State(app): State<AppState>, actor: Actor, ApiQuery(params): ApiQuery<MetricsParams>) -> ApiResult<Json<Metrics>> {
    actor.supervisor()?;
    Ok(Json(metrics(&app, &params).await?))
}

/// The figures `params` ask for, as of now.
pub(crate) async fn metrics(app: &AppState, params: &MetricsParams) -> ApiResult<Metrics> {
    let settings = app.store().settings().await?;
    let today = app.now().to_zoned(settings.calendar().time_zone().clone()).date();
    let query = params.query(today)?;
    let rows = app.store().rollups(&query).await?;
    Ok(Metrics::of(&rows, &query).in_currency(settings.currency()))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CandidateParams {
    /// The last day of the rising week (`YYYY-MM-DD`); today when absent.
    #[param(value_type = Option<String>, format = Date)]
    pub to: Option<Date>,
}

/// A case behind a figure, in brief.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CaseBrief {
    pub id: CaseId,
    pub reference: String,
    pub summary: String,
    pub status: Status,
    #[schema(value_type = String, format = DateTime)]
    pub reported_at: jiff::Timestamp,
}

impl CaseBrief {
    pub fn of(c: &Case) -> CaseBrief {
        CaseBrief { id: c.id, reference: c.reference.clone(), summary: c.summary.clone(), status: c.status, reported_at: c.reported_at }
    }
}

/// A service area, channel or category whose cases rose significantly
/// this week: a systemic problem, perhaps.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CandidateProblem {
    /// What rose, in words ("Category: Late delivery").
    pub label: String,
    pub trend: Trend,
    /// The cases of the rising week (newest first, at most 100).
    pub cases: Vec<CaseBrief>,
    /// The same cases through `GET /api/v1/cases`.
    pub cases_url: String,
}

/// How many cases of a candidate are listed.
const CANDIDATE_CASES: u32 = 100;

/// Candidate problems (managers, seniors and admins): the keys whose case
/// count in the seven days ending on `to` rose over the seven before, by an
/// exact one-sided Poisson test (the conditional binomial test of the two
/// counts, p < 0.01, and at least 5 cases), most significant first, each with
/// its cases. Cases without a service area are left out of the service-area
/// candidates, as they share no owner to act.
#[utoipa::path(get, path = "/api/v1/candidate-problems", tag = "insight", params(CandidateParams),
    responses((status = 200, body = Vec<CandidateProblem>)))]
pub async fn candidate_problems(State(app): State<AppState>, actor: Actor, ApiQuery(params): ApiQuery<CandidateParams>) -> ApiResult<Json<Vec<CandidateProblem>>> {
    actor.supervisor()?;
    Ok(Json(candidates(&app, params.to).await?))
}

pub(crate) async fn candidates(app: &AppState, to: Option<Date>) -> ApiResult<Vec<CandidateProblem>> {
    let store = app.store();
    let settings = store.settings().await?;
    let zone = settings.calendar().time_zone().clone();
    let to = to.unwrap_or_else(|| app.now().to_zoned(zone.clone()).date());
    let week = MetricsParams { from: Some(to.saturating_sub(jiff::Span::new().days(6))), to: Some(to), ..MetricsParams::default() };
    let query = week.query(to)?;
    let rows = store.rollups(&query).await?;
    let m = Metrics::of(&RollupRows { loyalty: Vec::new(), ..rows }, &query);
    let period = query.period(&zone);
    let (areas, categories) = (store.service_areas().await?, store.categories().await?);
    let mut out = Vec::new();
    for trend in redress_core::insight::trend::candidates(&m.trends) {
        let mut filter = CaseFilter { reported_from: Some(period.start), reported_to: Some(period.end), limit: CANDIDATE_CASES, ..CaseFilter::default() };
        let (label, param) = match &trend.key {
            TrendKey::ServiceArea { service_area_id: None } => continue,
            TrendKey::ServiceArea { service_area_id: Some(id) } => {
                filter.service_area_id = Some(*id);
                let name = areas.iter().find(|a| a.id == *id).map_or_else(|| id.to_string(), |a| a.name.clone());
                (format!("Service area: {name}"), format!("service_area_id={id}"))
            }
            TrendKey::Channel { channel } => {
                filter.channel = Some(*channel);
                (format!("Channel: {}", channel.as_str().replace('_', " ")), format!("channel={}", channel.as_str()))
            }
            TrendKey::Category { category_id } => {
                filter.category_id = Some(*category_id);
                let name = categories.iter().find(|c| c.id == *category_id).map_or_else(|| category_id.to_string(), |c| c.name.clone());
                (format!("Category: {name}"), format!("category_id={category_id}"))
            }
        };
        let cases = store.cases(&filter).await?.iter().map(CaseBrief::of).collect();
        let cases_url = format!("/api/v1/cases?{param}&reported_from={}&reported_to={}", period.start, period.end);
        out.push(CandidateProblem { label, trend: trend.clone(), cases, cases_url });
    }
    Ok(out)
}
