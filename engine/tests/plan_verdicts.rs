//! End-to-end plans: verdicts, the best preset, memory breakdowns, cost and calibration.

use bitsmith_engine::plan::speed::{Efficiency, MeasuredRun, Phase, SpeedScenario};
use bitsmith_engine::plan::{
    CostOptions, Fit, KvType, PlanOptions, PlanReport, PlanRequest, Preset, PresetPlan, TaggedRun,
    find_device, find_model, plan,
};

fn request(model: &str, device: &str, ctx: u64) -> PlanRequest {
    PlanRequest {
        model: find_model(model).unwrap().spec().unwrap(),
        device: find_device(device).unwrap().clone(),
        options: PlanOptions {
            ctx,
            ..PlanOptions::default()
        },
        efficiency: None,
        measured: Vec::new(),
        cost: None,
        stored: None,
    }
}

fn preset(r: &PlanReport, p: Preset) -> &PresetPlan {
    r.presets.iter().find(|x| x.preset == Some(p)).unwrap()
}

#[test]
fn llama3_8b_on_a_12gb_card() {
    let r = plan(&request("llama-3.1-8b-instruct", "rtx-3060-12gb", 8192)).unwrap();
    // F16 weights are 14.96 GiB: more than the card holds.
    let f16 = preset(&r, Preset::F16);
    assert_eq!(f16.verdict.fit, Fit::DoesNotFit);
    assert!(
        f16.verdict.reason.contains("weights alone"),
        "{}",
        f16.verdict.reason
    );
    // Q8_0: 7.95 GiB + 1 GiB KV + compute + 512 MiB runtime fits in 12 GiB.
    let q8 = preset(&r, Preset::Q8_0);
    assert_eq!(q8.verdict.fit, Fit::Fits);
    assert_eq!(q8.memory.total, q8.verdict.needed_bytes);
    assert_eq!(q8.memory.get("kv_cache"), Some(1 << 30));
    assert_eq!(q8.memory.get("overhead"), Some(512 << 20));
    assert_eq!(
        q8.memory.total,
        q8.memory.items.iter().map(|i| i.bytes).sum::<u64>()
    );
    for item in &q8.memory.items {
        assert!(!item.formula.is_empty(), "{} has no formula", item.key);
    }
    let best = r.best.as_ref().unwrap();
    assert_eq!(best.preset, Preset::Q8_0);
    assert!(best.reason.contains("F16, BF16 do not"), "{}", best.reason);

    // At the full 128k context even Q2_K's KV cache (16 GiB) overflows: every preset either
    // fits a shorter context or not at all, and the best is the one with the longest context.
    let r = plan(&request("llama-3.1-8b-instruct", "rtx-3060-12gb", 131_072)).unwrap();
    assert!(r.presets.iter().all(|p| p.verdict.fit != Fit::Fits));
    let best = r.best.as_ref().unwrap();
    assert_eq!(best.fit, Fit::FitsShorterContext);
    assert_eq!(best.preset, Preset::Q2_K);
    let q2 = preset(&r, Preset::Q2_K);
    // The reported max context is tight: it fits, one more token does not.
    let max = q2.verdict.max_context;
    assert!(max > 40_000 && max < 131_072, "{max}");
    let mut at = request("llama-3.1-8b-instruct", "rtx-3060-12gb", max);
    at.options.presets = vec![Preset::Q2_K];
    assert_eq!(plan(&at).unwrap().presets[0].verdict.fit, Fit::Fits);
    at.options.ctx = max + 1;
    assert_eq!(
        plan(&at).unwrap().presets[0].verdict.fit,
        Fit::FitsShorterContext
    );
}

#[test]
fn quantized_kv_lengthens_the_context_that_fits() {
    // Ask for more than either can hold, so both report their own limit.
    let mut req = request("llama-3.1-8b-instruct", "rtx-3060-12gb", 1_000_000);
    req.options.presets = vec![Preset::Q4_K_M];
    let f16 = plan(&req).unwrap().presets[0].verdict.max_context;
    req.options.kv_type = KvType::Q4_0;
    let q4 = plan(&req).unwrap().presets[0].verdict.max_context;
    // q4_0 stores 18 bytes per 32 values instead of 64: about 3.5× the context.
    assert!(q4 as f64 > 3.0 * f16 as f64, "{f16} -> {q4}");
}

#[test]
fn phones_get_half_their_memory() {
    let r = plan(&request("llama-3.2-1b-instruct", "iphone-15-pro", 4096)).unwrap();
    assert_eq!(r.usable_bytes, 4 << 30);
    assert_eq!(preset(&r, Preset::Q4_K_M).verdict.fit, Fit::Fits);
    assert!(r.assumptions.iter().any(|a| a.contains("usable memory")));
    let r = plan(&request("qwen2.5-7b-instruct", "iphone-15-pro", 4096)).unwrap();
    assert_eq!(preset(&r, Preset::Q4_K_M).verdict.fit, Fit::DoesNotFit);
}

#[test]
fn cost_and_savings_on_a_priced_cloud_gpu() {
    let mut req = request("llama-3.1-8b-instruct", "nvidia-l4", 8192);
    req.cost = Some(CostOptions {
        api_input_usd_per_m: Some(0.10),
        api_output_usd_per_m: Some(0.40),
        ..CostOptions::default()
    });
    let r = plan(&req).unwrap();
    let f16 = preset(&r, Preset::F16);
    let q4 = preset(&r, Preset::Q4_K_M);
    let (cf, cq) = (f16.cost.as_ref().unwrap(), q4.cost.as_ref().unwrap());
    assert_eq!(cf.usd_per_hour, 0.805);
    // Smaller weights decode faster on the same $/h, so each token is cheaper.
    assert!(q4.speed.decode.tokens_per_s > 2.5 * f16.speed.decode.tokens_per_s);
    assert!(cq.usd_per_m_output < cf.usd_per_m_output / 2.5);
    assert_eq!(f16.cost_saving_pct, Some(0.0));
    assert!(q4.cost_saving_pct.unwrap() > 40.0);
    assert!(cq.break_even_tokens_per_month.unwrap() > 0.0);
    // No price anywhere: no cost section.
    let r = plan(&request("llama-3.1-8b-instruct", "rtx-4090", 8192)).unwrap();
    assert!(r.presets.iter().all(|p| p.cost.is_none()));
    assert_eq!(r.best.unwrap().preset, Preset::F16);
}

#[test]
fn measured_runs_calibrate_the_plan_and_show_the_error() {
    let mut req = request("llama-3.1-8b-instruct", "rtx-4090", 8192);
    req.options.presets = vec![Preset::Q4_K_M, Preset::Q8_0];
    // First plan without runs, with known efficiencies, to make "measurements".
    let truth = Efficiency {
        bandwidth: 0.7,
        compute: 0.3,
    };
    req.efficiency = Some(truth);
    let r = plan(&req).unwrap();
    let q4 = preset(&r, Preset::Q4_K_M);
    let s = SpeedScenario::default();
    req.efficiency = None;
    req.measured = vec![
        TaggedRun {
            preset: Some(Preset::Q4_K_M),
            run: MeasuredRun {
                phase: Phase::Decode,
                scenario: s,
                tokens_per_s: q4.speed.decode.tokens_per_s,
            },
        },
        TaggedRun {
            preset: Some(Preset::Q4_K_M),
            run: MeasuredRun {
                phase: Phase::Prefill,
                scenario: s,
                tokens_per_s: q4.speed.prefill.tokens_per_s,
            },
        },
    ];
    let r = plan(&req).unwrap();
    let c = r.calibration.as_ref().unwrap();
    assert!((c.efficiency.bandwidth - 0.7).abs() < 1e-4);
    assert!((c.efficiency.compute - 0.3).abs() < 1e-4);
    let q4 = preset(&r, Preset::Q4_K_M);
    assert_eq!(q4.measured.len(), 2);
    assert!(q4.measured.iter().all(|p| p.error_after_pct.abs() < 0.05));
    // The calibration carries over to the preset that was not measured.
    assert_eq!(preset(&r, Preset::Q8_0).speed.efficiency, c.efficiency);
}

#[test]
fn bad_inputs_are_errors() {
    let mut req = request("smollm2-135m", "pixel-8", 0);
    assert!(plan(&req).is_err());
    req.options.ctx = 1024;
    req.device.bandwidth_gbs = -1.0;
    assert!(plan(&req).is_err());
    let mut req = request("smollm2-135m", "pixel-8", 1024);
    req.model.n_kv_heads = 4; // 9 heads are not divisible by 4
    assert!(plan(&req).is_err());
    // A round trip through JSON (the URL state) gives the same plan.
    let req = request("smollm2-135m", "pixel-8", 1024);
    let json = serde_json::to_string(&req).unwrap();
    let back: PlanRequest = serde_json::from_str(&json).unwrap();
    assert_eq!(plan(&back).unwrap(), plan(&req).unwrap());
}

#[test]
fn this_device_from_a_browser_probe() {
    use bitsmith_engine::plan::{BrowserProbe, device_from_probe};
    let probe = BrowserProbe {
        device_memory_gib: Some(8.0),
        hardware_concurrency: Some(8),
        adapter: Some("apple metal-3".into()),
        max_storage_buffer_binding_size: Some(128 << 20),
        measured_bandwidth_gbs: Some(60.0),
        measured_gpu_tflops: Some(2.0),
        ..BrowserProbe::default()
    };
    let dev = device_from_probe(&probe);
    let mut req = request("llama-3.2-1b-instruct", "pixel-8", 4096);
    req.device = dev;
    req.options.presets = vec![Preset::Q8_0];
    let r = plan(&req).unwrap();
    let p = &r.presets[0];
    // 8 GiB reported (a lower bound) × 0.75 for a desktop browser.
    assert_eq!(r.usable_bytes, 6 << 30);
    assert_eq!(p.verdict.fit, Fit::Fits);
    // Measured figures: efficiency 0.9, not the datasheet defaults.
    assert_eq!(p.speed.efficiency.bandwidth, 0.9);
    // The tied 128256 × 2048 embedding in Q8_0 (267 MiB) needs more than one 128 MiB binding.
    assert!(
        p.warnings.iter().any(|w| w.contains("buffer limit")),
        "{:?}",
        p.warnings
    );
}
