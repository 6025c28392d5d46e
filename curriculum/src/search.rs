//! Offline lesson search: a small inverted index built at compile time and queried in the app.
//! [`tokenize`] is shared by both sides, so a query matches exactly what was indexed.

use serde::{Deserialize, Serialize};

/// Words too common to help find a lesson.
const STOPWORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "can", "do", "does", "for", "from",
    "has", "have", "how", "if", "in", "into", "is", "it", "its", "more", "no", "not", "of", "on",
    "one", "or", "so", "than", "that", "the", "their", "then", "there", "these", "they", "this",
    "to", "was", "we", "what", "when", "which", "while", "who", "why", "will", "with", "you",
    "your",
];

/// Splits text into normalised search terms: lowercase; runs of letters, digits and `_`
/// (so `q4_k`, `int8`, `fp16` stay whole); English stop words dropped; a plural `s` stripped
/// from words of four or more letters (`weights` → `weight`, not `loss` → `los`).
pub fn tokenize(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for raw in text.split(|c: char| !(c.is_alphanumeric() || c == '_')) {
        if raw.is_empty() {
            continue;
        }
        let mut t = raw.to_lowercase();
        if STOPWORDS.contains(&t.as_str()) {
            continue;
        }
        if t.chars().count() >= 4
            && t.ends_with('s')
            && !t.ends_with("ss")
            && !t.ends_with("us")
            && !t.ends_with("is")
            && !t.ends_with("as")
            && t.chars().rev().nth(1).is_some_and(|c| c.is_alphabetic())
        {
            t.pop();
        }
        out.push(t);
    }
    out
}

/// An inverted index: sorted terms, each with the lessons it occurs in and a weight.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SearchIndex {
    pub format_version: u32,
    /// Lesson ids; postings refer to them by position.
    pub lessons: Vec<String>,
    /// Sorted by `text` (binary search and prefix scans).
    pub terms: Vec<SearchTerm>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SearchTerm {
    pub text: String,
    pub postings: Vec<Posting>,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Posting {
    /// Index into [`SearchIndex::lessons`].
    pub lesson: u16,
    /// How strongly the term marks the lesson (title and headings count more than body text).
    pub weight: u16,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SearchHit {
    pub lesson: String,
    pub score: f32,
}

impl SearchIndex {
    /// Ranks lessons for a query. Every query term must match (AND); the last term also matches
    /// as a prefix so results appear while typing. Scores are summed weights scaled by an
    /// inverse document frequency, highest first; ties keep catalog order.
    pub fn search(&self, query: &str, limit: usize) -> Vec<SearchHit> {
        let terms = tokenize(query);
        if terms.is_empty() || self.lessons.is_empty() {
            return Vec::new();
        }
        let n = self.lessons.len() as f32;
        let mut total: Option<Vec<f32>> = None;
        for (i, term) in terms.iter().enumerate() {
            let prefix = i + 1 == terms.len();
            let mut scores = vec![0f32; self.lessons.len()];
            for t in self.matching(term, prefix) {
                let idf = (1.0 + n / t.postings.len() as f32).ln();
                // An exact match counts more than a prefix completion.
                let exact = if t.text == *term { 1.0 } else { 0.5 };
                for p in &t.postings {
                    if let Some(s) = scores.get_mut(p.lesson as usize) {
                        *s += p.weight as f32 * idf * exact;
                    }
                }
            }
            total = Some(match total {
                None => scores,
                Some(prev) => prev
                    .iter()
                    .zip(&scores)
                    .map(|(&a, &b)| if a > 0.0 && b > 0.0 { a + b } else { 0.0 })
                    .collect(),
            });
        }
        let mut hits: Vec<SearchHit> = total
            .unwrap_or_default()
            .into_iter()
            .enumerate()
            .filter(|(_, s)| *s > 0.0)
            .map(|(i, score)| SearchHit {
                lesson: self.lessons[i].clone(),
                score,
            })
            .collect();
        // Stable sort keeps catalog order among equal scores.
        hits.sort_by(|a, b| b.score.total_cmp(&a.score));
        hits.truncate(limit);
        hits
    }

    fn matching<'a>(
        &'a self,
        term: &'a str,
        prefix: bool,
    ) -> impl Iterator<Item = &'a SearchTerm> + 'a {
        let start = self.terms.partition_point(|t| t.text.as_str() < term);
        self.terms[start..].iter().take_while(move |t| {
            if prefix {
                t.text.starts_with(term)
            } else {
                t.text == term
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokenize_keeps_format_names_and_drops_noise() {
        assert_eq!(
            tokenize("The Q4_K weights, in FP16!"),
            vec!["q4_k", "weight", "fp16"]
        );
        assert_eq!(
            tokenize("k-quants and i-quants"),
            vec!["k", "quant", "i", "quant"]
        );
        assert_eq!(tokenize("loss bits bias"), vec!["loss", "bit", "bias"]);
        assert!(tokenize("   ...  ").is_empty());
    }

    fn index() -> SearchIndex {
        let mut terms = vec![
            SearchTerm {
                text: "gptq".into(),
                postings: vec![Posting {
                    lesson: 1,
                    weight: 10,
                }],
            },
            SearchTerm {
                text: "quantization".into(),
                postings: vec![
                    Posting {
                        lesson: 0,
                        weight: 5,
                    },
                    Posting {
                        lesson: 1,
                        weight: 2,
                    },
                ],
            },
            SearchTerm {
                text: "quantize".into(),
                postings: vec![Posting {
                    lesson: 0,
                    weight: 1,
                }],
            },
        ];
        terms.sort_by(|a, b| a.text.cmp(&b.text));
        SearchIndex {
            format_version: 1,
            lessons: vec!["intro".into(), "gptq".into()],
            terms,
        }
    }

    #[test]
    fn search_ranks_and_requires_all_terms() {
        let idx = index();
        let hits = idx.search("quantization", 10);
        assert_eq!(hits.len(), 2);
        assert_eq!(hits[0].lesson, "intro");
        let hits = idx.search("GPTQ quantization", 10);
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].lesson, "gptq");
        // Prefix match on the last term while typing.
        assert_eq!(idx.search("quant", 10).len(), 2);
        assert!(idx.search("gpt", 10).iter().any(|h| h.lesson == "gptq"));
        assert!(idx.search("zzz", 10).is_empty());
        assert!(idx.search("", 10).is_empty());
    }
}
