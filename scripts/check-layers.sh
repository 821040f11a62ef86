#!/bin/sh
# check-layers.sh — the include and call rules between layers that the build's
# link order cannot see (a static library links whatever its dependencies
# link). Run by ctest as `layers`; prints every line that breaks a rule.
#   api/, hub/  reach the store only through svc/: no store/ header, no ch_store_ name
#   auth/       includes nothing from store/
#   chat/       pure domain logic: includes only chat/ and core/ headers
# Usage: check-layers.sh [source root] (default: the repository of this script)
root=${1:-$(dirname "$0")/..}
cd "$root/src" || exit 2
fail=0
report() { # rule, lines
	[ -n "$2" ] || return 0
	printf '%s\n%s\n' "$1" "$2" >&2
	fail=1
}
report "api/ and hub/ must not include a store/ header (use svc/svc.h):" \
	"$(grep -n '#[[:space:]]*include[[:space:]]*"store/' api/*.[ch] hub/*.[ch])"
report "api/ and hub/ must not name the store's functions or types (call svc/ instead):" \
	"$(grep -n 'ch_store_' api/*.[ch] hub/*.[ch])"
report "auth/ must not include a store/ header:" \
	"$(grep -n '#[[:space:]]*include[[:space:]]*"store/' auth/*.[ch])"
report "chat/ includes only chat/ and core/ headers:" \
	"$(grep -n '#[[:space:]]*include[[:space:]]*"' chat/*.[ch] | grep -v '"chat/\|"core/')"
if [ "$fail" = 0 ]; then
	echo "layers: ok"
fi
exit "$fail"
