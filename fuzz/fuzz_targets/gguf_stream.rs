//! GgufStreamReader fed the input in chunks whose sizes come from the first byte: no panics, and
//! when both succeed the stream's header equals GgufFile::parse's.
#![no_main]

use bitsmith_engine::gguf::{GgufEvent, GgufFile, GgufStreamReader};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let Some((&sel, data)) = input.split_first() else {
        return;
    };
    let chunk = 1 + usize::from(sel % 64);
    let mut r = if sel & 0x80 != 0 {
        GgufStreamReader::with_file_size(data.len() as u64)
    } else {
        GgufStreamReader::new()
    };
    let mut header = None;
    for c in data.chunks(chunk) {
        match r.feed(c) {
            Ok(evs) => {
                for e in evs {
                    if let GgufEvent::Header(h) = e {
                        header = Some(h);
                    }
                }
            }
            Err(_) => return,
        }
    }
    if r.finish().is_ok()
        && let (Some(h), Ok(f)) = (header, GgufFile::parse(data))
    {
        assert_eq!(h, f);
    }
});
