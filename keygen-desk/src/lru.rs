//! A map that keeps at most `cap` entries and forgets the one used least recently: a hash map
//! for the entries and an ordered map of their last use, so that every operation is O(log n)
//! and nothing ever scans the whole map (it is used under a mutex on every request).

use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;

/// The map.
pub struct Lru<K, V> {
    entries: HashMap<K, (V, u64)>,
    order: BTreeMap<u64, K>,
    tick: u64,
    cap: usize,
}

impl<K: Hash + Eq + Clone, V> Lru<K, V> {
    /// An empty map that holds up to `cap` entries (at least one).
    pub fn new(cap: usize) -> Lru<K, V> {
        Lru { entries: HashMap::new(), order: BTreeMap::new(), tick: 0, cap: cap.max(1) }
    }

    /// How many entries it holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Adds or replaces an entry, as the one used last; the least recently used goes when
    /// the map is full.
    pub fn insert(&mut self, key: K, value: V) {
        self.remove(&key);
        if self.entries.len() >= self.cap {
            self.pop_oldest();
        }
        self.tick += 1;
        self.order.insert(self.tick, key.clone());
        self.entries.insert(key, (value, self.tick));
    }

    /// The entry of `key`, now the one used last.
    pub fn touch(&mut self, key: &K) -> Option<&mut V> {
        let (_, tick) = self.entries.get(key)?;
        self.order.remove(tick);
        self.tick += 1;
        self.order.insert(self.tick, key.clone());
        let entry = self.entries.get_mut(key)?;
        entry.1 = self.tick;
        Some(&mut entry.0)
    }

    /// The entry of `key`, its last use unchanged.
    pub fn peek(&self, key: &K) -> Option<&V> {
        self.entries.get(key).map(|(v, _)| v)
    }

    /// The entry of `key`, its last use unchanged.
    pub fn peek_mut(&mut self, key: &K) -> Option<&mut V> {
        self.entries.get_mut(key).map(|(v, _)| v)
    }

    /// Removes an entry.
    pub fn remove(&mut self, key: &K) -> Option<V> {
        let (value, tick) = self.entries.remove(key)?;
        self.order.remove(&tick);
        Some(value)
    }

    /// The entry used least recently.
    pub fn oldest(&self) -> Option<(&K, &V)> {
        let (_, key) = self.order.first_key_value()?;
        self.entries.get(key).map(|(v, _)| (key, v))
    }

    /// Removes the entry used least recently.
    pub fn pop_oldest(&mut self) -> Option<(K, V)> {
        let (_, key) = self.order.pop_first()?;
        let (value, _) = self.entries.remove(&key)?;
        Some((key, value))
    }

    /// Keeps the entries `keep` says yes to (a full pass: for rare actions, not requests).
    pub fn retain(&mut self, mut keep: impl FnMut(&K, &V) -> bool) {
        let order = &mut self.order;
        self.entries.retain(|k, (v, tick)| {
            let kept = keep(k, v);
            if !kept {
                order.remove(tick);
            }
            kept
        });
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::Lru;

    #[test]
    fn at_the_cap_the_least_recently_used_goes() {
        let mut m = Lru::new(3);
        for k in 1..=3 {
            m.insert(k, k * 10);
        }
        assert_eq!(m.touch(&1), Some(&mut 10));
        m.insert(4, 40);
        assert_eq!(m.len(), 3);
        assert!(m.peek(&2).is_none(), "2 was used least recently");
        assert_eq!(m.oldest().map(|(k, _)| *k), Some(3));
        m.retain(|k, _| *k != 3);
        assert_eq!(m.pop_oldest(), Some((1, 10)));
        assert_eq!(m.pop_oldest(), Some((4, 40)));
        assert!(m.is_empty());
    }
}
