//! The console's administration: staff accounts, the organisation's
//! settings, integrations (webhooks, dead letters), and service areas
//! (which managers add too), and the survey follow-up rules. Every page takes an [`Admin`]; other staff are refused with a 403.

mod areas;
mod audit;
mod categories;
mod integrations;
mod rules;
mod settings;
mod staff;

use super::Staff;
use crate::error::ApiError;
use crate::pages::frame::{Frame, PageError};
use askama::Template;
use axum::http::StatusCode;
use crate::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use redress_core::user::{Role, User};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/admin", get(index))
        .route("/console/admin/settings", get(settings::show).post(settings::save))
        .route("/console/admin/audit", get(audit::list))
        .route("/console/admin/rules", get(rules::show).post(rules::save))
        .route("/console/areas", get(areas::list).post(areas::create))
        .route("/console/admin/categories", get(categories::list).post(categories::create))
        .route("/console/admin/categories/{id}", post(categories::toggle))
        .route("/console/areas/{id}", get(areas::show).post(areas::save))
        .route("/console/admin/integrations", get(integrations::show).post(integrations::subscribe))
        .route("/console/admin/staff", get(staff::list).post(staff::create))
        .route("/console/admin/staff/{id}", get(staff::show).post(staff::change))
        .route("/console/admin/staff/{id}/password", post(staff::password))
        .route("/console/admin/staff/{id}/tokens", post(staff::issue_token))
        .route("/console/admin/staff/{id}/tokens/{token}/revoke", post(staff::revoke_token))
}

#[derive(Template)]
#[template(path = "console/admin/index.html")]
struct IndexPage {
    frame: Frame,
}

/// The administration's sections, one link each.
async fn index(Admin(admin): Admin, frame: Frame) -> Response {
    let page = IndexPage { frame: frame.signed_in(&admin) };
    page.frame.page(StatusCode::OK, &page)
}

/// A signed-in admin. Other staff get a 403 page; anyone else is sent to
/// sign in.
pub struct Admin(pub User);

impl FromRequestParts<AppState> for Admin {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, Response> {
        let Staff(user) = Staff::from_request_parts(parts, app).await?;
        if user.role == Role::Admin {
            Ok(Admin(user))
        } else {
            Err(PageError(ApiError::forbidden(format!("Only an admin may open this page; you are signed in as {}.", user.role.as_str()))).into_response())
        }
    }
}
