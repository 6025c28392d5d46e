// RMSNorm, one workgroup per row: out = x / sqrt(mean(x^2) + eps) * weight.
// Scalar reference: bitsmith_engine::ops::rms_norm (tests compare the two).
// Rows start at x_off + r·n and out_off + r·n (element offsets into the bound buffers), so the
// kernel can read and write slices of larger activation buffers.

struct Params {
    n: u32,
    rows: u32,
    eps: f32,
    x_off: u32,
    out_off: u32,
    w_off: u32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> weight: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

const WG: u32 = 256u;
var<workgroup> partial: array<f32, WG>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let row = wg.x;
    if (row >= params.rows) {
        return;
    }
    let base = params.x_off + row * params.n;
    var acc = 0.0;
    for (var i = lid.x; i < params.n; i = i + WG) {
        let v = x[base + i];
        acc = acc + v * v;
    }
    partial[lid.x] = acc;
    workgroupBarrier();
    // Tree reduction: pairwise sums keep the rounding error at O(log n).
    for (var stride = WG / 2u; stride > 0u; stride = stride / 2u) {
        if (lid.x < stride) {
            partial[lid.x] = partial[lid.x] + partial[lid.x + stride];
        }
        workgroupBarrier();
    }
    let scale = inverseSqrt(partial[0] / f32(params.n) + params.eps);
    let obase = params.out_off + row * params.n;
    for (var i = lid.x; i < params.n; i = i + WG) {
        out[obase + i] = x[base + i] * scale * weight[params.w_off + i];
    }
}
