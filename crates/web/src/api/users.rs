//! Staff and partner accounts, and their API tokens.

use super::directory::{found, present, require_existing_user};
use crate::auth::{check_password_rules, hash_password, new_token, Actor};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath};
use crate::AppState;
use super::audit;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use redress_core::user::{parse_email, required_text, ApiToken, NewUser, Role, User, UserChange};
use redress_core::{Money, UserId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    name: String,
    email: Option<String>,
    role: Role,
    /// Appeasement mandate; 0 when absent.
    #[serde(default)]
    mandate: Money,
    manager_id: Option<UserId>,
    /// For signing in to the staff console (10 to 200 characters); stored as
    /// an argon2 hash. API-only accounts leave it out.
    #[schema(min_length = 10, max_length = 200)]
    password: Option<String>,
}

/// Creates a staff member or partner account (admin only).
#[utoipa::path(post, path = "/api/v1/users", tag = "directory", request_body = CreateUser,
    responses((status = 201, body = User)))]
pub async fn create_user(State(app): State<AppState>, actor: Actor, ApiJson(req): ApiJson<CreateUser>) -> ApiResult<(StatusCode, Json<User>)> {
    let admin = actor.admin()?;
    Ok((StatusCode::CREATED, Json(create(&app, &admin, req).await?)))
}

/// Checks and stores a new account on behalf of `admin`.
pub(crate) async fn create(app: &AppState, admin: &User, req: CreateUser) -> ApiResult<User> {
    let password_hash = match req.password {
        Some(p) => {
            check_password_rules(&p)?;
            Some(hash_password(p).await?)
        }
        None => None,
    };
    let user = NewUser {
        password_hash,
        name: required_text("name", &req.name, 200)?,
        email: parse_email(req.email.as_deref())?,
        role: req.role,
        mandate: req.mandate,
        manager_id: req.manager_id,
    };
    Ok(app.store().create_user(user, audit::by(app, admin)).await?)
}

/// Lists every account (staff only).
#[utoipa::path(get, path = "/api/v1/users", tag = "directory", responses((status = 200, body = Vec<User>)))]
pub async fn list_users(State(app): State<AppState>, actor: Actor) -> ApiResult<Json<Vec<User>>> {
    actor.staff()?;
    Ok(Json(app.store().users().await?))
}

#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "directory", params(("id" = i64, Path)), responses((status = 200, body = User)))]
pub async fn get_user(State(app): State<AppState>, actor: Actor, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<User>> {
    actor.staff()?;
    Ok(Json(found(app.store().user(UserId(id)).await?, "user", id)?))
}

/// The account the token belongs to.
#[utoipa::path(get, path = "/api/v1/me", tag = "directory", responses((status = 200, body = User)))]
pub async fn me(actor: Actor) -> Json<User> {
    Json(actor.0)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateToken {
    /// What the token is for, such as "retailer integration".
    label: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct IssuedToken {
    id: i64,
    user_id: UserId,
    /// Shown once; only its SHA-256 digest is stored.
    token: String,
}

/// Issues an API token for a user: an admin for anyone, a user for itself.
#[utoipa::path(post, path = "/api/v1/users/{id}/tokens", tag = "directory", params(("id" = i64, Path)),
    request_body = CreateToken, responses((status = 201, body = IssuedToken)))]
pub async fn create_token(
    State(app): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<CreateToken>,
) -> ApiResult<(StatusCode, Json<IssuedToken>)> {
    let user_id = UserId(id);
    if actor.0.id != user_id && actor.0.role != Role::Admin {
        return Err(ApiError::forbidden("only an admin may issue tokens for another user"));
    }
    let (token_id, token) = issue_token(&app, &actor.0, user_id, req.label.as_deref()).await?;
    Ok((StatusCode::CREATED, Json(IssuedToken { id: token_id, user_id, token })))
}

/// Issues a token for `user` on behalf of `actor` (allowed to); answers its
/// id and the token, which is shown once and never stored.
pub(crate) async fn issue_token(app: &AppState, actor: &User, user: UserId, label: Option<&str>) -> ApiResult<(i64, String)> {
    let found = app.store().user(user).await?.ok_or_else(|| ApiError::not_found(format!("user {} does not exist", user.0)))?;
    require_existing_user(&found)?;
    let label = redress_core::user::optional_text("label", label, 200)?;
    let (token, digest) = new_token()?;
    let token_id = app.store().add_token(user, digest, label, audit::by(app, actor)).await?;
    Ok((token_id, token))
}

/// Sets `user`'s console password on behalf of `actor` (allowed to),
/// ending their console sessions.
pub(crate) async fn change_password(app: &AppState, actor: &User, user: UserId, password: String) -> ApiResult<()> {
    app.store().user(user).await?.ok_or_else(|| ApiError::not_found(format!("user {} does not exist", user.0)))?;
    check_password_rules(&password)?;
    let hash = hash_password(password).await?;
    app.store().set_password(user, hash, audit::by(app, actor)).await?;
    Ok(())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetPassword {
    /// 10 to 200 characters.
    #[schema(min_length = 10, max_length = 200)]
    password: String,
}

/// Sets a user's console password (an admin for anyone, a user for itself);
/// ends the user's console sessions.
#[utoipa::path(put, path = "/api/v1/users/{id}/password", tag = "directory", params(("id" = i64, Path)),
    request_body = SetPassword, responses((status = 204)))]
pub async fn set_password(State(app): State<AppState>, actor: Actor, ApiPath(id): ApiPath<i64>, ApiJson(req): ApiJson<SetPassword>) -> ApiResult<StatusCode> {
    if actor.0.id != UserId(id) && actor.0.role != Role::Admin {
        return Err(ApiError::forbidden("only an admin may set another user's password"));
    }
    change_password(&app, &actor.0, UserId(id), req.password).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchUser {
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    name: Option<String>,
    /// `null` removes the address (and with it console sign-in).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    email: Option<Option<String>>,
    role: Option<Role>,
    mandate: Option<Money>,
    /// `null` removes the manager.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    manager_id: Option<Option<UserId>>,
    /// `false` deactivates the account: no sign-in, no tokens, no new cases.
    active: Option<bool>,
}

/// Changes an account (admin only). An admin cannot change their own role or
/// deactivate themselves, so an organisation always keeps an admin.
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "directory", params(("id" = i64, Path)), request_body = PatchUser,
    responses((status = 200, body = User)))]
pub async fn patch_user(State(app): State<AppState>, actor: Actor, ApiPath(id): ApiPath<i64>, ApiJson(req): ApiJson<PatchUser>) -> ApiResult<Json<User>> {
    let admin = actor.admin()?;
    Ok(Json(change_user(&app, &admin, UserId(id), req).await?))
}

/// Checks and applies a change to an account on behalf of `admin`.
pub(crate) async fn change_user(app: &AppState, admin: &User, id: UserId, req: PatchUser) -> ApiResult<User> {
    if admin.id == id && (req.role.is_some_and(|r| r != Role::Admin) || req.active == Some(false)) {
        return Err(ApiError::new(StatusCode::CONFLICT, "you cannot demote or deactivate your own account; ask another admin"));
    }
    let change = UserChange {
        name: req.name.as_deref().map(|n| required_text("name", n, 200)).transpose()?,
        email: match req.email {
            Some(e) => Some(parse_email(e.as_deref())?),
            None => None,
        },
        role: req.role,
        mandate: req.mandate,
        manager_id: req.manager_id,
        active: req.active,
    };
    let user = app.store().update_user(id, change, audit::by(app, admin)).await?;
    // Cached tokens carry the old account; changes take effect at once here
    // and within the cache's ten seconds in other processes.
    app.tokens().clear();
    Ok(user)
}

/// Lists a user's API tokens, without the tokens themselves: an admin for
/// anyone, a user for itself.
#[utoipa::path(get, path = "/api/v1/users/{id}/tokens", tag = "directory", params(("id" = i64, Path)), responses((status = 200, body = Vec<ApiToken>)))]
pub async fn list_tokens(State(app): State<AppState>, actor: Actor, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<Vec<ApiToken>>> {
    if actor.0.id != UserId(id) && actor.0.role != Role::Admin {
        return Err(ApiError::forbidden("only an admin may list another user's tokens"));
    }
    found(app.store().user(UserId(id)).await?, "user", id)?;
    Ok(Json(app.store().api_tokens(UserId(id)).await?))
}

/// Revokes an API token: an admin for anyone, a user for itself.
#[utoipa::path(delete, path = "/api/v1/users/{id}/tokens/{token_id}", tag = "directory", params(("id" = i64, Path), ("token_id" = i64, Path)),
    responses((status = 204)))]
pub async fn revoke_token(State(app): State<AppState>, actor: Actor, ApiPath((id, token_id)): ApiPath<(i64, i64)>) -> ApiResult<StatusCode> {
    if actor.0.id != UserId(id) && actor.0.role != Role::Admin {
        return Err(ApiError::forbidden("only an admin may revoke another user's token"));
    }
    revoke(&app, &actor.0, UserId(id), token_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Revokes a token at once in this process (other processes within the
/// token cache's ten seconds).
pub(crate) async fn revoke(app: &AppState, actor: &User, user: UserId, token_id: i64) -> ApiResult<()> {
    if !app.store().revoke_token(user, token_id, audit::by(app, actor)).await? {
        return Err(ApiError::not_found(format!("user {} has no token {token_id}", user.0)));
    }
    app.tokens().clear();
    Ok(())
}
