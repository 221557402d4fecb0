//! Partner accounts (retailers) in the console and over the API: they sign
//! in where staff do and see only the cases they submitted, submit retailer
//! cases for their customers, write to the owner, and are refused every
//! staff page and route. On both backends.

mod common;

use common::forms::{client, Browser};
use common::{Backend, TestApp};
use reqwest::{header, StatusCode};
use serde_json::{json, Value};

both_backends!(
    a_partner_sees_only_the_cases_it_submitted,
    a_partner_is_refused_every_staff_page_and_route,
    a_partner_submits_retailer_cases_that_intake_owns,
    a_partner_writes_to_the_owner_on_its_own_cases_only,
    the_partner_case_page_keeps_internal_matters_internal
);

const PASSWORD: &str = "correct horse battery";

/// A new account with a password, its token and a browser signed in as it.
async fn account(app: &TestApp, name: &str, role: &str, mandate: &str) -> (i64, String, Browser) {
    let email = format!("{}@example.com", name.to_lowercase().replace(' ', "."));
    let u = app.ok(&app.admin, "/api/v1/users", json!({ "name": name, "email": email, "role": role, "mandate": mandate, "password": PASSWORD })).await;
    let id = u["id"].as_i64().unwrap();
    let token = app.ok(&app.admin, &format!("/api/v1/users/{id}/tokens"), json!({})).await["token"].as_str().unwrap().to_string();
    (id, token, Browser::sign_in(app, &email, PASSWORD).await)
}

/// A retailer case submitted over the API by `token`'s partner.
async fn retailer_case(app: &TestApp, token: &str, customer: i64, summary: &str) -> i64 {
    app.ok(token, "/api/v1/cases", json!({ "customer_id": customer, "channel": "retailer", "summary": summary })).await["id"].as_i64().unwrap()
}

/// The partner form's fields for a customer and a problem, with `extra` added.
fn submission<'a>(email: &'a str, summary: &'a str, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut f = vec![
        ("customer.name", "Pat Shopper"),
        ("customer.email", email),
        ("customer.phone", "+44 20 7946 0000"),
        ("case.summary", summary),
        ("case.description", "Bought in store; it stopped heating after a week."),
        ("case.occurred_at", "2026-11-18T10:30"),
        ("case.desired_resolution", "A working kettle"),
    ];
    f.extend_from_slice(extra);
    f
}

/// Submits the partner form; answers the new case's id.
async fn submit(b: &Browser, fields: &[(&str, &str)]) -> i64 {
    let resp = b.post("/console/partner/cases/new", fields).await;
    let status = resp.status();
    let location = resp.headers().get(header::LOCATION).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    assert_eq!(status, StatusCode::SEE_OTHER, "{}", resp.text().await.unwrap());
    location.strip_prefix("/console/partner/cases/").and_then(|id| id.parse().ok()).unwrap_or_else(|| panic!("redirected to {location}"))
}

fn ids(page: &Value) -> Vec<i64> {
    let mut ids: Vec<i64> = page["items"].as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect();
    ids.sort_unstable();
    ids
}

async fn case_json(app: &TestApp, id: i64) -> Value {
    app.case_json(id).await
}

/// What a case holds that a message could add to: contacts, events, notices.
async fn footprint(app: &TestApp, id: i64) -> (usize, usize, usize) {
    let c = case_json(app, id).await;
    let notes = app.get(&app.admin, &format!("/api/v1/notifications?case_id={id}")).await.1;
    (c["communications"].as_array().unwrap().len(), c["timeline"].as_array().unwrap().len(), notes.as_array().unwrap().len())
}

/// Fields a person fills in that have no label pointing at them.
fn unlabelled(html: &str) -> Vec<String> {
    let mut missing = Vec::new();
    for tag in ["<input", "<select", "<textarea"] {
        for rest in html.split(tag).skip(1) {
            let element = rest.split('>').next().unwrap_or_default();
            if element.contains(r#"type="hidden""#) || element.contains(r#"type="submit""#) {
                continue;
            }
            match element.split(r#"id=""#).nth(1).and_then(|s| s.split('"').next()) {
                Some(id) if html.contains(&format!(r#"for="{id}""#)) => {}
                _ => missing.push(format!("{tag} {element}")),
            }
        }
    }
    missing
}

async fn a_partner_sees_only_the_cases_it_submitted(b: Backend) {
    let app = common::spawn(b).await;
    app.london().await;
    let (_, agent, _) = account(&app, "Alice", "agent", "50").await;
    let (_, shop_token, shop) = account(&app, "Corner Shop", "partner", "0").await;
    let (_, other_token, other) = account(&app, "Other Shop", "partner", "0").await;
    let customer = app.customer().await;
    let by_api = retailer_case(&app, &shop_token, customer, "Toaster sparks").await;
    let by_form = submit(&shop, &submission("pat@shopper.example", "Kettle stopped heating", &[])).await;
    let theirs = retailer_case(&app, &other_token, customer, "Lamp flickers").await;
    let staff_case = app.case(&agent, customer, false).await;

    // Over the API.
    assert_eq!(ids(&app.get(&shop_token, "/api/v1/cases").await.1), vec![by_api, by_form]);
    assert_eq!(ids(&app.get(&other_token, "/api/v1/cases").await.1), vec![theirs]);
    for id in [by_api, by_form] {
        assert_eq!(app.get(&shop_token, &format!("/api/v1/cases/{id}")).await.0, StatusCode::OK);
    }
    for id in [theirs, staff_case, 999_999] {
        let (s, v) = app.get(&shop_token, &format!("/api/v1/cases/{id}")).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "case {id}: {v}");
    }

    // In the console: the list, and one page per own case.
    let (s, html) = shop.get("/console/partner").await;
    assert_eq!(s, StatusCode::OK);
    for (id, summary) in [(by_api, "Toaster sparks"), (by_form, "Kettle stopped heating")] {
        assert!(html.contains(&format!(r#"href="/console/partner/cases/{id}""#)) && html.contains(summary), "{summary} listed:\n{html}");
    }
    assert!(html.contains("Pat Shopper") && html.contains("Ada Customer"), "the customers' names");
    assert!(html.contains("Received, not yet answered"), "the status in words");
    assert!(!html.contains("Lamp flickers") && !html.contains("Parcel arrived broken"), "nobody else's cases");
    assert!(!html.contains(&format!("/console/partner/cases/{theirs}\"")) && !html.contains(&format!("/console/partner/cases/{staff_case}\"")));
    let (_, theirs_list) = other.get("/console/partner").await;
    assert!(theirs_list.contains("Lamp flickers") && !theirs_list.contains("Toaster sparks") && !theirs_list.contains("Kettle stopped"));

    let (s, html) = shop.get(&format!("/console/partner/cases/{by_form}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("Kettle stopped heating") && html.contains("stopped heating after a week") && html.contains("A working kettle"));
    assert!(html.contains("Pat Shopper") && html.contains(r#"id="owner">Admin<"#), "the owner by name (the first supervisor): {html}");

    // Someone else's case reads exactly as a case that does not exist.
    let (s, missing) = shop.get("/console/partner/cases/999999").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    for id in [theirs, staff_case] {
        let (s, html) = shop.get(&format!("/console/partner/cases/{id}")).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "case {id}");
        assert!(!html.contains("Lamp flickers") && !html.contains("Parcel arrived broken") && !html.contains("Ada Customer"), "{html}");
        assert_eq!(html.replace(&format!("case {id}."), "case N."), missing.replace("case 999999.", "case N."), "no hint that case {id} exists");
    }
    for path in ["/console/partner/cases/abc", "/console/partner/cases/-1", "/console/partner/cases/99999999999999999999"] {
        let (s, html) = shop.get(path).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{path}");
        assert!(html.contains("Case not found"), "{path}: a page, not a bare error");
    }

    // Every link of the partner pages answers, titled, with labelled fields.
    let mut seen = std::collections::BTreeSet::new();
    let mut queue = vec!["/console/partner".to_string()];
    while let Some(path) = queue.pop() {
        if !seen.insert(path.clone()) {
            continue;
        }
        let (s, html) = shop.get(&path).await;
        assert_eq!(s, StatusCode::OK, "{path}");
        assert!(html.contains("<title>") && !html.contains("<title></title>"), "{path}");
        assert!(unlabelled(&html).is_empty(), "{path}: fields without a label: {:?}", unlabelled(&html));
        for link in html.split("href=\"").skip(1).filter_map(|s| s.split('"').next()).filter(|h| h.starts_with("/console")) {
            queue.push(link.to_string());
        }
    }
    assert!(seen.len() >= 4, "the list, the form and both cases: {seen:?}");
    assert!(seen.iter().all(|p| p.starts_with("/console/partner")), "partner pages link only to partner pages: {seen:?}");
}

async fn a_partner_is_refused_every_staff_page_and_route(b: Backend) {
    let app = common::spawn(b).await;
    app.london().await;
    let (agent_id, agent_token, agent) = account(&app, "Alice", "agent", "50").await;
    let (_, shop_token, shop) = account(&app, "Corner Shop", "partner", "0").await;
    let customer = app.customer().await;
    let mine = retailer_case(&app, &shop_token, customer, "Toaster sparks").await;
    let staff_case = app.case(&agent_token, customer, false).await;
    let problem = app.ok(&app.admin, "/api/v1/problems", json!({ "title": "Thin boxes" })).await["id"].as_i64().unwrap();

    // The console's home leads a partner to their own cases.
    let resp = client().get(format!("{}/console", app.base)).header(header::COOKIE, shop.cookie()).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(resp.headers()[header::LOCATION], "/console/partner");
    let pages = [
        "/console/cases/new".to_string(),
        format!("/console/cases/{mine}"),
        format!("/console/cases/{staff_case}"),
        "/console/customers".into(),
        format!("/console/customers/{customer}"),
        "/console/problems".into(),
        format!("/console/problems/{problem}"),
        "/console/areas".into(),
        "/console/surveys".into(),
        "/console/outbox".into(),
        "/console/attachments/1".into(),
        "/console/admin".into(),
        "/console/admin/staff".into(),
        format!("/console/admin/staff/{agent_id}"),
        "/console/admin/settings".into(),
        "/console/admin/rules".into(),
        "/console/admin/integrations".into(),
    ];
    for path in &pages {
        let (s, html) = shop.get(path).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{path}");
        assert!(html.contains("This page is for staff"), "{path}: {html}");
        assert!(html.contains(r#"href="/console/partner""#) && !html.contains(r#"href="/console/customers""#), "{path}: the way back is to their own cases");
        assert!(!html.contains("Parcel arrived broken") && !html.contains("Ada Customer"), "{path} shows nothing of the case");
    }
    // Staff forms too; nothing is stored.
    let before = (footprint(&app, mine).await, app.case_count().await);
    for (path, fields) in [
        (format!("/console/cases/{mine}/communications"), vec![("direction", "outbound"), ("channel", "phone"), ("body", "Hello")]),
        (format!("/console/cases/{mine}/close"), vec![("note", "done")]),
        ("/console/cases/new".to_string(), vec![("customer.email", "x@example.com"), ("customer.name", "X"), ("case.channel", "retailer"), ("case.summary", "S")]),
        ("/console/problems".to_string(), vec![("title", "Mine now")]),
        (format!("/console/admin/staff/{agent_id}"), vec![("name", "Renamed"), ("role", "partner")]),
    ] {
        let resp = shop.post(&path, &fields).await;
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{path}");
    }
    assert_eq!((footprint(&app, mine).await, app.case_count().await), before);
    assert_eq!(app.get(&app.admin, "/api/v1/problems").await.1.as_array().unwrap().len(), 1);
    assert_eq!(app.get(&app.admin, &format!("/api/v1/users/{agent_id}")).await.1["name"], "Alice");

    // Over the API, every staff route.
    for path in [
        "/api/v1/customers".to_string(),
        format!("/api/v1/customers/{customer}"),
        format!("/api/v1/customers/{customer}/rewards"),
        "/api/v1/users".into(),
        format!("/api/v1/users/{agent_id}"),
        "/api/v1/notifications".into(),
        "/api/v1/service-areas".into(),
        "/api/v1/problems".into(),
        "/api/v1/settings".into(),
        "/api/v1/follow-up-rules".into(),
        "/api/v1/surveys".into(),
        "/api/v1/responses".into(),
        "/api/v1/jobs".into(),
        "/api/v1/webhooks".into(),
        format!("/api/v1/cases/{mine}/attachments"),
    ] {
        let (s, v) = app.get(&shop_token, &path).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "GET {path}: {v}");
    }
    for (path, body) in [
        ("/api/v1/customers".to_string(), json!({ "name": "Sneaky" })),
        ("/api/v1/service-areas".into(), json!({ "name": "Mine", "service_manager_id": agent_id })),
        ("/api/v1/problems".into(), json!({ "title": "Mine" })),
        ("/api/v1/users".into(), json!({ "name": "Me too", "role": "admin" })),
        (format!("/api/v1/cases/{mine}/actions"), json!({ "description": "Refund", "remedy_value": "10" })),
        (format!("/api/v1/cases/{mine}/approvals"), json!({ "decision": "approve" })),
        (format!("/api/v1/cases/{mine}/preventive"), json!({ "owner_id": agent_id, "root_cause": "x" })),
        (format!("/api/v1/cases/{mine}/follow-up"), json!({ "outcome": "resolved", "satisfaction": 5 })),
        (format!("/api/v1/cases/{mine}/transfer"), json!({ "to_user_id": agent_id, "reason": "x" })),
        (format!("/api/v1/cases/{mine}/deviations"), json!({ "step": "follow_up", "reason": "x" })),
        (format!("/api/v1/cases/{mine}/gifts"), json!({ "description": "x", "cost": "1" })),
        (format!("/api/v1/cases/{mine}/reports"), json!({ "summary": "x", "actions": ["y"] })),
        (format!("/api/v1/cases/{mine}/close"), json!({})),
        (format!("/api/v1/cases/{mine}/communications"), json!({ "direction": "outbound", "channel": "retailer", "body": "Sorted" })),
    ] {
        let (s, v) = app.post(&shop_token, &path, body).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "POST {path}: {v}");
    }
    let (s, _) = app.send(reqwest::Method::PATCH, Some(&shop_token), &format!("/api/v1/cases/{mine}"), Some(json!({ "facts": "mine" }))).await;
    assert!(s == StatusCode::FORBIDDEN, "PATCH a case: {s}");
    assert_eq!(footprint(&app, mine).await, before.0, "nothing stored");

    // Staff are refused the partner pages: they have their own console.
    for path in ["/console/partner".to_string(), "/console/partner/cases/new".into(), format!("/console/partner/cases/{mine}")] {
        let (s, html) = agent.get(&path).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{path}");
        assert!(html.contains("for partner accounts"), "{path}");
    }
    let resp = agent.post(&format!("/console/partner/cases/{mine}/messages"), &[("message", "As staff")]).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert_eq!(footprint(&app, mine).await, before.0);

    // Signed out, a partner page asks for a sign-in and comes back; signing
    // in lands a partner on their cases, whatever staff page was asked for.
    let resp = client().get(format!("{}/console/partner/cases/{mine}", app.base)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(resp.headers()[header::LOCATION], format!("/console/login?next=%2Fconsole%2Fpartner%2Fcases%2F{mine}"));
    for (next, lands) in [("/console/customers".to_string(), "/console/partner".to_string()), (format!("/console/partner/cases/{mine}"), format!("/console/partner/cases/{mine}"))] {
        let (cookie, token) = common::forms::csrf(&app, "/console/login").await;
        let resp = common::forms::post_form(&app, "/console/login", &cookie, &[("csrf", &token), ("email", "corner.shop@example.com"), ("password", PASSWORD), ("next", &next)]).await;
        assert_eq!(resp.status(), StatusCode::SEE_OTHER);
        assert_eq!(resp.headers()[header::LOCATION].to_str().unwrap(), lands, "after asking for {next}");
    }
    // A deactivated partner is signed out at once.
    let shop_id = app.get(&shop_token, "/api/v1/me").await.1["id"].as_i64().unwrap();
    let (s, _) = app.send(reqwest::Method::PATCH, Some(&app.admin), &format!("/api/v1/users/{shop_id}"), Some(json!({ "active": false }))).await;
    assert_eq!(s, StatusCode::OK);
    let resp = client().get(format!("{}/console/partner", app.base)).header(header::COOKIE, shop.cookie()).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert!(resp.headers()[header::LOCATION].to_str().unwrap().starts_with("/console/login"));
}

async fn a_partner_submits_retailer_cases_that_intake_owns(b: Backend) {
    let app = common::spawn(b).await;
    app.london().await;
    let admin_id = app.get(&app.admin, "/api/v1/me").await.1["id"].as_i64().unwrap();
    let (mia, _, _) = account(&app, "Mia", "manager", "100").await;
    let (dora, _, _) = account(&app, "Dora", "agent", "50").await;
    let (alice, alice_token, staff) = account(&app, "Alice", "agent", "50").await;
    let (shop_id, shop_token, shop) = account(&app, "Corner Shop", "partner", "0").await;
    let customer = app.customer().await;
    let area = app.ok(&app.admin, "/api/v1/service-areas", json!({ "name": "Kettles", "service_manager_id": mia })).await["id"].as_i64().unwrap();

    // Over the API: only retailer cases, and never an owner of its choosing.
    for channel in ["phone", "email", "web", "social", "survey", "in_person"] {
        let (s, v) = app.post(&shop_token, "/api/v1/cases", json!({ "customer_id": customer, "channel": channel, "summary": "x" })).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{channel}: {v}");
        assert!(v["detail"].as_str().unwrap().contains("only submit retailer cases"), "{v}");
    }
    let (s, _) = app.post(&shop_token, "/api/v1/cases", json!({ "customer_id": customer, "channel": "retailer", "summary": "x", "owner_id": alice })).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(app.case_count().await, 0);

    // In the console the case is always a retailer case, whatever is posted;
    // its owner comes from intake: the area's manager…
    let forged = [("case.channel", "phone"), ("case.owner_id", "3"), ("case.significant", "on"), ("case.severity", "critical"), ("case.reported_at", "2026-11-01T09:00"), ("customer.timezone", "Mars/Olympus")];
    let area_s = area.to_string();
    let mut fields = submission("ada@customer.example", "Kettle leaks", &forged);
    fields.extend([("case.service_area_id", area_s.as_str()), ("case.order_reference", "R-4411")]);
    let with_area = submit(&shop, &fields).await;
    let c = case_json(&app, with_area).await;
    assert_eq!((c["channel"].as_str(), c["owner_id"].as_i64(), c["created_by"].as_i64()), (Some("retailer"), Some(mia), Some(shop_id)), "{c}");
    assert_eq!((c["significant"].as_bool(), c["severity"].as_str(), c["service_area_id"].as_i64()), (Some(false), Some("normal"), Some(area)));
    assert_eq!(c["customer_id"], customer, "the customer found by e-mail");
    assert_eq!(c["order_reference"], "R-4411");
    assert!(shop.get(&format!("/console/partner/cases/{with_area}")).await.1.contains(r#"id="order">R-4411<"#));
    assert_eq!(c["occurred_at"], "2026-11-18T10:30:00Z", "when it happened, in the organisation's zone");
    assert_eq!(c["reported_at"], common::FRIDAY_1659, "reported now");
    assert_eq!(c["submitted_by_partner"], json!({ "id": shop_id, "name": "Corner Shop" }));
    assert_eq!(app.get(&app.admin, "/api/v1/customers").await.1.as_array().unwrap().len(), 1, "no second customer");
    // …else the first supervisor…
    let first = submit(&shop, &submission("new@shopper.example", "Toaster sparks", &[])).await;
    assert_eq!(case_json(&app, first).await["owner_id"], admin_id);
    // …else, once set, the organisation's default owner.
    let (s, v) = app.send(reqwest::Method::PUT, Some(&app.admin), "/api/v1/settings", Some(json!({ "default_owner_id": dora }))).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let defaulted = submit(&shop, &submission("new@shopper.example", "Iron scorches", &[])).await;
    assert_eq!(case_json(&app, defaulted).await["owner_id"], dora);
    let (_, flash) = shop.get(&format!("/console/partner/cases/{defaulted}")).await;
    assert!(flash.contains(r#"id="flash""#) && flash.contains("submitted. Dora looks after it"), "{flash}");

    // A new customer is recorded from what the partner gave.
    let customers = app.get(&app.admin, "/api/v1/customers").await.1;
    let pat = customers.as_array().unwrap().iter().find(|c| c["email"] == "new@shopper.example").expect("recorded once");
    assert_eq!((pat["name"].as_str(), pat["phone"].as_str(), pat["timezone"].as_str()), (Some("Pat Shopper"), Some("+44 20 7946 0000"), Some("Europe/London")));
    assert_eq!(customers.as_array().unwrap().len(), 2);

    // Nothing is stored unless both the customer and the case are acceptable.
    let count = app.case_count().await;
    for (fields, says) in [
        (submission("", "No e-mail", &[]), "e-mail address"),
        (submission("not an address", "Bad e-mail", &[]), "e-mail"),
        (vec![("customer.email", "nameless@example.com"), ("case.summary", "No name"), ("case.occurred_at", "2026-11-18T10:30")], "there is no customer with that e-mail"),
        (submission("later@example.com", "In the future", &[("case.occurred_at", "2026-12-24T10:00")]), "after reported_at"),
        (submission("later@example.com", "", &[]), "summary must not be empty"),
        (vec![("customer.email", "later@example.com"), ("customer.name", "L"), ("case.summary", "When?")], "when it happened"),
        (submission("later@example.com", "Odd area", &[("case.service_area_id", "999")]), "service_area_id 999 does not exist"),
        (submission("later@example.com", "Odd area", &[("case.service_area_id", "kettles")]), "service_area_id"),
        (submission("later@example.com", &"S".repeat(400), &[]), "summary is longer"),
    ] {
        let resp = shop.post("/console/partner/cases/new", &fields).await;
        let status = resp.status();
        let html = resp.text().await.unwrap();
        assert!(status.is_client_error(), "{says}: {status}");
        assert!(html.contains(r#"id="error""#) && html.contains(says), "{says}: {html}");
        let summary = fields.iter().find(|(k, _)| *k == "case.summary").map(|(_, v)| *v).unwrap_or_default();
        assert!(html.contains(&format!("value=\"{summary}\"")), "what was typed is kept");
        assert!(html.contains(r#"href="/console/partner""#), "in the partner's frame");
    }
    assert_eq!(app.case_count().await, count);
    assert_eq!(app.get(&app.admin, "/api/v1/customers").await.1.as_array().unwrap().len(), 2, "no customer without a case");
    let resp = shop.post_raw("/console/partner/cases/new", &submission("csrf@example.com", "No token", &[])).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN, "a form without its CSRF token");
    assert_eq!(app.case_count().await, count);

    // Staff see who submitted it, on the case page and over the API.
    let (_, html) = staff.get(&format!("/console/cases/{with_area}")).await;
    assert!(html.contains(r#"<p id="submitted-by">Submitted by partner Corner Shop</p>"#), "{html}");
    let staff_case = app.case(&alice_token, customer, false).await;
    let (_, html) = staff.get(&format!("/console/cases/{staff_case}")).await;
    assert!(!html.contains("submitted-by") && !html.contains("Submitted by partner"));
    assert_eq!(case_json(&app, staff_case).await["submitted_by_partner"], Value::Null);
}

async fn a_partner_writes_to_the_owner_on_its_own_cases_only(b: Backend) {
    let app = common::spawn(b).await;
    app.london().await;
    let (max, _, owner) = account(&app, "Max", "manager", "500").await;
    let (_, agent_token, _) = account(&app, "Alice", "agent", "50").await;
    let (shop_id, shop_token, shop) = account(&app, "Corner Shop", "partner", "0").await;
    let (_, other_token, other) = account(&app, "Other Shop", "partner", "0").await;
    let (s, _) = app.send(reqwest::Method::PUT, Some(&app.admin), "/api/v1/settings", Some(json!({ "default_owner_id": max }))).await;
    assert_eq!(s, StatusCode::OK);
    let customer = app.customer().await;
    let mine = retailer_case(&app, &shop_token, customer, "Toaster sparks").await;
    let theirs = retailer_case(&app, &other_token, customer, "Lamp flickers").await;
    let staff_case = app.case(&agent_token, customer, false).await;
    assert_eq!(case_json(&app, mine).await["owner_id"], max);

    // In the console.
    let page = format!("/console/partner/cases/{mine}");
    let resp = shop.post(&format!("{page}/messages"), &[("message", "The customer came back to the shop: <b>still sparking</b>.")]).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{}", resp.text().await.unwrap());
    assert_eq!(resp.headers()[header::LOCATION].to_str().unwrap(), page);
    let (_, html) = shop.get(&page).await;
    assert!(html.contains(r#"id="flash">Message sent. Max has been told."#), "{html}");
    assert!(html.contains("&#60;b&#62;still sparking&#60;/b&#62;") && !html.contains("<b>still"), "shown as text");
    let c = case_json(&app, mine).await;
    let comm = &c["communications"][0];
    assert_eq!((comm["direction"].as_str(), comm["channel"].as_str(), comm["actor_id"].as_i64()), (Some("inbound"), Some("retailer"), Some(shop_id)), "{c}");
    assert!(comm["body"].as_str().unwrap().contains("still sparking"));
    assert!(c["timeline"].as_array().unwrap().iter().any(|e| e["kind"] == "customer_message" && e["summary"] == "Message from partner Corner Shop"));

    // Over the API.
    let (s, v) = app.post(&shop_token, &format!("/api/v1/cases/{mine}/communications"), json!({ "direction": "inbound", "channel": "retailer", "body": "Receipt number 4411 for your records." })).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["id"], mine);
    let c = case_json(&app, mine).await;
    assert_eq!(c["communications"].as_array().unwrap().len(), 2);
    assert_eq!(c["communications"][1]["body"], "Receipt number 4411 for your records.");
    assert_eq!(c["communications"][1]["actor_id"], shop_id);

    // Each told the owner.
    let notes = app.get(&app.admin, &format!("/api/v1/notifications?case_id={mine}&kind=case_message")).await.1;
    let notes = notes.as_array().unwrap();
    assert_eq!(notes.len(), 2, "{notes:?}");
    assert!(notes.iter().all(|n| n["recipient"] == json!({ "kind": "user", "id": max }) && n["subject"].as_str().unwrap().contains("from Corner Shop")));

    // Staff read both on the case page's timeline, in their place.
    let (_, html) = owner.get(&format!("/console/cases/{mine}")).await;
    let timeline = &html[html.find(r#"id="timeline""#).unwrap()..];
    assert!(timeline.contains("Message from partner Corner Shop") && timeline.contains("Receipt number 4411"), "{timeline}");
    assert!(timeline.contains(r#"<li class="inbound">"#), "marked as inbound");
    assert!(!timeline.contains("From the customer by retailer"), "each message sits at its own event");

    // The partner sees the exchange, a staff reply included.
    app.ok(&app.admin, &format!("/api/v1/cases/{mine}/communications"), json!({ "direction": "outbound", "channel": "phone", "body": "Called the customer: a new toaster is on its way." })).await;
    let (_, html) = shop.get(&page).await;
    let messages = &html[html.find(r#"id="messages""#).unwrap()..];
    assert!(messages.contains("You") && messages.contains("Receipt number 4411") && messages.contains("a new toaster is on its way"), "{messages}");
    assert!(messages.contains("Admin to the customer, by phone"));

    // Refused: anything but an inbound retailer message now, an empty one,
    // and any case the partner did not submit — and nothing is stored.
    let before = [footprint(&app, mine).await, footprint(&app, theirs).await, footprint(&app, staff_case).await];
    for (body, status) in [
        (json!({ "direction": "outbound", "channel": "retailer", "body": "x" }), StatusCode::FORBIDDEN),
        (json!({ "direction": "inbound", "channel": "phone", "body": "x" }), StatusCode::FORBIDDEN),
        (json!({ "direction": "inbound", "channel": "retailer", "body": "x", "at": "2026-11-20T10:00:00Z" }), StatusCode::UNPROCESSABLE_ENTITY),
        (json!({ "direction": "inbound", "channel": "retailer", "body": "   " }), StatusCode::UNPROCESSABLE_ENTITY),
        (json!({ "direction": "sideways", "channel": "retailer", "body": "x" }), StatusCode::UNPROCESSABLE_ENTITY),
    ] {
        let (s, v) = app.post(&shop_token, &format!("/api/v1/cases/{mine}/communications"), body.clone()).await;
        assert_eq!(s, status, "{body}: {v}");
    }
    let inbound = json!({ "direction": "inbound", "channel": "retailer", "body": "Not my case" });
    for id in [theirs, staff_case, 999_999] {
        let (s, v) = app.post(&shop_token, &format!("/api/v1/cases/{id}/communications"), inbound.clone()).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "case {id}: {v}");
        let resp = shop.post(&format!("/console/partner/cases/{id}/messages"), &[("message", "Not my case")]).await;
        assert_eq!(resp.status(), StatusCode::NOT_FOUND, "case {id}");
        let html = resp.text().await.unwrap();
        assert!(html.contains("Case not found") && !html.contains("Lamp flickers"), "{html}");
    }
    let resp = shop.post(&format!("{page}/messages"), &[("message", "  ")]).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = resp.text().await.unwrap();
    assert!(html.contains(r#"id="error""#) && html.contains("must not be empty"), "{html}");
    let resp = shop.post_raw(&format!("{page}/messages"), &[("message", "No token")]).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let resp = other.post(&format!("{page}/messages"), &[("message", "Someone else's")]).await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let long = "x".repeat(20_001);
    let resp = shop.post(&format!("{page}/messages"), &[("message", &long)]).await;
    assert!(resp.status().is_client_error(), "a message too long: {}", resp.status());
    assert_eq!([footprint(&app, mine).await, footprint(&app, theirs).await, footprint(&app, staff_case).await], before);
}

async fn the_partner_case_page_keeps_internal_matters_internal(b: Backend) {
    let app = common::spawn(b).await;
    app.london().await;
    let (max, max_token, _) = account(&app, "Max", "manager", "500").await;
    let (alice, alice_token, _) = account(&app, "Alice", "agent", "50").await;
    let (_, shop_token, shop) = account(&app, "Corner Shop", "partner", "0").await;
    app.send(reqwest::Method::PUT, Some(&app.admin), "/api/v1/settings", Some(json!({ "default_owner_id": max }))).await;
    let customer = app.customer().await;
    let stranger = app.ok(&app.admin, "/api/v1/customers", json!({ "name": "Zed Stranger", "email": "zed@example.com" })).await["id"].as_i64().unwrap();
    app.case(&alice_token, stranger, false).await;
    let mine = retailer_case(&app, &shop_token, customer, "Toaster sparks").await;
    let path = |step: &str| format!("/api/v1/cases/{mine}/{step}");
    app.ok(&max_token, &path("communications"), json!({ "direction": "outbound", "channel": "phone", "body": "Called: a new toaster is on its way." })).await;
    let (s, _) = app.send(reqwest::Method::PATCH, Some(&max_token), &format!("/api/v1/cases/{mine}"), Some(json!({ "facts": "SECRET-FACTS: bought at a discount" }))).await;
    assert_eq!(s, StatusCode::OK);
    app.ok(&max_token, &path("transfer"), json!({ "to_user_id": alice, "reason": "SECRET-TRANSFER" })).await;
    app.ok(&alice_token, &path("actions"), json!({ "description": "SECRET-ACTION refund", "remedy_value": "120", "preventive_owner_id": max })).await;
    app.ok(&max_token, &path("approvals"), json!({ "decision": "amend", "amended_value": "90", "note": "SECRET-APPROVAL" })).await;
    app.ok(&max_token, &path("preventive"), json!({ "root_cause": "SECRET-CAUSE", "action": "SECRET-PREVENTION" })).await;
    app.ok(&max_token, &path("gifts"), json!({ "description": "SECRET-GIFT", "cost": "5" })).await;

    let (s, html) = shop.get(&format!("/console/partner/cases/{mine}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("Toaster sparks") && html.contains("a new toaster is on its way"), "the exchange is there");
    assert!(html.contains("Being put right"), "the status in plain words");
    assert!(html.contains(r#"id="owner">Alice<"#), "the owner as it now stands");
    for secret in ["SECRET", "120.00", "90.00", "mandate", "Zed Stranger", "transfer", "approv", "Identification lag", "id=\"timeline\"", "/console/cases/", "/console/customers"] {
        assert!(!html.contains(secret), "{secret} must not show to a partner:\n{html}");
    }
    let (_, list) = shop.get("/console/partner").await;
    assert!(!list.contains("Zed Stranger") && !list.contains("SECRET"));
    assert!(list.contains("Being put right"));
}
