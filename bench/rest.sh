#!/usr/bin/env bash
# REST benchmark: wrk on POST /api/operator/validate-token against ChatHub,
# next to nginx answering `return 200` on the same machine in the same run.
# Server pinned to CPU 0, wrk to CPU 1; each figure is the median of RUNS runs.
# Prints requests/s, the ratio, and ChatHub's idle RSS. Never fails on timing.
#
#   bench/rest.sh                 # RUNS=3 DURATION=5 CONNS=100
#   RUNS=5 DURATION=10 bench/rest.sh
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-3} DURATION=${DURATION:-5} CONNS=${CONNS:-100}
BIN=${CHATHUB_BIN:-build/chathub}
PORT=${PORT:-18490} NGINX_PORT=${NGINX_PORT:-18491}
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
command -v nginx >/dev/null || { echo "nginx is missing: apt-get install nginx-light" >&2; exit 1; }
[ -x "$BIN" ] || { echo "$BIN is missing: make build" >&2; exit 1; }

tmp=$(mktemp -d)
cleanup() {
  [ -n "${srv:-}" ] && kill "$srv" 2>/dev/null && wait "$srv" 2>/dev/null
  [ -f "$tmp/nginx.pid" ] && kill "$(cat "$tmp/nginx.pid")" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

export CHATHUB_PASSWORD_HASH_COST=min CHATHUB_LOG_LEVEL=warn
export CHATHUB_RATE_LIMIT_PER_SECOND=10000000 CHATHUB_RATE_LIMIT_BURST=10000000
"$BIN" company create --data-dir "$tmp/data" --login bench --password bench >/dev/null
taskset -c 0 "$BIN" serve --listen "127.0.0.1:$PORT" --data-dir "$tmp/data" >/dev/null &
srv=$!
base=http://127.0.0.1:$PORT
for _ in $(seq 100); do curl -sf "$base/healthz" >/dev/null && break; sleep 0.05; done
sleep 0.5
rss_idle=$(awk '/VmRSS/ {print $2}' "/proc/$srv/status")

COMPANY_TOKEN=$(curl -sf -X POST "$base/api/company/get-token" -H 'Content-Type: application/json' \
  -d '{"login":"bench","password":"bench"}')
org=$(curl -sf -X POST "$base/api/company/organization" -H "Authorization: Bearer $COMPANY_TOKEN" \
  -H 'Content-Type: application/json' -d '{"name":"Bench"}' | sed -E 's/.*"id":([0-9]+).*/\1/')
op=$(curl -sf -X POST "$base/api/operator/synchronize" -H "Authorization: Bearer $COMPANY_TOKEN" \
  -H 'Content-Type: application/json' -d "[{\"organizationId\":$org,\"name\":\"B\"}]" | sed -E 's/^\[\{"id":([0-9]+).*/\1/')
OPERATOR_TOKEN=$(curl -sf -X POST "$base/api/operator/get-token" -H "Authorization: Bearer $COMPANY_TOKEN" \
  -H 'Content-Type: application/json' \
  -d "{\"id\":$op,\"expiresAt\":\"$(date -u -d '+2 hours' +%Y-%m-%dT%H:%M:%SZ)\"}")
export COMPANY_TOKEN OPERATOR_TOKEN
curl -sf -X POST "$base/api/operator/validate-token" -H "Authorization: Bearer $COMPANY_TOKEN" \
  -H 'Content-Type: application/json' -d "{\"token\":\"$OPERATOR_TOKEN\"}" | grep -q '"isValid":true'

cat >"$tmp/nginx.conf" <<CONF
worker_processes 1;
pid $tmp/nginx.pid;
error_log $tmp/nginx-error.log;
events { worker_connections 4096; }
http {
  access_log off;
  server { listen 127.0.0.1:$NGINX_PORT; location / { return 200 "ok"; } }
}
CONF
taskset -c 0 nginx -c "$tmp/nginx.conf" -p "$tmp"
sleep 0.3

rps() { sed -nE 's/^Requests\/sec:[[:space:]]+([0-9.]+)/\1/p'; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
run_wrk() { taskset -c 1 wrk -t1 -c"$CONNS" -d"${DURATION}s" "$@" | rps; }

ch=() ng=()
for i in $(seq "$RUNS"); do
  ch+=("$(run_wrk -s bench/validate-token.lua "$base/api/operator/validate-token")")
  ng+=("$(run_wrk "http://127.0.0.1:$NGINX_PORT/")")
done
rss_after=$(awk '/VmRSS/ {print $2}' "/proc/$srv/status")
ch_med=$(printf '%s\n' "${ch[@]}" | median)
ng_med=$(printf '%s\n' "${ng[@]}" | median)
echo "validate-token (chathub):  ${ch[*]}  median ${ch_med} req/s"
echo "return 200 (nginx):        ${ng[*]}  median ${ng_med} req/s"
awk -v a="$ch_med" -v b="$ng_med" 'BEGIN {printf "ratio chathub/nginx:       %.1f %%\n", 100 * a / b}'
echo "chathub RSS idle: ${rss_idle} KiB, after the runs: ${rss_after} KiB"
