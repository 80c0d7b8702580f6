#!/usr/bin/env bash
# The desk's API against its own OpenAPI document (issue 32): schemathesis (from PyPI, in a
# venv under the target folder) sends generated requests to a live desk, with a sales token
# and an admin token, and fails on any 5xx or any answer the document does not describe.
# A few minutes at most: a bounded number of examples per operation.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
target="${CARGO_TARGET_DIR:-$repo/target}"
venv="$target/schemathesis-venv"
# Pinned: a new schemathesis may add checks (or change its flags) that CI would meet unannounced.
version="4.32.5"
if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "$version"; then
  # Debian's python3 makes venvs only with python3-venv.
  if ! python3 -c 'import ensurepip' 2>/dev/null; then
    sudo=(); [ "$(id -u)" = 0 ] || sudo=(sudo)
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
  fi
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$version"
fi

# keygen as the workspace's tests build it (--examples turns on the dev-dependencies' features):
# scripts/test.sh runs this beside them, and a keygen built with other features would replace
# theirs under them.
keygen="$(scripts/cargo-artifact.sh keygen bin --quiet --locked --workspace --bins --examples)"
scratch="$(mktemp -d)"
desk_pid=""
cleanup() {
  if [ -n "$desk_pid" ]; then kill "$desk_pid" 2>/dev/null || true; wait "$desk_pid" 2>/dev/null || true; fi
  rm -rf "$scratch"
}
trap cleanup EXIT
export KEYGEN_TEMPLATES="$repo/templates"
unset KEYGEN_SIGNING_KEY KEYGEN_LEDGER KEYGEN_PASSPHRASE
(cd "$scratch" && "$keygen" init --dir . >/dev/null 2>&1)
token="$(cd "$scratch" && "$keygen" desk token add schemathesis --role admin 2>/dev/null)"
(cd "$scratch" && exec "$keygen" desk --listen 127.0.0.1:0 2>"$scratch/desk.log") &
desk_pid=$!
# The desk says where it serves once it listens.
url=""
for _ in $(seq 1 100); do
  url="$(sed -n 's/.*serving on \(http:[^ ]*\)\/ .*/\1/p' "$scratch/desk.log" | head -1)"
  [ -n "$url" ] && break
  kill -0 "$desk_pid" 2>/dev/null || { cat "$scratch/desk.log" >&2; exit 1; }
  sleep 0.1
done
[ -n "$url" ] || { echo "the desk did not start" >&2; cat "$scratch/desk.log" >&2; exit 1; }
# A key to read, renew and amend, so that some generated requests find one.
python3 - "$url" "$token" <<'PY'
import json, sys, urllib.request
url, token = sys.argv[1:3]
body = json.dumps({"organization": "Schema Test GmbH", "edition": "standard", "order_id": "ST-1"}).encode()
request = urllib.request.Request(url + "/api/v1/keys", data=body, method="POST",
                                 headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
urllib.request.urlopen(request, timeout=30).read()
PY

# From the scratch folder: schemathesis keeps its cache (.schemathesis/) where it runs.
cd "$scratch"
"$venv/bin/schemathesis" run "$url/api/v1/openapi.json" \
  --url "$url" \
  --header "Authorization: Bearer $token" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance \
  --max-examples 40 \
  --seed 32 \
  --suppress-health-check all \
  --no-color
