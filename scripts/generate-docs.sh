#!/usr/bin/env bash
# Shell completions (bash, zsh, fish) and man pages for keygen and verifier, into DIR
# (default: target/docs). Run from anywhere: scripts/generate-docs.sh [DIR]
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$repo/target/docs}"
cargo build --quiet --release --locked --manifest-path "$repo/Cargo.toml" -p keygen -p verifier
"$repo/target/release/keygen" generate-docs "$out"
"$repo/target/release/verifier" generate-docs "$out"
ls "$out"
