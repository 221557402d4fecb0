//! Service-level targets on business time: reminders before, breaches after,
//! update-due marks, per-severity targets — each raised once, staff messages
//! only in business hours. On both backends, with the worker on a manual clock.

mod common;

use common::{eventually, Backend, TestApp};
use serde_json::{json, Value};

both_backends!(targets_remind_breach_and_escalate, severity_sets_the_target);

async fn timeline_kinds(app: &TestApp, case: i64) -> Vec<String> {
    app.case_json(case).await["timeline"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap().to_string()).collect()
}

async fn notes(app: &TestApp, query: &str) -> Vec<Value> {
    app.get(&app.admin, &format!("/api/v1/notifications?{query}")).await.1.as_array().unwrap().clone()
}

async fn targets_remind_breach_and_escalate(b: Backend) {
    let app = common::spawn_with_worker(b, std::sync::Arc::new(redress_core::mail::NoMailer)).await;
    app.london().await;
    let manager = app.ok(&app.admin, "/api/v1/users", json!({ "name": "Mona Manager", "email": "mona@example.com", "role": "manager", "mandate": "500" })).await;
    let agent = app.ok(&app.admin, "/api/v1/users", json!({ "name": "Andy Agent", "email": "andy@example.com", "role": "agent", "mandate": "50", "manager_id": manager["id"] })).await;
    let token = app.ok(&app.admin, &format!("/api/v1/users/{}/tokens", agent["id"]), json!({})).await["token"].as_str().unwrap().to_string();
    let customer = app.customer().await;
    let c = app.ok(&token, "/api/v1/cases", json!({ "customer_id": customer, "channel": "phone", "summary": "Leaking roof", "reported_at": "2026-11-20T16:00:00Z" })).await;
    let case = c["id"].as_i64().unwrap();
    assert_eq!(c["update_due_at"], "2026-11-23T16:00:00Z");
    assert_eq!(c["first_response_due_at"], "2026-11-24T16:00:00Z");

    // Monday 15:59: nothing is due yet.
    app.clock.set("2026-11-23T15:59:00Z".parse().unwrap());
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(!timeline_kinds(&app, case).await.iter().any(|k| k.starts_with("target") || k == "update_due"));

    // Monday 16:00: the customer has not heard from us for a business day.
    app.clock.set("2026-11-23T16:00:00Z".parse().unwrap());
    eventually("update due", || async { timeline_kinds(&app, case).await.contains(&"update_due".to_string()) }).await;
    let reminder = &notes(&app, "kind=update_reminder").await[0];
    assert_eq!(reminder["address"], "andy@example.com");
    assert_eq!(reminder["scheduled_for"], "2026-11-23T16:00:00Z");

    // Tuesday 09:00: the first response is due today.
    app.clock.set("2026-11-24T09:00:00Z".parse().unwrap());
    eventually("the reminder", || async { timeline_kinds(&app, case).await.contains(&"target_reminder".to_string()) }).await;
    let due_today = &notes(&app, "kind=target_reminder").await[0];
    assert!(due_today["subject"].as_str().unwrap().contains("first response"), "{due_today}");

    // Checked only at 23:30: the breach is recorded, the manager hears at 09:00.
    app.clock.set("2026-11-24T23:30:00Z".parse().unwrap());
    eventually("the breach", || async { timeline_kinds(&app, case).await.contains(&"target_breached".to_string()) }).await;
    let breach = &notes(&app, "kind=target_breach").await[0];
    assert_eq!(breach["address"], "mona@example.com");
    assert_eq!(breach["scheduled_for"], "2026-11-25T09:00:00Z", "not at midnight");
    let (_, page) = app.get(&app.admin, "/api/v1/cases?breached=true").await;
    assert_eq!(page["items"][0]["id"], case);
    assert_eq!(page["items"][0]["target_marks"]["breached"], json!(["first_response"]));

    // Each is raised once.
    app.clock.advance(jiff::SignedDuration::from_mins(5));
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let kinds = timeline_kinds(&app, case).await;
    assert_eq!(kinds.iter().filter(|k| *k == "target_breached").count(), 1);
    assert_eq!(kinds.iter().filter(|k| *k == "target_reminder").count(), 1);
    assert_eq!(notes(&app, "kind=target_breach").await.len(), 1);
}

async fn severity_sets_the_target(b: Backend) {
    let app = common::spawn(b).await;
    app.london().await;
    let (manager, _) = app.user("manager", "100").await;
    let area = app
        .ok(&app.admin, "/api/v1/service-areas", json!({
            "name": "Gas", "service_manager_id": manager,
            "targets": { "first_response": "1d" }, "targets_by_severity": { "critical": { "first_response": "2h" } },
        }))
        .await;
    let customer = app.customer().await;
    let case = |severity: &str| json!({ "customer_id": customer, "channel": "phone", "summary": "Gas smell", "severity": severity, "service_area_id": area["id"], "reported_at": "2026-11-20T16:00:00Z" });
    let critical = app.ok(&app.admin, "/api/v1/cases", case("critical")).await;
    assert_eq!(critical["first_response_due_at"], "2026-11-23T10:00:00Z", "2 business hours from Friday 16:00");
    let normal = app.ok(&app.admin, "/api/v1/cases", case("normal")).await;
    assert_eq!(normal["first_response_due_at"], "2026-11-23T16:00:00Z", "the area's 1 day");
}
