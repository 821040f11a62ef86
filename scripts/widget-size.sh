#!/usr/bin/env bash
# Checks the visitor widget's download budget and reports the operator panel's
# size next to it: starts the server (BIN, on a free loopback port, with a
# throw-away data directory) and downloads each widget the way a browser does
# (Accept-Encoding: gzip, deflate, br), plus every module it imports (followed
# recursively through relative `import … from '…'`; the bundles of `make build`
# import nothing), and once more asking for gzip only. The visitor widget
# (chat-widget) must total at most LIMIT (30 KB) both on the wire, in whatever
# coding the server chose, and gzipped. The operator panel (all of its modules)
# may grow: its sizes are printed, never enforced. A source map a module links
# must be served; it is not counted (a browser fetches it only for its
# developer tools).
# Prints one line per widget; exits 1 when the visitor widget is over budget
# or a file is missing, 2 when the server does not start.
# Usage: scripts/widget-size.sh [BIN] [WEB_DIR]   (build/chathub, web/; LIMIT=30720)
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
BIN=${1:-"$REPO/build/chathub"}
WEB=${2:-"$REPO/web"}
LIMIT=${LIMIT:-30720}
ACCEPT_ENCODING='gzip, deflate, br'
WIDGETS=(/chat-widget/widget-script.js /operator-chat-panel/widget-script.js)
# the widgets held to LIMIT; the others are reported
BUDGETED=(/chat-widget/widget-script.js)

tmp=$(mktemp -d)
pid=
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# A random port that nothing answers on; a start that still fails to bind is retried.
start_server() {
  local attempt port
  for attempt in $(seq 1 20); do
    port=$((20000 + RANDOM % 40000))
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && continue
    "$BIN" serve --listen "127.0.0.1:$port" --data-dir "$tmp/data-$attempt" --web-dir "$WEB" \
      --log-level warn >/dev/null 2>"$tmp/server.log" &
    pid=$!
    for _ in $(seq 1 200); do
      if curl -sf -o /dev/null "http://127.0.0.1:$port/healthz"; then BASE="http://127.0.0.1:$port"; return 0; fi
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.05
    done
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    pid=
  done
  echo "widget-size: cannot start $BIN:" >&2
  cat "$tmp/server.log" >&2 || true
  exit 2
}

# The relative module specifiers of a module's text (stdin), resolved against its URL.
imports() {
  local dir
  dir=$(dirname "$1")
  { grep -oE "(from|import)[[:space:]]*\(?[[:space:]]*['\"]\.{1,2}/[^'\"]+['\"]" || true; } |
    sed -E "s/.*['\"](\.{1,2}\/[^'\"]+)['\"]/\1/" |
    while read -r spec; do realpath -m -s "$dir/$spec"; done
}

[ -x "$BIN" ] || { echo "widget-size: no server binary at $BIN (make build)" >&2; exit 2; }
start_server
# the server says when it serves the sources instead of the bundles
grep -i 'bundle' "$tmp/server.log" | sed 's/^/widget-size: server: /' >&2 || true

status=0
for w in "${WIDGETS[@]}"; do
  declare -A seen=()
  queue=("$w")
  total=0 gz=0 files=0 codings='' maps=''
  while [ ${#queue[@]} -gt 0 ]; do
    u=${queue[0]}
    queue=("${queue[@]:1}")
    [ -n "${seen[$u]:-}" ] && continue
    seen[$u]=1
    read -r code size coding < <(curl -s -o /dev/null -H "Accept-Encoding: $ACCEPT_ENCODING" \
      -w '%{http_code} %{size_download} %header{content-encoding}\n' "$BASE$u")
    if [ "$code" != 200 ]; then
      echo "widget-size: $u answers $code" >&2
      status=1
      continue
    fi
    total=$((total + size))
    gz=$((gz + $(curl -s -o /dev/null -H 'Accept-Encoding: gzip' -w '%{size_download}' "$BASE$u")))
    files=$((files + 1))
    codings="$codings ${coding:-identity}"
    text=$(curl -s "$BASE$u")
    map=$(printf '%s' "$text" | sed -nE 's@^//# sourceMappingURL=([^[:space:]]+)$@\1@p' | tail -n 1)
    if [ -n "$map" ]; then
      map_url=$(realpath -m -s "$(dirname "$u")/$map")
      map_code=$(curl -s -o /dev/null -w '%{http_code}' "$BASE$map_url")
      if [ "$map_code" != 200 ]; then
        echo "widget-size: the source map $map_url of $u answers $map_code" >&2
        status=1
      fi
      maps="$maps $map_url"
    fi
    while read -r dep; do [ -n "$dep" ] && queue+=("$dep"); done < <(printf '%s' "$text" | imports "$u")
  done
  unset seen
  budget=0
  for x in "${BUDGETED[@]}"; do [ "$x" = "$w" ] && budget=1; done
  if [ "$budget" = 1 ]; then
    verdict="limit $LIMIT: ok"
    if [ "$total" -gt "$LIMIT" ] || [ "$gz" -gt "$LIMIT" ]; then verdict="limit $LIMIT: OVER BUDGET"; status=1; fi
  else
    verdict='reported, no limit'
  fi
  codings=$(echo "$codings" | tr ' ' '\n' | sed '/^$/d' | sort -u | paste -sd, -)
  if [ -n "$maps" ]; then maps="; source map${maps} not counted"; else maps="; no source map"; fi
  printf 'widget-size: %-38s %6d bytes transferred (%s), %6d gzipped, in %d file(s)%s (%s)\n' \
    "${w#/}" "$total" "$codings" "$gz" "$files" "$maps" "$verdict"
done
exit $status
