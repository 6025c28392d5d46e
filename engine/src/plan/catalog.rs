//! The bundled model catalog (`engine/data/models.json`): models offered by name, each with the
//! config numbers planning needs.

use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

use super::PlanError;
use super::model::ModelSpec;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CatalogFile {
    pub name: String,
    pub bytes: u64,
    pub source: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CatalogEntry {
    pub id: String,
    pub name: String,
    pub hf_repo: String,
    #[serde(default)]
    pub license: Option<String>,
    /// The planning-relevant fields of the model's HF `config.json`.
    pub config: serde_json::Value,
    #[serde(default)]
    pub files: Vec<CatalogFile>,
    #[serde(default)]
    pub notes: Option<String>,
}

impl CatalogEntry {
    /// The model's spec, read through the same path as a pasted `config.json`.
    pub fn spec(&self) -> Result<ModelSpec, PlanError> {
        ModelSpec::from_hf_config(&self.name, &self.config.to_string())
    }
}

#[derive(Deserialize)]
struct CatalogFileJson {
    models: Vec<CatalogEntry>,
}

/// The catalog text, bundled so it works offline.
pub const MODELS_JSON: &str = include_str!("../../data/models.json");

fn parse_catalog(text: &str) -> Result<Vec<CatalogEntry>, PlanError> {
    let data = |msg: String| PlanError::Data {
        file: "models.json".into(),
        msg,
    };
    let file: CatalogFileJson = serde_json::from_str(text).map_err(|e| data(e.to_string()))?;
    let mut ids = std::collections::BTreeSet::new();
    for m in &file.models {
        if !ids.insert(m.id.to_ascii_lowercase()) {
            return Err(data(format!("duplicate id {}", m.id)));
        }
        m.spec().map_err(|e| data(format!("{}: {e}", m.id)))?;
    }
    Ok(file.models)
}

/// Every catalog model (parsed and checked once).
pub fn catalog() -> Result<&'static [CatalogEntry], PlanError> {
    static DB: OnceLock<Result<Vec<CatalogEntry>, PlanError>> = OnceLock::new();
    match DB.get_or_init(|| parse_catalog(MODELS_JSON)) {
        Ok(v) => Ok(v),
        Err(e) => Err(e.clone()),
    }
}

/// Finds a model by id or HF repo (case-insensitive), else by a unique substring of its name.
pub fn find_model(query: &str) -> Result<&'static CatalogEntry, PlanError> {
    let all = catalog()?;
    let q = query.trim().to_ascii_lowercase();
    if let Some(m) = all.iter().find(|m| {
        m.id == q || m.hf_repo.to_ascii_lowercase() == q || m.name.to_ascii_lowercase() == q
    }) {
        return Ok(m);
    }
    let hits: Vec<_> = all
        .iter()
        .filter(|m| m.name.to_ascii_lowercase().contains(&q) || m.id.contains(&q))
        .collect();
    match hits.as_slice() {
        [one] => Ok(one),
        [] => Err(PlanError::UnknownModel(query.to_string())),
        many => Err(PlanError::Ambiguous {
            query: query.to_string(),
            candidates: many.iter().map(|m| m.id.clone()).collect(),
        }),
    }
}
