//! A small JSON client for the demo seeder and the benchmark.

use serde_json::Value;

#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Client {
    pub fn new(base: &str, token: &str) -> Client {
        let http = reqwest::Client::builder().pool_max_idle_per_host(256).build().unwrap_or_default();
        Client { http, base: base.to_string(), token: token.to_string() }
    }

    pub fn as_user(&self, token: &str) -> Client {
        Client { http: self.http.clone(), base: self.base.clone(), token: token.to_string() }
    }

    /// POSTs JSON and returns the answer, or an error with the problem detail.
    pub async fn post(&self, path: &str, body: Value) -> Result<Value, String> {
        let resp = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .map_err(|e| format!("POST {path}: {e}"))?;
        let status = resp.status();
        let value: Value = resp.json().await.map_err(|e| format!("POST {path}: {e}"))?;
        if status.is_success() {
            Ok(value)
        } else {
            Err(format!("POST {path} answered {status}: {}", value["detail"]))
        }
    }

    pub async fn put(&self, path: &str, body: Value) -> Result<Value, String> {
        let resp = self.http.put(format!("{}{path}", self.base)).bearer_auth(&self.token).json(&body).send().await.map_err(|e| e.to_string())?;
        let status = resp.status();
        let value: Value = resp.json().await.map_err(|e| e.to_string())?;
        if status.is_success() {
            Ok(value)
        } else {
            Err(format!("PUT {path} answered {status}: {}", value["detail"]))
        }
    }

    /// Issues a token for user `id` and returns it.
    pub async fn token_for(&self, id: i64) -> Result<String, String> {
        let v = self.post(&format!("/api/v1/users/{id}/tokens"), serde_json::json!({})).await?;
        v["token"].as_str().map(str::to_string).ok_or_else(|| "no token in answer".to_string())
    }
}
