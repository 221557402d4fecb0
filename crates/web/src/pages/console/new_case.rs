//! Logging a complaint from the console (a phone call, a social-media post,
//! a retailer's report): the customer found by e-mail or created on the
//! spot, then the case opened exactly as the API opens one. Nothing is
//! stored unless both the customer and the case are acceptable.

use super::Staff;
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

pub struct Choice {
    value: String,
    label: String,
}

#[derive(Template)]
#[template(path = "console/new_case.html")]
struct NewCasePage {
    frame: Frame,
    areas: Vec<Choice>,
    /// The active complaint categories.
    categories: Vec<Choice>,
    staff: Vec<Choice>,
    me: String,
    timezone: String,
    now_local: String,
    error: Option<String>,
    kept: FormFields,
}

impl NewCasePage {
    fn kept(&self, field: &str) -> &str {
        self.kept.get(field).unwrap_or_default()
    }

    fn chosen(&self, field: &str, value: &str) -> bool {
        self.kept(field) == value
    }
}

async fn form_page(app: &AppState, frame: Frame, user: &User, status: StatusCode, error: Option<String>, kept: FormFields) -> PageResult {
    let store = app.store();
    let settings = store.settings().await?;
    let areas = store.service_areas().await?.into_iter().map(|a| Choice { value: a.id.to_string(), label: a.name }).collect();
    let categories = store.categories().await?.into_iter().filter(|c| c.active).map(|c| Choice { value: c.id.to_string(), label: c.name }).collect();
    let mut staff: Vec<Choice> = store
        .users()
        .await?
        .into_iter()
        .filter(|u| u.active && u.role.is_staff())
        .map(|u| Choice { value: u.id.to_string(), label: format!("{} ({})", u.name, u.role.as_str()) })
        .collect();
    staff.sort_by(|a, b| a.label.cmp(&b.label));
    let page = NewCasePage {
        frame: frame.signed_in(user),
        areas,
        categories,
        staff,
        me: user.id.to_string(),
        now_local: local_input(app.now(), &zone(&settings)),
        timezone: settings.timezone,
        error,
        kept,
    };
    Ok(page.frame.page(status, &page))
}

pub async fn new_case_page(State(app): State<AppState>, Staff(user): Staff, frame: Frame) -> PageResult {
    form_page(&app, frame, &user, StatusCode::OK, None, FormFields(Vec::new())).await
}

/// How the customer's and the case's fields read as JSON.
const CUSTOMER: Shape = Shape { prefix: "customer.", numbers: &[], ticks: &[], booleans: &[], lines: &[], local_times: &[], nullable: &[] };
const CASE: Shape = Shape {
    prefix: "case.",
    numbers: &["service_area_id", "owner_id", "category_id"],
    ticks: &["significant"],
    booleans: &[],
    lines: &[],
    local_times: &["occurred_at", "reported_at"],
    nullable: &[],
};

pub async fn create(State(app): State<AppState>, Staff(user): Staff, headers: HeaderMap, frame: Frame, form: FormFields) -> PageResult {
    if !csrf_ok(&headers, &form) {
        return Ok(frame.expired_form("/console/cases/new"));
    }
    let settings = app.store().settings().await?;
    match open(&app, &user, &form, settings).await {
        Ok((reference, id, due)) => Ok(redirect_with(&format!("/console/cases/{id}"), Flash::notice(format!("{reference} opened. First response due {due}.")))),
        Err(e) if e.status.is_client_error() => form_page(&app, frame, &user, e.status, Some(e.detail), form).await,
        Err(e) => Err(e.into()),
    }
}

/// Finds or checks the customer, checks the case, and only then stores
/// them: the customer (when new) and the case.
async fn open(app: &AppState, user: &User, form: &FormFields, settings: OrgSettings) -> Result<(String, i64, String), ApiError> {
    let store = app.store();
    let tz = &zone(&settings);
    let now = app.now();
    let email = form.text("customer.email");
    let existing = if email.is_empty() { None } else { store.customer_by_email(&email).await? };
    let (customer, new) = match existing {
        Some(c) => (c, None),
        None => {
            let req: CreateCustomer = from_form(form.to_json(&CUSTOMER, tz))?;
            let n = new_customer(app, req).await?;
            (n.unsaved(now), Some(n))
        }
    };
    let case_json = |customer: CustomerId| {
        let mut c = form.to_json(&CASE, tz);
        c["customer_id"] = Value::from(customer.0);
        c
    };
    let req: CreateCase = from_form(case_json(customer.id))?;
    let mut prepared = prepare_case(app, user, req, &customer, settings.clone(), now).await?;
    if let Some(n) = new {
        let customer = store.create_customer(n, now).await?;
        prepared = prepare_case(app, user, from_form(case_json(customer.id))?, &customer, settings, now).await?;
    }
    let case = prepared.open(app).await?;
    Ok((case.reference.clone(), case.id.0, when(case.first_response_due_at, tz)))
}
