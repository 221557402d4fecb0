//! `GET /api/v1/metrics` on a small hand-made November, on both backends:
//! every figure against a value worked out by hand below, the same figures
//! after the rollups are compacted and after they are rebuilt from scratch,
//! the filters, the roles and bad input.

mod common;

use common::{Backend, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

both_backends!(every_figure_of_a_hand_made_november, pending_changes_read_alike_at_every_level, metrics_roles_and_bad_input, the_insight_pages_download_csv);

const NOVEMBER: &str = "/api/v1/metrics?from=2026-11-01&to=2026-11-30";

async fn at(app: &TestApp, t: &str) {
    app.clock.set(t.parse().unwrap());
}

async fn customer(app: &TestApp, name: &str, client_manager: Option<i64>) -> i64 {
    let email = format!("{}@customers.example", name.to_lowercase());
    app.ok(&app.admin, "/api/v1/customers", json!({ "name": name, "email": email, "client_manager_id": client_manager })).await["id"].as_i64().unwrap()
}

async fn invite(app: &TestApp, survey: i64, customer: i64) -> String {
    common::invite(app, survey, customer, json!({})).await
}

async fn answer(app: &TestApp, code: &str, overall: u8, recommend: u8) {
    let (s, v) = app.send(reqwest::Method::POST, None, "/api/v1/responses", Some(json!({ "code": code, "answers": { "overall": overall, "recommend": recommend } }))).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
}

/// Figures read while changes wait for the compactor equal those read
/// after: here a customer's earlier complaint moves their loyalty part
/// (taken out of one day, put on another) and a survey response without a
/// channel lands on the rows the lag by channel reads, and a first
/// response changes a case already compacted. Two cases fall in
/// the week that ends on 1 November, so a rebuild's pass over that week
/// adds to two months' summaries.
async fn pending_changes_read_alike_at_every_level(b: Backend) {
    let app = common::spawn(b).await;
    app.london().await;
    // The new calendar's rebuild, now: a rebuild drops pending changes.
    app.store.rebuild_rollups().await.unwrap();
    at(&app, "2026-11-20T12:00:00Z").await;
    let (_, agent) = app.user("agent", "50").await;
    let (_, manager) = app.user("manager", "100").await;
    let survey = app
        .ok(&app.admin, "/api/v1/surveys", json!({ "title": "How did we do?", "questions": [{ "key": "overall", "prompt": "How was it?", "kind": "rating" }, { "key": "recommend", "prompt": "Recommend us?", "kind": "nps" }] }))
        .await["id"]
        .as_i64()
        .unwrap();
    let ada = customer(&app, "Ada", None).await;
    let case = |day: u32| json!({ "customer_id": ada, "channel": "web", "summary": format!("Late on the {day}th"), "reported_at": format!("2026-11-{day:02}T11:00:00Z"), "occurred_at": format!("2026-11-{day:02}T10:00:00Z") });
    let late = app.ok(&app.admin, "/api/v1/categories", json!({ "name": "Late delivery" })).await["id"].as_i64().unwrap();
    let wrong = app.ok(&app.admin, "/api/v1/categories", json!({ "name": "Wrong item" })).await["id"].as_i64().unwrap();
    let mut body = case(19);
    body["category_id"] = json!(late);
    let first = app.ok(&agent, "/api/v1/cases", body).await["id"].as_i64().unwrap();
    let code = invite(&app, survey, ada).await;
    answer(&app, &code, 4, 9).await;
    while app.store.compact_rollups(1000).await.unwrap() > 0 {}
    // A first response, and the case filed under another category: its old
    // facts (its lag among them) leave rows that a weekly read takes in part.
    let reply = json!({ "direction": "outbound", "channel": "email", "body": "We are on it" });
    app.ok(&agent, &format!("/api/v1/cases/{first}/communications"), reply).await;
    let (s, v) = app.send(reqwest::Method::PATCH, Some(&agent), &format!("/api/v1/cases/{first}"), Some(json!({ "category_id": wrong }))).await;
    assert_eq!(s, StatusCode::OK, "{v}");    // An earlier case: Ada's first complaint moves from the 19th to the 3rd.
    app.ok(&agent, "/api/v1/cases", case(3)).await;
    let code = invite(&app, survey, ada).await;
    answer(&app, &code, 2, 3).await;
    let bea = customer(&app, "Bea", None).await;
    for day in ["2026-10-30", "2026-11-01"] {
        let body = json!({ "customer_id": bea, "channel": "phone", "summary": "Engineer missed the visit", "reported_at": format!("{day}T15:00:00Z"), "occurred_at": format!("{day}T09:00:00Z") });
        app.ok(&agent, "/api/v1/cases", body).await;
    }
    let by_category = format!("/api/v1/metrics?from=2026-10-01&to=2026-11-30&category_id={late}");
    let paths = [
        "/api/v1/metrics?from=2026-11-14&to=2026-11-20",
        "/api/v1/metrics?from=2026-11-01&to=2026-11-30",
        "/api/v1/metrics?from=2026-11-01&to=2026-11-30&channel=web",
        "/api/v1/metrics?from=2026-10-01&to=2026-11-30",
        "/api/v1/metrics?from=2026-10-15&to=2026-11-30&channel=phone",
        by_category.as_str(),
    ];
    let mut pending = Vec::new();
    for path in paths {
        pending.push(metrics(&app, &manager, path).await);
    }
    assert_eq!(pending[1]["cases"], 4, "Ada's two complaints, the case the low score opened and Bea's second");
    assert_eq!(pending[3]["cases"], 5, "and Bea's first, in October");
    while app.store.compact_rollups(1000).await.unwrap() > 0 {}
    for (path, before) in paths.iter().zip(&pending) {
        assert_eq!(&metrics(&app, &manager, path).await, before, "{path}: the same once compacted");
    }
    app.store.rebuild_rollups().await.unwrap();
    for (path, before) in paths.iter().zip(&pending) {
        assert_eq!(&metrics(&app, &manager, path).await, before, "{path}: the same once rebuilt");
    }
}

/// `got` is within the sketch's bound (1/128) of the exact `seconds`.
fn near(got: &Value, seconds: u64) {
    let g = got.as_u64().unwrap_or_else(|| panic!("{got} is not a number of seconds"));
    assert!((g as f64 - seconds as f64).abs() <= seconds as f64 / 128.0, "{g} is not within 1/128 of {seconds}");
}

fn approx(got: &Value, exact: f64) {
    let g = got.as_f64().unwrap_or_else(|| panic!("{got} is not a number"));
    assert!((g - exact).abs() < 1e-9, "{g} is not {exact}");
}

async fn metrics(app: &TestApp, token: &str, path: &str) -> Value {
    let (s, v) = app.get(token, path).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v
}

/// The days of November 2026 (London, so UTC) and what happens on them:
///
/// | case | customer | channel | reported | occurred | first response | closed |
/// |---|---|---|---|---|---|---|
/// | K1 | C3 | phone | Mon 2, 10:00 | Sun 1, 10:00 | Mon 2, 11:00 | Wed 4, 10:00 (reopened once on the way) |
/// | K2 | C6 | survey | Thu 5, 10:00 | same | Thu 5, 14:00 | Fri 6, 10:00 |
/// | K3 | C4 | email | Fri 6, 16:00 | Fri 6, 14:00 | Mon 9, 10:00 | open (transferred to B) |
/// | K4 | C5 | web | Mon 2, 09:00 | same | Thu 5, 09:00 (late) | open |
///
/// Feedback responses (overall rating, recommendation): C1 2 Nov (5, 10)
/// and 9 Nov (4, 8); C2 2 Nov (4, 6); C6 5 Nov (3, 5), which opens K2; C3
/// 9 Nov (5, 9). C7 is invited on 2 Nov and never answers. C6 answers K2's
/// recovery survey with a 5 on 9 Nov.
async fn every_figure_of_a_hand_made_november(b: Backend) {
    let app = common::spawn(b).await;
    app.london().await;
    let (a_id, a) = app.user("agent", "50").await;
    let (b_id, b_token) = app.user("agent", "50").await;
    let (_, manager) = app.user("manager", "100").await;
    let (cm_id, _) = app.user("manager", "100").await;
    let cm = app.ok(&app.admin, &format!("/api/v1/users/{cm_id}/tokens"), json!({})).await["token"].as_str().unwrap().to_string();
    let (sm_id, _) = app.user("manager", "100").await;
    let area = app.ok(&app.admin, "/api/v1/service-areas", json!({ "name": "Deliveries", "service_manager_id": sm_id })).await["id"].as_i64().unwrap();
    let survey = app
        .ok(&app.admin, "/api/v1/surveys", json!({
            "title": "Delivery survey", "service_area_id": area,
            "questions": [
                { "key": "overall", "prompt": "How was the delivery?", "kind": "rating" },
                { "key": "recommend", "prompt": "Would you recommend us?", "kind": "nps", "required": false },
            ],
        }))
        .await["id"]
        .as_i64()
        .unwrap();
    let [c1, c2, c3, c4, c5, c6, c7] = [
        customer(&app, "C1", None).await,
        customer(&app, "C2", None).await,
        customer(&app, "C3", None).await,
        customer(&app, "C4", None).await,
        customer(&app, "C5", None).await,
        customer(&app, "C6", Some(cm_id)).await,
        customer(&app, "C7", None).await,
    ];
    let case = |customer: i64, channel: &str, occurred: &str| {
        json!({ "customer_id": customer, "channel": channel, "summary": "Parcel arrived broken", "occurred_at": occurred })
    };
    let p = |id: i64, step: &str| format!("/api/v1/cases/{id}/{step}");
    let outbound = json!({ "direction": "outbound", "channel": "phone", "body": "Sorry, we are putting it right" });
    let resolved = json!({ "outcome": "resolved", "satisfaction": 5, "preventive_confirmed": true });

    at(&app, "2026-11-02T09:00:00Z").await;
    let [code_c1a, code_c2, code_c6, _code_c7] =
        [invite(&app, survey, c1).await, invite(&app, survey, c2).await, invite(&app, survey, c6).await, invite(&app, survey, c7).await];
    let k4 = app.ok(&a, "/api/v1/cases", case(c5, "web", "2026-11-02T09:00:00Z")).await["id"].as_i64().unwrap();

    at(&app, "2026-11-02T10:00:00Z").await;
    let k1 = app.ok(&a, "/api/v1/cases", case(c3, "phone", "2026-11-01T10:00:00Z")).await["id"].as_i64().unwrap();
    at(&app, "2026-11-02T11:00:00Z").await;
    app.ok(&a, &p(k1, "communications"), outbound.clone()).await;
    app.ok(&a, &p(k1, "actions"), json!({ "description": "Refund the delivery", "remedy_kind": "refund", "remedy_value": "30", "preventive_owner_id": a_id })).await;
    app.ok(&a, &p(k1, "preventive"), json!({ "root_cause": "Thin boxes", "action": "Double boxes" })).await;
    at(&app, "2026-11-02T12:00:00Z").await;
    answer(&app, &code_c1a, 5, 10).await;
    at(&app, "2026-11-02T12:30:00Z").await;
    answer(&app, &code_c2, 4, 6).await;

    at(&app, "2026-11-03T10:00:00Z").await;
    let v = app.ok(&b_token, &p(k1, "follow-up"), json!({ "outcome": "not_resolved", "satisfaction": 2, "notes": "refund not received" })).await;
    assert_eq!(v["status"], "reopened");
    at(&app, "2026-11-03T11:00:00Z").await;
    app.ok(&b_token, &p(k1, "follow-up"), resolved.clone()).await;
    at(&app, "2026-11-04T10:00:00Z").await;
    assert_eq!(app.ok(&a, &p(k1, "close"), json!({})).await["status"], "closed");

    at(&app, "2026-11-05T09:00:00Z").await;
    app.ok(&a, &p(k4, "communications"), outbound.clone()).await;
    at(&app, "2026-11-05T10:00:00Z").await;
    answer(&app, &code_c6, 3, 5).await;
    let (_, page) = app.get(&app.admin, "/api/v1/cases?channel=survey").await;
    let k2 = page["items"][0]["id"].as_i64().unwrap();
    at(&app, "2026-11-05T14:00:00Z").await;
    app.ok(&cm, &p(k2, "communications"), outbound.clone()).await;
    app.ok(&cm, &p(k2, "actions"), json!({ "description": "Driver retrained", "preventive_owner_id": sm_id })).await;
    app.ok(&cm, &p(k2, "preventive"), json!({ "root_cause": "Rushed rounds", "action": "Fewer drops per route" })).await;
    app.ok(&cm, &p(k2, "gifts"), json!({ "description": "Flowers", "cost": "5" })).await;
    at(&app, "2026-11-05T15:00:00Z").await;
    app.ok(&b_token, &p(k2, "follow-up"), resolved.clone()).await;
    app.ok(&cm, &p(k2, "reports"), json!({ "summary": "The driver was rushed.", "actions": ["Fewer drops per route"] })).await;
    at(&app, "2026-11-06T10:00:00Z").await;
    assert_eq!(app.ok(&cm, &p(k2, "close"), json!({})).await["status"], "closed");

    at(&app, "2026-11-06T16:00:00Z").await;
    let k3 = app.ok(&a, "/api/v1/cases", case(c4, "email", "2026-11-06T14:00:00Z")).await["id"].as_i64().unwrap();

    at(&app, "2026-11-09T09:00:00Z").await;
    let [code_c1b, code_c3] = [invite(&app, survey, c1).await, invite(&app, survey, c3).await];
    at(&app, "2026-11-09T09:30:00Z").await;
    let (_, notes) = app.get(&app.admin, &format!("/api/v1/notifications?case_id={k2}&kind=recovery_survey")).await;
    let body = notes[0]["body"].as_str().unwrap();
    let recovery_code = body.split_whitespace().find(|w| w.len() == 14 && w.matches('-').count() == 2).expect("a code in the recovery invitation");
    let (s, v) = app.send(reqwest::Method::POST, None, "/api/v1/responses", Some(json!({ "code": recovery_code, "answers": { "satisfaction": 5 } }))).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    at(&app, "2026-11-09T10:00:00Z").await;
    app.ok(&a, &p(k3, "communications"), outbound.clone()).await;
    at(&app, "2026-11-09T11:00:00Z").await;
    app.ok(&a, &p(k3, "transfer"), json!({ "to_user_id": b_id, "reason": "B knows the courier" })).await;
    at(&app, "2026-11-09T12:00:00Z").await;
    answer(&app, &code_c1b, 4, 8).await;
    at(&app, "2026-11-09T12:30:00Z").await;
    answer(&app, &code_c3, 5, 9).await;

    let m = metrics(&app, &manager, NOVEMBER).await;
    check_november(&m);

    // Filters: one channel, one service area, one (current) owner.
    let phone = metrics(&app, &manager, &format!("{NOVEMBER}&channel=phone")).await;
    assert_eq!((phone["cases"].as_u64(), phone["satisfaction"]["responses"].as_u64()), (Some(1), Some(0)), "surveys have no channel");
    assert_eq!(phone["reopens"]["reopened"], 1);
    let deliveries = metrics(&app, &manager, &format!("{NOVEMBER}&service_area_id={area}")).await;
    assert_eq!(deliveries["cases"], 1, "K2 belongs to the survey's area");
    assert_eq!((deliveries["satisfaction"]["responses"].as_u64(), deliveries["response_rate"]["invitations"].as_u64()), (Some(5), Some(6)));
    let owned_by_b = metrics(&app, &manager, &format!("{NOVEMBER}&owner_id={b_id}")).await;
    assert_eq!((owned_by_b["cases"].as_u64(), owned_by_b["transfers"]["transfers"].as_u64()), (Some(1), Some(1)), "K3 counts for its owner now");
    assert_eq!(owned_by_b["loyalty"], m["loyalty"], "loyalty is per customer, whatever the filters");
    let october = metrics(&app, &manager, "/api/v1/metrics?from=2026-10-01&to=2026-10-31").await;
    assert_eq!((october["cases"].as_u64(), october["loyalty"]["resolved"]["customers"].as_u64()), (Some(0), Some(0)));

    // Weekly series: the week of Monday 2 November holds all four cases
    // and three responses; the week of the 9th the other two.
    let weeks = m["weekly"].as_array().unwrap();
    assert_eq!(weeks.iter().map(|w| w["week_start"].as_str().unwrap()).collect::<Vec<_>>(), ["2026-10-26", "2026-11-02", "2026-11-09", "2026-11-16", "2026-11-23", "2026-11-30"]);
    assert_eq!((weeks[0]["days"].as_u64(), weeks[5]["days"].as_u64()), (Some(1), Some(1)), "the period's edges cut its first and last week");
    assert_eq!((weeks[1]["cases"].as_u64(), weeks[1]["responses"].as_u64(), weeks[2]["responses"].as_u64()), (Some(4), Some(3), Some(2)));
    approx(&weeks[2]["average_rating"], 4.5);

    // The same figures as CSV: a row per week, then the total.
    let resp = app.http.get(format!("{}/api/v1/export/metrics?from=2026-11-01&to=2026-11-30", app.base)).bearer_auth(&manager).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let text = resp.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let head: Vec<String> = reader.headers().unwrap().iter().map(str::to_string).collect();
    let rows: Vec<Vec<String>> = reader.records().map(|r| r.unwrap().iter().map(str::to_string).collect()).collect();
    assert_eq!(rows.len(), weeks.len() + 1);
    let cell = |row: &Vec<String>, col: &str| row[head.iter().position(|h| h == col).unwrap()].clone();
    assert_eq!(cell(&rows[1], "week_start"), "2026-11-02");
    assert_eq!((cell(&rows[1], "cases"), cell(&rows[1], "responses")), ("4".into(), "3".into()));
    let total = rows.last().unwrap();
    assert_eq!((cell(total, "week_start"), cell(total, "days"), cell(total, "cases")), ("total".into(), "30".into(), "4".into()));
    assert_eq!((cell(total, "average_rating"), cell(total, "response_rate"), cell(total, "remedy_cost")), ("4.2000".into(), "0.8333".into(), "30.00".into()));
    assert_eq!((cell(total, "first_response_target_share"), cell(total, "recovery_average_change")), ("0.7500".into(), "2.0000".into()));

    // Folded by the compactor, and rebuilt from scratch: the same figures,
    // from the summaries (no filter, one filter) and from the per-day rows
    // (filters combined, or an owner).
    let area_by_phone = metrics(&app, &manager, &format!("{NOVEMBER}&service_area_id={area}&channel=phone")).await;
    let same_after = |what: &'static str| {
        let (app, manager, m, phone, deliveries, area_by_phone) = (&app, &manager, &m, &phone, &deliveries, &area_by_phone);
        async move {
            assert_eq!(&metrics(app, manager, NOVEMBER).await, m, "{what} rollups give the same figures");
            assert_eq!(&metrics(app, manager, &format!("{NOVEMBER}&channel=phone")).await, phone, "{what}: one channel");
            assert_eq!(&metrics(app, manager, &format!("{NOVEMBER}&service_area_id={area}")).await, deliveries, "{what}: one area");
            assert_eq!(&metrics(app, manager, &format!("{NOVEMBER}&service_area_id={area}&channel=phone")).await, area_by_phone, "{what}: combined");
        }
    };
    while app.store.compact_rollups(3).await.unwrap() > 0 {}
    same_after("compacted").await;
    let report = app.store.rebuild_rollups().await.unwrap();
    assert_eq!((report.cases, report.responses, report.invitations), (4, 6, 8), "six invitations, two recovery ones; five responses and one recovery");
    assert!(report.summaries > report.rows, "every row counts in several summaries");
    same_after("rebuilt").await;
    let filtered = metrics(&app, &manager, &format!("{NOVEMBER}&owner_id={b_id}")).await;
    assert_eq!(filtered, owned_by_b, "per-owner rows rebuilt alike");

    // A change of calendar moves business times: the rollups follow it.
    let (s, v) = app.send(reqwest::Method::PUT, Some(&app.admin), "/api/v1/settings", Some(json!({ "timezone": "Europe/London", "currency": "GBP", "holidays": ["2026-11-03"] }))).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let holiday = metrics(&app, &manager, NOVEMBER).await;
    // K1 loses Tuesday's 8 hours: 57,600 − 28,800 = 28,800 s; it ties with K2's 28,800.
    near(&holiday["resolution"]["business"]["p90_seconds"], 28_800);
    // K4's first response loses them too: 86,400 − 28,800 = 57,600 s, still the slowest.
    near(&holiday["first_response"]["business"]["p90_seconds"], 57_600);
    let _ = (c7, k1, k3, k4);
}

/// The figures of the November above, worked out by hand.
fn check_november(m: &Value) {
    assert_eq!(m["cases"], 4);

    // Five feedback responses rated 5, 4, 3, 4, 5: mean 21 / 5 = 4.2.
    // Recommendation 10, 6, 5, 8, 9: promoters 10 and 9, passive 8,
    // detractors 6 and 5: 100 × (2 − 2) / 5 = 0. The recovery answer is not here.
    let s = &m["satisfaction"];
    assert_eq!((s["responses"].as_u64(), s["rated"].as_u64()), (Some(5), Some(5)));
    approx(&s["average_rating"], 4.2);
    assert_eq!(s["distribution"], json!([0, 0, 1, 2, 2]));
    assert_eq!(s["nps"], json!({ "answered": 5, "promoters": 2, "passives": 1, "detractors": 2, "score": 0.0 }));

    // Six feedback invitations (C1 twice, C2, C3, C6, C7), five answered.
    assert_eq!((m["response_rate"]["invitations"].as_u64(), m["response_rate"]["answered"].as_u64()), (Some(6), Some(5)));
    approx(&m["response_rate"]["rate"], 5.0 / 6.0);

    // Lags 86,400 (K1), 0 (K2), 7,200 (K3), 0 (K4): sorted 0, 0, 7,200,
    // 86,400; the median is rank ⌈4/2⌉ = 2 (0), the p90 rank ⌈3.6⌉ = 4.
    let lag = &m["identification_lag"];
    assert_eq!((lag["overall"]["count"].as_u64(), lag["overall"]["median_seconds"].as_u64()), (Some(4), Some(0)));
    near(&lag["overall"]["p90_seconds"], 86_400);
    let by: Vec<(&str, u64)> = lag["by_channel"].as_array().unwrap().iter().map(|c| (c["channel"].as_str().unwrap(), c["lag"]["median_seconds"].as_u64().unwrap())).collect();
    assert_eq!(by.iter().map(|b| b.0).collect::<Vec<_>>(), ["phone", "email", "web", "survey"]);
    near(&json!(by[0].1), 86_400);
    near(&json!(by[1].1), 7_200);

    // First response in business hours (Mon–Fri 09–17): K1 1 h; K2 4 h; K3
    // Fri 16–17 and Mon 09–10, 2 h; K4 Mon, Tue and Wed, 24 h. Sorted 3,600,
    // 7,200, 14,400, 86,400: median 7,200, p90 86,400. On the wall clock:
    // 3,600, 14,400, K3 Fri 16:00 → Mon 10:00 = 237,600, K4 3 days = 259,200.
    let fr = &m["first_response"];
    near(&fr["business"]["median_seconds"], 7_200);
    near(&fr["business"]["p90_seconds"], 86_400);
    near(&fr["calendar"]["median_seconds"], 14_400);
    near(&fr["calendar"]["p90_seconds"], 259_200);

    // Resolution: K1 Mon 10:00 → Wed 10:00 is 7 + 8 + 1 = 16 business hours
    // (57,600) and 172,800 calendar; K2 Thu 10:00 → Fri 10:00 is 7 + 1 = 8
    // hours (28,800) and 86,400. Two values: median rank 1, p90 rank 2.
    let res = &m["resolution"];
    assert_eq!(res["business"]["count"], 2);
    near(&res["business"]["median_seconds"], 28_800);
    near(&res["business"]["p90_seconds"], 57_600);
    near(&res["calendar"]["median_seconds"], 86_400);
    near(&res["calendar"]["p90_seconds"], 172_800);

    // First response within 2 business days: K1, K2, K3 met, K4 (due Wed
    // 09:00, answered Thu) late: 3 / 4. Resolution decided for the two
    // closed cases, both in time; the follow-ups of both within 5 days.
    let compliance: Vec<(&str, u64, u64)> =
        m["compliance"].as_array().unwrap().iter().map(|c| (c["target"].as_str().unwrap(), c["met"].as_u64().unwrap(), c["total"].as_u64().unwrap())).collect();
    assert_eq!(compliance, [("first_response", 3, 4), ("resolution", 2, 2), ("follow_up", 2, 2)]);
    approx(&m["compliance"][0]["share"], 0.75);

    // One transfer and one reopening over four cases.
    assert_eq!(m["transfers"], json!({ "transfers": 1, "per_case": 0.25, "flagged": 0 }));
    assert_eq!(m["reopens"], json!({ "reopened": 1, "reopens": 1, "rate": 0.25 }));
    // K1's £30 refund (K2's retraining has no value); K2's £5 flowers.
    assert_eq!((m["remedies"]["count"].as_u64(), m["remedies"]["cost"].as_str()), (Some(1), Some("30.00")));
    assert_eq!((m["gifts"]["count"].as_u64(), m["gifts"]["cost"].as_str()), (Some(1), Some("5.00")));
    // K2 opened on a 3, recovered to a 5: +2, improved.
    assert_eq!(m["recovery"], json!({ "measured": 1, "average_change": 2.0, "improved": 1, "share_improved": 1.0 }));

    // Loyalty. Resolved complainants: C3 (K1 closed 4 Nov; answered 5/9 on
    // the 9th) and C6 (K2 closed 6 Nov; answered only before, on the 5th):
    // 2 customers, 1 returned, one later response rated 5, a promoter.
    // Never complained: C1 (anchor 2 Nov; 4/8 on the 9th) and C2 (one
    // answer): 2 customers, 1 returned, one later response rated 4, a
    // passive. C4 and C5 complained and are not resolved; C7 never answered.
    let l = &m["loyalty"];
    let r = &l["resolved"];
    assert_eq!((r["customers"].as_u64(), r["returned"].as_u64(), r["responses"].as_u64(), r["rated"].as_u64()), (Some(2), Some(1), Some(1), Some(1)));
    approx(&r["repeat_response_rate"], 0.5);
    approx(&r["average_rating"], 5.0);
    assert_eq!(r["nps"], json!({ "answered": 1, "promoters": 1, "passives": 0, "detractors": 0, "score": 100.0 }));
    let n = &l["never_complained"];
    assert_eq!((n["customers"].as_u64(), n["returned"].as_u64(), n["responses"].as_u64()), (Some(2), Some(1), Some(1)));
    approx(&n["average_rating"], 4.0);
    assert_eq!(n["nps"], json!({ "answered": 1, "promoters": 0, "passives": 1, "detractors": 0, "score": 0.0 }));
    assert_eq!(l["unresolved"], 2);
    approx(&l["rating_difference"], 1.0);
}

async fn metrics_roles_and_bad_input(b: Backend) {
    let app = common::spawn(b).await;
    let (_, agent) = app.user("agent", "50").await;
    let (_, manager) = app.user("manager", "100").await;
    let (s, v) = app.get(&agent, NOVEMBER).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert!(v["detail"].as_str().unwrap().contains("managers"), "{v}");
    for (query, names) in [
        ("from=2026-12-01&to=2026-11-01", "after"),
        ("from=2026-13-01", "from"),
        ("channel=pigeon", "channel"),
        ("owner_id=abc", "owner_id"),
        ("from=2000-01-01&to=2026-11-30", "at most"),
        ("colour=red", "colour"),
    ] {
        let (s, v) = app.get(&manager, &format!("/api/v1/metrics?{query}")).await;
        // A period backwards or too long is well formed, and refused by a rule.
        let expected = if names == "after" || names == "at most" { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::BAD_REQUEST };
        assert_eq!(s, expected, "{query}: {v}");
        assert!(v["detail"].as_str().unwrap().contains(names), "{query}: {v}");
    }
    // Without a period: the 30 days ending today, empty but whole.
    let v = metrics(&app, &manager, "/api/v1/metrics").await;
    assert_eq!((v["from"].as_str(), v["to"].as_str(), v["cases"].as_u64()), (Some("2026-10-22"), Some("2026-11-20"), Some(0)));
    assert_eq!(v["satisfaction"]["average_rating"], Value::Null);
}

async fn the_insight_pages_download_csv(b: Backend) {
    use common::forms::Browser;
    let app = common::spawn(b).await;
    let password = "correct horse battery";
    for (name, role) in [("mia", "manager"), ("al", "agent")] {
        app.ok(&app.admin, "/api/v1/users", json!({ "name": name, "email": format!("{name}@example.com"), "role": role, "mandate": "50", "password": password })).await;
    }
    let customer = app.customer().await;
    let (_, agent_token) = app.user("agent", "50").await;
    app.ok(&agent_token, "/api/v1/cases", json!({ "customer_id": customer, "channel": "phone", "summary": "Late, \"again\", and\nbroken" })).await;
    let manager = Browser::sign_in(&app, "mia@example.com", password).await;
    let agent = Browser::sign_in(&app, "al@example.com", password).await;
    let (s, page) = manager.get("/console/insight?from=2026-11-01&to=2026-11-20").await;
    assert_eq!(s, StatusCode::OK);
    let link = page.split(r#"id="download-cases""#).next().unwrap().rsplit("href=\"").next().unwrap().to_string();
    assert!(link.starts_with("/console/insight/export/cases?from=2026-11-01&") && link.contains("to=2026-11-20"), "download links carry the filters: {link}");
    // The period's last day is included: the case reported on the 20th is there.
    let (s, text) = manager.get("/console/insight/export/cases?from=2026-11-01&to=2026-11-20").await;
    assert_eq!(s, StatusCode::OK);
    let rows: Vec<csv::StringRecord> = csv::Reader::from_reader(text.as_bytes()).records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 1);
    assert!(rows[0].iter().any(|f| f == "Late, \"again\", and\nbroken"), "a comma, quotes and a line break survive");
    let (s, text) = manager.get("/console/insight/export/metrics?from=2026-11-16&to=2026-11-20").await;
    assert_eq!(s, StatusCode::OK);
    assert!(text.starts_with("week_start,days,cases") && text.contains("total,5,1,"), "{text}");
    let (s, _) = manager.get("/console/insight/export/nothing").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = agent.get("/console/insight/export/cases").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, page) = manager.get("/console/insight?from=yesterday").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("from yesterday is not a date"), "a bad filter is named on the page");
}
