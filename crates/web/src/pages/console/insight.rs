//! The insight dashboard (managers, seniors and admins): the figures of
//! `GET /api/v1/metrics` for a period, service area, channel and category,
//! with charts drawn on the server ([`super::charts`]), candidate problems
//! and the cases behind each figure.
//!
//! **Live.** The page's figures sit in one `<section id="figures">`; a small
//! script (`/assets/insight.js`) opens `/console/insight/live` with the same
//! filters, a server-sent event stream that renders the section again each
//! second and sends it whenever it changed — a new response or case change
//! shows without a reload, from any process on the same database. Without
//! script the page is whole and a reload brings it up to date.

use super::charts::{bars, line, Bar};
use super::Staff;
use crate::api::export::{self, Dataset};
use crate::api::metrics::{candidates, metrics, CandidateProblem, MetricsParams};
use crate::error::ApiError;
use crate::pages::format::{duration, money, zone};
use crate::pages::frame::{Frame, PageError, PagePath, PageResult};
use crate::AppState;
use askama::Template;
use axum::extract::{FromRequestParts, RawQuery, State};
use axum::http::request::Parts;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use jiff::civil::Date;
use jiff::SignedDuration;
use redress_core::case::Channel;
use redress_core::category::Category;
use redress_core::insight::{DurationStats, Metrics};
use redress_core::service_area::ServiceArea;
use redress_core::settings::OrgSettings;
use redress_core::store::CaseFilter;
use redress_core::user::User;
use redress_core::CategoryId;
use std::convert::Infallible;
use std::time::Duration;

/// A signed-in manager, senior or admin. Other staff get a 403 page.
pub struct Supervisor(pub User);

impl FromRequestParts<AppState> for Supervisor {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, Response> {
        let Staff(user) = Staff::from_request_parts(parts, app).await?;
        if user.role.supervises() {
            Ok(Supervisor(user))
        } else {
            let text = format!("The insight pages are for managers, seniors and admins; you are signed in as {}.", user.role.as_str());
            Err(PageError(ApiError::forbidden(text)).into_response())
        }
    }
}

/// What the page is asked for, read leniently from its address: a value
/// that does not parse is reported on the page and left out.
struct Ask {
    params: MetricsParams,
    problems: Vec<String>,
}

impl Ask {
    fn parse(query: Option<&str>) -> Ask {
        let pairs: Vec<(String, String)> = query.and_then(|q| serde_urlencoded::from_str(q).ok()).unwrap_or_default();
        let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.trim()).filter(|v| !v.is_empty());
        let mut problems = Vec::new();
        let mut date = |k: &str| {
            get(k).and_then(|v| match v.parse::<Date>() {
                Ok(d) => Some(d),
                Err(_) => {
                    problems.push(format!("{k} {v} is not a date (YYYY-MM-DD); it is left out."));
                    None
                }
            })
        };
        let (from, to) = (date("from"), date("to"));
        let id = |k: &str| get(k).and_then(|v| v.parse::<i64>().ok());
        let params = MetricsParams {
            from,
            to,
            service_area_id: id("service_area_id"),
            channel: get("channel").and_then(Channel::parse),
            owner_id: None,
            category_id: id("category_id"),
        };
        Ask { params, problems }
    }

    /// The filters as an address query (`from=…&to=…`), for links.
    fn query(&self, m: &Metrics) -> String {
        let mut q = vec![format!("from={}", m.from), format!("to={}", m.to)];
        q.extend(m.service_area_id.map(|a| format!("service_area_id={a}")));
        q.extend(m.channel.map(|c| format!("channel={}", c.as_str())));
        q.extend(m.category_id.map(|c| format!("category_id={c}")));
        q.join("&")
    }
}

/// One headline figure.
pub struct Tile {
    id: &'static str,
    label: &'static str,
    value: String,
    detail: String,
    href: Option<String>,
}

/// A candidate problem as the page lists it.
pub struct CandidateRow {
    label: String,
    /// The title a problem opened from it starts with.
    title: String,
    counts: String,
    cases: Vec<(i64, String, String)>,
    case_ids: String,
}

#[derive(Template)]
#[template(path = "console/insight_figures.html")]
struct FiguresView {
    csrf: String,
    period: String,
    tiles: Vec<Tile>,
    charts: Vec<String>,
    candidates: Vec<CandidateRow>,
}

#[derive(Template)]
#[template(path = "console/insight.html")]
struct InsightPage {
    frame: Frame,
    from: String,
    to: String,
    areas: Vec<Choice<i64>>,
    channels: Vec<Choice<&'static str>>,
    categories: Vec<Choice<i64>>,
    problems: Vec<String>,
    figures: String,
    live: String,
    /// The filters as a query, for the download links.
    query: String,
}

fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "–".into(), |v| format!("{:.0} %", v * 100.0))
}

fn secs(v: Option<u64>) -> String {
    v.map_or_else(|| "–".into(), |s| duration(SignedDuration::from_secs(s as i64)))
}

fn stats(label: &str, s: &DurationStats) -> String {
    match s.count {
        0 => format!("none {label}"),
        n => format!("p90 {} · {n} {label}", secs(s.p90_seconds)),
    }
}

fn rating(v: Option<f64>) -> String {
    v.map_or_else(|| "–".into(), |v| format!("{v:.2}"))
}

/// Renders the figures section: tiles, charts and candidate problems.
async fn figures(app: &AppState, ask: &Ask, csrf: &str, settings: &OrgSettings) -> Result<(String, Metrics), PageError> {
    let m = metrics(app, &ask.params).await?;
    let q = ask.query(&m);
    let cases = |extra: &str| Some(format!("/console/insight/cases?{q}{extra}"));
    let s = &m.satisfaction;
    let tiles = vec![
        Tile { id: "cases", label: "Cases reported", value: m.cases.to_string(), detail: format!("{} transfers, {} flagged", m.transfers.transfers, m.transfers.flagged), href: cases("") },
        Tile {
            id: "average-rating",
            label: "Average rating",
            value: s.average_rating.map_or_else(|| "–".into(), |r| format!("{r:.2} / 5")),
            detail: format!("{} rated of {} responses", s.rated, s.responses),
            href: Some("/console/surveys".into()),
        },
        Tile {
            id: "nps",
            label: "Net Promoter Score",
            value: s.nps.score.map_or_else(|| "–".into(), |n| format!("{n:+.0}")),
            detail: format!("{} promoters · {} passives · {} detractors", s.nps.promoters, s.nps.passives, s.nps.detractors),
            href: Some("/console/surveys".into()),
        },
        Tile {
            id: "response-rate",
            label: "Survey response rate",
            value: pct(m.response_rate.rate),
            detail: format!("{} of {} invitations answered", m.response_rate.answered, m.response_rate.invitations),
            href: Some("/console/surveys".into()),
        },
        Tile {
            id: "lag",
            label: "Identification lag (median)",
            value: secs(m.identification_lag.overall.median_seconds),
            detail: stats("cases", &m.identification_lag.overall),
            href: cases(""),
        },
        Tile {
            id: "first-response",
            label: "First response (median, working time)",
            value: secs(m.first_response.business.median_seconds),
            detail: format!("{} · calendar median {}", stats("answered", &m.first_response.business), secs(m.first_response.calendar.median_seconds)),
            href: cases(""),
        },
        Tile {
            id: "resolution",
            label: "Resolution (median, working time)",
            value: secs(m.resolution.business.median_seconds),
            detail: format!("{} · calendar median {}", stats("closed", &m.resolution.business), secs(m.resolution.calendar.median_seconds)),
            href: cases("&which=closed"),
        },
        Tile {
            id: "reopen-rate",
            label: "Reopened after follow-up",
            value: pct(m.reopens.rate),
            detail: format!("{} cases, {} reopenings", m.reopens.reopened, m.reopens.reopens),
            href: cases("&which=reopened"),
        },
        Tile {
            id: "remedies",
            label: "Remedies",
            value: money(m.remedies.cost, settings),
            detail: format!("{} agreed with a value", m.remedies.count),
            href: cases(""),
        },
        Tile { id: "gifts", label: "Goodwill gifts", value: money(m.gifts.cost, settings), detail: format!("{} given", m.gifts.count), href: cases("") },
        Tile {
            id: "recovery",
            label: "Satisfaction recovery",
            value: m.recovery.average_change.map_or_else(|| "–".into(), |c| format!("{c:+.1} points")),
            detail: format!("{} measured, {} improved", m.recovery.measured, pct(m.recovery.share_improved)),
            href: cases("&which=closed"),
        },
        Tile {
            id: "loyalty",
            label: "Loyalty: resolved against never complained",
            value: m.loyalty.rating_difference.map_or_else(|| "–".into(), |d| format!("{d:+.2}")),
            detail: format!("{} resolved, {} never complained, {} unresolved", m.loyalty.resolved.customers, m.loyalty.never_complained.customers, m.loyalty.unresolved),
            href: None,
        },
    ];

    let weeks: Vec<(String, Option<f64>)> = m.weekly.iter().map(|w| (w.week_start.strftime("%-d %b").to_string(), w.average_rating)).collect();
    let nps: Vec<(String, Option<f64>)> = m.weekly.iter().map(|w| (w.week_start.strftime("%-d %b").to_string(), w.nps)).collect();
    let hours = |s: Option<u64>| s.unwrap_or(0) as f64 / 3600.0;
    let lag: Vec<Bar> = m
        .identification_lag
        .by_channel
        .iter()
        .map(|c| Bar {
            label: c.channel.as_str().replace('_', " "),
            value: hours(c.lag.median_seconds),
            text: format!("{} ({} cases)", secs(c.lag.median_seconds), c.lag.count),
            href: Some(format!("/console/insight/cases?{q}&channel={}", c.channel.as_str())),
        })
        .collect();
    let compliance: Vec<Bar> = m
        .compliance
        .iter()
        .map(|c| Bar {
            label: wire_words(&c.target),
            value: c.share.unwrap_or(0.0),
            text: format!("{} ({} of {})", pct(c.share), c.met, c.total),
            href: cases(""),
        })
        .collect();
    let loyalty: Vec<Bar> = [("Resolved complainants", &m.loyalty.resolved), ("Never complained", &m.loyalty.never_complained)]
        .into_iter()
        .map(|(label, g)| Bar {
            label: label.into(),
            value: g.average_rating.unwrap_or(0.0),
            text: format!("{} · {} customers, {} came back", rating(g.average_rating), g.customers, pct(g.repeat_response_rate)),
            href: None,
        })
        .collect();
    let distribution: Vec<Bar> =
        s.distribution.iter().enumerate().map(|(i, n)| Bar { label: format!("{} ★", i + 1), value: *n as f64, text: n.to_string(), href: None }).collect();
    let charts = vec![
        line("chart-satisfaction", "Average rating by week", "The mean of each week's lowest ratings, 1 to 5; a gap is a week without rated responses.", &weeks, 1.0, 5.0, &[1.0, 2.0, 3.0, 4.0, 5.0]),
        line("chart-nps", "Net Promoter Score by week", "Promoters minus detractors, in per cent of the week's recommendation answers.", &nps, -100.0, 100.0, &[-100.0, -50.0, 0.0, 50.0, 100.0]),
        bars("chart-distribution", "Ratings", "How many rated responses gave each lowest rating.", &distribution, None),
        bars("chart-lag", "Identification lag by channel", "Median time from the problem to the company hearing of it, per channel.", &lag, None),
        bars("chart-compliance", "Targets met", "Share of the decided cases that met each target in time.", &compliance, Some(1.0)),
        bars("chart-loyalty", "Later ratings: resolved against never complained", "Mean rating of the responses customers gave after their complaint was resolved, against customers who never complained.", &loyalty, Some(5.0)),
    ];

    let candidates = candidates(app, Some(m.to)).await?.into_iter().map(candidate_row).collect();
    let period = format!("{} to {}", m.from.strftime("%-d %b %Y"), m.to.strftime("%-d %b %Y"));
    let html = FiguresView { csrf: csrf.to_string(), period, tiles, charts, candidates }.render().map_err(|e| {
        tracing::error!(error = %e, "cannot render the insight figures");
        PageError(ApiError::internal())
    })?;
    Ok((html, m))
}

fn wire_words<T: serde::Serialize>(v: &T) -> String {
    let w = crate::pages::format::wire(v).replace('_', " ");
    let mut c = w.chars();
    c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
}

fn candidate_row(c: CandidateProblem) -> CandidateRow {
    CandidateRow {
        counts: format!("{} this week against {} the week before (p = {:.4})", c.trend.this_week, c.trend.last_week, c.trend.p_value),
        case_ids: c.cases.iter().map(|b| b.id.0.to_string()).collect::<Vec<_>>().join(","),
        cases: c.cases.iter().map(|b| (b.id.0, b.reference.clone(), b.summary.clone())).collect(),
        title: format!("Rising: {}", c.label),
        label: c.label,
    }
}

/// A choice of a filter: its value, its name, whether it is chosen.
type Choice<T> = (T, String, bool);

/// The choices of the filter form, the chosen ones marked.
struct Choices {
    areas: Vec<Choice<i64>>,
    channels: Vec<Choice<&'static str>>,
    categories: Vec<Choice<i64>>,
}

fn choices(ask: &Ask, areas: &[ServiceArea], categories: &[Category]) -> Choices {
    Choices {
        areas: areas.iter().map(|a| (a.id.0, a.name.clone(), ask.params.service_area_id == Some(a.id.0))).collect(),
        channels: Channel::ALL.into_iter().map(|c| (c.as_str(), c.as_str().replace('_', " "), ask.params.channel == Some(c))).collect(),
        categories: categories.iter().map(|c| (c.id.0, c.name.clone(), ask.params.category_id == Some(c.id.0))).collect(),
    }
}

pub async fn dashboard(State(app): State<AppState>, Supervisor(user): Supervisor, frame: Frame, RawQuery(query): RawQuery) -> PageResult {
    let frame = frame.signed_in(&user);
    let mut ask = Ask::parse(query.as_deref());
    let store = app.store();
    let (settings, areas, categories) = (store.settings().await?, store.service_areas().await?, store.categories().await?);
    let (html, m) = match figures(&app, &ask, &frame.csrf, &settings).await {
        Ok(done) => done,
        Err(PageError(e)) if e.status.is_client_error() => {
            ask.problems.push(e.detail.clone());
            ask.params.from = None;
            ask.params.to = None;
            figures(&app, &ask, &frame.csrf, &settings).await?
        }
        Err(e) => return Err(e),
    };
    let Choices { areas, channels, categories } = choices(&ask, &areas, &categories);
    let live = format!("/console/insight/live?{}", ask.query(&m));
    let query = ask.query(&m);
    let page = InsightPage { query, from: m.from.to_string(), to: m.to.to_string(), areas, channels, categories, problems: ask.problems, figures: html, live, frame };
    Ok(page.frame.page(axum::http::StatusCode::OK, &page))
}

/// How often the live stream looks for changed figures.
const LIVE_EVERY: Duration = Duration::from_secs(1);

/// The figures section again whenever it changes (server-sent events named
/// `figures`, each the section's HTML), checked every second; ends when
/// the server shuts down, and the browser reconnects on its own.
pub async fn live(State(app): State<AppState>, Supervisor(_user): Supervisor, frame: Frame, RawQuery(query): RawQuery) -> Response {
    let ask = Ask::parse(query.as_deref());
    let csrf = frame.csrf.clone();
    let closing = app.closing();
    let stream = futures_util::stream::unfold((String::new(), closing), move |(last, mut closing)| {
        let (app, csrf) = (app.clone(), csrf.clone());
        let ask = Ask { params: ask.params.clone(), problems: Vec::new() };
        async move {
            loop {
                if *closing.borrow() {
                    return None;
                }
                let drawn = match app.store().settings().await {
                    Ok(s) => figures(&app, &ask, &csrf, &s).await.ok().map(|f| f.0),
                    Err(_) => None,
                };
                if let Some(html) = drawn.filter(|h| *h != last) {
                    let event = Event::default().event("figures").data(html.clone());
                    return Some((Ok::<Event, Infallible>(event), (html, closing)));
                }
                tokio::select! {
                    _ = tokio::time::sleep(LIVE_EVERY) => {}
                    _ = closing.changed() => return None,
                }
            }
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::default()).into_response()
}

#[derive(Template)]
#[template(path = "console/insight_cases.html")]
struct CasesPage {
    frame: Frame,
    heading: String,
    back: String,
    rows: Vec<(i64, String, String, String, String)>,
    more: bool,
}

const CASES_SHOWN: u32 = 200;

/// The cases behind a figure: those reported in the period, with its
/// filters, optionally only the closed, reopened or flagged ones.
pub async fn cases(State(app): State<AppState>, Supervisor(user): Supervisor, frame: Frame, RawQuery(query): RawQuery) -> PageResult {
    let frame = frame.signed_in(&user);
    let ask = Ask::parse(query.as_deref());
    let which = query.as_deref().and_then(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).ok()).unwrap_or_default().into_iter().find(|(k, _)| k == "which").map(|(_, v)| v);
    let settings = app.store().settings().await?;
    let tz = zone(&settings);
    let today = app.now().to_zoned(tz.clone()).date();
    let query = ask.params.query(today)?;
    let period = query.period(&tz);
    let mut filter = CaseFilter {
        reported_from: Some(period.start),
        reported_to: Some(period.end),
        service_area_id: query.service_area_id,
        channel: query.channel,
        category_id: query.category_id,
        limit: CASES_SHOWN,
        ..CaseFilter::default()
    };
    let mut heading = format!("Cases reported {} to {}", query.from, query.to);
    match which.as_deref() {
        Some("closed") => {
            filter.open = Some(false);
            heading.push_str(", closed");
        }
        Some("flagged") => {
            filter.flagged = Some(true);
            heading.push_str(", flagged");
        }
        _ => {}
    }
    let mut list = app.store().cases(&filter).await?;
    if which.as_deref() == Some("reopened") {
        list.retain(|c| c.reopen_count > 0);
        heading.push_str(", reopened after follow-up");
    }
    let rows = list
        .iter()
        .map(|c| (c.id.0, c.reference.clone(), c.summary.clone(), c.status.as_str().replace('_', " "), crate::pages::format::when(c.reported_at, &tz)))
        .collect();
    let back = format!("/console/insight?{}", query_string(&query));
    let more = list.len() == CASES_SHOWN as usize;
    let page = CasesPage { frame, heading, back, rows, more };
    Ok(page.frame.page(axum::http::StatusCode::OK, &page))
}

fn query_string(q: &redress_core::insight::MetricsQuery) -> String {
    let mut s = format!("from={}&to={}", q.from, q.to);
    if let Some(a) = q.service_area_id {
        s.push_str(&format!("&service_area_id={a}"));
    }
    if let Some(c) = q.channel {
        s.push_str(&format!("&channel={}", c.as_str()));
    }
    if let Some(CategoryId(c)) = q.category_id {
        s.push_str(&format!("&category_id={c}"));
    }
    s
}

/// The insight page's downloads: `cases` and `responses` of the period (its
/// last day included) and `metrics` (the weekly figures), as CSV.
pub async fn download(State(app): State<AppState>, Supervisor(user): Supervisor, PagePath(what): PagePath<String>, RawQuery(query): RawQuery) -> Response {
    let ask = Ask::parse(query.as_deref());
    let answer = async {
        let settings = app.store().settings().await?;
        let today = app.now().to_zoned(zone(&settings)).date();
        let q = ask.params.query(today)?;
        let (from, to) = (q.from.to_string(), q.to.saturating_add(jiff::Span::new().days(1)).to_string());
        match what.as_str() {
            "cases" => export::download(app.clone(), &user, Some(&from), Some(&to), Dataset::Cases).await,
            "responses" => export::download(app.clone(), &user, Some(&from), Some(&to), Dataset::Responses).await,
            "metrics" => export::metrics_download(&app, &user, &ask.params).await,
            other => Err(ApiError::not_found(format!("there is no {other} export: cases, responses or metrics"))),
        }
    };
    match answer.await {
        Ok(r) => r,
        Err(e) => PageError(e).into_response(),
    }
}
