//! Property tests for the safetensors reader: random tensor sets written with an independent
//! writer (here, following the format description) parse back identically, whole and streamed;
//! damaged files never panic.
// Test code: proptest strategies have long types by nature.
#![allow(clippy::type_complexity, clippy::manual_is_multiple_of)]

use bitsmith_engine::safetensors::{
    SafeDtype, SafetensorsEvent, SafetensorsFile, SafetensorsStreamReader, to_f32,
};
use proptest::prelude::*;

const DTYPES: &[SafeDtype] = &[
    SafeDtype::F32,
    SafeDtype::F16,
    SafeDtype::BF16,
    SafeDtype::F64,
    SafeDtype::I8,
    SafeDtype::U8,
    SafeDtype::I32,
    SafeDtype::I64,
    SafeDtype::BOOL,
];

/// (name, dtype, shape, data); data order is shuffled relative to names by `perm_seed`.
type Spec = (String, SafeDtype, Vec<u64>, Vec<u8>);

fn arb_specs() -> impl Strategy<Value = (Vec<Spec>, u64, Option<Vec<(String, String)>>)> {
    (
        prop::collection::vec(
            (
                prop::sample::select(DTYPES.to_vec()),
                prop::collection::vec(0u64..5, 0..4),
                any::<u8>(),
            ),
            0..6,
        ),
        any::<u64>(),
        prop::option::of(
            prop::collection::btree_map("[a-z]{1,5}", "[ -~]{0,8}", 0..3)
                .prop_map(|m| m.into_iter().collect::<Vec<_>>()),
        ),
    )
        .prop_map(|(v, seed, meta)| {
            let specs = v
                .into_iter()
                .enumerate()
                .map(|(i, (dt, shape, fill))| {
                    let n = shape.iter().product::<u64>() * dt.size();
                    let data = (0..n).map(|j| fill.wrapping_add(j as u8)).collect();
                    (format!("w.{i}"), dt, shape, data)
                })
                .collect();
            (specs, seed, meta)
        })
}

/// Writes a safetensors file: data in a shuffled order, header JSON with escaped strings and
/// trailing-space padding to a multiple of 8 as the reference writer pads it.
fn write(specs: &[Spec], seed: u64, meta: &Option<Vec<(String, String)>>) -> Vec<u8> {
    let mut order: Vec<usize> = (0..specs.len()).collect();
    let mut s = seed;
    for i in (1..order.len()).rev() {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        order.swap(i, (s >> 33) as usize % (i + 1));
    }
    let mut off = 0u64;
    let mut entries = serde_json::Map::new();
    let mut data = Vec::new();
    for &i in &order {
        let (name, dt, shape, d) = &specs[i];
        entries.insert(
            name.clone(),
            serde_json::json!({"dtype": dt.name(), "shape": shape, "data_offsets": [off, off + d.len() as u64]}),
        );
        off += d.len() as u64;
        data.extend_from_slice(d);
    }
    if let Some(m) = meta {
        let mm: serde_json::Map<String, serde_json::Value> = m
            .iter()
            .map(|(k, v)| (k.clone(), v.clone().into()))
            .collect();
        entries.insert("__metadata__".into(), mm.into());
    }
    let mut h = serde_json::to_vec(&serde_json::Value::Object(entries)).unwrap();
    while h.len() % 8 != 0 {
        h.push(b' ');
    }
    let mut out = (h.len() as u64).to_le_bytes().to_vec();
    out.extend(h);
    out.extend(data);
    out
}

fn stream(b: &[u8], chunk: usize, known: bool) -> Result<Vec<SafetensorsEvent>, String> {
    let mut r = SafetensorsStreamReader::new(known.then_some(b.len() as u64));
    let mut out = Vec::new();
    for c in b.chunks(chunk.max(1)) {
        out.extend(r.feed(c).map_err(|e| e.to_string())?);
    }
    r.finish().map_err(|e| e.to_string())?;
    Ok(out)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn write_parse_round_trip((specs, seed, meta) in arb_specs(), chunk in 1usize..100) {
        let bytes = write(&specs, seed, &meta);
        let f = SafetensorsFile::parse(&bytes).unwrap();
        prop_assert_eq!(f.tensors.len(), specs.len());
        for (name, dt, shape, d) in &specs {
            let t = f.tensor(name).unwrap();
            prop_assert_eq!(t.dtype, *dt);
            prop_assert_eq!(&t.shape, shape);
            prop_assert_eq!(f.tensor_data(&bytes, t).unwrap(), d.as_slice());
            if dt.is_float() {
                prop_assert_eq!(to_f32(*dt, d).unwrap().len() as u64, shape.iter().product::<u64>());
            }
        }
        let mut want_meta = meta.clone().unwrap_or_default();
        want_meta.sort();
        prop_assert_eq!(&f.metadata, &want_meta);
        for known in [false, true] {
            let ev = stream(&bytes, chunk, known).unwrap();
            prop_assert_eq!(&ev[0], &SafetensorsEvent::Header(f.clone()));
            prop_assert_eq!(ev.len(), 1 + specs.len());
            for e in &ev[1..] {
                let SafetensorsEvent::Tensor { index, data } = e else { panic!() };
                prop_assert_eq!(data.as_slice(), f.tensor_data(&bytes, &f.tensors[*index]).unwrap());
            }
            prop_assert_eq!(&ev, &stream(&bytes, 1, known).unwrap());
        }
    }

    #[test]
    fn damaged_files_never_panic(
        (specs, seed, meta) in arb_specs(),
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        cut in any::<prop::sample::Index>(),
        chunk in 1usize..50,
    ) {
        let mut bytes = write(&specs, seed, &meta);
        for (i, v) in flips {
            let i = i.index(bytes.len());
            bytes[i] = v;
        }
        let len = cut.index(bytes.len() + 1);
        for b in [&bytes[..], &bytes[..len]] {
            let parsed = SafetensorsFile::parse(b);
            let streamed = stream(b, chunk, true);
            // Whole-file parse and a stream with the length known accept the same files.
            prop_assert_eq!(parsed.is_ok(), streamed.is_ok());
            let _ = stream(b, chunk, false);
        }
    }
}
