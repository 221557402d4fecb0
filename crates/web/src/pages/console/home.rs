//! The console's home: the signed-in person's queues with their counts, and
//! the chosen queue as a list to search, filter by channel, sort and page.

use super::{names, Staff};
use crate::pages::format::{duration, when, zone};
use crate::pages::frame::{Frame, PageResult};
use crate::pages::pager::Pager;
use crate::AppState;
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use jiff::Timestamp;
use redress_core::case::{Case, Channel, Status};
use redress_core::store::{CaseFilter, CaseSort};
use redress_core::user::{Role, User};

const PAGE_SIZE: u32 = 50;
/// Queue sizes are counted this far; beyond it the tab says "1000+".
const COUNT_TO: i64 = 1000;

/// The queues, in the order the home page shows them.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Queue {
    Mine,
    Overdue,
    Approvals,
    FollowUps,
    Reopened,
    Flagged,
    Open,
}

impl Queue {
    const ALL: [Queue; 7] = [Queue::Mine, Queue::Overdue, Queue::Approvals, Queue::FollowUps, Queue::Reopened, Queue::Flagged, Queue::Open];

    fn key(self) -> &'static str {
        match self {
            Queue::Mine => "mine",
            Queue::Overdue => "overdue",
            Queue::Approvals => "approvals",
            Queue::FollowUps => "follow-ups",
            Queue::Reopened => "reopened",
            Queue::Flagged => "flagged",
            Queue::Open => "open",
        }
    }

    fn title(self, user: &User) -> &'static str {
        match self {
            Queue::Mine => "My open cases",
            Queue::Overdue if user.role.supervises() => "Overdue",
            Queue::Overdue => "My overdue cases",
            Queue::Approvals => "Awaiting my approval",
            Queue::FollowUps => "Follow-ups I may do",
            Queue::Reopened => "Reopened",
            Queue::Flagged => "Flagged (passed along)",
            Queue::Open => "All open cases",
        }
    }

    /// The cases of this queue for `user`, or `None` where it is not theirs
    /// (only supervisors decide escalated actions).
    fn filter(self, user: &User, now: Timestamp) -> Option<CaseFilter> {
        let open = CaseFilter { open: Some(true), ..CaseFilter::default() };
        Some(match self {
            Queue::Mine => CaseFilter { owner_id: Some(user.id), ..open },
            Queue::Overdue => CaseFilter { overdue_at: Some(now), owner_id: (!user.role.supervises()).then_some(user.id), ..open },
            Queue::Approvals if user.role.supervises() => CaseFilter { approvable_by: Some((user.id, user.mandate)), ..open },
            Queue::Approvals => return None,
            Queue::FollowUps => CaseFilter {
                awaits_follow_up: Some(true),
                not_owner_id: Some(user.id),
                significant: (user.role != Role::Senior).then_some(false),
                ..open
            },
            Queue::Reopened => CaseFilter { status: Some(Status::Reopened), ..open },
            Queue::Flagged => CaseFilter { flagged: Some(true), ..open },
            Queue::Open => open,
        })
    }
}

/// What the query string asks for; anything unreadable falls back.
struct Ask {
    queue: Queue,
    q: String,
    channel: Option<Channel>,
    sort: CaseSort,
    page: u32,
}

impl Ask {
    fn parse(query: Option<&str>) -> Ask {
        let pairs: Vec<(String, String)> = query.and_then(|q| serde_urlencoded::from_str(q).ok()).unwrap_or_default();
        let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.trim()).unwrap_or_default();
        Ask {
            queue: Queue::ALL.into_iter().find(|q| q.key() == get("queue")).unwrap_or(Queue::Mine),
            q: get("q").chars().take(200).collect(),
            channel: serde_json::from_value(serde_json::Value::from(get("channel"))).ok(),
            sort: match get("sort") {
                "oldest" => CaseSort::Oldest,
                "due" => CaseSort::DueSoonest,
                "best" => CaseSort::Relevance,
                _ => CaseSort::Newest,
            },
            page: get("page").parse::<u32>().ok().filter(|p| (1..=10_000).contains(p)).unwrap_or(1),
        }
    }

    fn sort_key(&self) -> &'static str {
        match self.sort {
            CaseSort::Newest => "newest",
            CaseSort::Oldest => "oldest",
            CaseSort::DueSoonest => "due",
            CaseSort::Relevance => "best",
        }
    }

    /// This list's address without its page: the base of the pager's links.
    fn base(&self) -> String {
        let mut pairs = vec![("queue", self.queue.key().to_string())];
        if !self.q.is_empty() {
            pairs.push(("q", self.q.clone()));
        }
        if let Some(c) = self.channel {
            pairs.push(("channel", c.as_str().to_string()));
        }
        if self.sort != CaseSort::Newest {
            pairs.push(("sort", self.sort_key().to_string()));
        }
        format!("/console?{}", serde_urlencoded::to_string(&pairs).unwrap_or_default())
    }
}

pub struct Tab {
    key: &'static str,
    title: &'static str,
    /// The queue's size, `1000+` beyond [`COUNT_TO`].
    count: String,
    current: bool,
}

pub struct Row {
    id: i64,
    reference: String,
    summary: String,
    customer: String,
    owner: String,
    status: &'static str,
    due: String,
    /// `overdue`, `due-soon` or empty.
    due_class: &'static str,
    significant: bool,
    flagged: bool,
}

#[derive(Template)]
#[template(path = "console/home.html")]
struct HomePage {
    frame: Frame,
    tabs: Vec<Tab>,
    title: &'static str,
    queue: &'static str,
    q: String,
    /// Every channel and whether it is the one chosen.
    channels: Vec<(&'static str, bool)>,
    sort: &'static str,
    rows: Vec<Row>,
    pager: Pager,
}

/// The next due time in words, and how it stands.
fn due(case: &Case, now: Timestamp, tz: &jiff::tz::TimeZone) -> (String, &'static str) {
    let Some((at, what)) = case.next_due() else { return (String::new(), "") };
    let left = at.duration_since(now);
    if left.is_negative() {
        (format!("{what}: overdue by {}", duration(left)), "overdue")
    } else if left < jiff::SignedDuration::from_hours(24) {
        (format!("{what}: in {}", duration(left)), "due-soon")
    } else {
        (format!("{what}: {}", when(at, tz)), "")
    }
}

pub async fn home(State(app): State<AppState>, Staff(user): Staff, frame: Frame, RawQuery(query): RawQuery) -> PageResult {
    let ask = Ask::parse(query.as_deref());
    let now = app.now();
    let store = app.store();
    let mut tabs = Vec::new();
    for queue in Queue::ALL {
        if let Some(f) = queue.filter(&user, now) {
            let n = store.count_cases(&f, COUNT_TO).await?;
            let count = if n >= COUNT_TO { format!("{COUNT_TO}+") } else { n.to_string() };
            tabs.push(Tab { key: queue.key(), title: queue.title(&user), count, current: queue == ask.queue });
        }
    }
    let queue = if ask.queue.filter(&user, now).is_some() { ask.queue } else { Queue::Mine };
    let filter = CaseFilter {
        q: Some(ask.q.clone()).filter(|q| !q.is_empty()),
        channel: ask.channel,
        sort: ask.sort,
        offset: (ask.page - 1) * PAGE_SIZE,
        limit: PAGE_SIZE + 1,
        ..queue.filter(&user, now).unwrap_or_default()
    };
    let mut cases = store.cases(&filter).await?;
    let more = cases.len() > PAGE_SIZE as usize;
    cases.truncate(PAGE_SIZE as usize);
    let names = names(&app).await?;
    let customers = store.customer_names(&cases.iter().map(|c| c.customer_id).collect::<Vec<_>>()).await?;
    let tz = zone(&store.settings().await?);
    let rows = cases
        .into_iter()
        .map(|c| {
            let (due, due_class) = due(&c, now, &tz);
            Row {
                id: c.id.0,
                customer: customers.get(&c.customer_id).cloned().unwrap_or_default(),
                owner: names.get(&c.owner_id).cloned().unwrap_or_default(),
                status: c.status.label(),
                due,
                due_class,
                significant: c.significant,
                flagged: c.flagged,
                reference: c.reference,
                summary: c.summary,
            }
        })
        .collect();
    let page = HomePage {
        pager: Pager::numbered(&ask.base(), ask.page, more),
        frame: frame.signed_in(&user),
        tabs,
        title: queue.title(&user),
        queue: queue.key(),
        sort: ask.sort_key(),
        channels: ["phone", "in_person", "email", "web", "retailer", "survey", "social"].into_iter().map(|c| (c, ask.channel.is_some_and(|a| a.as_str() == c))).collect(),
        q: ask.q,
        rows,
    };
    Ok(page.frame.page(StatusCode::OK, &page))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_string_is_read_leniently() {
        let a = Ask::parse(Some("queue=follow-ups&q=+vase+&channel=phone&sort=due&page=3"));
        assert!(a.queue == Queue::FollowUps && a.q == "vase" && a.channel == Some(Channel::Phone) && a.sort == CaseSort::DueSoonest && a.page == 3);
        assert_eq!(a.base(), "/console?queue=follow-ups&q=vase&channel=phone&sort=due");
        let a = Ask::parse(Some("queue=nonsense&channel=pigeon&sort=x&page=-2"));
        assert!(a.queue == Queue::Mine && a.channel.is_none() && a.sort == CaseSort::Newest && a.page == 1);
        assert!(Ask::parse(Some("%%%")).queue == Queue::Mine);
    }
}
