#!/usr/bin/env bash
# verifier.exe under Wine says byte for byte what the Linux verifier says, with the same exit
# code: `check` of a valid, a mistyped and an expired key (text and --json), keys named by
# VERIFIER_PUBLIC_KEYS separated by ';', and `batch` (CSV report written to a file, and
# JSON Lines). Run by scripts/test-windows.sh:
#   tests/windows/verifier.sh verifier.exe bcryptprimitives.dll LINUX_VERIFIER WORKDIR
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
[ $# -eq 4 ] || { echo "usage: $0 verifier.exe bcryptprimitives.dll LINUX_VERIFIER WORKDIR" >&2; exit 2; }
work="$4"
mkdir -p "$work/win" "$work/linux"
cp "$1" "$2" "$work/win/"
linux_verifier="$3"
cd "$work"
vector() { python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]], end="")' "$repo/tests/vectors/$1.json" "$2"; }
python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["trusted_public_keys"][0], end="")' \
  "$repo/tests/vectors/all_features.json" > key.hex
failures=0

# Runs the same command with both verifiers (from the same directory, so any path printed is
# the same) and compares exit code, stdout and stderr. $1: the expected exit code.
same() {
  local expected="$1" what="$2"
  shift 2
  local input="${STDIN:-/dev/null}"
  local linux_code=0 win_code=0
  NO_COLOR=1 "$linux_verifier" "$@" < "$input" > linux/out 2> linux/err || linux_code=$?
  NO_COLOR=1 WINEDEBUG=-all wine win/verifier.exe "$@" < "$input" > win/out 2> win/err || win_code=$?
  if [ "$win_code" != "$expected" ] || [ "$linux_code" != "$expected" ]; then
    echo "$what: exit codes: expected $expected, Linux $linux_code, Wine $win_code: $(cat win/err)" >&2
    failures=$((failures + 1))
  elif ! cmp -s linux/out win/out || ! cmp -s linux/err win/err; then
    echo "$what: the outputs differ:" >&2
    diff linux/out win/out >&2 || true
    diff linux/err win/err >&2 || true
    failures=$((failures + 1))
  else
    echo "$what: exit $win_code, $(wc -c < win/out) bytes, as on Linux"
  fi
}

for name in all_features crc_damage_one_character expired_day_after; do
  vector "$name" key > "$name.txt"
done
STDIN=all_features.txt same 0 "check (valid)" check - --at "$(vector all_features at)" --public-key key.hex
STDIN=all_features.txt same 0 "check --json (valid)" check - --json --at "$(vector all_features at)" --public-key key.hex
STDIN=crc_damage_one_character.txt same 3 "check (mistyped)" check - --at "$(vector crc_damage_one_character at)" --public-key key.hex
STDIN=crc_damage_one_character.txt same 3 "check --json (mistyped)" check - --json --at "$(vector crc_damage_one_character at)" --public-key key.hex
STDIN=expired_day_after.txt same 7 "check (expired)" check - --at "$(vector expired_day_after at)" --public-key key.hex
STDIN=expired_day_after.txt same 7 "check --json (expired)" check - --json --at "$(vector expired_day_after at)" --public-key key.hex
grep -q '"status":"expired"' win/out || { echo "check --json (expired): no expired status in $(cat win/out)" >&2; failures=$((failures + 1)); }

# The key on the command line, with the organization, as support types it.
same 6 "check KEY --org (mismatch)" check "$(cat all_features.txt)" --org "Acme Corp" --at "$(vector all_features at)" --public-key key.hex

# VERIFIER_PUBLIC_KEYS: ';' separates paths on Windows (a drive letter's ':' is not a separator).
code=0
VERIFIER_PUBLIC_KEYS="nothing-here.hex;Z:$(pwd | tr / '\\')\\key.hex" NO_COLOR=1 WINEDEBUG=-all \
  wine win/verifier.exe check - --at "$(vector all_features at)" < all_features.txt > win/out 2> win/err || code=$?
if [ "$code" != 2 ] || ! grep -q 'public key nothing-here.hex: ' win/err; then
  # Both paths are read: the first is missing, which must be named (a ':' split would have
  # cut the drive letter off the second instead).
  echo "VERIFIER_PUBLIC_KEYS with ';': exit $code: $(cat win/err)" >&2
  failures=$((failures + 1))
else
  echo "VERIFIER_PUBLIC_KEYS with ';': the missing first path is named"
fi
code=0
VERIFIER_PUBLIC_KEYS="key.hex;Z:$(pwd | tr / '\\')\\key.hex" NO_COLOR=1 WINEDEBUG=-all \
  wine win/verifier.exe check - --at "$(vector all_features at)" < all_features.txt > win/out 2> win/err || code=$?
[ "$code" = 0 ] && echo "VERIFIER_PUBLIC_KEYS with ';': valid" ||
  { echo "VERIFIER_PUBLIC_KEYS with ';': exit $code: $(cat win/err)" >&2; failures=$((failures + 1)); }

# batch: a CSV of the three keys; the report written to a file (published whole: a temporary
# file renamed over the target), then as JSON Lines on stdout.
{
  echo "key,organization"
  echo "$(cat all_features.txt),Acme Analytics GmbH"
  echo "$(cat crc_damage_one_character.txt),Acme Analytics GmbH"
  echo "$(cat expired_day_after.txt),"
} > keys.csv
# Each writes its own report file; both must be the same bytes, and no temporary file is left.
linux_code=0 win_code=0
NO_COLOR=1 "$linux_verifier" batch --input keys.csv --output report-linux.csv --at 2028-01-01 --public-key key.hex > /dev/null 2>&1 || linux_code=$?
NO_COLOR=1 WINEDEBUG=-all wine win/verifier.exe batch --input keys.csv --output report-win.csv --at 2028-01-01 --public-key key.hex > /dev/null 2>&1 || win_code=$?
if [ "$linux_code" = 1 ] && [ "$win_code" = 1 ] && [ -s report-win.csv ] && cmp -s report-linux.csv report-win.csv &&
  ! ls .partial-* >/dev/null 2>&1; then
  echo "batch --output: exit 1, $(wc -l < report-win.csv) lines, as on Linux"
else
  echo "batch --output: exit $win_code (Linux $linux_code); the report differs from Linux's, is missing, or a temporary file was left" >&2
  failures=$((failures + 1))
fi
# A report replaces an existing file whole (on Windows, a rename over the old file).
echo "an older report" > existing.csv
same 1 "batch --output over an existing report" batch --input keys.csv --output existing.csv --at 2028-01-01 --public-key key.hex
cmp -s existing.csv report-linux.csv || { echo "batch did not replace existing.csv with its report" >&2; failures=$((failures + 1)); }
same 1 "batch --json" batch --input keys.csv --json --at 2028-01-01 --public-key key.hex

[ "$failures" = 0 ] || { echo "verifier.exe: $failures failures" >&2; exit 1; }
