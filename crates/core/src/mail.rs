//! Outbound e-mail as the domain sees it; SMTP lives in `redress-mail`.

/// One message ready to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// Case reference, carried in headers so replies thread.
    pub reference: Option<String>,
    /// What makes the message's Message-ID unique (the part before the
    /// `@`): the same on every attempt to send it, so a receiver drops a
    /// repeat sent after a crash came between sending and recording it.
    pub id: String,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MailError {
    /// No SMTP server is configured (the embedded default).
    #[error("no SMTP server is configured")]
    NotConfigured,
    /// Worth retrying: the server is down, busy or answered 4xx.
    #[error("{0}")]
    Transient(String),
    /// Will never work as it is: a rejected address, say.
    #[error("{0}")]
    Permanent(String),
}

#[async_trait::async_trait]
pub trait Mailer: Send + Sync + 'static {
    async fn send(&self, email: &Email) -> Result<(), MailError>;
}

/// The mailer of the embedded default: records that nothing was sent.
pub struct NoMailer;

#[async_trait::async_trait]
impl Mailer for NoMailer {
    async fn send(&self, _: &Email) -> Result<(), MailError> {
        Err(MailError::NotConfigured)
    }
}
