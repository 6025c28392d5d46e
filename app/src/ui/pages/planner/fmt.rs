//! Number formatting for the planner's tables (plain digits, as the rest of the app shows them),
//! and translations with plain-text arguments.

use fluent_bundle::FluentValue;

use crate::ui::Tr;

/// The translations, taking arguments as text: the page passes formatted strings everywhere,
/// and converting them in one place (rather than at each of some forty call sites) keeps the
/// first-load code small.
pub struct L(pub Tr);

impl L {
    pub fn t(&self, key: &str) -> String {
        self.0.t(key)
    }

    pub fn ta(&self, key: &str, args: &[(&str, &str)]) -> String {
        let args: Vec<(&str, FluentValue)> = args
            .iter()
            .map(|(k, v)| (*k, FluentValue::from(*v)))
            .collect();
        self.0.ta(key, &args)
    }
}

/// Binary units with one decimal, like the Settings page: "1.0 GiB", "512.0 MiB".
pub fn bytes(b: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = b as f64;
    let mut i = 0;
    while v >= 1024.0 && i + 1 < UNITS.len() {
        v /= 1024.0;
        i += 1;
    }
    if i == 0 {
        format!("{b} B")
    } else {
        format!("{v:.1} {}", UNITS[i])
    }
}

/// Three significant digits, no exponent: 0.0123, 1.23, 12.3, 123, 1234.
pub fn sig3(x: f64) -> String {
    let a = x.abs();
    if !x.is_finite() {
        "–".into()
    } else if a >= 100.0 || a == 0.0 {
        format!("{x:.0}")
    } else if a >= 10.0 {
        format!("{x:.1}")
    } else if a >= 1.0 {
        format!("{x:.2}")
    } else {
        // Enough decimals for three significant digits.
        let d = (-a.log10()).floor() as usize + 3;
        format!("{x:.d$}")
    }
}

/// Tokens per second.
pub fn tps(x: f64) -> String {
    sig3(x)
}

/// Dollars: cents above $1, three significant digits below.
pub fn usd(x: f64) -> String {
    if x.abs() >= 1.0 {
        format!("${x:.2}")
    } else {
        format!("${}", sig3(x))
    }
}

/// A signed percentage with one decimal.
pub fn pct(x: f64) -> String {
    format!("{x:+.1} %")
}

/// Parameters as "8.03 B" / "135 M".
pub fn params(n: u64) -> String {
    let x = n as f64;
    if x >= 1e9 {
        format!("{} B", sig3(x / 1e9))
    } else {
        format!("{} M", sig3(x / 1e6))
    }
}

/// Millions, three significant digits.
pub fn millions(x: f64) -> String {
    sig3(x / 1e6)
}

/// Compute throughput from TFLOPS: GFLOPS below 0.1 TFLOPS (a browser's single thread).
pub fn flops(tflops: f64) -> String {
    if tflops < 0.1 {
        format!("{} GFLOPS", sig3(tflops * 1000.0))
    } else {
        format!("{} TFLOPS", sig3(tflops))
    }
}
