//! Append-only schema migrations with matching version numbers per backend.

/// `(version, sql)` pairs; never edit one that has shipped, add the next.
pub const SQLITE: &[(i64, &str)] = &[
    (1, include_str!("../migrations/sqlite/0001_init.sql")),
    (2, include_str!("../migrations/sqlite/0002_surveys.sql")),
    (3, include_str!("../migrations/sqlite/0003_sessions.sql")),
    (4, include_str!("../migrations/sqlite/0004_jobs.sql")),
    (5, include_str!("../migrations/sqlite/0005_targets.sql")),
    (6, include_str!("../migrations/sqlite/0006_attachments.sql")),
    (7, include_str!("../migrations/sqlite/0007_webhooks.sql")),
    (8, include_str!("../migrations/sqlite/0008_queues.sql")),
    (9, include_str!("../migrations/sqlite/0009_session_activity.sql")),
    (10, include_str!("../migrations/sqlite/0010_customer_pages.sql")),
    (11, include_str!("../migrations/sqlite/0011_erasures.sql")),
    (12, include_str!("../migrations/sqlite/0012_case_text_search.sql")),
    (13, include_str!("../migrations/sqlite/0013_export_indexes.sql")),
    (14, include_str!("../migrations/sqlite/0014_problem_records.sql")),
    (15, include_str!("../migrations/sqlite/0015_insight.sql")),
    (16, include_str!("../migrations/sqlite/0016_rollup_summaries.sql")),
    (17, include_str!("../migrations/sqlite/0017_customer_names.sql")),
    (18, include_str!("../migrations/sqlite/0018_month_summaries.sql")),
    (19, include_str!("../migrations/sqlite/0019_customer_times.sql")),
    (20, include_str!("../migrations/sqlite/0020_directory_version.sql")),
];
pub const POSTGRES: &[(i64, &str)] = &[
    (1, include_str!("../migrations/postgres/0001_init.sql")),
    (2, include_str!("../migrations/postgres/0002_surveys.sql")),
    (3, include_str!("../migrations/postgres/0003_sessions.sql")),
    (4, include_str!("../migrations/postgres/0004_jobs.sql")),
    (5, include_str!("../migrations/postgres/0005_targets.sql")),
    (6, include_str!("../migrations/postgres/0006_attachments.sql")),
    (7, include_str!("../migrations/postgres/0007_webhooks.sql")),
    (8, include_str!("../migrations/postgres/0008_queues.sql")),
    (9, include_str!("../migrations/postgres/0009_session_activity.sql")),
    (10, include_str!("../migrations/postgres/0010_customer_pages.sql")),
    (11, include_str!("../migrations/postgres/0011_erasures.sql")),
    (12, include_str!("../migrations/postgres/0012_case_text_search.sql")),
    (13, include_str!("../migrations/postgres/0013_export_indexes.sql")),
    (14, include_str!("../migrations/postgres/0014_problem_records.sql")),
    (15, include_str!("../migrations/postgres/0015_insight.sql")),
    (16, include_str!("../migrations/postgres/0016_rollup_summaries.sql")),
    (17, include_str!("../migrations/postgres/0017_customer_names.sql")),
    (18, include_str!("../migrations/postgres/0018_month_summaries.sql")),
    (19, include_str!("../migrations/postgres/0019_customer_times.sql")),
    (20, include_str!("../migrations/postgres/0020_directory_version.sql")),
];

pub const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)";
