# Bitsmith — workbench (ar)

workbench-title = منضدة العمل
workbench-lead = افتح نموذجًا صغيرًا، وكمِّمه في متصفحك، وقِس كلفته، وتحدّث معه، وصدِّر ملف GGUF يحمّله llama.cpp وOllama.
workbench-step-open = افتح نموذج GGUF أو safetensors من ملف أو رابط.
workbench-step-quantize = اختر إعدادًا مسبقًا من llama.cpp أو خطتك الخاصة لكل موتر.
workbench-step-measure = قِس الحيرة (perplexity) وتباعد KL مقارنة بالأصل.
workbench-step-export = صدِّر ملف GGUF المكمَّم.
