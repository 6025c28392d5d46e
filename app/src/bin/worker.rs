//! Entry point of the engine's Web Worker (built by trunk as `worker.js` + `worker_bg.wasm`).

#[cfg(target_arch = "wasm32")]
fn main() {
    use gloo::worker::Registrable;
    console_error_panic_hook::set_once();
    bitsmith_app::worker::EngineWorker::registrar()
        .encoding::<bitsmith_app::worker::PostcardCodec>()
        .register();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {}
