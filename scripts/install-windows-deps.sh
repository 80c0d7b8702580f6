#!/usr/bin/env bash
# What the Windows and .NET tests (scripts/test-windows.sh) need on a Debian machine, installed
# only where missing: the x86_64-pc-windows-gnu Rust target, the mingw-w64 cross compiler (it
# links Rust's Windows target and builds the test programs), Wine to run them headless, and
# Mono (mcs, the runtime and the netstandard facade) to build and test the C# binding.
set -euo pipefail

packages=()
command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1 || packages+=(gcc-mingw-w64-x86-64)
command -v wine >/dev/null 2>&1 || packages+=(wine64 wine)
command -v mcs >/dev/null 2>&1 || packages+=(mono-mcs)
command -v mono >/dev/null 2>&1 || packages+=(mono-runtime)
# The netstandard facade: the binding is compiled against it so that it can use only what
# .NET Standard 2.0 has.
ls /usr/lib/mono/4.5/Facades/netstandard.dll >/dev/null 2>&1 || packages+=(mono-devel)
command -v zip >/dev/null 2>&1 || packages+=(zip)
if [ ${#packages[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
fi
rustup target list --installed | grep -qx x86_64-pc-windows-gnu || rustup target add x86_64-pc-windows-gnu
