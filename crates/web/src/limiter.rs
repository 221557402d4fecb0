//! Limits access-code guessing per client: after 10 failures within a minute
//! every attempt from that address gets 429 with `Retry-After` until the
//! oldest failure ages out. Per process; each `serve` process counts its own.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const MAX_FAILURES: usize = 10;
pub const WINDOW: Duration = Duration::from_secs(60);
/// Clients tracked before idle ones are forgotten.
const MAX_CLIENTS: usize = 100_000;

#[derive(Default)]
pub struct GuessLimiter(Mutex<HashMap<IpAddr, VecDeque<Instant>>>);

impl GuessLimiter {
    /// `Err(seconds)` when `client` must wait before trying again.
    pub fn check(&self, client: IpAddr) -> Result<(), u64> {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let Some(failures) = map.get_mut(&client) else { return Ok(()) };
        while failures.front().is_some_and(|t| t.elapsed() >= WINDOW) {
            failures.pop_front();
        }
        match failures.front() {
            Some(oldest) if failures.len() >= MAX_FAILURES => Err((WINDOW.saturating_sub(oldest.elapsed())).as_secs().max(1)),
            _ => Ok(()),
        }
    }

    /// Counts a failed attempt.
    pub fn fail(&self, client: IpAddr) {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_CLIENTS {
            map.retain(|_, f| f.back().is_some_and(|t| t.elapsed() < WINDOW));
        }
        let failures = map.entry(client).or_default();
        failures.push_back(Instant::now());
        while failures.len() > MAX_FAILURES {
            failures.pop_front();
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
