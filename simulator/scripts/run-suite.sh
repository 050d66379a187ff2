#!/usr/bin/env bash
# Runs simulator scenarios end to end: a fresh mosquitto and a fresh rentguardd (on event
# time) per scenario, `rentguard-sim capture` of the registry topics, `rentguard-sim run
# --fast`, then `rentguard-sim score`. Prints one report per scenario and a summary line;
# exits 1 if any score failed its thresholds.
#
#   simulator/scripts/run-suite.sh                       # every scenario, no thresholds
#   simulator/scripts/run-suite.sh flaming_fire cooking_nuisance -- --min-recall 1 --max-violations 0
#
# Environment: BIN (default .build/debug), OUT (default $TMPDIR/rentguard-sim-suite), PORT (default 18931),
# SETTLE (seconds to wait after the last message, default 5), FORMAT (v1 by default; zigbee2mqtt, tasmota or
# shelly: the devices publish in that format and the daemon gets `rentguard-sim building --format`'s configuration).
set -u
cd "$(dirname "$0")/../.."
BIN=${BIN:-.build/debug}
OUT=${OUT:-${TMPDIR:-/tmp}/rentguard-sim-suite}
PORT=${PORT:-18931}
SETTLE=${SETTLE:-5}
FORMAT=${FORMAT:-v1}
SCEN_DIR=simulator/scenarios

names=()
score_args=()
while [ $# -gt 0 ]; do
  if [ "$1" = "--" ]; then shift; score_args=("$@"); break; fi
  names+=("$1"); shift
done
if [ ${#names[@]} -eq 0 ]; then
  for f in "$SCEN_DIR"/*.yaml; do names+=("$(basename "$f" .yaml)"); done
fi
for b in rentguard-sim rentguardd; do
  [ -x "$BIN/$b" ] || { echo "missing $BIN/$b: swift build --product $b" >&2; exit 2; }
done
command -v mosquitto >/dev/null || { echo "mosquitto is not installed" >&2; exit 2; }
mkdir -p "$OUT"
failed=0
for name in "${names[@]}"; do
  scen="$SCEN_DIR/$name.yaml"
  [ -f "$scen" ] || { echo "no scenario $scen" >&2; failed=1; continue; }
  building_file=$(sed -n 's/^building: *\([^ #]*\).*/\1/p' "$scen" | head -1)
  building_id=$(sed -n '/^gateway:/,/^[a-z]/s/^  building: *\([A-Za-z0-9_.-]*\).*/\1/p' "$SCEN_DIR/$building_file" | head -1)
  dir="$OUT/$name"; rm -rf "$dir"; mkdir -p "$dir/state"
  config="$SCEN_DIR/$building_file"
  if [ "$FORMAT" != v1 ]; then
    config="$dir/building-$FORMAT.yaml"
    "$BIN/rentguard-sim" building "$scen" --format "$FORMAT" --out "$config" || { echo "$name: building --format $FORMAT failed" >&2; failed=1; continue; }
  fi
  mosquitto -p "$PORT" >"$dir/mosquitto.log" 2>&1 & mpid=$!
  sleep 0.5
  "$BIN/rentguardd" --config "$config" --broker "mqtt://127.0.0.1:$PORT" \
    --registry-broker "mqtt://127.0.0.1:$PORT" --state-dir "$dir/state" --event-clock >"$dir/daemon.log" 2>&1 & dpid=$!
  "$BIN/rentguard-sim" capture --broker "mqtt://127.0.0.1:$PORT" --building "$building_id" --out "$dir/captured.jsonl" \
    >"$dir/capture.log" 2>&1 & cpid=$!
  sleep 1.5
  "$BIN/rentguard-sim" run "$scen" --format "$FORMAT" --broker "mqtt://127.0.0.1:$PORT" --fast --truth "$dir/truth.json" >"$dir/run.log" 2>&1 \
    || { echo "$name: run failed (see $dir/run.log)" >&2; failed=1; }
  sleep "$SETTLE"
  kill -TERM "$dpid" 2>/dev/null; wait "$dpid" 2>/dev/null
  sleep 0.5
  kill -TERM "$cpid" 2>/dev/null; wait "$cpid" 2>/dev/null
  kill -TERM "$mpid" 2>/dev/null; wait "$mpid" 2>/dev/null
  "$BIN/rentguard-sim" score --truth "$dir/truth.json" --captured "$dir/captured.jsonl" "${score_args[@]}" | tee "$dir/score.txt"
  [ "${PIPESTATUS[0]}" -eq 0 ] || failed=1
  "$BIN/rentguard-sim" score --truth "$dir/truth.json" --captured "$dir/captured.jsonl" --json >"$dir/score.json" 2>/dev/null
done
exit $failed
