//! The bundled device database and model catalog are valid and cover what the planner promises.

use std::collections::BTreeSet;

use bitsmith_engine::plan::device::DEVICES_JSON;
use bitsmith_engine::plan::{DeviceKind, catalog, devices, find_model};

#[test]
fn devices_json_is_valid_and_sourced() {
    let all = devices().unwrap();
    assert!(all.len() >= 30, "{} devices", all.len());
    let mut ids = BTreeSet::new();
    let mut names = BTreeSet::new();
    for d in all {
        assert!(ids.insert(d.id.clone()), "duplicate id {}", d.id);
        assert!(names.insert(d.name.clone()), "duplicate name {}", d.name);
        assert!(d.source.len() > 10, "{} has no real source", d.id);
        assert!(d.memory_gib > 0.0 && d.bandwidth_gbs > 0.0 && d.fp16_tflops > 0.0);
        for v in [d.int8_tops, d.usd_per_hour, d.msrp_usd, d.tdp_w]
            .into_iter()
            .flatten()
        {
            assert!(v > 0.0, "{}", d.id);
        }
        // A price always says where it comes from.
        assert_eq!(d.usd_per_hour.is_some(), d.price_note.is_some(), "{}", d.id);
        // Sanity: bandwidth per GiB of memory between a Raspberry Pi and an HBM card.
        let ratio = d.bandwidth_gbs / d.memory_gib;
        assert!((1.0..=80.0).contains(&ratio), "{}: {ratio}", d.id);
        let usable = d.usable_fraction();
        assert!(usable > 0.0 && usable <= 1.0);
    }
    for kind in [
        DeviceKind::Phone,
        DeviceKind::Laptop,
        DeviceKind::AppleSilicon,
        DeviceKind::DesktopCpu,
        DeviceKind::DesktopGpu,
        DeviceKind::CloudGpu,
    ] {
        assert!(all.iter().any(|d| d.kind == kind), "no {kind:?}");
    }
    for id in [
        "iphone-15-pro",
        "pixel-8",
        "galaxy-s24",
        "apple-m1-16gb",
        "apple-m2-16gb",
        "apple-m3-max-128gb",
        "apple-m4-pro-48gb",
        "pc-ddr4-3200",
        "pc-ddr5-5600",
        "rtx-3060-12gb",
        "rtx-3090",
        "rtx-4090",
        "rtx-5090",
        "rx-7900-xtx",
        "nvidia-t4",
        "nvidia-l4",
        "nvidia-a10g",
        "a100-40gb",
        "a100-80gb",
        "h100-sxm",
        "h100-pcie",
        "h200-sxm",
        "mi300x",
    ] {
        assert!(ids.contains(id), "missing {id}");
    }
    // Spot-check published figures.
    let get = |id: &str| all.iter().find(|d| d.id == id).unwrap();
    assert_eq!(get("rtx-4090").bandwidth_gbs, 1008.0);
    assert_eq!(get("h100-sxm").bandwidth_gbs, 3350.0);
    assert_eq!(get("a100-80gb").bandwidth_gbs, 2039.0);
    assert_eq!(get("apple-m1-16gb").bandwidth_gbs, 68.25);
    assert_eq!(get("mi300x").memory_gib, 192.0);
    // The raw text parses as JSON with an `about` that defines the units.
    let v: serde_json::Value = serde_json::from_str(DEVICES_JSON).unwrap();
    assert!(v["about"].as_str().unwrap().contains("GB/s"));
}

#[test]
fn catalog_models_parse_and_look_up() {
    let all = catalog().unwrap();
    assert_eq!(all.len(), 12);
    for m in all {
        let s = m.spec().unwrap();
        assert!(m.hf_repo.contains('/'), "{}", m.id);
        assert!(s.params().total > 100_000_000, "{}", m.id);
        assert!(s.assumptions.is_empty(), "{}: {:?}", m.id, s.assumptions);
    }
    assert_eq!(
        find_model("Qwen/Qwen2.5-0.5B-Instruct").unwrap().id,
        "qwen2.5-0.5b-instruct"
    );
    assert!(find_model("smollm2").is_err(), "three SmolLM2 models match");
    assert!(find_model("gpt-5").is_err());
    let smol = find_model("smollm2-135m-instruct").unwrap();
    assert_eq!(smol.files[0].bytes, 98_362_432);
}
