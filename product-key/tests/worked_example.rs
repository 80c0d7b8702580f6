//! The spec's worked example, to the byte.

use product_key::{Check, Day, Feature, Status, TrustedKeys, verify};

const KEY: &str = "AST8-04GZW-CEZ0D-0N6N0-804HM-ASW9N-F6YYM-9HAAF-00680-00000-00000-3H6GB-3DNJJ-0GBEC-5P7JX-39CDS-J0HVD-C943B-Y069Y-HPJ83-QJ5F6-K8W20-40055-1PEND-0CH0G-Z7QWG-WB23A-468DD-0X5CY-1EM65-D3PJ9-8PG7B-X8GF8-MJ0K7-7G3GY-Y3HAW-7B8JS-M1RX1-DPNWW-SA";
const TEST1_PUBLIC: &str = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";

#[test]
fn decodes_verifies_and_reencodes_identically() {
    let mut trusted = TrustedKeys::new();
    let id = trusted.add_hex(TEST1_PUBLIC).expect("RFC 8032 key");
    assert_eq!(id.to_string(), "21fe31df");
    let at: Day = "2027-01-01".parse().expect("date");
    let verdict =
        verify(KEY, &trusted, &Check { at, organization: Some("ACME  analytics gmbh"), revocations: None });
    assert_eq!(verdict.status(), Status::Valid, "{}", verdict.finding);
    let key = verdict.key.expect("fields");
    assert_eq!(key.to_text(), KEY);
    let p = &key.payload;
    assert_eq!(p.serial.to_string(), "0123456789abcdef");
    assert_eq!((p.product.as_str(), p.major), ("AST", 8));
    assert_eq!(p.issued.to_string(), "2026-11-28");
    assert_eq!(p.expires.last_day().map(|d| d.to_string()).as_deref(), Some("2027-11-28"));
    assert_eq!(
        p.features.features().collect::<Vec<_>>(),
        [Feature::Dataflow, Feature::Workflow, Feature::Subflow]
    );
    assert_eq!(KEY.len(), 5 + 38 * 6 + 2, "text length of a typical key");
}

#[cfg(feature = "sign")]
#[test]
fn issuing_the_example_prints_the_spec_key() {
    use product_key::{Expiry, FeatureSet, KeyId, Organization, Payload, Product, Seats, Serial, Signer};
    let secret: [u8; 32] = hex::decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
        .expect("hex")
        .try_into()
        .expect("32 bytes");
    let signer = Signer::new(ed25519_dalek::SigningKey::from_bytes(&secret));
    let mut payload = Payload {
        key_id: KeyId([0; 4]),
        product: Product::new("AST").expect("product"),
        major: 8,
        serial: Serial::new(0x0123_4567_89ab_cdef).expect("serial"),
        issued: "2026-11-28".parse().expect("date"),
        expires: Expiry::LastDay("2027-11-28".parse().expect("date")),
        seats: Seats::count(25).expect("seats"),
        features: FeatureSet::from_names(["dataflow", "workflow", "subflow"]).expect("features"),
        organization: Organization::canonicalize(" Acme  Analytics GmbH ").expect("org"),
        extensions: Vec::new(),
    };
    assert_eq!(signer.issue(&mut payload).expect("valid"), KEY);
}
