//! The Store contract, run against SQLite and PostgreSQL alike: atomic case
//! changes, no lost updates under concurrency, settings, tokens, migrations.

use jiff::Timestamp;
use redress_core::case::{Case, Channel, NewCase, RemedyKind};
use redress_core::terms::Severity;
use redress_core::customer::NewCustomer;
use redress_core::store::{Store, StoreError};
use redress_core::audit::ChangedBy;
use redress_core::settings::OrgSettings;
use redress_core::user::{NewUser, Role, User, UserChange};
use redress_core::{DomainError, Money};
use redress_store::scratch::{test_postgres_server, ScratchDatabase};
use redress_store::Backend;
use std::sync::Arc;

/// An administrative change made by the test itself.
fn by() -> ChangedBy {
    ChangedBy::command_line(now())
}

fn now() -> Timestamp {
    "2026-11-20T12:00:00Z".parse().unwrap()
}

async fn fresh(backend: Backend) -> (Arc<dyn Store>, ScratchDatabase) {
    let db = ScratchDatabase::create(backend, &test_postgres_server()).await.expect("scratch database");
    (redress_store::open(&db.url).await.expect("open"), db)
}

async fn seed(store: &dyn Store) -> (User, Case) {
    let user = store
        .create_user(NewUser { name: "Owner".into(), email: None, role: Role::Manager, mandate: Money::parse("1000").unwrap(), manager_id: None, password_hash: None }, by())
        .await
        .unwrap();
    let customer = store
        .create_customer(NewCustomer { name: "C".into(), email: None, phone: None, timezone: "UTC".into(), client_manager_id: None, language: None }, now())
        .await
        .unwrap();
    let case = open_case(store, case_input(Channel::Phone, "s", None), &customer, &user).await;
    (user, case)
}

/// A case to open: `channel`, `summary`, reported at `reported` (now when none).
fn case_input(channel: Channel, summary: &str, reported: Option<Timestamp>) -> NewCase {
    NewCase {
        channel,
        summary: summary.into(),
        description: String::new(),
        desired_resolution: None,
        severity: Severity::Normal,
        significant: false,
        service_area_id: None,
        occurred_at: reported.map(|t| t - jiff::SignedDuration::from_hours(2)),
        reported_at: reported,
        order_reference: None,
        category_id: None,
    }
}

/// Opens and stores a case as `Case::open` makes it.
async fn open_case(store: &dyn Store, input: NewCase, customer: &redress_core::customer::Customer, user: &User) -> Case {
    let settings = store.settings().await.unwrap();
    let (case, events) = Case::open(input, customer, user, user, &settings, settings.default_targets(), now()).unwrap();
    store.create_case(case, redress_core::case::Outcome { events, ..Default::default() }, None, &settings).await.unwrap()
}

async fn concurrent_changes_are_all_kept(backend: Backend) {
    let (store, _db) = fresh(backend).await;
    let (user, case) = seed(store.as_ref()).await;
    let mut tasks = Vec::new();
    for i in 0..60 {
        let (store, user) = (store.clone(), user.clone());
        tasks.push(tokio::spawn(async move {
            store
                .update_case(case.id, vec![], Box::new(move |c, ctx| {
                    if i % 3 == 0 {
                        // Changes the case, then refuses: none of it may stick.
                        c.summary = "must not be stored".into();
                        return Err(DomainError::conflict("refused on purpose"));
                    }
                    c.give_gift(&user, &format!("gift {i}"), Money::parse("1").unwrap(), ctx, now())
                }))
                .await
        }));
    }
    let mut refused = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => {}
            Err(StoreError::Domain(DomainError::Conflict(_))) => refused += 1,
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(refused, 20);
    let detail = store.case_detail(case.id).await.unwrap().unwrap();
    assert_eq!(detail.case.gifts.len(), 40, "no lost updates");
    assert_eq!(detail.case.summary, "s", "a refused change leaves the case as it was");
    assert_eq!(detail.timeline.iter().filter(|e| e.kind == "gift").count(), 40);
    assert_eq!(detail.case.id, case.id);
    assert_eq!(detail.case.reference, case.id.reference());
    let last = store.last_changes(&[case.id, case.id, redress_core::CaseId(999)]).await.unwrap();
    assert_eq!(last.len(), 1, "a case without events is left out: {last:?}");
    assert_eq!(last.get(&case.id), detail.timeline.iter().map(|e| e.at).max().as_ref(), "the newest event's time");
    assert!(store.last_changes(&[]).await.unwrap().is_empty());
}

/// Case `i` of a small history: reported on one of the twenty days before
/// `now()` by one of three channels, every other one given a gift.
async fn history_case(store: &dyn Store, user: &User, customer: &redress_core::customer::Customer, i: i64) {
    let reported = now() - jiff::SignedDuration::from_hours(24 * (i % 20) + i % 7);
    let input = case_input([Channel::Phone, Channel::Email, Channel::Web][i as usize % 3], &format!("case {i}"), Some(reported));
    let case = open_case(store, input, customer, user).await;
    if i % 2 == 0 {
        let user = user.clone();
        store.update_case(case.id, vec![], Box::new(move |c, ctx| c.give_gift(&user, "sorry", Money::parse("5").unwrap(), ctx, now()))).await.unwrap();
    }
}

/// A fresh store holding the seed and `n` cases of [`history_case`], with
/// the database (for a second store), the seed's owner and customer.
async fn with_history(backend: Backend, n: i64) -> (Arc<dyn Store>, ScratchDatabase, User, redress_core::customer::Customer) {
    let (store, db) = fresh(backend).await;
    let (user, first) = seed(store.as_ref()).await;
    let customer = store.customer(first.customer_id).await.unwrap().unwrap();
    for i in 0..n {
        history_case(store.as_ref(), &user, &customer, i).await;
    }
    (store, db, user, customer)
}

/// The figures of a few queries (the whole history, a week, each for every
/// channel and for e-mail), as `store` computes them.
async fn figures(store: &dyn Store) -> Vec<redress_core::insight::Metrics> {
    use redress_core::insight::{Metrics, MetricsQuery};
    let mut all = Vec::new();
    for channel in [None, Some(Channel::Email)] {
        for (from, to) in [("2026-10-01", "2026-11-30"), ("2026-11-09", "2026-11-15")] {
            let q = MetricsQuery { from: from.parse().unwrap(), to: to.parse().unwrap(), service_area_id: None, channel, owner_id: None, category_id: None };
            all.push(Metrics::of(&store.rollups(&q).await.unwrap(), &q));
        }
    }
    all
}

/// Two processes compacting the same pending rollup changes at once, a few
/// at a time each, fold every change exactly once: the figures equal those
/// read while the changes waited, and those of a rebuild from scratch.
async fn two_compactors_at_once_fold_each_change_once(backend: Backend) {
    let (store, db, _, _) = with_history(backend, 30).await;
    let pending = figures(store.as_ref()).await;
    assert_eq!(pending[0].cases, 31);
    let other = redress_store::open(&db.url).await.expect("a second store on the same database");
    let drain = |store: Arc<dyn Store>| async move {
        let mut folded = 0;
        loop {
            match store.compact_rollups(3).await.unwrap() {
                0 => return folded,
                n => folded += n,
            }
        }
    };
    let (a, b) = tokio::join!(drain(store.clone()), drain(other.clone()));
    // (On SQLite one may find the other has folded everything while it waited for the file's lock.)
    assert!(a + b > 6, "the changes waited to be folded: {a} and {b}");
    assert_eq!(figures(other.as_ref()).await, pending, "the same once both compactors ran");
    store.rebuild_rollups().await.unwrap();
    assert_eq!(figures(store.as_ref()).await, pending, "the same once rebuilt");
}

/// A rebuild while another process writes: every write lands once, before
/// or after the rebuild, so the figures afterwards equal those of a second
/// rebuild from scratch.
async fn a_rebuild_under_writes_loses_and_doubles_nothing(backend: Backend) {
    let (store, db, user, customer) = with_history(backend, 10).await;
    let writer = redress_store::open(&db.url).await.expect("a second store on the same database");
    let writes = {
        let (writer, user, customer) = (writer.clone(), user.clone(), customer.clone());
        tokio::spawn(async move {
            for i in 10..40i64 {
                history_case(writer.as_ref(), &user, &customer, i).await;
            }
        })
    };
    for _ in 0..3 {
        store.rebuild_rollups().await.unwrap();
    }
    writes.await.unwrap();
    let after = figures(store.as_ref()).await;
    assert_eq!(after[0].cases, 41);
    store.rebuild_rollups().await.unwrap();
    assert_eq!(figures(writer.as_ref()).await, after, "the same as a rebuild with no writes beside it");
}

/// Cases of the same customers opened at once, from two processes, out of
/// the order they were reported in, and survey responses of other
/// customers given at once: each customer's loyalty part (their first
/// report, their responses) moves once per change it sees, so the figures
/// equal a rebuild's from scratch.
async fn a_customer_s_writes_at_once_move_their_loyalty_once(backend: Backend) {
    use redress_core::survey::{NewInvitation, NewSurvey, Question, QuestionKind, SurveyPurpose};
    let (store, db) = fresh(backend).await;
    let (user, _) = seed(store.as_ref()).await;
    let other = redress_store::open(&db.url).await.expect("a second store on the same database");
    let question = Question { key: "q".into(), prompt: "How was it?".into(), kind: QuestionKind::Rating, options: vec![], required: true, category_id: None };
    let survey = store.create_survey(NewSurvey::parse("S", None, None, vec![question], 0, None, SurveyPurpose::Feedback).unwrap(), now()).await.unwrap();
    let mut tasks = Vec::new();
    for k in 0..4u8 {
        let customer = store
            .create_customer(NewCustomer { name: format!("Respondent {k}"), email: None, phone: None, timezone: "UTC".into(), client_manager_id: None, language: None }, now())
            .await
            .unwrap();
        let codes: Vec<String> = (0..6u8).map(|i| redress_core::access_code::from_random([k * 8 + i + 1; 8])).collect();
        let invitations = codes
            .iter()
            .map(|code| NewInvitation { customer_id: customer.id, code_digest: redress_core::access_code::digest_of(code).unwrap(), expires_at: now() + jiff::SignedDuration::from_hours(240), case_id: None })
            .collect();
        store.create_invitations(survey.id, invitations, now()).await.unwrap();
        for (i, code) in codes.into_iter().enumerate() {
            let store = if i % 2 == 0 { store.clone() } else { other.clone() };
            let answers = serde_json::json!({ "q": 1 + i % 5 }).as_object().unwrap().clone();
            let judge = Box::new(move |ctx: &redress_core::feedback::ResponseContext| redress_core::feedback::respond(ctx, &answers, None, now()));
            let submission = redress_core::store::Submission { code_digest: redress_core::access_code::digest_of(&code).unwrap(), idempotency_key: None, judge };
            tasks.push(tokio::spawn(async move {
                store.submit_response(submission).await.unwrap();
            }));
        }
    }
    for k in 0..6 {
        let customer = store
            .create_customer(NewCustomer { name: format!("Customer {k}"), email: None, phone: None, timezone: "UTC".into(), client_manager_id: None, language: None }, now())
            .await
            .unwrap();
        for i in 0..8i64 {
            let (store, user, customer) = (if i % 2 == 0 { store.clone() } else { other.clone() }, user.clone(), customer.clone());
            tasks.push(tokio::spawn(async move { history_case(store.as_ref(), &user, &customer, 7 - i).await }));
        }
    }
    for t in tasks {
        t.await.unwrap();
    }
    let written = figures(store.as_ref()).await;
    assert_eq!((written[0].cases, written[0].satisfaction.responses), (65, 24), "every case and response, with the follow-up cases of the low ratings");
    store.rebuild_rollups().await.unwrap();
    assert_eq!(figures(other.as_ref()).await, written, "the same once rebuilt");
}

/// A case's intake reads its customer with the settings as they are now:
/// kept by the process between changes, read again after a change made by
/// another process.
async fn case_intake_reads_settings_as_they_are_now(backend: Backend) {
    let (store, db) = fresh(backend).await;
    let (_, case) = seed(store.as_ref()).await;
    let other = redress_store::open(&db.url).await.expect("a second store on the same database");
    let (customer, settings) = store.customer_with_settings(case.customer_id).await.unwrap().expect("the seed's customer");
    assert_eq!((customer.id, settings.timezone.as_str()), (case.customer_id, "UTC"));
    assert_eq!(store.customer_with_settings(case.customer_id).await.unwrap().unwrap().1, settings, "the same while nothing changed");
    let mut changed = settings.clone();
    changed.timezone = "Europe/Vienna".into();
    other.put_settings(changed.clone(), by()).await.unwrap();
    assert_eq!(store.customer_with_settings(case.customer_id).await.unwrap().unwrap().1, changed, "another process's change, at once");
    assert!(store.customer_with_settings(redress_core::CustomerId(999)).await.unwrap().is_none());
}

async fn missing_case_is_not_found(backend: Backend) {
    let (store, _db) = fresh(backend).await;
    let err = store.update_case(redress_core::CaseId(42), vec![], Box::new(|_, _| Ok(Default::default()))).await.unwrap_err();
    assert!(matches!(err, StoreError::Domain(DomainError::NotFound(_))), "{err}");
    assert!(store.case(redress_core::CaseId(42)).await.unwrap().is_none());
}

/// A case whose insert finds no customer stores nothing: not its events or
/// reward beside the newest case either (on SQLite they follow the insert
/// in the same call and find the new row as the newest).
async fn a_case_without_its_customer_leaves_nothing(backend: Backend) {
    let (store, _db) = fresh(backend).await;
    let (user, newest) = seed(&*store).await;
    let settings = store.settings().await.unwrap();
    let timeline = store.case_detail(newest.id).await.unwrap().unwrap().timeline;
    let (customer, _) = store.customer_with_settings(newest.customer_id).await.unwrap().unwrap();
    let (case, events) = Case::open(case_input(Channel::Phone, "orphan", None), &customer, &user, &user, &settings, settings.default_targets(), now()).unwrap();
    let mut orphan = case;
    orphan.customer_id = redress_core::CustomerId(999);
    let reward = redress_core::terms::Reward { points: 5, reason: "fast_report" };
    let opening = redress_core::case::Outcome { events, ..Default::default() };
    assert!(store.create_case(orphan, opening, Some(reward), &settings).await.is_err(), "no customer, no case");
    assert_eq!(store.case_detail(newest.id).await.unwrap().unwrap().timeline, timeline, "no events beside the newest case");
    assert!(store.case(redress_core::CaseId(newest.id.0 + 1)).await.unwrap().is_none());
    assert!(store.rewards(newest.customer_id).await.unwrap().is_empty(), "no reward for the newest case's customer");
    assert!(store.rewards(redress_core::CustomerId(999)).await.unwrap().is_empty());
}

/// New cases written at once, a few of them with an owner who does not
/// exist: each of those fails on its own, and every other is stored whole
/// (events, reward, rollups), whatever batch it shared with a failing one.
async fn a_failing_case_fails_alone_among_cases_written_at_once(backend: Backend) {
    let (store, _db) = fresh(backend).await;
    let (user, first) = seed(store.as_ref()).await;
    let settings = store.settings().await.unwrap();
    let mut tasks = Vec::new();
    for k in 0..4 {
        let customer = store
            .create_customer(NewCustomer { name: format!("Customer {k}"), email: None, phone: None, timezone: "UTC".into(), client_manager_id: None, language: None }, now())
            .await
            .unwrap();
        for i in 0..20 {
            let (store, user, customer, settings) = (store.clone(), user.clone(), customer.clone(), settings.clone());
            tasks.push(tokio::spawn(async move {
                let (mut case, events) = Case::open(case_input(Channel::Phone, &format!("case {k}/{i}"), None), &customer, &user, &user, &settings, settings.default_targets(), now()).unwrap();
                let bad = i % 7 == 3;
                if bad {
                    case.owner_id = redress_core::UserId(999);
                }
                let reward = redress_core::terms::Reward { points: 5, reason: "fast_report" };
                let opened = events.len();
                let stored = store.create_case(case, redress_core::case::Outcome { events, ..Default::default() }, Some(reward), &settings).await;
                (bad, stored.map(|case| (case, opened)))
            }));
        }
    }
    let mut stored = Vec::new();
    for t in tasks {
        match t.await.unwrap() {
            (true, Err(_)) => {}
            (true, Ok((case, _))) => panic!("case {} has an owner who does not exist, yet was stored", case.id),
            (false, Ok(case)) => stored.push(case),
            (false, Err(e)) => panic!("a good case failed beside a bad one: {e}"),
        }
    }
    assert_eq!(stored.len(), 4 * 17);
    let mut ids: Vec<_> = stored.iter().map(|(c, _)| c.id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), stored.len(), "each case its own id");
    for (case, opened) in &stored {
        let detail = store.case_detail(case.id).await.unwrap().unwrap();
        assert_eq!((detail.case.summary.as_str(), detail.case.reference.as_str()), (case.summary.as_str(), case.id.reference().as_str()));
        assert_eq!(detail.timeline.len(), *opened, "the opening events of case {}", case.id);
    }
    let stored: Vec<Case> = stored.into_iter().map(|(case, _)| case).collect();
    let mut all = 0;
    for customer in stored.iter().map(|c| c.customer_id).collect::<std::collections::BTreeSet<_>>() {
        all += store.rewards(customer).await.unwrap().len();
    }
    assert_eq!(all, stored.len(), "one reward per case stored, none for a failed one");
    let found = store.cases(&redress_core::store::CaseFilter { limit: 500, ..Default::default() }).await.unwrap();
    assert_eq!(found.len(), stored.len() + 1, "nothing of a failed case");
    assert!(found.iter().any(|c| c.id == first.id));
    let written = figures(store.as_ref()).await;
    assert_eq!(written[0].cases, 69);
    store.rebuild_rollups().await.unwrap();
    assert_eq!(figures(store.as_ref()).await, written, "the same once rebuilt");
}

async fn settings_tokens_and_references(backend: Backend) {
    let (store, _db) = fresh(backend).await;
    let defaults = store.settings().await.unwrap();
    assert_eq!(defaults.timezone, "UTC");
    let mut s = defaults.clone();
    s.timezone = "Europe/London".into();
    s.holidays = vec!["2026-12-25".parse().unwrap()];
    store.put_settings(s.clone(), by()).await.unwrap();
    store.put_settings(s.clone(), by()).await.unwrap();
    assert_eq!(store.settings().await.unwrap(), s);
    let (user, _) = seed(store.as_ref()).await;
    store.add_token(user.id, "abc123".into(), Some("t".into()), by()).await.unwrap();
    assert_eq!(store.user_by_token("abc123").await.unwrap().map(|u| u.id), Some(user.id));
    assert!(store.user_by_token("abc124").await.unwrap().is_none());
    let err = store.add_token(user.id, "abc123".into(), None, by()).await.unwrap_err();
    assert!(matches!(err, StoreError::Domain(DomainError::Conflict(_))), "a digest is unique: {err}");
    let mut bad = s.clone();
    bad.default_owner_id = Some(redress_core::UserId(999));
    assert!(matches!(store.put_settings(bad, by()).await, Err(StoreError::Domain(DomainError::Invalid(_)))));
}

async fn migrations_run_once(backend: Backend) {
    let (store, db) = fresh(backend).await;
    drop(store);
    assert_eq!(redress_store::migrate(&db.url).await.unwrap(), 0);
    let again = redress_store::open(&db.url).await.unwrap();
    again.ping().await.unwrap();
}

/// Runs `sql` on the database at `url` directly, beside the store.
async fn raw(backend: Backend, url: &str, sql: &str) -> Vec<(i64, Option<i64>)> {
    match backend {
        Backend::Sqlite => {
            let pool = sqlx::SqlitePool::connect(url).await.unwrap();
            sqlx::query_as(sql).fetch_all(&pool).await.unwrap()
        }
        Backend::Postgres => {
            let pool = sqlx::PgPool::connect(url).await.unwrap();
            sqlx::query_as(sql).fetch_all(&pool).await.unwrap()
        }
    }
}

async fn older_rows_are_reprojected_on_open(backend: Backend) {
    let (store, db) = fresh(backend).await;
    let (user, case) = seed(store.as_ref()).await;
    let agreed = Money::parse("30").unwrap();
    let case = store
        .update_case(case.id, vec![], Box::new(move |c, ctx| c.propose_action(&user, "Refund", RemedyKind::Refund, agreed, None, ctx, now())))
        .await
        .unwrap();
    let projected = raw(backend, &db.url, "SELECT projection, next_due_at FROM cases").await;
    assert_eq!(projected, vec![(3, case.next_due().map(|(t, _)| t.as_microsecond()))], "written with its queue columns");
    assert_eq!(raw(backend, &db.url, "SELECT remedies_scaled, gifts_scaled FROM cases").await, vec![(300000, Some(0))], "and what it cost");
    // As if written by a version before the queues (or the cost columns) existed.
    raw(backend, &db.url, "UPDATE cases SET projection = 0, next_due_at = NULL, remedies_scaled = 0 RETURNING id, next_due_at").await;
    drop(store);
    let _reopened = redress_store::open(&db.url).await.unwrap();
    assert_eq!(raw(backend, &db.url, "SELECT projection, next_due_at FROM cases").await, projected);
    assert_eq!(raw(backend, &db.url, "SELECT remedies_scaled, gifts_scaled FROM cases").await, vec![(300000, Some(0))]);
}

async fn erasure_is_all_or_nothing_and_once(backend: Backend) {
    let (store, db) = fresh(backend).await;
    let (user, case) = seed(store.as_ref()).await;
    let customer = case.customer_id;
    // A refusal (an unknown admin) leaves everything as it was.
    let refused = store.erase_customer(customer, ChangedBy::user(redress_core::UserId(999), now())).await;
    assert!(matches!(refused, Err(StoreError::Domain(DomainError::Invalid(_)))), "{refused:?}");
    assert_eq!(store.customer(customer).await.unwrap().unwrap().name, "C");
    assert_eq!(store.case(case.id).await.unwrap().unwrap().summary, "s");
    assert!(store.erasure(customer).await.unwrap().is_none());
    let unknown = store.erase_customer(redress_core::CustomerId(999), ChangedBy::user(user.id, now())).await;
    assert!(matches!(unknown, Err(StoreError::Domain(DomainError::NotFound(_)))), "{unknown:?}");

    // Two at once: exactly one erases, the other is told it already happened.
    let (a, b) = tokio::join!(store.erase_customer(customer, ChangedBy::user(user.id, now())), store.erase_customer(customer, ChangedBy::user(user.id, now())));
    let conflicts = [&a, &b].iter().filter(|r| matches!(r, Err(StoreError::Domain(DomainError::Conflict(_))))).count();
    assert_eq!((a.is_ok() as usize + b.is_ok() as usize, conflicts), (1, 1), "{a:?} {b:?}");
    let erased = store.customer(customer).await.unwrap().unwrap();
    assert_eq!((erased.name.as_str(), erased.erased_at), ("Erased customer 1", Some(now())));
    assert_eq!(store.erasure(customer).await.unwrap().unwrap().erased_by, user.id);
    // The stored case and its projection columns alike.
    assert_eq!(store.case(case.id).await.unwrap().unwrap().summary, "[erased]");
    let rows = raw(backend, &db.url, "SELECT id, CAST(NULL AS BIGINT) FROM cases WHERE summary = '[erased]'").await;
    assert_eq!(rows, vec![(case.id.0, None)]);
    let kinds: Vec<String> = store.case_detail(case.id).await.unwrap().unwrap().timeline.into_iter().map(|e| e.kind).collect();
    assert_eq!(kinds.last().map(String::as_str), Some("customer_erased"));
    assert_eq!(kinds.iter().filter(|k| *k == "customer_erased").count(), 1, "once");
}

/// The export's pages: by id above the last one, within the period by
/// `reported_at` (from inclusive, to exclusive), and their count.
async fn export_pages_run_by_id_within_the_period(backend: Backend) {
    use redress_core::store::TimeRange;
    let (store, _db) = fresh(backend).await;
    let (user, first) = seed(store.as_ref()).await;
    let customer = store.customer(first.customer_id).await.unwrap().unwrap();
    let settings = store.settings().await.unwrap();
    let mut ids = vec![first.id];
    for day in ["2026-11-01", "2026-11-02", "2026-11-03", "2026-11-04"] {
        let reported_at: Timestamp = format!("{day}T00:00:00Z").parse().unwrap();
        let input = NewCase {
            channel: Channel::Email,
            summary: day.into(),
            description: String::new(),
            desired_resolution: None,
            severity: Severity::Normal,
            significant: false,
            service_area_id: None,
            occurred_at: None,
            reported_at: Some(reported_at),
            order_reference: None,
            category_id: None,
        };
        let (case, events) = Case::open(input, &customer, &user, &user, &settings, settings.default_targets(), now()).unwrap();
        ids.push(store.create_case(case, redress_core::case::Outcome { events, ..Default::default() }, None, &settings).await.unwrap().id);
    }
    let all = TimeRange::default();
    assert_eq!(store.count_cases_in(all).await.unwrap(), 5);
    let (mut seen, mut after) = (Vec::new(), None);
    loop {
        let page = store.cases_page(all, after, 2).await.unwrap();
        assert!(page.len() <= 2);
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        seen.extend(page.iter().map(|c| c.id));
    }
    assert_eq!(seen, ids, "every case once, lowest id first");
    let range = TimeRange { from: Some("2026-11-02T00:00:00Z".parse().unwrap()), to: Some("2026-11-04T00:00:00Z".parse().unwrap()) };
    let page: Vec<_> = store.cases_page(range, None, 10).await.unwrap().into_iter().map(|c| c.summary).collect();
    assert_eq!(page, ["2026-11-02", "2026-11-03"]);
    assert_eq!(store.count_cases_in(range).await.unwrap(), 2);
    assert!(store.cases_page(range, Some(ids[3]), 10).await.unwrap().is_empty());
    assert_eq!((store.count_responses_in(all).await.unwrap(), store.responses_page(all, None, 10).await.unwrap().len()), (0, 0));
}

/// PostgreSQL: a writer holds `customers` and then needs `cases` while a
/// rebuild, having taken `cases`, waits for `customers`. The rebuild gives
/// way (its lock wait times out, its locks are let go) instead of the two
/// deadlocking; the writer's change lands, and the rebuild then completes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_rebuild_gives_way_to_a_writer_holding_a_table() {
    use sqlx::Connection;
    let (store, db, _, customer) = with_history(Backend::Postgres, 3).await;
    let mut writer = sqlx::PgConnection::connect(&db.url).await.unwrap();
    let mut tx = writer.begin().await.unwrap();
    sqlx::query("UPDATE customers SET name = name WHERE id = $1").bind(customer.id.0).execute(&mut *tx).await.unwrap();
    let rebuild = tokio::spawn({
        let store = store.clone();
        async move { store.rebuild_rollups().await }
    });
    // Long enough for the rebuild to have locked `cases` and to wait for `customers`.
    tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    let touch = sqlx::query("UPDATE cases SET summary = summary WHERE customer_id = $1").bind(customer.id.0).execute(&mut *tx);
    let touched = tokio::time::timeout(std::time::Duration::from_secs(10), touch).await.expect("the writer is not held up for long");
    assert_eq!(touched.expect("no deadlock").rows_affected(), 4);
    tx.commit().await.unwrap();
    let report = rebuild.await.unwrap().expect("the rebuild completes once the writer is done");
    assert_eq!(report.cases, 4);
}

/// A response judged against follow-up rules that change before its write
/// is judged again inside the write, on the new rules: never stored as the
/// old rules would have it.
async fn a_response_judged_on_rules_since_changed_is_judged_again(backend: Backend) {
    use redress_core::survey::{NewInvitation, NewSurvey, Question, QuestionKind, SurveyPurpose};
    use std::sync::atomic::{AtomicUsize, Ordering};
    let (store, _db) = fresh(backend).await;
    let (user, _) = seed(store.as_ref()).await;
    let customer = store
        .create_customer(NewCustomer { name: "R".into(), email: None, phone: None, timezone: "UTC".into(), client_manager_id: None, language: None }, now())
        .await
        .unwrap();
    let question = Question { key: "q".into(), prompt: "How was it?".into(), kind: QuestionKind::Rating, options: vec![], required: true, category_id: None };
    let survey = NewSurvey::parse("S", None, None, vec![question], 0, None, SurveyPurpose::Feedback).unwrap();
    let survey = store.create_survey(survey, now()).await.unwrap();
    let code = redress_core::access_code::from_random([7; 8]);
    let digest = redress_core::access_code::digest_of(&code).unwrap();
    let invitation = NewInvitation { customer_id: customer.id, code_digest: digest.clone(), expires_at: now() + jiff::SignedDuration::from_hours(240), case_id: None };
    store.create_invitations(survey.id, vec![invitation], now()).await.unwrap();
    // The first judging waits until the rules have changed; the second does not.
    let calls = Arc::new(AtomicUsize::new(0));
    let (judging, judged) = tokio::sync::oneshot::channel::<()>();
    let judging = std::sync::Mutex::new(Some(judging));
    let (go, wait) = std::sync::mpsc::channel::<()>();
    let wait = std::sync::Mutex::new(wait);
    let answers = serde_json::json!({ "q": 4 }).as_object().unwrap().clone();
    let counted = calls.clone();
    let judge = Box::new(move |ctx: &redress_core::feedback::ResponseContext| {
        if counted.fetch_add(1, Ordering::SeqCst) == 0 {
            let _ = judging.lock().unwrap().take().unwrap().send(());
            tokio::task::block_in_place(|| wait.lock().unwrap().recv().unwrap());
        }
        redress_core::feedback::respond(ctx, &answers, None, now())
    });
    let submission = redress_core::store::Submission { code_digest: digest, idempotency_key: None, judge };
    let submitting = tokio::spawn({
        let store = store.clone();
        async move { store.submit_response(submission).await }
    });
    judged.await.unwrap();
    let mut settings = store.settings().await.unwrap();
    settings.follow_up_rules = serde_json::from_value(serde_json::json!({ "rules": [{ "lowest_rating_at_most": 4, "open_case": true, "owner": { "user": user.id } }] })).unwrap();
    store.put_settings(settings, by()).await.unwrap();
    go.send(()).unwrap();
    let submitted = submitting.await.unwrap().unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 2, "judged again once the rules had changed");
    let response = store.response(submitted.receipt.response_id).await.unwrap().unwrap();
    assert!(response.case_id.is_some(), "a 4 opens a case under the new rules");
}

/// Attempts recorded together: each job, message and webhook delivery gets
/// its own outcome, a sent message lands on its case's timeline, and that
/// event reaches a subscriber like every other.
async fn attempts_are_recorded_together(backend: Backend) {
    use redress_core::jobs::{JobOutcome, JobStatus, DELIVER_NOTIFICATION};
    use redress_core::notification::{NewNotification, NotificationKind, NotificationStatus, Recipient};
    use redress_core::store::{Attempted, DeliveryUpdate, FinishedJob, NotificationFilter, NotificationUpdate};
    let (store, _db) = fresh(backend).await;
    let hook = store
        .create_webhook(redress_core::webhook::NewWebhook { url: "http://127.0.0.1:9/hook".into(), events: vec!["*".into()], secret: "s".into() }, by())
        .await
        .unwrap();
    let (user, case) = seed(&*store).await;
    let message = |subject: &str| NewNotification {
        kind: NotificationKind::Acknowledgement,
        recipient: Recipient::User(user.id),
        address: Some("owner@example.com".into()),
        subject: subject.into(),
        body: "b".into(),
        scheduled_for: now(),
    };
    let outcome = redress_core::case::Outcome { notifications: vec![message("one"), message("two")], ..Default::default() };
    store.update_case(case.id, vec![], Box::new(move |_, _| Ok(outcome))).await.unwrap();
    let lease = jiff::SignedDuration::from_mins(2);
    let messages = store.claim_jobs(DELIVER_NOTIFICATION, now(), lease, 100).await.unwrap();
    let posts = store.claim_jobs(redress_core::webhook::DELIVER_WEBHOOK, now(), lease, 100).await.unwrap();
    assert!(messages.iter().all(|j| j.kind == DELIVER_NOTIFICATION) && posts.iter().all(|j| j.kind == redress_core::webhook::DELIVER_WEBHOOK), "each kind is claimed apart");
    assert_eq!(messages.len(), 2, "each message has its delivery job: {messages:?}");
    assert!(!posts.is_empty(), "the case's opening reached the subscriber");
    let id_of = |j: &redress_core::jobs::Job| redress_core::NotificationId(j.payload["notification_id"].as_i64().expect("payload names the message"));
    let update = |j: &redress_core::jobs::Job, status, sent_at, error: Option<&str>| NotificationUpdate {
        id: id_of(j),
        case_id: Some(case.id),
        kind: NotificationKind::Acknowledgement,
        address: Some("owner@example.com".into()),
        status,
        sent_at,
        error: error.map(str::to_string),
        body: None,
    };
    let later = now() + jiff::SignedDuration::from_mins(5);
    let delivery = posts[0].payload["delivery_id"].as_i64().unwrap();
    let finished = vec![
        FinishedJob { job: messages[0].id, outcome: JobOutcome::Done, attempted: Attempted::Notification(update(&messages[0], NotificationStatus::Sent, Some(now()), None)), at: now() },
        FinishedJob {
            job: messages[1].id,
            outcome: JobOutcome::Retry { at: later, error: "refused".into() },
            attempted: Attempted::Notification(update(&messages[1], NotificationStatus::Pending, None, Some("refused"))),
            at: now(),
        },
        FinishedJob {
            job: posts[0].id,
            outcome: JobOutcome::Done,
            attempted: Attempted::Webhook(DeliveryUpdate { id: delivery, status: "delivered", http_status: Some(200), error: None, delivered_at: Some(now()) }),
            at: now(),
        },
    ];
    store.finish_jobs(finished).await.unwrap();

    let sent = store.notification(id_of(&messages[0])).await.unwrap().unwrap();
    assert_eq!((sent.status, sent.sent_at, sent.attempts), (NotificationStatus::Sent, Some(now()), 1));
    let retried = store.notification(id_of(&messages[1])).await.unwrap().unwrap();
    assert_eq!((retried.status, retried.last_error.as_deref(), retried.attempts), (NotificationStatus::Pending, Some("refused"), 1));
    let records = store.jobs(None, 100).await.unwrap();
    let status_of = |id: i64| records.iter().find(|r| r.id == id).map(|r| (r.status, r.run_at, r.last_error.clone())).unwrap();
    assert_eq!(status_of(messages[0].id).0, JobStatus::Done);
    assert_eq!(status_of(messages[1].id), (JobStatus::Pending, later, Some("refused".into())));
    assert_eq!(status_of(posts[0].id).0, JobStatus::Done);
    let deliveries = store.webhook_deliveries(hook.id, 100).await.unwrap();
    let posted = deliveries.iter().find(|d| d.id == delivery).unwrap();
    assert_eq!((posted.status.as_str(), posted.last_status, posted.attempts), ("delivered", Some(200), 1));
    let detail = store.case_detail(case.id).await.unwrap().unwrap();
    let kinds: Vec<&str> = detail.timeline.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds.iter().filter(|k| **k == "message_sent").count(), 1, "only the sent message is on the timeline: {kinds:?}");
    assert!(deliveries.iter().any(|d| d.event == "case.message_sent"), "the sending reached the subscriber: {deliveries:?}");
    let listed = store.notifications(&NotificationFilter { case_id: Some(case.id), limit: 10, ..Default::default() }).await.unwrap();
    assert_eq!(listed.len(), 2);
}

/// The audit trail reads back newest first, page by page, and no
/// statement can change or remove an entry.
async fn the_audit_trail_is_append_only(backend: Backend) {
    let (store, db) = fresh(backend).await;
    let (user, _) = seed(store.as_ref()).await;
    let seeded = store.audit_log(None, 100).await.unwrap().len();
    let by_user = ChangedBy::user(user.id, now());
    for i in 1..=3 {
        let settings = OrgSettings { name: format!("Shop {i}"), ..store.settings().await.unwrap() };
        store.put_settings(settings, by_user).await.unwrap();
    }
    let all = store.audit_log(None, 10).await.unwrap();
    let names: Vec<&str> = all.iter().take(3).map(|e| e.after.as_ref().unwrap()["name"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["Shop 3", "Shop 2", "Shop 1"], "newest first");
    assert_eq!((all[0].actor_id, all[0].action.as_str(), all[0].at), (Some(user.id), "settings.changed", now()));
    assert_eq!(all[0].before.as_ref().unwrap()["name"], "Shop 2", "with the record before");
    let older = store.audit_log(Some(all[0].id), 10).await.unwrap();
    assert_eq!(older.len(), all.len() - 1);
    // A change refused inside its transaction leaves no entry, and an entry
    // is never written without its change.
    let bad = OrgSettings { default_owner_id: Some(redress_core::UserId(999)), ..store.settings().await.unwrap() };
    assert!(store.put_settings(bad, by_user).await.is_err());
    let taken = UserChange { email: Some(Some("owner@example.com".into())), ..UserChange::default() };
    let other = store.create_user(NewUser { name: "Other".into(), email: Some("owner@example.com".into()), role: Role::Agent, mandate: Money::ZERO, manager_id: None, password_hash: None }, by_user).await.unwrap();
    assert!(store.update_user(user.id, taken, by_user).await.is_err());
    let after = store.audit_log(None, 100).await.unwrap();
    assert_eq!(after.len(), seeded + 3 + 1, "three settings changes and one account, nothing for the refusals");
    assert_eq!((after[0].action.as_str(), after[0].subject.clone()), ("user.created", format!("user {}", other.id)));
    let all = after;
    for sql in ["UPDATE audit_log SET action = 'nothing'", "DELETE FROM audit_log"] {
        let refused = match backend {
            Backend::Sqlite => {
                use sqlx::Connection;
                let mut c = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
                sqlx::query(sql).execute(&mut c).await.map(|_| ())
            }
            Backend::Postgres => {
                use sqlx::Connection;
                let mut c = sqlx::PgConnection::connect(&db.url).await.unwrap();
                sqlx::query(sql).execute(&mut c).await.map(|_| ())
            }
        };
        let e = refused.expect_err(sql).to_string();
        assert!(e.contains("append-only"), "{sql}: {e}");
    }
    assert_eq!(store.audit_log(None, 10).await.unwrap(), all, "unchanged");
}

/// SQLite: what the writer commits reaches the database file while the
/// store serves (the checkpointer copies the write-ahead log back; the
/// writer's own commits leave it there), not only when it closes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_copies_the_log_back_into_the_file_while_serving() {
    let (store, db) = fresh(Backend::Sqlite).await;
    let file = std::path::PathBuf::from(db.url.strip_prefix("sqlite://").expect("a file URL"));
    let before = std::fs::metadata(&file).unwrap().len();
    let (user, _) = seed(store.as_ref()).await;
    for k in 0..200 {
        let customer = store
            .create_customer(NewCustomer { name: format!("Customer {k}"), email: None, phone: None, timezone: "UTC".into(), client_manager_id: None, language: None }, now())
            .await
            .unwrap();
        open_case(store.as_ref(), case_input(Channel::Phone, &format!("case {k}"), None), &customer, &user).await;
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while std::fs::metadata(&file).unwrap().len() <= before {
        assert!(std::time::Instant::now() < deadline, "the database file stayed at {before} bytes: the log was never copied back");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

macro_rules! both {
    ($($name:ident),*) => {
        mod sqlite { $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::$name(super::Backend::Sqlite).await })* }
        mod postgres { $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::$name(super::Backend::Postgres).await })* }
    };
}

both!(concurrent_changes_are_all_kept, a_case_without_its_customer_leaves_nothing, a_failing_case_fails_alone_among_cases_written_at_once, two_compactors_at_once_fold_each_change_once, a_rebuild_under_writes_loses_and_doubles_nothing, a_customer_s_writes_at_once_move_their_loyalty_once, case_intake_reads_settings_as_they_are_now, missing_case_is_not_found, settings_tokens_and_references, migrations_run_once, older_rows_are_reprojected_on_open, erasure_is_all_or_nothing_and_once,
    export_pages_run_by_id_within_the_period, a_response_judged_on_rules_since_changed_is_judged_again, attempts_are_recorded_together,
    the_audit_trail_is_append_only);
