//! The loop from capture to close, black-box over HTTP, on both backends.

mod common;

use common::{Backend, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

both_backends!(
    phone_lag_and_weekend_skipping_due_time,
    mandates_escalation_and_the_next_morning_apology,
    apology_waits_for_a_named_preventive_owner,
    follow_up_is_independent_and_senior_for_significant_cases,
    close_names_missing_steps_until_done_or_waived,
    third_transfer_flags_the_case,
    every_mutation_is_on_the_timeline,
    partner_submits_and_reads_only_its_own_retailer_cases,
    listing_filters_and_pages,
    concurrent_writes_keep_failures_out,
    gifts_and_patches,
);

async fn phone_lag_and_weekend_skipping_due_time(b: Backend) {
    let app = common::spawn(b).await;
    app.london().await;
    let (_, agent) = app.user("agent", "50").await;
    let customer = app.customer().await;
    let c = app
        .ok(&agent, "/api/v1/cases", json!({
            "customer_id": customer, "channel": "phone", "summary": "Boiler broke down",
            "occurred_at": "2026-11-17T16:00:00Z", "reported_at": "2026-11-20T16:00:00Z",
            "desired_resolution": "Fix it before the weekend",
        }))
        .await;
    assert_eq!(c["identification_lag_seconds"], 72 * 3600);
    assert_eq!(c["status"], "open");
    assert_eq!(c["first_response_due_at"], "2026-11-24T16:00:00Z", "Friday 16:00 + 2 business days skips the weekend");
    assert_eq!(c["desired_resolution"], "Fix it before the weekend");
    assert_eq!(c["reference"], format!("RD-{}", c["id"]));
    // The clock stands on Friday 16:59; on Tuesday 16:01 the first response is overdue.
    app.clock.set("2026-11-24T16:01:00Z".parse().unwrap());
    let v = app.case_json(c["id"].as_i64().unwrap()).await;
    assert_eq!(v["first_response_overdue"], true);
    let (_, page) = app.get(&app.admin, "/api/v1/cases?breached=true").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
}

async fn action(app: &TestApp, token: &str, case: i64, value: &str, preventive_owner: Option<i64>) -> (StatusCode, Value) {
    app.post(token, &format!("/api/v1/cases/{case}/actions"), json!({
        "description": "Refund the delivery", "remedy_kind": "refund", "remedy_value": value, "preventive_owner_id": preventive_owner,
    }))
    .await
}

async fn mandates_escalation_and_the_next_morning_apology(b: Backend) {
    let app = common::spawn(b).await;
    app.london().await;
    let (agent_id, agent) = app.user("agent", "50").await;
    let (_, small) = app.user("manager", "100").await;
    let (_, big) = app.user("manager", "500").await;
    let (prevent_id, _) = app.user("agent", "0").await;
    let customer = app.customer().await;

    let within = app.case(&agent, customer, false).await;
    let (s, v) = action(&app, &agent, within, "30", Some(prevent_id)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["actions"][0]["status"], "agreed");
    assert_eq!(v["status"], "open");

    let above = app.case(&agent, customer, false).await;
    let (_, v) = action(&app, &agent, above, "200", Some(prevent_id)).await;
    assert_eq!(v["status"], "awaiting_approval");
    assert_eq!(v["actions"][0]["status"], "pending_approval");
    let approve = json!({ "decision": "approve" });
    let (s, v) = app.post(&agent, &format!("/api/v1/cases/{above}/approvals"), approve.clone()).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    let (s, v) = app.post(&small, &format!("/api/v1/cases/{above}/approvals"), approve.clone()).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert!(v["detail"].as_str().unwrap().contains("exceeds your mandate"), "{v}");
    let (s, v) = app.post(&big, &format!("/api/v1/cases/{above}/approvals"), approve).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["actions"][0]["status"], "agreed");
    assert_ne!(v["status"], "awaiting_approval");

    // Agreed on Friday 16:59 London: the apology goes out Monday 09:00 London.
    let (_, notes) = app.get(&app.admin, &format!("/api/v1/notifications?case_id={above}&kind=apology")).await;
    let notes = notes.as_array().unwrap();
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert_eq!(notes[0]["scheduled_for"], "2026-11-23T09:00:00Z");
    assert_eq!(notes[0]["status"], "pending");
    assert_eq!(notes[0]["sent_at"], Value::Null);
    let prevent_name = app.get(&app.admin, &format!("/api/v1/users/{prevent_id}")).await.1["name"].as_str().unwrap().to_string();
    assert!(notes[0]["body"].as_str().unwrap().contains(&prevent_name), "{}", notes[0]["body"]);
    assert!(notes[0]["body"].as_str().unwrap().contains("£200.00"));
    let _ = agent_id;
}

async fn apology_waits_for_a_named_preventive_owner(b: Backend) {
    let app = common::spawn(b).await;
    app.london().await;
    let (agent_id, agent) = app.user("agent", "50").await;
    let customer = app.customer().await;
    let case = app.case(&agent, customer, false).await;
    let (_, v) = action(&app, &agent, case, "20", None).await;
    assert_eq!(v["apology"]["status"], "held");
    let (_, notes) = app.get(&app.admin, &format!("/api/v1/notifications?case_id={case}")).await;
    assert_eq!(notes.as_array().unwrap().len(), 0, "nothing is sent without a named preventive owner");
    // Named on Monday at 10:00: that morning has passed, so Tuesday 09:00.
    app.clock.set("2026-11-23T10:00:00Z".parse().unwrap());
    let v = app.ok(&agent, &format!("/api/v1/cases/{case}/preventive"), json!({ "owner_id": agent_id })).await;
    assert_eq!(v["apology"]["status"], "scheduled");
    assert_eq!(v["apology"]["scheduled_for"], "2026-11-24T09:00:00Z");
    let (_, notes) = app.get(&app.admin, &format!("/api/v1/notifications?case_id={case}")).await;
    assert_eq!(notes.as_array().unwrap().len(), 1);
}

/// Responds, agrees an action with a preventive owner and records prevention:
/// only the follow-up is left.
async fn ready_for_follow_up(app: &TestApp, owner: &str, owner_id: i64, significant: bool) -> i64 {
    let customer = app.customer().await;
    let case = app.case(owner, customer, significant).await;
    app.ok(owner, &format!("/api/v1/cases/{case}/communications"), json!({ "direction": "outbound", "channel": "phone", "body": "Sorry, we will fix it" })).await;
    let (s, v) = action(app, owner, case, "30", Some(owner_id)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let v = app.ok(owner, &format!("/api/v1/cases/{case}/preventive"), json!({ "root_cause": "Thin boxes", "action": "Double boxes" })).await;
    assert_eq!(v["missing_steps"], json!(["follow_up"]));
    case
}

async fn follow_up_is_independent_and_senior_for_significant_cases(b: Backend) {
    let app = common::spawn(b).await;
    let (owner_id, owner) = app.user("agent", "50").await;
    let (_, colleague) = app.user("agent", "50").await;
    let (_, manager) = app.user("manager", "500").await;
    let (_, senior) = app.user("senior", "1000").await;
    let resolved = json!({ "outcome": "resolved", "satisfaction": 5, "preventive_confirmed": true });

    let case = ready_for_follow_up(&app, &owner, owner_id, false).await;
    let path = format!("/api/v1/cases/{case}/follow-up");
    let (s, v) = app.post(&owner, &path, resolved.clone()).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert!(v["detail"].as_str().unwrap().contains("someone other than the case owner"), "{v}");
    let (s, v) = app.post(&colleague, &path, resolved.clone()).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["missing_steps"], json!([]));
    assert_eq!(v["follow_ups"][0]["satisfaction"], 5);

    let case = ready_for_follow_up(&app, &owner, owner_id, true).await;
    let path = format!("/api/v1/cases/{case}/follow-up");
    for who in [&colleague, &manager] {
        let (s, v) = app.post(who, &path, resolved.clone()).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
        assert!(v["detail"].as_str().unwrap().contains("senior"), "{v}");
    }
    let (s, v) = app.post(&senior, &path, json!({ "outcome": "not_resolved", "satisfaction": 2, "notes": "refund not received" })).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "reopened");
    assert_eq!(v["reopen_count"], 1);
    assert_eq!(v["missing_steps"], json!(["follow_up"]));
    let (s, _) = app.post(&owner, &format!("/api/v1/cases/{case}/close"), json!({})).await;
    assert_eq!(s, StatusCode::CONFLICT, "a reopened case cannot close before a resolved follow-up");
    app.ok(&senior, &path, resolved).await;
    let v = app.ok(&owner, &format!("/api/v1/cases/{case}/close"), json!({})).await;
    assert_eq!(v["status"], "closed");
}

async fn close_names_missing_steps_until_done_or_waived(b: Backend) {
    let app = common::spawn(b).await;
    let (owner_id, owner) = app.user("agent", "50").await;
    let (_, colleague) = app.user("agent", "50").await;
    let (_, manager) = app.user("manager", "100").await;
    let customer = app.customer().await;

    let case = app.case(&owner, customer, false).await;
    let close = format!("/api/v1/cases/{case}/close");
    let (s, v) = app.post(&owner, &close, json!({})).await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(v["missing"], json!(["first_response", "corrective_action", "apology", "preventive_action", "follow_up"]));
    for step in ["first_response", "corrective_action", "apology", "preventive_action", "follow_up"] {
        assert!(v["detail"].as_str().unwrap().contains(step), "{v}");
    }
    // Complete some steps; the refusal narrows.
    app.ok(&owner, &format!("/api/v1/cases/{case}/communications"), json!({ "direction": "outbound", "channel": "email", "body": "We are on it" })).await;
    action(&app, &owner, case, "10", Some(owner_id)).await;
    let (_, v) = app.post(&owner, &close, json!({})).await;
    assert_eq!(v["missing"], json!(["preventive_action", "follow_up"]));
    // Waive the rest with recorded reasons; the follow-up needs a supervisor.
    let dev = format!("/api/v1/cases/{case}/deviations");
    app.ok(&owner, &dev, json!({ "step": "preventive_action", "reason": "one-off courier error, nothing systemic" })).await;
    let (s, v) = app.post(&owner, &dev, json!({ "step": "follow_up", "reason": "customer asked not to be contacted" })).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    app.ok(&manager, &dev, json!({ "step": "follow_up", "reason": "customer asked not to be contacted" })).await;
    let (s, v) = app.post(&colleague, &close, json!({})).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "only the owner or a supervisor closes: {v}");
    let v = app.ok(&owner, &close, json!({ "note": "done" })).await;
    assert_eq!(v["status"], "closed");
    assert_eq!(v["deviations"].as_array().unwrap().len(), 2);
    let (s, _) = app.post(&owner, &close, json!({})).await;
    assert_eq!(s, StatusCode::CONFLICT, "closing twice is an illegal transition");
    let full = app.case_json(case).await;
    let kinds: Vec<&str> = full["timeline"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds.iter().filter(|k| **k == "deviation").count(), 2);
    assert_eq!(kinds[kinds.len() - 2..], ["closed", "recovery_survey_queued"]);
    let (_, notes) = app.get(&app.admin, &format!("/api/v1/notifications?case_id={case}&kind=recovery_survey")).await;
    assert_eq!(notes.as_array().unwrap().len(), 1, "closing queues the recovery survey");
}

async fn third_transfer_flags_the_case(b: Backend) {
    let app = common::spawn(b).await;
    let (a_id, a) = app.user("agent", "50").await;
    let (b_id, bt) = app.user("agent", "50").await;
    let customer = app.customer().await;
    let case = app.case(&a, customer, false).await;
    let path = format!("/api/v1/cases/{case}/transfer");
    let v = app.ok(&a, &path, json!({ "to_user_id": b_id, "reason": "billing question" })).await;
    assert_eq!((v["transfer_count"].as_i64(), v["flagged"].as_bool(), v["owner_id"].as_i64()), (Some(1), Some(false), Some(b_id)));
    let (s, v) = app.post(&a, &path, json!({ "to_user_id": a_id, "reason": "not mine any more" })).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "the former owner no longer steers the case: {v}");
    let (s, v) = app.post(&bt, &path, json!({ "to_user_id": a_id, "reason": "" })).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "a transfer needs a reason: {v}");
    let v = app.ok(&bt, &path, json!({ "to_user_id": a_id, "reason": "back to the first contact" })).await;
    assert_eq!(v["flagged"], false);
    let v = app.ok(&a, &path, json!({ "to_user_id": b_id, "reason": "third time" })).await;
    assert_eq!(v["transfer_count"], 3);
    assert_eq!(v["flagged"], true);
    let (_, page) = app.get(&app.admin, "/api/v1/cases?flagged=true").await;
    assert_eq!(page["items"][0]["id"], case);
    let full = app.case_json(case).await;
    assert!(full["timeline"].as_array().unwrap().iter().any(|e| e["kind"] == "flagged"));
}

async fn every_mutation_is_on_the_timeline(b: Backend) {
    let app = common::spawn(b).await;
    let (owner_id, owner) = app.user("agent", "50").await;
    let (colleague_id, colleague) = app.user("agent", "50").await;
    let (_, manager) = app.user("manager", "500").await;
    let customer = app.customer().await;
    let case = app.case(&owner, customer, false).await;
    let p = |s: &str| format!("/api/v1/cases/{case}/{s}");
    let steps: Vec<(&str, &String, String, Value)> = vec![
        ("updated", &owner, format!("/api/v1/cases/{case}"), json!({ "facts": "Box crushed on one corner", "desired_resolution": "New vase" })),
        ("communication", &owner, p("communications"), json!({ "direction": "inbound", "channel": "phone", "body": "Customer called back" })),
        ("first_response", &owner, p("communications"), json!({ "direction": "outbound", "channel": "phone", "body": "Apologised" })),
        ("action_escalated", &owner, p("actions"), json!({ "description": "Refund", "remedy_value": 120 })),
        ("action_amended", &manager, p("approvals"), json!({ "decision": "amend", "amended_value": "90", "note": "half the postage is ours" })),
        ("preventive_recorded", &owner, p("preventive"), json!({ "owner_id": owner_id, "root_cause": "Thin box", "action": "Thicker box" })),
        ("gift", &owner, p("gifts"), json!({ "description": "Flowers", "cost": "15" })),
        ("transferred", &owner, p("transfer"), json!({ "to_user_id": colleague_id, "reason": "owner on leave" })),
        ("follow_up", &owner, p("follow-up"), json!({ "outcome": "resolved", "satisfaction": 4 })),
        ("closed", &colleague, p("close"), json!({})),
    ];
    for (kind, token, path, body) in steps {
        let before = app.timeline_len(case).await;
        let (s, v) = if path.ends_with(&format!("/cases/{case}")) {
            app.send(reqwest::Method::PATCH, Some(token), &path, Some(body)).await
        } else {
            app.post(token, &path, body).await
        };
        assert_eq!(s, StatusCode::OK, "{kind}: {v}");
        let full = app.case_json(case).await;
        let timeline = full["timeline"].as_array().unwrap();
        assert!(timeline.len() > before, "{kind} added nothing to the timeline");
        let new = &timeline[before..];
        assert!(new.iter().any(|e| e["kind"] == kind), "{kind} missing among {new:?}");
        for e in new {
            assert!(e["actor_id"].as_i64().is_some(), "{e}");
            assert!(e["at"].as_str().is_some_and(|t| t.parse::<jiff::Timestamp>().is_ok()), "{e}");
            assert!(!e["summary"].as_str().unwrap().is_empty());
        }
    }
    let full = app.case_json(case).await;
    assert_eq!(full["communications"].as_array().unwrap().len(), 2);
    assert_eq!(full["facts"], "Box crushed on one corner");
    assert_eq!(full["actions"][0]["remedy_value"], "90.00");
    assert_eq!(full["actions"][0]["proposed_value"], "120.00");
}

async fn partner_submits_and_reads_only_its_own_retailer_cases(b: Backend) {
    let app = common::spawn(b).await;
    let (manager_id, _) = app.user("manager", "100").await;
    let (_, agent) = app.user("agent", "50").await;
    let (_, partner) = app.user("partner", "0").await;
    let (_, other_partner) = app.user("partner", "0").await;
    let customer = app.customer().await;
    let area = app.ok(&app.admin, "/api/v1/service-areas", json!({ "name": "Kettles", "service_manager_id": manager_id })).await;

    let body = |channel: &str| json!({ "customer_id": customer, "channel": channel, "summary": "Kettle leaks", "service_area_id": area["id"] });
    let (s, v) = app.post(&partner, "/api/v1/cases", body("phone")).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    let mine = app.ok(&partner, "/api/v1/cases", body("retailer")).await;
    assert_eq!(mine["owner_id"], manager_id, "the service area's manager owns partner cases");
    let staff_case = app.case(&agent, customer, false).await;
    let theirs = app.ok(&other_partner, "/api/v1/cases", body("retailer")).await;

    let (_, page) = app.get(&partner, "/api/v1/cases").await;
    let ids: Vec<i64> = page["items"].as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, vec![mine["id"].as_i64().unwrap()]);
    assert_eq!(app.get(&partner, &format!("/api/v1/cases/{}", mine["id"])).await.0, StatusCode::OK);
    for other in [staff_case, theirs["id"].as_i64().unwrap()] {
        assert_eq!(app.get(&partner, &format!("/api/v1/cases/{other}")).await.0, StatusCode::NOT_FOUND);
    }
    let (s, _) = app.post(&partner, &format!("/api/v1/cases/{}/communications", mine["id"]), json!({ "direction": "outbound", "channel": "retailer", "body": "hi" })).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app.post(&partner, "/api/v1/cases", json!({ "customer_id": customer, "channel": "retailer", "summary": "x", "owner_id": manager_id })).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    for path in ["/api/v1/customers", "/api/v1/users", "/api/v1/notifications", "/api/v1/settings"] {
        assert_eq!(app.get(&partner, path).await.0, StatusCode::FORBIDDEN, "{path}");
    }
}

async fn listing_filters_and_pages(b: Backend) {
    let app = common::spawn(b).await;
    let (a_id, a) = app.user("agent", "50").await;
    let (_, bt) = app.user("agent", "50").await;
    let customer = app.customer().await;
    for i in 0..5 {
        app.ok(&a, "/api/v1/cases", json!({ "customer_id": customer, "channel": "email", "summary": format!("Late 100% delivery_{i}") })).await;
    }
    let odd = app.ok(&bt, "/api/v1/cases", json!({ "customer_id": customer, "channel": "web", "summary": "Rude courier", "description": "He SHOUTED" })).await;
    let (_, v) = app.get(&app.admin, &format!("/api/v1/cases?owner_id={a_id}")).await;
    assert_eq!(v["items"].as_array().unwrap().len(), 5);
    let (_, v) = app.get(&app.admin, "/api/v1/cases?q=shouted").await;
    assert_eq!(v["items"][0]["id"], odd["id"], "text search is case-insensitive");
    let (_, v) = app.get(&app.admin, "/api/v1/cases?q=100%25%20delivery").await;
    assert_eq!(v["items"].as_array().unwrap().len(), 5, "% is matched literally");
    let (_, v) = app.get(&app.admin, &format!("/api/v1/cases?q={}", odd["reference"].as_str().unwrap())).await;
    assert_eq!(v["items"].as_array().unwrap().len(), 1);
    let (_, v) = app.get(&app.admin, "/api/v1/cases?status=open&channel=web").await;
    assert_eq!(v["items"].as_array().unwrap().len(), 1);
    let (_, v) = app.get(&app.admin, "/api/v1/cases?status=closed").await;
    assert_eq!(v["items"].as_array().unwrap().len(), 0);
    let (_, p1) = app.get(&app.admin, "/api/v1/cases?limit=4").await;
    assert_eq!(p1["items"].as_array().unwrap().len(), 4);
    let (_, p2) = app.get(&app.admin, &format!("/api/v1/cases?limit=4&before={}", p1["next_before"])).await;
    assert_eq!(p2["items"].as_array().unwrap().len(), 2);
    assert_eq!(p2["next_before"], Value::Null);
    let (_, v) = app.get(&app.admin, "/api/v1/cases?due_before=2026-11-30T00:00:00Z").await;
    assert_eq!(v["items"].as_array().unwrap().len(), 6);
    let (_, v) = app.get(&app.admin, "/api/v1/cases?breached=true").await;
    assert_eq!(v["items"].as_array().unwrap().len(), 0, "nothing is overdue on Friday 16:59");
}

async fn concurrent_writes_keep_failures_out(b: Backend) {
    let app = std::sync::Arc::new(common::spawn(b).await);
    let (owner_id, owner) = app.user("agent", "50").await;
    let customer = app.customer().await;
    let case = app.case(&owner, customer, false).await;
    let before = app.timeline_len(case).await;
    let mut tasks = Vec::new();
    for i in 0..40 {
        let (app, owner) = (app.clone(), owner.clone());
        tasks.push(tokio::spawn(async move {
            if i % 2 == 0 {
                app.post(&owner, &format!("/api/v1/cases/{case}/communications"), json!({ "direction": "inbound", "channel": "email", "body": format!("message {i}") })).await.0
            } else {
                // Refused inside the write transaction: the owner may not follow up.
                app.post(&owner, &format!("/api/v1/cases/{case}/follow-up"), json!({ "outcome": "resolved", "satisfaction": 5 })).await.0
            }
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::OK).count(), 20);
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::FORBIDDEN).count(), 20);
    let full = app.case_json(case).await;
    assert_eq!(full["timeline"].as_array().unwrap().len(), before + 20);
    assert_eq!(full["communications"].as_array().unwrap().len(), 20);
    assert_eq!(full["follow_ups"].as_array().unwrap().len(), 0);
    let _ = owner_id;
}

async fn gifts_and_patches(b: Backend) {
    let app = common::spawn(b).await;
    let (_, agent) = app.user("agent", "50").await;
    let customer = app.customer().await;
    let case = app.case(&agent, customer, false).await;
    let (s, v) = app.post(&agent, &format!("/api/v1/cases/{case}/gifts"), json!({ "description": "Concert tickets", "cost": "80" })).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    let v = app.ok(&agent, &format!("/api/v1/cases/{case}/gifts"), json!({ "description": "A tree planted in their name", "cost": 12.5 })).await;
    assert_eq!(v["gifts"][0]["cost"], "12.50");
    let (s, v) = app.send(reqwest::Method::PATCH, Some(&agent), &format!("/api/v1/cases/{case}"), Some(json!({ "significant": true }))).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["significant"], true);
    let (s, _) = app.send(reqwest::Method::PATCH, Some(&agent), &format!("/api/v1/cases/{case}"), Some(json!({}))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
}
