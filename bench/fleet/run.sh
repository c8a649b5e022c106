#!/usr/bin/env bash
# Fleet sync benchmark (issue 3 point 6; results in bench/RESULTS.md, "Fleet sync").
#
#   bench/fleet/run.sh [catchup] [steady]      (default: both, one after the other)
#
# Self-contained: for each scenario it starts, in a fresh temporary directory, its own
# PostgreSQL and Mosquitto (scripts/services), migrates vend-cloud's schema, provisions
# the simulated machines (rows in `machines`, one dynamic-security client and role per
# machine), starts `vend-cloud serve`, runs build/bin/fleet-sim, and stops everything at
# the end, on failure and on Ctrl-C too. fleet-sim checks exactly-once delivery in
# PostgreSQL after each scenario and exits non-zero when anything differs; so does this
# script.
#
# Environment (defaults in brackets):
#   BUILD_DIR [build]          where bin/vend-cloud and bin/fleet-sim are
#   OUT_DIR [/tmp/vend-fleet-results]   JSON reports, vend-cloud metrics and logs
#   CATCHUP_MACHINES [1000]  CATCHUP_EVENTS [1000]  CATCHUP_BATCH [500]  CATCHUP_WINDOW [1]
#   CATCHUP_ACK_TIMEOUT [30]   seconds (vend-edge --ack-timeout; its default 10 s is shorter
#                              than the time 1,000 queued 500-event batches take to ingest)
#   STEADY_MACHINES [5000]   STEADY_RATE [1000]  STEADY_DURATION [60]  STEADY_WARMUP [5]
#   STEADY_BATCH [200]  STEADY_WINDOW [4]      (vend-edge's defaults)
#   CLOUD_WORKERS [16]  CLOUD_QUEUE [4096]     vend-cloud serve --workers / --queue: each
#                              worker holds one transaction, which waits for a WAL flush
#                              (~3.7 ms on this disk); 16 let commits share flushes
#   PERF [0]                   1: record vend-cloud with `perf record -g` during each run
#   PG_STATS [0]               1: load pg_stat_statements (and WAL I/O timing) and save the
#                              top statements, WAL and checkpoint counters after each run
#   KEEP [0]                   1: keep the temporary directory (databases, broker logs)
# shellcheck disable=SC2317  # functions called through the EXIT trap and "run_$s"
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$(cd "${BUILD_DIR:-$ROOT/build}" && pwd)/bin
SERVICES=$ROOT/scripts/services
PG_BIN=/usr/lib/postgresql/15/bin
OUT_DIR=${OUT_DIR:-/tmp/vend-fleet-results}
CATCHUP_MACHINES=${CATCHUP_MACHINES:-1000}
CATCHUP_EVENTS=${CATCHUP_EVENTS:-1000}
CATCHUP_BATCH=${CATCHUP_BATCH:-500}
CATCHUP_WINDOW=${CATCHUP_WINDOW:-1}
CATCHUP_ACK_TIMEOUT=${CATCHUP_ACK_TIMEOUT:-30}
STEADY_MACHINES=${STEADY_MACHINES:-5000}
STEADY_RATE=${STEADY_RATE:-1000}
STEADY_DURATION=${STEADY_DURATION:-60}
STEADY_WARMUP=${STEADY_WARMUP:-5}
STEADY_BATCH=${STEADY_BATCH:-200}
STEADY_WINDOW=${STEADY_WINDOW:-4}
CLOUD_WORKERS=${CLOUD_WORKERS:-16}
CLOUD_QUEUE=${CLOUD_QUEUE:-4096}
PERF=${PERF:-0}
PG_STATS=${PG_STATS:-0}
KEEP=${KEEP:-0}

die() {
  echo "run.sh: $*" >&2
  exit 1
}
note() { echo "run.sh: $*" >&2; }

for b in vend-cloud fleet-sim; do
  [ -x "$BIN/$b" ] || die "$BIN/$b is missing: build first (cmake --build build --target $b)"
done

scenarios=("$@")
[ ${#scenarios[@]} -gt 0 ] || scenarios=(catchup steady)
for s in "${scenarios[@]}"; do
  [[ "$s" == catchup || "$s" == steady ]] || die "unknown scenario '$s' (catchup or steady)"
done

# One descriptor per simulated machine in fleet-sim and in the broker (which inherits
# this limit through scripts/services), plus headroom.
want_fds=$((STEADY_MACHINES + CATCHUP_MACHINES + 1024))
if [ "$(ulimit -Hn)" != unlimited ] && [ "$(ulimit -Hn)" -lt "$want_fds" ]; then
  ulimit -Hn "$want_fds" 2>/dev/null || true
fi
ulimit -n "$(ulimit -Hn)"
note "open-file limit $(ulimit -n)"

WORK=$(mktemp -d /tmp/vend-fleet-bench.XXXXXX)
chmod 755 "$WORK"  # the broker and PostgreSQL users must reach it
mkdir -p "$OUT_DIR"
CLOUD_PID=""
PERF_PID=""
STACK_DIR=""

stop_stack() {
  if [ -n "$PERF_PID" ]; then
    kill -INT "$PERF_PID" 2>/dev/null || true
    wait "$PERF_PID" 2>/dev/null || true
    PERF_PID=""
  fi
  if [ -n "$CLOUD_PID" ]; then
    kill -TERM "$CLOUD_PID" 2>/dev/null || true
    wait "$CLOUD_PID" 2>/dev/null || true
    CLOUD_PID=""
  fi
  if [ -n "$STACK_DIR" ]; then
    "$SERVICES" broker-stop "$STACK_DIR" 2>/dev/null || true
    "$SERVICES" pg-stop "$STACK_DIR" 2>/dev/null || true
    STACK_DIR=""
  fi
}

cleanup() {
  stop_stack
  if [ "$KEEP" = 1 ]; then note "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A TCP port on 127.0.0.1 nobody uses, below the ephemeral range.
free_port() {
  local port h
  for _ in $(seq 1 200); do
    port=$((20000 + RANDOM % 12000))
    h=$(printf '%04X' "$port")
    if ! awk -v h="$h" 'FNR > 1 { n = split($2, a, ":"); if (a[n] == h) f = 1 } END { exit !f }' \
      /proc/net/tcp /proc/net/tcp6 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  die "no free port"
}

# psql as the cluster's superuser over its unix socket (peer authentication, as
# scripts/services does it).
pg_super() {
  if [ "$(id -u)" -eq 0 ]; then
    (cd / && runuser -u postgres -- "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$STACK_DIR/pg" \
      -p "$VEND_PG_PORT" -U postgres -d vend "$@")
  else
    "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$STACK_DIR/pg" -p "$VEND_PG_PORT" -U "$(id -un)" -d vend "$@"
  fi
}

enable_pg_stats() {
  pg_super -c "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'" \
    -c "ALTER SYSTEM SET track_io_timing = on" -c "ALTER SYSTEM SET track_wal_io_timing = on"
  "$SERVICES" pg-stop "$STACK_DIR"
  "$SERVICES" pg-start "$STACK_DIR"
  pg_super -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements"
}

save_pg_stats() {
  pg_super -P pager=off >"$OUT_DIR/$1.pgstats.txt" 2>&1 <<'SQL' || true
SELECT calls, round(total_exec_time) AS total_ms, round(mean_exec_time::numeric, 3) AS mean_ms,
       rows, left(regexp_replace(query, '\s+', ' ', 'g'), 110) AS query
FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 20;
SELECT wal_records, pg_size_pretty(wal_bytes) AS wal, wal_write, wal_sync,
       round(wal_write_time) AS write_ms, round(wal_sync_time) AS sync_ms FROM pg_stat_wal;
SELECT checkpoints_timed, checkpoints_req, round(checkpoint_write_time) AS write_ms,
       round(checkpoint_sync_time) AS sync_ms FROM pg_stat_bgwriter;
SQL
}

# start_stack NAME MACHINES: services, schema, machines, vend-cloud.
start_stack() {
  local name=$1 machines=$2
  STACK_DIR=$WORK/$name
  "$SERVICES" pg-start "$STACK_DIR"
  "$SERVICES" broker-start "$STACK_DIR"
  set -a
  # shellcheck disable=SC1091
  . "$STACK_DIR/pg.env"
  # shellcheck disable=SC1091
  . "$STACK_DIR/broker.env"
  set +a
  if [ "$PG_STATS" = 1 ]; then enable_pg_stats; fi
  "$BIN/vend-cloud" migrate >/dev/null
  # Machines are written into the broker's dynamic-security file while it is stopped:
  # Mosquitto 2.0 rewrites that file after every admin command (O(N^2) for N machines).
  "$SERVICES" broker-stop "$STACK_DIR"
  "$BIN/fleet-sim" provision --machines "$machines" --credentials "$STACK_DIR/machines.txt" \
    --dynsec-file "$STACK_DIR/broker/dynamic-security.json" --pg "$VEND_PG_URL"
  "$SERVICES" broker-start "$STACK_DIR"
  local port i
  port=$(free_port)
  CLOUD_URL=http://127.0.0.1:$port
  "$BIN/vend-cloud" serve --listen "127.0.0.1:$port" --workers "$CLOUD_WORKERS" \
    --queue "$CLOUD_QUEUE" >"$OUT_DIR/$name.vend-cloud.log" 2>&1 &
  CLOUD_PID=$!
  for ((i = 0; i < 300; i++)); do
    curl -sf "$CLOUD_URL/healthz" >/dev/null 2>&1 && break
    kill -0 "$CLOUD_PID" 2>/dev/null || die "vend-cloud exited (see $OUT_DIR/$name.vend-cloud.log)"
    sleep 0.1
  done
  curl -sf "$CLOUD_URL/healthz" >/dev/null || die "vend-cloud not healthy after 30 s"
  BROKER_PID=$(cat "$STACK_DIR/mosquitto.pid")
  PG_PID=$(head -n 1 "$STACK_DIR/pg/data/postmaster.pid")
  note "stack up: broker pid $BROKER_PID (fd limit $(awk '/open files/ {print $4}' /proc/"$BROKER_PID"/limits)), postgres pid $PG_PID, vend-cloud pid $CLOUD_PID"
  if [ "$PERF" = 1 ]; then
    perf record -g -o "$OUT_DIR/$name.perf.data" -p "$CLOUD_PID" >/dev/null 2>&1 &
    PERF_PID=$!
  fi
}

# Keeps what vend-cloud counted (drops, duplicates, rejects) next to the report.
save_metrics() {
  curl -sf "$CLOUD_URL/metrics" >"$OUT_DIR/$1.metrics.txt" || true
  grep -E '^vend_cloud_(batches_total|events_ingested_total|duplicate_events_total|messages_dropped_total|ingest_errors_total|rejected_payloads_total|seq_gaps_total|acks_published_total|status_messages_total|telemetry_messages_total)' \
    "$OUT_DIR/$1.metrics.txt" >&2 || true
}

machine_facts() {
  {
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "cpu: $(nproc) x $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
    echo "memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
    echo "kernel: $(uname -r)"
    echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "mosquitto: $(mosquitto -h 2>/dev/null | head -n 1)"
    echo "postgres: $(/usr/lib/postgresql/15/bin/postgres --version)"
  } | tee "$OUT_DIR/machine.txt" >&2
}

run_catchup() {
  start_stack catchup "$CATCHUP_MACHINES"
  local rc=0
  timeout 1200 "$BIN/fleet-sim" catchup --credentials "$STACK_DIR/machines.txt" \
    --events "$CATCHUP_EVENTS" --batch "$CATCHUP_BATCH" --window "$CATCHUP_WINDOW" \
    --ack-timeout "$CATCHUP_ACK_TIMEOUT" \
    --watch "vend-cloud=$CLOUD_PID" --watch "mosquitto=$BROKER_PID" --watch "postgres=$PG_PID" \
    --report "$OUT_DIR/catchup.json" 2> >(tee "$OUT_DIR/catchup.fleet-sim.log" >&2) >/dev/null ||
    rc=$?
  save_metrics catchup
  if [ "$PG_STATS" = 1 ]; then save_pg_stats catchup; fi
  stop_stack
  return "$rc"
}

run_steady() {
  start_stack steady "$STEADY_MACHINES"
  local rc=0
  timeout $((STEADY_DURATION + STEADY_WARMUP + 900)) "$BIN/fleet-sim" steady \
    --credentials "$STACK_DIR/machines.txt" --rate "$STEADY_RATE" \
    --duration "$STEADY_DURATION" --warmup "$STEADY_WARMUP" --batch "$STEADY_BATCH" \
    --window "$STEADY_WINDOW" --max-connecting 500 \
    --watch "vend-cloud=$CLOUD_PID" --watch "mosquitto=$BROKER_PID" --watch "postgres=$PG_PID" \
    --report "$OUT_DIR/steady.json" 2> >(tee "$OUT_DIR/steady.fleet-sim.log" >&2) >/dev/null ||
    rc=$?
  save_metrics steady
  if [ "$PG_STATS" = 1 ]; then save_pg_stats steady; fi
  stop_stack
  return "$rc"
}

machine_facts
failed=0
for s in "${scenarios[@]}"; do
  note "=== $s ==="
  if "run_$s"; then
    note "$s: verified (report $OUT_DIR/$s.json)"
  else
    note "$s: FAILED (report $OUT_DIR/$s.json, log $OUT_DIR/$s.vend-cloud.log)"
    failed=1
  fi
done
exit "$failed"
