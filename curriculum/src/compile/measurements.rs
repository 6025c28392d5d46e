//! `content/weights/manifest.json` and `content/weights/measurements.json`, both written by
//! `scripts/extract_weight_slices.py`.

use serde::Deserialize;

use crate::{MeasuredRow, MeasuredTable, WeightSlice};

#[derive(Clone, Debug, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub slices: Vec<ManifestSlice>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct ManifestSlice {
    pub id: String,
    pub file: String,
    pub rows: u32,
    pub cols: u32,
    pub dtype: String,
    pub source_tensor: String,
    pub source_type: String,
    pub layer: Option<u32>,
    pub kind: String,
    pub source_rows: Vec<u32>,
    pub note: String,
    #[serde(default)]
    pub row_labels: Vec<String>,
    pub outlier: Option<Outlier>,
    pub importance_file: Option<String>,
    #[serde(default)]
    pub importance_note: String,
    pub hessian: Option<crate::HessianBlock>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Outlier {
    /// Row in the source tensor.
    pub row: u32,
    pub col: u32,
    pub value: f32,
}

impl ManifestSlice {
    pub fn to_slice(&self) -> WeightSlice {
        let highlight = self.outlier.as_ref().and_then(|o| {
            self.source_rows
                .iter()
                .position(|&r| r == o.row)
                .map(|i| (i as u32, o.col, o.value))
        });
        WeightSlice {
            id: self.id.clone(),
            file: self.file.clone(),
            rows: self.rows,
            cols: self.cols,
            source_tensor: self.source_tensor.clone(),
            source_type: self.source_type.clone(),
            layer: self.layer,
            kind: self.kind.clone(),
            source_rows: self.source_rows.clone(),
            row_labels: self.row_labels.clone(),
            highlight,
            note: self.note.clone(),
            importance_file: self.importance_file.clone(),
            importance_note: self.importance_note.clone(),
            hessian: self.hessian.clone(),
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
pub struct Measurements {
    pub model: String,
    pub text: String,
    pub baseline: Baseline,
    pub all_matrices: Vec<Row>,
    pub per_kind_2bit: Vec<Row>,
    pub per_layer_2bit: Vec<Row>,
    pub token_embd: Vec<Row>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Baseline {
    pub ppl: f64,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Row {
    pub ppl: f64,
    pub kl: f64,
    pub top1_agree: f64,
    pub bits: Option<u32>,
    /// A group size, or "row" for one scale per row.
    pub group: Option<serde_json::Value>,
    pub symmetric: Option<bool>,
    pub bpw: Option<f64>,
    pub kind: Option<String>,
    pub layer: Option<u32>,
}

impl Row {
    fn to_row(&self, label: String) -> MeasuredRow {
        MeasuredRow {
            label,
            bpw: self.bpw,
            ppl: self.ppl,
            kl: self.kl,
            top1_agree: self.top1_agree,
        }
    }
}

impl Measurements {
    fn table(&self, setting: &str, rows: Vec<MeasuredRow>) -> MeasuredTable {
        MeasuredTable {
            model: self.model.clone(),
            text: self.text.clone(),
            setting: setting.into(),
            baseline_ppl: self.baseline.ppl,
            rows,
        }
    }

    /// Whole model, every block matrix RTN at each bit width: three series (asymmetric groups
    /// of 32, which contain the Q4_1 grid the weights came from at 4 and 8 bits; asymmetric
    /// groups of 64 and symmetric groups of 32, which do not).
    pub fn bits_curves(&self) -> Vec<MeasuredTable> {
        let series = [
            (
                false,
                32,
                "asymmetric, groups of 32 (contains the Q4_1 source grid at 4 and 8 bits)",
            ),
            (false, 64, "asymmetric, groups of 64"),
            (true, 32, "symmetric, groups of 32"),
        ];
        series
            .iter()
            .map(|&(sym, group, name)| {
                let rows = self
                    .all_matrices
                    .iter()
                    .filter(|r| r.symmetric == Some(sym) && r.group.as_ref().and_then(|g| g.as_u64()) == Some(group))
                    .map(|r| r.to_row(format!("{}-bit", r.bits.unwrap_or(0))))
                    .collect();
                self.table(
                    &format!(
                        "every attention and MLP matrix of every layer quantized with round-to-nearest, {name}; \
                         bpw counts an fp16 scale (and an fp16 minimum when asymmetric) per group; embeddings and norms unchanged"
                    ),
                    rows,
                )
            })
            .collect()
    }

    /// One tensor kind at 2 bits in every layer, the rest unchanged (token_embd included).
    pub fn kinds_table(&self) -> MeasuredTable {
        let mut rows: Vec<MeasuredRow> = self
            .per_kind_2bit
            .iter()
            .map(|r| r.to_row(r.kind.clone().unwrap_or_default()))
            .collect();
        if let Some(e) = self.token_embd.iter().find(|r| r.bits == Some(2)) {
            rows.push(e.to_row("token_embd (tied output)".into()));
        }
        self.table(
            "one tensor kind quantized in all 30 layers with asymmetric 2-bit round-to-nearest, groups of 32 \
             (3 bpw); everything else unchanged",
            rows,
        )
    }

    /// One layer's seven matrices at 2 bits, the rest unchanged.
    pub fn layers_table(&self) -> MeasuredTable {
        let rows = self
            .per_layer_2bit
            .iter()
            .map(|r| r.to_row(format!("layer {}", r.layer.unwrap_or(0))))
            .collect();
        self.table(
            "all seven matrices of one layer quantized with asymmetric 2-bit round-to-nearest, groups of 32 \
             (3 bpw); every other layer unchanged",
            rows,
        )
    }
}
