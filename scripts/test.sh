#!/usr/bin/env bash
# Install everything the tests need into .venv and run the whole test suite.
# PostGIS tests use $SAFEGRID_TEST_PG (default postgresql://postgres@127.0.0.1:5432/postgres);
# with SAFEGRID_REQUIRE_POSTGIS=1 / SAFEGRID_REQUIRE_BROWSER=1 (as in CI) they fail instead of skipping.
# Two pytest-xdist workers by default (the suite takes ~12 min on one core, ~7 on two);
# SAFEGRID_TEST_WORKERS=0 runs it in one process.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --dev
exec .venv/bin/python -m pytest -q -p no:cacheprovider -n "${SAFEGRID_TEST_WORKERS:-2}" "$@"
