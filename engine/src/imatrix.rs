//! Importance matrices (imatrix files) from llama.cpp's `llama-imatrix`, in both formats.
//!
//! **Legacy `.dat`** (`save_imatrix_legacy` in `tools/imatrix/imatrix.cpp`, read by
//! `common_imatrix_load_legacy` in `common/imatrix-loader.cpp`), little-endian:
//!
//! ```text
//! n_entries: i32
//! n_entries × (name_len: i32, name bytes, ncall: i32, nval: i32, nval × f32)
//! optional: last_call (chunk count): i32, dataset_len: i32, dataset bytes
//! ```
//! Each value is `(sum of x² / count) * ncall`, so the mean of x² is `value / ncall`.
//!
//! **GGUF** (`save_imatrix`, read by `common_imatrix_load`): metadata `general.type =
//! "imatrix"`, `imatrix.datasets` (array of strings), `imatrix.chunk_count` and
//! `imatrix.chunk_size` (u32); per weight tensor `<name>.in_sum2` (F32, `ne0 × n_mat`: sums of
//! x² per column, per expert for 3-D weights) and `<name>.counts` (F32, `n_mat`: how many rows
//! were summed). The mean of x² is `in_sum2 / counts`, per expert.
//!
//! [`Imatrix::importance`] gives, per tensor name, the weights llama-quantize passes to the
//! quantizer (`load_imatrix` in `tools/quantize/quantize.cpp`), including its conventions for
//! experts never seen (count 0 → all ones).

use crate::GgmlType;
use crate::gguf::{GgufArray, GgufError, GgufFile, GgufValue, TensorInfo, write_gguf};
use std::collections::{BTreeMap, HashMap};

/// Why an imatrix file could not be read or written.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ImatrixError {
    #[error("imatrix file ends early at byte {0}")]
    Truncated(usize),
    #[error("imatrix file has no entries")]
    Empty,
    #[error("{what} {value} at byte {offset} is invalid")]
    BadCount {
        what: &'static str,
        value: i64,
        offset: usize,
    },
    #[error("entry name at byte {0} is not valid UTF-8")]
    BadUtf8(usize),
    #[error("duplicate entry {0:?}")]
    DuplicateEntry(String),
    #[error("entry {0:?} has in_sum2 without counts or counts without in_sum2")]
    UnpairedTensors(String),
    #[error("entry {name:?}: {reason}")]
    BadEntry { name: String, reason: String },
    #[error("converting to the legacy format needs a chunk size, and this file has none")]
    NoChunkSize,
    #[error(transparent)]
    Gguf(#[from] GgufError),
}

/// Which file format the data came from (it decides what `sums` and `counts` hold).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImatrixFormat {
    /// `sums` are `(sum/count) * ncall`, `counts` is `[ncall]`.
    Legacy,
    /// `sums` are raw sums of x², `counts` one row count per matrix (expert).
    Gguf,
}

/// One weight tensor's statistics (`common_imatrix_entry`).
#[derive(Clone, Debug, PartialEq)]
pub struct ImatrixEntry {
    pub sums: Vec<f32>,
    pub counts: Vec<i64>,
}

/// A loaded imatrix (`common_imatrix`).
#[derive(Clone, Debug, PartialEq)]
pub struct Imatrix {
    pub format: ImatrixFormat,
    /// Entries by tensor name, sorted (llama.cpp keeps a `std::map` and writes in name order).
    pub entries: BTreeMap<String, ImatrixEntry>,
    pub datasets: Vec<String>,
    pub chunk_count: u32,
    /// Tokens per chunk (GGUF only; 0 for legacy files).
    pub chunk_size: u32,
    /// GGUF: whether all three `imatrix.*` keys were present (llama-quantize refuses GGUF
    /// imatrix files without them). Legacy: whether the optional trailer was present.
    pub has_metadata: bool,
}

/// Little-endian reads with typed truncation errors.
struct Rd<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Rd<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], ImatrixError> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&e| e <= self.b.len())
            .ok_or(ImatrixError::Truncated(self.at))?;
        let s = &self.b[self.at..end];
        self.at = end;
        Ok(s)
    }
    fn i32(&mut self) -> Result<i32, ImatrixError> {
        Ok(i32::from_le_bytes(self.take(4)?.try_into().expect("4")))
    }
    fn rest(&self) -> usize {
        self.b.len() - self.at
    }
}

const KEY_DATASETS: &str = "imatrix.datasets";
const KEY_CHUNK_COUNT: &str = "imatrix.chunk_count";
const KEY_CHUNK_SIZE: &str = "imatrix.chunk_size";

impl Imatrix {
    /// Reads either format: a file starting with the GGUF magic is read as GGUF, anything else
    /// as legacy `.dat`.
    pub fn parse(bytes: &[u8]) -> Result<Imatrix, ImatrixError> {
        if bytes.starts_with(b"GGUF") {
            Self::parse_gguf(bytes)
        } else {
            Self::parse_legacy(bytes)
        }
    }

    /// Reads a legacy `.dat` file.
    pub fn parse_legacy(bytes: &[u8]) -> Result<Imatrix, ImatrixError> {
        let mut r = Rd { b: bytes, at: 0 };
        let n_entries = r.i32()?;
        if n_entries < 1 {
            return Err(ImatrixError::Empty);
        }
        // Each entry takes at least 12 bytes: refuse counts the file cannot hold before looping.
        if n_entries as usize > r.rest() / 12 {
            return Err(ImatrixError::BadCount {
                what: "entry count",
                value: n_entries.into(),
                offset: 0,
            });
        }
        let mut entries = BTreeMap::new();
        for _ in 0..n_entries {
            let at = r.at;
            let len = r.i32()?;
            if len < 0 || len as usize > r.rest() {
                return Err(ImatrixError::BadCount {
                    what: "name length",
                    value: len.into(),
                    offset: at,
                });
            }
            let name = std::str::from_utf8(r.take(len as usize)?)
                .map_err(|_| ImatrixError::BadUtf8(at + 4))?
                .to_owned();
            let ncall = r.i32()?;
            let at = r.at;
            let nval = r.i32()?;
            if nval < 1 || nval as usize > r.rest() / 4 {
                return Err(ImatrixError::BadCount {
                    what: "value count",
                    value: nval.into(),
                    offset: at,
                });
            }
            let sums = r
                .take(nval as usize * 4)?
                .as_chunks::<4>()
                .0
                .iter()
                .map(|c| f32::from_le_bytes(*c))
                .collect();
            if entries.contains_key(&name) {
                return Err(ImatrixError::DuplicateEntry(name));
            }
            entries.insert(
                name,
                ImatrixEntry {
                    sums,
                    counts: vec![ncall.into()],
                },
            );
        }
        // The optional trailer: chunk count, then the dataset name.
        let mut chunk_count = 0;
        let mut datasets = Vec::new();
        let has_metadata = r.rest() > 0;
        if r.rest() >= 4 {
            chunk_count = r.i32()?.max(0) as u32;
            if r.rest() >= 4 {
                let at = r.at;
                let len = r.i32()?;
                if len > 0 {
                    let s = r.take(len as usize)?;
                    datasets.push(
                        std::str::from_utf8(s)
                            .map_err(|_| ImatrixError::BadUtf8(at + 4))?
                            .to_owned(),
                    );
                }
            }
        }
        Ok(Imatrix {
            format: ImatrixFormat::Legacy,
            entries,
            datasets,
            chunk_count,
            chunk_size: 0,
            has_metadata,
        })
    }

    /// Reads a GGUF imatrix file.
    pub fn parse_gguf(bytes: &[u8]) -> Result<Imatrix, ImatrixError> {
        let f = GgufFile::parse(bytes)?;
        if f.tensors.is_empty() {
            return Err(ImatrixError::Empty);
        }
        let datasets = match f.get(KEY_DATASETS) {
            Some(GgufValue::Array(GgufArray::String(v))) => v.clone(),
            _ => Vec::new(),
        };
        let has_metadata = f.get(KEY_DATASETS).is_some()
            && f.get(KEY_CHUNK_COUNT).is_some()
            && f.get(KEY_CHUNK_SIZE).is_some();
        let u = |k| f.get(k).and_then(GgufValue::as_u32).unwrap_or(0);
        let mut pairs: BTreeMap<&str, (Option<usize>, Option<usize>)> = BTreeMap::new();
        for (i, t) in f.tensors.iter().enumerate() {
            if let Some(n) = t.name.strip_suffix(".in_sum2") {
                pairs.entry(n).or_default().0 = Some(i);
            } else if let Some(n) = t.name.strip_suffix(".counts") {
                pairs.entry(n).or_default().1 = Some(i);
            }
        }
        let f32s = |i: usize| -> Vec<f32> {
            f.tensor_data(bytes, i)
                .expect("validated by the parser")
                .as_chunks::<4>()
                .0
                .iter()
                .map(|c| f32::from_le_bytes(*c))
                .collect()
        };
        let mut entries = BTreeMap::new();
        for (name, (s, c)) in pairs {
            let (Some(s), Some(c)) = (s, c) else {
                return Err(ImatrixError::UnpairedTensors(name.to_owned()));
            };
            let bad = |reason: &str| ImatrixError::BadEntry {
                name: name.to_owned(),
                reason: reason.to_owned(),
            };
            if f.tensors[s].ggml_type != GgmlType::F32 || f.tensors[c].ggml_type != GgmlType::F32 {
                return Err(bad("sums and counts must be F32"));
            }
            let sums = f32s(s);
            let counts_f = f32s(c);
            if counts_f.is_empty() || sums.len() % counts_f.len() != 0 {
                return Err(bad("sums are not a whole number of rows per count"));
            }
            let mut counts = Vec::with_capacity(counts_f.len());
            for x in counts_f {
                // llama.cpp takes std::lround; a count is a number of rows, never negative.
                if !x.is_finite() || x < 0.0 || x > 9.0e18 {
                    return Err(bad("counts must be finite and non-negative"));
                }
                counts.push(x.round() as i64);
            }
            entries.insert(name.to_owned(), ImatrixEntry { sums, counts });
        }
        Ok(Imatrix {
            format: ImatrixFormat::Gguf,
            entries,
            datasets,
            chunk_count: u(KEY_CHUNK_COUNT),
            chunk_size: u(KEY_CHUNK_SIZE),
            has_metadata,
        })
    }

    /// Per-tensor importance: the mean of x² per input column (per expert, experts
    /// concatenated), exactly as llama-quantize's `load_imatrix` prepares it.
    pub fn importance(&self) -> HashMap<String, Vec<f32>> {
        self.entries
            .iter()
            .map(|(name, e)| {
                let v = match self.format {
                    ImatrixFormat::Gguf => {
                        let ne0 = e.sums.len() / e.counts.len().max(1);
                        let mut out = vec![0f32; e.sums.len()];
                        for (j, &count) in e.counts.iter().enumerate() {
                            let c = count as f32;
                            for i in 0..ne0 {
                                out[j * ne0 + i] = if c > 0.0 {
                                    e.sums[j * ne0 + i] / c
                                } else {
                                    1.0
                                };
                            }
                        }
                        out
                    }
                    ImatrixFormat::Legacy => {
                        let ncall = e.counts.first().copied().unwrap_or(0);
                        if ncall > 0 {
                            e.sums.iter().map(|x| x / ncall as f32).collect()
                        } else {
                            e.sums.clone()
                        }
                    }
                };
                (name.clone(), v)
            })
            .collect()
    }

    /// Writes the legacy `.dat` format. GGUF-format data is converted as `save_imatrix_legacy`
    /// does (`ncall` = ceil(max count / chunk size), values `(sum/count) * ncall`, entries whose
    /// counts are all zero dropped), which needs the chunk size.
    pub fn write_legacy(&self) -> Result<Vec<u8>, ImatrixError> {
        let mut out = Vec::new();
        let mut body = Vec::new();
        let mut n = 0i32;
        for (name, e) in &self.entries {
            let (ncall, values): (i32, Vec<f32>) = match self.format {
                ImatrixFormat::Legacy => (
                    e.counts.first().copied().unwrap_or(0) as i32,
                    e.sums.clone(),
                ),
                ImatrixFormat::Gguf => {
                    if e.counts.iter().all(|&c| c == 0) {
                        continue;
                    }
                    if self.chunk_size == 0 {
                        return Err(ImatrixError::NoChunkSize);
                    }
                    let cs = i64::from(self.chunk_size);
                    let max = e.counts.iter().copied().max().unwrap_or(0);
                    let ncall = ((max + cs - 1) / cs) as i32;
                    let per = e.sums.len() / e.counts.len();
                    let values = e
                        .sums
                        .iter()
                        .enumerate()
                        .map(|(i, &v)| {
                            let count = e.counts[i / per] as f32;
                            let (v, c) = if count == 0.0 { (1.0, 1.0) } else { (v, count) };
                            (v / c) * ncall as f32
                        })
                        .collect();
                    (ncall, values)
                }
            };
            n += 1;
            body.extend_from_slice(&(name.len() as i32).to_le_bytes());
            body.extend_from_slice(name.as_bytes());
            body.extend_from_slice(&ncall.to_le_bytes());
            body.extend_from_slice(&(values.len() as i32).to_le_bytes());
            for v in values {
                body.extend_from_slice(&v.to_le_bytes());
            }
        }
        out.extend_from_slice(&n.to_le_bytes());
        out.extend(body);
        out.extend_from_slice(&(self.chunk_count as i32).to_le_bytes());
        // imatrix.cpp writes the prompt file, or the last dataset of loaded files.
        let ds = self.datasets.last().map(String::as_str).unwrap_or("");
        out.extend_from_slice(&(ds.len() as i32).to_le_bytes());
        out.extend_from_slice(ds.as_bytes());
        Ok(out)
    }

    /// Writes the GGUF format as `save_imatrix` does: the three `imatrix.*` keys after
    /// `general.type`, then `<name>.in_sum2` and `<name>.counts` per entry in name order, with
    /// ggml's trimmed dimensions (`ggml_n_dims`: `[ne0]` / `[1]` for a single matrix). Legacy
    /// data is converted as `load_imatrix` does for legacy input (sums and counts scaled by
    /// `chunk_size`), so `chunk_size` must be set (non-zero) first.
    pub fn write_gguf(&self) -> Result<Vec<u8>, ImatrixError> {
        let scale = match self.format {
            ImatrixFormat::Gguf => 1,
            ImatrixFormat::Legacy if self.chunk_size > 0 => self.chunk_size,
            ImatrixFormat::Legacy => return Err(ImatrixError::NoChunkSize),
        };
        let metadata = vec![
            ("general.type".to_owned(), GgufValue::from("imatrix")),
            (
                KEY_DATASETS.to_owned(),
                GgufValue::Array(GgufArray::String(self.datasets.clone())),
            ),
            (KEY_CHUNK_COUNT.to_owned(), GgufValue::U32(self.chunk_count)),
            (KEY_CHUNK_SIZE.to_owned(), GgufValue::U32(self.chunk_size)),
        ];
        let mut datas: Vec<(TensorInfo, Vec<u8>)> = Vec::new();
        for (name, e) in &self.entries {
            let nmat = e.counts.len() as u64;
            let nval = e.sums.len() as u64;
            if nmat == 0 || nval == 0 || !nval.is_multiple_of(nmat) {
                return Err(ImatrixError::BadEntry {
                    name: name.clone(),
                    reason: "sums are not a whole number of rows per count".into(),
                });
            }
            let trim = |mut d: Vec<u64>| {
                while d.len() > 1 && d.last() == Some(&1) {
                    d.pop();
                }
                d
            };
            let sums: Vec<u8> = e
                .sums
                .iter()
                .flat_map(|&v| (v * scale as f32).to_le_bytes())
                .collect();
            let counts: Vec<u8> = e
                .counts
                .iter()
                .flat_map(|&c| ((c * i64::from(scale)) as f32).to_le_bytes())
                .collect();
            let info = |suffix: &str, dims| TensorInfo {
                name: format!("{name}{suffix}"),
                dims: trim(dims),
                ggml_type: GgmlType::F32,
                offset: 0,
            };
            datas.push((info(".in_sum2", vec![nval / nmat, nmat]), sums));
            datas.push((info(".counts", vec![1, nmat]), counts));
        }
        let tensors = datas
            .iter()
            .map(|(t, d)| (t.clone(), d.as_slice()))
            .collect();
        Ok(write_gguf(metadata, tensors)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn legacy_bytes() -> Vec<u8> {
        let mut b = Vec::new();
        b.extend(2i32.to_le_bytes());
        for (name, ncall, vals) in [
            ("blk.0.attn_q.weight", 10i32, vec![20.0f32, 40.0]),
            ("blk.0.ffn_up.weight", 0, vec![3.0]),
        ] {
            b.extend((name.len() as i32).to_le_bytes());
            b.extend(name.as_bytes());
            b.extend(ncall.to_le_bytes());
            b.extend((vals.len() as i32).to_le_bytes());
            for v in vals {
                b.extend(v.to_le_bytes());
            }
        }
        b.extend(7i32.to_le_bytes());
        b.extend(9i32.to_le_bytes());
        b.extend(b"wiki.text");
        b
    }

    #[test]
    fn legacy_reads_writes_and_normalises() {
        let b = legacy_bytes();
        let m = Imatrix::parse(&b).unwrap();
        assert_eq!(m.format, ImatrixFormat::Legacy);
        assert_eq!(m.chunk_count, 7);
        assert_eq!(m.datasets, vec!["wiki.text"]);
        let imp = m.importance();
        assert_eq!(imp["blk.0.attn_q.weight"], vec![2.0, 4.0]);
        // ncall 0: values used as they are.
        assert_eq!(imp["blk.0.ffn_up.weight"], vec![3.0]);
        assert_eq!(m.write_legacy().unwrap(), b);
        // Without the trailer.
        let short = &b[..b.len() - 17];
        let m2 = Imatrix::parse(short).unwrap();
        assert!(!m2.has_metadata);
        assert_eq!(m2.entries, m.entries);
    }

    #[test]
    fn gguf_reads_writes_and_normalises() {
        let mut entries = BTreeMap::new();
        entries.insert(
            "blk.0.ffn_down.weight".to_owned(),
            ImatrixEntry {
                sums: vec![8.0, 16.0],
                counts: vec![4],
            },
        );
        // Two experts, the second never routed to.
        entries.insert(
            "blk.0.ffn_down_exps.weight".to_owned(),
            ImatrixEntry {
                sums: vec![6.0, 9.0, 0.0, 0.0],
                counts: vec![3, 0],
            },
        );
        let m = Imatrix {
            format: ImatrixFormat::Gguf,
            entries,
            datasets: vec!["a.txt".into(), "b.txt".into()],
            chunk_count: 2,
            chunk_size: 512,
            has_metadata: true,
        };
        let bytes = m.write_gguf().unwrap();
        let back = Imatrix::parse(&bytes).unwrap();
        assert_eq!(back, m);
        let f = GgufFile::parse(&bytes).unwrap();
        assert_eq!(f.tensors[0].name, "blk.0.ffn_down.weight.in_sum2");
        assert_eq!(f.tensors[0].dims, vec![2]);
        assert_eq!(f.tensors[1].dims, vec![1]);
        assert_eq!(f.tensors[3].dims, vec![1, 2]);
        let imp = back.importance();
        assert_eq!(imp["blk.0.ffn_down.weight"], vec![2.0, 4.0]);
        assert_eq!(imp["blk.0.ffn_down_exps.weight"], vec![2.0, 3.0, 1.0, 1.0]);
        // To legacy as llama-imatrix --output-format dat: ncall = ceil(4 / 512) = 1.
        let dat = Imatrix::parse(&back.write_legacy().unwrap()).unwrap();
        let di = dat.importance();
        assert_eq!(di["blk.0.ffn_down.weight"], vec![2.0, 4.0]);
        assert_eq!(di["blk.0.ffn_down_exps.weight"], vec![2.0, 3.0, 1.0, 1.0]);
        assert_eq!(dat.datasets, vec!["b.txt"]);
    }

    #[test]
    fn malformed_inputs_are_errors() {
        assert_eq!(Imatrix::parse(&[]), Err(ImatrixError::Truncated(0)));
        assert_eq!(
            Imatrix::parse(&0i32.to_le_bytes()),
            Err(ImatrixError::Empty)
        );
        let mut b = i32::MAX.to_le_bytes().to_vec();
        b.extend([0; 16]);
        assert!(matches!(
            Imatrix::parse(&b),
            Err(ImatrixError::BadCount { .. })
        ));
        let good = legacy_bytes();
        // Every truncation inside the entries is an error.
        for cut in 0..(good.len() - 25) {
            assert!(Imatrix::parse(&good[..cut]).is_err(), "cut {cut}");
        }
        // Negative name length, absurd value count, bad UTF-8.
        let mut b = 1i32.to_le_bytes().to_vec();
        b.extend((-5i32).to_le_bytes());
        b.extend([0; 16]);
        assert!(matches!(
            Imatrix::parse(&b),
            Err(ImatrixError::BadCount { .. })
        ));
        let mut b = 1i32.to_le_bytes().to_vec();
        b.extend(1i32.to_le_bytes());
        b.push(0xff);
        b.extend(1i32.to_le_bytes());
        b.extend(1i32.to_le_bytes());
        b.extend(1f32.to_le_bytes());
        assert!(matches!(Imatrix::parse(&b), Err(ImatrixError::BadUtf8(_))));
        let mut b = 1i32.to_le_bytes().to_vec();
        b.extend(1i32.to_le_bytes());
        b.push(b'x');
        b.extend(1i32.to_le_bytes());
        b.extend(i32::MAX.to_le_bytes());
        assert!(matches!(
            Imatrix::parse(&b),
            Err(ImatrixError::BadCount { .. })
        ));
        // Duplicate names.
        let mut b = 2i32.to_le_bytes().to_vec();
        for _ in 0..2 {
            b.extend(1i32.to_le_bytes());
            b.push(b'x');
            b.extend(1i32.to_le_bytes());
            b.extend(1i32.to_le_bytes());
            b.extend(1f32.to_le_bytes());
        }
        assert_eq!(
            Imatrix::parse(&b),
            Err(ImatrixError::DuplicateEntry("x".into()))
        );
        // GGUF with an unpaired tensor, and with no tensors.
        let t = TensorInfo {
            name: "w.in_sum2".into(),
            dims: vec![2],
            ggml_type: GgmlType::F32,
            offset: 0,
        };
        let g = write_gguf(vec![], vec![(t, &[0u8; 8][..])]).unwrap();
        assert_eq!(
            Imatrix::parse(&g),
            Err(ImatrixError::UnpairedTensors("w".into()))
        );
        let g = write_gguf(vec![], vec![]).unwrap();
        assert_eq!(Imatrix::parse(&g), Err(ImatrixError::Empty));
        // Legacy → GGUF needs a chunk size.
        let m = Imatrix::parse(&legacy_bytes()).unwrap();
        assert_eq!(m.write_gguf(), Err(ImatrixError::NoChunkSize));
    }
}
