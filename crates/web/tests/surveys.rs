//! Surveys close the loop: access codes, acknowledgements, rewards, follow-up
//! rules, formal reports and recovery — black-box over HTTP on both backends.

mod common;

use common::{invite, world, Backend, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

both_backends!(
    scores_decide_the_follow_up,
    nps_alone_opens_nothing,
    codes_are_single_use_expire_and_refuse_alike,
    guessing_is_rate_limited,
    one_code_races_to_one_response,
    one_code_raced_with_one_key_answers_alike,
    idempotency_key_replays_the_first_answer,
    a_survey_case_needs_its_formal_report_and_measures_recovery,
    rules_are_editable_data,
    fast_reports_earn_points,
    survey_bad_input,
);

async fn answer(app: &TestApp, code: &str, scores: [u8; 3]) -> (StatusCode, Value) {
    app.send(reqwest::Method::POST, None, "/api/v1/responses", Some(json!({
        "code": code, "answers": { "speed": scores[0], "care": scores[1], "tracking": scores[2] },
    })))
    .await
}

async fn rewards(app: &TestApp, customer: i64) -> Value {
    app.get(&app.admin, &format!("/api/v1/customers/{customer}/rewards")).await.1
}

async fn scores_decide_the_follow_up(b: Backend) {
    let app = common::spawn(b).await;
    let w = world(&app).await;

    let code = invite(&app, w.survey, w.customer, json!({})).await;
    assert!(code.len() == 14 && code.chars().filter(|c| *c == '-').count() == 2, "{code}");
    let (s, receipt) = answer(&app, &code.to_lowercase(), [5, 4, 4]).await;
    assert_eq!(s, StatusCode::CREATED, "{receipt}");
    assert_eq!(receipt["reward_points"], 25);
    assert_eq!(app.case_count().await, 0, "good scores open no case");
    let (_, notes) = app.get(&app.admin, "/api/v1/notifications?kind=acknowledgement").await;
    assert_eq!(notes.as_array().unwrap().len(), 1);
    assert_eq!(notes[0]["scheduled_for"], common::FRIDAY_1659, "acknowledged at once");
    assert!(notes[0]["body"].as_str().unwrap().contains("Thank you, Grace's feedback matters."));
    let ledger = rewards(&app, w.customer).await;
    assert_eq!(ledger["balance"], 25);
    let entry = &ledger["entries"][0];
    assert_eq!((&entry["reason"], &entry["response_id"], &entry["case_id"]), (&json!("survey_response"), &receipt["response_id"], &Value::Null), "{entry}");

    let code = invite(&app, w.survey, w.customer, json!({})).await;
    let (s, receipt) = answer(&app, &code, [4, 3, 5]).await;
    assert_eq!(s, StatusCode::CREATED, "{receipt}");
    assert!(receipt["next"].as_str().unwrap().contains("written report"), "{receipt}");
    let (_, page) = app.get(&app.admin, "/api/v1/cases?channel=survey").await;
    let case = &page["items"][0];
    assert_eq!(case["owner_id"], w.client_manager);
    assert_eq!(case["assignees"], json!([{ "user_id": w.service_manager, "role": "service_manager" }]));
    assert_eq!(case["significant"], false);
    assert_eq!(case["requires_report"], true);
    assert_eq!(case["opening_score"], 3);
    assert!(case["description"].as_str().unwrap().contains("How careful was the driver?: 3"));
    let (_, response) = app.get(&app.admin, &format!("/api/v1/responses/{}", receipt["response_id"])).await;
    assert_eq!(response["case_id"], case["id"]);
    assert_eq!(response["answers"]["care"], 3);
    assert_eq!(rewards(&app, w.customer).await["balance"], 50, "rewarded whatever the score");

    let code = invite(&app, w.survey, w.customer, json!({})).await;
    answer(&app, &code, [5, 2, 5]).await;
    let (_, page) = app.get(&app.admin, "/api/v1/cases?channel=survey&significant=true").await;
    let case = &page["items"][0];
    assert_eq!(case["owner_id"], w.client_manager);
    let assigned: Vec<i64> = case["assignees"].as_array().unwrap().iter().map(|a| a["user_id"].as_i64().unwrap()).collect();
    assert_eq!(assigned, vec![w.service_manager, w.senior]);
    let full = app.case_json(case["id"].as_i64().unwrap()).await;
    assert!(full["timeline"].as_array().unwrap().iter().any(|e| e["kind"] == "assigned" && e["detail"]["role"] == "senior"));
}

async fn nps_alone_opens_nothing(b: Backend) {
    let app = common::spawn(b).await;
    let w = world(&app).await;
    let nps = app.ok(&app.admin, "/api/v1/surveys", json!({ "title": "NPS", "questions": [{ "key": "nps", "prompt": "Would you recommend us?", "kind": "nps" }] })).await;
    let code = invite(&app, nps["id"].as_i64().unwrap(), w.customer, json!({})).await;
    let (s, v) = app.send(reqwest::Method::POST, None, "/api/v1/responses", Some(json!({ "code": code, "answers": { "nps": 0 } }))).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(app.case_count().await, 0);
    let (_, responses) = app.get(&app.admin, &format!("/api/v1/responses?survey_id={}", nps["id"])).await;
    assert_eq!(responses[0]["nps"], 0);
    assert_eq!(responses[0]["lowest_rating"], Value::Null);
}

async fn codes_are_single_use_expire_and_refuse_alike(b: Backend) {
    let app = common::spawn(b).await;
    let w = world(&app).await;
    let (_, wrong) = answer(&app, "ABCD-EFGH-JKMN", [5, 5, 5]).await;
    let code = invite(&app, w.survey, w.customer, json!({})).await;
    assert_eq!(answer(&app, &code, [5, 5, 5]).await.0, StatusCode::CREATED);
    let (s, used) = answer(&app, &code, [5, 5, 5]).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let short = invite(&app, w.survey, w.customer, json!({ "valid_days": 1 })).await;
    app.clock.advance(jiff::SignedDuration::from_hours(25));
    let (s, expired) = answer(&app, &short, [5, 5, 5]).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(wrong, used, "a used code is refused exactly like a wrong one");
    assert_eq!(wrong, expired, "an expired code is refused exactly like a wrong one");
    let (_, responses) = app.get(&app.admin, "/api/v1/responses").await;
    assert_eq!(responses.as_array().unwrap().len(), 1);
}

async fn guessing_is_rate_limited(b: Backend) {
    let app = common::spawn(b).await;
    let w = world(&app).await;
    let good = invite(&app, w.survey, w.customer, json!({})).await;
    for i in 0..10 {
        let guess = format!("ABCD-EFGH-{:04}", i);
        assert_eq!(answer(&app, &guess, [5, 5, 5]).await.0, StatusCode::FORBIDDEN, "try {}", i + 1);
    }
    let resp = app
        .http
        .post(format!("{}/api/v1/responses", app.base))
        .json(&json!({ "code": good, "answers": { "speed": 5, "care": 5, "tracking": 5 } }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS, "the 11th try in a minute waits, even with a good code");
    let wait: u64 = resp.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait));
    assert_eq!(resp.headers()["content-type"], "application/problem+json");
}

async fn one_code_races_to_one_response(b: Backend) {
    let app = std::sync::Arc::new(common::spawn(b).await);
    let w = world(&app).await;
    let code = invite(&app, w.survey, w.customer, json!({})).await;
    let mut tasks = Vec::new();
    for i in 0..8u8 {
        let (app, code) = (app.clone(), code.clone());
        tasks.push(tokio::spawn(async move { answer(&app, &code, [1 + i % 5, 5, 5]).await.0 }));
    }
    let mut created = 0;
    for t in tasks {
        match t.await.unwrap() {
            StatusCode::CREATED => created += 1,
            StatusCode::FORBIDDEN => {}
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(created, 1);
    let (_, responses) = app.get(&app.admin, "/api/v1/responses").await;
    assert_eq!(responses.as_array().unwrap().len(), 1);
    assert_eq!(rewards(&app, w.customer).await["entries"].as_array().unwrap().len(), 1);
}

/// The same submission sent eight times at once with one `Idempotency-Key`
/// (a client retrying before its first try answered): one response, one
/// follow-up case, one reward, and every try answered with its receipt.
async fn one_code_raced_with_one_key_answers_alike(b: Backend) {
    let app = std::sync::Arc::new(common::spawn(b).await);
    let w = world(&app).await;
    let code = invite(&app, w.survey, w.customer, json!({})).await;
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (app, code) = (app.clone(), code.clone());
        tasks.push(tokio::spawn(async move {
            let req = app.http.post(format!("{}/api/v1/responses", app.base)).header("idempotency-key", "retry-1");
            let resp = req.json(&json!({ "code": code, "answers": { "speed": 2, "care": 5, "tracking": 5 } })).send().await.unwrap();
            (resp.status(), resp.json::<Value>().await.unwrap())
        }));
    }
    let mut receipts = Vec::new();
    for t in tasks {
        let (status, receipt) = t.await.unwrap();
        assert_eq!(status, StatusCode::CREATED, "{receipt}");
        receipts.push(receipt);
    }
    assert!(receipts.iter().all(|r| *r == receipts[0]), "one receipt for every try: {receipts:?}");
    let (_, responses) = app.get(&app.admin, "/api/v1/responses").await;
    assert_eq!(responses.as_array().unwrap().len(), 1);
    assert_eq!(responses[0]["id"], receipts[0]["response_id"]);
    assert_eq!(app.case_count().await, 1, "one follow-up case");
    assert_eq!(rewards(&app, w.customer).await["entries"].as_array().unwrap().len(), 1);
}

async fn idempotency_key_replays_the_first_answer(b: Backend) {
    let app = common::spawn(b).await;
    let w = world(&app).await;
    let code = invite(&app, w.survey, w.customer, json!({})).await;
    let send = |key: &'static str, code: String| {
        let req = app.http.post(format!("{}/api/v1/responses", app.base)).header("idempotency-key", key);
        req.json(&json!({ "code": code, "answers": { "speed": 2, "care": 5, "tracking": 5 } })).send()
    };
    let first = send("k-1", code.clone()).await.unwrap();
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.unwrap();
    let again = send("k-1", code.clone()).await.unwrap();
    assert_eq!(again.status(), StatusCode::CREATED);
    assert_eq!(again.json::<Value>().await.unwrap(), first, "the same answer");
    let (_, responses) = app.get(&app.admin, "/api/v1/responses").await;
    assert_eq!(responses.as_array().unwrap().len(), 1, "one response");
    assert_eq!(app.case_count().await, 1, "one follow-up case");
    let other = invite(&app, w.survey, w.customer, json!({})).await;
    let reused = send("k-1", other).await.unwrap();
    assert_eq!(reused.status(), StatusCode::UNPROCESSABLE_ENTITY, "a key belongs to one submission");
}

async fn a_survey_case_needs_its_formal_report_and_measures_recovery(b: Backend) {
    let app = common::spawn(b).await;
    let w = world(&app).await;
    let colleague = app.user("agent", "0").await;
    // The client manager owns the follow-up: act with a token of theirs.
    let cm = app.ok(&app.admin, &format!("/api/v1/users/{}/tokens", w.client_manager), json!({})).await["token"].as_str().unwrap().to_string();
    let code = invite(&app, w.survey, w.customer, json!({})).await;
    answer(&app, &code, [5, 3, 5]).await;
    let (_, page) = app.get(&app.admin, "/api/v1/cases?channel=survey").await;
    let id = page["items"][0]["id"].as_i64().unwrap();
    let p = |s: &str| format!("/api/v1/cases/{id}/{s}");
    app.ok(&cm, &p("communications"), json!({ "direction": "outbound", "channel": "phone", "body": "Called to hear the context of the score" })).await;
    app.ok(&cm, &p("actions"), json!({ "description": "Driver retrained", "preventive_owner_id": w.service_manager })).await;
    app.ok(&cm, &p("preventive"), json!({ "root_cause": "Rushed rounds", "action": "Fewer drops per route" })).await;
    app.ok(&colleague.1, &p("follow-up"), json!({ "outcome": "resolved", "satisfaction": 4, "preventive_confirmed": true })).await;
    let (s, v) = app.post(&cm, &p("close"), json!({})).await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(v["missing"], json!(["formal_report"]));

    let (s, v) = app.post(&cm, &p("reports"), json!({ "summary": "The driver was rushed.", "actions": [] })).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let (s, created) = app.post(&cm, &p("reports"), json!({ "summary": "The driver was rushed.", "actions": ["Fewer drops per route", "Care training"] })).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let url = created["report_url"].as_str().unwrap();
    assert!(url.starts_with(&format!("{}/reports/", app.base)) && url.len() > app.base.len() + 60, "{url}");
    let (_, notes) = app.get(&app.admin, &format!("/api/v1/notifications?case_id={id}&kind=report_ready")).await;
    assert!(notes[0]["body"].as_str().unwrap().contains(url));
    let closed = app.ok(&cm, &p("close"), json!({})).await;
    assert_eq!(closed["status"], "closed");

    // The recovery survey goes out the next business morning with its own code.
    let (_, notes) = app.get(&app.admin, &format!("/api/v1/notifications?case_id={id}&kind=recovery_survey")).await;
    assert_eq!(notes[0]["scheduled_for"], "2026-11-23T09:00:00Z");
    let body = notes[0]["body"].as_str().unwrap();
    let code = body.split_whitespace().find(|w| w.len() == 14 && w.matches('-').count() == 2).expect("a code in the invitation");
    let (s, v) = app.send(reqwest::Method::POST, None, "/api/v1/responses", Some(json!({ "code": code, "answers": { "satisfaction": 5 } }))).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let full = app.case_json(id).await;
    assert_eq!(full["recovery"]["score"], 5);
    assert_eq!(full["recovery"]["delta"], 2, "5 against the opening 3");
    assert!(full["timeline"].as_array().unwrap().iter().any(|e| e["kind"] == "recovery_measured"));
    assert_eq!(app.case_count().await, 1, "a recovery survey opens no new case");
}

async fn rules_are_editable_data(b: Backend) {
    let app = common::spawn(b).await;
    let w = world(&app).await;
    let (_, rules) = app.get(&app.admin, "/api/v1/follow-up-rules").await;
    assert_eq!(rules["rules"][0]["lowest_rating_at_most"], 3);
    let (_, agent) = app.user("agent", "0").await;
    let (s, _) = app.send(reqwest::Method::PUT, Some(&agent), "/api/v1/follow-up-rules", Some(rules.clone())).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let stricter = json!({ "rules": [{ "lowest_rating_at_most": 4, "open_case": true, "owner": { "user": w.senior } }] });
    let (s, v) = app.send(reqwest::Method::PUT, Some(&app.admin), "/api/v1/follow-up-rules", Some(stricter)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let code = invite(&app, w.survey, w.customer, json!({})).await;
    answer(&app, &code, [5, 4, 5]).await;
    let (_, page) = app.get(&app.admin, "/api/v1/cases").await;
    assert_eq!(page["items"][0]["owner_id"], w.senior, "a 4 now opens a case owned by the named user");
    assert_eq!(page["items"][0]["requires_report"], false);
    let (s, _) = app.send(reqwest::Method::PUT, Some(&app.admin), "/api/v1/follow-up-rules", Some(json!({ "rules": [{ "lowest_rating_at_most": 7 }] }))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn fast_reports_earn_points(b: Backend) {
    let app = common::spawn(b).await;
    let w = world(&app).await;
    let case = |occurred: &str| json!({ "customer_id": w.customer, "channel": "web", "summary": "x", "occurred_at": occurred, "reported_at": "2026-11-20T16:00:00Z" });
    let fast = app.ok(&app.admin, "/api/v1/cases", case("2026-11-20T10:00:00Z")).await;
    app.ok(&app.admin, "/api/v1/cases", case("2026-11-10T10:00:00Z")).await;
    let ledger = rewards(&app, w.customer).await;
    assert_eq!(ledger["entries"].as_array().unwrap().len(), 1, "only the report within 24 hours earns points");
    let entry = &ledger["entries"][0];
    assert_eq!((&entry["reason"], &entry["case_id"], &entry["response_id"]), (&json!("fast_report"), &fast["id"], &Value::Null), "{entry}");
    assert_eq!(entry["created_at"], fast["created_at"], "credited when the case was opened");
    assert_eq!(ledger["balance"], 10);
}

async fn survey_bad_input(b: Backend) {
    let app = common::spawn(b).await;
    let w = world(&app).await;
    let q = |kind: &str| json!({ "key": "a", "prompt": "A?", "kind": kind });
    let bad_surveys = [
        json!({ "title": "", "questions": [q("rating")] }),
        json!({ "title": "T", "questions": [] }),
        json!({ "title": "T", "questions": [q("rating"), q("nps")] }),
        json!({ "title": "T", "questions": [q("choice")] }),
        json!({ "title": "T", "questions": [q("stars")] }),
        json!({ "title": "T", "questions": [{ "key": "Bad Key", "prompt": "A?", "kind": "rating" }] }),
        json!({ "title": "T", "questions": [q("rating")], "service_area_id": 999 }),
        json!({ "title": "T", "questions": [q("rating")], "reward_points": -1 }),
    ];
    for body in bad_surveys {
        let (s, v) = app.post(&app.admin, "/api/v1/surveys", body.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {v}");
    }
    let (_, agent) = app.user("agent", "0").await;
    let (s, _) = app.post(&agent, "/api/v1/surveys", json!({ "title": "T", "questions": [q("rating")] })).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let path = format!("/api/v1/surveys/{}/invitations", w.survey);
    for body in [json!({ "customer_ids": [] }), json!({ "customer_ids": [999] }), json!({ "customer_ids": [w.customer], "valid_days": 0 }), json!({ "customer_ids": "all" })] {
        let (s, v) = app.post(&app.admin, &path, body.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {v}");
    }
    let (s, _) = app.post(&app.admin, "/api/v1/surveys/999/invitations", json!({ "customer_ids": [w.customer] })).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let code = invite(&app, w.survey, w.customer, json!({})).await;
    for answers in [json!({ "speed": 6, "care": 5, "tracking": 5 }), json!({ "speed": 5 }), json!({ "speed": 5, "care": 5, "tracking": 5, "extra": 1 }), json!({ "speed": "fast", "care": 5, "tracking": 5 })] {
        let (s, v) = app.send(reqwest::Method::POST, None, "/api/v1/responses", Some(json!({ "code": code, "answers": answers }))).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{answers}: {v}");
    }
    assert_eq!(answer(&app, &code, [5, 5, 5]).await.0, StatusCode::CREATED, "refused answers did not use up the code");
    let (s, _) = app.send(reqwest::Method::POST, None, "/api/v1/responses", Some(json!({ "answers": {} }))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    for path in ["/api/v1/surveys/999", "/api/v1/responses/999", "/api/v1/customers/999/rewards"] {
        assert_eq!(app.get(&app.admin, path).await.0, StatusCode::NOT_FOUND, "{path}");
    }
    let (_, partner) = app.user("partner", "0").await;
    for path in ["/api/v1/surveys", "/api/v1/responses", "/api/v1/follow-up-rules"] {
        assert_eq!(app.get(&partner, path).await.0, StatusCode::FORBIDDEN, "{path}");
    }
}
