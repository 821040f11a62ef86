#!/usr/bin/env bash
# Refreshes the admin console's screenshots of docs/admin.md (docs/images/admin/):
# runs the console's browser tests, which save every page into tests/screenshots/,
# and copies the ones the docs show, quantized with pngquant when it is installed
# (apt-get install pngquant). Usage: scripts/docs-screenshots.sh [build/chathub]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/chathub}
[ -x "$bin" ] || { echo "docs-screenshots: no server binary at $bin (make build first)" >&2; exit 1; }
for t in 38-admin-console 39-admin-settings 41-admin-reports; do
  CHATHUB_BIN=$PWD/$bin node --test "tests/browser/$t.test.js" >/dev/null ||
    { echo "docs-screenshots: tests/browser/$t.test.js failed; the screenshots were not refreshed" >&2; exit 1; }
done
out=docs/images/admin
mkdir -p "$out"
# name in docs/images/admin ← name in tests/screenshots
while read -r name src; do
  [ -n "$name" ] || continue
  if command -v pngquant >/dev/null; then
    pngquant --force --strip --quality 60-90 --output "$out/$name.png" "tests/screenshots/$src.png"
  else
    cp "tests/screenshots/$src.png" "$out/$name.png"
  fi
done <<'LIST'
signin       admin-light-desktop-signin
orgs         admin-light-desktop-orgs
operators    admin-light-desktop-operators-filled
settings     admin-light-desktop-settings-filled
widget       admin-light-desktop-widget
canned       admin-light-desktop-canned-filled
labels       admin-dark-desktop-labels-filled
reports      admin-reports-light-1280
reports-dark admin-reports-dark-1280
keys         admin-light-desktop-keys
webhooks     admin-dark-desktop-webhooks
account      admin-light-desktop-account
settings-375 admin-light-375-settings-filled
LIST
du -ch "$out"/*.png | tail -1
