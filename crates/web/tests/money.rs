//! Money in every currency, at its ISO 4217 exponent: yen with no decimal
//! places, euros with two, Kuwaiti dinars with three. Mandates, remedies,
//! escalations, gifts and what they cost are taken in, refused, stored and
//! shown at the organisation's currency's exponent, over the API, on the
//! console's pages, in the customer's apology, the CSV export and the
//! insight figures; and the currency stays once amounts are recorded. On
//! both backends.

mod common;

use common::forms::Browser;
use common::{Backend, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// One currency's figures: the amounts as typed, as they read back, and
/// one refused for having places the currency does not.
struct Case {
    code: &'static str,
    mandate: (&'static str, &'static str),
    remedy: (&'static str, &'static str),
    escalated: (&'static str, &'static str),
    amended: (&'static str, &'static str),
    gift: (&'static str, &'static str),
    /// The agreed remedies summed, and with the gift what the cases cost.
    remedies: &'static str,
    total: &'static str,
    /// The first remedy in the customer's apology.
    in_apology: &'static str,
    too_fine: &'static str,
    refusal: &'static str,
}

const CASES: [Case; 3] = [
    Case {
        code: "JPY",
        mandate: ("5000", "5000"),
        remedy: ("1500.00", "1500"),
        escalated: ("20000", "20000"),
        amended: ("12000", "12000"),
        gift: ("800", "800"),
        remedies: "13500",
        total: "14300",
        in_apology: "¥1,500",
        too_fine: "1500.5",
        refusal: "JPY amounts are whole, with no decimal places",
    },
    Case {
        code: "EUR",
        mandate: ("50.5", "50.50"),
        remedy: ("12.5", "12.50"),
        escalated: ("200", "200.00"),
        amended: ("120.75", "120.75"),
        gift: ("5", "5.00"),
        remedies: "133.25",
        total: "138.25",
        in_apology: "€12.50",
        too_fine: "12.505",
        refusal: "EUR amounts have at most 2 decimal places",
    },
    Case {
        code: "KWD",
        mandate: ("12.505", "12.505"),
        remedy: ("1.25", "1.250"),
        escalated: ("20", "20.000"),
        amended: ("15.125", "15.125"),
        gift: ("0.5", "0.500"),
        remedies: "16.375",
        total: "16.875",
        in_apology: "KWD 1.250",
        too_fine: "1.2505",
        refusal: "KWD amounts have at most 3 decimal places",
    },
];

async fn put_settings(app: &TestApp, body: Value) -> (StatusCode, Value) {
    app.send(Method::PUT, Some(&app.admin), "/api/v1/settings", Some(body)).await
}

async fn staff(app: &TestApp, name: &str, role: &str, mandate: &str) -> (i64, String, Value) {
    let email = format!("{}@example.com", name.to_lowercase());
    let u = app.ok(&app.admin, "/api/v1/users", json!({ "name": name, "email": email, "role": role, "mandate": mandate, "password": "correct horse battery" })).await;
    let id = u["id"].as_i64().unwrap();
    let token = app.ok(&app.admin, &format!("/api/v1/users/{id}/tokens"), json!({})).await["token"].as_str().unwrap().to_string();
    (id, token, u)
}

async fn every_currency_at_its_own_exponent(b: Backend) {
    for c in &CASES {
        one_currency(b, c).await;
    }
}

async fn one_currency(b: Backend, c: &Case) {
    let app = common::spawn(b).await;
    let (s, v) = put_settings(&app, json!({ "timezone": "Europe/London", "currency": c.code.to_lowercase() })).await;
    assert_eq!((s, v["currency"].as_str()), (StatusCode::OK, Some(c.code)), "{v}");

    // Mandates at the currency's exponent; a finer one is refused, saying why.
    let (agent, agent_token, u) = staff(&app, "Alice", "agent", c.mandate.0).await;
    assert_eq!(u["mandate"], c.mandate.1, "{}", c.code);
    let (s, v) = app.post(&app.admin, "/api/v1/users", json!({ "name": "Fine", "role": "agent", "mandate": c.too_fine })).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(v["detail"].as_str().unwrap().contains(c.refusal), "{v}");
    let (_, manager_token, _) = staff(&app, "Max", "manager", "100000").await;

    // A remedy within the mandate, written at the exponent.
    let customer = app.customer().await;
    let case = app.case(&agent_token, customer, false).await;
    let path = |tail: &str| format!("/api/v1/cases/{case}{tail}");
    let before = app.timeline_len(case).await;
    let (s, v) = app.post(&agent_token, &path("/actions"), json!({ "description": "Refund", "remedy_kind": "refund", "remedy_value": c.too_fine })).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(v["detail"].as_str().unwrap().contains(c.refusal), "{v}");
    assert_eq!(app.timeline_len(case).await, before, "a refusal stores nothing");
    let v = app
        .ok(&agent_token, &path("/actions"), json!({ "description": "Refund", "remedy_kind": "refund", "remedy_value": c.remedy.0, "preventive_owner_id": agent }))
        .await;
    assert_eq!((v["actions"][0]["remedy_value"].as_str(), v["actions"][0]["status"].as_str()), (Some(c.remedy.1), Some("agreed")), "{v}");

    // An escalation above the mandate, amended by a manager at the exponent.
    let second = app.case(&agent_token, customer, false).await;
    let v = app.ok(&agent_token, &format!("/api/v1/cases/{second}/actions"), json!({ "description": "Replace", "remedy_value": c.escalated.0 })).await;
    assert_eq!((v["status"].as_str(), v["actions"][0]["remedy_value"].as_str()), (Some("awaiting_approval"), Some(c.escalated.1)), "{v}");
    let (s, v) = app.post(&manager_token, &format!("/api/v1/cases/{second}/approvals"), json!({ "decision": "amend", "amended_value": c.too_fine })).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let v = app.ok(&manager_token, &format!("/api/v1/cases/{second}/approvals"), json!({ "decision": "amend", "amended_value": c.amended.0 })).await;
    assert_eq!(v["actions"][0]["remedy_value"], c.amended.1, "{v}");
    assert_eq!(v["actions"][0]["proposed_value"], c.escalated.1, "{v}");
    let v = app.ok(&agent_token, &format!("/api/v1/cases/{second}/gifts"), json!({ "description": "Flowers", "cost": c.gift.0 })).await;
    assert_eq!(v["gifts"][0]["cost"], c.gift.1, "{v}");

    // The customer's apology writes the remedy as their language does.
    let (_, notes) = app.get(&app.admin, &format!("/api/v1/notifications?case_id={case}&kind=apology")).await;
    assert!(notes[0]["body"].as_str().unwrap().contains(c.in_apology), "{}: {notes}", c.in_apology);

    // A problem's cost, the insight figures and the export, at the exponent.
    let problem = app.ok(&app.admin, "/api/v1/problems", json!({ "title": "Couriers drop parcels" })).await;
    let zero = if c.code == "JPY" { "0" } else if c.code == "EUR" { "0.00" } else { "0.000" };
    assert_eq!(problem["cost"]["total"], zero, "nothing linked yet: {problem}");
    let problem = problem["id"].as_i64().unwrap();
    let linked = app.ok(&app.admin, &format!("/api/v1/problems/{problem}/cases"), json!({ "case_ids": [case, second] })).await;
    assert_eq!(linked["cost"]["total"], c.total, "{linked}");
    let (_, m) = app.get(&manager_token, "/api/v1/metrics?from=2026-11-01&to=2026-11-30").await;
    assert_eq!((m["remedies"]["cost"].as_str(), m["gifts"]["cost"].as_str()), (Some(c.remedies), Some(c.gift.1)), "{m}");
    let resp = app.http.get(format!("{}/api/v1/export/cases", app.base)).bearer_auth(&manager_token).send().await.unwrap();
    let csv = resp.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let header = reader.headers().unwrap().clone();
    let at = |name: &str| header.iter().position(|h| h == name).unwrap();
    let values: Vec<String> = reader.records().map(|r| r.unwrap()[at("remedy_value")].to_string()).collect();
    assert!(values.contains(&c.remedy.1.to_string()) && values.contains(&c.amended.1.to_string()), "{values:?}");

    // The console shows the amounts with the currency's code.
    let browser = Browser::sign_in(&app, "max@example.com", "correct horse battery").await;
    let (_, html) = browser.get(&format!("/console/cases/{second}")).await;
    assert!(html.contains(&format!("{} {}", c.code, c.amended.1)) && html.contains(&format!("{} {}", c.code, c.gift.1)), "{html}");
    let (_, html) = browser.get(&format!("/console/problems/{problem}")).await;
    assert!(html.contains(&format!("{} {}", c.code, c.total)), "{html}");

    // Once amounts are recorded, the currency stays.
    let other = if c.code == "EUR" { "GBP" } else { "EUR" };
    let (s, v) = put_settings(&app, json!({ "currency": other })).await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert!(v["detail"].as_str().unwrap().contains(&format!("amounts are recorded in {}", c.code)), "{v}");
    assert_eq!(app.get(&app.admin, "/api/v1/settings").await.1["currency"], c.code);
    // The console's settings page says the same, with what was typed kept.
    staff(&app, "Root", "admin", "0").await;
    let admin = Browser::sign_in(&app, "root@example.com", "correct horse battery").await;
    let form = [
        ("name", "Redress"),
        ("timezone", "Europe/London"),
        ("currency", other),
        ("hours.mon", "09:00-17:00"),
        ("targets.first_response", "2d"),
        ("targets.update_interval", "1d"),
        ("targets.resolution", "10d"),
        ("targets.follow_up", "5d"),
        ("transfer_flag_after", "2"),
        ("fast_report_within_hours", "24"),
        ("fast_report_points", "10"),
        ("invitation_valid_days", "30"),
    ];
    let resp = admin.post("/console/admin/settings", &form).await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    let html = resp.text().await.unwrap();
    assert!(html.contains(&format!("amounts are recorded in {}", c.code)) && html.contains(&format!(r#"value="{other}""#)), "{html}");
    assert_eq!(app.get(&app.admin, "/api/v1/settings").await.1["currency"], c.code);
}

/// Before any case carries an amount the currency may change, and the
/// mandates are written at the new exponent; a mandate with places the new
/// currency does not have holds the change up, naming whose it is.
async fn the_currency_changes_only_before_amounts_exist(b: Backend) {
    let app = common::spawn(b).await;
    let (s, _) = put_settings(&app, json!({ "currency": "EUR" })).await;
    assert_eq!(s, StatusCode::OK);
    let (alice, _, _) = staff(&app, "Alice", "agent", "50").await;
    let (bob, _, _) = staff(&app, "Bob", "agent", "50.50").await;
    let (s, v) = put_settings(&app, json!({ "currency": "JPY" })).await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert!(v["detail"].as_str().unwrap().contains(&format!("user {bob}'s mandate 50.50")), "{v}");
    assert_eq!(app.get(&app.admin, "/api/v1/settings").await.1["currency"], "EUR", "nothing changed");
    assert_eq!(app.get(&app.admin, &format!("/api/v1/users/{alice}")).await.1["mandate"], "50.00");
    app.send(Method::PATCH, Some(&app.admin), &format!("/api/v1/users/{bob}"), Some(json!({ "mandate": "60" }))).await;
    let (s, v) = put_settings(&app, json!({ "currency": "KWD" })).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(app.get(&app.admin, &format!("/api/v1/users/{alice}")).await.1["mandate"], "50.000");
    let (s, v) = put_settings(&app, json!({ "currency": "JPY" })).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(app.get(&app.admin, &format!("/api/v1/users/{bob}")).await.1["mandate"], "60");
    // Codes with no minor unit are not money a complaint is settled in.
    let (s, v) = put_settings(&app, json!({ "currency": "XAU" })).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(v["detail"].as_str().unwrap().contains("has no minor unit"), "{v}");
}

both_backends!(every_currency_at_its_own_exponent, the_currency_changes_only_before_amounts_exist);
