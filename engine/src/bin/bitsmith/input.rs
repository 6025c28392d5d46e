//! Opening model inputs: a GGUF file (only its header is read up front) or a Hugging Face
//! safetensors folder (small JSON files and safetensors headers), and serving tensor bytes to
//! the engine's sans-IO jobs on demand.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use bitsmith_engine::gguf::{GgufEvent, GgufFile, GgufStreamReader};
use bitsmith_engine::hf::{HfOptions, HfParts, model_from_parts};
use bitsmith_engine::model::{ModelDesc, TensorSource};
use bitsmith_engine::pipeline::SourceModel;
use bitsmith_engine::safetensors::SafetensorsFile;

/// An open source model and where its tensors' bytes are.
pub struct Input {
    pub path: PathBuf,
    pub desc: ModelDesc,
    /// Notes from the safetensors mapping (where it may differ from llama.cpp's converter).
    pub warnings: Vec<String>,
    /// Open files by name: "" for a GGUF file, the file name inside the folder otherwise.
    files: BTreeMap<String, File>,
    /// The last safetensors tensor converted to its ggml type (it is read once, whole, because
    /// conversion may permute rows, then served in chunks).
    converted: Option<(usize, Vec<u8>)>,
}

impl Input {
    /// Opens a GGUF file or a safetensors model folder.
    pub fn open(path: &Path) -> Result<Input, String> {
        if path.is_dir() {
            return open_folder(path);
        }
        let (file, _, header) = read_gguf_header(path)?;
        Ok(Input {
            path: path.to_path_buf(),
            desc: ModelDesc::from_gguf(&header),
            warnings: Vec::new(),
            files: BTreeMap::from([(String::new(), file)]),
            converted: None,
        })
    }

    pub fn source_model(&self) -> SourceModel {
        SourceModel::from_desc(&self.desc)
    }

    /// Reads `buf.len()` bytes of tensor `index`'s data (in its ggml type), starting `offset`
    /// bytes into it.
    pub fn read_tensor(&mut self, index: usize, offset: u64, buf: &mut [u8]) -> Result<(), String> {
        let t = self
            .desc
            .tensors
            .get(index)
            .ok_or_else(|| format!("no tensor #{index}"))?;
        let end = offset + buf.len() as u64;
        if end > t.n_bytes() {
            return Err(format!("read past the end of tensor {}", t.name));
        }
        match &t.source {
            TensorSource::Gguf { range } => {
                let at = range.start + offset;
                read_at(&mut self.files, "", &self.path, at, buf)
            }
            TensorSource::Generated { data } => {
                buf.copy_from_slice(&data[offset as usize..end as usize]);
                Ok(())
            }
            TensorSource::Safetensors { file, range, .. } => {
                if self.converted.as_ref().is_none_or(|(i, _)| *i != index) {
                    self.converted = None;
                    let mut raw = vec![0u8; (range.end - range.start) as usize];
                    let file_path = self.path.join(file);
                    read_at(&mut self.files, file, &file_path, range.start, &mut raw)?;
                    let data = self
                        .desc
                        .tensor_bytes(index, &raw)
                        .map_err(|e| format!("{}: {e}", file_path.display()))?;
                    self.converted = Some((index, data));
                }
                let (_, data) = self.converted.as_ref().expect("set above");
                buf.copy_from_slice(&data[offset as usize..end as usize]);
                Ok(())
            }
        }
    }
}

fn read_at(
    files: &mut BTreeMap<String, File>,
    name: &str,
    shown: &Path,
    at: u64,
    buf: &mut [u8],
) -> Result<(), String> {
    let f = files
        .get_mut(name)
        .ok_or_else(|| format!("{}: not opened", shown.display()))?;
    f.seek(SeekFrom::Start(at))
        .and_then(|_| f.read_exact(buf))
        .map_err(|e| format!("{}: {e}", shown.display()))
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

/// Maps a Hugging Face folder (config.json, tokenizer files, *.safetensors) the way llama.cpp's
/// `convert_hf_to_gguf.py` would, reading only the JSON files and the safetensors headers.
fn open_folder(dir: &Path) -> Result<Input, String> {
    let shown = dir.display();
    let read_text = |name: &str| -> Result<Option<String>, String> {
        let p = dir.join(name);
        if !p.is_file() {
            return Ok(None);
        }
        std::fs::read_to_string(&p)
            .map(Some)
            .map_err(|e| format!("{}: {e}", p.display()))
    };
    let config = read_text("config.json")?
        .ok_or_else(|| format!("{shown}: no config.json (not a Hugging Face model folder)"))?;
    let tokenizer = read_text("tokenizer.json")?;
    let tokenizer_config = read_text("tokenizer_config.json")?;
    let template_jinja = read_text("chat_template.jinja")?;
    let template_json = read_text("chat_template.json")?;
    let index = read_text("model.safetensors.index.json")?;

    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map_err(|e| format!("{shown}: {e}"))?
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.ends_with(".safetensors"))
        .collect();
    names.sort();
    let mut files = BTreeMap::new();
    let mut headers = Vec::new();
    for name in names {
        let p = dir.join(&name);
        let (file, header) = read_safetensors_header(&p)?;
        files.insert(name.clone(), file);
        headers.push((name, header));
    }
    let parts = HfParts {
        config_json: &config,
        tokenizer_json: tokenizer.as_deref(),
        tokenizer_config_json: tokenizer_config.as_deref(),
        chat_template_jinja: template_jinja.as_deref(),
        chat_template_json: template_json.as_deref(),
        index_json: index.as_deref(),
        has_tokenizer_model: dir.join("tokenizer.model").is_file(),
        safetensors: headers,
    };
    let model =
        model_from_parts(&parts, &HfOptions::default()).map_err(|e| format!("{shown}: {e}"))?;
    Ok(Input {
        path: dir.to_path_buf(),
        desc: model.model,
        warnings: model.warnings,
        files,
        converted: None,
    })
}

/// Reads just the header of a safetensors file (8-byte length, then the JSON).
fn read_safetensors_header(path: &Path) -> Result<(File, SafetensorsFile), String> {
    let shown = path.display();
    let mut file = File::open(path).map_err(|e| format!("{shown}: {e}"))?;
    let len = file.metadata().map_err(|e| format!("{shown}: {e}"))?.len();
    let mut prefix = Vec::new();
    loop {
        match SafetensorsFile::parse_prefix(&prefix, Some(len))
            .map_err(|e| format!("{shown}: {e}"))?
        {
            Ok(header) => return Ok((file, header)),
            Err(needed) => {
                if needed > len || needed as usize <= prefix.len() {
                    return Err(format!("{shown}: truncated safetensors header"));
                }
                prefix.resize(needed as usize, 0);
                file.seek(SeekFrom::Start(0))
                    .and_then(|_| file.read_exact(&mut prefix))
                    .map_err(|e| format!("{shown}: {e}"))?;
            }
        }
    }
}
