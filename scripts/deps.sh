#!/usr/bin/env bash
# Installs what ChatHub needs on Debian 12: `deps.sh system` the Debian
# packages to build and run it, `deps.sh test` those only the tests need
# (Debian's chromium for the browser tests) — both when run as root, otherwise
# they print the command to run — and `deps.sh npm` the npm packages of
# package-lock.json (npm ci): esbuild, which bundles the widgets at build time,
# and the test dependencies.
#
# The cluster (PostgreSQL store, Redis bus, haproxy in front) is part of
# `system`: libpq-dev and libhiredis-dev to build, and postgresql,
# redis-server and haproxy, whose servers scripts/services.sh and
# scripts/cluster.sh start privately in temporary directories. Debian's
# packages of those three start system-wide services when installed; ours
# never use them, so the install keeps them from starting, and any of them
# that did start is stopped and disabled (it would hold port 5432, 6379 or
# memory for nothing).
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  build-essential cmake pkg-config
  libwebsockets-dev libwebsockets-evlib-ev libev-dev
  libjansson-dev libjwt-dev libsodium-dev libsqlite3-dev libmsgpack-dev
  zlib1g-dev libbrotli-dev
  libcriterion-dev sqlite3 curl clang libclang-rt-14-dev
  libpq-dev libhiredis-dev
  postgresql redis-server haproxy
  tzdata
)

# Packages whose Debian install starts a system service we never use (psql
# and pg_ctl come with postgresql).
SERVICE_PACKAGES=(postgresql redis-server haproxy)

# The browser tests drive Debian's chromium (never a downloaded browser).
TEST_PACKAGES=(chromium fonts-dejavu-core)

missing_packages() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"
  done
  command -v node >/dev/null 2>&1 || echo nodejs
  command -v npm >/dev/null 2>&1 || echo npm
}

install_packages() {
  local missing
  missing=$(missing_packages "$@" | tr '\n' ' ')
  [ -z "${missing// /}" ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "Missing Debian packages: $missing" >&2
    echo "Install them with: sudo apt-get update && sudo apt-get install -y $missing" >&2
    exit 1
  fi
  echo "Installing Debian packages: $missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # policy-rc.d answering 101 is Debian's way to tell a package's install not
  # to start its service; an existing one (containers have one) is kept.
  local policy=/usr/sbin/policy-rc.d ours=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && ours=1
  fi
  # `|| rc=$?`: under set -e a failing install would exit here and leave our policy behind
  local rc=0
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $missing >/dev/null || rc=$?
  [ "$ours" -eq 1 ] && rm -f "$policy"
  [ "$rc" -eq 0 ] || exit "$rc"
  quiet_services $missing
}

# Stops and disables the system service of each just-installed package of
# SERVICE_PACKAGES, in case it started anyway: scripts/services.sh runs its
# own servers on free ports, and these would only hold ports and memory.
quiet_services() {
  local p s
  for p in "$@"; do
    for s in "${SERVICE_PACKAGES[@]}"; do
      [ "$p" = "$s" ] || continue
      if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
        systemctl disable --now "$s" >/dev/null 2>&1 || true
      else
        service "$s" stop >/dev/null 2>&1 || true
        update-rc.d "$s" disable >/dev/null 2>&1 || true
      fi
      echo "  $s: its system service is stopped and disabled (scripts/services.sh runs a private one)"
    done
  done
}

npm_deps() {
  [ -f package-lock.json ] || return 0
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    echo "Installing npm packages (npm ci): esbuild and the test dependencies"
    npm ci --no-audit --no-fund --loglevel=error
  fi
}

case "${1:-system}" in
  system) install_packages "${PACKAGES[@]}" ;;
  test) install_packages "${TEST_PACKAGES[@]}" ;;
  npm) npm_deps ;;
  *) echo "usage: $0 system|test|npm" >&2; exit 2 ;;
esac
