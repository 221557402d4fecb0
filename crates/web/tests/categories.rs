//! Categories, candidate problems and similar cases, black-box over HTTP on
//! both backends: the admin-managed list, cases and survey questions carrying
//! it, a rising category surfaced as a candidate problem while a flat one is
//! not, and possible duplicates of a case.

mod common;

use common::{Backend, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

both_backends!(
    categories_are_an_admin_list_cases_and_questions_carry,
    a_rising_category_is_a_candidate_problem,
    similar_open_cases,
    categories_in_the_console
);

async fn category(app: &TestApp, name: &str) -> i64 {
    app.ok(&app.admin, "/api/v1/categories", json!({ "name": name })).await["id"].as_i64().unwrap()
}

async fn categories_are_an_admin_list_cases_and_questions_carry(b: Backend) {
    let app = common::spawn(b).await;
    let (_, agent) = app.user("agent", "50").await;
    let late = category(&app, "Late delivery").await;
    let damaged = category(&app, "Damaged goods").await;

    // Admins only; names are unique whatever their case; bad input is a 4xx.
    let (s, v) = app.post(&agent, "/api/v1/categories", json!({ "name": "Rude staff" })).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    let (s, v) = app.post(&app.admin, "/api/v1/categories", json!({ "name": "late DELIVERY" })).await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    let (s, v) = app.post(&app.admin, "/api/v1/categories", json!({ "name": "  " })).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let (s, v) = app.post(&app.admin, "/api/v1/categories", json!({ "name": "X", "colour": "red" })).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let (_, list) = app.get(&agent, "/api/v1/categories").await;
    assert_eq!(list.as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect::<Vec<_>>(), ["Damaged goods", "Late delivery"]);

    // A case carries one; a retired or unknown one cannot be chosen.
    let customer = app.customer().await;
    let body = |category: i64| json!({ "customer_id": customer, "channel": "phone", "summary": "Late again", "category_id": category });
    let case = app.ok(&agent, "/api/v1/cases", body(late)).await;
    assert_eq!(case["category_id"], late);
    let id = case["id"].as_i64().unwrap();
    let v = app.send(reqwest::Method::PATCH, Some(&agent), &format!("/api/v1/cases/{id}"), Some(json!({ "category_id": damaged }))).await.1;
    assert_eq!(v["category_id"], damaged);
    let (s, _) = app.send(reqwest::Method::PUT, Some(&app.admin), &format!("/api/v1/categories/{damaged}"), Some(json!({ "name": "Damaged goods", "active": false }))).await;
    assert_eq!(s, StatusCode::OK);
    let (s, v) = app.post(&agent, "/api/v1/cases", body(damaged)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(v["detail"].as_str().unwrap().contains("retired"), "{v}");
    let (s, v) = app.post(&agent, "/api/v1/cases", body(999)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(app.case_json(id).await["category_id"], damaged, "a retired category stays on its cases");
    let (_, page) = app.get(&agent, &format!("/api/v1/cases?category_id={damaged}")).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    let (s, v) = app.send(reqwest::Method::PUT, Some(&app.admin), "/api/v1/categories/999", Some(json!({ "name": "Nothing" }))).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{v}");

    // A survey question maps to a category: a low score on it files the
    // follow-up case there.
    let w = common::world(&app).await;
    let survey = app
        .ok(&app.admin, "/api/v1/surveys", json!({
            "title": "Delivery", "questions": [
                { "key": "speed", "prompt": "How fast?", "kind": "rating", "category_id": late },
                { "key": "care", "prompt": "How careful?", "kind": "rating" },
            ],
        }))
        .await;
    assert_eq!(survey["questions"][0]["category_id"], late);
    let code = common::invite(&app, survey["id"].as_i64().unwrap(), w.customer, json!({})).await;
    let (s, v) = app.send(reqwest::Method::POST, None, "/api/v1/responses", Some(json!({ "code": code, "answers": { "speed": 2, "care": 4 } }))).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (_, page) = app.get(&app.admin, "/api/v1/cases?channel=survey").await;
    assert_eq!(page["items"][0]["category_id"], late);
    let (s, v) = app
        .post(&app.admin, "/api/v1/surveys", json!({ "title": "T", "questions": [{ "key": "c", "prompt": "Say", "kind": "text", "category_id": late }] }))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "only rating questions map: {v}");
    let (s, v) = app
        .post(&app.admin, "/api/v1/surveys", json!({ "title": "T", "questions": [{ "key": "r", "prompt": "Rate", "kind": "rating", "category_id": 999 }] }))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
}

/// Opens a phone or web case of `category`, reported on `day` at noon.
async fn reported(app: &TestApp, token: &str, customer: i64, category: i64, channel: &str, day: &str) -> i64 {
    let at = format!("{day}T12:00:00Z");
    let body = json!({ "customer_id": customer, "channel": channel, "summary": "Trouble", "category_id": category, "reported_at": at, "occurred_at": at });
    app.ok(token, "/api/v1/cases", body).await["id"].as_i64().unwrap()
}

async fn a_rising_category_is_a_candidate_problem(b: Backend) {
    let app = common::spawn(b).await;
    let (_, agent) = app.user("agent", "50").await;
    let (_, manager) = app.user("manager", "100").await;
    let customer = app.customer().await;
    let damaged = category(&app, "Damaged in transit").await;
    let billing = category(&app, "Billing").await;
    // The clock stands on Friday 20 November: this week is 14–20 November,
    // last week 7–13. Damaged: 1 → 10, p = P(X ≥ 10 | X ~ Bin(11, ½)) =
    // 12 / 2048 = 0.006 < 0.01 with 10 ≥ 5 cases: rising. Billing: 5 → 5,
    // p = ½: flat.
    reported(&app, &agent, customer, damaged, "web", "2026-11-09").await;
    let mut rising = Vec::new();
    for day in 14..=20 {
        rising.push(reported(&app, &agent, customer, damaged, "web", &format!("2026-11-{day}")).await);
    }
    for day in 14..=16 {
        rising.push(reported(&app, &agent, customer, damaged, "web", &format!("2026-11-{day}")).await);
    }
    for day in [7, 8, 9, 10, 11] {
        reported(&app, &agent, customer, billing, "phone", &format!("2026-11-{day:02}")).await;
    }
    for day in [14, 15, 16, 17, 18] {
        reported(&app, &agent, customer, billing, "phone", &format!("2026-11-{day}")).await;
    }

    let (s, v) = app.get(&agent, "/api/v1/candidate-problems").await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    let (s, list) = app.get(&manager, "/api/v1/candidate-problems").await;
    assert_eq!(s, StatusCode::OK, "{list}");
    let labels: Vec<&str> = list.as_array().unwrap().iter().map(|c| c["label"].as_str().unwrap()).collect();
    assert!(labels.contains(&"Category: Damaged in transit"), "{labels:?}");
    assert!(!labels.contains(&"Category: Billing"), "a flat category is no candidate: {labels:?}");
    let c = list.as_array().unwrap().iter().find(|c| c["label"] == "Category: Damaged in transit").unwrap();
    assert_eq!((c["trend"]["last_week"].as_u64(), c["trend"]["this_week"].as_u64()), (Some(1), Some(10)));
    assert!((c["trend"]["p_value"].as_f64().unwrap() - 12.0 / 2048.0).abs() < 1e-12, "{c}");
    let mut ids: Vec<i64> = c["cases"].as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect();
    ids.sort();
    rising.sort();
    assert_eq!(ids, rising, "its cases are the rising week's");
    // The cases behind it, through the case list.
    let url = c["cases_url"].as_str().unwrap();
    let (s, page) = app.get(&manager, &format!("{url}&limit=500")).await;
    assert_eq!(s, StatusCode::OK, "{page}");
    assert_eq!(page["items"].as_array().unwrap().len(), 10);

    // The same trends in the metrics of the week.
    let (_, m) = app.get(&manager, "/api/v1/metrics?from=2026-11-14&to=2026-11-20").await;
    let trend = |id: i64| m["trends"].as_array().unwrap().iter().find(|t| t["key"] == json!({ "dimension": "category", "category_id": id })).cloned();
    assert_eq!(trend(damaged).unwrap()["rising"], true);
    assert_eq!(trend(billing).unwrap()["rising"], false);
    let (s, v) = app.get(&manager, "/api/v1/candidate-problems?to=tomorrow").await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    let _: Value = v;
}

async fn similar_open_cases(b: Backend) {
    let app = common::spawn(b).await;
    let (_, agent) = app.user("agent", "50").await;
    let (_, partner) = app.user("partner", "0").await;
    let ada = app.customer().await;
    let bob = app.ok(&app.admin, "/api/v1/customers", json!({ "name": "Bob", "email": "bob@customer.example" })).await["id"].as_i64().unwrap();
    let open = |customer: i64, summary: &str, description: &str| {
        json!({ "customer_id": customer, "channel": "email", "summary": summary, "description": description })
    };
    let first = app.ok(&agent, "/api/v1/cases", open(ada, "Vase arrived broken", "The glass vase was smashed in the parcel")).await["id"].as_i64().unwrap();
    let again = app.ok(&agent, "/api/v1/cases", open(ada, "Invoice wrong", "Charged twice")).await["id"].as_i64().unwrap();
    let alike = app.ok(&agent, "/api/v1/cases", open(bob, "Broken vase delivered", "My vase came smashed, the parcel was crushed")).await["id"].as_i64().unwrap();
    app.ok(&agent, "/api/v1/cases", open(bob, "Password reset mail", "No e-mail arrives when I reset my password")).await;

    let (s, v) = app.get(&agent, &format!("/api/v1/cases/{first}/similar")).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["same_customer"].as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect::<Vec<_>>(), [again]);
    let similar = v["similar_text"].as_array().unwrap();
    assert_eq!(similar.len(), 1, "only the broken vase reads alike: {v}");
    assert_eq!(similar[0]["id"], alike);
    assert!(similar[0]["score"].as_f64().unwrap() >= 0.3, "{v}");
    let (s, _) = app.get(&partner, &format!("/api/v1/cases/{first}/similar")).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app.get(&agent, "/api/v1/cases/9999/similar").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

async fn categories_in_the_console(b: Backend) {
    use common::forms::Browser;
    let app = common::spawn(b).await;
    let password = "correct horse battery";
    app.ok(&app.admin, "/api/v1/users", json!({ "name": "Ada Admin", "email": "ada@example.com", "role": "admin", "mandate": "0", "password": password })).await;
    app.ok(&app.admin, "/api/v1/users", json!({ "name": "Al Agent", "email": "al@example.com", "role": "agent", "mandate": "50", "password": password })).await;
    let admin = Browser::sign_in(&app, "ada@example.com", password).await;
    let agent = Browser::sign_in(&app, "al@example.com", password).await;

    // Admins keep the list; others are refused the page.
    let (s, _) = agent.get("/console/admin/categories").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let r = admin.post("/console/admin/categories", &[("name", "Late delivery"), ("description", "Arrived after the promised day")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = admin.post("/console/admin/categories", &[("name", "late delivery"), ("description", "")]).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let page = r.text().await.unwrap();
    assert!(page.contains("already exists") && page.contains(r#"value="late delivery""#), "refused, the input kept");
    let (_, page) = admin.get("/console/admin/categories").await;
    assert!(page.contains("Late delivery") && page.contains("in use"));
    let (_, list) = app.get(&app.admin, "/api/v1/categories").await;
    let late = list[0]["id"].as_i64().unwrap();

    // A case filed under it from its page, and shown there.
    let customer = app.customer().await;
    let (_, agent_token) = app.user("agent", "50").await;
    let case = app.ok(&agent_token, "/api/v1/cases", json!({ "customer_id": customer, "channel": "phone", "summary": "Sofa delivered a week late" })).await["id"].as_i64().unwrap();
    let other = app.ok(&agent_token, "/api/v1/cases", json!({ "customer_id": customer, "channel": "email", "summary": "Invoice sent twice" })).await["id"].as_i64().unwrap();
    let (_, page) = agent.get(&format!("/console/cases/{case}")).await;
    assert!(page.contains(r#"id="details-category""#), "the details form offers the categories");
    assert!(page.contains(r#"id="similar""#) && page.contains(&format!("/console/cases/{other}")), "the customer's other open case is suggested");
    let r = agent.post(&format!("/console/cases/{case}/details"), &[("category_id", &late.to_string())]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.case_json(case).await["category_id"], late);
    let (_, page) = agent.get(&format!("/console/cases/{case}")).await;
    assert!(page.contains(r#"<dd id="category">Late delivery</dd>"#));

    // The survey builder maps a rating question to it.
    let (_, page) = admin.get("/console/surveys").await;
    assert!(page.contains(r#"id="q1-category""#), "the builder offers the categories");
    let r = admin
        .post("/console/surveys", &[("title", "After delivery"), ("q1.prompt", "Was it on time?"), ("q1.kind", "rating"), ("q1.required", "on"), ("q1.category_id", &late.to_string())])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, surveys) = app.get(&app.admin, "/api/v1/surveys").await;
    let built = surveys.as_array().unwrap().iter().find(|s| s["title"] == "After delivery").expect("the survey");
    assert_eq!(built["questions"][0]["category_id"], late);

    // Retired: it stays on the case and leaves the choices.
    let r = admin.post(&format!("/console/admin/categories/{late}"), &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = agent.get("/console/cases/new").await;
    assert!(!page.contains("Late delivery"), "a retired category is not offered for new cases");
    let r = agent.post(&format!("/console/cases/{other}/details"), &[("category_id", &late.to_string())]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("retired"));
}
