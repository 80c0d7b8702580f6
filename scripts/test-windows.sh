#!/usr/bin/env bash
# The Windows and .NET tests, run here with mingw-w64, Wine and Mono (installed first, where
# missing, by scripts/install-windows-deps.sh):
#   1. product_key.dll (cross-built for x86_64-pc-windows-gnu) imports system DLLs only, and
#      the C vector program, cross-compiled with -std=c11 -Wall -Wextra -pedantic -Werror,
#      reaches every vector under Wine: linked with mingw's import library, with the static
#      library, and with an import library made from product_key.def as an MSVC product would;
#   2. verifier.exe under Wine prints byte for byte what the Linux verifier prints for check
#      (valid, mistyped, expired; text and --json) and batch, and reads VERIFIER_PUBLIC_KEYS
#      separated by ';';
#   3. the C# binding, built by scripts/build-dotnet.sh, passes its tests under Mono (every
#      vector, typed and JSON equal to `verifier check --json`, one KeyVerifier shared by
#      threads), and the C# example in docs/embedding.md compiles under the binding's rules.
# Each check is also shown to fail once on damaged input.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
target=x86_64-pc-windows-gnu

# A fresh machine needs nothing else: what is missing is installed first.
scripts/install-windows-deps.sh
missing=()
for tool in x86_64-w64-mingw32-gcc x86_64-w64-mingw32-objdump x86_64-w64-mingw32-dlltool wine wineserver mcs mono ikdasm python3; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
rustup target list --installed 2>/dev/null | grep -qx "$target" || missing+=("the $target target")
if [ ${#missing[@]} -gt 0 ]; then
  printf 'the Windows tests need (scripts/install-windows-deps.sh installs them): %s\n' "${missing[*]}" >&2
  exit 1
fi

# The code behind cfg(windows) / cfg(not(unix)) is linted only when built for Windows.
cargo clippy --quiet --locked -p verifier -p cli-support -p tabular -p product-key-ffi --target "$target" -- -D warnings
# Where cargo puts them (CARGO_TARGET_DIR and --target included), as cargo says.
dll="$(scripts/cargo-artifact.sh product_key dll --quiet --locked -p product-key-ffi --target "$target")"
win="$(dirname "$dll")"   # product_key.dll, libproduct_key.dll.a and libproduct_key.a
verifier_exe="$(scripts/cargo-artifact.sh verifier bin --quiet --locked -p verifier --target "$target")"
# The Linux library and verifier as the workspace's tests build them (--examples turns on the
# dev-dependencies' features): scripts/test.sh runs this beside them, so nothing is compiled
# again, and a library or verifier built with other features (`-p product-key-ffi`) would
# replace theirs under them.
so="$(scripts/cargo-artifact.sh product_key so --quiet --locked --workspace --lib --bins --examples)"
linux="$(dirname "$so")"
verifier="$(scripts/cargo-artifact.sh verifier bin --quiet --locked --workspace --lib --bins --examples)"
scratch="$(mktemp -d)"
export WINEDEBUG=-all WINEPREFIX="${CARGO_TARGET_DIR:-$repo/target}/wine"
trap 'wineserver -k >/dev/null 2>&1 || true; rm -rf "$scratch"' EXIT
if [ ! -f "$WINEPREFIX/system.reg" ]; then
  # A new prefix: about 15 s and 700 MB, once; it prints a few lines even with WINEDEBUG=-all.
  wineboot -i >/dev/null 2>&1
  wineserver -w
fi

fail() {
  echo "FAILED: $*" >&2
  exit 1
}

# Runs a Windows program; its output with the CR of Windows' text-mode line ends removed.
under_wine() {
  wine "$@" | tr -d '\r'
}

# Rust's std imports ProcessPrng from bcryptprimitives.dll, which Wine 8 lacks: the test stub
# goes beside the programs built by Rust (never into a release).
x86_64-w64-mingw32-gcc -std=c11 -Wall -Wextra -pedantic -Werror -shared -o "$scratch/bcryptprimitives.dll" \
  tests/windows/process_prng_stub.c -ladvapi32

echo "== product_key.dll"
imports="$(x86_64-w64-mingw32-objdump -p "$dll" | sed -n 's/^\s*DLL Name: //p' | sort -u)"
echo "imports: $(echo $imports)"
for import in $imports; do
  case "$(echo "$import" | tr '[:upper:]' '[:lower:]')" in
    # Windows' own (bcryptprimitives.dll since Windows 10; only debug builds import it and
    # userenv and ws2_32: the release DLL needs kernel32, ntdll, msvcrt and api-ms-win-core-synch).
    kernel32.dll | ntdll.dll | msvcrt.dll | advapi32.dll | bcrypt.dll | bcryptprimitives.dll | userenv.dll | ws2_32.dll | api-ms-win-*) ;;
    *) fail "product_key.dll needs $import, which Windows does not have" ;;
  esac
done

echo "== product_key.def (what an MSVC product links against)"
scripts/windows-def.sh "$dll" product-key-ffi/include/product_key.h > "$scratch/product_key.def"
cp "$scratch/product_key.def" "$scratch/damaged.def"
sed -i '/pk_verdict_free/d' "$scratch/damaged.def"
if scripts/windows-def.sh --check "$scratch/damaged.def" product-key-ffi/include/product_key.h 2>/dev/null; then
  fail "a .def file without pk_verdict_free was not refused"
fi

echo "== the C vector program under Wine"
python3 tests/windows/flatten_vectors.py tests/vectors > "$scratch/vectors.txt" 2> "$scratch/count"
count="$(cat "$scratch/count")"
mkdir -p "$scratch/c"
cp "$dll" "$scratch/c/"
build_c() {
  local out="$1"
  shift
  x86_64-w64-mingw32-gcc -std=c11 -Wall -Wextra -pedantic -Werror -I product-key-ffi/include \
    product-key-ffi/tests/c/vectors.c "$@" -o "$out"
}
# With mingw's import library (libproduct_key.dll.a), the DLL beside the program.
build_c "$scratch/c/vectors.exe" -L "$win" -lproduct_key
# With an import library made from the .def, as lib.exe or llvm-dlltool make product_key.lib.
x86_64-w64-mingw32-dlltool -d "$scratch/product_key.def" -D product_key.dll -l "$scratch/product_key.lib"
build_c "$scratch/c/vectors-def.exe" "$scratch/product_key.lib"
# Static: the Rust code inside the program (then Rust's std needs ProcessPrng too).
build_c "$scratch/c/vectors-static.exe" "$win/libproduct_key.a" -lntdll -lws2_32 -luserenv -lbcrypt
cp "$scratch/bcryptprimitives.dll" "$scratch/c/"
for program in vectors vectors-def vectors-static; do
  said="$(under_wine "$scratch/c/$program.exe" "$scratch/vectors.txt")" || fail "$program.exe: $said"
  echo "$program.exe: $said"
  [[ "$said" == *"$count vectors checked, 0 mismatches"* ]] || fail "$program.exe under Wine"
done
sed '0,/^expect valid$/s//expect expired/' "$scratch/vectors.txt" > "$scratch/damaged.txt"
if said="$(under_wine "$scratch/c/vectors.exe" "$scratch/damaged.txt")"; then
  fail "a damaged vector passed under Wine"
fi
[[ "$said" == *"status: expected 'expired', got 'valid'"* ]] || fail "the damaged vector was not named: $said"

echo "== verifier.exe under Wine"
tests/windows/verifier.sh "$verifier_exe" "$scratch/bcryptprimitives.dll" "$verifier" "$scratch/verifier"

echo "== the C# binding under Mono"
dotnet="$scratch/dotnet"
scripts/build-dotnet.sh "$dotnet"
mcs -langversion:7 -warnaserror+ -r:"$dotnet/Ast.ProductKeys.dll" -r:System.Web.Extensions.dll \
  -out:"$dotnet/vectors.exe" bindings/dotnet/tests/*.cs
run_mono() {
  LD_LIBRARY_PATH="$linux${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" mono "$dotnet/vectors.exe" "$@"
}
said="$(run_mono tests/vectors "$verifier")" || fail "the C# tests: $said"
echo "$said" | tail -1
[[ "$said" == *"$count vectors checked, 0 mismatches"* ]] || fail "the C# tests: $said"
cp -r tests/vectors "$scratch/damaged-vectors"
sed -i 's/"status": "valid"/"status": "expired"/' "$scratch/damaged-vectors/all_features.json"
if said="$(run_mono "$scratch/damaged-vectors" "$verifier")"; then
  fail "the C# tests passed a damaged vector"
fi
[[ "$said" == *"all_features: status name: expected 'expired', got 'valid'"* ]] || fail "not named: $said"

echo "== the C# example in docs/embedding.md"
bindings/dotnet/example.sh docs/embedding.md "$dotnet" "$linux"
wineserver -w
echo "Windows and .NET tests passed"
