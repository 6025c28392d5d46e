// Softmax of `rows` rows of `n` values in place (row r starts at off + r·n), one workgroup per
// row: max, then Σ exp(x - max) by tree reduction, then scale.
// Scalar reference: bitsmith_engine::ops::softmax

struct Params {
    n: u32,
    rows: u32,
    off: u32,
    _pad: u32,
}

@group(0) @binding(0) var<storage, read_write> x: array<f32>;
@group(0) @binding(1) var<uniform> p: Params;

const WG: u32 = 256u;
var<workgroup> red: array<f32, WG>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let row = wg.x;
    if (row >= p.rows) {
        return;
    }
    let base = p.off + row * p.n;
    var m = -3.0e38;
    for (var i = li; i < p.n; i = i + WG) {
        m = max(m, x[base + i]);
    }
    red[li] = m;
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s = s / 2u) {
        if (li < s) {
            red[li] = max(red[li], red[li + s]);
        }
        workgroupBarrier();
    }
    let mx = red[0];
    workgroupBarrier();
    var sum = 0.0;
    for (var i = li; i < p.n; i = i + WG) {
        let e = exp(x[base + i] - mx);
        x[base + i] = e;
        sum = sum + e;
    }
    red[li] = sum;
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s = s / 2u) {
        if (li < s) {
            red[li] = red[li] + red[li + s];
        }
        workgroupBarrier();
    }
    let inv = 1.0 / red[0];
    for (var i = li; i < p.n; i = i + WG) {
        x[base + i] = x[base + i] * inv;
    }
}
