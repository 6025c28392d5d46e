//! The IndexedDB store in a real browser: schema created by the migrations, records survive a
//! close and reopen, and a newer record shape still loads old data.

#![cfg(target_arch = "wasm32")]

use bitsmith_app::settings::{Settings, Theme};
use bitsmith_app::store::{SCHEMA_VERSION, STORE_KV, STORE_META, Store};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn unique(name: &str) -> String {
    format!("{name}-{}", js_sys::Math::random())
}

#[wasm_bindgen_test]
async fn migrations_create_the_schema_and_records_survive_reopen() {
    let name = unique("bitsmith-test");
    let store = Store::open_named(&name).await.unwrap();
    assert_eq!(store.version(), SCHEMA_VERSION);
    let names = store.store_names();
    assert!(names.contains(&STORE_KV.to_string()) && names.contains(&STORE_META.to_string()));
    let s = Settings {
        locale: Some("ar".into()),
        theme: Theme::Dark,
    };
    store.put(STORE_KV, "settings", &s).await.unwrap();
    store.close();
    let again = Store::open_named(&name).await.unwrap();
    assert_eq!(
        again.get::<Settings>(STORE_KV, "settings").await.unwrap(),
        Some(s)
    );
    assert_eq!(
        again.get::<Settings>(STORE_KV, "absent").await.unwrap(),
        None
    );
}

#[wasm_bindgen_test]
async fn a_record_missing_newer_fields_still_loads() {
    #[derive(serde::Serialize)]
    struct OldSettings {
        locale: Option<String>,
    }
    let store = Store::open_named(&unique("bitsmith-old")).await.unwrap();
    store
        .put(
            STORE_KV,
            "settings",
            &OldSettings {
                locale: Some("es".into()),
            },
        )
        .await
        .unwrap();
    let s: Settings = store.get(STORE_KV, "settings").await.unwrap().unwrap();
    assert_eq!(s.locale.as_deref(), Some("es"));
    assert_eq!(s.theme, Theme::System);
}

#[wasm_bindgen_test]
async fn a_record_of_the_wrong_shape_is_an_error_not_a_panic() {
    let store = Store::open_named(&unique("bitsmith-bad")).await.unwrap();
    store.put(STORE_KV, "settings", &42u32).await.unwrap();
    assert!(store.get::<Settings>(STORE_KV, "settings").await.is_err());
}
