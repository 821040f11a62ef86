#!/usr/bin/env bash
# Checks the widgets' download budget: each widget module plus every module it
# imports (followed recursively through relative `import … from '…'`), each
# gzipped as a server would send it, must total at most LIMIT bytes (30 KB).
# Prints one line per widget; exits 1 when a widget is over budget or missing.
# Usage: scripts/widget-size.sh [web-dir]   (LIMIT=30720 by default)
set -euo pipefail
WEB=${1:-"$(dirname "$0")/../web"}
LIMIT=${LIMIT:-30720}
WIDGETS=(operator-chat-panel/widget-script.js chat-widget/widget-script.js)

# The relative module specifiers a file imports, resolved to paths under $WEB.
imports() {
  local file=$1 dir
  dir=$(dirname "$file")
  grep -oE "(from|import)[[:space:]]*\(?[[:space:]]*['\"]\.{1,2}/[^'\"]+['\"]" "$file" |
    sed -E "s/.*['\"](\.{1,2}\/[^'\"]+)['\"]/\1/" |
    while read -r spec; do realpath -m "$dir/$spec"; done
}

status=0
for w in "${WIDGETS[@]}"; do
  entry=$(realpath -m "$WEB/$w")
  if [ ! -f "$entry" ]; then
    echo "widget-size: $w is missing" >&2
    status=1
    continue
  fi
  declare -A seen=()
  queue=("$entry")
  total=0 files=0
  while [ ${#queue[@]} -gt 0 ]; do
    f=${queue[0]}
    queue=("${queue[@]:1}")
    [ -n "${seen[$f]:-}" ] && continue
    seen[$f]=1
    if [ ! -f "$f" ]; then
      echo "widget-size: $w imports a missing module: $f" >&2
      status=1
      continue
    fi
    total=$((total + $(gzip -9c "$f" | wc -c)))
    files=$((files + 1))
    while read -r dep; do [ -n "$dep" ] && queue+=("$dep"); done < <(imports "$f")
  done
  unset seen
  verdict=ok
  if [ "$total" -gt "$LIMIT" ]; then verdict="OVER BUDGET"; status=1; fi
  printf 'widget-size: %-40s %6d bytes gzipped in %d files (limit %d): %s\n' "$w" "$total" "$files" "$LIMIT" "$verdict"
done
exit $status
