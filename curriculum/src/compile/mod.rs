//! The content compiler and linter (feature `compile`; build time only).
//!
//! Input layout (see `content/README.md`):
//!
//! ```text
//! content/
//!   weights/manifest.json, weights/*.f16, weights/measurements.json
//!   figures/*.svg                     shared by every language
//!   <lang>/tracks.toml                tracks and skills
//!   <lang>/<track>/<NN>-<id>.md       one lesson: +++ TOML front matter +++, then Markdown
//! ```
//!
//! [`compile`] checks everything (the lint) and returns either the compiled catalog, bundles and
//! search index of every language, or every problem found, each with file and line.

mod blocks;
mod markdown;
mod measurements;
mod svg;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

pub use blocks::{KV_TYPES, MODEL_PRESETS, WIDGET_GGML_TYPES, model_preset};
pub use markdown::slug;

use crate::{
    Block, Catalog, FORMAT_VERSION, Heading, LessonBundle, LessonMeta, Level, Posting, SearchIndex,
    SearchTerm, Skill, Source, Track, WeightSlice, WidgetKind, fnv1a_hex, tokenize,
};
use markdown::{LinkRef, Piece, SpecialKind};
use measurements::{Manifest, Measurements};

/// The content tree held in memory: relative path (with `/`) → bytes. Tests build one from
/// string snippets; the binary reads a directory.
#[derive(Clone, Debug, Default)]
pub struct ContentFiles {
    pub files: BTreeMap<String, Vec<u8>>,
}

impl ContentFiles {
    pub fn from_dir(dir: &Path) -> Result<Self, CompileError> {
        let mut files = BTreeMap::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            let entries = std::fs::read_dir(&d).map_err(|source| CompileError::Io {
                path: d.clone(),
                source,
            })?;
            for entry in entries {
                let entry = entry.map_err(|source| CompileError::Io {
                    path: d.clone(),
                    source,
                })?;
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else {
                    let rel = path
                        .strip_prefix(dir)
                        .expect("walked below dir")
                        .components()
                        .map(|c| c.as_os_str().to_string_lossy().into_owned())
                        .collect::<Vec<_>>()
                        .join("/");
                    let bytes = std::fs::read(&path).map_err(|source| CompileError::Io {
                        path: path.clone(),
                        source,
                    })?;
                    files.insert(rel, bytes);
                }
            }
        }
        Ok(ContentFiles { files })
    }

    pub fn insert(&mut self, path: &str, bytes: impl Into<Vec<u8>>) {
        self.files.insert(path.to_string(), bytes.into());
    }
}

/// One problem in the content.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Diagnostic {
    /// Path relative to the content directory.
    pub file: String,
    /// 1-based line, 0 when the problem is about the whole file.
    pub line: usize,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(f, "{}:{}: {}", self.file, self.line, self.message)
        } else {
            write!(f, "{}: {}", self.file, self.message)
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CompileError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{} problem(s) in the content:\n{}", .0.len(), .0.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<Diagnostic>),
    #[error("encoding {what}: {source}")]
    Encode {
        what: String,
        source: postcard::Error,
    },
}

/// Everything compiled for one language.
#[derive(Clone, Debug)]
pub struct CompiledLang {
    pub lang: String,
    pub catalog: Catalog,
    pub lessons: Vec<LessonBundle>,
    /// The encoded bundles, same order as `lessons` (their sizes and hashes are in the catalog).
    pub lesson_bytes: Vec<Vec<u8>>,
    pub search: SearchIndex,
}

#[derive(Clone, Debug)]
pub struct Compiled {
    pub langs: Vec<CompiledLang>,
    /// Weight files to copy to `<out>/weights/`: (file name, bytes), manifest.json included.
    pub weight_files: Vec<(String, Vec<u8>)>,
}

/// Sizes of what [`write_output`] wrote.
#[derive(Clone, Debug, Default)]
pub struct OutputStats {
    pub files: usize,
    pub total_bytes: u64,
    pub lesson_total_bytes: u64,
    pub largest_lesson: (String, u64),
    pub catalog_bytes: u64,
    pub search_bytes: u64,
    pub weights_bytes: u64,
}

// ---------------------------------------------------------------------------------------------
// Front matter and tracks

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FrontMatter {
    id: String,
    title: String,
    summary: String,
    track: String,
    level: String,
    #[serde(default)]
    prerequisites: Vec<String>,
    skills: Vec<String>,
    minutes: u32,
    #[serde(default)]
    sources: Vec<RawSource>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    title: String,
    url: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TracksFile {
    track: Vec<RawTrack>,
    skill: Vec<RawSkill>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTrack {
    id: String,
    title: String,
    description: String,
    #[serde(default)]
    research: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSkill {
    id: String,
    title: String,
}

/// Splits `+++\n<toml>\n+++\n<markdown>`; returns (toml, markdown, line where markdown starts).
fn split_front_matter(src: &str) -> Option<(&str, &str, usize)> {
    let rest = src
        .strip_prefix("+++\n")
        .or_else(|| src.strip_prefix("+++\r\n"))?;
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        if line.trim_end() == "+++" {
            let fm = &rest[..offset];
            let body = &rest[offset + line.len()..];
            let body_line = 2 + fm.lines().count() + 1;
            return Some((fm, body, body_line));
        }
        offset += line.len();
    }
    None
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !id.starts_with('-')
        && !id.ends_with('-')
}

// ---------------------------------------------------------------------------------------------
// Compilation

struct Draft {
    file: String,
    meta: LessonMeta,
    blocks: Vec<Block>,
    links: Vec<(usize, LinkRef)>,
    text: String,
    quiz_prompts: String,
}

struct Diags(Vec<Diagnostic>);

impl Diags {
    fn push(&mut self, file: &str, line: usize, message: impl Into<String>) {
        self.0.push(Diagnostic {
            file: file.to_string(),
            line,
            message: message.into(),
        });
    }
}

/// Compiles and lints the whole content tree.
pub fn compile(content: &ContentFiles) -> Result<Compiled, Vec<Diagnostic>> {
    let mut d = Diags(Vec::new());

    // Weights.
    let mut weights: Vec<WeightSlice> = Vec::new();
    let mut weight_files: Vec<(String, Vec<u8>)> = Vec::new();
    match content.files.get("weights/manifest.json") {
        None => d.push(
            "weights/manifest.json",
            0,
            "missing (run scripts/extract_weight_slices.py)",
        ),
        Some(bytes) => match serde_json::from_slice::<Manifest>(bytes) {
            Err(e) => d.push(
                "weights/manifest.json",
                e.line(),
                format!("invalid manifest: {e}"),
            ),
            Ok(m) => {
                if m.format != "bitsmith-weight-slices/1" {
                    d.push(
                        "weights/manifest.json",
                        0,
                        format!("unknown format '{}'", m.format),
                    );
                }
                weight_files.push(("manifest.json".into(), bytes.clone()));
                for s in &m.slices {
                    let path = format!("weights/{}", s.file);
                    match content.files.get(&path) {
                        None => {
                            d.push(&path, 0, format!("weight slice '{}' file is missing", s.id))
                        }
                        Some(b)
                            if s.dtype != "f16"
                                || b.len() != s.rows as usize * s.cols as usize * 2 =>
                        {
                            d.push(
                                &path,
                                0,
                                format!(
                                    "expected {}×{} f16 = {} bytes, found {} ({})",
                                    s.rows,
                                    s.cols,
                                    s.rows * s.cols * 2,
                                    b.len(),
                                    s.dtype
                                ),
                            )
                        }
                        Some(b) => weight_files.push((s.file.clone(), b.clone())),
                    }
                    if let Some(f) = &s.importance_file {
                        let path = format!("weights/{f}");
                        match content.files.get(&path) {
                            Some(b) if b.len() == s.cols as usize * 4 => {
                                weight_files.push((f.clone(), b.clone()))
                            }
                            Some(b) => d.push(
                                &path,
                                0,
                                format!(
                                    "expected {} f32 = {} bytes, found {}",
                                    s.cols,
                                    s.cols * 4,
                                    b.len()
                                ),
                            ),
                            None => d.push(
                                &path,
                                0,
                                format!("importance file of slice '{}' is missing", s.id),
                            ),
                        }
                    }
                    if let Some(h) = &s.hessian {
                        let path = format!("weights/{}", h.file);
                        let n = h.size as usize * h.size as usize * 4;
                        match content.files.get(&path) {
                            Some(b) if b.len() == n && h.col_start + h.size <= s.cols => {
                                weight_files.push((h.file.clone(), b.clone()))
                            }
                            Some(b) => d.push(&path, 0, format!("expected {n} bytes for a {0}×{0} block inside {1} columns, found {2}", h.size, s.cols, b.len())),
                            None => d.push(&path, 0, format!("Hessian block of slice '{}' is missing", s.id)),
                        }
                    }
                    if s.source_rows.len() != s.rows as usize {
                        d.push(
                            "weights/manifest.json",
                            0,
                            format!(
                                "slice '{}': source_rows has {} entries for {} rows",
                                s.id,
                                s.source_rows.len(),
                                s.rows
                            ),
                        );
                    }
                    if weights.iter().any(|w| w.id == s.id) {
                        d.push(
                            "weights/manifest.json",
                            0,
                            format!("duplicate slice id '{}'", s.id),
                        );
                    }
                    weights.push(s.to_slice());
                }
            }
        },
    }
    let measurements: Option<Measurements> = match content.files.get("weights/measurements.json") {
        None => None,
        Some(bytes) => match serde_json::from_slice(bytes) {
            Ok(m) => Some(m),
            Err(e) => {
                d.push(
                    "weights/measurements.json",
                    e.line(),
                    format!("invalid measurements: {e}"),
                );
                None
            }
        },
    };
    let figures: BTreeMap<String, Vec<u8>> = content
        .files
        .iter()
        .filter_map(|(p, b)| {
            p.strip_prefix("figures/")
                .map(|n| (n.to_string(), b.clone()))
        })
        .collect();

    // Languages: top-level directories with a tracks.toml.
    let langs: BTreeSet<String> = content
        .files
        .keys()
        .filter_map(|p| p.strip_suffix("/tracks.toml"))
        .filter(|l| !l.contains('/'))
        .map(str::to_string)
        .collect();
    if langs.is_empty() {
        d.push("", 0, "no <lang>/tracks.toml found");
    }
    let mut out = Vec::new();
    for lang in &langs {
        if let Some(c) = compile_lang(
            content,
            lang,
            &weights,
            measurements.as_ref(),
            &figures,
            &mut d,
        ) {
            out.push(c);
        }
    }
    // Markdown files outside any language tree would be silently ignored: flag them.
    for p in content.files.keys() {
        if p.ends_with(".md")
            && p.contains('/')
            && !langs.iter().any(|l| p.starts_with(&format!("{l}/")))
        {
            d.push(
                p,
                0,
                "lesson file outside a <lang>/ directory with a tracks.toml",
            );
        }
    }
    if d.0.is_empty() {
        Ok(Compiled {
            langs: out,
            weight_files,
        })
    } else {
        d.0.sort();
        d.0.dedup();
        Err(d.0)
    }
}

fn compile_lang(
    content: &ContentFiles,
    lang: &str,
    weights: &[WeightSlice],
    measurements: Option<&Measurements>,
    figures: &BTreeMap<String, Vec<u8>>,
    d: &mut Diags,
) -> Option<CompiledLang> {
    let tracks_path = format!("{lang}/tracks.toml");
    let tracks_src = String::from_utf8_lossy(&content.files[&tracks_path]).into_owned();
    let tf: TracksFile = match toml::from_str(&tracks_src) {
        Ok(t) => t,
        Err(e) => {
            d.push(&tracks_path, 0, format!("invalid TOML: {}", e.message()));
            return None;
        }
    };
    let tracks: Vec<Track> = tf
        .track
        .iter()
        .enumerate()
        .map(|(i, t)| Track {
            id: t.id.clone(),
            title: t.title.clone(),
            order: i as u32 + 1,
            description: t.description.clone(),
            research: t.research,
        })
        .collect();
    let skills: Vec<Skill> = tf
        .skill
        .iter()
        .map(|s| Skill {
            id: s.id.clone(),
            title: s.title.clone(),
        })
        .collect();
    // Tracks and skills are separate namespaces (a "calibration" track teaches a "calibration"
    // skill); ids must be unique within each.
    for (what, ids) in [
        ("track", tracks.iter().map(|t| &t.id).collect::<Vec<_>>()),
        ("skill", skills.iter().map(|s| &s.id).collect()),
    ] {
        let mut seen = BTreeSet::new();
        for id in ids {
            if !valid_id(id) {
                d.push(
                    &tracks_path,
                    0,
                    format!("{what} id '{id}' must be [a-z0-9-]+"),
                );
            }
            if !seen.insert(id.clone()) {
                d.push(&tracks_path, 0, format!("duplicate {what} id '{id}'"));
            }
        }
    }

    // Lessons.
    let prefix = format!("{lang}/");
    let mut drafts: Vec<Draft> = Vec::new();
    for (path, bytes) in &content.files {
        let Some(rel) = path.strip_prefix(&prefix) else {
            continue;
        };
        if !rel.ends_with(".md") {
            continue;
        }
        let src = match std::str::from_utf8(bytes) {
            Ok(s) => s,
            Err(_) => {
                d.push(path, 0, "not UTF-8");
                continue;
            }
        };
        if let Some(draft) = compile_lesson(
            path,
            rel,
            src,
            &tracks,
            &skills,
            weights,
            measurements,
            figures,
            d,
        ) {
            drafts.push(draft);
        }
    }

    // Order: by track order, then by the lesson's number.
    let track_order: HashMap<&str, u32> = tracks.iter().map(|t| (t.id.as_str(), t.order)).collect();
    drafts.sort_by_key(|dr| {
        (
            track_order
                .get(dr.meta.track.as_str())
                .copied()
                .unwrap_or(u32::MAX),
            dr.meta.order,
        )
    });

    // Cross-lesson checks.
    let mut by_id: HashMap<String, usize> = HashMap::new();
    for (i, dr) in drafts.iter().enumerate() {
        if let Some(prev) = by_id.insert(dr.meta.id.clone(), i) {
            d.push(
                &dr.file,
                0,
                format!(
                    "duplicate lesson id '{}' (also {})",
                    dr.meta.id, drafts[prev].file
                ),
            );
        }
    }
    for (i, dr) in drafts.iter().enumerate() {
        for p in &dr.meta.prerequisites {
            match by_id.get(p) {
                None => d.push(&dr.file, 1, format!("prerequisite '{p}' is not a lesson")),
                Some(&j) if j == i => {
                    d.push(&dr.file, 1, "a lesson cannot be its own prerequisite")
                }
                // Progressive: what you need comes before you in the catalog.
                Some(&j) if j > i => d.push(
                    &dr.file,
                    1,
                    format!(
                        "prerequisite '{p}' comes later in the catalog ({}); reorder",
                        drafts[j].file
                    ),
                ),
                _ => {}
            }
        }
        for (line, l) in &dr.links {
            match by_id.get(&l.lesson) {
                None => d.push(
                    &dr.file,
                    *line,
                    format!("link to unknown lesson '{}'", l.lesson),
                ),
                Some(&j) => {
                    if let Some(a) = &l.anchor
                        && !drafts[j].meta.headings.iter().any(|h| &h.id == a)
                    {
                        let known: Vec<&str> = drafts[j]
                            .meta
                            .headings
                            .iter()
                            .map(|h| h.id.as_str())
                            .collect();
                        d.push(
                            &dr.file,
                            *line,
                            format!(
                                "no heading '#{a}' in lesson '{}' (has: {})",
                                l.lesson,
                                known.join(", ")
                            ),
                        );
                    }
                }
            }
        }
    }
    if let Some(cycle) = find_cycle(&drafts) {
        d.push(
            &drafts[cycle[0]].file,
            1,
            format!(
                "prerequisites form a cycle: {}",
                cycle
                    .iter()
                    .map(|&i| drafts[i].meta.id.as_str())
                    .collect::<Vec<_>>()
                    .join(" → ")
            ),
        );
    }
    for t in &tracks {
        if !drafts.iter().any(|dr| dr.meta.track == t.id) {
            d.push(&tracks_path, 0, format!("track '{}' has no lessons", t.id));
        }
    }

    // Encode bundles (their size and hash go into the catalog's copy of the meta).
    let mut lessons = Vec::new();
    let mut lesson_bytes = Vec::new();
    let mut metas = Vec::new();
    for dr in &drafts {
        let bundle = LessonBundle {
            format_version: FORMAT_VERSION,
            meta: dr.meta.clone(),
            blocks: dr.blocks.clone(),
        };
        let bytes = match postcard::to_allocvec(&bundle) {
            Ok(b) => b,
            Err(e) => {
                d.push(&dr.file, 0, format!("cannot encode bundle: {e}"));
                continue;
            }
        };
        let mut meta = dr.meta.clone();
        meta.bundle_bytes = bytes.len() as u32;
        meta.bundle_hash = fnv1a_hex(&bytes);
        metas.push(meta);
        lessons.push(bundle);
        lesson_bytes.push(bytes);
    }
    let search = build_search(&drafts, &skills);
    let catalog = Catalog {
        format_version: FORMAT_VERSION,
        lang: lang.to_string(),
        tracks,
        skills,
        lessons: metas,
        weights: weights.to_vec(),
    };
    Some(CompiledLang {
        lang: lang.to_string(),
        catalog,
        lessons,
        lesson_bytes,
        search,
    })
}

/// A prerequisite cycle as lesson indices, if any (depth-first search with colours).
fn find_cycle(drafts: &[Draft]) -> Option<Vec<usize>> {
    let index: HashMap<&str, usize> = drafts
        .iter()
        .enumerate()
        .map(|(i, d)| (d.meta.id.as_str(), i))
        .collect();
    let edges: Vec<Vec<usize>> = drafts
        .iter()
        .map(|d| {
            d.meta
                .prerequisites
                .iter()
                .filter_map(|p| index.get(p.as_str()).copied())
                .collect()
        })
        .collect();
    // 0 = unvisited, 1 = on the stack, 2 = done
    let mut colour = vec![0u8; drafts.len()];
    fn visit(
        n: usize,
        edges: &[Vec<usize>],
        colour: &mut [u8],
        stack: &mut Vec<usize>,
    ) -> Option<Vec<usize>> {
        colour[n] = 1;
        stack.push(n);
        for &m in &edges[n] {
            if colour[m] == 1 {
                let start = stack.iter().position(|&x| x == m).unwrap_or(0);
                let mut cycle = stack[start..].to_vec();
                cycle.push(m);
                return Some(cycle);
            }
            if colour[m] == 0
                && let Some(c) = visit(m, edges, colour, stack)
            {
                return Some(c);
            }
        }
        stack.pop();
        colour[n] = 2;
        None
    }
    for n in 0..drafts.len() {
        if colour[n] == 0
            && let Some(c) = visit(n, &edges, &mut colour, &mut Vec::new())
        {
            return Some(c);
        }
    }
    None
}

#[allow(clippy::too_many_arguments)]
fn compile_lesson(
    path: &str,
    rel: &str,
    src: &str,
    tracks: &[Track],
    skills: &[Skill],
    weights: &[WeightSlice],
    measurements: Option<&Measurements>,
    figures: &BTreeMap<String, Vec<u8>>,
    d: &mut Diags,
) -> Option<Draft> {
    let Some((fm_src, body, body_line)) = split_front_matter(src) else {
        d.push(
            path,
            1,
            "missing front matter: the file must start with a +++ line, TOML, and a +++ line",
        );
        return None;
    };
    let fm: FrontMatter = match toml::from_str(fm_src) {
        Ok(f) => f,
        Err(e) => {
            let line = e
                .span()
                .map(|s| 1 + fm_src[..s.start].matches('\n').count() + 1)
                .unwrap_or(1);
            d.push(path, line, format!("front matter: {}", e.message()));
            return None;
        }
    };
    let errors_before = d.0.len();
    // File name: <track>/<NN>-<id>.md
    let parts: Vec<&str> = rel.split('/').collect();
    let mut order = 0;
    if parts.len() != 2 {
        d.push(path, 0, "lessons live at <lang>/<track>/<NN>-<id>.md");
    } else {
        if parts[0] != fm.track {
            d.push(
                path,
                0,
                format!("file is in '{}/' but its track is '{}'", parts[0], fm.track),
            );
        }
        let stem = parts[1].trim_end_matches(".md");
        match stem.split_once('-') {
            Some((nn, id)) if nn.len() == 2 && nn.bytes().all(|b| b.is_ascii_digit()) => {
                order = nn.parse().unwrap_or(0);
                if id != fm.id {
                    d.push(
                        path,
                        0,
                        format!(
                            "file name says '{id}' but the front matter id is '{}'",
                            fm.id
                        ),
                    );
                }
            }
            _ => d.push(path, 0, "file name must be <NN>-<id>.md (two-digit order)"),
        }
    }
    if !valid_id(&fm.id) {
        d.push(path, 2, format!("id '{}' must be [a-z0-9-]+", fm.id));
    }
    if fm.title.trim().is_empty() || fm.summary.trim().is_empty() {
        d.push(path, 2, "title and summary must not be empty");
    }
    let track = tracks.iter().find(|t| t.id == fm.track);
    if track.is_none() {
        d.push(path, 2, format!("unknown track '{}'", fm.track));
    }
    let level = match fm.level.as_str() {
        "intro" => Level::Intro,
        "intermediate" => Level::Intermediate,
        "advanced" => Level::Advanced,
        other => {
            d.push(
                path,
                2,
                format!("level '{other}' must be intro, intermediate or advanced"),
            );
            Level::Intro
        }
    };
    if !(3..=20).contains(&fm.minutes) {
        d.push(path, 2, format!("minutes {} out of 3..=20", fm.minutes));
    }
    if fm.skills.is_empty() {
        d.push(path, 2, "a lesson teaches at least one skill");
    }
    for s in &fm.skills {
        if !skills.iter().any(|k| &k.id == s) {
            d.push(
                path,
                2,
                format!("unknown skill '{s}' (add it to tracks.toml)"),
            );
        }
    }
    if fm.sources.is_empty() {
        d.push(path, 2, "every lesson cites at least one source");
    }
    for s in &fm.sources {
        if s.title.trim().is_empty()
            || !(s.url.starts_with("https://") || s.url.starts_with("http://"))
            || s.url.contains(char::is_whitespace)
        {
            d.push(
                path,
                2,
                format!("source '{}' needs a title and an http(s) URL", s.title),
            );
        }
    }

    // Body.
    let r = markdown::render(body, &fm.id, true);
    for (line, e) in &r.errors {
        d.push(path, body_line + line - 1, e.clone());
    }
    let ctx = blocks::Ctx {
        lesson: &fm.id,
        weights,
        measurements,
        figures,
    };
    let mut blocks_out = Vec::new();
    let mut links: Vec<(usize, LinkRef)> = r
        .links
        .iter()
        .map(|l| (body_line + l.line - 1, l.clone()))
        .collect();
    let mut quiz_prompts = String::new();
    let (mut n_quiz, mut n_widget) = (0, 0);
    let mut block_ids: BTreeSet<String> = BTreeSet::new();
    let mut quiz_items = Vec::new();
    let mut widget_kinds: Vec<WidgetKind> = Vec::new();
    let mut widget_weights: Vec<String> = Vec::new();
    for piece in r.pieces {
        match piece {
            Piece::Html(h) => blocks_out.push(Block::Html(h)),
            Piece::Special(sb) => {
                let line = body_line + sb.line - 1;
                let mut sink = blocks::Sink::default();
                let block = match sb.kind {
                    SpecialKind::Quiz => {
                        n_quiz += 1;
                        blocks::parse_quiz(&sb.body, format!("quiz-{n_quiz}"), &ctx, &mut sink).map(
                            |q| {
                                for it in &q.items {
                                    if quiz_items.contains(&it.id) {
                                        sink.errors.push((
                                            0,
                                            format!("duplicate quiz item id '{}'", it.id),
                                        ));
                                    }
                                    quiz_items.push(it.id.clone());
                                }
                                quiz_prompts.push_str(&sink.text);
                                (q.id.clone(), Block::Quiz(q))
                            },
                        )
                    }
                    SpecialKind::Widget => {
                        n_widget += 1;
                        blocks::parse_widget(
                            &sb.body,
                            format!("widget-{n_widget}"),
                            &ctx,
                            &mut sink,
                        )
                        .map(|w| {
                            if !widget_kinds.contains(&w.kind()) {
                                widget_kinds.push(w.kind());
                            }
                            if let Some(s) = w.widget.weights()
                                && !widget_weights.iter().any(|x| x == s)
                            {
                                widget_weights.push(s.to_string());
                            }
                            (w.id.clone(), Block::Widget(w))
                        })
                    }
                    SpecialKind::Figure => blocks::parse_figure(&sb.body, &ctx, &mut sink)
                        .map(|f| (f.id.clone(), Block::Figure(f))),
                };
                for (l, e) in sink.errors {
                    d.push(path, line + l, e);
                }
                links.extend(sink.links.into_iter().map(|l| (line, l)));
                if let Some((id, b)) = block {
                    if !block_ids.insert(id.clone()) {
                        d.push(
                            path,
                            line,
                            format!("duplicate quiz/widget/figure id '{id}'"),
                        );
                    }
                    blocks_out.push(b);
                }
            }
        }
    }
    // Reading time: about 100 words a minute of dense technical prose, plus a minute for the
    // figures and tables. A declared time far from that is a typo or a stale estimate.
    let words = r.text.split_whitespace().count() as u32;
    let estimate = (words + 50) / 100 + 1;
    if fm.minutes.abs_diff(estimate) > 3 {
        d.push(
            path,
            2,
            format!(
                "minutes = {} but the body has {words} words (≈ {estimate} min)",
                fm.minutes
            ),
        );
    }
    if quiz_items.is_empty() {
        d.push(
            path,
            0,
            "every lesson needs a ```quiz block with at least one item",
        );
    }
    if widget_kinds.is_empty() {
        d.push(path, 0, "every lesson needs at least one ```widget block");
    }
    if d.0.len() > errors_before {
        return None;
    }
    let meta = LessonMeta {
        id: fm.id,
        title: fm.title,
        summary: fm.summary,
        track: fm.track,
        order,
        level,
        prerequisites: fm.prerequisites,
        skills: fm.skills,
        minutes: fm.minutes,
        sources: fm
            .sources
            .into_iter()
            .map(|s| Source {
                title: s.title,
                url: s.url,
            })
            .collect(),
        research: track.is_some_and(|t| t.research),
        headings: r.headings,
        quiz_items,
        widgets: widget_kinds,
        weights: widget_weights,
        bundle_bytes: 0,
        bundle_hash: String::new(),
    };
    Some(Draft {
        file: path.to_string(),
        meta,
        blocks: blocks_out,
        links,
        text: r.text,
        quiz_prompts,
    })
}

/// Builds the inverted index. Weights: title 10, heading 4, summary 4, skill title 3, quiz text
/// 1, body 1 per occurrence up to 8 (so long lessons do not win by length alone).
fn build_search(drafts: &[Draft], skills: &[Skill]) -> SearchIndex {
    let mut map: BTreeMap<String, BTreeMap<u16, u32>> = BTreeMap::new();
    for (i, dr) in drafts.iter().enumerate() {
        let i = i as u16;
        let mut add = |text: &str, w: u32, cap: Option<u32>| {
            let mut counts: HashMap<String, u32> = HashMap::new();
            for t in tokenize(text) {
                *counts.entry(t).or_default() += 1;
            }
            for (t, c) in counts {
                let c = cap.map_or(1, |cap| c.min(cap));
                *map.entry(t).or_default().entry(i).or_default() += w * c;
            }
        };
        add(&dr.meta.title, 10, None);
        add(&dr.meta.summary, 4, None);
        for Heading { text, .. } in &dr.meta.headings {
            add(text, 4, None);
        }
        for s in &dr.meta.skills {
            if let Some(skill) = skills.iter().find(|k| &k.id == s) {
                add(&skill.title, 3, None);
            }
        }
        add(&dr.quiz_prompts, 1, Some(3));
        add(&dr.text, 1, Some(8));
    }
    let terms = map
        .into_iter()
        .map(|(text, postings)| SearchTerm {
            text,
            postings: postings
                .into_iter()
                .map(|(lesson, w)| Posting {
                    lesson,
                    weight: w.min(u16::MAX as u32) as u16,
                })
                .collect(),
        })
        .collect();
    SearchIndex {
        format_version: FORMAT_VERSION,
        lessons: drafts.iter().map(|d| d.meta.id.clone()).collect(),
        terms,
    }
}

/// Writes `<out>/<lang>/catalog.bin`, `<out>/<lang>/lessons/<id>.bin`, `<out>/<lang>/search.bin`,
/// `<out>/weights/*` and `<out>/files.txt`; removes stale `.bin` lesson files.
pub fn write_output(compiled: &Compiled, out: &Path) -> Result<OutputStats, CompileError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| CompileError::Io { path, source }
    };
    let mut stats = OutputStats::default();
    let mut listed: Vec<String> = Vec::new();
    let mut write =
        |rel: String, bytes: &[u8], stats: &mut OutputStats| -> Result<u64, CompileError> {
            let p = out.join(&rel);
            if let Some(parent) = p.parent() {
                std::fs::create_dir_all(parent).map_err(io(parent))?;
            }
            // Skip rewriting identical files so timestamps (and rebuilds keyed on them) stay put.
            if std::fs::read(&p).ok().as_deref() != Some(bytes) {
                std::fs::write(&p, bytes).map_err(io(&p))?;
            }
            stats.files += 1;
            stats.total_bytes += bytes.len() as u64;
            listed.push(rel);
            Ok(bytes.len() as u64)
        };
    for c in &compiled.langs {
        let enc = |what: &str, r: Result<Vec<u8>, postcard::Error>| {
            r.map_err(|source| CompileError::Encode {
                what: what.to_string(),
                source,
            })
        };
        let catalog = enc("catalog", postcard::to_allocvec(&c.catalog))?;
        stats.catalog_bytes += write(format!("{}/catalog.bin", c.lang), &catalog, &mut stats)?;
        let search = enc("search index", postcard::to_allocvec(&c.search))?;
        stats.search_bytes += write(format!("{}/search.bin", c.lang), &search, &mut stats)?;
        let mut keep = BTreeSet::new();
        for (bundle, bytes) in c.lessons.iter().zip(&c.lesson_bytes) {
            let name = format!("{}.bin", bundle.meta.id);
            let n = write(format!("{}/lessons/{name}", c.lang), bytes, &mut stats)?;
            stats.lesson_total_bytes += n;
            if n > stats.largest_lesson.1 {
                stats.largest_lesson = (format!("{}/{}", c.lang, bundle.meta.id), n);
            }
            keep.insert(name);
        }
        let dir = out.join(&c.lang).join("lessons");
        for entry in std::fs::read_dir(&dir).map_err(io(&dir))? {
            let entry = entry.map_err(io(&dir))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(".bin") && !keep.contains(&name) {
                std::fs::remove_file(entry.path()).map_err(io(&entry.path()))?;
            }
        }
    }
    for (name, bytes) in &compiled.weight_files {
        stats.weights_bytes += write(format!("weights/{name}"), bytes, &mut stats)?;
    }
    let mut list = listed.join("\n");
    list.push('\n');
    let p = out.join("files.txt");
    std::fs::write(&p, list).map_err(io(&p))?;
    Ok(stats)
}
