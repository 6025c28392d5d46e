// Causal grouped-query attention over the KV cache, one workgroup per (query head, token):
// token t (position p0 + t) attends to cache positions 0..=p0 + t. Query head h reads KV head
// h / (n_head / n_head_kv). Scores are q·k / sqrt(head_dim).
// Scalar reference: bitsmith_engine::ops::attention
//
// Keys are visited in chunks of 64 positions (one per thread) with an online softmax: the
// running maximum m and sum l are rescaled by exp(m_old - m_new) when a chunk raises the
// maximum, so no score array of the whole context is kept (workgroup memory stays at a few
// hundred floats, far below WebGPU's 16 KiB minimum, whatever the context length). Each
// thread accumulates output dimensions lid, lid + 64, ... (head_dim_v <= 256).

struct Params {
    n_head: u32,
    n_head_kv: u32,
    head_dim: u32,
    head_dim_v: u32,
    q_off: u32,
    q_stride: u32,
    k_off: u32,
    v_off: u32,
    out_off: u32,
    out_stride: u32,
    p0: u32,
    n_tok: u32,
    scale: f32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<storage, read> q: array<f32>;
@group(0) @binding(1) var<storage, read> k: array<f32>;
@group(0) @binding(2) var<storage, read> v: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

const WG: u32 = 64u;
const MAX_DIM: u32 = 256u;
var<workgroup> qs: array<f32, MAX_DIM>;
var<workgroup> sc: array<f32, WG>;
var<workgroup> red: array<f32, WG>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let h = wg.x;
    let t = wg.y;
    let g = h / (p.n_head / p.n_head_kv);
    let kv_dim = p.n_head_kv * p.head_dim;
    let v_dim = p.n_head_kv * p.head_dim_v;
    let n_kv = p.p0 + t + 1u;
    for (var d = li; d < p.head_dim; d = d + WG) {
        qs[d] = q[p.q_off + t * p.q_stride + h * p.head_dim + d];
    }
    workgroupBarrier();
    var m = -3.0e38;
    var l = 0.0;
    var acc = array<f32, 4>(0.0, 0.0, 0.0, 0.0);
    for (var j0 = 0u; j0 < n_kv; j0 = j0 + WG) {
        let j = j0 + li;
        var s = -3.0e38;
        if (j < n_kv) {
            let kb = p.k_off + j * kv_dim + g * p.head_dim;
            var dotv = 0.0;
            for (var d = 0u; d < p.head_dim; d = d + 1u) {
                dotv = dotv + qs[d] * k[kb + d];
            }
            s = dotv * p.scale;
        }
        red[li] = s;
        workgroupBarrier();
        for (var st = WG / 2u; st > 0u; st = st / 2u) {
            if (li < st) {
                red[li] = max(red[li], red[li + st]);
            }
            workgroupBarrier();
        }
        let m_new = max(m, red[0]);
        let alpha = exp(m - m_new);
        var e = 0.0;
        if (j < n_kv) {
            e = exp(s - m_new);
        }
        workgroupBarrier();
        sc[li] = e;
        red[li] = e;
        workgroupBarrier();
        for (var st = WG / 2u; st > 0u; st = st / 2u) {
            if (li < st) {
                red[li] = red[li] + red[li + st];
            }
            workgroupBarrier();
        }
        l = l * alpha + red[0];
        let n_here = min(WG, n_kv - j0);
        for (var i = 0u; i < 4u; i = i + 1u) {
            let d = li + i * WG;
            if (d < p.head_dim_v) {
                var a = acc[i] * alpha;
                let vb = p.v_off + j0 * v_dim + g * p.head_dim_v + d;
                for (var jj = 0u; jj < n_here; jj = jj + 1u) {
                    a = a + sc[jj] * v[vb + jj * v_dim];
                }
                acc[i] = a;
            }
        }
        m = m_new;
        workgroupBarrier();
    }
    let inv = 1.0 / l;
    for (var i = 0u; i < 4u; i = i + 1u) {
        let d = li + i * WG;
        if (d < p.head_dim_v) {
            out[p.out_off + t * p.out_stride + h * p.head_dim_v + d] = acc[i] * inv;
        }
    }
}
