//! Writes the C header with cbindgen into OUT_DIR; `tests/header.rs` holds the committed copy
//! (`include/product_key.h`) to it, so the header can never drift from the code.

fn main() {
    let dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    let config = cbindgen::Config::from_file(format!("{dir}/cbindgen.toml")).expect("cbindgen.toml is valid");
    match cbindgen::generate_with_config(&dir, config) {
        Ok(bindings) => {
            bindings.write_to_file(format!("{out}/product_key.h"));
        }
        Err(e) => panic!("cbindgen cannot read product-key-ffi/src: {e}"),
    }
}
