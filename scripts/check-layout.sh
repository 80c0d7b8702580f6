#!/usr/bin/env bash
# The layout ARCHITECTURE.md draws, checked on cargo's own dependency trees: no clap, axum,
# tokio or indicatif under keygen-core; no axum, tokio or rustls under a command line built
# without the desk. (tests/architecture.rs checks the sources: cycles, SQL, clap.)
set -euo pipefail
cd "$(dirname "$0")/.."

fail=0
check() { # TREE-ARGS... -- FORBIDDEN...
  local args=() forbidden=()
  while [ "$1" != "--" ]; do args+=("$1"); shift; done
  shift
  forbidden=("$@")
  local tree
  tree="$(cargo tree --locked -e normal --prefix none "${args[@]}")"
  for crate in "${forbidden[@]}"; do
    if grep -q "^$crate v" <<<"$tree"; then
      echo "check-layout: cargo tree ${args[*]} holds $crate" >&2
      fail=1
    fi
  done
}
check -p keygen-core -- clap axum tokio indicatif
check -p keygen --no-default-features -- axum tokio rustls hyper
check -p keygen --no-default-features --features mimalloc -- axum tokio rustls hyper
[ "$fail" = 0 ] && echo "check-layout: keygen-core has no clap, axum, tokio or indicatif; keygen without its desk has no axum, tokio or rustls"
exit "$fail"
