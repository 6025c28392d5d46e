//! The one serialized boundary: messages between the UI thread and the engine worker.
//!
//! Both sides link this module; messages travel as postcard bytes (see `worker::PostcardCodec`).
//! Long jobs are identified by a `JobId` chosen by the UI, report `Progress` while they run, and
//! end with exactly one of `Finished`, `Cancelled` or `Failed`. `Cancel` is honoured between
//! steps: a job yields to the worker's event loop after each step, so a cancel message is read
//! within one step (tens of milliseconds), without terminating the worker and losing its state.

use bitsmith_engine::GgmlType;
use bitsmith_engine::device::{AdapterReport, SelfCheck};
use serde::{Deserialize, Serialize};

pub mod learn;

pub mod plan;
pub mod workbench;

/// Chosen by the UI, unique per page load.
pub type JobId = u32;

/// Identifies a quick request/reply exchange (`Request::Call` → `Response::Reply`).
pub type CallId = u32;

/// Quick computations the UI asks of the engine (they finish in milliseconds, so they have no
/// progress or cancel). Each area of the app adds its variant here and its handler in
/// `worker::<area>`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Call {
    /// Echo, for tests of the call machinery.
    Echo(String),
    /// The planner's model and device pickers.
    PlanLists,
    /// A plan: fit, speed and cost for every preset.
    Plan(Box<plan::PlanAsk>),
    /// A lesson widget's computation (`protocol::learn`).
    Learn(Box<learn::LearnCall>),
}

/// The answer to a `Call`, same variant order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Reply {
    Echo(String),
    /// The call could not be answered (bad input); the text says why.
    Error(String),
    PlanLists(plan::PlanLists),
    Plan(Box<plan::PlanAnswer>),
    Learn(Box<learn::LearnReply>),
}

/// UI → worker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Request {
    /// Is the worker alive, and which engine does it run?
    Hello,
    /// Detect WebGPU through wgpu and report the adapter, or why there is none.
    DetectGpu,
    /// Run the WGSL RMSNorm kernel and compare it with the engine's scalar reference.
    GpuSelfCheck,
    /// Start a long job.
    Start { job: JobId, spec: JobSpec },
    /// Stop a running job; answered by `Cancelled` (or nothing, if it had already ended).
    Cancel { job: JobId },
    /// A quick computation, answered by `Response::Reply` with the same id.
    Call { call: CallId, body: Call },
}

/// The long jobs the worker runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum JobSpec {
    /// Quantize `rows` synthetic rows of `cols` values to `ty` with the engine, measuring
    /// throughput (the planner's CPU micro-benchmark; also exercises progress and cancel).
    QuantBench { ty: GgmlType, rows: u32, cols: u32 },
    /// The planner's "this device" micro-benchmark: memory bandwidth (a stream over
    /// `buffer_mib` MiB), f32 GEMM throughput (`gemm_n`³) and, with WebGPU, the GPU's f32
    /// matvec on a `gpu_n × gpu_n` weight, each for about `phase_ms`.
    DeviceBench {
        buffer_mib: u32,
        gemm_n: u32,
        gpu_n: u32,
        phase_ms: u32,
    },
    /// The workbench's jobs on library models (`workbench::WbJob`).
    Workbench(workbench::WbJob),
}

/// Worker → UI.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Response {
    Hello { engine_version: String },
    Gpu(Result<AdapterReport, String>),
    GpuCheck(Result<SelfCheck, String>),
    Progress { job: JobId, done: u64, total: u64 },
    Finished { job: JobId, result: JobResult },
    Cancelled { job: JobId },
    Failed { job: JobId, message: String },
    Reply { call: CallId, body: Reply },
}

/// What a finished job produced.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum JobResult {
    QuantBench {
        ty: GgmlType,
        values: u64,
        bytes_out: u64,
        millis: f64,
        rmse: f32,
    },
    DeviceBench(plan::DeviceBenchResult),
    Workbench(workbench::WbOutcome),
}

/// Encodes a message for the wire.
pub fn encode<T: Serialize>(msg: &T) -> Vec<u8> {
    postcard::to_allocvec(msg).expect("protocol messages always serialize")
}

/// Decodes a message from the wire.
pub fn decode<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Result<T, postcard::Error> {
    postcard::from_bytes(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_round_trips_through_postcard() {
        let requests = [
            Request::Hello,
            Request::DetectGpu,
            Request::GpuSelfCheck,
            Request::Start {
                job: 7,
                spec: JobSpec::QuantBench {
                    ty: GgmlType::Q4_K,
                    rows: 3,
                    cols: 256,
                },
            },
            Request::Cancel { job: 7 },
        ];
        for r in requests {
            assert_eq!(decode::<Request>(&encode(&r)).unwrap(), r);
        }
        let responses = [
            Response::Progress {
                job: 1,
                done: 5,
                total: 10,
            },
            Response::Failed {
                job: 1,
                message: "x".into(),
            },
            Response::Gpu(Err("none".into())),
        ];
        for r in responses {
            assert_eq!(decode::<Response>(&encode(&r)).unwrap(), r);
        }
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(decode::<Request>(&[0xff, 0xff, 0xff]).is_err());
    }
}
