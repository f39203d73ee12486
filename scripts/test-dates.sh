#!/usr/bin/env bash
# Run the whole suite with the machine's clock moved (libfaketime), once per instant given:
#   bash scripts/test-dates.sh 2028-02-29 2027-03-14T07:55:00 2026-12-31
# A bare date starts the clock at 23:55 UTC that day, so the run crosses midnight; give a time
# (UTC) to start elsewhere, e.g. 2027-03-14T07:55:00 crosses America/Chicago's change to
# daylight time (08:00 UTC). The tests pin the app's own clock (SAFEGRID_NOW), so this proves
# that nothing else -- library, test or query -- reads the machine's date. Not part of CI.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || set -- 2028-02-29 2027-03-14T07:55:00 2026-12-31
. scripts/system.sh npm postgis chromium fonts faketime
bash scripts/setup.sh --dev
status=0
for when in "$@"; do
  case "$when" in *T*) start="${when/T/ }" ;; *) start="$when 23:55:00" ;; esac
  echo "=== clock moved to $start UTC"
  TZ=UTC faketime -f "@$start" date -u
  TZ=UTC faketime -f "@$start" \
    .venv/bin/python -m pytest -q -p no:cacheprovider -n "${SAFEGRID_TEST_WORKERS:-2}" || status=1
done
exit $status
