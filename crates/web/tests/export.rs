//! The CSV export of cases and survey responses: streamed, header first,
//! rows by id that read back (with the `csv` crate) as exactly what the API
//! says of each case and response; awkward text quoted, formulas
//! neutralised; the period from (inclusive) to (exclusive); managers and
//! above only; more than one batch of rows. Both backends.

mod common;

use common::{Backend, TestApp};
use futures_util::StreamExt;
use redress_core::export::{CASE_COLUMNS, RESPONSE_COLUMNS};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::HashMap;

both_backends!(case_rows_are_the_cases, response_rows_are_the_responses, who_may_export_and_what_periods_mean, exports_span_batches);

const AWKWARD: &str = "Vase \"Ming\", broken\nshards everywhere";
const FORMULA: &str = "=HYPERLINK(\"http://evil.example\",\"click\")";

/// Downloads an export as `token`; the status, headers and body.
async fn download(app: &TestApp, token: &str, path: &str) -> (StatusCode, reqwest::header::HeaderMap, String) {
    let resp = app.http.get(format!("{}{path}", app.base)).bearer_auth(token).send().await.unwrap();
    let (status, headers) = (resp.status(), resp.headers().clone());
    (status, headers, resp.text().await.unwrap())
}

/// An export's rows as maps from column to cell, checking the header row.
fn rows(csv_text: &str, columns: &[&str]) -> Vec<HashMap<String, String>> {
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_string).collect();
    assert_eq!(header, columns, "the header row");
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            assert_eq!(r.len(), columns.len(), "every row has every column: {r:?}");
            header.iter().cloned().zip(r.iter().map(str::to_string)).collect()
        })
        .collect()
}

fn ids(rows: &[HashMap<String, String>]) -> Vec<i64> {
    rows.iter().map(|r| r["id"].parse().unwrap()).collect()
}

/// A JSON value as the export writes it: null empty, text and numbers as written.
fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

async fn case_rows_are_the_cases(b: Backend) {
    let app = common::spawn(b).await;
    app.london().await;
    let (manager, manager_token) = app.user("manager", "100").await;
    let (other, _) = app.user("agent", "0").await;
    let customer = app.customer().await;
    let area = app.ok(&app.admin, "/api/v1/service-areas", json!({ "name": "Deliveries, North", "service_manager_id": manager })).await["id"].as_i64().unwrap();
    let open = |body: Value| {
        let app = &app;
        async move { app.ok(&app.admin, "/api/v1/cases", body).await["id"].as_i64().unwrap() }
    };
    let awkward = open(json!({ "customer_id": customer, "channel": "phone", "summary": AWKWARD, "service_area_id": area, "order_reference": "-42",
        "occurred_at": "2026-10-30T12:00:00Z", "reported_at": "2026-11-02T10:00:00Z", "severity": "high", "significant": true }))
    .await;
    let formula = open(json!({ "customer_id": customer, "channel": "web", "summary": FORMULA, "reported_at": "2026-11-10T00:00:00Z" })).await;
    let plain = open(json!({ "customer_id": customer, "channel": "in_person", "summary": "Late delivery", "reported_at": "2026-11-15T08:30:00Z" })).await;
    // The first case goes round the loop a little: answered, an action agreed, a gift, a transfer.
    let steps = [
        ("communications", json!({ "direction": "outbound", "channel": "phone", "body": "Sorry, we will put it right" })),
        ("actions", json!({ "description": "Refund the vase", "remedy_kind": "refund", "remedy_value": "30.50" })),
        ("gifts", json!({ "description": "Flowers", "cost": "5" })),
        ("transfer", json!({ "to_user_id": other, "reason": "Holiday cover" })),
    ];
    for (step, body) in steps {
        app.ok(&manager_token, &format!("/api/v1/cases/{awkward}/{step}"), body).await;
    }

    let (status, headers, body) = download(&app, &manager_token, "/api/v1/export/cases").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
    assert_eq!(headers["content-disposition"], "attachment; filename=\"cases-20261120T165900Z.csv\"");
    assert!(headers.get("content-length").is_none(), "streamed, not sent in one piece");
    assert!(body.contains("\"Vase \"\"Ming\"\", broken\nshards everywhere\""), "quoted, quotes doubled, the line break kept: {body}");
    assert!(body.contains("\"'=HYPERLINK("), "a formula neutralised: {body}");

    let rows = rows(&body, &CASE_COLUMNS);
    assert_eq!(ids(&rows), vec![awkward, formula, plain], "by id");
    for row in &rows {
        let case = app.case_json(row["id"].parse().unwrap()).await;
        for column in [
            "id", "reference", "status", "channel", "severity", "significant", "flagged", "service_area_id", "customer_id", "owner_id", "created_by", "occurred_at",
            "reported_at", "created_at", "identification_lag_seconds", "first_response_due_at", "responded_at", "resolution_due_at", "closed_at", "transfer_count",
            "reopen_count", "survey_response_id", "opening_score",
        ] {
            assert_eq!(row[column], cell(&case[column]), "{column} of case {}", row["id"]);
        }
        let summary = case["summary"].as_str().unwrap();
        let neutral = if summary.starts_with('=') { format!("'{summary}") } else { summary.to_string() };
        assert_eq!(row["summary"], neutral);
        let order = cell(&case["order_reference"]);
        assert_eq!(row["order_reference"], if order.starts_with('-') { format!("'{order}") } else { order });
        let agreed: Vec<&Value> = case["actions"].as_array().unwrap().iter().filter(|a| a["status"] == "agreed").collect();
        assert_eq!(row["remedy_value"], agreed.first().map(|a| cell(&a["remedy_value"])).unwrap_or_default());
        assert_eq!(row["remedy_kind"], agreed.first().map(|a| cell(&a["remedy_kind"])).unwrap_or_default());
        assert_eq!(row["problem_id"], cell(&case["preventive"]["problem_id"]));
    }
    let first = &rows[0];
    assert_eq!(
        (first["summary"].as_str(), first["service_area"].as_str(), first["order_reference"].as_str(), first["remedy_value"].as_str(), first["gift_cost"].as_str()),
        (AWKWARD, "Deliveries, North", "'-42", "30.50", "5.00")
    );
    assert_eq!((first["transfer_count"].as_str(), first["owner_id"].clone()), ("1", other.to_string()));
    assert_eq!((first["identification_lag_seconds"].as_str(), first["severity"].as_str(), first["significant"].as_str()), ("252000", "high", "true"));
    assert!(!first["responded_at"].is_empty() && rows[1]["responded_at"].is_empty());
    assert_eq!((rows[1]["service_area"].as_str(), rows[1]["remedy_value"].as_str(), rows[2]["channel"].as_str()), ("", "", "in_person"));
}

async fn response_rows_are_the_responses(b: Backend) {
    let app = common::spawn(b).await;
    let w = common::world(&app).await;
    let (_, manager_token) = app.user("manager", "0").await;
    let answer = |answers: Value| {
        let app = &app;
        async move {
            let code = common::invite(app, w.survey, w.customer, json!({})).await;
            let (s, r) = app.send(reqwest::Method::POST, None, "/api/v1/responses", Some(json!({ "code": code, "answers": answers }))).await;
            assert_eq!(s, StatusCode::CREATED, "{r}");
            r["response_id"].as_i64().unwrap()
        }
    };
    // Friday 20, Saturday 21 and Sunday 22 November.
    let low = answer(json!({ "speed": 2, "care": 5, "tracking": 4, "comment": AWKWARD })).await;
    app.clock.advance(jiff::SignedDuration::from_hours(17));
    let formula = answer(json!({ "speed": 5, "care": 5, "tracking": 5, "comment": FORMULA })).await;
    app.clock.advance(jiff::SignedDuration::from_hours(24));
    let plain = answer(json!({ "speed": 4, "care": 4, "tracking": 5 })).await;

    let (status, headers, body) = download(&app, &manager_token, "/api/v1/export/responses").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
    assert!(headers["content-disposition"].to_str().unwrap().starts_with("attachment; filename=\"responses-20261122T"), "{:?}", headers["content-disposition"]);
    let rows = rows(&body, &RESPONSE_COLUMNS);
    assert_eq!(ids(&rows), vec![low, formula, plain], "by id");
    for row in &rows {
        let (_, r) = app.get(&app.admin, &format!("/api/v1/responses/{}", row["id"])).await;
        for column in ["id", "survey_id", "customer_id", "invitation_id", "created_at", "lowest_rating", "nps", "case_id"] {
            assert_eq!(row[column], cell(&r[column]), "{column} of response {}", row["id"]);
        }
        assert_eq!(row["survey_title"], "Delivery survey");
        let answers: Value = serde_json::from_str(&row["answers"]).unwrap();
        assert_eq!(answers, r["answers"], "the answers, as JSON");
    }
    assert!(!rows[0]["case_id"].is_empty(), "the low score opened a case");
    assert_eq!(serde_json::from_str::<Value>(&rows[0]["answers"]).unwrap()["comment"], AWKWARD);
    assert!(rows[1]["case_id"].is_empty() && rows[1]["lowest_rating"] == "5");

    // Days in the organisation's zone (London: UTC in November).
    let (_, _, body) = download(&app, &manager_token, "/api/v1/export/responses?from=2026-11-21&to=2026-11-22").await;
    assert_eq!(ids(&self::rows(&body, &RESPONSE_COLUMNS)), vec![formula]);
    let (_, _, body) = download(&app, &manager_token, "/api/v1/export/responses?to=2026-11-21").await;
    assert_eq!(ids(&self::rows(&body, &RESPONSE_COLUMNS)), vec![low]);
}

async fn who_may_export_and_what_periods_mean(b: Backend) {
    let app = common::spawn(b).await;
    app.london().await;
    let (_, manager) = app.user("manager", "0").await;
    let (_, senior) = app.user("senior", "0").await;
    let (_, agent) = app.user("agent", "0").await;
    let (_, partner) = app.user("partner", "0").await;
    let customer = app.customer().await;
    let mut cases = Vec::new();
    for at in ["2026-11-01T23:59:59Z", "2026-11-02T00:00:00Z", "2026-11-09T23:59:59.999999Z", "2026-11-10T00:00:00Z"] {
        let v = app.ok(&app.admin, "/api/v1/cases", json!({ "customer_id": customer, "channel": "email", "summary": "Noisy fridge", "reported_at": at })).await;
        cases.push(v["id"].as_i64().unwrap());
    }

    for token in [&agent, &partner] {
        for what in ["cases", "responses"] {
            let (status, v) = app.get(token, &format!("/api/v1/export/{what}")).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{v}");
        }
    }
    let (status, _) = app.send(reqwest::Method::GET, None, "/api/v1/export/cases", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    for token in [&manager, &senior, &app.admin] {
        let (status, _, _) = download(&app, token, "/api/v1/export/cases").await;
        assert_eq!(status, StatusCode::OK);
    }

    for (query, named) in [
        ("from=yesterday", "from"),
        ("from=2026-13-01", "from"),
        ("from=2026-11-31", "November 2026 has 30 days"),
        ("to=2026-02-29T10:00:00Z", "February 2026 has 28 days"),
        ("to=2026-11-10T00:00:00", "to"),
        ("from=2026-11-10&to=2026-11-02", "before"),
        ("from=2026-11-02&to=2026-11-02", "before"),
        ("since=2026-11-02", "since"),
    ] {
        let (status, v) = app.get(&manager, &format!("/api/v1/export/cases?{query}")).await;
        // Unreadable is a 400; a day the calendar lacks, or a period that
        // runs backwards, is well-formed and refused: a 422.
        let expected = if named == "before" || named.contains("days") { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::BAD_REQUEST };
        assert_eq!(status, expected, "{query}: {v}");
        assert!(v["detail"].as_str().unwrap().contains(named), "{query}: {v}");
    }

    let period = |query: &'static str| {
        let (app, manager) = (&app, &manager);
        async move {
            let (status, _, body) = download(app, manager, &format!("/api/v1/export/cases?{query}")).await;
            assert_eq!(status, StatusCode::OK, "{query}: {body}");
            ids(&rows(&body, &CASE_COLUMNS))
        }
    };
    assert_eq!(period("from=2026-11-02&to=2026-11-10").await, cases[1..3], "from inclusive, to exclusive");
    assert_eq!(period("from=2026-11-02T00:00:00Z&to=2026-11-10T00:00:00.000001Z").await, cases[1..4]);
    assert_eq!(period("from=2026-11-02T01:00:00%2B01:00").await, cases[1..4], "an offset");
    assert_eq!(period("to=2026-11-02").await, cases[..1]);
    assert_eq!(period("from=2026-12-01").await, Vec::<i64>::new(), "an empty period is a header row");
}

async fn exports_span_batches(b: Backend) {
    let app = common::spawn(b).await;
    let (_, manager) = app.user("manager", "0").await;
    let customer = app.customer().await;
    let n = 1050;
    let created: Vec<i64> = futures_util::stream::iter(0..n)
        .map(|i| {
            let app = &app;
            async move {
                let day = if i % 2 == 0 { "2026-11-16" } else { "2026-11-17" };
                let body = json!({ "customer_id": customer, "channel": "phone", "summary": format!("case {i}, of many"), "reported_at": format!("{day}T12:00:00Z") });
                app.ok(&app.admin, "/api/v1/cases", body).await["id"].as_i64().unwrap()
            }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    let mut created = created;
    created.sort();

    let (status, _, body) = download(&app, &manager, "/api/v1/export/cases").await;
    assert_eq!(status, StatusCode::OK);
    let rows = rows(&body, &CASE_COLUMNS);
    assert_eq!(ids(&rows), created, "every case once, by id, across batches of a thousand");
    assert!(rows.iter().all(|r| r["summary"].starts_with("case ") && r["summary"].ends_with(", of many")));
    assert_eq!(app.store.count_cases_in(Default::default()).await.unwrap(), n);

    let (_, _, body) = download(&app, &manager, "/api/v1/export/cases?from=2026-11-17&to=2026-11-18").await;
    let odd: Vec<i64> = ids(&self::rows(&body, &CASE_COLUMNS));
    assert_eq!(odd.len(), 525);
    assert!(odd.windows(2).all(|w| w[0] < w[1]));
    let range = redress_core::store::TimeRange { from: Some("2026-11-17T00:00:00Z".parse().unwrap()), to: Some("2026-11-18T00:00:00Z".parse().unwrap()) };
    assert_eq!(app.store.count_cases_in(range).await.unwrap(), 525);
    assert_eq!(app.store.count_responses_in(range).await.unwrap(), 0);
}
