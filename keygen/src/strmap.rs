//! A map from order ids to small values that holds a million keys in a fraction of what a
//! `HashMap<String, V>` takes: the texts sit end to end in one buffer, and the table holds
//! only a 64-bit hash and an index. `keygen batch` keeps every order of the input and of the
//! ledger at once; with `--skip-issued` over a 1M-row file, this is what keeps it within its
//! memory target.
//!
//! Lookups are exact: a hit is confirmed by comparing the stored text, and a key whose hash
//! is taken by another text (about 1 in 10^7 for a million keys) goes to a plain map.

use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher, RandomState};

/// Passes a hash that is already computed through unchanged.
#[derive(Default)]
struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, _: &[u8]) {
        unreachable!("only u64 hashes are stored")
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// Order id → value, compactly. See the module comment.
pub struct StrMap<V, S = RandomState> {
    hasher: S,
    table: HashMap<u64, u32, BuildHasherDefault<Prehashed>>,
    text: Vec<u8>,
    ends: Vec<usize>,
    values: Vec<V>,
    collided: HashMap<String, V>,
}

impl<V: Copy, S: BuildHasher + Default> Default for StrMap<V, S> {
    fn default() -> Self {
        StrMap {
            hasher: S::default(),
            table: HashMap::default(),
            text: Vec::new(),
            ends: Vec::new(),
            values: Vec::new(),
            collided: HashMap::new(),
        }
    }
}

impl<V: Copy, S: BuildHasher> StrMap<V, S> {
    fn stored(&self, index: u32) -> &[u8] {
        let i = index as usize;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.text[start..self.ends[i]]
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<V> {
        let hash = self.hasher.hash_one(key);
        match self.table.get(&hash) {
            Some(&index) if self.stored(index) == key.as_bytes() => Some(self.values[index as usize]),
            Some(_) => self.collided.get(key).copied(),
            None => None,
        }
    }

    /// Sets the value of `key`, returning the one it replaced.
    pub fn insert(&mut self, key: &str, value: V) -> Option<V> {
        let hash = self.hasher.hash_one(key);
        match self.table.get(&hash) {
            Some(&index) if self.stored(index) == key.as_bytes() => {
                Some(std::mem::replace(&mut self.values[index as usize], value))
            }
            Some(_) => self.collided.insert(key.to_owned(), value),
            None => {
                // Past u32::MAX keys (never, for a ledger), the rest go to the plain map.
                let Ok(index) = u32::try_from(self.values.len()) else {
                    return self.collided.insert(key.to_owned(), value);
                };
                self.text.extend_from_slice(key.as_bytes());
                self.ends.push(self.text.len());
                self.values.push(value);
                self.table.insert(hash, index);
                None
            }
        }
    }

    /// Every key with its value, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, V)> + '_ {
        let stored = (0..self.values.len()).map(|i| {
            // Keys went in as &str, so the bytes are UTF-8.
            let text = std::str::from_utf8(self.stored(i as u32)).unwrap_or_default();
            (text, self.values[i])
        });
        stored.chain(self.collided.iter().map(|(k, v)| (k.as_str(), *v)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_and_replaces_like_a_map() {
        let mut map: StrMap<u64> = StrMap::default();
        for i in 0..10_000u64 {
            assert_eq!(map.insert(&format!("PO-{i}"), i), None);
        }
        assert_eq!(map.insert("PO-7", 70), Some(7));
        assert_eq!(map.get("PO-7"), Some(70));
        assert_eq!(map.get("PO-9999"), Some(9999));
        assert_eq!(map.get("PO-10000"), None);
        assert_eq!(map.get(""), None);
        assert_eq!(map.iter().count(), 10_000);
        let mut all: Vec<(String, u64)> = map.iter().map(|(k, v)| (k.to_owned(), v)).collect();
        all.sort();
        assert_eq!(all.len(), 10_000);
        assert_eq!(all[0], ("PO-0".to_owned(), 0));
    }

    /// Hashes every text to the same number.
    #[derive(Default)]
    struct OneHash;

    struct Constant;

    impl Hasher for Constant {
        fn finish(&self) -> u64 {
            42
        }
        fn write(&mut self, _: &[u8]) {}
    }

    impl BuildHasher for OneHash {
        type Hasher = Constant;
        fn build_hasher(&self) -> Constant {
            Constant
        }
    }

    #[test]
    fn keys_whose_hashes_collide_stay_apart() {
        let mut map: StrMap<u64, OneHash> = StrMap::default();
        assert_eq!(map.insert("a", 1), None);
        assert_eq!(map.insert("b", 2), None);
        assert_eq!(map.insert("c", 3), None);
        assert_eq!(
            (map.get("a"), map.get("b"), map.get("c"), map.get("d")),
            (Some(1), Some(2), Some(3), None)
        );
        assert_eq!(map.insert("b", 20), Some(2));
        assert_eq!(map.insert("a", 10), Some(1));
        assert_eq!((map.get("a"), map.get("b")), (Some(10), Some(20)));
        assert_eq!(map.iter().count(), 3);
    }
}
