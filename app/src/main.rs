//! Entry point of the UI (main thread).

#[cfg(target_arch = "wasm32")]
fn main() {
    console_error_panic_hook::set_once();
    bitsmith_app::ui::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {}
