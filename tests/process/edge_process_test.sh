#!/usr/bin/env bash
# vend-edge as a process: --help, bad flags, graceful SIGTERM, data surviving a restart,
# the catalog file seeding only once, and refusing another machine's database or a
# taken port. Prints "N passed, N failed".
#
# usage: edge_process_test.sh VEND_EDGE_BINARY
set -uo pipefail
edge=$1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/edge-process.XXXXXX")
pid=""
passed=0
failed=0

cleanup() {
  [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

check() {  # description, then a command that must succeed
  local what=$1
  shift
  if "$@"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAILED: $what" >&2
  fi
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Starts vend-edge in the background and waits (bounded) for /healthz.
start() {  # machine-id port [extra args]
  local machine=$1 port=$2
  shift 2
  "$edge" --machine-id "$machine" --db "$tmp/edge.db" --listen "127.0.0.1:$port" "$@" \
    >>"$tmp/edge.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 200); do
    curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}

stop() {  # sends SIGTERM and returns the exit status
  kill -TERM "$pid"
  wait "$pid"
  local rc=$?
  pid=""
  return $rc
}

json_field() {  # url python-expression-on-j
  curl -fsS "$1" | python3 -c "import json,sys; j=json.load(sys.stdin); print($2)"
}

cat >"$tmp/catalog.json" <<'JSON'
{"products":[{"id":1,"name":"Cola","price":150,"count":10,"image":"cola.svg","is_refundable":true},
             {"id":2,"name":"Water","price":100,"count":3,"image":"water.svg","is_refundable":false}]}
JSON
cat >"$tmp/catalog2.json" <<'JSON'
{"products":[{"id":1,"name":"Cola Zero","price":999,"count":50,"image":"cola.svg","is_refundable":true},
             {"id":3,"name":"Gum","price":50,"count":5}]}
JSON
echo '{"products":[{"id":1,"name":"Cola","price":-5,"count":1}]}' >"$tmp/bad-catalog.json"

check "--help lists the required flags" bash -c "'$edge' --help | grep -q -- '--machine-id'"
check "--version prints a version" bash -c "'$edge' --version | grep -Eq '^[0-9]+\.[0-9]+\.[0-9]+'"
check "missing --db is refused" bash -c "! '$edge' --machine-id m >/dev/null 2>&1"
check "a bad machine id is refused" bash -c "! '$edge' --machine-id 'a/b' --db '$tmp/x.db' >/dev/null 2>&1"
check "a bad listen address is refused" \
  bash -c "! '$edge' --machine-id m --db '$tmp/y.db' --listen nonsense >/dev/null 2>&1"
check "an invalid catalog is refused" \
  bash -c "! '$edge' --machine-id m --db '$tmp/z.db' --catalog '$tmp/bad-catalog.json' >/dev/null 2>&1"

port=$(free_port)
check "starts with a catalog" start m-1 "$port" --catalog "$tmp/catalog.json"
base="http://127.0.0.1:$port/api/v1"
curl -fsS -o /dev/null -XPOST "$base/users" -H 'content-type: application/json' -d '{"user_name":"p"}'
curl -fsS -o /dev/null -XPOST "$base/users/1/add_balance" -d 'user_name=p&amount=500'
curl -fsS -o /dev/null -XPOST "$base/products/1/buy" -H 'content-type: application/json' \
  -d '{"user_name":"p","product_id":1}'
check "a second instance on the taken port fails" \
  bash -c "! '$edge' --machine-id m-1 --db '$tmp/other.db' --listen 127.0.0.1:$port >/dev/null 2>&1"
# A 128 MiB body, announced or chunked, is answered 413 without being held in memory
# whole (what is in flight between socket and reader stays well below the body).
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$pid/status"; }
hwm_kb() { awk '/^VmHWM/ {print $2}' "/proc/$pid/status"; }
big_post() {  # extra curl args
  head -c $((128 << 20)) /dev/zero | curl -s -o /dev/null -w '%{http_code}' -XPOST \
    -H 'content-type: application/json' "$@" --data-binary @- "$base/users"
}
rss_before=$(rss_kb)
check "an oversized body gets 413" test "$(big_post)" = 413
check "an oversized chunked body gets 413" test "$(big_post -H 'Transfer-Encoding: chunked')" = 413
check "oversized bodies are not buffered (peak RSS grew by $(($(hwm_kb) - rss_before)) kB)" \
  test $(($(hwm_kb) - rss_before)) -lt $((48 << 10))
check "SIGTERM stops it with status 0" stop

check "restarts on the same database with a different catalog" \
  start m-1 "$port" --catalog "$tmp/catalog2.json"
check "the sale survived the restart" \
  test "$(json_field "$base/users/1?user_name=p" "j['balance']")" = 350
check "existing products are not changed by the catalog" \
  test "$(json_field "$base/products/1" "j['name'], j['price'], j['count']")" = "Cola 150 9"
check "new catalog products are added" \
  test "$(json_field "$base/products/3" "j['name'], j['count']")" = "Gum 5"
check "healthz reports the outbox" \
  test "$(json_field "http://127.0.0.1:$port/healthz" "j['outbox']['depth'] == j['outbox']['last_seq'] > 0")" = True
stop

check "another machine's database is refused" \
  bash -c "! '$edge' --machine-id m-2 --db '$tmp/edge.db' --listen 127.0.0.1:$(free_port) >'$tmp/wrong.log' 2>&1 && grep -q wrong_machine '$tmp/wrong.log'"

echo "edge process: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
