//! The public complaint form (channel `web`): what happened, when, what
//! would put it right, photos or receipts. The customer is found by e-mail
//! or created; the case opens as the API opens one, with its files, an
//! acknowledgement by e-mail and a private link to its status page — or,
//! on any refusal, nothing is stored and the form comes back saying why.

use super::upload::{self, Refused, Upload, MAX_FILES};
use crate::api::cases::{intake_owner, prepare_case, CreateCase};
use crate::error::ApiError;
use crate::extract::from_form;
use crate::pages::forms::{csrf_matches, FormFields};
use crate::pages::format::zone;
use crate::pages::frame::{Frame, PageResult};
use crate::AppState;
use askama::Template;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use axum::response::Response;
use jiff::Timestamp;
use redress_core::calendar::Target;
use redress_core::case::{first_name, status_token, Acknowledgement, Channel};
use redress_core::customer::NewCustomer;
use redress_core::timeline::NewEvent;
use redress_core::{CustomerId, Lang};
use serde_json::{json, Value};
use std::net::SocketAddr;

pub struct AreaChoice {
    id: String,
    name: String,
    selected: bool,
}

#[derive(Template)]
#[template(path = "public/complaint/form.html")]
struct FormPage<'a> {
    frame: &'a Frame,
    areas: Vec<AreaChoice>,
    kept: FormFields,
    error: Option<String>,
    files_hint: String,
    today: String,
}

#[derive(Template)]
#[template(path = "public/complaint/done.html")]
struct DonePage<'a> {
    frame: &'a Frame,
    done: Done,
}

/// What the customer is told once their complaint is stored.
struct Done {
    reference: String,
    next: String,
    email: String,
    status_url: String,
    reward_points: Option<i64>,
}

/// "5 MB", as the form states the limit.
pub(super) fn size_words(bytes: usize) -> String {
    if bytes >= 1024 * 1024 {
        format!("{} MB", bytes / (1024 * 1024))
    } else {
        format!("{} KB", (bytes / 1024).max(1))
    }
}

async fn form_page(app: &AppState, frame: &Frame, status: StatusCode, error: Option<String>, kept: FormFields) -> PageResult {
    let settings = app.store().settings().await?;
    let chosen = kept.text("service_area_id");
    let areas = app
        .store()
        .service_areas()
        .await?
        .into_iter()
        .map(|a| AreaChoice { selected: a.id.to_string() == chosen, id: a.id.to_string(), name: a.name })
        .collect();
    let today = app.now().to_zoned(zone(&settings)).date().to_string();
    let files_hint = redress_i18n::text(
        frame.lang,
        "complaint-files-hint",
        &[("count", (MAX_FILES as i64).into()), ("size", size_words(app.config().max_attachment_bytes).as_str().into())],
    );
    let page = FormPage { frame, areas, kept, error, files_hint, today };
    Ok(frame.page(status, &page))
}

pub async fn complaint_page(State(app): State<AppState>, frame: Frame) -> PageResult {
    form_page(&app, &frame, StatusCode::OK, None, FormFields(Vec::new())).await
}

/// A refusal in the visitor's words: the status and the message shown at the form.
struct Refusal(StatusCode, String);

impl Refusal {
    fn new(status: StatusCode, frame: &Frame, id: &str) -> Refusal {
        Refusal(status, frame.t(id))
    }
}

pub async fn submit(
    State(app): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: axum::http::HeaderMap,
    frame: Frame,
    form: Result<Multipart, MultipartRejection>,
) -> PageResult {
    // The form is read (within its limits) before any refusal, so the
    // browser always gets the refusal page rather than a broken connection.
    let max_file = app.config().max_attachment_bytes;
    let read = upload::read(form, max_file).await;
    if let Err(wait) = app.complaints().check(peer.ip()) {
        let mut resp = frame.message(
            StatusCode::TOO_MANY_REQUESTS,
            &frame.t("too-many-heading"),
            &frame.tn("too-many-complaints", "seconds", wait as i64),
            "/complain",
        );
        crate::error::retry_after(&mut resp, Some(wait));
        return Ok(resp);
    }
    app.complaints().fail(peer.ip());
    let Upload { fields, files } = match read {
        Ok(u) => u,
        Err(refused) => {
            let (status, text) = match refused {
                Refused::FileTooLarge(file) => (
                    StatusCode::PAYLOAD_TOO_LARGE,
                    redress_i18n::text(frame.lang, "complaint-file-too-large", &[("file", file.as_str().into()), ("size", size_words(max_file).as_str().into())]),
                ),
                Refused::TooManyFiles => (StatusCode::PAYLOAD_TOO_LARGE, frame.tn("complaint-too-many-files", "count", MAX_FILES as i64)),
                Refused::TextTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, frame.t("complaint-too-much-text")),
                Refused::Unreadable => (StatusCode::BAD_REQUEST, frame.t("complaint-unreadable")),
            };
            return form_page(&app, &frame, status, Some(text), FormFields(Vec::new())).await;
        }
    };
    if !csrf_matches(&headers, fields.get("csrf")) {
        return Ok(expired(&frame));
    }
    if !fields.text("website").is_empty() {
        let text = frame.t("complaint-honeypot-filled");
        return form_page(&app, &frame, StatusCode::BAD_REQUEST, Some(text), without_honeypot(fields)).await;
    }
    match open(&app, &frame, &fields, files).await {
        Ok(done) => Ok(frame.page(StatusCode::CREATED, &DonePage { frame: &frame, done })),
        Err(Refusal(status, text)) => form_page(&app, &frame, status, Some(text), fields).await,
    }
}

fn expired(frame: &Frame) -> Response {
    frame.message(StatusCode::FORBIDDEN, &frame.t("form-expired-heading"), &frame.t("form-expired-text"), "/complain")
}

fn without_honeypot(mut fields: FormFields) -> FormFields {
    fields.0.retain(|(k, _)| k != "website");
    fields
}

/// When it happened: the day (and time, if given) in the organisation's zone.
fn occurred_at(frame: &Frame, fields: &FormFields, tz: &jiff::tz::TimeZone, now: Timestamp) -> Result<Timestamp, Refusal> {
    let day = fields.text("occurred_date");
    if day.is_empty() {
        return Err(Refusal::new(StatusCode::UNPROCESSABLE_ENTITY, frame, "complaint-missing-date"));
    }
    let bad = || Refusal::new(StatusCode::UNPROCESSABLE_ENTITY, frame, "complaint-bad-date");
    let date: jiff::civil::Date = day.parse().map_err(|_| bad())?;
    let time = match fields.text("occurred_time") {
        t if t.is_empty() => jiff::civil::Time::midnight(),
        t => t.parse().map_err(|_| bad())?,
    };
    let at = date.to_datetime(time).to_zoned(tz.clone()).map_err(|_| bad())?.timestamp();
    if at > now {
        // A day given without a time is today's midnight; a time later today is in the future.
        return Err(Refusal::new(StatusCode::UNPROCESSABLE_ENTITY, frame, "complaint-future-date"));
    }
    Ok(at)
}

/// "2 working days", the first-response target in the visitor's language.
fn target_words(lang: Lang, target: Target) -> String {
    let (id, n) = match target {
        Target::Days(n) => ("target-days", n),
        Target::Hours(n) => ("target-hours", n),
        Target::Minutes(n) => ("target-minutes", n),
    };
    redress_i18n::text(lang, id, &[("n", i64::from(n).into())])
}

/// Checks everything, then stores the customer (when new) and the case with
/// its files, acknowledgement and first status link.
async fn open(app: &AppState, frame: &Frame, fields: &FormFields, files: Vec<redress_core::case::NewAttachment>) -> Result<Done, Refusal> {
    let store = app.store();
    let now = app.now();
    let failed = |e: ApiError| Refusal(e.status, e.detail);
    let settings = store.settings().await.map_err(|e| failed(e.into()))?;
    let tz = zone(&settings);
    let name = fields.text("name");
    let email = fields.text("email");
    if name.is_empty() {
        return Err(Refusal::new(StatusCode::UNPROCESSABLE_ENTITY, frame, "complaint-missing-name"));
    }
    if email.is_empty() {
        return Err(Refusal::new(StatusCode::UNPROCESSABLE_ENTITY, frame, "complaint-missing-email"));
    }
    let Ok(Some(email)) = redress_core::user::parse_email(Some(&email)) else {
        return Err(Refusal(StatusCode::UNPROCESSABLE_ENTITY, frame.ta("complaint-bad-email", "email", &email)));
    };
    if fields.text("summary").is_empty() {
        return Err(Refusal::new(StatusCode::UNPROCESSABLE_ENTITY, frame, "complaint-missing-summary"));
    }
    if fields.text("description").is_empty() {
        return Err(Refusal::new(StatusCode::UNPROCESSABLE_ENTITY, frame, "complaint-missing-description"));
    }
    let occurred = occurred_at(frame, fields, &tz, now)?;
    let existing = store.customer_by_email(&email).await.map_err(|e| failed(e.into()))?;
    let (customer, new) = match existing {
        Some(c) => (c, None),
        None => {
            let n = NewCustomer {
                name: redress_core::user::required_text("name", &name, 200).map_err(|e| failed(e.into()))?,
                email: Some(email.clone()),
                phone: redress_core::user::optional_text("phone", Some(&fields.text("phone")), 50).map_err(|e| failed(e.into()))?,
                timezone: settings.timezone.clone(),
                client_manager_id: None,
                language: Some(frame.lang),
            };
            (n.unsaved(now), Some(n))
        }
    };
    let area: Option<i64> = match fields.text("service_area_id") {
        a if a.is_empty() => None,
        a => Some(a.parse().map_err(|_| Refusal(StatusCode::UNPROCESSABLE_ENTITY, format!("service_area_id '{a}' is not a number")))?),
    };
    let area_record = match area {
        Some(id) => store.service_area(redress_core::ServiceAreaId(id)).await.map_err(|e| failed(e.into()))?,
        None => None,
    };
    let owner = intake_owner(app, area_record.as_ref().map(|a| a.service_manager_id), settings.default_owner_id).await.map_err(failed)?;
    let request = |customer: CustomerId| -> Result<CreateCase, Refusal> {
        let mut req = json!({
            "customer_id": customer.0,
            "channel": Channel::Web,
            "summary": fields.text("summary"),
            "description": fields.text("description"),
            "occurred_at": occurred.to_string(),
            "reported_at": now.to_string(),
        });
        for (field, key) in [("desired_resolution", "desired_resolution"), ("order_reference", "order_reference")] {
            let v = fields.text(field);
            if !v.is_empty() {
                req[key] = Value::from(v);
            }
        }
        if let Some(a) = area {
            req["service_area_id"] = Value::from(a);
        }
        from_form(req).map_err(failed)
    };
    let mut prepared = prepare_case(app, &owner, request(customer.id)?, &customer, settings.clone(), now).await.map_err(failed)?;
    let customer = match new {
        Some(n) => {
            let c = store.create_customer(n, now).await.map_err(|e| failed(e.into()))?;
            prepared = prepare_case(app, &owner, request(c.id)?, &c, settings.clone(), now).await.map_err(failed)?;
            c
        }
        None => customer,
    };
    // The customer reported it: the opening is the system's, not the owner's doing.
    for e in &mut prepared.opening.events {
        e.actor_id = None;
    }
    if !files.is_empty() {
        let names: Vec<&str> = files.iter().map(|a| a.filename.as_str()).collect();
        prepared.opening.events.push(NewEvent::system(now, "attachments_received", format!("Attachments received: {}", names.join(", ")), json!({ "files": names })));
    }
    prepared.opening.attachments = files;
    let ack = Acknowledgement::new(&customer, &owner, &settings, prepared.reward.as_ref());
    let mut random = [0u8; 24];
    getrandom::fill(&mut random).map_err(|e| {
        tracing::error!(error = %e, "no randomness for a status link");
        failed(ApiError::internal())
    })?;
    let (token, digest) = status_token(random);
    prepared.opening.status_link = Some(digest);
    prepared.opening.acknowledgement = Some(ack.clone());
    let target = target_words(ack.lang, settings.targets_for(area_record.as_ref(), prepared.case.severity).first_response);
    let case = prepared.open(app).await.map_err(failed)?;
    let next = redress_i18n::text(
        ack.lang,
        "complaint-done-next",
        &[("owner", first_name(&owner.name).as_str().into()), ("target", target.as_str().into()), ("due", ack.due_words(&case).as_str().into())],
    );
    Ok(Done {
        reference: case.reference,
        next,
        email,
        status_url: app.public_link(&format!("/status/{token}")),
        reward_points: ack.reward_points,
    })
}
