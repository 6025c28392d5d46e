# Bitsmith — learn (es): la página Aprender, lecciones, cuestionarios, widgets, lectura en voz
# alta, búsqueda y el panel de progreso.

learn-title = Aprende a optimizar LLM practicando
learn-lead = Lecciones interactivas breves sobre formatos numéricos, cuantización y despliegue, cada una ejecutable sobre pesos reales de un modelo, sin conexión.
learn-up-next = A continuación
learn-tracks = Itinerarios
learn-loading = Cargando…
learn-overall = Has completado { $done } de { $total } lecciones.
learn-track-progress = { $done } de { $total } completadas
learn-minutes = { $minutes } min
learn-completed = Completada
learn-started = Empezada
learn-research = Investigación
learn-prerequisites = Lee antes:
learn-read-first = Quizá quieras leer antes estas lecciones:
learn-all-lessons = Todas las lecciones
learn-breadcrumb = Ruta de navegación
learn-sources = Fuentes
learn-next = Siguiente lección
learn-your-skills = Tus habilidades en esta lección
learn-retry = Reintentar
learn-error-network = No se pudieron cargar las lecciones. Si no tienes conexión, abre Bitsmith una vez con conexión para que las guarde para usarlas sin ella.
learn-error-decode = Los archivos de las lecciones no corresponden a esta versión de Bitsmith. Normalmente se arregla al recargar.
learn-error-not-found = No hay ninguna lección con este nombre.
level-intro = Introductoria
level-intermediate = Intermedia
level-advanced = Avanzada

search-label = Buscar en las lecciones
search-count = { $count ->
    [one] Una lección coincide.
   *[other] { $count } lecciones coinciden.
}
search-none = Ninguna lección coincide con estas palabras.
search-unavailable = La búsqueda no está disponible: no se pudo cargar su índice.

chart-data-table = Tabla de datos

quiz-title = Comprueba lo que has entendido
quiz-count = Pregunta { $n } de { $total }
quiz-select-all = Marca todas las respuestas correctas.
quiz-your-answer = Tu respuesta
quiz-order-hint = Ordena los elementos con los botones de subir y bajar.
quiz-move-up = Subir: { $item }
quiz-move-down = Bajar: { $item }
quiz-moved = «{ $item }» está ahora en la posición { $position } de { $total }.
quiz-check = Comprobar
quiz-try-again = Volver a intentarlo
quiz-right = ¡Correcto!
quiz-wrong = No exactamente.
quiz-need-answer = Primero elige o escribe una respuesta.
quiz-solution = La respuesta es { $answer }.

skill-mastered = Dominada: { $right } de tus últimas { $window } respuestas fueron correctas.
skill-not-started = Aún sin practicar.
skill-progress = { $right } de tus últimas { $window } respuestas correctas; se domina con { $needed } correctas.

read-aloud = Leer en voz alta
read-aloud-play = Leer en voz alta
read-aloud-pause = Pausa
read-aloud-resume = Continuar
read-aloud-stop = Detener
read-aloud-playing = Leyendo en voz alta.
read-aloud-paused = En pausa.

widget-quantize-matrix = Pruébalo: cuantiza pesos reales
widget-error-vs-bits = Pruébalo: error frente a bits
widget-number-format = Pruébalo: cómo se guarda un número
widget-memory-calc = Pruébalo: memoria y velocidad
widget-layer-sensitivity = Medido: qué partes son sensibles
widget-spiking-neuron = Pruébalo: una neurona de impulsos
widget-annealing-qubo = Pruébalo: redondear por recocido
widget-block-format = Pruébalo: dentro de un bloque
widget-kv-cache = Pruébalo: tamaño de la caché KV
widget-error = No se pudo calcular: { $reason }
widget-no-weights = Faltan en esta compilación los pesos «{ $id }».
widget-weights-source = Pesos reales de SmolLM2-135M-Instruct: { $tensor }, { $rows } × { $cols }, guardados como { $type }.
widget-method = Método
widget-method-rtn = Redondeo al más cercano (elige bits y grupos)
widget-method-ggml = { $type } de llama.cpp
widget-bits = Bits
widget-bits-value = { $bits ->
    [one] 1 bit
   *[other] { $bits } bits
}
widget-group = Tamaño de grupo (pesos por escala)
widget-symmetric = Simétrica
widget-asymmetric = asimétrica
widget-use-importance = Ponderar el error por la importancia de las entradas
widget-rtn-label = { $bits } bits, { $kind }, grupos de { $group }
widget-quant-summary = { $method }: { $bpw } bits por peso, error relativo { $error }.
widget-bpw = Bits por peso
widget-bpw-value = { $bpw } bits por peso
widget-rel-error = Error relativo
widget-rel-error-pct = Error relativo (%)
widget-snr = Relación señal-ruido
widget-max-error = Error máximo
widget-weighted-error = Error ponderado por importancia
widget-hist-caption = Cómo se distribuyen los { $values } pesos antes y después de cuantizar.
widget-hist-alt = Histograma de los pesos originales y de sus valores cuantizados.
widget-weight-value = Valor del peso
widget-original = Original
widget-reconstructed = Cuantizado
widget-bin = Intervalo
widget-curve-summary = { $low } bits: error { $low_error }; { $high } bits: error { $high_error }.
widget-curve-caption = Error relativo de este fragmento frente a los bits por peso ({ $kind }, grupos de { $group }).
widget-curve-alt = Gráfico de líneas: el error baja al subir los bits por peso.
widget-model-curve-caption = Modelo completo, medido sin conexión: { $model }; { $setting }; { $text }.
widget-model-curve-alt = Gráfico de líneas de la divergencia KL del modelo completo frente a los bits por peso.
widget-setting = Configuración
widget-ppl = Perplejidad
widget-kl = Divergencia KL
widget-top1 = Coincidencia top-1
widget-type = Tipo
widget-row = Fila
widget-row-value = Fila { $row } de { $rows }
widget-block = Bloque
widget-block-value = Bloque { $block } de { $blocks }
widget-block-summary = { $type }: { $bytes } bytes para { $weights } pesos, { $bpw } bits por peso; error máximo en este bloque { $error }.
widget-block-fields = Los { $bytes } bytes de un bloque { $type }, campo a campo.
widget-field = Campo
widget-offset = Desplazamiento
widget-bytes = Bytes (hexadecimal)
widget-value = Valor
widget-index = Posición en el bloque
widget-block-chart-caption = Los pesos del bloque y lo que se decodifica de sus bytes.
widget-block-chart-alt = Gráfico de líneas que compara los pesos originales del bloque con los decodificados.
widget-number-value = Número
widget-number-summary = Se muestra cómo se guarda { $value } en cada formato.
widget-number-caption = { $value } en cada formato
widget-format = Formato
widget-stored-bits = Bits guardados
widget-stored-value = Valor guardado
widget-step = (paso de la rejilla { $step })
widget-overflow = (fuera de rango)
widget-bits-sign = signo
widget-bits-exponent = exponente
widget-bits-mantissa = mantisa
widget-model = { $model }: { $params } mil millones de parámetros, { $layers } capas.
widget-context = Contexto (tokens)
widget-kv-bits = Bits por valor de la caché KV
widget-bandwidth = Ancho de banda de memoria
widget-bandwidth-value = { $gbs } GB/s
widget-memory-summary = Necesita { $total }; como mucho { $tps } tokens por segundo.
widget-weights-memory = Pesos
widget-kv-memory = Caché KV
widget-total-memory = Total
widget-tps-bound = Tokens por segundo (cota superior)
widget-memory-caption = En qué se va la memoria.
widget-memory-alt = Gráfico de barras de la memoria que usan los pesos y la caché KV.
widget-gb = Gigabytes
widget-part = Parte
widget-tokens = { $tokens } tokens
widget-kv-summary = Con { $context } tokens: { $sizes }.
widget-kv-caption = Tamaño de la caché KV de { $model } según la longitud del contexto, por tipo de caché.
widget-kv-alt = Gráfico de líneas: la caché KV crece linealmente con el contexto, con menos pendiente en los tipos pequeños.
widget-measured = Medido sin conexión en { $model }, { $text }; { $setting }. Perplejidad sin modificar { $ppl }.
widget-sort = Orden
widget-sort-order = Orden del modelo
widget-sort-kl = Más sensibles primero
widget-sensitivity-kinds = tipo de tensor
widget-sensitivity-layers = capa
widget-sensitivity-summary = Lo más sensible: { $label } (KL { $kl }).
widget-sensitivity-caption = Divergencia KL respecto al modelo sin modificar al cuantizar un { $what }.
widget-sensitivity-alt = Gráfico de barras de la divergencia KL por fila de la tabla medida.
widget-input = Corriente de entrada
widget-input-value = { $input } por milisegundo
widget-tau = Constante de tiempo τ
widget-ms-value = { $ms } ms
widget-threshold = Umbral
widget-spikes-summary = { $spikes } impulsos en { $ms } ms; la teoría predice uno cada { $period } ms.
widget-spikes-silent = Ningún impulso en { $ms } ms: la entrada nunca lleva el potencial al umbral.
widget-spikes-caption = Potencial de membrana a lo largo del tiempo; las líneas verticales son impulsos.
widget-spikes-alt = Gráfico de líneas del potencial de membrana que sube y se reinicia en cada impulso.
widget-time-ms = Tiempo (ms)
widget-potential = Potencial
widget-spike = Impulso
widget-count = Pesos que redondear
widget-weights-count = { $count } pesos
widget-sweeps = Barridos de recocido
widget-reseed = Repetir con otra semilla
widget-anneal-summary = Error de salida: redondeo al más cercano { $rtn }, recocido { $annealed }, el mejor posible { $optimum }.
widget-anneal-summary-large = Error de salida: redondeo al más cercano { $rtn }, recocido { $annealed }.
widget-anneal-caption = Error de salida ΔᵀHΔ de cada redondeo (menor es mejor).
widget-anneal-alt = Gráfico de barras que compara el error de salida del redondeo al más cercano, del recocido y del óptimo.
widget-anneal-table = Cada peso redondeado hacia arriba (↑) o hacia abajo (↓) en la rejilla de paso { $step }.
widget-anneal-legend = ↑ redondeado hacia arriba, ↓ redondeado hacia abajo.
widget-energy = Error de salida
widget-rtn = Redondeo al más cercano
widget-annealed = Recocido
widget-optimum = El mejor posible

progress-storage-error = No se pudo leer o guardar tu progreso: { $detail }
progress-lessons = Lecciones completadas
progress-of = { $n } de { $total }
progress-streak = Racha actual
progress-longest = Racha más larga
progress-days = { $days ->
    [one] 1 día
   *[other] { $days } días
}
progress-skills = Habilidades dominadas
progress-due = Repasos pendientes ahora
progress-next = Qué sigue
progress-next-none = Has completado todas las lecciones que puedes empezar. ¡Bien hecho!
progress-reason-continue = Empezaste esta lección.
progress-reason-strengthen = Practica una habilidad que aún no dominas.
progress-reason-ready = Ya has leído todo lo que necesita.
progress-mastery = Dominio por habilidad
progress-mastery-rule = Una habilidad se domina cuando al menos { $m } de tus últimas { $n } respuestas a sus preguntas son correctas.
progress-mastery-caption = Respuestas correctas entre tus últimas respuestas por habilidad (dominada al final de la escala).
progress-mastery-alt = Gráfico de barras de respuestas correctas por habilidad.
progress-right-answers = Respuestas correctas
progress-answers = Respuestas
progress-skill = Habilidad
progress-mastered = Dominada
progress-yes = Sí
progress-no = No
progress-skill-details = Cada habilidad en palabras

review-title = Repaso espaciado
review-why = Las preguntas vuelven justo antes de que las olvides (planificación FSRS), así que unos minutos de repaso mantienen lo aprendido.
review-none = Aún no hay nada que repasar: responde primero el cuestionario de una lección.
review-none-until = Ahora no hay nada que repasar. La siguiente pregunta toca el { $when }.
review-due = { $count ->
    [one] Toca repasar una pregunta.
   *[other] Toca repasar { $count } preguntas.
}
review-start = Repasar ahora
review-position = Pregunta { $n } de { $total }
review-question = Pregunta de repaso
review-next = Siguiente pregunta
review-done = Repaso terminado: { $right } de { $total } correctas a la primera.
review-close = Cerrar

transfer-title = Exportar e importar
transfer-why = Tu progreso solo vive en este navegador. Guárdalo como archivo para tener una copia o llevarlo a otro dispositivo; al importar, el progreso del archivo se suma al que hay aquí.
transfer-export = Exportar progreso
transfer-import = Importar progreso desde un archivo
transfer-exported = Tu progreso se guardó como archivo.
transfer-imported = Importadas { $answers } respuestas y { $lessons ->
    [one] una lección completada.
   *[other] { $lessons } lecciones completadas.
}
transfer-error-large = Este archivo es demasiado grande para ser un archivo de progreso de Bitsmith.
transfer-error-json = Este archivo no es un archivo de progreso de Bitsmith (no es JSON).
transfer-error-format = Este archivo no es un archivo de progreso de Bitsmith.
transfer-error-new = Este archivo lo creó una versión más reciente de Bitsmith. Actualiza Bitsmith y vuelve a importarlo.
transfer-error-invalid = Este archivo de progreso está dañado y no se importó ({ $detail }).
