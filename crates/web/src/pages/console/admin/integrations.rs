//! Integrations, for admins: webhook subscriptions with their recent
//! deliveries (a new one's secret shown once), and the dead letters — jobs
//! that failed on every attempt.

use super::Admin;
use crate::api::webhooks::{create as create_webhook, CreateWebhook};
use crate::extract::from_form;
use crate::pages::format::{when, zone};
use crate::pages::forms::{csrf_ok, FormFields};
use crate::pages::frame::{Frame, PageResult};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use redress_core::jobs::JobStatus;
use redress_core::user::User;

/// Deliveries listed under each subscription.
const RECENT: u32 = 10;

pub struct Hook {
    id: i64,
    url: String,
    events: String,
    deliveries: Vec<(String, String, String)>,
}

pub struct Dead {
    kind: String,
    attempts: u32,
    error: String,
    at: String,
}

#[derive(Template)]
#[template(path = "console/admin/integrations.html")]
struct IntegrationsPage {
    frame: Frame,
    hooks: Vec<Hook>,
    dead: Vec<Dead>,
    /// A new subscription's secret, shown this once.
    secret: Option<String>,
    error: Option<String>,
    kept: FormFields,
}

impl IntegrationsPage {
    fn kept(&self, field: &str) -> &str {
        self.kept.get(field).unwrap_or_default()
    }
}

async fn page(app: &AppState, frame: Frame, admin: &User, status: StatusCode, secret: Option<String>, error: Option<String>, kept: FormFields) -> PageResult {
    let store = app.store();
    let tz = zone(&store.settings().await?);
    let mut hooks = Vec::new();
    for w in store.webhooks().await? {
        let deliveries = store
            .webhook_deliveries(w.id, RECENT)
            .await?
            .into_iter()
            .map(|d| {
                let outcome = match (d.last_status, d.last_error) {
                    (Some(code), _) => format!("HTTP {code}"),
                    (None, Some(e)) => e,
                    (None, None) => String::new(),
                };
                (d.event, format!("{} after {} attempt(s)", d.status, d.attempts), outcome)
            })
            .collect();
        hooks.push(Hook { id: w.id, url: w.url, events: w.events.join(", "), deliveries });
    }
    let dead = store
        .jobs(Some(JobStatus::Dead), 100)
        .await?
        .into_iter()
        .map(|j| Dead { kind: j.kind.replace('_', " "), attempts: j.attempts, error: j.last_error.unwrap_or_default(), at: when(j.run_at, &tz) })
        .collect();
    let page = IntegrationsPage { frame: frame.signed_in(admin), hooks, dead, secret, error, kept };
    Ok(page.frame.page(status, &page))
}

pub async fn show(State(app): State<AppState>, Admin(admin): Admin, frame: Frame) -> PageResult {
    page(&app, frame, &admin, StatusCode::OK, None, None, FormFields(Vec::new())).await
}

pub async fn subscribe(State(app): State<AppState>, Admin(admin): Admin, headers: HeaderMap, frame: Frame, form: FormFields) -> PageResult {
    if !csrf_ok(&headers, &form) {
        return Ok(frame.expired_form("/console/admin/integrations"));
    }
    let events: Vec<String> = form.text("events").split([',', ' ', '\n']).map(str::trim).filter(|e| !e.is_empty()).map(str::to_string).collect();
    let created = async {
        let req: CreateWebhook = from_form(serde_json::json!({ "url": form.text("url"), "events": if events.is_empty() { vec!["*".to_string()] } else { events } }))?;
        create_webhook(&app, &admin, req).await
    }
    .await;
    match created {
        // The secret is shown on this page only: never redirected, never stored in the clear.
        Ok((_, secret)) => page(&app, frame, &admin, StatusCode::CREATED, Some(secret), None, FormFields(Vec::new())).await,
        Err(e) if e.status.is_client_error() => page(&app, frame, &admin, e.status, None, Some(e.detail), form).await,
        Err(e) => Err(e.into()),
    }
}
