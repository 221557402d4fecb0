//! Insight: the per-day rollups every figure of `GET /api/v1/metrics` is
//! computed from (`redress_core::insight::rollup` says what a row holds).
//!
//! Write transactions never update a rollup row: they append their changes
//! to `rollup_deltas` (what they add and what they take out, per key), so
//! concurrent writers never wait on one "today" row. The compactor
//! ([`compact`], run by the server every second) folds deltas into
//! `rollups`, maintaining each owner's rows and, under owner 0, the sum over
//! all owners. A read ([`rows`]) takes rows and pending deltas in one
//! statement, so it sees one consistent snapshot whatever the compactor is
//! doing.
//!
//! What a case or customer contributed last is stored beside it
//! (`cases.facts`, `customers.loyalty`), so a change takes out exactly what
//! was put in. [`rebuild`] recomputes everything from the cases, responses
//! and invitations; it runs when the rollups are new (migration 15), when
//! the organisation's calendar or time zone changes, and on
//! `redress rollups rebuild`.

use super::cases::case_from;
use super::settings::load_settings;
use super::*;
use jiff::civil::Date;
use redress_core::calendar::BusinessCalendar;
use redress_core::case::{Case, Channel};
use redress_core::insight::summary::{summaries_of, TrendCounts, LEVELS};
use redress_core::insight::{
    add_contributions, CaseFacts, CustomerFacts, Dim, DurationSketch, InvitationFacts, KeyedRollup, MetricsQuery, OtherResponses, ResponseFacts, Rollup, RollupKey, ScoredResponse, Span, Summary, SummaryKey,
    SummaryPlan, SummaryRead, TrendKey,
};
use redress_core::store::{RebuildReport, RollupRows};
use redress_core::{CategoryId, ServiceAreaId};
use std::collections::BTreeMap;

/// A key as its five columns: owner, day, service area, channel, category.
type KeyCols = (i64, String, i64, String, i64);

fn cols(k: &RollupKey) -> KeyCols {
    (
        k.owner_id.map_or(0, |u| u.0),
        k.day.to_string(),
        k.service_area_id.map_or(0, |a| a.0),
        k.channel.map_or("", Channel::as_str).to_string(),
        k.category_id.map_or(0, |c| c.0),
    )
}

fn key_of((owner, day, area, channel, category): KeyCols) -> StoreResult<RollupKey> {
    let nonzero = |v: i64| (v != 0).then_some(v);
    Ok(RollupKey {
        day: day.parse::<Date>().map_err(|e| StoreError::Backend(format!("stored rollup day {day} is invalid: {e}")))?,
        service_area_id: nonzero(area).map(ServiceAreaId),
        channel: match channel.as_str() {
            "" => None,
            c => Some(Channel::parse(c).ok_or_else(|| StoreError::Backend(format!("stored rollup channel {c} is unknown")))?),
        },
        owner_id: nonzero(owner).map(UserId),
        category_id: nonzero(category).map(CategoryId),
    })
}

/// A summary's key as read back from the database.
type StoredSummaryKey = (String, i16, String, i64, String, i64);

/// A summary's key as its six columns: span, level, start, service area, channel, category.
type SummaryCols = (&'static str, i16, String, i64, String, i64);

fn span_col(s: Span) -> &'static str {
    match s {
        Span::Day => "d",
        Span::Week => "w",
        Span::Month => "m",
    }
}

/// The part letter of a lag-only read of `s`'s rows.
fn lag_part(s: Span) -> &'static str {
    match s {
        Span::Day => "D",
        Span::Week => "W",
        Span::Month => "M",
    }
}

fn summary_cols(k: &SummaryKey) -> SummaryCols {
    let id = |d: Dim<i64>| match d {
        Dim::All => -1,
        Dim::One(v) => v.unwrap_or(0),
    };
    (
        span_col(k.span),
        i16::from(k.level()),
        k.start.to_string(),
        id(dim_map(k.service_area_id, |a| a.0)),
        match k.channel {
            Dim::All => "*".to_string(),
            Dim::One(c) => c.map_or("", Channel::as_str).to_string(),
        },
        id(dim_map(k.category_id, |c| c.0)),
    )
}

fn dim_map<T, U>(d: Dim<T>, f: impl FnOnce(T) -> U) -> Dim<U> {
    match d {
        Dim::All => Dim::All,
        Dim::One(v) => Dim::One(v.map(f)),
    }
}

fn summary_key_of(span: &str, area: i64, channel: &str, category: i64, start: &str) -> StoreResult<SummaryKey> {
    let fine = key_of((0, start.to_string(), area.max(0), if channel == "*" { String::new() } else { channel.to_string() }, category.max(0)))?;
    Ok(SummaryKey {
        span: match span {
            "d" => Span::Day,
            "w" => Span::Week,
            "m" => Span::Month,
            s => return Err(StoreError::Backend(format!("stored summary span {s} is unknown"))),
        },
        start: fine.day,
        service_area_id: Dim::summed_if(area == -1, fine.service_area_id),
        channel: Dim::summed_if(channel == "*", fine.channel),
        category_id: Dim::summed_if(category == -1, fine.category_id),
    })
}

/// What a read needs of its rows.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Need {
    Whole,
    /// What a weekly point reads ([`Rollup::decode_for_weekly`]), unless a
    /// whole read takes the same row.
    Weekly,
    /// The identification lag and the case count alone: the channels'
    /// reads. They never overlap a whole or weekly read unless the same
    /// read is one, as their level splits the channel and no other does
    /// without a filter.
    Lag,
}

/// The reads whose rows are fetched, each once (all but the trends'), and
/// what each needs.
fn row_reads(plan: &SummaryPlan) -> Vec<(SummaryRead, Need)> {
    let mut all: Vec<(SummaryRead, Need)> = Vec::new();
    let whole = plan.period.iter().chain(&plan.history).chain(&plan.loyalty_period).map(|r| (r, Need::Whole));
    let parts = plan.weeks.iter().map(|r| (r, Need::Weekly)).chain(plan.by_channel.iter().map(|r| (r, Need::Lag)));
    for (r, need) in whole.chain(parts) {
        if !all.iter().any(|(a, _)| a == r) {
            all.push((*r, need));
        }
    }
    all
}

/// The SQL condition of a summary read (every value in it is ours: dates,
/// ids and channel names, never user text).
fn read_condition(r: &SummaryRead) -> String {
    use redress_core::insight::summary::Pick;
    fn pick<T: Copy>(col: &str, p: Pick<T>, all: &str, none: &str, show: impl Fn(T) -> String) -> String {
        match p {
            Pick::All => format!("{col} = {all}"),
            Pick::Each => format!("{col} <> {all}"),
            Pick::One(None) => format!("{col} = {none}"),
            Pick::One(Some(v)) => format!("{col} = {}", show(v)),
        }
    }
    format!(
        "span = '{}' AND level = {} AND start >= '{}' AND start <= '{}' AND {} AND {} AND {}",
        span_col(r.span),
        r.level(),
        r.from,
        r.to,
        pick("service_area_id", r.service_area_id, "-1", "0", |a| a.0.to_string()),
        pick("channel", r.channel, "'*'", "''", |c| format!("'{}'", c.as_str())),
        pick("category_id", r.category_id, "-1", "0", |c| c.0.to_string()),
    )
}

fn decoded(bytes: &[u8]) -> StoreResult<Rollup> {
    read_rollup(Rollup::decode(bytes))
}

fn read_rollup(r: Result<Rollup, redress_core::insight::DecodeError>) -> StoreResult<Rollup> {
    r.map_err(|e| StoreError::Backend(format!("{e}; run `redress rollups rebuild`")))
}

fn inconsistent(e: redress_core::insight::Underflow) -> StoreError {
    StoreError::Backend(format!("the insight rollups are inconsistent ({e}); run `redress rollups rebuild`"))
}

/// Changes gathered in a write: per key, what is put in and what is taken out.
struct Changes<K = RollupKey>(BTreeMap<K, (Rollup, Rollup)>);

impl<K> Default for Changes<K> {
    fn default() -> Self {
        Changes(BTreeMap::new())
    }
}

impl<K: Ord> Changes<K> {
    fn put(&mut self, key: K, plus: &Rollup, minus: Option<&Rollup>) {
        let slot = self.0.entry(key).or_default();
        slot.0.add(plus);
        if let Some(minus) = minus {
            slot.1.add(minus);
        }
    }

    /// `put` of a row owned already: no copy when the key is new.
    fn take(&mut self, key: K, plus: Rollup) {
        match self.0.entry(key) {
            std::collections::btree_map::Entry::Vacant(v) => {
                v.insert((plus, Rollup::default()));
            }
            std::collections::btree_map::Entry::Occupied(mut o) => o.get_mut().0.add(&plus),
        }
    }

    /// Each key's net row; empty ones are left out.
    fn settle(self) -> StoreResult<Vec<(K, Rollup)>> {
        let mut out = Vec::with_capacity(self.0.len());
        for (key, (mut plus, minus)) in self.0 {
            plus.subtract(&minus).map_err(inconsistent)?;
            if !plus.is_empty() {
                out.push((key, plus));
            }
        }
        Ok(out)
    }
}

impl Changes {
    fn add(&mut self, c: &KeyedRollup) {
        self.0.entry(c.key).or_default().0.add(&c.rollup);
    }

    fn subtract(&mut self, c: &KeyedRollup) {
        self.0.entry(c.key).or_default().1.add(&c.rollup);
    }

    /// Adds a survey response and the answering of its invitation.
    fn add_response(&mut self, response: ResponseFacts, invitation: InvitationFacts) {
        self.add(&Rollup::of_response(&response));
        // Answered now, unanswered before: the difference of the two contributions.
        let answered = Rollup::of_invitation(&InvitationFacts { answered: true, ..invitation.clone() });
        self.subtract(&Rollup::of_invitation(&InvitationFacts { answered: false, ..invitation }));
        self.add(&answered);
    }

    /// Stores the changes: appended as delta rows now ([`Self::append`]), or
    /// merged into the deltas of the transaction the run writes in
    /// ([`MergedDeltas`]); a customer's new loyalty part, when given, now.
    async fn write<R: Run>(self, c: &mut R, loyalty: Option<LoyaltyPart>) -> StoreResult<()> {
        let Some(merged) = c.merged_deltas() else { return self.append(c, loyalty).await };
        for (key, (plus, minus)) in self.0 {
            match merged.write.0.entry(key) {
                std::collections::btree_map::Entry::Vacant(v) => {
                    v.insert((plus, minus));
                }
                std::collections::btree_map::Entry::Occupied(mut o) => {
                    o.get_mut().0.add(&plus);
                    o.get_mut().1.add(&minus);
                }
            }
        }
        Changes::default().append(c, loyalty).await
    }

    /// Appends the changes as delta rows; a key that gets back what it loses
    /// is skipped. A customer's new loyalty part, when given, is stored in
    /// the same round trip as the first rows.
    async fn append<R: Run>(self, c: &mut R, loyalty: Option<LoyaltyPart>) -> StoreResult<()> {
        self.append_with(c, loyalty.into_iter().collect()).await
    }

    /// [`Self::append`] with the new loyalty parts of any number of customers.
    async fn append_with<R: Run>(self, c: &mut R, loyalty: Vec<LoyaltyPart>) -> StoreResult<()> {
        let mut loyalty = Some(loyalty).filter(|parts| !parts.is_empty());
        let rows: Vec<(KeyCols, String, String)> = self
            .0
            .into_iter()
            .filter(|(_, (plus, minus))| plus != minus)
            .map(|(key, (plus, minus))| Ok((cols(&key), to_json(&plus)?, to_json(&minus)?)))
            .collect::<StoreResult<_>>()?;
        if rows.is_empty() {
            if let Some(parts) = loyalty {
                let mut params = Params::with_capacity(2);
                let sql = store_loyalty(parts, 1, &mut params)?;
                c.execute(&sql, params).await?;
            }
            return Ok(());
        }
        for chunk in rows.chunks(500) {
            let deltas = format!(
                "INSERT INTO rollup_deltas (owner_id, day, service_area_id, channel, category_id, plus, minus) VALUES {}",
                values_list(chunk.len(), 7)
            );
            let mut params = Params::with_capacity(chunk.len() * 7 + 2);
            for ((owner, day, area, channel, category), plus, minus) in chunk {
                params.add(*owner).add(day.as_str()).add(*area).add(channel.as_str()).add(*category).add(plus.as_str()).add(minus.as_str());
            }
            let call = match loyalty.take() {
                Some(parts) => one_after_the_other(&store_loyalty(parts, chunk.len() * 7 + 1, &mut params)?, &deltas),
                None => Call::one(deltas),
            };
            c.rows(&call, params).await?;
        }
        Ok(())
    }
}

/// The rollup changes of the writes of one transaction, merged by key and
/// appended together just before it commits ([`append_merged`]): how the
/// SQLite writer's batches store them (`sqlite::Direct`). Thirty cases of
/// one day then append a row or a few per key instead of a few each, and
/// the compactor has that many fewer to fold. The write in progress holds
/// its own until it ends ([`Self::end_write`]).
#[derive(Default)]
#[allow(dead_code)] // in the SQLite build of this module only
pub(crate) struct MergedDeltas {
    kept: Changes,
    write: Changes,
}

impl MergedDeltas {
    /// The write in progress ends: its changes join the kept ones if it
    /// `stands`, and go with it if it was rolled back.
    #[allow(dead_code)] // in the SQLite build of this module only
    pub(crate) fn end_write(&mut self, stands: bool) {
        let write = std::mem::take(&mut self.write);
        if stands {
            for (key, (plus, minus)) in write.0 {
                self.kept.put(key, &plus, Some(&minus));
            }
        }
    }

    /// Puts `cases` new cases of `day` into the write in progress.
    #[cfg(test)]
    #[allow(dead_code)] // in the SQLite build of this module only
    pub(crate) fn add_cases(&mut self, day: jiff::civil::Date, cases: u64) {
        let key = RollupKey { day, service_area_id: None, channel: None, owner_id: None, category_id: None };
        self.write.put(key, &Rollup { cases, ..Default::default() }, None);
    }

    /// The whole transaction was rolled back.
    #[allow(dead_code)] // in the SQLite build of this module only
    pub(crate) fn clear(&mut self) {
        *self = MergedDeltas::default();
    }
}

/// Appends the merged deltas of the transaction `c` writes in (the write in
/// progress's with the kept ones), if it merges them; before its COMMIT.
#[allow(dead_code)] // in the SQLite build of this module only
pub(crate) async fn append_merged<R: Run>(c: &mut R) -> StoreResult<()> {
    let Some(merged) = c.merged_deltas() else { return Ok(()) };
    merged.end_write(true);
    std::mem::take(&mut merged.kept).append(c, None).await
}

/// A customer's loyalty part (JSON), to be stored.
struct LoyaltyPart(CustomerId, String);

/// The statement storing `parts`, its parameters numbered from `$first` and
/// appended to `params`: one customer's by id, several customers' from one
/// JSON list (PostgreSQL's batch writer, [`super::batch`]).
fn store_loyalty(mut parts: Vec<LoyaltyPart>, first: usize, params: &mut Params) -> StoreResult<String> {
    if parts.len() == 1 {
        let LoyaltyPart(customer, part) = parts.remove(0);
        params.add(customer.0).add(part);
        return Ok(format!("UPDATE customers SET loyalty = ${} WHERE id = ${first}", first + 1));
    }
    let list: Vec<(i64, &str)> = parts.iter().map(|LoyaltyPart(customer, part)| (customer.0, part.as_str())).collect();
    params.add(to_json(&list)?);
    Ok(format!(
        "UPDATE customers SET loyalty = CAST(x.value ->> 1 AS TEXT) FROM json_array_elements(CAST(${first} AS json)) AS x \
         WHERE customers.id = CAST(x.value ->> 0 AS BIGINT) \
         AND customers.id = ANY (ARRAY(SELECT CAST(value ->> 0 AS BIGINT) FROM json_array_elements(CAST(${first} AS json))))"
    ))
}

// ---- what writes call ----------------------------------------------------------

/// The facts a case last contributed, as stored beside it.
pub(super) async fn stored_facts(c: &mut Conn, id: CaseId) -> StoreResult<Option<CaseFacts>> {
    let text: Option<Option<String>> = sqlx::query_scalar("SELECT facts FROM cases WHERE id = $1").bind(id.0).fetch_optional(&mut *c).await.map_err(db_error)?;
    text.flatten().map(|t| from_json(&t)).transpose()
}

/// Moves a stored (or new, `old` = `None`) case's contribution to `new`,
/// the facts it now has (which the caller wrote beside it), and its
/// customer's loyalty part when its report or closing moved.
pub(super) async fn case_changed<R: Run>(c: &mut R, case: &Case, old: Option<CaseFacts>, new: &CaseFacts, cal: &BusinessCalendar, read: Option<Vec<LoyaltyRow>>) -> StoreResult<()> {
    if old.as_ref() == Some(new) {
        return Ok(());
    }
    let mut changes = Changes::default();
    if let Some(old) = &old {
        changes.subtract(&Rollup::of_case(old));
    }
    changes.add(&Rollup::of_case(new));
    if old.as_ref().is_none_or(|o| o.resolution != new.resolution) {
        // A new case's insert has locked its customer already.
        let loyalty = refresh_loyalty(c, case.customer_id, old.is_none(), cal, &mut changes, read).await?;
        return changes.write(c, loyalty).await;
    }
    changes.write(c, None).await
}

/// Adds a survey response, and the answering of its invitation (created
/// on `invited_at`), then refreshes the customer's loyalty part for it
/// (`scored`, its time as stored), from the read that rode along with its
/// insert ([`with_loyalty_read_for_response`]) if one did. The response's
/// insert has locked the customer.
pub(super) async fn response_recorded<R: Run>(
    c: &mut R,
    response: ResponseFacts,
    invitation: InvitationFacts,
    customer: CustomerId,
    scored: ScoredResponse,
    cal: &BusinessCalendar,
    read: Option<Vec<LoyaltyRow>>,
) -> StoreResult<()> {
    if response.recovery {
        return Ok(());
    }
    let mut changes = Changes::default();
    changes.add_response(response, invitation);
    let loyalty = refresh_loyalty_for_response(c, customer, scored, cal, &mut changes, read).await?;
    changes.write(c, loyalty).await
}

/// The rollup changes of a batch of PostgreSQL's batch writer
/// ([`super::batch`]): its new cases (their facts) and its survey responses
/// (each with the invitation it answers), appended at once, and the loyalty
/// part of each of `customers` refreshed once, with the calendar given with
/// it. One read serves every customer; it runs after the batch's inserts
/// with the customers locked, so it sees their cases and responses of this
/// batch and of every transaction committed before.
pub(super) async fn batch_recorded<R: Run>(
    c: &mut R,
    cases: &[CaseFacts],
    responses: Vec<(ResponseFacts, InvitationFacts)>,
    customers: &[(CustomerId, BusinessCalendar)],
) -> StoreResult<()> {
    static READ: std::sync::LazyLock<Call> = std::sync::LazyLock::new(|| Call::one(loyalty_reads()));
    let mut changes = Changes::default();
    for facts in cases {
        changes.add(&Rollup::of_case(facts));
    }
    for (response, invitation) in responses.into_iter().filter(|(r, _)| !r.recovery) {
        changes.add_response(response, invitation);
    }
    let ids: Vec<i64> = customers.iter().map(|(customer, _)| customer.0).collect();
    let mut params = Params::with_capacity(1);
    params.add(to_json(&ids)?);
    let mut read: std::collections::HashMap<i64, Vec<LoyaltyRow>> = std::collections::HashMap::with_capacity(customers.len());
    for row in c.rows(&READ, params).await? {
        read.entry(row.int(0)?).or_default().push(loyalty_row_at(&row, 1)?);
    }
    let mut parts = Vec::with_capacity(customers.len());
    for (customer, cal) in customers {
        let rows = read.remove(&customer.0).unwrap_or_default();
        parts.extend(refresh_loyalty(c, *customer, true, cal, &mut changes, Some(rows)).await?);
    }
    changes.append_with(c, parts).await
}

/// Adds newly created invitations.
pub(super) async fn invitations_created(c: &mut Conn, facts: impl IntoIterator<Item = InvitationFacts>) -> StoreResult<()> {
    let mut changes = Changes::default();
    for f in facts.into_iter().filter(|f| !f.recovery) {
        changes.add(&Rollup::of_invitation(&f));
    }
    changes.write(c, None).await
}

type ScoreRow = (i64, Option<i64>, Option<i64>);

fn scored((at, rating, nps): ScoreRow) -> StoreResult<ScoredResponse> {
    Ok(ScoredResponse { at: ts(at)?, rating: rating.and_then(|r| u8::try_from(r).ok()), nps: nps.and_then(|n| u8::try_from(n).ok()) })
}

/// A customer's loyalty facts: their cases' first report and first closing,
/// and their feedback-survey responses.
fn customer_facts(customer: CustomerId, first_case_at: Option<i64>, resolved_at: Option<i64>, responses: Vec<ScoreRow>) -> StoreResult<CustomerFacts> {
    Ok(CustomerFacts {
        customer_id: customer,
        first_case_at: first_case_at.map(ts).transpose()?,
        resolved_at: resolved_at.map(ts).transpose()?,
        responses: responses.into_iter().map(scored).collect::<StoreResult<_>>()?,
    })
}

/// A row of a customer's loyalty read: its part (0: the first report, first
/// closing and stored loyalty; 1: a response's time, rating and NPS).
pub(super) type LoyaltyRow = (i64, Option<i64>, Option<i64>, Option<i64>, Option<String>);

/// Whether a new case's or response's loyalty read rides in the insert's
/// own call ([`with_loyalty_read`], read back by [`answer_and_loyalty`]).
/// On SQLite it does: the one writer runs the call's statements in order,
/// so the read sees the insert. On PostgreSQL it is a statement of its
/// own: a statement's snapshot is taken before the customer's lock it waits
/// for, so it would miss a case or response that another transaction
/// committed meanwhile.
const LOYALTY_READ_RIDES_ALONG: bool = !DATA_MODIFYING_CTES;

/// The loyalty read of the customer named by parameter `$customer`: a first
/// row (0) with the first report, first closing and stored loyalty, then a
/// row (1) per feedback response.
fn loyalty_read(customer: usize) -> String {
    let p = format!("${customer}");
    format!(
        "{} UNION ALL SELECT CAST(1 AS BIGINT), created_at, lowest_rating, nps, NULL FROM responses \
         WHERE customer_id = {p} AND survey_id NOT IN (SELECT id FROM surveys WHERE purpose = 'recovery')",
        loyalty_first_row(&p)
    )
}

/// The first row (0) of a customer's loyalty read, of the customer `p`
/// names: their first report, first closing and stored loyalty part.
fn loyalty_first_row(p: &str) -> String {
    format!(
        "SELECT CAST(0 AS BIGINT), (SELECT MIN(reported_at) FROM cases WHERE customer_id = {p}), (SELECT MIN(closed_at) FROM cases WHERE customer_id = {p} AND closed_at IS NOT NULL), \
         NULL, (SELECT loyalty FROM customers WHERE id = {p})"
    )
}

/// The loyalty read of a customer named by parameter `$customer` for their
/// new feedback response, just inserted: [`loyalty_read`]'s first row (0),
/// then a row (2) with the earliest and latest time of their other
/// feedback responses (none when there are none), read from the index
/// alone rather than a row a response.
fn loyalty_read_for_response(customer: usize) -> String {
    let p = format!("${customer}");
    format!(
        "{} UNION ALL SELECT CAST(2 AS BIGINT), MIN(created_at), MAX(created_at), NULL, NULL FROM responses \
         WHERE customer_id = {p} AND id < (SELECT MAX(id) FROM responses) AND survey_id NOT IN (SELECT id FROM surveys WHERE purpose = 'recovery')",
        loyalty_first_row(&p)
    )
}

/// [`loyalty_read`] of every customer in the JSON list of ids `$1`, each
/// row led by its customer's id (PostgreSQL's batch writer).
fn loyalty_reads() -> String {
    "WITH k AS (SELECT CAST(value AS BIGINT) AS id FROM json_array_elements_text(CAST($1 AS json))) \
     SELECT k.id, CAST(0 AS BIGINT), (SELECT MIN(reported_at) FROM cases WHERE customer_id = k.id), \
     (SELECT MIN(closed_at) FROM cases WHERE customer_id = k.id AND closed_at IS NOT NULL), CAST(NULL AS BIGINT), \
     (SELECT loyalty FROM customers WHERE id = k.id) FROM k \
     UNION ALL SELECT customer_id, CAST(1 AS BIGINT), created_at, lowest_rating, nps, NULL FROM responses \
     WHERE customer_id = ANY (ARRAY(SELECT id FROM k)) AND survey_id NOT IN (SELECT id FROM surveys WHERE purpose = 'recovery')"
        .to_string()
}

/// A row of [`loyalty_read`] from a call whose other statements answer in
/// other shapes.
fn loyalty_row<C: Cells>(row: &C) -> StoreResult<LoyaltyRow> {
    loyalty_row_at(row, 0)
}

/// A row holding [`loyalty_read`]'s columns from column `at`.
fn loyalty_row_at<C: Cells>(row: &C, at: usize) -> StoreResult<LoyaltyRow> {
    Ok((row.int(at)?, row.opt_int(at + 1)?, row.opt_int(at + 2)?, row.opt_int(at + 3)?, row.opt_text(at + 4)?))
}

/// `sql`, an insert's call ([`in_one_round_trip`]), with the loyalty read
/// of the customer named by parameter `$customer` after it when the read
/// rides along ([`LOYALTY_READ_RIDES_ALONG`]).
pub(super) fn with_loyalty_read(mut call: Call, customer: usize) -> Call {
    if LOYALTY_READ_RIDES_ALONG {
        call.0.push(loyalty_read(customer));
    }
    call
}

/// `call`, a new response's insert, with [`loyalty_read_for_response`] of the
/// customer named by parameter `$customer` after it when the read rides
/// along.
pub(super) fn with_loyalty_read_for_response(mut call: Call, customer: usize) -> Call {
    if LOYALTY_READ_RIDES_ALONG {
        call.0.push(loyalty_read_for_response(customer));
    }
    call
}

/// The rows of a call built by [`with_loyalty_read`] (or
/// [`with_loyalty_read_for_response`]): the insert's answer (its first row, of `columns` columns) and the loyalty
/// rows when the read rode along. A missing first row, or one of the read's
/// shape, means the insert inserted nothing, which fails the write.
pub(super) fn answer_and_loyalty<C: Cells>(rows: &[C], columns: usize) -> StoreResult<(&C, Option<Vec<LoyaltyRow>>)> {
    let first = rows.first().filter(|r| r.width() == columns).ok_or_else(|| db_error(sqlx::Error::RowNotFound))?;
    let loyalty = if LOYALTY_READ_RIDES_ALONG { Some(rows[1..].iter().map(loyalty_row).collect::<StoreResult<_>>()?) } else { None };
    Ok((first, loyalty))
}

/// Recomputes one customer's loyalty part, answering it when it moved (to
/// be stored with the changes), and adds the move of the rollups to it to
/// `changes`. Reads the first report and closing each
/// as the first entry of an index (`cases_customer_reported`,
/// `cases_customer_closed`), however many cases the customer has — unless
/// the write's own call has read them already (`read`).
async fn refresh_loyalty<R: Run>(
    c: &mut R,
    customer: CustomerId,
    locked: bool,
    cal: &BusinessCalendar,
    changes: &mut Changes,
    read: Option<Vec<LoyaltyRow>>,
) -> StoreResult<Option<LoyaltyPart>> {
    let rows = match read {
        Some(rows) => rows,
        None => {
            // Two writes for the same customer at once (PostgreSQL) would each
            // read the facts without the other's change and both move the
            // loyalty part: the customer's row is locked first (unless the
            // caller has), and the read below, a statement of its own, sees
            // every change committed before.
            if !locked && !LOCK_FOR_CHANGE.is_empty() {
                let lock = format!("SELECT id FROM customers WHERE id = $1{LOCK_FOR_CHANGE}");
                let mut params = Params::default();
                params.add(customer.0);
                c.rows(&Call::one(lock), params).await?;
            }
            let mut params = Params::default();
            params.add(customer.0);
            c.rows(&Call::one(loyalty_read(1)), params).await?.iter().map(loyalty_row).collect::<StoreResult<_>>()?
        }
    };
    let (mut first, mut resolved, mut old, mut responses) = (None, None, None, Vec::with_capacity(rows.len()));
    for (part, a, b, nps, loyalty) in rows {
        match (part, a) {
            (0, _) => (first, resolved, old) = (a, b, loyalty),
            (_, Some(at)) => responses.push((at, b, nps)),
            (_, None) => return Err(StoreError::Backend("a response without its time".into())),
        }
    }
    let new = customer_facts(customer, first, resolved, responses)?.contributions(cal);
    let old: Vec<KeyedRollup> = old.map(|t| from_json(&t)).transpose()?.unwrap_or_default();
    if old == new {
        return Ok(None);
    }
    old.iter().for_each(|o| changes.subtract(o));
    new.iter().for_each(|n| changes.add(n));
    Ok(Some(LoyaltyPart(customer, to_json(&new)?)))
}

/// [`refresh_loyalty`] for a new feedback response, `new` (its time as
/// stored). From a read of [`loyalty_read_for_response`]'s shape, the move
/// of the customer's part is computed from its two rows alone when `new`
/// is their latest response ([`CustomerFacts::added_response`]): however
/// many responses they have, nothing more is read. Otherwise (or without
/// such a read) the part is computed afresh from all of them.
async fn refresh_loyalty_for_response<R: Run>(
    c: &mut R,
    customer: CustomerId,
    new: ScoredResponse,
    cal: &BusinessCalendar,
    changes: &mut Changes,
    read: Option<Vec<LoyaltyRow>>,
) -> StoreResult<Option<LoyaltyPart>> {
    if let Some([(0, first, resolved, _, stored), (2, earliest, latest, _, _)]) = read.as_deref() {
        let others = OtherResponses { first: earliest.map(ts).transpose()?, last: latest.map(ts).transpose()? };
        if let Some(moved) = CustomerFacts::added_response(first.map(ts).transpose()?, resolved.map(ts).transpose()?, others, &new, cal) {
            if moved.is_empty() {
                return Ok(None);
            }
            let mut part: Vec<KeyedRollup> = stored.as_deref().map(from_json).transpose()?.unwrap_or_default();
            moved.iter().for_each(|m| changes.add(m));
            add_contributions(&mut part, moved);
            return Ok(Some(LoyaltyPart(customer, to_json(&part)?)));
        }
    }
    refresh_loyalty(c, customer, true, cal, changes, None).await
}

// ---- reads ------------------------------------------------------------------

/// A row of a read: its part, key columns, and data (JSON, or a summary's bytes).
type RowOf = (String, i64, String, i64, String, i64, Option<String>, Option<String>, Option<Vec<u8>>);
/// A delta: its id, key columns, what it adds and what it takes out.
type DeltaRow = (i64, i64, String, i64, String, i64, String, String);
/// An invitation for a rebuild: created, id, used, survey area and purpose.
type InvitationRow = (i64, i64, Option<i64>, Option<i64>, String);
/// One customer's cases (reported, closed) and feedback responses.
type CustomerRows = (Vec<(i64, Option<i64>)>, Vec<ScoreRow>);

/// The rows `query` needs, pending deltas folded in: the summaries of its
/// [`SummaryPlan`] when it has one, else its period's per-day rows (owner 0
/// unless an owner is asked for); and the loyalty rows up to its end. One
/// statement, so one consistent snapshot whatever the compactor is doing.
pub(super) async fn rows(pool: &Pool, query: &MetricsQuery) -> StoreResult<RollupRows> {
    let plan = SummaryPlan::of(query);
    let key = "owner_id, day, service_area_id, channel, category_id";
    let day_only = "owner_id = 0 AND service_area_id = 0 AND channel = '' AND category_id = 0";
    // The filters narrow the per-day rows and deltas in SQL (values, not text, go in).
    let mut narrow = String::new();
    if let Some(a) = query.service_area_id {
        narrow.push_str(&format!(" AND service_area_id = {}", a.0));
    }
    if let Some(c) = query.channel {
        narrow.push_str(&format!(" AND channel = '{}'", c.as_str()));
    }
    if let Some(k) = query.category_id {
        narrow.push_str(&format!(" AND category_id = {}", k.0));
    }
    let delta_owner = if query.owner_id.is_some() { " AND owner_id = $1" } else { "" };
    let period = match &plan {
        Some(plan) => {
            // A read each, so each is one range of the key; a row two reads
            // take comes twice and counts once. The trends' case counts are
            // summed per week ('t' this week, 'u' the week before).
            // Reads for the lag by channel alone take the lag sketch and the
            // case count ('D', 'W', 'M'), not the whole row ('d', 'w', 'm').
            let mut sql: String = row_reads(plan)
                .iter()
                .map(|(r, need)| {
                    let (part, columns) = if *need != Need::Lag { (span_col(r.span), "0, start, service_area_id, channel, category_id, NULL, NULL, data") } else {
                        (lag_part(r.span), "cases, start, service_area_id, channel, category_id, NULL, NULL, lag")
                    };
                    format!("SELECT '{part}', {columns} FROM rollup_summaries WHERE {} UNION ALL ", read_condition(r))
                })
                .collect();
            let this_from = query.to.saturating_sub(jiff::Span::new().days(6));
            for r in &plan.trends {
                sql.push_str(&format!(
                    "SELECT CASE WHEN start >= '{this_from}' THEN 't' ELSE 'u' END, CAST(SUM(cases) AS BIGINT), '', service_area_id, channel, category_id, \
                     NULL, NULL, NULL FROM rollup_summaries WHERE {} AND cases > 0 GROUP BY 1, service_area_id, channel, category_id UNION ALL ",
                    read_condition(r)
                ));
            }
            // Pending deltas: the period's, the trends', and (for the
            // loyalty counts) every earlier day's of the day-only key.
            format!(
                "{sql}SELECT 'x', {key}, plus, minus, NULL FROM rollup_deltas WHERE day <= $3 AND (day >= $2{narrow} OR ({day_only}))"
            )
        }
        None => format!(
            "SELECT 'p', {key}, data, NULL, NULL FROM rollups WHERE owner_id = $1 AND day >= $2 AND day <= $3{narrow} \
             UNION ALL SELECT 'p', {key}, plus, minus, NULL FROM rollup_deltas WHERE day >= $2 AND day <= $3{delta_owner}{narrow}"
        ),
    };
    // Without a plan, the loyalty comparison's day-only rows from the start.
    let sql = match plan {
        Some(_) => period,
        None => format!(
            "{period} UNION ALL SELECT 'l', {key}, data, NULL, NULL FROM rollups WHERE {day_only} AND day <= $3 \
             UNION ALL SELECT 'l', {key}, plus, minus, NULL FROM rollup_deltas WHERE {day_only} AND day <= $3"
        ),
    };
    let found: Vec<RowOf> = sqlx::query_as(&sql)
        .bind(query.owner_id.map_or(0, |u| u.0))
        .bind(query.first_day_needed().to_string())
        .bind(query.to.to_string())
        .fetch_all(pool)
        .await
        .map_err(db_error)?;
    let (mut period, mut loyalty, mut summaries) = (Changes::default(), Changes::default(), Changes::<SummaryKey>::default());
    let reads = plan.as_ref().map(row_reads).unwrap_or_default();
    // What a lag-only read holds of a row.
    let lag_of = |r: &Rollup| Rollup { cases: r.cases, identification_lag: r.identification_lag.clone(), ..Rollup::default() };
    let mut taken = std::collections::BTreeSet::new();
    let (mut trends, mut trends_out) = (TrendCounts::default(), TrendCounts::default());
    let trend_key = |area, channel: &str, category| -> StoreResult<Option<TrendKey>> {
        let key = summary_key_of("d", area, channel, category, &query.to.to_string())?;
        Ok(plan.as_ref().and_then(|p| p.trend_key(&key)))
    };
    for (part, o, day, area, channel, category, plus, minus, bytes) in found {
        if let Some(bytes) = bytes {
            let key = summary_key_of(&part.to_lowercase(), area, &channel, category, &day)?;
            if taken.insert(key) {
                let row = match part.as_str() {
                    "D" | "W" | "M" => Rollup {
                        cases: u64::try_from(o).unwrap_or(0),
                        identification_lag: DurationSketch::decode(&bytes).map_err(|e| StoreError::Backend(e.to_string()))?,
                        ..Rollup::default()
                    },
                    // A row only the weekly series reads leaves out what it does not.
                    _ if !reads.iter().any(|(r, need)| *need == Need::Whole && r.matches(&key)) => read_rollup(Rollup::decode_for_weekly(&bytes))?,
                    _ => decoded(&bytes)?,
                };
                summaries.take(key, row);
            }
            continue;
        }
        if part == "t" || part == "u" {
            // A week's sum, counted on a day of its week.
            let day = if part == "t" { query.to } else { query.to.saturating_sub(jiff::Span::new().days(13)) };
            if let Some(key) = trend_key(area, &channel, category)? {
                trends.add(key, day, u64::try_from(o).unwrap_or(0), query);
            }
            continue;
        }
        let plus = plus.ok_or_else(|| StoreError::Backend("a stored rollup row has no data".into()))?;
        let mut key = key_of((o, day, area, channel, category))?;
        if query.owner_id.is_none() {
            key = key.without_owner();
        }
        let (plus, minus): (Rollup, Option<Rollup>) = (from_json(&plus)?, minus.map(|m| from_json(&m)).transpose()?);
        match part.as_str() {
            // A pending delta, in each summary read that it counts in.
            "x" => {
                let plan = plan.as_ref().expect("deltas of summaries are read for a plan");
                for k in SummaryKey::containing(&key) {
                    match reads.iter().find(|(r, _)| r.matches(&k)) {
                        Some((_, Need::Whole)) => summaries.put(k, &plus, minus.as_ref()),
                        Some((_, Need::Weekly)) => summaries.put(k, &plus.weekly_part(), minus.as_ref().map(Rollup::weekly_part).as_ref()),
                        Some((_, Need::Lag)) => summaries.put(k, &lag_of(&plus), minus.as_ref().map(lag_of).as_ref()),
                        None => {}
                    }
                    if let Some(t) = plan.trend_key(&k) {
                        trends.add(t.clone(), k.start, plus.cases, query);
                        trends_out.add(t, k.start, minus.as_ref().map_or(0, |m| m.cases), query);
                    }
                }
            }
            "p" => period.put(key, &plus, minus.as_ref()),
            _ => loyalty.put(key, &plus, minus.as_ref()),
        }
    }
    let keyed = |rows: Vec<(RollupKey, Rollup)>| rows.into_iter().map(|(key, rollup)| KeyedRollup { key, rollup }).collect();
    trends.subtract(&trends_out);
    Ok(RollupRows {
        trends,
        period: keyed(period.settle()?),
        summaries: summaries.settle()?.into_iter().map(|(key, rollup)| Summary { key, rollup }).collect(),
        loyalty: keyed(loyalty.settle()?),
    })
}

// ---- the compactor and the rebuild ---------------------------------------------

/// Folds up to `limit` of the oldest deltas into the rollup rows; answers
/// how many it folded (0: none were pending). Several processes may run it
/// at once: they take turns on the `insight_state` row (so two never write
/// the same new rollup row from scratch), while writers, which never touch
/// that row, go on appending.
pub(super) async fn compact(c: &mut Conn, limit: i64) -> StoreResult<usize> {
    let turn = format!("SELECT rebuild_needed FROM insight_state WHERE id = 1{LOCK_FOR_UPDATE}");
    sqlx::query_scalar::<_, bool>(&turn).fetch_optional(&mut *c).await.map_err(db_error)?;
    let sql = format!("SELECT id, owner_id, day, service_area_id, channel, category_id, plus, minus FROM rollup_deltas ORDER BY id LIMIT $1{SKIP_LOCKED}");
    let deltas: Vec<DeltaRow> = sqlx::query_as(&sql).bind(limit).fetch_all(&mut *c).await.map_err(db_error)?;
    if deltas.is_empty() {
        return Ok(0);
    }
    let (mut changes, mut summaries) = (Changes::default(), Changes::<SummaryKey>::default());
    let mut ids = Vec::with_capacity(deltas.len());
    for (id, o, day, area, channel, category, plus, minus) in deltas {
        ids.push(id);
        let key = key_of((o, day, area, channel, category))?;
        let (plus, minus): (Rollup, Rollup) = (from_json(&plus)?, from_json(&minus)?);
        for k in SummaryKey::containing(&key) {
            summaries.put(k, &plus, Some(&minus));
        }
        let keys = if key.owner_id.is_some() { vec![key, key.without_owner()] } else { vec![key] };
        for key in keys {
            changes.put(key, &plus, Some(&minus));
        }
    }
    fold(c, changes, summaries).await?;
    for chunk in ids.chunks(1000) {
        let list = (1..=chunk.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
        let sql = format!("DELETE FROM rollup_deltas WHERE id IN ({list})");
        let mut q = sqlx::query(&sql);
        for id in chunk {
            q = q.bind(id);
        }
        q.execute(&mut *c).await.map_err(db_error)?;
    }
    Ok(ids.len())
}

/// Adds and takes out `changes` and `summaries` in the stored rows;
/// answers how many rows and summaries it created.
async fn fold(c: &mut Conn, changes: Changes, summaries: Changes<SummaryKey>) -> StoreResult<(u64, u64)> {
    let mut created = (0, 0);
    let select = format!(
        "SELECT data FROM rollups WHERE owner_id = $1 AND day = $2 AND service_area_id = $3 AND channel = $4 AND category_id = $5{LOCK_FOR_UPDATE}"
    );
    let mut keep = Vec::new();
    for (key, (plus, minus)) in changes.0 {
        let (owner, day, area, channel, category) = cols(&key);
        let stored: Option<String> = sqlx::query_scalar(&select)
            .bind(owner)
            .bind(&day)
            .bind(area)
            .bind(&channel)
            .bind(category)
            .fetch_optional(&mut *c)
            .await
            .map_err(db_error)?;
        created.0 += u64::from(stored.is_none());
        let mut row: Rollup = stored.map(|s| from_json(&s)).transpose()?.unwrap_or_default();
        row.add(&plus);
        row.subtract(&minus).map_err(inconsistent)?;
        if row.is_empty() {
            sqlx::query("DELETE FROM rollups WHERE owner_id = $1 AND day = $2 AND service_area_id = $3 AND channel = $4 AND category_id = $5")
                .bind(owner)
                .bind(day)
                .bind(area)
                .bind(channel)
                .bind(category)
                .execute(&mut *c)
                .await
                .map_err(db_error)?;
        } else {
            keep.push(((owner, day, area, channel, category), row));
        }
    }
    put_rows(c, &keep).await?;
    // The summaries in chunks: one statement reads a chunk's stored rows,
    // one writes those that hold something, one removes those that do not.
    let summaries: Vec<(SummaryKey, (Rollup, Rollup))> = summaries.0.into_iter().collect();
    for chunk in summaries.chunks(100) {
        let keys: Vec<SummaryCols> = chunk.iter().map(|(k, _)| summary_cols(k)).collect();
        let sql = format!(
            "SELECT span, level, start, service_area_id, channel, category_id, data FROM rollup_summaries \
             WHERE (span, level, start, service_area_id, channel, category_id) IN (VALUES {}){LOCK_FOR_UPDATE}",
            values_list(keys.len(), 6)
        );
        let mut q = sqlx::query_as::<_, (String, i16, String, i64, String, i64, Vec<u8>)>(&sql);
        for (span, level, start, area, channel, category) in &keys {
            q = q.bind(*span).bind(*level).bind(start).bind(*area).bind(channel).bind(*category);
        }
        let mut stored: BTreeMap<StoredSummaryKey, Vec<u8>> = BTreeMap::new();
        for (span, level, start, area, channel, category, data) in q.fetch_all(&mut *c).await.map_err(db_error)? {
            stored.insert((span, level, start, area, channel, category), data);
        }
        let (mut keep, mut gone) = (Vec::new(), Vec::new());
        for ((_, (plus, minus)), cols) in chunk.iter().zip(keys) {
            let (span, level, start, area, channel, category) = cols;
            let found = stored.get(&(span.to_string(), level, start.clone(), area, channel.clone(), category));
            created.1 += u64::from(found.is_none());
            let mut row: Rollup = found.map(|s| decoded(s)).transpose()?.unwrap_or_default();
            row.add(plus);
            row.subtract(minus).map_err(inconsistent)?;
            if row.is_empty() {
                gone.push((span, level, start, area, channel, category));
            } else {
                keep.push(((span, level, start, area, channel, category), row));
            }
        }
        put_summaries(c, &keep).await?;
        if !gone.is_empty() {
            let sql = format!(
                "DELETE FROM rollup_summaries WHERE (span, level, start, service_area_id, channel, category_id) IN (VALUES {})",
                values_list(gone.len(), 6)
            );
            let mut q = sqlx::query(&sql);
            for (span, level, start, area, channel, category) in gone {
                q = q.bind(span).bind(level).bind(start).bind(area).bind(channel).bind(category);
            }
            q.execute(&mut *c).await.map_err(db_error)?;
        }
    }
    Ok(created)
}

/// Writes per-day rows that hold something, in multi-row statements.
async fn put_rows(c: &mut Conn, rows: &[(KeyCols, Rollup)]) -> StoreResult<()> {
    for chunk in rows.chunks(100) {
        let sql = format!(
            "INSERT INTO rollups (owner_id, day, service_area_id, channel, category_id, data) VALUES {} \
             ON CONFLICT (owner_id, day, service_area_id, channel, category_id) DO UPDATE SET data = excluded.data",
            values_list(chunk.len(), 6)
        );
        let mut q = sqlx::query(&sql);
        for ((owner, day, area, channel, category), row) in chunk {
            q = q.bind(*owner).bind(day).bind(*area).bind(channel).bind(*category).bind(to_json(row)?);
        }
        q.execute(&mut *c).await.map_err(db_error)?;
    }
    Ok(())
}

/// Writes summaries that hold something, in multi-row statements.
async fn put_summaries(c: &mut Conn, rows: &[(SummaryCols, Rollup)]) -> StoreResult<()> {
    for chunk in rows.chunks(100) {
        let sql = format!(
            "INSERT INTO rollup_summaries (span, level, start, service_area_id, channel, category_id, cases, data, lag) VALUES {} \
             ON CONFLICT (span, level, start, service_area_id, channel, category_id) DO UPDATE SET cases = excluded.cases, data = excluded.data, lag = excluded.lag",
            values_list(chunk.len(), 9)
        );
        let mut q = sqlx::query(&sql);
        for ((span, level, start, area, channel, category), row) in chunk {
            q = q
                .bind(*span)
                .bind(*level)
                .bind(start)
                .bind(*area)
                .bind(channel)
                .bind(*category)
                .bind(i64::try_from(row.cases).unwrap_or(i64::MAX))
                .bind(row.encode())
                .bind(row.identification_lag.encode());
        }
        q.execute(&mut *c).await.map_err(db_error)?;
    }
    Ok(())
}

/// Whether the rollups wait for a rebuild (new, or the calendar changed).
pub(super) async fn rebuild_needed(pool: &Pool) -> StoreResult<bool> {
    let needed: Option<bool> = sqlx::query_scalar("SELECT rebuild_needed FROM insight_state WHERE id = 1").fetch_optional(pool).await.map_err(db_error)?;
    Ok(needed.unwrap_or(true))
}

const BATCH: i64 = 2000;

/// Days per pass of a rebuild: one whole week from a Monday, so every
/// day's and week's rows are whole within one pass (a month's are summed
/// over the passes it spans).
const WINDOW_DAYS: i64 = 7;

/// Every rollup row from scratch: the sum of every case's, response's,
/// invitation's and customer's contribution on the calendar in force; the
/// stored contributions beside cases and customers are rewritten to match.
/// Writes wait while it runs (reads go on), so nothing changes between its
/// reading a case or customer and its writing of their facts.
///
/// It passes over the history a week at a time (cases by report,
/// responses and invitations by creation, through their time indexes),
/// writing each pass's rows and summaries before the next, so its memory
/// is one pass's rows whatever the size; the customers' loyalty parts,
/// which land on the day-only rows of any day, are folded in last.
pub(super) async fn rebuild(c: &mut Conn, only_if_needed: bool) -> StoreResult<Option<RebuildReport>> {
    let lock = format!("SELECT rebuild_needed FROM insight_state WHERE id = 1{LOCK_FOR_UPDATE}");
    let needed: Option<bool> = sqlx::query_scalar(&lock).fetch_optional(&mut *c).await.map_err(db_error)?;
    if only_if_needed && needed == Some(false) {
        return Ok(None);
    }
    if let Some(hold) = HOLD_WRITES {
        hold_writes(c, hold).await?;
    }
    let cal = load_settings(c).await?.calendar();
    for sql in ["DELETE FROM rollups", "DELETE FROM rollup_summaries", "DELETE FROM rollup_deltas", "UPDATE customers SET loyalty = NULL WHERE loyalty IS NOT NULL"] {
        sqlx::query(sql).execute(&mut *c).await.map_err(db_error)?;
    }
    let mut report = RebuildReport::default();
    let mut span: Option<(i64, i64)> = None;
    for sql in ["SELECT MIN(reported_at), MAX(reported_at) FROM cases", "SELECT MIN(created_at), MAX(created_at) FROM responses", "SELECT MIN(created_at), MAX(created_at) FROM invitations"] {
        if let (Some(lo), Some(hi)) = sqlx::query_as::<_, (Option<i64>, Option<i64>)>(sql).fetch_one(&mut *c).await.map_err(db_error)? {
            span = Some(span.map_or((lo, hi), |(a, b)| (a.min(lo), b.max(hi))));
        }
    }
    if let Some((first, last)) = span {
        let last = redress_core::insight::day_of(ts(last)?, &cal);
        let mut start = redress_core::insight::summary::week_start(redress_core::insight::day_of(ts(first)?, &cal));
        while start <= last {
            let end = start.saturating_add(jiff::Span::new().days(WINDOW_DAYS));
            rebuild_window(c, &cal, start, end, &mut report).await?;
            start = end;
        }
    }
    rebuild_loyalty(c, &cal, &mut report).await?;
    sqlx::query("UPDATE insight_state SET rebuild_needed = $1 WHERE id = 1").bind(false).execute(&mut *c).await.map_err(db_error)?;
    Ok(Some(report))
}

/// Takes the table locks of `hold` (several tables, locked one after
/// another). A writer may hold one of them while it waits for another this
/// has taken, which would deadlock; so a wait longer than a moment gives
/// way — the locks taken so far are let go — and tries again shortly after,
/// the writer having finished meanwhile.
async fn hold_writes(c: &mut Conn, hold: &str) -> StoreResult<()> {
    const ATTEMPTS: u32 = 600;
    for attempt in 1..=ATTEMPTS {
        for sql in ["SAVEPOINT hold_writes", "SET LOCAL lock_timeout = '200ms'"] {
            sqlx::query(sql).execute(&mut *c).await.map_err(db_error)?;
        }
        match sqlx::query(hold).execute(&mut *c).await {
            Ok(_) => {
                for sql in ["RELEASE SAVEPOINT hold_writes", "SET LOCAL lock_timeout = DEFAULT"] {
                    sqlx::query(sql).execute(&mut *c).await.map_err(db_error)?;
                }
                return Ok(());
            }
            Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("55P03") && attempt < ATTEMPTS => {
                sqlx::query("ROLLBACK TO SAVEPOINT hold_writes").execute(&mut *c).await.map_err(db_error)?;
                tokio::time::sleep(std::time::Duration::from_millis(20 + u64::from(attempt % 7) * 10)).await;
            }
            Err(e) => return Err(db_error(e)),
        }
    }
    Err(StoreError::Backend("writes never paused long enough for the rollups to be rebuilt".into()))
}

/// The first instant of `day` in the organisation's zone, in microseconds.
fn midnight(day: Date, cal: &BusinessCalendar) -> StoreResult<i64> {
    let t = day.to_zoned(cal.time_zone().clone()).map_err(|e| StoreError::Backend(format!("no midnight on {day}: {e}")))?;
    Ok(micros(t.timestamp()))
}

/// A rebuild pass's rows, page after page in (time, id) order: each
/// statement takes the last (time, id) seen as `$1, $2`, the pass's end as
/// `$3` and the page size as `$4`.
struct ByTime {
    after: (i64, i64),
    to: i64,
}

impl ByTime {
    fn new(from: i64, to: i64) -> ByTime {
        ByTime { after: (from - 1, i64::MAX), to }
    }

    async fn next<R>(&mut self, c: &mut Conn, sql: &str, key: fn(&R) -> (i64, i64)) -> StoreResult<Vec<R>>
    where
        R: for<'r> sqlx::FromRow<'r, <Db as sqlx::Database>::Row> + Send + Unpin,
    {
        let page: Vec<R> = sqlx::query_as(sql).bind(self.after.0).bind(self.after.1).bind(self.to).bind(BATCH).fetch_all(&mut *c).await.map_err(db_error)?;
        if let Some(last) = page.last() {
            self.after = key(last);
        }
        Ok(page)
    }
}

/// One pass of a rebuild: the rows and summaries of the days from `start`
/// to before `end`, from the cases reported and the responses and
/// invitations created on them.
async fn rebuild_window(c: &mut Conn, cal: &BusinessCalendar, start: Date, end: Date, report: &mut RebuildReport) -> StoreResult<()> {
    let (from, to) = (midnight(start, cal)?, midnight(end, cal)?);
    let mut rows: BTreeMap<RollupKey, Rollup> = BTreeMap::new();
    let mut put = |k: KeyedRollup| {
        if k.key.owner_id.is_some() {
            rows.entry(k.key.without_owner()).or_default().add(&k.rollup);
        }
        rows.entry(k.key).or_default().add(&k.rollup);
    };

    // Each in pages by (time, id), through the time index.
    let mut pages = ByTime::new(from, to);
    loop {
        let batch: Vec<(i64, i64, String)> = pages
            .next(c, "SELECT reported_at, id, data FROM cases WHERE (reported_at, id) > ($1, $2) AND reported_at < $3 ORDER BY reported_at, id LIMIT $4", |r: &(i64, i64, String)| (r.0, r.1))
            .await?;
        if batch.is_empty() {
            break;
        }
        for (_, id, data) in batch {
            let case = case_from((id, data))?;
            let facts = CaseFacts::of(&case, cal);
            put(Rollup::of_case(&facts));
            sqlx::query("UPDATE cases SET facts = $2 WHERE id = $1").bind(case.id.0).bind(to_json(&facts)?).execute(&mut *c).await.map_err(db_error)?;
            report.cases += 1;
        }
    }

    type SurveyRow = (i64, i64, Option<i64>, Option<i64>, Option<i64>, String);
    let mut pages = ByTime::new(from, to);
    loop {
        let sql = "SELECT r.created_at, r.id, r.lowest_rating, r.nps, s.service_area_id, s.purpose FROM responses r JOIN surveys s ON s.id = r.survey_id \
                   WHERE (r.created_at, r.id) > ($1, $2) AND r.created_at < $3 ORDER BY r.created_at, r.id LIMIT $4";
        let batch: Vec<SurveyRow> = pages.next(c, sql, |r: &SurveyRow| (r.0, r.1)).await?;
        if batch.is_empty() {
            break;
        }
        for (at, _, rating, nps, area, purpose) in batch {
            let s = scored((at, rating, nps))?;
            let facts = ResponseFacts {
                day: redress_core::insight::day_of(s.at, cal),
                service_area_id: area.map(ServiceAreaId),
                rating: s.rating,
                nps: s.nps,
                recovery: purpose == "recovery",
            };
            put(Rollup::of_response(&facts));
            report.responses += 1;
        }
    }

    let mut pages = ByTime::new(from, to);
    loop {
        let sql = "SELECT i.created_at, i.id, i.used_at, s.service_area_id, s.purpose FROM invitations i JOIN surveys s ON s.id = i.survey_id \
                   WHERE (i.created_at, i.id) > ($1, $2) AND i.created_at < $3 ORDER BY i.created_at, i.id LIMIT $4";
        let batch: Vec<InvitationRow> = pages.next(c, sql, |r: &InvitationRow| (r.0, r.1)).await?;
        if batch.is_empty() {
            break;
        }
        for (created, _, used, area, purpose) in batch {
            let facts = InvitationFacts {
                day: redress_core::insight::day_of(ts(created)?, cal),
                service_area_id: area.map(ServiceAreaId),
                answered: used.is_some(),
                recovery: purpose == "recovery",
            };
            put(Rollup::of_invitation(&facts));
            report.invitations += 1;
        }
    }

    rows.retain(|_, r| !r.is_empty());
    report.rows += rows.len() as u64;
    // A pass holds whole days and weeks, so it writes their summaries
    // outright; a month spans several passes, so each adds its part.
    let mut months = Changes::<SummaryKey>::default();
    for span in Span::ALL {
        for level in LEVELS {
            let summaries = summaries_of(rows.iter().filter(|(k, _)| k.owner_id.is_none()), Some((span, level)));
            if span == Span::Month {
                summaries.into_iter().for_each(|s| months.take(s.key, s.rollup));
                continue;
            }
            let summaries: Vec<(SummaryCols, Rollup)> = summaries.into_iter().map(|s| (summary_cols(&s.key), s.rollup)).collect();
            report.summaries += summaries.len() as u64;
            put_summaries(c, &summaries).await?;
        }
    }
    report.summaries += fold(c, Changes::default(), months).await?.1;
    let rows: Vec<(KeyCols, Rollup)> = rows.into_iter().map(|(key, row)| (cols(&key), row)).collect();
    put_rows(c, &rows).await?;
    Ok(())
}

/// The customers' loyalty parts, in ranges of ids (their cases' and
/// feedback responses' facts), summed per day and folded into the rows and
/// summaries the passes wrote.
async fn rebuild_loyalty(c: &mut Conn, cal: &BusinessCalendar, report: &mut RebuildReport) -> StoreResult<()> {
    let mut days: Changes = Changes::default();
    let max: Option<i64> = sqlx::query_scalar("SELECT MAX(id) FROM customers").fetch_one(&mut *c).await.map_err(db_error)?;
    let mut from = 0i64;
    while from < max.unwrap_or(0) {
        let to = from + BATCH;
        let cases: Vec<(i64, i64, Option<i64>)> =
            sqlx::query_as("SELECT customer_id, reported_at, closed_at FROM cases WHERE customer_id > $1 AND customer_id <= $2")
                .bind(from)
                .bind(to)
                .fetch_all(&mut *c)
                .await
                .map_err(db_error)?;
        let responses: Vec<(i64, i64, Option<i64>, Option<i64>)> = sqlx::query_as(
            "SELECT r.customer_id, r.created_at, r.lowest_rating, r.nps FROM responses r JOIN surveys s ON s.id = r.survey_id \
             WHERE r.customer_id > $1 AND r.customer_id <= $2 AND s.purpose <> 'recovery'",
        )
        .bind(from)
        .bind(to)
        .fetch_all(&mut *c)
        .await
        .map_err(db_error)?;
        let mut by: BTreeMap<i64, CustomerRows> = BTreeMap::new();
        for (id, reported, closed) in cases {
            by.entry(id).or_default().0.push((reported, closed));
        }
        for (id, at, rating, nps) in responses {
            by.entry(id).or_default().1.push((at, rating, nps));
        }
        for (id, (cases, responses)) in by {
            let (first, resolved) = (cases.iter().map(|c| c.0).min(), cases.iter().filter_map(|c| c.1).min());
            let contributions = customer_facts(CustomerId(id), first, resolved, responses)?.contributions(cal);
            if contributions.is_empty() {
                continue;
            }
            sqlx::query("UPDATE customers SET loyalty = $2 WHERE id = $1").bind(id).bind(to_json(&contributions)?).execute(&mut *c).await.map_err(db_error)?;
            contributions.iter().for_each(|k| days.add(k));
            report.customers += 1;
        }
        from = to;
    }
    let mut summaries = Changes::<SummaryKey>::default();
    for (key, (plus, _)) in &days.0 {
        for k in SummaryKey::containing(key) {
            summaries.put(k, plus, None);
        }
    }
    let (rows, summaries) = fold(c, days, summaries).await?;
    report.rows += rows;
    report.summaries += summaries;
    Ok(())
}

/// Marks the rollups for a rebuild (the organisation's calendar changed).
pub(super) async fn require_rebuild(c: &mut Conn) -> StoreResult<()> {
    sqlx::query("UPDATE insight_state SET rebuild_needed = $1 WHERE id = 1").bind(true).execute(&mut *c).await.map_err(db_error)?;
    Ok(())
}
