//! The `fields` object of a test vector: what a product shows of a decoded key. Shared by the
//! vector generator (examples/make_vectors.rs) and the test that reads the vectors.

use serde_json::{Value, json};

/// The fields of the verdict's key, or `None` when nothing was decoded.
pub fn fields_of(verdict: &product_key::Verdict) -> Option<Value> {
    verdict.key.as_ref().map(|k| {
        let p = &k.payload;
        json!({
            "serial": p.serial.to_string(),
            "key_id": p.key_id.to_string(),
            "product": p.product.as_str(),
            "major_version": p.major,
            "organization": p.organization.as_str(),
            "seats": p.seats.limit(),
            "features": p.features.features().map(|f| f.name()).collect::<Vec<_>>(),
            "unknown_feature_bits": p.features.unknown_bits().collect::<Vec<_>>(),
            "issued": p.issued.to_string(),
            "expires": p.expires.last_day().map(|d| d.to_string()),
            "supersedes": p.supersedes().map(|s| s.to_string()),
        })
    })
}

/// Where the key was found in the vector's text (`{"from", "to"}`), or null.
pub fn found_of(verdict: &product_key::Verdict) -> Value {
    verdict.found.as_ref().map_or(Value::Null, |f| json!({"from": f.from, "to": f.to}))
}
