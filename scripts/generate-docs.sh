#!/usr/bin/env bash
# Shell completions (bash, zsh, fish) and man pages for keygen and verifier, into DIR
# (default: target/docs). Run from anywhere: scripts/generate-docs.sh [DIR]
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-${CARGO_TARGET_DIR:-$repo/target}/docs}"
# Where cargo puts them (CARGO_TARGET_DIR included), as cargo says.
keygen="$("$repo/scripts/cargo-artifact.sh" keygen bin --quiet --release --locked -p keygen)"
verifier="$("$repo/scripts/cargo-artifact.sh" verifier bin --quiet --release --locked -p verifier)"
"$keygen" generate-docs "$out"
"$verifier" generate-docs "$out"
ls "$out"
