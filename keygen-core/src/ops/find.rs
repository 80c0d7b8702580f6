//! Finding keys in the ledger: by serial, order, organization (with the transliterations of
//! `db::search`), or all; each with its story and whether it is genuine.

use crate::db::keys::History;
use crate::db::store::LedgerRead;
use crate::db::{self, keys};
use crate::error::{Error, Field};

/// What to find (the conditions combine with AND).
#[derive(Clone, Debug, Default)]
pub struct Query {
    /// A serial, as typed.
    pub serial: Option<String>,
    /// An order.
    pub order_id: Option<String>,
    /// Part of an organization's name, in any spelling `ledger find --org` reads.
    pub org: Option<String>,
    /// Every key.
    pub all: bool,
}

/// A key found: its story, and why it is not genuine (if it is not).
pub struct Found {
    /// The key and its story.
    pub history: History,
    /// `None` when its signature and its row check out.
    pub not_genuine: Option<String>,
}

/// The keys `query` selects, in the ledger's order.
pub fn find(conn: &dyn LedgerRead, query: &Query) -> Result<Vec<Found>, Error> {
    let serial = match &query.serial {
        Some(s) => Some(
            s.trim()
                .parse::<product_key::Serial>()
                .map_err(|e| Error::invalid(Field::Serial, e.to_string()))?
                .to_string(),
        ),
        None => None,
    };
    let org = match &query.org {
        Some(text) => match db::search::needles(text) {
            (form, _) if form.is_empty() => {
                return Err(Error::invalid(Field::Organization, "the text has no letter or digit"));
            }
            forms => Some(forms),
        },
        None => None,
    };
    if serial.is_none() && org.is_none() && query.order_id.is_none() && !query.all {
        return Err(Error::Missing {
            context: None,
            any_of: vec![Field::Serial, Field::OrderId, Field::Organization, Field::All],
        });
    }
    let filter = keys::Filter {
        serial: serial.as_deref(),
        order_id: query.order_id.as_deref(),
        organization: org.as_ref().map(|(form, folded)| (form.as_str(), folded.as_str())),
    };
    let found = keys::matching(conn, &filter).map_err(Error::db("cannot read the ledger"))?;
    let signers = conn.signing_keys().map_err(Error::db("cannot read the ledger's signing keys"))?;
    let trusted = db::verify::trusted_keys(&signers, None).unwrap_or_default();
    Ok(found
        .into_iter()
        .map(|history| {
            let not_genuine = db::verify::genuine(&history.stored, &trusted).err();
            Found { history, not_genuine }
        })
        .collect())
}

/// One search field (the desk's): a serial when it reads as one, else an order or part of an
/// organization's name.
pub fn search(conn: &dyn LedgerRead, text: &str) -> Result<Vec<Found>, Error> {
    let text = text.trim();
    if text.parse::<product_key::Serial>().is_ok() {
        let by_serial = find(conn, &Query { serial: Some(text.to_owned()), ..Query::default() })?;
        if !by_serial.is_empty() {
            return Ok(by_serial);
        }
    }
    let by_order = find(conn, &Query { order_id: Some(text.to_owned()), ..Query::default() })?;
    if !by_order.is_empty() {
        return Ok(by_order);
    }
    match db::search::needles(text) {
        (form, _) if form.is_empty() => Ok(Vec::new()),
        _ => find(conn, &Query { org: Some(text.to_owned()), ..Query::default() }),
    }
}
