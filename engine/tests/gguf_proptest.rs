//! Property tests for the GGUF reader, writer and stream reader: random metadata of every type
//! (nested arrays included) and random tensor lists round-trip; anything that parses re-encodes
//! to the same bytes; damaged files never panic.

use bitsmith_engine::GgmlType;
use bitsmith_engine::gguf::{
    GgufArray, GgufEvent, GgufFile, GgufStreamReader, GgufValue, GgufWriter, TensorInfo, write_gguf,
};
use proptest::prelude::*;

fn arb_string() -> impl Strategy<Value = String> {
    // Mostly ASCII, some multi-byte characters.
    prop_oneof!["[a-zA-Z0-9 ._-]{0,12}", "\\PC{0,6}",]
}

fn arb_array(depth: u32) -> BoxedStrategy<GgufArray> {
    let n = 0..6usize;
    let leaf = prop_oneof![
        prop::collection::vec(any::<u8>(), n.clone()).prop_map(GgufArray::U8),
        prop::collection::vec(any::<i8>(), n.clone()).prop_map(GgufArray::I8),
        prop::collection::vec(any::<u16>(), n.clone()).prop_map(GgufArray::U16),
        prop::collection::vec(any::<i16>(), n.clone()).prop_map(GgufArray::I16),
        prop::collection::vec(any::<u32>(), n.clone()).prop_map(GgufArray::U32),
        prop::collection::vec(any::<i32>(), n.clone()).prop_map(GgufArray::I32),
        prop::collection::vec(any::<u32>().prop_map(f32::from_bits), n.clone())
            .prop_map(GgufArray::F32),
        prop::collection::vec(any::<bool>(), n.clone()).prop_map(GgufArray::Bool),
        prop::collection::vec(arb_string(), n.clone()).prop_map(GgufArray::String),
        prop::collection::vec(any::<u64>(), n.clone()).prop_map(GgufArray::U64),
        prop::collection::vec(any::<i64>(), n.clone()).prop_map(GgufArray::I64),
        prop::collection::vec(any::<u64>().prop_map(f64::from_bits), n.clone())
            .prop_map(GgufArray::F64),
    ];
    if depth == 0 {
        leaf.boxed()
    } else {
        prop_oneof![
            4 => leaf,
            1 => prop::collection::vec(arb_array(depth - 1), 0..4).prop_map(GgufArray::Array),
        ]
        .boxed()
    }
}

fn arb_value() -> impl Strategy<Value = GgufValue> {
    prop_oneof![
        any::<u8>().prop_map(GgufValue::U8),
        any::<i8>().prop_map(GgufValue::I8),
        any::<u16>().prop_map(GgufValue::U16),
        any::<i16>().prop_map(GgufValue::I16),
        any::<u32>().prop_map(GgufValue::U32),
        any::<i32>().prop_map(GgufValue::I32),
        any::<u32>().prop_map(|b| GgufValue::F32(f32::from_bits(b))),
        any::<bool>().prop_map(GgufValue::Bool),
        arb_string().prop_map(GgufValue::String),
        arb_array(3).prop_map(GgufValue::Array),
        any::<u64>().prop_map(GgufValue::U64),
        any::<i64>().prop_map(GgufValue::I64),
        any::<u64>().prop_map(|b| GgufValue::F64(f64::from_bits(b))),
    ]
}

fn arb_metadata() -> impl Strategy<Value = Vec<(String, GgufValue)>> {
    (
        prop::collection::vec((arb_string(), arb_value()), 0..8),
        prop::option::of((0usize..8, prop::sample::select(vec![1u32, 8, 32, 64, 128]))),
    )
        .prop_map(|(kvs, align)| {
            // Unique, non-empty keys: prefix each with its index.
            let mut md: Vec<(String, GgufValue)> = kvs
                .into_iter()
                .enumerate()
                .map(|(i, (k, v))| (format!("k{i}.{k}"), v))
                .collect();
            if let Some((pos, a)) = align {
                let pos = pos.min(md.len());
                md.insert(pos, ("general.alignment".into(), GgufValue::U32(a)));
            }
            md
        })
}

/// A tensor list with data: random types and shapes whose rows are whole blocks.
fn arb_tensors() -> impl Strategy<Value = Vec<(TensorInfo, Vec<u8>)>> {
    let types: Vec<GgmlType> = GgmlType::all().collect();
    prop::collection::vec(
        (
            prop::sample::select(types),
            0u64..3,
            prop::collection::vec(0u64..4, 0..4),
            any::<u64>(),
        ),
        0..6,
    )
    .prop_map(|specs| {
        specs
            .into_iter()
            .enumerate()
            .map(|(i, (ty, blocks, rest, seed))| {
                let mut dims = vec![blocks * ty.block_size() as u64];
                dims.extend(rest);
                let info = TensorInfo {
                    name: format!("blk.{i}.weight"),
                    dims,
                    ggml_type: ty,
                    offset: 0,
                };
                let n = info.n_bytes() as usize;
                let data = (0..n)
                    .map(|j| (seed.wrapping_mul(j as u64 + 1) >> 7) as u8)
                    .collect();
                (info, data)
            })
            .collect()
    })
}

fn events(bytes: &[u8], chunk: usize) -> Result<Vec<GgufEvent>, bitsmith_engine::gguf::GgufError> {
    let mut r = GgufStreamReader::new();
    let mut out = Vec::new();
    for c in bytes.chunks(chunk.max(1)) {
        out.extend(r.feed(c)?);
    }
    r.finish()?;
    Ok(out)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn write_parse_round_trip(md in arb_metadata(), tensors in arb_tensors(), chunk in 1usize..200) {
        let input: Vec<(TensorInfo, &[u8])> =
            tensors.iter().map(|(t, d)| (t.clone(), d.as_slice())).collect();
        let bytes = write_gguf(md.clone(), input).unwrap();
        let f = GgufFile::parse(&bytes).unwrap();
        prop_assert_eq!(&f.metadata, &md);
        prop_assert_eq!(f.tensors.len(), tensors.len());
        for (i, (t, d)) in tensors.iter().enumerate() {
            prop_assert_eq!(&f.tensors[i].name, &t.name);
            prop_assert_eq!(&f.tensors[i].dims, &t.dims);
            prop_assert_eq!(f.tensors[i].ggml_type, t.ggml_type);
            prop_assert_eq!(f.tensor_data(&bytes, i).unwrap(), d.as_slice());
        }
        // write(parse(bytes)) == bytes
        let mut w = GgufWriter::from_file(&f).unwrap();
        let mut again = w.header_bytes();
        for i in 0..f.tensors.len() {
            let d = f.tensor_data(&bytes, i).unwrap();
            if !d.is_empty() {
                again.extend(w.encode_tensor(d).unwrap());
            }
        }
        w.finish().unwrap();
        prop_assert_eq!(&again, &bytes);
        // The stream reader agrees with parse for any chunk size.
        let ev = events(&bytes, chunk).unwrap();
        prop_assert_eq!(&ev[0], &GgufEvent::Header(f.clone()));
        prop_assert_eq!(ev.len(), 1 + tensors.len());
        let whole = events(&bytes, bytes.len()).unwrap();
        prop_assert_eq!(&ev, &whole);
        let ones = events(&bytes, 1).unwrap();
        prop_assert_eq!(&ev, &ones);
    }

    #[test]
    fn damaged_files_never_panic_and_what_parses_re_encodes(
        md in arb_metadata(),
        tensors in arb_tensors(),
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        cut in any::<prop::sample::Index>(),
        chunk in 1usize..64,
    ) {
        let input: Vec<(TensorInfo, &[u8])> =
            tensors.iter().map(|(t, d)| (t.clone(), d.as_slice())).collect();
        let mut bytes = write_gguf(md, input).unwrap();
        for (i, v) in flips {
            let i = i.index(bytes.len());
            bytes[i] = v;
        }
        let len = cut.index(bytes.len() + 1);
        for b in [&bytes[..], &bytes[..len]] {
            let parsed = GgufFile::parse(b);
            let streamed = events(b, chunk);
            if let Ok(f) = &parsed {
                // The header re-encodes to the same bytes (except the padding before the data
                // section, which the writer always zeroes) when the file's tensor offsets are
                // the canonical layout; otherwise the writer lays the same tensors out anew.
                let w = GgufWriter::from_file(f).unwrap();
                let canonical = w.tensors().iter().zip(&f.tensors).all(|(a, b)| a.offset == b.offset);
                if canonical {
                    let h = w.header_bytes();
                    let unpadded = h.len().min(b.len());
                    let header_end = h.iter().rposition(|&x| x != 0).map_or(0, |p| p + 1);
                    prop_assert_eq!(&h[..header_end.min(unpadded)], &b[..header_end.min(unpadded)]);
                } else {
                    for (a, t) in w.tensors().iter().zip(&f.tensors) {
                        prop_assert_eq!((&a.name, &a.dims, a.ggml_type), (&t.name, &t.dims, t.ggml_type));
                    }
                }
                // Stream and parse agree on the header.
                if let Ok(ev) = &streamed {
                    prop_assert_eq!(&ev[0], &GgufEvent::Header(f.clone()));
                }
            }
        }
    }

    #[test]
    fn random_bytes_never_panic(data in prop::collection::vec(any::<u8>(), 0..300), chunk in 1usize..40) {
        let mut b = b"GGUF\x03\0\0\0".to_vec();
        b.extend(data);
        let _ = GgufFile::parse(&b);
        let _ = events(&b, chunk);
    }
}
