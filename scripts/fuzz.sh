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

# LeakSanitizer, not cargo-fuzz's default AddressSanitizer: the code under test is safe Rust
# (the workspace forbids `unsafe`) but for product-key-ffi's exports, whose unsafe code only
# reads the request's pointers, which the ffi_verify_json target makes well-formed whatever the
# input (the input reaches only the safe code behind them). What the input can still get wrong
# there is ownership (a string not freed): LeakSanitizer, which libFuzzer drives after each
# run, finds that, and it instruments nothing, so the build costs what an uninstrumented one
# does (AddressSanitizer instruments every crate of the build, and slows each run). Debug
# assertions and overflow checks stay on (cargo-fuzz's default), with Rust's checks of unsafe
# preconditions (null and misaligned pointers).
# `run` is given the same options, or it would build everything again with its default.
build_options=(--sanitizer leak)
targets=$(cargo +nightly fuzz list)
# One build for all targets, before any runs.
cargo +nightly fuzz build "${build_options[@]}"
for target in $targets; do
    mkdir -p "corpus/$target"
    echo "== $target: ${seconds} s"
    # -timeout: an input judged for over 10 s is a failure (issue 18: no input may take long).
    cargo +nightly fuzz run "${build_options[@]}" "$target" "corpus/$target" "seeds/$target" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
done
echo "fuzz: every target ran ${seconds} s without a crash"
