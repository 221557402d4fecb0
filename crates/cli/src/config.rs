//! Layered configuration: defaults, then `redress.toml` (or `--config`), then
//! `REDRESS_*` environment variables, then command-line flags.

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};
use std::path::Path;

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
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

/// `REDRESS_` variables that are not settings: read by a command's own
/// flags (`admin create`, `bench --url`) or by the test suite, and left
/// alone here.
const NOT_SETTINGS: &[&str] = &["admin_password", "admin_id", "token", "screenshots", "update_openapi"];
const NOT_SETTINGS_PREFIXES: &[&str] = &["test_", "bench_"];

/// Names people reach for that are spelt otherwise here.
const ALIASES: &[(&str, &str)] = &[
    ("tls", "security"),
    ("ssl", "security"),
    ("starttls", "security"),
    ("encryption", "security"),
    ("user", "username"),
    ("login", "username"),
    ("pass", "password"),
    ("sender", "from"),
    ("server", "host"),
    ("hostname", "host"),
    ("listen", "bind"),
    ("address", "bind"),
    ("database", "database_url"),
    ("db", "database_url"),
    ("url", "public_url"),
];

impl Config {
    /// Loads the layers, refusing any key that is not a setting: a
    /// misspelt key would otherwise leave its default in force unseen.
    pub fn load(file: Option<&Path>) -> Result<Config, String> {
        let mut fig = Figment::from(Serialized::defaults(Config::default()));
        match file {
            Some(path) if !path.exists() => return Err(format!("config file {} does not exist", path.display())),
            Some(path) => fig = fig.merge(Toml::file(path)),
            None => fig = fig.merge(Toml::file("redress.toml")),
        }
        // REDRESS_SMTP__HOST sets smtp.host, and so on.
        let env = Env::prefixed("REDRESS_")
            .filter(|key| {
                let key = key.as_str().to_ascii_lowercase();
                !NOT_SETTINGS.contains(&key.as_str()) && !NOT_SETTINGS_PREFIXES.iter().any(|p| key.starts_with(p))
            })
            .split("__");
        let config: Config = fig.merge(env).extract().map_err(explain)?;
        config.check()?;
        Ok(config)
    }

    /// The effective configuration as TOML, passwords hidden.
    pub fn to_masked_toml(&self) -> Result<String, String> {
        let mut shown = self.clone();
        shown.database_url = redact(&shown.database_url);
        if let Some(smtp) = shown.smtp.as_mut() {
            if smtp.password.is_some() {
                smtp.password = Some("***".into());
            }
        }
        toml::to_string(&shown).map_err(|e| format!("cannot print the configuration: {e}"))
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

/// A configuration error in words a reader can act on: an unknown key is
/// named where it was found (file or variable) with the nearest valid one.
fn explain(errors: figment::Error) -> String {
    let lines: Vec<String> = errors.into_iter().map(|e| match &e.kind {
        figment::error::Kind::UnknownField(field, expected) => {
            let nearest = nearest(field, expected);
            let place = e.path.iter().take_while(|p| *p != field).map(String::as_str).collect::<Vec<_>>();
            let key = place.iter().copied().chain([field.as_str()]).collect::<Vec<_>>().join(".");
            let suggestion = place.iter().copied().chain([nearest]).collect::<Vec<_>>().join(".");
            let source = match e.metadata.as_ref() {
                Some(m) if m.name.contains("environment") => format!("environment variable REDRESS_{}", key.to_ascii_uppercase().replace('.', "__")),
                Some(m) => match &m.source {
                    Some(figment::Source::File(path)) => format!("{}", path.display()),
                    _ => m.name.to_string(),
                },
                None => "the configuration".into(),
            };
            format!("configuration: unknown setting `{key}` in {source}; did you mean `{suggestion}`?")
        }
        _ => format!("configuration: {e}"),
    }).collect();
    lines.join("\n")
}

/// The valid key closest to `field`: a known alias, else the smallest edit distance.
fn nearest(field: &str, expected: &[&'static str]) -> &'static str {
    let lower = field.to_ascii_lowercase();
    if let Some(alias) = ALIASES.iter().find(|(a, to)| *a == lower && expected.contains(to)) {
        return alias.1;
    }
    expected.iter().copied().min_by_key(|k| strsim::damerau_levenshtein(&lower, k)).unwrap_or("")
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

    fn load_file(text: &str) -> Result<super::Config, String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("redress.toml");
        std::fs::write(&path, text).unwrap();
        super::Config::load(Some(&path))
    }

    /// A misspelt key is an error naming it, where it was found, and the
    /// key that was meant.
    #[test]
    fn unknown_keys_are_refused_with_the_nearest_valid_one() {
        let e = load_file("[smtp]\nhost = \"localhost\"\nport = 25\nfrom = \"a@example.com\"\ntls = \"none\"\n").unwrap_err();
        assert!(e.contains("unknown setting `smtp.tls`") && e.contains("redress.toml") && e.contains("did you mean `smtp.security`?"), "{e}");
        let e = load_file("job_lease_sec = 30\n").unwrap_err();
        assert!(e.contains("unknown setting `job_lease_sec`") && e.contains("did you mean `job_lease_secs`?"), "{e}");
        assert!(load_file("job_lease_secs = 30\n").is_ok());
    }

    #[test]
    fn nearest_prefers_a_known_alias_then_the_closest_spelling() {
        let smtp = ["host", "port", "security", "username", "password", "from", "attempt_timeout_secs"];
        assert_eq!(super::nearest("tls", &smtp), "security");
        assert_eq!(super::nearest("prot", &smtp), "port");
        assert_eq!(super::nearest("Pasword", &smtp), "password");
    }

    #[test]
    fn the_printed_configuration_hides_secrets() {
        let config = load_file("database_url = \"postgres://redress:hunter22@db/redress\"\n[smtp]\nhost = \"h\"\nport = 25\nfrom = \"a@example.com\"\nusername = \"u\"\npassword = \"s3cret-pw\"\n").unwrap();
        let shown = config.to_masked_toml().unwrap();
        assert!(!shown.contains("hunter22") && !shown.contains("s3cret-pw"), "{shown}");
        assert!(shown.contains("postgres://redress:***@db/redress") && shown.contains("password = \"***\""), "{shown}");
        let back: super::Config = toml::from_str(&shown).expect("the printed configuration reads back");
        assert_eq!(back.job_lease_secs, config.job_lease_secs);
    }
}
