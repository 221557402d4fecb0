//! The directory a survey response is judged against — the organisation's
//! settings, its staff, service areas and surveys — and a case opened with
//! (its settings, read with the customer), kept in memory by each
//! process and trusted only at the version the database holds. Every
//! change to those tables moves `directory_version` on (triggers,
//! migration 20), so a reader compares one number instead of reading the
//! directory again, and a write compares it again inside its transaction
//! (`surveys::mark_used`): a response judged against a directory that
//! changed meanwhile is judged again on the new one, never stored as it was.

use super::people::{user_from, UserRow, USER_COLS};
use super::settings::{area_from, load_settings, AreaRow, AREA_COLS};
use super::surveys::survey_from;
use super::*;
use redress_core::case::Case;
use redress_core::customer::Customer;
use redress_core::feedback::ResponseContext;
use redress_core::rules::Party;
use redress_core::service_area::ServiceArea;
use redress_core::settings::OrgSettings;
use redress_core::survey::{Invitation, Survey};
use redress_core::user::{Role, User};
use redress_core::{ServiceAreaId, SurveyId};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The current directory version, as a subquery a statement can carry.
pub(super) const VERSION: &str = "(SELECT version FROM directory_version WHERE id = 1)";

pub(crate) struct Directory {
    version: i64,
    settings: OrgSettings,
    /// Every account, lowest id first.
    users: Vec<User>,
    areas: HashMap<ServiceAreaId, ServiceArea>,
    surveys: HashMap<SurveyId, Survey>,
}

/// The last directory this process read, if any.
#[derive(Default)]
pub(crate) struct DirectoryCache(Mutex<Option<Arc<Directory>>>);

impl Directory {
    fn user(&self, id: UserId) -> Option<&User> {
        self.users.binary_search_by_key(&id, |u| u.id).ok().map(|i| &self.users[i])
    }

    fn first_active(&self, roles: &[Role]) -> Option<User> {
        self.users.iter().find(|u| u.active && roles.contains(&u.role)).cloned()
    }

    /// What a response to `invitation` from `customer` is judged against.
    pub(super) fn context(&self, invitation: Invitation, customer: Customer, recovery_case: Option<Case>) -> StoreResult<ResponseContext> {
        let survey = self.surveys.get(&invitation.survey_id).cloned().ok_or_else(|| StoreError::Backend("invitation without survey".into()))?;
        let area = survey.service_area_id.and_then(|a| self.areas.get(&a)).cloned();
        let settings = self.settings.clone();
        let named = settings.follow_up_rules.rules.iter().flat_map(|r| r.owner.iter().chain(r.assign.iter())).filter_map(|p| match p {
            Party::User(id) => Some(*id),
            _ => None,
        });
        let wanted: Vec<UserId> =
            [customer.client_manager_id, area.as_ref().map(|a| a.service_manager_id), settings.default_owner_id].into_iter().flatten().chain(named).collect();
        let users: HashMap<UserId, User> = wanted.into_iter().filter_map(|id| self.user(id).map(|u| (id, u.clone()))).collect();
        Ok(ResponseContext {
            invitation,
            survey,
            customer,
            settings,
            area,
            users,
            seniors: self.first_active(&[Role::Senior]).into_iter().collect(),
            any_supervisor: self.first_active(&[Role::Manager, Role::Senior, Role::Admin]),
            recovery_case,
        })
    }
}

/// The directory's version now, as the transaction `c` is in sees it.
pub(super) async fn version_now<R: Run>(c: &mut R) -> StoreResult<i64> {
    static READ: std::sync::LazyLock<Call> = std::sync::LazyLock::new(|| Call::one(format!("SELECT {VERSION}")));
    run::first(&c.rows(&READ, Params::default()).await?)?.int(0)
}

/// Reads the whole directory on `c`, with the version it was read at.
pub(super) async fn load(c: &mut Conn) -> StoreResult<Directory> {
    let version = version_now(c).await?;
    let settings = load_settings(c).await?;
    let rows: Vec<UserRow> = sqlx::query_as(&format!("SELECT {USER_COLS} FROM users ORDER BY id")).fetch_all(&mut *c).await.map_err(db_error)?;
    let users = rows.into_iter().map(user_from).collect::<StoreResult<Vec<_>>>()?;
    let rows: Vec<AreaRow> = sqlx::query_as(&format!("SELECT {AREA_COLS} FROM service_areas")).fetch_all(&mut *c).await.map_err(db_error)?;
    let areas = rows.into_iter().map(|r| area_from(r).map(|a| (a.id, a))).collect::<StoreResult<_>>()?;
    let rows: Vec<(i64, String)> = sqlx::query_as("SELECT id, data FROM surveys").fetch_all(&mut *c).await.map_err(db_error)?;
    let surveys = rows.into_iter().map(|r| survey_from(r).map(|s| (s.id, s))).collect::<StoreResult<_>>()?;
    Ok(Directory { version, settings, users, areas, surveys })
}

impl DirectoryCache {
    /// The directory kept, if it is at `version`.
    pub(super) fn kept(&self, version: i64) -> Option<Arc<Directory>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone().filter(|d| d.version == version)
    }

    /// The directory at `version` (read with the caller's other rows): the
    /// one kept when it is that version, else read afresh and kept. A
    /// directory's version is read before its rows, so its rows are never
    /// older than its version says; a write checks the version again.
    pub(super) async fn at(&self, c: &mut Conn, version: i64) -> StoreResult<Arc<Directory>> {
        if let Some(d) = self.kept(version) {
            return Ok(d);
        }
        let fresh = Arc::new(load(c).await?);
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(fresh.clone());
        Ok(fresh)
    }
}

impl Directory {
    /// The version its rows are at least as new as.
    pub(super) fn version(&self) -> i64 {
        self.version
    }

    pub(super) fn settings(&self) -> &OrgSettings {
        &self.settings
    }
}
