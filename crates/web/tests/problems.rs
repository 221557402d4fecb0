//! Problems as managed records, over HTTP on both backends: recorded with
//! their cases, what those cases cost (worked out by hand), closing only
//! with a permanent solution, reopening by a supervisor, who may do what,
//! and bad input refused with nothing stored.

mod common;

use common::{Backend, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

both_backends!(
    a_problem_is_recorded_with_its_cases_and_what_they_cost,
    closing_needs_a_permanent_solution_and_a_supervisor_reopens,
    cases_are_linked_once_and_moves_are_recorded,
    partners_and_bad_input_are_refused_with_nothing_stored
);

async fn patch(app: &TestApp, token: &str, path: &str, body: Value) -> (StatusCode, Value) {
    app.send(Method::PATCH, Some(token), path, Some(body)).await
}

async fn problem(app: &TestApp, id: i64) -> Value {
    let (s, v) = app.get(&app.admin, &format!("/api/v1/problems/{id}")).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v
}

fn kinds(events: &Value) -> Vec<String> {
    events.as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap().to_string()).collect()
}

/// The timeline events of a case with an actor other than `partner`.
async fn staff_events(app: &TestApp, case: i64, partner: i64) -> usize {
    let c = app.case_json(case).await;
    c["timeline"].as_array().unwrap().iter().filter(|e| e["actor_id"].as_i64().is_some_and(|a| a != partner)).count()
}

async fn a_problem_is_recorded_with_its_cases_and_what_they_cost(b: Backend) {
    let app = common::spawn(b).await;
    app.london().await;
    let (alice, alice_t) = app.user("agent", "50").await;
    let (max, max_t) = app.user("manager", "100").await;
    let (_, big_t) = app.user("manager", "1000").await;
    let (shop, shop_t) = app.user("partner", "0").await;
    let customer = app.customer().await;

    // Case 1 (Alice's): a refund of 30.00 within her mandate, a 5.00 gift,
    // an outbound call. Its events by staff: opened (2), the call (2: contact
    // and first response), the action (2: agreed, apology held), the gift (1).
    let c1 = app.case(&alice_t, customer, false).await;
    app.ok(&alice_t, &format!("/api/v1/cases/{c1}/communications"), json!({ "direction": "outbound", "channel": "phone", "body": "Sorry, we will refund it" })).await;
    app.ok(&alice_t, &format!("/api/v1/cases/{c1}/actions"), json!({ "description": "Refund", "remedy_value": "30" })).await;
    app.ok(&alice_t, &format!("/api/v1/cases/{c1}/gifts"), json!({ "description": "Flowers", "cost": "5" })).await;
    // Case 2 (Max's): 12.50 agreed, then 200.00 that only waits for approval
    // (not a cost yet), a 2.25 gift, its preventive owner named. Events:
    // opened (2), the action with its owner named and the apology scheduled
    // (3), the escalation (1), the gift (1).
    let c2 = app.case(&max_t, customer, false).await;
    app.ok(&max_t, &format!("/api/v1/cases/{c2}/actions"), json!({ "description": "Partial refund", "remedy_value": "12.50", "preventive_owner_id": alice })).await;
    app.ok(&max_t, &format!("/api/v1/cases/{c2}/gifts"), json!({ "description": "Voucher", "cost": "2.25" })).await;
    app.ok(&max_t, &format!("/api/v1/cases/{c2}/actions"), json!({ "description": "Full refund", "remedy_value": "200" })).await;
    // Case 3, from a retailer: the partner's own events are not staff touches.
    let c3 = app.ok(&shop_t, "/api/v1/cases", json!({ "customer_id": customer, "channel": "retailer", "summary": "Toaster sparks" })).await["id"].as_i64().unwrap();
    assert_eq!(staff_events(&app, c3, shop).await, 0);
    // A case that stays out of it.
    let outside = app.case(&alice_t, customer, false).await;
    app.ok(&alice_t, &format!("/api/v1/cases/{outside}/actions"), json!({ "description": "Refund", "remedy_value": "40" })).await;

    let (s, p) = app.post(&max_t, "/api/v1/problems", json!({ "title": "Thin packaging", "case_ids": [c1, c2, c3, c1] })).await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    let id = p["id"].as_i64().unwrap();
    assert_eq!((p["owner_id"].as_i64(), p["created_by"].as_i64(), p["status"].as_str()), (Some(max), Some(max), Some("open")), "{p}");
    // Linking writes, on each case: case 1 and case 3 had no preventive
    // owner, so the problem's owner (Max) is named — and case 1's held
    // apology goes out (owner named, linked, apology scheduled: 3 events);
    // case 2 already had one (linked: 1); case 3 (owner named, linked: 2).
    let c1_touches = 2 + 2 + 2 + 1 + 3;
    let c2_touches = 2 + 3 + 1 + 1 + 1;
    let c3_touches = 2;
    assert_eq!(staff_events(&app, c1, shop).await, c1_touches);
    assert_eq!(staff_events(&app, c2, shop).await, c2_touches);
    assert_eq!(staff_events(&app, c3, shop).await, c3_touches);
    let cost = &p["cost"];
    assert_eq!(cost["remedies"], "42.50", "30.00 + 12.50; the 200.00 awaiting approval does not count: {p}");
    assert_eq!(cost["gifts"], "7.25", "5.00 + 2.25");
    assert_eq!(cost["total"], "49.75");
    assert_eq!((cost["cases"].as_i64(), cost["open_cases"].as_i64(), p["case_count"].as_i64()), (Some(3), Some(3), Some(3)));
    assert_eq!(cost["staff_touches"].as_i64(), Some((c1_touches + c2_touches + c3_touches) as i64));
    let listed: Vec<i64> = p["cases"].as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect();
    assert_eq!(listed, vec![c3, c2, c1], "newest first, each once");
    assert_eq!(p["cases"][2]["reference"], format!("RD-{c1}"));
    assert_eq!((p["cases"][2]["remedies"].as_str(), p["cases"][2]["status"].as_str()), (Some("30.00"), Some("in_progress")));
    assert_eq!(kinds(&p["history"]), ["recorded", "cases_linked"]);
    assert_eq!(p["history"][1]["summary"], format!("Cases linked: RD-{c1}, RD-{c2}, RD-{c3}"));
    for c in [c1, c2, c3] {
        let case = app.case_json(c).await;
        assert_eq!(case["preventive"]["problem_id"], id, "{case}");
        let linked = case["timeline"].as_array().unwrap().iter().find(|e| e["kind"] == "problem_linked").expect("the link is on the case's timeline").clone();
        assert_eq!((linked["actor_id"].as_i64(), linked["summary"].as_str()), (Some(max), Some(format!("Linked to problem {id}: Thin packaging").as_str())));
    }
    assert_eq!(app.case_json(c2).await["preventive"]["owner_id"], alice, "a named preventive owner stays");
    assert_eq!(app.case_json(c3).await["preventive"]["owner_id"], max, "else the problem's owner");
    assert_eq!(app.case_json(c1).await["apology"]["status"], "scheduled");

    // Every further staff change to a linked case costs a touch; the list says the same.
    app.ok(&alice_t, &format!("/api/v1/cases/{c3}/communications"), json!({ "direction": "outbound", "channel": "phone", "body": "Looking into it" })).await;
    let (_, list) = app.get(&alice_t, "/api/v1/problems").await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["cost"]["staff_touches"].as_i64(), Some((c1_touches + c2_touches + c3_touches + 2) as i64), "{list}");
    assert_eq!(list[0]["cost"]["total"], "49.75");
    // The cases list finds them by problem too.
    let (_, page) = app.get(&alice_t, &format!("/api/v1/cases?problem_id={id}")).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 3);

    // An open case closes: one open case fewer.
    for step in ["first_response", "apology", "preventive_action", "follow_up"] {
        app.ok(&max_t, &format!("/api/v1/cases/{c2}/deviations"), json!({ "step": step, "reason": "Handled in the shop" })).await;
    }
    app.ok(&big_t, &format!("/api/v1/cases/{c2}/approvals"), json!({ "decision": "decline" })).await;
    app.ok(&max_t, &format!("/api/v1/cases/{c2}/close"), json!({})).await;
    let p = problem(&app, id).await;
    assert_eq!((p["cost"]["cases"].as_i64(), p["cost"]["open_cases"].as_i64()), (Some(3), Some(2)), "{p}");
    assert_eq!(p["cost"]["remedies"], "42.50", "the declined action never counted");
}

async fn closing_needs_a_permanent_solution_and_a_supervisor_reopens(b: Backend) {
    let app = common::spawn(b).await;
    let (alice, alice_t) = app.user("agent", "50").await;
    let (_, bob_t) = app.user("agent", "50").await;
    let (max, max_t) = app.user("manager", "500").await;
    let p = app.ok(&alice_t, "/api/v1/problems", json!({ "title": "Late evening rounds", "description": "Couriers finish early" })).await;
    let id = p["id"].as_i64().unwrap();
    let path = format!("/api/v1/problems/{id}");
    assert_eq!((p["owner_id"].as_i64(), p["status"].as_str(), p["closed_at"].as_str()), (Some(alice), Some("open"), None));

    // No permanent solution: refused, and nothing changes.
    let before = problem(&app, id).await;
    let (s, v) = patch(&app, &alice_t, &path, json!({ "status": "closed", "root_cause": "Rounds planned without the last slot" })).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(v["detail"], "a problem can close only once its permanent solution is in place: record permanent_solution first");
    assert_eq!(problem(&app, id).await, before, "nothing changed, not even the root cause");

    // Recording the root cause makes it diagnosed.
    app.clock.advance(jiff::SignedDuration::from_hours(1));
    let (s, v) = patch(&app, &bob_t, &path, json!({ "root_cause": "Rounds planned without the last slot" })).await;
    assert_eq!((s, v["status"].as_str()), (StatusCode::OK, Some("diagnosed")), "{v}");
    assert_ne!(v["updated_at"], before["updated_at"]);
    // Someone who neither owns it nor supervises may not close it.
    let (s, v) = patch(&app, &bob_t, &path, json!({ "status": "closed", "permanent_solution": "Rounds planned to the last slot" })).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert_eq!(problem(&app, id).await["permanent_solution"], Value::Null);
    // The owner closes it with the solution in place.
    let (s, v) = patch(&app, &alice_t, &path, json!({ "status": "closed", "permanent_solution": "Rounds planned to the last slot" })).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!((v["status"].as_str(), v["closed_by"].as_i64()), (Some("closed"), Some(alice)));
    assert_eq!(v["closed_at"], "2026-11-20T17:59:00Z", "an hour after it was recorded");

    // Closed: nothing changes until a supervisor reopens it.
    let (s, v) = patch(&app, &alice_t, &path, json!({ "title": "Renamed" })).await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    let (s, v) = patch(&app, &alice_t, &path, json!({ "status": "diagnosed" })).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert!(v["detail"].as_str().unwrap().contains("only a manager, senior or admin may reopen"), "{v}");
    let customer = app.customer().await;
    let case = app.case(&alice_t, customer, false).await;
    let (s, v) = app.post(&alice_t, &format!("{path}/cases"), json!({ "case_ids": [case] })).await;
    assert_eq!(s, StatusCode::CONFLICT, "no cases join a closed problem: {v}");
    let (s, v) = app.post(&alice_t, &format!("/api/v1/cases/{case}/preventive"), json!({ "owner_id": alice, "problem_id": id })).await;
    assert_eq!(s, StatusCode::CONFLICT, "not from the case's side either: {v}");
    assert_eq!(app.case_json(case).await["preventive"], Value::Null);
    let (_, closed) = app.get(&alice_t, "/api/v1/problems?status=closed").await;
    assert_eq!(closed.as_array().unwrap().len(), 1);

    let (s, v) = patch(&app, &max_t, &path, json!({ "status": "diagnosed" })).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!((v["status"].as_str(), v["closed_at"].as_str(), v["closed_by"].as_i64()), (Some("diagnosed"), None, None));
    assert_eq!(kinds(&v["history"]), ["recorded", "edited", "status_changed", "edited", "closed", "reopened"]);
    let last = &v["history"][5];
    assert_eq!((last["actor_id"].as_i64(), last["summary"].as_str()), (Some(max), Some("Reopened as diagnosed")));
    assert_eq!(v["history"][4]["actor_id"], alice);
    let (_, closed) = app.get(&alice_t, "/api/v1/problems?status=closed").await;
    assert!(closed.as_array().unwrap().is_empty());
    let (_, diagnosed) = app.get(&alice_t, "/api/v1/problems?status=diagnosed").await;
    assert_eq!(diagnosed[0]["id"], id);

    // The owner changes; the new owner must be active staff.
    let (s, v) = patch(&app, &alice_t, &path, json!({ "owner_id": max })).await;
    assert_eq!((s, v["owner_id"].as_i64()), (StatusCode::OK, Some(max)), "{v}");
    assert!(v["history"][6]["summary"].as_str().unwrap().starts_with("Owner changed from agent"), "{v}");
    // Clearing the solution back on an open problem; diagnosed still needs the cause.
    let (s, v) = patch(&app, &alice_t, &path, json!({ "root_cause": null })).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let (s, v) = patch(&app, &alice_t, &path, json!({ "root_cause": "", "status": "open", "permanent_solution": null })).await;
    assert_eq!((s, v["root_cause"].clone(), v["status"].as_str()), (StatusCode::OK, Value::Null, Some("open")), "{v}");
}

async fn cases_are_linked_once_and_moves_are_recorded(b: Backend) {
    let app = common::spawn(b).await;
    let (alice, alice_t) = app.user("agent", "50").await;
    let customer = app.customer().await;
    let c1 = app.case(&alice_t, customer, false).await;
    let c2 = app.case(&alice_t, customer, false).await;
    let first = app.ok(&alice_t, "/api/v1/problems", json!({ "title": "Thin boxes", "root_cause": "Single walls" })).await;
    let (p1, p1_path) = (first["id"].as_i64().unwrap(), format!("/api/v1/problems/{}/cases", first["id"]));
    assert_eq!((first["status"].as_str(), first["cases"].as_array().unwrap().len()), (Some("diagnosed"), 0));
    let (s, v) = app.post(&alice_t, &p1_path, json!({ "case_ids": [c1] })).await;
    assert_eq!((s, v["case_count"].as_i64()), (StatusCode::OK, Some(1)), "{v}");
    // Linking again changes nothing, on the case or the problem.
    let events = app.timeline_len(c1).await;
    let (s, v) = app.post(&alice_t, &p1_path, json!({ "case_ids": [c1] })).await;
    assert_eq!((s, v["history"].as_array().unwrap().len()), (StatusCode::OK, 2), "{v}");
    assert_eq!(app.timeline_len(c1).await, events);

    // A case linked elsewhere is refused, and nothing is stored: not the other case, not the problem.
    let count = app.get(&alice_t, "/api/v1/problems").await.1.as_array().unwrap().len();
    let (s, v) = app.post(&alice_t, "/api/v1/problems", json!({ "title": "Damp boxes", "case_ids": [c2, c1] })).await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["detail"], format!("RD-{c1} is already linked to problem {p1}; move it from its preventive action"));
    assert_eq!(app.get(&alice_t, "/api/v1/problems").await.1.as_array().unwrap().len(), count);
    assert_eq!(app.case_json(c2).await["preventive"], Value::Null, "nothing half-made");

    // Moved from the case's side: both problems' histories say so.
    let second = app.ok(&alice_t, "/api/v1/problems", json!({ "title": "Damp boxes", "case_ids": [c2] })).await;
    let p2 = second["id"].as_i64().unwrap();
    app.ok(&alice_t, &format!("/api/v1/cases/{c1}/preventive"), json!({ "owner_id": alice, "problem_id": p2 })).await;
    let (old, new) = (problem(&app, p1).await, problem(&app, p2).await);
    assert_eq!((old["case_count"].as_i64(), new["case_count"].as_i64()), (Some(0), Some(2)));
    assert_eq!(old["history"].as_array().unwrap().last().unwrap()["summary"], format!("RD-{c1} moved to problem {p2} by its preventive action"));
    assert_eq!(kinds(&new["history"]), ["recorded", "cases_linked", "case_linked"]);
    assert_eq!(new["history"][2]["summary"], format!("RD-{c1} linked from its preventive action"));
    // A problem recorded from a case's preventive action has its history too.
    let c3 = app.case(&alice_t, customer, false).await;
    let case = app.ok(&alice_t, &format!("/api/v1/cases/{c3}/preventive"), json!({ "owner_id": alice, "root_cause": "Wet vans", "new_problem_title": "Wet vans" })).await;
    let p3 = problem(&app, case["preventive"]["problem_id"].as_i64().unwrap()).await;
    assert_eq!((p3["owner_id"].as_i64(), p3["status"].as_str(), p3["case_count"].as_i64()), (Some(alice), Some("diagnosed"), Some(1)), "{p3}");
    assert_eq!(kinds(&p3["history"]), ["recorded", "case_linked"]);
}

async fn partners_and_bad_input_are_refused_with_nothing_stored(b: Backend) {
    let app = common::spawn(b).await;
    let (alice, alice_t) = app.user("agent", "50").await;
    let (shop, shop_t) = app.user("partner", "0").await;
    let (gone, _) = app.user("agent", "0").await;
    patch(&app, &app.admin, &format!("/api/v1/users/{gone}"), json!({ "active": false })).await;
    let customer = app.customer().await;
    let case = app.case(&alice_t, customer, false).await;
    let p = app.ok(&alice_t, "/api/v1/problems", json!({ "title": "Thin boxes" })).await;
    let id = p["id"].as_i64().unwrap();
    let path = format!("/api/v1/problems/{id}");

    // Partners: nothing of problems.
    for (method, path, body) in [
        (Method::GET, "/api/v1/problems".to_string(), None),
        (Method::GET, path.clone(), None),
        (Method::POST, "/api/v1/problems".into(), Some(json!({ "title": "Mine" }))),
        (Method::PATCH, path.clone(), Some(json!({ "title": "Mine" }))),
        (Method::POST, format!("{path}/cases"), Some(json!({ "case_ids": [case] }))),
    ] {
        let (s, v) = app.send(method.clone(), Some(&shop_t), &path, body).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{method} {path}: {v}");
    }

    // The status filter is strict and names the parameter.
    let (s, v) = app.get(&alice_t, "/api/v1/problems?status=investigating").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["detail"], "status 'investigating' is not a problem status: give open, diagnosed, solved or closed");
    assert_eq!(app.get(&alice_t, "/api/v1/problems?colour=red").await.0, StatusCode::BAD_REQUEST);

    let unchanged = problem(&app, id).await;
    for (body, status, says) in [
        (json!({}), StatusCode::UNPROCESSABLE_ENTITY, "nothing to change"),
        (json!({ "title": " " }), StatusCode::UNPROCESSABLE_ENTITY, "title must not be empty"),
        (json!({ "title": "x".repeat(301) }), StatusCode::UNPROCESSABLE_ENTITY, "title is longer than 300 characters"),
        (json!({ "status": "investigating" }), StatusCode::UNPROCESSABLE_ENTITY, "status"),
        (json!({ "status": "solved" }), StatusCode::UNPROCESSABLE_ENTITY, "a solved problem needs its permanent solution"),
        (json!({ "owner_id": 999 }), StatusCode::UNPROCESSABLE_ENTITY, "owner_id 999 does not exist"),
        (json!({ "owner_id": shop }), StatusCode::UNPROCESSABLE_ENTITY, "must be an active staff member"),
        (json!({ "owner_id": gone, "title": "New title" }), StatusCode::UNPROCESSABLE_ENTITY, "must be an active staff member"),
        (json!({ "owner_id": "alice" }), StatusCode::UNPROCESSABLE_ENTITY, "owner_id"),
        (json!({ "colour": "red" }), StatusCode::UNPROCESSABLE_ENTITY, "colour"),
    ] {
        let (s, v) = patch(&app, &alice_t, &path, body.clone()).await;
        assert_eq!(s, status, "{body}: {v}");
        assert!(v["detail"].as_str().unwrap().contains(says), "{body}: {v}");
    }
    assert_eq!(problem(&app, id).await, unchanged, "nothing changed");
    let (s, _) = app.send(Method::PATCH, Some(&alice_t), &path, Some(Value::String("{".into()))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(patch(&app, &alice_t, "/api/v1/problems/999", json!({ "title": "x" })).await.0, StatusCode::NOT_FOUND);
    assert_eq!(patch(&app, &alice_t, "/api/v1/problems/abc", json!({ "title": "x" })).await.0, StatusCode::BAD_REQUEST);

    // Linking: unknown cases, empty lists, wrong types, too many; nothing stored.
    let count = app.get(&alice_t, "/api/v1/problems").await.1.as_array().unwrap().len();
    let (s, v) = app.post(&alice_t, "/api/v1/problems", json!({ "title": "Lost parcels", "case_ids": [case, 999] })).await;
    assert_eq!((s, v["detail"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("case_ids: case 999 does not exist")));
    let (s, v) = app.post(&alice_t, "/api/v1/problems", json!({ "title": "Lost parcels", "owner_id": gone })).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let (s, v) = app.post(&alice_t, "/api/v1/problems", json!({ "title": "Lost parcels", "owner_id": 999 })).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(app.get(&alice_t, "/api/v1/problems").await.1.as_array().unwrap().len(), count);
    assert_eq!(app.case_json(case).await["preventive"], Value::Null);
    for (body, status) in [
        (json!({ "case_ids": [case, 999] }), StatusCode::UNPROCESSABLE_ENTITY),
        (json!({ "case_ids": [] }), StatusCode::UNPROCESSABLE_ENTITY),
        (json!({ "case_ids": "RD-1" }), StatusCode::UNPROCESSABLE_ENTITY),
        (json!({}), StatusCode::UNPROCESSABLE_ENTITY),
        (json!({ "case_ids": (1..=501).collect::<Vec<i64>>() }), StatusCode::UNPROCESSABLE_ENTITY),
    ] {
        let (s, v) = app.post(&alice_t, &format!("{path}/cases"), body.clone()).await;
        assert_eq!(s, status, "{body}: {v}");
    }
    assert_eq!(app.post(&alice_t, "/api/v1/problems/999/cases", json!({ "case_ids": [case] })).await.0, StatusCode::NOT_FOUND);
    assert_eq!(app.case_json(case).await["preventive"], Value::Null);
    assert_eq!(problem(&app, id).await, unchanged);

    // Someone else may be named owner at once.
    let (max, _) = app.user("manager", "100").await;
    let named = app.ok(&alice_t, "/api/v1/problems", json!({ "title": "Wet vans", "owner_id": max, "case_ids": [case] })).await;
    assert_eq!((named["owner_id"].as_i64(), named["created_by"].as_i64()), (Some(max), Some(alice)));
    assert_eq!(app.case_json(case).await["preventive"]["owner_id"], max);
}
