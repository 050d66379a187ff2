#!/usr/bin/env bash
# Runs RentGuard's whole test suite on a fresh Debian 12 machine with Swift 6:
# installs the system packages, builds everything (the daemon and simulator binaries the
# integration tests start), and runs unit and integration tests. Integration tests start
# their own mosquitto brokers on free loopback ports and stop them.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --tests
swift build --build-tests
# One test at a time: the integration tests start brokers and daemons, and some watch
# timing (watchdog pings); running them side by side on a 2-core machine would starve them.
swift test --skip-build --no-parallel "$@"
