# Bitsmith — learn (en)

learn-title = Learn LLM optimization by doing
learn-lead = Short interactive lessons on number formats, quantization and deployment, each one runnable on real model weights, offline.
learn-tracks = Tracks
track-foundations = Foundations
track-foundations-summary = Number formats, memory and bandwidth, what quantization is, and how to measure what it costs.
track-formats = llama.cpp formats
track-formats-summary = Block quantization, k-quants, i-quants, the GGUF file, and choosing a mix.
track-calibration = Calibration
track-calibration-summary = Importance matrices, GPTQ, AWQ and HQQ; outliers and super weights.
track-extreme = Extreme quantization
track-extreme-summary = Ternary and binary weights, codebooks, and counting every bit.
track-automated = Automated optimization
track-automated-summary = Layer sensitivity, budgets and Pareto fronts, search and learning for bit allocation.
track-deployment = Deployment
track-deployment-summary = Phones, laptops and browsers; KV-cache quantization, speculative decoding, cost.
track-research = Research directions
track-research-summary = Open questions: multi-modal, spiking and quantum-inspired optimization.
