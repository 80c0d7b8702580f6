# Sourced by scripts/build-dotnet.sh and bindings/dotnet/example.sh: how C# that a .NET
# Framework 4.8 and a .NET 6+ product can both use is compiled here with Mono's mcs.
#   - C# 7.0 (-langversion:7): what the compilers of .NET Framework 4.8 projects accept;
#   - only .NET Framework 4.8's reference assemblies (not Mono's own library, which has APIs
#     such as Marshal.StringToCoTaskMemUTF8 that .NET Framework and .NET Standard 2.0 lack);
#   - then only types that .NET Standard 2.0's netstandard.dll has (checked on the result);
#   - warnings are errors.
dotnet_api=/usr/lib/mono/4.8-api

# dotnet_compile OUT.dll|OUT.exe library|exe [mcs arguments and sources]...
dotnet_compile() {
  local out="$1" kind="$2"
  shift 2
  if [ ! -f "$dotnet_api/mscorlib.dll" ]; then
    echo "$dotnet_api/mscorlib.dll is missing: apt-get install mono-devel" >&2
    return 1
  fi
  mcs -target:"$kind" -langversion:7 -optimize+ -warnaserror+ -warn:4 \
    -nostdlib -noconfig -r:"$dotnet_api/mscorlib.dll" -r:"$dotnet_api/System.dll" \
    -out:"$out" "$@"
  dotnet_check_netstandard "$out" || { rm -f "$out"; return 1; }
}

# dotnet_check_netstandard ASSEMBLY: refuses an assembly that uses a type of .NET Framework
# that .NET Standard 2.0 does not have (the netstandard facade lists those it has).
dotnet_check_netstandard() {
  if ! command -v ikdasm >/dev/null 2>&1; then
    echo "ikdasm is missing (apt-get install mono-devel): cannot check the types $1 uses" >&2
    return 1
  fi
  local allowed used outside
  allowed="$(ikdasm "$dotnet_api/Facades/netstandard.dll" 2>/dev/null | sed -n 's/^\.class extern forwarder \(.*\)$/\1/p' | sort -u)"
  used="$(ikdasm "$1" 2>/dev/null | grep -o '\[\(mscorlib\|System\)\][A-Za-z0-9_.`]*' | sed 's/^\[[^]]*\]//' | sort -u)"
  outside="$(comm -23 <(printf '%s\n' "$used") <(printf '%s\n' "$allowed"))"
  if [ -z "$allowed" ] || [ -z "$used" ] || [ -n "$outside" ]; then
    echo "$1 uses types that .NET Standard 2.0 does not have (or they could not be read):" >&2
    printf '  %s\n' ${outside:-"(nothing read)"} >&2
    return 1
  fi
}
