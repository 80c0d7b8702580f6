//! Prints a key's payload, signature and CRC in hex, field by field:
//! `cargo run -p product-key --example dump_key -- KEY`.

fn main() {
    let text = std::env::args().nth(1).unwrap_or_default();
    let key = match product_key::text::decode(&text) {
        Ok(k) => k,
        Err(e) => {
            eprintln!("malformed: {e}");
            std::process::exit(3);
        }
    };
    let p = &key.payload_bytes;
    let hex = hex::encode::<&[u8]>;
    let n = usize::from(p[5]);
    let m = usize::from(p[29 + n]);
    let fields = [
        ("format", 0, 1),
        ("key_id", 1, 5),
        ("product_len", 5, 6),
        ("product", 6, 6 + n),
        ("major", 6 + n, 7 + n),
        ("serial", 7 + n, 15 + n),
        ("issued", 15 + n, 17 + n),
        ("expires", 17 + n, 19 + n),
        ("seats", 19 + n, 21 + n),
        ("features", 21 + n, 29 + n),
        ("org_len", 29 + n, 30 + n),
        ("organization", 30 + n, 30 + n + m),
        ("extensions", 30 + n + m, p.len()),
    ];
    for (name, a, b) in fields {
        println!("{name:<13} {}", hex(&p[a..b]));
    }
    println!("signature     {}", hex(&key.signature));
    let blob = key.blob();
    println!("crc           {}", hex(&blob[blob.len() - 4..]));
    println!("payload       {} bytes; blob {} bytes; text {} characters", p.len(), blob.len(), text.len());
}
