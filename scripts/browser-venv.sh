#!/usr/bin/env bash
# Prints the path of a Python with selenium for the status page's browser tests, making
# it first if needed: a venv (default .build/browser-venv, or $RENTGUARD_BROWSER_VENV) with
# selenium from PyPI. Chromium and chromedriver are Debian packages (scripts/install-deps.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${RENTGUARD_BROWSER_VENV:-$PWD/.build/browser-venv}"
if ! "$venv/bin/python" -c 'import selenium' 2>/dev/null; then
  echo "browser-venv: installing selenium into $venv" >&2
  /usr/bin/python3 -m venv "$venv" >&2
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check 'selenium>=4.15,<5' >&2
fi
echo "$venv/bin/python"
