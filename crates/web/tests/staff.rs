//! Staff accounts over the API: changing role, mandate and manager,
//! deactivating, and listing and revoking API tokens. On both backends.

mod common;

use common::{Backend, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::json;

both_backends!(accounts_change_and_deactivate, tokens_are_listed_without_secrets_and_revoked_at_once);

async fn patch(app: &TestApp, token: &str, id: i64, body: serde_json::Value) -> (StatusCode, serde_json::Value) {
    app.send(Method::PATCH, Some(token), &format!("/api/v1/users/{id}"), Some(body)).await
}

async fn accounts_change_and_deactivate(b: Backend) {
    let app = common::spawn(b).await;
    let (manager, _) = app.user("manager", "500").await;
    let (agent, agent_token) = app.user("agent", "50").await;
    let (s, u) = patch(&app, &app.admin, agent, json!({ "role": "manager", "mandate": "250", "manager_id": manager, "name": "Alice Agent" })).await;
    assert_eq!(s, StatusCode::OK, "{u}");
    assert_eq!((u["role"].as_str(), u["mandate"].as_str(), u["manager_id"].as_i64()), (Some("manager"), Some("250.00"), Some(manager)));
    let (_, me) = app.get(&agent_token, "/api/v1/me").await;
    assert_eq!(me["role"], "manager", "takes effect at once");
    let (s, u) = patch(&app, &app.admin, agent, json!({ "manager_id": null })).await;
    assert_eq!((s, u["manager_id"].is_null()), (StatusCode::OK, true), "null clears");

    // Refusals: not an admin, oneself as manager, an unknown manager, unknown fields, demoting oneself.
    assert_eq!(patch(&app, &agent_token, agent, json!({ "mandate": "9999" })).await.0, StatusCode::FORBIDDEN);
    assert_eq!(patch(&app, &app.admin, agent, json!({ "manager_id": agent })).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(patch(&app, &app.admin, agent, json!({ "manager_id": 999 })).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(patch(&app, &app.admin, agent, json!({ "colour": "red" })).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(patch(&app, &app.admin, 999, json!({ "active": false })).await.0, StatusCode::NOT_FOUND);
    let (_, me) = app.get(&app.admin, "/api/v1/me").await;
    let admin = me["id"].as_i64().unwrap();
    let (s, p) = patch(&app, &app.admin, admin, json!({ "active": false })).await;
    assert_eq!(s, StatusCode::CONFLICT, "{p}");
    assert_eq!(patch(&app, &app.admin, admin, json!({ "role": "agent" })).await.0, StatusCode::CONFLICT);

    // Deactivated: the token stops working at once.
    assert_eq!(patch(&app, &app.admin, agent, json!({ "active": false })).await.0, StatusCode::OK);
    let (s, body) = app.get(&agent_token, "/api/v1/me").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert!(body["detail"].as_str().unwrap().contains("deactivated"));
    assert_eq!(patch(&app, &app.admin, agent, json!({ "active": true })).await.0, StatusCode::OK);
    assert_eq!(app.get(&agent_token, "/api/v1/me").await.0, StatusCode::OK);
}

async fn tokens_are_listed_without_secrets_and_revoked_at_once(b: Backend) {
    let app = common::spawn(b).await;
    let (agent, first) = app.user("agent", "50").await;
    let second = app.ok(&first, &format!("/api/v1/users/{agent}/tokens"), json!({ "label": "laptop" })).await;
    let (s, list) = app.get(&first, &format!("/api/v1/users/{agent}/tokens")).await;
    assert_eq!(s, StatusCode::OK);
    let list = list.as_array().unwrap().clone();
    assert_eq!(list.len(), 2);
    assert!(list.iter().all(|t| t.get("token").is_none()), "never the secret");
    assert_eq!(list[1]["label"], "laptop");
    let (other, other_token) = app.user("agent", "50").await;
    assert_eq!(app.get(&other_token, &format!("/api/v1/users/{agent}/tokens")).await.0, StatusCode::FORBIDDEN);
    let path = format!("/api/v1/users/{agent}/tokens/{}", second["id"]);
    assert_eq!(app.send(Method::DELETE, Some(&other_token), &path, None).await.0, StatusCode::FORBIDDEN);

    let laptop = second["token"].as_str().unwrap();
    assert_eq!(app.get(laptop, "/api/v1/me").await.0, StatusCode::OK);
    assert_eq!(app.send(Method::DELETE, Some(&first), &path, None).await.0, StatusCode::NO_CONTENT);
    assert_eq!(app.get(laptop, "/api/v1/me").await.0, StatusCode::UNAUTHORIZED, "revoked at once");
    assert_eq!(app.get(&first, "/api/v1/me").await.0, StatusCode::OK, "the other token still works");
    assert_eq!(app.send(Method::DELETE, Some(&app.admin), &path, None).await.0, StatusCode::NOT_FOUND, "already gone");
    assert_eq!(app.send(Method::DELETE, Some(&app.admin), &format!("/api/v1/users/{other}/tokens/abc"), None).await.0, StatusCode::BAD_REQUEST);
}
