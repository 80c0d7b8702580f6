//! The key rows in PostgreSQL ([`KeysRead`], [`KeysWrite`]): the same questions as
//! `db::keys` and `db::chunks` ask of SQLite, with the same answers and order (text columns
//! in the "C" collation compare byte by byte, as SQLite's BINARY does).

use postgres::Row;
use postgres::types::ToSql;

use super::Postgres;
use crate::db::GENESIS;
use crate::db::keys::{Chain, Filter, ReplacedBy, Revoked, Stored};
use crate::db::store::{FirstKey, KeysRead, KeysWrite, NewKey, StoreResult};
use crate::key_record::KeyRecord;

/// The columns a key row is read with, in [`from_row`]'s order (as `db::keys::COLUMNS`).
macro_rules! columns {
    () => {
        "k.serial, k.position, k.order_id, k.organization, k.seats, k.features, k.issued, k.expires, k.key, \
         k.signed_by, k.supersedes, k.reason, k.via, k.template, k.contact, k.recorded_at, k.prev, k.hash, k.actor"
    };
}

/// How many columns [`columns!`] names: what a query selects after them starts here.
const AFTER: usize = 19;

/// The statement that appends one key row.
const INSERT: &str = "INSERT INTO keys (serial, position, order_id, organization, org_search, seats, features, \
     issued, expires, key, signed_by, supersedes, reason, via, template, contact, recorded_at, prev, hash, actor) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)";

/// A key row's values in [`INSERT`]'s order (and the COPY's), its position and seats given
/// as the integers stored.
fn values<'a>(k: &'a NewKey<'_>, numbers: &'a (i64, Option<i64>)) -> [&'a (dyn ToSql + Sync); 20] {
    let r = k.record;
    [
        &r.serial,
        &numbers.0,
        &r.order_id,
        &r.organization,
        &k.org_search,
        &numbers.1,
        &k.features,
        &r.issued,
        &r.expires,
        &r.key,
        &r.key_id,
        &r.supersedes,
        &r.reason,
        &r.via,
        &r.template,
        &r.contact,
        &r.issued_at,
        &k.prev,
        &k.hash,
        &r.actor,
    ]
}

fn position(p: u64) -> i64 {
    i64::try_from(p).unwrap_or(i64::MAX)
}

/// A row selected with [`columns!`].
pub(super) fn from_row(row: &Row) -> Stored {
    let features: String = row.get(5);
    let seats: Option<i64> = row.get(4);
    Stored {
        record: KeyRecord {
            serial: row.get(0),
            order_id: row.get(2),
            organization: row.get(3),
            // The table's CHECK holds it to 1..=65534.
            seats: seats.and_then(|s| u16::try_from(s).ok()),
            features: features.split(',').filter(|f| !f.is_empty()).map(str::to_owned).collect(),
            issued: row.get(6),
            expires: row.get(7),
            key: row.get(8),
            key_id: row.get(9),
            supersedes: row.get(10),
            reason: row.get(11),
            via: row.get(12),
            template: row.get(13),
            contact: row.get(14),
            issued_at: row.get(15),
            actor: row.get(18),
            prev: row.get(16),
            product: product_key::PRODUCT_CODE.to_owned(),
            major_version: product_key::MAJOR_VERSION,
        },
        position: u64::try_from(row.get::<_, i64>(1)).unwrap_or(0),
        hash: row.get(17),
    }
}

/// `n` answers in the order asked: each row's (its ordinal, from 1, after [`columns!`]) read
/// by `each`; `None` where no row answered.
fn by_ordinal<T>(rows: &[Row], n: usize, each: impl Fn(&Row) -> T) -> Vec<Option<T>> {
    let mut found: Vec<Option<T>> = (0..n).map(|_| None).collect();
    for row in rows {
        let i: i64 = row.get(AFTER);
        if let Some(slot) = usize::try_from(i - 1).ok().and_then(|i| found.get_mut(i)) {
            *slot = Some(each(row));
        }
    }
    found
}

fn stored(rows: Vec<Row>) -> Vec<Stored> {
    rows.iter().map(from_row).collect()
}

pub(super) fn chain_of(row: Option<Row>) -> Chain {
    match row {
        Some(r) => Chain { count: u64::try_from(r.get::<_, i64>(0)).unwrap_or(0), last: r.get(1) },
        None => Chain { count: 0, last: GENESIS.to_owned() },
    }
}

impl KeysRead for Postgres {
    fn key_chain(&self) -> StoreResult<Chain> {
        Ok(chain_of(self.query_opt("SELECT position, hash FROM keys ORDER BY position DESC LIMIT 1", &[])?))
    }

    fn key_by_serial(&self, serial: &str) -> StoreResult<Option<Stored>> {
        let row =
            self.query_opt(concat!("SELECT ", columns!(), " FROM keys k WHERE k.serial = $1"), &[&serial])?;
        Ok(row.as_ref().map(from_row))
    }

    fn key_at(&self, at: u64) -> StoreResult<Option<Stored>> {
        let row = self.query_opt(
            concat!("SELECT ", columns!(), " FROM keys k WHERE k.position = $1"),
            &[&position(at)],
        )?;
        Ok(row.as_ref().map(from_row))
    }

    fn keys_after(&self, after: u64, limit: usize) -> StoreResult<Vec<Stored>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        Ok(stored(self.query(
            concat!("SELECT ", columns!(), " FROM keys k WHERE k.position > $1 ORDER BY k.position LIMIT $2"),
            &[&position(after), &limit],
        )?))
    }

    fn order_exists(&self, order: &str) -> StoreResult<bool> {
        Ok(self.query_opt("SELECT 1 FROM keys WHERE order_id = $1 LIMIT 1", &[&order])?.is_some())
    }

    fn first_of_order(&self, order: &str) -> StoreResult<Option<String>> {
        let row = self
            .query_opt("SELECT serial FROM keys WHERE order_id = $1 ORDER BY position LIMIT 1", &[&order])?;
        Ok(row.map(|r| r.get(0)))
    }

    fn successor(&self, serial: &str) -> StoreResult<Option<ReplacedBy>> {
        let row =
            self.query_opt("SELECT serial, recorded_at, reason FROM keys WHERE supersedes = $1", &[&serial])?;
        Ok(row.map(|r| ReplacedBy { serial: r.get(0), issued_at: r.get(1), reason: r.get(2) }))
    }

    fn revocation(&self, serial: &str) -> StoreResult<Option<Revoked>> {
        let row = self.query_opt(
            "SELECT r.sequence, l.published_at, r.reason, l.actor FROM revocations r \
             JOIN revocation_lists l ON l.sequence = r.sequence WHERE r.serial = $1",
            &[&serial],
        )?;
        Ok(row.map(|r| Revoked {
            sequence: u32::try_from(r.get::<_, i64>(0)).unwrap_or(u32::MAX),
            revoked_at: r.get(1),
            reason: r.get(2),
            actor: r.get(3),
        }))
    }

    fn keys_matching(&self, filter: &Filter<'_>) -> StoreResult<Vec<Stored>> {
        let mut sql = concat!("SELECT ", columns!(), " FROM keys k WHERE true").to_owned();
        let mut args: Vec<&(dyn ToSql + Sync)> = Vec::new();
        if let Some(s) = &filter.serial {
            args.push(s);
            sql.push_str(&format!(" AND k.serial = ${}", args.len()));
        }
        if let Some(o) = &filter.order_id {
            args.push(o);
            sql.push_str(&format!(" AND k.order_id = ${}", args.len()));
        }
        if let Some((form, folded)) = &filter.organization {
            args.push(form);
            args.push(folded);
            // strpos is SQLite's instr: a byte match in the "C" collation, '' found at 1.
            sql.push_str(&format!(
                " AND (strpos(k.org_search, ${}) > 0 OR strpos(k.org_search, ${}) > 0)",
                args.len() - 1,
                args.len()
            ));
        }
        sql.push_str(" ORDER BY k.position");
        Ok(stored(self.query_once(&sql, &args)?))
    }

    fn current_expiring(&self, from: &str, to: &str) -> StoreResult<Vec<Stored>> {
        Ok(stored(self.query(
            concat!(
                "SELECT ",
                columns!(),
                " FROM keys k WHERE k.expires >= $1 AND k.expires <= $2 \
                 AND NOT EXISTS (SELECT 1 FROM keys n WHERE n.supersedes = k.serial) \
                 AND NOT EXISTS (SELECT 1 FROM revocations r WHERE r.serial = k.serial) ORDER BY k.position"
            ),
            &[&from, &to],
        )?))
    }

    fn replaced_unrevoked(&self) -> StoreResult<Vec<(String, String, String)>> {
        let rows = self.query(
            "SELECT old.serial, new.serial, new.issued FROM keys new JOIN keys old ON old.serial = new.supersedes \
             WHERE old.serial NOT IN (SELECT serial FROM revocations) ORDER BY old.position",
            &[],
        )?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1), r.get(2))).collect())
    }

    fn first_of_orders(&self, orders: &[&str]) -> StoreResult<Vec<Option<FirstKey>>> {
        if orders.is_empty() {
            return Ok(Vec::new());
        }
        // One statement for the chunk: each order's keys through the index on order_id (a
        // LATERAL subquery behind OFFSET 0, which the planner cannot fold into a join: a
        // look-up per order, never a scan of the table; a LIMIT 1 by position there made it
        // walk the position index instead), and the first by position (DISTINCT ON keeps the
        // first row of each order's group). Whether it was replaced or revoked: scalar
        // subqueries (at most one row each, by the unique indexes), which run as index
        // look-ups per key; EXISTS may be planned as a hash of the whole table, read once per
        // chunk (tables just filled by a batch, not analyzed yet, mislead the estimates).
        let rows = self.query(
            concat!(
                "SELECT DISTINCT ON (o.i) ",
                columns!(),
                ", o.i, (SELECT n.serial FROM keys n WHERE n.supersedes = k.serial) IS NOT NULL, \
                 (SELECT r.sequence FROM revocations r WHERE r.serial = k.serial) IS NOT NULL \
                 FROM unnest($1::text[]) WITH ORDINALITY AS o(order_id, i) \
                 CROSS JOIN LATERAL (SELECT * FROM keys f WHERE f.order_id = o.order_id OFFSET 0) k \
                 ORDER BY o.i, k.position"
            ),
            &[&orders],
        )?;
        Ok(by_ordinal(&rows, orders.len(), |row| FirstKey {
            stored: from_row(row),
            replaced: row.get(AFTER + 1),
            revoked: row.get(AFTER + 2),
        }))
    }

    fn keys_by_serials(&self, serials: &[&str]) -> StoreResult<Vec<Option<Stored>>> {
        if serials.is_empty() {
            return Ok(Vec::new());
        }
        let rows = self.query(
            concat!(
                "SELECT ",
                columns!(),
                ", o.i FROM unnest($1::text[]) WITH ORDINALITY AS o(serial, i) \
                 CROSS JOIN LATERAL (SELECT * FROM keys f WHERE f.serial = o.serial OFFSET 0) k"
            ),
            &[&serials],
        )?;
        Ok(by_ordinal(&rows, serials.len(), from_row))
    }

    fn each_org_search(&self, each: &mut dyn FnMut(u64, &str, &str, &str) -> bool) -> StoreResult<()> {
        // In pages, so that a ledger of millions of keys is never held in memory at once.
        let mut after = 0i64;
        loop {
            let rows = self.query(
                "SELECT position, serial, organization, org_search FROM keys WHERE position > $1 \
                 ORDER BY position LIMIT 10000",
                &[&after],
            )?;
            let Some(last) = rows.last() else { return Ok(()) };
            after = last.get(0);
            for r in &rows {
                let at = u64::try_from(r.get::<_, i64>(0)).unwrap_or(0);
                if !each(at, r.get(1), r.get(2), r.get(3)) {
                    return Ok(());
                }
            }
        }
    }
}

impl KeysWrite for Postgres {
    fn insert_key(&self, row: &NewKey<'_>) -> StoreResult<()> {
        let numbers = (position(row.position), row.record.seats.map(i64::from));
        self.execute(INSERT, &values(row, &numbers)).map(|_| ())
    }

    /// All in one COPY (binary): the rows stream to the server with no statement per row
    /// nor per chunk; the constraints are checked as for INSERT (a duplicate is a
    /// [`crate::db::store::StoreErrorKind::Constraint`] and nothing of the COPY is kept).
    fn insert_keys(&self, rows: &[NewKey<'_>]) -> StoreResult<()> {
        use postgres::types::Type;
        if rows.is_empty() {
            return Ok(());
        }
        const T: Type = Type::TEXT;
        const B: Type = Type::INT8;
        let types = [T, B, T, T, T, B, T, T, T, T, T, T, T, T, T, T, T, T, T, T];
        let numbers: Vec<(i64, Option<i64>)> =
            rows.iter().map(|k| (position(k.position), k.record.seats.map(i64::from))).collect();
        let mut each = rows.iter().zip(&numbers).map(|(k, n)| values(k, n).to_vec());
        self.copy_in(
            "COPY keys (serial, position, order_id, organization, org_search, seats, features, issued, expires, key, \
             signed_by, supersedes, reason, via, template, contact, recorded_at, prev, hash, actor) \
             FROM STDIN (FORMAT binary)",
            &types,
            &mut each,
        )
        .map(|_| ())
    }
}
