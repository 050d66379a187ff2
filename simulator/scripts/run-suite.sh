#!/usr/bin/env bash
# Runs simulator scenarios end to end: a fresh mosquitto (configured from configs/mosquitto.conf,
# as docs/operations.md says) and a fresh rentguardd (on event time) per scenario,
# `rentguard-sim capture` of the registry topics, `rentguard-sim run --fast`, then
# `rentguard-sim score`. Prints one report per scenario and a summary line.
#
#   simulator/scripts/run-suite.sh                       # every scenario, no thresholds
#   simulator/scripts/run-suite.sh flaming_fire cooking_nuisance -- --min-recall 1 --max-violations 0
#   simulator/scripts/run-suite.sh --ci                  # the CI scenarios, each with its thresholds
#
# A scenario fails when its score misses a threshold, when the daemon has not handled every
# message the simulator sent within CATCHUP seconds (a hang or a drop), when a step does not
# end within its time limit, or when a process it started does not exit. Exit status 1 if any
# scenario failed, 2 for bad usage. Nothing it starts outlives it.
#
# --ci runs the scenarios of simulator/scripts/ci-scenarios (one per line: the name, then its
# score thresholds; false alarms per device-day among them), under a minute on a debug build.
#
# Environment: BIN (default .build/debug), OUT (default $TMPDIR/rentguard-sim-suite), PORT (the broker's; the
# daemon's HTTP endpoint takes PORT+1; default the first free pair from 18931),
# CATCHUP (seconds the daemon gets to handle everything after the last message, default 120),
# STEP_TIMEOUT (seconds for one scenario's publishing, default 300), FORMAT (v1 by default;
# zigbee2mqtt, tasmota or shelly: the devices publish in that format and the daemon gets
# `rentguard-sim building --format`'s configuration), BROKER_EXTRA (mosquitto.conf lines added after
# configs/mosquitto.conf, e.g. BROKER_EXTRA='max_queued_messages 1000' to see what a default broker drops).
set -u
cd "$(dirname "$0")/../.."
BIN=${BIN:-.build/debug}
OUT=${OUT:-${TMPDIR:-/tmp}/rentguard-sim-suite}
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
if [ -z "${PORT:-}" ]; then
  # The first free pair from 18931 (the broker's port and the daemon's HTTP port after it).
  PORT=18931
  while port_busy "$PORT" || port_busy $((PORT + 1)); do PORT=$((PORT + 2)); done
fi
CATCHUP=${CATCHUP:-120}
STEP_TIMEOUT=${STEP_TIMEOUT:-300}
FORMAT=${FORMAT:-v1}
SCEN_DIR=simulator/scenarios
CI_LIST=simulator/scripts/ci-scenarios
HTTP_PORT=$((PORT + 1))

names=()
score_args=()
declare -A per_scenario=()
if [ "${1:-}" = "--ci" ]; then
  shift
  [ $# -eq 0 ] || { echo "--ci takes no other arguments" >&2; exit 2; }
  while read -r name rest; do
    case "$name" in ''|'#'*) continue ;; esac
    names+=("$name"); per_scenario[$name]="$rest"
  done < "$CI_LIST"
else
  while [ $# -gt 0 ]; do
    if [ "$1" = "--" ]; then shift; score_args=("$@"); break; fi
    names+=("$1"); shift
  done
  if [ ${#names[@]} -eq 0 ]; then
    for f in "$SCEN_DIR"/*.yaml; do names+=("$(basename "$f" .yaml)"); done
  fi
fi
for b in rentguard-sim rentguardd; do
  [ -x "$BIN/$b" ] || { echo "missing $BIN/$b: swift build --product $b" >&2; exit 2; }
done
command -v mosquitto >/dev/null || { echo "mosquitto is not installed" >&2; exit 2; }
command -v curl >/dev/null || { echo "curl is not installed" >&2; exit 2; }
mkdir -p "$OUT"

pids=()
stores=()
cleanup() {
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
  for d in "${stores[@]}"; do case "$d" in /dev/shm/rentguard-suite-broker.*) rm -rf "$d" ;; esac; done
}
trap cleanup EXIT
trap 'echo "run-suite: interrupted" >&2; exit 1' INT TERM

# Waits up to $2 seconds for process $1 to exit; kills it (and says so) if it does not.
# Returns its exit status, or 124 when it had to be killed.
stop_within() {
  local pid=$1 secs=$2 what=$3 i
  for ((i = 0; i < secs * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid"; return $?; }
    sleep 0.1
  done
  echo "$what did not exit within $secs s: killed" >&2
  kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
  return 124
}
# Waits up to $2 seconds until the file $1 contains $3.
wait_for_line() {
  local i
  for ((i = 0; i < $2 * 10; i++)); do grep -q -- "$3" "$1" 2>/dev/null && return 0; sleep 0.1; done
  return 1
}
json_number() { sed -n "s/.*\"$1\"[ ]*:[ ]*\([0-9]*\).*/\1/p" | head -1; }

failed=0
passed=0
for name in "${names[@]}"; do
  scen="$SCEN_DIR/$name.yaml"
  [ -f "$scen" ] || { echo "no scenario $scen" >&2; failed=$((failed + 1)); continue; }
  args=("${score_args[@]}")
  if [ -n "${per_scenario[$name]:-}" ]; then read -r -a args <<< "${per_scenario[$name]}"; fi
  building_file=$(sed -n 's/^building: *\([^ #]*\).*/\1/p' "$scen" | head -1)
  building_id=$(sed -n '/^gateway:/,/^[a-z]/s/^  building: *\([A-Za-z0-9_.-]*\).*/\1/p' "$SCEN_DIR/$building_file" | head -1)
  dir="$OUT/$name"; rm -rf "$dir"; mkdir -p "$dir/state"
  # The broker's store: saved (and fsynced) after every queued message, as configured; in
  # memory when /dev/shm is there, so that a 35,000-message scenario is not bound by the disk.
  if [ -d /dev/shm ] && [ -w /dev/shm ]; then store=$(mktemp -d /dev/shm/rentguard-suite-broker.XXXXXX); else store="$dir/broker"; mkdir -p "$store"; fi
  stores+=("$store")
  config="$SCEN_DIR/$building_file"
  if [ "$FORMAT" != v1 ]; then
    config="$dir/building-$FORMAT.yaml"
    "$BIN/rentguard-sim" building "$scen" --format "$FORMAT" --out "$config" || { echo "$name: building --format $FORMAT failed" >&2; failed=$((failed + 1)); continue; }
  fi
  fail() { echo "$name: FAILED: $*" >&2; ok=0; }
  ok=1
  # The broker as docs/operations.md says: configs/mosquitto.conf, with this run's listener and store.
  { cat configs/mosquitto.conf
    echo "listener $PORT 127.0.0.1"
    echo "allow_anonymous true"
    echo "persistence_location $store/"
    if [ "$(id -u)" -eq 0 ]; then echo "user root"; fi
    printf '%b\n' "${BROKER_EXTRA:-}"
  } > "$dir/mosquitto.conf"
  mosquitto -c "$dir/mosquitto.conf" >"$dir/mosquitto.log" 2>&1 & mpid=$!; pids+=("$mpid")
  for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.05; done
  "$BIN/rentguardd" --config "$config" --broker "mqtt://127.0.0.1:$PORT" --registry-broker "mqtt://127.0.0.1:$PORT" \
    --state-dir "$dir/state" --event-clock --http-listen "127.0.0.1:$HTTP_PORT" >"$dir/daemon.log" 2>&1 & dpid=$!; pids+=("$dpid")
  # --duration: a bound, should the suite itself be stopped before it signals capture.
  "$BIN/rentguard-sim" capture --broker "mqtt://127.0.0.1:$PORT" --building "$building_id" --out "$dir/captured.jsonl" \
    --duration $((STEP_TIMEOUT + CATCHUP + 60)) >"$dir/capture.log" 2>&1 & cpid=$!; pids+=("$cpid")
  wait_for_line "$dir/daemon.log" 60 "MQTT subscriptions acknowledged component=mqtt.building" || fail "the daemon did not subscribe (see $dir/daemon.log)"
  wait_for_line "$dir/capture.log" 30 "capturing" || fail "capture did not subscribe (see $dir/capture.log)"
  if [ $ok -eq 1 ]; then
    timeout -k 5 "$STEP_TIMEOUT" "$BIN/rentguard-sim" run "$scen" --format "$FORMAT" --broker "mqtt://127.0.0.1:$PORT" --fast \
      --truth "$dir/truth.json" >"$dir/run.log" 2>&1 || fail "run failed or took over $STEP_TIMEOUT s (see $dir/run.log)"
  fi
  # Caught up: the daemon has handled (taken in or refused) every message sent, and its outbox is empty.
  sent=$(sed -n 's/.*sent \([0-9]*\) messages covering.*/\1/p' "$dir/run.log" | tail -1)
  if [ $ok -eq 1 ] && [ -n "$sent" ]; then
    handled=-1
    for ((i = 0; i < CATCHUP * 5; i++)); do
      status=$(curl -s -m 2 "http://127.0.0.1:$HTTP_PORT/api/v1/status" 2>/dev/null)
      rec=$(echo "$status" | json_number messages_received); rej=$(echo "$status" | json_number messages_rejected)
      pending=$(echo "$status" | json_number outbox_pending)
      if [ -n "$rec" ] && [ -n "$rej" ]; then handled=$((rec + rej)); fi
      [ "$handled" -ge "$sent" ] && [ "${pending:-1}" -eq 0 ] && break
      sleep 0.2
    done
    [ "$handled" -ge "$sent" ] || fail "the daemon handled $handled of the $sent messages sent within $CATCHUP s (a hang, or the broker dropped messages)"
    [ "${pending:-1}" -eq 0 ] || fail "the daemon's outbox still holds ${pending:-?} messages after $CATCHUP s"
    echo "$name: $sent messages sent, $handled handled by the daemon" >"$dir/catchup.txt"
    # What the daemon delivered (PUBACK) reaches capture through the same broker: a moment.
    sleep 1
  fi
  kill -TERM "$dpid" 2>/dev/null; stop_within "$dpid" 30 "$name: rentguardd"; [ $? -ne 124 ] || fail "rentguardd did not stop on SIGTERM"
  kill -TERM "$cpid" 2>/dev/null; stop_within "$cpid" 15 "$name: rentguard-sim capture"; st=$?
  [ $st -eq 0 ] || fail "capture did not exit cleanly on SIGTERM (status $st)"
  kill -TERM "$mpid" 2>/dev/null; stop_within "$mpid" 15 "$name: mosquitto" >/dev/null
  if grep -q "dropped" "$dir/mosquitto.log"; then fail "the broker dropped messages: $(grep -m1 dropped "$dir/mosquitto.log")"; fi
  if [ -f "$dir/truth.json" ]; then
    "$BIN/rentguard-sim" score --truth "$dir/truth.json" --captured "$dir/captured.jsonl" "${args[@]}" | tee "$dir/score.txt"
    [ "${PIPESTATUS[0]}" -eq 0 ] || fail "score thresholds missed: ${args[*]}"
    "$BIN/rentguard-sim" score --truth "$dir/truth.json" --captured "$dir/captured.jsonl" --json >"$dir/score.json" 2>/dev/null
  fi
  if [ $ok -eq 1 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
done
echo "run-suite: $passed passed, $failed failed (results under $OUT)"
[ $failed -eq 0 ]
