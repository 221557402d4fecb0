//! The v1 JSON API, one file per resource, every handler described for OpenAPI.

pub(crate) mod audit;
pub(crate) mod cases;
pub(crate) mod categories;
pub mod customer_data;
pub mod customers;
pub(crate) mod echo;
pub(crate) mod directory;
pub mod export;
pub(crate) mod inbound;
mod jobs;
pub(crate) mod loop_steps;
pub(crate) mod metrics;
pub(crate) mod mutate;
pub(crate) mod notifications;
pub(crate) mod problems;
pub(crate) mod responses;
pub(crate) mod service_areas;
pub(crate) mod settings;
pub(crate) mod surveys;
pub(crate) mod users;
mod views;
pub(crate) mod webhooks;

use crate::error::Problem;
use crate::AppState;
use axum::routing::get;
use axum::{Json, Router};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Redress API",
        version = "1",
        description = "Closed-loop complaint and feedback resolution. Staff authenticate with \
                       `Authorization: Bearer <token>`. Errors are RFC 9457 problem details."
    ),
    components(schemas(Problem)),
    tags(
        (name = "cases", description = "Capture, own, respond, act, apologise, prevent, verify, close"),
        (name = "directory", description = "Staff, customers, service areas, categories, problems, settings"),
        (name = "insight", description = "The figures of the loop: satisfaction, timeliness, compliance, costs, recovery, loyalty, trends"),
        (name = "export", description = "Cases and survey responses as CSV, streamed"),
        (name = "notifications", description = "Outbound messages"),
        (name = "surveys", description = "Surveys, invitations with access codes, responses, follow-up rules"),
    )
)]
struct ApiDoc;

/// Adds what every operation shares, once every route is in: bearer
/// authentication, and its error answers as problem details — 400 (a
/// query or path value of the wrong type or an unknown one), 401, 403, 404,
/// 409 (the case's state forbids it), 422 (a rule of the loop refused it),
/// 429 (too many attempts), 503 (the database is unreachable for now); for
/// operations that take a body 413 (too large) and 415 (not JSON); and for
/// those that write 507 (the database's disk is full).
struct Conventions;

impl Modify for Conventions {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        let components = api.components.get_or_insert_with(Default::default);
        components.add_security_scheme("bearer", SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()));
        api.security = Some(vec![SecurityRequirement::new("bearer", Vec::<String>::new())]);
        let problem = |description: &str| {
            ResponseBuilder::new()
                .description(format!("{description}: a problem detail (RFC 9457) whose `detail` says what is wrong"))
                .content("application/problem+json", ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build())
                .build()
        };
        const EVERY: [(&str, &str); 8] = [
            ("400", "A query or path value is malformed or unknown"),
            ("401", "No valid token"),
            ("403", "Not allowed for this role or relation to the case"),
            ("404", "No such resource"),
            ("409", "The resource's state does not allow it"),
            ("422", "A rule refused the request"),
            ("429", "Too many attempts; try again later"),
            ("503", "The database is unreachable for now; retry after `Retry-After`"),
        ];
        const WITH_BODY: [(&str, &str); 2] = [("413", "The body is too large"), ("415", "The body is not JSON")];
        const WRITES: [(&str, &str); 1] = [("507", "The database's disk is full; nothing was written")];
        for (code, description) in EVERY.iter().chain(&WITH_BODY).chain(&WRITES) {
            components.responses.insert(format!("Problem{code}"), problem(description).into());
        }
        for item in api.paths.paths.values_mut() {
            let writes = [&mut item.post, &mut item.put, &mut item.patch, &mut item.delete];
            for op in writes.into_iter().flatten() {
                for (code, _) in WRITES {
                    op.responses.responses.entry(code.into()).or_insert_with(|| Ref::new(format!("#/components/responses/Problem{code}")).into());
                }
            }
            for op in [&mut item.get, &mut item.post, &mut item.put, &mut item.patch, &mut item.delete].into_iter().flatten() {
                // An empty body is read as `{}`: the fields' own rules decide.
                if let Some(body) = op.request_body.as_mut() {
                    body.required = Some(utoipa::openapi::Required::False);
                }
                let with_body = if op.request_body.is_some() { &WITH_BODY[..] } else { &[] };
                for (code, _) in EVERY.iter().chain(with_body) {
                    op.responses.responses.entry((*code).into()).or_insert_with(|| Ref::new(format!("#/components/responses/Problem{code}")).into());
                }
            }
        }
    }
}

fn documented() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(users::create_user, users::list_users))
        .routes(routes!(users::get_user, users::patch_user))
        .routes(routes!(users::create_token, users::list_tokens))
        .routes(routes!(users::revoke_token))
        .routes(routes!(users::set_password))
        .routes(routes!(users::me))
        .routes(routes!(echo::echo))
        .routes(routes!(customers::create_customer, customers::list_customers))
        .routes(routes!(customers::get_customer))
        .routes(routes!(service_areas::create_service_area, service_areas::list_service_areas))
        .routes(routes!(service_areas::get_service_area, service_areas::put_service_area))
        .routes(routes!(problems::create_problem, problems::list_problems))
        .routes(routes!(problems::get_problem, problems::patch_problem))
        .routes(routes!(problems::link_cases))
        .routes(routes!(categories::create_category, categories::list_categories))
        .routes(routes!(categories::put_category))
        .routes(routes!(metrics::get_metrics))
        .routes(routes!(export::export_metrics))
        .routes(routes!(metrics::candidate_problems))
        .routes(routes!(cases::similar_cases))
        .routes(routes!(settings::get_settings, settings::put_settings))
        .routes(routes!(cases::create_case, cases::list_cases))
        .routes(routes!(cases::get_case, cases::patch_case))
        .routes(routes!(cases::revoke_status_links))
        .routes(routes!(loop_steps::communicate))
        .routes(routes!(loop_steps::propose_action))
        .routes(routes!(loop_steps::decide))
        .routes(routes!(loop_steps::record_preventive))
        .routes(routes!(loop_steps::follow_up))
        .routes(routes!(loop_steps::transfer))
        .routes(routes!(loop_steps::deviate))
        .routes(routes!(loop_steps::assign))
        .routes(routes!(loop_steps::unassign))
        .routes(routes!(loop_steps::give_gift))
        .routes(routes!(loop_steps::close))
        .routes(routes!(loop_steps::add_report))
        .routes(routes!(surveys::create_survey, surveys::list_surveys))
        .routes(routes!(surveys::get_survey))
        .routes(routes!(surveys::invite))
        .routes(routes!(responses::submit_response, responses::list_responses))
        .routes(routes!(responses::get_response))
        .routes(routes!(settings::get_rules, settings::put_rules))
        .routes(routes!(customers::rewards))
        .routes(routes!(customer_data::export_customer))
        .routes(routes!(customer_data::erase_customer))
        .routes(routes!(export::export_cases))
        .routes(routes!(export::export_responses))
        .routes(routes!(notifications::list_notifications))
        .routes(routes!(notifications::retry_notification))
        .routes(routes!(jobs::list_jobs))
        .routes(routes!(audit::list_audit))
        .routes(routes!(webhooks::create_webhook, webhooks::list_webhooks))
        .routes(routes!(webhooks::deliveries))
        .routes(routes!(inbound::inbound_email))
        .routes(routes!(inbound::list_attachments))
        .routes(routes!(inbound::download_attachment))
}

/// The routes and the OpenAPI document that describes them.
fn router_and_document() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, mut api) = documented().split_for_parts();
    Conventions.modify(&mut api);
    (router, api)
}

pub fn router() -> Router<AppState> {
    let (router, api) = router_and_document();
    let api = std::sync::Arc::new(api);
    router.route("/api/openapi.json", get(move || async move { Json(api.as_ref().clone()) }))
}

/// The OpenAPI 3.1 document, as served at `/api/openapi.json`.
pub fn openapi_json() -> Result<String, String> {
    let (_, api) = router_and_document();
    api.to_pretty_json().map_err(|e| format!("cannot write the OpenAPI document: {e}"))
}

/// Keyset pagination bounds shared by list endpoints.
pub(crate) fn page_limit(limit: Option<u32>) -> Result<u32, crate::error::ApiError> {
    match limit {
        None => Ok(50),
        Some(n @ 1..=500) => Ok(n),
        Some(n) => Err(crate::error::ApiError::bad_request(format!("limit must be 1 to 500, not {n}"))),
    }
}
