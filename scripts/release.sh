#!/usr/bin/env bash
# A release archive for machines without Rust: both binaries, their man pages and shell
# completions, the README and the guides. Run from anywhere: scripts/release.sh [DIR]
# (default: target/dist). Unpack it anywhere; bin/ holds keygen and verifier, which carry
# the four editions built in and need no other file.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$repo/target/dist}"
cargo build --quiet --release --locked --manifest-path "$repo/Cargo.toml" -p keygen -p verifier
version="$("$repo/target/release/keygen" --version | awk '{print $2}')"
name="ast-keys-$version-$(uname -s | tr '[:upper:]' '[:lower:]')-$(uname -m)"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/$name/bin" "$stage/$name/share"
cp "$repo/target/release/keygen" "$repo/target/release/verifier" "$stage/$name/bin/"
"$repo/target/release/keygen" generate-docs "$stage/$name/share/docs"
"$repo/target/release/verifier" generate-docs "$stage/$name/share/docs"
cp -r "$repo/README.md" "$repo/docs" "$repo/templates" "$stage/$name/"
mkdir -p "$out"
tar -C "$stage" -czf "$out/$name.tar.gz" "$name"
echo "$out/$name.tar.gz"
