//! Durable background work: what a job is, and how failures are retried.

use jiff::{SignedDuration, Timestamp};

/// Deliver one notification (by e-mail) at its `scheduled_for`.
pub const DELIVER_NOTIFICATION: &str = "deliver_notification";

/// Attempts before a job is given up and kept as `dead`.
pub const MAX_ATTEMPTS: u32 = 10;

/// A claimed job: its kind, payload and how many times it has been tried
/// (this attempt included).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    pub payload: serde_json::Value,
    pub attempts: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    Pending,
    Running,
    Done,
    /// Failed on every attempt; kept for inspection (the dead-letter queue).
    Dead,
}

impl JobStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Pending => "pending",
            JobStatus::Running => "running",
            JobStatus::Done => "done",
            JobStatus::Dead => "dead",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [JobStatus::Pending, JobStatus::Running, JobStatus::Done, JobStatus::Dead].into_iter().find(|j| j.as_str() == s)
    }
}

/// A job as listed over the API.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct JobRecord {
    pub id: i64,
    pub kind: String,
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    pub status: JobStatus,
    pub attempts: u32,
    #[schema(value_type = String, format = DateTime)]
    pub run_at: Timestamp,
    pub last_error: Option<String>,
}

/// What became of an attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JobOutcome {
    Done,
    /// Try again at `at`.
    Retry { at: Timestamp, error: String },
    /// Give up; the job stays as a dead letter.
    Dead { error: String },
}

/// Wait before attempt `attempts + 1`: 15 s doubling per attempt, at most an hour.
pub fn backoff(attempts: u32) -> SignedDuration {
    let secs = 15i64.saturating_mul(1i64 << attempts.saturating_sub(1).min(16));
    SignedDuration::from_secs(secs.min(3600))
}

/// Retry with backoff, or give up after [`MAX_ATTEMPTS`].
pub fn after_failure(attempts: u32, now: Timestamp, error: String) -> JobOutcome {
    if attempts >= MAX_ATTEMPTS {
        JobOutcome::Dead { error }
    } else {
        JobOutcome::Retry { at: now + backoff(attempts), error }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_an_hour_then_gives_up() {
        assert_eq!(backoff(1).as_secs(), 15);
        assert_eq!(backoff(2).as_secs(), 30);
        assert_eq!(backoff(5).as_secs(), 240);
        assert_eq!(backoff(30).as_secs(), 3600);
        let now = Timestamp::UNIX_EPOCH;
        assert!(matches!(after_failure(3, now, "x".into()), JobOutcome::Retry { .. }));
        assert!(matches!(after_failure(MAX_ATTEMPTS, now, "x".into()), JobOutcome::Dead { .. }));
    }
}
