# Bitsmith — Español

page-title = { $page } · Bitsmith
skip-to-content = Saltar al contenido
nav-label = Principal
nav-learn = Aprender
nav-workbench = Banco de trabajo
nav-planner = Planificador
nav-progress = Progreso
nav-settings = Ajustes
status-online = En línea
status-offline = Sin conexión — todo lo que abriste antes sigue funcionando
footer-privacy = Bitsmith funciona por completo en tu navegador. Nada de lo que abres o creas sale de este dispositivo.
storage-error = No se pudieron guardar tus ajustes: { $detail }
update-ready = Hay una nueva versión de Bitsmith lista.
update-reload = Recargar para actualizar

progress-title = Tu progreso
progress-lead = Lecciones completadas, habilidades dominadas y preguntas pendientes de repaso. Todo se queda en este dispositivo.

settings-title = Ajustes
settings-appearance = Idioma y apariencia
settings-language = Idioma
settings-language-auto = El del navegador
settings-theme = Tema
settings-theme-system = Seguir al sistema
settings-theme-light = Claro
settings-theme-dark = Oscuro
settings-storage = Almacenamiento
settings-storage-usage = Bitsmith usa { $usage } de los { $quota } que este navegador le permite.
settings-persist-why = Los modelos y tu progreso se guardan en este navegador. El almacenamiento persistente pide al navegador que no los borre cuando falte espacio en disco.
settings-persist-button = Conservar mis datos (almacenamiento persistente)
settings-persist-granted = El almacenamiento persistente está activado: el navegador no borrará los datos de Bitsmith.
settings-persist-not-granted = El almacenamiento persistente está desactivado: el navegador puede borrar los datos de Bitsmith si falta espacio.
settings-engine = Motor
settings-engine-starting = Iniciando el motor…
settings-engine-ready = El motor { $version } funciona en un worker en segundo plano.
settings-gpu = Procesador gráfico (WebGPU)
settings-gpu-detecting = Buscando un adaptador WebGPU…
settings-gpu-adapter = Adaptador WebGPU: { $name } ({ $backend }, { $kind }).
settings-gpu-none = Aquí no hay WebGPU ({ $reason }).
settings-gpu-cpu-fallback = Todo funciona también en la CPU; WebGPU solo lo hace más rápido.
settings-gpu-check = Comparar la GPU con la CPU
settings-gpu-check-pass = El { $kernel } de la GPU coincide con la referencia de la CPU (mayor diferencia { $diff }, permitida { $tolerance }).
settings-gpu-check-fail = El { $kernel } de la GPU difiere de la referencia de la CPU en { $diff } (permitido { $tolerance }); Bitsmith usará la CPU.
settings-gpu-check-error = No se pudo ejecutar la comprobación de la GPU: { $reason }
settings-bench = Prueba de rendimiento de la CPU
settings-bench-why = Cuantiza una matriz de 4096 × 4096 a Q8_0 en el worker del motor para medir la velocidad de este dispositivo.
settings-bench-start = Ejecutar la prueba
settings-bench-cancel = Cancelar
settings-bench-running = { $done } de { $total } filas cuantizadas…
settings-bench-done = { $type }: { $rate } millones de pesos por segundo (RMSE de ida y vuelta { $rmse }).
settings-bench-cancelled = Prueba cancelada.
settings-bench-failed = La prueba falló: { $reason }

not-found-title = Página no encontrada
not-found-body = No hay ninguna página en esta dirección.
not-found-home = Ir a las lecciones

## Page areas loaded on demand
area-loading = Cargando esta página…
area-failed-title = No se pudo cargar esta página
area-failed = Su código no llegó: { $reason }. Comprueba la conexión e inténtalo de nuevo; no se pierde nada de lo que guardaste.
area-retry = Reintentar
