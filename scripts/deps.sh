#!/usr/bin/env bash
# Installs what ChatHub needs on Debian 12: `deps.sh system` the Debian
# packages to build and run it, `deps.sh test` those only the tests need
# (Debian's chromium for the browser tests) — both when run as root, otherwise
# they print the command to run — and `deps.sh npm` the npm packages of
# package-lock.json (npm ci): esbuild, which bundles the widgets at build time,
# and the test dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  build-essential cmake pkg-config
  libwebsockets-dev libwebsockets-evlib-ev libev-dev
  libjansson-dev libjwt-dev libsodium-dev libsqlite3-dev libpq-dev libmsgpack-dev
  zlib1g-dev libbrotli-dev
  libcriterion-dev sqlite3 curl clang libclang-rt-14-dev libhiredis-dev
)

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
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $missing >/dev/null
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
