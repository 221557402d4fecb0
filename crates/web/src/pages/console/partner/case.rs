//! One of a partner's cases as the partner sees it: what was reported,
//! where it stands in plain words, who looks after it, and the messages
//! exchanged — never the internal timeline, remedies, mandates, approvals,
//! staff notes or anything of another customer — with a form to write to
//! the owner. A case the partner did not submit does not exist for them:
//! the same 404 page as a case that does not exist at all.

use super::super::Partner;
use super::in_words;
use crate::api::mutate::apply;
use crate::pages::format::{when, zone};
use crate::pages::forms::{csrf_ok, FormFields};
use crate::pages::frame::{redirect_with, Flash, Frame, PageResult};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use redress_core::case::{Communication, Direction, MessageFrom};
use redress_core::user::User;
use redress_core::{CaseId, UserId};
use std::collections::HashMap;

/// One message or contact of the case, as the partner reads it.
pub struct Message {
    at: String,
    /// Who wrote or spoke, and to whom: "You", "Alice Agent to the customer, by phone".
    who: String,
    body: String,
    /// `mine`, `inbound` or `outbound`, for the style.
    class: &'static str,
}

#[derive(Template)]
#[template(path = "console/partner/case.html")]
struct CasePage {
    frame: Frame,
    id: i64,
    reference: String,
    summary: String,
    description: String,
    desired_resolution: Option<String>,
    order_reference: Option<String>,
    occurred: String,
    reported: String,
    status: &'static str,
    closed: bool,
    customer: String,
    owner: String,
    area: Option<String>,
    messages: Vec<Message>,
    /// A refused message: why, and what was typed.
    error: Option<String>,
    kept: String,
}

pub async fn show(State(app): State<AppState>, Partner(user): Partner, frame: Frame, Path(id): Path<String>) -> PageResult {
    render(&app, frame.partner(&user), &user, &id, None).await
}

/// The 404 of a case that is not this partner's, whether or not it exists.
fn not_found(frame: &Frame, id: &str) -> axum::response::Response {
    let text = format!("You have no case {id}. Your cases are listed under My cases.");
    frame.message(StatusCode::NOT_FOUND, "Case not found", &text, super::HOME)
}

/// The case page for `partner`; `failed` is a refused message (status,
/// reason, what was typed).
async fn render(app: &AppState, frame: Frame, partner: &User, id: &str, failed: Option<(StatusCode, String, String)>) -> PageResult {
    let Ok(n) = id.parse::<i64>() else { return Ok(not_found(&frame, id)) };
    let store = app.store();
    let Some(detail) = store.case_detail(CaseId(n)).await?.filter(|d| d.case.created_by == partner.id) else {
        return Ok(not_found(&frame, id));
    };
    let case = detail.case;
    let tz = zone(&store.settings().await?);
    let names: HashMap<UserId, String> = store.users().await?.into_iter().map(|u| (u.id, u.name)).collect();
    let name = |id: UserId| names.get(&id).cloned().unwrap_or_else(|| "One of our staff".into());
    let area = match case.service_area_id {
        Some(a) => store.service_area(a).await?.map(|a| a.name),
        None => None,
    };
    let customer = store.customer(case.customer_id).await?.map(|c| c.name).unwrap_or_default();
    let status = failed.as_ref().map_or(StatusCode::OK, |f| f.0);
    let (error, kept) = failed.map_or((None, String::new()), |f| (Some(f.1), f.2));
    let page = CasePage {
        id: n,
        reference: case.reference.clone(),
        summary: case.summary.clone(),
        description: case.description.clone(),
        desired_resolution: case.desired_resolution.clone(),
        order_reference: case.order_reference.clone(),
        occurred: when(case.occurred_at, &tz),
        reported: when(case.reported_at, &tz),
        status: in_words(case.status),
        closed: case.is_closed(),
        customer,
        owner: name(case.owner_id),
        area,
        messages: detail.communications.iter().map(|c| shown(c, partner, &name, &tz)).collect(),
        error,
        kept,
        frame,
    };
    Ok(page.frame.page(status, &page))
}

/// A communication as the partner reads it: who, to whom, how.
fn shown(c: &Communication, partner: &User, name: &impl Fn(UserId) -> String, tz: &jiff::tz::TimeZone) -> Message {
    let channel = c.channel.as_str().replace('_', " ");
    let (who, class) = match (c.direction, c.actor_id) {
        (Direction::Inbound, Some(a)) if a == partner.id => ("You".to_string(), "mine"),
        (Direction::Inbound, None) => (format!("The customer, by {channel}"), "inbound"),
        (Direction::Inbound, Some(a)) => (format!("The customer, by {channel} (noted by {})", name(a)), "inbound"),
        (Direction::Outbound, Some(a)) => (format!("{} to the customer, by {channel}", name(a)), "outbound"),
        (Direction::Outbound, None) => (format!("We wrote to the customer, by {channel}"), "outbound"),
    };
    Message { at: when(c.at, tz), who, body: c.body.clone(), class }
}

/// A message from the partner to the case's owner: an inbound
/// communication on the case, and a notice to the owner.
pub async fn message(State(app): State<AppState>, Partner(user): Partner, headers: HeaderMap, frame: Frame, Path(id): Path<String>, form: FormFields) -> PageResult {
    let frame = frame.partner(&user);
    let Ok(n) = id.parse::<i64>() else { return Ok(not_found(&frame, &id)) };
    let page = format!("/console/partner/cases/{n}");
    if !csrf_ok(&headers, &form) {
        return Ok(frame.expired_form(&page));
    }
    let body = form.get("message").unwrap_or_default().to_string();
    let (from, text) = (user.clone(), body.clone());
    match apply(&app, n, vec![], move |case, ctx, now| case.receive_message(MessageFrom::Partner(&from), &text, vec![], ctx, now)).await {
        Ok(applied) => {
            let owner = app.store().user(applied.case.owner_id).await?.map_or_else(|| "The person who looks after it".to_string(), |u| u.name);
            Ok(redirect_with(&page, Flash::notice(format!("Message sent. {owner} has been told."))))
        }
        Err(e) if e.status == StatusCode::NOT_FOUND => Ok(not_found(&frame, &id)),
        Err(e) if e.status.is_client_error() => render(&app, frame, &user, &id, Some((e.status, e.detail, body))).await,
        Err(e) => Err(e.into()),
    }
}
