// RoPE in place on `n_tok` rows of `n_heads` heads of `head_dim` values (row t starts at
// x_off + t·x_stride), rotating the first n_rot dimensions of each head by the cos/sin table
// row t (n_rot values: cos, sin per pair; built on the CPU by ops::rope_cache because WGSL's
// sin/cos are only accurate on [-π, π]). mode 0 = NORM (pairs 2i, 2i+1: llama), 1 = NEOX
// (pairs i, i + n_rot/2: Qwen2), as `rope_f32` in ggml/src/ggml-cpu/ops.cpp.
// Scalar reference: bitsmith_engine::ops::rope

struct Params {
    n_heads: u32,
    head_dim: u32,
    n_rot: u32,
    n_tok: u32,
    x_off: u32,
    x_stride: u32,
    mode: u32,
    table_off: u32,
}

@group(0) @binding(0) var<storage, read_write> x: array<f32>;
@group(0) @binding(1) var<storage, read> table: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

// One thread per rotated pair: x = pair index within the token (head · n_rot/2 + i), y = token.
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let half = p.n_rot / 2u;
    let t = gid.y;
    if (gid.x >= half * p.n_heads || t >= p.n_tok) {
        return;
    }
    let head = gid.x / half;
    let i = gid.x % half;
    let base = p.x_off + t * p.x_stride + head * p.head_dim;
    var a = base + 2u * i;
    var b = a + 1u;
    if (p.mode == 1u) {
        a = base + i;
        b = base + i + half;
    }
    let c = table[p.table_off + t * p.n_rot + 2u * i];
    let s = table[p.table_off + t * p.n_rot + 2u * i + 1u];
    let x0 = x[a];
    let x1 = x[b];
    x[a] = x0 * c - x1 * s;
    x[b] = x0 * s + x1 * c;
}
