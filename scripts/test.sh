#!/usr/bin/env bash
# Runs every test tier against the normal build (build/) and the ASan/UBSan
# build (build-asan/): the Criterion unit suites and other ctest tests, then
# the node --test end-to-end suite and the hostile tier (tests/hostile/:
# bounded attacks on loopback, one file at a time because they measure the
# server's memory) against each binary, then the browser tier and the
# compatibility tier (tests/compat/: the public guide's and samples' code as
# written) against the normal build. Prints each tier's result and ends
# with the summary line `N passed, N failed[, N skipped]`.
# Exit status is non-zero when anything failed.
#
# PostgreSQL + Redis tiers: a private PostgreSQL and Redis
# (scripts/services.sh, fsync off) run for the whole script and are stopped
# at its end, whatever happens. `unit [postgres]` runs the unit binaries that
# read CHATHUB_TEST_PG or CHATHUB_TEST_REDIS with both set (the store contract
# suite then runs against PostgreSQL as well); `e2e [postgres]` is the e2e
# suite against the normal build with each server on a database of its own
# and the Redis bus. The other tiers never see those variables.
# Cluster tiers: `cluster [postgres]` is tests/cluster/ (chaos, routing,
# revocation, negotiation, order across three processes behind haproxy), and
# `e2e [cluster]` / `hostile [cluster]` run the isolation files and the
# hostile tier with CHATHUB_TEST_CLUSTER=1 (each server a cluster); every
# file starts its own cluster (scripts/cluster.sh, private services).
# CHATHUB_TEST_SERVICES=0 skips the PostgreSQL + Redis tiers, cluster ones too.
# After the unit tiers, two lanes run side by side (see below); the tiers are
# reported in a fixed order once both are done.
set -uo pipefail
cd "$(dirname "$0")/.."

BUILD=${BUILD:-build}
ASAN_BUILD=${ASAN_BUILD:-build-asan}
LOG_DIR=${LOG_DIR:-$BUILD/test-logs}
mkdir -p "$LOG_DIR"

passed=0 failed=0 skipped=0
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:exitcode=86}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

add() { passed=$((passed + $1)); failed=$((failed + $2)); skipped=$((skipped + ${3:-0})); }

# The cluster services, for the postgres tiers only (never exported).
SVC_DIR= TEST_PG= TEST_REDIS= SVC_STATE=skipped
stop_services() { [ -n "$SVC_DIR" ] && scripts/services.sh stop --dir "$SVC_DIR" >/dev/null 2>&1; SVC_DIR=; }
trap stop_services EXIT
trap 'exit 130' INT TERM
start_services() {
  [ "${CHATHUB_TEST_SERVICES:-1}" = 0 ] && return 0
  SVC_DIR=$(mktemp -d "${TMPDIR:-/tmp}/chathub-test-services.XXXXXX")
  local out
  if out=$(scripts/services.sh start all --dir "$SVC_DIR" --no-fsync 2>"$LOG_DIR/services.log"); then
    TEST_PG=$(echo "$out" | sed -nE 's/^export CHATHUB_TEST_PG=//p')
    TEST_REDIS=$(echo "$out" | sed -nE 's/^export CHATHUB_TEST_REDIS=//p')
    sed 's/^/services: /' "$LOG_DIR/services.log"
    SVC_STATE=up
  else
    echo "services: PostgreSQL/Redis did not start (see $LOG_DIR/services.log)"
    SVC_STATE=failed
  fi
}

# Criterion suites (each test in its own process) + the other ctest tests.
# run_unit DIR NAME [PATTERN]: with PATTERN, only the binaries containing it
# (the ones reading an environment variable) and no other ctest tests.
run_unit() {
  local dir=$1 name=$2 only=${3:-} log="$LOG_DIR/unit-$2.log" p=0 f=0
  : >"$log"
  for t in "$dir"/unit_*; do
    [ -x "$t" ] || continue
    [ -z "$only" ] || grep -qaE "$only" "$t" || continue
    out=$("$t" --jobs 2 2>&1); rc=$?
    echo "$out" >>"$log"
    syn=$(echo "$out" | grep -E 'Synthesis: Tested' | tail -n 1)
    tp=$(echo "$syn" | sed -nE 's/.*Passing: ([0-9]+).*/\1/p'); tp=${tp:-0}
    tf=$(echo "$syn" | sed -nE 's/.*Failing: ([0-9]+).*Crashing: ([0-9]+).*/\1 \2/p')
    tf=$(( ${tf% *} + ${tf#* } )) 2>/dev/null || tf=0
    if [ -z "$syn" ] || { [ "$rc" -ne 0 ] && [ "$tf" -eq 0 ]; }; then tf=$((tf + 1)); fi
    # Criterion counts a test as passing even when a sanitizer reported in it.
    if echo "$out" | grep -qE 'Sanitizer|runtime error:'; then tf=$((tf + 1)); fi
    p=$((p + tp)); f=$((f + tf))
    [ "$tf" -gt 0 ] && echo "  FAIL $(basename "$t") (see $log)"
  done
  # ctest tests that are not Criterion binaries (docs freshness, ...)
  if [ -n "$only" ]; then
    :
  elif (cd "$dir" && ctest -E '^unit_' --output-on-failure >>"../$log" 2>&1); then
    n=$(cd "$dir" && ctest -N -E '^unit_' | sed -nE 's/^Total Tests: ([0-9]+)/\1/p'); p=$((p + ${n:-0}))
  else
    nf=$(grep -cE '\*\*\*Failed|\(Failed\)' "$log"); f=$((f + (nf > 0 ? nf : 1)))
    echo "  FAIL ctest (see $log)"
  fi
  echo "unit [$name]: $p passed, $f failed"
  add "$p" "$f"
}

# node --test files of one directory against one binary: e2e (Node clients),
# hostile (attacks; one file at a time) and browser (Debian chromium via
# playwright-core; one file at a time, each browser is heavy on two cores).
node_run() {
  local tier=$1 dir=$2 conc=$3 bin=$4 name=$5 log="$LOG_DIR/$1-$5.log"
  # shellcheck disable=SC2086 # dir: a directory or several files
  CHATHUB_BIN="$PWD/$bin" node --test --test-concurrency="$conc" $dir >"$log" 2>&1
  echo $? >"$log.rc"
}

node_report() {
  local tier=$1 name=$5 log="$LOG_DIR/$1-$5.log" rc
  rc=$(cat "$log.rc" 2>/dev/null || echo 1)
  p=$(sed -nE 's/^# pass ([0-9]+)/\1/p' "$log" | tail -n 1); p=${p:-0}
  f=$(sed -nE 's/^# fail ([0-9]+)/\1/p' "$log" | tail -n 1); f=${f:-0}
  c=$(sed -nE 's/^# cancelled ([0-9]+)/\1/p' "$log" | tail -n 1); f=$((f + ${c:-0}))
  s=$(sed -nE 's/^# skipped ([0-9]+)/\1/p' "$log" | tail -n 1); s=${s:-0}
  # node counts a skipped describe() (a whole file) as passed: count it skipped
  sk=$(awk '/^ok [0-9]+ - .* # SKIP/ {m = 1; next} /^(ok|not ok) / {m = 0} m && /type: .suite./ {n++; m = 0}
            END {print n + 0}' "$log"); p=$((p - sk)); s=$((s + sk))
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  [ "$f" -gt 0 ] && { echo "  $tier failures ($log):"; grep -E '^not ok|^# Subtest' "$log" | grep -B1 '^not ok' | head -40 | sed 's/^/    /'; }
  if [ "$s" -gt 0 ]; then echo "$tier [$name]: $p passed, $f failed, $s skipped"; else echo "$tier [$name]: $p passed, $f failed"; fi
  add "$p" "$f" "$s"
}

# The postgres tiers' environment: the services' URLs.
with_services() { CHATHUB_TEST_PG=$TEST_PG CHATHUB_TEST_REDIS=$TEST_REDIS "$@"; }

# A tier that needs the services: runs, or reports why not.
services_or_report() { # tier name
  case "$SVC_STATE" in
    up) return 0 ;;
    skipped) echo "$1 [$2]: skipped (CHATHUB_TEST_SERVICES=0)" ;;
    *) echo "$1 [$2]: 0 passed, 1 failed (PostgreSQL/Redis did not start)"; add 0 1 ;;
  esac
  return 1
}

# Fuzz targets into a log (fuzz_run, any lane), reported later (fuzz_report).
fuzz_run() {
  [ -d "${FUZZ_BUILD:-build-fuzz}" ] || return 0
  scripts/fuzz.sh "${FUZZ_BUILD:-build-fuzz}" "${FUZZ_SECONDS:-20}" >"$LOG_DIR/fuzz.log" 2>&1
}

fuzz_report() {
  [ -d "${FUZZ_BUILD:-build-fuzz}" ] || return 0
  local out; out=$(cat "$LOG_DIR/fuzz.log" 2>/dev/null)
  echo "$out" | grep -v '^fuzz:'
  p=$(echo "$out" | sed -nE 's/^fuzz: ([0-9]+) passed, ([0-9]+) failed/\1/p')
  f=$(echo "$out" | sed -nE 's/^fuzz: ([0-9]+) passed, ([0-9]+) failed/\2/p')
  add "${p:-0}" "${f:-1}"
}

start_services
run_unit "$BUILD" normal
run_unit "$ASAN_BUILD" asan
services_or_report unit postgres && with_services run_unit "$BUILD" postgres 'CHATHUB_TEST_(PG|REDIS)'

# The e2e files that also run on a 3-process cluster: isolation, and the
# operator's tools whose events and budgets cross processes (business hours:
# the queue drains at the opening whichever process queued the chat).
CLUSTER_E2E="tests/e2e/05-isolation.test.js tests/e2e/15-isolation.test.js tests/e2e/41-canned-responses.test.js
  tests/e2e/42-notes.test.js tests/e2e/44-client-profile.test.js tests/e2e/45-labels.test.js
  tests/e2e/46-auto-close.test.js tests/e2e/47-redaction.test.js tests/e2e/48-webhooks.test.js tests/e2e/49-csat.test.js
  tests/e2e/50-business-hours.test.js tests/e2e/51-erasure.test.js tests/e2e/52-events.test.js"

# Two lanes side by side (most of a tier's time is waiting: two cores keep
# up with both); each tier writes its log, and every tier is reported below in
# this fixed order once both lanes are done.
# Lane 1: the single-process tiers on both builds; the fuzz targets run beside
# them from the start, at a lower priority (the tiers mostly wait on sockets
# and timers; the fuzzers are pure CPU).
(
  ( renice -n 10 "$BASHPID" >/dev/null; fuzz_run ) & fuzz=$!
  node_run e2e tests/e2e/ 2 "$BUILD/chathub" normal
  node_run e2e tests/e2e/ 2 "$ASAN_BUILD/chathub" asan
  node_run hostile tests/hostile/ 1 "$BUILD/chathub" normal
  node_run hostile tests/hostile/ 1 "$ASAN_BUILD/chathub" asan
  wait "$fuzz"
) & lane1=$!
# Lane 2: PostgreSQL + Redis (one process), the clusters (each file starts its
# own: scripts/cluster.sh), then the browser and compatibility tiers. (With the
# fuzz targets beside lane 1, the lanes end within a minute or two of each other
# on a clean clone; the hostile cluster tier in lane 1 made it the longer one.)
pg_ok=0
[ "$SVC_STATE" = up ] && pg_ok=1
if [ "$pg_ok" = 1 ]; then
  with_services node_run e2e tests/e2e/ 2 "$BUILD/chathub" postgres
  # files that start their processes on the shared services, and files that
  # start whole clusters of their own
  with_services node_run cluster tests/cluster/ 1 "$BUILD/chathub" postgres
  stop_services
  CHATHUB_TEST_CLUSTER=1 node_run e2e "$CLUSTER_E2E" 1 \
    "$BUILD/chathub" cluster
  CHATHUB_TEST_CLUSTER=1 node_run hostile tests/hostile/ 1 "$BUILD/chathub" cluster
fi
stop_services
node_run browser tests/browser/ 1 "$BUILD/chathub" normal
node_run compat tests/compat/ 1 "$BUILD/chathub" normal
wait "$lane1"

node_report e2e tests/e2e/ 2 "$BUILD/chathub" normal
node_report e2e tests/e2e/ 2 "$ASAN_BUILD/chathub" asan
node_report hostile tests/hostile/ 1 "$BUILD/chathub" normal
node_report hostile tests/hostile/ 1 "$ASAN_BUILD/chathub" asan
if [ "$pg_ok" = 1 ]; then
  node_report e2e tests/e2e/ 2 "$BUILD/chathub" postgres
  node_report cluster tests/cluster/ 1 "$BUILD/chathub" postgres
  node_report e2e "$CLUSTER_E2E" 1 "$BUILD/chathub" cluster
  node_report hostile tests/hostile/ 1 "$BUILD/chathub" cluster
else
  for t in "e2e postgres" "cluster postgres" "e2e cluster" "hostile cluster"; do services_or_report $t; done
fi
node_report browser tests/browser/ 1 "$BUILD/chathub" normal
node_report compat tests/compat/ 1 "$BUILD/chathub" normal
fuzz_report

if [ "$skipped" -gt 0 ]; then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
