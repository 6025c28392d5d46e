# Bitsmith — learn (es)

learn-title = Aprende a optimizar LLM practicando
learn-lead = Lecciones interactivas breves sobre formatos numéricos, cuantización y despliegue, cada una ejecutable sobre pesos reales de un modelo, sin conexión.
learn-tracks = Itinerarios
track-foundations = Fundamentos
track-foundations-summary = Formatos numéricos, memoria y ancho de banda, qué es la cuantización y cómo medir lo que cuesta.
track-formats = Formatos de llama.cpp
track-formats-summary = Cuantización por bloques, k-quants, i-quants, el archivo GGUF y cómo elegir una mezcla.
track-calibration = Calibración
track-calibration-summary = Matrices de importancia, GPTQ, AWQ y HQQ; valores atípicos y superpesos.
track-extreme = Cuantización extrema
track-extreme-summary = Pesos ternarios y binarios, libros de códigos y contar cada bit.
track-automated = Optimización automática
track-automated-summary = Sensibilidad por capa, presupuestos y frentes de Pareto, búsqueda y aprendizaje para asignar bits.
track-deployment = Despliegue
track-deployment-summary = Móviles, portátiles y navegadores; cuantización de la caché KV, decodificación especulativa, coste.
track-research = Líneas de investigación
track-research-summary = Preguntas abiertas: optimización multimodal, neuronas de pulsos y métodos de inspiración cuántica.
