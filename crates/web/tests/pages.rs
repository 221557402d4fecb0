//! The pages over plain HTTP: CSRF, escaping, the private report link, and
//! console sessions. On both backends.

mod common;

use common::forms::{client, csrf, post_form, set_cookie, Browser};
use common::{invite, world, Backend};
use reqwest::{header, StatusCode};
use serde_json::json;

both_backends!(
    forms_need_their_csrf_token,
    survey_form_keeps_answers_when_refused,
    report_link_is_private_and_escaped,
    console_sessions,
    sessions_end_when_idle_rotate_and_return_you_where_you_were,
    pages_carry_security_headers
);

/// `raw` appears in `html` only HTML-escaped (named or numeric entities).
fn shows_escaped(html: &str, raw: &str) -> bool {
    let named = raw.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    let numeric = raw.replace('&', "&#38;").replace('<', "&#60;").replace('>', "&#62;");
    (html.contains(&named) || html.contains(&numeric)) && (raw == named || !html.contains(raw))
}

async fn forms_need_their_csrf_token(b: Backend) {
    let app = common::spawn(b).await;
    let w = world(&app).await;
    let code = invite(&app, w.survey, w.customer, json!({})).await;
    let (cookie, token) = csrf(&app, "/survey").await;
    let resp = post_form(&app, "/survey", "", &[("code", &code)]).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN, "no token");
    let resp = post_form(&app, "/survey", &cookie, &[("code", &code), ("csrf", "0123456789abcdef0123456789abcdef")]).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN, "a token that is not this browser's");
    let resp = post_form(&app, "/survey", &cookie, &[("code", &code), ("csrf", &token)]).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.text().await.unwrap().contains("How careful was the driver?"));
    let (lcookie, _) = csrf(&app, "/console/login").await;
    let resp = post_form(&app, "/console/login", &lcookie, &[("email", "x@example.com"), ("password", "whatever123")]).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
}

async fn survey_form_keeps_answers_when_refused(b: Backend) {
    let app = common::spawn(b).await;
    let w = world(&app).await;
    let code = invite(&app, w.survey, w.customer, json!({})).await;
    let (cookie, token) = csrf(&app, "/survey").await;
    let fields = [("csrf", token.as_str()), ("code", code.as_str()), ("idempotency_key", "page-1"), ("q.speed", "4"), ("q.comment", "<b>late</b>")];
    let resp = post_form(&app, "/survey/answers", &cookie, &fields).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = resp.text().await.unwrap();
    assert!(html.contains("please answer: How careful was the driver?"), "{html}");
    assert!(html.contains(r#"value="4" id="q_speed_4" checked"#), "the chosen rating is kept");
    assert!(shows_escaped(&html, "<b>late</b>"), "text is kept, escaped");
    let mut all = fields.to_vec();
    all.extend([("q.care", "5"), ("q.tracking", "5")]);
    let resp = post_form(&app, "/survey/answers", &cookie, &all).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.text().await.unwrap().contains("Thank you, Grace"));
    let resp = post_form(&app, "/survey/answers", &cookie, &all).await;
    assert_eq!(resp.status(), StatusCode::OK, "a resubmitted page replays, it is not refused");
    let (_, responses) = app.get(&app.admin, "/api/v1/responses").await;
    assert_eq!(responses.as_array().unwrap().len(), 1);
    let (_, resp) = app.get(&app.admin, &format!("/api/v1/responses/{}", responses[0]["id"])).await;
    assert_eq!(resp["answers"]["comment"], "<b>late</b>");
}

async fn report_link_is_private_and_escaped(b: Backend) {
    let app = common::spawn(b).await;
    let w = world(&app).await;
    let code = invite(&app, w.survey, w.customer, json!({})).await;
    app.send(reqwest::Method::POST, None, "/api/v1/responses", Some(json!({ "code": code, "answers": { "speed": 1, "care": 1, "tracking": 1 } }))).await;
    let (_, page) = app.get(&app.admin, "/api/v1/cases?channel=survey").await;
    let case = page["items"][0]["id"].as_i64().unwrap();
    let created = app.ok(&app.admin, &format!("/api/v1/cases/{case}/reports"), json!({ "summary": "Courier <i>rushed</i>", "actions": ["Retrain & re-route"] })).await;
    let url = created["report_url"].as_str().unwrap();
    let resp = client().get(url).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.unwrap();
    assert!(shows_escaped(&html, "Courier <i>rushed</i>") && shows_escaped(&html, "Retrain & re-route"), "{html}");
    assert!(html.contains("Grace") && html.contains(&format!("RD-{case}")));
    let resp = client().get(format!("{}/reports/{}x", app.base, url.rsplit('/').next().unwrap())).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}

async fn console_sessions(b: Backend) {
    let app = common::spawn(b).await;
    let resp = client().get(format!("{}/console", app.base)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(resp.headers()[header::LOCATION], "/console/login");
    let staff = app.ok(&app.admin, "/api/v1/users", json!({ "name": "Sue", "email": "sue@example.com", "role": "agent", "password": "correct horse battery" })).await;
    app.ok(&app.admin, "/api/v1/users", json!({ "name": "Shop", "email": "shop@example.com", "role": "partner", "password": "correct horse battery" })).await;
    let (s, _) = app.post(&app.admin, "/api/v1/users", json!({ "name": "Short", "role": "agent", "password": "short" })).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);

    let (cookie, token) = csrf(&app, "/console/login").await;
    let resp = post_form(&app, "/console/login", &cookie, &[("csrf", &token), ("email", "shop@example.com"), ("password", "correct horse battery")]).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER, "partners sign in where staff do");
    assert_eq!(resp.headers()[header::LOCATION], "/console/partner", "and land on their own cases");
    let resp = post_form(&app, "/console/login", &cookie, &[("csrf", &token), ("email", "SUE@example.com"), ("password", "correct horse battery")]).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let session = set_cookie(&resp, "redress_session").expect("a session cookie");
    assert!(session.contains("HttpOnly") && session.contains("SameSite=Strict"), "{session}");
    let both = format!("{cookie}; {}", session.split(';').next().unwrap());
    let resp = client().get(format!("{}/console", app.base)).header(header::COOKIE, &both).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.text().await.unwrap().contains("Sue"));
    for (path, status) in [("/console/cases/abc", StatusCode::NOT_FOUND), ("/console/cases/999", StatusCode::NOT_FOUND)] {
        let resp = client().get(format!("{}{path}", app.base)).header(header::COOKIE, &both).send().await.unwrap();
        assert_eq!(resp.status(), status, "{path}");
        assert!(resp.headers()[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/html"));
    }

    // A new password ends the session, and the sign-in page says so once.
    let (s, _) = app.send(reqwest::Method::PUT, Some(&app.admin), &format!("/api/v1/users/{}/password", staff["id"]), Some(json!({ "password": "another long password" }))).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let resp = client().get(format!("{}/console", app.base)).header(header::COOKIE, &both).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let flash = flash_shown(&resp, &cookie).await;
    assert!(flash.contains("Your session has ended"), "{flash}");

    let resp = post_form(&app, "/console/login", &cookie, &[("csrf", &token), ("email", "sue@example.com"), ("password", "another long password")]).await;
    let session = set_cookie(&resp, "redress_session").unwrap();
    let both = format!("{cookie}; {}", session.split(';').next().unwrap());
    let resp = post_form(&app, "/console/logout", &both, &[("csrf", &token)]).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert!(flash_shown(&resp, &cookie).await.contains("You have signed out."));
    let resp = client().get(format!("{}/console", app.base)).header(header::COOKIE, &both).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER, "signed out");
}

/// Follows a redirect that left a flash message: the page it leads to shows
/// the message (escaped, in `#flash`) and clears it, so a reload does not.
async fn flash_shown(redirect: &reqwest::Response, cookie: &str) -> String {
    let to = redirect.headers()[header::LOCATION].to_str().unwrap().to_string();
    let flash = set_cookie(redirect, "redress_flash").expect("a flash cookie");
    let with_flash = format!("{cookie}; {}", flash.split(';').next().unwrap());
    let base = redirect.url().origin().ascii_serialization();
    let resp = client().get(format!("{base}{to}")).header(header::COOKIE, &with_flash).send().await.unwrap();
    let cleared = set_cookie(&resp, "redress_flash").expect("the flash is cleared");
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    let html = resp.text().await.unwrap();
    let start = html.find(r#"id="flash""#).unwrap_or_else(|| panic!("no flash in {html}"));
    html[start..].split("</p>").next().unwrap().to_string()
}

async fn pages_carry_security_headers(b: Backend) {
    let app = common::spawn(b).await;
    for path in ["/survey", "/console/login", "/reports/unknown"] {
        let resp = client().get(format!("{}{path}", app.base)).send().await.unwrap();
        let h = resp.headers();
        let csp = h[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'") && csp.contains("default-src 'none'") && !csp.contains("unsafe-inline"), "{path}: {csp}");
        assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "{path}");
        assert_eq!(h[header::REFERRER_POLICY], "no-referrer", "{path}");
        assert!(h.get(header::STRICT_TRANSPORT_SECURITY).is_none(), "{path}: HSTS only behind TLS (an https public URL)");
        let html = resp.text().await.unwrap();
        assert!(!html.contains("<style") && !html.contains("style=") && !html.contains("<script"), "{path}: nothing inline for the policy to block");
        assert!(html.contains(r#"<link rel="stylesheet" href="/assets/redress.css">"#), "{path}");
    }
    let resp = client().get(format!("{}/assets/redress.css", app.base)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers()[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/css"));
    assert!(resp.text().await.unwrap().contains("header.bar"));
    let (status, _) = app.get(&app.admin, "/api/v1/cases").await;
    assert_eq!(status, StatusCode::OK);
    let resp = client().get(format!("{}/api/v1/cases", app.base)).send().await.unwrap();
    assert_eq!(resp.headers()[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "the API too");
}

async fn sessions_end_when_idle_rotate_and_return_you_where_you_were(b: Backend) {
    let app = common::spawn(b).await;
    app.ok(&app.admin, "/api/v1/users", json!({ "name": "Sue", "email": "sue@example.com", "role": "agent", "password": "correct horse battery" })).await;
    // Signed out: to the sign-in page, remembering where to.
    let resp = client().get(format!("{}/console/cases/new", app.base)).send().await.unwrap();
    assert_eq!(resp.headers()[header::LOCATION], "/console/login?next=%2Fconsole%2Fcases%2Fnew");
    let (status, html) = Browser::anonymous(&app).get("/console/login?next=%2Fconsole%2Fcases%2Fnew").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(r#"name="next" value="/console/cases/new""#), "{html}");
    let (cookie, token) = csrf(&app, "/console/login").await;
    let form = [("csrf", token.as_str()), ("email", "sue@example.com"), ("password", "correct horse battery"), ("next", "/console/cases/new")];
    let resp = post_form(&app, "/console/login", &cookie, &form).await;
    assert_eq!(resp.headers()[header::LOCATION], "/console/cases/new");
    for elsewhere in ["//evil.example/console", "https://evil.example", "/console/../reports/x\\y", "/survey"] {
        let form = [("csrf", token.as_str()), ("email", "sue@example.com"), ("password", "correct horse battery"), ("next", elsewhere)];
        let resp = post_form(&app, "/console/login", &cookie, &form).await;
        let to = resp.headers()[header::LOCATION].to_str().unwrap().to_string();
        assert!(to == "/console" || to == elsewhere && elsewhere.starts_with("/console/"), "{elsewhere} led to {to}");
    }

    // Signing in again from the same browser ends the session it held.
    let first = Browser::sign_in(&app, "sue@example.com", "correct horse battery").await;
    let old = first.cookie();
    let resp = client().post(format!("{}/console/login", app.base)).header(header::COOKIE, &old)
        .form(&[("csrf", first.csrf.as_str()), ("email", "sue@example.com"), ("password", "correct horse battery")]).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let resp = client().get(format!("{}/console", app.base)).header(header::COOKIE, &old).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER, "the old session no longer works");

    // Use keeps a session alive; two idle hours end it.
    let sue = Browser::sign_in(&app, "sue@example.com", "correct horse battery").await;
    for _ in 0..3 {
        app.clock.advance(jiff::SignedDuration::from_mins(90));
        assert_eq!(sue.get("/console").await.0, StatusCode::OK, "used within the idle limit");
    }
    app.clock.advance(jiff::SignedDuration::from_mins(121));
    assert_eq!(sue.get("/console").await.0, StatusCode::SEE_OTHER, "idle too long");
}
