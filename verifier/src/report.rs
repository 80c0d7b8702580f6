//! What support reads: the verdict in one sentence with what to do, then the key's contents.
//! Each finding's sentence is written here once; `check` and `batch` both use it.

use product_key::text::{self, Typo};
use product_key::{Day, DecodeError, Expiry, Finding, Verdict};
use serde_json::{Value, json};

/// The exit codes of `verifier check`: one per status (from the library, where each is
/// defined once), then the tool's own.
pub fn check_exit_codes() -> String {
    let mut codes: Vec<(u8, Vec<&str>)> = Vec::new();
    for status in product_key::Status::ALL {
        match codes.iter_mut().find(|(c, _)| *c == status.exit_code()) {
            Some((_, names)) => names.push(status.name()),
            None => codes.push((status.exit_code(), vec![status.name()])),
        }
    }
    codes.sort();
    let statuses: Vec<String> =
        codes.iter().map(|(c, names)| format!("{c} {}", names.join(" or "))).collect();
    format!(
        "Exit codes: {}; 1 reading or writing failed; 2 usage (flags, trusted keys); 9 the revocation \
         list cannot be used.",
        statuses.join("; ")
    )
}

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
        Finding::Malformed(DecodeError::Checksum) => match text::locate_typo(text) {
            Some(Typo::Substitution { position, found, likely }) => format!(
                "; character {position} is probably '{likely}', not '{found}': ask the customer to check it"
            ),
            Some(Typo::Transposition { position }) => format!(
                "; characters {position} and {} are probably swapped: ask the customer to check them",
                position + 1
            ),
            None => "; ask the customer to copy the whole key again from the e-mail".into(),
        },
        Finding::Malformed(_) => "; ask the customer to copy the whole key again from the e-mail".into(),
        Finding::UnknownSigner(id) => {
            // Worded for support rather than as the library's "signed by unknown key".
            return format!(
                "NOT VALID: signed by key {id}, which this verifier does not trust: was it issued with a test key?"
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

fn days(n: i64) -> String {
    if n == 1 { "1 day".into() } else { format!("{n} days") }
}

/// The key's contents as aligned lines, marked untrusted when the signature did not verify.
pub fn details(verdict: &Verdict, at: Day, revocations: Option<&product_key::RevocationList>) -> String {
    let Some(key) = &verdict.key else {
        return String::from(match verdict.finding {
            Finding::KeyOfVersion(_) => {
                "  (nothing can be shown: keys of other versions are of another design)\n"
            }
            _ => "  (nothing can be shown: the text is not a readable key)\n",
        });
    };
    let p = &key.payload;
    let mut out = String::new();
    if !verdict.trusted {
        out.push_str("  UNTRUSTED: the signature did not verify; these fields may be false.\n");
    }
    let mut row = |name: &str, value: String| out.push_str(&format!("  {name:<13} {value}\n"));
    row("Product", format!("{} {}", p.product, p.major));
    row("Organization", p.organization.to_string());
    row(
        "Seats",
        match p.seats.limit() {
            Some(1) => "1 client".into(),
            Some(n) => format!("{n} clients"),
            None => "unlimited clients".into(),
        },
    );
    let shown: Vec<&str> = p.features.features().map(|f| f.shown()).collect();
    row("Features", if shown.is_empty() { "none".into() } else { shown.join(", ") });
    let unknown: Vec<String> = p.features.unknown_bits().map(|b| b.to_string()).collect();
    if !unknown.is_empty() {
        row("Unknown bits", format!("{} (features of a newer release)", unknown.join(", ")));
    }
    row("Issued", p.issued.to_string());
    row(
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
    );
    row("Serial", p.serial.to_string());
    row("Signed by", format!("{} ({})", p.key_id, if verdict.trusted { "trusted" } else { "not verified" }));
    if let Some(replaced) = p.supersedes() {
        row("Replaces", format!("key {replaced}"));
    }
    for e in p.extensions.iter().filter(|e| e.tag.get() != product_key::SUPERSEDES) {
        row(
            "Extension",
            format!(
                "{} ({}): {}",
                e.tag,
                if e.is_critical() { "critical" } else { "ignored" },
                hex::encode(&e.value)
            ),
        );
    }
    row(
        "Revocations",
        match revocations {
            Some(list) => format!("checked against list {} of {}", list.sequence, list.issued),
            None => "no list given: a revoked key would show as valid (give --revocations FILE or set \
                     VERIFIER_REVOCATIONS)"
                .into(),
        },
    );
    out
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
    })
}
