//! Bearer-token authentication. A token is 256 random bits shown once; only
//! its SHA-256 digest is stored, so a database leak reveals no usable token and
//! checking one costs a hash and an indexed lookup (no slow password hash on
//! every call). Recent lookups are cached briefly.

use crate::error::ApiError;
use crate::AppState;
use axum::extract::FromRequestParts;
use axum::http::{header, request::Parts};
use redress_core::user::User;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Prefix that makes Redress tokens recognisable to secret scanners.
const TOKEN_PREFIX: &str = "rdr_";
/// How long a verified token is trusted without asking the database again.
const CACHE_TTL: Duration = Duration::from_secs(10);
const CACHE_MAX: usize = 10_000;

/// A new random token and the digest to store.
pub fn new_token() -> Result<(String, String), ApiError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| {
        tracing::error!(error = %e, "no randomness for a token");
        ApiError::internal()
    })?;
    let token = format!("{TOKEN_PREFIX}{}", hex::encode(bytes));
    let digest = digest(&token);
    Ok((token, digest))
}

/// A new survey access code as the customer types it, and its stored digest.
pub fn new_access_code() -> Result<(String, String), ApiError> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).map_err(|e| {
        tracing::error!(error = %e, "no randomness for an access code");
        ApiError::internal()
    })?;
    let code = redress_core::access_code::from_random(bytes);
    // A code made by `from_random` always normalises, so it always has a digest.
    let digest = redress_core::access_code::digest_of(&code).unwrap_or_default();
    Ok((code, digest))
}

pub fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[derive(Default)]
pub struct TokenCache(Mutex<HashMap<String, (User, Instant)>>);

impl TokenCache {
    fn get(&self, digest: &str) -> Option<User> {
        let map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.get(digest).filter(|(_, at)| at.elapsed() < CACHE_TTL).map(|(u, _)| u.clone())
    }

    fn put(&self, digest: String, user: User) {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= CACHE_MAX {
            map.retain(|_, (_, at)| at.elapsed() < CACHE_TTL);
            if map.len() >= CACHE_MAX {
                map.clear();
            }
        }
        map.insert(digest, (user, Instant::now()));
    }

    /// Forgets cached users so a changed account takes effect at once.
    pub fn clear(&self) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

/// The authenticated caller.
pub struct Actor(pub User);

impl FromRequestParts<AppState> for Actor {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let header = parts
            .headers
            .get(header::AUTHORIZATION)
            .ok_or_else(|| ApiError::unauthorized("missing bearer token: send Authorization: Bearer <token>"))?;
        let token = header
            .to_str()
            .ok()
            .and_then(|h| h.strip_prefix("Bearer ").or_else(|| h.strip_prefix("bearer ")))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| ApiError::unauthorized("the Authorization header must be 'Bearer <token>'"))?;
        let digest = digest(token);
        let user = match state.tokens().get(&digest) {
            Some(u) => u,
            None => {
                let user = state.store().user_by_token(&digest).await?.ok_or_else(|| ApiError::unauthorized("the bearer token is not valid"))?;
                state.tokens().put(digest, user.clone());
                user
            }
        };
        if !user.active {
            return Err(ApiError::unauthorized("this account is deactivated"));
        }
        Ok(Actor(user))
    }
}

impl Actor {
    /// Refuses partners: most of the API is for staff.
    pub fn staff(self) -> Result<User, ApiError> {
        if self.0.role.is_staff() {
            Ok(self.0)
        } else {
            Err(ApiError::forbidden("a partner account may only submit retailer cases and read its own"))
        }
    }

    /// Managers, seniors and admins: the people insight is for.
    pub fn supervisor(self) -> Result<User, ApiError> {
        if self.0.role.supervises() {
            Ok(self.0)
        } else {
            Err(ApiError::forbidden(format!("only managers, seniors and admins may do this; you are {}", self.0.role.as_str())))
        }
    }

    pub fn admin(self) -> Result<User, ApiError> {
        if self.0.role == redress_core::user::Role::Admin {
            Ok(self.0)
        } else {
            Err(ApiError::forbidden(format!("only an admin may do this; you are {}", self.0.role.as_str())))
        }
    }
}

/// Passwords for the console: 10 to 200 characters.
pub fn check_password_rules(password: &str) -> Result<(), ApiError> {
    let n = password.chars().count();
    if (10..=200).contains(&n) {
        Ok(())
    } else {
        Err(ApiError::unprocessable("password must be 10 to 200 characters"))
    }
}

/// An argon2 hash of `password`, computed off the async runtime.
pub async fn hash_password(password: String) -> Result<String, ApiError> {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|_| ApiError::internal())?;
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::encode_b64(&salt)?;
        argon2::Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string())
    })
    .await
    .map_err(|_| ApiError::internal())?
    .map_err(|e| {
        tracing::error!(error = %e, "password hashing failed");
        ApiError::internal()
    })
}

/// Checks `password` against a stored argon2 hash, off the async runtime.
/// Without a hash it still spends the same effort, so timing does not reveal
/// which e-mail addresses exist.
pub async fn verify_password(password: String, hash: Option<String>) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    const DUMMY: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$2Wq1mFf0VbvbXqzQ3Xxl1Oq3Ew2x0j8f0mVqfXJmJ3w";
    tokio::task::spawn_blocking(move || {
        let stored = hash.as_deref().unwrap_or(DUMMY);
        let ok = PasswordHash::new(stored).is_ok_and(|parsed| argon2::Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok());
        ok && hash.is_some()
    })
    .await
    .unwrap_or(false)
}
