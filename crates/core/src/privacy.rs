//! A customer's data (GDPR articles 15 and 17): everything held about them,
//! gathered for an export, and what erasing them changes.
//!
//! Erasure anonymises the person and keeps the figures. The customer's name
//! becomes "Erased customer N" and their contact details go; the free text
//! they wrote, and what staff wrote back to them, becomes [`ERASED`]; other
//! text on their records loses every quotation of their name, address,
//! phone, case summaries and file names (a [`Redactor`]). Scores, times,
//! counts, statuses, remedy values and reward points stay as they were, so
//! every dashboard still adds up. The store does it in one transaction.

use crate::case::{Case, Outcome};
use crate::customer::Customer;
use crate::survey::{AnswerValue, Answers, QuestionKind, Survey};
use crate::timeline::NewEvent;
use crate::{CustomerId, DomainError, UserId};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What erased text reads as.
pub const ERASED: &str = "[erased]";

/// Why pending messages to an erased customer were cancelled.
pub const CANCELLED_BY_ERASURE: &str = "the customer's data was erased";

/// The name an erased customer keeps.
pub fn erased_name(id: CustomerId) -> String {
    format!("Erased customer {id}")
}

/// Who erased a customer's personal data, and when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Erasure {
    pub customer_id: CustomerId,
    /// The admin who erased it.
    pub erased_by: UserId,
    #[schema(value_type = String, format = DateTime)]
    pub erased_at: Timestamp,
}

impl Erasure {
    /// The refusal of a second erasure.
    pub fn already(&self) -> DomainError {
        DomainError::conflict(format!("customer {} was already erased on {}", self.customer_id, self.erased_at.strftime("%Y-%m-%d %H:%M UTC")))
    }
}

/// What one erasure changed, counted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ErasureReport {
    #[serde(flatten)]
    pub erasure: Erasure,
    /// Cases whose text was erased (each has a `customer_erased` event).
    pub cases: usize,
    /// Timeline events whose text was rewritten.
    pub events: usize,
    /// Communications whose bodies were erased.
    pub communications: usize,
    /// Files deleted.
    pub attachments_deleted: usize,
    /// Survey responses whose text answers were erased.
    pub responses: usize,
    /// Messages to or about the customer whose text was erased.
    pub notifications: usize,
    /// Pending messages to the customer that will now never be sent.
    pub notifications_cancelled: usize,
    /// Private status-page links revoked.
    pub status_links_revoked: u64,
}

/// Timeline detail fields that carry what the customer wrote or was told:
/// erased whole, wherever they appear.
const PERSONAL_FIELDS: &[&str] = &["summary", "description", "desired_resolution", "facts", "excerpt", "body", "notes", "files", "filename"];

/// Shorter quotations are not looked for: they would match ordinary words.
const SHORTEST_QUOTE: usize = 3;

/// Finds and erases quotations of a customer's personal data in text written
/// about them: their name, e-mail address and phone number, and the texts
/// of their records (summaries, descriptions, messages, file names, answers).
#[derive(Clone, Debug, Default)]
pub struct Redactor {
    /// Longest first, so a longer quotation goes before a part of it.
    quotes: Vec<Vec<char>>,
}

impl Redactor {
    /// A redactor for `customer` as stored before erasure.
    pub fn for_customer(customer: &Customer) -> Redactor {
        let mut r = Redactor::default();
        r.add(&customer.name);
        r.add(customer.email.as_deref().unwrap_or_default());
        r.add(customer.phone.as_deref().unwrap_or_default());
        r
    }

    /// Also erases quotations of `text`.
    pub fn add(&mut self, text: &str) {
        let text = text.trim();
        if text.chars().count() < SHORTEST_QUOTE || text == ERASED {
            return;
        }
        let quote: Vec<char> = text.chars().collect();
        if !self.quotes.contains(&quote) {
            let at = self.quotes.partition_point(|q| q.len() >= quote.len());
            self.quotes.insert(at, quote);
        }
    }

    /// Adds the texts of a case that may be quoted elsewhere.
    pub fn add_case(&mut self, case: &Case) {
        self.add(&case.summary);
        self.add(&case.description);
        self.add(case.desired_resolution.as_deref().unwrap_or_default());
        self.add(case.facts.as_deref().unwrap_or_default());
    }

    /// `text` with every quotation (in any letter case) replaced by [`ERASED`].
    pub fn scrub(&self, text: &str) -> String {
        let mut out = text.to_string();
        for q in &self.quotes {
            if let Some(replaced) = replace_quote(&out, q) {
                out = replaced;
            }
        }
        out
    }

    /// A timeline event's (or webhook payload's) detail with the personal
    /// fields erased and every other text scrubbed; numbers, flags and ids stay.
    pub fn scrub_detail(&self, detail: &mut Value) {
        match detail {
            Value::Object(map) => {
                for (k, v) in map.iter_mut() {
                    if PERSONAL_FIELDS.contains(&k.as_str()) {
                        erase_texts(v);
                    } else {
                        self.scrub_detail(v);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| self.scrub_detail(v)),
            Value::String(s) => *s = self.scrub(s),
            _ => {}
        }
    }
}

/// Every string in `v` becomes [`ERASED`]; structure, numbers and nulls stay.
fn erase_texts(v: &mut Value) {
    match v {
        Value::String(s) => *s = ERASED.to_string(),
        Value::Array(items) => items.iter_mut().for_each(erase_texts),
        Value::Object(map) => map.values_mut().for_each(erase_texts),
        _ => {}
    }
}

fn same_letter(a: char, b: char) -> bool {
    a == b || a.to_lowercase().eq(b.to_lowercase())
}

/// `hay` with each occurrence of `quote` replaced, or `None` when there is none.
fn replace_quote(hay: &str, quote: &[char]) -> Option<String> {
    let chars: Vec<(usize, char)> = hay.char_indices().collect();
    let (mut out, mut copied, mut i, mut found) = (String::with_capacity(hay.len()), 0, 0, false);
    while i + quote.len() <= chars.len() {
        if quote.iter().zip(&chars[i..]).all(|(q, (_, h))| same_letter(*q, *h)) {
            out.push_str(&hay[copied..chars[i].0]);
            out.push_str(ERASED);
            i += quote.len();
            copied = chars.get(i).map_or(hay.len(), |(at, _)| *at);
            found = true;
        } else {
            i += 1;
        }
    }
    found.then(|| {
        out.push_str(&hay[copied..]);
        out
    })
}

/// Erases free-text answers (the respondent's own words); ratings, NPS
/// scores and choices among the survey's options stay.
pub fn erase_answers(survey: Option<&Survey>, answers: &mut Answers) -> bool {
    let mut changed = false;
    for (key, value) in answers.iter_mut() {
        let AnswerValue::Text(text) = value else { continue };
        let question = survey.and_then(|s| s.questions.iter().find(|q| &q.key == key));
        let offered = question.is_some_and(|q| q.kind == QuestionKind::Choice && q.options.contains(text));
        if !offered && text != ERASED {
            *text = ERASED.to_string();
            changed = true;
        }
    }
    changed
}

impl Case {
    /// Erases what the customer wrote and what was written back to them,
    /// and scrubs quotations of them from the rest; keeps every figure, time
    /// and status. Answers the `customer_erased` event, by `admin`.
    pub fn erase_personal_data(&mut self, redactor: &Redactor, admin: UserId, now: Timestamp) -> Outcome {
        let erase = |s: &mut String| {
            if !s.trim().is_empty() {
                *s = ERASED.to_string();
            }
        };
        erase(&mut self.summary);
        erase(&mut self.description);
        self.desired_resolution.iter_mut().for_each(erase);
        self.facts.iter_mut().for_each(erase);
        for a in &mut self.actions {
            a.description = redactor.scrub(&a.description);
            if let Some(n) = a.decision_note.as_mut() {
                *n = redactor.scrub(n);
            }
        }
        if let Some(p) = self.preventive.as_mut() {
            for t in [&mut p.root_cause, &mut p.action].into_iter().flatten() {
                *t = redactor.scrub(t);
            }
        }
        for f in &mut self.follow_ups {
            f.notes.iter_mut().for_each(erase);
        }
        for t in &mut self.transfers {
            t.reason = redactor.scrub(&t.reason);
        }
        for d in &mut self.deviations {
            d.reason = redactor.scrub(&d.reason);
        }
        for g in &mut self.gifts {
            g.description = redactor.scrub(&g.description);
        }
        for r in &mut self.reports {
            erase(&mut r.summary);
            for a in &mut r.actions {
                *a = redactor.scrub(a);
            }
        }
        let event = NewEvent::new(
            admin,
            now,
            "customer_erased",
            "Personal data erased at the customer's request",
            serde_json::json!({ "customer_id": self.customer_id }),
        );
        Outcome { events: vec![event], ..Outcome::default() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn customer() -> Customer {
        Customer {
            id: CustomerId(7),
            name: "Grace Hopper".into(),
            email: Some("grace@example.com".into()),
            phone: Some("+44 20 7946 0958".into()),
            timezone: "UTC".into(),
            client_manager_id: None,
            language: None,
            created_at: "2026-01-01T00:00:00Z".parse().unwrap(),
            erased_at: None,
        }
    }

    #[test]
    fn quotations_are_erased_in_any_case_and_nothing_else() {
        let mut r = Redactor::for_customer(&customer());
        r.add("Vase arrived broken");
        r.add("ok");
        assert_eq!(r.scrub("Sent the apology to GRACE@example.com"), "Sent the apology to [erased]");
        assert_eq!(r.scrub("grace hopper said: vase arrived broken!"), "[erased] said: [erased]!");
        assert_eq!(r.scrub("Owned by Alice: ok"), "Owned by Alice: ok", "short quotations are not looked for");
        assert_eq!(r.scrub("Zoë rang: +44 20 7946 0958"), "Zoë rang: [erased]");
    }

    #[test]
    fn detail_loses_personal_fields_and_keeps_figures() {
        let mut r = Redactor::for_customer(&customer());
        r.add("receipt.pdf");
        let mut d = json!({ "summary": "Broken", "excerpt": "Hello", "files": ["receipt.pdf", "photo.jpg"], "remedy_value": "30.00",
                            "lowest_rating": 2, "reason": "Grace Hopper asked for it", "note": null, "at": "2026-11-20T16:59:00Z" });
        r.scrub_detail(&mut d);
        assert_eq!(d, json!({ "summary": "[erased]", "excerpt": "[erased]", "files": ["[erased]", "[erased]"], "remedy_value": "30.00",
                               "lowest_rating": 2, "reason": "[erased] asked for it", "note": null, "at": "2026-11-20T16:59:00Z" }));
    }

    #[test]
    fn text_answers_go_and_scores_and_choices_stay() {
        use crate::survey::{Question, SurveyPurpose};
        let q = |key: &str, kind, options: &[&str]| Question { key: key.into(), prompt: key.into(), kind, options: options.iter().map(|o| o.to_string()).collect(), required: false, category_id: None };
        let survey = Survey {
            id: crate::SurveyId(1),
            title: "S".into(),
            intro: None,
            service_area_id: None,
            questions: vec![q("r", QuestionKind::Rating, &[]), q("c", QuestionKind::Choice, &["Yes", "No"]), q("t", QuestionKind::Text, &[])],
            reward_points: 0,
            thank_you: "Thanks".into(),
            purpose: SurveyPurpose::Feedback,
            created_at: "2026-01-01T00:00:00Z".parse().unwrap(),
        };
        let mut answers: Answers = [("r", AnswerValue::Score(2)), ("c", AnswerValue::Text("Yes".into())), ("t", AnswerValue::Text("My name is Grace".into()))]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        assert!(erase_answers(Some(&survey), &mut answers));
        assert_eq!(answers["r"], AnswerValue::Score(2));
        assert_eq!(answers["c"], AnswerValue::Text("Yes".into()));
        assert_eq!(answers["t"], AnswerValue::Text(ERASED.into()));
        assert!(!erase_answers(Some(&survey), &mut answers), "twice changes nothing");
    }

    #[test]
    fn a_second_erasure_is_refused_with_the_date() {
        let e = Erasure { customer_id: CustomerId(17), erased_by: UserId(1), erased_at: "2026-11-20T16:59:00Z".parse().unwrap() };
        assert_eq!(e.already().to_string(), "customer 17 was already erased on 2026-11-20 16:59 UTC");
    }
}
