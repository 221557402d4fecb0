//! Inbound e-mail and the attachments it brings.

use super::cases::intake_owner;
use crate::auth::Actor;
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiPath;
use crate::AppState;
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use redress_core::case::{Attachment, Case, CaseAction, CaseContext, Channel, Direction, NewAttachment, NewCase};
use redress_core::terms::Severity;
use redress_core::customer::NewCustomer;
use redress_core::timeline::NewEvent;
use redress_core::user::User;
use redress_core::CaseId;
use redress_mail::inbound::{InboundEmail, InboundError};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct InboundResult {
    pub case_id: CaseId,
    pub reference: String,
    /// `true` when the message opened a new case, `false` when it was added
    /// to the case its subject refers to.
    pub created: bool,
    pub attachments: usize,
}

/// The first `RD-<number>` in a subject.
fn reference_in(subject: &str) -> Option<CaseId> {
    let lower = subject.to_ascii_lowercase();
    lower.match_indices("rd-").find_map(|(i, _)| {
        let digits: String = lower[i + 3..].chars().take_while(char::is_ascii_digit).collect();
        CaseId::parse_reference(&format!("RD-{digits}"))
    })
}

/// Takes a raw RFC 5322 message (as a mail gateway delivers it). A subject
/// carrying a case reference (`RD-42`) adds an inbound communication to that
/// case; otherwise a new case opens (channel `email`) for the sender, found by
/// address or created. Attachments are kept with the case; one over the limit
/// refuses the whole message and nothing is stored.
#[utoipa::path(post, path = "/api/v1/inbound/email", tag = "cases",
    request_body(content = String, content_type = "message/rfc822", description = "The raw message"),
    responses((status = 201, body = InboundResult)))]
pub async fn inbound_email(State(app): State<AppState>, actor: Actor, req: Request) -> ApiResult<(StatusCode, Json<InboundResult>)> {
    let actor = actor.staff()?;
    let limit = app.config().max_inbound_bytes;
    let bytes = axum::body::to_bytes(req.into_body(), limit)
        .await
        .map_err(|_| ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, format!("the message exceeds the limit of {limit} bytes")))?;
    let email = redress_mail::inbound::parse(&bytes, app.config().max_attachment_bytes).map_err(|e| match e {
        InboundError::AttachmentTooLarge { .. } => ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, e.to_string()),
        _ => ApiError::unprocessable(e.to_string()),
    })?;
    let count = email.attachments.len();
    let existing = match reference_in(&email.subject) {
        Some(id) => app.store().case(id).await?,
        None => None,
    };
    let (case, created) = match existing {
        Some(case) => (append(&app, actor, case.id, email).await?, false),
        None => (open(&app, actor, email).await?, true),
    };
    Ok((StatusCode::CREATED, Json(InboundResult { case_id: case.id, reference: case.reference, created, attachments: count })))
}

fn files(email: &InboundEmail) -> Vec<NewAttachment> {
    email.attachments.iter().map(|a| NewAttachment { filename: a.filename.clone(), content_type: a.content_type.clone(), data: a.data.clone() }).collect()
}

fn text(email: &InboundEmail) -> String {
    if email.text.is_empty() { "(no text)".to_string() } else { email.text.clone() }
}

fn attachment_event(actor: &User, attachments: &[NewAttachment], now: jiff::Timestamp) -> Option<NewEvent> {
    (!attachments.is_empty()).then(|| {
        let names: Vec<&str> = attachments.iter().map(|a| a.filename.as_str()).collect();
        NewEvent::new(actor.id, now, "attachments_received", format!("Attachments received: {}", names.join(", ")), serde_json::json!({ "files": names }))
    })
}

async fn append(app: &AppState, actor: User, id: CaseId, email: InboundEmail) -> ApiResult<Case> {
    let attachments = files(&email);
    let body = text(&email);
    let now = app.now();
    let change = Box::new(move |case: &mut Case, ctx: &CaseContext| {
        let mut out = case.communicate(&actor, Direction::Inbound, Channel::Email, &body, None, ctx, now)?;
        out.events.extend(attachment_event(&actor, &attachments, now));
        out.attachments = attachments;
        Ok(out)
    });
    Ok(app.store().update_case(id, vec![], change).await?)
}

async fn open(app: &AppState, actor: User, email: InboundEmail) -> ApiResult<Case> {
    let store = app.store();
    let now = app.now();
    let settings = store.settings().await?;
    let customer = match store.customer_by_email(&email.from_address).await? {
        Some(c) => c,
        None => {
            let name = email.from_name.clone().unwrap_or_else(|| email.from_address.clone());
            let new = NewCustomer {
                name: name.chars().take(200).collect(),
                email: Some(email.from_address.clone()),
                phone: None,
                timezone: settings.timezone.clone(),
                client_manager_id: None,
                language: None,
            };
            store.create_customer(new, now).await?
        }
    };
    let owner = intake_owner(app, None, settings.default_owner_id).await?;
    let targets = settings.targets_for(None, Severity::Normal);
    let input = NewCase {
        channel: Channel::Email,
        summary: email.subject.chars().take(300).collect(),
        description: text(&email),
        desired_resolution: None,
        severity: Severity::Normal,
        significant: false,
        service_area_id: None,
        occurred_at: None,
        reported_at: Some(now),
        order_reference: None,
        category_id: None,
    };
    let (mut case, events) = Case::open(input, &customer, &actor, &owner, &settings, targets, now)?;
    let ctx = CaseContext { settings: settings.clone(), targets, customer, users: Default::default() };
    let mut opening = case.communicate(&actor, Direction::Inbound, Channel::Email, &text(&email), None, &ctx, now)?;
    opening.events.splice(0..0, events);
    opening.attachments = files(&email);
    opening.events.extend(attachment_event(&actor, &opening.attachments, now));
    Ok(store.create_case(case, opening, None, &settings).await?)
}

/// The files kept with a case (without their bytes), for staff.
#[utoipa::path(get, path = "/api/v1/cases/{id}/attachments", tag = "cases", params(("id" = i64, Path)), responses((status = 200, body = Vec<Attachment>)))]
pub async fn list_attachments(State(app): State<AppState>, Actor(actor): Actor, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<Vec<Attachment>>> {
    let case = app.store().case(CaseId(id)).await?.ok_or_else(|| ApiError::not_found(format!("case {id} does not exist")))?;
    case.authorise(&actor, CaseAction::ReadFiles)?;
    Ok(Json(app.store().attachments(CaseId(id)).await?))
}

/// One file's bytes, as a download, to whoever may read its case's files.
#[utoipa::path(get, path = "/api/v1/attachments/{id}", tag = "cases", params(("id" = i64, Path)),
    responses((status = 200, description = "The file", content_type = "application/octet-stream")))]
pub async fn download_attachment(State(app): State<AppState>, Actor(actor): Actor, ApiPath(id): ApiPath<i64>) -> ApiResult<Response> {
    download(&app, &actor, id).await
}

/// A stored file as a download (never shown inline), for the API and the
/// console; one `reader` may not read does not exist for them.
pub(crate) async fn download(app: &AppState, reader: &User, id: i64) -> ApiResult<Response> {
    let missing = || ApiError::not_found(format!("attachment {id} does not exist"));
    let (meta, data) = app.store().attachment(id).await?.ok_or_else(missing)?;
    let case = app.store().case(meta.case_id).await?.ok_or_else(missing)?;
    case.authorise(reader, CaseAction::ReadFiles).map_err(|_| missing())?;
    let safe: String = meta.filename.chars().filter(|c| c.is_ascii_graphic() && *c != '"' && *c != '\\').collect();
    let disposition = format!("attachment; filename=\"{}\"", if safe.is_empty() { "file" } else { &safe });
    let content_type = if meta.content_type.parse::<axum::http::HeaderValue>().is_ok() { meta.content_type.clone() } else { "application/octet-stream".into() };
    Ok(([(header::CONTENT_TYPE, content_type), (header::CONTENT_DISPOSITION, disposition)], data).into_response())
}
