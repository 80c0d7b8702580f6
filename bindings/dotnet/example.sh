#!/usr/bin/env bash
# Compiles the C# example of docs/embedding.md (the first ```csharp block of its C# section)
# under the binding's rules (bindings/dotnet/rules.sh) and runs it under Mono on two vectors:
# a valid key (exit 0, the clean key stored) and a mistyped one (exit 3).
# Usage: bindings/dotnet/example.sh docs/embedding.md DIR_WITH_Ast.ProductKeys.dll DIR_WITH_libproduct_key.so
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
[ $# -eq 3 ] || { echo "usage: $0 embedding.md DOTNET_DIR LIB_DIR" >&2; exit 2; }
doc="$1"
dotnet="$(cd "$2" && pwd)"
lib="$(cd "$3" && pwd)"
# shellcheck source=rules.sh
. "$repo/bindings/dotnet/rules.sh"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

awk '/^## C# / { section = 1; next } /^## / { section = 0 } section && /^```csharp$/ && !done { inside = 1; next }
     inside && /^```$/ { inside = 0; done = 1 } inside { print }' "$doc" > "$work/Example.cs"
[ -s "$work/Example.cs" ] || { echo "$doc: no csharp block in its C# section" >&2; exit 1; }
dotnet_compile "$work/Example.exe" exe -r:"$dotnet/Ast.ProductKeys.dll" "$work/Example.cs"
cp "$dotnet/Ast.ProductKeys.dll" "$work/"

vector() { python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]], end="")' "$repo/tests/vectors/$1.json" "$2"; }
python3 - "$repo/tests/vectors/all_features.json" > "$work/vendor-public-key.pem" <<'PY'
import base64, json, sys
key = bytes.fromhex(json.load(open(sys.argv[1]))["trusted_public_keys"][0])
der = bytes.fromhex("302a300506032b6570032100") + key
print("-----BEGIN PUBLIC KEY-----\n" + base64.b64encode(der).decode() + "\n-----END PUBLIC KEY-----")
PY

run() {
  local name="$1" expected="$2" code=0
  vector "$name" key > "$work/$name.txt"
  said="$(cd "$work" && LD_LIBRARY_PATH="$lib" mono Example.exe "$name.txt" "Acme Analytics GmbH" "$(vector "$name" at)")" || code=$?
  echo "example on $name: exit $code: $(echo "$said" | head -1)"
  [ "$code" = "$expected" ] || { echo "the example exited $code on $name, not $expected: $said" >&2; exit 1; }
}
run all_features 0
[[ "$said" == *"store: AST8-"* ]] || { echo "the example did not store the clean key: $said" >&2; exit 1; }
run crc_damage_one_character 3
