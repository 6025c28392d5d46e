# Bitsmith — learn (en): the Learn page, lessons, quizzes, widgets, read-aloud, search and the
# progress dashboard.

learn-title = Learn LLM optimization by doing
learn-lead = Short interactive lessons on number formats, quantization and deployment, each one runnable on real model weights, offline.
learn-up-next = Up next
learn-tracks = Tracks
learn-loading = Loading…
learn-overall = You have completed { $done } of { $total } lessons.
learn-track-progress = { $done } of { $total } completed
learn-minutes = { $minutes } min
learn-completed = Completed
learn-started = Started
learn-research = Research
learn-prerequisites = Read first:
learn-read-first = You may want to read these lessons first:
learn-all-lessons = All lessons
learn-breadcrumb = Breadcrumb
learn-sources = Sources
learn-next = Next lesson
learn-your-skills = Your skills in this lesson
learn-retry = Try again
learn-error-network = The lessons could not be loaded. If you are offline, open Bitsmith once online so it can keep them for offline use.
learn-error-decode = The lesson files do not match this version of Bitsmith. Reloading usually fixes this.
learn-error-not-found = There is no lesson with this name.
level-intro = Introductory
level-intermediate = Intermediate
level-advanced = Advanced

search-label = Search the lessons
search-count = { $count ->
    [one] One lesson matches.
   *[other] { $count } lessons match.
}
search-none = No lesson matches these words.
search-unavailable = Search is not available: its index could not be loaded.

chart-data-table = Data table

quiz-title = Check your understanding
quiz-count = Question { $n } of { $total }
quiz-select-all = Select every answer that applies.
quiz-your-answer = Your answer
quiz-order-hint = Put the items in the right order with the up and down buttons.
quiz-move-up = Move up: { $item }
quiz-move-down = Move down: { $item }
quiz-moved = “{ $item }” is now at position { $position } of { $total }.
quiz-check = Check answer
quiz-try-again = Try again
quiz-right = Right!
quiz-wrong = Not quite.
quiz-need-answer = Choose or type an answer first.
quiz-solution = The answer is { $answer }.

skill-mastered = Mastered: { $right } of your last { $window } answers were right.
skill-not-started = Not practised yet.
skill-progress = { $right } of your last { $window } answers right; { $needed } right answers master it.

read-aloud = Read aloud
read-aloud-play = Read aloud
read-aloud-pause = Pause
read-aloud-resume = Resume
read-aloud-stop = Stop
read-aloud-playing = Reading aloud.
read-aloud-paused = Paused.

widget-quantize-matrix = Try it: quantize real weights
widget-error-vs-bits = Try it: error against bits
widget-number-format = Try it: how a number is stored
widget-memory-calc = Try it: memory and speed
widget-layer-sensitivity = Measured: which parts are sensitive
widget-spiking-neuron = Try it: a spiking neuron
widget-annealing-qubo = Try it: rounding by annealing
widget-block-format = Try it: inside a block
widget-kv-cache = Try it: KV-cache size
widget-error = This could not be computed: { $reason }
widget-no-weights = The weights “{ $id }” are missing from this build.
widget-weights-source = Real SmolLM2-135M-Instruct weights: { $tensor }, { $rows } × { $cols }, stored as { $type }.
widget-method = Method
widget-method-rtn = Round to nearest (choose bits and groups)
widget-method-ggml = llama.cpp { $type }
widget-bits = Bits
widget-bits-value = { $bits ->
    [one] 1 bit
   *[other] { $bits } bits
}
widget-group = Group size (weights per scale)
widget-symmetric = Symmetric
widget-asymmetric = asymmetric
widget-use-importance = Weight the error by input importance
widget-rtn-label = { $bits }-bit { $kind }, groups of { $group }
widget-quant-summary = { $method }: { $bpw } bits per weight, relative error { $error }.
widget-bpw = Bits per weight
widget-bpw-value = { $bpw } bits per weight
widget-rel-error = Relative error
widget-rel-error-pct = Relative error (%)
widget-snr = Signal-to-noise ratio
widget-max-error = Largest error
widget-weighted-error = Importance-weighted error
widget-hist-caption = How the { $values } weights are distributed before and after quantization.
widget-hist-alt = Histogram of the original weights and of their quantized values.
widget-weight-value = Weight value
widget-original = Original
widget-reconstructed = Quantized
widget-bin = Range
widget-curve-summary = { $low } bits: error { $low_error }; { $high } bits: error { $high_error }.
widget-curve-caption = Relative error of this slice against bits per weight ({ $kind }, groups of { $group }).
widget-curve-alt = Line chart: the error falls as bits per weight rise.
widget-model-curve-caption = Whole model, measured offline: { $model }; { $setting }; { $text }.
widget-model-curve-alt = Line chart of the whole model's KL divergence against bits per weight.
widget-setting = Setting
widget-ppl = Perplexity
widget-kl = KL divergence
widget-top1 = Top-1 agreement
widget-type = Type
widget-row = Row
widget-row-value = Row { $row } of { $rows }
widget-block = Block
widget-block-value = Block { $block } of { $blocks }
widget-block-summary = { $type }: { $bytes } bytes for { $weights } weights, { $bpw } bits per weight; largest error in this block { $error }.
widget-block-fields = The { $bytes } bytes of one { $type } block, field by field.
widget-field = Field
widget-offset = Offset
widget-bytes = Bytes (hexadecimal)
widget-value = Value
widget-index = Position in block
widget-block-chart-caption = The block's weights and what its bytes decode to.
widget-block-chart-alt = Line chart comparing the block's original weights with the decoded ones.
widget-number-value = Number
widget-number-summary = Shown: how { $value } is stored in each format.
widget-number-caption = { $value } in each format
widget-format = Format
widget-stored-bits = Stored bits
widget-stored-value = Stored value
widget-step = (grid step { $step })
widget-overflow = (out of range)
widget-bits-sign = sign
widget-bits-exponent = exponent
widget-bits-mantissa = mantissa
widget-model = { $model }: { $params } billion parameters, { $layers } layers.
widget-context = Context (tokens)
widget-kv-bits = KV-cache bits per value
widget-bandwidth = Memory bandwidth
widget-bandwidth-value = { $gbs } GB/s
widget-memory-summary = Needs { $total }; at most { $tps } tokens per second.
widget-weights-memory = Weights
widget-kv-memory = KV cache
widget-total-memory = Total
widget-tps-bound = Tokens per second (upper bound)
widget-memory-caption = Where the memory goes.
widget-memory-alt = Bar chart of the memory used by the weights and by the KV cache.
widget-gb = Gigabytes
widget-part = Part
widget-tokens = { $tokens } tokens
widget-kv-summary = At { $context } tokens: { $sizes }.
widget-kv-caption = KV-cache size of { $model } against context length, per cache type.
widget-kv-alt = Line chart: the KV cache grows linearly with the context, less steeply for smaller types.
widget-measured = Measured offline on { $model }, { $text }; { $setting }. Unmodified perplexity { $ppl }.
widget-sort = Order
widget-sort-order = Model order
widget-sort-kl = Most sensitive first
widget-sensitivity-kinds = tensor kind
widget-sensitivity-layers = layer
widget-sensitivity-summary = Most sensitive: { $label } (KL { $kl }).
widget-sensitivity-caption = KL divergence from the unmodified model when one { $what } is quantized.
widget-sensitivity-alt = Bar chart of KL divergence per row of the measured table.
widget-input = Input current
widget-input-value = { $input } per millisecond
widget-tau = Time constant τ
widget-ms-value = { $ms } ms
widget-threshold = Threshold
widget-spikes-summary = { $spikes } spikes in { $ms } ms; the theory predicts one every { $period } ms.
widget-spikes-silent = No spike in { $ms } ms: the input never lifts the potential to the threshold.
widget-spikes-caption = Membrane potential over time; vertical lines are spikes.
widget-spikes-alt = Line chart of the membrane potential rising and resetting at each spike.
widget-time-ms = Time (ms)
widget-potential = Potential
widget-spike = Spike
widget-count = Weights to round
widget-weights-count = { $count } weights
widget-sweeps = Annealing sweeps
widget-reseed = Run again with another seed
widget-anneal-summary = Output error: round to nearest { $rtn }, annealed { $annealed }, best possible { $optimum }.
widget-anneal-summary-large = Output error: round to nearest { $rtn }, annealed { $annealed }.
widget-anneal-caption = Output error ΔᵀHΔ of each rounding (lower is better).
widget-anneal-alt = Bar chart comparing the output error of round to nearest, annealing and the optimum.
widget-anneal-table = Each weight rounded up (↑) or down (↓) on the grid of step { $step }.
widget-anneal-legend = ↑ rounded up, ↓ rounded down.
widget-energy = Output error
widget-rtn = Round to nearest
widget-annealed = Annealed
widget-optimum = Best possible

progress-storage-error = Your progress could not be read or saved: { $detail }
progress-lessons = Lessons completed
progress-of = { $n } of { $total }
progress-streak = Current streak
progress-longest = Longest streak
progress-days = { $days ->
    [one] 1 day
   *[other] { $days } days
}
progress-skills = Skills mastered
progress-due = Reviews due now
progress-next = What next
progress-next-none = You have completed every lesson you can start. Well done!
progress-reason-continue = You started this lesson.
progress-reason-strengthen = Practises a skill you have not mastered yet.
progress-reason-ready = You have read everything it builds on.
progress-mastery = Mastery per skill
progress-mastery-rule = A skill is mastered when at least { $m } of your last { $n } answers on its questions are right.
progress-mastery-caption = Right answers among your last answers per skill (mastered at the end of the scale).
progress-mastery-alt = Bar chart of right answers per skill.
progress-right-answers = Right answers
progress-answers = Answers
progress-skill = Skill
progress-mastered = Mastered
progress-yes = Yes
progress-no = No
progress-skill-details = Every skill in words

review-title = Spaced review
review-why = Questions come back just before you would forget them (FSRS scheduling), so a few minutes of review keep what you learned.
review-none = Nothing to review yet: answer a lesson's quiz first.
review-none-until = Nothing to review now. The next question is due { $when }.
review-due = { $count ->
    [one] One question is due.
   *[other] { $count } questions are due.
}
review-start = Review now
review-position = Question { $n } of { $total }
review-question = Review question
review-next = Next question
review-done = Review finished: { $right } of { $total } right the first time.
review-close = Close

transfer-title = Export and import
transfer-why = Your progress lives only in this browser. Save it as a file to keep a copy or move it to another device; importing adds a file's progress to what is here.
transfer-export = Export progress
transfer-import = Import progress from a file
transfer-exported = Your progress was saved as a file.
transfer-imported = Imported { $answers } answers and { $lessons ->
    [one] one completed lesson.
   *[other] { $lessons } completed lessons.
}
transfer-error-large = This file is too large to be a Bitsmith progress file.
transfer-error-json = This file is not a Bitsmith progress file (it is not JSON).
transfer-error-format = This file is not a Bitsmith progress file.
transfer-error-new = This file was made by a newer version of Bitsmith. Update Bitsmith, then import it again.
transfer-error-invalid = This progress file is damaged and was not imported ({ $detail }).
