# Bitsmith — English (complete; the fallback for every other locale).

page-title = { $page } · Bitsmith
skip-to-content = Skip to content
nav-label = Main
nav-learn = Learn
nav-workbench = Workbench
nav-planner = Planner
nav-progress = Progress
nav-settings = Settings
status-online = Online
status-offline = Offline — everything you opened before still works
footer-privacy = Bitsmith runs entirely in your browser. Nothing you open or make leaves this device.
storage-error = Your settings could not be saved: { $detail }
update-ready = A new version of Bitsmith is ready.
update-reload = Reload to update

progress-title = Your progress
progress-lead = Lessons completed, skills mastered, and the quiz items due for review. All of it stays on this device.

settings-title = Settings
settings-appearance = Language and appearance
settings-language = Language
settings-language-auto = Browser default
settings-theme = Theme
settings-theme-system = Follow the system
settings-theme-light = Light
settings-theme-dark = Dark
settings-storage = Storage
settings-storage-usage = Bitsmith uses { $usage } of the { $quota } this browser allows it.
settings-persist-why = Models and your progress are kept in this browser. Persistent storage asks the browser not to delete them when the disk runs low.
settings-persist-button = Keep my data (persistent storage)
settings-persist-granted = Persistent storage is on: the browser will not evict Bitsmith's data.
settings-persist-not-granted = Persistent storage is off: the browser may evict Bitsmith's data when space runs low.
settings-engine = Engine
settings-engine-starting = Starting the engine…
settings-engine-ready = Engine { $version } is running in a background worker.
settings-gpu = Graphics processor (WebGPU)
settings-gpu-detecting = Looking for a WebGPU adapter…
settings-gpu-adapter = WebGPU adapter: { $name } ({ $backend }, { $kind }).
settings-gpu-none = No WebGPU here ({ $reason }).
settings-gpu-cpu-fallback = Everything also runs on the CPU; WebGPU only makes it faster.
settings-gpu-check = Check the GPU against the CPU
settings-gpu-check-pass = The GPU's { $kernel } matches the CPU reference (largest difference { $diff }, allowed { $tolerance }).
settings-gpu-check-fail = The GPU's { $kernel } differs from the CPU reference by { $diff } (allowed { $tolerance }); Bitsmith will use the CPU.
settings-gpu-check-error = The GPU check could not run: { $reason }
settings-bench = CPU benchmark
settings-bench-why = Quantizes a 4096 × 4096 matrix to Q8_0 in the engine worker to measure this device's speed.
settings-bench-start = Run benchmark
settings-bench-cancel = Cancel
settings-bench-running = Quantized { $done } of { $total } rows…
settings-bench-done = { $type }: { $rate } million weights per second (round-trip RMSE { $rmse }).
settings-bench-cancelled = Benchmark cancelled.
settings-bench-failed = The benchmark failed: { $reason }

not-found-title = Page not found
not-found-body = There is no page at this address.
not-found-home = Go to the lessons

## Page areas loaded on demand
area-loading = Loading this page…
area-failed-title = This page could not be loaded
area-failed = Its code did not arrive: { $reason }. Check the connection and try again; nothing you saved is lost.
area-retry = Try again
