#!/usr/bin/env bash
# Installs what the tests drive for real and a fresh machine lacks: openssl (keygen's key
# files, both directions), gcc, g++ and python3 (the C ABI), valgrind (the C ABI's panic
# test), node and npm, Debian's chromium (the support page), the wasm32 target, rustfmt and
# clippy, and the support page's npm packages (playwright-core, pinned by the committed
# package-lock.json). Does nothing for what is there already. scripts/test.sh and .ci/run
# call it; system packages need root (or sudo).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
chromium="${CHROMIUM:-/usr/bin/chromium}"

packages=()
command -v openssl >/dev/null 2>&1 || packages+=(openssl)
command -v gcc >/dev/null 2>&1 || packages+=(gcc)
command -v g++ >/dev/null 2>&1 || packages+=(g++)
command -v python3 >/dev/null 2>&1 || packages+=(python3)
command -v valgrind >/dev/null 2>&1 || packages+=(valgrind)
command -v node >/dev/null 2>&1 || packages+=(nodejs npm)
[ -x "$chromium" ] || packages+=(chromium)
# The signing key in a token (keygen/tests/token.rs): SoftHSM and pkcs11-tool.
command -v softhsm2-util >/dev/null 2>&1 || packages+=(softhsm2)
command -v pkcs11-tool >/dev/null 2>&1 || packages+=(opensc)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || packages+=(nginx-light)
# The PostgreSQL ledger's tests (keygen/tests/postgres.rs, scripts/pg-throwaway.sh): Debian
# puts the server's programs in /usr/lib/postgresql/NN/bin.
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || packages+=(postgresql)
if [ ${#packages[@]} -gt 0 ]; then
  echo "installing ${packages[*]}" >&2
  as_root=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || {
      echo "missing: ${packages[*]}; run as root, or: apt-get install ${packages[*]}" >&2
      exit 1
    }
    as_root=(sudo)
  fi
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}" >/dev/null
fi

# The support page is the library compiled to WebAssembly.
rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
cargo fmt --version >/dev/null 2>&1 || rustup component add rustfmt
cargo clippy --version >/dev/null 2>&1 || rustup component add clippy
# The page's tests use playwright-core, as the committed lock pins it.
[ -d "$repo/support-page/node_modules/playwright-core" ] ||
  npm ci --prefix "$repo/support-page" --no-audit --no-fund --loglevel=error
