#!/usr/bin/env bash
# keygen's tests that crash, pause or fail a command at a chosen stage (KEYGEN_FAILPOINT):
# they need the `failpoints` feature, which only tests turn on (a release build ignores the
# variable, which `cargo test --workspace` checks). Run after scripts/test.sh.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
cargo build --quiet --locked -p verifier
cargo test --locked -p keygen --features failpoints --test cli
