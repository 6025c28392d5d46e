# Bitsmith — planner (en)

planner-title = Planner
planner-lead = Before you download anything: will this model fit on this device, how fast will it run, and what will it cost?
planner-fit = Memory for weights, KV cache and buffers, for every preset.
planner-speed = Prompt and generation speed from a roofline, calibrated by real runs.
planner-cost = Cost per million tokens against the API prices you enter.
