//! Outbound e-mail: every notification as plain text and HTML, delivered over
//! SMTP (plain, STARTTLS or TLS, with optional authentication).
#![forbid(unsafe_code)]

pub mod inbound;
#[cfg(feature = "sink")]
pub mod sink;

use askama::Template;
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::transport::smtp::Error as SmtpError;
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
#[serde(deny_unknown_fields)]
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
    /// Longest an attempt to send one message may take, connecting
    /// included, in seconds: a server that stops answering costs a retry
    /// with backoff, never a message held.
    #[serde(default = "default_attempt_secs")]
    pub attempt_timeout_secs: u64,
}

fn default_attempt_secs() -> u64 {
    60
}

/// SMTP connections kept open and reused, at most: messages go out over
/// this many at once.
const CONNECTIONS: usize = 16;
/// A kept connection idle this long is checked (`NOOP`) before it is used.
const CHECK_AFTER_IDLE: std::time::Duration = std::time::Duration::from_secs(10);

/// Delivers over SMTP, keeping up to [`CONNECTIONS`] connections open.
///
/// Plain and STARTTLS connections are opened here with `TCP_NODELAY` set:
/// SMTP is a write followed by a wait for the answer, and lettre writes a
/// message's closing `.` apart from its body, so with Nagle's algorithm on
/// every message waits for the server's delayed acknowledgement (40 ms on
/// Linux). Implicit TLS (port 465) goes through lettre's own pool, which
/// does not set it yet. Every attempt ends within `attempt_timeout_secs`.
pub struct SmtpMailer {
    route: Route,
    from: Mailbox,
    /// Longest one attempt may take (`attempt_timeout_secs`).
    deadline: std::time::Duration,
}

enum Route {
    Kept(Connections),
    Lettre(AsyncSmtpTransport<Tokio1Executor>),
}

/// Open connections to one server, reused.
struct Connections {
    host: String,
    port: u16,
    starttls: bool,
    credentials: Option<Credentials>,
    hello: ClientId,
    idle: std::sync::Mutex<Vec<(AsyncSmtpConnection, std::time::Instant)>>,
    slots: tokio::sync::Semaphore,
}

impl SmtpMailer {
    pub fn new(cfg: &SmtpConfig) -> Result<SmtpMailer, String> {
        let from: Mailbox = cfg.from.parse().map_err(|e| format!("smtp.from '{}': {e}", cfg.from))?;
        let credentials = match (&cfg.username, &cfg.password) {
            (Some(u), Some(p)) => Some(Credentials::new(u.clone(), p.clone())),
            _ => None,
        };
        // Connecting and the greeting count toward the attempt's deadline
        // (a busy server may greet late: RFC 5321 allows it five minutes).
        let deadline = std::time::Duration::from_secs(cfg.attempt_timeout_secs.max(1));
        let route = match cfg.security {
            Security::None | Security::Starttls => Route::Kept(Connections {
                host: cfg.host.clone(),
                port: cfg.port,
                starttls: cfg.security == Security::Starttls,
                credentials,
                hello: ClientId::default(),
                idle: Default::default(),
                slots: tokio::sync::Semaphore::new(CONNECTIONS),
            }),
            Security::Tls => {
                let pool = lettre::transport::smtp::PoolConfig::new().max_size(CONNECTIONS as u32);
                let mut builder = AsyncSmtpTransport::<Tokio1Executor>::relay(&cfg.host).map_err(|e| e.to_string())?;
                builder = builder.port(cfg.port).timeout(Some(deadline)).pool_config(pool);
                if let Some(c) = credentials {
                    builder = builder.credentials(c);
                }
                Route::Lettre(builder.build())
            }
        };
        Ok(SmtpMailer { route, from, deadline })
    }
}

impl Connections {
    async fn connect(&self) -> Result<AsyncSmtpConnection, MailError> {
        let unreachable = |e: std::io::Error| MailError::Transient(format!("cannot reach the mail server {}:{}: {e}", self.host, self.port));
        let tcp = tokio::net::TcpStream::connect((self.host.as_str(), self.port)).await.map_err(unreachable)?;
        tcp.set_nodelay(true).map_err(unreachable)?;
        let mut conn = AsyncSmtpConnection::connect_with_transport(Box::new(tcp), &self.hello).await.map_err(classify)?;
        if self.starttls {
            let tls = TlsParameters::new(self.host.clone()).map_err(classify)?;
            conn.starttls(tls, &self.hello).await.map_err(classify)?;
        }
        if let Some(c) = &self.credentials {
            conn.auth(&[Mechanism::Plain, Mechanism::Login], c).await.map_err(classify)?;
        }
        Ok(conn)
    }

    /// A kept connection that still answers, or a new one.
    async fn take(&self) -> Result<AsyncSmtpConnection, MailError> {
        loop {
            let kept = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
            let Some((mut conn, since)) = kept else { break };
            if since.elapsed() < CHECK_AFTER_IDLE || conn.test_connected().await {
                return Ok(conn);
            }
            conn.abort().await;
        }
        self.connect().await
    }

    async fn send(&self, envelope: &lettre::address::Envelope, message: &[u8]) -> Result<(), MailError> {
        let _slot = self.slots.acquire().await.map_err(|_| MailError::Transient("the mailer is shutting down".into()))?;
        let mut conn = self.take().await?;
        match conn.send(envelope, message).await {
            Ok(_) => {
                self.idle.lock().unwrap_or_else(|e| e.into_inner()).push((conn, std::time::Instant::now()));
                Ok(())
            }
            Err(e) => {
                // A refused message leaves the session usable, but a broken
                // one does not: start afresh either way.
                conn.abort().await;
                Err(classify(e))
            }
        }
    }
}

/// A refusal the server means for good (5xx) is permanent; anything else
/// may pass on a later attempt.
fn classify(e: SmtpError) -> MailError {
    if e.is_permanent() {
        MailError::Permanent(e.to_string())
    } else {
        MailError::Transient(e.to_string())
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
        let attempt = async {
            match &self.route {
                Route::Kept(connections) => connections.send(message.envelope(), &message.formatted()).await,
                Route::Lettre(transport) => transport.send(message).await.map(|_| ()).map_err(classify),
            }
        };
        tokio::time::timeout(self.deadline, attempt)
            .await
            .unwrap_or_else(|_| Err(MailError::Transient(format!("the mail server did not finish within {} s", self.deadline.as_secs()))))
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
