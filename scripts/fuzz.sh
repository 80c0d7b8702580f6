#!/usr/bin/env bash
# Runs every fuzz target (fuzz/fuzz_targets, cargo-fuzz and libFuzzer) for SECONDS each
# (default 30), starting from the committed seeds (fuzz/seeds/TARGET) and the corpus of
# earlier runs (fuzz/corpus/TARGET, not committed). Fails if a target finds a crash (a panic,
# a failed oracle, a leak or a timeout); its input is left in fuzz/artifacts/TARGET.
# Installs cargo-fuzz (and the nightly toolchain) when missing.
set -euo pipefail

seconds="${1:-30}"
case "$seconds" in
'' | *[!0-9]*) echo "usage: scripts/fuzz.sh [SECONDS]" >&2; exit 2 ;;
esac
cd "$(dirname "$0")/../fuzz"

if ! rustup toolchain list | grep -q '^nightly'; then
    rustup toolchain install nightly --profile minimal
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi

targets=$(cargo +nightly fuzz list)
# One build for all targets, before any runs.
cargo +nightly fuzz build
for target in $targets; do
    mkdir -p "corpus/$target"
    echo "== $target: ${seconds} s"
    # -timeout: an input judged for over 10 s is a failure (issue 18: no input may take long).
    cargo +nightly fuzz run "$target" "corpus/$target" "seeds/$target" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
done
echo "fuzz: every target ran ${seconds} s without a crash"
