# Bitsmith — learn (ar)

learn-title = تعلّم تحسين النماذج اللغوية الكبيرة بالممارسة
learn-lead = دروس تفاعلية قصيرة عن صيغ الأعداد والتكميم والنشر، كل منها قابل للتشغيل على أوزان نموذج حقيقية، دون اتصال.
learn-tracks = المسارات
track-foundations = الأساسيات
track-foundations-summary = صيغ الأعداد، والذاكرة وعرض النطاق، وما هو التكميم، وكيف نقيس كلفته.
track-formats = صيغ llama.cpp
track-formats-summary = التكميم بالكتل، وk-quants، وi-quants، وملف GGUF، واختيار المزيج.
track-calibration = المعايرة
track-calibration-summary = مصفوفات الأهمية، وGPTQ وAWQ وHQQ؛ القيم الشاذة والأوزان الفائقة.
track-extreme = التكميم المتطرف
track-extreme-summary = الأوزان الثلاثية والثنائية، وكتب الرموز، وحساب كل بت.
track-automated = التحسين الآلي
track-automated-summary = حساسية الطبقات، والميزانيات وجبهات باريتو، والبحث والتعلّم لتوزيع البتات.
track-deployment = النشر
track-deployment-summary = الهواتف والحواسيب والمتصفحات؛ تكميم ذاكرة KV، وفك الترميز التخميني، والكلفة.
track-research = اتجاهات بحثية
track-research-summary = أسئلة مفتوحة: التحسين متعدد الوسائط، والشبكات النبضية، والأساليب المستوحاة من الحوسبة الكمومية.
