//! Writes the test vectors in `tests/vectors/` from the RFC 8032 TEST 1 key, so they can be
//! regenerated and reviewed: `cargo run -p product-key --features sign --example make_vectors`.
//! Output is deterministic; a diff after regenerating is a change of behaviour.

use std::num::NonZeroU8;
use std::path::PathBuf;

use ed25519_dalek::SigningKey;
use product_key::{
    Check, Day, Expiry, Extension, FeatureSet, KeyId, Organization, Payload, Product, RevocationList, Seats,
    Serial, Signer, TrustedKeys, verify,
};
use serde_json::{Value, json};

#[path = "../tests/support/fields.rs"]
mod support;
use support::fields_of;

/// RFC 8032 section 7.1 TEST 1 secret key: the worked example's signer.
const TEST1: &str = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
/// RFC 8032 section 7.1 TEST 2 secret key: a signer nobody trusts.
const TEST2: &str = "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb";

fn signer(hex_secret: &str) -> Signer {
    let bytes: [u8; 32] = hex::decode(hex_secret).expect("hex").try_into().expect("32 bytes");
    Signer::new(SigningKey::from_bytes(&bytes))
}

fn day(s: &str) -> Day {
    s.parse().expect("date")
}

fn example() -> Payload {
    Payload {
        key_id: KeyId([0; 4]),
        product: Product::new("AST").expect("product"),
        major: 8,
        serial: Serial::new(0x0123_4567_89ab_cdef).expect("serial"),
        issued: day("2026-11-28"),
        expires: Expiry::LastDay(day("2027-11-28")),
        seats: Seats::count(25).expect("seats"),
        features: FeatureSet::from_names(["dataflow", "workflow", "subflow"]).expect("features"),
        organization: Organization::canonicalize("Acme Analytics GmbH").expect("org"),
        extensions: Vec::new(),
    }
}

struct Vector {
    name: String,
    key: String,
    trusted: Vec<[u8; 32]>,
    org: Option<String>,
    at: Day,
    revocations: Option<String>,
}

struct Maker {
    test1: Signer,
    test2: Signer,
    out: Vec<Vector>,
}

impl Maker {
    fn add(&mut self, name: &str, key: String, org: Option<&str>, at: &str) {
        self.add_with(name, key, org, at, vec![self.test1.public_key()], None);
    }

    fn add_with(
        &mut self,
        name: &str,
        key: String,
        org: Option<&str>,
        at: &str,
        trusted: Vec<[u8; 32]>,
        revocations: Option<String>,
    ) {
        self.out.push(Vector {
            name: name.into(),
            key,
            trusted,
            org: org.map(Into::into),
            at: day(at),
            revocations,
        });
    }

    fn issue(&self, edit: impl FnOnce(&mut Payload)) -> String {
        let mut p = example();
        edit(&mut p);
        self.test1.issue(&mut p).expect("valid payload")
    }

    /// Signs raw bytes made from the example's payload by `edit`, bypassing every check.
    fn raw(&self, edit: impl FnOnce(&mut Vec<u8>)) -> String {
        let mut p = example();
        p.key_id = self.test1.key_id();
        let mut bytes = p.to_bytes().expect("encodable");
        edit(&mut bytes);
        self.test1.sign_payload_bytes("AST", 8, &bytes)
    }
}

/// Decodes the body of a key, lets `edit` change the blob, recomputes the CRC and re-encodes.
fn tamper(key: &str, edit: impl FnOnce(&mut Vec<u8>)) -> String {
    let decoded = product_key::text::decode(key).expect("decodable");
    let mut signed = decoded.payload_bytes.clone();
    signed.extend_from_slice(&decoded.signature);
    edit(&mut signed);
    let (payload, sig) = signed.split_at(signed.len() - 64);
    let sig: [u8; 64] = sig.try_into().expect("64");
    product_key::raw::encode("AST", 8, &product_key::raw::blob(payload, &sig))
}

fn replace_char(key: &str, index: usize, c: char) -> String {
    key.chars().enumerate().map(|(i, k)| if i == index { c } else { k }).collect()
}

fn main() {
    let dir = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors"));
    let mut m = Maker { test1: signer(TEST1), test2: signer(TEST2), out: Vec::new() };
    let k = m.issue(|_| {});
    let body_start = k.find('-').expect("prefix") + 1;

    // The worked example and the plain statuses.
    m.add("worked_example", k.clone(), Some("ACME  analytics gmbh"), "2027-01-01");
    m.add("worked_example_no_org", k.clone(), None, "2027-01-01");
    m.add("last_valid_day", k.clone(), None, "2027-11-28");
    m.add("expired_day_after", k.clone(), None, "2027-11-29");
    m.add("issued_tomorrow_is_accepted", k.clone(), None, "2026-11-27");
    m.add("not_yet_valid", k.clone(), None, "2026-11-26");
    m.add("org_mismatch", k.clone(), Some("Acme Corp"), "2027-01-01");
    m.add("org_punctuation_counts", k.clone(), Some("Acme Analytics GmbH."), "2027-01-01");
    m.add("org_empty_entered_matches_nothing", k.clone(), Some(""), "2027-01-01");
    m.add("order_expired_before_org_mismatch", k.clone(), Some("Acme Corp"), "2028-01-01");

    // Seats and validity.
    m.add("seats_unlimited", m.issue(|p| p.seats = Seats::Unlimited), None, "2027-01-01");
    m.add("seats_one", m.issue(|p| p.seats = Seats::count(1).expect("1")), None, "2027-01-01");
    m.add("seats_65534", m.issue(|p| p.seats = Seats::count(65534).expect("65534")), None, "2027-01-01");
    m.add("perpetual", m.issue(|p| p.expires = Expiry::Perpetual), None, "2149-06-06");
    m.add("all_features", m.issue(|p| p.features = FeatureSet::all()), None, "2027-01-01");
    m.add(
        "unknown_feature_bits",
        m.issue(|p| p.features = FeatureSet::from_bits(1 | 1 << 12 | 1 << 40 | 1 << 63)),
        None,
        "2027-01-01",
    );

    // Organizations beyond ASCII.
    let cafe = m.issue(|p| p.organization = Organization::canonicalize("Café Müller GmbH").expect("org"));
    m.add("org_nfc_key_decomposed_entry", cafe.clone(), Some("CAFE\u{301} MU\u{308}LLER GMBH"), "2027-01-01");
    m.add("org_decomposed_entry_without_accent", cafe, Some("CAFE MULLER GMBH"), "2027-01-01");
    let decomposed = m
        .issue(|p| p.organization = Organization::canonicalize("Cafe\u{301} Zu\u{308}rich AG").expect("org"));
    m.add("org_decomposed_issue_is_stored_nfc", decomposed, Some("café zürich ag"), "2027-01-01");
    m.add(
        "org_german_sharp_s",
        m.issue(|p| p.organization = Organization::canonicalize("Straße AG").expect("org")),
        Some("STRASSE AG"),
        "2027-01-01",
    );
    m.add(
        "org_japanese_ideographic_space",
        m.issue(|p| p.organization = Organization::canonicalize("データ統合 株式会社").expect("org")),
        Some("データ統合\u{3000}株式会社"),
        "2027-01-01",
    );
    m.add(
        "org_greek_final_sigma",
        m.issue(|p| p.organization = Organization::canonicalize("ΟΔΟΣ ΑΕ").expect("org")),
        Some("οδος αε"),
        "2027-01-01",
    );
    m.add(
        "org_greek_other_word",
        m.issue(|p| p.organization = Organization::canonicalize("ΟΔΟΣ ΑΕ").expect("org")),
        Some("οδοι αε"),
        "2027-01-01",
    );

    // Lenient reading.
    m.add("lenient_lower_case", k.to_lowercase(), Some("Acme Analytics GmbH"), "2027-01-01");
    let oil: String = k
        .chars()
        .enumerate()
        .map(|(i, c)| match c {
            '0' if i >= body_start => 'O',
            '1' if i >= body_start && i % 2 == 0 => 'I',
            '1' if i >= body_start => 'l',
            c => c,
        })
        .collect();
    m.add("lenient_o_i_l", oil, None, "2027-01-01");
    let wrapped: String = k
        .chars()
        .collect::<Vec<_>>()
        .chunks(37)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("\r\n  ");
    m.add("lenient_line_breaks", format!("  {wrapped}\n"), None, "2027-01-01");
    m.add("lenient_missing_dashes", format!("AST8-{}", k[body_start..].replace('-', "")), None, "2027-01-01");
    m.add("lenient_lower_case_prefix", format!("ast8-{}", &k[body_start..]), None, "2027-01-01");

    // Malformed text.
    m.add("bad_character_u", replace_char(&k, 20, 'U'), None, "2027-01-01");
    m.add("bad_character_symbol", replace_char(&k, 30, '*'), None, "2027-01-01");
    m.add(
        "crc_damage_one_character",
        replace_char(&k, 40, if k.chars().nth(40) == Some('7') { '8' } else { '7' }),
        None,
        "2027-01-01",
    );
    // The worked example fills its last character exactly; one more byte of organization
    // leaves 2 padding bits in the last character.
    let padded =
        m.issue(|p| p.organization = Organization::canonicalize("Acme Analytics GmbH.").expect("org"));
    let padding_bits = 5 * padded[body_start..].replace('-', "").len()
        - 8 * product_key::text::decode(&padded).expect("ok").blob().len();
    assert!(padding_bits > 0, "the key has padding bits to damage");
    let last = padded.chars().last().expect("last");
    let bad_last = if last == '1' { '0' } else { '1' }; // '1' sets the lowest bit, a padding bit
    m.add("bad_padding", format!("{}{}", &padded[..padded.len() - 1], bad_last), None, "2027-01-01");
    m.add("truncated_last_group", k[..k.rfind('-').expect("group")].to_string(), None, "2027-01-01");
    m.add("empty", String::new(), None, "2027-01-01");
    m.add("prefix_major_leading_zero", format!("AST08-{}", &k[body_start..]), None, "2027-01-01");
    m.add("prefix_disagrees_with_payload", format!("AST7-{}", &k[body_start..]), None, "2027-01-01");
    m.add("prefix_missing_dash", format!("AST8{}", &k[body_start..]), None, "2027-01-01");
    m.add(
        "field_rule_seats_zero",
        m.raw(|b| {
            let o = 6 + 3 + 1 + 8 + 4;
            b[o] = 0;
            b[o + 1] = 0;
        }),
        None,
        "2027-01-01",
    );
    m.add(
        "field_rule_expires_before_issued",
        m.raw(|b| {
            let o = 6 + 3 + 1 + 8 + 2;
            b[o] = 0;
            b[o + 1] = 1;
        }),
        None,
        "2027-01-01",
    );
    m.add(
        "field_rule_org_not_canonical",
        m.raw(|b| {
            let n = b.len();
            b[n - 10] = b' ';
            b[n - 9] = b' ';
        }),
        None,
        "2027-01-01",
    );
    m.add("field_rule_unknown_format", m.raw(|b| b[0] = 2), None, "2027-01-01");
    m.add("field_rule_extension_tag_zero", m.raw(|b| b.extend_from_slice(&[0, 1, 9])), None, "2027-01-01");
    m.add(
        "field_rule_extensions_not_ascending",
        m.raw(|b| b.extend_from_slice(&[5, 0, 3, 0])),
        None,
        "2027-01-01",
    );
    m.add("field_rule_extension_overruns", m.raw(|b| b.extend_from_slice(&[5, 4, 1, 2])), None, "2027-01-01");

    m.add(
        "field_rule_org_decomposed",
        m.raw(|b| {
            // The final 'H' becomes a decomposed e-acute (e + U+0301): NFD text, which a payload
            // may not hold and the generator never signs.
            let n = b.len();
            b.truncate(n - 1);
            b.extend_from_slice("e\u{301}".as_bytes());
            let len_at = 6 + 3 + 1 + 8 + 2 + 2 + 2 + 8;
            b[len_at] += 2;
        }),
        None,
        "2027-01-01",
    );
    m.add("field_rule_product_lower_case", m.raw(|b| b[6..9].copy_from_slice(b"ast")), None, "2027-01-01");
    m.add("field_rule_serial_zero", m.raw(|b| b[10..18].fill(0)), None, "2027-01-01");
    m.add("field_rule_extension_header_cut", m.raw(|b| b.push(5)), None, "2027-01-01");
    m.add("lenient_spaces_in_prefix", format!("A S T 8 - {}", &k[body_start..]), None, "2027-01-01");
    m.add("lenient_no_break_spaces", k.replace('-', "\u{a0}").replacen('\u{a0}', "-", 1), None, "2027-01-01");
    m.add("bad_character_zero_width_space", k.replacen("-3H6GB", "-3H6\u{200b}GB", 1), None, "2027-01-01");
    m.add("prefix_names_other_product", format!("ETL8-{}", &k[body_start..]), None, "2027-01-01");
    m.add("org_entered_with_tab_and_line_break", k.clone(), Some("\tAcme\tAnalytics\r\nGmbH "), "2027-01-01");
    m.add("org_entered_with_control_character", k.clone(), Some("Acme Analytics\u{7}GmbH"), "2027-01-01");
    let one_day = m.issue(|p| p.expires = Expiry::LastDay(p.issued));
    m.add("one_day_key_on_its_day", one_day.clone(), None, "2026-11-28");
    m.add("one_day_key_the_day_after", one_day, None, "2026-11-29");

    // Genuineness.
    m.add(
        "forged_signature_bit",
        tamper(&k, |b| {
            let n = b.len();
            b[n - 40] ^= 0x10;
        }),
        None,
        "2027-01-01",
    );
    m.add(
        "forged_payload_more_seats",
        tamper(&k, |b| {
            let o = 6 + 3 + 1 + 8 + 4;
            b[o] = 0x27;
            b[o + 1] = 0x0f;
        }),
        None,
        "2027-01-01",
    );
    m.add(
        "signature_s_not_reduced",
        tamper(&k, |b| {
            // S + L, the same scalar modulo the group order: refused by strict verification.
            const L: [u8; 32] = [
                0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde,
                0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
            ];
            let n = b.len();
            let s = &mut b[n - 32..];
            let mut carry = 0u16;
            for i in 0..32 {
                let v = u16::from(s[i]) + u16::from(L[i]) + carry;
                s[i] = v as u8;
                carry = v >> 8;
            }
        }),
        None,
        "2027-01-01",
    );
    m.add(
        "signature_small_order_r",
        tamper(&k, |b| {
            // R = the identity point, S = 0: a "signature" that lax verifiers may accept.
            let n = b.len();
            b[n - 64..].fill(0);
            b[n - 64] = 1;
        }),
        None,
        "2027-01-01",
    );
    let mut other = example();
    let unknown = m.test2.issue(&mut other).expect("valid");
    m.add("unknown_key_id", unknown.clone(), None, "2027-01-01");
    m.add_with(
        "rotation_old_and_new_trusted",
        unknown,
        None,
        "2027-01-01",
        vec![m.test1.public_key(), m.test2.public_key()],
        None,
    );
    m.add(
        "order_forged_before_wrong_product",
        tamper(&m.issue(|p| p.major = 7), |b| {
            let n = b.len();
            b[n - 1] ^= 1;
        })
        .replacen("AST8", "AST7", 1),
        None,
        "2027-01-01",
    );

    // Other products, versions and extensions.
    m.add("version_7_key", m.issue(|p| p.major = 7), None, "2027-01-01");
    m.add(
        "other_product",
        m.issue(|p| p.product = Product::new("ETL").expect("product")),
        None,
        "2027-01-01",
    );
    m.add("order_wrong_product_before_expired", m.issue(|p| p.major = 7), Some("Nobody"), "2030-01-01");
    let ext =
        |tag: u8, value: &[u8]| Extension { tag: NonZeroU8::new(tag).expect("tag"), value: value.to_vec() };
    m.add(
        "unknown_noncritical_extension",
        m.issue(|p| p.extensions = vec![ext(5, b"future")]),
        None,
        "2027-01-01",
    );
    m.add(
        "unknown_critical_extension",
        m.issue(|p| p.extensions = vec![ext(5, b""), ext(0x81, &[1, 2])]),
        None,
        "2027-01-01",
    );

    // Revocation.
    let list = |serials: &[u64]| {
        let serials = serials.iter().map(|s| Serial::new(*s).expect("serial")).collect();
        let mut l = RevocationList::new(
            KeyId([0; 4]),
            Product::new("AST").expect("p"),
            3,
            day("2027-01-01"),
            serials,
        );
        m.test1.sign_revocations(&mut l)
    };
    let (revoked, not_listed) = (list(&[5, 0x0123_4567_89ab_cdef, u64::MAX]), list(&[5, 6]));
    m.add_with("revoked", k.clone(), None, "2027-01-01", vec![m.test1.public_key()], Some(revoked.clone()));
    m.add_with(
        "revocation_list_not_naming_key",
        k.clone(),
        None,
        "2027-01-01",
        vec![m.test1.public_key()],
        Some(not_listed),
    );
    m.add_with(
        "order_revoked_before_expired",
        k.clone(),
        None,
        "2030-01-01",
        vec![m.test1.public_key()],
        Some(revoked),
    );

    std::fs::create_dir_all(&dir).expect("create vector folder");
    for v in &m.out {
        let json = render(v);
        let path = dir.join(format!("{}.json", v.name));
        std::fs::write(&path, json).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    }
    eprintln!("wrote {} vectors to {}", m.out.len(), dir.display());
}

/// The vector with the library's verdict, printed for review (a reviewer checks each
/// status against the spec; the test then holds the library to it).
fn render(v: &Vector) -> String {
    let mut trusted = TrustedKeys::new();
    for k in &v.trusted {
        trusted.add(k).expect("trusted key");
    }
    let list = v.revocations.as_ref().map(|t| RevocationList::open(t, &trusted, "AST").expect("list"));
    let verdict = verify(
        &v.key,
        &trusted,
        &Check { at: v.at, organization: v.org.as_deref(), revocations: list.as_ref() },
    );
    let fields = fields_of(&verdict);
    let mut obj = json!({
        "name": v.name,
        "key": v.key,
        "trusted_public_keys": v.trusted.iter().map(hex::encode).collect::<Vec<_>>(),
        "org": v.org,
        "at": v.at.to_string(),
        "status": verdict.status().name(),
        "fields": fields.unwrap_or(Value::Null),
    });
    if let Some(list) = &v.revocations {
        obj["revocations"] = Value::String(list.clone());
    }
    let mut s = serde_json::to_string_pretty(&obj).expect("json");
    s.push('\n');
    s
}
