//! A key's story from the ledger: how it was issued, what it replaces, what replaced it, and
//! whether it was revoked. Read in one streaming pass; only the keys asked for are kept.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::path::Path;

use serde::Serialize;

use crate::error::Error;
use crate::lines::Lines;
use crate::record::{KeyRecord, RevocationRecord};

/// The key that replaced another.
#[derive(Clone, Debug, Serialize)]
pub struct ReplacedBy {
    /// Its serial.
    pub serial: String,
    /// When it was recorded.
    pub issued_at: Option<String>,
    /// `renewal` or `amendment`.
    pub reason: Option<String>,
}

/// A revocation of a key.
#[derive(Clone, Debug, Serialize)]
pub struct Revoked {
    /// The revocation list that first named it.
    pub sequence: u32,
    /// When.
    pub revoked_at: String,
    /// Why, if said.
    pub reason: Option<String>,
}

/// One key and its story.
#[derive(Clone, Debug)]
pub struct History {
    /// The ledger's record of it.
    pub record: KeyRecord,
    /// Its line in the ledger, as written (without the line end).
    pub raw: String,
    /// Its line in the ledger, from 1.
    pub line: usize,
    /// The key that replaced it, if any.
    pub replaced_by: Option<ReplacedBy>,
    /// Its revocation, if any.
    pub revoked: Option<Revoked>,
}

impl History {
    /// Neither revoked nor replaced: the key the customer should be using.
    pub fn is_current(&self) -> bool {
        self.replaced_by.is_none() && self.revoked.is_none()
    }
}

/// What a scan keeps: a key when `wants` says so (it sees the record and the serials kept so
/// far, so that a chain of replacements can be followed as it is read).
pub fn scan(
    path: &Path,
    mut wants: impl FnMut(&KeyRecord, &HashSet<String>) -> bool,
) -> Result<Vec<History>, Error> {
    let file = std::fs::File::open(path)
        .map_err(|e| Error::input(format!("cannot open the ledger {}: {e}", path.display())))?;
    let read = Error::io(format!("cannot read {}", path.display()));
    let mut lines = Lines::new(&file, 0, 0, None).map_err(read)?;
    let mut kept: Vec<History> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut serials: HashSet<String> = HashSet::new();
    while let Some(line) = lines.next_line().map_err(Error::io(format!("cannot read {}", path.display())))? {
        let (number, text) = (usize::try_from(line.number).unwrap_or(usize::MAX), line.text);
        if text.windows(10).any(|w| w == b"\"revoked\":") {
            if let Ok(r) = serde_json::from_slice::<RevocationRecord>(text) {
                for s in &r.revoked {
                    if let Some(&i) = index.get(s) {
                        kept[i].revoked.get_or_insert(Revoked {
                            sequence: r.sequence,
                            revoked_at: r.revoked_at.clone(),
                            reason: r.reason.clone(),
                        });
                    }
                }
            }
            continue;
        }
        let Ok(record) = serde_json::from_slice::<KeyRecord>(text) else { continue };
        if let Some(old) = record.supersedes.as_ref().and_then(|s| index.get(s)) {
            kept[*old].replaced_by.get_or_insert(ReplacedBy {
                serial: record.serial.clone(),
                issued_at: record.issued_at.clone(),
                reason: record.reason.clone(),
            });
        }
        if wants(&record, &serials) {
            index.insert(record.serial.clone(), kept.len());
            serials.insert(record.serial.clone());
            let raw = String::from_utf8_lossy(text).into_owned();
            kept.push(History { record, raw, line: number, replaced_by: None, revoked: None });
        }
    }
    Ok(kept)
}

/// The key a command acts on: given by serial, or the current key of an order (the end of
/// the chain of keys that replaced the order's key).
pub fn target(path: &Path, serial: Option<&str>, order: Option<&str>) -> Result<History, Error> {
    let found = match (serial, order) {
        (Some(s), _) => {
            let s = s
                .parse::<product_key::Serial>()
                .map_err(|e| Error::input(format!("--serial: {e}")))?
                .to_string();
            let mut keys = scan(path, |r, _| r.serial == s)?;
            keys.pop()
                .ok_or_else(|| Error::input(format!("serial {s} is not in the ledger {}", path.display())))?
        }
        (None, Some(o)) => {
            let chain = scan(path, |r, kept| {
                r.order_id.as_deref() == Some(o) || r.supersedes.as_ref().is_some_and(|s| kept.contains(s))
            })?;
            let first = chain.first().ok_or_else(|| {
                Error::input(format!("order '{o}' is not in the ledger {}", path.display()))
            })?;
            // Follow the replacements from the order's key to the last one.
            let mut current = first.clone();
            while let Some(next) =
                current.replaced_by.as_ref().and_then(|r| chain.iter().find(|k| k.record.serial == r.serial))
            {
                current = next.clone();
            }
            current
        }
        (None, None) => return Err(Error::input("give --serial S or --for-order O")),
    };
    Ok(found)
}

/// Every key that another key replaced: old serial → (new serial, the new key's day of issue).
pub fn replacements(path: &Path) -> Result<HashMap<String, (String, String)>, Error> {
    #[derive(serde::Deserialize)]
    struct Link {
        serial: Option<String>,
        issued: Option<String>,
        supersedes: Option<String>,
    }
    let file = std::fs::File::open(path)
        .map_err(|e| Error::input(format!("cannot open the ledger {}: {e}", path.display())))?;
    let mut out = HashMap::new();
    for line in BufReader::with_capacity(1 << 20, file).split(b'\n') {
        let line = line.map_err(Error::io(format!("cannot read {}", path.display())))?;
        if let Ok(Link { serial: Some(new), issued: Some(day), supersedes: Some(old) }) =
            serde_json::from_slice(&line)
        {
            out.entry(old).or_insert((new, day));
        }
    }
    Ok(out)
}

/// One key and its story through the ledger's index (see `index.rs`): the record of `kind`
/// and `text` (a serial or an order), the key that replaced it and its revocation, each read
/// back from the ledger and compared in full.
pub fn indexed(path: &Path, kind: crate::index::Kind, text: &str) -> Result<Option<History>, Error> {
    let (ledger, index) = crate::ledger::Ledger::open_indexed(path)?;
    indexed_in(&ledger, &index, kind, text)
}

/// [`indexed`] in a ledger already open (and locked) with its index.
pub fn indexed_in(
    ledger: &crate::ledger::Ledger,
    index: &crate::index::Index,
    kind: crate::index::Kind,
    text: &str,
) -> Result<Option<History>, Error> {
    use crate::index::Kind;
    let path = ledger.path();
    let Some(at) = ledger.find(index, kind, text)? else { return Ok(None) };
    let raw_bytes = ledger.line_at(at.offset)?;
    let record: KeyRecord = serde_json::from_slice(&raw_bytes)
        .map_err(|e| Error::input(format!("{}:{}: not a key record: {e}", path.display(), at.line)))?;
    let serial = record.serial.clone();
    let mut replaced_by = None;
    for c in index.candidates(Kind::Replaced, &serial)? {
        if let Ok(next) = serde_json::from_slice::<KeyRecord>(&ledger.line_at(c.offset)?)
            && next.supersedes.as_deref() == Some(serial.as_str())
        {
            replaced_by =
                Some(ReplacedBy { serial: next.serial, issued_at: next.issued_at, reason: next.reason });
            break;
        }
    }
    // The first list that named it.
    let mut revocations = index.candidates(Kind::Revoked, &serial)?;
    revocations.sort_by_key(|c| c.offset);
    let mut revoked = None;
    for c in revocations {
        if let Ok(r) = serde_json::from_slice::<RevocationRecord>(&ledger.line_at(c.offset)?)
            && r.revoked.contains(&serial)
        {
            revoked = Some(Revoked { sequence: r.sequence, revoked_at: r.revoked_at, reason: r.reason });
            break;
        }
    }
    Ok(Some(History {
        raw: String::from_utf8_lossy(&raw_bytes).into_owned(),
        record,
        line: usize::try_from(at.line).unwrap_or(usize::MAX),
        replaced_by,
        revoked,
    }))
}

/// The key a command acts on, through the index: given by serial, or the current key of an
/// order (the end of the chain of keys that replaced the order's key).
pub fn current(
    ledger: &crate::ledger::Ledger,
    index: &crate::index::Index,
    serial: Option<&str>,
    order: Option<&str>,
) -> Result<History, Error> {
    use crate::index::Kind;
    let path = ledger.path().display();
    let mut key = match (serial, order) {
        (Some(s), _) => {
            let s = s
                .parse::<product_key::Serial>()
                .map_err(|e| Error::input(format!("--serial: {e}")))?
                .to_string();
            return indexed_in(ledger, index, Kind::Serial, &s)?
                .ok_or_else(|| Error::input(format!("serial {s} is not in the ledger {path}")));
        }
        (None, Some(o)) => indexed_in(ledger, index, Kind::Order, o)?
            .ok_or_else(|| Error::input(format!("order '{o}' is not in the ledger {path}")))?,
        (None, None) => return Err(Error::input("give --serial S or --for-order O")),
    };
    // Follow the replacements to the last one (a chain cannot loop: each key is newer).
    while let Some(next) = key.replaced_by.clone() {
        match indexed_in(ledger, index, Kind::Serial, &next.serial)? {
            Some(k) => key = k,
            None => break,
        }
    }
    Ok(key)
}
