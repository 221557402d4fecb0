//! Starting the server, and the first admin account.

use crate::config::Config;
use redress_core::clock::SystemClock;
use redress_core::store::Store;
use redress_core::user::{NewUser, Role, User};
use redress_core::Money;
use redress_web::{AppState, WebConfig};
use std::sync::Arc;
use tokio::net::TcpListener;

/// A server running in this process on an already-bound port.
pub struct Running {
    pub base_url: String,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Running {
    pub async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

/// Starts serving on `bind`. Links in messages use `public_url`, or the
/// address actually bound when none is configured.
/// What runs beside the HTTP server.
pub struct Background {
    pub mailer: Arc<dyn redress_core::mail::Mailer>,
    pub poll: std::time::Duration,
    pub lease: jiff::SignedDuration,
}

impl Background {
    /// The configured SMTP server, or none (messages recorded as not sent).
    pub fn from_config(cfg: &Config) -> Result<Background, String> {
        let mailer: Arc<dyn redress_core::mail::Mailer> = match &cfg.smtp {
            Some(smtp) => Arc::new(redress_mail::SmtpMailer::new(smtp)?),
            None => Arc::new(redress_core::mail::NoMailer),
        };
        if !(1..=86_400).contains(&cfg.job_lease_secs) {
            return Err(format!("job_lease_secs must be 1 to 86400, not {}", cfg.job_lease_secs));
        }
        Ok(Background {
            mailer,
            poll: std::time::Duration::from_millis(cfg.job_poll_ms.clamp(10, 60_000)),
            lease: jiff::SignedDuration::from_secs(cfg.job_lease_secs as i64),
        })
    }
}

pub async fn start(store: Arc<dyn Store>, bind: &str, web: WebConfig, background: Option<Background>) -> Result<Running, String> {
    let listener = TcpListener::bind(bind).await.map_err(|e| format!("cannot listen on {bind}: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let mut web = web;
    if web.public_url.is_empty() {
        web.public_url = format!("http://{addr}");
    }
    let web_public_url = web.public_url.clone();
    let state = AppState::new(store.clone(), Arc::new(SystemClock), web);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let (stop_worker, worker_stopped) = tokio::sync::watch::channel(false);
    if let Some(bg) = background {
        let config = redress_jobs::WorkerConfig {
            poll: bg.poll,
            lease: bg.lease,
            public_url: web_public_url.clone(),
            wake: Some(&redress_store::JOBS_ADDED),
            ..Default::default()
        };
        let worker = redress_jobs::Worker::new(store.clone(), bg.mailer, Arc::new(SystemClock), config)?;
        let mut rx = worker_stopped;
        tokio::spawn(worker.run(async move {
            let _ = rx.wait_for(|stopped| *stopped).await;
        }));
    }
    let task = tokio::spawn(redress_web::serve(listener, state, async move {
        let _ = stopped.await;
        let _ = stop_worker.send(true);
    }));
    Ok(Running { base_url: format!("http://{addr}"), stop, task })
}

/// The HTTP settings of a configuration; an unset public URL becomes the
/// address actually bound.
pub fn web_config(cfg: &Config) -> WebConfig {
    WebConfig {
        max_body_bytes: cfg.max_body_bytes,
        public_url: cfg.public_url.clone().unwrap_or_default(),
        max_inbound_bytes: cfg.max_inbound_bytes,
        max_attachment_bytes: cfg.max_attachment_bytes,
        complaints_per_window: cfg.complaints_per_window,
    }
}

pub async fn serve_forever(cfg: &Config) -> Result<(), String> {
    let store = redress_store::open(&cfg.database_url).await.map_err(|e| e.to_string())?;
    let background = Background::from_config(cfg)?;
    let running = start(store, &cfg.bind, web_config(cfg), Some(background)).await?;
    tracing::info!(url = %running.base_url, database = %crate::config::redact(&cfg.database_url), "redress is serving");
    eprintln!("Redress is serving on {} (Ctrl-C stops it)", running.base_url);
    shutdown_signal().await;
    running.stop().await;
    Ok(())
}

pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

/// Creates an admin and an API token for it; returns the token (shown once).
pub async fn create_admin(store: &dyn Store, name: &str, email: Option<&str>, password: Option<&str>) -> Result<(User, String), String> {
    let email = redress_core::user::parse_email(email).map_err(|e| e.to_string())?;
    let password_hash = match password {
        Some(p) => {
            redress_web::auth::check_password_rules(p).map_err(|e| e.detail)?;
            if email.is_none() {
                return Err("a console password needs --email to sign in with".into());
            }
            Some(redress_web::auth::hash_password(p.to_string()).await.map_err(|e| e.detail)?)
        }
        None => None,
    };
    let name = redress_core::user::required_text("name", name, 200).map_err(|e| e.to_string())?;
    // Made from the command line: recorded with no actor.
    let by = redress_core::audit::ChangedBy::command_line(jiff::Timestamp::now());
    let user = store
        .create_user(NewUser { name, email, role: Role::Admin, mandate: Money::ZERO, manager_id: None, password_hash }, by)
        .await
        .map_err(|e| e.to_string())?;
    let (token, digest) = redress_web::auth::new_token().map_err(|e| e.detail)?;
    store.add_token(user.id, digest, Some("admin create".into()), by).await.map_err(|e| e.to_string())?;
    Ok((user, token))
}
