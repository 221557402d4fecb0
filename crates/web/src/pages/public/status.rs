//! The customer's private status page, at an unguessable link: what they
//! reported, how far it has come in plain words, the messages exchanged,
//! and a form to write to the owner. Only what the customer may see is put
//! on the page — never the timeline, internal notes, mandates, approvals or
//! anyone else's case. A wrong or revoked link is a plain 404, and a client
//! guessing links meets the same limit as one guessing access codes.

use super::upload::{self, Upload};
use crate::error::ApiError;
use crate::pages::forms::csrf_matches;
use crate::pages::frame::{redirect_with, Flash, Frame, PagePath, PageResult};
use crate::AppState;
use askama::Template;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use axum::response::Response;
use jiff::Timestamp;
use redress_core::case::{first_name, status_digest, ActionStatus, Case, Channel, Direction, FollowUpOutcome, MessageFrom};
use redress_core::customer::Customer;
use redress_core::store::CaseDetail;
use redress_core::Lang;
use std::net::SocketAddr;

pub struct Stage {
    label: String,
    /// What was agreed, or when to expect us.
    detail: Option<String>,
    date: Option<String>,
    /// `done`, `current` or `todo`.
    state: &'static str,
}

pub struct Message {
    from_us: bool,
    who: String,
    date: String,
    /// The text; absent for a call or visit, which is only mentioned.
    body: Option<String>,
    note: Option<String>,
}

#[derive(Template)]
#[template(path = "public/status/page.html")]
struct StatusPage<'a> {
    frame: &'a Frame,
    token: String,
    reference: String,
    summary: String,
    description: String,
    desired_resolution: Option<String>,
    order_reference: Option<String>,
    reported_on: String,
    owner: String,
    stages: Vec<Stage>,
    messages: Vec<Message>,
    files: Vec<String>,
    error: Option<String>,
    kept: String,
}

/// A status page's case and customer, or the page a wrong link gets.
async fn resolve(app: &AppState, frame: &Frame, client: std::net::IpAddr, token: &str) -> Result<(CaseDetail, Customer), Response> {
    if let Err(wait) = app.status_guesses().check(app.store(), app.now(), client).await {
        let mut resp = frame.message(StatusCode::TOO_MANY_REQUESTS, &frame.t("too-many-heading"), &frame.tn("too-many-links", "seconds", wait as i64), "/");
        crate::error::retry_after(&mut resp, Some(wait));
        return Err(resp);
    }
    let not_found = || frame.message(StatusCode::NOT_FOUND, &frame.t("status-not-found-heading"), &frame.t("status-not-found"), "/");
    let fail = |e: redress_core::store::StoreError| crate::pages::frame::PageError(ApiError::from(e));
    let found = if token.len() == 48 && token.bytes().all(|b| b.is_ascii_hexdigit()) {
        app.store().status_link_case(&status_digest(&token.to_ascii_lowercase())).await.map_err(|e| axum::response::IntoResponse::into_response(fail(e)))?
    } else {
        None
    };
    let Some(id) = found else {
        app.status_guesses().fail(app.store(), app.now(), client).await;
        return Err(not_found());
    };
    let detail = app.store().case_detail(id).await.map_err(|e| axum::response::IntoResponse::into_response(fail(e)))?;
    let customer = match &detail {
        Some(d) => app.store().customer(d.case.customer_id).await.map_err(|e| axum::response::IntoResponse::into_response(fail(e)))?,
        None => None,
    };
    match (detail, customer) {
        (Some(d), Some(c)) => Ok((d, c)),
        _ => Err(not_found()),
    }
}

fn day(lang: Lang, t: Timestamp, customer: &Customer) -> String {
    redress_i18n::date(lang, t.to_zoned(customer.time_zone()).date())
}

/// How far the case has come, in the customer's words: each stage done,
/// the one being worked on, and those still ahead.
fn stages(lang: Lang, case: &Case, customer: &Customer, owner: &str, currency: &str) -> Vec<Stage> {
    let t = |id: &str| redress_i18n::t(lang, id);
    let with_owner = |id: &str| redress_i18n::text(lang, id, &[("owner", owner.into())]);
    let when = |at: Option<Timestamp>| at.map(|at| day(lang, at, customer));
    let agreed = case.actions.iter().find(|a| a.status == ActionStatus::Agreed);
    let resolved = case.follow_ups.last().filter(|f| f.outcome == FollowUpOutcome::Resolved);
    let preventive = case.preventive.as_ref().filter(|p| p.is_complete());
    let due = redress_i18n::date_time(lang, &case.first_response_due_at.to_zoned(customer.time_zone()));
    let mut list = vec![
        (t("status-received"), None, Some(case.reported_at)),
        (
            with_owner("status-looking"),
            case.responded_at.is_none().then(|| redress_i18n::text(lang, "status-looking-due", &[("owner", owner.into()), ("due", due.as_str().into())])),
            case.responded_at,
        ),
        (
            t("status-action"),
            agreed.map(|a| {
                if a.remedy_value.minor() > 0 {
                    format!("{} ({})", a.description, redress_i18n::money(lang, a.remedy_value.minor(), a.remedy_value.exponent(), currency))
                } else {
                    a.description.clone()
                }
            }),
            agreed.map(|a| a.decided_at.unwrap_or(a.proposed_at)),
        ),
        (t("status-preventive"), None, preventive.map(|p| p.updated_at)),
        (t("status-resolved"), None, resolved.map(|f| f.at)),
        (t("status-closed"), None, case.closed_at),
    ];
    // A stage reached later (a case closed without a follow-up, say) counts the earlier ones as passed.
    let last_done = list.iter().rposition(|(_, _, at)| at.is_some()).unwrap_or(0);
    list.drain(..)
        .enumerate()
        .map(|(i, (label, detail, at))| {
            let state = if i <= last_done && (at.is_some() || i < last_done) {
                "done"
            } else if i == last_done + 1 {
                "current"
            } else {
                "todo"
            };
            let detail = if state == "todo" { None } else { detail };
            Stage { label, detail, date: when(at), state }
        })
        .collect()
}

/// The messages the customer may read: what they wrote, what we wrote to
/// them; a call or a visit is mentioned without the notes staff kept of it.
fn messages(lang: Lang, detail: &CaseDetail, customer: &Customer, names: &std::collections::HashMap<redress_core::UserId, String>, org: &str) -> Vec<Message> {
    detail
        .communications
        .iter()
        .map(|c| {
            let written = matches!(c.channel, Channel::Web | Channel::Email | Channel::Retailer);
            let from_us = c.direction == Direction::Outbound;
            let who = if from_us {
                let name = c.actor_id.and_then(|a| names.get(&a)).map(|n| first_name(n)).unwrap_or_else(|| org.to_string());
                redress_i18n::text(lang, "status-from-us", &[("name", name.as_str().into()), ("org", org.into())])
            } else {
                redress_i18n::t(lang, "status-from-you")
            };
            let note = (!written).then(|| {
                redress_i18n::t(
                    lang,
                    match (c.channel, c.direction) {
                        (Channel::InPerson, _) => "status-visit",
                        (_, Direction::Inbound) => "status-call-in",
                        (_, Direction::Outbound) => "status-call-out",
                    },
                )
            });
            let date = redress_i18n::date_time(lang, &c.at.to_zoned(customer.time_zone()));
            Message { from_us, who, date, body: written.then(|| c.body.clone()), note }
        })
        .collect()
}

/// How the page is shown: its status, a refusal of the message form, what was typed.
struct Shown {
    status: StatusCode,
    error: Option<String>,
    kept: String,
}

impl Shown {
    fn ok() -> Shown {
        Shown { status: StatusCode::OK, error: None, kept: String::new() }
    }
    fn refused(status: StatusCode, error: String, kept: String) -> Shown {
        Shown { status, error: Some(error), kept }
    }
}

async fn page(app: &AppState, frame: Frame, token: &str, (detail, customer): (CaseDetail, Customer), shown: Shown) -> PageResult {
    let frame = frame.for_customer(&customer);
    let lang = frame.lang;
    let settings = app.store().settings().await?;
    let names = crate::pages::console::names(app).await?;
    let case = &detail.case;
    let owner = names.get(&case.owner_id).map(|n| first_name(n)).unwrap_or_else(|| redress_i18n::t(lang, "customer-care"));
    let files = app.store().attachments(case.id).await?.into_iter().map(|a| a.filename).collect();
    let page = StatusPage {
        frame: &frame,
        token: token.to_string(),
        reference: case.reference.clone(),
        summary: case.summary.clone(),
        description: case.description.clone(),
        desired_resolution: case.desired_resolution.clone(),
        order_reference: case.order_reference.clone(),
        reported_on: redress_i18n::text(lang, "status-reported-on", &[("date", day(lang, case.reported_at, &customer).as_str().into())]),
        stages: stages(lang, case, &customer, &owner, &settings.currency),
        messages: messages(lang, &detail, &customer, &names, &settings.name),
        owner,
        files,
        error: shown.error,
        kept: shown.kept,
    };
    let mut resp = frame.page(shown.status, &page);
    // The link is the credential: keep it out of caches and referrers.
    resp.headers_mut().insert(axum::http::header::CACHE_CONTROL, axum::http::HeaderValue::from_static("no-store"));
    Ok(resp)
}

pub async fn show(State(app): State<AppState>, ConnectInfo(peer): ConnectInfo<SocketAddr>, frame: Frame, PagePath(token): PagePath<String>) -> PageResult {
    match resolve(&app, &frame, peer.ip(), &token).await {
        Ok(found) => page(&app, frame, &token, found, Shown::ok()).await,
        Err(resp) => Ok(resp),
    }
}

/// A message (and files) from the customer: onto the case's timeline as an
/// inbound communication, and to the owner as a notice.
pub async fn post_message(
    State(app): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: axum::http::HeaderMap,
    frame: Frame,
    PagePath(token): PagePath<String>,
    form: Result<Multipart, MultipartRejection>,
) -> PageResult {
    // Read first (within its limits), so any refusal reaches the browser.
    let max_file = app.config().max_attachment_bytes;
    let read = upload::read(form, max_file).await;
    let found = match resolve(&app, &frame, peer.ip(), &token).await {
        Ok(found) => found,
        Err(resp) => return Ok(resp),
    };
    let frame_lang = frame.for_customer(&found.1);
    let Upload { fields, files } = match read {
        Ok(u) => u,
        Err(upload::Refused::FileTooLarge(file)) => {
            let text = redress_i18n::text(frame_lang.lang, "complaint-file-too-large", &[("file", file.as_str().into()), ("size", super::complaint::size_words(max_file).as_str().into())]);
            return page(&app, frame_lang, &token, found, Shown::refused(StatusCode::PAYLOAD_TOO_LARGE, text, String::new())).await;
        }
        Err(upload::Refused::TooManyFiles) => {
            let text = frame_lang.tn("complaint-too-many-files", "count", upload::MAX_FILES as i64);
            return page(&app, frame_lang, &token, found, Shown::refused(StatusCode::PAYLOAD_TOO_LARGE, text, String::new())).await;
        }
        Err(_) => {
            let text = frame_lang.t("complaint-unreadable");
            return page(&app, frame_lang, &token, found, Shown::refused(StatusCode::BAD_REQUEST, text, String::new())).await;
        }
    };
    let here = format!("/status/{token}");
    if !csrf_matches(&headers, fields.get("csrf")) {
        return Ok(frame_lang.message(StatusCode::FORBIDDEN, &frame_lang.t("form-expired-heading"), &frame_lang.t("form-expired-text"), &here));
    }
    let body = fields.text("message");
    if body.is_empty() && files.is_empty() {
        let text = frame_lang.t("status-missing-message");
        return page(&app, frame_lang, &token, found, Shown::refused(StatusCode::UNPROCESSABLE_ENTITY, text, body)).await;
    }
    let now = app.now();
    let text = body.clone();
    let change = Box::new(move |case: &mut Case, ctx: &redress_core::case::CaseContext| case.receive_message(MessageFrom::Customer, &text, files, ctx, now));
    match app.store().update_case(found.0.case.id, vec![], change).await {
        Ok(case) => {
            let owner = app.store().user(case.owner_id).await?.map(|u| first_name(&u.name)).unwrap_or_default();
            Ok(redirect_with(&here, Flash::notice(frame_lang.ta("status-sent", "owner", &owner))))
        }
        Err(e) => {
            let e = ApiError::from(e);
            if e.status.is_server_error() {
                return Err(e.into());
            }
            page(&app, frame_lang, &token, found, Shown::refused(e.status, e.detail, body)).await
        }
    }
}
