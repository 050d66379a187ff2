#!/usr/bin/env bash
# Installs the system packages RentGuard builds and tests with, if any is missing:
# libmosquitto (client library and headers), the mosquitto broker and clients, SQLite, and
# tzdata (the zone files under /usr/share/zoneinfo that `gateway.timezone` is read from),
# and for the status page's browser tests headless Chromium with its WebDriver and Python's
# venv (selenium itself comes from PyPI: scripts/browser-venv.sh, run by the test).
set -euo pipefail
# `--tests` adds what only the test suite needs (the browser tests' Chromium).
packages=(libmosquitto-dev mosquitto mosquitto-clients libsqlite3-dev sqlite3 libssl-dev pkg-config tzdata curl)
if [ "${1:-}" = "--tests" ]; then packages+=(chromium chromium-driver python3-venv); fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all system packages present (${packages[*]})" >&2
  exit 0
fi
echo "install-deps: installing ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The Debian package enables a system broker on port 1883 where systemd runs; RentGuard's
# demo and tests start their own brokers on free ports and do not need it.
echo "install-deps: done" >&2
