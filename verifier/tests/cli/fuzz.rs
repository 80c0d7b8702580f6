//! The CLI's input path under hostile input: whatever arrives on stdin, the verifier gives a
//! verdict (exit 0 to 8) and never panics. PROPTEST_CASES=10000 for a longer run.

use proptest::prelude::*;

use crate::util::*;

fn judge(dir: &std::path::Path, public: &std::path::Path, input: &[u8]) {
    let mut cmd = verifier(dir);
    cmd.args(["check", "--json", "--at", "2027-01-01", "--org", "Acme Inc", "--public-key"]).arg(public);
    let o = run_with_stdin(&mut cmd, input);
    let code = o.status.code().expect("exited, not killed by a signal");
    assert!(matches!(code, 0 | 3..=8), "exit {code}: {}", stderr(&o));
    assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("one JSON verdict");
    assert_eq!(
        v["status"].as_str().and_then(product_key::Status::from_name).map(|s| i32::from(s.exit_code())),
        Some(code)
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(48), ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes(input in proptest::collection::vec(any::<u8>(), 0..600)) {
        let t = tempfile::tempdir().expect("tempdir");
        let (_, public) = signer(t.path(), 1);
        judge(t.path(), &public, &input);
    }

    #[test]
    fn damaged_keys(edits in proptest::collection::vec((0usize..260, any::<u8>()), 1..6)) {
        let t = tempfile::tempdir().expect("tempdir");
        let (signer, public) = signer(t.path(), 1);
        let mut key = signer.issue(&mut payload("Acme Inc")).expect("key").into_bytes();
        for (at, byte) in edits {
            let at = at % (key.len() + 1);
            if byte % 3 == 0 { key.insert(at, byte); } else if at < key.len() { key[at] = byte; }
        }
        judge(t.path(), &public, &key);
    }
}
