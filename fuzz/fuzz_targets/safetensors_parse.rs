//! SafetensorsFile::parse and the stream reader on arbitrary bytes: no panics, f32 conversion of
//! every float tensor that parses, and parse/stream agree on what is valid.
#![no_main]

use bitsmith_engine::safetensors::{SafetensorsFile, SafetensorsStreamReader, to_f32};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let parsed = SafetensorsFile::parse(data);
    if let Ok(f) = &parsed {
        for t in &f.tensors {
            let d = f.tensor_data(data, t).expect("parse checked the range");
            if t.dtype.is_float() {
                assert_eq!(to_f32(t.dtype, d).unwrap().len() as u64, t.n_elements());
            }
        }
    }
    let mut r = SafetensorsStreamReader::new(Some(data.len() as u64));
    let mut ok = true;
    for c in data.chunks(7) {
        if r.feed(c).is_err() {
            ok = false;
            break;
        }
    }
    ok = ok && r.finish().is_ok();
    assert_eq!(ok, parsed.is_ok());
});
