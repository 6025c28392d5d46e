//! Opening model inputs: reads just the GGUF header (not the whole file) and serves byte ranges
//! of tensors to the engine's sans-IO jobs.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use bitsmith_engine::gguf::{GgufEvent, GgufFile, GgufStreamReader};
use bitsmith_engine::pipeline::SourceModel;

/// An open source model and where its tensors' bytes are.
pub struct Input {
    pub path: PathBuf,
    pub header: GgufFile,
    file: File,
}

impl Input {
    /// Opens `path`: a GGUF file (a directory is refused with a clear message until the
    /// safetensors reader is wired in).
    pub fn open(path: &Path) -> Result<Input, String> {
        if path.is_dir() {
            return Err(format!(
                "{}: is a directory; safetensors model folders are not supported by this build yet",
                path.display()
            ));
        }
        let (file, _, header) = read_gguf_header(path)?;
        Ok(Input {
            path: path.to_path_buf(),
            header,
            file,
        })
    }

    pub fn source_model(&self) -> SourceModel {
        SourceModel::from_gguf(&self.header)
    }

    /// Reads `buf.len()` bytes of tensor `index`'s data, starting `offset` bytes into it.
    pub fn read_tensor(&mut self, index: usize, offset: u64, buf: &mut [u8]) -> Result<(), String> {
        let range = self
            .header
            .tensor_range(index)
            .ok_or_else(|| format!("no tensor #{index}"))?;
        let at = range.start + offset;
        if at + buf.len() as u64 > range.end {
            return Err(format!("read past the end of tensor #{index}"));
        }
        self.file
            .seek(SeekFrom::Start(at))
            .and_then(|_| self.file.read_exact(buf))
            .map_err(|e| format!("{}: {e}", self.path.display()))
    }
}

/// Reads a GGUF header by feeding the engine's push parser 1 MiB at a time until it has the
/// header: a multi-gigabyte model is never read whole just to be inspected.
pub fn read_gguf_header(path: &Path) -> Result<(File, u64, GgufFile), String> {
    let shown = path.display();
    let mut file = File::open(path).map_err(|e| format!("{shown}: {e}"))?;
    let size = file.metadata().map_err(|e| format!("{shown}: {e}"))?.len();
    let mut reader = GgufStreamReader::with_file_size(size);
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf).map_err(|e| format!("{shown}: {e}"))?;
        if n == 0 {
            // End of file before the header completed: let the parser say what is missing.
            reader.finish().map_err(|e| format!("{shown}: {e}"))?;
            return Err(format!("{shown}: no GGUF header found"));
        }
        let events = reader
            .feed(&buf[..n])
            .map_err(|e| format!("{shown}: {e}"))?;
        for ev in events {
            if let GgufEvent::Header(header) = ev {
                return Ok((file, size, header));
            }
        }
    }
}
