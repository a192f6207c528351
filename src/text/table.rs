//! A small, read-only string-keyed hash table for the keyword matcher.
//!
//! Built once from the terms, then probed once per document token: the probe is the hot loop of
//! `Rules::classify`, and nearly every probe is a miss. So rather than std's SipHash `HashMap`
//! (a `HashSet<&str>` took ~12 µs just to look up the 718 tokens of the 4 KB benchmark article,
//! more than the whole matcher takes with this table) it hashes with one multiply: the key's
//! first three and last three bytes and its length, packed into a word and multiplied by
//! 2^64/φ, whose top bits are then well spread. Keys are compared in full on a hash match, so
//! the hash need not be strong, only quick; and a key of up to six bytes (a one- or
//! two-character Chinese word, a short English one) is all in those bytes, so for those equal
//! hashes are equal keys and the compare is skipped.
//!
//! Before the table, a bit set indexed by the hash's top bits (64 bits per key) turns away all
//! but ~1% of the tokens that are no key with one bit test, so a token that gets past it is
//! nearly always a hit (68 of the article's 718 tokens get past, 62 of them keys). The table
//! itself is open addressing with the hashes inline, at most a quarter full.
//!
//! The first version filtered on a 4096-bit set of the keys' first characters instead, and
//! hashed the first and last eight bytes: decoding the character, a quarter of the article's
//! tokens getting past that filter at random, and branches on the key length (3 or 6 bytes for
//! most Chinese tokens) were most of its branch mispredictions. That set of first characters is
//! still kept, for `look_inside`'s walk along the characters of a long token.

use std::collections::HashMap;

#[derive(Debug)]
pub(super) struct Table<V> {
    /// Each key's hash and its index + 1 into `entries`; index 0 is an empty slot.
    slots: Vec<(u64, u32)>,
    mask: usize,
    /// 64 − log2(slots): the top bits of the hash pick the first slot.
    shift: u32,
    entries: Vec<(Box<str>, V)>,
    /// Bit `hash >> filter_shift` is set for every key's hash.
    filter: Vec<u64>,
    filter_shift: u32,
    /// Bit `c & 0xFFF` is set for the first character `c` of every key.
    first_chars: [u64; 64],
}

impl<V> Table<V> {
    pub(super) fn new(items: HashMap<String, V>) -> Table<V> {
        let capacity = (items.len() * 4).next_power_of_two().max(16);
        // 64 bits a key: ~1% of the non-keys get past. At most 4 Mbit (512 KB).
        let filter_bits = (items.len() * 64).next_power_of_two().clamp(4096, 1 << 22);
        let mut table = Table {
            slots: vec![(0, 0); capacity],
            mask: capacity - 1,
            shift: 64 - capacity.trailing_zeros(),
            entries: Vec::with_capacity(items.len()),
            filter: vec![0; filter_bits / 64],
            filter_shift: 64 - filter_bits.trailing_zeros(),
            first_chars: [0; 64],
        };
        for (key, value) in items {
            if let Some(c) = key.chars().next() {
                let bit = c as usize & 0xFFF;
                table.first_chars[bit / 64] |= 1 << (bit % 64);
            }
            let hash = key_hash(key.as_bytes());
            let bit = (hash >> table.filter_shift) as usize;
            table.filter[bit / 64] |= 1 << (bit % 64);
            let mut i = (hash >> table.shift) as usize;
            while table.slots[i].1 != 0 {
                i = (i + 1) & table.mask;
            }
            table.entries.push((key.into_boxed_str(), value));
            table.slots[i] = (hash, u32::try_from(table.entries.len()).expect("fewer than 4 billion terms"));
        }
        table
    }

    /// Whether some key may start with the character `c` (a code point, or only its low twelve
    /// bits): false means certainly none does.
    pub(super) fn may_start_with(&self, c: u32) -> bool {
        let bit = c as usize & 0xFFF;
        self.first_chars[bit / 64] & 1 << (bit % 64) != 0
    }

    #[inline]
    pub(super) fn get(&self, key: &str) -> Option<&V> {
        let hash = key_hash(key.as_bytes());
        let bit = (hash >> self.filter_shift) as usize;
        if self.filter[bit / 64] & 1 << (bit % 64) == 0 {
            return None;
        }
        self.probe(key, hash)
    }

    /// The table behind the filter: reached by keys and by the odd token that gets past it. Out
    /// of line, so that the filter inlines into the caller's loop.
    #[inline(never)]
    fn probe(&self, key: &str, hash: u64) -> Option<&V> {
        let mut i = (hash >> self.shift) as usize;
        loop {
            let (h, index) = self.slots[i];
            if index == 0 {
                return None;
            }
            if h == hash {
                let (k, v) = &self.entries[index as usize - 1];
                // Up to `EXACT` bytes the hash is the whole key (see `key_hash`).
                if k.len() == key.len() && (key.len() <= EXACT || **k == *key) {
                    return Some(v);
                }
            }
            i = (i + 1) & self.mask;
        }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Keys this long or shorter are wholly in their hash: equal hashes mean equal keys.
const EXACT: usize = 6;

/// The key's first three and last three bytes (overlapping in a shorter key; the first and
/// last in a key of one or two) and its length, packed into a word and multiplied by 2^64/φ.
/// One branch, on keys shorter than three bytes, which no Chinese token is. Up to six bytes
/// those bytes are the whole key and the packing is one-to-one, as is multiplying by an odd
/// number, so two keys of the same length up to six bytes have the same hash only if they are
/// the same.
#[inline]
fn key_hash(b: &[u8]) -> u64 {
    let byte = |x: u8, shift: u32| u64::from(x) << shift;
    let word = match (b.first_chunk::<3>(), b.last_chunk::<3>()) {
        (Some(&[p, q, r]), Some(&[x, y, z])) => {
            byte(p, 0) | byte(q, 8) | byte(r, 16) | byte(x, 24) | byte(y, 32) | byte(z, 40)
        }
        _ => b.first().map_or(0, |&a| byte(a, 0) | byte(b[b.len() - 1], 8)),
    };
    (word | (b.len() as u64) << 48).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_every_key_and_nothing_else() {
        let items: HashMap<String, usize> = (0..100).map(|i| (format!("词{i}"), i)).collect();
        let table = Table::new(items);
        for i in 0..100 {
            assert_eq!(table.get(&format!("词{i}")), Some(&i));
        }
        assert_eq!(table.get("词100"), None);
        assert_eq!(table.get(""), None);
        assert!(!table.is_empty());
        assert!(Table::<()>::new(HashMap::new()).get("x").is_none());
    }

    #[test]
    fn keys_that_share_their_hashed_bytes_are_told_apart() {
        // The same length, first three and last three bytes.
        let (a, b) = ("abcXYZdef", "abcZYXdef");
        assert_eq!(key_hash(a.as_bytes()), key_hash(b.as_bytes()));
        let table = Table::new(HashMap::from([(a.to_string(), 1)]));
        assert_eq!((table.get(a), table.get(b)), (Some(&1), None));
        let table = Table::new(HashMap::from([(a.to_string(), 1), (b.to_string(), 2)]));
        assert_eq!((table.get(a), table.get(b)), (Some(&1), Some(&2)));
    }

    #[test]
    fn short_keys_hash_exactly() {
        let mut keys: Vec<Vec<u8>> = vec![vec![]];
        for len in 1..=EXACT {
            // Every position matters: flip one byte at a time of a base key.
            let base: Vec<u8> = (0..len as u8).map(|i| b'a' + i).collect();
            keys.push(base.clone());
            for i in 0..len {
                let mut k = base.clone();
                k[i] = b'z';
                keys.push(k);
            }
        }
        keys.extend(["燃", "燃气", "气", "泄漏", "漏气"].map(|s| s.as_bytes().to_vec()));
        let mut hashes: Vec<u64> = keys.iter().map(|k| key_hash(k)).collect();
        hashes.sort_unstable();
        hashes.dedup();
        assert_eq!(hashes.len(), keys.len());
    }
}
