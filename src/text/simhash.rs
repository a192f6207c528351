//! SimHash over segmented tokens, for "is this the same story?".
//!
//! Charikar's SimHash: every token's 64-bit hash votes +1/-1 on each bit, once per occurrence
//! (so weights are term frequencies), and each bit of the result is the sign of its tally.
//! Texts that share most of their tokens agree on most bits; the Hamming distance between two
//! hashes estimates the angle between the texts' term-frequency vectors.
//!
//! The hashes are stored with cases and compared across restarts, versions and machines, so the
//! token hash is fixed here (byte order included) rather than std's randomly seeded hasher.

/// 64-bit SimHash of `tokens`, term-frequency weighted. Stable across runs and platforms.
/// No tokens gives 0.
pub fn simhash(tokens: &[String]) -> u64 {
    // Per-bit tallies of "this bit is 1", kept as eight u8 lanes in each u64 (SWAR): adding one
    // token is 8 table look-ups and 8 additions instead of 64 branches. The lanes are drained
    // into `ones` before they can overflow.
    let mut ones = [0u32; 64];
    let mut lanes = [0u64; 8];
    let mut pending = 0u32;
    let mut total = 0u32;
    for token in tokens.iter().filter(|t| !t.is_empty()) {
        let h = token_hash(token.as_bytes());
        for (j, lane) in lanes.iter_mut().enumerate() {
            *lane += SPREAD[((h >> (8 * j)) & 0xFF) as usize];
        }
        pending += 1;
        if pending == 255 {
            drain(&mut lanes, &mut ones);
            pending = 0;
        }
        total += 1;
    }
    drain(&mut lanes, &mut ones);

    // Bit i is 1 when more occurrences voted 1 than 0 (ties vote 0).
    ones.iter().enumerate().fold(0u64, |acc, (i, &n)| if 2 * n > total { acc | (1 << i) } else { acc })
}

/// Number of differing bits.
pub fn hamming(a: u64, b: u64) -> u32 {
    (a ^ b).count_ones()
}

/// `SPREAD[b]` has byte k set to bit k of `b`: it spreads one hash byte over eight u8 lanes.
const SPREAD: [u64; 256] = {
    let mut table = [0u64; 256];
    let mut b = 0;
    while b < 256 {
        let mut k = 0;
        while k < 8 {
            table[b] |= (((b >> k) & 1) as u64) << (8 * k);
            k += 1;
        }
        b += 1;
    }
    table
};

fn drain(lanes: &mut [u64; 8], ones: &mut [u32; 64]) {
    for (j, lane) in lanes.iter_mut().enumerate() {
        for k in 0..8 {
            ones[8 * j + k] += ((*lane >> (8 * k)) & 0xFF) as u32;
        }
        *lane = 0;
    }
}

/// A fixed, fast 64-bit hash of a short byte string: eight bytes at a time (little-endian, so
/// the same on every platform), multiply-rotate mixing seeded with the length, then MurmurHash3's
/// `fmix64` finaliser so every input bit reaches every output bit — SimHash needs the 64 output
/// bits to be independent votes. Tokens are short (Chinese words are 3–12 bytes), so this is one
/// or two rounds per token where FNV-1a would take one multiply per byte.
fn token_hash(bytes: &[u8]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut h = (bytes.len() as u64).wrapping_mul(K);
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let word = u64::from_le_bytes(chunk.try_into().expect("chunks_exact gives 8 bytes"));
        h = (h ^ word).wrapping_mul(K).rotate_left(31);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut buf = [0u8; 8];
        buf[..rest.len()].copy_from_slice(rest);
        h = (h ^ u64::from_le_bytes(buf)).wrapping_mul(K).rotate_left(31);
    }
    fmix64(h)
}

fn fmix64(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

#[cfg(test)]
#[path = "simhash_tests.rs"]
mod tests;
