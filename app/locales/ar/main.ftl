# Bitsmith — العربية

page-title = { $page } · Bitsmith
skip-to-content = انتقل إلى المحتوى
nav-label = الرئيسية
nav-learn = تعلّم
nav-workbench = منضدة العمل
nav-planner = المخطِّط
nav-progress = التقدّم
nav-settings = الإعدادات
status-online = متصل
status-offline = غير متصل — كل ما فتحته من قبل ما زال يعمل
footer-privacy = يعمل Bitsmith بالكامل في متصفحك. لا يغادر أي شيء تفتحه أو تصنعه هذا الجهاز.
storage-error = تعذّر حفظ إعداداتك: { $detail }
update-ready = إصدار جديد من Bitsmith جاهز.
update-reload = أعد التحميل للتحديث

progress-title = تقدّمك
progress-lead = الدروس المكتملة، والمهارات المتقنة، وأسئلة الاختبار المستحقة للمراجعة. يبقى كل ذلك على هذا الجهاز.

settings-title = الإعدادات
settings-appearance = اللغة والمظهر
settings-language = اللغة
settings-language-auto = لغة المتصفح
settings-theme = السمة
settings-theme-system = اتبع النظام
settings-theme-light = فاتحة
settings-theme-dark = داكنة
settings-storage = التخزين
settings-storage-usage = يستخدم Bitsmith ‏{ $usage } من أصل { $quota } يسمح بها هذا المتصفح.
settings-persist-why = تُحفظ النماذج وتقدّمك في هذا المتصفح. يطلب التخزين الدائم من المتصفح ألا يحذفها عند امتلاء القرص.
settings-persist-button = احتفظ ببياناتي (تخزين دائم)
settings-persist-granted = التخزين الدائم مفعَّل: لن يحذف المتصفح بيانات Bitsmith.
settings-persist-not-granted = التخزين الدائم غير مفعَّل: قد يحذف المتصفح بيانات Bitsmith عند نفاد المساحة.
settings-engine = المحرّك
settings-engine-starting = جارٍ تشغيل المحرّك…
settings-engine-ready = المحرّك { $version } يعمل في عامل خلفي.
settings-gpu = معالج الرسوميات (WebGPU)
settings-gpu-detecting = جارٍ البحث عن محوّل WebGPU…
settings-gpu-adapter = محوّل WebGPU: { $name } ({ $backend }، { $kind }).
settings-gpu-none = لا يتوفر WebGPU هنا ({ $reason }).
settings-gpu-cpu-fallback = كل شيء يعمل أيضًا على المعالج المركزي؛ WebGPU يجعله أسرع فقط.
settings-gpu-check = قارن معالج الرسوميات بالمعالج المركزي
settings-gpu-check-pass = نتيجة { $kernel } على معالج الرسوميات تطابق المرجع على المعالج المركزي (أكبر فرق { $diff }، والمسموح { $tolerance }).
settings-gpu-check-fail = نتيجة { $kernel } على معالج الرسوميات تختلف عن المرجع بمقدار { $diff } (المسموح { $tolerance })؛ سيستخدم Bitsmith المعالج المركزي.
settings-gpu-check-error = تعذّر تشغيل فحص معالج الرسوميات: { $reason }
settings-bench = اختبار أداء المعالج المركزي
settings-bench-why = يكمِّم مصفوفة 4096 × 4096 إلى Q8_0 في عامل المحرّك لقياس سرعة هذا الجهاز.
settings-bench-start = شغّل الاختبار
settings-bench-cancel = إلغاء
settings-bench-running = كُمِّم { $done } من { $total } صفًا…
settings-bench-done = { $type }: ‏{ $rate } مليون وزن في الثانية (جذر متوسط مربع الخطأ { $rmse }).
settings-bench-cancelled = أُلغي الاختبار.
settings-bench-failed = فشل الاختبار: { $reason }

not-found-title = الصفحة غير موجودة
not-found-body = لا توجد صفحة في هذا العنوان.
not-found-home = اذهب إلى الدروس

## Page areas loaded on demand
area-loading = جارٍ تحميل هذه الصفحة…
area-failed-title = تعذّر تحميل هذه الصفحة
area-failed = لم تصل شيفرتها: { $reason }. تحقّق من الاتصال وحاول مرة أخرى؛ لم يُفقد شيء مما حفظته.
area-retry = حاول مرة أخرى
