#!/usr/bin/env bash
# Builds with cargo and prints where cargo put one artifact, as cargo reports it: so that
# CARGO_TARGET_DIR, --target and --profile are honoured, and no stale file under target/ is
# ever taken for the one just built.
#
#   scripts/cargo-artifact.sh NAME KIND [cargo build arguments...]
#
# NAME is the target's name (keygen, verifier, product_key); KIND is `bin` (an executable) or
# the file's extension (wasm, so, a). The path is printed on stdout; cargo's messages go to
# stderr. Needs python3.
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 NAME KIND [cargo build arguments...]" >&2; exit 2; }
name="$1"
kind="$2"
shift 2
repo="$(cd "$(dirname "$0")/.." && pwd)"
messages="$(cargo build --manifest-path "$repo/Cargo.toml" --message-format=json-render-diagnostics "$@")"
printf '%s\n' "$messages" | python3 -c '
import json, sys
name, kind = sys.argv[1], sys.argv[2]
found = None
for line in sys.stdin:
    try:
        m = json.loads(line)
    except ValueError:
        continue
    if m.get("reason") != "compiler-artifact" or m["target"]["name"] != name:
        continue
    if kind == "bin":
        found = m.get("executable") or found
    else:
        found = next((f for f in m["filenames"] if f.endswith("." + kind)), found)
if found is None:
    sys.exit(f"cargo built no {kind} artifact named {name}")
print(found)
' "$name" "$kind"
