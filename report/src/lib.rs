//! What support reads: the verdict in one sentence with what to do, then the key's contents.
//! Each finding's sentence is written here once; `verifier check`, `verifier batch`, the C ABI
//! and the support page (through the C ABI compiled to WebAssembly) all use it, so that every
//! place a key is judged says the same words.

use product_key::text::{self, Typo};
use product_key::{Day, DecodeError, Expiry, Finding, Verdict};
use serde_json::{Value, json};

/// The one-sentence verdict: the library's reason (worded there once), then what to do, e.g.
/// "NOT VALID: the key was issued to 'Acme Inc', not 'Acme Corp'; enter ...".
pub fn headline(verdict: &Verdict, text: &str, at: Day) -> String {
    let product = format!("{} {}", product_key::PRODUCT_CODE, product_key::MAJOR_VERSION);
    let finding = &verdict.finding;
    let advice = match finding {
        Finding::Valid => {
            let org = verdict.key.as_ref().map(|k| k.payload.organization.to_string()).unwrap_or_default();
            return format!("VALID: this key unlocks {product} for '{org}'");
        }
        Finding::Malformed(
            DecodeError::Checksum | DecodeError::Length { .. } | DecodeError::Padding { .. },
        ) => match text::locate_typo(text) {
            Some(typo) => typo_advice(typo),
            None => "; ask the customer to copy the whole key again from the e-mail".into(),
        },
        Finding::Malformed(_) => "; ask the customer to copy the whole key again from the e-mail".into(),
        Finding::UnknownSigner(id) => {
            // Worded for support rather than as the library's "signed by unknown key": most
            // often a key signed before a rotation, with a signing key no longer trusted.
            return format!(
                "NOT VALID: signed by key {id}, a signing key not trusted here (a retired or unknown signing key, \
                 e.g. one replaced in a key rotation); ask sales for a key signed with a current signing key"
            );
        }
        Finding::BadSignature(_) => "; do not accept it".into(),
        Finding::OtherVersion { .. } | Finding::KeyOfVersion(_) => " (ask sales for one)".into(),
        Finding::OtherProduct { .. } => String::new(),
        Finding::CriticalExtension(_) => format!("; update the {product} server"),
        Finding::Revoked { .. } => "; the customer must contact sales".into(),
        Finding::NotYetValid { .. } => format!("; check the server's date (the check was made on {at})"),
        Finding::Expired { last_day } => format!(
            " ({} ago); the customer needs a renewal key",
            days(i64::from(at.days()) - i64::from(last_day.days()))
        ),
        Finding::OrgMismatch { .. } => "; enter the organization as on the key".into(),
    };
    format!("NOT VALID: {finding}{advice}")
}

/// Where the typo locator found the key's one mistake, and what to ask the customer.
fn typo_advice(typo: Typo) -> String {
    match typo {
        Typo::Substitution { position, found, likely } => {
            format!(
                "; character {position} is probably '{likely}', not '{found}': ask the customer to check it"
            )
        }
        Typo::Transposition { position } => format!(
            "; characters {position} and {} are probably swapped: ask the customer to check them",
            position + 1
        ),
        Typo::Missing { after, before, likely } => {
            let place = match (after, before) {
                (Some(a), Some(b)) => format!("between characters {a} and {b}"),
                (None, Some(b)) => format!("before character {b}"),
                (Some(a), None) => format!("after character {a}, at the end"),
                (None, None) => "in the key".to_owned(),
            };
            format!(
                "; a character is probably missing {place} (probably '{likely}'): ask the customer to check there"
            )
        }
    }
}

fn days(n: i64) -> String {
    if n == 1 { "1 day".into() } else { format!("{n} days") }
}

/// The key's contents as support reads them: a note when there is nothing to show or the
/// fields are not trusted, then `(name, value)` rows in a fixed order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fields {
    /// Said before the rows: why nothing can be shown, or that the fields may be false.
    pub note: Option<&'static str>,
    /// The rows, e.g. `("Seats", "25 clients")`.
    pub rows: Vec<(&'static str, String)>,
}

/// The note shown when the signature did not verify.
const UNTRUSTED: &str = "UNTRUSTED: the signature did not verify; these fields may be false.";

/// What the Revocations row says when no list was given.
const NO_LIST: &str = "no list given: a revoked key would show as valid";

/// The rows of [`details`], for a host that lays them out itself. `how_to_give_a_list` is
/// added to the Revocations row when no list was given, in the host's own terms (the
/// verifier names its flag), or nothing when empty.
pub fn fields(
    verdict: &Verdict,
    at: Day,
    revocations: Option<&product_key::RevocationList>,
    how_to_give_a_list: &str,
) -> Fields {
    let Some(key) = &verdict.key else {
        return Fields {
            note: Some(match verdict.finding {
                Finding::KeyOfVersion(_) => {
                    "(nothing can be shown: keys of other versions are of another design)"
                }
                _ => "(nothing can be shown: the text is not a readable key)",
            }),
            rows: Vec::new(),
        };
    };
    let p = &key.payload;
    let mut rows: Vec<(&'static str, String)> = Vec::new();
    rows.push(("Product", format!("{} {}", p.product, p.major)));
    rows.push(("Organization", p.organization.to_string()));
    rows.push((
        "Seats",
        match p.seats.limit() {
            Some(1) => "1 client".into(),
            Some(n) => format!("{n} clients"),
            None => "unlimited clients".into(),
        },
    ));
    let shown: Vec<&str> = p.features.features().map(|f| f.shown()).collect();
    rows.push(("Features", if shown.is_empty() { "none".into() } else { shown.join(", ") }));
    let unknown: Vec<String> = p.features.unknown_bits().map(|b| b.to_string()).collect();
    if !unknown.is_empty() {
        rows.push(("Unknown bits", format!("{} (features of a newer release)", unknown.join(", "))));
    }
    rows.push(("Issued", p.issued.to_string()));
    rows.push((
        "Expires",
        match p.expires {
            Expiry::Perpetual => "never (perpetual)".into(),
            Expiry::LastDay(d) => {
                let left = i64::from(d.days()) - i64::from(at.days());
                match left {
                    0 => format!("{d} (last valid day today)"),
                    n if n > 0 => format!("{d} ({} left)", days(n)),
                    n => format!("{d} (expired {} ago)", days(-n)),
                }
            }
        },
    ));
    rows.push(("Serial", p.serial.to_string()));
    rows.push((
        "Signed by",
        format!("{} ({})", p.key_id, if verdict.trusted { "trusted" } else { "not verified" }),
    ));
    if let Some(replaced) = p.supersedes() {
        rows.push(("Replaces", format!("key {replaced}")));
    }
    for e in p.extensions.iter().filter(|e| e.tag.get() != product_key::SUPERSEDES) {
        rows.push((
            "Extension",
            format!(
                "{} ({}): {}",
                e.tag,
                if e.is_critical() { "critical" } else { "ignored" },
                hex::encode(&e.value)
            ),
        ));
    }
    rows.push((
        "Revocations",
        match revocations {
            Some(list) => format!("checked against list {} of {}", list.sequence, list.issued),
            None => match how_to_give_a_list {
                "" => NO_LIST.into(),
                hint => format!("{NO_LIST} ({hint})"),
            },
        },
    ));
    Fields { note: (!verdict.trusted).then_some(UNTRUSTED), rows }
}

/// The key's contents as aligned lines, marked untrusted when the signature did not verify.
pub fn details(
    verdict: &Verdict,
    at: Day,
    revocations: Option<&product_key::RevocationList>,
    how_to_give_a_list: &str,
) -> String {
    let Fields { note, rows } = fields(verdict, at, revocations, how_to_give_a_list);
    let mut out = String::new();
    if let Some(note) = note {
        out.push_str(&format!("  {note}\n"));
    }
    for (name, value) in rows {
        out.push_str(&format!("  {name:<13} {value}\n"));
    }
    out
}

/// What `verifier check` prints, as one JSON object for a host that shows it in its own way
/// (the support page): `{"status", "valid", "headline", "found", "key_text", "note",
/// "fields": [{"name", "value"}]}`. The words are those of the terminal output.
pub fn explanation_json(
    verdict: &Verdict,
    text: &str,
    at: Day,
    revocations: Option<&product_key::RevocationList>,
) -> Value {
    let Fields { note, rows } = fields(verdict, at, revocations, "");
    json!({
        "status": verdict.status().name(),
        "valid": verdict.is_valid(),
        "headline": headline(verdict, text, at),
        "found": found_line(verdict, text),
        "key_text": key_text(verdict),
        "note": note,
        "fields": rows.iter().map(|(name, value)| json!({"name": name, "value": value})).collect::<Vec<_>>(),
    })
}

/// The `key` object of the JSON output, or null when nothing was decoded.
pub fn key_json(verdict: &Verdict) -> Value {
    let Some(key) = &verdict.key else { return Value::Null };
    let p = &key.payload;
    json!({
        "product": p.product.as_str(),
        "major_version": p.major,
        "serial": p.serial.to_string(),
        "key_id": p.key_id.to_string(),
        "organization": p.organization.as_str(),
        "seats": p.seats.limit(),
        "features": p.features.features().map(|f| f.name()).collect::<Vec<_>>(),
        "unknown_feature_bits": p.features.unknown_bits().collect::<Vec<_>>(),
        "issued": p.issued.to_string(),
        "expires": p.expires.last_day().map(|d| d.to_string()),
        "extensions": p.extensions.iter().map(|e| json!({
            "tag": e.tag.get(), "critical": e.is_critical(), "value": hex::encode(&e.value)
        })).collect::<Vec<_>>(),
        "supersedes": p.supersedes().map(|s| s.to_string()),
        "trusted": verdict.trusted,
    })
}

/// Where the key was read in a longer text ("read the key from characters 18 to 252 of the
/// text"), so that support sees nothing was guessed; `None` when the text was the key.
pub fn found_line(verdict: &Verdict, text: &str) -> Option<String> {
    let found = verdict.found.as_ref().filter(|f| f.is_part_of(text))?;
    Some(format!("read the key from characters {} to {} of the text", found.from, found.to))
}

/// The whole JSON verdict of `check`.
pub fn verdict_json(verdict: &Verdict, text: &str, at: Day) -> Value {
    json!({
        "status": verdict.status().name(),
        "valid": verdict.is_valid(),
        "message": headline(verdict, text, at),
        "key": key_json(verdict),
        "found": verdict.found.as_ref().map(|f| json!({"from": f.from, "to": f.to, "text": f.text})),
        "key_text": key_text(verdict),
    })
}

/// The key as read, in its canonical text (`AST8-...`: no quote markers, no line breaks):
/// what a product stores, rather than the span of the pasted text. `None` when nothing could
/// be decoded.
pub fn key_text(verdict: &Verdict) -> Option<String> {
    verdict.key.as_ref().map(|k| k.to_text())
}

#[cfg(test)]
mod tests {
    use product_key::{Day, DecodeError, Finding, KeyId, Verdict};

    use super::headline;

    fn said(finding: Finding) -> String {
        let verdict = Verdict { finding, key: None, trusted: false, found: None };
        headline(&verdict, "", Day::from_days(20_819))
    }

    #[test]
    fn an_untrusted_signing_key_is_named_and_told_apart_from_a_bad_signature() {
        let id = KeyId([0x39, 0xf7, 0x13, 0xd0]);
        let unknown = said(Finding::UnknownSigner(id));
        assert!(unknown.contains("signed by key 39f713d0"), "{unknown}");
        assert!(unknown.contains("not trusted here (a retired or unknown signing key"), "{unknown}");
        assert!(!unknown.contains("test key"), "{unknown}");
        let forged = said(Finding::BadSignature(id));
        assert!(forged.contains("does not verify with trusted key 39f713d0"), "{forged}");
        assert!(!forged.contains("retired"), "{forged}");
        assert_ne!(said(Finding::Malformed(DecodeError::Checksum)), unknown);
    }

    /// Issue 28, item 14: a character deleted from the middle of a key was reported as "the
    /// last character is wrong"; support is told that one is missing, and where.
    #[test]
    fn a_missing_character_is_said_to_be_missing_and_where() {
        const KEY: &str = "AST8-04GZW-CEZ0D-0N6N0-804HM-ASW9N-F6YYM-9HAAF-00680-00000-00000-3H6GB-3DNJJ-0GBEC-5P7JX-39CDS-J0HVD-C943B-Y069Y-HPJ83-QJ5F6-K8W20-40055-1PEND-0CH0G-Z7QWG-WB23A-468DD-0X5CY-1EM65-D3PJ9-8PG7B-X8GF8-MJ0K7-7G3GY-Y3HAW-7B8JS-M1RX1-DPNWW-SA";
        let at = Day::from_days(20_819);
        let check = product_key::Check::on(at);
        let judged = |text: &str| {
            headline(&product_key::verify(text, &product_key::TrustedKeys::new(), &check), text, at)
        };
        // Character 102 ('C') deleted: the length is one a key can have, the last character not.
        let short = format!("{}{}", &KEY[..101], &KEY[102..]);
        let said = judged(&short);
        assert!(
            said.ends_with(
                "a character is probably missing between characters 100 and 102 (probably 'C'): ask the customer \
                 to check there"
            ),
            "{said}"
        );
        assert!(said.contains("a character is mistyped, missing or extra"), "{said}");
        let said = judged(&KEY[..KEY.len() - 1]);
        assert!(said.contains("missing after character 234, at the end (probably 'A')"), "{said}");
        // Two characters missing: no hint, the customer copies the key again.
        let said = judged(&format!("{}{}", &KEY[..101], &KEY[103..]));
        assert!(said.ends_with("ask the customer to copy the whole key again from the e-mail"), "{said}");
    }
}
