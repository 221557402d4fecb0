//! Similar open cases: has this happened to someone else this week?
//!
//! Texts are compared by **TF-IDF cosine over character trigrams of
//! words**. Trigrams ("par", "arc", "rce"…) match across inflections and
//! typos ("broken"/"broke", "delivery"/"delivered") where whole words would
//! not; TF-IDF weighs each trigram by how rare it is among the open cases,
//! so "the" and "was" count for little and "vase" for much; the cosine of
//! the two weight vectors is 1 for the same text and 0 for texts sharing
//! no trigram. Weights: term frequency `1 + ln tf`, inverse document
//! frequency `ln((1 + N)/df)` over the N indexed cases (a trigram in every
//! case still counts a little; one the index has never seen counts as if
//! one case held it). Function words are dropped before cutting trigrams.
//!
//! No external service: the index is built from the open cases' summaries
//! and descriptions ([`case_text`]) in time linear in their length, and a
//! query visits only the cases that share a trigram with it.

use crate::case::Case;
use crate::CaseId;
use serde::Serialize;
use std::collections::HashMap;

/// Below this cosine two cases are not called similar. Two reports of the
/// same problem in different words score about 0.5 and more; unrelated
/// texts, sharing only stray trigrams ("came"/"same"), stay near 0.1.
pub const DEFAULT_THRESHOLD: f64 = 0.3;

/// A case like the one asked about.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SimilarCase {
    pub case_id: CaseId,
    /// TF-IDF cosine of the two texts' character trigrams, 0 to 1.
    pub score: f64,
}

/// The text a case is compared by: its summary and description.
pub fn case_text(case: &Case) -> String {
    format!("{}\n{}", case.summary, case.description)
}

/// Function words of the customers' languages (English, German), left out:
/// in a small set of open cases IDF alone cannot yet tell that "my" or
/// "the" says nothing about a problem.
const STOP_WORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "from", "had", "has", "have", "i", "in", "is", "it", "its", "me", "my",
    "no", "not", "of", "on", "or", "our", "so", "that", "the", "their", "they", "this", "to", "was", "we", "were", "when", "with", "you",
    "your", "am", "auf", "aus", "bei", "das", "dass", "dem", "den", "der", "die", "ein", "eine", "einen", "er", "es", "für", "hat", "ich",
    "ist", "mein", "meine", "mich", "mir", "mit", "nicht", "sie", "und", "von", "war", "wir", "zu",
];

/// Trigram counts of `text`: each run of letters and digits, lower-cased,
/// unless a [`STOP_WORDS`] entry, padded with a space either side and cut
/// into every three consecutive characters.
fn trigrams(text: &str) -> HashMap<String, u32> {
    let mut counts = HashMap::new();
    for word in text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()) {
        let word = word.to_lowercase();
        if STOP_WORDS.contains(&word.as_str()) {
            continue;
        }
        let chars: Vec<char> = std::iter::once(' ').chain(word.chars()).chain(std::iter::once(' ')).collect();
        for w in chars.windows(3) {
            *counts.entry(w.iter().collect::<String>()).or_insert(0) += 1;
        }
    }
    counts
}

/// An inverted index of case texts, ready for [`similar`](SimilarityIndex::similar).
#[derive(Clone, Debug, Default)]
pub struct SimilarityIndex {
    /// Trigram to its id.
    terms: HashMap<String, usize>,
    /// Per trigram id: how many cases hold it.
    df: Vec<u32>,
    /// Per trigram id: (case position, unit-length weight).
    postings: Vec<Vec<(usize, f64)>>,
    cases: Vec<CaseId>,
}

impl SimilarityIndex {
    /// Indexes `(case, text)` pairs, usually every open case with [`case_text`].
    pub fn new<'a>(docs: impl IntoIterator<Item = (CaseId, &'a str)>) -> Self {
        let mut index = SimilarityIndex::default();
        let mut counted: Vec<Vec<(usize, u32)>> = Vec::new();
        for (id, text) in docs {
            let mut doc = Vec::new();
            for (gram, tf) in trigrams(text) {
                let next = index.terms.len();
                let term = *index.terms.entry(gram).or_insert(next);
                if term == index.df.len() {
                    index.df.push(0);
                    index.postings.push(Vec::new());
                }
                index.df[term] += 1;
                doc.push((term, tf));
            }
            index.cases.push(id);
            counted.push(doc);
        }
        for (pos, doc) in counted.into_iter().enumerate() {
            let weights: Vec<(usize, f64)> = doc.into_iter().map(|(t, tf)| (t, index.weight(tf, index.df[t]))).collect();
            let norm = weights.iter().map(|(_, w)| w * w).sum::<f64>().sqrt();
            for (t, w) in weights {
                index.postings[t].push((pos, w / norm));
            }
        }
        index
    }

    fn weight(&self, tf: u32, df: u32) -> f64 {
        let n = self.cases.len() as f64;
        (1.0 + f64::from(tf).ln()) * ((1.0 + n) / f64::from(df.max(1))).ln()
    }

    /// The indexed cases whose text has a cosine of at least `threshold`
    /// with `text`, best first, at most `limit`; `exclude` (the case asked
    /// about) is left out.
    pub fn similar(&self, text: &str, exclude: Option<CaseId>, threshold: f64, limit: usize) -> Vec<SimilarCase> {
        let query: Vec<(Option<usize>, f64)> = trigrams(text)
            .into_iter()
            .map(|(gram, tf)| {
                let term = self.terms.get(&gram).copied();
                (term, self.weight(tf, term.map_or(0, |t| self.df[t])))
            })
            .collect();
        let norm = query.iter().map(|(_, w)| w * w).sum::<f64>().sqrt();
        if norm == 0.0 {
            return Vec::new();
        }
        let mut scores: HashMap<usize, f64> = HashMap::new();
        for (term, w) in query {
            for (pos, dw) in term.map_or(&[][..], |t| &self.postings[t][..]) {
                *scores.entry(*pos).or_insert(0.0) += w / norm * dw;
            }
        }
        let mut found: Vec<SimilarCase> = scores
            .into_iter()
            .map(|(pos, score)| SimilarCase { case_id: self.cases[pos], score: score.min(1.0) })
            .filter(|s| s.score >= threshold && Some(s.case_id) != exclude)
            .collect();
        found.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.case_id.cmp(&b.case_id)));
        found.truncate(limit);
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index() -> SimilarityIndex {
        SimilarityIndex::new([
            (CaseId(1), "Parcel arrived broken\nThe vase was in pieces when the parcel arrived"),
            (CaseId(2), "Invoice charged twice\nMy card was charged two times for the same invoice"),
            (CaseId(3), "Rude delivery driver\nThe driver shouted at me at the door"),
            (CaseId(4), "Broken parcel\nGlass vase arrived smashed, the parcel was broken"),
            (CaseId(5), "Kundenkonto gesperrt\nIch kann mich seit gestern nicht anmelden"),
        ])
    }

    #[test]
    fn trigrams_are_padded_lower_case_words() {
        let t = trigrams("Vase, VASE!");
        // " vase " gives " va", "vas", "ase", "se " — each twice.
        assert_eq!(t.len(), 4);
        assert_eq!(t.get(" va"), Some(&2));
        assert_eq!(t.get("se "), Some(&2));
        assert!(trigrams(" ,.; ").is_empty());
        // Function words carry nothing.
        assert_eq!(trigrams("The parcel was MY"), trigrams("parcel"));
        assert!(trigrams("the my was und").is_empty());
    }

    #[test]
    fn similar_texts_are_found_and_unrelated_ones_not() {
        let idx = index();
        let found = idx.similar("My parcel came broken, the vase arrived in pieces", None, DEFAULT_THRESHOLD, 10);
        let ids: Vec<CaseId> = found.iter().map(|s| s.case_id).collect();
        assert_eq!(ids, vec![CaseId(1), CaseId(4)], "{found:?}");
        // The billing, driver and German cases share at most stray trigrams.
        let all = idx.similar("My parcel came broken, the vase arrived in pieces", None, 0.0, 10);
        for s in all.iter().filter(|s| ![CaseId(1), CaseId(4)].contains(&s.case_id)) {
            assert!(s.score < 0.15, "{s:?}");
        }
        // Inflections still match: "charging" and "invoices" find the billing case.
        let billing = idx.similar("Charging me twice on two invoices", None, DEFAULT_THRESHOLD, 10);
        assert_eq!(billing.iter().map(|s| s.case_id).collect::<Vec<_>>(), vec![CaseId(2)]);
    }

    #[test]
    fn a_case_is_most_like_itself_and_can_be_left_out() {
        let idx = index();
        let text = "Parcel arrived broken\nThe vase was in pieces when the parcel arrived";
        let found = idx.similar(text, None, DEFAULT_THRESHOLD, 1);
        assert_eq!(found[0].case_id, CaseId(1));
        assert!((found[0].score - 1.0).abs() < 1e-9);
        let others = idx.similar(text, Some(CaseId(1)), DEFAULT_THRESHOLD, 10);
        assert_eq!(others.iter().map(|s| s.case_id).collect::<Vec<_>>(), vec![CaseId(4)]);
        assert!(idx.similar("", None, 0.0, 10).is_empty());
        assert!(SimilarityIndex::new([]).similar("broken vase", None, 0.0, 10).is_empty());
    }
}
