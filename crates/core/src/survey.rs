//! Surveys: questions, answers and the scores that drive follow-up.

use crate::user::{optional_text, required_text};
use crate::{CaseId, CustomerId, DomainError, InvitationId, ResponseId, ServiceAreaId, SurveyId};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum QuestionKind {
    /// 1 (very poor) to 5 (excellent); below 4 opens a follow-up by default.
    Rating,
    /// 0 to 10: how likely to recommend us.
    Nps,
    /// One of `options`.
    Choice,
    /// Free text.
    Text,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Question {
    /// Stable key answers are given under, such as `delivery`.
    pub key: String,
    pub prompt: String,
    pub kind: QuestionKind,
    /// For `choice`: the options offered.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    #[serde(default = "yes")]
    pub required: bool,
    /// The complaint category a low score on this question points to: a
    /// follow-up case opened by the response is filed under the category
    /// of its lowest-rated question that has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category_id: Option<crate::CategoryId>,
}

fn yes() -> bool {
    true
}

/// What a survey is for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SurveyPurpose {
    #[default]
    Feedback,
    /// Sent after a case closes; its score against the opening score is the recovery.
    Recovery,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Survey {
    pub id: SurveyId,
    pub title: String,
    /// Shown above the questions.
    pub intro: Option<String>,
    pub service_area_id: Option<ServiceAreaId>,
    pub questions: Vec<Question>,
    /// Points credited to the respondent whatever they score.
    pub reward_points: i64,
    /// Shown, and sent, once the survey is submitted.
    pub thank_you: String,
    pub purpose: SurveyPurpose,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

/// A validated survey definition.
#[derive(Clone, Debug)]
pub struct NewSurvey {
    pub title: String,
    pub intro: Option<String>,
    pub service_area_id: Option<ServiceAreaId>,
    pub questions: Vec<Question>,
    pub reward_points: i64,
    pub thank_you: String,
    pub purpose: SurveyPurpose,
}

impl NewSurvey {
    /// Checks a definition, saying exactly which question is wrong.
    #[allow(clippy::too_many_arguments)]
    pub fn parse(
        title: &str,
        intro: Option<&str>,
        service_area_id: Option<ServiceAreaId>,
        questions: Vec<Question>,
        reward_points: i64,
        thank_you: Option<&str>,
        purpose: SurveyPurpose,
    ) -> Result<NewSurvey, DomainError> {
        let title = required_text("title", title, 200)?;
        let intro = optional_text("intro", intro, 2000)?;
        let thank_you = optional_text("thank_you", thank_you, 2000)?
            .unwrap_or_else(|| "Thank you for your feedback. We read every answer and act on it.".into());
        if questions.is_empty() || questions.len() > 50 {
            return Err(DomainError::invalid("a survey needs 1 to 50 questions"));
        }
        if !(0..=1_000_000).contains(&reward_points) {
            return Err(DomainError::invalid("reward_points must be 0 to 1000000"));
        }
        let mut keys = std::collections::BTreeSet::new();
        let mut checked = Vec::with_capacity(questions.len());
        for (i, q) in questions.into_iter().enumerate() {
            let at = format!("questions[{i}]");
            let key = q.key.trim().to_string();
            if key.is_empty() || key.len() > 40 || !key.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
                return Err(DomainError::invalid(format!("{at}.key '{}' must be 1 to 40 of a-z, 0-9 and _", q.key)));
            }
            if !keys.insert(key.clone()) {
                return Err(DomainError::invalid(format!("{at}.key '{key}' is used twice")));
            }
            let prompt = required_text(&format!("{at}.prompt"), &q.prompt, 500)?;
            let mut options = Vec::new();
            for (j, o) in q.options.iter().enumerate() {
                let o = required_text(&format!("{at}.options[{j}]"), o, 200)?;
                if options.contains(&o) {
                    return Err(DomainError::invalid(format!("{at}.options repeats '{o}'")));
                }
                options.push(o);
            }
            match q.kind {
                QuestionKind::Choice if options.len() < 2 => {
                    return Err(DomainError::invalid(format!("{at} is a choice and needs at least two options")))
                }
                QuestionKind::Choice => {}
                _ if !options.is_empty() => return Err(DomainError::invalid(format!("{at}: only choice questions take options"))),
                _ => {}
            }
            if q.category_id.is_some() && q.kind != QuestionKind::Rating {
                return Err(DomainError::invalid(format!("{at}.category_id: only rating questions map to a category")));
            }
            checked.push(Question { key, prompt, kind: q.kind, options, required: q.required, category_id: q.category_id });
        }
        Ok(NewSurvey { title, intro, service_area_id, questions: checked, reward_points, thank_you, purpose })
    }
}

/// One answer, as given.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum AnswerValue {
    Score(u8),
    Text(String),
}

/// Answers by question key, checked against the survey.
pub type Answers = BTreeMap<String, AnswerValue>;

impl Survey {
    /// Checks submitted answers: every key known, every required question
    /// answered, scores in range, choices among the options.
    pub fn parse_answers(&self, raw: &serde_json::Map<String, serde_json::Value>) -> Result<Answers, DomainError> {
        for key in raw.keys() {
            if !self.questions.iter().any(|q| &q.key == key) {
                return Err(DomainError::invalid(format!("'{key}' is not a question of this survey")));
            }
        }
        let mut answers = Answers::new();
        for q in &self.questions {
            let value = raw.get(&q.key).filter(|v| !v.is_null() && v.as_str() != Some(""));
            let Some(value) = value else {
                if q.required {
                    return Err(DomainError::invalid(format!("please answer: {}", q.prompt)));
                }
                continue;
            };
            let score = |max: u8| -> Result<AnswerValue, DomainError> {
                let n = value.as_u64().or_else(|| value.as_str().and_then(|s| s.trim().parse().ok()));
                match n {
                    Some(n) if (u64::from(q.kind == QuestionKind::Rating)..=u64::from(max)).contains(&n) => Ok(AnswerValue::Score(n as u8)),
                    _ => Err(DomainError::invalid(format!(
                        "'{}' needs a whole number from {} to {max}",
                        q.key,
                        u8::from(q.kind == QuestionKind::Rating)
                    ))),
                }
            };
            let answer = match q.kind {
                QuestionKind::Rating => score(5)?,
                QuestionKind::Nps => score(10)?,
                QuestionKind::Choice => {
                    let s = value.as_str().unwrap_or_default();
                    if !q.options.iter().any(|o| o == s) {
                        return Err(DomainError::invalid(format!("'{}' must be one of: {}", q.key, q.options.join(", "))));
                    }
                    AnswerValue::Text(s.to_string())
                }
                QuestionKind::Text => {
                    let s = value.as_str().ok_or_else(|| DomainError::invalid(format!("'{}' needs text", q.key)))?;
                    AnswerValue::Text(required_text(&q.key, s, 5000)?)
                }
            };
            answers.insert(q.key.clone(), answer);
        }
        Ok(answers)
    }

    fn scores_of(&self, kind: QuestionKind, answers: &Answers) -> impl Iterator<Item = u8> + '_ {
        let keys: Vec<&str> = self.questions.iter().filter(|q| q.kind == kind).map(|q| q.key.as_str()).collect();
        let found: Vec<u8> = keys
            .into_iter()
            .filter_map(|k| match answers.get(k) {
                Some(AnswerValue::Score(n)) => Some(*n),
                _ => None,
            })
            .collect();
        found.into_iter()
    }

    /// The lowest 1–5 rating given; NPS and other answers do not count.
    pub fn lowest_rating(&self, answers: &Answers) -> Option<u8> {
        self.scores_of(QuestionKind::Rating, answers).min()
    }

    /// The category of the lowest-rated question that names one (the first
    /// such question among equal ratings).
    pub fn category_of(&self, answers: &Answers) -> Option<crate::CategoryId> {
        self.questions
            .iter()
            .filter(|q| q.kind == QuestionKind::Rating && q.category_id.is_some())
            .filter_map(|q| match answers.get(&q.key) {
                Some(AnswerValue::Score(n)) => Some((*n, q.category_id)),
                _ => None,
            })
            .min_by_key(|(n, _)| *n)
            .and_then(|(_, c)| c)
    }

    /// The first 0–10 recommendation score given.
    pub fn nps(&self, answers: &Answers) -> Option<u8> {
        self.scores_of(QuestionKind::Nps, answers).next()
    }

    /// The answers as lines a person reads ("Delivery (rating): 2").
    pub fn describe(&self, answers: &Answers) -> String {
        self.questions
            .iter()
            .filter_map(|q| {
                let v = match answers.get(&q.key)? {
                    AnswerValue::Score(n) => n.to_string(),
                    AnswerValue::Text(t) => t.clone(),
                };
                Some(format!("{}: {v}", q.prompt))
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// An invitation to answer a survey; its code is held only as a digest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Invitation {
    pub id: InvitationId,
    pub survey_id: SurveyId,
    pub customer_id: CustomerId,
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub used_at: Option<Timestamp>,
    /// For a recovery survey: the closed case it measures.
    pub case_id: Option<CaseId>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

/// An invitation to store: the digest of its code, never the code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewInvitation {
    pub customer_id: CustomerId,
    pub code_digest: String,
    pub expires_at: Timestamp,
    pub case_id: Option<CaseId>,
}

/// A stored survey response.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Response {
    pub id: ResponseId,
    pub survey_id: SurveyId,
    pub invitation_id: InvitationId,
    pub customer_id: CustomerId,
    #[schema(value_type = Object)]
    pub answers: Answers,
    pub lowest_rating: Option<u8>,
    pub nps: Option<u8>,
    /// The follow-up case the answers opened, if any.
    pub case_id: Option<CaseId>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

/// What the respondent is told, replayed verbatim for a repeated
/// `Idempotency-Key`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Receipt {
    pub response_id: ResponseId,
    pub thank_you: String,
    /// What happens next, in words.
    pub next: String,
    /// Points credited for answering.
    pub reward_points: i64,
}
