//! Hand-worked speed (roofline), calibration and cost cases for the planner.

use bitsmith_engine::plan::cost::{
    CostOptions, break_even_tokens_per_month, cost_per_million, estimate, owned_usd_per_hour,
};
use bitsmith_engine::plan::memory::KvType;
use bitsmith_engine::plan::mix::estimate_weights;
use bitsmith_engine::plan::speed::{
    Efficiency, MeasuredRun, Phase, SpeedScenario, calibrate, predict, predict_decode,
    predict_prefill,
};
use bitsmith_engine::plan::{DeviceKind, DeviceSpec, ModelSpec, Preset, find_device, find_model};

fn llama3_8b() -> ModelSpec {
    find_model("llama-3.1-8b-instruct").unwrap().spec().unwrap()
}

/// A round-numbered device: 1000 GB/s, 1000 TFLOPS.
fn round_device() -> DeviceSpec {
    DeviceSpec {
        id: "round".into(),
        name: "Round".into(),
        kind: DeviceKind::CloudGpu,
        memory_gib: 80.0,
        bandwidth_gbs: 1000.0,
        fp16_tflops: 1000.0,
        int8_tops: None,
        usable_fraction: None,
        usd_per_hour: Some(2.0),
        price_note: None,
        msrp_usd: None,
        tdp_w: None,
        source: "test".into(),
        notes: None,
        measured: false,
        max_buffer_bytes: None,
    }
}

const UNIT: Efficiency = Efficiency {
    bandwidth: 1.0,
    compute: 1.0,
};

#[test]
fn decode_roofline_by_hand() {
    let m = llama3_8b();
    let w = estimate_weights(&m, Preset::Q8_0, false).unwrap();
    // Per token a decode step reads every matmul weight in Q8_0 (34 B per 32), one row of the
    // Q8_0 embedding, and the F32 norms:
    let matmul = 8_030_261_248u64 - 525_336_576 - 266_240;
    let read = matmul / 32 * 34 + 4096 / 32 * 34 + 266_240 * 4;
    assert_eq!(w.decode_read_bytes, read);
    // Position 0: no KV to read. 1000 GB/s ÷ 7.97 GB = 125.4 tok/s, memory-bound.
    let d = predict_decode(&m, &w, KvType::F16, &round_device(), 1, 0, UNIT);
    assert!(d.memory_bound);
    assert!((d.tokens_per_s - 1e12 / read as f64).abs() < 1e-9);
    assert!(
        (d.tokens_per_s - 125.395).abs() < 0.001,
        "{}",
        d.tokens_per_s
    );
    // At position 576 (pp512 + tg128 / 2) the KV read adds 576 × 128 KiB.
    let d = predict_decode(&m, &w, KvType::F16, &round_device(), 1, 576, UNIT);
    assert_eq!(d.bytes, (read + 576 * 131_072) as f64);
    // Halving the efficiency halves the speed.
    let half = Efficiency {
        bandwidth: 0.5,
        compute: 1.0,
    };
    let h = predict_decode(&m, &w, KvType::F16, &round_device(), 1, 576, half);
    assert!((h.tokens_per_s * 2.0 - d.tokens_per_s).abs() < 1e-9);
    // A batch of 8 reads the weights once for 8 tokens: nearly 8× the throughput.
    let b8 = predict_decode(&m, &w, KvType::F16, &round_device(), 8, 576, UNIT);
    assert!(b8.tokens_per_s > 7.0 * d.tokens_per_s);
}

#[test]
fn prefill_roofline_by_hand() {
    let m = llama3_8b();
    let w = estimate_weights(&m, Preset::Q4_K_M, false).unwrap();
    let dev = round_device();
    let s = SpeedScenario {
        prompt_tokens: 512,
        output_tokens: 128,
        batch: 1,
    };
    let p = predict_prefill(&m, &w, KvType::F16, &dev, &s, 512, UNIT);
    let per_token = 8_030_261_248f64 - 525_336_576.0 - 266_240.0;
    let out = 525_336_576f64;
    // Matmuls for 512 tokens, logits only for the last; attention: 2 × 32 heads × (128 + 128)
    // FLOPs per pair, 512·513/2 causal pairs, 32 layers.
    let flops = 2.0 * (per_token - out) * 512.0
        + 2.0 * out
        + 2.0 * 32.0 * 256.0 * 32.0 * (512.0 * 513.0 / 2.0);
    assert!((p.flops - flops).abs() / flops < 1e-12);
    assert!(!p.memory_bound);
    assert!((p.tokens_per_s - 512.0 / (flops / 1e15)).abs() < 1e-6);
    // Peak tok/s for an 8B model on 1000 TFLOPS: about 70k.
    assert!(p.tokens_per_s > 65_000.0 && p.tokens_per_s < 75_000.0);
}

#[test]
fn calibration_recovers_known_efficiencies() {
    let m = llama3_8b();
    let w = estimate_weights(&m, Preset::Q4_K_M, false).unwrap();
    let dev = find_device("rtx-4090").unwrap();
    let truth = Efficiency {
        bandwidth: 0.55,
        compute: 0.35,
    };
    let sc = |p, o, b| SpeedScenario {
        prompt_tokens: p,
        output_tokens: o,
        batch: b,
    };
    let mut runs = Vec::new();
    for s in [sc(512, 128, 1), sc(4096, 128, 1), sc(512, 128, 4)] {
        let t = predict_decode(
            &m,
            &w,
            KvType::F16,
            dev,
            s.batch,
            s.mean_decode_position(),
            truth,
        );
        runs.push(MeasuredRun {
            phase: Phase::Decode,
            scenario: s,
            tokens_per_s: t.tokens_per_s,
        });
    }
    for s in [sc(512, 0, 1), sc(2048, 0, 1)] {
        let t = predict_prefill(&m, &w, KvType::F16, dev, &s, 512, truth);
        runs.push(MeasuredRun {
            phase: Phase::Prefill,
            scenario: s,
            tokens_per_s: t.tokens_per_s,
        });
    }
    let start = Efficiency::default_for(dev);
    let c = calibrate(&m, &w, KvType::F16, dev, 512, &runs, start).unwrap();
    assert!(
        (c.efficiency.bandwidth - 0.55).abs() < 1e-4,
        "{:?}",
        c.efficiency
    );
    assert!(
        (c.efficiency.compute - 0.35).abs() < 1e-4,
        "{:?}",
        c.efficiency
    );
    assert!(
        c.mean_abs_error_after_pct < 0.05,
        "{}",
        c.mean_abs_error_after_pct
    );
    assert!(c.mean_abs_error_before_pct > 5.0);
    // The defaults over-predicted decode by 0.6/0.55 − 1 ≈ 9.1 %.
    let d0 = &c.points[0];
    assert!((d0.error_before_pct - (0.6 / 0.55 - 1.0) * 100.0).abs() < 0.01);
    // No runs is an error, not a silent default.
    assert!(calibrate(&m, &w, KvType::F16, dev, 512, &[], start).is_err());
    // Decode runs only: compute efficiency keeps its default and the report says so.
    let c = calibrate(&m, &w, KvType::F16, dev, 512, &runs[..3], start).unwrap();
    assert_eq!(c.efficiency.compute, start.compute);
    assert!(c.notes.iter().any(|n| n.contains("no prefill runs")));
}

#[test]
fn predict_reports_both_phases_and_full_context() {
    let m = llama3_8b();
    let w = estimate_weights(&m, Preset::Q4_K_M, false).unwrap();
    let dev = find_device("apple-m2-ultra-192gb").unwrap();
    let e = Efficiency::default_for(dev);
    let s = predict(
        &m,
        &w,
        KvType::F16,
        dev,
        &SpeedScenario::default(),
        512,
        Some(131_072),
        e,
    );
    // 800 GB/s × 0.6 ÷ ~4.9 GB ≈ 98 tok/s at a short context…
    assert!(s.decode.tokens_per_s > 80.0 && s.decode.tokens_per_s < 110.0);
    // …and far less at the end of a 128k context, where the KV read (16 GiB) dominates.
    let full = s.decode_at_context.unwrap();
    assert!(full.tokens_per_s < s.decode.tokens_per_s / 3.0);
    assert!(
        s.decode.formula.contains("memory-bound"),
        "{}",
        s.decode.formula
    );
}

#[test]
fn cost_formulas_by_hand() {
    // $2/h at 100 tok/s, half busy: 2 / (100 × 3600 × 0.5) × 1e6 = $11.11 per 1M.
    assert!((cost_per_million(2.0, 100.0, 0.5) - 100.0 / 9.0).abs() < 1e-9);
    // $1460 a month against $0.24 per 1M: 6.083e9 tokens a month.
    assert!((break_even_tokens_per_month(1460.0, 0.24) - 1460.0 / 0.24 * 1e6).abs() < 1.0);
    // An RTX 4090 over 3 years at 450 W and $0.15/kWh: $0.1284/h.
    let h = owned_usd_per_hour(1599.0, 3.0, 450.0, 0.15);
    assert!((h - (1599.0 / 26_280.0 + 0.0675)).abs() < 1e-12);

    let opts = CostOptions {
        usd_per_hour: None,
        utilization: 0.5,
        api_input_usd_per_m: Some(0.15),
        api_output_usd_per_m: Some(0.60),
    };
    // 512 in at 1000 tok/s + 128 out at 50 tok/s = 3.072 s per 640 tokens.
    let c = estimate(&opts, 2.0, 512, 128, 1000.0, 50.0);
    let blended = 640.0 / 3.072;
    assert!((c.usd_per_m_blended - 2.0 / (blended * 3600.0 * 0.5) * 1e6).abs() < 1e-9);
    assert!((c.usd_per_m_output - 2.0 / (50.0 * 1800.0) * 1e6).abs() < 1e-9);
    assert!((c.monthly_usd - 1460.0).abs() < 1e-9);
    assert!((c.api_blended_usd_per_m.unwrap() - 0.24).abs() < 1e-12);
    let be = c.break_even_tokens_per_month.unwrap();
    assert!((be - 1460.0 / 0.24 * 1e6).abs() < 1.0);
    // One such machine serves 208 tok/s × 730 h × 50 %: 274M tokens, short of break-even.
    assert!((c.capacity_tokens_per_month - blended * 3600.0 * 730.0 * 0.5).abs() < 1.0);
    assert_eq!(c.break_even_within_capacity, Some(false));
    assert!(c.formulas.iter().any(|f| f.starts_with("break-even")));
    let bad = CostOptions {
        utilization: 0.0,
        ..opts
    };
    assert!(bad.validate().is_err());
}
