//! Limits what one client may do in a while: access-code, status-link and
//! sign-in guessing (after 10 failures within a minute every attempt from
//! that address gets 429 with `Retry-After` until the oldest failure ages
//! out), counted in the database so the limit holds across every process
//! that shares it ([`SharedLimiter`]); and complaints sent from the public
//! form, per process ([`GuessLimiter`]).

use jiff::{SignedDuration, Timestamp};
use redress_core::store::Store;
use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const MAX_FAILURES: usize = 10;
pub const WINDOW: Duration = Duration::from_secs(60);
/// The window of the complaint form's rate limit.
pub const COMPLAINT_WINDOW: Duration = Duration::from_secs(600);
/// Clients tracked before idle ones are forgotten.
const MAX_CLIENTS: usize = 100_000;

pub struct GuessLimiter {
    seen: Mutex<HashMap<IpAddr, VecDeque<Instant>>>,
    max: usize,
    window: Duration,
}

impl Default for GuessLimiter {
    fn default() -> Self {
        GuessLimiter::new(MAX_FAILURES, WINDOW)
    }
}

impl GuessLimiter {
    /// At most `max` counted attempts per client within `window`.
    pub fn new(max: usize, window: Duration) -> GuessLimiter {
        GuessLimiter { seen: Mutex::default(), max: max.max(1), window }
    }

    /// `Err(seconds)` when `client` must wait before trying again.
    pub fn check(&self, client: IpAddr) -> Result<(), u64> {
        let mut map = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        let Some(failures) = map.get_mut(&client) else { return Ok(()) };
        while failures.front().is_some_and(|t| t.elapsed() >= self.window) {
            failures.pop_front();
        }
        match failures.front() {
            Some(oldest) if failures.len() >= self.max => Err((self.window.saturating_sub(oldest.elapsed())).as_secs().max(1)),
            _ => Ok(()),
        }
    }

    /// Counts a failed (or, for a plain rate limit, any) attempt.
    pub fn fail(&self, client: IpAddr) {
        let mut map = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_CLIENTS {
            map.retain(|_, f| f.back().is_some_and(|t| t.elapsed() < self.window));
        }
        let failures = map.entry(client).or_default();
        failures.push_back(Instant::now());
        while failures.len() > self.max {
            failures.pop_front();
        }
    }
}

/// A guessing limit every process sharing the database enforces together:
/// failures are recorded in the store (on the app's clock), and a client
/// over the limit is refused in this process without asking the store again.
pub struct SharedLimiter {
    name: &'static str,
    local: GuessLimiter,
}

impl SharedLimiter {
    /// `name` tells this limit's failures from the others' in the store.
    pub fn new(name: &'static str) -> SharedLimiter {
        SharedLimiter { name, local: GuessLimiter::default() }
    }

    /// The window failures are counted over, on the app's clock.
    fn window(&self) -> SignedDuration {
        SignedDuration::try_from(self.local.window).unwrap_or(SignedDuration::from_mins(1))
    }

    /// `Err(seconds)` when `client` must wait before trying again.
    pub async fn check(&self, store: &dyn Store, now: Timestamp, client: IpAddr) -> Result<(), u64> {
        self.local.check(client)?;
        let window = self.window();
        match store.guess_failures(self.name, &client.to_string(), now - window).await {
            Ok((n, Some(oldest))) if n as usize >= self.local.max => {
                let wait = (oldest + window).duration_since(now).as_secs();
                Err(wait.clamp(1, self.local.window.as_secs() as i64) as u64)
            }
            Ok(_) => Ok(()),
            // The request meets the same database next and is answered for it.
            Err(e) => {
                tracing::warn!(limiter = self.name, error = %e, "cannot read recorded failures");
                Ok(())
            }
        }
    }

    /// Counts a failed attempt, here and for every process.
    pub async fn fail(&self, store: &dyn Store, now: Timestamp, client: IpAddr) {
        self.local.fail(client);
        if let Err(e) = store.record_guess_failure(self.name, &client.to_string(), now, now - self.window()).await {
            tracing::warn!(limiter = self.name, error = %e, "cannot record a failed guess");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_eleventh_failure_waits() {
        let l = GuessLimiter::default();
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        for _ in 0..MAX_FAILURES {
            assert!(l.check(ip).is_ok());
            l.fail(ip);
        }
        let wait = l.check(ip).unwrap_err();
        assert!((1..=60).contains(&wait));
        assert!(l.check("10.0.0.2".parse().unwrap()).is_ok(), "other clients are not affected");
    }
}
