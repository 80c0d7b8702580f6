//! verifier's integration tests: the real binary on the test vectors and on keys made here.

mod batch;
mod check;
mod fuzz;
mod util;
mod vectors;
