# Bitsmith — workbench (en)

workbench-title = Workbench
workbench-lead = Open a small model, quantize it in your browser, measure what it cost, chat with it, and export a GGUF file llama.cpp and Ollama load.
workbench-step-open = Open a GGUF or safetensors model from a file or a link.
workbench-step-quantize = Pick a llama.cpp preset or your own per-tensor plan.
workbench-step-measure = Measure perplexity and KL divergence against the original.
workbench-step-export = Export the quantized GGUF.
