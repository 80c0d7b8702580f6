//! Golden tests of what support reads: `tests/cmd/*.toml` run the real verifier and compare
//! its whole output. After a deliberate change of wording: TRYCMD=overwrite cargo test -p verifier --test golden

#[test]
fn cli_output() {
    trycmd::TestCases::new().case("tests/cmd/*.toml");
}
