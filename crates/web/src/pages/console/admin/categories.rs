//! Complaint categories (admins): the list cases are filed under and
//! survey questions map to; add one, rename it, retire or reinstate it.

use super::Admin;
use crate::pages::forms::{csrf_ok, FormFields};
use crate::pages::frame::{redirect_with, Flash, Frame, PagePath, PageResult};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use redress_core::category::{Category, NewCategory};
use redress_core::user::User;
use redress_core::CategoryId;

#[derive(Template)]
#[template(path = "console/admin/categories.html")]
struct CategoriesPage {
    frame: Frame,
    rows: Vec<Category>,
    error: Option<String>,
    kept: FormFields,
}

async fn page(app: &AppState, frame: Frame, admin: &User, status: StatusCode, error: Option<String>, kept: FormFields) -> PageResult {
    let page = CategoriesPage { frame: frame.signed_in(admin), rows: app.store().categories().await?, error, kept };
    Ok(page.frame.page(status, &page))
}

pub async fn list(State(app): State<AppState>, Admin(admin): Admin, frame: Frame) -> PageResult {
    page(&app, frame, &admin, StatusCode::OK, None, FormFields(Vec::new())).await
}

fn checked(form: &FormFields, active: bool) -> Result<NewCategory, redress_core::DomainError> {
    let description = form.text("description");
    NewCategory::checked(&form.text("name"), Some(description.as_str()), active)
}

/// Adds a category, or refuses with the reason and what was typed.
pub async fn create(State(app): State<AppState>, Admin(admin): Admin, headers: HeaderMap, frame: Frame, form: FormFields) -> PageResult {
    if !csrf_ok(&headers, &form) {
        return Ok(frame.expired_form("/console/admin/categories"));
    }
    let created = match checked(&form, true) {
        Ok(c) => crate::api::categories::store_new(&app, &admin, c).await,
        Err(e) => Err(e.into()),
    };
    match created {
        Ok(c) => Ok(redirect_with("/console/admin/categories", Flash::notice(format!("Category {} added.", c.name)))),
        Err(e) if e.status.is_client_error() => page(&app, frame, &admin, e.status, Some(e.detail), form).await,
        Err(e) => Err(e.into()),
    }
}

/// Retires an active category or reinstates a retired one.
pub async fn toggle(State(app): State<AppState>, Admin(admin): Admin, headers: HeaderMap, frame: Frame, PagePath(id): PagePath<i64>, form: FormFields) -> PageResult {
    let back = "/console/admin/categories";
    if !csrf_ok(&headers, &form) {
        return Ok(frame.expired_form(back));
    }
    let Some(c) = app.store().categories().await?.into_iter().find(|c| c.id == CategoryId(id)) else {
        return Ok(frame.signed_in(&admin).message(StatusCode::NOT_FOUND, "Category not found", &format!("There is no category {id}."), back));
    };
    let change = NewCategory { name: c.name.clone(), description: c.description.clone(), active: !c.active };
    crate::api::categories::store_change(&app, &admin, c.id, change).await?;
    let words = if c.active { "retired: cases keep it, nobody can choose it" } else { "reinstated" };
    Ok(redirect_with(back, Flash::notice(format!("Category {} {words}.", c.name))))
}
