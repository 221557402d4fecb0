//! Capture, ownership and response: opening a case, correcting its facts,
//! logging contacts with the customer.

use super::*;
use crate::user::{optional_text, required_text};
use serde_json::json;

/// A problem as it arrives, already parsed at the edge.
#[derive(Clone, Debug)]
pub struct NewCase {
    pub channel: Channel,
    pub summary: String,
    pub description: String,
    pub desired_resolution: Option<String>,
    pub severity: Severity,
    pub significant: bool,
    pub service_area_id: Option<ServiceAreaId>,
    pub occurred_at: Option<Timestamp>,
    pub reported_at: Option<Timestamp>,
    /// The customer's order, invoice or booking number, if they gave one.
    pub order_reference: Option<String>,
    /// What kind of complaint it is; the edge checks it is choosable.
    pub category_id: Option<CategoryId>,
}

/// Corrections to what was captured; `None` leaves a field as it is.
#[derive(Clone, Debug, Default)]
pub struct CasePatch {
    pub summary: Option<String>,
    pub description: Option<String>,
    pub desired_resolution: Option<String>,
    pub facts: Option<String>,
    pub severity: Option<Severity>,
    pub significant: Option<bool>,
    /// Files the case under another category (checked at the edge).
    pub category_id: Option<CategoryId>,
}

pub(crate) const SUMMARY_MAX: usize = 300;
pub(crate) const TEXT_MAX: usize = 20_000;

impl Case {
    /// Captures a problem and gives it its one owner. `actor` records it;
    /// `owner` is the actor unless someone else was named.
    pub fn open(
        input: NewCase,
        customer: &Customer,
        actor: &User,
        owner: &User,
        settings: &OrgSettings,
        targets: EffectiveTargets,
        now: Timestamp,
    ) -> Result<(Case, Vec<NewEvent>), DomainError> {
        if actor.role == crate::user::Role::Partner && input.channel != Channel::Retailer {
            return Err(DomainError::forbidden(format!(
                "a partner account may only submit retailer cases, not {}",
                input.channel.as_str()
            )));
        }
        if !owner.role.is_staff() || !owner.active {
            return Err(DomainError::invalid(format!("user {} cannot own cases: owners must be active staff", owner.id)));
        }
        let summary = required_text("summary", &input.summary, SUMMARY_MAX)?;
        let description = optional_text("description", Some(&input.description), TEXT_MAX)?.unwrap_or_default();
        let desired_resolution = optional_text("desired_resolution", input.desired_resolution.as_deref(), TEXT_MAX)?;
        let order_reference = optional_text("order_reference", input.order_reference.as_deref(), 100)?;
        let reported_at = input.reported_at.unwrap_or(now);
        not_future("reported_at", reported_at, now)?;
        let occurred_at = input.occurred_at.unwrap_or(reported_at);
        if occurred_at > reported_at {
            return Err(DomainError::invalid(format!(
                "occurred_at {occurred_at} is after reported_at {reported_at}: a problem is reported after it happens"
            )));
        }
        let cal = settings.calendar();
        let mut case = Case {
            id: CaseId(0),
            reference: String::new(),
            customer_id: customer.id,
            channel: input.channel,
            summary,
            description,
            desired_resolution,
            order_reference,
            category_id: input.category_id,
            facts: None,
            severity: input.severity,
            significant: input.significant,
            service_area_id: input.service_area_id,
            occurred_at,
            reported_at,
            created_at: now,
            created_by: actor.id,
            owner_id: owner.id,
            status: Status::Open,
            transfers: Vec::new(),
            flagged: false,
            reopen_count: 0,
            first_response_due_at: cal.add(reported_at, targets.first_response),
            responded_at: None,
            last_outbound_at: None,
            update_due_at: Some(cal.add(reported_at, targets.update_interval)),
            resolution_due_at: cal.add(reported_at, targets.resolution),
            follow_up_due_at: None,
            actions: Vec::new(),
            apology: None,
            preventive: None,
            follow_ups: Vec::new(),
            deviations: Vec::new(),
            gifts: Vec::new(),
            closed_at: None,
            closed_by: None,
            assignees: Vec::new(),
            requires_report: false,
            reports: Vec::new(),
            survey_response_id: None,
            opening_score: None,
            recovery: None,
            target_marks: TargetMarks::default(),
        };
        case.settle();
        let lag = case.identification_lag();
        let events = vec![
            NewEvent::new(
                actor.id,
                now,
                "created",
                format!("Case captured from {} (identification lag {:.1} h)", case.channel.as_str(), lag.as_secs_f64() / 3600.0),
                json!({
                    "channel": case.channel, "summary": case.summary, "occurred_at": occurred_at,
                    "reported_at": reported_at, "identification_lag_seconds": lag.as_secs(),
                    "significant": case.significant, "severity": case.severity,
                    "category_id": case.category_id,
                }),
            ),
            NewEvent::new(
                actor.id,
                now,
                "owner_assigned",
                format!("Owned by {}", owner.name),
                json!({ "owner_id": owner.id, "first_response_due_at": case.first_response_due_at }),
            ),
        ];
        Ok((case, events))
    }

    /// Corrects what was captured, or records the facts and what the customer
    /// says would put it right.
    pub fn patch(&mut self, actor: &User, patch: CasePatch, now: Timestamp) -> Result<Outcome, DomainError> {
        self.authorise(actor, CaseAction::Update)?;
        self.require_open("change it")?;
        let mut changed = serde_json::Map::new();
        if let Some(v) = patch.summary {
            self.summary = required_text("summary", &v, SUMMARY_MAX)?;
            changed.insert("summary".into(), json!(self.summary));
        }
        if let Some(v) = patch.description {
            self.description = optional_text("description", Some(&v), TEXT_MAX)?.unwrap_or_default();
            changed.insert("description".into(), json!(self.description));
        }
        if let Some(v) = patch.desired_resolution {
            self.desired_resolution = optional_text("desired_resolution", Some(&v), TEXT_MAX)?;
            changed.insert("desired_resolution".into(), json!(self.desired_resolution));
        }
        if let Some(v) = patch.facts {
            self.facts = optional_text("facts", Some(&v), TEXT_MAX)?;
            changed.insert("facts".into(), json!(self.facts));
        }
        if let Some(v) = patch.severity {
            self.severity = v;
            changed.insert("severity".into(), json!(v));
        }
        if let Some(v) = patch.significant {
            self.significant = v;
            changed.insert("significant".into(), json!(v));
        }
        if let Some(v) = patch.category_id {
            self.category_id = Some(v);
            changed.insert("category_id".into(), json!(v));
        }
        if changed.is_empty() {
            return Err(DomainError::invalid("nothing to change: name at least one field"));
        }
        let fields: Vec<&str> = changed.keys().map(String::as_str).collect();
        let summary = format!("Updated {}", fields.join(", "));
        Ok(Outcome::default().event(NewEvent::new(actor.id, now, "updated", summary, changed.into())))
    }

    /// Logs a contact with the customer. The first outbound one is the first
    /// response; every outbound one restarts the update interval.
    #[allow(clippy::too_many_arguments)]
    pub fn communicate(
        &mut self,
        actor: &User,
        direction: Direction,
        channel: Channel,
        body: &str,
        at: Option<Timestamp>,
        ctx: &CaseContext,
        now: Timestamp,
    ) -> Result<Outcome, DomainError> {
        self.authorise(actor, CaseAction::Communicate)?;
        let body = required_text("body", body, TEXT_MAX)?;
        let at = at.unwrap_or(now);
        not_future("at", at, now)?;
        let mut out = Outcome::default();
        let verb = match direction {
            Direction::Inbound => "from",
            Direction::Outbound => "to",
        };
        out.events.push(NewEvent::new(
            actor.id,
            now,
            "communication",
            format!("{} contact {verb} the customer by {}", capitalise(direction), channel.as_str()),
            json!({ "direction": direction, "channel": channel, "at": at, "excerpt": excerpt(&body) }),
        ));
        if direction == Direction::Outbound && !self.is_closed() {
            if self.responded_at.is_none() {
                self.responded_at = Some(at);
                let on_time = at <= self.first_response_due_at;
                out.events.push(NewEvent::new(
                    actor.id,
                    now,
                    "first_response",
                    format!("First response given{}", if on_time { " within target" } else { " after its target" }),
                    json!({ "at": at, "due_at": self.first_response_due_at, "within_target": on_time }),
                ));
            }
            if self.last_outbound_at.is_none_or(|last| at > last) {
                self.last_outbound_at = Some(at);
                self.update_due_at = Some(ctx.settings.calendar().add(at, ctx.targets.update_interval));
            }
        }
        if direction == Direction::Outbound && channel == Channel::Web {
            // A reply written for the status page reaches the customer by e-mail too.
            let lang = ctx.customer.lang(&ctx.settings);
            out.notifications.push(crate::notification::NewNotification {
                kind: crate::notification::NotificationKind::Reply,
                recipient: crate::notification::Recipient::Customer(self.customer_id),
                address: ctx.customer.email.clone(),
                subject: redress_i18n::text(lang, "reply-subject", &[("reference", self.reference.as_str().into())]),
                body: [redress_i18n::text(lang, "email-dear", &[("name", (&ctx.customer.name).into())]), body.clone(), actor.name.clone()].join("\n\n"),
                scheduled_for: now,
            });
        }
        out.communication = Some(NewCommunication { direction, channel, body, at, actor_id: Some(actor.id) });
        self.settle();
        Ok(out)
    }
}

fn capitalise(d: Direction) -> &'static str {
    match d {
        Direction::Inbound => "Inbound",
        Direction::Outbound => "Outbound",
    }
}

/// The first 200 characters of a message, for the timeline.
fn excerpt(body: &str) -> String {
    let mut s: String = body.chars().take(200).collect();
    if body.chars().count() > 200 {
        s.push('…');
    }
    s
}

/// Who writes to us about a case from outside the company: the customer on
/// their private status page, or the partner that submitted the case.
#[derive(Clone, Copy, Debug)]
pub enum MessageFrom<'a> {
    Customer,
    Partner(&'a User),
}

impl Case {
    /// Takes a message (and any files) from the customer or the submitting
    /// partner: an inbound communication on the timeline, and a notice to
    /// the owner, who answers it. A partner may write only on a case it
    /// submitted.
    pub fn receive_message(
        &mut self,
        from: MessageFrom,
        body: &str,
        attachments: Vec<NewAttachment>,
        ctx: &CaseContext,
        now: Timestamp,
    ) -> Result<Outcome, DomainError> {
        let (actor_id, channel, who) = match from {
            MessageFrom::Customer => (None, Channel::Web, ctx.customer.name.clone()),
            MessageFrom::Partner(p) => {
                if p.role != crate::user::Role::Partner {
                    return Err(DomainError::invalid("staff record contacts as communications, not as a partner's message"));
                }
                self.authorise(p, CaseAction::Communicate)?;
                (Some(p.id), Channel::Retailer, p.name.clone())
            }
        };
        let body = match optional_text("message", Some(body), TEXT_MAX)? {
            Some(b) => b,
            None if !attachments.is_empty() => "(files only)".to_string(),
            None => return Err(DomainError::invalid("message must not be empty: write something or attach a file")),
        };
        let names: Vec<&str> = attachments.iter().map(|a| a.filename.as_str()).collect();
        let summary = match from {
            MessageFrom::Customer => "Message from the customer on the status page".to_string(),
            MessageFrom::Partner(p) => format!("Message from partner {}", p.name),
        };
        let event = NewEvent { actor_id, at: now, kind: "customer_message", summary, detail: json!({ "channel": channel, "excerpt": excerpt(&body), "files": names }) };
        let mut out = Outcome::default().event(event);
        if let Some(owner) = ctx.users.get(&self.owner_id) {
            out.notifications.push(crate::notification::NewNotification {
                kind: crate::notification::NotificationKind::CaseMessage,
                recipient: crate::notification::Recipient::User(owner.id),
                address: owner.email.clone(),
                subject: format!("New message on {} from {who}", self.reference),
                body: format!(
                    "{who} wrote on case {} ({}):\n\n{}\n\nOpen the case in the console to answer.",
                    self.reference,
                    self.summary,
                    excerpt(&body)
                ),
                scheduled_for: now,
            });
        }
        out.communication = Some(NewCommunication { direction: Direction::Inbound, channel, body, at: now, actor_id });
        out.attachments = attachments;
        Ok(out)
    }
}

impl Case {
    /// Withdraws every private link to the case's status page (one was
    /// forwarded or leaked, say); the customer's next e-mail about the case
    /// carries a new one. The owner or a supervisor may.
    pub fn revoke_status_links(&self, actor: &User, now: Timestamp) -> Result<Outcome, DomainError> {
        self.authorise(actor, CaseAction::RevokeStatusLinks)?;
        let mut out = Outcome::default().event(NewEvent::new(
            actor.id,
            now,
            "status_links_revoked",
            "Private status-page links withdrawn; the next e-mail to the customer carries a new one",
            json!({}),
        ));
        out.revoke_status_links = true;
        Ok(out)
    }
}

/// A private status-page link's token (192 random bits, URL-safe) and the
/// digest that is all the store keeps of it.
pub fn status_token(random: [u8; 24]) -> (String, String) {
    let token: String = random.iter().map(|b| format!("{b:02x}")).collect();
    let digest = status_digest(&token);
    (token, digest)
}

/// The stored digest of a status-page token as it arrives in a link.
pub fn status_digest(token: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// The acknowledgement of a complaint the customer made themselves: its
/// reference, who looks after it and by when they will hear from us. The
/// store writes it once the case has its reference ([`Outcome::acknowledgement`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Acknowledgement {
    pub customer: Customer,
    pub lang: crate::Lang,
    /// The owner's first name, as the customer will know them.
    pub owner: String,
    /// Fast-report points credited with the case, if any.
    pub reward_points: Option<i64>,
}

impl Acknowledgement {
    pub fn new(customer: &Customer, owner: &User, settings: &OrgSettings, reward: Option<&crate::terms::Reward>) -> Acknowledgement {
        Acknowledgement { customer: customer.clone(), lang: customer.lang(settings), owner: first_name(&owner.name), reward_points: reward.map(|r| r.points) }
    }

    /// When the customer can expect to hear from us, in words in their zone and language.
    pub fn due_words(&self, case: &Case) -> String {
        let due = case.first_response_due_at.to_zoned(self.customer.time_zone());
        redress_i18n::date_time(self.lang, &due)
    }

    /// The message, for `case` as stored (with its reference).
    pub fn notification(&self, case: &Case) -> crate::notification::NewNotification {
        use redress_i18n::text;
        let lang = self.lang;
        let reference = case.reference.as_str();
        let mut paragraphs = vec![
            text(lang, "email-dear", &[("name", (&self.customer.name).into())]),
            text(lang, "complaint-ack-thanks", &[("reference", reference.into())]),
            text(lang, "complaint-ack-next", &[("owner", (&self.owner).into()), ("due", (&self.due_words(case)).into())]),
        ];
        if let Some(points) = self.reward_points {
            paragraphs.push(text(lang, "complaint-ack-reward", &[("points", points.into())]));
        }
        crate::notification::NewNotification {
            kind: crate::notification::NotificationKind::ComplaintReceived,
            recipient: crate::notification::Recipient::Customer(self.customer.id),
            address: self.customer.email.clone(),
            subject: text(lang, "complaint-ack-subject", &[("reference", reference.into())]),
            body: paragraphs.join("\n\n"),
            scheduled_for: case.created_at,
        }
    }
}

/// The first word of a name: how the status page and the acknowledgement
/// introduce the owner to the customer.
pub fn first_name(name: &str) -> String {
    name.split_whitespace().next().unwrap_or(name).to_string()
}
