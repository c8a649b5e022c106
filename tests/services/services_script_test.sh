#!/usr/bin/env bash
# scripts/services as its users run it: idempotent start/stop, a restart or a kill keeping
# port, data and credentials, a taken port refused with a clear error, machine
# provisioning (idempotent, --reset-password, bad and reserved ids), status exit codes,
# and PostgreSQL keeping committed data across pg-kill. Prints "N passed, N failed".
#
# usage: services_script_test.sh SCRIPTS_SERVICES
set -uo pipefail
services=$1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/services-script.XXXXXX")
chmod 755 "$tmp"  # the daemons run as mosquitto / postgres and must enter it
dir="$tmp/svc"
passed=0
failed=0

cleanup() {
  "$services" broker-stop "$dir" >/dev/null 2>&1
  "$services" pg-stop "$dir" >/dev/null 2>&1
  [ -n "${squatter:-}" ] && kill "$squatter" 2>/dev/null
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

env_of() { sed -n "s/^$2=//p" "$1"; }
fails() { ! "$@"; }
same() { [ "$1" = "$2" ] || { echo "  '$1' != '$2'" >&2; return 1; }; }
differ() { [ "$1" != "$2" ]; }
mqtt_ok() {  # user password: an authenticated round trip through the broker
  mosquitto_sub -V 5 -h 127.0.0.1 -p "$(env_of "$dir/broker.env" VEND_MQTT_PORT)" \
    -u "$1" -P "$2" -t "vend/v1/m/probe/telemetry" -W 2 -E >/dev/null 2>&1
}

# --- broker
check "broker-start succeeds" "$services" broker-start "$dir"
port=$(env_of "$dir/broker.env" VEND_MQTT_PORT)
cloud_pw=$(env_of "$dir/broker.env" VEND_MQTT_CLOUD_PASSWORD)
pid=$(cat "$dir/mosquitto.pid")
check "broker.env has every variable" bash -c ". '$dir/broker.env' &&
  [ \"\$VEND_MQTT_URL\" = tcp://127.0.0.1:\$VEND_MQTT_PORT ] && [ \"\$VEND_MQTT_HOST\" = 127.0.0.1 ] &&
  [ -n \"\$VEND_MQTT_ADMIN_USER\$VEND_MQTT_ADMIN_PASSWORD\" ] &&
  [ \"\$VEND_MQTT_CLOUD_USER\" = vend-cloud ] && [ \"\$VEND_MQTT_MONITOR_USER\" = vend-monitor ] &&
  [ -n \"\$VEND_MQTT_CLOUD_PASSWORD\" ] && [ -n \"\$VEND_MQTT_MONITOR_PASSWORD\" ]"
check "the monitor can log in" mqtt_ok vend-monitor "$(env_of "$dir/broker.env" VEND_MQTT_MONITOR_PASSWORD)"
check "a second broker-start is a no-op" "$services" broker-start "$dir"
check "... leaving the same process" same "$(cat "$dir/mosquitto.pid")" "$pid"

out=$("$services" broker-add-machine "$dir" vm-1)
check "broker-add-machine prints ID PASSWORD" bash -c "[[ '$out' =~ ^vm-1\ [0-9a-f]{32}$ ]]"
machine_pw=${out#vm-1 }
check "the machine can log in" mqtt_ok vm-1 "$machine_pw"
check "adding it again prints the same password" \
  same "$("$services" broker-add-machine "$dir" vm-1)" "vm-1 $machine_pw"
check "a slash in an id is refused" fails "$services" broker-add-machine "$dir" 'a/b'
check "a 65-character id is refused" \
  fails "$services" broker-add-machine "$dir" "$(printf 'x%.0s' $(seq 65))"
check "a service user is not a machine id" fails "$services" broker-add-machine "$dir" vend-cloud

check "broker-restart succeeds" "$services" broker-restart "$dir"
check "... on the same port" same "$(env_of "$dir/broker.env" VEND_MQTT_PORT)" "$port"
check "... with the same cloud password" \
  same "$(env_of "$dir/broker.env" VEND_MQTT_CLOUD_PASSWORD)" "$cloud_pw"
check "... and the machine still logs in" mqtt_ok vm-1 "$machine_pw"

new=$("$services" broker-add-machine "$dir" vm-1 --reset-password)
check "--reset-password gives a new password" differ "$new" "vm-1 $machine_pw"
check "... the old one stops working" fails mqtt_ok vm-1 "$machine_pw"
check "... the new one works" mqtt_ok vm-1 "${new#vm-1 }"

check "broker-kill succeeds" "$services" broker-kill "$dir"
check "status says stopped (exit 3)" bash -c "'$services' status '$dir' >/dev/null; [ \$? = 3 ]"
check "broker-kill on a dead broker is a no-op" "$services" broker-kill "$dir"
check "broker-stop on a dead broker is a no-op" "$services" broker-stop "$dir"
check "a machine cannot be added while the broker is down" \
  fails "$services" broker-add-machine "$dir" vm-2

# Someone else takes the recorded port: the start fails clearly instead of "succeeding".
python3 -c "
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', $port)); s.listen(); time.sleep(60)" &
squatter=$!
for _ in $(seq 1 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
check "a start on a taken port fails" fails "$services" broker-start "$dir"
check "... leaving no broker behind" bash -c "'$services' status '$dir' | grep -q '^broker: stopped'"
kill "$squatter"
wait "$squatter" 2>/dev/null
squatter=""
check "after a kill the broker starts on its port" "$services" broker-start "$dir"
check "... the port is kept" same "$(env_of "$dir/broker.env" VEND_MQTT_PORT)" "$port"

# --- PostgreSQL
check "pg-start succeeds" "$services" pg-start "$dir"
check "pg.env has every variable" bash -c ". '$dir/pg.env' &&
  [ \"\$VEND_PG_URL\" = postgresql://vend:\$VEND_PG_PASSWORD@127.0.0.1:\$VEND_PG_PORT/vend ] &&
  [ \"\$VEND_PG_HOST\" = 127.0.0.1 ] && [ \"\$VEND_PG_USER\" = vend ] && [ \"\$VEND_PG_DB\" = vend ]"
url=$(env_of "$dir/pg.env" VEND_PG_URL)
check "the vend role may create databases" \
  same "$(psql "$url" -XAtc "SELECT rolcreatedb FROM pg_roles WHERE rolname = current_user")" t
check "a wrong password is refused" \
  fails psql "${url/:$(env_of "$dir/pg.env" VEND_PG_PASSWORD)@/:wrong@}" -XAtc "SELECT 1" 2>/dev/null
check "data can be written" psql "$url" -XAtq -c "CREATE TABLE kept (x int); INSERT INTO kept VALUES (42)"
check "a second pg-start is a no-op" "$services" pg-start "$dir"
check "status says both run (exit 0)" "$services" status "$dir"
check "pg-kill succeeds" "$services" pg-kill "$dir"
check "pg-start after a kill recovers" "$services" pg-start "$dir"
check "... committed data survived" same "$(psql "$url" -XAtc "SELECT x FROM kept")" 42
check "pg-stop succeeds" "$services" pg-stop "$dir"
check "pg-stop again is a no-op" "$services" pg-stop "$dir"
check "pg-start after a stop keeps the port" \
  bash -c "'$services' pg-start '$dir' && [ \"\$(sed -n 's/^VEND_PG_PORT=//p' '$dir/pg.env')\" = '$(env_of "$dir/pg.env" VEND_PG_PORT)' ]"

check "stop on a directory that does not exist is a no-op" "$services" broker-stop "$tmp/none"
check "... and creates nothing" fails test -e "$tmp/none"
check "an unknown subcommand is refused" fails "$services" frobnicate "$dir"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
