# System parts SafeGrid's scripts need, from Debian's packages: the one place they are named.
# Sourced (not run) by scripts/test.sh and scripts/start.sh, so both see the same steps and
# the variables it exports (SAFEGRID_TEST_PG):
#
#   . scripts/system.sh npm                         what the app needs (map assets come from npm)
#   . scripts/system.sh npm postgis chromium fonts  what the whole test suite needs
#   . scripts/system.sh postgis nginx               what scripts/cluster.sh needs (the proxy)
#
# As root, or with passwordless sudo, it installs what is missing (one apt-get run), starts
# PostgreSQL if it is not running and finds a way in as the postgres superuser. Otherwise it
# installs nothing and prints, in one block at the start, what is missing and which tests
# will skip because of it. SAFEGRID_NO_INSTALL=1 forces the second behaviour.

_sg_want=("$@")
_sg_sudo=""
_sg_can=0
if [ "${SAFEGRID_NO_INSTALL:-0}" != 1 ]; then
  if [ "$(id -u)" = 0 ]; then _sg_can=1
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then _sg_can=1; _sg_sudo="sudo -n"
  fi
fi

_sg_pg_version() { ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1; }
_sg_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

# What is missing, as Debian package names (postgis needs the server's version, so it is
# worked out again after the server is installed).
_sg_missing() {
  local part v
  for part in "${_sg_want[@]}"; do
    case "$part" in
      npm) command -v npm >/dev/null 2>&1 || echo npm ;;
      chromium) [ -x "${SAFEGRID_CHROMIUM:-/usr/bin/chromium}" ] || echo chromium ;;
      fonts) _sg_installed fonts-noto-cjk || echo fonts-noto-cjk ;;
      faketime) command -v faketime >/dev/null 2>&1 || echo faketime ;;
      nginx) [ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1 || echo nginx ;;
      postgis)
        v=$(_sg_pg_version)
        if [ -z "$v" ]; then echo postgresql  # its PostGIS package is found on the second round
        else _sg_installed "postgresql-$v-postgis-3" || echo "postgresql-$v-postgis-3"
        fi ;;
    esac
  done
}

_sg_skips() {  # what a missing package costs, in words
  case "$1" in
    npm) echo "npm: the map assets (Leaflet) cannot be fetched; set-up stops" ;;
    chromium) echo "chromium: browser tests (tests/browser, the page benchmark smoke run) skip" ;;
    fonts-noto-cjk) echo "fonts-noto-cjk: PDF tests with Chinese text skip" ;;
    faketime) echo "faketime: the suite cannot be run with the machine's clock moved" ;;
    nginx) echo "nginx: scripts/cluster.sh cannot start its proxy; the cluster tests (tests/cluster) skip" ;;
    postgresql|postgresql-*-postgis-3) echo "$1: every PostGIS test (the store suite's second backend) skips" ;;
  esac
}

mapfile -t _sg_need < <(_sg_missing)
if [ ${#_sg_need[@]} -gt 0 ]; then
  if [ "$_sg_can" = 1 ]; then
    echo "system: installing from Debian's packages: ${_sg_need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    $_sg_sudo apt-get update -q >/dev/null
    $_sg_sudo apt-get install -y -q --no-install-recommends "${_sg_need[@]}" >/dev/null
    mapfile -t _sg_need < <(_sg_missing)  # the postgis package of the server just installed
    if [ ${#_sg_need[@]} -gt 0 ]; then
      $_sg_sudo apt-get install -y -q --no-install-recommends "${_sg_need[@]}" >/dev/null
      mapfile -t _sg_need < <(_sg_missing)
    fi
  fi
  if [ ${#_sg_need[@]} -gt 0 ]; then
    echo "================================================================================"
    echo "system: missing and not installed (needs root or passwordless sudo):"
    for _sg_p in "${_sg_need[@]}"; do echo "  - $(_sg_skips "$_sg_p")"; done
    echo "install them with: sudo apt-get install ${_sg_need[*]}"
    echo "================================================================================"
  fi
fi

# PostgreSQL: started if installed and not running; reached as the postgres superuser over
# TCP (trust auth if the machine has it, else a password set for local test runs).
if printf '%s\n' "${_sg_want[@]}" | grep -qx postgis && [ -n "$(_sg_pg_version)" ]; then
  _sg_v=$(_sg_pg_version)
  if ! pg_lsclusters -h 2>/dev/null | awk '{print $4}' | grep -q online; then
    if [ "$_sg_can" = 1 ]; then
      echo "system: starting PostgreSQL $_sg_v"
      $_sg_sudo pg_ctlcluster --skip-systemctl-redirect "$_sg_v" main start || true
    else
      echo "system: PostgreSQL $_sg_v is not running and cannot be started here: PostGIS tests skip"
    fi
  fi
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 && break; sleep 1; done
  export SAFEGRID_TEST_PG=${SAFEGRID_TEST_PG:-postgresql://postgres@127.0.0.1:5432/postgres}
  if ! psql "$SAFEGRID_TEST_PG" -qAtc "select 1" >/dev/null 2>&1 && [ "$_sg_can" = 1 ]; then
    _sg_sql="ALTER USER postgres PASSWORD 'safegrid-test'"
    if [ -n "$_sg_sudo" ]; then $_sg_sudo -u postgres psql -qc "$_sg_sql" >/dev/null 2>&1
    else su postgres -c "psql -qc \"$_sg_sql\"" >/dev/null 2>&1
    fi && export SAFEGRID_TEST_PG=postgresql://postgres:safegrid-test@127.0.0.1:5432/postgres
  fi
fi
unset _sg_want _sg_sudo _sg_can _sg_need _sg_p _sg_v _sg_sql
