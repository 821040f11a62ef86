#!/usr/bin/env bash
# ChatHub benchmark suite (issue 5). `make bench` runs every scenario and rewrites docs/performance.md.
#
#   bench/run.sh                 # all scenarios, then docs/performance.md
#   bench/run.sh held            # one scenario (or several: chat peer); prints its figures, keeps the raw results
#   bench/run.sh report          # rewrite docs/performance.md from the kept results
#   bench/run.sh cluster         # scenario 5: three processes on PostgreSQL + Redis (scripts/services.sh)
#   bench/run.sh search          # scenario 6: bench/search.sh, full-text search over 1,000,000 messages (SQLite;
#                                #   PostgreSQL too when SEARCH_PG names a server)
#
# Scenarios: held (idle hub connections, RSS per connection), chat (closed loop → msgs/s at saturation; open loop
# at OPEN_RATE msgs/s → latency; every chat run also counts WAL bytes per persisted message and system calls per
# delivered message over its measured window), rest (bench/rest.sh: validate-token and chat/chats next to nginx and
# bare libwebsockets), peer (the chat closed loop against bench/relay/relay.js and build/bench/lwsrelay, interleaved
# with ChatHub's runs), cluster (three processes on a
# private PostgreSQL + Redis: held connections on one SO_REUSEPORT port, and the chat closed loop through them next
# to the single SQLite process, alternating). The server (and the relay) run
# pinned to CPU 0, the load (loadgen, wrk) to CPU 1; each figure is the median of RUNS runs, each run on a fresh
# server started from a copy of a prepared data directory. A benchmark, never a test: timing never fails it.
#
# Environment (defaults): RUNS=3 DURATION=10 (measured seconds per chat run) WARMUP=3 HOLD=10 (seconds the held
# connections stay up once connected) HELD_CONNS=19000 HELD_PROCS=2 CHAT_ORGS=20 CHAT_VISITORS=1000 WINDOW=4
# OPEN_RATE=10000 REPLY_EVERY=10 REST_DURATION=5 UNPINNED=1 (0: no unpinned chat/relay runs) PORT=18500 (base port)
# CHATHUB_BIN=build/chathub
# LOADGEN=build/bench/loadgen (else build-bench/bench/loadgen) LWSRELAY=(next to LOADGEN) SYSCALLS=(the calls
# counted one by one) RESULTS=build/bench-results OUT=docs/performance.md
# cluster: CLUSTER_NODES=3 CLUSTER_HELD_CONNS=57000 CLUSTER_HELD_VISITORS=5700 CLUSTER_HELD_RUNS=1
# CLUSTER_PLACE=spread (org: an organization's visitors on its operator's process) CLUSTER_PG_FSYNC=on (off: the
# services' --no-fsync, to see what the fsyncs cost)
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-3} DURATION=${DURATION:-10} WARMUP=${WARMUP:-3} HOLD=${HOLD:-10}
HELD_CONNS=${HELD_CONNS:-19000} HELD_PROCS=${HELD_PROCS:-2} HELD_VISITORS=${HELD_VISITORS:-$HELD_CONNS}
CHAT_ORGS=${CHAT_ORGS:-20} CHAT_VISITORS=${CHAT_VISITORS:-1000} WINDOW=${WINDOW:-4}
OPEN_RATE=${OPEN_RATE:-10000} REPLY_EVERY=${REPLY_EVERY:-10} LOAD_PROCS=${LOAD_PROCS:-1} UNPINNED=${UNPINNED:-1}
REST_DURATION=${REST_DURATION:-5}
CLUSTER_NODES=${CLUSTER_NODES:-3} CLUSTER_HELD_CONNS=${CLUSTER_HELD_CONNS:-57000}
CLUSTER_HELD_VISITORS=${CLUSTER_HELD_VISITORS:-5700} CLUSTER_HELD_RUNS=${CLUSTER_HELD_RUNS:-1}
CLUSTER_PLACE=${CLUSTER_PLACE:-spread} CLUSTER_PG_FSYNC=${CLUSTER_PG_FSYNC:-on}
PORT=${PORT:-18500}
BIN=${CHATHUB_BIN:-build/chathub}
RESULTS=${RESULTS:-build/bench-results}
OUT=${OUT:-docs/performance.md}
if [ -z "${LOADGEN:-}" ]; then
  for c in build/bench/loadgen build-bench/bench/loadgen; do [ -x "$c" ] && { LOADGEN=$c; break; }; done
fi
LOADGEN=${LOADGEN:-build/bench/loadgen}
LWSRELAY=${LWSRELAY:-$(dirname "$LOADGEN")/lwsrelay}

log() { printf '[bench %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { echo "bench: $*" >&2; exit 1; }

scenarios=("$@")
[ ${#scenarios[@]} -eq 0 ] && scenarios=(all)
report_at_end=0
case " ${scenarios[*]} " in
  *" all "*) scenarios=(held chat peer rest cluster search); report_at_end=1 ;;
esac
for s in "${scenarios[@]}"; do
  case $s in held|chat|peer|rest|cluster|search|report) ;; -h|--help) sed -n '2,29p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown scenario '$s' (held, chat, peer, rest, cluster, search, report, all)" ;; esac
done

need_tools() {
  local missing=()
  for t in node taskset curl; do command -v "$t" >/dev/null || missing+=("$t"); done
  [ ${#missing[@]} -eq 0 ] || die "missing: ${missing[*]} (apt-get install -y nodejs util-linux curl)"
}
need_tools
[ "${scenarios[*]}" = report ] || [ -x "$BIN" ] || die "$BIN is missing: make build"
for s in "${scenarios[@]}"; do
  case $s in
    held|chat) [ -x "$LOADGEN" ] || die "$LOADGEN is missing: cmake --build build --target loadgen" ;;
    peer) [ -x "$LOADGEN" ] && [ -x "$LWSRELAY" ] || die "$LOADGEN or $LWSRELAY is missing: cmake --build build --target loadgen lwsrelay" ;;
    cluster) [ -x "$LOADGEN" ] || die "$LOADGEN is missing: cmake --build build --target loadgen"
             command -v redis-server >/dev/null && command -v psql >/dev/null \
               || die "PostgreSQL/Redis missing: scripts/deps.sh system" ;;
    rest) [ -x "$LWSRELAY" ] || die "$LWSRELAY is missing: cmake --build build --target lwsrelay"
          command -v wrk >/dev/null && command -v nginx >/dev/null \
            || die "wrk/nginx missing: apt-get install -y wrk nginx-light" ;;
  esac
done
if [ "$(nproc)" -lt 2 ]; then log "warning: fewer than 2 CPUs; server and load share a core"; fi

mkdir -p "$RESULTS"
work=$(mktemp -d /tmp/chathub-bench.XXXXXX)
srv='' relay='' sampler=''
nodes=() samplers=() services=''
stop_pid() { if [ -n "$1" ]; then kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; fi; }
cleanup() {
  stop_pid "$sampler"; stop_pid "$relay"; stop_pid "$srv"
  local p; for p in "${samplers[@]}" "${nodes[@]}"; do stop_pid "$p"; done
  [ -z "$services" ] || scripts/services.sh stop --dir "$services" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

export CHATHUB_PASSWORD_HASH_COST=min CHATHUB_LOG_LEVEL=warn
export CHATHUB_RATE_LIMIT_PER_SECOND=10000000 CHATHUB_RATE_LIMIT_BURST=10000000
# all the load comes from one address: lift the per-address limits (they are for hostile traffic)
export CHATHUB_MAX_CONNECTIONS_PER_IP=10000000 CHATHUB_SESSION_RATE_PER_MINUTE=1000000
# The bench measures throughput, not the hub's limits: a few connections (operators) send at high rates, and
# the held scenario may share tokens between connections.
export CHATHUB_HUB_INVOCATIONS_PER_SECOND=10000000 CHATHUB_HUB_INVOCATION_BURST=10000000
export CHATHUB_HUB_PRINCIPAL_INVOCATIONS_PER_SECOND=10000000 CHATHUB_HUB_PRINCIPAL_INVOCATION_BURST=10000000
export CHATHUB_HUB_CONNECTIONS_PER_PRINCIPAL=1000000

port_seq=0
# cpu0 / cpu1: the command prefixes that pin to CPU 0 (server, relays) and CPU 1 (load); empty during the unpinned
# runs (the whole machine). Arrays, not a function: `f … &` would put a subshell's pid in $!.
cpu0=(taskset -c 0) cpu1=(taskset -c 1)
set_pinning() { if [ "$1" = 1 ]; then cpu0=(taskset -c 0) cpu1=(taskset -c 1); else cpu0=() cpu1=(); fi; }
# next_port: sets $port to a fresh port for each server (no TIME_WAIT clash between runs). Not in $(…): a subshell
# would lose the counter.
next_port() { port_seq=$((port_seq + 1)); port=$((PORT + port_seq)); }

# start_server DATA_DIR PORT: ChatHub on CPU 0, sets $srv, waits for /healthz.
start_server() {
  "${cpu0[@]}" "$BIN" serve --listen "127.0.0.1:$2" --data-dir "$1" >"$work/server.log" 2>&1 &
  srv=$!
  for _ in $(seq 200); do curl -sf "http://127.0.0.1:$2/healthz" >/dev/null && return 0; sleep 0.05; done
  cat "$work/server.log" >&2; die "server did not start"
}
stop_server() { stop_pid "$srv"; srv=''; }

start_relay() {
  "${cpu0[@]}" node bench/relay/relay.js --port "$1" 2>"$work/relay.log" &
  relay=$!
  for _ in $(seq 200); do grep -q listening "$work/relay.log" 2>/dev/null && return 0; sleep 0.05; done
  cat "$work/relay.log" >&2; die "relay did not start"
}
# start_lwsrelay PORT: bench/lwsrelay (libwebsockets + libev as the server, nothing of ChatHub) on CPU 0, sets $relay.
start_lwsrelay() {
  taskset -c 0 "$LWSRELAY" --port "$1" 2>"$work/relay.log" &
  relay=$!
  for _ in $(seq 200); do grep -q listening "$work/relay.log" 2>/dev/null && return 0; sleep 0.05; done
  cat "$work/relay.log" >&2; die "lwsrelay did not start"
}
stop_relay() { stop_pid "$relay"; relay=''; }

rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
# utime + stime in clock ticks of a process and its children (the loadgen forks its workers)
ticks() {
  local t=0 p
  for p in "$1" $(pgrep -P "$1" 2>/dev/null); do
    t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)))
  done
  echo "$t"
}

# sample PID FILE: every 0.25 s "<monotonic s> <ticks> <rss KiB> <open fds>" until killed; runs on the load's CPU
# so as not to take time from the server.
sample() {
  local pid=$1 f=$2
  taskset -cp 1 "$BASHPID" >/dev/null 2>&1 || true
  while [ -d "/proc/$pid" ]; do
    printf '%s %s %s %s\n' "$(awk '{print $1}' /proc/uptime)" "$(ticks "$pid" 2>/dev/null || echo 0)" \
      "$(rss_kib "$pid" 2>/dev/null || echo 0)" "$(ls -U "/proc/$pid/fd" 2>/dev/null | wc -l)" >>"$f"
    sleep 0.25
  done
}
start_sampler() { : >"$2"; sample "$1" "$2" & sampler=$!; }
stop_sampler() { stop_pid "$sampler"; sampler=''; }

# busiest_cpu FILE WINDOW_S: the highest CPU% of the sampled process over any WINDOW_S-second window
# (≈ the measured window of a saturated run).
busiest_cpu() {
  awk -v w="$2" -v hz="$(getconf CLK_TCK)" '
    { t[NR] = $1; k[NR] = $2 }
    END {
      best = 0; j = 1
      for (i = 1; i <= NR; i++) {
        while (j < i && t[i] - t[j] > w) j++
        if (t[i] - t[j] >= w * 0.8) { c = 100 * (k[i] - k[j]) / hz / (t[i] - t[j]); if (c > best) best = c }
      }
      printf "%.1f\n", best
    }' "$1"
}

# ---- the two levers: WAL bytes per persisted message, system calls per delivered message -------------------------
# SYSCALLS: the system calls counted one by one next to the total (raw_syscalls:sys_enter), for the split.
SYSCALLS=${SYSCALLS:-sendto write writev recvfrom read epoll_ctl epoll_wait epoll_pwait futex pwrite64 pread64 fdatasync fsync mmap munmap madvise brk}
perf_ok=''
have_perf() {
  if [ -z "$perf_ok" ]; then
    perf_ok=no
    command -v perf >/dev/null && perf stat -e raw_syscalls:sys_enter -o /dev/null -- true 2>/dev/null && perf_ok=yes
    [ $perf_ok = yes ] || log "perf stat cannot count raw_syscalls:sys_enter here: no system-call figures (perf_event_paranoid, tracefs)"
  fi
  [ $perf_ok = yes ]
}
wal_bytes() {   # wal_bytes URL...: the sum of chathub_sqlite_wal_bytes_total over the processes (empty if none answers)
  local u v sum=''
  for u in "$@"; do
    v=$(curl -sf --max-time 2 "$u/metrics" | awk '$1 == "chathub_sqlite_wal_bytes_total" {print $2}') || true
    [ -n "$v" ] && sum=$(( ${sum:-0} + v ))
  done
  echo "$sum"
}
pg_lsn() { [ -n "$1" ] && psql "$1" -qAtX -c 'SELECT pg_current_wal_lsn()' 2>/dev/null || true; }

# window_probe LOADGEN_PID ERRFILE OUTFILE PIDS(comma-separated) PG_URL URL...: waits for the loadgen's "window start"
# mark, reads the WAL counters (/metrics of each URL; PostgreSQL's WAL position when PG_URL is set) and starts
# `perf stat` on PIDS; at "window end" stops it and reads the counters again. Writes k=v lines to OUTFILE:
# wal_bytes, pg_wal_bytes, syscalls, sc_<name>, and the store's time histograms of the first URL over the window
# (hist_<name>_<le>=count, hist_<name>_sum). Runs on the load's CPU.
window_probe() {
  local lg=$1 err=$2 out=$3 pids=$4 pg=$5; shift 5
  taskset -cp 1 "$BASHPID" >/dev/null 2>&1 || true
  : >"$out"
  until grep -q 'loadgen: window start' "$err" 2>/dev/null; do [ -d "/proc/$lg" ] || return 0; sleep 0.02; done
  local w0 l0 pf=''; w0=$(wal_bytes "$@"); l0=$(pg_lsn "$pg")
  [ $# -gt 0 ] && { curl -sf --max-time 2 "$1/metrics" >"$out.m0" || true; }
  if have_perf; then
    local ev=raw_syscalls:sys_enter s
    for s in $SYSCALLS; do ev+=",syscalls:sys_enter_$s"; done
    taskset -c 1 perf stat -x, -e "$ev" -p "$pids" -o "$out.perf" 2>/dev/null & pf=$!
  fi
  until grep -q 'loadgen: window end' "$err" 2>/dev/null; do [ -d "/proc/$lg" ] || break; sleep 0.02; done
  [ -n "$pf" ] && { kill -INT "$pf" 2>/dev/null; wait "$pf" 2>/dev/null || true; }
  local w1 l1; w1=$(wal_bytes "$@"); l1=$(pg_lsn "$pg")
  if [ $# -gt 0 ] && [ -s "$out.m0" ] && curl -sf --max-time 2 "$1/metrics" >"$out.m1"; then
    # the histograms' growth over the window: hist_<name>_<le>=count and hist_<name>_sum=seconds
    awk '/^chathub_store_(write|commit)_seconds_(bucket|sum)/ {
        k = $1; sub(/^chathub_store_/, "", k); sub(/_seconds_bucket\{le="/, "_", k); sub(/"\}$/, "", k)
        sub(/_seconds_sum$/, "_sum", k)
        if (FILENAME == ARGV[1]) a[k] = $2; else print "hist_" k "=" ($2 - a[k]) }' "$out.m0" "$out.m1" >>"$out"
  fi
  rm -f "$out.m0" "$out.m1"
  [ -n "$w0" ] && [ -n "$w1" ] && echo "wal_bytes=$((w1 - w0))" >>"$out"
  [ -n "$l0" ] && [ -n "$l1" ] && echo "pg_wal_bytes=$(psql "$pg" -qAtX -c "SELECT pg_wal_lsn_diff('$l1', '$l0')::bigint")" >>"$out"
  [ -s "$out.perf" ] && awk -F, '$3 ~ /sys_enter/ {
      n = ($1 ~ /^[0-9]+$/) ? $1 : 0; name = $3
      if (name == "raw_syscalls:sys_enter") print "syscalls=" n
      else { sub(/^syscalls:sys_enter_/, "", name); print "sc_" name "=" n } }' "$out.perf" >>"$out"
  rm -f "$out.perf"
}

# lever_fields PROBE_OUT JSON: the per-message figures from window_probe's output and the loadgen's counts (WAL bytes
# per persisted message = ÷ acked messages of the window; system calls per delivered message = ÷ delivered), and the
# split of the counted calls per delivered message, largest first ("sendto 1.9, epoll_ctl 1.2, …").
lever_fields() {
  node -e 'const fs = require("node:fs"); const o = JSON.parse(process.argv[2]); const kv = {};
    for (const l of fs.readFileSync(process.argv[1], "utf8").split("\n")) { const i = l.indexOf("="); if (i > 0) kv[l.slice(0, i)] = Number(l.slice(i + 1)); }
    const per = (x, n) => (Number.isFinite(x) && n > 0 ? Math.round((x / n) * 100) / 100 : null);
    if ("wal_bytes" in kv) { o.wal_bytes = kv.wal_bytes; o.wal_bytes_per_msg = per(kv.wal_bytes, o.acked); }
    if ("pg_wal_bytes" in kv) { o.pg_wal_bytes = kv.pg_wal_bytes; o.pg_wal_bytes_per_msg = per(kv.pg_wal_bytes, o.acked); }
    if ("syscalls" in kv) {
      o.syscalls = kv.syscalls; o.syscalls_per_msg = per(kv.syscalls, o.delivered);
      const sc = Object.entries(kv).filter(([k, v]) => k.startsWith("sc_") && per(v, o.delivered) > 0).sort((a, b) => b[1] - a[1]);
      o.syscall_split = sc.map(([k, v]) => `${k.slice(3)} ${per(v, o.delivered)}`).join(", ");
    }
    // the part of the latency spent in the store: the bucket bound under which 50 % / 99 % of the writes of the window
    // (queued -> committed) and commits fell, and their means, in ms
    for (const name of ["write", "commit"]) {
      const b = Object.entries(kv).filter(([k]) => k.startsWith(`hist_${name}_`) && !k.endsWith("_sum"))
        .map(([k, v]) => [k.slice(`hist_${name}_`.length), v])
        .map(([le, v]) => [le === "+Inf" ? Infinity : Number(le) * 1000, v]).sort((x, y) => x[0] - y[0]);
      const n = b.length ? b[b.length - 1][1] : 0;
      if (!n) continue;
      const q = (f) => { const hit = b.find(([, v]) => v >= f * n); return hit[0] === Infinity ? null : hit[0]; };
      o[`store_${name}_p50_le_ms`] = q(0.5);
      o[`store_${name}_p99_le_ms`] = q(0.99);
      o[`store_${name}_mean_ms`] = Math.round((kv[`hist_${name}_sum`] / n) * 1e5) / 100;
    }
    console.log(JSON.stringify(o));' "$1" "$2"
}

# add_fields JSON k=v...: adds numeric fields to a flat JSON object.
add_fields() {
  local json=$1; shift
  node -e 'const o = JSON.parse(process.argv[1]);
    for (const kv of process.argv.slice(2)) { const i = kv.indexOf("="); const v = kv.slice(i + 1);
      o[kv.slice(0, i)] = v === "" ? null : isNaN(Number(v)) ? v : Number(v); }
    console.log(JSON.stringify(o));' "$json" "$@"
}

# prepare NAME ORGS VISITORS: a data directory with the company bench/bench and the fixture, kept as a template
# under $work/NAME (data + tokens), built once per invocation.
prepare() {
  local name=$1 orgs=$2 visitors=$3 dir=$work/$1
  [ -d "$dir/data" ] && return 0
  mkdir -p "$dir"
  CHATHUB_COMPANY_PASSWORD=bench "$BIN" company create --data-dir "$dir/data" --login bench >/dev/null
  next_port; local p=$port
  start_server "$dir/data" "$p"
  log "fixture $name: $orgs orgs, $visitors visitors"
  node bench/setup.js --url "http://127.0.0.1:$p" --orgs "$orgs" --visitors "$visitors" --out "$dir/tokens"
  stop_server
}
fresh_data() { rm -rf "$work/run"; mkdir -p "$work/run"; cp -a "$work/$1/data" "$work/run/data"; }

loadgen() { taskset -c 1 "$LOADGEN" "$@" 2>>"$work/loadgen.log"; }
last_json() { grep -E '^\{' | tail -1; }

# ---- scenario 1: held connections -------------------------------------------------------------------------------
run_held() {
  prepare held 20 "$HELD_VISITORS"
  : >"$RESULTS/held.jsonl"
  for i in $(seq "$RUNS"); do
    fresh_data held
    next_port; local p=$port
    start_server "$work/run/data" "$p"
    sleep 1
    local idle; idle=$(rss_kib "$srv")
    start_sampler "$srv" "$work/held.samples"
    log "held run $i/$RUNS: $HELD_CONNS connections ($HELD_PROCS procs), hold ${HOLD}s"
    local out
    out=$(timeout $((HOLD + 180)) taskset -c 1 "$LOADGEN" held --url "http://127.0.0.1:$p" --tokens "$work/held/tokens" \
      --conns "$HELD_CONNS" --procs "$HELD_PROCS" --hold "$HOLD" 2>>"$work/loadgen.log" | last_json) || true
    stop_sampler
    [ -n "$out" ] || { tail -5 "$work/loadgen.log" >&2; out='{"scenario":"held","target":'"$HELD_CONNS"',"connected":0,"failed":null}'; }
    # peak RSS while the connections were held, and the peak count of server fds
    local peak fds; peak=$(awk 'BEGIN {m = 0} $3 > m {m = $3} END {print m}' "$work/held.samples")
    fds=$(awk 'BEGIN {m = 0} $4 > m {m = $4} END {print m}' "$work/held.samples")
    local conn; conn=$(node -e 'console.log(JSON.parse(process.argv[1]).connected || 0)' "$out")
    local per=''; [ "$conn" -gt 0 ] && per=$(awk -v a="$peak" -v b="$idle" -v n="$conn" 'BEGIN {printf "%.2f", (a - b) / n}')
    out=$(add_fields "$out" run="$i" rss_idle_kib="$idle" rss_held_kib="$peak" server_fds_peak="$fds" kib_per_conn="$per")
    echo "$out" | tee -a "$RESULTS/held.jsonl"
    stop_server
  done
}

# ---- scenarios 2 and 4: chat throughput, latency, and the ws relay ----------------------------------------------
# chat_run TARGET(chathub|relay|lwsrelay) MODE(closed|open) I: one run on a fresh server, appends to $RESULTS/<file>.jsonl
chat_run() {
  local target=$1 mode=$2 i=$3 file p pid out_file=${4:-}
  next_port; p=$port
  if [ "$target" = chathub ]; then
    fresh_data chat; start_server "$work/run/data" "$p"; pid=$srv; file=chat-$mode
  elif [ "$target" = relay ]; then
    start_relay "$p"; pid=$relay; file=peer-$mode
  else
    start_lwsrelay "$p"; pid=$relay; file=peer-lws-$mode
  fi
  sleep 0.5
  local idle; idle=$(rss_kib "$pid")
  start_sampler "$pid" "$work/chat.samples"
  local args=(chat --url "http://127.0.0.1:$p" --tokens "$work/chat/tokens" --duration "$DURATION" --warmup "$WARMUP"
              --reply-every "$REPLY_EVERY" --procs "$LOAD_PROCS")
  if [ "$mode" = open ]; then args+=(--rate "$OPEN_RATE"); else args+=(--window "$WINDOW"); fi
  log "$target $mode run $i/$RUNS: ${DURATION}s (+${WARMUP}s warm-up)$([ ${#cpu0[@]} = 0 ] && echo ', unpinned')"
  local lg_samples=$work/loadgen.samples out
  : >"$lg_samples"; : >"$work/lg.err"
  set +e
  "${cpu1[@]}" "$LOADGEN" "${args[@]}" >"$work/lg.out" 2>"$work/lg.err" &
  local lg=$!
  sample "$lg" "$lg_samples" & local lgs=$!
  local murl=''; [ "$target" = chathub ] && murl="http://127.0.0.1:$p"
  window_probe "$lg" "$work/lg.err" "$work/probe.out" "$pid" '' $murl & local probe=$!
  timeout $((WARMUP + DURATION + 120)) tail --pid="$lg" -f /dev/null
  wait "$lg"; stop_pid "$lgs"; wait "$probe"
  set -e
  cat "$work/lg.err" >>"$work/loadgen.log"
  stop_sampler
  out=$(last_json <"$work/lg.out")
  [ -n "$out" ] || { tail -5 "$work/loadgen.log" >&2; out='{"scenario":"chat","mode":"'"$mode"'","msgs_per_s":null}'; }
  out=$(lever_fields "$work/probe.out" "$out")
  local cpu lcpu peak
  cpu=$(busiest_cpu "$work/chat.samples" "$DURATION")
  lcpu=$(busiest_cpu "$lg_samples" "$DURATION")
  peak=$(awk 'BEGIN {m = 0} $3 > m {m = $3} END {print m}' "$work/chat.samples")
  out=$(add_fields "$out" target="$target" run="$i" server_cpu_pct="$cpu" loadgen_cpu_pct="$lcpu" \
        rss_idle_kib="$idle" rss_peak_kib="$peak" orgs="$CHAT_ORGS" visitors="$CHAT_VISITORS" window="$WINDOW")
  echo "$out" | tee -a "$RESULTS/${out_file:-$file}.jsonl"
  if [ "$target" = chathub ]; then stop_server; else stop_relay; fi
}

run_chat_and_peer() {   # $1: chat, peer or both
  prepare chat "$CHAT_ORGS" "$CHAT_VISITORS"
  case $1 in chat|both) : >"$RESULTS/chat-closed.jsonl"; : >"$RESULTS/chat-open.jsonl" ;; esac
  : >"$RESULTS/chat-unpinned.jsonl"; : >"$RESULTS/peer-unpinned.jsonl"
  case $1 in peer|both) : >"$RESULTS/peer-closed.jsonl"; : >"$RESULTS/peer-lws-closed.jsonl"
                        [ "$1" = peer ] && : >"$RESULTS/chat-closed.jsonl" ;; esac
  for i in $(seq "$RUNS"); do
    chat_run chathub closed "$i"                       # peer alone still needs ChatHub's figure of the same run
    case $1 in peer|both) chat_run relay closed "$i"; chat_run lwsrelay closed "$i" ;; esac
    if [ "$UNPINNED" = 1 ]; then   # the whole machine: server (or relay) and load on both cores
      set_pinning 0
      chat_run chathub closed "$i" chat-unpinned
      case $1 in peer|both) chat_run relay closed "$i" peer-unpinned ;; esac
      set_pinning 1
    fi
    case $1 in chat|both) chat_run chathub open "$i" ;; esac
  done
}

# ---- scenario 3: REST --------------------------------------------------------------------------------------------
run_rest() {
  log "rest: bench/rest.sh (RUNS=$RUNS DURATION=$REST_DURATION)"
  local p1 p2 p3; next_port; p1=$port; next_port; p2=$port; next_port; p3=$port
  if ! RUNS=$RUNS DURATION=$REST_DURATION PORT=$p1 NGINX_PORT=$p2 LWS_PORT=$p3 CHATHUB_BIN=$BIN LWSRELAY=$LWSRELAY bench/rest.sh >"$work/rest.out" 2>&1; then
    cat "$work/rest.out" >&2; log "rest: bench/rest.sh failed"; return 0
  fi
  cat "$work/rest.out" >&2
  sed -n 's/^SUMMARY //p' "$work/rest.out" | tee "$RESULTS/rest.jsonl"
}

# ---- scenario 5: the cluster (PostgreSQL + Redis + CLUSTER_NODES processes) ------------------------------------------
# Everything on the server side (PostgreSQL, Redis, the chathub processes) runs on CPU 0 like the single server, the
# load on CPU 1. The services are private (scripts/services.sh, default fsync), started once for the scenario.
cluster_services() {
  [ -n "$services" ] && return 0
  chmod 711 "$work"   # the postgres user traverses it to its data directory
  services=$work/services
  local out nofsync=(); [ "$CLUSTER_PG_FSYNC" = off ] && nofsync=(--no-fsync)
  out=$(taskset -c 0 scripts/services.sh start all --dir "$services" "${nofsync[@]}")
  cl_pg=$(sed -nE 's/^export CHATHUB_TEST_PG=//p' <<<"$out")
  cl_redis=$(sed -nE 's/^export CHATHUB_TEST_REDIS=//p' <<<"$out")
  psql "$cl_pg" -qAtX -c "CREATE DATABASE bench LOCALE 'C.UTF-8' TEMPLATE template0" >/dev/null
  cl_store=${cl_pg%/*}/bench
  cl_secret=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
  CHATHUB_COMPANY_PASSWORD=bench "$BIN" company create --data-dir "$work/cli" --store-url "$cl_store" --login bench >/dev/null
  cl_pg_pid=$(head -n 1 "$services/pg/data/postmaster.pid")
  cl_redis_pid=$(cat "$services/redis/redis.pid")
}

# start_nodes PORT_BASE SHARED(0|1): CLUSTER_NODES processes on CPU 0, on ports PORT_BASE+1.. (SHARED=0) or all on
# PORT_BASE with listen_reuse_port (SHARED=1); sets nodes=(pids), waits until each one serves.
start_nodes() {
  local base=$1 shared=$2 n p
  nodes=()
  for n in $(seq "$CLUSTER_NODES"); do
    p=$((base + n)); [ "$shared" = 1 ] && p=$base
    mkdir -p "$work/node$n"
    CHATHUB_JWT_SECRET=$cl_secret CHATHUB_LISTEN_REUSE_PORT=$([ "$shared" = 1 ] && echo true || echo false) \
      taskset -c 0 "$BIN" serve --listen "127.0.0.1:$p" --data-dir "$work/node$n" --store-url "$cl_store" \
      --bus-url "$cl_redis" --node-id "bench$n" >"$work/node$n.log" 2>&1 &
    nodes+=($!)
    # one at a time: the first migrates; "is running on" is the process's own (the port may be shared)
    for _ in $(seq 300); do grep -qs 'is running on' "$work/node$n.log" && break; sleep 0.05; done
    grep -q 'is running on' "$work/node$n.log" || { cat "$work/node$n.log" >&2; die "cluster node $n did not start"; }
  done
}
stop_nodes() { local p; for p in "${nodes[@]}"; do kill "$p" 2>/dev/null || true; done
               for p in "${nodes[@]}"; do wait "$p" 2>/dev/null || true; done; nodes=(); }

# sample_all DIR name=pid...: one sampler per process into DIR/name (samplers=()).
sample_all() {
  local dir=$1 kv; shift
  mkdir -p "$dir"; samplers=()
  for kv in "$@"; do : >"$dir/${kv%%=*}"; sample "${kv#*=}" "$dir/${kv%%=*}" & samplers+=($!); done
}
stop_samplers() { local p; for p in "${samplers[@]}"; do stop_pid "$p"; done; samplers=(); }
peak_col() { awk -v c="$2" 'BEGIN {m = 0} $c > m {m = $c} END {print m}' "$1"; }
first_col() { awk -v c="$2" 'NR == 1 {print $c}' "$1"; }

cluster_held() {
  local i n p out
  cluster_services
  [ "$CLUSTER_HELD_RUNS" -gt 0 ] || return 0
  next_port; local base=$port
  start_nodes "$base" 1
  log "cluster fixture: $CLUSTER_HELD_VISITORS visitors for the held connections"
  node bench/setup.js --url "http://127.0.0.1:$base" --orgs 20 --visitors "$CLUSTER_HELD_VISITORS" --out "$work/cl-held.tokens"
  stop_nodes
  : >"$RESULTS/cluster-held.jsonl"
  for i in $(seq "$CLUSTER_HELD_RUNS"); do
    next_port; base=$port
    start_nodes "$base" 1
    sleep 1
    local kv=() fields=() procs=$(( (CLUSTER_HELD_CONNS + 18999) / 19000 ))
    for n in $(seq "$CLUSTER_NODES"); do kv+=("node$n=${nodes[$((n - 1))]}"); done
    sample_all "$work/held-s" "${kv[@]}"
    sleep 0.6
    log "cluster held run $i/$CLUSTER_HELD_RUNS: $CLUSTER_HELD_CONNS connections to $CLUSTER_NODES processes on one port ($procs loadgen procs), hold ${HOLD}s"
    out=$(timeout $((HOLD + 240)) taskset -c 1 "$LOADGEN" held --url "http://127.0.0.1:$base" --tokens "$work/cl-held.tokens" \
      --conns "$CLUSTER_HELD_CONNS" --procs "$procs" --source-per-proc --hold "$HOLD" 2>>"$work/loadgen.log" | last_json) || true
    stop_samplers
    [ -n "$out" ] || { tail -5 "$work/loadgen.log" >&2; out='{"scenario":"held","target":'"$CLUSTER_HELD_CONNS"',"connected":0,"failed":null}'; }
    # per process: connections ≈ peak open fds − fds before the load; RSS likewise
    local conns_sum=0 rss_sum=0 per=() rss=() fdlim
    for n in $(seq "$CLUSTER_NODES"); do
      local f=$work/held-s/node$n c r
      c=$(( $(peak_col "$f" 4) - $(first_col "$f" 4) )); r=$(( $(peak_col "$f" 3) - $(first_col "$f" 3) ))
      per+=("$c"); rss+=("$r"); conns_sum=$((conns_sum + c)); rss_sum=$((rss_sum + r))
    done
    fdlim=$(awk '/Max open files/ {print $4}' "/proc/${nodes[0]}/limits")
    out=$(add_fields "$out" run="$i" nodes="$CLUSTER_NODES" node_conns="${per[*]}" node_rss_kib="${rss[*]}" \
          node_fd_limit="$fdlim" kib_per_conn="$(awk -v a="$rss_sum" -v b="$conns_sum" 'BEGIN {if (b > 0) printf "%.2f", a / b}')")
    echo "$out" | tee -a "$RESULTS/cluster-held.jsonl"
    stop_nodes
  done
}

# cluster_chat_run I: the chat closed loop through the cluster (a port per process, the loadgen places the
# principals: CLUSTER_PLACE), CPU of each part.
cluster_chat_run() {
  local i=$1 n urls=() kv=()
  next_port; local base=$port; port_seq=$((port_seq + CLUSTER_NODES))
  start_nodes "$base" 0
  for n in $(seq "$CLUSTER_NODES"); do urls+=(--url "http://127.0.0.1:$((base + n))"); kv+=("node$n=${nodes[$((n - 1))]}"); done
  sample_all "$work/chat-s" "${kv[@]}" pg="$cl_pg_pid" redis="$cl_redis_pid"
  sleep 0.5
  log "cluster closed run $i/$RUNS: ${DURATION}s (+${WARMUP}s warm-up), $CLUSTER_NODES processes, place $CLUSTER_PLACE"
  local lg_samples=$work/loadgen.samples out
  : >"$lg_samples"; : >"$work/lg.err"
  set +e
  taskset -c 1 "$LOADGEN" chat "${urls[@]}" --place "$CLUSTER_PLACE" --tokens "$work/cl-chat.tokens" --duration "$DURATION" \
    --warmup "$WARMUP" --reply-every "$REPLY_EVERY" --procs "$LOAD_PROCS" --window "$WINDOW" >"$work/lg.out" 2>"$work/lg.err" &
  local lg=$!
  sample "$lg" "$lg_samples" & local lgs=$!
  window_probe "$lg" "$work/lg.err" "$work/probe.out" "$(IFS=,; echo "${nodes[*]}")" "$cl_store" & local probe=$!
  timeout $((WARMUP + DURATION + 120)) tail --pid="$lg" -f /dev/null
  wait "$lg"; stop_pid "$lgs"; wait "$probe"
  set -e
  cat "$work/lg.err" >>"$work/loadgen.log"
  stop_samplers
  out=$(last_json <"$work/lg.out")
  [ -n "$out" ] || { tail -5 "$work/loadgen.log" >&2; out='{"scenario":"chat","mode":"closed","msgs_per_s":null}'; }
  out=$(lever_fields "$work/probe.out" "$out")
  local node_cpu=() sum=0 c
  for n in $(seq "$CLUSTER_NODES"); do
    c=$(busiest_cpu "$work/chat-s/node$n" "$DURATION"); node_cpu+=("$c"); sum=$(awk -v a="$sum" -v b="$c" 'BEGIN {print a + b}')
  done
  out=$(add_fields "$out" target=cluster run="$i" nodes="$CLUSTER_NODES" place="$CLUSTER_PLACE" chathub_cpu_pct="$sum" \
        node_cpu_pct="${node_cpu[*]}" pg_cpu_pct="$(busiest_cpu "$work/chat-s/pg" "$DURATION")" \
        redis_cpu_pct="$(busiest_cpu "$work/chat-s/redis" "$DURATION")" loadgen_cpu_pct="$(busiest_cpu "$lg_samples" "$DURATION")" \
        orgs="$CHAT_ORGS" visitors="$CHAT_VISITORS" window="$WINDOW")
  echo "$out" | tee -a "$RESULTS/cluster-chat.jsonl"
  stop_nodes
}

run_cluster() {
  cluster_held
  prepare chat "$CHAT_ORGS" "$CHAT_VISITORS"
  next_port; local base=$port
  start_nodes "$base" 1
  log "cluster fixture: $CHAT_ORGS orgs, $CHAT_VISITORS visitors"
  node bench/setup.js --url "http://127.0.0.1:$base" --orgs "$CHAT_ORGS" --visitors "$CHAT_VISITORS" --out "$work/cl-chat.tokens"
  stop_nodes
  : >"$RESULTS/cluster-chat.jsonl"; : >"$RESULTS/cluster-sqlite.jsonl"
  local i
  for i in $(seq "$RUNS"); do
    chat_run chathub closed "$i" cluster-sqlite   # the single SQLite process, same run, alternating
    cluster_chat_run "$i"
  done
}

# ---- the report ----------------------------------------------------------------------------------------------------
write_meta() {
  local model mem
  model=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
  mem=$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)
  node -e 'const [model, nproc, mem, date, commit, dirty, kernel, runs, fdmax, knobs] = process.argv.slice(1);
    console.log(JSON.stringify({ model, nproc: Number(nproc), mem, date, commit, dirty: dirty === "1", kernel,
      runs: Number(runs), fdmax, knobs }));' \
    "$model" "$(nproc)" "$mem" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" \
    "$([ -n "$(git status --porcelain -- src 2>/dev/null)" ] && echo 1 || echo 0)" "$(uname -r)" "$RUNS" "$(ulimit -Hn)" \
    "RUNS=$RUNS DURATION=$DURATION WARMUP=$WARMUP HOLD=$HOLD HELD_CONNS=$HELD_CONNS HELD_PROCS=$HELD_PROCS CHAT_ORGS=$CHAT_ORGS CHAT_VISITORS=$CHAT_VISITORS WINDOW=$WINDOW OPEN_RATE=$OPEN_RATE REPLY_EVERY=$REPLY_EVERY LOAD_PROCS=$LOAD_PROCS UNPINNED=$UNPINNED REST_DURATION=$REST_DURATION CLUSTER_NODES=$CLUSTER_NODES CLUSTER_HELD_CONNS=$CLUSTER_HELD_CONNS CLUSTER_HELD_VISITORS=$CLUSTER_HELD_VISITORS CLUSTER_PLACE=$CLUSTER_PLACE CLUSTER_PG_FSYNC=$CLUSTER_PG_FSYNC" \
    >"$RESULTS/meta.json"
}

# Scenario 6: bench/search.sh on SQLite, and on PostgreSQL when SEARCH_PG names a server.
run_search() {
  log "search: SQLite"
  CHATHUB_BIN=$BIN PORT=$((PORT + 90)) bench/search.sh >"$RESULTS/search-sqlite.jsonl"
  if [ -n "${SEARCH_PG:-}" ]; then
    log "search: PostgreSQL"
    CHATHUB_BIN=$BIN PORT=$((PORT + 91)) SEARCH_STORE=postgres bench/search.sh >"$RESULTS/search-postgres.jsonl"
  fi
}

started=$(date +%s)
[ "${scenarios[*]}" = report ] || write_meta
did_chat=0 did_peer=0
for s in "${scenarios[@]}"; do
  case $s in chat) did_chat=1 ;; peer) did_peer=1 ;; esac
done
for s in "${scenarios[@]}"; do
  case $s in
    held) run_held ;;
    chat) if [ $did_peer = 1 ]; then run_chat_and_peer both; else run_chat_and_peer chat; fi ;;
    peer) [ $did_chat = 1 ] || run_chat_and_peer peer ;;
    rest) run_rest ;;
    cluster) run_cluster ;;
    search) run_search ;;
    report) report_at_end=1 ;;
  esac
done
log "done in $(( $(date +%s) - started )) s"
if [ $report_at_end = 1 ]; then
  node bench/report.js --results "$RESULTS" --out "$OUT"
  log "wrote $OUT"
else
  node bench/report.js --results "$RESULTS" --summary
fi
