//! Outbound e-mail: every notification as plain text and HTML, delivered over
//! SMTP (plain, STARTTLS or TLS, with optional authentication).
#![forbid(unsafe_code)]

pub mod inbound;
#[cfg(feature = "sink")]
pub mod sink;

use askama::Template;
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use redress_core::mail::{Email, MailError, Mailer};
use redress_core::notification::Notification;
use serde::{Deserialize, Serialize};

/// How to reach the SMTP server.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Security {
    /// Plain SMTP (a local relay, or tests).
    None,
    /// Upgrade with STARTTLS (port 587).
    #[default]
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    #[serde(default)]
    pub security: Security,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    /// The sender, such as `Customer Care <care@example.com>`.
    pub from: String,
}

/// SMTP connections kept open and reused, at most: messages go out over
/// this many at once.
const CONNECTIONS: u32 = 16;

pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl SmtpMailer {
    pub fn new(cfg: &SmtpConfig) -> Result<SmtpMailer, String> {
        let from: Mailbox = cfg.from.parse().map_err(|e| format!("smtp.from '{}': {e}", cfg.from))?;
        let builder = match cfg.security {
            Security::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&cfg.host),
            Security::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&cfg.host).map_err(|e| e.to_string())?,
            Security::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&cfg.host).map_err(|e| e.to_string())?,
        };
        let pool = lettre::transport::smtp::PoolConfig::new().max_size(CONNECTIONS);
        let mut builder = builder.port(cfg.port).timeout(Some(std::time::Duration::from_secs(20))).pool_config(pool);
        if let (Some(u), Some(p)) = (&cfg.username, &cfg.password) {
            builder = builder.credentials(Credentials::new(u.clone(), p.clone()));
        }
        Ok(SmtpMailer { transport: builder.build(), from })
    }
}

#[async_trait::async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, email: &Email) -> Result<(), MailError> {
        let to: Mailbox = email.to.parse().map_err(|e| MailError::Permanent(format!("address '{}': {e}", email.to)))?;
        let message_id = format!("<{}@{}>", email.id, self.from.email.domain());
        let mut builder = Message::builder().from(self.from.clone()).to(to).subject(&email.subject).message_id(Some(message_id));
        if let Some(r) = &email.reference {
            // Replies carry this back, so they thread onto the case.
            let thread = format!("<{r}@redress>");
            builder = builder.in_reply_to(thread.clone()).references(thread);
        }
        let message = builder
            .multipart(MultiPart::alternative_plain_html(email.text.clone(), email.html.clone()))
            .map_err(|e| MailError::Permanent(e.to_string()))?;
        match self.transport.send(message).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_permanent() => Err(MailError::Permanent(e.to_string())),
            Err(e) => Err(MailError::Transient(e.to_string())),
        }
    }
}

#[derive(Template)]
#[template(path = "email.html")]
struct HtmlEmail<'a> {
    subject: &'a str,
    paragraphs: Vec<Vec<&'a str>>,
    /// The line asking to keep the reference in replies.
    reference: Option<&'a str>,
    lang: &'a str,
}

/// The e-mail for a notification: its text (and `footer`, a last
/// paragraph such as the private status link), and the same laid out as
/// HTML (escaped). `None` when the recipient has no address.
pub fn compose(n: &Notification, footer: Option<&str>, lang: redress_i18n::Lang) -> Option<Email> {
    let to = n.address.clone()?;
    let reference = n.case_id.map(|c| c.reference());
    let text = match footer {
        Some(f) => format!("{}\n\n{f}", n.body),
        None => n.body.clone(),
    };
    let paragraphs: Vec<Vec<&str>> = text.split("\n\n").map(|p| p.lines().collect()).collect();
    let reference_line = reference.as_deref().map(|r| redress_i18n::text(lang, "email-reference", &[("reference", r.into())]));
    let html = HtmlEmail { subject: &n.subject, paragraphs, reference: reference_line.as_deref(), lang: lang.code() }.render().unwrap_or_else(|_| text.clone());
    let id = format!("redress.n{}.{}", n.id, n.created_at.as_microsecond());
    Some(Email { to, subject: n.subject.clone(), text, html, reference, id })
}

#[cfg(test)]
mod tests {
    use super::*;
    use redress_core::notification::{NotificationKind, NotificationStatus, Recipient};
    use redress_core::{CaseId, CustomerId, NotificationId};

    #[test]
    fn html_is_escaped_and_keeps_paragraphs() {
        let n = Notification {
            id: NotificationId(1),
            case_id: Some(CaseId(7)),
            kind: NotificationKind::Apology,
            recipient: Recipient::Customer(CustomerId(1)),
            address: Some("a@example.com".into()),
            subject: "We are sorry [RD-7]".into(),
            body: "Dear <Ada>,\n\nLine one\nLine two".into(),
            scheduled_for: jiff::Timestamp::UNIX_EPOCH,
            sent_at: None,
            status: NotificationStatus::Pending,
            last_error: None,
            attempts: 0,
            created_at: jiff::Timestamp::UNIX_EPOCH,
        };
        let e = compose(&n, Some("Follow it at https://x/status/abc"), redress_i18n::Lang::De).unwrap();
        assert!(e.html.contains("&#60;Ada&#62;") || e.html.contains("&lt;Ada&gt;"));
        assert!(e.html.contains("Line one<br>Line two"));
        assert_eq!(e.reference.as_deref(), Some("RD-7"));
        assert_eq!(e.id, "redress.n1.0", "the same on every attempt");
        assert!(e.text.ends_with("\n\nFollow it at https://x/status/abc"));
        assert!(e.html.contains("Vorgangsnummer RD-7"), "{}", e.html);
        assert!(compose(&Notification { address: None, ..n }, None, redress_i18n::Lang::En).is_none());
    }
}
