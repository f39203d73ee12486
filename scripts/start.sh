#!/usr/bin/env bash
# Install, build the demo database (once) and start the app on http://127.0.0.1:8501
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/system.sh npm
bash scripts/setup.sh
.venv/bin/python -m geo demo --keep-existing
exec .venv/bin/python -m streamlit run app.py --server.address 127.0.0.1 --server.port 8501 "$@"
