#!/usr/bin/env bash
# Runs RentGuard's whole test suite on a fresh Debian 12 machine with Swift 6:
# installs the system packages, builds everything (the daemon and simulator binaries the
# integration tests start), and runs unit and integration tests, then (without arguments)
# the simulator's CI scenarios (simulator/scripts/run-suite.sh --ci). Integration tests start
# their own mosquitto brokers on free loopback ports and stop them.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --tests
swift build --build-tests
# One test at a time: the integration tests start brokers and daemons, and some watch
# timing (watchdog pings); running them side by side on a 2-core machine would starve them.
swift test --skip-build --no-parallel "$@"
# Then, for a whole run, the simulator's CI scenarios end to end (mosquitto configured from
# configs/mosquitto.conf, the daemon, capture, score) with thresholds that include false alarms
# per device-day: a hang, a drop or a false-alarm storm fails. About a minute; the timeout
# makes sure it can never hang CI.
if [ $# -eq 0 ]; then
  BIN="$(swift build --show-bin-path)" timeout -k 10 600 simulator/scripts/run-suite.sh --ci
fi
