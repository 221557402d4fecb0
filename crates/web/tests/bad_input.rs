//! Bad input never crashes or corrupts: each gets a 4xx problem detail saying
//! what is wrong, and nothing partial is stored. On both backends.

mod common;

use common::Backend;
use reqwest::{Method, StatusCode};
use serde_json::json;

both_backends!(
    malformed_and_mistyped_bodies,
    authentication_and_roles,
    unknown_ids_and_routes,
    illegal_transitions_store_nothing,
    directory_validation,
    health_and_metrics,
    echo_checks_and_changes_nothing,
);

/// Sends raw bytes with a content type.
async fn raw(app: &common::TestApp, path: &str, content_type: &str, body: Vec<u8>) -> (StatusCode, serde_json::Value) {
    let resp = app
        .http
        .post(format!("{}{path}", app.base))
        .bearer_auth(&app.admin)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    assert_eq!(resp.headers()["content-type"], "application/problem+json", "{status}");
    (status, resp.json().await.unwrap())
}

async fn malformed_and_mistyped_bodies(b: Backend) {
    let app = common::spawn(b).await;
    let customer = app.customer().await;
    let cases = "/api/v1/cases";
    let (s, v) = raw(&app, cases, "application/json", b"{\"customer_id\": 1,".to_vec()).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert!(v["detail"].as_str().unwrap().contains("not valid JSON"));
    let (s, _) = raw(&app, cases, "application/json", vec![b'"', 0xff, 0xfe, b'"']).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "invalid UTF-8");
    let (s, _) = raw(&app, cases, "text/plain", b"hello".to_vec()).await;
    assert_eq!(s, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    // What `curl -d '{…}'` sends: refused, saying how to send it.
    let body = json!({ "customer_id": customer, "channel": "phone", "summary": "x" }).to_string().into_bytes();
    let (s, v) = raw(&app, cases, "application/x-www-form-urlencoded", body).await;
    assert_eq!(s, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(v["detail"].as_str().unwrap().contains("sent as application/x-www-form-urlencoded") && v["detail"].as_str().unwrap().contains("curl --json"), "{v}");
    // A NUL character in any text is refused alike on both backends
    // (PostgreSQL cannot store one), and nothing is stored.
    let (s, v) = raw(&app, cases, "application/json", format!(r#"{{"customer_id": {customer}, "channel": "phone", "summary": "a\u0000b"}}"#).into_bytes()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(v["detail"].as_str().unwrap().contains("NUL"), "{v}");
    // A JSON body with no Content-Type at all is read as JSON.
    let (s, _) = raw(&app, "/api/v1/customers", "text/plain", b"{\"name\": \"Ada\"}".to_vec()).await;
    assert_eq!(s, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let resp = app.http.post(format!("{}/api/v1/customers", app.base)).bearer_auth(&app.admin).body(r#"{"name": "Ada"}"#).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED, "{:?}", resp.text().await);
    let (s, v) = raw(&app, cases, "application/json", vec![b' '; common::MAX_BODY + 1]).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{v}");
    assert!(v["detail"].as_str().unwrap().contains(&common::MAX_BODY.to_string()));

    let checks = [
        (json!({ "channel": "phone", "summary": "x" }), "customer_id"),
        (json!({ "customer_id": "seven", "channel": "phone", "summary": "x" }), "customer_id"),
        (json!({ "customer_id": customer, "channel": "fax", "summary": "x" }), "fax"),
        (json!({ "customer_id": customer, "channel": "phone", "summary": 5 }), "summary"),
        (json!({ "customer_id": customer, "channel": "phone", "summary": "x", "colour": "red" }), "colour"),
        (json!({ "customer_id": customer, "channel": "phone", "summary": "x", "reported_at": "yesterday" }), "reported_at"),
    ];
    for (body, mentions) in checks {
        let (s, v) = app.post(&app.admin, cases, body.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {v}");
        assert!(v["detail"].as_str().unwrap().contains(mentions), "{body}: {v}");
    }
    let semantic = [
        (json!({ "customer_id": customer, "channel": "phone", "summary": "   " }), "summary must not be empty"),
        (json!({ "customer_id": 999, "channel": "phone", "summary": "x" }), "customer_id 999 does not exist"),
        (json!({ "customer_id": customer, "channel": "phone", "summary": "x", "occurred_at": "2026-11-20T12:00:00Z", "reported_at": "2026-11-19T12:00:00Z" }), "after reported_at"),
        (json!({ "customer_id": customer, "channel": "phone", "summary": "x", "reported_at": "2027-01-01T00:00:00Z" }), "in the future"),
        (json!({ "customer_id": customer, "channel": "phone", "summary": "x", "owner_id": 999 }), "owner_id 999"),
        (json!({ "customer_id": customer, "channel": "phone", "summary": "x", "service_area_id": 999 }), "service_area_id 999"),
    ];
    for (body, says) in semantic {
        let (s, v) = app.post(&app.admin, cases, body.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {v}");
        assert!(v["detail"].as_str().unwrap().contains(says), "{body}: {v}");
    }
    assert_eq!(app.case_count().await, 0, "no refused request stored a case");

    let case = app.case(&app.admin, customer, false).await;
    let steps = [
        ("actions", json!({ "description": "Refund", "remedy_value": "-5" })),
        ("actions", json!({ "description": "Refund", "remedy_value": "1.234" })),
        ("actions", json!({ "description": "Refund", "remedy_value": true })),
        ("follow-up", json!({ "outcome": "resolved", "satisfaction": 300 })),
        ("follow-up", json!({ "outcome": "maybe", "satisfaction": 3 })),
        ("deviations", json!({ "step": "lunch", "reason": "x" })),
        ("communications", json!({ "direction": "sideways", "channel": "phone", "body": "x" })),
        ("approvals", json!({ "decision": "amend" })),
        ("transfer", json!({ "to_user_id": 999, "reason": "x" })),
        ("preventive", json!({ "owner_id": 999 })),
        ("preventive", json!({ "root_cause": "no owner yet" })),
    ];
    for (step, body) in steps {
        let before = app.timeline_len(case).await;
        let (s, v) = app.post(&app.admin, &format!("/api/v1/cases/{case}/{step}"), body.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{step} {body}: {v}");
        assert_eq!(app.timeline_len(case).await, before, "{step} stored something");
    }
}

async fn authentication_and_roles(b: Backend) {
    let app = common::spawn(b).await;
    let (agent_id, agent) = app.user("agent", "50").await;
    let (s, v) = app.send(Method::GET, None, "/api/v1/cases", None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert!(v["detail"].as_str().unwrap().contains("missing bearer token"));
    let (s, _) = app.send(Method::GET, Some("rdr_0000"), "/api/v1/cases", None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let resp = app.http.get(format!("{}/api/v1/cases", app.base)).header("authorization", "Basic abc").send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(resp.headers()["www-authenticate"], "Bearer");

    let (s, v) = app.post(&agent, "/api/v1/users", json!({ "name": "Eve", "role": "admin" })).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    let (s, _) = app.post(&agent, "/api/v1/users/1/tokens", json!({})).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "an agent cannot mint the admin's tokens");
    let (s, v) = app.post(&agent, &format!("/api/v1/users/{agent_id}/tokens"), json!({ "label": "laptop" })).await;
    assert_eq!(s, StatusCode::CREATED, "a user may mint its own: {v}");
    let (s, _) = app.send(Method::PUT, Some(&agent), "/api/v1/settings", Some(json!({ "timezone": "Europe/Paris" }))).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app.post(&agent, "/api/v1/service-areas", json!({ "name": "X", "service_manager_id": agent_id })).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, me) = app.get(&agent, "/api/v1/me").await;
    assert_eq!((s, me["id"].as_i64()), (StatusCode::OK, Some(agent_id)));
    let (_, users) = app.get(&app.admin, "/api/v1/users").await;
    assert_eq!(users.as_array().unwrap().len(), 2, "refused requests created no account");
}

async fn unknown_ids_and_routes(b: Backend) {
    let app = common::spawn(b).await;
    for path in ["/api/v1/cases/999", "/api/v1/customers/999", "/api/v1/users/999", "/api/v1/service-areas/999", "/api/v1/problems/999", "/api/v1/nothing"] {
        let (s, v) = app.get(&app.admin, path).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{path}: {v}");
    }
    let (s, v) = app.post(&app.admin, "/api/v1/cases/999/close", json!({})).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
    let (s, v) = app.get(&app.admin, "/api/v1/cases/abc").await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    let (s, v) = app.get(&app.admin, "/api/v1/cases?status=lost").await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    let (s, _) = app.get(&app.admin, "/api/v1/cases?limit=0").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = app.send(Method::DELETE, Some(&app.admin), "/api/v1/cases", None).await;
    assert_eq!(s, StatusCode::METHOD_NOT_ALLOWED);
}

async fn illegal_transitions_store_nothing(b: Backend) {
    let app = common::spawn(b).await;
    let (_, agent) = app.user("agent", "50").await;
    let customer = app.customer().await;
    let case = app.case(&agent, customer, false).await;
    let path = |s: &str| format!("/api/v1/cases/{case}/{s}");
    let before = app.timeline_len(case).await;
    let (s, v) = app.post(&app.admin, &path("approvals"), json!({ "decision": "approve" })).await;
    assert_eq!(s, StatusCode::CONFLICT, "nothing awaits approval: {v}");
    let (s, v) = app.post(&app.admin, &path("follow-up"), json!({ "outcome": "resolved", "satisfaction": 5 })).await;
    assert_eq!(s, StatusCode::CONFLICT, "nothing to verify yet: {v}");
    app.ok(&agent, &path("actions"), json!({ "description": "Big refund", "remedy_value": "500" })).await;
    let (s, v) = app.post(&agent, &path("actions"), json!({ "description": "Another", "remedy_value": "5" })).await;
    assert_eq!(s, StatusCode::CONFLICT, "one escalation at a time: {v}");
    let (s, _) = app.post(&agent, &path("close"), json!({})).await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(app.timeline_len(case).await, before + 1, "only the escalation was recorded");
}

async fn directory_validation(b: Backend) {
    let app = common::spawn(b).await;
    let (manager_id, _) = app.user("manager", "100").await;
    let bad = [
        ("/api/v1/customers", json!({ "name": "X", "timezone": "Mars/Olympus" }), StatusCode::UNPROCESSABLE_ENTITY),
        ("/api/v1/customers", json!({ "name": "X", "email": "not-an-address" }), StatusCode::UNPROCESSABLE_ENTITY),
        ("/api/v1/customers", json!({ "name": "X", "client_manager_id": 999 }), StatusCode::UNPROCESSABLE_ENTITY),
        ("/api/v1/users", json!({ "name": "X", "role": "king" }), StatusCode::UNPROCESSABLE_ENTITY),
        ("/api/v1/users", json!({ "name": "X", "role": "agent", "manager_id": 999 }), StatusCode::UNPROCESSABLE_ENTITY),
        ("/api/v1/users", json!({ "name": "X", "role": "agent", "mandate": "ten" }), StatusCode::UNPROCESSABLE_ENTITY),
        ("/api/v1/service-areas", json!({ "name": "X", "service_manager_id": 999 }), StatusCode::UNPROCESSABLE_ENTITY),
        ("/api/v1/service-areas", json!({ "name": "X", "service_manager_id": manager_id, "targets": { "first_response": "2 weeks" } }), StatusCode::UNPROCESSABLE_ENTITY),
    ];
    for (path, body, want) in bad {
        let (s, v) = app.post(&app.admin, path, body.clone()).await;
        assert_eq!(s, want, "{path} {body}: {v}");
    }
    app.ok(&app.admin, "/api/v1/users", json!({ "name": "Y", "role": "agent", "email": "y@example.com" })).await;
    let (s, v) = app.post(&app.admin, "/api/v1/users", json!({ "name": "Y2", "role": "agent", "email": "Y@example.com" })).await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    app.ok(&app.admin, "/api/v1/service-areas", json!({ "name": "Deliveries", "service_manager_id": manager_id, "targets": { "first_response": "4h" } })).await;
    let (s, _) = app.post(&app.admin, "/api/v1/service-areas", json!({ "name": "Deliveries", "service_manager_id": manager_id })).await;
    assert_eq!(s, StatusCode::CONFLICT);
    for body in [json!({ "timezone": "Nowhere/City" }), json!({ "currency": "euros" }), json!({ "business_hours": {} }), json!({ "business_hours": { "mon": "17:00-09:00" } }), json!({ "holidays": ["2026-02-30"] }), json!({ "default_owner_id": 999 })] {
        let (s, v) = app.send(Method::PUT, Some(&app.admin), "/api/v1/settings", Some(body.clone())).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {v}");
    }
    let (_, settings) = app.get(&app.admin, "/api/v1/settings").await;
    assert_eq!(settings["timezone"], "UTC", "refused settings changed nothing");
    assert_eq!(settings["business_hours"]["mon"], "09:00-17:00");
    let (s, v) = app.send(Method::PUT, Some(&app.admin), "/api/v1/settings", Some(json!({ "timezone": "Europe/London", "holidays": ["2026-12-25"] }))).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["holidays"], json!(["2026-12-25"]));
    // A service area's own target applies to its cases.
    let customer = app.customer().await;
    let (_, areas) = app.get(&app.admin, "/api/v1/service-areas").await;
    let c = app.ok(&app.admin, "/api/v1/cases", json!({ "customer_id": customer, "channel": "web", "summary": "x", "service_area_id": areas[0]["id"], "reported_at": "2026-11-20T16:00:00Z" })).await;
    assert_eq!(c["first_response_due_at"], "2026-11-23T12:00:00Z", "4 business hours from Friday 16:00");
}

async fn health_and_metrics(b: Backend) {
    let app = common::spawn(b).await;
    let customer = app.customer().await;
    app.case(&app.admin, customer, false).await;
    let resp = app.http.get(format!("{}/healthz", app.base)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let text = app.http.get(format!("{}/metrics", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(text.contains("redress_http_requests_total"), "{text}");
    assert!(text.contains("redress_http_request_duration_seconds"), "{text}");
    assert!(text.contains("redress_cases{status=\"open\"}"), "{text}");
}

/// `POST /api/v1/echo`: a token and a JSON object checked, nothing stored.
async fn echo_checks_and_changes_nothing(b: Backend) {
    let app = common::spawn(b).await;
    let (s, v) = app.post(&app.admin, "/api/v1/echo", json!({ "customer_id": 1, "summary": "x", "nested": { "a": [1, 2] } })).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["fields"], 3, "{v}");
    assert!(v["user_id"].as_i64().unwrap() > 0, "{v}");
    let resp = app.http.post(format!("{}/api/v1/echo", app.base)).json(&json!({})).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let (s, v) = raw(&app, "/api/v1/echo", "application/json", b"{\"a\":".to_vec()).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    let (s, v) = app.post(&app.admin, "/api/v1/echo", json!([1, 2])).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "an object, not a list: {v}");
    let (s, cases) = app.get(&app.admin, "/api/v1/cases").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(cases["items"].as_array().unwrap().len(), 0, "nothing stored: {cases}");
}
