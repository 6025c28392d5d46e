# Bitsmith — workbench (es)

workbench-title = Banco de trabajo
workbench-lead = Abre un modelo pequeño, cuantízalo en tu navegador, mide lo que cuesta, conversa con él y exporta un GGUF que llama.cpp y Ollama cargan.
workbench-step-open = Abre un modelo GGUF o safetensors desde un archivo o un enlace.
workbench-step-quantize = Elige un preajuste de llama.cpp o tu propio plan por tensor.
workbench-step-measure = Mide la perplejidad y la divergencia KL frente al original.
workbench-step-export = Exporta el GGUF cuantizado.
