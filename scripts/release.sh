#!/usr/bin/env bash
# The release, for machines without Rust. Run from anywhere:
#
#   scripts/release.sh [DIR] [--public-key FILE]...   (DIR default: target/dist, under
#   CARGO_TARGET_DIR when set)
#
# Makes in DIR:
#   ast-keys-VERSION-linux-ARCH.tar.gz  keygen and verifier (bin/; the four editions are built
#       in, no other file is needed), their man pages and shell completions, the README and
#       the guides;
#   Ast.ProductKeys.VERSION.nupkg       the C# binding for the product: the assembly under
#       lib/netstandard2.0/, product_key.dll under runtimes/win-x64/native/,
#       libproduct_key.so under runtimes/linux-x64/native/, and for C and C++ hosts the header
#       (native/include/), product_key.def and mingw's import library libproduct_key.dll.a
#       (native/win-x64/; see docs/embedding.md);
#   ast-keys-VERSION-windows-support.zip  for support desks on Windows: verifier.exe, the
#       support page built with the vendor's public key(s) given by --public-key (made only
#       when one is given), and the README.
# Needs what scripts/install-windows-deps.sh installs (mingw-w64, Mono) and the wasm32 target.
# Not tested here: a real `dotnet restore` of the package, and Windows itself.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
out="${CARGO_TARGET_DIR:-$repo/target}/dist"
keys=()
while [ $# -gt 0 ]; do
  case "$1" in
    --public-key) [ $# -ge 2 ] || { echo "--public-key needs a FILE" >&2; exit 2; }; keys+=(--public-key "$2"); shift 2 ;;
    --public-key=*) keys+=(--public-key "${1#*=}"); shift ;;
    -*) echo "unknown option: $1 (usage: $0 [DIR] [--public-key FILE]...)" >&2; exit 2 ;;
    *) out="$1"; shift ;;
  esac
done
windows=x86_64-pc-windows-gnu
# Where cargo puts each artifact (CARGO_TARGET_DIR and --target included), as cargo says.
# Two builds, each made once: the whole workspace for Linux (as the README builds it), and
# verifier with the library for Windows. Each artifact is asked for with the same arguments
# as the others of its build, so cargo finds it built: a `-p` build of one package selects
# other features of the shared crates and would compile much of the tree again. Cargo's own
# progress shows on stderr.
artifact() { "$repo/scripts/cargo-artifact.sh" "$@" --release --locked; }
echo "== cargo build --release --locked: the workspace, then verifier and the library for $windows" >&2
keygen="$(artifact keygen bin)"
verifier="$(artifact verifier bin)"
so="$(artifact product_key so)"
for_windows=(-p verifier -p product-key-ffi --target "$windows")
dll="$(artifact product_key dll "${for_windows[@]}")"
import_lib="$(artifact product_key dll.a "${for_windows[@]}")"
verifier_exe="$(artifact verifier bin "${for_windows[@]}")"
version="$("$keygen" --version | awk '{print $2}')"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
mkdir -p "$out"
out="$(cd "$out" && pwd)"

# The Linux archive.
name="ast-keys-$version-$(uname -s | tr '[:upper:]' '[:lower:]')-$(uname -m)"
mkdir -p "$stage/$name/bin" "$stage/$name/share"
cp "$keygen" "$verifier" "$stage/$name/bin/"
"$keygen" generate-docs "$stage/$name/share/docs"
"$verifier" generate-docs "$stage/$name/share/docs"
cp -r "$repo/README.md" "$repo/docs" "$repo/templates" "$stage/$name/"
tar -C "$stage" -czf "$out/$name.tar.gz" "$name"
echo "$out/$name.tar.gz"

# The NuGet package: a zip with the nuspec at its root and the parts NuGet's readers expect.
pkg="$stage/nupkg"
mkdir -p "$pkg/lib/netstandard2.0" "$pkg/runtimes/win-x64/native" "$pkg/runtimes/linux-x64/native" "$pkg/native/include" \
  "$pkg/native/win-x64" "$pkg/_rels"
"$repo/scripts/build-dotnet.sh" "$pkg/lib/netstandard2.0"
cp "$dll" "$pkg/runtimes/win-x64/native/product_key.dll"
cp "$so" "$pkg/runtimes/linux-x64/native/libproduct_key.so"
cp "$repo/product-key-ffi/include/product_key.h" "$pkg/native/include/"
cp "$import_lib" "$pkg/native/win-x64/libproduct_key.dll.a"
"$repo/scripts/windows-def.sh" "$dll" "$repo/product-key-ffi/include/product_key.h" > "$pkg/native/win-x64/product_key.def"
sed "s/@VERSION@/$version/" "$repo/bindings/dotnet/Ast.ProductKeys.nuspec" > "$pkg/Ast.ProductKeys.nuspec"
cat > "$pkg/[Content_Types].xml" <<'XML'
<?xml version="1.0" encoding="utf-8"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml" /><Default Extension="nuspec" ContentType="application/octet" /><Default Extension="dll" ContentType="application/octet" /><Default Extension="so" ContentType="application/octet" /><Default Extension="xml" ContentType="application/octet" /><Default Extension="h" ContentType="application/octet" /><Default Extension="def" ContentType="application/octet" /></Types>
XML
cat > "$pkg/_rels/.rels" <<'XML'
<?xml version="1.0" encoding="utf-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Type="http://schemas.microsoft.com/packaging/2010/07/manifest" Target="/Ast.ProductKeys.nuspec" Id="R0" /></Relationships>
XML
rm -f "$out/Ast.ProductKeys.$version.nupkg"
(cd "$pkg" && zip -q -X -D -r "$out/Ast.ProductKeys.$version.nupkg" .)
echo "$out/Ast.ProductKeys.$version.nupkg"

# The Windows zip for support.
if [ ${#keys[@]} -eq 0 ]; then
  echo "no --public-key given: the Windows support zip (it holds the support page built with the vendor's key) was not made" >&2
  exit 0
fi
name="ast-keys-$version-windows-support"
mkdir -p "$stage/$name"
cp "$verifier_exe" "$stage/$name/verifier.exe"
cp "$repo/README.md" "$stage/$name/"
"$repo/scripts/support-page.sh" "${keys[@]}" --out "$stage/$name/support.html" >/dev/null
rm -f "$out/$name.zip"
(cd "$stage" && zip -q -X -r "$out/$name.zip" "$name")
echo "$out/$name.zip"
