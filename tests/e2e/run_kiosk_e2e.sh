#!/usr/bin/env bash
# End-to-end test of the kiosk: a real vend-edge on a free loopback port with a fresh
# SQLite file and a known catalog, driven by headless Chromium (kiosk_e2e.mjs).
#
# usage: run_kiosk_e2e.sh VEND_EDGE_BINARY
# env:   SCREENSHOT_DIR       where kiosk_e2e.mjs writes its PNGs (optional)
#        VEND_EDGE_STATIC_DIR passed to vend-edge as --static-dir (optional; default: the
#                             binary's own kiosk directory)
#        CHROMIUM             browser binary (default /usr/bin/chromium)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

die() {
  echo "run_kiosk_e2e: $*" >&2
  exit 1
}

[[ $# -eq 1 ]] || die "usage: $0 VEND_EDGE_BINARY"
edge="$1"
[[ -x "$edge" ]] || die "vend-edge binary not found or not executable: $edge"
command -v node >/dev/null || die "node is not installed (scripts/install-deps installs it)"
command -v curl >/dev/null || die "curl is not installed"
command -v python3 >/dev/null || die "python3 is not installed"
[[ -d "$here/node_modules/playwright-core" ]] ||
  die "tests/e2e/node_modules is missing: run 'npm ci --prefix tests/e2e' (scripts/install-deps does this)"
[[ -x "${CHROMIUM:-/usr/bin/chromium}" ]] ||
  die "Chromium not found at ${CHROMIUM:-/usr/bin/chromium} (scripts/install-deps installs it)"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/kiosk-e2e.XXXXXX")"
edge_pid=""

cleanup() {
  local rc=$?
  if [[ -n "$edge_pid" ]] && kill -0 "$edge_pid" 2>/dev/null; then
    kill -TERM "$edge_pid" 2>/dev/null || true
    wait "$edge_pid" 2>/dev/null || true
  fi
  if [[ $rc -ne 0 && -s "$tmp/edge.log" ]]; then
    echo "run_kiosk_e2e: last lines of the vend-edge log:" >&2
    tail -n 40 "$tmp/edge.log" >&2 || true
  fi
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The test relies on these exact products (ids, prices, counts); keep both in step.
cat >"$tmp/catalog.json" <<'JSON'
{
  "products": [
    {"id": 1, "name": "Cola",        "price": 150, "count": 10, "image": "cola.svg",    "is_refundable": true},
    {"id": 2, "name": "Water",       "price": 100, "count": 5,  "image": "water.svg",   "is_refundable": false},
    {"id": 3, "name": "Chips",       "price": 900, "count": 3,  "image": "chips.svg",   "is_refundable": true},
    {"id": 4, "name": "Candy",       "price": 125, "count": 0,  "image": "candy.svg",   "is_refundable": false},
    {"id": 5, "name": "Coffee",      "price": 275, "count": 7,  "image": "coffee.svg",  "is_refundable": true},
    {"id": 6, "name": "Orange Juice", "price": 325, "count": 2, "image": "juice.svg",   "is_refundable": false},
    {"id": 7, "name": "Mystery Snack", "price": 200, "count": 4, "image": "no-such-picture.svg", "is_refundable": false}
  ]
}
JSON

port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
base="http://127.0.0.1:$port"

edge_args=(--machine-id e2e-1 --db "$tmp/edge.db" --listen "127.0.0.1:$port" --catalog "$tmp/catalog.json")
if [[ -n "${VEND_EDGE_STATIC_DIR:-}" ]]; then
  edge_args+=(--static-dir "$VEND_EDGE_STATIC_DIR")
fi

echo "run_kiosk_e2e: starting $edge ${edge_args[*]}"
"$edge" "${edge_args[@]}" >"$tmp/edge.log" 2>&1 &
edge_pid=$!

# Bounded wait for liveness: 20 s, failing early if the agent exits.
ready=0
for _ in $(seq 1 100); do
  if ! kill -0 "$edge_pid" 2>/dev/null; then
    wait "$edge_pid" && st=0 || st=$?
    edge_pid=""
    die "vend-edge exited with status $st before becoming healthy"
  fi
  if curl -fsS --max-time 2 "$base/healthz" >/dev/null 2>&1; then
    ready=1
    break
  fi
  sleep 0.2
done
[[ $ready -eq 1 ]] || die "vend-edge did not answer $base/healthz within 20 s"
echo "run_kiosk_e2e: vend-edge is healthy at $base"

KIOSK_URL="$base/" node "$here/kiosk_e2e.mjs"

# Stop the agent the way an init system does; it gets 10 s to shut down cleanly.
kill -TERM "$edge_pid"
for _ in $(seq 1 50); do
  kill -0 "$edge_pid" 2>/dev/null || break
  sleep 0.2
done
if kill -0 "$edge_pid" 2>/dev/null; then
  kill -KILL "$edge_pid" 2>/dev/null || true
  wait "$edge_pid" 2>/dev/null || true
  edge_pid=""
  die "vend-edge did not exit within 10 s of SIGTERM"
fi
wait "$edge_pid" && st=0 || st=$?
edge_pid=""
# 0 = clean shutdown; 143 = ended by the SIGTERM itself. Anything else is a crash.
[[ $st -eq 0 || $st -eq 143 ]] || die "vend-edge exited with status $st after SIGTERM"
echo "run_kiosk_e2e: vend-edge stopped (status $st)"
