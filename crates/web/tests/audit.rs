//! The audit trail: every administrative change made over the API or in the
//! console is recorded with who, when, and before and after — and no
//! secret or erased personal data appears in it. Admins read it at
//! `GET /api/v1/audit` and on the console's audit page; nobody else may.
//! On both backends.

mod common;

use common::forms::Browser;
use common::Backend;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

both_backends!(every_administrative_change_is_recorded_without_secrets);

async fn audit(app: &common::TestApp) -> Vec<Value> {
    let (s, v) = app.get(&app.admin, "/api/v1/audit?limit=500").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v.as_array().unwrap().clone()
}

async fn every_administrative_change_is_recorded_without_secrets(b: Backend) {
    let app = common::spawn(b).await;
    let admin_id = app.get(&app.admin, "/api/v1/me").await.1["id"].as_i64().unwrap();
    const PASSWORD: &str = "a console password 1";
    const SECRET: &str = "a-webhook-secret-of-some-length";

    let sue = app.ok(&app.admin, "/api/v1/users", json!({ "name": "Sue", "email": "sue@example.com", "role": "agent", "mandate": "50", "password": PASSWORD })).await;
    let sue_id = sue["id"].as_i64().unwrap();
    app.send(Method::PATCH, Some(&app.admin), &format!("/api/v1/users/{sue_id}"), Some(json!({ "role": "manager", "mandate": "500" }))).await;
    app.send(Method::PUT, Some(&app.admin), &format!("/api/v1/users/{sue_id}/password"), Some(json!({ "password": "another password 2" }))).await;
    let issued = app.ok(&app.admin, &format!("/api/v1/users/{sue_id}/tokens"), json!({ "label": "laptop" })).await;
    let (s, _) = app.send(Method::DELETE, Some(&app.admin), &format!("/api/v1/users/{sue_id}/tokens/{}", issued["id"]), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let mut settings = app.get(&app.admin, "/api/v1/settings").await.1;
    settings["timezone"] = json!("Europe/London");
    app.send(Method::PUT, Some(&app.admin), "/api/v1/settings", Some(settings)).await;
    app.send(Method::PUT, Some(&app.admin), "/api/v1/follow-up-rules", Some(json!({ "rules": [{ "lowest_rating_at_most": 2, "open_case": true }] }))).await;
    app.ok(&app.admin, "/api/v1/webhooks", json!({ "url": "https://hooks.example.com/redress", "events": ["*"], "secret": SECRET })).await;
    let area = app.ok(&app.admin, "/api/v1/service-areas", json!({ "name": "Deliveries", "service_manager_id": sue_id })).await;
    app.send(Method::PUT, Some(&app.admin), &format!("/api/v1/service-areas/{}", area["id"]), Some(json!({ "name": "Deliveries", "service_manager_id": sue_id, "targets": { "first_response": "4h" } }))).await;
    app.ok(&app.admin, "/api/v1/categories", json!({ "name": "Damaged goods" })).await;
    let customer = app.ok(&app.admin, "/api/v1/customers", json!({ "name": "Erin Erased", "email": "erin@customer.example" })).await;
    let (s, v) = app.send(Method::POST, Some(&app.admin), &format!("/api/v1/customers/{}/erase", customer["id"]), None).await;
    assert_eq!(s, StatusCode::OK, "{v}");

    let mut entries = audit(&app).await;
    // The first admin and its token, made as `redress admin create` makes
    // them: recorded with no actor.
    let made_first: Vec<Value> = entries.drain(entries.len() - 2..).collect();
    assert_eq!(made_first.iter().map(|e| (e["action"].as_str().unwrap(), e["actor_id"].is_null())).collect::<Vec<_>>(), [("token.issued", true), ("user.created", true)]);
    let actions: Vec<&str> = entries.iter().rev().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        [
            "user.created",
            "user.changed",
            "user.password_set",
            "token.issued",
            "token.revoked",
            "settings.changed",
            "follow_up_rules.changed",
            "webhook.created",
            "service_area.created",
            "service_area.changed",
            "category.created",
            "customer.erased"
        ],
        "oldest first when reversed"
    );
    assert!(entries.iter().all(|e| e["actor_id"] == admin_id && e["at"].is_string()));
    let changed = entries.iter().find(|e| e["action"] == "user.changed").unwrap();
    assert_eq!((changed["before"]["role"].as_str(), changed["after"]["role"].as_str()), (Some("agent"), Some("manager")));
    assert_eq!((changed["before"]["mandate"].as_str(), changed["after"]["mandate"].as_str()), (Some("50.00"), Some("500.00")));
    assert_eq!(changed["subject"], format!("user {sue_id}"));
    let targets = entries.iter().find(|e| e["action"] == "service_area.changed").unwrap();
    assert_eq!(targets["after"]["targets"]["first_response"], "4h", "{targets}");
    let text = Value::Array(entries.clone()).to_string();
    for secret in [PASSWORD, "another password 2", issued["token"].as_str().unwrap(), SECRET, "Erin Erased", "erin@customer.example"] {
        assert!(!text.contains(secret), "{secret} is in the audit trail");
    }

    // Paging, and only admins.
    let (_, page) = app.get(&app.admin, &format!("/api/v1/audit?limit=2&before={}", entries[0]["id"])).await;
    assert_eq!(page.as_array().unwrap().len(), 2);
    assert_eq!(page[0]["id"], entries[1]["id"]);
    let (_, manager) = app.user("manager", "100").await;
    assert_eq!(app.get(&manager, "/api/v1/audit").await.0, StatusCode::FORBIDDEN);

    // The console records its changes the same way, and shows the trail.
    app.ok(&app.admin, "/api/v1/users", json!({ "name": "Ann", "email": "ann@example.com", "role": "admin", "password": "ann's password 10" })).await;
    let console = Browser::sign_in(&app, "ann@example.com", "ann's password 10").await;
    let resp = console.post(&format!("/console/admin/staff/{sue_id}/password"), &[("password", "a third password 3")]).await;
    assert!(resp.status().is_success() || resp.status().is_redirection(), "{}", resp.status());
    let last = &audit(&app).await[0];
    assert_eq!((last["action"].as_str(), last["subject"].as_str()), (Some("user.password_set"), Some(format!("user {sue_id}").as_str())));
    let (status, html) = console.get("/console/admin/audit").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("id=\"audit\"") && html.contains("role: agent → manager") && html.contains("user password set"), "{html}");
    assert!(!html.contains(PASSWORD) && !html.contains(SECRET));
    // A mangled page address is a page, as on the other lists.
    let (status, html) = console.get("/console/admin/audit?before=abc").await;
    assert!(status == StatusCode::OK && html.contains("id=\"audit\""), "{status}");
    app.ok(&app.admin, "/api/v1/users", json!({ "name": "Max", "email": "max@example.com", "role": "manager", "password": "max's password 10" })).await;
    let (status, _) = Browser::sign_in(&app, "max@example.com", "max's password 10").await.get("/console/admin/audit").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
