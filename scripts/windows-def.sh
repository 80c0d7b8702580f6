#!/usr/bin/env bash
# The module-definition file an MSVC-built product makes its import library from
# (lib /def:product_key.def /machine:x64 /out:product_key.lib, or llvm-dlltool -m
# i386:x86-64 -d product_key.def -l product_key.lib): the functions product_key.dll exports.
#
#   scripts/windows-def.sh product_key.dll product_key.h > product_key.def
#   scripts/windows-def.sh --check product_key.def product_key.h
#
# The first form reads the DLL's export table (with mingw's objdump) and refuses a DLL whose
# exports are not exactly the header's functions; the second refuses a .def file that does
# not list every function the header declares.
set -euo pipefail

usage() {
  echo "usage: $0 product_key.dll product_key.h > product_key.def" >&2
  echo "       $0 --check product_key.def product_key.h" >&2
  exit 2
}

# The functions a header declares: every pk_ name followed by "(" outside comments.
declared() {
  grep -v '^\s*//' "$1" | grep -o '\bpk_[a-z0-9_]*\s*(' | tr -d '( ' | sort -u
}

if [ "${1:-}" = "--check" ]; then
  [ $# -eq 3 ] || usage
  listed="$(sed -n '/^EXPORTS/,$p' "$2" | sed '1d' | awk '{print $1}' | sort -u)"
  missing="$(comm -23 <(declared "$3") <(printf '%s\n' "$listed"))"
  if [ -n "$missing" ]; then
    echo "$2 does not list these functions of $3: $(echo $missing)" >&2
    exit 1
  fi
  exit 0
fi

[ $# -eq 2 ] || usage
dll="$1"
header="$2"
exports="$(x86_64-w64-mingw32-objdump -p "$dll" | sed -n '/^\[Ordinal\/Name Pointer\] Table/,/^$/p' |
  sed -n 's/^\s*\[ *[0-9]*\] //p' | sort -u)"
if [ -z "$exports" ]; then
  echo "$dll exports nothing (is it product_key.dll?)" >&2
  exit 1
fi
expected="$(declared "$header")"
if [ "$exports" != "$expected" ]; then
  echo "$dll does not export exactly the functions of $header:" >&2
  diff <(printf '%s\n' "$expected") <(printf '%s\n' "$exports") | sed -n 's/^</  declared, not exported:/p; s/^>/  exported, not declared:/p' >&2
  exit 1
fi
echo "LIBRARY product_key.dll"
echo "EXPORTS"
printf '    %s\n' $exports
