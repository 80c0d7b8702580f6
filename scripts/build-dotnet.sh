#!/usr/bin/env bash
# Builds the C# binding, OUTDIR/Ast.ProductKeys.dll and its XML documentation, with Mono's mcs
# under the rules of bindings/dotnet/rules.sh (C# 7.0, .NET Standard 2.0's types, .NET
# Framework 4.8's members), so that .NET Framework 4.8 and .NET 6+ products can both use it.
# Usage: scripts/build-dotnet.sh OUTDIR   (needs mono-mcs and mono-devel)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
if [ $# -ne 1 ]; then
  echo "usage: $0 OUTDIR" >&2
  exit 2
fi
out="$1"
# shellcheck source=../bindings/dotnet/rules.sh
. "$repo/bindings/dotnet/rules.sh"
version="$(sed -n 's/^version = "\(.*\)"/\1/p' "$repo/Cargo.toml" | head -1)"
mkdir -p "$out"
info="$(mktemp --suffix=.cs)"
trap 'rm -f "$info"' EXIT
cat > "$info" <<INFO
[assembly: System.Reflection.AssemblyTitle("Ast.ProductKeys")]
[assembly: System.Reflection.AssemblyDescription("Verifies AST 8 product keys through product_key.dll")]
[assembly: System.Reflection.AssemblyVersion("$version.0")]
[assembly: System.CLSCompliant(false)]
INFO
dotnet_compile "$out/Ast.ProductKeys.dll" library -doc:"$out/Ast.ProductKeys.xml" "$info" "$repo"/bindings/dotnet/src/*.cs
