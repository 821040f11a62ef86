#!/usr/bin/env bash
# Runs every libFuzzer target of tests/fuzz for a bounded time from its seed
# corpus (copied, so the repository's corpus does not grow). Prints one line
# per target and "fuzz: N passed, N failed"; exits non-zero on any crash.
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-fuzz} secs=${2:-20}
p=0 f=0
for bin in "$build"/fuzz_*; do
  [ -x "$bin" ] || continue
  name=$(basename "$bin"); name=${name#fuzz_}
  work=$(mktemp -d)
  cp -r "tests/fuzz/corpus/$name/." "$work/" 2>/dev/null
  log="$build/fuzz-$name.log"
  if "$bin" "$work" -max_total_time="$secs" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
       -print_final_stats=1 >"$log" 2>&1; then
    runs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+)/\1/p' "$log")
    echo "fuzz $name: ok (${runs:-?} runs in ${secs}s)"; p=$((p + 1))
  else
    echo "fuzz $name: FAILED (see $log)"; grep -m3 -E 'ERROR|SUMMARY' "$log" | sed 's/^/    /'; f=$((f + 1))
  fi
  rm -rf "$work"
done
echo "fuzz: $p passed, $f failed"
[ "$f" -eq 0 ]
