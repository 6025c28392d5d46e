//! `bitsmith plan`: will a model fit on a device, how fast will it run, what will it cost.
//!
//! The numbers come from `bitsmith_engine::plan` (the same code the web app runs); this file
//! only reads the inputs (a config file, a catalog name) and prints the report as text tables
//! or JSON.

use std::fmt::Write as _;

use bitsmith_engine::gguf::{GgufEvent, GgufFile, GgufStreamReader};
use bitsmith_engine::plan::speed::{MeasuredRun, Phase, SpeedScenario};
use bitsmith_engine::plan::{
    self as planner, CostOptions, KvType, ModelSpec, PlanOptions, PlanReport, PlanRequest, Preset,
    StoredWeights, TaggedRun, format_bytes,
};

#[derive(clap::Args, Debug)]
#[command(
    about = "Will a model fit on a device, how fast will it run, what will it cost",
    group(clap::ArgGroup::new("model").args(["config", "catalog", "gguf"])),
)]
pub struct PlanArgs {
    /// A Hugging Face config.json (or the model folder holding it) to plan for.
    #[arg(long, value_name = "FILE")]
    pub config: Option<std::path::PathBuf>,
    /// A GGUF file: its metadata gives the shape and its tensor list the exact weight bytes
    /// (planned beside the presets as "as stored"). Only the header is read.
    #[arg(long, value_name = "FILE")]
    pub gguf: Option<std::path::PathBuf>,
    /// A model from the bundled catalog (id, HF repo or unique part of the name).
    #[arg(long, value_name = "NAME")]
    pub catalog: Option<String>,
    /// The device (id or unique part of the name; see --list-devices). Without it only the
    /// memory per preset is shown.
    #[arg(long, value_name = "NAME")]
    pub device: Option<String>,
    /// Context length per sequence, in tokens [default: the model's, at most 4096].
    #[arg(long, value_name = "N")]
    pub ctx: Option<u64>,
    /// Sequences served in parallel.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub batch: u64,
    /// KV cache type: f16, q8_0 or q4_0.
    #[arg(long, value_name = "TYPE", default_value = "f16")]
    pub kv: String,
    /// Presets to plan (repeat or comma-separate) [default: all]; the first one's memory is
    /// broken down.
    #[arg(long, value_name = "P", value_delimiter = ',')]
    pub preset: Vec<String>,
    /// Plan without flash attention (the attention score matrix then needs its own buffer).
    #[arg(long)]
    pub no_flash_attn: bool,
    /// Weights will be quantized with an importance matrix.
    #[arg(long)]
    pub imatrix: bool,
    /// Prompt tokens per request for the speed and cost figures.
    #[arg(long, value_name = "N", default_value_t = 512)]
    pub prompt: u64,
    /// Generated tokens per request for the speed and cost figures.
    #[arg(long, value_name = "N", default_value_t = 128)]
    pub output: u64,
    /// Machine price in $/hour [default: the device's listed price, if any].
    #[arg(long, value_name = "USD")]
    pub price_per_hour: Option<f64>,
    /// Share of the time the machine is busy (0–1).
    #[arg(long, value_name = "U", default_value_t = 0.5)]
    pub utilization: f64,
    /// API price per 1M input tokens, to compare against.
    #[arg(long, value_name = "USD")]
    pub api_input: Option<f64>,
    /// API price per 1M output tokens, to compare against.
    #[arg(long, value_name = "USD")]
    pub api_output: Option<f64>,
    /// A measured decode speed (tok/s) of the first --preset at --prompt/--output, to calibrate.
    #[arg(long, value_name = "TOK_S")]
    pub measured_decode: Option<f64>,
    /// A measured prompt-processing speed (tok/s) of the first --preset at --prompt.
    #[arg(long, value_name = "TOK_S")]
    pub measured_prefill: Option<f64>,
    /// Print the whole report as JSON.
    #[arg(long)]
    pub json: bool,
    /// List the bundled devices and exit.
    #[arg(long)]
    pub list_devices: bool,
    /// List the bundled models and exit.
    #[arg(long)]
    pub list_models: bool,
}

pub fn run(args: PlanArgs) -> Result<(), String> {
    let text = render(&args)?;
    print!("{text}");
    Ok(())
}

/// Everything `run` prints, as a string (so it can be tested without a process).
pub fn render(args: &PlanArgs) -> Result<String, String> {
    if args.list_devices {
        return list_devices();
    }
    if args.list_models {
        return list_models();
    }
    let (model, stored) = load_model(args)?;
    let kv_type = KvType::from_name(&args.kv).map_err(|e| e.to_string())?;
    let presets = args
        .preset
        .iter()
        .filter(|s| !s.trim().is_empty())
        .map(|s| planner::parse_preset(s).map_err(|e| e.to_string()))
        .collect::<Result<Vec<Preset>, String>>()?;
    let ctx = args.ctx.unwrap_or(model.max_context.min(4096));
    let options = PlanOptions {
        ctx,
        batch: args.batch,
        kv_type,
        flash_attention: !args.no_flash_attn,
        has_imatrix: args.imatrix,
        presets: presets.clone(),
        prompt_tokens: args.prompt,
        output_tokens: args.output,
        ..PlanOptions::default()
    };
    let Some(device_name) = &args.device else {
        if args.measured_decode.is_some() || args.measured_prefill.is_some() {
            return Err("--measured-* needs --device".into());
        }
        return memory_only(&model, &options, stored.as_ref(), args.json);
    };
    let device = planner::find_device(device_name).map_err(|e| e.to_string())?;
    let cost = if args.price_per_hour.is_some()
        || args.api_input.is_some()
        || args.api_output.is_some()
        || args.utilization != CostOptions::default().utilization
    {
        Some(CostOptions {
            usd_per_hour: args.price_per_hour,
            utilization: args.utilization,
            api_input_usd_per_m: args.api_input,
            api_output_usd_per_m: args.api_output,
        })
    } else {
        None
    };
    let scenario = SpeedScenario {
        prompt_tokens: args.prompt.min(ctx).max(1),
        output_tokens: args.output,
        batch: args.batch,
    };
    let mut measured = Vec::new();
    for (phase, v) in [
        (Phase::Decode, args.measured_decode),
        (Phase::Prefill, args.measured_prefill),
    ] {
        if let Some(tps) = v {
            let preset = *presets
                .first()
                .ok_or("--measured-* needs --preset: the preset the run used")?;
            measured.push(TaggedRun {
                preset: Some(preset),
                run: MeasuredRun {
                    phase,
                    scenario,
                    tokens_per_s: tps,
                },
            });
        }
    }
    let request = PlanRequest {
        model,
        device: device.clone(),
        options,
        efficiency: None,
        measured,
        cost,
        stored,
    };
    let report = planner::plan(&request).map_err(|e| e.to_string())?;
    if args.json {
        return serde_json::to_string_pretty(&report)
            .map(|s| s + "\n")
            .map_err(|e| e.to_string());
    }
    let focus = match (presets.first(), &report.presets.last()) {
        (Some(p), _) => Some(p.name().to_string()),
        // A GGUF file: its own row (planned last) is the one to break down.
        (None, Some(last)) if last.preset.is_none() => Some(last.label.clone()),
        _ => None,
    };
    Ok(render_report(&report, focus))
}

fn load_model(args: &PlanArgs) -> Result<(ModelSpec, Option<StoredWeights>), String> {
    match (&args.config, &args.catalog, &args.gguf) {
        (Some(path), None, None) => {
            let file = if path.is_dir() {
                path.join("config.json")
            } else {
                path.clone()
            };
            let text = std::fs::read_to_string(&file)
                .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
            // Name the model after its folder (HF checkouts are named after the repo).
            let name = file
                .parent()
                .and_then(|p| p.file_name())
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| file.display().to_string());
            let spec = ModelSpec::from_hf_config(&name, &text)
                .map_err(|e| format!("{}: {e}", file.display()))?;
            Ok((spec, None))
        }
        (None, Some(name), None) => {
            let spec = planner::find_model(name)
                .and_then(|m| m.spec())
                .map_err(|e| e.to_string())?;
            Ok((spec, None))
        }
        (None, None, Some(path)) => {
            let header = read_gguf_header(path)?;
            let spec =
                ModelSpec::from_gguf(&header).map_err(|e| format!("{}: {e}", path.display()))?;
            let file_name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let stored = StoredWeights {
                label: format!("as stored ({file_name})"),
                tensors: planner::mix::stored_tensors(&header),
            };
            Ok((spec, Some(stored)))
        }
        _ => Err("give the model with --config FILE, --catalog NAME or --gguf FILE".into()),
    }
}

/// Feeds the engine's push parser 1 MiB at a time until the header is complete, so a
/// multi-gigabyte file is not read whole.
fn read_gguf_header(path: &std::path::Path) -> Result<GgufFile, String> {
    use std::io::Read as _;
    let shown = path.display();
    let mut f = std::fs::File::open(path).map_err(|e| format!("{shown}: {e}"))?;
    let size = f.metadata().map_err(|e| format!("{shown}: {e}"))?.len();
    let mut reader = GgufStreamReader::with_file_size(size);
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).map_err(|e| format!("{shown}: {e}"))?;
        if n == 0 {
            reader.finish().map_err(|e| format!("{shown}: {e}"))?;
            return Err(format!("{shown}: no GGUF header found"));
        }
        for ev in reader
            .feed(&buf[..n])
            .map_err(|e| format!("{shown}: {e}"))?
        {
            if let GgufEvent::Header(h) = ev {
                return Ok(h);
            }
        }
    }
}

fn gib(b: u64) -> String {
    format_bytes(b)
}

fn params_text(n: u64) -> String {
    let n = n as f64;
    if n >= 1e9 {
        format!("{:.2} B", n / 1e9)
    } else {
        format!("{:.1} M", n / 1e6)
    }
}

fn tps(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

fn model_line(m: &ModelSpec) -> String {
    let p = m.params();
    let mut s = format!(
        "Model:   {} ({}), {} params: embedding {}, output {}, attention {}, FFN {}\n         {} layers, {} heads / {} KV heads × {}, hidden {}, vocab {}, trained context {}",
        m.name,
        m.architecture,
        params_text(p.total),
        params_text(p.embedding),
        if m.tied_embeddings {
            "tied".to_string()
        } else {
            params_text(p.output)
        },
        params_text(p.attention),
        params_text(p.ffn),
        m.n_layers,
        m.n_heads,
        m.n_kv_heads,
        m.head_dim,
        m.hidden,
        m.vocab,
        m.max_context
    );
    if let Some(w) = m.sliding_window {
        let _ = write!(s, ", {} layers with a {w}-token window", m.sliding_layers);
    }
    if let Some(moe) = &m.moe {
        let _ = write!(
            s,
            ", {} of {} experts per token",
            moe.n_experts_used, moe.n_experts
        );
    }
    if m.mla.is_some() {
        s.push_str(", latent attention (MLA)");
    }
    s.push('\n');
    s
}

/// Without a device: weights and memory per preset.
fn memory_only(
    model: &ModelSpec,
    o: &PlanOptions,
    stored: Option<&StoredWeights>,
    json: bool,
) -> Result<String, String> {
    let presets: Vec<Preset> = if o.presets.is_empty() {
        planner::PLANNED_PRESETS.to_vec()
    } else {
        o.presets.clone()
    };
    let kv = planner::memory::kv_cache(model, o.ctx, o.batch, o.kv_type);
    let compute =
        planner::memory::compute_buffer(model, o.ctx, o.batch, o.ubatch, o.flash_attention);
    let mut weights = presets
        .iter()
        .map(|&p| planner::mix::estimate_weights(model, p, o.has_imatrix))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    if let Some(st) = stored {
        weights.push(planner::mix::estimate_stored(model, &st.label, &st.tensors));
    }
    if json {
        let v = serde_json::json!({
            "model": model,
            "params": model.params(),
            "options": o,
            "kv": kv,
            "compute": compute,
            "weights": weights,
        });
        return serde_json::to_string_pretty(&v)
            .map(|s| s + "\n")
            .map_err(|e| e.to_string());
    }
    let mut s = model_line(model);
    let _ = writeln!(
        s,
        "KV cache: {}\nCompute:  {}\n(no --device: runtime overhead and verdicts need one; see --list-devices)\n",
        kv.formula, compute.formula
    );
    let _ = writeln!(
        s,
        "{:<8} {:>6} {:>11} {:>11}",
        "preset", "bpw", "weights", "+KV+compute"
    );
    for w in &weights {
        let _ = writeln!(
            s,
            "{:<8} {:>6.2} {:>11} {:>11}",
            w.label,
            w.bpw,
            gib(w.bytes),
            gib(w.bytes + kv.bytes + compute.bytes)
        );
    }
    Ok(s)
}

fn render_report(r: &PlanReport, focus: Option<String>) -> String {
    let mut s = model_line(&r.model);
    let d = &r.device;
    let _ = writeln!(
        s,
        "Device:  {}: {} GiB ({} usable = {}), {} GB/s, {} TFLOPS{}",
        d.name,
        d.memory_gib,
        gib(r.usable_bytes),
        r.usable_formula,
        d.bandwidth_gbs,
        d.fp16_tflops,
        match d.usd_per_hour {
            Some(p) => format!(", ${p}/h"),
            None => String::new(),
        }
    );
    let o = &r.options;
    let _ = writeln!(
        s,
        "Run:     context {} × {} sequence(s), KV {}, flash attention {}, speed at {} prompt + {} output tokens\n",
        o.ctx,
        o.batch,
        o.kv_type.name(),
        if o.flash_attention { "on" } else { "off" },
        o.prompt_tokens.min(o.ctx),
        o.output_tokens
    );

    // The memory breakdown of the focus row: the one asked for, else the best, else Q4_K_M.
    let focus = focus
        .or(r.best.as_ref().map(|b| b.preset.name().to_string()))
        .unwrap_or_else(|| "Q4_K_M".to_string());
    let focused = r.presets.iter().find(|p| p.label == focus);
    if let Some(p) = focused {
        let _ = writeln!(s, "Memory for {}:", p.label);
        for item in &p.memory.items {
            let _ = writeln!(
                s,
                "  {:<18} {:>10}   {}",
                item.label,
                gib(item.bytes),
                item.formula
            );
        }
        let _ = writeln!(
            s,
            "  {:<18} {:>10}   of {} usable\n",
            "Total",
            gib(p.memory.total),
            gib(r.usable_bytes)
        );
    }

    let has_cost = r.presets.iter().any(|p| p.cost.is_some());
    let lw = r
        .presets
        .iter()
        .map(|p| p.label.len())
        .max()
        .unwrap_or(6)
        .max(6);
    let _ = write!(
        s,
        "{:<lw$} {:>6} {:>10} {:>10}  {:<27} {:>8} {:>9} {:>8}",
        "preset", "bpw", "weights", "total", "verdict", "max ctx", "prefill/s", "decode/s"
    );
    if has_cost {
        let _ = write!(s, " {:>9} {:>7}", "$/1M tok", "saves");
    }
    s.push('\n');
    for p in &r.presets {
        let _ = write!(
            s,
            "{:<lw$} {:>6.2} {:>10} {:>10}  {:<27} {:>8} {:>9} {:>8}",
            p.label,
            p.weights.bpw,
            gib(p.weights.bytes),
            gib(p.verdict.needed_bytes),
            p.verdict.fit.label(),
            if p.verdict.max_context == 0 {
                "-".to_string()
            } else {
                p.verdict.max_context.to_string()
            },
            tps(p.speed.prefill.tokens_per_s),
            tps(p.speed.decode.tokens_per_s)
        );
        if let Some(c) = &p.cost {
            let _ = write!(
                s,
                " {:>9.4} {:>6.0}%",
                c.usd_per_m_blended,
                p.cost_saving_pct.unwrap_or(0.0)
            );
        }
        s.push('\n');
    }
    s.push('\n');
    match &r.best {
        Some(b) => {
            let _ = writeln!(s, "Best: {} ({}): {}", b.preset, b.fit.label(), b.reason);
        }
        None => {
            let _ = writeln!(
                s,
                "Best: none — no preset fits even {} tokens of context",
                planner::verdict::MIN_USEFUL_CONTEXT
            );
        }
    }
    if let Some(p) = focused {
        let _ = writeln!(
            s,
            "\nSpeed for {} (roofline):\n  {}\n  {}",
            p.label, p.speed.prefill.formula, p.speed.decode.formula
        );
        if let Some(full) = &p.speed.decode_at_context {
            let _ = writeln!(s, "  {}", full.formula);
        }
        if let Some(c) = &p.cost {
            let _ = writeln!(s, "\nCost for {}:", p.label);
            for f in &c.formulas {
                let _ = writeln!(s, "  {f}");
            }
            if let Some(ok) = c.break_even_within_capacity {
                let _ = writeln!(
                    s,
                    "  one machine serves {:.1}M tokens/month at this utilization: break-even is {}",
                    c.capacity_tokens_per_month / 1e6,
                    if ok {
                        "within reach"
                    } else {
                        "beyond one machine"
                    }
                );
            }
        }
        for w in &p.warnings {
            let _ = writeln!(s, "  warning: {w}");
        }
    }
    if let Some(c) = &r.calibration {
        let _ = writeln!(
            s,
            "\nCalibration: bandwidth efficiency {:.3} (was {:.2}), compute {:.3} (was {:.2}); mean error {:.1}% → {:.1}%",
            c.efficiency.bandwidth,
            c.before.bandwidth,
            c.efficiency.compute,
            c.before.compute,
            c.mean_abs_error_before_pct,
            c.mean_abs_error_after_pct
        );
        for pt in &c.points {
            let _ = writeln!(
                s,
                "  {:?}: measured {:.1} tok/s, predicted {:.1} before ({:+.1}%), {:.1} after ({:+.1}%)",
                pt.phase,
                pt.measured_tokens_per_s,
                pt.predicted_before,
                pt.error_before_pct,
                pt.predicted_after,
                pt.error_after_pct
            );
        }
        for n in &c.notes {
            let _ = writeln!(s, "  {n}");
        }
    }
    if !r.assumptions.is_empty() {
        s.push_str("\nAssumptions:\n");
        for a in &r.assumptions {
            let _ = writeln!(s, "  - {a}");
        }
    }
    s
}

fn list_devices() -> Result<String, String> {
    let all = planner::devices().map_err(|e| e.to_string())?;
    let mut s = format!(
        "{:<24} {:<14} {:>8} {:>8} {:>9} {:>7}  {}\n",
        "id", "kind", "GiB", "GB/s", "TFLOPS", "$/h", "name"
    );
    for d in all {
        let _ = writeln!(
            s,
            "{:<24} {:<14} {:>8} {:>8} {:>9} {:>7}  {}",
            d.id,
            d.kind.name(),
            d.memory_gib,
            d.bandwidth_gbs,
            d.fp16_tflops,
            d.usd_per_hour.map(|p| p.to_string()).unwrap_or_default(),
            d.name
        );
    }
    Ok(s)
}

fn list_models() -> Result<String, String> {
    let all = planner::catalog().map_err(|e| e.to_string())?;
    let mut s = format!("{:<26} {:>9}  {}\n", "id", "params", "Hugging Face repo");
    for m in all {
        let p = m.spec().map_err(|e| e.to_string())?.params().total;
        let _ = writeln!(s, "{:<26} {:>9}  {}", m.id, params_text(p), m.hf_repo);
    }
    Ok(s)
}
