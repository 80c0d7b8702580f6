#!/usr/bin/env bash
# Builds support's offline key check page: one self-contained HTML file (the library compiled
# to WebAssembly and inlined, the vendor's public keys built in), to be opened from disk.
#
#   scripts/support-page.sh --public-key vault/public-key.pem [--public-key OLD.pem]... --out support.html
#
# A public key file is an SPKI PEM (what `keygen init` writes beside the signing key) or 64
# hex digits (`keygen public-key --format hex`). Needs cargo and the wasm32-unknown-unknown
# target (rustup target add wasm32-unknown-unknown). The page is written whole or not at all.
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
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument: $1" >&2; usage ;;
  esac
done
[ ${#keys[@]} -gt 0 ] || { echo "give at least one --public-key FILE (the vendor's public key)" >&2; exit 2; }
[ -n "$out" ] || { echo "give --out FILE (where to write the page)" >&2; exit 2; }

# Each key as a JavaScript string. A public key file holds only printable ASCII (PEM or hex);
# anything else is refused here rather than built into a page.
key_list=""
for key in "${keys[@]}"; do
  [ -r "$key" ] || { echo "cannot read the public key $key" >&2; exit 2; }
  if LC_ALL=C grep -q '[^ -~[:space:]]' "$key" || [ "$(wc -c < "$key")" -gt 4096 ]; then
    echo "$key is not a public key file (SPKI PEM or 64 hex digits)" >&2
    exit 2
  fi
  if grep -q 'PRIVATE KEY' "$key"; then
    echo "$key is a private key: give the public key (public-key.pem beside it)" >&2
    exit 2
  fi
  text="$(tr -d '\r' < "$key" | sed 's/\\/\\\\/g; s/"/\\"/g' | awk '{printf "%s\\n", $0}')"
  key_list="$key_list\"$text\", "
done

if command -v rustup >/dev/null 2>&1 && ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  echo "the wasm32-unknown-unknown target is missing: rustup target add wasm32-unknown-unknown" >&2
  exit 1
fi
cargo build --quiet --locked --manifest-path "$repo/Cargo.toml" -p product-key-ffi \
  --target wasm32-unknown-unknown --profile wasm
wasm="$repo/target/wasm32-unknown-unknown/wasm/product_key.wasm"

page_dir="$(dirname "$out")"
mkdir -p "$page_dir"
tmp="$(mktemp "$page_dir/.support-page.XXXXXX")"
trap 'rm -f "$tmp"' EXIT
while IFS= read -r line || [ -n "$line" ]; do
  case "$line" in
    '<!-- @LOADER@ -->')
      printf '<script>\n'
      cat "$repo/support-page/loader.js"
      printf '</script>\n'
      ;;
    '/* @DATA@ */')
      printf 'const TRUSTED_KEYS = [%s];\n' "${key_list%, }"
      printf 'const BUILT_ON = "%s";\n' "$(date -u +%Y-%m-%d)"
      printf 'const WASM_BASE64 = "'
      base64 -w0 "$wasm"
      printf '";\n'
      ;;
    *) printf '%s\n' "$line" ;;
  esac
done < "$repo/support-page/page.html" > "$tmp"
chmod 644 "$tmp"
mv -f "$tmp" "$out"
trap - EXIT
echo "$out ($(wc -c < "$out") bytes): open it in a browser; it needs no network"
