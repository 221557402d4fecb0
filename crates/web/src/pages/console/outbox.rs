//! The outbox: every message Redress has sent or means to send, newest
//! first, with its state and the reason it failed. Managers and above send
//! a failed one again. With no SMTP server configured, this is where staff
//! read what would have gone out.

use super::Staff;
use crate::api::notifications::retry;
use crate::pages::format::{when, zone};
use crate::pages::forms::{csrf_ok, FormFields};
use crate::pages::frame::{redirect_with, Flash, Frame, PagePath, PageResult};
use crate::pages::pager::Pager;
use crate::AppState;
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use redress_core::notification::{NotificationStatus, Recipient};
use redress_core::store::NotificationFilter;
use redress_core::NotificationId;

const PAGE_SIZE: u32 = 100;
const STATUSES: [&str; 5] = ["pending", "sent", "failed", "not_sent", "cancelled"];

pub struct Row {
    id: i64,
    when: String,
    kind: String,
    to: String,
    subject: String,
    body: String,
    status: String,
    attempts: u32,
    error: String,
    case: Option<i64>,
    retry: bool,
}

#[derive(Template)]
#[template(path = "console/outbox.html")]
struct OutboxPage {
    frame: Frame,
    rows: Vec<Row>,
    /// Each state: (its name in the address, in words, whether it is the one shown).
    statuses: Vec<(&'static str, String, bool)>,
    pager: Pager,
}

impl OutboxPage {
    fn any_chosen(&self) -> bool {
        self.statuses.iter().any(|(_, _, chosen)| *chosen)
    }
}

pub async fn outbox(State(app): State<AppState>, Staff(user): Staff, frame: Frame, RawQuery(query): RawQuery) -> PageResult {
    let pairs: Vec<(String, String)> = query.and_then(|q| serde_urlencoded::from_str(&q).ok()).unwrap_or_default();
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str()).unwrap_or_default();
    let status = NotificationStatus::parse(get("status"));
    let before = get("before").parse::<i64>().ok();
    let filter = NotificationFilter { status, before_id: before, limit: PAGE_SIZE, ..NotificationFilter::default() };
    let list = app.store().notifications(&filter).await?;
    let tz = zone(&app.store().settings().await?);
    let base = match status {
        Some(s) => format!("/console/outbox?status={}", s.as_str()),
        None => "/console/outbox".to_string(),
    };
    let pager = Pager::keyset(&base, before, (list.len() == PAGE_SIZE as usize).then(|| list.last().map(|n| n.id.0)).flatten());
    let rows = list
        .into_iter()
        .map(|n| Row {
            id: n.id.0,
            when: when(n.sent_at.unwrap_or(n.scheduled_for), &tz),
            kind: n.kind.as_str().replace('_', " "),
            to: n.address.clone().unwrap_or_else(|| match n.recipient {
                Recipient::Customer(c) => format!("customer {c} (no address)"),
                Recipient::User(u) => format!("user {u} (no address)"),
            }),
            subject: n.subject,
            body: n.body,
            status: n.status.as_str().replace('_', " "),
            attempts: n.attempts,
            error: n.last_error.unwrap_or_default(),
            case: n.case_id.map(|c| c.0),
            retry: n.status == NotificationStatus::Failed && user.role.supervises(),
        })
        .collect();
    let statuses = STATUSES.into_iter().map(|s| (s, s.replace('_', " "), status.map(|x| x.as_str()) == Some(s))).collect();
    let page = OutboxPage { frame: frame.signed_in(&user), rows, statuses, pager };
    Ok(page.frame.page(StatusCode::OK, &page))
}

pub async fn retry_message(State(app): State<AppState>, Staff(user): Staff, headers: HeaderMap, frame: Frame, PagePath(id): PagePath<i64>, form: FormFields) -> PageResult {
    if !csrf_ok(&headers, &form) {
        return Ok(frame.expired_form("/console/outbox"));
    }
    let n = retry(&app, &user, NotificationId(id)).await?;
    Ok(redirect_with("/console/outbox?status=pending", Flash::notice(format!("Message {} is queued to be sent again.", n.id.0))))
}
