//! A partner submits a case for one of its customers: the customer found
//! by e-mail or recorded from the name and phone given, then a `retailer`
//! case opened exactly as `POST /api/v1/cases` opens one for a partner
//! (owned per [`crate::api::cases::intake_owner`]). Only the fields a
//! partner may set are read — the channel is always `retailer`, the owner
//! and significance are for staff to decide — and nothing is stored unless
//! both the customer and the case are acceptable.

use super::super::Partner;
use crate::api::cases::{prepare_case, CreateCase};
use crate::api::customers::{new_customer, CreateCustomer};
use crate::error::ApiError;
use crate::extract::from_form;
use crate::pages::format::{local_input, when, zone};
use redress_core::settings::OrgSettings;
use crate::pages::forms::{csrf_ok, FormFields, Shape};
use crate::pages::frame::{redirect_with, Flash, Frame, PageResult};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use redress_core::user::User;
use redress_core::CustomerId;
use serde_json::Value;

#[derive(Template)]
#[template(path = "console/partner/new_case.html")]
struct FormPage {
    frame: Frame,
    /// Service areas: (id, name).
    areas: Vec<(String, String)>,
    now_local: String,
    error: Option<String>,
    kept: FormFields,
}

impl FormPage {
    fn kept(&self, field: &str) -> &str {
        self.kept.get(field).unwrap_or_default()
    }
}

async fn form_page(app: &AppState, frame: Frame, user: &User, status: StatusCode, error: Option<String>, kept: FormFields) -> PageResult {
    let store = app.store();
    let tz = zone(&store.settings().await?);
    let areas = store.service_areas().await?.into_iter().map(|a| (a.id.to_string(), a.name)).collect();
    let page = FormPage { frame: frame.partner(user), areas, now_local: local_input(app.now(), &tz), error, kept };
    Ok(page.frame.page(status, &page))
}

pub async fn form(State(app): State<AppState>, Partner(user): Partner, frame: Frame) -> PageResult {
    form_page(&app, frame, &user, StatusCode::OK, None, FormFields(Vec::new())).await
}

/// How the customer's and the case's fields read as JSON, and the only
/// fields of each a partner's form may set.
const CUSTOMER: Shape = Shape { prefix: "customer.", numbers: &[], ticks: &[], booleans: &[], lines: &[], local_times: &[], nullable: &[] };
const CUSTOMER_FIELDS: [&str; 3] = ["name", "email", "phone"];
const CASE: Shape = Shape { prefix: "case.", numbers: &["service_area_id"], ticks: &[], booleans: &[], lines: &[], local_times: &["occurred_at"], nullable: &[] };
const CASE_FIELDS: [&str; 6] = ["summary", "description", "desired_resolution", "occurred_at", "service_area_id", "order_reference"];

/// `form` shaped by `shape`, keeping only `fields`.
fn only(form: &FormFields, shape: &Shape, fields: &[&str], tz: &jiff::tz::TimeZone) -> Value {
    let mut json = form.to_json(shape, tz);
    if let Some(map) = json.as_object_mut() {
        map.retain(|k, _| fields.contains(&k.as_str()));
    }
    json
}

pub async fn submit(State(app): State<AppState>, Partner(user): Partner, headers: HeaderMap, frame: Frame, form: FormFields) -> PageResult {
    if !csrf_ok(&headers, &form) {
        return Ok(frame.partner(&user).expired_form("/console/partner/cases/new"));
    }
    let settings = app.store().settings().await?;
    match open(&app, &user, &form, settings).await {
        Ok((reference, id, owner, due)) => {
            let text = format!("{reference} submitted. {owner} looks after it and will answer the customer by {due}.");
            Ok(redirect_with(&format!("/console/partner/cases/{id}"), Flash::notice(text)))
        }
        Err(e) if e.status.is_client_error() => form_page(&app, frame, &user, e.status, Some(e.detail), form).await,
        Err(e) => Err(e.into()),
    }
}

/// Finds or checks the customer, checks the case, and only then stores
/// them: the customer (when new) and the case. Answers the case's
/// reference, id, owner's name and first-response due time.
async fn open(app: &AppState, partner: &User, form: &FormFields, settings: OrgSettings) -> Result<(String, i64, String, String), ApiError> {
    let store = app.store();
    let tz = &zone(&settings);
    let now = app.now();
    let email = form.text("customer.email");
    if email.is_empty() {
        return Err(ApiError::unprocessable("Give the customer's e-mail address: it is how we find them, or record them if they are new."));
    }
    if form.text("case.occurred_at").is_empty() {
        return Err(ApiError::unprocessable("Say when it happened (roughly is fine): how long a problem waits before we hear of it matters."));
    }
    let (customer, new) = match store.customer_by_email(&email).await? {
        Some(c) => (c, None),
        None if form.text("customer.name").is_empty() => {
            return Err(ApiError::unprocessable("Give the customer's name: there is no customer with that e-mail address yet, so one is recorded."));
        }
        None => {
            let req: CreateCustomer = from_form(only(form, &CUSTOMER, &CUSTOMER_FIELDS, tz))?;
            let n = new_customer(app, req).await?;
            (n.unsaved(now), Some(n))
        }
    };
    let case_json = |customer: CustomerId| {
        let mut c = only(form, &CASE, &CASE_FIELDS, tz);
        c["customer_id"] = Value::from(customer.0);
        c["channel"] = Value::from("retailer");
        c["summary"] = Value::from(form.text("case.summary"));
        c
    };
    let mut prepared = prepare_case(app, partner, from_form::<CreateCase>(case_json(customer.id))?, &customer, settings.clone(), now).await?;
    if let Some(n) = new {
        let customer = store.create_customer(n, now).await?;
        prepared = prepare_case(app, partner, from_form(case_json(customer.id))?, &customer, settings, now).await?;
    }
    let case = prepared.open(app).await?;
    let owner = store.user(case.owner_id).await?.map_or_else(|| "One of our staff".to_string(), |u| u.name);
    Ok((case.reference.clone(), case.id.0, owner, when(case.first_response_due_at, tz)))
}
