#!/usr/bin/env bash
# End-to-end test of the admin portal against a real stack in a temporary directory:
# Mosquitto (dynamic security) and PostgreSQL from scripts/services, `vend-cloud serve`
# with the portal and a first admin from the environment, and two provisioned vend-edge
# agents, all on free loopback ports; admin_e2e.mjs then drives headless Chromium.
#
# usage: run_admin_e2e.sh VEND_CLOUD_BINARY VEND_EDGE_BINARY
# env:   SCREENSHOT_DIR   where admin_e2e.mjs writes its PNGs (default: a temp dir, kept
#                         and printed at the end; `tests/e2e/admin_screenshots.sh` copies
#                         the ones the README shows to docs/screenshots/)
#        CHROMIUM         browser binary (default /usr/bin/chromium)
#        KEEP_E2E_DIR=1   keep the stack's directory (logs, data) after the run
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
services="$repo/scripts/services"

die() {
  echo "run_admin_e2e: $*" >&2
  exit 1
}
note() { echo "run_admin_e2e: $*"; }

[[ $# -eq 2 ]] || die "usage: $0 VEND_CLOUD_BINARY VEND_EDGE_BINARY"
cloud="$1"
edge="$2"
[[ -x "$cloud" ]] || die "vend-cloud binary not found or not executable: $cloud"
[[ -x "$edge" ]] || die "vend-edge binary not found or not executable: $edge"
for tool in node curl python3 mosquitto mosquitto_rr; do
  command -v "$tool" >/dev/null || die "$tool is not installed (scripts/install-deps installs it)"
done
[[ -d "$here/node_modules/playwright-core" ]] ||
  die "tests/e2e/node_modules is missing: run 'npm ci --prefix tests/e2e' (scripts/install-deps does this)"
[[ -x "${CHROMIUM:-/usr/bin/chromium}" ]] ||
  die "Chromium not found at ${CHROMIUM:-/usr/bin/chromium} (scripts/install-deps installs it)"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/admin-e2e.XXXXXX")"
# The broker and PostgreSQL drop to their own users, who must reach their directories.
chmod 755 "$tmp"
svc="$tmp/services"
pids=()

stop_pid() {  # pid name
  local pid=$1 name=$2
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "run_admin_e2e: $name did not stop within 10 s of SIGTERM; killing it" >&2
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local rc=$?
  local i
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    stop_pid "${pids[$i]}" "process ${pids[$i]}"
  done
  "$services" broker-stop "$svc" >/dev/null 2>&1 || true
  "$services" pg-stop "$svc" >/dev/null 2>&1 || true
  if [[ $rc -ne 0 ]]; then
    for log in "$tmp"/cloud.log "$tmp"/edge-*.log; do
      [[ -s "$log" ]] || continue
      echo "run_admin_e2e: last lines of $log:" >&2
      tail -n 30 "$log" >&2 || true
    done
  fi
  if [[ "${KEEP_E2E_DIR:-0}" == 1 ]]; then
    echo "run_admin_e2e: kept $tmp" >&2
  else
    rm -rf "$tmp"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Waits up to 20 s for URL to answer, failing early when PID exits.
wait_http() {  # url pid name
  for _ in $(seq 1 100); do
    if ! kill -0 "$2" 2>/dev/null; then
      die "$3 exited before answering $1"
    fi
    if curl -fsS --max-time 2 -o /dev/null "$1" 2>/dev/null; then return 0; fi
    sleep 0.2
  done
  die "$3 did not answer $1 within 20 s"
}

note "starting PostgreSQL and Mosquitto in $svc"
"$services" pg-start "$svc" >/dev/null
"$services" broker-start "$svc" >/dev/null
set -a
# shellcheck disable=SC1091
. "$svc/broker.env"
# shellcheck disable=SC1091
. "$svc/pg.env"
set +a

vc() { "$cloud" --log-level warn "$@"; }
vc migrate >/dev/null

# The catalog the test relies on (ids and prices); machines get it when they are added.
vc product add 1 Cola 150 --refundable >/dev/null
vc product add 2 Water 100 >/dev/null
vc product add 3 Chips 225 --refundable >/dev/null

cloud_port="$(free_port)"
export ADMIN_URL="http://127.0.0.1:$cloud_port"
export ADMIN_USER=admin
ADMIN_PASSWORD="e2e-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
export ADMIN_PASSWORD
note "starting vend-cloud on $ADMIN_URL"
VEND_ADMIN_USERNAME="$ADMIN_USER" VEND_ADMIN_PASSWORD="$ADMIN_PASSWORD" VEND_ADMIN_EMAIL=admin@e2e.invalid \
  "$cloud" serve --listen "127.0.0.1:$cloud_port" --portal-dir "$repo/admin-portal" \
  --offline-after 60 >"$tmp/cloud.log" 2>&1 &
pids+=($!)
wait_http "$ADMIN_URL/healthz" "${pids[-1]}" vend-cloud

i=0
for name in e2e-1 e2e-2; do
  i=$((i + 1))
  dir="$tmp/$name"
  mkdir -p "$dir"
  vc machine add "$name" --format env >"$dir/credentials.env"
  vc stock set "$name" 1 10 >/dev/null
  vc stock set "$name" 2 5 >/dev/null
  vc stock set "$name" 3 4 >/dev/null
  (
    # shellcheck disable=SC1091
    . "$dir/credentials.env"
    umask 077
    printf '%s\n' "$VEND_MQTT_PASSWORD" >"$dir/mqtt-password"
  )
  port="$(free_port)"
  note "starting vend-edge $name on 127.0.0.1:$port"
  "$edge" --machine-id "$name" --db "$dir/edge.db" --listen "127.0.0.1:$port" \
    --mqtt "$VEND_MQTT_URL" --mqtt-user "$name" --mqtt-password-file "$dir/mqtt-password" \
    --telemetry-interval 2 >"$tmp/edge-$name.log" 2>&1 &
  pids+=($!)
  wait_http "http://127.0.0.1:$port/healthz" "${pids[-1]}" "vend-edge $name"
  export "EDGE${i}_URL=http://127.0.0.1:$port"
  export "EDGE${i}_ID=$name"
done

shots="${SCREENSHOT_DIR:-}"
if [[ -z "$shots" ]]; then
  shots="$(mktemp -d "${TMPDIR:-/tmp}/admin-e2e-screenshots.XXXXXX")"
fi
export SCREENSHOT_DIR="$shots"

node "$here/admin_e2e.mjs"
note "screenshots in $SCREENSHOT_DIR"
