//! End-to-end tests of keygen and verifier together.
