//! A small, read-only string-keyed hash table for the keyword matcher.
//!
//! Built once from the terms, then probed once per document token: the probe is the hot loop of
//! `Rules::classify`, and nearly every probe is a miss. So rather than std's SipHash `HashMap`
//! (a `HashSet<&str>` took ~12 µs just to look up the 718 tokens of the 4 KB benchmark article,
//! more than the whole matcher takes with this table) it hashes with one multiply (Fibonacci
//! hashing of the key's first and last eight bytes: keys are compared in full on a hash match,
//! so the hash need not be strong, only quick), and uses open addressing with the hashes inline
//! in a table at most a quarter full: a miss is usually one load and one compare. Before any of
//! that, a 4096-bit set of the keys' first characters turns most tokens away with one bit test
//! (60 terms start with at most 60 characters; a document token rarely starts with one of them).

use std::collections::HashMap;

#[derive(Debug)]
pub(super) struct Table<V> {
    /// Each key's hash and its index + 1 into `entries`; index 0 is an empty slot.
    slots: Vec<(u64, u32)>,
    mask: usize,
    /// 64 − log2(slots): the top bits of the hash pick the first slot.
    shift: u32,
    entries: Vec<(Box<str>, V)>,
    /// Bit `c & 0xFFF` is set for the first character `c` of every key.
    first_chars: [u64; 64],
}

impl<V> Table<V> {
    pub(super) fn new(items: HashMap<String, V>) -> Table<V> {
        let capacity = (items.len() * 4).next_power_of_two().max(16);
        let mut table = Table {
            slots: vec![(0, 0); capacity],
            mask: capacity - 1,
            shift: 64 - capacity.trailing_zeros(),
            entries: Vec::with_capacity(items.len()),
            first_chars: [0; 64],
        };
        for (key, value) in items {
            if let Some(c) = key.chars().next() {
                let bit = c as usize & 0xFFF;
                table.first_chars[bit / 64] |= 1 << (bit % 64);
            }
            let hash = quick_hash(key.as_bytes());
            let mut i = (hash >> table.shift) as usize;
            while table.slots[i].1 != 0 {
                i = (i + 1) & table.mask;
            }
            table.entries.push((key.into_boxed_str(), value));
            table.slots[i] = (hash, u32::try_from(table.entries.len()).expect("fewer than 4 billion terms"));
        }
        table
    }

    /// Whether some key may start with `c`: false means certainly none does.
    pub(super) fn may_start_with(&self, c: char) -> bool {
        let bit = c as usize & 0xFFF;
        self.first_chars[bit / 64] & 1 << (bit % 64) != 0
    }

    pub(super) fn get(&self, key: &str) -> Option<&V> {
        if !self.may_start_with(key.chars().next()?) {
            return None;
        }
        let hash = quick_hash(key.as_bytes());
        let mut i = (hash >> self.shift) as usize;
        loop {
            let (h, index) = self.slots[i];
            if index == 0 {
                return None;
            }
            if h == hash {
                let (k, v) = &self.entries[index as usize - 1];
                if **k == *key {
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

/// The key's first and last eight bytes (overlapping loads for shorter keys), folded with
/// its length and multiplied by 2^64/φ, whose top bits are then well spread.
fn quick_hash(b: &[u8]) -> u64 {
    let n = b.len();
    let le32 = |four: &[u8]| u64::from(u32::from_le_bytes(four.try_into().expect("four bytes")));
    let word = match (b.first_chunk::<8>(), b.last_chunk::<8>()) {
        (Some(first), Some(last)) => u64::from_le_bytes(*first) ^ u64::from_le_bytes(*last).rotate_left(32),
        // Shorter keys (3 or 6 bytes for one- and two-character Chinese words): overlapping loads.
        _ if n >= 4 => le32(&b[..4]) | le32(&b[n - 4..]) << 32,
        _ if n > 0 => u64::from(b[0]) | u64::from(b[n / 2]) << 8 | u64::from(b[n - 1]) << 16,
        _ => 0,
    };
    (word ^ (n as u64) << 56).wrapping_mul(0x9E37_79B9_7F4A_7C15)
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
}
