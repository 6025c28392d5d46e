// IEEE-754 binary32 arithmetic in integers: values travel as their bit patterns (u32), every
// result is rounded to nearest, ties to even, and subnormals are kept.
//
// Why not the GPU's own f32: WGSL lets a compiler fuse `a * b + c` into one fma and flush
// subnormals to zero, and only promises 2.5 ulp for division. The CPU quantizers round once per
// operation, and a result one ulp off moves a quant across a rounding boundary in a tie. Integer
// arithmetic is exact on every adapter, so quantized bytes made with these functions equal the
// CPU reference's everywhere (gpu/tests check them against the CPU's f32 operations).
//
// Scalar reference: bitsmith_engine::quant::common::f32_to_f16_bits (with c_trunc_i32 and the
// CPU's own f32 +, -, ×, ÷, which gpu/tests compare bit for bit).
//
// The algorithms are the textbook ones (shift with a sticky bit, round at a 7-bit guard field):
// see e.g. J.-M. Muller et al., Handbook of Floating-Point Arithmetic, ch. 7-8.

const SF_NAN: u32 = 0x7fc00000u;
const SF_INF: u32 = 0x7f800000u;
const SF_I32_MIN: u32 = 0x80000000u;

fn sf_is_nan(a: u32) -> bool {
    return (a & 0x7fffffffu) > SF_INF;
}

// x >> n for any n, with every bit shifted out OR-ed into bit 0 (the sticky bit).
fn sf_shr_sticky(x: u32, n: u32) -> u32 {
    if (n == 0u) {
        return x;
    }
    if (n >= 32u) {
        return select(0u, 1u, x != 0u);
    }
    let lost = x & ((1u << n) - 1u);
    return (x >> n) | select(0u, 1u, lost != 0u);
}

// The float nearest to sig · 2^(e - 157), where sig has its leading one at bit 30 (24
// significant bits, then 7 guard bits whose lowest is sticky). `e` is the biased exponent the
// result has unless rounding carries; e <= 0 gives a subnormal (or zero), e >= 255 infinity.
fn sf_round_pack(sign: u32, e_in: i32, sig_in: u32) -> u32 {
    let s = sign << 31u;
    if (e_in >= 255) {
        return s | SF_INF;
    }
    var sig = sig_in;
    let subnormal = e_in <= 0;
    if (subnormal) {
        sig = sf_shr_sticky(sig, u32(1 - e_in));
    }
    let guard = sig & 0x7fu;
    sig = (sig + 0x40u) >> 7u;
    if (guard == 0x40u) {
        sig = sig & ~1u;
    }
    if (subnormal) {
        // A carry into bit 23 makes the smallest normal number, as it should.
        return s | sig;
    }
    // The leading one (bit 23) adds one to the exponent field; a rounding carry adds another.
    return s + (u32(e_in - 1) << 23u) + sig;
}

// A finite non-zero float as (biased exponent, 24-bit significand with its leading one at bit
// 23): value = m · 2^(e - 150). Subnormals are normalized (their exponent goes below 1).
fn sf_unpack(a: u32) -> vec2<i32> {
    let exp = i32((a >> 23u) & 0xffu);
    let man = a & 0x7fffffu;
    if (exp == 0) {
        let shift = countLeadingZeros(man) - 8u;
        return vec2<i32>(1 - i32(shift), i32(man << shift));
    }
    return vec2<i32>(exp, i32(man | 0x800000u));
}

fn sf_mul(a: u32, b: u32) -> u32 {
    if (sf_is_nan(a) || sf_is_nan(b)) {
        return SF_NAN;
    }
    let sign = (a ^ b) >> 31u;
    let aa = a & 0x7fffffffu;
    let ab = b & 0x7fffffffu;
    if (aa == SF_INF || ab == SF_INF) {
        if (aa == 0u || ab == 0u) {
            return SF_NAN;
        }
        return (sign << 31u) | SF_INF;
    }
    if (aa == 0u || ab == 0u) {
        return sign << 31u;
    }
    let ua = sf_unpack(a);
    let ub = sf_unpack(b);
    let ma = u32(ua.y);
    let mb = u32(ub.y);
    // The 48-bit product hi·2^32 + lo from 16-bit halves (no 64-bit integers in WGSL).
    let al = ma & 0xffffu;
    let ah = ma >> 16u;
    let bl = mb & 0xffffu;
    let bh = mb >> 16u;
    let ll = al * bl;
    let mid = ah * bl + al * bh;
    let lo = ll + (mid << 16u);
    let hi = ah * bh + (mid >> 16u) + select(0u, 1u, lo < ll);
    // The product is in [2^46, 2^48): bring its leading one to bit 30.
    var e = ua.x + ub.x - 127;
    var s = 16u;
    if (hi >= 0x8000u) {
        s = 17u;
        e = e + 1;
    }
    let sticky = select(0u, 1u, (lo & ((1u << s) - 1u)) != 0u);
    let sig = (hi << (32u - s)) | (lo >> s) | sticky;
    return sf_round_pack(sign, e, sig);
}

fn sf_div(a: u32, b: u32) -> u32 {
    if (sf_is_nan(a) || sf_is_nan(b)) {
        return SF_NAN;
    }
    let sign = (a ^ b) >> 31u;
    let aa = a & 0x7fffffffu;
    let ab = b & 0x7fffffffu;
    if (aa == SF_INF) {
        if (ab == SF_INF) {
            return SF_NAN;
        }
        return (sign << 31u) | SF_INF;
    }
    if (ab == SF_INF) {
        return sign << 31u;
    }
    if (ab == 0u) {
        if (aa == 0u) {
            return SF_NAN;
        }
        return (sign << 31u) | SF_INF;
    }
    if (aa == 0u) {
        return sign << 31u;
    }
    let ua = sf_unpack(a);
    let ub = sf_unpack(b);
    var rem = u32(ua.y);
    let mb = u32(ub.y);
    var e = ua.x - ub.x + 127;
    if (rem < mb) {
        rem = rem << 1u;
        e = e - 1;
    }
    // Restoring division: 31 quotient bits, the first always one (rem / mb is in [1, 2)).
    var q = 0u;
    for (var i = 0u; i < 31u; i++) {
        q = q << 1u;
        if (rem >= mb) {
            rem = rem - mb;
            q = q | 1u;
        }
        rem = rem << 1u;
    }
    return sf_round_pack(sign, e, q | select(0u, 1u, rem != 0u));
}

fn sf_add(a: u32, b: u32) -> u32 {
    if (sf_is_nan(a) || sf_is_nan(b)) {
        return SF_NAN;
    }
    let aa = a & 0x7fffffffu;
    let ab = b & 0x7fffffffu;
    if (aa == SF_INF) {
        if (ab == SF_INF && ((a ^ b) >> 31u) == 1u) {
            return SF_NAN;
        }
        return a;
    }
    if (ab == SF_INF) {
        return b;
    }
    if (aa == 0u) {
        if (ab == 0u) {
            // (+0) + (-0) = +0; (-0) + (-0) = -0.
            return a & b;
        }
        return b;
    }
    if (ab == 0u) {
        return a;
    }
    // x is the operand of larger magnitude.
    var x = a;
    var y = b;
    if (ab > aa) {
        x = b;
        y = a;
    }
    let ex_raw = i32((x >> 23u) & 0xffu);
    let ey_raw = i32((y >> 23u) & 0xffu);
    var mx = x & 0x7fffffu;
    var my = y & 0x7fffffu;
    var ex = ex_raw;
    var ey = ey_raw;
    if (ex_raw == 0) {
        ex = 1;
    } else {
        mx = mx | 0x800000u;
    }
    if (ey_raw == 0) {
        ey = 1;
    } else {
        my = my | 0x800000u;
    }
    // Six guard bits, then align y to x's exponent.
    mx = mx << 6u;
    my = sf_shr_sticky(my << 6u, u32(ex - ey));
    var sum: u32;
    if (((x ^ y) >> 31u) == 0u) {
        sum = mx + my;
    } else {
        sum = mx - my;
        if (sum == 0u) {
            // Exact cancellation is +0 when rounding to nearest.
            return 0u;
        }
    }
    // sum < 2^31: move its leading one to bit 30 (left shifts are exact).
    let shift = i32(countLeadingZeros(sum)) - 1;
    return sf_round_pack(x >> 31u, ex + 1 - shift, sum << u32(shift));
}

fn sf_sub(a: u32, b: u32) -> u32 {
    return sf_add(a, b ^ 0x80000000u);
}

// a < b as floats (false when either is NaN; -0 equals +0).
fn sf_lt(a: u32, b: u32) -> bool {
    if (sf_is_nan(a) || sf_is_nan(b)) {
        return false;
    }
    return sf_order(a) < sf_order(b);
}

// A key whose signed order is the floats' order (both zeros map to 0).
fn sf_order(a: u32) -> i32 {
    if ((a >> 31u) == 1u) {
        return -i32(a & 0x7fffffffu);
    }
    return i32(a);
}

// f32 to IEEE binary16 bits, rounding to nearest even (subnormal halves kept, overflow to
// infinity, NaN to the quiet NaN 0x7e00): ggml_compute_fp32_to_fp16's results.
fn sf_to_f16(a: u32) -> u32 {
    let sign = (a >> 16u) & 0x8000u;
    let aa = a & 0x7fffffffu;
    if (aa > SF_INF) {
        return sign | 0x7e00u;
    }
    let e = i32(aa >> 23u) - 127;
    if (e > 15) {
        return sign | 0x7c00u;
    }
    if (e < -25) {
        // Below half the smallest f16 subnormal (2^-25): zero. (f32 subnormals land here.)
        return sign;
    }
    let m = (aa & 0x7fffffu) | 0x800000u;
    var s = 13u;
    var base = 0u;
    if (e >= -14) {
        base = u32(e + 14) << 10u;
    } else {
        s = u32(-e - 1);
    }
    let h = m >> s;
    let rem = m & ((1u << s) - 1u);
    let half = 1u << (s - 1u);
    var r = base + h;
    if (rem > half || (rem == half && (h & 1u) == 1u)) {
        r = r + 1u;
    }
    return sign | r;
}

// C's `(int32_t)f` as the engine's c_trunc_i32: toward zero; NaN and |f| >= 2^31 give i32::MIN.
fn sf_trunc_i32(a: u32) -> i32 {
    let aa = a & 0x7fffffffu;
    let e = i32(aa >> 23u) - 127;
    if (aa > SF_INF || e >= 31) {
        return bitcast<i32>(SF_I32_MIN);
    }
    if (e < 0) {
        return 0;
    }
    let m = (aa & 0x7fffffu) | 0x800000u;
    var v: u32;
    if (e >= 23) {
        v = m << u32(e - 23);
    } else {
        v = m >> u32(23 - e);
    }
    if ((a >> 31u) == 1u) {
        return -i32(v);
    }
    return i32(v);
}

// `(int32_t)roundf(f)`: rounds half away from zero, then as sf_trunc_i32.
fn sf_round_i32(a: u32) -> i32 {
    let aa = a & 0x7fffffffu;
    let e = i32(aa >> 23u) - 127;
    if (aa > SF_INF || e >= 31) {
        return bitcast<i32>(SF_I32_MIN);
    }
    if (e < -1) {
        return 0;
    }
    let m = (aa & 0x7fffffu) | 0x800000u;
    var v: u32;
    if (e >= 23) {
        v = m << u32(e - 23);
    } else {
        let sh = u32(23 - e);
        v = (m + (1u << (sh - 1u))) >> sh;
    }
    if ((a >> 31u) == 1u) {
        return -i32(v);
    }
    return i32(v);
}

// The low byte of an integer as C's `(int8_t)` sees it.
fn sf_as_i8(v: i32) -> i32 {
    return (v << 24u) >> 24u;
}
