#!/usr/bin/env bash
# Copies the admin portal screenshots the README shows from a run of the admin e2e test
# into docs/screenshots/. Run the test first with a directory you choose:
#
#   SCREENSHOT_DIR=/tmp/admin-shots tests/e2e/run_admin_e2e.sh build/bin/vend-cloud build/bin/vend-edge
#   tests/e2e/admin_screenshots.sh /tmp/admin-shots
#
# Only the listed pages are copied (not failure shots); each must exist and be a PNG.
set -euo pipefail

die() {
  echo "admin_screenshots: $*" >&2
  exit 1
}

[[ $# -eq 1 ]] || die "usage: $0 SCREENSHOT_DIR"
src="$1"
[[ -d "$src" ]] || die "no such directory: $src"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
dest="$repo/docs/screenshots"
mkdir -p "$dest"

names=(admin-login admin-overview admin-machine admin-catalog admin-orders admin-accounts
  admin-audit admin-404 admin-403 admin-machine-768x1024)
for n in "${names[@]}"; do
  f="$src/$n.png"
  [[ -f "$f" ]] || die "missing $f (did the e2e test pass?)"
  [[ "$(head -c 8 "$f" | od -An -tx1 | tr -d ' \n')" == 89504e470d0a1a0a ]] || die "$f is not a PNG"
  cp "$f" "$dest/$n.png"
  echo "$dest/$n.png ($(($(stat -c %s "$f") / 1024)) KiB)"
done
