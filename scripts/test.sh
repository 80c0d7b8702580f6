#!/usr/bin/env bash
# Every test: the workspace's (library, tools, C ABI from C and Python), then the support
# page's: its WebAssembly against every vector and the verifier (Node), and the page itself
# in headless Chromium. Needs openssl, gcc, python3, node and npm, chromium and the
# wasm32-unknown-unknown target; .ci/run installs what a fresh machine lacks.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"

cargo test --workspace --locked

missing=()
command -v node >/dev/null 2>&1 || missing+=("node and npm")
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || missing+=("chromium (apt-get install chromium)")
rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown ||
  missing+=("the wasm32 target (rustup target add wasm32-unknown-unknown)")
if [ ${#missing[@]} -gt 0 ]; then
  printf 'the support page tests need: %s\n' "${missing[@]}" >&2
  exit 1
fi
if [ ! -d support-page/node_modules/playwright-core ]; then
  npm ci --prefix support-page --no-audit --no-fund --loglevel=error
fi

cargo build --quiet --locked -p verifier
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
node support-page/tests/vectors.js target/wasm32-unknown-unknown/wasm/product_key.wasm tests/vectors target/debug/verifier
node support-page/tests/browser.js "$scratch/support.html" tests/vectors target/debug/verifier ${SCREENSHOT:+"$SCREENSHOT"}
