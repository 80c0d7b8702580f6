//! A batch's look-ups a chunk at a time: one statement for thousands of order ids or serials
//! (a statement a row cost more in SQLite's statement handling than in its look-ups).

use std::sync::OnceLock;

use rusqlite::Connection;

use super::keys::{self, Stored};

/// The columns of [`keys::COLUMNS`] on the table aliased `k`.
fn k_columns() -> String {
    keys::COLUMNS.split(',').map(|c| format!("k.{}", c.trim())).collect::<Vec<_>>().join(", ")
}

/// A batch's chunk of order ids (or serials) as the JSON array its statement reads.
fn json_list(items: &[&str]) -> rusqlite::Result<String> {
    serde_json::to_string(items).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
}

/// For each of `orders` (the order ids of a batch's chunk), its current key as
/// [`keys::current_of_order`] finds it (the order's first key, then each key that replaced
/// the one before) and whether that key was revoked. One statement for the whole chunk (a
/// statement a row cost more in SQLite's statement handling than in its look-ups); only an
/// order whose first key was replaced is followed along its chain one statement at a time.
pub fn current_of_orders(
    conn: &Connection,
    orders: &[&str],
) -> rusqlite::Result<Vec<Option<(Stored, bool)>>> {
    static SQL: OnceLock<String> = OnceLock::new();
    let sql = SQL.get_or_init(|| {
        format!(
            "SELECT {}, j.key, EXISTS (SELECT 1 FROM keys n WHERE n.supersedes = k.serial), \
             EXISTS (SELECT 1 FROM revocations r WHERE r.serial = k.serial) \
             FROM json_each(?1) j CROSS JOIN keys k ON k.order_id = j.value",
            k_columns()
        )
    });
    // Each order's first key (by position), whether it was replaced, whether it was revoked.
    let mut first: Vec<Option<(Stored, bool, bool)>> = orders.iter().map(|_| None).collect();
    if !orders.is_empty() {
        let mut stmt = conn.prepare_cached(sql)?;
        let mut rows = stmt.query([json_list(orders)?])?;
        while let Some(row) = rows.next()? {
            let stored = keys::from_row(row)?;
            let (i, replaced, revoked): (i64, bool, bool) = (row.get(19)?, row.get(20)?, row.get(21)?);
            if let Some(slot) = usize::try_from(i).ok().and_then(|i| first.get_mut(i))
                && slot.as_ref().is_none_or(|(s, _, _)| stored.position < s.position)
            {
                *slot = Some((stored, replaced, revoked));
            }
        }
    }
    first
        .into_iter()
        .zip(orders)
        .map(|(first, order)| match first {
            None => Ok(None),
            Some((stored, false, revoked)) => Ok(Some((stored, revoked))),
            Some((_, true, _)) => match keys::current_of_order(conn, order)? {
                None => Ok(None),
                Some(current) => {
                    let revoked = keys::revocation(conn, &current.record.serial)?.is_some();
                    Ok(Some((current, revoked)))
                }
            },
        })
        .collect()
}

/// The rows of `serials`, in their order (`None` for a serial the ledger does not hold):
/// one statement for all of them, as [`current_of_orders`].
pub fn by_serials(conn: &Connection, serials: &[&str]) -> rusqlite::Result<Vec<Option<Stored>>> {
    static SQL: OnceLock<String> = OnceLock::new();
    let sql = SQL.get_or_init(|| {
        format!("SELECT {}, j.key FROM json_each(?1) j CROSS JOIN keys k ON k.serial = j.value", k_columns())
    });
    let mut found: Vec<Option<Stored>> = serials.iter().map(|_| None).collect();
    if serials.is_empty() {
        return Ok(found);
    }
    let mut stmt = conn.prepare_cached(sql)?;
    let mut rows = stmt.query([json_list(serials)?])?;
    while let Some(row) = rows.next()? {
        let stored = keys::from_row(row)?;
        let i: i64 = row.get(19)?;
        if let Some(slot) = usize::try_from(i).ok().and_then(|i| found.get_mut(i)) {
            *slot = Some(stored);
        }
    }
    Ok(found)
}
