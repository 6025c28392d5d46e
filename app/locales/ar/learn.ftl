# Bitsmith — learn (ar): صفحة «تعلّم»، والدروس، والاختبارات، والأدوات التفاعلية، والقراءة
# بصوت عالٍ، والبحث، ولوحة التقدّم.

learn-title = تعلّم تحسين النماذج اللغوية الكبيرة بالممارسة
learn-lead = دروس تفاعلية قصيرة عن صيغ الأعداد والتكميم والنشر، كل منها قابل للتشغيل على أوزان نموذج حقيقية، دون اتصال.
learn-up-next = التالي
learn-tracks = المسارات
learn-loading = جارٍ التحميل…
learn-overall = أكملت { $done } من { $total } درسًا.
learn-track-progress = اكتمل { $done } من { $total }
learn-minutes = { $minutes } د
learn-completed = مكتمل
learn-started = بدأته
learn-research = بحث
learn-prerequisites = اقرأ أولًا:
learn-read-first = قد ترغب في قراءة هذه الدروس أولًا:
learn-all-lessons = كل الدروس
learn-breadcrumb = مسار التنقّل
learn-sources = المصادر
learn-next = الدرس التالي
learn-your-skills = مهاراتك في هذا الدرس
learn-retry = حاول مجددًا
learn-error-network = تعذّر تحميل الدروس. إن كنت غير متصل، فافتح Bitsmith مرة وأنت متصل ليحفظها للاستخدام دون اتصال.
learn-error-decode = ملفات الدروس لا تطابق هذا الإصدار من Bitsmith. عادةً ما تحلّ إعادة التحميل المشكلة.
learn-error-not-found = لا يوجد درس بهذا الاسم.
level-intro = تمهيدي
level-intermediate = متوسط
level-advanced = متقدّم

search-label = ابحث في الدروس
search-count = { $count ->
    [zero] لا يطابق أي درس.
    [one] يطابق درس واحد.
    [two] يطابق درسان.
    [few] تطابق { $count } دروس.
    [many] يطابق { $count } درسًا.
   *[other] يطابق { $count } درس.
}
search-none = لا يطابق أي درس هذه الكلمات.
search-unavailable = البحث غير متاح: تعذّر تحميل فهرسه.

chart-data-table = جدول البيانات

quiz-title = اختبر فهمك
quiz-count = السؤال { $n } من { $total }
quiz-select-all = اختر كل إجابة صحيحة.
quiz-your-answer = إجابتك
quiz-order-hint = رتّب العناصر بالترتيب الصحيح بزرّي الرفع والخفض.
quiz-move-up = ارفع: { $item }
quiz-move-down = اخفض: { $item }
quiz-moved = أصبح «{ $item }» في الموضع { $position } من { $total }.
quiz-check = تحقّق من الإجابة
quiz-try-again = حاول مجددًا
quiz-right = صحيح!
quiz-wrong = ليس تمامًا.
quiz-need-answer = اختر إجابة أو اكتبها أولًا.
quiz-solution = الإجابة هي { $answer }.

skill-mastered = متقنة: { $right } من آخر { $window } إجابات كانت صحيحة.
skill-not-started = لم تتدرّب عليها بعد.
skill-progress = { $right } من آخر { $window } إجابات صحيحة؛ تُتقن بـ { $needed } إجابات صحيحة.

read-aloud = القراءة بصوت عالٍ
read-aloud-play = اقرأ بصوت عالٍ
read-aloud-pause = إيقاف مؤقت
read-aloud-resume = استئناف
read-aloud-stop = إيقاف
read-aloud-playing = تجري القراءة بصوت عالٍ.
read-aloud-paused = متوقف مؤقتًا.

widget-quantize-matrix = جرّبه: كمِّم أوزانًا حقيقية
widget-error-vs-bits = جرّبه: الخطأ مقابل عدد البتات
widget-number-format = جرّبه: كيف يُخزَّن العدد
widget-memory-calc = جرّبه: الذاكرة والسرعة
widget-layer-sensitivity = قياس: أي الأجزاء حسّاسة
widget-spiking-neuron = جرّبه: عصبون نبضي
widget-annealing-qubo = جرّبه: التقريب بالتلدين
widget-block-format = جرّبه: داخل كتلة
widget-kv-cache = جرّبه: حجم ذاكرة KV
widget-error = تعذّر الحساب: { $reason }
widget-no-weights = الأوزان «{ $id }» غير موجودة في هذا الإصدار.
widget-weights-source = أوزان حقيقية من SmolLM2-135M-Instruct: ‏{ $tensor }، ‏{ $rows } × { $cols }، مخزّنة بصيغة { $type }.
widget-method = الطريقة
widget-method-rtn = التقريب إلى الأقرب (اختر البتات والمجموعات)
widget-method-ggml = { $type } من llama.cpp
widget-bits = البتات
widget-bits-value = { $bits ->
    [one] بت واحد
    [two] بتّان
    [few] { $bits } بتات
   *[other] { $bits } بت
}
widget-group = حجم المجموعة (أوزان لكل معامل قياس)
widget-symmetric = متماثل
widget-asymmetric = غير متماثل
widget-use-importance = رجّح الخطأ بأهمية المدخلات
widget-rtn-label = { $bits } بت، { $kind }، مجموعات من { $group }
widget-quant-summary = { $method }: ‏{ $bpw } بت لكل وزن، خطأ نسبي { $error }.
widget-bpw = بت لكل وزن
widget-bpw-value = { $bpw } بت لكل وزن
widget-rel-error = الخطأ النسبي
widget-rel-error-pct = الخطأ النسبي (%)
widget-snr = نسبة الإشارة إلى الضجيج
widget-max-error = أكبر خطأ
widget-weighted-error = الخطأ المرجّح بالأهمية
widget-hist-caption = كيف تتوزع الأوزان الـ { $values } قبل التكميم وبعده.
widget-hist-alt = مدرّج تكراري للأوزان الأصلية ولقيمها المكمّمة.
widget-weight-value = قيمة الوزن
widget-original = الأصلي
widget-reconstructed = المكمَّم
widget-bin = المجال
widget-curve-summary = { $low } بت: الخطأ { $low_error }؛ { $high } بت: الخطأ { $high_error }.
widget-curve-caption = الخطأ النسبي لهذه الشريحة مقابل البتات لكل وزن ({ $kind }، مجموعات من { $group }).
widget-curve-alt = مخطط خطي: يقل الخطأ كلما زادت البتات لكل وزن.
widget-model-curve-caption = النموذج كاملًا، مقيسًا مسبقًا: { $model }؛ { $setting }؛ { $text }.
widget-model-curve-alt = مخطط خطي لتباعد KL للنموذج كاملًا مقابل البتات لكل وزن.
widget-setting = الإعداد
widget-ppl = الحيرة (perplexity)
widget-kl = تباعد KL
widget-top1 = تطابق الخيار الأول
widget-type = النوع
widget-row = الصف
widget-row-value = الصف { $row } من { $rows }
widget-block = الكتلة
widget-block-value = الكتلة { $block } من { $blocks }
widget-block-summary = { $type }: ‏{ $bytes } بايت لـ { $weights } وزنًا، { $bpw } بت لكل وزن؛ أكبر خطأ في هذه الكتلة { $error }.
widget-block-fields = البايتات الـ { $bytes } لكتلة { $type } واحدة، حقلًا حقلًا.
widget-field = الحقل
widget-offset = الإزاحة
widget-bytes = البايتات (ست عشري)
widget-value = القيمة
widget-index = الموضع في الكتلة
widget-block-chart-caption = أوزان الكتلة وما تُفكّ إليه بايتاتها.
widget-block-chart-alt = مخطط خطي يقارن أوزان الكتلة الأصلية بالمفكوكة.
widget-number-value = العدد
widget-number-summary = معروض: كيف يُخزَّن { $value } في كل صيغة.
widget-number-caption = { $value } في كل صيغة
widget-format = الصيغة
widget-stored-bits = البتات المخزّنة
widget-stored-value = القيمة المخزّنة
widget-step = (خطوة الشبكة { $step })
widget-overflow = (خارج النطاق)
widget-bits-sign = الإشارة
widget-bits-exponent = الأس
widget-bits-mantissa = الجزء العشري
widget-model = { $model }: ‏{ $params } مليار معامل، { $layers } طبقة.
widget-context = السياق (رموز)
widget-kv-bits = بتات كل قيمة في ذاكرة KV
widget-bandwidth = عرض نطاق الذاكرة
widget-bandwidth-value = { $gbs } غيغابايت/ث
widget-memory-summary = يحتاج { $total }؛ وعلى الأكثر { $tps } رمزًا في الثانية.
widget-weights-memory = الأوزان
widget-kv-memory = ذاكرة KV
widget-total-memory = المجموع
widget-tps-bound = رموز في الثانية (حد أعلى)
widget-memory-caption = أين تذهب الذاكرة.
widget-memory-alt = مخطط أعمدة للذاكرة التي تستهلكها الأوزان وذاكرة KV.
widget-gb = غيغابايت
widget-part = الجزء
widget-tokens = { $tokens } رمز
widget-kv-summary = عند { $context } رمز: { $sizes }.
widget-kv-caption = حجم ذاكرة KV للنموذج { $model } مقابل طول السياق، لكل نوع.
widget-kv-alt = مخطط خطي: تنمو ذاكرة KV خطيًا مع السياق، وبميل أقل للأنواع الأصغر.
widget-measured = مقيس مسبقًا على { $model }، { $text }؛ { $setting }. الحيرة دون تعديل { $ppl }.
widget-sort = الترتيب
widget-sort-order = ترتيب النموذج
widget-sort-kl = الأكثر حساسية أولًا
widget-sensitivity-kinds = نوع موتر
widget-sensitivity-layers = طبقة
widget-sensitivity-summary = الأكثر حساسية: { $label } (KL ‏{ $kl }).
widget-sensitivity-caption = تباعد KL عن النموذج الأصلي عند تكميم { $what } واحد.
widget-sensitivity-alt = مخطط أعمدة لتباعد KL لكل صف من الجدول المقيس.
widget-input = تيار الدخل
widget-input-value = { $input } لكل ميلي ثانية
widget-tau = ثابت الزمن τ
widget-ms-value = { $ms } ملّي ث
widget-threshold = العتبة
widget-spikes-summary = { $spikes } نبضة في { $ms } ملّي ث؛ تتوقع النظرية نبضة كل { $period } ملّي ث.
widget-spikes-silent = لا نبضات في { $ms } ملّي ث: الدخل لا يرفع الجهد إلى العتبة أبدًا.
widget-spikes-caption = جهد الغشاء عبر الزمن؛ الخطوط الرأسية هي النبضات.
widget-spikes-alt = مخطط خطي لجهد الغشاء يرتفع ثم يعود إلى الصفر عند كل نبضة.
widget-time-ms = الزمن (ملّي ث)
widget-potential = الجهد
widget-spike = نبضة
widget-count = عدد الأوزان المراد تقريبها
widget-weights-count = { $count } أوزان
widget-sweeps = دورات التلدين
widget-reseed = أعد التشغيل ببذرة أخرى
widget-anneal-summary = خطأ المخرجات: التقريب إلى الأقرب { $rtn }، التلدين { $annealed }، الأفضل الممكن { $optimum }.
widget-anneal-summary-large = خطأ المخرجات: التقريب إلى الأقرب { $rtn }، التلدين { $annealed }.
widget-anneal-caption = خطأ المخرجات ΔᵀHΔ لكل طريقة تقريب (الأقل أفضل).
widget-anneal-alt = مخطط أعمدة يقارن خطأ المخرجات للتقريب إلى الأقرب والتلدين والحل الأمثل.
widget-anneal-table = كل وزن مُقرَّب إلى الأعلى (↑) أو إلى الأسفل (↓) على شبكة خطوتها { $step }.
widget-anneal-legend = ↑ مُقرَّب إلى الأعلى، ↓ مُقرَّب إلى الأسفل.
widget-energy = خطأ المخرجات
widget-rtn = التقريب إلى الأقرب
widget-annealed = بالتلدين
widget-optimum = الأفضل الممكن

progress-storage-error = تعذّرت قراءة تقدّمك أو حفظه: { $detail }
progress-lessons = الدروس المكتملة
progress-of = { $n } من { $total }
progress-streak = السلسلة الحالية
progress-longest = أطول سلسلة
progress-days = { $days ->
    [zero] لا أيام
    [one] يوم واحد
    [two] يومان
    [few] { $days } أيام
    [many] { $days } يومًا
   *[other] { $days } يوم
}
progress-skills = المهارات المتقنة
progress-due = مراجعات مستحقة الآن
progress-next = ماذا بعد
progress-next-none = أكملت كل درس يمكنك بدؤه. أحسنت!
progress-reason-continue = بدأت هذا الدرس.
progress-reason-strengthen = يدرّب مهارة لم تتقنها بعد.
progress-reason-ready = قرأت كل ما يبني عليه.
progress-mastery = الإتقان لكل مهارة
progress-mastery-rule = تُعدّ المهارة متقنة عندما تكون { $m } على الأقل من آخر { $n } إجابات على أسئلتها صحيحة.
progress-mastery-caption = الإجابات الصحيحة بين آخر إجاباتك لكل مهارة (الإتقان عند نهاية المقياس).
progress-mastery-alt = مخطط أعمدة للإجابات الصحيحة لكل مهارة.
progress-right-answers = الإجابات الصحيحة
progress-answers = الإجابات
progress-skill = المهارة
progress-mastered = متقنة
progress-yes = نعم
progress-no = لا
progress-skill-details = كل مهارة بالكلمات

review-title = المراجعة المتباعدة
review-why = تعود الأسئلة قبيل أن تنساها (جدولة FSRS)، فتحفظ دقائق قليلة من المراجعة ما تعلّمته.
review-none = لا شيء للمراجعة بعد: أجب عن اختبار أحد الدروس أولًا.
review-none-until = لا شيء للمراجعة الآن. يستحق السؤال التالي في { $when }.
review-due = { $count ->
    [zero] لا أسئلة مستحقة.
    [one] سؤال واحد مستحق.
    [two] سؤالان مستحقان.
    [few] { $count } أسئلة مستحقة.
    [many] { $count } سؤالًا مستحقًا.
   *[other] { $count } سؤال مستحق.
}
review-start = راجع الآن
review-position = السؤال { $n } من { $total }
review-question = سؤال مراجعة
review-next = السؤال التالي
review-done = انتهت المراجعة: { $right } من { $total } صحيحة من المحاولة الأولى.
review-close = إغلاق

transfer-title = التصدير والاستيراد
transfer-why = يعيش تقدّمك في هذا المتصفح فقط. احفظه في ملف لتحتفظ بنسخة أو لتنقله إلى جهاز آخر؛ والاستيراد يضيف تقدّم الملف إلى ما هنا.
transfer-export = صدّر التقدّم
transfer-import = استورد التقدّم من ملف
transfer-exported = حُفظ تقدّمك في ملف.
transfer-imported = استُورد { $answers } إجابة و{ $lessons ->
    [zero] لا دروس مكتملة.
    [one] درس مكتمل واحد.
    [two] درسان مكتملان.
    [few] { $lessons } دروس مكتملة.
    [many] { $lessons } درسًا مكتملًا.
   *[other] { $lessons } درس مكتمل.
}
transfer-error-large = هذا الملف أكبر من أن يكون ملف تقدّم لـ Bitsmith.
transfer-error-json = هذا ليس ملف تقدّم لـ Bitsmith (ليس JSON).
transfer-error-format = هذا ليس ملف تقدّم لـ Bitsmith.
transfer-error-new = أُنشئ هذا الملف بإصدار أحدث من Bitsmith. حدّث Bitsmith ثم استورده مجددًا.
transfer-error-invalid = ملف التقدّم هذا تالف ولم يُستورد ({ $detail }).
