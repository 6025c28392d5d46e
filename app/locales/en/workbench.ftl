# Bitsmith — workbench (en)

workbench-title = Workbench
workbench-lead = Open a small model, quantize it in your browser, and export a GGUF file llama.cpp and Ollama load. Everything runs on this device and keeps working offline.

## Job status
wb-status-downloading = Downloading { $name }…
wb-status-importing = Reading { $name } into the library…
wb-status-converting = Converting { $name } to GGUF…
wb-status-quantizing = Quantizing { $name }…
wb-status-exporting = Preparing { $name } for download…
wb-status-added = { $name } is in the library.
wb-status-quantized = Done: { $name } is in the library.
wb-status-cancelled = Stopped. Nothing half-made was kept; an interrupted download can be resumed.
wb-status-exported = { $name } is ready; your browser is saving it.
wb-export-again = Save { $name } again
wb-progress-label = Progress of the current job
wb-progress-bytes = { $done } of { $total }
wb-progress-rate = { $rate }/s
wb-progress-left = about { $left } left
wb-progress-tensor = Tensor { $index } of { $count }: { $name }
wb-cancel = Cancel

## Failures
wb-fail-quota = The browser's storage for this site is full.
wb-fail-quota-nothing-left = Nothing was left half-saved. Free some space and try again: delete a model you no longer need, or ask the browser to let this site keep more.
wb-fail-quota-delete = Delete models
wb-fail-quota-persist = Ask for persistent storage
wb-fail-quota-settings = Storage settings
wb-fail-network = The download stopped.
wb-fail-network-resume = What arrived is saved. Use Resume in the library when you are back online.
wb-fail-corrupt = A stored model failed its integrity check. Delete it and open it again.
wb-fail-format = This is not a model Bitsmith can read.
wb-fail-busy = Another tab is already working on this model.
wb-fail-not-found = That model is no longer in the library.
wb-fail-storage = The browser's storage failed.
wb-library-error = The library could not be read: { $detail }

## Open
wb-open = Open a model
wb-drop-hint = Drop a .gguf file, or a safetensors model's files (model.safetensors with config.json and tokenizer.json), here.
wb-pick-files = Choose files
wb-pick-folder = Choose a folder
wb-files-stay = Files are read on this device; nothing is uploaded.
wb-url-label = Or download from a link
wb-url-help = A .gguf or model.safetensors link, for example a Hugging Face “resolve/main” link. Downloads resume where they stopped, even after a reload.
wb-url-bad = Give a link to a .gguf or a .safetensors file.
wb-url-go = Download
wb-catalog = Suggested models
wb-params = { $n } parameters
wb-approx-size = about { $size }
wb-fit-yes = Fits this device
wb-fit-tight = Tight on this device
wb-fit-no = Too big for this device
wb-fit-unknown = This browser does not say how much memory it has
wb-demo-ready = Served beside the app: no internet needed.
wb-demo-missing = Not served here. Run scripts/demo_model.sh, then reload.
wb-from-hf = From Hugging Face (safetensors, converted here).
wb-get = Get it
wb-get-named = Get { $name }
wb-ask-download = Download { $name } ({ $size })? The data saver is on.
wb-ask-yes = Download
wb-ask-no = Not now
wb-size-unknown = size unknown
wb-saver-summary-on = Data saver: on
wb-saver-summary-off = Data saver: off
wb-saver = Ask before big downloads (data saver)
wb-saver-why = When on, Bitsmith asks before any download bigger than the size below.
wb-saver-auto-on = On because your connection asks to save data or is slow.
wb-saver-limit = Ask before downloads over (MB)

## Library
wb-library = Library
wb-library-empty = No models yet. Open one above.
wb-storage-usage = Bitsmith uses { $usage } of the { $quota } this browser allows it.
wb-persist-granted = The browser keeps these models even when space runs low.
wb-persist-not-yet = The browser may remove them when space runs low.
wb-persist-refused = The browser did not grant persistent storage this time.
wb-persist-button = Keep my models (persistent storage)
wb-col-name = Model
wb-col-type = Type
wb-col-size = Size
wb-col-source = From
wb-col-added = Added
wb-col-actions = Actions
wb-bpw = { $bpw } bits per weight
wb-origin-unknown = Unknown
wb-origin-files = File { $names }
wb-origin-url = Downloaded from { $host }
wb-origin-quantized = Quantized from { $name }
wb-use = Quantize this
wb-use-named = Quantize { $name }
wb-export = Export GGUF
wb-export-named = Export { $name } as GGUF
wb-delete = Delete
wb-delete-named = Delete { $name }
wb-delete-confirm = Delete it?
wb-delete-yes = Delete
wb-delete-no = Keep
wb-pending = Interrupted downloads
wb-pending-named = Downloaded so far of { $name }
wb-resume = Resume
wb-resume-named = Resume { $name }
wb-discard = Discard
wb-discard-named = Discard { $name }

## Quantize
wb-quantize = Quantize
wb-quantize-none = Open a model first; it appears here.
wb-source = Source: { $name } ({ $type }, { $size })
wb-preset = Preset
wb-preset-help = llama.cpp's mixes: each preset gives every tensor a type by its role and layer, exactly as llama-quantize does.
wb-planning = Planning…
wb-plan-error = This plan cannot be made: { $detail }
wb-predicted = Predicted: { $size } at { $bpw } bits per weight (from { $from } at { $frombpw }).
wb-warnings = { $count ->
    [one] One warning
   *[other] { $count } warnings
}
wb-backend = Runs on
wb-backend-cpu = CPU (WebAssembly, in a background worker)
wb-backend-gpu = WebGPU
wb-backend-gpu-help = On { $adapter }: tensors of types Q8_0, Q4_0, Q4_1, Q5_0 and Q5_1 are quantized on the GPU, to exactly the bytes the CPU writes; the other types run on the CPU. The plan table shows where each tensor runs.
wb-backend-gpu-none = WebGPU is not available in this browser ({ $detail }), so quantizing runs on the CPU.
wb-backend-gpu-looking = Looking for WebGPU…
wb-col-runs-on = Runs on
wb-on-gpu = WebGPU
wb-on-cpu = CPU
wb-on-copied = copied
wb-col-ran-on = Ran on
wb-ran-cpu = CPU
wb-ran-cpu-no-gpu = CPU (WebGPU was not available: { $detail })
wb-ran-gpu = WebGPU ({ $adapter }) for { $count } of { $total } tensors, the CPU for the rest
wb-ran-gpu-unnamed = WebGPU for { $count } of { $total } tensors, the CPU for the rest
wb-ran-gpu-list = Tensors quantized on the GPU
wb-quantize-go = Quantize to { $preset }
wb-reset-edits = Undo { $count ->
    [one] one edit
   *[other] { $count } edits
}
wb-plan-table = Per-tensor plan ({ $count } tensors): choose any tensor's type
wb-plan-caption = Each tensor's type, bits per weight, size and the reason for its type
wb-type-for = Type of { $name }
wb-why-fallback = { $reason } (wanted { $wanted }; the row length does not fit it)
wb-col-tensor = Tensor
wb-col-shape = Shape
wb-col-from = Now
wb-col-bpw = Bits per weight
wb-col-why = Why
wb-command = The same with llama.cpp
wb-command-why = This llama-quantize command makes the same file from the same source, natively, and applies the same plan to a bigger model.

## Runs
wb-runs = Quantized models
wb-col-preset = Preset
wb-col-time = Time
wb-col-memory = Peak memory
wb-ratio = { $pct }% of the source
wb-command-for = llama-quantize command for { $name }

## Measure
wb-status-measuring = Measuring { $name }…
wb-status-measured = Measured { $name }.
wb-fail-inference = This model could not be run.
wb-measure = Measure
wb-measure-why = Perplexity says how surprised a model is by a text (lower is better). For a model quantized here, Bitsmith also runs its source on the same tokens and compares every prediction: KL divergence (0 means identical), how often both pick the same next token, and how far each layer's output drifts.
wb-measure-model = Model
wb-measure-text = Text
wb-measure-builtin = The built-in text (about 800 tokens of English prose)
wb-measure-own = My own text
wb-measure-own-label = Your text
wb-measure-ctx = Context (tokens)
wb-measure-chunks = Chunks at most
wb-measure-go = Measure
wb-results = Results
wb-col-ppl = Perplexity
wb-col-ppl-base = Source perplexity
wb-col-kld = KL divergence
wb-col-top1 = Same top token
wb-col-tokens = Scored
wb-tokens-ctx = { $tokens } tokens (context { $ctx })
wb-chart-size-ppl = Size against perplexity for every measured model: further down and to the left is better. Highlighted: runs quantized here.
wb-chart-size-axis = Size (MiB)
wb-chart-ppl-axis = Perplexity
wb-chart-data = The data as a table
wb-chart-layers = Error by layer for { $name }: relative RMS difference of each layer's output from the source's.
wb-chart-layer-axis = Layer
wb-col-layer = Layer
wb-col-layer-error = Relative error
wb-compare = Compare two runs
wb-compare-a = First
wb-compare-b = Second

## Run
wb-run = Run
wb-run-model = Model
wb-run-mode = Mode
wb-run-chat = Chat
wb-run-complete = Complete text
wb-run-max = Most tokens
wb-run-temp = Temperature
wb-run-transcript = Conversation
wb-run-you = You
wb-run-model-says = Model
wb-run-message = Message
wb-run-prompt = Text to continue
wb-run-send = Send
wb-run-stop = Stop
wb-run-clear = Clear
wb-gen-tokens = { $n } tokens generated (prompt { $prompt })
wb-gen-rate = { $rate } tokens/s
wb-gen-memory = worker memory { $mem }
wb-gen-error = The model could not answer: { $detail }
wb-gen-end-eog = Finished.
wb-gen-end-limit = Stopped at the token limit.
wb-gen-end-full = Stopped: the context is full.
wb-gen-end-stopped = Stopped.

## Run: where a generation runs
wb-run-on = Run on
wb-run-on-auto = Automatic (WebGPU on a hardware GPU, else the CPU)
wb-run-on-cpu = CPU
wb-run-on-gpu = WebGPU
wb-gen-on-cpu = on the CPU
wb-gen-on-gpu-unnamed = on WebGPU
wb-gen-on-gpu = on WebGPU ({ $adapter })
wb-gen-no-gpu-adapter = Running on the CPU: there is no WebGPU adapter ({ $detail }).
wb-gen-no-gpu-software = Running on the CPU: the only WebGPU adapter, { $detail }, is a software one and slower than the CPU kernels. Choose WebGPU to use it anyway.
wb-gen-no-gpu-model = Running on the CPU: this model cannot run on WebGPU ({ $detail }).
