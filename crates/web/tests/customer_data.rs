//! A customer's data (GDPR articles 15 and 17): the export holds every kind
//! of record; erasure forgets the person, keeps the figures, cancels what
//! was still to go to them and happens once; only admins do either, over
//! the API and in the console. Both backends.

mod common;

use common::forms::Browser;
use common::{Backend, TestApp};
use redress_core::clock::Clock;
use redress_core::jobs::JobOutcome;
use redress_core::notification::NotificationStatus;
use redress_core::store::NotificationUpdate;
use redress_core::{CaseId, NotificationId};
use reqwest::{header, StatusCode};
use serde_json::{json, Value};

both_backends!(export_holds_every_kind_of_record, erasure_forgets_the_person_and_keeps_the_figures, console_erasure_is_for_admins_and_confirmed);

const NAME: &str = "Grace Hopper";
const EMAIL: &str = "grace.hopper@example.com";
const PHONE: &str = "+44 20 7946 0958";
const SUBJECT: &str = "Teapot spout snapped";
const BODY: &str = "The teapot spout snapped off on Tuesday morning.";
const FILE: &str = "teapot-receipt.pdf";
const REPLY: &str = "We are so sorry about the teapot; a new one is on its way.";
const DESIRED: &str = "A replacement teapot please";
const FACTS: &str = "Spout broke at the glaze seam";
const COMMENT: &str = "My neighbour saw the courier throw the box over the fence";

/// Everything personal the seeded records hold, as a customer would recognise it.
const PERSONAL: [&str; 10] = [NAME, EMAIL, PHONE, SUBJECT, BODY, FILE, REPLY, DESIRED, FACTS, COMMENT];

/// What [`seed`] made.
struct Seeded {
    customer: i64,
    /// The e-mailed case (with an attachment, contacts, an agreed action and an apology due).
    mailed: i64,
    /// The case the low survey score opened.
    follow_up: i64,
    response: i64,
    manager_token: String,
    /// A webhook subscribed to every event.
    hook: i64,
}

fn mail() -> String {
    let file = "UERGLTEuNCBmYWtlIHJlY2VpcHQ=";
    format!(
        "From: {NAME} <{EMAIL}>\r\nTo: care@example.com\r\nSubject: {SUBJECT}\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=XYZ\r\n\r\n\
         --XYZ\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{BODY}\r\n\
         --XYZ\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"{FILE}\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{file}\r\n--XYZ--\r\n"
    )
}

/// A customer with a phone number, an e-mailed case with a file, contacts
/// both ways, corrected facts, an agreed action whose apology is due, a
/// survey response with a low score and a comment (which opened a case and
/// earned points), and messages to them still waiting.
async fn seed(app: &TestApp) -> Seeded {
    let w = common::world(app).await;
    let (manager, manager_token) = app.user("manager", "100").await;
    let hook = app.ok(&app.admin, "/api/v1/webhooks", json!({ "url": "http://127.0.0.1:9/hook", "events": ["*"] })).await;
    let c = app.ok(&app.admin, "/api/v1/customers", json!({ "name": NAME, "email": EMAIL, "phone": PHONE, "client_manager_id": w.client_manager })).await;
    let customer = c["id"].as_i64().unwrap();

    let resp = app.http.post(format!("{}/api/v1/inbound/email", app.base)).bearer_auth(&app.admin).header("content-type", "message/rfc822").body(mail()).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let v: Value = resp.json().await.unwrap();
    let mailed = v["case_id"].as_i64().unwrap();
    assert_eq!(app.case_json(mailed).await["customer_id"], customer, "found by address");
    app.ok(&app.admin, &format!("/api/v1/cases/{mailed}/communications"), json!({ "direction": "outbound", "channel": "email", "body": format!("Dear {NAME}, {REPLY}") })).await;
    let (s, v) = app.send(reqwest::Method::PATCH, Some(&app.admin), &format!("/api/v1/cases/{mailed}"), Some(json!({ "desired_resolution": DESIRED, "facts": FACTS }))).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let v = app
        .ok(&manager_token, &format!("/api/v1/cases/{mailed}/actions"), json!({ "description": "Send a new teapot", "remedy_kind": "replacement", "remedy_value": "30", "preventive_owner_id": manager }))
        .await;
    assert_eq!(v["apology"]["status"], "scheduled", "{v}");

    let code = common::invite(app, w.survey, customer, json!({})).await;
    let (s, r) = app.send(reqwest::Method::POST, None, "/api/v1/responses", Some(json!({ "code": code, "answers": { "speed": 2, "care": 5, "tracking": 4, "comment": COMMENT } }))).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let response = r["response_id"].as_i64().unwrap();
    let (_, r) = app.get(&app.admin, &format!("/api/v1/responses/{response}")).await;
    let follow_up = r["case_id"].as_i64().expect("a rating of 2 opens a follow-up case");

    // The acknowledgement goes out (its line on the timeline names the address); the apology waits for the morning.
    let now = app.clock.now();
    for job in app.store.claim_jobs(redress_core::jobs::DELIVER_NOTIFICATION, now, jiff::SignedDuration::from_mins(2), 100).await.unwrap() {
        let Some(id) = job.payload["notification_id"].as_i64() else {
            app.store.finish_job(job.id, JobOutcome::Done, None, now).await.unwrap();
            continue;
        };
        let n = app.store.notification(NotificationId(id)).await.unwrap().unwrap();
        let sent = NotificationUpdate { id: n.id, case_id: n.case_id, kind: n.kind, address: n.address.clone(), status: NotificationStatus::Sent, sent_at: Some(now), error: None, body: None };
        app.store.finish_job(job.id, JobOutcome::Done, Some(sent), now).await.unwrap();
    }
    let line = format!("Sent the acknowledgement to {EMAIL}");
    assert!(app.case_json(follow_up).await["timeline"].as_array().unwrap().iter().any(|e| e["summary"] == line.as_str()), "{line}");
    Seeded { customer, mailed, follow_up, response, manager_token, hook: hook["id"].as_i64().unwrap() }
}

async fn export(app: &TestApp, customer: i64) -> Value {
    let (s, v) = app.get(&app.admin, &format!("/api/v1/customers/{customer}/export")).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v
}

fn case_of(export: &Value, id: i64) -> &Value {
    export["cases"].as_array().unwrap().iter().find(|c| c["id"] == id).unwrap_or_else(|| panic!("case {id} in the export"))
}

async fn export_holds_every_kind_of_record(b: Backend) {
    let app = common::spawn(b).await;
    let s = seed(&app).await;
    let doc = export(&app, s.customer).await;
    assert!(doc["exported_at"].as_str().is_some_and(|t| t.starts_with("2026-11-20")), "{}", doc["exported_at"]);
    assert!(doc["erasure"].is_null(), "nothing erased yet");
    assert_eq!((doc["customer"]["name"].as_str(), doc["customer"]["email"].as_str(), doc["customer"]["phone"].as_str()), (Some(NAME), Some(EMAIL), Some(PHONE)));
    assert!(doc["customer"]["erased_at"].is_null());

    assert_eq!(doc["cases"].as_array().unwrap().len(), 2, "both cases");
    let mailed = case_of(&doc, s.mailed);
    assert_eq!((mailed["summary"].as_str(), mailed["desired_resolution"].as_str(), mailed["facts"].as_str()), (Some(SUBJECT), Some(DESIRED), Some(FACTS)));
    assert!(mailed["description"].as_str().unwrap().contains(BODY));
    let bodies: Vec<&str> = mailed["communications"].as_array().unwrap().iter().map(|m| m["body"].as_str().unwrap()).collect();
    assert!(bodies.iter().any(|b| b.contains(BODY)) && bodies.iter().any(|b| b.contains(REPLY)), "both contacts: {bodies:?}");
    let kinds: Vec<&str> = mailed["timeline"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    for kind in ["created", "communication", "attachments_received", "updated", "action_agreed"] {
        assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
    }
    let files = mailed["attachments"].as_array().unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!((files[0]["filename"].as_str(), files[0]["content_type"].as_str()), (Some(FILE), Some("application/pdf")));
    assert!(files[0]["size"].as_i64().unwrap() > 0 && files[0]["created_at"].is_string() && files[0]["case_id"] == s.mailed);
    assert!(files[0].get("data").is_none(), "described, not the bytes");
    assert_eq!(mailed["live_status_links"], 0);
    assert!(case_of(&doc, s.follow_up)["description"].as_str().unwrap().contains(COMMENT), "the answers are attached to the follow-up");

    let responses = doc["survey_responses"].as_array().unwrap();
    assert_eq!(responses.len(), 1);
    assert_eq!((responses[0]["id"].as_i64(), responses[0]["survey_title"].as_str()), (Some(s.response), Some("Delivery survey")));
    assert_eq!((responses[0]["answers"]["comment"].as_str(), responses[0]["answers"]["speed"].as_i64(), responses[0]["lowest_rating"].as_i64()), (Some(COMMENT), Some(2), Some(2)));
    assert_eq!(doc["invitations"].as_array().unwrap().len(), 1);
    assert!(doc["invitations"][0].get("code").is_none() && doc["invitations"][0]["used_at"].is_string());
    assert_eq!(doc["rewards"]["balance"], 25);
    assert_eq!(doc["rewards"]["entries"][0]["reason"], "survey_response");

    let notes = doc["notifications"].as_array().unwrap();
    let kinds: Vec<&str> = notes.iter().map(|n| n["kind"].as_str().unwrap()).collect();
    assert!(kinds.contains(&"acknowledgement") && kinds.contains(&"apology"), "messages to them: {kinds:?}");
    assert!(notes.iter().all(|n| n["recipient"]["kind"] == "customer" && n["recipient"]["id"] == s.customer || [s.mailed, s.follow_up].contains(&n["case_id"].as_i64().unwrap_or(0))));
    assert!(notes.iter().any(|n| n["address"] == EMAIL));

    // Admins only; an unknown customer is not found.
    let (st, p) = app.get(&s.manager_token, &format!("/api/v1/customers/{}/export", s.customer)).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{p}");
    assert!(p["detail"].as_str().unwrap().contains("admin"), "{p}");
    let (st, p) = app.get(&app.admin, "/api/v1/customers/999/export").await;
    assert_eq!(st, StatusCode::NOT_FOUND, "{p}");
    assert_eq!(app.get(&app.admin, "/api/v1/customers/abc/export").await.0, StatusCode::BAD_REQUEST);
    assert_eq!(app.send(reqwest::Method::GET, None, &format!("/api/v1/customers/{}/export", s.customer), None).await.0, StatusCode::UNAUTHORIZED);
}

/// The figures dashboards read: case statuses, flags and remedies, scores, points.
async fn figures(app: &TestApp, s: &Seeded) -> Value {
    let (_, page) = app.get(&app.admin, &format!("/api/v1/cases?customer_id={}", s.customer)).await;
    let cases: Vec<Value> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| json!([c["id"], c["status"], c["channel"], c["significant"], c["transfer_count"], c["opening_score"], c["reported_at"], c["responded_at"], c["actions"].as_array().unwrap().iter().map(|a| json!([a["remedy_value"], a["status"]])).collect::<Vec<_>>()]))
        .collect();
    let (_, r) = app.get(&app.admin, &format!("/api/v1/responses/{}", s.response)).await;
    let (_, rewards) = app.get(&app.admin, &format!("/api/v1/customers/{}/rewards", s.customer)).await;
    let counts: Vec<(String, i64)> = app.store.case_counts_by_status().await.unwrap().into_iter().map(|(st, n)| (st.as_str().to_string(), n)).collect();
    json!({ "cases": cases, "scores": [r["lowest_rating"], r["nps"], r["answers"]["speed"], r["answers"]["care"], r["answers"]["tracking"]],
            "balance": rewards["balance"], "entries": rewards["entries"].as_array().unwrap().len(), "by_status": counts })
}

async fn erasure_forgets_the_person_and_keeps_the_figures(b: Backend) {
    let app = common::spawn(b).await;
    let s = seed(&app).await;
    let (_, me) = app.get(&app.admin, "/api/v1/me").await;
    let admin_id = me["id"].as_i64().unwrap();
    let before = export(&app, s.customer).await;
    let figures_before = figures(&app, &s).await;
    let pending_to_them: Vec<i64> = before["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["recipient"]["kind"] == "customer" && n["status"] == "pending")
        .map(|n| n["id"].as_i64().unwrap())
        .collect();
    let apology = before["notifications"].as_array().unwrap().iter().find(|n| n["kind"] == "apology").unwrap()["id"].as_i64().unwrap();
    assert!(pending_to_them.contains(&apology), "the apology waits for the morning: {pending_to_them:?}");
    let (digest_a, digest_b) = (redress_core::case::status_digest("link-a"), redress_core::case::status_digest("link-b"));
    app.store.add_status_link(CaseId(s.mailed), digest_a.clone(), app.clock.now()).await.unwrap();
    app.store.add_status_link(CaseId(s.follow_up), digest_b, app.clock.now()).await.unwrap();

    // Refused: not an admin, an unknown customer; nothing changes.
    let path = format!("/api/v1/customers/{}/erase", s.customer);
    let (st, p) = app.post(&s.manager_token, &path, json!({})).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{p}");
    let (st, p) = app.post(&app.admin, "/api/v1/customers/999/erase", json!({})).await;
    assert_eq!(st, StatusCode::NOT_FOUND, "{p}");
    assert!(p["detail"].as_str().unwrap().contains("customer 999 does not exist"), "{p}");
    assert_eq!(export(&app, s.customer).await["customer"]["name"], NAME);

    app.clock.advance(jiff::SignedDuration::from_mins(5));
    let (st, report) = app.post(&app.admin, &path, json!({})).await;
    assert_eq!(st, StatusCode::OK, "{report}");
    assert_eq!((report["customer_id"].as_i64(), report["erased_by"].as_i64()), (Some(s.customer), Some(admin_id)));
    assert_eq!((report["cases"].as_i64(), report["attachments_deleted"].as_i64(), report["responses"].as_i64()), (Some(2), Some(1), Some(1)));
    assert_eq!(report["notifications_cancelled"].as_u64(), Some(pending_to_them.len() as u64));
    assert_eq!(report["status_links_revoked"], 2);
    assert!(report["communications"].as_i64().unwrap() >= 2);

    // The export says so, and holds nothing that identifies them.
    let after = export(&app, s.customer).await;
    let text = serde_json::to_string(&after).unwrap().to_lowercase();
    for personal in PERSONAL {
        assert!(!text.contains(&personal.to_lowercase()), "{personal:?} is still in the export: {after:#}");
    }
    assert!(!text.contains("grace.hopper") && !text.contains("7946"), "no part of the address or number");
    assert_eq!(after["customer"]["name"], format!("Erased customer {}", s.customer));
    assert!(after["customer"]["email"].is_null() && after["customer"]["phone"].is_null());
    assert!(after["customer"]["erased_at"].as_str().is_some_and(|t| t.starts_with("2026-11-20T17:04")), "{}", after["customer"]);
    assert_eq!((after["erasure"]["erased_by"].as_i64(), after["erasure"]["erased_by_name"].as_str()), (Some(admin_id), Some("Admin")));
    assert_eq!(after["erasure"]["erased_at"], after["customer"]["erased_at"]);
    let mailed = case_of(&after, s.mailed);
    assert_eq!((mailed["summary"].as_str(), mailed["description"].as_str(), mailed["desired_resolution"].as_str(), mailed["facts"].as_str()), (Some("[erased]"), Some("[erased]"), Some("[erased]"), Some("[erased]")));
    assert!(mailed["communications"].as_array().unwrap().iter().all(|m| m["body"] == "[erased]"));
    assert!(mailed["attachments"].as_array().unwrap().is_empty(), "the files are deleted");
    assert_eq!(after["survey_responses"][0]["answers"]["comment"], "[erased]");
    let (st, _) = app.get(&app.admin, &format!("/api/v1/attachments/{}", case_of(&before, s.mailed)["attachments"][0]["id"])).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (_, files) = app.get(&app.admin, &format!("/api/v1/cases/{}/attachments", s.mailed)).await;
    assert_eq!(files, json!([]));

    // The figures are as they were.
    assert_eq!(figures(&app, &s).await, figures_before);

    // The timeline still reads: every event kept in order, then the erasure.
    for id in [s.mailed, s.follow_up] {
        let old = case_of(&before, id)["timeline"].as_array().unwrap().clone();
        let new = case_of(&after, id)["timeline"].as_array().unwrap().clone();
        assert_eq!(new.len(), old.len() + 1, "one event more on case {id}");
        for (o, n) in old.iter().zip(&new) {
            assert_eq!((&o["id"], &o["kind"], &o["at"], &o["actor_id"]), (&n["id"], &n["kind"], &n["at"], &n["actor_id"]));
            assert!(!n["summary"].as_str().unwrap().is_empty());
        }
        assert!(new.windows(2).all(|w| w[0]["id"].as_i64() < w[1]["id"].as_i64() && w[0]["at"].as_str() <= w[1]["at"].as_str()), "in order");
        let last = new.last().unwrap();
        assert_eq!((last["kind"].as_str(), last["summary"].as_str(), last["actor_id"].as_i64()), (Some("customer_erased"), Some("Personal data erased at the customer's request"), Some(admin_id)));
        let live = app.store.status_link_count(CaseId(id)).await.unwrap();
        assert_eq!(live, 0, "status links revoked");
    }
    assert_eq!(app.store.status_link_case(&digest_a).await.unwrap(), None);
    let communication = case_of(&after, s.mailed)["timeline"].as_array().unwrap().iter().find(|e| e["kind"] == "communication").unwrap().clone();
    assert_eq!((communication["detail"]["excerpt"].as_str(), communication["detail"]["direction"].as_str()), (Some("[erased]"), Some("inbound")));
    let agreed = case_of(&after, s.mailed)["timeline"].as_array().unwrap().iter().find(|e| e["kind"] == "action_agreed").unwrap().clone();
    assert_eq!(agreed["detail"]["remedy_value"], "30.00", "figures in the detail stay");

    // Nothing more goes to them: what waited is cancelled and its jobs are finished.
    for n in after["notifications"].as_array().unwrap() {
        if pending_to_them.contains(&n["id"].as_i64().unwrap()) {
            assert_eq!((n["status"].as_str(), n["last_error"].as_str()), (Some("cancelled"), Some("the customer's data was erased")), "{n}");
        }
        if n["recipient"]["kind"] == "customer" {
            assert!(n["address"].is_null() && n["body"] == "[erased]", "{n}");
        }
    }
    let sent = after["notifications"].as_array().unwrap().iter().find(|n| n["kind"] == "acknowledgement").unwrap().clone();
    assert_eq!((sent["status"].as_str(), sent["address"].as_str(), sent["body"].as_str()), (Some("sent"), None, Some("[erased]")), "what went out stays sent, its text gone");
    let (_, jobs) = app.get(&app.admin, "/api/v1/jobs?status=pending").await;
    for j in jobs.as_array().unwrap() {
        assert!(!pending_to_them.contains(&j["payload"]["notification_id"].as_i64().unwrap_or(0)), "a job still waits: {j}");
    }

    // What integrations are still to be sent is scrubbed too.
    let deliveries = app.store.webhook_deliveries(s.hook, 500).await.unwrap();
    assert!(deliveries.iter().any(|d| d.event == "case.customer_erased"), "integrations hear of it");
    for d in deliveries {
        let payload = app.store.webhook_delivery(d.id).await.unwrap().unwrap().payload.to_lowercase();
        for personal in PERSONAL {
            assert!(!payload.contains(&personal.to_lowercase()), "{personal:?} in webhook payload {payload}");
        }
    }

    // The case stays workable and shows what it was.
    let case = app.case_json(s.mailed).await;
    assert_eq!((case["summary"].as_str(), case["status"].as_str()), (Some("[erased]"), Some("in_progress")));
    let (_, found) = app.get(&app.admin, &format!("/api/v1/cases?q={}", "teapot")).await;
    assert_eq!(found["items"], json!([]), "the text is gone from search as well");

    // Once only.
    let (st, p) = app.post(&app.admin, &path, json!({})).await;
    assert_eq!(st, StatusCode::CONFLICT, "{p}");
    assert_eq!(p["detail"], format!("customer {} was already erased on 2026-11-20 17:04 UTC", s.customer));
    let (st, _) = app.post(&s.manager_token, &path, json!({})).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
}

async fn console_erasure_is_for_admins_and_confirmed(b: Backend) {
    const PASSWORD: &str = "correct horse battery";
    let app = common::spawn(b).await;
    app.ok(&app.admin, "/api/v1/users", json!({ "name": "Ada Admin", "email": "ada.admin@example.com", "role": "admin", "mandate": "0", "password": PASSWORD })).await;
    let m = app.ok(&app.admin, "/api/v1/users", json!({ "name": "Max Manager", "email": "max@example.com", "role": "manager", "mandate": "100", "password": PASSWORD })).await;
    let t = app.ok(&app.admin, &format!("/api/v1/users/{}/tokens", m["id"]), json!({})).await;
    let c = app.ok(&app.admin, "/api/v1/customers", json!({ "name": NAME, "email": EMAIL, "phone": PHONE })).await;
    let customer = c["id"].as_i64().unwrap();
    let case = app.case(t["token"].as_str().unwrap(), customer, false).await;
    let page = format!("/console/customers/{customer}");

    // A manager sees the customer, but neither the export nor the erasure, and may use neither.
    let manager = Browser::sign_in(&app, "max@example.com", PASSWORD).await;
    let (st, html) = manager.get(&page).await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains(NAME) && !html.contains("form-erase") && !html.contains("/export"), "{html}");
    assert_eq!(manager.get(&format!("{page}/export")).await.0, StatusCode::FORBIDDEN);
    let resp = manager.post(&format!("{page}/erase"), &[("confirm", "ERASE")]).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert!(resp.text().await.unwrap().contains("Only an admin"));

    // An admin sees both; the download is the API's document, as a file.
    let admin = Browser::sign_in(&app, "ada.admin@example.com", PASSWORD).await;
    let (st, html) = admin.get(&page).await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains("Download everything we hold (JSON)") && html.contains("id=\"form-erase\"") && html.contains("Type ERASE to confirm"), "{html}");
    let resp = common::forms::client().get(format!("{}{page}/export", app.base)).header(header::COOKIE, admin.cookie()).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()[header::CONTENT_DISPOSITION], format!("attachment; filename=\"customer-{customer}.json\""));
    assert_eq!(resp.headers()[header::CONTENT_TYPE], "application/json");
    let doc: Value = resp.json().await.unwrap();
    assert_eq!((doc["customer"]["name"].as_str(), doc["cases"][0]["id"].as_i64()), (Some(NAME), Some(case)));
    assert_eq!(admin.get("/console/customers/999/export").await.0, StatusCode::NOT_FOUND);

    // A wrong word, or none, is refused with the reason; nothing changes. So is a form without its CSRF token.
    let resp = admin.post(&format!("{page}/erase"), &[("confirm", "erase it")]).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = resp.text().await.unwrap();
    assert!(html.contains("id=\"error\"") && html.contains("Nothing was erased: you typed “erase it”, not ERASE"), "{html}");
    assert!(html.contains("id=\"form-erase\""), "the form is there to try again");
    let resp = admin.post(&format!("{page}/erase"), &[("confirm", "")]).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let resp = admin.post_raw(&format!("{page}/erase"), &[("confirm", "ERASE")]).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let (_, now) = app.get(&app.admin, &format!("/api/v1/customers/{customer}")).await;
    assert_eq!((now["name"].as_str(), now["email"].as_str(), now["erased_at"].as_str()), (Some(NAME), Some(EMAIL), None));
    assert_eq!(app.case_json(case).await["summary"], "Parcel arrived broken");

    // The word typed: erased, with a notice, and the page says when and by whom.
    let resp = admin.post(&format!("{page}/erase"), &[("confirm", "ERASE")]).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(resp.headers()[header::LOCATION], page.as_str());
    let (st, html) = admin.get(&page).await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains("Personal data erased: 1 case(s) anonymised"), "the flash: {html}");
    assert!(html.contains("Personal data erased on Fri 20 Nov 2026, 16:59 by Ada Admin"), "{html}");
    assert!(html.contains(&format!("Erased customer {customer}")) && !html.contains(NAME) && !html.contains(EMAIL) && !html.contains(PHONE), "{html}");
    assert!(!html.contains("id=\"form-erase\"") && html.contains("/export"), "nothing left to erase; the export stays");
    let (_, html) = manager.get(&page).await;
    assert!(html.contains("Personal data erased on"), "everyone sees that it was");
    assert_eq!(app.case_json(case).await["summary"], "[erased]");
    let resp = admin.post(&format!("{page}/erase"), &[("confirm", "ERASE")]).await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    assert!(resp.text().await.unwrap().contains("was already erased on"));
}
