//! What running it costs, against an API.
//!
//! Cost per 1M tokens = $/h ÷ (tokens/s × 3600 × utilization) × 1e6.
//! Break-even volume = monthly self-hosting cost ÷ blended API price per token.

use serde::{Deserialize, Serialize};

use super::PlanError;

/// Hours in an average month (8760 / 12).
pub const HOURS_PER_MONTH: f64 = 730.0;
/// Default share of the hours a self-hosted machine is busy serving.
pub const DEFAULT_UTILIZATION: f64 = 0.5;

/// Cost per one million tokens at `tokens_per_s` when the machine costs `usd_per_hour` and is
/// busy `utilization` of the time.
pub fn cost_per_million(usd_per_hour: f64, tokens_per_s: f64, utilization: f64) -> f64 {
    usd_per_hour / (tokens_per_s * 3600.0 * utilization) * 1e6
}

/// Tokens per month at which paying for a machine by the month equals paying an API
/// `api_usd_per_million` per 1M tokens.
pub fn break_even_tokens_per_month(monthly_usd: f64, api_usd_per_million: f64) -> f64 {
    monthly_usd / api_usd_per_million * 1e6
}

/// Hourly cost of owned hardware: purchase price spread over `years` of continuous use plus
/// electricity at `watts` and `usd_per_kwh`.
pub fn owned_usd_per_hour(price_usd: f64, years: f64, watts: f64, usd_per_kwh: f64) -> f64 {
    price_usd / (years * 8760.0) + watts / 1000.0 * usd_per_kwh
}

/// The user's price inputs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CostOptions {
    /// Machine price per hour; `None` takes the device's listed price.
    #[serde(default)]
    pub usd_per_hour: Option<f64>,
    #[serde(default = "default_utilization")]
    pub utilization: f64,
    /// API price per 1M input (prompt) tokens and per 1M output tokens.
    #[serde(default)]
    pub api_input_usd_per_m: Option<f64>,
    #[serde(default)]
    pub api_output_usd_per_m: Option<f64>,
}

fn default_utilization() -> f64 {
    DEFAULT_UTILIZATION
}

impl Default for CostOptions {
    fn default() -> CostOptions {
        CostOptions {
            usd_per_hour: None,
            utilization: DEFAULT_UTILIZATION,
            api_input_usd_per_m: None,
            api_output_usd_per_m: None,
        }
    }
}

impl CostOptions {
    pub fn validate(&self) -> Result<(), PlanError> {
        if !(self.utilization > 0.0 && self.utilization <= 1.0) {
            return Err(PlanError::invalid(
                "utilization",
                self.utilization.to_string(),
            ));
        }
        for (name, v) in [
            ("usd_per_hour", self.usd_per_hour),
            ("api_input_usd_per_m", self.api_input_usd_per_m),
            ("api_output_usd_per_m", self.api_output_usd_per_m),
        ] {
            if let Some(v) = v
                && !(v.is_finite() && v >= 0.0)
            {
                return Err(PlanError::invalid(name, v.to_string()));
            }
        }
        Ok(())
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CostEstimate {
    pub usd_per_hour: f64,
    pub utilization: f64,
    /// Per 1M prompt tokens (prefill speed) and per 1M generated tokens (decode speed).
    pub usd_per_m_input: f64,
    pub usd_per_m_output: f64,
    /// Per 1M tokens of traffic with the scenario's prompt : output mix.
    pub usd_per_m_blended: f64,
    pub monthly_usd: f64,
    /// Tokens (prompt + output) the machine serves per month at this utilization.
    pub capacity_tokens_per_month: f64,
    pub api_blended_usd_per_m: Option<f64>,
    pub break_even_tokens_per_month: Option<f64>,
    /// Whether the break-even volume is within what one machine can serve.
    pub break_even_within_capacity: Option<bool>,
    pub formulas: Vec<String>,
}

/// Costs for a workload of requests with `prompt_tokens` in and `output_tokens` out, processed
/// at `prefill_tps` and `decode_tps`.
pub fn estimate(
    opts: &CostOptions,
    usd_per_hour: f64,
    prompt_tokens: u64,
    output_tokens: u64,
    prefill_tps: f64,
    decode_tps: f64,
) -> CostEstimate {
    let u = opts.utilization;
    let p = prompt_tokens as f64;
    let o = output_tokens as f64;
    let seconds_per_request = p / prefill_tps + o / decode_tps;
    let blended_tps = (p + o) / seconds_per_request;
    let usd_per_m_blended = cost_per_million(usd_per_hour, blended_tps, u);
    let monthly_usd = usd_per_hour * HOURS_PER_MONTH;
    let capacity = blended_tps * 3600.0 * HOURS_PER_MONTH * u;
    let api_blended = match (opts.api_input_usd_per_m, opts.api_output_usd_per_m) {
        (Some(i), Some(out)) if p + o > 0.0 => Some((p * i + o * out) / (p + o)),
        (Some(i), None) => Some(i),
        (None, Some(out)) => Some(out),
        _ => None,
    };
    let break_even = api_blended
        .filter(|a| *a > 0.0)
        .map(|a| break_even_tokens_per_month(monthly_usd, a));
    let mut formulas = vec![
        format!(
            "blended speed = ({p} + {o}) tokens ÷ ({p}/{prefill_tps:.1} + {o}/{decode_tps:.1}) s = {blended_tps:.1} tok/s"
        ),
        format!(
            "cost per 1M = ${usd_per_hour:.3}/h ÷ ({blended_tps:.1} tok/s × 3600 × {u}) × 1e6 = ${usd_per_m_blended:.4}"
        ),
        format!("monthly = ${usd_per_hour:.3}/h × {HOURS_PER_MONTH} h = ${monthly_usd:.2}"),
    ];
    if let (Some(a), Some(be)) = (api_blended, break_even) {
        formulas.push(format!(
            "break-even = ${monthly_usd:.2} ÷ ${a:.4} per 1M = {:.3}M tokens/month",
            be / 1e6
        ));
    }
    CostEstimate {
        usd_per_hour,
        utilization: u,
        usd_per_m_input: cost_per_million(usd_per_hour, prefill_tps, u),
        usd_per_m_output: cost_per_million(usd_per_hour, decode_tps, u),
        usd_per_m_blended,
        monthly_usd,
        capacity_tokens_per_month: capacity,
        api_blended_usd_per_m: api_blended,
        break_even_tokens_per_month: break_even,
        break_even_within_capacity: break_even.map(|be| be <= capacity),
        formulas,
    }
}
