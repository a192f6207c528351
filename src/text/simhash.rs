//! SimHash over segmented tokens, for "is this the same story?".
//!
//! Charikar's SimHash: every token's 64-bit hash votes +1/-1 on each bit, once per occurrence
//! (so weights are term frequencies), and each bit of the result is the sign of its tally.
//! Texts that share most of their tokens agree on most bits; the Hamming distance between two
//! hashes estimates the angle between the texts' term-frequency vectors.
//!
//! The hashes are stored with cases and compared across restarts, versions and machines, so the
//! token hash is fixed here (byte order included) rather than std's randomly seeded hasher.
//!
//! What distance means "same story" depends on length. Each bit differs with probability θ/π,
//! so one changed word in a ~100-character report (~47 tokens) already moves ~4 bits on average,
//! and retellings of one short report measured 1–13 bits apart while different stories were
//! 18–32 apart: a threshold of ~12 suits short signals. For articles of a few KB, one or two
//! changed characters move 0–1 bits, and ≤ 3 is plenty. (See the tests for the texts.)

/// 64-bit SimHash of `tokens`, term-frequency weighted. Stable across runs and platforms.
/// No tokens gives 0.
pub fn simhash(tokens: &[String]) -> u64 {
    // Per-bit tallies of "this bit is 1" as bit-sliced counters: `planes[k]` holds bit k of all
    // 64 tallies, and adding a hash is a ripple-carry add across the planes (two or three
    // AND/XORs on average) instead of 64 separate increments. Eight planes count to 255; they
    // are drained into `ones` before that.
    let mut ones = [0u32; 64];
    let mut planes = [0u64; 8];
    let mut pending = 0u32;
    let mut total = 0u32;
    for token in tokens.iter().filter(|t| !t.is_empty()) {
        let mut carry = token_hash(token.as_bytes());
        for plane in planes.iter_mut() {
            let next = *plane & carry;
            *plane ^= carry;
            carry = next;
            if carry == 0 {
                break;
            }
        }
        pending += 1;
        if pending == 255 {
            drain(&mut planes, &mut ones);
            pending = 0;
        }
        total += 1;
    }
    drain(&mut planes, &mut ones);

    // Bit i is 1 when more occurrences voted 1 than 0 (ties vote 0).
    ones.iter().enumerate().fold(0u64, |acc, (i, &n)| if 2 * n > total { acc | (1 << i) } else { acc })
}

/// Number of differing bits.
pub fn hamming(a: u64, b: u64) -> u32 {
    (a ^ b).count_ones()
}

/// Appends to `out` the position (plus `offset`) of every hash in `hashes` within
/// `max_distance` bits of `hash`, in order: the story index's scan, over every signal of the
/// window for every signal taken in. Where the CPU has a population-count instruction it is
/// used (checked at run time; the default x86-64 target may not assume it, and the portable
/// bit-twiddling count made this loop several times slower in a micro-benchmark: 50–90 µs
/// against ~15 µs for 40,000 hashes).
pub fn near(hashes: &[u64], hash: u64, max_distance: u32, offset: usize, out: &mut Vec<usize>) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("popcnt") {
        // SAFETY: the CPU has the instruction the function is compiled to use: checked above.
        return unsafe { near_popcnt(hashes, hash, max_distance, offset, out) };
    }
    near_portable(hashes, hash, max_distance, offset, out)
}

/// [`near`] for several hashes in one pass (a signal and its quoted parts), each with its own
/// distance: the position of every hash within its distance of any of `queries`, each once,
/// in order. One pass over the window reads its hashes once however many parts a repost has,
/// and a part's wider distance does not widen the whole text's.
pub fn near_any(hashes: &[u64], queries: &[(u64, u32)], offset: usize, out: &mut Vec<usize>) {
    if let [(one, max_distance)] = queries {
        return near(hashes, *one, *max_distance, offset, out);
    }
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("popcnt") {
        // SAFETY: the CPU has the instruction the function is compiled to use: checked above.
        return unsafe { near_any_popcnt(hashes, queries, offset, out) };
    }
    near_any_portable(hashes, queries, offset, out)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "popcnt")]
fn near_any_popcnt(hashes: &[u64], queries: &[(u64, u32)], offset: usize, out: &mut Vec<usize>) {
    near_any_portable(hashes, queries, offset, out)
}

#[inline(always)]
fn near_any_portable(hashes: &[u64], queries: &[(u64, u32)], offset: usize, out: &mut Vec<usize>) {
    for (i, h) in hashes.iter().enumerate() {
        if queries.iter().any(|(q, max_distance)| (h ^ q).count_ones() <= *max_distance) {
            out.push(offset + i);
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "popcnt")]
fn near_popcnt(hashes: &[u64], hash: u64, max_distance: u32, offset: usize, out: &mut Vec<usize>) {
    near_portable(hashes, hash, max_distance, offset, out)
}

#[inline(always)]
fn near_portable(hashes: &[u64], hash: u64, max_distance: u32, offset: usize, out: &mut Vec<usize>) {
    for (i, h) in hashes.iter().enumerate() {
        if (h ^ hash).count_ones() <= max_distance {
            out.push(offset + i);
        }
    }
}

/// Adds the bit-sliced counters to `ones` and clears them.
fn drain(planes: &mut [u64; 8], ones: &mut [u32; 64]) {
    for (k, plane) in planes.iter_mut().enumerate() {
        let mut bits = *plane;
        while bits != 0 {
            ones[bits.trailing_zeros() as usize] += 1 << k;
            bits &= bits - 1;
        }
        *plane = 0;
    }
}

/// A fixed, fast 64-bit hash of a short byte string: eight bytes at a time (little-endian, so
/// the same on every platform), multiply-rotate mixing seeded with the length, then MurmurHash3's
/// `fmix64` finaliser so every input bit reaches every output bit — SimHash needs the 64 output
/// bits to be independent votes. Tokens are short (a Chinese word is 3–12 bytes), so this is one
/// or two rounds per token where FNV-1a would take one multiply per byte; the last 1–8 bytes are
/// read with overlapping fixed-size loads (as wyhash does) because copying them into a buffer
/// (a `memcpy` call) made the whole hash ~4× slower.
pub(super) fn token_hash(bytes: &[u8]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mix = |h: u64, word: u64| (h ^ word).wrapping_mul(K).rotate_left(31);
    let mut h = (bytes.len() as u64).wrapping_mul(K);
    let mut rest = bytes;
    while let Some((chunk, tail)) = rest.split_first_chunk::<8>()
        && !tail.is_empty()
    {
        h = mix(h, u64::from_le_bytes(*chunk));
        rest = tail;
    }
    // 0..=8 bytes left. The length is already in `h`, so the overlapping reads are unambiguous.
    let n = rest.len();
    let last = match n {
        8 => u64::from_le_bytes(rest.try_into().expect("eight bytes")),
        4..=7 => u64::from(le32(&rest[..4])) | u64::from(le32(&rest[n - 4..])) << 32,
        1..=3 => u64::from(rest[0]) | u64::from(rest[n / 2]) << 8 | u64::from(rest[n - 1]) << 16,
        _ => 0,
    };
    fmix64(mix(h, last))
}

fn le32(four: &[u8]) -> u32 {
    u32::from_le_bytes(four.try_into().expect("four bytes"))
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
pub(super) mod tests;
