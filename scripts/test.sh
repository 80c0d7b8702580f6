#!/usr/bin/env bash
# Every test: the workspace's (library, tools, C ABI from C and Python), the PostgreSQL
# ledger's, the support page's (its WebAssembly against every vector and the verifier in Node,
# the page itself in headless Chromium), the desk's in Chromium and under schemathesis,
# and the Windows and .NET tests. Needs openssl, gcc, python3,
# valgrind, node and npm, chromium, the wasm32-unknown-unknown target, mingw-w64, Wine and
# Mono: scripts/install-deps.sh and scripts/install-windows-deps.sh install what is missing.
#
# The workspace is built once, then four lanes run side by side (scripts/parallel.sh), each
# printed whole when it ends: most of them wait (test binaries one at a time, Chromium, Wine,
# a live desk) while another compiles. They take the binaries the workspace's tests were
# built with (--bins --examples: the dev-dependencies' features on), so nothing is compiled
# twice. keygen's failpoint tests (KEYGEN_FAILPOINT: kill, pause or fail a command at a chosen
# stage) run with the workspace's: a debug build reads the variable, a release build ignores
# it (keygen-core/src/failpoint.rs).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"

# A fresh machine needs nothing else: what is missing is installed first (both before the
# lanes, which would otherwise wait on each other for the package manager).
scripts/install-deps.sh
scripts/install-windows-deps.sh

. scripts/parallel.sh
scratch="$(mktemp -d)"
trap 'parallel_stop; rm -rf "$scratch"' EXIT
# What the workspace's tests were built with; `cargo build` with these builds nothing more.
workspace_bins="--quiet --locked --workspace --bins --examples"
export repo scratch workspace_bins

step "workspace: build" cargo test --workspace --locked --no-run
# The crates' layout (ARCHITECTURE.md): what must never depend on what.
step "layout" scripts/check-layout.sh

# The PostgreSQL ledger's tests (keygen/tests/postgres.rs, against throwaway servers that
# scripts/pg-throwaway.sh starts) run in a lane of their own, off the workspace lane's path:
# there, KEYGEN_TEST_PG=elsewhere makes them return at once.
lane workspace env KEYGEN_TEST_PG=elsewhere cargo test --workspace --locked
lane postgres cargo test -p keygen --locked --test postgres
# Where the product lives: product_key.dll and verifier.exe under Wine, the C# binding under
# Mono (scripts/install-windows-deps.sh installed mingw-w64, Wine and Mono).
lane windows scripts/test-windows.sh

pages() {
  # Where cargo puts them (CARGO_TARGET_DIR included), as cargo says.
  local verifier wasm keygen
  # shellcheck disable=SC2086 # workspace_bins is words
  verifier="$(scripts/cargo-artifact.sh verifier bin $workspace_bins)"
  wasm="$(scripts/cargo-artifact.sh product_key wasm --quiet --locked -p product-key-ffi \
    --target wasm32-unknown-unknown --profile wasm)"
  # The vectors are signed with RFC 8032's TEST 1 key; the page is built with it, as a vendor
  # builds it with their own: as an SPKI PEM, the form `keygen init` writes.
  node -e '
    const hex = require(process.argv[1]).trusted_public_keys[0];
    const der = Buffer.concat([Buffer.from("302a300506032b6570032100", "hex"), Buffer.from(hex, "hex")]);
    console.log("-----BEGIN PUBLIC KEY-----\n" + der.toString("base64") + "\n-----END PUBLIC KEY-----");
  ' "$repo/tests/vectors/all_features.json" > "$scratch/test-key.pem"
  scripts/support-page.sh --public-key "$scratch/test-key.pem" --out "$scratch/support.html" >/dev/null
  step "page: vectors in Node" node support-page/tests/vectors.js "$wasm" tests/vectors "$verifier"
  step "page: in Chromium" node support-page/tests/browser.js "$scratch/support.html" tests/vectors "$verifier" \
    ${SCREENSHOT:+"$SCREENSHOT"}
  # The sales desk in headless Chromium, driven as a person would (playwright-core from the
  # support page's packages): sign in, issue, find, renew, amend, batch, report, revoke.
  # shellcheck disable=SC2086
  keygen="$(scripts/cargo-artifact.sh keygen bin $workspace_bins)"
  step "desk: in Chromium" node keygen/tests/desk/browser.js "$keygen" ${DESK_SCREENSHOTS:+"$DESK_SCREENSHOTS"}
  # The desk's JSON API against its OpenAPI document: schemathesis (PyPI, in a venv under the
  # target folder) on a live desk; no 5xx, every answer as the document says.
  step "desk: API under schemathesis" scripts/test-api-schemathesis.sh
}
lane pages pages

await_lanes
