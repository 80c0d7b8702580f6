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
use support::{fields_of, found_of};

/// RFC 8032 section 7.1 TEST 1 secret key: the worked example's signer.
const TEST1: &str = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
/// The TEST 1 public key.
const TEST1_PUBLIC: [u8; 32] = [
    0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7, 0xd5, 0x4b, 0xfe, 0xd3, 0xc9, 0x64, 0x07, 0x3a, 0x0e,
    0xe1, 0x72, 0xf3, 0xda, 0xa6, 0x23, 0x25, 0xaf, 0x02, 0x1a, 0x68, 0xf7, 0x07, 0x51, 0x1a,
];
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
    /// The verdict declared by hand: a status, or `malformed/KIND` with the error's kind.
    expect: &'static str,
}

struct Maker {
    test1: Signer,
    test2: Signer,
    out: Vec<Vector>,
}

impl Maker {
    fn add(&mut self, name: &str, key: String, org: Option<&str>, at: &str, expect: &'static str) {
        let trusted = vec![self.test1.public_key()];
        self.add_with(name, key, (org, at), trusted, None, expect);
    }

    /// [`Maker::add`] with other trusted keys or a revocation list; `check` is the entered
    /// organization and the checking day.
    fn add_with(
        &mut self,
        name: &str,
        key: String,
        (org, at): (Option<&str>, &str),
        trusted: Vec<[u8; 32]>,
        revocations: Option<String>,
        expect: &'static str,
    ) {
        assert!(!self.out.iter().any(|v| v.name == name), "two vectors named {name}");
        self.out.push(Vector {
            name: name.into(),
            key,
            trusted,
            org: org.map(Into::into),
            at: day(at),
            revocations,
            expect,
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
    m.add("worked_example", k.clone(), Some("ACME  analytics gmbh"), "2027-01-01", "valid");
    m.add("worked_example_no_org", k.clone(), None, "2027-01-01", "valid");
    m.add("last_valid_day", k.clone(), None, "2027-11-28", "valid");
    m.add("expired_day_after", k.clone(), None, "2027-11-29", "expired");
    m.add("issued_tomorrow_is_accepted", k.clone(), None, "2026-11-27", "valid");
    m.add("not_yet_valid", k.clone(), None, "2026-11-26", "not_yet_valid");
    m.add("org_mismatch", k.clone(), Some("Acme Corp"), "2027-01-01", "org_mismatch");
    m.add("org_punctuation_ignored", k.clone(), Some("Acme Analytics GmbH."), "2027-01-01", "valid");
    m.add("org_empty_entered_matches_nothing", k.clone(), Some(""), "2027-01-01", "org_mismatch");
    m.add("order_expired_before_org_mismatch", k.clone(), Some("Acme Corp"), "2028-01-01", "expired");

    // Seats and validity.
    m.add("seats_unlimited", m.issue(|p| p.seats = Seats::Unlimited), None, "2027-01-01", "valid");
    m.add("seats_one", m.issue(|p| p.seats = Seats::count(1).expect("1")), None, "2027-01-01", "valid");
    m.add(
        "seats_65534",
        m.issue(|p| p.seats = Seats::count(65534).expect("65534")),
        None,
        "2027-01-01",
        "valid",
    );
    m.add("perpetual", m.issue(|p| p.expires = Expiry::Perpetual), None, "2149-06-06", "valid");
    m.add("all_features", m.issue(|p| p.features = FeatureSet::all()), None, "2027-01-01", "valid");
    m.add(
        "unknown_feature_bits",
        m.issue(|p| p.features = FeatureSet::from_bits(1 | 1 << 12 | 1 << 40 | 1 << 63)),
        None,
        "2027-01-01",
        "valid",
    );

    // Organizations beyond ASCII.
    let cafe = m.issue(|p| p.organization = Organization::canonicalize("Café Müller GmbH").expect("org"));
    m.add(
        "org_nfc_key_decomposed_entry",
        cafe.clone(),
        Some("CAFE\u{301} MU\u{308}LLER GMBH"),
        "2027-01-01",
        "valid",
    );
    m.add("org_decomposed_entry_without_accent", cafe, Some("CAFE MULLER GMBH"), "2027-01-01", "valid");
    let decomposed = m
        .issue(|p| p.organization = Organization::canonicalize("Cafe\u{301} Zu\u{308}rich AG").expect("org"));
    m.add("org_decomposed_issue_is_stored_nfc", decomposed, Some("café zürich ag"), "2027-01-01", "valid");
    m.add(
        "org_german_sharp_s",
        m.issue(|p| p.organization = Organization::canonicalize("Straße AG").expect("org")),
        Some("STRASSE AG"),
        "2027-01-01",
        "valid",
    );
    m.add(
        "org_japanese_ideographic_space",
        m.issue(|p| p.organization = Organization::canonicalize("データ統合 株式会社").expect("org")),
        Some("データ統合\u{3000}株式会社"),
        "2027-01-01",
        "valid",
    );
    m.add(
        "org_greek_final_sigma",
        m.issue(|p| p.organization = Organization::canonicalize("ΟΔΟΣ ΑΕ").expect("org")),
        Some("οδος αε"),
        "2027-01-01",
        "valid",
    );
    m.add(
        "org_greek_other_word",
        m.issue(|p| p.organization = Organization::canonicalize("ΟΔΟΣ ΑΕ").expect("org")),
        Some("οδοι αε"),
        "2027-01-01",
        "org_mismatch",
    );

    // Lenient reading.
    m.add("lenient_lower_case", k.to_lowercase(), Some("Acme Analytics GmbH"), "2027-01-01", "valid");
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
    m.add("lenient_o_i_l", oil, None, "2027-01-01", "valid");
    let wrapped: String = k
        .chars()
        .collect::<Vec<_>>()
        .chunks(37)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("\r\n  ");
    m.add("lenient_line_breaks", format!("  {wrapped}\n"), None, "2027-01-01", "valid");
    m.add(
        "lenient_missing_dashes",
        format!("AST8-{}", k[body_start..].replace('-', "")),
        None,
        "2027-01-01",
        "valid",
    );
    m.add("lenient_lower_case_prefix", format!("ast8-{}", &k[body_start..]), None, "2027-01-01", "valid");

    // Malformed text.
    m.add("bad_character_u", replace_char(&k, 20, 'U'), None, "2027-01-01", "malformed/character");
    m.add("bad_character_symbol", replace_char(&k, 30, '*'), None, "2027-01-01", "malformed/length");
    m.add(
        "crc_damage_one_character",
        // Character 42 is a body character (41 is a dash: replacing it added a character,
        // which the declared verdict caught).
        replace_char(&k, 41, if k.chars().nth(41) == Some('7') { '8' } else { '7' }),
        None,
        "2027-01-01",
        "malformed/checksum",
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
    m.add(
        "bad_padding",
        format!("{}{}", &padded[..padded.len() - 1], bad_last),
        None,
        "2027-01-01",
        "malformed/padding",
    );
    m.add(
        "truncated_last_group",
        k[..k.rfind('-').expect("group")].to_string(),
        None,
        "2027-01-01",
        "malformed/length",
    );
    m.add("empty", String::new(), None, "2027-01-01", "malformed/empty");
    m.add(
        "prefix_major_leading_zero",
        format!("AST08-{}", &k[body_start..]),
        None,
        "2027-01-01",
        "malformed/prefix",
    );
    m.add(
        "prefix_disagrees_with_payload",
        format!("AST7-{}", &k[body_start..]),
        None,
        "2027-01-01",
        "malformed/prefix_mismatch",
    );
    // Revision 3: the product code and the major directly followed by the body reads.
    m.add("prefix_missing_dash", format!("AST8{}", &k[body_start..]), None, "2027-01-01", "valid");
    // Another vendor's key: no prefix of this product, and none that reads (issue 20).
    m.add(
        "not_a_key_of_this_product",
        "Q7KX2-9PLMW-4RT8B-HJ3VC-YK6DM".into(),
        None,
        "2027-01-01",
        "malformed/prefix",
    );
    m.add(
        "field_rule_seats_zero",
        m.raw(|b| {
            let o = 6 + 3 + 1 + 8 + 4;
            b[o] = 0;
            b[o + 1] = 0;
        }),
        None,
        "2027-01-01",
        "malformed/field",
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
        "malformed/field",
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
        "malformed/field",
    );
    m.add("field_rule_unknown_format", m.raw(|b| b[0] = 2), None, "2027-01-01", "malformed/field");
    m.add(
        "field_rule_extension_tag_zero",
        m.raw(|b| b.extend_from_slice(&[0, 1, 9])),
        None,
        "2027-01-01",
        "malformed/field",
    );
    m.add(
        "field_rule_extensions_not_ascending",
        m.raw(|b| b.extend_from_slice(&[5, 0, 3, 0])),
        None,
        "2027-01-01",
        "malformed/field",
    );
    m.add(
        "field_rule_extension_overruns",
        m.raw(|b| b.extend_from_slice(&[5, 4, 1, 2])),
        None,
        "2027-01-01",
        "malformed/field",
    );

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
        "malformed/field",
    );
    m.add(
        "field_rule_product_lower_case",
        m.raw(|b| b[6..9].copy_from_slice(b"ast")),
        None,
        "2027-01-01",
        "malformed/field",
    );
    m.add("field_rule_serial_zero", m.raw(|b| b[10..18].fill(0)), None, "2027-01-01", "malformed/field");
    m.add("field_rule_extension_header_cut", m.raw(|b| b.push(5)), None, "2027-01-01", "malformed/field");
    m.add("lenient_spaces_in_prefix", format!("A S T 8 - {}", &k[body_start..]), None, "2027-01-01", "valid");
    m.add(
        "lenient_no_break_spaces",
        k.replace('-', "\u{a0}").replacen('\u{a0}', "-", 1),
        None,
        "2027-01-01",
        "valid",
    );
    m.add(
        "pasted_zero_width_space_inside",
        k.replacen("-3H6GB", "-3H6\u{200b}GB", 1),
        None,
        "2027-01-01",
        "valid",
    );
    m.add(
        "prefix_names_other_product",
        format!("ETL8-{}", &k[body_start..]),
        None,
        "2027-01-01",
        "malformed/prefix_mismatch",
    );
    m.add(
        "org_entered_with_tab_and_line_break",
        k.clone(),
        Some("\tAcme\tAnalytics\r\nGmbH "),
        "2027-01-01",
        "valid",
    );
    m.add(
        "org_entered_with_control_character",
        k.clone(),
        Some("Acme Analytics\u{7}GmbH"),
        "2027-01-01",
        "valid",
    );
    let one_day = m.issue(|p| p.expires = Expiry::LastDay(p.issued));
    m.add("one_day_key_on_its_day", one_day.clone(), None, "2026-11-28", "valid");
    m.add("one_day_key_the_day_after", one_day, None, "2026-11-29", "expired");

    // Genuineness.
    m.add(
        "forged_signature_bit",
        tamper(&k, |b| {
            let n = b.len();
            b[n - 40] ^= 0x10;
        }),
        None,
        "2027-01-01",
        "not_genuine",
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
        "not_genuine",
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
        "not_genuine",
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
        "not_genuine",
    );
    let mut other = example();
    let unknown = m.test2.issue(&mut other).expect("valid");
    m.add("unknown_key_id", unknown.clone(), None, "2027-01-01", "not_genuine");
    m.add_with(
        "rotation_old_and_new_trusted",
        unknown,
        (None, "2027-01-01"),
        vec![m.test1.public_key(), m.test2.public_key()],
        None,
        "valid",
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
        "not_genuine",
    );

    // Other products, versions and extensions.
    m.add("version_7_key", m.issue(|p| p.major = 7), None, "2027-01-01", "wrong_product");
    m.add(
        "other_product",
        m.issue(|p| p.product = Product::new("ETL").expect("product")),
        None,
        "2027-01-01",
        "wrong_product",
    );
    m.add(
        "order_wrong_product_before_expired",
        m.issue(|p| p.major = 7),
        Some("Nobody"),
        "2030-01-01",
        "wrong_product",
    );
    let ext =
        |tag: u8, value: &[u8]| Extension { tag: NonZeroU8::new(tag).expect("tag"), value: value.to_vec() };
    m.add(
        "unknown_noncritical_extension",
        m.issue(|p| p.extensions = vec![ext(5, b"future")]),
        None,
        "2027-01-01",
        "valid",
    );
    m.add(
        "unknown_critical_extension",
        m.issue(|p| p.extensions = vec![ext(5, b""), ext(0x81, &[1, 2])]),
        None,
        "2027-01-01",
        "wrong_product",
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
    m.add_with(
        "revoked",
        k.clone(),
        (None, "2027-01-01"),
        vec![m.test1.public_key()],
        Some(revoked.clone()),
        "revoked",
    );
    m.add_with(
        "revocation_list_not_naming_key",
        k.clone(),
        (None, "2027-01-01"),
        vec![m.test1.public_key()],
        Some(not_listed),
        "valid",
    );
    m.add_with(
        "order_revoked_before_expired",
        k.clone(),
        (None, "2030-01-01"),
        vec![m.test1.public_key()],
        Some(revoked),
        "revoked",
    );

    revision_2(&mut m, &k);
    revision_3(&mut m, &k);
    let lists = revocation_vectors(&m);

    let rendered: Vec<Result<String, String>> = m.out.iter().map(render).collect();
    let wrong: Vec<&String> = rendered.iter().filter_map(|r| r.as_ref().err()).collect();
    if !wrong.is_empty() {
        eprintln!("the library disagrees with {} declared verdict(s):", wrong.len());
        for w in wrong {
            eprintln!("  {w}");
        }
        std::process::exit(1);
    }
    std::fs::create_dir_all(dir.join("revocations")).expect("create vector folders");
    for (v, json) in m.out.iter().zip(rendered.into_iter().flatten()) {
        let path = dir.join(format!("{}.json", v.name));
        std::fs::write(&path, json).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    }
    for (name, json) in &lists {
        let path = dir.join("revocations").join(format!("{name}.json"));
        std::fs::write(&path, json).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    }
    eprintln!("wrote {} key vectors and {} list vectors to {}", m.out.len(), lists.len(), dir.display());
}

/// The vector as JSON, after checking that the library reaches the verdict declared by hand
/// (`expect`); a disagreement is returned, and no vector is written.
fn render(v: &Vector) -> Result<String, String> {
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
    let (status, error) = match v.expect.split_once('/') {
        Some((status, kind)) => (status, Some(kind)),
        None => (v.expect, None),
    };
    let got_error = match &verdict.finding {
        product_key::Finding::Malformed(e) => Some(e.kind()),
        _ => None,
    };
    if verdict.status().name() != status || got_error != error {
        return Err(format!(
            "{}: declared {}, the library says {}{} ({})",
            v.name,
            v.expect,
            verdict.status(),
            got_error.map(|k| format!("/{k}")).unwrap_or_default(),
            verdict.finding
        ));
    }
    let mut obj = json!({
        "name": v.name,
        "key": v.key,
        "trusted_public_keys": v.trusted.iter().map(hex::encode).collect::<Vec<_>>(),
        "org": v.org,
        "at": v.at.to_string(),
        "status": status,
        "fields": fields_of(&verdict).unwrap_or(Value::Null),
        "found": found_of(&verdict),
    });
    if let Some(kind) = error {
        obj["error"] = Value::String(kind.to_owned());
    }
    if let Some(list) = &v.revocations {
        obj["revocations"] = Value::String(list.clone());
    }
    let mut s = serde_json::to_string_pretty(&obj).expect("json");
    s.push('\n');
    Ok(s)
}

/// The vectors of format revision 2: keys read out of pasted text, keys of other major
/// versions, the organization match form, and the `supersedes` extension.
fn revision_2(m: &mut Maker, k: &str) {
    let at = "2027-01-01";
    let groups: Vec<&str> = k.split('-').collect();
    let (l1, l2, l3) = (groups[..14].join("-"), groups[14..28].join("-"), groups[28..].join("-"));

    // A key inside what customers paste.
    m.add("paste_label_before", format!("Lizenzschlüssel: {k}"), None, at, "valid");
    m.add("paste_in_quotes", format!("\"{k}\""), None, at, "valid");
    m.add("paste_in_typographic_quotes", format!("„{k}“"), None, at, "valid");
    m.add("paste_in_angle_brackets", format!("<{k}>"), None, at, "valid");
    m.add("paste_in_parentheses_after_a_label", format!("(key: {k})"), None, at, "valid");
    m.add("paste_full_stop_after", format!("Your key is {k}."), None, at, "valid");
    m.add("paste_trailing_word", format!("{k} Thanks!"), None, at, "valid");
    m.add("paste_trailing_word_with_u", format!("{k} USD 4,500"), None, at, "valid");
    m.add(
        "paste_email_quoting_over_lines",
        format!("> Hello,\n> here is your key:\n> {l1}-\n> {l2}-\n>   {l3}\n> \n> Regards,\n> Sales"),
        Some("Acme Analytics GmbH"),
        at,
        "valid",
    );
    m.add(
        "paste_email_quoting_nested_crlf",
        format!(">> {l1}\r\n>> > -{l2}\r\n>>-{l3}\r\n"),
        None,
        at,
        "valid",
    );
    m.add("paste_en_dashes", k.replace('-', "\u{2013}"), None, at, "valid");
    m.add("paste_em_dashes", k.replace('-', "\u{2014}"), None, at, "valid");
    let mixed: String = k
        .split('-')
        .enumerate()
        .map(|(i, g)| match i {
            0 => g.to_owned(),
            i if i % 3 == 0 => format!("\u{2212}{g}"),
            i if i % 3 == 1 => format!("\u{ff0d}{g}"),
            _ => format!("\u{2010}{g}"),
        })
        .collect();
    m.add("paste_minus_signs_fullwidth_and_unicode_hyphens", mixed, None, at, "valid");
    for (name, c) in [
        ("paste_zero_width_space", '\u{200b}'),
        ("paste_zero_width_non_joiner", '\u{200c}'),
        ("paste_zero_width_joiner", '\u{200d}'),
        ("paste_word_joiner", '\u{2060}'),
        ("paste_byte_order_mark", '\u{feff}'),
    ] {
        let text = format!(
            "{c}{}",
            k.replacen("AST8-", &format!("AST8-{c}"), 1).replace("-3H6GB", &format!("-3H{c}6GB{c}"))
        );
        m.add(name, text, None, at, "valid");
    }
    m.add("paste_line_separator_inside", k.replacen("-3H6GB", "\u{2028}3H6GB", 1), None, at, "valid");
    m.add("paste_prefix_like_word_before", format!("Your AST8-key for AST8 is:\n{k}"), None, at, "valid");
    m.add("paste_empty_line_then_signature", format!("{k}\n\nBest regards\nJohn Smith"), None, at, "valid");
    m.add("paste_key_twice_first_wins", format!("{k}\n{k}"), None, at, "valid");
    let typo = replace_char(k, 101, 'G');
    m.add(
        "paste_typo_inside_an_email",
        format!("Dear support,\n\nmy key is {typo}\n  \nKind regards,\nHans"),
        None,
        at,
        "malformed/checksum",
    );
    m.add("paste_typo_then_words_on_the_same_line", format!("{typo} thanks"), None, at, "malformed/length");
    m.add("paste_quote_marker_inside_a_line", format!("{l1} > {l2}-{l3}"), None, at, "malformed/length");
    m.add("paste_sixteenth_candidate_is_read", format!("{}{k}", "AST8-. ".repeat(15)), None, at, "valid");
    m.add(
        "paste_seventeenth_candidate_is_not_read",
        format!("{}{k}", "AST8-. ".repeat(16)),
        None,
        at,
        "malformed/length",
    );
    m.add(
        "paste_candidate_needs_a_word_boundary",
        format!("XAST8-{}", &k[5..]),
        None,
        at,
        "malformed/prefix_mismatch",
    );

    // Keys of other major versions, of another design.
    m.add(
        "version_7_key_of_another_design",
        "AST7-2F4K-9QW3-LM7P-X2D8-KK4N".into(),
        None,
        at,
        "wrong_product",
    );
    m.add("version_6_key_lower_case", "ast6-x2d8-kk4n-9qw3-2f4k".into(), None, at, "wrong_product");
    m.add("version_9_key_of_another_design", "AST9-QW3L-M7PX-2D8K".into(), None, at, "wrong_product");
    m.add(
        "version_7_key_in_an_email",
        "Hi,\nmy old key was AST7-2F4K-9QW3-LM7P-X2D8-KK4N.\nThanks".into(),
        Some("Acme"),
        at,
        "wrong_product",
    );
    m.add(
        "version_07_with_leading_zero",
        "AST07-2F4K-9QW3-LM7P-X2D8-KK4N".into(),
        None,
        at,
        "malformed/prefix",
    );
    m.add(
        "version_8_prefix_short_body",
        "AST8-2F4K-9QW3-LM7P-X2D8-KK4N".into(),
        None,
        at,
        "malformed/padding",
    );
    m.add(
        "version_7_key_then_version_8_key",
        format!("old: AST7-2F4K-9QW3-LM7P-X2D8-KK4N\nnew: {k}"),
        None,
        at,
        "valid",
    );

    // The organization match form.
    let issued_to =
        |m: &Maker, org: &str| m.issue(|p| p.organization = Organization::canonicalize(org).expect("org"));
    m.add("org_comma_and_case", k.to_owned(), Some("ACME analytics, gmbh"), at, "valid");
    m.add("org_hyphen_and_full_stop", k.to_owned(), Some("Acme-Analytics GmbH."), at, "valid");
    m.add("org_fullwidth_latin", k.to_owned(), Some("ＡＣＭＥ Ａｎａｌｙｔｉｃｓ ＧｍｂＨ"), at, "valid");
    m.add(
        "org_umlaut_typed_without",
        issued_to(m, "Müller Logistik GmbH"),
        Some("Muller Logistik GmbH"),
        at,
        "valid",
    );
    let yildiz = issued_to(m, "Yıldız Bilişim A.Ş.");
    m.add("org_turkish_dotted_capitals", yildiz.clone(), Some("YILDIZ BİLİŞİM A.Ş."), at, "valid");
    m.add("org_turkish_typed_in_ascii", yildiz.clone(), Some("Yildiz Bilisim AS"), at, "valid");
    m.add("org_turkish_other_name", yildiz, Some("Yilmaz Bilisim AS"), at, "org_mismatch");
    m.add("org_half_width_katakana", issued_to(m, "サクラデータ"), Some("ｻｸﾗﾃﾞｰﾀ"), at, "valid");
    m.add(
        "org_japanese_extra_space",
        issued_to(m, "株式会社サクラデータ"),
        Some("株式会社 サクラデータ"),
        at,
        "valid",
    );
    m.add("org_acme_inc_punctuated", issued_to(m, "Acme Inc"), Some("Acme, Inc."), at, "valid");
    m.add("org_ligature", issued_to(m, "Unified Data AG"), Some("Uniﬁed Data AG"), at, "valid");
    m.add("org_ag_is_not_gmbh", issued_to(m, "Acme GmbH"), Some("Acme AG"), at, "org_mismatch");
    m.add("org_punctuation_only", k.to_owned(), Some("... -- ,"), at, "org_mismatch");
    let padded = |bytes: usize| format!("Acme Analytics GmbH{}", " ".repeat(bytes - 19));
    m.add("org_entered_1024_bytes", k.to_owned(), Some(&padded(1024)), at, "valid");
    m.add("org_entered_1025_bytes", k.to_owned(), Some(&padded(1025)), at, "org_mismatch");

    // The supersedes extension.
    let replaced = Serial::new(0xfeed_face_1234_5678).expect("serial");
    m.add("supersedes_valid", m.issue(|p| p.set_supersedes(replaced)), None, at, "valid");
    m.add(
        "supersedes_beside_another_extension",
        m.issue(|p| {
            p.extensions = vec![Extension { tag: NonZeroU8::new(5).expect("tag"), value: b"x".to_vec() }];
            p.set_supersedes(replaced);
        }),
        None,
        at,
        "valid",
    );
    m.add(
        "supersedes_seven_bytes",
        m.raw(|b| b.extend_from_slice(&[1, 7, 1, 2, 3, 4, 5, 6, 7])),
        None,
        at,
        "malformed/field",
    );
    m.add(
        "supersedes_nine_bytes",
        m.raw(|b| b.extend_from_slice(&[1, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9])),
        None,
        at,
        "malformed/field",
    );
    m.add(
        "supersedes_zero",
        m.raw(|b| b.extend_from_slice(&[1, 8, 0, 0, 0, 0, 0, 0, 0, 0])),
        None,
        at,
        "malformed/field",
    );
    m.add(
        "supersedes_itself",
        m.raw(|b| {
            b.extend_from_slice(&[1, 8]);
            b.extend_from_slice(&0x0123_4567_89ab_cdef_u64.to_be_bytes());
        }),
        None,
        at,
        "malformed/field",
    );
}

/// The vectors of format revision 3: keys pasted with spaces for their dashes or with their
/// dashes removed, and organizations typed with the German and Nordic transliterations.
fn revision_3(m: &mut Maker, k: &str) {
    let at = "2027-01-01";
    let joined = k.replace('-', "");
    let spaced = k.replace('-', " ");
    let typo = replace_char(k, 101, 'G');

    // Spaces in place of the dashes: form (b) of the prefix.
    m.add("paste_spaces_for_dashes", spaced.clone(), None, at, "valid");
    m.add("paste_spaces_for_dashes_lower_case", spaced.to_lowercase(), None, at, "valid");
    m.add("paste_spaces_for_dashes_in_a_sentence", format!("Your key: {spaced}. Thanks!"), None, at, "valid");
    m.add("paste_no_break_spaces_for_dashes", k.replace('-', "\u{a0}"), None, at, "valid");
    m.add("paste_space_after_prefix_only", k.replacen('-', " ", 1), None, at, "valid");
    m.add("paste_line_break_after_prefix", k.replacen('-', "\n", 1), None, at, "valid");
    m.add(
        "paste_spaces_over_quoted_lines",
        format!("> {}\n> {}", &spaced[..118], &spaced[119..]),
        None,
        at,
        "valid",
    );
    m.add("paste_spaces_for_dashes_with_a_typo", typo.replace('-', " "), None, at, "malformed/checksum");
    m.add(
        "paste_space_form_word_before",
        format!("AST8 is installed on our server. The key: {spaced}"),
        None,
        at,
        "valid",
    );
    m.add(
        "paste_dash_form_preferred_for_the_error",
        format!("AST8 is installed, but this key fails: {typo}"),
        None,
        at,
        "malformed/checksum",
    );
    m.add(
        "paste_space_candidates_count_toward_sixteen",
        format!("{}{spaced}", "AST8 . ".repeat(16)),
        None,
        at,
        "malformed/length",
    );
    m.add(
        "paste_fifteen_space_candidates_then_the_key",
        format!("{}{spaced}", "AST8 . ".repeat(15)),
        None,
        at,
        "valid",
    );
    m.add("version_7_key_with_spaces", "AST7 2F4K 9QW3 LM7P X2D8 KK4N".into(), None, at, "wrong_product");

    // The dashes removed: form (c).
    m.add("paste_dashes_removed", joined.clone(), Some("Acme Analytics GmbH"), at, "valid");
    m.add("paste_dashes_removed_lower_case", joined.to_lowercase(), None, at, "valid");
    m.add("paste_dashes_removed_in_a_sentence", format!("Key:{joined}, valid until 2027"), None, at, "valid");
    m.add("paste_dashes_removed_then_a_word", format!("{joined} thanks"), None, at, "valid");
    m.add("paste_dashes_removed_with_a_typo", typo.replace('-', ""), None, at, "malformed/checksum");
    // "AST804 GZW...": form (b) with major 804 is tried first and has no sound start, then
    // form (c) at the same place, whose body starts with "04".
    m.add(
        "paste_digits_then_space_read_as_joined",
        format!("{} {}", &joined[..6], &joined[6..]),
        None,
        at,
        "valid",
    );
    m.add("paste_dashes_removed_needs_a_word_boundary", format!("X{joined}"), None, at, "malformed/prefix");
    m.add(
        "paste_dashes_removed_other_major",
        joined.replacen("AST8", "AST9", 1),
        None,
        at,
        "malformed/prefix",
    );

    // The transliterated form of organizations.
    let issued_to =
        |m: &Maker, org: &str| m.issue(|p| p.organization = Organization::canonicalize(org).expect("org"));
    let mueller = issued_to(m, "Müller Logistik GmbH");
    m.add("org_transliterated_mueller", mueller.clone(), Some("Mueller Logistik GmbH"), at, "valid");
    m.add("org_transliterated_capitals", mueller.clone(), Some("MUELLER LOGISTIK GMBH"), at, "valid");
    m.add("org_transliterated_ue_typed_as_u_e_apart", mueller, Some("Mu-eller Logistik"), at, "org_mismatch");
    m.add(
        "org_transliterated_aalborg",
        issued_to(m, "Ålborg Data ApS"),
        Some("Aalborg Data ApS"),
        at,
        "valid",
    );
    m.add(
        "org_transliterated_soerensen",
        issued_to(m, "Sørensen & Søn A/S"),
        Some("Soerensen & Soen A/S"),
        at,
        "valid",
    );
    m.add("org_transliterated_ae_ligature", issued_to(m, "Bæk Consult"), Some("Baek Consult"), at, "valid");
    m.add(
        "org_transliterated_oe_ligature",
        issued_to(m, "Cœur Systèmes"),
        Some("Coeur Systemes"),
        at,
        "valid",
    );
    m.add(
        "org_transliterated_capital_umlaut_in_the_key",
        issued_to(m, "ÜBERSEE HANDEL AG"),
        Some("Uebersee Handel AG"),
        at,
        "valid",
    );
    m.add(
        "org_transliterated_key_entered_with_umlaut",
        issued_to(m, "Mueller Logistik GmbH"),
        Some("Müller Logistik GmbH"),
        at,
        "valid",
    );
    m.add(
        "org_transliterated_not_without_umlaut",
        issued_to(m, "Muller Logistik GmbH"),
        Some("Mueller Logistik GmbH"),
        at,
        "org_mismatch",
    );
    // One form or the other, never a mix of the two in one name.
    m.add(
        "org_transliterated_forms_do_not_mix",
        issued_to(m, "Müller & Söhne KG"),
        Some("Mueller & Sohne KG"),
        at,
        "org_mismatch",
    );
}

/// Revocation list vectors (`tests/vectors/revocations/`): a list as a product receives it,
/// the highest sequence it has accepted before, and what it must make of it.
fn revocation_vectors(m: &Maker) -> Vec<(String, String)> {
    let secret = |hex_secret: &str| {
        let bytes: [u8; 32] = hex::decode(hex_secret).expect("hex").try_into().expect("32 bytes");
        SigningKey::from_bytes(&bytes)
    };
    let (test1, test2) = (secret(TEST1), secret(TEST2));
    let list = |product: &str, sequence: u32, serials: &[u64]| {
        RevocationList::new(
            m.test1.key_id(),
            Product::new(product).expect("product"),
            sequence,
            day("2027-01-01"),
            serials.iter().map(|s| Serial::new(*s).expect("serial")).collect(),
        )
        .to_bytes()
    };
    // Signs list bytes exactly as given (so that broken layouts carry good signatures).
    let signed = |key: &SigningKey, bytes: &[u8], damage: Option<usize>| {
        use ed25519_dalek::Signer as _;
        let mut out = bytes.to_vec();
        out.extend_from_slice(&key.sign(&product_key::raw::list_message(bytes)).to_bytes());
        if let Some(i) = damage {
            out[i] ^= 1;
        }
        product_key::raw::armour(&out)
    };
    let key_serial = 0x0123_4567_89ab_cdef;
    let good = list("AST", 3, &[5, key_serial, u64::MAX]);
    let mut by_test2 = good.clone();
    by_test2[1..5].copy_from_slice(&m.test2.key_id().0);
    let mut count_wrong = good.clone();
    let count_at = 1 + 4 + 1 + 3 + 4 + 2;
    count_wrong[count_at + 3] = 2;
    let mut unordered = list("AST", 3, &[5, 6]);
    let n = unordered.len();
    unordered[n - 1] = 4;
    let cases: Vec<(&str, String, &[u8; 32], u32, &str)> = vec![
        ("names_the_key", signed(&test1, &good, None), &TEST1_PUBLIC, 0, "ok"),
        ("first_list_empty", signed(&test1, &list("AST", 1, &[]), None), &TEST1_PUBLIC, 0, "ok"),
        ("same_sequence_as_seen", signed(&test1, &good, None), &TEST1_PUBLIC, 3, "ok"),
        ("newer_than_seen", signed(&test1, &good, None), &TEST1_PUBLIC, 2, "ok"),
        ("older_than_seen", signed(&test1, &good, None), &TEST1_PUBLIC, 4, "older"),
        (
            "wrapped_in_an_email_with_crlf",
            format!(
                "Dear customer,\r\n\r\n{}\r\nRegards\r\n",
                signed(&test1, &good, None).replace('\n', "\r\n  ")
            ),
            &TEST1_PUBLIC,
            0,
            "ok",
        ),
        ("no_armour", "revoked: 0123456789abcdef".into(), &TEST1_PUBLIC, 0, "malformed"),
        ("not_base64", signed(&test1, &good, None).replacen('A', "*", 1), &TEST1_PUBLIC, 0, "malformed"),
        ("count_disagrees", signed(&test1, &count_wrong, None), &TEST1_PUBLIC, 0, "malformed"),
        ("serials_not_ascending", signed(&test1, &unordered, None), &TEST1_PUBLIC, 0, "malformed"),
        ("truncated", product_key::raw::armour(&good[..10]), &TEST1_PUBLIC, 0, "malformed"),
        ("signed_by_an_untrusted_key", signed(&test2, &by_test2, None), &TEST1_PUBLIC, 0, "unknown_signer"),
        ("signature_damaged", signed(&test1, &good, Some(good.len() + 5)), &TEST1_PUBLIC, 0, "bad_signature"),
        ("list_altered", signed(&test1, &good, Some(good.len() - 1)), &TEST1_PUBLIC, 0, "bad_signature"),
        (
            "other_product",
            signed(&test1, &list("ETL", 3, &[key_serial]), None),
            &TEST1_PUBLIC,
            0,
            "other_product",
        ),
    ];
    let mut out = Vec::new();
    let mut wrong = Vec::new();
    for (name, text, public, highest_seen, expect) in cases {
        let mut trusted = TrustedKeys::new();
        trusted.add(public).expect("trusted");
        let opened = RevocationList::open_not_older(&text, &trusted, "AST", highest_seen);
        let got = opened.as_ref().map_or_else(|e| e.kind(), |_| "ok");
        if got != expect {
            wrong.push(format!("list {name}: declared {expect}, the library says {got} ({opened:?})"));
            continue;
        }
        let obj = json!({
            "name": name,
            "list": text,
            "trusted_public_keys": [hex::encode(public)],
            "product": "AST",
            "highest_sequence_seen": highest_seen,
            "expect": expect,
            "sequence": opened.as_ref().ok().map(|l| l.sequence),
            "serials": opened.as_ref().ok().map(|l| l.serials().iter().map(|s| s.to_string()).collect::<Vec<_>>()),
        });
        let mut s = serde_json::to_string_pretty(&obj).expect("json");
        s.push('\n');
        out.push((name.to_owned(), s));
    }
    if !wrong.is_empty() {
        eprintln!(
            "the library disagrees with {} declared list verdict(s):\n  {}",
            wrong.len(),
            wrong.join("\n  ")
        );
        std::process::exit(1);
    }
    out
}
