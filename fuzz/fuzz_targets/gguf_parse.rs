//! GgufFile::parse on arbitrary bytes: errors are fine, panics are not; whatever parses must
//! re-encode (header and tensor data) through the writer without error.
#![no_main]

use bitsmith_engine::gguf::{GgufFile, GgufWriter};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(f) = GgufFile::parse(data) {
        let mut w = GgufWriter::from_file(&f).expect("a parsed header is writable");
        let _ = w.header_bytes();
        for i in 0..f.tensors.len() {
            let d = f.tensor_data(data, i).expect("parse checked the range");
            if !d.is_empty() {
                w.encode_tensor(d).expect("sizes match");
            }
        }
        w.finish().expect("every tensor written");
    }
});
