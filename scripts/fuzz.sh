#!/usr/bin/env bash
# Fuzzes the story-body renderer, the paywall gate and the wire parsers
# (both formats together, ninjs alone, NewsML-G2 alone, and the hand-written
# HTML body reader) for a bounded time.
#
#   scripts/fuzz.sh [SECONDS]     # each target for SECONDS (default 30)
#
# Installs cargo-fuzz if it is missing (`cargo install cargo-fuzz --locked`,
# about a minute), then runs every target in fuzz/ on the stable toolchain
# without a sanitizer (`-s none`; stable cannot pass `-Zsanitizer`). For
# AddressSanitizer use the nightly toolchain by hand:
# `cargo +nightly fuzz run <target>`.
#
# Seeds are read from fuzz/corpus/<target>/ (kept in git, small); new inputs
# go to fuzz/work/<target>/ and findings to fuzz/artifacts/<target>/ (both
# ignored by git). The build goes to fuzz/target/. Not part of
# scripts/test.sh. Exits non-zero if a target finds a failure (a panic, a
# broken property, or an input slower than 10 s).
set -euo pipefail

secs="${1:-30}"
case "$secs" in
  '' | *[!0-9]*) echo "usage: $0 [SECONDS]  (a whole number of seconds per target)" >&2; exit 2 ;;
esac

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root/fuzz"

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "cargo-fuzz is missing: installing it (about a minute)" >&2
  cargo install cargo-fuzz --locked
fi

# Keep the fuzz build inside this checkout, apart from the main build.
target_dir="$root/fuzz/target"
unset CARGO_TARGET_DIR

status=0
for t in render gate wire wire_ninjs wire_newsml wire_html; do
  mkdir -p "work/$t" "artifacts/$t"
  echo "== fuzzing $t for ${secs}s" >&2
  if ! cargo fuzz run -s none --target-dir "$target_dir" "$t" "work/$t" "corpus/$t" -- \
      -max_total_time="$secs" -timeout=10 -max_len=20000 \
      -artifact_prefix="artifacts/$t/" -print_final_stats=1; then
    echo "== $t FAILED: see fuzz/artifacts/$t/" >&2
    status=1
  fi
done
exit "$status"
