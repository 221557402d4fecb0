//! Layered configuration: defaults, then `redress.toml` (or `--config`), then
//! `REDRESS_*` environment variables, then command-line flags.

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};
use std::path::Path;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Config {
    /// Address `serve` listens on.
    pub bind: String,
    /// sqlite://PATH or postgres://USER@HOST/DB.
    pub database_url: String,
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// Log filter, such as `info` or `redress=debug`.
    pub log: String,
    /// Where customers reach Redress, for links in messages; the bound
    /// address when unset.
    pub public_url: Option<String>,
    /// Outbound e-mail; without it messages are recorded as not sent.
    pub smtp: Option<redress_mail::SmtpConfig>,
    /// How often the job worker looks for due work, in milliseconds.
    pub job_poll_ms: u64,
    /// How long a job the worker claimed is reserved for it, in seconds: a
    /// killed process's jobs run again once it passes. At least twice
    /// `smtp.attempt_timeout_secs`, so an attempt ends within its lease.
    pub job_lease_secs: u64,
    /// Largest raw message accepted at /api/v1/inbound/email, in bytes.
    pub max_inbound_bytes: usize,
    /// Largest attachment kept with a case, in bytes.
    pub max_attachment_bytes: usize,
    /// Complaints one client may send from the public form in ten minutes.
    pub complaints_per_window: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            bind: "127.0.0.1:8080".into(),
            database_url: "sqlite://redress.db".into(),
            max_body_bytes: 1024 * 1024,
            log: "info".into(),
            public_url: None,
            smtp: None,
            job_poll_ms: 500,
            job_lease_secs: 120,
            max_inbound_bytes: 25 * 1024 * 1024,
            max_attachment_bytes: 5 * 1024 * 1024,
            complaints_per_window: 10,
        }
    }
}

impl Config {
    pub fn load(file: Option<&Path>) -> Result<Config, String> {
        let mut fig = Figment::from(Serialized::defaults(Config::default()));
        match file {
            Some(path) if !path.exists() => return Err(format!("config file {} does not exist", path.display())),
            Some(path) => fig = fig.merge(Toml::file(path)),
            None => fig = fig.merge(Toml::file("redress.toml")),
        }
        // REDRESS_SMTP__HOST sets smtp.host, and so on.
        let config: Config = fig.merge(Env::prefixed("REDRESS_").split("__")).extract().map_err(|e| format!("configuration: {e}"))?;
        config.check()?;
        Ok(config)
    }

    /// Rules between settings: a job's attempt must end within its lease,
    /// or another process could run it again meanwhile.
    fn check(&self) -> Result<(), String> {
        if let Some(smtp) = &self.smtp {
            if smtp.attempt_timeout_secs.saturating_mul(2) > self.job_lease_secs {
                return Err(format!(
                    "configuration: smtp.attempt_timeout_secs ({}) must be at most half of job_lease_secs ({}), so an attempt ends within its job's lease",
                    smtp.attempt_timeout_secs, self.job_lease_secs
                ));
            }
        }
        Ok(())
    }
}

/// The URL with any password hidden, for printing.
pub fn redact(url: &str) -> String {
    match (url.split_once("://"), url.rfind('@')) {
        (Some((scheme, rest)), Some(_)) => {
            let (auth, host) = rest.rsplit_once('@').unwrap_or(("", rest));
            let user = auth.split(':').next().unwrap_or("");
            if auth.contains(':') {
                format!("{scheme}://{user}:***@{host}")
            } else {
                url.to_string()
            }
        }
        _ => url.to_string(),
    }
}

pub fn init_logging(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("RUST_LOG")
        .or_else(|_| tracing_subscriber::EnvFilter::try_new(filter))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_attempt_must_end_within_its_lease() {
        let smtp = |secs| redress_mail::SmtpConfig {
            host: "localhost".into(),
            port: 25,
            security: redress_mail::Security::None,
            username: None,
            password: None,
            from: "a@example.com".into(),
            attempt_timeout_secs: secs,
        };
        let config = |secs, lease| super::Config { smtp: Some(smtp(secs)), job_lease_secs: lease, ..Default::default() };
        assert!(config(60, 120).check().is_ok());
        let refused = config(90, 120).check().unwrap_err();
        assert!(refused.contains("smtp.attempt_timeout_secs (90)") && refused.contains("job_lease_secs (120)"), "{refused}");
        assert!(super::Config::default().check().is_ok(), "no SMTP, nothing to compare");
    }

    /// The README's `[smtp]` example, pasted into a `redress.toml`, loads
    /// as it says.
    #[test]
    fn the_readme_smtp_example_loads() {
        let readme = include_str!("../../../README.md");
        let block = readme.split("```toml\n").skip(1).filter_map(|b| b.split("```").next()).find(|b| b.contains("[smtp]")).expect("the README's [smtp] example");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("redress.toml");
        std::fs::write(&path, block).unwrap();
        let smtp = super::Config::load(Some(&path)).unwrap().smtp.expect("smtp");
        assert_eq!((smtp.host.as_str(), smtp.port, smtp.security, smtp.attempt_timeout_secs), ("smtp.example.com", 587, redress_mail::Security::Starttls, 60));
    }

    #[test]
    fn hides_passwords() {
        assert_eq!(super::redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(super::redact("sqlite://x.db"), "sqlite://x.db");
    }
}
