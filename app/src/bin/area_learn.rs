//! Entry point of the Learn area's module, loaded by the shell the first time one of its routes
//! is shown (see `ui::area`).

#[cfg(target_arch = "wasm32")]
fn main() {
    console_error_panic_hook::set_once();
    bitsmith_app::ui::start_learn();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {}
