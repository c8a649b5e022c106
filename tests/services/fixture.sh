#!/usr/bin/env bash
# The ctest fixture `vend_services`: one broker and one PostgreSQL in DIR for a whole
# ctest run (tests/services/CMakeLists.txt).
#   fixture.sh start DIR   stops and removes what a previous run left in DIR, starts both
#   fixture.sh stop DIR    stops both; DIR stays for post-mortem logs until the next start
set -euo pipefail
services="$(cd "$(dirname "$0")/../.." && pwd)/scripts/services"
cmd=${1:-}
dir=${2:-}
[ -n "$dir" ] || { echo "usage: fixture.sh start|stop DIR" >&2; exit 2; }
case "$cmd" in
  start)
    # A run interrupted before its cleanup leaves daemons behind: stop them by their
    # recorded pids before removing their files.
    "$services" broker-stop "$dir" || true
    "$services" pg-stop "$dir" || true
    rm -rf "$dir"
    "$services" broker-start "$dir"
    "$services" pg-start "$dir"
    "$services" status "$dir"
    ;;
  stop)
    status=0
    "$services" broker-stop "$dir" || status=1
    "$services" pg-stop "$dir" || status=1
    exit "$status"
    ;;
  *)
    echo "usage: fixture.sh start|stop DIR" >&2
    exit 2
    ;;
esac
