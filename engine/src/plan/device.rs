//! Devices: the bundled database (`engine/data/devices.json`) and "this device" built from what
//! a browser can tell about itself.

use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

use super::PlanError;

const GIB: f64 = 1024.0 * 1024.0 * 1024.0;

/// What kind of machine a device is; sets the memory rules below.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceKind {
    Phone,
    Laptop,
    AppleSilicon,
    DesktopCpu,
    DesktopGpu,
    CloudGpu,
    /// "This device", measured in the browser.
    Browser,
}

impl DeviceKind {
    pub fn name(self) -> &'static str {
        match self {
            DeviceKind::Phone => "phone",
            DeviceKind::Laptop => "laptop",
            DeviceKind::AppleSilicon => "apple_silicon",
            DeviceKind::DesktopCpu => "desktop_cpu",
            DeviceKind::DesktopGpu => "desktop_gpu",
            DeviceKind::CloudGpu => "cloud_gpu",
            DeviceKind::Browser => "browser",
        }
    }

    /// Discrete accelerators with their own memory (the runtime context lives there).
    pub fn has_dedicated_memory(self) -> bool {
        matches!(self, DeviceKind::DesktopGpu | DeviceKind::CloudGpu)
    }
}

/// One device: memory, bandwidth, compute and (where it applies) price.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeviceSpec {
    pub id: String,
    pub name: String,
    pub kind: DeviceKind,
    /// Capacity the model's device memory (VRAM, or unified/system RAM).
    pub memory_gib: f64,
    /// Peak memory bandwidth, GB/s (1e9 B/s).
    pub bandwidth_gbs: f64,
    /// Dense FP16 matrix peak, TFLOPS (see the database's `about`).
    pub fp16_tflops: f64,
    #[serde(default)]
    pub int8_tops: Option<f64>,
    /// Share of `memory_gib` a model may use; `None` takes the rule of [`DeviceSpec::usable_fraction`].
    #[serde(default)]
    pub usable_fraction: Option<f64>,
    #[serde(default)]
    pub usd_per_hour: Option<f64>,
    #[serde(default)]
    pub price_note: Option<String>,
    #[serde(default)]
    pub msrp_usd: Option<f64>,
    #[serde(default)]
    pub tdp_w: Option<f64>,
    /// Where the numbers come from.
    pub source: String,
    #[serde(default)]
    pub notes: Option<String>,
    /// True when bandwidth and compute were measured on the device (effective figures, so the
    /// speed model applies no further efficiency derating by default).
    #[serde(default)]
    pub measured: bool,
    /// Largest single GPU buffer (WebGPU `maxStorageBufferBindingSize`), when known.
    #[serde(default)]
    pub max_buffer_bytes: Option<u64>,
}

impl DeviceSpec {
    /// Fraction of memory a model can have. Named defaults, overridable per entry:
    /// - discrete GPUs 1.0 (the runtime context is a separate overhead item);
    /// - Apple silicon 0.67 up to 36 GiB, 0.75 above — macOS caps what the GPU may wire
    ///   (Metal `recommendedMaxWorkingSetSize`; llama.cpp prints it at start-up);
    /// - phones 0.5 — the OS and its memory killer leave one app about half of RAM;
    /// - laptops, desktops and browsers 0.75 — the OS, the browser and other programs keep the rest.
    pub fn usable_fraction(&self) -> f64 {
        if let Some(f) = self.usable_fraction {
            return f;
        }
        match self.kind {
            DeviceKind::DesktopGpu | DeviceKind::CloudGpu => 1.0,
            DeviceKind::AppleSilicon if self.memory_gib > 36.0 => 0.75,
            DeviceKind::AppleSilicon => 0.67,
            DeviceKind::Phone => 0.5,
            DeviceKind::Laptop | DeviceKind::DesktopCpu | DeviceKind::Browser => 0.75,
        }
    }

    pub fn memory_bytes(&self) -> u64 {
        (self.memory_gib * GIB) as u64
    }

    pub fn usable_bytes(&self) -> u64 {
        (self.memory_gib * GIB * self.usable_fraction()) as u64
    }

    /// Fixed runtime overhead: 512 MiB on discrete GPUs (CUDA/ROCm context, cuBLAS/hipBLAS
    /// workspaces, as an idle llama.cpp process shows in `nvidia-smi`), 256 MiB elsewhere
    /// (process, tokenizer, graph metadata, allocator slack).
    pub fn runtime_overhead_bytes(&self) -> u64 {
        if self.kind.has_dedicated_memory() {
            512 << 20
        } else {
            256 << 20
        }
    }

    pub fn runtime_overhead_formula(&self) -> String {
        if self.kind.has_dedicated_memory() {
            "512 MiB fixed: GPU runtime context and BLAS workspaces".to_string()
        } else {
            "256 MiB fixed: process, tokenizer, graph metadata, allocator slack".to_string()
        }
    }

    /// Checks the numbers are usable.
    pub fn validate(&self) -> Result<(), PlanError> {
        let field = |f: &str| format!("device {}: {f}", self.id);
        for (name, v) in [
            ("memory_gib", self.memory_gib),
            ("bandwidth_gbs", self.bandwidth_gbs),
            ("fp16_tflops", self.fp16_tflops),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return Err(PlanError::invalid(&field(name), v.to_string()));
            }
        }
        for (name, v) in [
            ("int8_tops", self.int8_tops),
            ("usd_per_hour", self.usd_per_hour),
            ("msrp_usd", self.msrp_usd),
            ("tdp_w", self.tdp_w),
        ] {
            if let Some(v) = v
                && !(v.is_finite() && v > 0.0)
            {
                return Err(PlanError::invalid(&field(name), v.to_string()));
            }
        }
        if let Some(f) = self.usable_fraction
            && !(f > 0.0 && f <= 1.0)
        {
            return Err(PlanError::invalid(&field("usable_fraction"), f.to_string()));
        }
        if self.id.trim().is_empty() || self.name.trim().is_empty() {
            return Err(PlanError::invalid(&field("id/name"), "empty"));
        }
        if self.source.trim().is_empty() {
            return Err(PlanError::invalid(&field("source"), "empty"));
        }
        Ok(())
    }
}

#[derive(Deserialize)]
struct DeviceFile {
    devices: Vec<DeviceSpec>,
}

/// The database text, bundled so planning works offline.
pub const DEVICES_JSON: &str = include_str!("../../data/devices.json");

fn parse_devices(text: &str) -> Result<Vec<DeviceSpec>, PlanError> {
    let file: DeviceFile = serde_json::from_str(text).map_err(|e| PlanError::Data {
        file: "devices.json".into(),
        msg: e.to_string(),
    })?;
    let mut ids = std::collections::BTreeSet::new();
    let mut names = std::collections::BTreeSet::new();
    for d in &file.devices {
        d.validate().map_err(|e| PlanError::Data {
            file: "devices.json".into(),
            msg: e.to_string(),
        })?;
        if !ids.insert(d.id.to_ascii_lowercase()) || !names.insert(d.name.to_ascii_lowercase()) {
            return Err(PlanError::Data {
                file: "devices.json".into(),
                msg: format!("duplicate id or name: {}", d.id),
            });
        }
    }
    Ok(file.devices)
}

/// Every device in the bundled database (parsed and validated once).
pub fn devices() -> Result<&'static [DeviceSpec], PlanError> {
    static DB: OnceLock<Result<Vec<DeviceSpec>, PlanError>> = OnceLock::new();
    match DB.get_or_init(|| parse_devices(DEVICES_JSON)) {
        Ok(v) => Ok(v),
        Err(e) => Err(e.clone()),
    }
}

/// Finds a device by id (exact, case-insensitive), else by a unique case-insensitive substring
/// of its name or id.
pub fn find_device(query: &str) -> Result<&'static DeviceSpec, PlanError> {
    let all = devices()?;
    let q = query.trim().to_ascii_lowercase();
    if let Some(d) = all.iter().find(|d| d.id.eq_ignore_ascii_case(&q)) {
        return Ok(d);
    }
    let hits: Vec<_> = all
        .iter()
        .filter(|d| d.name.to_ascii_lowercase().contains(&q) || d.id.contains(&q))
        .collect();
    match hits.as_slice() {
        [one] => Ok(one),
        [] => Err(PlanError::UnknownDevice(query.to_string())),
        many => Err(PlanError::Ambiguous {
            query: query.to_string(),
            candidates: many.iter().map(|d| d.id.clone()).collect(),
        }),
    }
}

/// What the browser reports and measures about the machine it runs on.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BrowserProbe {
    /// `navigator.deviceMemory` (GiB). Browsers round it down to a power of two and cap it
    /// (Chrome at 8), so it is a lower bound.
    pub device_memory_gib: Option<f64>,
    /// `navigator.hardwareConcurrency`.
    pub hardware_concurrency: Option<u32>,
    /// WebGPU adapter info (`vendor`, `architecture`, `description`), joined for display.
    pub adapter: Option<String>,
    pub is_fallback_adapter: bool,
    pub mobile: bool,
    /// WebGPU `maxStorageBufferBindingSize` of the adapter.
    pub max_storage_buffer_binding_size: Option<u64>,
    /// Measured by the in-browser micro-benchmark.
    pub measured_bandwidth_gbs: Option<f64>,
    pub measured_gpu_tflops: Option<f64>,
    pub measured_cpu_gflops: Option<f64>,
}

/// Builds "this device" from a probe. Every value not measured is an assumption, listed in
/// `notes`: memory 4 GiB when the browser hides it, bandwidth 25 GB/s (single-channel
/// DDR4-3200 class) and compute `cores × 16 GFLOP/s` (one 256-bit FMA unit at ~1 GHz per core)
/// when no benchmark ran.
pub fn device_from_probe(p: &BrowserProbe) -> DeviceSpec {
    let mut notes = Vec::new();
    let memory_gib = match p.device_memory_gib.filter(|m| *m > 0.0) {
        Some(m) => {
            if m >= 8.0 {
                notes.push(format!(
                    "navigator.deviceMemory reports {m} GiB, which browsers cap: the real memory may be larger"
                ));
            }
            m
        }
        None => {
            notes.push("memory not reported: 4 GiB assumed".to_string());
            4.0
        }
    };
    let cores = p.hardware_concurrency.unwrap_or(4).max(1);
    let bandwidth_gbs = match p.measured_bandwidth_gbs.filter(|b| *b > 0.0) {
        Some(b) => b,
        None => {
            notes.push("bandwidth not measured: 25 GB/s assumed".to_string());
            25.0
        }
    };
    let fp16_tflops = match (
        p.measured_gpu_tflops
            .filter(|t| *t > 0.0 && !p.is_fallback_adapter),
        p.measured_cpu_gflops.filter(|g| *g > 0.0),
    ) {
        (Some(t), _) => t,
        (None, Some(g)) => g / 1000.0,
        (None, None) => {
            notes.push(format!(
                "compute not measured: {cores} cores × 16 GFLOP/s assumed"
            ));
            cores as f64 * 16.0 / 1000.0
        }
    };
    if p.is_fallback_adapter {
        notes.push("WebGPU adapter is a software fallback: GPU figures ignored".to_string());
    }
    let measured = p.measured_bandwidth_gbs.is_some()
        && (p.measured_gpu_tflops.is_some() || p.measured_cpu_gflops.is_some());
    DeviceSpec {
        id: "this-device".to_string(),
        name: match &p.adapter {
            Some(a) if !a.is_empty() => format!("This device ({a})"),
            _ => "This device".to_string(),
        },
        kind: DeviceKind::Browser,
        memory_gib,
        bandwidth_gbs,
        fp16_tflops,
        int8_tops: None,
        usable_fraction: Some(if p.mobile { 0.5 } else { 0.75 }),
        usd_per_hour: None,
        price_note: None,
        msrp_usd: None,
        tdp_w: None,
        source: if measured {
            "measured in this browser".to_string()
        } else {
            "reported by this browser, partly assumed".to_string()
        },
        notes: if notes.is_empty() {
            None
        } else {
            Some(notes.join("; "))
        },
        measured,
        max_buffer_bytes: p.max_storage_buffer_binding_size,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_and_invalid_entries_are_rejected() {
        let one = r#"{"id":"a","name":"A","kind":"phone","memory_gib":8,"bandwidth_gbs":50,"fp16_tflops":1,"source":"s"}"#;
        let dup = format!(r#"{{"devices":[{one},{one}]}}"#);
        assert!(matches!(parse_devices(&dup), Err(PlanError::Data { .. })));
        let neg = r#"{"devices":[{"id":"a","name":"A","kind":"phone","memory_gib":-8,"bandwidth_gbs":50,"fp16_tflops":1,"source":"s"}]}"#;
        assert!(matches!(parse_devices(neg), Err(PlanError::Data { .. })));
        let nosrc = r#"{"devices":[{"id":"a","name":"A","kind":"phone","memory_gib":8,"bandwidth_gbs":50,"fp16_tflops":1,"source":" "}]}"#;
        assert!(matches!(parse_devices(nosrc), Err(PlanError::Data { .. })));
        assert_eq!(
            parse_devices(&format!(r#"{{"devices":[{one}]}}"#))
                .unwrap()
                .len(),
            1
        );
    }

    #[test]
    fn probe_without_measurements_names_its_assumptions() {
        let d = device_from_probe(&BrowserProbe {
            device_memory_gib: Some(8.0),
            hardware_concurrency: Some(8),
            ..Default::default()
        });
        assert_eq!(d.kind, DeviceKind::Browser);
        assert!(!d.measured);
        let notes = d.notes.unwrap();
        assert!(notes.contains("cap"), "{notes}");
        assert!(notes.contains("25 GB/s"), "{notes}");
        assert!((d.fp16_tflops - 0.128).abs() < 1e-12);
        let m = device_from_probe(&BrowserProbe {
            device_memory_gib: Some(4.0),
            measured_bandwidth_gbs: Some(40.0),
            measured_gpu_tflops: Some(3.0),
            ..Default::default()
        });
        assert!(m.measured);
        assert_eq!(m.fp16_tflops, 3.0);
        assert_eq!(m.bandwidth_gbs, 40.0);
    }

    #[test]
    fn find_device_by_id_name_and_ambiguity() {
        assert_eq!(find_device("RTX-4090").unwrap().id, "rtx-4090");
        assert_eq!(find_device("H100 PCIe").unwrap().id, "h100-pcie");
        assert!(matches!(
            find_device("apple"),
            Err(PlanError::Ambiguous { .. })
        ));
        assert!(matches!(
            find_device("toaster"),
            Err(PlanError::UnknownDevice(_))
        ));
    }
}
