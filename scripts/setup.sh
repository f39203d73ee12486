#!/usr/bin/env bash
# Install SafeGrid into .venv (runtime, or with --dev the test tools too) and fetch the
# map assets (Leaflet) from the npm registry into static/vendor. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
REQ=requirements.txt
[ "${1:-}" = "--dev" ] && REQ=requirements-dev.txt
stamp=".venv/.installed-$(sha256sum requirements.txt requirements-dev.txt | sha256sum | cut -c1-12)-$(basename $REQ)"
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install -q --disable-pip-version-check -r "$REQ"
  touch "$stamp"
fi
if command -v npm >/dev/null 2>&1; then
  .venv/bin/python -m geo.maps.assets install
elif [ "${1:-}" = "--dev" ]; then
  echo "setup: no npm, so no map assets: browser tests skip (scripts/system.sh says how to install it)"
else
  echo "setup: npm is needed to fetch the map assets (Leaflet) once: apt-get install npm" >&2
  exit 1
fi
