#!/usr/bin/env bash
# Admin API benchmark (issue 4; results in bench/RESULTS.md, "Admin API over 1,000,000
# orders").
#
#   bench/admin/run.sh
#
# Self-contained: in a fresh temporary directory it starts its own PostgreSQL and
# Mosquitto (scripts/services), migrates vend-cloud's schema, seeds a fleet with one SQL
# statement per table (generate_series: ORDERS orders over MACHINES machines, PRODUCTS
# products, CUSTOMERS customers and DAYS days, plus stock and telemetry_latest rows),
# starts `vend-cloud serve` with a first admin from the environment, signs in with curl
# and runs wrk with the session cookie against the portal's read paths:
#   machines         GET /api/v1/machines
#   orders_first     GET /api/v1/orders                        (first page, 50 rows)
#   orders_machine   GET /api/v1/orders?machine=M-017
#   orders_deep      GET /api/v1/orders?cursor=...              (page DEEP_PAGES+1, 50 rows)
#   orders_customer  GET /api/v1/orders?customer=...
# It prints requests/s and p50/p99 latency per case (THREADS x CONNECTIONS, then again
# with one connection), then the statements each case ran
# with their durations (auto_explain: EXPLAIN ANALYZE of the statements vend-cloud really
# sent, plans in OUT_DIR/plans.txt), then drops the orders indexes of migrations 002 and 003 and runs the orders cases again
# for comparison. Everything is stopped at the end, on failure and on Ctrl-C too.
#
# Environment (defaults in brackets):
#   BUILD_DIR [build]   where bin/vend-cloud is
#   OUT_DIR [/tmp/vend-admin-results]   wrk outputs, plans, vend-cloud and PostgreSQL logs
#   ORDERS [1000000]  MACHINES [50]  PRODUCTS [200]  CUSTOMERS [20000]  DAYS [90]
#   DURATION [15]   seconds per wrk case    THREADS [2]  CONNECTIONS [8]
#   DEEP_PAGES [200]   pages followed (with limit 50) to get the deep cursor
#   NO_INDEX_DURATION [10]   seconds per case without the 002 indexes
#   SERIAL_DURATION [5]      seconds per case with one connection (after the main runs)
#   KEEP [0]            1: keep the temporary directory
# shellcheck disable=SC2317  # functions called through the EXIT trap
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$(cd "${BUILD_DIR:-$ROOT/build}" && pwd)/bin
SERVICES=$ROOT/scripts/services
PG_BIN=/usr/lib/postgresql/15/bin
OUT_DIR=${OUT_DIR:-/tmp/vend-admin-results}
ORDERS=${ORDERS:-1000000}
MACHINES=${MACHINES:-50}
PRODUCTS=${PRODUCTS:-200}
CUSTOMERS=${CUSTOMERS:-20000}
DAYS=${DAYS:-90}
DURATION=${DURATION:-15}
NO_INDEX_DURATION=${NO_INDEX_DURATION:-10}
SERIAL_DURATION=${SERIAL_DURATION:-5}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-8}
DEEP_PAGES=${DEEP_PAGES:-200}
KEEP=${KEEP:-0}
ADMIN_USER=bench-admin
ADMIN_PASSWORD=bench-admin-password-1

die() {
  echo "run.sh: $*" >&2
  exit 1
}
note() { echo "run.sh: $*" >&2; }

[ -x "$BIN/vend-cloud" ] || die "$BIN/vend-cloud is missing: build first (cmake --build build --target vend-cloud)"
command -v wrk >/dev/null || die "wrk is not installed"
command -v jq >/dev/null || die "jq is not installed"

WORK=$(mktemp -d /tmp/vend-admin-bench.XXXXXX)
chmod 755 "$WORK"  # the broker and PostgreSQL users must reach it
STACK_DIR=$WORK/stack
mkdir -p "$OUT_DIR"
CLOUD_PID=""
STARTED=0

stop_cloud() {
  if [ -n "$CLOUD_PID" ]; then
    kill -TERM "$CLOUD_PID" 2>/dev/null || true
    wait "$CLOUD_PID" 2>/dev/null || true
    CLOUD_PID=""
  fi
}

cleanup() {
  stop_cloud
  if [ "$STARTED" = 1 ]; then
    cp "$STACK_DIR/pg/postgres.log" "$OUT_DIR/postgres.log" 2>/dev/null || true
    "$SERVICES" broker-stop "$STACK_DIR" 2>/dev/null || true
    "$SERVICES" pg-stop "$STACK_DIR" 2>/dev/null || true
  fi
  if [ "$KEEP" = 1 ]; then note "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

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
# psql as vend-cloud's role.
pg_vend() { "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 "$VEND_PG_URL" "$@"; }

machine_facts() {
  {
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "cpu: $(nproc) x $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
    echo "memory (free -g):"
    free -g
    echo "kernel: $(uname -r)"
    echo "uptime: $(uptime)"
    echo "postgres: $("$PG_BIN/postgres" --version)"
    echo "wrk: $(wrk -v 2>&1 | head -n 1)"
  } | tee "$OUT_DIR/machine.txt" >&2
}

seed() {
  note "seeding $ORDERS orders over $MACHINES machines, $PRODUCTS products, $CUSTOMERS customers, $DAYS days"
  local t0=$SECONDS
  pg_vend -v orders="$ORDERS" -v machines="$MACHINES" -v products="$PRODUCTS" \
    -v customers="$CUSTOMERS" -v days="$DAYS" <<'SQL'
-- Customers are numbered fleet-wide 0..customers-1; customer c belongs to machine
-- c % machines, with the machine's own id c / machines + 1.
INSERT INTO machines (id, mqtt_username, online, online_since, last_seen, agent_version, watermark)
SELECT format('M-%s', lpad(m::text, 3, '0')), format('M-%s', lpad(m::text, 3, '0')),
       m % 10 <> 0, now() - interval '1 hour', now() - (m % 10 = 0)::int * interval '1 hour',
       '0.1.0', 0
FROM generate_series(1, :machines) m;

INSERT INTO products (id, name, price, image, is_refundable, low_stock_threshold)
SELECT p, format('Product %s', p), 50 + (p * 37) % 400, '', p % 3 = 0, 3
FROM generate_series(1, :products) p;

-- 1 % of the (machine, product) pairs are low on stock (a low-stock alert each).
INSERT INTO stock (machine_id, product_id, count, updated_at)
SELECT format('M-%s', lpad(m::text, 3, '0')), p,
       CASE WHEN (m * 7 + p * 13) % 100 = 0 THEN 1 ELSE 5 + (m * 7 + p * 13) % 20 END, now()
FROM generate_series(1, :machines) m, generate_series(1, :products) p;

INSERT INTO telemetry_latest (machine_id, at, temperature_c, door_open, uptime_s, outbox_depth,
                              stock, version)
SELECT format('M-%s', lpad(m::text, 3, '0')), now() - interval '30 seconds',
       3.5 + (m % 7) * 0.5, false, 86400, m % 4, '{}', '0.1.0'
FROM generate_series(1, :machines) m;

INSERT INTO customers (machine_id, customer_id, user_name, balance, updated_at)
SELECT format('M-%s', lpad((c % :machines + 1)::text, 3, '0')), c / :machines + 1,
       format('cust-%s', c), (c * 97) % 5000, now()
FROM generate_series(0, :customers - 1) c;

-- Order i (1..orders): customer c = (i * 7919) % customers on that customer's machine,
-- product (i * 31) % products + 1, created evenly over the last `days` days (i = orders is
-- the newest), 2 % refunded. order_id numbers a machine's orders in time order.
INSERT INTO orders (machine_id, order_id, uuid, customer_id, user_name, product_id, price,
                    status, created_at, refunded_at, refund_amount)
SELECT format('M-%s', lpad((c % :machines + 1)::text, 3, '0')),
       row_number() OVER (PARTITION BY c % :machines ORDER BY i),
       md5('order-' || i)::uuid, c / :machines + 1, format('cust-%s', c),
       (i * 31) % :products + 1, 50 + (((i * 31) % :products + 1) * 37) % 400,
       CASE WHEN i % 50 = 0 THEN 'refunded' ELSE 'paid' END,
       t, CASE WHEN i % 50 = 0 THEN t + interval '5 minutes' END,
       CASE WHEN i % 50 = 0 THEN 50 + (((i * 31) % :products + 1) * 37) % 400 END
FROM (SELECT i, (i * 7919) % :customers AS c,
             now() - (:days * interval '1 day') * (1 - i::double precision / :orders) AS t
      FROM generate_series(1::bigint, :orders) i) s;
SQL
  # Measure the steady state, not the seed's aftermath: vacuum (sets the visibility map
  # and hint bits the first reads would otherwise write), checkpoint and flush, so no
  # autovacuum or checkpoint of the 1M fresh rows runs during the measurements.
  pg_vend -c "VACUUM (ANALYZE) machines, products, stock, telemetry_latest, customers, orders"
  pg_super -c "CHECKPOINT"
  sync
  note "seeded in $((SECONDS - t0)) s; orders table $(pg_vend -At -c "SELECT pg_size_pretty(pg_total_relation_size('orders'))")"
}

start_cloud() {
  local port i
  port=$(free_port)
  CLOUD_URL=http://127.0.0.1:$port
  VEND_ADMIN_USERNAME=$ADMIN_USER VEND_ADMIN_PASSWORD=$ADMIN_PASSWORD \
    VEND_ADMIN_EMAIL=bench@example.test \
    "$BIN/vend-cloud" serve --listen "127.0.0.1:$port" --portal-dir "$ROOT/admin-portal" \
    >>"$OUT_DIR/vend-cloud.log" 2>&1 &
  CLOUD_PID=$!
  for ((i = 0; i < 300; i++)); do
    curl -sf "$CLOUD_URL/healthz" >/dev/null 2>&1 && break
    kill -0 "$CLOUD_PID" 2>/dev/null || die "vend-cloud exited (see $OUT_DIR/vend-cloud.log)"
    sleep 0.1
  done
  curl -sf "$CLOUD_URL/healthz" >/dev/null || die "vend-cloud not healthy after 30 s"
  # Sign in; the session cookie is all wrk needs for GETs (no CSRF on reads).
  local jar=$WORK/cookies
  curl -sf -c "$jar" -H 'Content-Type: application/json' \
    -d "{\"username\":\"$ADMIN_USER\",\"password\":\"$ADMIN_PASSWORD\"}" \
    "$CLOUD_URL/api/v1/auth/login" >/dev/null || die "login as $ADMIN_USER failed"
  SESSION=$(awk '$6 == "vf_session" { print $7 }' "$jar")
  [ -n "$SESSION" ] || die "no vf_session cookie after login"
  COOKIE="Cookie: vf_session=$SESSION"
  note "vend-cloud pid $CLOUD_PID on $CLOUD_URL, signed in"
}

api() { curl -sf -H "$COOKIE" "$CLOUD_URL$1"; }

# The targets of the cases. The deep cursor is reached by following next_cursor.
prepare_targets() {
  local cursor="" i
  for ((i = 0; i < DEEP_PAGES; i++)); do
    cursor=$(api "/api/v1/orders?limit=50${cursor:+&cursor=$cursor}" | jq -r '.next_cursor')
    if [ -z "$cursor" ] || [ "$cursor" = null ]; then die "no next_cursor after page $((i + 1))"; fi
    cursor=$(jq -rn --arg c "$cursor" '$c | @uri')
  done
  CUSTOMER=cust-4242
  declare -gA TARGET=(
    [machines]="/api/v1/machines"
    [orders_first]="/api/v1/orders"
    [orders_machine]="/api/v1/orders?machine=M-017"
    [orders_deep]="/api/v1/orders?cursor=$cursor"
    [orders_customer]="/api/v1/orders?customer=$CUSTOMER"
  )
  CASES=(machines orders_first orders_machine orders_deep orders_customer)
  local c n
  for c in "${CASES[@]}"; do
    n=$(api "${TARGET[$c]}" | jq '(.machines // .orders) | length') ||
      die "GET ${TARGET[$c]} failed"
    [ "$n" -gt 0 ] || die "GET ${TARGET[$c]} returned no rows"
    note "$c: ${TARGET[$c]} -> $n rows"
  done
}

# run_case NAME TARGET DURATION [CONNECTIONS THREADS]: one wrk run; appends "name rps p50 p99 non2xx timeouts" to
# RESULTS (a request over 10 s counts as a timeout, not in the latencies).
run_case() {
  local name=$1 target=$2 duration=$3 conns=${4:-$CONNECTIONS} threads=${5:-$THREADS}
  local out=$OUT_DIR/${name// /_}.wrk.txt
  wrk -t "$threads" -c "$conns" -d "${duration}s" --timeout 10s --latency -H "$COOKIE" \
    "$CLOUD_URL$target" >"$out" 2>&1 || die "wrk failed for $name (see $out)"
  local rps p50 p99 non2xx timeouts psi
  rps=$(awk '/^Requests\/sec/ { print $2 }' "$out")
  p50=$(awk '$1 == "50%" { print $2 }' "$out")
  p99=$(awk '$1 == "99%" { print $2 }' "$out")
  non2xx=$(awk '/Non-2xx/ { print $NF }' "$out")
  timeouts=$(awk '/Socket errors/ { print $NF }' "$out")
  # CPU pressure (PSI): the share of the last 10 s in which some runnable task waited for
  # a CPU; with other work on the box this is what stretches the tail.
  psi=$(awk '/^some/ { sub("avg10=", "", $2); print $2 "%" }' /proc/pressure/cpu 2>/dev/null)
  printf '%-34s %10s %10s %10s %8s %8s %6s %8s\n' "$name" "$rps" "$p50" "$p99" "${non2xx:-0}" \
    "${timeouts:-0}" "$(cut -d' ' -f1 /proc/loadavg)" "${psi:--}" | tee -a "$RESULTS"
}

# The plans of the statements vend-cloud sends for each case, with real timings:
# auto_explain logs EXPLAIN ANALYZE of every statement of new sessions; vend-cloud is
# restarted so its pool opens new ones.
explain_cases() {
  pg_super -c "LOAD 'auto_explain'" \
    -c "ALTER SYSTEM SET session_preload_libraries = 'auto_explain'" \
    -c "ALTER SYSTEM SET auto_explain.log_min_duration = 0" \
    -c "ALTER SYSTEM SET auto_explain.log_analyze = on" \
    -c "ALTER SYSTEM SET auto_explain.log_buffers = on" \
    -c "SELECT pg_reload_conf()" >/dev/null
  stop_cloud
  start_cloud
  local log=$STACK_DIR/pg/postgres.log c mark
  for c in "${CASES[@]}"; do
    api "${TARGET[$c]}" >/dev/null  # warm: the session lookup and connection set-up
    mark=$(wc -l <"$log")
    api "${TARGET[$c]}" >/dev/null
    sleep 0.5  # the backend writes the plan after the statement
    {
      echo "=== $c: GET ${TARGET[$c]}"
      tail -n +$((mark + 1)) "$log" | sed -E 's/^[0-9-]+ [0-9:.]+ UTC \[[0-9]+\] //'
    } | tee -a "$OUT_DIR/plans.txt" >/dev/null
    note "$c: statements and their durations (ms):"
    tail -n +$((mark + 1)) "$log" | awk '/duration: .* plan:/ { d = $0; sub(/.*duration: /, "", d); sub(/ ms.*/, "", d); getline; sub(/.*Query Text: /, ""); printf "  %9s  %s\n", d, substr($0, 1, 110) }' >&2
  done
  pg_super -c "ALTER SYSTEM RESET session_preload_libraries" \
    -c "ALTER SYSTEM RESET auto_explain.log_min_duration" \
    -c "ALTER SYSTEM RESET auto_explain.log_analyze" \
    -c "ALTER SYSTEM RESET auto_explain.log_buffers" -c "SELECT pg_reload_conf()" >/dev/null
  stop_cloud
  start_cloud
}

machine_facts
: >"$OUT_DIR/plans.txt"
: >"$OUT_DIR/vend-cloud.log"
RESULTS=$OUT_DIR/results.txt
: >"$RESULTS"

"$SERVICES" pg-start "$STACK_DIR"
STARTED=1
"$SERVICES" broker-start "$STACK_DIR"
set -a
# shellcheck disable=SC1091
. "$STACK_DIR/pg.env"
# shellcheck disable=SC1091
. "$STACK_DIR/broker.env"
set +a
"$BIN/vend-cloud" migrate >/dev/null
seed
start_cloud
prepare_targets

note "=== with the 002 indexes (wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s) ==="
printf '%-34s %10s %10s %10s %8s %8s %6s %8s\n' case req/s p50 p99 non-2xx timeouts load1 cpu_psi |
  tee -a "$RESULTS"
for c in "${CASES[@]}"; do run_case "$c" "${TARGET[$c]}" "$DURATION"; done
note "=== one connection (latency without queueing), ${SERIAL_DURATION}s each ==="
for c in "${CASES[@]}"; do run_case "$c (1 connection)" "${TARGET[$c]}" "$SERIAL_DURATION" 1 1; done
echo "load after the runs: $(uptime)" | tee -a "$RESULTS"

explain_cases

note "=== without the 002 orders indexes ==="
pg_vend -c "DROP INDEX orders_page, orders_by_machine, orders_by_product_page, orders_by_customer_page, orders_refunded" -c "ANALYZE orders"
for c in orders_first orders_machine orders_customer; do
  run_case "$c (no 002 indexes)" "${TARGET[$c]}" "$NO_INDEX_DURATION"
done
echo "load after the runs: $(uptime)" | tee -a "$RESULTS"
note "results in $RESULTS, plans in $OUT_DIR/plans.txt"
