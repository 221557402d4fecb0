//! A small JSON client for the demo seeder and the benchmark.

use serde_json::Value;

#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Client {
    pub fn new(base: &str, token: &str) -> Result<Client, String> {
        let http = reqwest::Client::builder().pool_max_idle_per_host(256).build().map_err(|e| format!("cannot build an HTTP client: {e}"))?;
        Ok(Client { http, base: base.to_string(), token: token.to_string() })
    }

    pub fn as_user(&self, token: &str) -> Client {
        Client { http: self.http.clone(), base: self.base.clone(), token: token.to_string() }
    }

    /// Sends a request and returns the JSON answer, or an error quoting the
    /// problem detail.
    async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>, authenticated: bool) -> Result<Value, String> {
        let what = format!("{method} {path}");
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if authenticated {
            req = req.bearer_auth(&self.token);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.map_err(|e| format!("{what}: {e}"))?;
        let status = resp.status();
        let value: Value = resp.json().await.map_err(|e| format!("{what}: {e}"))?;
        if status.is_success() {
            Ok(value)
        } else {
            Err(format!("{what} answered {status}: {}", value["detail"]))
        }
    }

    pub async fn post(&self, path: &str, body: Value) -> Result<Value, String> {
        self.send(reqwest::Method::POST, path, Some(body), true).await
    }

    /// POSTs without a bearer token (the public survey submission).
    pub async fn post_public(&self, path: &str, body: Value) -> Result<Value, String> {
        self.send(reqwest::Method::POST, path, Some(body), false).await
    }

    pub async fn get(&self, path: &str) -> Result<Value, String> {
        self.send(reqwest::Method::GET, path, None, true).await
    }

    pub async fn put(&self, path: &str, body: Value) -> Result<Value, String> {
        self.send(reqwest::Method::PUT, path, Some(body), true).await
    }

    /// Issues a token for user `id` and returns it.
    pub async fn token_for(&self, id: i64) -> Result<String, String> {
        let v = self.post(&format!("/api/v1/users/{id}/tokens"), serde_json::json!({})).await?;
        v["token"].as_str().map(str::to_string).ok_or_else(|| "no token in answer".to_string())
    }
}
