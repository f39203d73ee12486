#!/usr/bin/env bash
# Install everything the tests need and run the whole test suite.
# System parts (PostgreSQL + PostGIS, Chromium, CJK fonts, npm) come from Debian's packages
# through scripts/system.sh: installed when this runs as root or with passwordless sudo, else
# listed at the start with what will skip. Python packages go into .venv (scripts/setup.sh).
# PostGIS tests use $SAFEGRID_TEST_PG (default postgresql://postgres@127.0.0.1:5432/postgres).
# SAFEGRID_REQUIRE_POSTGIS=1 / _BROWSER=1 / _FONTS=1 / _CLUSTER=1 (as in CI) turn those skips into failures.
# Two pytest-xdist workers by default; SAFEGRID_TEST_WORKERS=0 runs it in one process.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/system.sh npm postgis chromium fonts nginx
bash scripts/setup.sh --dev
pytest=(.venv/bin/python -m pytest -q -p no:cacheprovider -n "${SAFEGRID_TEST_WORKERS:-2}")
if [ "$#" -gt 0 ]; then exec "${pytest[@]}" "$@"; fi
# The whole suite in two rounds: the browser tests click on live maps and time out when they share
# the two cores with the heavy analysis and scope-walk tests, so they run on their own, after. Last,
# in one process, the cluster (tests/cluster): its tests run in order on one scripts/cluster.sh.
"${pytest[@]}" -m "not browser and not cluster"
"${pytest[@]}" -m browser
exec .venv/bin/python -m pytest -q -p no:cacheprovider -n 0 -m cluster
