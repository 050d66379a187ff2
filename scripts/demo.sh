#!/usr/bin/env bash
# RentGuard end to end on one machine: installs what is missing, builds, starts a private
# mosquitto on a free port, the daemon with configs/demo.yaml, and the simulator playing a
# smoke alarm in flat 101; then prints the alarm messages forwarded to the registry topic
# registry/demo/alarms. Everything it starts is stopped when it ends; files go to demo-run/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

echo "demo: building (first build takes a few minutes)..." >&2
swift build --product rentguardd >&2
swift build --product rentguard-sim >&2
BIN="$(swift build --show-bin-path)"

RUN=demo-run
rm -rf "$RUN" && mkdir -p "$RUN"
port=18830
while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
BROKER="mqtt://127.0.0.1:$port"

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

# The broker as the daemon relies on it (docs/operations.md, "The building broker"):
# configs/mosquitto.conf, with this run's listener and store.
mkdir -p "$RUN/broker"
{ cat configs/mosquitto.conf
  echo "listener $port 127.0.0.1"
  echo "allow_anonymous true"
  echo "persistence_location $PWD/$RUN/broker/"
  # Started as root, mosquitto would drop to the 'mosquitto' user; keep it as the caller.
  if [ "$(id -u)" -eq 0 ]; then echo "user root"; fi
} > "$RUN/mosquitto.conf"
mosquitto -c "$RUN/mosquitto.conf" > "$RUN/mosquitto.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.05; done
echo "demo: mosquitto listening on $BROKER" >&2

mosquitto_sub -h 127.0.0.1 -p "$port" -q 1 -v -t 'registry/demo/alarms' > "$RUN/registry.log" &
pids+=($!)

# --event-clock: the daemon's clock follows the devices' timestamps, so the simulator can
# play ten minutes of traffic in a second with the same detections as in real time.
"$BIN/rentguardd" --config configs/demo.yaml --broker "$BROKER" --registry-broker "$BROKER" \
  --state-dir "$RUN/state" --event-clock > "$RUN/rentguardd.log" 2>&1 &
pids+=($!)
for _ in $(seq 200); do grep -q "MQTT connected.*building" "$RUN/rentguardd.log" && break; sleep 0.05; done
echo "demo: rentguardd running (log: $RUN/rentguardd.log)" >&2

echo "demo: the simulator plays a fire in flat 101's bedroom (SD-101-1), 12 minutes of traffic, as fast as it can" >&2
"$BIN/rentguard-sim" run simulator/scenarios/demo_smoke_alarm.yaml --broker "$BROKER" --fast > "$RUN/simulator.log" 2>&1

for _ in $(seq 200); do grep -q '"type":"smoke"' "$RUN/registry.log" && break; sleep 0.05; done
sleep 1
echo
echo "=== Alarm messages forwarded to the registry (registry/demo/alarms) ==="
if [ -s "$RUN/registry.log" ]; then
  while IFS= read -r line; do
    topic="${line%% *}"; json="${line#* }"
    echo "--- $topic"
    if command -v python3 >/dev/null; then echo "$json" | python3 -m json.tool; else echo "$json"; fi
  done < "$RUN/registry.log"
else
  echo "(none arrived — see $RUN/rentguardd.log)"
  exit 1
fi
