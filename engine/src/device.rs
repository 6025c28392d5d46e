//! What compute device the engine runs on: the adapter report the GPU layer fills in and the
//! Settings page and planner read. Plain data, so the UI can show it without linking wgpu.

use serde::{Deserialize, Serialize};

/// What the adapter is, in the terms the Settings page and the planner show.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AdapterReport {
    pub name: String,
    pub backend: String,
    pub device_type: String,
    pub driver: String,
    pub max_storage_buffer_binding_size: u64,
    pub max_buffer_size: u64,
    pub max_compute_workgroup_size_x: u32,
    pub shader_f16: bool,
    pub subgroups: bool,
}

/// The outcome of a kernel-vs-reference check.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SelfCheck {
    pub kernel: String,
    pub elements: u32,
    pub max_rel_diff: f32,
    pub tolerance: f32,
    pub passed: bool,
    pub gpu_sample: Vec<f32>,
    pub cpu_sample: Vec<f32>,
}
