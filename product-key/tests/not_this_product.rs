//! A text that is no key of this product at all is told so, with what a key looks like;
//! mistyped keys of this product and keys of its other versions keep their own messages
//! (issue 20, item 4).

use product_key::text::decode;
use product_key::{Check, Day, DecodeError, Status, TrustedKeys, verify};

const KEY: &str = "AST8-04GZW-CEZ0D-0N6N0-804HM-ASW9N-F6YYM-9HAAF-00680-00000-00000-3H6GB-3DNJJ-0GBEC-5P7JX-39CDS-J0HVD-C943B-Y069Y-HPJ83-QJ5F6-K8W20-40055-1PEND-0CH0G-Z7QWG-WB23A-468DD-0X5CY-1EM65-D3PJ9-8PG7B-X8GF8-MJ0K7-7G3GY-Y3HAW-7B8JS-M1RX1-DPNWW-SA";

fn error(text: &str) -> DecodeError {
    decode(text).expect_err(text)
}

#[test]
fn another_vendors_key_is_not_taken_for_a_mistyped_one() {
    for text in [
        "Q7KX2-9PLMW-4RT8B-HJ3VC-YK6DM",
        "  q7kx2-9plmw-4rt8b-hj3vc-yk6dm\n",
        "12345-67890-ABCDE",
        "XXXXX-XXXXX-XXXXX-XXXXX-XXXXX",
        "Lizenz: 1234",
        "ASTX-04GZW",
        "ASTRO",
        "license key",
    ] {
        let e = error(text);
        assert_eq!((&e, e.kind()), (&DecodeError::NotThisProduct, "prefix"), "{text:?}");
        assert_eq!(
            e.to_string(),
            "this is not an AST product key: those start with 'AST8-', then groups of five letters and digits"
        );
        let verdict = verify(text, &TrustedKeys::new(), &Check::on(Day::from_days(20_819)));
        assert_eq!(verdict.status(), Status::Malformed, "{text:?}");
    }
}

#[test]
fn a_text_that_begins_as_a_key_of_this_product_keeps_its_message() {
    let body = &KEY[5..];
    for (text, message) in [
        ("AST".to_owned(), "the key stops after its prefix: it is incomplete"),
        ("ast8".to_owned(), "the key stops after its prefix: it is incomplete"),
        (
            format!("AST-{body}"),
            "character 4 is '-', where the major version after the product code should be",
        ),
        (format!("AST999{body}"), "bad prefix at character 4: the major version is above 255"),
        (format!("AST9X{body}"), "character 5 is 'X', where '-' after the major version should be"),
        (String::new(), "the key is empty"),
    ] {
        assert_eq!(error(&text).to_string(), message, "{text:?}");
    }
    // Revision 3: "AST8" directly followed by the body is a key with its dashes removed,
    // read as such; with one character too many it is a mistyped key.
    assert!(decode(&format!("AST8{body}")).is_ok());
    assert_eq!(error(&format!("AST8X{body}")).kind(), "length");
    // A mistyped key, and keys of the product's other versions, as before.
    assert_eq!(error(&KEY.replacen("3H6GB", "3HG6B", 1)), DecodeError::Checksum);
    assert_eq!(error("AST7-2F4K-9QW3-LM7P-X2D8-KK4N"), DecodeError::OtherVersion { major: 7 });
    assert_eq!(error("ast6-x2d8-kk4n-9qw3-2f4k"), DecodeError::OtherVersion { major: 6 });
    assert_eq!(error("AST9-QW3L-M7PX-2D8K"), DecodeError::OtherVersion { major: 9 });
    // Another product's prefix that reads as one: the length or the payload decides.
    assert_eq!(error(&format!("ETL8-{body}")).kind(), "prefix_mismatch");
}
