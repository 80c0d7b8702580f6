#!/usr/bin/env bash
# The main job end to end, in a scratch folder: make a signing key, issue a key from a
# shipped template, and verify it as support would. Run from anywhere: scripts/demo.sh
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
# One build for both tools, and the same as the README's `cargo build --release`: the whole
# workspace. A `-p keygen` build selects other features of the shared crates, so cargo would
# compile much of the tree again (minutes, silently under --quiet); the same invocation finds
# everything already built. Cargo's own progress shows on stderr. Where cargo puts the tools
# (CARGO_TARGET_DIR included), as cargo says.
echo "== cargo build --release --locked: keygen and verifier, the workspace as the README builds it" >&2
echo "   (nothing to do after the README's build; a first build takes several minutes on 2 cores)" >&2
keygen="$(scripts/cargo-artifact.sh keygen bin --release --locked)"
verifier="$(scripts/cargo-artifact.sh verifier bin --release --locked)"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
# From a folder with no templates: the editions are built into keygen.
cd "$scratch"

echo "== keygen init: a new signing key in $scratch"
"$keygen" init --dir "$scratch"

echo "== keygen issue: a key of the built-in Standard edition for 'Acme Analytics GmbH'"
key="$("$keygen" issue --key "$scratch/signing-key.pem" \
  --template standard --org "Acme Analytics GmbH" --order-id DEMO-1)"
echo "$key"

echo "== verifier check: the customer typed 'ACME analytics gmbh'"
"$verifier" check "$key" --public-key "$scratch/public-key.pem" --org "ACME analytics gmbh"

echo "== keygen ledger verify"
"$keygen" ledger verify --key "$scratch/signing-key.pem"
