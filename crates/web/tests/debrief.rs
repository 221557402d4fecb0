//! The printable debrief of a case: targets against when they were met in
//! business and calendar time, the timeline with the business time between
//! entries, deviations and who did what. On both backends.

mod common;

use common::forms::Browser;
use common::Backend;
use reqwest::StatusCode;
use serde_json::json;

both_backends!(the_debrief_documents_the_case_in_business_time);

async fn the_debrief_documents_the_case_in_business_time(b: Backend) {
    let app = common::spawn(b).await;
    app.london().await;
    let staff = |name: &str, role: &str| json!({ "name": name, "email": format!("{}@example.com", name.to_lowercase()), "role": role, "mandate": "100", "password": "correct horse battery" });
    let olivia = app.ok(&app.admin, "/api/v1/users", staff("Olivia", "agent")).await["id"].as_i64().unwrap();
    app.ok(&app.admin, "/api/v1/users", staff("Quinn", "manager")).await;
    let customer = app.customer().await;
    let olivia_token = app.ok(&app.admin, &format!("/api/v1/users/{olivia}/tokens"), json!({})).await["token"].as_str().unwrap().to_string();
    // Reported Friday 16:59 London; answered Monday 10:00: one business hour and a minute later.
    let case = app.case(&olivia_token, customer, false).await;
    app.clock.set("2026-11-23T10:00:00Z".parse().unwrap());
    app.ok(&olivia_token, &format!("/api/v1/cases/{case}/communications"), json!({ "direction": "outbound", "channel": "phone", "body": "Called back" })).await;
    app.ok(&olivia_token, &format!("/api/v1/cases/{case}/actions"), json!({ "description": "Replace the vase", "remedy_value": "40", "preventive_owner_id": olivia })).await;
    app.ok(&app.admin, &format!("/api/v1/cases/{case}/deviations"), json!({ "step": "follow_up", "reason": "The customer asked not to be called again" })).await;

    let quinn = Browser::sign_in(&app, "quinn@example.com", "correct horse battery").await;
    let (status, case_page) = quinn.get(&format!("/console/cases/{case}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(case_page.contains(&format!("/console/cases/{case}/debrief")), "linked from the case page");
    let (status, html) = quinn.get(&format!("/console/cases/{case}/debrief")).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let targets = &html[html.find("id=\"targets\"").unwrap()..html.find("id=\"entries\"").unwrap()];
    assert!(targets.contains("First response") && targets.contains("on time"), "{targets}");
    assert!(targets.contains("1 hour 1 minute"), "business time to the first response: {targets}");
    assert!(targets.contains("2 days 17 hours"), "calendar time to it: {targets}");
    let timeline = app.case_json(case).await["timeline"].as_array().unwrap().len();
    let entries = &html[html.find("id=\"entries\"").unwrap()..html.find("id=\"actions\"").unwrap()];
    assert_eq!(entries.matches("<tr><td>").count(), timeline, "one row per timeline entry");
    assert!(html.contains("The customer asked not to be called again") && html.contains("Independent follow-up"), "the deviation");
    assert!(html.contains("Replace the vase") && html.contains("£40.00") || html.contains("GBP 40.00"), "the action");
    let people = &html[html.find("id=\"people\"").unwrap()..];
    assert!(people.contains("Olivia") && people.contains("communication"), "{people}");
    // Nobody but staff; and a missing case is a 404 page.
    assert_eq!(Browser::anonymous(&app).get(&format!("/console/cases/{case}/debrief")).await.0, StatusCode::SEE_OTHER);
    assert_eq!(quinn.get("/console/cases/999/debrief").await.0, StatusCode::NOT_FOUND);
    assert_eq!(quinn.get("/console/cases/abc/debrief").await.0, StatusCode::NOT_FOUND);

    // A formal action report sent is linked from the case page too, as the customer reads it.
    let (s, v) = app.post(&olivia_token, &format!("/api/v1/cases/{case}/reports"), json!({ "summary": "The vase was packed loose.", "actions": ["Pack glass in double boxes"] })).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (_, case_page) = quinn.get(&format!("/console/cases/{case}")).await;
    assert!(case_page.contains(&format!("/console/cases/{case}/reports/1")), "the report is linked from the case page");
    let (status, report) = quinn.get(&format!("/console/cases/{case}/reports/1")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(report.contains("The vase was packed loose.") && report.contains("Pack glass in double boxes"), "{report}");
    assert_eq!(quinn.get(&format!("/console/cases/{case}/reports/2")).await.0, StatusCode::NOT_FOUND);
    assert_eq!(Browser::anonymous(&app).get(&format!("/console/cases/{case}/reports/1")).await.0, StatusCode::SEE_OTHER);
}
