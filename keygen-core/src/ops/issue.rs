//! Issuing one key: checked terms in, the recorded key out.

use crate::db::store::LedgerRead;
use std::path::Path;

use product_key::{Day, Payload, Serial};

use crate::db::{self, Db, keys};
use crate::error::Error;
use crate::key_record::{KeyRecord, now_rfc3339};
use crate::terms::Terms;
use crate::token::AnySigner;

/// What to issue: checked terms (see `order::build`) and the order's details.
pub struct Request {
    /// The terms.
    pub terms: Terms,
    /// The serial, when given; a fresh one otherwise.
    pub serial: Option<Serial>,
    /// The order, if given (non-empty).
    pub order_id: Option<String>,
    /// The contact, if given.
    pub contact: Option<String>,
    /// Who issues it.
    pub actor: String,
}

/// A key issued and recorded.
pub struct Issued {
    /// Its record as stored.
    pub record: KeyRecord,
    /// Its payload.
    pub payload: Payload,
    /// Its JSON as `--json` shows it (without the ledger's own fields).
    pub json: String,
    /// Its day of issue.
    pub issued: Day,
}

/// Signs and records one key, in one transaction taken first: no other writer can issue this
/// order or serial meanwhile.
pub fn issue(signer: &AnySigner, key_path: &Path, ledger_path: &Path, req: Request) -> Result<Issued, Error> {
    let mut ledger = Db::open_vault(ledger_path, key_path)?;
    let tx = ledger.begin_write(key_path)?;
    db::head::ensure_current(tx.conn(), signer, key_path)?;
    let issued = issue_in(&tx, signer, req)?;
    tx.commit(signer)?;
    Ok(issued)
}

/// Signs and records one key in the caller's transaction (which checked the signing key
/// with `db::head::ensure_current`); the caller commits.
pub fn issue_in(tx: &db::Writer<'_>, signer: &AnySigner, req: Request) -> Result<Issued, Error> {
    // The texts recorded with the key, checked before anything else.
    crate::text_rules::check_key(
        Some(req.terms.organization.as_str()),
        req.order_id.as_deref(),
        req.contact.as_deref(),
    )?;
    let ledger_path = tx.path();
    let read = || Error::db(format!("cannot read the ledger {}", ledger_path.display()));
    if let Some(o) = &req.order_id
        && tx.conn().order_exists(o).map_err(read())?
    {
        return Err(Error::OrderIssued { order: o.clone(), ledger: ledger_path.to_owned() });
    }
    let serial = match req.serial {
        Some(s) if tx.conn().key_by_serial(&s.to_string()).map_err(read())?.is_some() => {
            return Err(Error::Conflict(format!(
                "serial {s} is already in the ledger {}",
                ledger_path.display()
            )));
        }
        Some(s) => s,
        None => fresh_serial(tx.conn())?,
    };
    let issued = req.terms.issued;
    let mut payload = req.terms.payload(serial);
    let key = signer.issue(&mut payload)?;
    let mut record = KeyRecord::new(key, &payload, &req.terms.template, req.order_id, req.contact);
    let json = serde_json::to_string(&record).map_err(|e| Error::input(e.to_string()))?;
    record.issued_at = Some(now_rfc3339());
    record.via = Some("issue".into());
    record.actor = Some(req.actor);
    record_key(tx, &record)?;
    Ok(Issued { record, payload, json, issued })
}

/// A random serial that the ledger does not hold.
pub fn fresh_serial(conn: &dyn LedgerRead) -> Result<Serial, Error> {
    use rand::TryRng;
    loop {
        let value =
            rand::rngs::SysRng.try_next_u64().map_err(|e| crate::error::KeyError::Random(e.to_string()))?;
        if let Some(s) = Serial::new(value)
            && conn.key_by_serial(&s.to_string()).map_err(Error::db("cannot read the ledger"))?.is_none()
        {
            return Ok(s);
        }
    }
}

/// Appends one key to the ledger, in the caller's transaction (whose commit signs the head).
pub fn record_key(tx: &db::Writer<'_>, record: &KeyRecord) -> Result<(), Error> {
    let what =
        || Error::db(format!("cannot record key {} in the ledger {}", record.serial, tx.path().display()));
    let mut chain = tx.conn().key_chain().map_err(what())?;
    keys::insert(tx.conn(), &mut chain, record).map_err(what())
}
