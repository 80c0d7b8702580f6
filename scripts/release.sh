#!/usr/bin/env bash
# A release archive for machines without Rust: both binaries, their man pages and shell
# completions, the README and the guides. Run from anywhere: scripts/release.sh [DIR]
# (default: target/dist). Unpack it anywhere; bin/ holds keygen and verifier, which carry
# the four editions built in and need no other file.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-${CARGO_TARGET_DIR:-$repo/target}/dist}"
# Where cargo puts them (CARGO_TARGET_DIR included), as cargo says.
keygen="$("$repo/scripts/cargo-artifact.sh" keygen bin --quiet --release --locked -p keygen)"
verifier="$("$repo/scripts/cargo-artifact.sh" verifier bin --quiet --release --locked -p verifier)"
version="$("$keygen" --version | awk '{print $2}')"
name="ast-keys-$version-$(uname -s | tr '[:upper:]' '[:lower:]')-$(uname -m)"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/$name/bin" "$stage/$name/share"
cp "$keygen" "$verifier" "$stage/$name/bin/"
"$keygen" generate-docs "$stage/$name/share/docs"
"$verifier" generate-docs "$stage/$name/share/docs"
cp -r "$repo/README.md" "$repo/docs" "$repo/templates" "$stage/$name/"
mkdir -p "$out"
tar -C "$stage" -czf "$out/$name.tar.gz" "$name"
echo "$out/$name.tar.gz"
