//! The checksum stored with every chunk of a model in the library, checked on every read.
//!
//! It guards against storage corruption and mix-ups (a chunk of another model, a truncated
//! record), not against an attacker, so it only needs to be fast in wasm32 and to spread every
//! input bit: four independent 64-bit lanes take 8 bytes each per round (wasm has native 64-bit
//! multiplies, so this runs at memory speed), then the lanes, the tail and the length are mixed
//! with a final avalanche. The constants are odd 64-bit numbers with well-mixed bits (the
//! golden-ratio constant 0x9E37_79B9_7F4A_7C15 and primes of the same kind); the exact values
//! matter only in that they must never change, since stored checksums depend on them (the
//! golden-value test pins them).

const K1: u64 = 0x9E37_79B1_85EB_CA87;
const K2: u64 = 0xC2B2_AE3D_27D4_EB4F;
const K3: u64 = 0x1656_67B1_9E37_79F9;
const K4: u64 = 0x85EB_CA77_C2B2_AE63;

#[inline]
fn lane(acc: u64, word: u64) -> u64 {
    (acc ^ word.wrapping_mul(K2))
        .rotate_left(31)
        .wrapping_mul(K1)
}

#[inline]
fn avalanche(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(K2);
    h ^= h >> 29;
    h = h.wrapping_mul(K3);
    h ^ (h >> 32)
}

/// The 64-bit checksum of `data`.
pub fn checksum(data: &[u8]) -> u64 {
    let mut acc = [K1, K2, K3, K4];
    let (blocks, tail) = data.as_chunks::<32>();
    for block in blocks {
        let (words, _) = block.as_chunks::<8>();
        for (a, w) in acc.iter_mut().zip(words) {
            *a = lane(*a, u64::from_le_bytes(*w));
        }
    }
    let mut h = (data.len() as u64).wrapping_mul(K4);
    for (i, a) in acc.iter().enumerate() {
        h = (h ^ avalanche(*a))
            .rotate_left(27 + i as u32)
            .wrapping_mul(K1);
    }
    let (words, bytes) = tail.as_chunks::<8>();
    for w in words {
        h = lane(h, u64::from_le_bytes(*w));
    }
    for &b in bytes {
        h = (h ^ u64::from(b).wrapping_mul(K3))
            .rotate_left(11)
            .wrapping_mul(K1);
    }
    avalanche(h)
}

/// The checksum as it is stored (16 lower-case hex digits: JS numbers cannot hold 64 bits).
pub fn checksum_hex(data: &[u8]) -> String {
    format!("{:016x}", checksum(data))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i * 31 + i / 7) as u8).collect()
    }

    #[test]
    fn golden_values_never_change() {
        // Stored checksums depend on these values: a change here breaks every saved model.
        assert_eq!(checksum_hex(&sample(4096)), "b71fd3904a692990");
        assert_eq!(checksum_hex(b"bitsmith"), "b68215fb9f59a584");
        assert_eq!(checksum_hex(b""), checksum_hex(&[]));
        assert_ne!(checksum(b""), checksum(&[0]));
    }

    #[test]
    fn every_single_bit_flip_changes_the_checksum() {
        let data = sample(1000);
        let base = checksum(&data);
        for byte in 0..data.len() {
            for bit in 0..8 {
                let mut d = data.clone();
                d[byte] ^= 1 << bit;
                assert_ne!(checksum(&d), base, "flip at byte {byte} bit {bit}");
            }
        }
    }

    #[test]
    fn length_and_order_matter() {
        let data = sample(256);
        // A truncated chunk, a zero-padded chunk and two swapped halves all differ.
        assert_ne!(checksum(&data[..255]), checksum(&data));
        let mut padded = data.clone();
        padded.push(0);
        assert_ne!(checksum(&padded), checksum(&data));
        let mut swapped = data[128..].to_vec();
        swapped.extend_from_slice(&data[..128]);
        assert_ne!(checksum(&swapped), checksum(&data));
        assert_ne!(checksum(&[0u8; 64]), checksum(&[0u8; 65]));
    }

    #[test]
    fn bits_are_spread_over_the_output() {
        // Flipping one input bit flips about half the output bits on average.
        let data = sample(4096);
        let base = checksum(&data);
        let mut total = 0u32;
        let n = 512;
        for i in 0..n {
            let mut d = data.clone();
            d[i * 8 % data.len()] ^= 1 << (i % 8);
            total += (checksum(&d) ^ base).count_ones();
        }
        let mean = f64::from(total) / n as f64;
        assert!((28.0..36.0).contains(&mean), "mean flipped bits {mean}");
    }
}
