#!/usr/bin/env bash
# Every test: the workspace's (library, tools, C ABI from C and Python), then the support
# page's: its WebAssembly against every vector and the verifier (Node), and the page itself
# in headless Chromium. Needs openssl, gcc, python3, valgrind, node and npm, chromium and
# the wasm32-unknown-unknown target: scripts/install-deps.sh installs what is missing.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"

# A fresh machine needs nothing else: what is missing is installed first.
scripts/install-deps.sh

cargo test --workspace --locked
# The PostgreSQL groundwork (keygen's `postgres` feature, off by default: its driver brings
# tokio) against a throwaway server that scripts/pg-throwaway.sh starts.
cargo test -p keygen --features postgres --locked --test postgres
# The crates' layout (ARCHITECTURE.md): what must never depend on what.
scripts/check-layout.sh

# Where cargo puts them (CARGO_TARGET_DIR included), as cargo says.
verifier="$(scripts/cargo-artifact.sh verifier bin --quiet --locked -p verifier)"
wasm="$(scripts/cargo-artifact.sh product_key wasm --quiet --locked -p product-key-ffi \
  --target wasm32-unknown-unknown --profile wasm)"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
# The vectors are signed with RFC 8032's TEST 1 key; the page is built with it, as a vendor
# builds it with their own: as an SPKI PEM, the form `keygen init` writes.
node -e '
  const hex = require(process.argv[1]).trusted_public_keys[0];
  const der = Buffer.concat([Buffer.from("302a300506032b6570032100", "hex"), Buffer.from(hex, "hex")]);
  console.log("-----BEGIN PUBLIC KEY-----\n" + der.toString("base64") + "\n-----END PUBLIC KEY-----");
' "$repo/tests/vectors/all_features.json" > "$scratch/test-key.pem"
scripts/support-page.sh --public-key "$scratch/test-key.pem" --out "$scratch/support.html" >/dev/null
node support-page/tests/vectors.js "$wasm" tests/vectors "$verifier"
node support-page/tests/browser.js "$scratch/support.html" tests/vectors "$verifier" ${SCREENSHOT:+"$SCREENSHOT"}
# The sales desk in headless Chromium, driven as a person would (playwright-core from the
# support page's packages): sign in, issue, find, renew, amend, batch, report, revoke.
keygen="$(scripts/cargo-artifact.sh keygen bin --quiet --locked -p keygen)"
node keygen/tests/desk/browser.js "$keygen" ${DESK_SCREENSHOTS:+"$DESK_SCREENSHOTS"}
# The desk's JSON API against its OpenAPI document: schemathesis (PyPI, in a venv under the
# target folder) on a live desk; no 5xx, every answer as the document says.
scripts/test-api-schemathesis.sh

# keygen's tests that kill, pause or fail a command at a chosen stage: built with the
# test-only `failpoints` feature (a release build ignores KEYGEN_FAILPOINT).
scripts/test-keygen-failpoints.sh
# Where the product lives: product_key.dll and verifier.exe under Wine, the C# binding under
# Mono (scripts/install-windows-deps.sh installs mingw-w64, Wine and Mono where missing).
scripts/test-windows.sh
