//! Every order id of a batch's input with its line: the check's "also on line N", and the
//! clash check once the ledger is made. Kept compactly, for a million rows are checked before
//! the first signature: the ids one after another in one string, and a list of where each
//! ends and its line (16 bytes an order) found through a hash table of places (about 12
//! bytes an order), instead of a `HashMap<Box<str>, u64>` with a string allocated per order:
//! at a million rows, `--skip-issued`'s peak fell from 211 to 196 MB (the batch's limit is
//! 200 MB).

use std::hash::BuildHasher;

use hashbrown::HashTable;

/// The orders seen, in file order.
#[derive(Default)]
pub struct Orders {
    /// Every id, one after another.
    text: String,
    /// Where each id ends in `text` (it starts where the one before ends), and its line.
    ends: Vec<(usize, u64)>,
    /// Places in `ends`, found by the id's hash. SipHash with a key of this process's own
    /// (std's `RandomState`): the ids are the input's, and may be chosen to collide.
    table: HashTable<usize>,
    hasher: std::collections::hash_map::RandomState,
}

impl Orders {
    /// The line that holds `order`, if a line does.
    pub fn get(&self, order: &str) -> Option<u64> {
        let hash = self.hasher.hash_one(order);
        self.table.find(hash, |&i| self.id(i) == order).map(|&i| self.ends[i].1)
    }

    /// Notes that `line` holds `order`; the caller has found that no line did yet.
    pub fn insert(&mut self, order: &str, line: u64) {
        let hash = self.hasher.hash_one(order);
        self.text.push_str(order);
        self.ends.push((self.text.len(), line));
        let (text, ends, hasher) = (&self.text, &self.ends, &self.hasher);
        let id = |i: usize| &text[if i == 0 { 0 } else { ends[i - 1].0 }..ends[i].0];
        self.table.insert_unique(hash, ends.len() - 1, |&i| hasher.hash_one(id(i)));
    }

    /// Every order with its line, in file order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, u64)> {
        (0..self.ends.len()).map(|i| (self.id(i), self.ends[i].1))
    }

    fn id(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1].0 };
        &self.text[start..self.ends[i].0]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_each_order_at_its_line_and_only_those() {
        let mut orders = Orders::default();
        // Enough to make the table grow (and rehash every id) several times; ids of many
        // lengths, one empty, and ids that are prefixes of others.
        let ids: Vec<String> =
            (0..5000).map(|i| format!("PO-{}", "7".repeat(i % 13)) + &i.to_string()).collect();
        for (line, id) in ids.iter().enumerate() {
            assert_eq!(orders.get(id), None, "{id}");
            orders.insert(id, line as u64 + 2);
        }
        orders.insert("", 9999);
        for (line, id) in ids.iter().enumerate() {
            assert_eq!(orders.get(id), Some(line as u64 + 2), "{id}");
        }
        assert_eq!(orders.get(""), Some(9999));
        assert_eq!(orders.get("PO-"), None);
        assert_eq!(orders.get("PO-77"), None);
        let listed: Vec<(String, u64)> = orders.iter().map(|(o, l)| (o.to_owned(), l)).collect();
        let mut expected: Vec<(String, u64)> =
            ids.iter().enumerate().map(|(line, id)| (id.clone(), line as u64 + 2)).collect();
        expected.push((String::new(), 9999));
        assert_eq!(listed, expected);
    }
}
