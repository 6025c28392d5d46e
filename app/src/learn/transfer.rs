//! The progress export file: JSON, versioned, validated on import.
//!
//! ```json
//! { "format": "bitsmith-progress", "version": 1, "exported_at": 1700000000000,
//!   "progress": { "version": 1, "attempts": [...], "cards": {...}, ... } }
//! ```
//!
//! The UI serializes with the browser's JSON (through serde-wasm-bindgen), so no JSON library
//! ships in the UI bundle; this module checks the decoded file, whichever parser produced it.

use serde::{Deserialize, Serialize};

use super::{PROGRESS_VERSION, Progress};

/// The `format` field of every export.
pub const FORMAT: &str = "bitsmith-progress";
/// Version of the file layout (the envelope; the record inside has its own version).
pub const FILE_VERSION: u32 = 1;
/// Files larger than this are refused before parsing (an export of years of use is well under
/// a megabyte).
pub const MAX_FILE_BYTES: usize = 8 * 1024 * 1024;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExportFile {
    #[serde(default)]
    pub format: String,
    #[serde(default)]
    pub version: u32,
    #[serde(default)]
    pub exported_at: i64,
    pub progress: Progress,
}

/// Why an imported file was refused. The UI shows a translated message per variant.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ImportError {
    #[error("the file is too large to be a progress export")]
    TooLarge,
    #[error("the file is not JSON: {0}")]
    NotJson(String),
    #[error("the file is not a Bitsmith progress export")]
    NotBitsmith,
    #[error(
        "the file was made by a newer Bitsmith (format {found}, this app reads up to {supported})"
    )]
    TooNew { found: u32, supported: u32 },
    #[error("the file is damaged: {0}")]
    Invalid(String),
}

impl ExportFile {
    pub fn new(progress: Progress, now: i64) -> ExportFile {
        ExportFile {
            format: FORMAT.to_string(),
            version: FILE_VERSION,
            exported_at: now,
            progress,
        }
    }

    /// Checks a decoded file and returns the (migrated) progress inside it.
    pub fn validate(self) -> Result<Progress, ImportError> {
        if self.format != FORMAT {
            return Err(ImportError::NotBitsmith);
        }
        if self.version > FILE_VERSION || self.progress.version > PROGRESS_VERSION {
            return Err(ImportError::TooNew {
                found: self.version.max(self.progress.version),
                supported: FILE_VERSION.max(PROGRESS_VERSION),
            });
        }
        let p = self.progress.migrate();
        for a in &p.attempts {
            if a.item.is_empty() || !a.item.contains('/') {
                return Err(ImportError::Invalid(format!("quiz item id {:?}", a.item)));
            }
            if a.at < 0 {
                return Err(ImportError::Invalid(format!("time {}", a.at)));
            }
        }
        for (id, c) in &p.cards {
            let ok = id.contains('/')
                && c.stability.is_finite()
                && c.stability > 0.0
                && c.difficulty.is_finite()
                && (1.0..=10.0).contains(&c.difficulty)
                && c.due >= c.last_review;
            if !ok {
                return Err(ImportError::Invalid(format!("review state of {id:?}")));
            }
        }
        if p.completed
            .keys()
            .chain(p.opened.keys())
            .any(|k| k.is_empty())
        {
            return Err(ImportError::Invalid("an empty lesson id".into()));
        }
        Ok(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::learn::tests::catalog;

    fn sample() -> Progress {
        let c = catalog();
        let items = c.lesson("a").unwrap().quiz_items.clone();
        let mut p = Progress::new();
        for (i, it) in items.iter().enumerate() {
            p.answer(it, i != 1, false, 1_700_000_000_000 + i as i64, -60, &items);
        }
        p.open("a", 1_700_000_000_000);
        p
    }

    /// Export → JSON text → import gives back the same progress (the JSON the browser writes
    /// has the same shape as serde_json's: maps as objects).
    #[test]
    fn round_trip_through_json() {
        let p = sample();
        let text = serde_json::to_string(&ExportFile::new(p.clone(), 42)).unwrap();
        assert!(text.contains("\"format\":\"bitsmith-progress\""));
        let back: ExportFile = serde_json::from_str(&text).unwrap();
        assert_eq!(back.validate().unwrap(), p);
    }

    fn import(text: &str) -> Result<Progress, ImportError> {
        let f: ExportFile =
            serde_json::from_str(text).map_err(|e| ImportError::Invalid(e.to_string()))?;
        f.validate()
    }

    #[test]
    fn bad_files_are_refused_with_a_reason() {
        assert_eq!(
            import(r#"{"format":"something-else","version":1,"progress":{}}"#),
            Err(ImportError::NotBitsmith)
        );
        assert_eq!(
            import(r#"{"format":"bitsmith-progress","version":9,"progress":{}}"#),
            Err(ImportError::TooNew {
                found: 9,
                supported: 1
            })
        );
        assert!(matches!(
            import(
                r#"{"format":"bitsmith-progress","version":1,"progress":{"attempts":[{"item":"","at":1,"correct":true}]}}"#
            ),
            Err(ImportError::Invalid(_))
        ));
        assert!(matches!(
            import(
                r#"{"format":"bitsmith-progress","version":1,"progress":{"cards":{"a/q":{"stability":-1,"difficulty":5}}}}"#
            ),
            Err(ImportError::Invalid(_))
        ));
        // An empty but well-formed export is fine (a new learner's file).
        assert_eq!(
            import(r#"{"format":"bitsmith-progress","version":1,"progress":{}}"#).unwrap(),
            Progress::new()
        );
    }
}
