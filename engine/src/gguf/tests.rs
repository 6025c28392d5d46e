//! Unit tests: hand-built files (independent of the writer) for every error, plus round trips.

use super::*;

/// Builds GGUF bytes by hand so tests do not depend on the writer being right.
#[derive(Default)]
struct Raw(Vec<u8>);

impl Raw {
    fn header(version: u32, n_tensors: u64, n_kv: u64) -> Raw {
        let mut r = Raw::default();
        r.0.extend_from_slice(b"GGUF");
        r.u32(version).u64(n_tensors).u64(n_kv);
        r
    }
    fn u8(&mut self, v: u8) -> &mut Self {
        self.0.push(v);
        self
    }
    fn u32(&mut self, v: u32) -> &mut Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    fn u64(&mut self, v: u64) -> &mut Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    fn str(&mut self, s: &str) -> &mut Self {
        self.bytes_str(s.as_bytes())
    }
    fn bytes_str(&mut self, s: &[u8]) -> &mut Self {
        self.u64(s.len() as u64);
        self.0.extend_from_slice(s);
        self
    }
    fn kv_u32(&mut self, k: &str, v: u32) -> &mut Self {
        self.str(k).u32(4).u32(v)
    }
    fn tensor(&mut self, name: &str, dims: &[u64], ty: u32, offset: u64) -> &mut Self {
        self.str(name).u32(dims.len() as u32);
        for &d in dims {
            self.u64(d);
        }
        self.u32(ty).u64(offset)
    }
    fn pad_to(&mut self, align: usize) -> &mut Self {
        while !self.0.len().is_multiple_of(align) {
            self.0.push(0);
        }
        self
    }
    fn zeros(&mut self, n: usize) -> &mut Self {
        self.0.resize(self.0.len() + n, 0);
        self
    }
}

fn err(bytes: &[u8]) -> GgufError {
    GgufFile::parse(bytes).expect_err("should fail")
}

/// Feeds `bytes` in chunks of `size` and collects all events, or the first error.
fn stream(bytes: &[u8], size: usize, known_size: bool) -> Result<Vec<GgufEvent>, GgufError> {
    let mut r = if known_size {
        GgufStreamReader::with_file_size(bytes.len() as u64)
    } else {
        GgufStreamReader::new()
    };
    let mut out = Vec::new();
    for c in bytes.chunks(size.max(1)) {
        out.extend(r.feed(c)?);
    }
    if bytes.is_empty() {
        out.extend(r.feed(&[])?);
    }
    r.finish()?;
    Ok(out)
}

fn sample_file() -> Vec<u8> {
    let mut r = Raw::header(3, 3, 3);
    r.str("general.architecture").u32(8).str("llama");
    r.kv_u32("llama.block_count", 2);
    // array of arrays: [[1u8, 2u8], ["a"]]
    r.str("test.nested").u32(9).u32(9).u64(2);
    r.u32(0).u64(2).u8(1).u8(2);
    r.u32(8).u64(1).str("a");
    // f32 [4, 2]: 32 bytes; q8_0 [32]: 34 bytes padded to 64; f16 [3]: 6 bytes
    r.tensor("a", &[4, 2], 0, 0);
    r.tensor("b", &[32], 8, 32);
    r.tensor("c", &[3], 1, 96);
    r.pad_to(32);
    for i in 0..32u8 {
        r.u8(i);
    }
    for i in 0..34u8 {
        r.u8(100 + i);
    }
    r.zeros(30);
    r.0.extend_from_slice(&[7, 7, 8, 8, 9, 9]);
    r.zeros(26);
    r.0
}

#[test]
fn parses_a_hand_built_file() {
    let bytes = sample_file();
    let f = GgufFile::parse(&bytes).unwrap();
    assert_eq!(f.version, 3);
    assert_eq!(f.alignment, 32);
    assert_eq!(f.architecture(), Some("llama"));
    assert_eq!(f.get("llama.block_count"), Some(&GgufValue::U32(2)));
    assert_eq!(
        f.get("test.nested"),
        Some(&GgufValue::Array(GgufArray::Array(vec![
            GgufArray::U8(vec![1, 2]),
            GgufArray::String(vec!["a".into()]),
        ])))
    );
    assert_eq!(f.tensors.len(), 3);
    assert_eq!(f.tensors[1].ggml_type, GgmlType::Q8_0);
    assert_eq!(f.tensors[1].n_bytes(), 34);
    assert_eq!(f.data_offset % 32, 0);
    assert_eq!(
        f.tensor_data(&bytes, 0).unwrap(),
        &(0..32).collect::<Vec<u8>>()[..]
    );
    assert_eq!(f.tensor_data(&bytes, 2).unwrap(), &[7, 7, 8, 8, 9, 9]);
}

#[test]
fn hand_built_file_round_trips_byte_for_byte() {
    let bytes = sample_file();
    let f = GgufFile::parse(&bytes).unwrap();
    let mut w = GgufWriter::from_file(&f).unwrap();
    assert_eq!(w.data_offset(), f.data_offset);
    let mut out = w.header_bytes();
    for i in 0..f.tensors.len() {
        out.extend(w.encode_tensor(f.tensor_data(&bytes, i).unwrap()).unwrap());
    }
    w.finish().unwrap();
    assert_eq!(out, bytes);
    assert_eq!(w.total_size(), bytes.len() as u64);
}

#[test]
fn stream_matches_parse_for_every_chunk_size() {
    let bytes = sample_file();
    let f = GgufFile::parse(&bytes).unwrap();
    let mut expect = vec![GgufEvent::Header(f.clone())];
    for i in 0..3 {
        expect.push(GgufEvent::Tensor {
            index: i,
            data: f.tensor_data(&bytes, i).unwrap().to_vec(),
        });
    }
    for size in [1, 2, 3, 7, 13, 64, 4096, bytes.len()] {
        for known in [false, true] {
            assert_eq!(stream(&bytes, size, known).unwrap(), expect, "chunk {size}");
        }
    }
}

#[test]
fn stream_reports_truncation_at_finish() {
    let bytes = sample_file();
    // Cut inside the header, and inside the last tensor.
    for cut in [3, 30, 100, bytes.len() - 30] {
        let e = stream(&bytes[..cut], 5, false).unwrap_err();
        assert!(matches!(e, GgufError::Truncated { .. }), "{cut}: {e:?}");
    }
    // Dropping only the final padding is fine: every tensor is complete.
    assert!(stream(&bytes[..bytes.len() - 26], 5, false).is_ok());
}

#[test]
fn stream_delivers_tensors_in_data_order() {
    // Tensor infos list "late" first but its data comes second.
    let mut r = Raw::header(3, 2, 0);
    r.tensor("late", &[4], 0, 32);
    r.tensor("early", &[4], 0, 0);
    r.pad_to(32);
    r.0.extend_from_slice(&[1; 16]);
    r.zeros(16);
    r.0.extend_from_slice(&[2; 16]);
    let ev = stream(&r.0, 3, false).unwrap();
    let idx: Vec<usize> = ev
        .iter()
        .filter_map(|e| match e {
            GgufEvent::Tensor { index, .. } => Some(*index),
            _ => None,
        })
        .collect();
    assert_eq!(idx, vec![1, 0]);
    assert_eq!(
        ev[1],
        GgufEvent::Tensor {
            index: 1,
            data: vec![1; 16]
        }
    );
}

#[test]
fn empty_file_without_tensors() {
    let r = Raw::header(3, 0, 0);
    let f = GgufFile::parse(&r.0).unwrap();
    assert_eq!(f.data_offset, 32);
    assert!(f.tensors.is_empty());
    // Writers always pad the header.
    let w = GgufWriter::from_file(&f).unwrap();
    assert_eq!(w.header_bytes().len(), 32);
    assert_eq!(&w.header_bytes()[..24], &r.0[..]);
    assert_eq!(stream(&r.0, 1, false).unwrap(), vec![GgufEvent::Header(f)]);
}

#[test]
fn version_2_is_read_and_kept() {
    let mut r = Raw::header(2, 0, 1);
    r.kv_u32("x", 1);
    let f = GgufFile::parse(&r.0).unwrap();
    assert_eq!(f.version, 2);
    assert_eq!(
        &GgufWriter::from_file(&f).unwrap().header_bytes()[..r.0.len()],
        &r.0[..]
    );
}

#[test]
fn custom_alignment_is_honoured() {
    let mut r = Raw::header(3, 2, 1);
    r.kv_u32("general.alignment", 64);
    r.tensor("a", &[2], 0, 0);
    r.tensor("b", &[2], 0, 64);
    r.pad_to(64).zeros(64 + 8);
    let f = GgufFile::parse(&r.0).unwrap();
    assert_eq!(f.alignment, 64);
    assert_eq!(f.data_offset % 64, 0);
    let w = GgufWriter::from_file(&f).unwrap();
    assert_eq!(w.tensors()[1].offset, 64);
    assert_eq!(w.header_bytes(), r.0[..f.data_offset as usize]);
}

// ---- malformed input: one test per error ----

#[test]
fn bad_magic() {
    assert_eq!(err(b"GGML\x03\0\0\0"), GgufError::BadMagic(*b"GGML"));
    // The stream notices as soon as 4 bytes are in.
    let mut r = GgufStreamReader::new();
    assert!(matches!(r.feed(b"GGJT"), Err(GgufError::BadMagic(_))));
    // And keeps refusing.
    assert!(r.feed(b"more").is_err());
}

#[test]
fn truncated_everywhere() {
    let bytes = sample_file();
    // Every prefix that ends before the last tensor's data is an error, never a panic.
    let last_end = bytes.len() - 26;
    for cut in 0..last_end {
        let e = err(&bytes[..cut]);
        assert!(
            matches!(
                e,
                GgufError::Truncated { .. }
                    | GgufError::CountTooLarge { .. }
                    | GgufError::TensorPastEnd { .. }
            ),
            "cut {cut}: {e:?}"
        );
    }
}

#[test]
fn unsupported_versions() {
    for v in [0, 1, 4, 0x0300_0000] {
        assert_eq!(
            err(&Raw::header(v, 0, 0).0),
            GgufError::UnsupportedVersion(v)
        );
    }
}

#[test]
fn absurd_kv_count() {
    let e = err(&Raw::header(3, 0, 1 << 60).0);
    assert!(matches!(e, GgufError::CountTooLarge { count, .. } if count == 1 << 60));
    // Negative as int64 (llama.cpp's view).
    assert!(matches!(
        err(&Raw::header(3, 0, u64::MAX).0),
        GgufError::CountTooLarge { .. }
    ));
    // Without a known length the stream cannot judge the count; it must not allocate for it,
    // and reports truncation at the end.
    assert!(matches!(
        stream(&Raw::header(3, 0, 1 << 60).0, 1, false),
        Err(GgufError::Truncated { .. })
    ));
}

#[test]
fn absurd_tensor_count() {
    let e = err(&Raw::header(3, 1 << 60, 0).0);
    assert!(matches!(e, GgufError::CountTooLarge { .. }));
}

#[test]
fn absurd_string_length() {
    let mut r = Raw::header(3, 0, 1);
    r.u64(1 << 60).zeros(20);
    assert!(matches!(
        err(&r.0),
        GgufError::CountTooLarge {
            what: "string length",
            ..
        }
    ));
    let mut r = Raw::header(3, 0, 1);
    r.str("k").u32(8).u64(u64::MAX);
    assert!(matches!(err(&r.0), GgufError::CountTooLarge { .. }));
    assert!(matches!(
        stream(&r.0, 1, false),
        Err(GgufError::Truncated { .. })
    ));
}

#[test]
fn absurd_array_length() {
    let mut r = Raw::header(3, 0, 1);
    r.str("k").u32(9).u32(8).u64(1 << 60).zeros(64);
    assert!(matches!(
        err(&r.0),
        GgufError::CountTooLarge {
            what: "array length",
            ..
        }
    ));
    // Nested array with an absurd inner count.
    let mut r = Raw::header(3, 0, 1);
    r.str("k")
        .u32(9)
        .u32(9)
        .u64(1)
        .u32(6)
        .u64(u64::MAX / 2)
        .zeros(64);
    assert!(matches!(err(&r.0), GgufError::CountTooLarge { .. }));
}

#[test]
fn unknown_value_types() {
    let mut r = Raw::header(3, 0, 1);
    r.str("k").u32(13).u32(0);
    assert!(matches!(
        err(&r.0),
        GgufError::UnknownValueType { id: 13, .. }
    ));
    let mut r = Raw::header(3, 0, 1);
    r.str("k").u32(9).u32(99).u64(0);
    assert!(matches!(
        err(&r.0),
        GgufError::UnknownValueType { id: 99, .. }
    ));
}

#[test]
fn invalid_bool() {
    let mut r = Raw::header(3, 0, 1);
    r.str("k").u32(7).u8(2);
    assert!(matches!(err(&r.0), GgufError::InvalidBool { byte: 2, .. }));
    let mut r = Raw::header(3, 0, 1);
    r.str("k").u32(9).u32(7).u64(3).u8(1).u8(0).u8(9);
    assert!(matches!(err(&r.0), GgufError::InvalidBool { byte: 9, .. }));
}

#[test]
fn bad_utf8_in_key_value_and_tensor_name() {
    let mut r = Raw::header(3, 0, 1);
    r.bytes_str(&[0xff, 0xfe]).u32(4).u32(0);
    assert!(matches!(err(&r.0), GgufError::BadUtf8 { .. }));
    let mut r = Raw::header(3, 0, 1);
    r.str("k").u32(8).bytes_str(&[b'a', 0xc3]);
    assert!(matches!(err(&r.0), GgufError::BadUtf8 { .. }));
    let mut r = Raw::header(3, 1, 0);
    r.bytes_str(&[0x80]).u32(1).u64(1).u32(0).u64(0);
    r.pad_to(32).zeros(32);
    assert!(matches!(err(&r.0), GgufError::BadUtf8 { .. }));
}

#[test]
fn empty_and_duplicate_keys() {
    let mut r = Raw::header(3, 0, 1);
    r.kv_u32("", 1);
    assert!(matches!(err(&r.0), GgufError::EmptyKey { .. }));
    let mut r = Raw::header(3, 0, 2);
    r.kv_u32("a", 1).kv_u32("a", 2);
    assert_eq!(err(&r.0), GgufError::DuplicateKey("a".into()));
}

#[test]
fn arrays_nested_too_deep() {
    let depth = MAX_ARRAY_DEPTH + 1;
    let mut r = Raw::header(3, 0, 1);
    r.str("k").u32(9);
    for _ in 0..depth - 1 {
        r.u32(9).u64(1);
    }
    r.u32(0).u64(0);
    assert!(matches!(err(&r.0), GgufError::ArrayTooDeep { .. }));
    // Exactly at the limit is fine.
    let mut r = Raw::header(3, 0, 1);
    r.str("k").u32(9);
    for _ in 0..MAX_ARRAY_DEPTH - 1 {
        r.u32(9).u64(1);
    }
    r.u32(0).u64(0);
    let f = GgufFile::parse(&r.0).unwrap();
    assert_eq!(f.metadata[0].1.as_array().unwrap().depth(), MAX_ARRAY_DEPTH);
}

#[test]
fn bad_alignment() {
    let mut r = Raw::header(3, 0, 1);
    r.kv_u32("general.alignment", 48);
    assert_eq!(err(&r.0), GgufError::AlignmentNotPowerOfTwo(48));
    let mut r = Raw::header(3, 0, 1);
    r.kv_u32("general.alignment", 0);
    assert_eq!(err(&r.0), GgufError::AlignmentNotPowerOfTwo(0));
    let mut r = Raw::header(3, 0, 1);
    r.str("general.alignment").u32(10).u64(32);
    assert_eq!(err(&r.0), GgufError::AlignmentType(GgufValueType::U64));
}

#[test]
fn duplicate_tensor_names() {
    let mut r = Raw::header(3, 2, 0);
    r.tensor("t", &[1], 0, 0).tensor("t", &[1], 0, 32);
    r.pad_to(32).zeros(64);
    assert_eq!(err(&r.0), GgufError::DuplicateTensor("t".into()));
}

#[test]
fn too_many_dims() {
    let mut r = Raw::header(3, 1, 0);
    r.tensor("t", &[1, 1, 1, 1, 1], 0, 0).pad_to(32).zeros(32);
    assert!(matches!(
        err(&r.0),
        GgufError::TooManyDims { n_dims: 5, .. }
    ));
    let mut r = Raw::header(3, 1, 0);
    r.str("t").u32(u32::MAX).zeros(32);
    assert!(matches!(err(&r.0), GgufError::TooManyDims { .. }));
}

#[test]
fn absurd_dims_and_overflowing_element_counts() {
    let mut r = Raw::header(3, 1, 0);
    r.tensor("t", &[1 << 63], 0, 0).pad_to(32);
    assert!(matches!(err(&r.0), GgufError::DimTooLarge { .. }));
    let mut r = Raw::header(3, 1, 0);
    r.tensor("t", &[1 << 32, 1 << 32], 0, 0).pad_to(32);
    assert!(matches!(err(&r.0), GgufError::ElementCountOverflow { .. }));
    // Representable element count but the data would be far past the end.
    let mut r = Raw::header(3, 1, 0);
    r.tensor("t", &[1 << 20, 1 << 20], 0, 0)
        .pad_to(32)
        .zeros(64);
    assert!(matches!(err(&r.0), GgufError::TensorPastEnd { .. }));
    // Same through a stream with a known size: refused at the header, nothing allocated.
    assert!(matches!(
        stream(&r.0, 7, true),
        Err(GgufError::TensorPastEnd { .. })
    ));
}

#[test]
fn unknown_tensor_type() {
    for id in [4, 31, 40, u32::MAX] {
        let mut r = Raw::header(3, 1, 0);
        r.tensor("t", &[32], id, 0).pad_to(32).zeros(64);
        assert!(
            matches!(err(&r.0), GgufError::UnknownTensorType { id: i, .. } if i == id),
            "{id}"
        );
    }
}

#[test]
fn partial_block() {
    let mut r = Raw::header(3, 1, 0);
    r.tensor("t", &[33], 2, 0).pad_to(32).zeros(64);
    assert!(matches!(err(&r.0), GgufError::PartialBlock { ne0: 33, .. }));
}

#[test]
fn misaligned_offset() {
    let mut r = Raw::header(3, 2, 0);
    r.tensor("a", &[1], 0, 0).tensor("b", &[1], 0, 4);
    r.pad_to(32).zeros(64);
    assert!(matches!(
        err(&r.0),
        GgufError::MisalignedOffset { offset: 4, .. }
    ));
}

#[test]
fn offset_past_end() {
    let mut r = Raw::header(3, 1, 0);
    r.tensor("t", &[8], 0, 1 << 40).pad_to(32).zeros(32);
    assert!(matches!(err(&r.0), GgufError::TensorPastEnd { .. }));
    let mut r = Raw::header(3, 1, 0);
    r.tensor("t", &[8], 0, !31).pad_to(32).zeros(32);
    assert!(matches!(err(&r.0), GgufError::TensorPastEnd { .. }));
    // Data one byte short.
    let mut r = Raw::header(3, 1, 0);
    r.tensor("t", &[8], 0, 0).pad_to(32).zeros(31);
    assert!(matches!(err(&r.0), GgufError::TensorPastEnd { .. }));
}

#[test]
fn overlapping_tensors() {
    let mut r = Raw::header(3, 2, 0);
    r.tensor("a", &[16], 0, 0).tensor("b", &[16], 0, 32);
    r.pad_to(32).zeros(128);
    assert!(matches!(
        err(&r.0),
        GgufError::OverlappingTensors { first, second } if first == "a" && second == "b"
    ));
    // Zero-size tensors overlap nothing.
    let mut r = Raw::header(3, 2, 0);
    r.tensor("a", &[4], 0, 0).tensor("b", &[0, 4], 0, 0);
    r.pad_to(32).zeros(32);
    let f = GgufFile::parse(&r.0).unwrap();
    assert_eq!(f.tensors[1].n_bytes(), 0);
    assert_eq!(stream(&r.0, 1, false).unwrap().len(), 3);
}

#[test]
fn stream_refuses_more_bytes_than_declared_size() {
    let bytes = sample_file();
    let mut r = GgufStreamReader::with_file_size(10);
    assert!(r.feed(&bytes[..10]).is_ok());
    assert_eq!(r.feed(&bytes[10..11]), Err(GgufError::UnexpectedData));
}

// ---- writer ----

#[test]
fn writer_validates_and_streams() {
    let t = |name: &str, dims: Vec<u64>, ty| TensorInfo {
        name: name.into(),
        dims,
        ggml_type: ty,
        offset: 999,
    };
    assert!(matches!(
        GgufWriter::new(vec![("".into(), 1u32.into())], vec![]),
        Err(GgufError::EmptyKey { .. })
    ));
    assert!(matches!(
        GgufWriter::new(
            vec![("a".into(), 1u32.into()), ("a".into(), 2u32.into())],
            vec![]
        ),
        Err(GgufError::DuplicateKey(_))
    ));
    assert!(matches!(
        GgufWriter::new(vec![("general.alignment".into(), 3u32.into())], vec![]),
        Err(GgufError::AlignmentNotPowerOfTwo(3))
    ));
    assert!(matches!(
        GgufWriter::new(vec![], vec![t("x", vec![1, 1, 1, 1, 1], GgmlType::F32)]),
        Err(GgufError::TooManyDims { .. })
    ));
    assert!(matches!(
        GgufWriter::new(vec![], vec![t("x", vec![31], GgmlType::Q4_0)]),
        Err(GgufError::PartialBlock { .. })
    ));

    let mut w = GgufWriter::new(
        vec![("general.architecture".into(), "llama".into())],
        vec![
            t("a", vec![3], GgmlType::F32),
            t("z", vec![0], GgmlType::F32),
            t("b", vec![32], GgmlType::Q4_0),
        ],
    )
    .unwrap();
    assert_eq!(
        w.tensors().iter().map(|t| t.offset).collect::<Vec<_>>(),
        vec![0, 32, 32]
    );
    let mut out = w.header_bytes();
    // Tensor a in two chunks.
    assert_eq!(w.push_data(&[1; 5]).unwrap(), 0);
    out.extend([1; 5]);
    let pad = w.push_data(&[2; 7]).unwrap();
    assert_eq!(pad, 20);
    out.extend([2; 7]);
    out.resize(out.len() + pad, 0);
    // The empty tensor is skipped; b is next.
    assert_eq!(w.next_tensor().unwrap().name, "b");
    assert!(matches!(
        w.finish(),
        Err(GgufError::MissingTensorData { .. })
    ));
    assert!(matches!(
        w.push_data(&[0; 19]),
        Err(GgufError::DataSizeMismatch { .. })
    ));
    out.extend(w.encode_tensor(&[3; 18]).unwrap());
    w.finish().unwrap();
    assert_eq!(w.push_data(&[1]), Err(GgufError::UnexpectedData));
    assert_eq!(out.len() as u64, w.total_size());

    let f = GgufFile::parse(&out).unwrap();
    assert_eq!(f.tensors.len(), 3);
    assert_eq!(f.tensor_data(&out, 0).unwrap()[..5], [1; 5]);
    assert_eq!(f.tensor_data(&out, 2).unwrap(), &[3; 18]);
}
