//! Inbound e-mail over HTTP: new messages open cases, replies thread by
//! reference, attachments are kept, bad messages are refused whole. Both backends.

mod common;

use common::{Backend, TestApp};
use reqwest::StatusCode;
use serde_json::Value;

both_backends!(mail_opens_and_threads_cases, bad_messages_are_refused_whole);

async fn deliver(app: &TestApp, token: &str, raw: String) -> (StatusCode, Value) {
    let resp = app
        .http
        .post(format!("{}/api/v1/inbound/email", app.base))
        .bearer_auth(token)
        .header("content-type", "message/rfc822")
        .body(raw)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    if !status.is_success() {
        assert_eq!(resp.headers()["content-type"], "application/problem+json");
    }
    (status, resp.json().await.unwrap_or(Value::Null))
}

fn message(from: &str, subject: &str, attachment: Option<(&str, usize)>) -> String {
    let mut m = format!(
        "From: {from}\r\nTo: care@example.com\r\nSubject: {subject}\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=XYZ\r\n\r\n\
         --XYZ\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>The kettle <b>leaks</b> from the base.</p>\r\n"
    );
    if let Some((name, size)) = attachment {
        let data: String = "QUJD".repeat(size / 3 + 1);
        let lines: Vec<&str> = data.as_bytes().chunks(76).map(|c| std::str::from_utf8(c).unwrap()).collect();
        m.push_str(&format!(
            "--XYZ\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"{name}\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n",
            lines.join("\r\n")
        ));
    }
    m.push_str("--XYZ--\r\n");
    m
}

async fn mail_opens_and_threads_cases(b: Backend) {
    let app = common::spawn(b).await;
    let subject = "=?utf-8?q?Caf=C3=A9_kettle_broken?=";
    let (s, v) = deliver(&app, &app.admin, message("=?utf-8?q?Zo=C3=AB?= <zoe@example.com>", subject, Some(("photo.jpg", 3000)))).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["created"], true);
    assert_eq!(v["attachments"], 1);
    let id = v["case_id"].as_i64().unwrap();
    let case = app.case_json(id).await;
    assert_eq!(case["channel"], "email");
    assert_eq!(case["summary"], "Café kettle broken");
    assert!(case["description"].as_str().unwrap().contains("The kettle leaks from the base"), "HTML-only mail read as text");
    let (_, customer) = app.get(&app.admin, &format!("/api/v1/customers/{}", case["customer_id"])).await;
    assert_eq!((customer["name"].as_str(), customer["email"].as_str()), (Some("Zoë"), Some("zoe@example.com")));
    assert_eq!(case["communications"][0]["direction"], "inbound");
    let (_, files) = app.get(&app.admin, &format!("/api/v1/cases/{id}/attachments")).await;
    assert_eq!(files[0]["filename"], "photo.jpg");
    let bytes = app.http.get(format!("{}/api/v1/attachments/{}", app.base, files[0]["id"])).bearer_auth(&app.admin).send().await.unwrap().bytes().await.unwrap();
    assert_eq!(bytes.len() as i64, files[0]["size"].as_i64().unwrap());
    assert!(bytes.starts_with(b"ABCABC"));

    // A reply carrying the reference threads onto the case.
    let reply = message("Zoe <zoe@example.com>", &format!("Re: Café kettle broken [{}]", case["reference"].as_str().unwrap()), None);
    let (s, v) = deliver(&app, &app.admin, reply).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!((v["created"].as_bool(), v["case_id"].as_i64()), (Some(false), Some(id)));
    let case = app.case_json(id).await;
    assert_eq!(case["communications"].as_array().unwrap().len(), 2);
    assert_eq!(app.case_count().await, 1);
    // A second message from the same sender without a reference is a new case for the same customer.
    let (_, v) = deliver(&app, &app.admin, message("zoe@example.com", "Another thing", None)).await;
    let other = app.case_json(v["case_id"].as_i64().unwrap()).await;
    assert_eq!(other["customer_id"], case["customer_id"]);
}

async fn bad_messages_are_refused_whole(b: Backend) {
    let app = common::spawn(b).await;
    let (s, v) = deliver(&app, &app.admin, "this is not an e-mail".into()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(v["detail"].as_str().unwrap().contains("not an RFC 5322 message"), "{v}");
    let (s, v) = deliver(&app, &app.admin, "Subject: hello\r\n\r\nno sender".into()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(v["detail"].as_str().unwrap().contains("no From address"), "{v}");
    let (s, v) = deliver(&app, &app.admin, message("big@example.com", "Huge scan", Some(("scan.pdf", 10 * 1024 * 1024)))).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(v["detail"].as_str().unwrap().contains("scan.pdf"), "{v}");
    assert_eq!(app.case_count().await, 0, "nothing partial kept");
    let (_, customers) = app.get(&app.admin, "/api/v1/customers").await;
    assert_eq!(customers.as_array().unwrap().len(), 0, "not even the sender");
    let (_, partner) = app.user("partner", "0").await;
    assert_eq!(deliver(&app, &partner, message("a@example.com", "x", None)).await.0, StatusCode::FORBIDDEN);
    assert_eq!(deliver(&app, "nope", message("a@example.com", "x", None)).await.0, StatusCode::UNAUTHORIZED);
}
