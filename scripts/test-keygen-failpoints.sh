#!/usr/bin/env bash
# keygen's tests that crash, pause or fail a command at a chosen stage (KEYGEN_FAILPOINT):
# they need the `failpoints` feature, which only tests turn on (a release build ignores the
# variable, which `cargo test --workspace` checks). scripts/test.sh runs it in a target folder
# of its own (CARGO_TARGET_DIR) that shares the build folder (CARGO_BUILD_BUILD_DIR), so that
# the failpoint keygen never replaces the one the other tests run.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
# The verifier beside keygen (the tests run both), as the workspace's tests build it
# (--examples turns on the dev-dependencies' features): already built, nothing is compiled.
cargo build --quiet --locked --workspace --bins --examples
# With the workspace's features and failpoints (not `-p keygen`, whose narrower features would
# compile some 40 dependencies again): the `cli` tests of keygen, and the verifier's too.
cargo test --locked --workspace --features keygen/failpoints --test cli
