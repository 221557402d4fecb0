//! Notifications leave the building on time, exactly once: the job worker on
//! a controllable clock, delivering to a real SMTP server over TCP. On both
//! backends.

mod common;

use common::{eventually, invite, smtp, world, Backend, TestApp};
use common::forms::Browser;
use redress_mail::sink::SmtpSink;
use serde_json::{json, Value};

both_backends!(
    apology_goes_out_on_the_next_business_morning_and_not_before,
    apology_reflects_the_case_at_send_time_or_is_cancelled,
    smtp_down_then_up_delivers_every_message_once,
    without_smtp_messages_are_recorded_as_not_sent,
    a_refused_address_becomes_a_dead_letter,
    a_claimed_job_that_waited_too_long_for_a_slot_waits_for_its_lease,
);

async fn notes(app: &TestApp, query: &str) -> Vec<Value> {
    app.get(&app.admin, &format!("/api/v1/notifications?{query}")).await.1.as_array().unwrap().clone()
}

/// A case with an action agreed now (Friday 16:59 London) naming a preventive owner.
async fn agreed_case(app: &TestApp) -> i64 {
    let (owner_id, owner) = app.user("agent", "50").await;
    let customer = app.customer().await;
    let case = app.case(&owner, customer, false).await;
    app.ok(&owner, &format!("/api/v1/cases/{case}/actions"), json!({ "description": "Refund", "remedy_value": "20", "preventive_owner_id": owner_id })).await;
    case
}

async fn apology_goes_out_on_the_next_business_morning_and_not_before(b: Backend) {
    let sink = SmtpSink::start().await.unwrap();
    let app = common::spawn_with_worker(b, smtp(sink.port)).await;
    app.london().await;
    let case = agreed_case(&app).await;
    // Monday 08:59 London: not yet.
    app.clock.set("2026-11-23T08:59:00Z".parse().unwrap());
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(sink.messages().is_empty(), "nothing before 09:00");
    app.clock.set("2026-11-23T09:00:00Z".parse().unwrap());
    eventually("the apology", || async { sink.messages().len() == 1 }).await;
    let m = &sink.messages()[0];
    assert_eq!(m.to, vec!["ada@customer.example".to_string()]);
    assert!(m.data.contains(&format!("[RD-{case}]")), "{}", m.data);
    assert!(m.data.contains("text/html") && m.data.contains("text/plain"), "plain text and HTML");
    let query = format!("case_id={case}&kind=apology");
    eventually("the apology recorded as sent", || async { notes(&app, &query).await[0]["status"] == "sent" }).await;
    let n = &notes(&app, &query).await[0];
    assert_eq!(n["sent_at"], "2026-11-23T09:00:00Z");
    let timeline = app.case_json(case).await["timeline"].as_array().unwrap().clone();
    let sent = timeline.iter().find(|e| e["kind"] == "message_sent").expect("the sending is on the timeline");
    assert_eq!(sent["at"], "2026-11-23T09:00:00Z");
    assert!(sent["summary"].as_str().unwrap().contains("apology to ada@customer.example"), "{sent}");

    // With Monday a holiday, the next one waits for Tuesday.
    let (_, settings) = app.get(&app.admin, "/api/v1/settings").await;
    let mut s = settings.clone();
    s["holidays"] = json!(["2026-11-30"]);
    app.send(reqwest::Method::PUT, Some(&app.admin), "/api/v1/settings", Some(s)).await;
    app.clock.set("2026-11-27T16:59:00Z".parse().unwrap());
    let second = agreed_case(&app).await;
    let n = &notes(&app, &format!("case_id={second}&kind=apology")).await[0];
    assert_eq!(n["scheduled_for"], "2026-12-01T09:00:00Z");
    app.clock.set("2026-11-30T09:00:00Z".parse().unwrap());
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(sink.messages().len(), 1, "nothing on the holiday");
    app.clock.set("2026-12-01T09:00:00Z".parse().unwrap());
    eventually("Tuesday's apology", || async { sink.messages().len() == 2 }).await;
}

async fn smtp_down_then_up_delivers_every_message_once(b: Backend) {
    let mut sink = SmtpSink::start().await.unwrap();
    sink.stop();
    let app = common::spawn_with_worker(b, smtp(sink.port)).await;
    let w = world(&app).await;
    for _ in 0..6 {
        let code = invite(&app, w.survey, w.customer, json!({})).await;
        let (s, v) = app.send(reqwest::Method::POST, None, "/api/v1/responses", Some(json!({ "code": code, "answers": { "speed": 5, "care": 5, "tracking": 5 } }))).await;
        assert_eq!(s, reqwest::StatusCode::CREATED, "{v}");
    }
    eventually("failed attempts recorded", || async {
        notes(&app, "kind=acknowledgement").await.iter().all(|n| n["attempts"].as_u64() >= Some(1) && n["last_error"].is_string())
    })
    .await;
    assert!(notes(&app, "kind=acknowledgement").await.iter().all(|n| n["status"] == "pending"), "still pending while the server is down");
    sink.restart().await.unwrap();
    // The retry is due after the backoff.
    app.clock.advance(jiff::SignedDuration::from_secs(20));
    eventually("all six delivered", || async { sink.messages().len() >= 6 }).await;
    // Recorded as sent before the clock jumps past every lease: a job whose
    // lease runs out between its send and its record is sent again, as it
    // must be when a worker stops there.
    eventually("all six recorded as sent", || async { notes(&app, "kind=acknowledgement").await.iter().all(|n| n["status"] == "sent") }).await;
    app.clock.advance(jiff::SignedDuration::from_hours(2));
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(sink.messages().len(), 6, "each exactly once");
    assert!(notes(&app, "kind=acknowledgement").await.iter().all(|n| n["status"] == "sent"));
}

async fn without_smtp_messages_are_recorded_as_not_sent(b: Backend) {
    let app = common::spawn_with_worker(b, std::sync::Arc::new(redress_core::mail::NoMailer)).await;
    let w = world(&app).await;
    let code = invite(&app, w.survey, w.customer, json!({})).await;
    app.send(reqwest::Method::POST, None, "/api/v1/responses", Some(json!({ "code": code, "answers": { "speed": 5, "care": 5, "tracking": 5 } }))).await;
    eventually("recorded as not sent", || async { notes(&app, "kind=acknowledgement").await.first().is_some_and(|n| n["status"] == "not_sent") }).await;
    let n = &notes(&app, "kind=acknowledgement").await[0];
    assert_eq!(n["last_error"], "no SMTP server is configured");
    assert!(n["body"].as_str().unwrap().contains("Thank you"), "the message stays readable");
}

async fn a_refused_address_becomes_a_dead_letter(b: Backend) {
    let sink = SmtpSink::start().await.unwrap();
    sink.reject("ada@customer.example");
    let app = common::spawn_with_worker(b, smtp(sink.port)).await;
    let case = agreed_case(&app).await;
    app.clock.set("2026-11-23T09:00:00Z".parse().unwrap());
    eventually("the failure", || async { notes(&app, &format!("case_id={case}")).await.first().is_some_and(|n| n["status"] == "failed") }).await;
    let (_, dead) = app.get(&app.admin, "/api/v1/jobs?status=dead").await;
    assert_eq!(dead.as_array().unwrap().len(), 1, "{dead}");
    assert!(dead[0]["last_error"].as_str().unwrap().contains("550"), "{dead}");
    let (_, agent) = app.user("agent", "0").await;
    assert_eq!(app.get(&agent, "/api/v1/jobs").await.0, reqwest::StatusCode::FORBIDDEN);

    // Once the address works again, a manager sends it again from the outbox.
    let failed = notes(&app, &format!("case_id={case}")).await[0]["id"].as_i64().unwrap();
    let retry = format!("/api/v1/notifications/{failed}/retry");
    assert_eq!(app.post(&agent, &retry, json!({})).await.0, reqwest::StatusCode::FORBIDDEN, "agents may not");
    sink.accept("ada@customer.example");
    app.ok(&app.admin, "/api/v1/users", json!({ "name": "Max", "email": "max@example.com", "role": "manager", "mandate": "100", "password": "correct horse battery" })).await;
    let max = Browser::sign_in(&app, "max@example.com", "correct horse battery").await;
    let (_, outbox) = max.get("/console/outbox?status=failed").await;
    assert!(outbox.contains(&format!(r#"id="retry-{failed}""#)) && outbox.contains("550"), "{outbox}");
    let resp = max.post(&format!("/console/outbox/{failed}/retry"), &[]).await;
    assert_eq!(resp.status(), reqwest::StatusCode::SEE_OTHER);
    eventually("sent the second time", || async { notes(&app, &format!("case_id={case}")).await.first().is_some_and(|n| n["status"] == "sent") }).await;
    assert_eq!(sink.messages().len(), 1);
    assert_eq!(app.post(&app.admin, &retry, json!({})).await.0, reqwest::StatusCode::CONFLICT, "a sent message is not sent again");
    let (_, outbox) = max.get("/console/outbox?status=sent").await;
    assert!(outbox.contains(&format!("case {case}")), "{outbox}");
}

async fn apology_reflects_the_case_at_send_time_or_is_cancelled(b: Backend) {
    let sink = SmtpSink::start().await.unwrap();
    let app = common::spawn_with_worker(b, smtp(sink.port)).await;
    app.london().await;
    let changed = agreed_case(&app).await;
    let (_, new_owner) = app.get(&app.admin, "/api/v1/me").await;
    app.ok(&app.admin, &format!("/api/v1/cases/{changed}/preventive"), json!({ "owner_id": new_owner["id"] })).await;
    let called_off = agreed_case(&app).await;
    app.ok(&app.admin, &format!("/api/v1/cases/{called_off}/deviations"), json!({ "step": "apology", "reason": "customer asked not to be written to" })).await;
    app.clock.set("2026-11-23T09:00:00Z".parse().unwrap());
    eventually("one apology sent, one cancelled", || async {
        notes(&app, "kind=apology").await.iter().all(|n| n["status"] == "sent" || n["status"] == "cancelled") && sink.messages().len() == 1
    })
    .await;
    assert!(sink.messages()[0].data.contains("Admin is establishing preventive action"), "names the owner at send time: {}", sink.messages()[0].data);
    let cancelled = &notes(&app, &format!("case_id={called_off}&kind=apology")).await[0];
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(cancelled["last_error"], "the case no longer needs an apology");
    let timeline = app.case_json(called_off).await["timeline"].as_array().unwrap().clone();
    assert!(timeline.iter().any(|e| e["kind"] == "message_cancelled"));
}

/// The worker claims jobs ahead of its slots. One that waited for a slot
/// longer than a quarter of its lease is not started, since its attempt
/// could outlast the lease and another process could run it too: it runs
/// once its lease has run out, claimed afresh. Each message still goes out
/// once.
async fn a_claimed_job_that_waited_too_long_for_a_slot_waits_for_its_lease(b: Backend) {
    let sink = SmtpSink::start().await.unwrap();
    // Each message takes 3 s, one at a time: the second waits about 3 s for
    // the slot, longer than a quarter of its 4 s lease.
    sink.delay_each(std::time::Duration::from_secs(3));
    let config = redress_jobs::WorkerConfig { slots: 1, lease: jiff::SignedDuration::from_secs(4), ..common::worker_config() };
    let app = common::spawn_with_worker_config(b, smtp(sink.port), config).await;
    let w = world(&app).await;
    for _ in 0..2 {
        let code = invite(&app, w.survey, w.customer, json!({})).await;
        let (s, v) = app.send(reqwest::Method::POST, None, "/api/v1/responses", Some(json!({ "code": code, "answers": { "speed": 5, "care": 5, "tracking": 5 } }))).await;
        assert_eq!(s, reqwest::StatusCode::CREATED, "{v}");
    }
    eventually("the first sent", || async { notes(&app, "kind=acknowledgement").await.iter().any(|n| n["status"] == "sent") }).await;
    sink.delay_each(std::time::Duration::ZERO);
    // Had it started, it would be sent within its 3 s; it waits for its lease.
    tokio::time::sleep(std::time::Duration::from_millis(3500)).await;
    assert_eq!(sink.count(), 1, "the one that waited too long was not started");
    let pending = notes(&app, "kind=acknowledgement&status=pending").await;
    assert_eq!(pending.len(), 1, "{pending:?}");
    // The second's lease (on the app's clock) runs out; it is claimed again.
    app.clock.advance(jiff::SignedDuration::from_secs(10));
    eventually("both sent", || async { notes(&app, "kind=acknowledgement").await.iter().all(|n| n["status"] == "sent") }).await;
    let (_, jobs) = app.get(&app.admin, "/api/v1/jobs").await;
    let attempts: Vec<u64> = jobs.as_array().unwrap().iter().filter(|j| j["kind"] == "deliver_notification").map(|j| j["attempts"].as_u64().unwrap()).collect();
    assert_eq!(attempts.iter().filter(|a| **a == 2).count(), 1, "the one that waited was claimed twice, sent once: {jobs}");
    let mut ids: Vec<String> = sink.messages().iter().filter_map(|m| m.message_id().map(str::to_string)).collect();
    ids.sort();
    ids.dedup();
    assert_eq!((sink.count(), ids.len()), (2, 2), "each message once");
}
