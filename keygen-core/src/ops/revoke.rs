//! Revoking: the keys chosen and what becomes of each (a preview), then the next signed
//! revocation list recorded in the caller's transaction.

use crate::db::store::{LedgerRead, LedgerWrite};
use product_key::{Day, KeyId, Product, RevocationList, Serial};

use crate::db::keys::{self, History};
use crate::db::lists;
use crate::error::Error;
use crate::key_record::now_rfc3339;
use crate::token::AnySigner;

/// One key of a preview: its story, why it was chosen, and whether it is newly revoked.
pub struct Chosen {
    /// The key and its story.
    pub history: History,
    /// Why it was chosen.
    pub why: String,
    /// Whether this revocation would name it for the first time.
    pub new: bool,
}

/// The keys these serials name (each checked), in serial order; a serial never issued is a
/// problem, every one told.
pub fn preview(conn: &dyn LedgerRead, serials: &[String]) -> Result<Vec<Chosen>, Error> {
    let read = || Error::db("cannot read the ledger");
    let mut chosen = std::collections::BTreeMap::new();
    let mut problems = Vec::new();
    for text in serials {
        let s = match text.trim().parse::<Serial>() {
            Ok(s) => s.to_string(),
            Err(e) => {
                problems.push(format!("serial {text}: {e}"));
                continue;
            }
        };
        match conn.key_by_serial(&s).map_err(read())? {
            Some(k) => {
                let history = keys::story(conn, k).map_err(read())?;
                let new = history.revoked.is_none();
                chosen.insert(s, Chosen { history, why: "named by serial".into(), new });
            }
            None => problems.push(format!("serial {s} was never issued (a typo?)")),
        }
    }
    if !problems.is_empty() {
        return Err(Error::Inputs(problems));
    }
    Ok(chosen.into_values().collect())
}

/// A list recorded.
pub struct Recorded {
    /// Its sequence.
    pub sequence: u32,
    /// Its signed text, as published.
    pub text: String,
    /// How many serials it names in all.
    pub serials: usize,
}

/// Signs and records the next list: every serial revoked so far (by any signing key) and
/// `new_serials`, in the caller's transaction; the ledger's head is signed again.
pub fn record(
    conn: &dyn LedgerWrite,
    signer: &AnySigner,
    today: Day,
    reason: Option<&str>,
    new_serials: &[String],
    actor: &str,
) -> Result<Recorded, Error> {
    let read = || Error::db("cannot read the ledger");
    // The vendor's one sequence, whichever key signed the lists before.
    let sequence = u32::try_from(conn.list_chain().map_err(read())?.count + 1).unwrap_or(u32::MAX);
    let mut all: Vec<Serial> =
        conn.revoked().map_err(read())?.iter().filter_map(|s| s.parse::<Serial>().ok()).collect();
    all.extend(new_serials.iter().filter_map(|s| s.parse::<Serial>().ok()));
    let product = Product::new(product_key::PRODUCT_CODE).map_err(|e| Error::input(e.to_string()))?;
    let mut list = RevocationList::new(KeyId([0; 4]), product, sequence, today, all);
    let text = signer.sign_revocations(&mut list)?;
    lists::insert_by(
        conn,
        &signer.key_id().to_string(),
        reason,
        &now_rfc3339(),
        &text,
        new_serials,
        Some(actor),
    )
    .map_err(Error::db("cannot record the revocation"))?;
    Ok(Recorded { sequence, text, serials: list.serials().len() })
}

/// The keys of one order: its own (the order's first key and every key that replaced it
/// under the same order id), and the later keys of their chain recorded under another
/// order or none (a renewal sold as a new order, and what replaced it), which a refund of
/// this order does not cover unless the vendor says so.
pub struct OrderKeys {
    /// The order's own keys, in chain order.
    pub own: Vec<History>,
    /// Later keys of the chain under another order (or none), in chain order.
    pub later: Vec<History>,
}

/// The keys of `order`, or `None` when no key carries it.
pub fn of_order(conn: &dyn LedgerRead, order: &str) -> Result<Option<OrderKeys>, Error> {
    let read = || Error::db("cannot read the ledger");
    let own = keys::matching(conn, &keys::Filter { order_id: Some(order), ..keys::Filter::default() })
        .map_err(read())?;
    if own.is_empty() {
        return Ok(None);
    }
    let mut later: Vec<History> = Vec::new();
    for k in &own {
        // Follow the chain past this key until it comes back to the order (or ends).
        let mut next = k.replaced_by.as_ref().map(|r| r.serial.clone());
        while let Some(serial) = next {
            let Some(stored) = conn.key_by_serial(&serial).map_err(read())? else { break };
            if stored.record.order_id.as_deref() == Some(order)
                || later.iter().any(|l| l.record().serial == serial)
            {
                break;
            }
            let history = keys::story(conn, stored).map_err(read())?;
            next = history.replaced_by.as_ref().map(|r| r.serial.clone());
            later.push(history);
        }
    }
    Ok(Some(OrderKeys { own, later }))
}
