#!/usr/bin/env bash
# Builds support's offline key check page: one self-contained HTML file (the library compiled
# to WebAssembly and inlined, the vendor's public keys built in), to be opened from disk.
#
#   scripts/support-page.sh --public-key vault/public-key.pem [--public-key OLD.pem]... --out support.html
#
# A public key file is an SPKI PEM (what `keygen init` writes beside the signing key) or 64
# hex digits (`keygen public-key --format hex`). Needs cargo and the wasm32-unknown-unknown
# target (rustup target add wasm32-unknown-unknown), and python3. The page is written whole or
# not at all.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"

usage() {
  echo "usage: $0 --public-key FILE [--public-key FILE]... --out FILE" >&2
  exit 2
}

keys=()
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --public-key) [ $# -ge 2 ] || usage; keys+=("$2"); shift 2 ;;
    --public-key=*) keys+=("${1#*=}"); shift ;;
    --out) [ $# -ge 2 ] || usage; out="$2"; shift 2 ;;
    --out=*) out="${1#*=}"; shift ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument: $1" >&2; usage ;;
  esac
done
[ ${#keys[@]} -gt 0 ] || { echo "give at least one --public-key FILE (the vendor's public key)" >&2; exit 2; }
[ -n "$out" ] || { echo "give --out FILE (where to write the page)" >&2; exit 2; }

for key in "${keys[@]}"; do
  [ -r "$key" ] || { echo "cannot read the public key $key" >&2; exit 2; }
done
# Each key decoded and written as 64 hex digits, never as the file's text: a file that is not
# exactly a public key is refused here, before anything is built.
decoded="$(python3 "$repo/scripts/support_page.py" keys "${keys[@]}")" || exit 2
mapfile -t key_hex <<< "$decoded"

if command -v rustup >/dev/null 2>&1 && ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  echo "the wasm32-unknown-unknown target is missing: rustup target add wasm32-unknown-unknown" >&2
  exit 1
fi
# Where cargo puts the library (CARGO_TARGET_DIR included), as cargo says: never a stale file.
wasm="$("$repo/scripts/cargo-artifact.sh" product_key wasm --quiet --locked -p product-key-ffi \
  --target wasm32-unknown-unknown --profile wasm)"

page_dir="$(dirname "$out")"
mkdir -p "$page_dir"
tmp="$(mktemp "$page_dir/.support-page.XXXXXX")"
trap 'rm -f "$tmp"' EXIT
python3 "$repo/scripts/support_page.py" page --wasm "$wasm" --out "$tmp" --keys "${key_hex[@]}"
chmod 644 "$tmp"
mv -f "$tmp" "$out"
trap - EXIT
echo "$out ($(wc -c < "$out") bytes): open it in a browser; it needs no network"
