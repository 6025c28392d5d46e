# Bitsmith — planner (es)

planner-title = Planificador
planner-lead = Antes de descargar nada: ¿cabe este modelo en este dispositivo, a qué velocidad irá y cuánto costará?
planner-fit = Memoria para pesos, caché KV y búferes, para cada preajuste.
planner-speed = Velocidad de prompt y de generación según un modelo roofline, calibrado con ejecuciones reales.
planner-cost = Coste por millón de tokens frente a los precios de API que indiques.
