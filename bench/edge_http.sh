#!/usr/bin/env bash
# HTTP benchmark of vend-edge: product list, durable buys, memory, and a same-run
# comparison that explains the buy rate (1 vs N connections; raw SQLite commit rate of
# the very transaction a buy runs, and of a one-row transaction, on the same filesystem,
# with synchronous=FULL and NORMAL).
#
# Usage: bench/edge_http.sh   (from anywhere; needs wrk, curl, sqlite3, ss, cc + libsqlite3-dev;
#                              perf, if present, counts the fsyncs per sale)
# Environment (all optional):
#   VEND_EDGE              binary (default: <repo>/build/bin/vend-edge)
#   VEND_EDGE_ARGS         extra vend-edge options, split on spaces (e.g. "--http-threads 4")
#   BENCH_DURATION         wrk duration of the main runs (default 10s)
#   BENCH_THREADS          wrk threads (default 2)
#   BENCH_CONNECTIONS      wrk connections (default 16)
#   BENCH_CUSTOMERS        customers for the buy run, at most 147 (default 64)
#   BENCH_DEPOSITS         add_balance calls of 100000 cents per customer (default 10)
#   BENCH_SINGLE_DURATION  duration of the 1-connection buy run (default 5s)
#   BENCH_SQLITE_TX        transactions per raw SQLite synchronous=FULL loop (default 4000;
#                          NORMAL loops run 5 times as many)
#   BENCH_KEEP=1           keep the temp dir (database, server log, wrk outputs)
#   TMPDIR                 where the temp dir (and so the database) goes (default /tmp)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
bin=${VEND_EDGE:-$root/build/bin/vend-edge}
duration=${BENCH_DURATION:-10s}
threads=${BENCH_THREADS:-2}
conns=${BENCH_CONNECTIONS:-16}
ncustomers=${BENCH_CUSTOMERS:-64}
deposits=${BENCH_DEPOSITS:-10}
single_duration=${BENCH_SINGLE_DURATION:-5s}
sqlite_tx=${BENCH_SQLITE_TX:-4000}
read -r -a extra_args <<<"${VEND_EDGE_ARGS:-}"
price=150
product=1
max_deposit=100000

die() { echo "edge_http.sh: $*" >&2; exit 1; }

for tool in wrk curl sqlite3 ss awk cc; do
  command -v "$tool" >/dev/null || die "$tool is not installed"
done
[[ -x $bin ]] || die "no vend-edge binary at $bin (build it: cmake --build build -j2)"
# Customer k is funded so that its balance modulo the price is k (see buy.lua); the
# 1-connection run uses two more customers.
(( ncustomers + 2 < price )) || die "BENCH_CUSTOMERS must be below $((price - 2))"
(( ncustomers >= conns + threads )) || die "BENCH_CUSTOMERS must be >= connections + threads"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vend-edge-bench.XXXXXX")
pid=""
cleanup() {
  if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  if [[ ${BENCH_KEEP:-0} == 1 ]]; then
    echo "kept $tmp" >&2
  else
    rm -rf "$tmp"
  fi
}
trap cleanup EXIT

# --- helpers ------------------------------------------------------------------------

# A port below the ephemeral range (32768-60999 by default), so that no client socket of
# curl or wrk can be holding it; any socket on it, in any state, disqualifies it.
pick_port() {
  local port _
  for _ in {1..50}; do
    port=$((20000 + RANDOM % 12000))
    if [[ -z $(ss -Htan "sport = :$port") ]]; then
      echo "$port"
      return 0
    fi
  done
  return 1
}

# CPU ticks (user + system) used so far by process $1.
proc_ticks() {
  local stat
  stat=$(<"/proc/$1/stat")
  stat=${stat##*) }
  local -a f
  read -r -a f <<<"$stat"
  echo $((f[11] + f[12]))
}

# CPU seconds (user + system) used so far by this shell's finished children, from the
# output of `times` in file $1. `times` itself must run in this shell (not in a $(...)
# subshell, whose children are its own), so callers do `times >file` first.
children_cpu() {
  awk 'NR == 2 {
         t = 0
         for (i = 1; i <= 2; i++) { split($i, p, /[ms]/); t += p[1] * 60 + p[2] }
         printf "%.2f\n", t
       }' "$1"
}

# Busy CPU ticks of the whole machine (all but idle and iowait).
machine_ticks() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }

status_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }

# Field $2 of the "KEY a=b c=d" line in file $1.
field() { awk -v k="$2" '$1 == "GET" || $1 == "BUY" { for (i = 2; i <= NF; i++) { split($i, p, "="); if (p[1] == k) print p[2] } }' "$1"; }

calc() { awk "BEGIN { printf \"$1\\n\", $2 }"; }

api() {  # METHOD PATH JSON
  curl -fsS -X "$1" -H 'Content-Type: application/json' --data "$3" "$base$2"
}

# make_customers FILE COUNT FIRST_K DEPOSITS: creates customers bench-K for K in
# FIRST_K.., funds each with DEPOSITS x 100000 + K cents (so balance % price == K % price)
# and writes "user_name balance" lines to FILE.
make_customers() {
  local file=$1 count=$2 first=$3 ndep=$4 k id out balance url d
  local -a args
  : >"$file"
  for ((k = first; k < first + count; k++)); do
    out=$(api POST /api/v1/users "{\"user_name\":\"bench-$k\"}")
    id=$(sed -n 's/.*"id":\([0-9]*\).*/\1/p' <<<"$out")
    [[ -n $id ]] || die "cannot create customer bench-$k: $out"
    url="$base/api/v1/users/$id/add_balance"
    args=()
    for ((d = 0; d < ndep; d++)); do
      args+=(--next -fsS -X POST -H 'Content-Type: application/json'
        --data "{\"user_name\":\"bench-$k\",\"amount\":$max_deposit}" "$url")
    done
    args+=(--next -fsS -X POST -H 'Content-Type: application/json'
      --data "{\"user_name\":\"bench-$k\",\"amount\":$k}" "$url")
    out=$(curl "${args[@]:1}")
    balance=$(grep -o '"balance":[0-9]*' <<<"$out" | tail -n 1 | cut -d: -f2)
    [[ $balance == $((ndep * max_deposit + k)) ]] || die "bench-$k funded wrongly: $out"
    echo "bench-$k $balance" >>"$file"
  done
}

# raw_rate DB row|buy FULL|NORMAL N: tx/s of bench/sqlite_commit.c's loop.
raw_rate() {
  local out
  out=$("$tmp/sqlite_commit" "$@") || die "sqlite_commit $* failed"
  sed -n 's/^tx_per_s=\([0-9]*\) .*/\1/p' <<<"$out"
}

# run_wrk NAME ARGS...: runs wrk, keeps its output in $tmp/NAME.out, and records in
# $tmp/NAME.cpu the CPU seconds used meanwhile by vend-edge, by wrk and by everything
# else on the machine ("server wrk other"): other work skews a 2-core benchmark.
run_wrk() {
  local name=$1 s0 s1 c0 c1 m0 m1 hz
  shift
  hz=$(getconf CLK_TCK)
  s0=$(proc_ticks "$pid")
  m0=$(machine_ticks)
  times >"$tmp/times0"
  wrk "$@" >"$tmp/$name.out"
  times >"$tmp/times1"
  m1=$(machine_ticks)
  s1=$(proc_ticks "$pid")
  c0=$(children_cpu "$tmp/times0")
  c1=$(children_cpu "$tmp/times1")
  awk -v s="$((s1 - s0))" -v m="$((m1 - m0))" -v w="$(calc "%.2f" "$c1 - $c0")" -v hz="$hz" \
    'BEGIN { o = m / hz - s / hz - w; printf "%.2f %.2f %.2f\n", s / hz, w, (o < 0 ? 0 : o) }' \
    >"$tmp/$name.cpu"
  echo "--- wrk $* ---"
  cat "$tmp/$name.out"
}

# Counting vend-edge's fsync calls during a run (perf tracepoints; "n/a" without perf).
# start_fsync_count NAME; ...; stop_fsync_count NAME sets fsync_result to "fsyncs sales".
# Both run in this shell (not in $(...)): perf must be this shell's child to be waited for.
sales_total() {
  curl -fsS "$base/metrics" | awk '$1 == "vend_edge_sales_total" { print $2 }'
}
start_fsync_count() {
  fsync_pid=""
  sales_before=$(sales_total)
  command -v perf >/dev/null || return 0
  perf stat -x, -e syscalls:sys_enter_fdatasync,syscalls:sys_enter_fsync -p "$pid" \
    -o "$tmp/$1.perf" >/dev/null 2>&1 &
  fsync_pid=$!
  sleep 0.5
}
stop_fsync_count() {
  local n="n/a" sales_after
  if [[ -n $fsync_pid ]]; then
    kill -INT "$fsync_pid" 2>/dev/null || true
    wait "$fsync_pid" 2>/dev/null || true
    n=$(awk -F, '$1 ~ /^[0-9]+$/ && /sys_enter_f/ { n += $1; ok = 1 } END { print ok ? n : "n/a" }' \
      "$tmp/$1.perf" 2>/dev/null || echo "n/a")
  fi
  sales_after=$(sales_total)
  fsync_result="$n $((sales_after - sales_before))"
}
per_buy() {  # "fsyncs sales" -> "0.25 (1234 fsyncs / 4936 sales)"
  local f s
  read -r f s <<<"$1"
  if [[ $f == n/a || $s == 0 ]]; then echo "n/a (perf stat unavailable)"; return; fi
  echo "$(calc "%.2f" "$f / $s") ($f fsyncs / $s sales)"
}

# --- start vend-edge ----------------------------------------------------------------

cc -O2 -o "$tmp/sqlite_commit" "$here/sqlite_commit.c" -lsqlite3 ||
  die "cannot build bench/sqlite_commit.c (needs libsqlite3-dev)"

printf '{"products":[{"id":%d,"name":"Cola","price":%d,"count":100000000,"image":"cola.svg","is_refundable":true}]}\n' \
  "$product" "$price" >"$tmp/catalog.json"

for attempt in 1 2 3; do
  port=$(pick_port) || die "no free port found"
  base="http://127.0.0.1:$port"
  "$bin" --machine-id bench-1 --db "$tmp/edge.db" --listen "127.0.0.1:$port" \
    --catalog "$tmp/catalog.json" --log-level warn "${extra_args[@]}" >"$tmp/vend-edge.log" 2>&1 &
  pid=$!
  for _ in {1..100}; do
    if curl -fsS -o /dev/null "$base/healthz" 2>/dev/null; then break 2; fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  pid=""
  echo "vend-edge did not come up on port $port (attempt $attempt):" >&2
  cat "$tmp/vend-edge.log" >&2
done
[[ -n $pid ]] || die "vend-edge failed to start"

echo "binary $bin ($("$bin" --version 2>/dev/null | head -n 1), built $(date -u -r "$bin" +%FT%TZ))"
echo "vend-edge pid $pid on $base${extra_args[*]:+ with ${extra_args[*]}}, database $tmp/edge.db ($(df -T "$tmp" | awk 'NR == 2 { print $2 }'))"
echo "creating and funding $ncustomers + 2 customers..."
make_customers "$tmp/customers.txt" "$ncustomers" 1 "$deposits"
make_customers "$tmp/customers-single.txt" 2 $((ncustomers + 1)) 50

sleep 1
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
rss_idle=$(status_kb "$pid" VmRSS)
threads_idle=$(status_kb "$pid" Threads)

# --- a. product list ----------------------------------------------------------------
run_wrk get -t"$threads" -c"$conns" -d"$duration" --latency -s "$here/get.lua" \
  "$base/api/v1/products"

# --- b. durable buys, one customer per in-flight request ----------------------------
start_fsync_count buy
BUY_CUSTOMERS="$tmp/customers.txt" BUY_THREADS=$threads BUY_PRICE=$price BUY_PRODUCT=$product \
  run_wrk buy -t"$threads" -c"$conns" -d"$duration" --latency -s "$here/buy.lua" \
  "$base/api/v1/products/$product/buy"
stop_fsync_count buy
fsync_buy=$fsync_result

# --- c. memory under that load ------------------------------------------------------
rss_peak=$(status_kb "$pid" VmHWM)
rss_after=$(status_kb "$pid" VmRSS)
threads_after=$(status_kb "$pid" Threads)

# --- d. comparison: 1 connection, raw SQLite commit rate ----------------------------
start_fsync_count buy1
BUY_CUSTOMERS="$tmp/customers-single.txt" BUY_THREADS=1 BUY_PRICE=$price BUY_PRODUCT=$product \
  run_wrk buy1 -t1 -c1 -d"$single_duration" --latency -s "$here/buy.lua" \
  "$base/api/v1/products/$product/buy"
stop_fsync_count buy1
fsync_buy1=$fsync_result

orders=$(sqlite3 "$tmp/edge.db" 'SELECT count(*) FROM orders')
# The raw loops run while vend-edge is idle; the buy loop on a copy of its database.
sqlite3 "$tmp/edge.db" "VACUUM INTO '$tmp/copy.db'"
raw_buy_full=$(raw_rate "$tmp/copy.db" buy FULL "$sqlite_tx")
raw_buy_normal=$(raw_rate "$tmp/copy.db" buy NORMAL $((sqlite_tx * 5)))
raw_row_full=$(raw_rate "$tmp/raw.db" row FULL "$sqlite_tx")
raw_row_normal=$(raw_rate "$tmp/raw.db" row NORMAL $((sqlite_tx * 5)))

kill -TERM "$pid"
server_rc=0
wait "$pid" || server_rc=$?
pid=""
log_lines=$(wc -l <"$tmp/vend-edge.log")

# --- summary ------------------------------------------------------------------------
g=$tmp/get.out b=$tmp/buy.out b1=$tmp/buy1.out
[[ -n $(field "$g" req_per_s) && -n $(field "$b" buys_per_s) && -n $(field "$b1" buys_per_s) ]] ||
  die "a wrk run printed no result line (see the outputs above)"
read -r get_srv get_wrk get_other <"$tmp/get.cpu"
read -r buy_srv buy_wrk buy_other <"$tmp/buy.cpu"
read -r buy1_srv _ buy1_other <"$tmp/buy1.cpu"
get_req=$(field "$g" requests)
buy_ok=$(field "$b" ok) buy_non=$(field "$b" non201)
buy1_ok=$(field "$b1" ok) buy1_non=$(field "$b1" non201)
verdict() { awk -v v="$1" -v t="$3" -v op="$2" 'BEGIN {
  ok = (op == ">=") ? v >= t : v <= t; print ok ? "PASS" : "MISS" }'; }

echo
echo "== vend-edge HTTP benchmark: $(nproc) cores, wrk -t$threads -c$conns -d$duration =="
printf '%-38s %-26s %-10s %s\n' metric measured target verdict
printf '%-38s %-26s %-10s %s\n' "GET /api/v1/products req/s" "$(field "$g" req_per_s)" ">= 15000" \
  "$(verdict "$(field "$g" req_per_s)" ">=" 15000)"
printf '%-38s %-26s\n' "  latency p50 / p90 / p99 ms" \
  "$(field "$g" p50_ms) / $(field "$g" p90_ms) / $(field "$g" p99_ms)"
printf '%-38s %-26s\n' "  status >= 400, socket errors" \
  "$(field "$g" status_ge_400), $(field "$g" sock_connect)/$(field "$g" sock_read)/$(field "$g" sock_write)/$(field "$g" timeouts)"
printf '%-38s %-26s %-10s %s\n' "durable buys/s (201 only)" "$(field "$b" buys_per_s)" ">= 2500" \
  "$(verdict "$(field "$b" buys_per_s)" ">=" 2500)"
printf '%-38s %-26s %-10s %s\n' "  latency p50 / p90 / p99 ms" \
  "$(field "$b" p50_ms) / $(field "$b" p90_ms) / $(field "$b" p99_ms)" "p99 <= 10" \
  "$(verdict "$(field "$b" p99_ms)" "<=" 10)"
printf '%-38s %-26s\n' "  201 / non-201 (by status)" "$buy_ok / $buy_non ($(field "$b" non201_by_status))"
printf '%-38s %-26s\n' "  unattributed / pool empty" "$(field "$b" unattributed) / $(field "$b" pool_empty)"
printf '%-38s %-26s %-10s %s\n' "RSS idle -> peak VmHWM (MB)" \
  "$(calc "%.1f" "$rss_idle / 1024") -> $(calc "%.1f" "$rss_peak / 1024")" "<= 30" \
  "$(verdict "$(calc "%.1f" "$rss_peak / 1024")" "<=" 30)"
printf '%-38s %-26s\n' "  RSS after load (MB), threads" "$(calc "%.1f" "$rss_after / 1024"), $threads_idle -> $threads_after"
echo "-- same-run comparison --"
printf '%-38s %-26s\n' "fsyncs per sale, $conns connections" "$(per_buy "$fsync_buy")"
printf '%-38s %-26s\n' "fsyncs per sale, 1 connection" "$(per_buy "$fsync_buy1")"
printf '%-38s %-26s\n' "buys/s with 1 connection (-t1 -c1)" \
  "$(field "$b1" buys_per_s) (p50 $(field "$b1" p50_ms) ms, p99 $(field "$b1" p99_ms) ms)"
printf '%-38s %-26s\n' "  201 / non-201" "$buy1_ok / $buy1_non"
printf '%-38s %-26s\n' "raw SQLite buy tx/s, 1 conn, FULL" "$raw_buy_full"
printf '%-38s %-26s\n' "raw SQLite buy tx/s, 1 conn, NORMAL" "$raw_buy_normal"
printf '%-38s %-26s\n' "raw SQLite 1-row tx/s, FULL / NORMAL" "$raw_row_full / $raw_row_normal"
printf '%-38s %-26s\n' "orders in DB / 201s received" "$orders / $((buy_ok + buy1_ok))"
echo "-- CPU seconds during each run (2 cores x duration available) --"
printf '%-38s %-26s\n' "GET run: vend-edge / wrk / other" \
  "$get_srv / $get_wrk / $get_other ($(calc "%.1f" "$get_srv * 1e6 / $get_req") us vend-edge CPU per req)"
printf '%-38s %-26s\n' "buy run: vend-edge / wrk / other" \
  "$buy_srv / $buy_wrk / $buy_other ($(calc "%.1f" "$buy_srv * 1e6 / ($buy_ok + $buy_non)") us per buy)"
printf '%-38s %-26s\n' "1-conn buy run: vend-edge / other" \
  "$buy1_srv / $buy1_other ($(calc "%.1f" "$buy1_srv * 1e6 / ($buy1_ok + $buy1_non)") us per buy)"
printf '%-38s %-26s\n' "load average before / after" "$load_before / $(cut -d' ' -f1-3 /proc/loadavg)"
cores=$(nproc)
for run in "GET:$get_other:$(field "$g" duration_s)" "buy:$buy_other:$(field "$b" duration_s)" \
  "1-conn buy:$buy1_other:$(field "$b1" duration_s)"; do
  IFS=: read -r label other secs <<<"$run"
  share=$(calc "%.0f" "100 * $other / ($cores * $secs)")
  if ((share >= 5)); then
    echo "WARNING: other processes used $share% of the machine during the $label run: its numbers are skewed"
  fi
done
printf '%-38s %-26s\n' "vend-edge exit status, log lines" "$server_rc, $log_lines (warn and above)"
if ((log_lines > 0)); then
  echo "-- vend-edge log (first 20 lines) --"
  head -n 20 "$tmp/vend-edge.log"
fi
