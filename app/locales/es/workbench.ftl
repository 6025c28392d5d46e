# Bitsmith — workbench (es)

workbench-title = Banco de trabajo
workbench-lead = Abre un modelo pequeño, cuantízalo en tu navegador y exporta un archivo GGUF que cargan llama.cpp y Ollama. Todo se ejecuta en este dispositivo y sigue funcionando sin conexión.

## Job status
wb-status-downloading = Descargando { $name }…
wb-status-importing = Guardando { $name } en la biblioteca…
wb-status-converting = Convirtiendo { $name } a GGUF…
wb-status-quantizing = Cuantizando { $name }…
wb-status-exporting = Preparando { $name } para descargar…
wb-status-added = { $name } está en la biblioteca.
wb-status-quantized = Listo: { $name } está en la biblioteca.
wb-status-cancelled = Detenido. No se guardó nada a medias; una descarga interrumpida se puede reanudar.
wb-status-exported = { $name } está listo; tu navegador lo está guardando.
wb-export-again = Guardar { $name } otra vez
wb-progress-label = Progreso de la tarea actual
wb-progress-bytes = { $done } de { $total }
wb-progress-rate = { $rate }/s
wb-progress-left = quedan unos { $left }
wb-progress-tensor = Tensor { $index } de { $count }: { $name }
wb-cancel = Cancelar

## Failures
wb-fail-quota = El almacenamiento del navegador para este sitio está lleno.
wb-fail-quota-nothing-left = No quedó nada guardado a medias. Libera espacio y vuelve a intentarlo: borra un modelo que ya no necesites o pide al navegador que deje a este sitio guardar más.
wb-fail-quota-delete = Borrar modelos
wb-fail-quota-persist = Pedir almacenamiento persistente
wb-fail-quota-settings = Ajustes de almacenamiento
wb-fail-network = La descarga se detuvo.
wb-fail-network-resume = Lo que llegó está guardado. Usa «Reanudar» en la biblioteca cuando vuelvas a tener conexión.
wb-fail-corrupt = Un modelo guardado no superó la comprobación de integridad. Bórralo y ábrelo de nuevo.
wb-fail-format = Esto no es un modelo que Bitsmith pueda leer.
wb-fail-busy = Otra pestaña ya está trabajando con este modelo.
wb-fail-not-found = Ese modelo ya no está en la biblioteca.
wb-fail-storage = Falló el almacenamiento del navegador.
wb-library-error = No se pudo leer la biblioteca: { $detail }

## Open
wb-open = Abrir un modelo
wb-drop-hint = Suelta aquí un archivo .gguf o los archivos de un modelo safetensors (model.safetensors con config.json y tokenizer.json).
wb-pick-files = Elegir archivos
wb-pick-folder = Elegir una carpeta
wb-files-stay = Los archivos se leen en este dispositivo; no se sube nada.
wb-url-label = O descárgalo desde un enlace
wb-url-help = Un enlace a un .gguf o a model.safetensors, por ejemplo un enlace «resolve/main» de Hugging Face. Las descargas continúan donde se detuvieron, incluso tras recargar.
wb-url-bad = Indica un enlace a un archivo .gguf o .safetensors.
wb-url-go = Descargar
wb-catalog = Modelos sugeridos
wb-params = { $n } parámetros
wb-approx-size = unos { $size }
wb-fit-yes = Cabe en este dispositivo
wb-fit-tight = Justo para este dispositivo
wb-fit-no = Demasiado grande para este dispositivo
wb-fit-unknown = Este navegador no dice cuánta memoria tiene
wb-demo-ready = Servido junto a la aplicación: no hace falta internet.
wb-demo-missing = No se sirve aquí. Ejecuta scripts/demo_model.sh y recarga.
wb-from-hf = De Hugging Face (safetensors, convertido aquí).
wb-get = Obtener
wb-get-named = Obtener { $name }
wb-ask-download = ¿Descargar { $name } ({ $size })? El ahorro de datos está activado.
wb-ask-yes = Descargar
wb-ask-no = Ahora no
wb-size-unknown = tamaño desconocido
wb-saver-summary-on = Ahorro de datos: activado
wb-saver-summary-off = Ahorro de datos: desactivado
wb-saver = Preguntar antes de descargas grandes (ahorro de datos)
wb-saver-why = Si está activado, Bitsmith pregunta antes de cualquier descarga mayor que el tamaño de abajo.
wb-saver-auto-on = Activado porque tu conexión pide ahorrar datos o es lenta.
wb-saver-limit = Preguntar antes de descargas de más de (MB)

## Library
wb-library = Biblioteca
wb-library-empty = Todavía no hay modelos. Abre uno arriba.
wb-storage-usage = Bitsmith usa { $usage } de los { $quota } que este navegador le permite.
wb-persist-granted = El navegador conserva estos modelos aunque falte espacio.
wb-persist-not-yet = El navegador podría borrarlos si falta espacio.
wb-persist-refused = El navegador no concedió almacenamiento persistente esta vez.
wb-persist-button = Conservar mis modelos (almacenamiento persistente)
wb-col-name = Modelo
wb-col-type = Tipo
wb-col-size = Tamaño
wb-col-source = Origen
wb-col-added = Añadido
wb-col-actions = Acciones
wb-bpw = { $bpw } bits por peso
wb-origin-unknown = Desconocido
wb-origin-files = Archivo { $names }
wb-origin-url = Descargado de { $host }
wb-origin-quantized = Cuantizado de { $name }
wb-use = Cuantizar este
wb-use-named = Cuantizar { $name }
wb-export = Exportar GGUF
wb-export-named = Exportar { $name } como GGUF
wb-delete = Borrar
wb-delete-named = Borrar { $name }
wb-delete-confirm = ¿Borrarlo?
wb-delete-yes = Borrar
wb-delete-no = Conservar
wb-pending = Descargas interrumpidas
wb-pending-named = Descargado hasta ahora de { $name }
wb-resume = Reanudar
wb-resume-named = Reanudar { $name }
wb-discard = Descartar
wb-discard-named = Descartar { $name }

## Quantize
wb-quantize = Cuantizar
wb-quantize-none = Primero abre un modelo; aparecerá aquí.
wb-source = Origen: { $name } ({ $type }, { $size })
wb-preset = Preajuste
wb-preset-help = Las mezclas de llama.cpp: cada preajuste da a cada tensor un tipo según su función y su capa, exactamente como llama-quantize.
wb-planning = Planificando…
wb-plan-error = No se puede hacer este plan: { $detail }
wb-predicted = Previsto: { $size } a { $bpw } bits por peso (desde { $from } a { $frombpw }).
wb-warnings = { $count ->
    [one] Un aviso
   *[other] { $count } avisos
}
wb-backend = Se ejecuta en
wb-backend-cpu = CPU (WebAssembly, en un worker en segundo plano)
wb-backend-gpu = WebGPU
wb-backend-gpu-help = En { $adapter }: los tensores de tipo Q8_0, Q4_0, Q4_1, Q5_0 y Q5_1 se cuantizan en la GPU, con exactamente los mismos bytes que escribe la CPU; los demás tipos se ejecutan en la CPU. La tabla del plan muestra dónde se ejecuta cada tensor.
wb-backend-gpu-none = WebGPU no está disponible en este navegador ({ $detail }), así que la cuantización se ejecuta en la CPU.
wb-backend-gpu-looking = Buscando WebGPU…
wb-col-runs-on = Se ejecuta en
wb-on-gpu = WebGPU
wb-on-cpu = CPU
wb-on-copied = copiado
wb-col-ran-on = Se ejecutó en
wb-ran-cpu = CPU
wb-ran-cpu-no-gpu = CPU (WebGPU no estaba disponible: { $detail })
wb-ran-gpu = WebGPU ({ $adapter }) para { $count } de { $total } tensores, la CPU para el resto
wb-ran-gpu-unnamed = WebGPU para { $count } de { $total } tensores, la CPU para el resto
wb-ran-gpu-list = Tensores cuantizados en la GPU
wb-quantize-go = Cuantizar a { $preset }
wb-reset-edits = Deshacer { $count ->
    [one] un cambio
   *[other] { $count } cambios
}
wb-plan-table = Plan por tensor ({ $count } tensores): elige el tipo de cualquier tensor
wb-plan-caption = El tipo de cada tensor, sus bits por peso, su tamaño y el motivo de su tipo
wb-type-for = Tipo de { $name }
wb-why-fallback = { $reason } (quería { $wanted }; la longitud de fila no encaja)
wb-col-tensor = Tensor
wb-col-shape = Forma
wb-col-from = Ahora
wb-col-bpw = Bits por peso
wb-col-why = Motivo
wb-command = Lo mismo con llama.cpp
wb-command-why = Este comando de llama-quantize crea el mismo archivo a partir del mismo origen, de forma nativa, y aplica el mismo plan a un modelo más grande.

## Runs
wb-runs = Modelos cuantizados
wb-col-preset = Preajuste
wb-col-time = Tiempo
wb-col-memory = Memoria máxima
wb-ratio = { $pct } % del origen
wb-command-for = Comando de llama-quantize para { $name }

## Measure
wb-status-measuring = Midiendo { $name }…
wb-status-measured = { $name } medido.
wb-fail-inference = No se pudo ejecutar este modelo.
wb-measure = Medir
wb-measure-why = La perplejidad indica cuánto le sorprende un texto a un modelo (cuanto menor, mejor). Para un modelo cuantizado aquí, Bitsmith también ejecuta su origen con los mismos tokens y compara cada predicción: divergencia KL (0 significa idénticos), con qué frecuencia ambos eligen el mismo token siguiente y cuánto se desvía la salida de cada capa.
wb-measure-model = Modelo
wb-measure-text = Texto
wb-measure-builtin = El texto incluido (unos 800 tokens de prosa en inglés)
wb-measure-own = Mi propio texto
wb-measure-own-label = Tu texto
wb-measure-ctx = Contexto (tokens)
wb-measure-chunks = Fragmentos como máximo
wb-measure-go = Medir
wb-results = Resultados
wb-col-ppl = Perplejidad
wb-col-ppl-base = Perplejidad del origen
wb-col-kld = Divergencia KL
wb-col-top1 = Mismo token más probable
wb-col-tokens = Evaluados
wb-tokens-ctx = { $tokens } tokens (contexto { $ctx })
wb-chart-size-ppl = Tamaño frente a perplejidad de cada modelo medido: más abajo y a la izquierda es mejor. Resaltados: los cuantizados aquí.
wb-chart-size-axis = Tamaño (MiB)
wb-chart-ppl-axis = Perplejidad
wb-chart-data = Los datos en una tabla
wb-chart-layers = Error por capa de { $name }: diferencia RMS relativa de la salida de cada capa respecto a la del origen.
wb-chart-layer-axis = Capa
wb-col-layer = Capa
wb-col-layer-error = Error relativo
wb-compare = Comparar dos ejecuciones
wb-compare-a = Primera
wb-compare-b = Segunda

## Run
wb-run = Ejecutar
wb-run-model = Modelo
wb-run-mode = Modo
wb-run-chat = Chat
wb-run-complete = Completar texto
wb-run-max = Máximo de tokens
wb-run-temp = Temperatura
wb-run-transcript = Conversación
wb-run-you = Tú
wb-run-model-says = Modelo
wb-run-message = Mensaje
wb-run-prompt = Texto para continuar
wb-run-send = Enviar
wb-run-stop = Detener
wb-run-clear = Borrar
wb-gen-tokens = { $n } tokens generados (indicación { $prompt })
wb-gen-rate = { $rate } tokens/s
wb-gen-memory = memoria del worker { $mem }
wb-gen-error = El modelo no pudo responder: { $detail }
wb-gen-end-eog = Terminado.
wb-gen-end-limit = Detenido en el límite de tokens.
wb-gen-end-full = Detenido: el contexto está lleno.
wb-gen-end-stopped = Detenido.

## Run: where a generation runs
wb-run-on = Ejecutar en
wb-run-on-auto = Automático (WebGPU en una GPU física; si no, la CPU)
wb-run-on-cpu = CPU
wb-run-on-gpu = WebGPU
wb-gen-on-cpu = en la CPU
wb-gen-on-gpu-unnamed = en WebGPU
wb-gen-on-gpu = en WebGPU ({ $adapter })
wb-gen-no-gpu-adapter = Se ejecuta en la CPU: no hay adaptador WebGPU ({ $detail }).
wb-gen-no-gpu-software = Se ejecuta en la CPU: el único adaptador WebGPU, { $detail }, es por software y más lento que los núcleos de CPU. Elige WebGPU para usarlo de todos modos.
wb-gen-no-gpu-model = Se ejecuta en la CPU: este modelo no puede ejecutarse en WebGPU ({ $detail }).
