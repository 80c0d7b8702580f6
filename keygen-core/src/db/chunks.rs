//! A batch's look-ups a chunk at a time: one question to the backend for thousands of order
//! ids ([`super::store::KeysRead::first_of_orders`]), then the few orders whose first key was
//! replaced followed along their chain one key at a time.

use super::keys::{self, Stored};
use super::store::{FirstKey, LedgerRead, StoreResult};

/// For each of `orders` (the order ids of a batch's chunk), its current key as
/// [`keys::current_of_order`] finds it (the order's first key, then each key that replaced
/// the one before) and whether that key was revoked.
pub fn current_of_orders(r: &dyn LedgerRead, orders: &[&str]) -> StoreResult<Vec<Option<(Stored, bool)>>> {
    r.first_of_orders(orders)?
        .into_iter()
        .zip(orders)
        .map(|(first, order)| match first {
            None => Ok(None),
            Some(FirstKey { stored, replaced: false, revoked }) => Ok(Some((stored, revoked))),
            Some(FirstKey { replaced: true, .. }) => match keys::current_of_order(r, order)? {
                None => Ok(None),
                Some(current) => {
                    let revoked = r.revocation(&current.record.serial)?.is_some();
                    Ok(Some((current, revoked)))
                }
            },
        })
        .collect()
}
