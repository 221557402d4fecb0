//! The staff console: sign in with e-mail and password, the queues on the
//! home page, and the case page. Every page but the sign-in page takes a
//! signed-in staff member ([`Staff`]) — or, on the partner pages
//! ([`partner`]), a signed-in partner account ([`Partner`]); each is
//! refused the other's pages, and anyone else is sent to sign in.

mod admin;
mod case;
mod charts;
mod customers;
mod debrief;
mod home;
mod insight;
mod new_case;
mod outbox;
mod partner;
mod problems;
mod session;
mod steps;
mod surveys;

use crate::auth::digest;
use crate::error::ApiError;
use crate::pages::forms::cookie;
use crate::pages::frame::{redirect_with, Flash, Frame, PageError};
use crate::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use redress_core::user::{Role, User};
use redress_core::UserId;
use std::collections::HashMap;

pub fn router() -> Router<AppState> {
    admin::router()
        .merge(partner::router())
        .route("/console", get(home::home))
        .route("/console/login", get(session::login_page).post(session::login))
        .route("/console/logout", post(session::logout))
        .route("/console/cases/new", get(new_case::new_case_page).post(new_case::create))
        .route("/console/cases/{id}", get(case::case_page))
        .route("/console/cases/{id}/debrief", get(debrief::debrief))
        .route("/console/cases/{id}/reports/{n}", get(case::report))
        .route("/console/attachments/{id}", get(case::attachment))
        .route("/console/cases/{id}/{step}", post(steps::post_step))
        .route("/console/problems", get(problems::list).post(problems::create))
        .route("/console/customers", get(customers::list))
        .route("/console/customers/{id}", get(customers::show))
        .route("/console/customers/{id}/export", get(customers::export))
        .route("/console/customers/{id}/erase", post(customers::erase))
        .route("/console/surveys", get(surveys::list).post(surveys::create))
        .route("/console/surveys/{id}", get(surveys::show))
        .route("/console/surveys/{id}/invitations", post(surveys::invite))
        .route("/console/surveys/{id}/invitations/upload", post(surveys::upload))
        .route("/console/outbox", get(outbox::outbox))
        .route("/console/insight", get(insight::dashboard))
        .route("/console/insight/live", get(insight::live))
        .route("/console/insight/cases", get(insight::cases))
        .route("/console/insight/export/{what}", get(insight::download))
        .route("/console/outbox/{id}/retry", post(outbox::retry_message))
        .route("/console/problems/{id}", get(problems::show))
        .route("/console/problems/{id}/{form}", post(problems::post_form))
}

/// The active account this browser is signed in as, of any role; without
/// one, the sign-in page, and from there back to the page asked for.
async fn signed_in(parts: &Parts, app: &AppState) -> Result<User, Response> {
    let login = match parts.uri.path_and_query().filter(|_| parts.method == Method::GET) {
        Some(pq) if pq.as_str() != "/console" => format!("/console/login?{}", serde_urlencoded::to_string([("next", pq.as_str())]).unwrap_or_default()),
        _ => "/console/login".to_string(),
    };
    let Some(token) = cookie(&parts.headers, session::SESSION_COOKIE) else { return Err(Redirect::to(&login).into_response()) };
    let (digest, now) = (digest(&token), app.now());
    match app.store().user_by_session(&digest, now, now - session::IDLE).await {
        Ok(Some((u, seen))) if u.active => {
            if now.duration_since(seen) > session::TOUCH_AFTER {
                app.store().touch_session(&digest, now).await.map_err(|e| PageError(ApiError::from(e)).into_response())?;
            }
            Ok(u)
        }
        Ok(_) => Err(redirect_with(&login, Flash::alert("Your session has ended. Please sign in again."))),
        Err(e) => Err(PageError(ApiError::from(e)).into_response()),
    }
}

/// A signed-in staff member. A partner is sent from the console's home to
/// their own cases and refused every other staff page (403); anyone else
/// is sent to sign in, and from there back to the page they asked for.
pub struct Staff(pub User);

impl FromRequestParts<AppState> for Staff {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, Response> {
        let user = signed_in(parts, app).await?;
        if user.role.is_staff() {
            return Ok(Staff(user));
        }
        if parts.uri.path() == "/console" && parts.method == Method::GET {
            return Err(Redirect::to(partner::HOME).into_response());
        }
        let Ok(frame) = Frame::from_request_parts(parts, app).await;
        let text = "This page is for staff. Your cases and the cases you submit are under My cases.";
        Err(frame.partner(&user).message(StatusCode::FORBIDDEN, "Not for partner accounts", text, partner::HOME))
    }
}

/// A signed-in partner account (a retailer), on the partner pages. Staff
/// are refused them (403: they work cases in the console); anyone else is
/// sent to sign in.
pub struct Partner(pub User);

impl FromRequestParts<AppState> for Partner {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, Response> {
        let user = signed_in(parts, app).await?;
        if user.role == Role::Partner {
            return Ok(Partner(user));
        }
        let Ok(frame) = Frame::from_request_parts(parts, app).await;
        let text = "These pages are for partner accounts. Staff work cases in the console.";
        Err(frame.signed_in(&user).message(StatusCode::FORBIDDEN, "Only for partner accounts", text, "/console"))
    }
}

/// Every account's name by id, for showing owners and actors.
pub(crate) async fn names(app: &AppState) -> Result<HashMap<UserId, String>, PageError> {
    Ok(app.store().users().await?.into_iter().map(|u| (u.id, u.name)).collect())
}
