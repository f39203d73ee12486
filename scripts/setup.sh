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
.venv/bin/python -m geo.maps.assets install
