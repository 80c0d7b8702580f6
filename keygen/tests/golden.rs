//! Golden tests of keygen's output that does not depend on randomness: `tests/cmd/*.toml`.
//! After a deliberate change of wording: TRYCMD=overwrite cargo test -p keygen --test golden

#[test]
fn cli_output() {
    trycmd::TestCases::new().case("tests/cmd/*.toml");
}
