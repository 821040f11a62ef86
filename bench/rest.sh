#!/usr/bin/env bash
# REST benchmark: wrk on POST /api/operator/validate-token (company token) and
# GET /api/chat/chats (operator token; CHATS chats in its organization, first page of 20)
# against ChatHub, next to nginx answering `return 200` and bare libwebsockets (build/bench/lwsrelay: the server's
# lws + libev set-up answering 200 with a small JSON body, nothing of ChatHub) on the same machine in the same run.
# Server pinned to CPU 0, wrk to CPU 1; each figure is the median of RUNS runs.
# Prints requests/s, the ratios, and ChatHub's idle RSS, then one machine-readable line
# `SUMMARY {"scenario":"rest",...}` (bench/run.sh reads it). Never fails on timing.
#
#   bench/rest.sh                 # RUNS=3 DURATION=5 CONNS=100 CHATS=50
#   RUNS=5 DURATION=10 bench/rest.sh
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-3} DURATION=${DURATION:-5} CONNS=${CONNS:-100} CHATS=${CHATS:-50}
BIN=${CHATHUB_BIN:-build/chathub}
PORT=${PORT:-18490} NGINX_PORT=${NGINX_PORT:-18491} LWS_PORT=${LWS_PORT:-18492}
LWSRELAY=${LWSRELAY:-$(dirname "$BIN")/bench/lwsrelay}
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
command -v nginx >/dev/null || { echo "nginx is missing: apt-get install nginx-light" >&2; exit 1; }
[ -x "$BIN" ] || { echo "$BIN is missing: make build" >&2; exit 1; }
[ -x "$LWSRELAY" ] || { echo "$LWSRELAY is missing: cmake --build build --target lwsrelay" >&2; exit 1; }

tmp=$(mktemp -d)
cleanup() {
  [ -n "${srv:-}" ] && kill "$srv" 2>/dev/null && wait "$srv" 2>/dev/null
  [ -f "$tmp/nginx.pid" ] && kill "$(cat "$tmp/nginx.pid")" 2>/dev/null
  [ -n "${lws:-}" ] && kill "$lws" 2>/dev/null && wait "$lws" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

export CHATHUB_PASSWORD_HASH_COST=min CHATHUB_LOG_LEVEL=warn
export CHATHUB_RATE_LIMIT_PER_SECOND=10000000 CHATHUB_RATE_LIMIT_BURST=10000000
CHATHUB_COMPANY_PASSWORD=bench "$BIN" company create --data-dir "$tmp/data" --login bench >/dev/null
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

# CHATS visitor chats in the organization, one message each, so that GET /api/chat/chats lists a full page.
guid=$(curl -sf "$base/api/company/organization/$org" -H "Authorization: Bearer $COMPANY_TOKEN" \
  | sed -E 's/.*"guid":"([^"]+)".*/\1/')
for i in $(seq "$CHATS"); do
  vt=$(curl -sf -X POST "$base/api/widget/$guid/session" -H 'Content-Type: application/json' \
    -d "{\"name\":\"Visitor $i\"}" | sed -E 's/.*"visitorToken":"([^"]+)".*/\1/')
  curl -sf -X POST "$base/api/widget/$guid/message" -H "Authorization: Bearer $vt" \
    -H 'Content-Type: application/json' -d "{\"textMessage\":\"Hello $i\"}" >/dev/null
done
chats_url="$base/api/chat/chats"
curl -sf "$chats_url" -H "Authorization: Bearer $OPERATOR_TOKEN" | grep -q "\"total\":$CHATS"

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
taskset -c 0 "$LWSRELAY" --port "$LWS_PORT" 2>"$tmp/lws.log" &
lws=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$LWS_PORT/" >/dev/null && break; sleep 0.05; done
sleep 0.3

rps() { sed -nE 's/^Requests\/sec:[[:space:]]+([0-9.]+)/\1/p'; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# Requests/s on stdout; non-2xx/3xx answers and socket errors are added up in $tmp/errors.
run_wrk() {
  taskset -c 1 wrk -t1 -c"$CONNS" -d"${DURATION}s" "$@" >"$tmp/wrk.out"
  sed -nE 's/^ *(Non-2xx or 3xx responses|Socket errors):(.*)/\2/p' "$tmp/wrk.out" \
    | grep -oE '[0-9]+' >>"$tmp/errors" || true
  rps <"$tmp/wrk.out"
}

ch=() cl=() ng=() lw=()
for i in $(seq "$RUNS"); do
  ch+=("$(run_wrk -s bench/validate-token.lua "$base/api/operator/validate-token")")
  cl+=("$(run_wrk -H "Authorization: Bearer $OPERATOR_TOKEN" "$chats_url")")
  ng+=("$(run_wrk "http://127.0.0.1:$NGINX_PORT/")")
  lw+=("$(run_wrk "http://127.0.0.1:$LWS_PORT/")")
done
rss_after=$(awk '/VmRSS/ {print $2}' "/proc/$srv/status")
ch_med=$(printf '%s\n' "${ch[@]}" | median)
cl_med=$(printf '%s\n' "${cl[@]}" | median)
ng_med=$(printf '%s\n' "${ng[@]}" | median)
lw_med=$(printf '%s\n' "${lw[@]}" | median)
echo "validate-token (chathub):  ${ch[*]}  median ${ch_med} req/s"
echo "chat/chats (chathub):      ${cl[*]}  median ${cl_med} req/s"
echo "return 200 (nginx):        ${ng[*]}  median ${ng_med} req/s"
echo "200 (bare lws):            ${lw[*]}  median ${lw_med} req/s"
awk -v a="$ch_med" -v b="$ng_med" 'BEGIN {printf "ratio validate-token/nginx: %.1f %%\n", 100 * a / b}'
awk -v a="$cl_med" -v b="$ng_med" 'BEGIN {printf "ratio chat/chats/nginx:     %.1f %%\n", 100 * a / b}'
awk -v a="$ch_med" -v b="$lw_med" 'BEGIN {printf "ratio validate-token/lws:   %.1f %%\n", 100 * a / b}'
echo "chathub RSS idle: ${rss_idle} KiB, after the runs: ${rss_after} KiB"
errors=$(awk '{s += $1} END {print s + 0}' "$tmp/errors" 2>/dev/null || echo 0)
echo "errors (non-2xx answers + socket errors, all runs): $errors"
json_list() { local IFS=,; echo "[$*]"; }
echo "SUMMARY {\"scenario\":\"rest\",\"runs\":$RUNS,\"duration_s\":$DURATION,\"conns\":$CONNS,\"chats\":$CHATS,\
\"validate_token_rps\":$(json_list "${ch[@]}"),\"chats_rps\":$(json_list "${cl[@]}"),\"nginx_rps\":$(json_list "${ng[@]}"),\"lws_rps\":$(json_list "${lw[@]}"),\"lws_median\":$lw_med,\
\"validate_token_median\":$ch_med,\"chats_median\":$cl_med,\"nginx_median\":$ng_med,\
\"rss_idle_kib\":$rss_idle,\"rss_after_kib\":$rss_after,\"errors\":$errors}"
