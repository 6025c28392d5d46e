//! Number formatting for the workbench (units are symbols, the same in every locale).

pub use super::super::settings::format_bytes;

/// `format_bytes` for an integer count.
pub fn bytes(b: u64) -> String {
    format_bytes(b as f64)
}

/// A duration in seconds as "45 s", "3 min 20 s", "1 h 5 min".
pub fn duration(secs: f64) -> String {
    let s = secs.max(0.0).round() as u64;
    if s < 60 {
        format!("{s} s")
    } else if s < 3600 {
        format!("{} min {} s", s / 60, s % 60)
    } else {
        format!("{} h {} min", s / 3600, (s % 3600) / 60)
    }
}

/// A parameter count as "135M", "1.1B".
pub fn params(n: u64) -> String {
    let n = n as f64;
    if n >= 1e9 {
        format!("{:.1}B", n / 1e9)
    } else if n >= 1e6 {
        format!("{:.0}M", n / 1e6)
    } else if n >= 1e3 {
        format!("{:.0}K", n / 1e3)
    } else {
        format!("{n}")
    }
}

/// A date in the user's locale.
pub fn date(ms: f64, locale: &str) -> String {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms));
    d.to_locale_date_string(locale, &wasm_bindgen::JsValue::UNDEFINED)
        .into()
}

pub fn bpw(v: f64) -> String {
    format!("{v:.2}")
}
