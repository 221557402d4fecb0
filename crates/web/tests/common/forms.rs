//! Driving the pages over plain HTTP as a browser would: cookies, CSRF
//! tokens, urlencoded forms, no redirects followed.

use super::TestApp;
use reqwest::{header, StatusCode};

pub fn client() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// `name=value` of a Set-Cookie header named `name`.
pub fn set_cookie(resp: &reqwest::Response, name: &str) -> Option<String> {
    resp.headers().get_all(header::SET_COOKIE).iter().filter_map(|v| v.to_str().ok()).find(|v| v.starts_with(&format!("{name}="))).map(str::to_string)
}

/// Fetches a page to get this browser's CSRF cookie and token.
pub async fn csrf(app: &TestApp, path: &str) -> (String, String) {
    let resp = client().get(format!("{}{path}", app.base)).send().await.unwrap();
    let raw = set_cookie(&resp, "redress_csrf").expect("a CSRF cookie");
    assert!(raw.contains("HttpOnly") && raw.contains("SameSite=Strict"), "{raw}");
    let pair = raw.split(';').next().unwrap().to_string();
    let token = pair.split_once('=').unwrap().1.to_string();
    (pair, token)
}

pub async fn post_form(app: &TestApp, path: &str, cookie: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    client()
        .post(format!("{}{path}", app.base))
        .header(header::COOKIE, cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string(fields).unwrap())
        .send()
        .await
        .unwrap()
}

/// Signs `email` in and returns the Cookie header of that browser.
pub async fn sign_in(app: &TestApp, email: &str, password: &str) -> String {
    let (cookie, token) = csrf(app, "/console/login").await;
    let resp = post_form(app, "/console/login", &cookie, &[("csrf", &token), ("email", email), ("password", password)]).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let session = set_cookie(&resp, "redress_session").unwrap();
    format!("{cookie}; {}", session.split(';').next().unwrap())
}


/// A signed-in browser: it keeps the cookies it is given (session, CSRF,
/// flash) and sends them back, as a browser does.
pub struct Browser {
    pub base: String,
    pub csrf: String,
    cookies: std::sync::Mutex<std::collections::BTreeMap<String, String>>,
    /// The `Accept-Language` this browser sends.
    pub language: Option<String>,
}

impl Browser {
    pub async fn sign_in(app: &TestApp, email: &str, password: &str) -> Browser {
        let cookie = sign_in(app, email, password).await;
        let jar: std::collections::BTreeMap<String, String> =
            cookie.split("; ").filter_map(|c| c.split_once('=')).map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let csrf = jar["redress_csrf"].clone();
        Browser { base: app.base.clone(), csrf, cookies: std::sync::Mutex::new(jar), language: None }
    }

    /// A browser with no cookies yet.
    pub fn anonymous(app: &TestApp) -> Browser {
        Browser { base: app.base.clone(), csrf: String::new(), cookies: Default::default(), language: None }
    }

    /// A visitor (no session) who has opened `path`, and so holds a CSRF token;
    /// `language` is the browser's `Accept-Language`, if any.
    pub async fn visitor(app: &TestApp, path: &str, language: Option<&str>) -> Browser {
        let mut b = Browser::anonymous(app);
        b.language = language.map(str::to_string);
        let (status, _) = b.get(path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        b.csrf = b.cookies.lock().unwrap().get("redress_csrf").cloned().expect("a CSRF cookie");
        b
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let mut req = client().request(method, format!("{}{path}", self.base)).header(header::COOKIE, self.cookie());
        if let Some(l) = &self.language {
            req = req.header(header::ACCEPT_LANGUAGE, l);
        }
        req
    }

    /// Posts a `multipart/form-data` form with this browser's CSRF token
    /// and `files` as (field, file name, content type, bytes).
    pub async fn post_multipart(&self, path: &str, fields: &[(&str, &str)], files: &[(&str, &str, &str, Vec<u8>)]) -> reqwest::Response {
        let mut form = reqwest::multipart::Form::new().text("csrf", self.csrf.clone());
        for (k, v) in fields {
            form = form.text(k.to_string(), v.to_string());
        }
        for (field, name, content_type, data) in files {
            let part = reqwest::multipart::Part::bytes(data.clone()).file_name(name.to_string()).mime_str(content_type).unwrap();
            form = form.part(field.to_string(), part);
        }
        let resp = self.request(reqwest::Method::POST, path).multipart(form).send().await.unwrap();
        self.absorb(&resp);
        resp
    }

    pub fn cookie(&self) -> String {
        self.cookies.lock().unwrap().iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    /// Keeps what the response sets; `Max-Age=0` removes.
    fn absorb(&self, resp: &reqwest::Response) {
        let mut jar = self.cookies.lock().unwrap();
        for raw in resp.headers().get_all(header::SET_COOKIE).iter().filter_map(|v| v.to_str().ok()) {
            let Some((k, v)) = raw.split(';').next().and_then(|kv| kv.split_once('=')) else { continue };
            if raw.contains("Max-Age=0") {
                jar.remove(k);
            } else {
                jar.insert(k.to_string(), v.to_string());
            }
        }
    }

    /// A page's status and HTML.
    pub async fn get(&self, path: &str) -> (StatusCode, String) {
        let resp = self.request(reqwest::Method::GET, path).send().await.unwrap();
        self.absorb(&resp);
        (resp.status(), resp.text().await.unwrap())
    }

    /// Posts a form with this browser's CSRF token.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let mut all = vec![("csrf", self.csrf.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(path, &all).await
    }

    /// Posts a form exactly as given (no CSRF token added).
    pub async fn post_raw(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let resp = self
            .request(reqwest::Method::POST, path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(serde_urlencoded::to_string(fields).unwrap())
            .send()
            .await
            .unwrap();
        self.absorb(&resp);
        resp
    }
}
