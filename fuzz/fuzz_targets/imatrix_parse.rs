//! Imatrix::parse (legacy .dat and GGUF) on arbitrary bytes: no panics; whatever parses yields
//! importance vectors and writes back in its own format.
#![no_main]

use bitsmith_engine::imatrix::{Imatrix, ImatrixFormat};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = Imatrix::parse(data) {
        let imp = m.importance();
        assert_eq!(imp.len(), m.entries.len());
        if m.format == ImatrixFormat::Legacy {
            let again = Imatrix::parse(&m.write_legacy().expect("legacy data writes as legacy"))
                .expect("written legacy file parses");
            assert_eq!(again.entries.len(), m.entries.len());
        } else {
            let _ = m.write_gguf();
        }
    }
});
