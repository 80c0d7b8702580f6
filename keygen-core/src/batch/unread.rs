//! Columns the batch does not read. None is passed over silently: a column that is neither
//! read (known, or mapped with `--column`) nor named as ignored is refused, with the mapping
//! it most likely needs, so that an ERP export's `Plätze` or `Auftrag` cannot be skipped
//! while every key gets the edition's seats and no order.

use super::columns::{KNOWN, Mapping, RESERVED};
use super::words::Words;

/// Why an input without an order_id column is refused.
pub fn no_order_ids(w: &Words) -> String {
    format!(
        "no column holds order ids: a row is recognised by its order, so running this file again \
         would issue every key again. Map the order column ({} order_id=HEADER), or give {} to issue \
         keys that a rerun cannot recognise",
        w.column, w.no_order_ids
    )
}

/// What people call the known columns in exports (compared without case, spaces or
/// punctuation), to suggest the `--column` a header needs.
const SYNONYMS: [(&str, &[&str]); 7] = [
    (
        "organization",
        &[
            "kunde",
            "kundenname",
            "firma",
            "firmenname",
            "unternehmen",
            "customer",
            "company",
            "organisation",
            "org",
            "account",
            "societe",
            "client",
        ],
    ),
    ("template", &["edition", "produkt", "product", "plan", "lizenztyp", "licensetype", "sku"]),
    (
        "seats",
        &[
            "plätze",
            "plaetze",
            "platze",
            "lizenzen",
            "licenses",
            "licences",
            "users",
            "benutzer",
            "anzahl",
            "quantity",
            "menge",
            "qty",
            "seat",
            "clients",
            "arbeitsplätze",
        ],
    ),
    ("features", &["module", "modules", "funktionen", "optionen", "options", "feature"]),
    (
        "expires",
        &[
            "ablauf",
            "ablaufdatum",
            "gültigbis",
            "gueltigbis",
            "bis",
            "ende",
            "enddate",
            "expiry",
            "expiration",
        ],
    ),
    (
        "order_id",
        &[
            "auftrag",
            "auftragsnr",
            "auftragsnummer",
            "bestellung",
            "bestellnr",
            "bestellnummer",
            "order",
            "ordernumber",
            "orderno",
            "ordernr",
            "po",
            "ponumber",
            "salesorder",
            "so",
        ],
    ),
    (
        "contact",
        &["kontakt", "email", "mail", "ansprechpartner", "contactperson", "besteller", "kontaktperson"],
    ),
];

/// The header problems about columns not read, as (column, what): every unread column not
/// ignored (unless `--ignore-other-columns`), and every `--ignore-column` that names no
/// column or one that is read. `read` holds each known column read and its index.
pub fn problems(headers: &[String], read: &[(&str, usize)], mapping: &Mapping) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let w = &mapping.words;
    let find = |name: &str| headers.iter().position(|h| h.trim().eq_ignore_ascii_case(name.trim()));
    for name in &mapping.ignored {
        match find(name) {
            None => out.push((
                name.clone(),
                format!(
                    "no such column (from {} {}); the input's columns are: {}",
                    w.ignore_column,
                    quoted(name),
                    headers.iter().map(|h| h.trim()).collect::<Vec<_>>().join(", ")
                ),
            )),
            Some(i) => {
                if let Some((known, _)) = read.iter().find(|(_, at)| *at == i) {
                    out.push((
                        headers[i].trim().to_owned(),
                        format!(
                            "this column is read as {known}, and {} {} says not to read it: \
                             give one of the two",
                            w.ignore_column,
                            quoted(name)
                        ),
                    ));
                }
            }
        }
    }
    if mapping.ignore_others {
        return out;
    }
    for (i, header) in headers.iter().enumerate() {
        let header = header.trim();
        let reserved = RESERVED.contains(&header.to_ascii_lowercase().as_str());
        let ignored = mapping.ignored.iter().any(|n| n.trim().eq_ignore_ascii_case(header));
        if reserved || ignored || read.iter().any(|(_, at)| *at == i) {
            continue;
        }
        let unread_known = |k: &&str| !read.iter().any(|(name, _)| name == k);
        let map = match guess(header).filter(unread_known) {
            Some(known) => {
                format!("if it holds the {known}, map it: {} {known}={}", w.column, quoted(header))
            }
            None => format!("map it to a known column ({} NAME={})", w.column, quoted(header)),
        };
        out.push((
            header.to_owned(),
            format!(
                "keygen does not read this column, and no cell is passed over silently: {map}; \
                 or carry it through to the output unread: {} {} (or \
                 {} for every such column). Known columns: {}",
                w.ignore_column,
                quoted(header),
                w.ignore_other_columns,
                KNOWN.join(", ")
            ),
        ));
    }
    out
}

/// The one header that names a contact by one of its usual names (`Ansprechpartner`,
/// `Kontakt`, `E-Mail`, ...), if exactly one does: two such columns leave the choice to
/// `--column contact=HEADER`. A header named by `--column` or `--ignore-column` is not one.
pub fn contact_alias(headers: &[String], mapping: &Mapping) -> Option<usize> {
    let names = SYNONYMS.iter().find(|(known, _)| *known == "contact").map(|(_, names)| *names)?;
    let named = |h: &str| {
        mapping
            .ignored
            .iter()
            .chain(mapping.columns.values())
            .any(|n| n.trim().eq_ignore_ascii_case(h.trim()))
    };
    let mut found = headers
        .iter()
        .enumerate()
        .filter(|(_, h)| !named(h) && names.iter().any(|n| normalized(n) == normalized(h)))
        .map(|(i, _)| i);
    let first = found.next()?;
    found.next().is_none().then_some(first)
}

/// The known column a header most likely means: one of its usual names, or a known name
/// within two edits (`Organisation`, `order id`, `Expiry Date` aside).
fn guess(header: &str) -> Option<&'static str> {
    let plain = normalized(header);
    if plain.is_empty() {
        return None;
    }
    SYNONYMS
        .iter()
        .find(|(_, names)| names.iter().any(|n| normalized(n) == plain))
        .map(|(known, _)| *known)
        .or_else(|| KNOWN.iter().copied().find(|k| strsim::levenshtein(&normalized(k), &plain) <= 2))
}

/// Lower case, letters and digits only: `Order-Nr.` is `ordernr`.
fn normalized(text: &str) -> String {
    text.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

/// A header as a shell argument: quoted when it holds anything but letters, digits, `_`, `-`.
fn quoted(header: &str) -> String {
    if !header.is_empty() && header.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '-') {
        header.to_owned()
    } else {
        format!("'{}'", header.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guesses_the_known_column_of_usual_export_headers() {
        assert_eq!(guess("Plätze"), Some("seats"));
        assert_eq!(guess("Auftrag"), Some("order_id"));
        assert_eq!(guess("Order ID"), Some("order_id"));
        assert_eq!(guess("Organisation"), Some("organization"));
        assert_eq!(guess("Region"), None);
        assert_eq!(quoted("Gültig bis"), "'Gültig bis'");
        assert_eq!(quoted("Plätze"), "Plätze");
    }
}
