//! Server-rendered pages. No JavaScript; every form carries a CSRF token.
//!
//! One module and one template folder per area: `public/` for customers
//! (front page, survey by access code, the private report link) and
//! `console/` for staff (sign-in, queues, the case page). What every page
//! shares is written once: [`frame`] (organisation, signed-in user, flash
//! message; rendering a page, a message page, a redirect with a flash, and
//! failures shown as pages), [`forms`] (reading a form, CSRF, cookies),
//! [`format`] (times, durations and money as people read them) and
//! [`pager`] (keyset pagination links); [`assets`] serves the one
//! stylesheet from the binary. Templates mirror the modules:
//! `templates/layout/` (the base frame, the message page and the form
//! macros: CSRF field, form error, pager), `templates/public/`,
//! `templates/console/`. A new page is one handler and one template.

mod assets;
mod console;
mod format;
mod forms;
mod frame;
mod pager;
mod public;

use crate::AppState;
use axum::Router;

pub fn router() -> Router<AppState> {
    public::router().merge(console::router()).merge(assets::router())
}
