# Bitsmith — workbench (ar)

workbench-title = منضدة العمل
workbench-lead = افتح نموذجًا صغيرًا، وكمِّمه في متصفحك، وصدِّر ملف GGUF يحمّله llama.cpp وOllama. كل شيء يعمل على هذا الجهاز ويستمر في العمل دون اتصال.

## Job status
wb-status-downloading = جارٍ تنزيل { $name }…
wb-status-importing = جارٍ حفظ { $name } في المكتبة…
wb-status-converting = جارٍ تحويل { $name } إلى GGUF…
wb-status-quantizing = جارٍ تكميم { $name }…
wb-status-exporting = جارٍ تجهيز { $name } للتنزيل…
wb-status-added = أصبح { $name } في المكتبة.
wb-status-quantized = تمّ: أصبح { $name } في المكتبة.
wb-status-cancelled = توقّف. لم يُحفَظ شيء ناقص؛ ويمكن استئناف التنزيل المنقطع.
wb-status-exported = { $name } جاهز؛ ومتصفحك يحفظه الآن.
wb-export-again = احفظ { $name } مرة أخرى
wb-progress-label = تقدّم المهمة الحالية
wb-progress-bytes = { $done } من { $total }
wb-progress-rate = { $rate }/ث
wb-progress-left = يتبقّى نحو { $left }
wb-progress-tensor = الموتر { $index } من { $count }: { $name }
wb-cancel = إلغاء

## Failures
wb-fail-quota = امتلأت مساحة التخزين التي يتيحها المتصفح لهذا الموقع.
wb-fail-quota-nothing-left = لم يُترك شيء محفوظًا نصف حفظ. أفرغ بعض المساحة ثم أعد المحاولة: احذف نموذجًا لم تعد تحتاجه، أو اطلب من المتصفح أن يسمح لهذا الموقع بتخزين المزيد.
wb-fail-quota-delete = حذف نماذج
wb-fail-quota-persist = طلب تخزين دائم
wb-fail-quota-settings = إعدادات التخزين
wb-fail-network = توقّف التنزيل.
wb-fail-network-resume = ما وصل محفوظ. استخدم «استئناف» في المكتبة حين يعود الاتصال.
wb-fail-corrupt = فشل نموذج محفوظ في فحص السلامة. احذفه وافتحه من جديد.
wb-fail-format = هذا ليس نموذجًا يستطيع Bitsmith قراءته.
wb-fail-busy = هناك علامة تبويب أخرى تعمل على هذا النموذج بالفعل.
wb-fail-not-found = لم يعد هذا النموذج في المكتبة.
wb-fail-storage = فشل تخزين المتصفح.
wb-library-error = تعذّرت قراءة المكتبة: { $detail }

## Open
wb-open = فتح نموذج
wb-drop-hint = أفلت هنا ملف ‎.gguf، أو ملفات نموذج safetensors ‏(model.safetensors مع config.json وtokenizer.json).
wb-pick-files = اختيار ملفات
wb-pick-folder = اختيار مجلد
wb-files-stay = تُقرأ الملفات على هذا الجهاز؛ ولا يُرفع أي شيء.
wb-url-label = أو نزّله من رابط
wb-url-help = رابط إلى ملف ‎.gguf أو model.safetensors، مثل رابط «resolve/main» من Hugging Face. يستأنف التنزيل من حيث توقّف، حتى بعد إعادة التحميل.
wb-url-bad = أعطِ رابطًا إلى ملف ‎.gguf أو ‎.safetensors.
wb-url-go = تنزيل
wb-catalog = نماذج مقترحة
wb-params = { $n } معامل
wb-approx-size = نحو { $size }
wb-fit-yes = يناسب هذا الجهاز
wb-fit-tight = بالكاد يناسب هذا الجهاز
wb-fit-no = أكبر من أن يناسب هذا الجهاز
wb-fit-unknown = لا يذكر هذا المتصفح مقدار ذاكرته
wb-demo-ready = يُقدَّم بجانب التطبيق: لا حاجة إلى الإنترنت.
wb-demo-missing = غير متاح هنا. شغّل scripts/demo_model.sh ثم أعد التحميل.
wb-from-hf = من Hugging Face ‏(safetensors، ويُحوَّل هنا).
wb-get = احصل عليه
wb-get-named = احصل على { $name }
wb-ask-download = هل تنزّل { $name } ({ $size })؟ موفّر البيانات مفعَّل.
wb-ask-yes = تنزيل
wb-ask-no = ليس الآن
wb-size-unknown = الحجم غير معروف
wb-saver-summary-on = موفّر البيانات: مفعَّل
wb-saver-summary-off = موفّر البيانات: معطَّل
wb-saver = اسأل قبل التنزيلات الكبيرة (موفّر البيانات)
wb-saver-why = عند تفعيله، يسأل Bitsmith قبل أي تنزيل أكبر من الحجم أدناه.
wb-saver-auto-on = مفعَّل لأن اتصالك يطلب توفير البيانات أو لأنه بطيء.
wb-saver-limit = اسأل قبل التنزيلات التي تتجاوز (ميغابايت)

## Library
wb-library = المكتبة
wb-library-empty = لا توجد نماذج بعد. افتح واحدًا في الأعلى.
wb-storage-usage = يستخدم Bitsmith ‏{ $usage } من { $quota } يسمح بها هذا المتصفح.
wb-persist-granted = يحتفظ المتصفح بهذه النماذج حتى حين تقلّ المساحة.
wb-persist-not-yet = قد يحذفها المتصفح حين تقلّ المساحة.
wb-persist-refused = لم يمنح المتصفح تخزينًا دائمًا هذه المرة.
wb-persist-button = احتفظ بنماذجي (تخزين دائم)
wb-col-name = النموذج
wb-col-type = النوع
wb-col-size = الحجم
wb-col-source = المصدر
wb-col-added = أُضيف
wb-col-actions = إجراءات
wb-bpw = { $bpw } بت لكل وزن
wb-origin-unknown = غير معروف
wb-origin-files = الملف { $names }
wb-origin-url = نُزِّل من { $host }
wb-origin-quantized = مُكمَّم من { $name }
wb-use = كمِّم هذا
wb-use-named = كمِّم { $name }
wb-export = تصدير GGUF
wb-export-named = صدِّر { $name } بصيغة GGUF
wb-delete = حذف
wb-delete-named = احذف { $name }
wb-delete-confirm = أتحذفه؟
wb-delete-yes = حذف
wb-delete-no = إبقاء
wb-pending = تنزيلات منقطعة
wb-pending-named = ما نُزِّل حتى الآن من { $name }
wb-resume = استئناف
wb-resume-named = استأنف { $name }
wb-discard = تجاهل
wb-discard-named = تجاهل { $name }

## Quantize
wb-quantize = التكميم
wb-quantize-none = افتح نموذجًا أولًا؛ وسيظهر هنا.
wb-source = المصدر: { $name } ({ $type }، { $size })
wb-preset = الإعداد المسبق
wb-preset-help = خلطات llama.cpp: كل إعداد مسبق يعطي كل موتر نوعًا بحسب دوره وطبقته، تمامًا كما يفعل llama-quantize.
wb-planning = جارٍ التخطيط…
wb-plan-error = لا يمكن إعداد هذه الخطة: { $detail }
wb-predicted = المتوقَّع: { $size } بمعدل { $bpw } بت لكل وزن (من { $from } بمعدل { $frombpw }).
wb-warnings = { $count ->
    [zero] لا تحذيرات
    [one] تحذير واحد
    [two] تحذيران
    [few] { $count } تحذيرات
   *[other] { $count } تحذيرًا
}
wb-backend = يعمل على
wb-backend-cpu = المعالج (WebAssembly، في عامل في الخلفية)
wb-backend-gpu = WebGPU
wb-backend-gpu-help = على { $adapter }: تُكمَّم الموترات من الأنواع Q8_0 وQ4_0 وQ4_1 وQ5_0 وQ5_1 على وحدة الرسوميات، بالبايتات نفسها تمامًا التي يكتبها المعالج؛ أما الأنواع الأخرى فتعمل على المعالج. يبيّن جدول الخطة أين يعمل كل موتر.
wb-backend-gpu-none = WebGPU غير متاح في هذا المتصفح ({ $detail })، لذا يعمل التكميم على المعالج.
wb-backend-gpu-looking = جارٍ البحث عن WebGPU…
wb-col-runs-on = يعمل على
wb-on-gpu = WebGPU
wb-on-cpu = المعالج
wb-on-copied = منسوخ
wb-col-ran-on = عمل على
wb-ran-cpu = المعالج
wb-ran-cpu-no-gpu = المعالج (لم يكن WebGPU متاحًا: { $detail })
wb-ran-gpu = WebGPU ({ $adapter }) لـ { $count } من { $total } موترًا، والمعالج للباقي
wb-ran-gpu-unnamed = WebGPU لـ { $count } من { $total } موترًا، والمعالج للباقي
wb-ran-gpu-list = الموترات المكمَّمة على وحدة الرسوميات
wb-quantize-go = كمِّم إلى { $preset }
wb-reset-edits = تراجع عن { $count ->
    [zero] لا تعديلات
    [one] تعديل واحد
    [two] تعديلين
    [few] { $count } تعديلات
   *[other] { $count } تعديلًا
}
wb-plan-table = الخطة لكل موتر ({ $count } موتر): اختر نوع أي موتر
wb-plan-caption = نوع كل موتر، وعدد البتات لكل وزن، وحجمه، وسبب نوعه
wb-type-for = نوع { $name }
wb-why-fallback = { $reason } (كان المطلوب { $wanted }؛ وطول الصف لا يناسبه)
wb-col-tensor = الموتر
wb-col-shape = الشكل
wb-col-from = الآن
wb-col-bpw = بت لكل وزن
wb-col-why = السبب
wb-command = الشيء نفسه باستخدام llama.cpp
wb-command-why = يصنع أمر llama-quantize هذا الملفَّ نفسه من المصدر نفسه، محليًا، ويطبّق الخطة نفسها على نموذج أكبر.

## Runs
wb-runs = النماذج المُكمَّمة
wb-col-preset = الإعداد المسبق
wb-col-time = الوقت
wb-col-memory = ذروة الذاكرة
wb-ratio = { $pct }٪ من المصدر
wb-command-for = أمر llama-quantize لـ { $name }

## Measure
wb-status-measuring = جارٍ قياس { $name }…
wb-status-measured = تمّ قياس { $name }.
wb-fail-inference = تعذّر تشغيل هذا النموذج.
wb-measure = القياس
wb-measure-why = تدلّ الحيرة (perplexity) على مدى استغراب النموذج لنصّ ما (الأقل أفضل). وللنموذج المُكمَّم هنا، يشغّل Bitsmith مصدره أيضًا على الرموز نفسها ويقارن كل تنبؤ: تباعد KL ‏(0 يعني التطابق)، وكم مرة يختار كلاهما الرمز التالي نفسه، ومدى انحراف مخرج كل طبقة.
wb-measure-model = النموذج
wb-measure-text = النص
wb-measure-builtin = النص المدمج (نحو 800 رمز من نثر إنجليزي)
wb-measure-own = نصّي الخاص
wb-measure-own-label = نصّك
wb-measure-ctx = السياق (رموز)
wb-measure-chunks = أقصى عدد من المقاطع
wb-measure-go = قِس
wb-results = النتائج
wb-col-ppl = الحيرة
wb-col-ppl-base = حيرة المصدر
wb-col-kld = تباعد KL
wb-col-top1 = الرمز الأرجح نفسه
wb-col-tokens = المُقيَّم
wb-tokens-ctx = { $tokens } رمز (السياق { $ctx })
wb-chart-size-ppl = الحجم مقابل الحيرة لكل نموذج مُقاس: الأسفل والأيسر أفضل. المُبرَز: ما كُمِّم هنا.
wb-chart-size-axis = الحجم (ميبيبايت)
wb-chart-ppl-axis = الحيرة
wb-chart-data = البيانات في جدول
wb-chart-layers = الخطأ لكل طبقة في { $name }: الفرق النسبي (RMS) بين مخرج كل طبقة ومخرجها في المصدر.
wb-chart-layer-axis = الطبقة
wb-col-layer = الطبقة
wb-col-layer-error = الخطأ النسبي
wb-compare = قارن بين تشغيلين
wb-compare-a = الأول
wb-compare-b = الثاني

## Run
wb-run = التشغيل
wb-run-model = النموذج
wb-run-mode = الوضع
wb-run-chat = محادثة
wb-run-complete = إكمال نص
wb-run-max = أقصى عدد من الرموز
wb-run-temp = درجة الحرارة
wb-run-transcript = المحادثة
wb-run-you = أنت
wb-run-model-says = النموذج
wb-run-message = الرسالة
wb-run-prompt = نص لإكماله
wb-run-send = إرسال
wb-run-stop = إيقاف
wb-run-clear = مسح
wb-gen-tokens = وُلِّد { $n } رمز (الموجّه { $prompt })
wb-gen-rate = { $rate } رمز/ث
wb-gen-memory = ذاكرة العامل { $mem }
wb-gen-error = تعذّر على النموذج الإجابة: { $detail }
wb-gen-end-eog = انتهى.
wb-gen-end-limit = توقّف عند حدّ الرموز.
wb-gen-end-full = توقّف: امتلأ السياق.
wb-gen-end-stopped = توقّف.

## Run: where a generation runs
wb-run-on = التشغيل على
wb-run-on-auto = تلقائي (WebGPU على معالج رسوميات فعلي، وإلا المعالج المركزي)
wb-run-on-cpu = المعالج المركزي
wb-run-on-gpu = WebGPU
wb-gen-on-cpu = على المعالج المركزي
wb-gen-on-gpu-unnamed = على WebGPU
wb-gen-on-gpu = على WebGPU ({ $adapter })
wb-gen-no-gpu-adapter = التشغيل على المعالج المركزي: لا يوجد محوّل WebGPU ({ $detail }).
wb-gen-no-gpu-software = التشغيل على المعالج المركزي: محوّل WebGPU الوحيد، { $detail }، برمجي وأبطأ من نوى المعالج المركزي. اختر WebGPU لاستخدامه على أي حال.
wb-gen-no-gpu-model = التشغيل على المعالج المركزي: لا يمكن تشغيل هذا النموذج على WebGPU ({ $detail }).
