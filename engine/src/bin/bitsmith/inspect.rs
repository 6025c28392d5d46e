//! `bitsmith inspect FILE [--json]`: header, metadata (long arrays summarized), tensor table and
//! totals, read from the header alone.

use std::collections::BTreeMap;
use std::path::PathBuf;

use bitsmith_engine::GgmlType;
use bitsmith_engine::gguf::{GgufArray, GgufFile, GgufValue};
use serde_json::{Value, json};

use crate::input::read_gguf_header;

/// Arrays longer than this are shown as their type, length and first elements.
const ARRAY_PREVIEW: usize = 8;

#[derive(clap::Args)]
pub struct InspectArgs {
    /// The GGUF file.
    pub file: PathBuf,
    /// Print one JSON document instead of text.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: InspectArgs) -> Result<(), String> {
    let (_, size, header) = read_gguf_header(&args.file)?;
    if args.json {
        let doc = to_json(&args.file.display().to_string(), size, &header);
        println!(
            "{}",
            serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())?
        );
    } else {
        print_text(&args.file.display().to_string(), size, &header);
    }
    Ok(())
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn bpw(bytes: u64, n: u64) -> f64 {
    if n == 0 {
        0.0
    } else {
        bytes as f64 * 8.0 / n as f64
    }
}

/// Per-type totals: (tensors, elements, bytes).
fn by_type(h: &GgufFile) -> BTreeMap<GgmlType, (usize, u64, u64)> {
    let mut m: BTreeMap<GgmlType, (usize, u64, u64)> = BTreeMap::new();
    for t in &h.tensors {
        let e = m.entry(t.ggml_type).or_default();
        e.0 += 1;
        e.1 += t.n_elements();
        e.2 += t.n_bytes();
    }
    m
}

fn print_text(path: &str, size: u64, h: &GgufFile) {
    println!("file: {path}");
    println!(
        "  {} bytes ({:.2} MiB), GGUF v{}, alignment {}, data at byte {}",
        size,
        mib(size),
        h.version,
        h.alignment,
        h.data_offset
    );
    println!("metadata ({} keys):", h.metadata.len());
    let width = h
        .metadata
        .iter()
        .map(|(k, _)| k.len())
        .max()
        .unwrap_or(0)
        .min(48);
    for (k, v) in &h.metadata {
        println!("  {k:<width$} = {}", value_text(v));
    }
    println!("tensors ({}):", h.tensors.len());
    let nw = h
        .tensors
        .iter()
        .map(|t| t.name.len())
        .max()
        .unwrap_or(4)
        .clamp(4, 48);
    println!(
        "  {:>4}  {:<nw$}  {:<20}  {:<7}  {:>12}  {:>7}",
        "#", "name", "shape", "type", "bytes", "bpw"
    );
    for (i, t) in h.tensors.iter().enumerate() {
        let shape = format!("{:?}", t.dims);
        println!(
            "  {:>4}  {:<nw$}  {:<20}  {:<7}  {:>12}  {:>7.3}",
            i,
            t.name,
            shape,
            t.ggml_type.name(),
            t.n_bytes(),
            bpw(t.n_bytes(), t.n_elements())
        );
    }
    let n: u64 = h.tensors.iter().map(|t| t.n_elements()).sum();
    let bytes: u64 = h.tensors.iter().map(|t| t.n_bytes()).sum();
    println!(
        "total: {} tensors, {} parameters, {:.2} MiB of tensor data, {:.3} bpw",
        h.tensors.len(),
        n,
        mib(bytes),
        bpw(bytes, n)
    );
    for (ty, (count, elems, b)) in by_type(h) {
        println!(
            "  {:<7} {:>5} tensors  {:>12} parameters  {:>10.2} MiB",
            ty.name(),
            count,
            elems,
            mib(b)
        );
    }
}

/// A metadata value on one line; long arrays and long strings are shortened.
fn value_text(v: &GgufValue) -> String {
    match v {
        GgufValue::String(s) => {
            let one_line = s.replace('\n', "\\n");
            if one_line.chars().count() > 80 {
                let head: String = one_line.chars().take(77).collect();
                format!("{head:?}… ({} chars)", s.chars().count())
            } else {
                format!("{one_line:?}")
            }
        }
        GgufValue::Array(a) => {
            let items = array_preview(a);
            let shown: Vec<String> = items.iter().map(|v| v.to_string()).collect();
            let more = if a.len() > ARRAY_PREVIEW { ", …" } else { "" };
            format!(
                "[{} × {}] [{}{}]",
                a.elem_type().name(),
                a.len(),
                shown.join(", "),
                more
            )
        }
        other => scalar_json(other).to_string(),
    }
}

fn scalar_json(v: &GgufValue) -> Value {
    match v {
        GgufValue::U8(x) => json!(x),
        GgufValue::I8(x) => json!(x),
        GgufValue::U16(x) => json!(x),
        GgufValue::I16(x) => json!(x),
        GgufValue::U32(x) => json!(x),
        GgufValue::I32(x) => json!(x),
        GgufValue::F32(x) => json!(x),
        GgufValue::Bool(x) => json!(x),
        GgufValue::String(s) => json!(s),
        GgufValue::U64(x) => json!(x),
        GgufValue::I64(x) => json!(x),
        GgufValue::F64(x) => json!(x),
        GgufValue::Array(a) => array_json(a),
    }
}

/// The first [`ARRAY_PREVIEW`] elements as JSON values.
fn array_preview(a: &GgufArray) -> Vec<Value> {
    fn take<T: serde::Serialize>(v: &[T]) -> Vec<Value> {
        v.iter().take(ARRAY_PREVIEW).map(|x| json!(x)).collect()
    }
    match a {
        GgufArray::U8(v) => take(v),
        GgufArray::I8(v) => take(v),
        GgufArray::U16(v) => take(v),
        GgufArray::I16(v) => take(v),
        GgufArray::U32(v) => take(v),
        GgufArray::I32(v) => take(v),
        GgufArray::F32(v) => take(v),
        GgufArray::Bool(v) => take(v),
        GgufArray::String(v) => take(v),
        GgufArray::U64(v) => take(v),
        GgufArray::I64(v) => take(v),
        GgufArray::F64(v) => take(v),
        GgufArray::Array(v) => v.iter().take(ARRAY_PREVIEW).map(array_json).collect(),
    }
}

/// Short arrays in full; long ones as `{type, len, head}`.
fn array_json(a: &GgufArray) -> Value {
    let head = array_preview(a);
    if a.len() <= ARRAY_PREVIEW {
        Value::Array(head)
    } else {
        json!({ "elem_type": a.elem_type().name(), "len": a.len(), "head": head })
    }
}

fn to_json(path: &str, size: u64, h: &GgufFile) -> Value {
    let metadata: Vec<Value> = h
        .metadata
        .iter()
        .map(|(k, v)| json!({ "key": k, "type": v.value_type().name(), "value": scalar_json(v) }))
        .collect();
    let tensors: Vec<Value> = h
        .tensors
        .iter()
        .map(|t| {
            json!({
                "name": t.name,
                "shape": t.dims,
                "type": t.ggml_type.name(),
                "offset": t.offset,
                "bytes": t.n_bytes(),
                "bpw": bpw(t.n_bytes(), t.n_elements()),
            })
        })
        .collect();
    let n: u64 = h.tensors.iter().map(|t| t.n_elements()).sum();
    let bytes: u64 = h.tensors.iter().map(|t| t.n_bytes()).sum();
    let types: BTreeMap<String, Value> = by_type(h)
        .into_iter()
        .map(|(ty, (c, e, b))| {
            (
                ty.name().to_string(),
                json!({ "tensors": c, "parameters": e, "bytes": b }),
            )
        })
        .collect();
    json!({
        "file": path,
        "file_size": size,
        "version": h.version,
        "alignment": h.alignment,
        "data_offset": h.data_offset,
        "metadata": metadata,
        "tensors": tensors,
        "totals": {
            "tensors": h.tensors.len(),
            "parameters": n,
            "bytes": bytes,
            "bpw": bpw(bytes, n),
            "by_type": types,
        },
    })
}
