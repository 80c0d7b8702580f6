//! Opening revocation lists: the armoured text (`RevocationList::open`) and the binary
//! layout (`from_bytes`). Oracles: a list that parses writes back to the same bytes; a list
//! that opens is for the product asked, and its serials ascend.
#![no_main]

use libfuzzer_sys::fuzz_target;
use product_key::{RevocationList, TrustedKeys};

const TEST_KEY: &str = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";

fuzz_target!(|data: &[u8]| {
    if let Ok(list) = RevocationList::from_bytes(data) {
        assert_eq!(list.to_bytes(), data, "a parsed list does not write back the same");
        assert!(list.serials().windows(2).all(|w| w[0] < w[1]));
    }
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut trusted = TrustedKeys::new();
    if trusted.add_hex(TEST_KEY).is_err() {
        return;
    }
    let opened = RevocationList::open(text, &trusted, "AST");
    if let Ok(list) = &opened {
        assert_eq!(list.product.as_str(), "AST");
        assert!(list.serials().windows(2).all(|w| w[0] < w[1]));
        assert!(list.serials().iter().all(|s| list.contains(*s)));
    }
    let not_older = RevocationList::open_not_older(text, &trusted, "AST", 3);
    if let (Ok(a), Ok(b)) = (&opened, &not_older) {
        assert_eq!(a, b);
    }
    if let Err(e) = &opened {
        let _ = (e.to_string(), e.kind());
    }
});
