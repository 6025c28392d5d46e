// Loads a page area's wasm module on demand (app/src/ui/area.rs). A file rather than inline
// script, so the Content-Security-Policy needs neither 'unsafe-inline' nor 'unsafe-eval'.
window.bitsmithLoadArea = (js, wasm) =>
  import(js).then((m) => m.default({ module_or_path: wasm }));
