//! Small text helpers for the lesson UI, kept here so they are tested natively.

/// Text of a small piece of sanitized inline HTML (for labels that cannot hold markup).
pub fn plain_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// A stable, never-identity shuffle of `n` items (seeded by the item id, so it is the same on
/// every visit and in every review).
pub fn shuffled(id: &str, n: usize) -> Vec<u32> {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in id.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
    }
    let mut v: Vec<u32> = (0..n as u32).collect();
    for i in (1..n).rev() {
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        v.swap(i, (h % (i as u64 + 1)) as usize);
    }
    if n > 1 && v.iter().enumerate().all(|(i, &j)| i as u32 == j) {
        v.rotate_left(1);
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shuffle_is_stable_and_never_the_answer() {
        for n in 2..8 {
            for id in ["a/b", "x/y", "lesson/order"] {
                let s = shuffled(id, n);
                assert_eq!(s, shuffled(id, n));
                let mut sorted = s.clone();
                sorted.sort();
                assert_eq!(sorted, (0..n as u32).collect::<Vec<_>>());
                assert!(s.iter().enumerate().any(|(i, &j)| i as u32 != j));
            }
        }
    }

    #[test]
    fn plain_text_strips_tags_and_entities() {
        assert_eq!(
            plain_text("<code>Q4_0</code> &amp; <em>x</em> &lt; 2"),
            "Q4_0 & x < 2"
        );
    }
}
