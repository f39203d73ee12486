#!/usr/bin/env bash
# SafeGrid on several servers, all on this machine (README, "Several app servers"):
#   a PostgreSQL primary and a streaming hot standby of it (pg_basebackup, Debian's server binaries),
#   two Streamlit servers (writes and sign-in on the primary, page reads on the standby) and nginx in
#   front of them with sticky sessions.
# Usage: bash scripts/cluster.sh up|down|status
#   up      starts what is not running yet (the first time: makes both databases, the two roles and
#           the demo city), waits until every part answers, prints the addresses
#   down    stops everything it started; the data stays in the cluster directory for the next `up`
#   status  what runs, and how far the standby is behind the primary
# Settings (environment):
#   SAFEGRID_CLUSTER_DIR           state: data, logs, pids, nginx.conf, cluster.env (default .cluster/)
#   SAFEGRID_CLUSTER_PROXY_PORT    nginx (8600)           SAFEGRID_CLUSTER_APP_PORTS  "8601 8602"
#   SAFEGRID_CLUSTER_PRIMARY_PORT  PostgreSQL primary (5433)
#   SAFEGRID_CLUSTER_STANDBY_PORT  the hot standby (5434)
#   SAFEGRID_CLUSTER_DEMO_SCALE    size of the demo city built the first time (1 = full size)
# It never touches the machine's own PostgreSQL (5432). As root the database servers run as the
# `postgres` OS user (PostgreSQL refuses root). cluster.env (mode 600) holds the URLs and passwords.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
DIR=${SAFEGRID_CLUSTER_DIR:-$ROOT/.cluster}
PROXY_PORT=${SAFEGRID_CLUSTER_PROXY_PORT:-8600}
read -r -a APP_PORTS <<<"${SAFEGRID_CLUSTER_APP_PORTS:-8601 8602}"
PRIMARY_PORT=${SAFEGRID_CLUSTER_PRIMARY_PORT:-5433}
STANDBY_PORT=${SAFEGRID_CLUSTER_STANDBY_PORT:-5434}
DEMO_SCALE=${SAFEGRID_CLUSTER_DEMO_SCALE:-1}
DB=safegrid
SLOT=safegrid_standby
PY=$ROOT/.venv/bin/python
NGINX=${SAFEGRID_NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
PG_VERSION=$(ls /usr/lib/postgresql 2>/dev/null | sort -V | tail -n 1)
PGBIN=/usr/lib/postgresql/$PG_VERSION/bin
PGDIR=$DIR/pg  # data directories and server logs, owned by the database servers' OS user

say() { echo "cluster: $*"; }
die() { echo "cluster: $*" >&2; exit 1; }
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
running() { [ -e "/proc/$1" ] && ! grep -q ') Z ' "/proc/$1/stat" 2>/dev/null; }  # a zombie has ended
alive() { [ -f "$1" ] && running "$(cat "$1")"; }
healthy() { curl -fs -m 5 -o /dev/null "http://127.0.0.1:$1/_stcore/health"; }
secret() { tr -dc 'A-Za-z0-9' </dev/urandom | head -c 32 || true; }

wait_for() {  # wait_for SECONDS WHAT COMMAND...: until COMMAND succeeds
  local limit=$1 what=$2 i
  shift 2
  for ((i = 0; i < limit * 2; i++)); do "$@" && return 0; sleep 0.5; done
  die "$what did not come up within ${limit} s (logs in $DIR)"
}

pg_up() { as_pg "$PGBIN/pg_ctl" -D "$PGDIR/$1" status >/dev/null 2>&1; }
sql() {  # sql PORT DATABASE QUERY: one value, as the superuser
  PGPASSWORD=$SU_PASSWORD psql -h 127.0.0.1 -p "$1" -U postgres -d "$2" -qAtX -v ON_ERROR_STOP=1 -c "$3"
}

load_env() { if [ -f "$DIR/cluster.env" ]; then set -a; . "$DIR/cluster.env"; set +a; fi; }

write_env() {  # the passwords (made once) and the URLs operators and the tests use
  local su owner app repl cookie
  su=${SU_PASSWORD:-$(secret)} owner=${SAFEGRID_OWNER_PASSWORD:-$(secret)} cookie=$(secret)
  app=${SAFEGRID_APP_PASSWORD:-$(secret)} repl=${REPLICATION_PASSWORD:-$(secret)}
  umask 077
  cat >"$DIR/cluster.env" <<EOF
# written by scripts/cluster.sh; sourced by it and by tests/cluster
SU_PASSWORD=$su
SAFEGRID_OWNER_PASSWORD=$owner
SAFEGRID_APP_PASSWORD=$app
REPLICATION_PASSWORD=$repl
COOKIE_SECRET=$cookie
CLUSTER_ADMIN_URL=postgresql://postgres:$su@127.0.0.1:$PRIMARY_PORT/postgres
CLUSTER_STANDBY_ADMIN_URL=postgresql://postgres:$su@127.0.0.1:$STANDBY_PORT/postgres
CLUSTER_OWNER_URL=postgresql://safegrid_owner:$owner@127.0.0.1:$PRIMARY_PORT/$DB
CLUSTER_PRIMARY_URL=postgresql://safegrid_app:$app@127.0.0.1:$PRIMARY_PORT/$DB
CLUSTER_STANDBY_URL=postgresql://safegrid_app:$app@127.0.0.1:$STANDBY_PORT/$DB
CLUSTER_PROXY=http://127.0.0.1:$PROXY_PORT
CLUSTER_APPS="${APP_PORTS[*]}"
EOF
  umask 022
}

make_primary() {
  say "PostgreSQL $PG_VERSION primary: a new database cluster in $PGDIR/primary"
  local pw=$PGDIR/.su-password
  (umask 077; printf '%s\n' "$SU_PASSWORD" >"$pw")
  [ "$(id -u)" = 0 ] && chown postgres: "$pw"
  as_pg "$PGBIN/initdb" -D "$PGDIR/primary" -U postgres --pwfile="$pw" -A scram-sha-256 -E UTF8 \
    --locale=C.UTF-8 >"$PGDIR/initdb.log"
  rm -f "$pw"
  as_pg tee -a "$PGDIR/primary/postgresql.conf" >/dev/null <<EOF
# scripts/cluster.sh
port = $PRIMARY_PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
wal_level = replica
max_wal_senders = 5
max_replication_slots = 5
EOF
}

make_standby() {
  say "hot standby: pg_basebackup of the primary into $PGDIR/standby (slot $SLOT)"
  sql "$PRIMARY_PORT" postgres "SELECT format('CREATE ROLE safegrid_replication LOGIN REPLICATION PASSWORD %L', \
    '$REPLICATION_PASSWORD') WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'safegrid_replication')" \
    | PGPASSWORD=$SU_PASSWORD psql -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -d postgres -qX -v ON_ERROR_STOP=1 >/dev/null
  PGPASSWORD=$REPLICATION_PASSWORD as_pg "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "$PRIMARY_PORT" \
    -U safegrid_replication -D "$PGDIR/standby" -R -C -S "$SLOT" -X stream -c fast
  as_pg tee -a "$PGDIR/standby/postgresql.conf" >/dev/null <<EOF
# scripts/cluster.sh: the standby
port = $STANDBY_PORT
hot_standby = on
hot_standby_feedback = on
EOF
}

start_pg() {  # start_pg NAME PORT
  if pg_up "$1"; then say "$1 already running"; return; fi
  listening "$2" && die "port $2 is taken by something else: set SAFEGRID_CLUSTER_${1^^}_PORT"
  as_pg "$PGBIN/pg_ctl" -D "$PGDIR/$1" -l "$PGDIR/$1.log" -w -t 120 start >/dev/null
  say "$1 on port $2"
}

build_database() {
  say "roles, database $DB with PostGIS, demo city (scale $DEMO_SCALE) on the primary"
  SAFEGRID_TEST_PG=$CLUSTER_ADMIN_URL bash scripts/pg-roles.sh "$CLUSTER_ADMIN_URL"
  sql "$PRIMARY_PORT" postgres "CREATE DATABASE $DB OWNER safegrid_owner"
  sql "$PRIMARY_PORT" "$DB" "CREATE EXTENSION IF NOT EXISTS postgis"
  "$PY" -m geo init --db "$CLUSTER_OWNER_URL" --app-role safegrid_app
  "$PY" -m geo demo --db "$CLUSTER_OWNER_URL" --scale "$DEMO_SCALE" --quiet
  "$PY" -m geo init --db "$CLUSTER_OWNER_URL" --app-role safegrid_app  # grants on whatever the demo made
}

replayed() {  # whether the standby has replayed everything the primary had written at $1
  [ "$(sql "$STANDBY_PORT" postgres "SELECT pg_last_wal_replay_lsn() >= '$1'::pg_lsn")" = t ]
}

start_app() {  # start_app N PORT
  local pid=$DIR/app$1.pid
  if alive "$pid"; then say "app server $1 already running"; return; fi
  listening "$2" && die "port $2 is taken by something else: set SAFEGRID_CLUSTER_APP_PORTS"
  # Same cookie secret on both servers, so that a signed cookie (the identity of a single sign-on)
  # one server set is good on the other.
  DATABASE_URL=$CLUSTER_PRIMARY_URL DATABASE_READ_URL=$CLUSTER_STANDBY_URL \
    STREAMLIT_SERVER_COOKIE_SECRET=$COOKIE_SECRET PYTHONUNBUFFERED=1 \
    setsid "$PY" -m streamlit run app.py --server.address 127.0.0.1 --server.port "$2" \
    --server.headless true --server.fileWatcherType none >>"$DIR/app$1.log" 2>&1 </dev/null &
  echo $! >"$pid"
  say "app server $1 on port $2 (pid $!, log $DIR/app$1.log)"
}

warm() {  # warm PORT: one script run of app.py, through Streamlit's own WebSocket protocol
  # Until some session of a server has run app.py's st.navigation, Streamlit treats the app as an
  # old-style one with a pages/ folder: a browser that fails over to such a fresh server and asks for
  # a page would run that page's script alone, without the router (it shows "sign in first" and an
  # automatic list of page files). One run of app.py switches that off for the server's lifetime.
  "$PY" - "$1" <<'PY'
import sys
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.sync.client import connect

with connect(f"ws://127.0.0.1:{sys.argv[1]}/_stcore/stream", subprotocols=["streamlit"], open_timeout=30) as ws:
    run = BackMsg()
    run.rerun_script.query_string = ""
    ws.send(run.SerializeToString())
    while True:
        msg = ForwardMsg()
        msg.ParseFromString(ws.recv(timeout=120))
        if msg.WhichOneof("type") == "script_finished":
            break
PY
}

write_nginx_conf() {
  local n=$DIR/nginx servers="" port user=""
  mkdir -p "$n/tmp"
  for port in "${APP_PORTS[@]}"; do
    servers+="    server 127.0.0.1:$port max_fails=1 fail_timeout=10s;"$'\n'
  done
  [ "$(id -u)" = 0 ] && user="user nobody nogroup;"
  cat >"$n/nginx.conf" <<EOF
# written by scripts/cluster.sh
$user
worker_processes 1;
pid $n/nginx.pid;
error_log $n/error.log notice;
events { worker_connections 1024; }
http {
  client_body_temp_path $n/tmp/body;
  proxy_temp_path $n/tmp/proxy;
  fastcgi_temp_path $n/tmp/fastcgi;
  uwsgi_temp_path $n/tmp/uwsgi;
  scgi_temp_path $n/tmp/scgi;
  # Sticky sessions: a browser keeps the route cookie nginx gave it on its first request, and the
  # route picks the server (a consistent hash), so its page, its WebSocket and its uploads all reach
  # the server that holds its Streamlit session. A server that is down is passed over.
  map \$cookie_sgroute \$route { "" \$request_id; default \$cookie_sgroute; }
  map \$cookie_sgroute \$route_cookie { "" "sgroute=\$request_id; Path=/; HttpOnly; SameSite=Lax"; default ""; }
  map \$http_upgrade \$connection_upgrade { default upgrade; "" close; }
  log_format routed '\$remote_addr [\$time_local] "\$request" \$status route=\$route '
                    'upstream=\$upstream_addr upstream_status=\$upstream_status time=\$request_time';
  access_log $n/access.log routed;
  upstream safegrid {
    hash \$route consistent;
$servers  }
  server {
    listen 127.0.0.1:$PROXY_PORT;
    client_max_body_size 200m;  # Streamlit's server.maxUploadSize (.streamlit/config.toml)
    proxy_http_version 1.1;
    proxy_set_header Host \$http_host;
    proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
    proxy_set_header X-Forwarded-Proto \$scheme;
    proxy_connect_timeout 3s;
    proxy_next_upstream error timeout http_502 http_503;
    add_header Set-Cookie \$route_cookie always;
    location / {
      proxy_pass http://safegrid;
    }
    location /_stcore/stream {  # Streamlit's WebSocket: upgraded, unbuffered, kept open
      proxy_pass http://safegrid;
      proxy_set_header Upgrade \$http_upgrade;
      proxy_set_header Connection \$connection_upgrade;
      proxy_buffering off;
      proxy_read_timeout 1d;
      proxy_send_timeout 1d;
    }
  }
}
EOF
}

start_nginx() {
  if alive "$DIR/nginx/nginx.pid"; then say "nginx already running"; return; fi
  listening "$PROXY_PORT" && die "port $PROXY_PORT is taken by something else: set SAFEGRID_CLUSTER_PROXY_PORT"
  [ -x "$NGINX" ] || die "no nginx ($NGINX): bash -c '. scripts/system.sh nginx' installs Debian's"
  write_nginx_conf
  "$NGINX" -p "$DIR/nginx" -e "$DIR/nginx/error.log" -c "$DIR/nginx/nginx.conf" -t -q
  "$NGINX" -p "$DIR/nginx" -e "$DIR/nginx/error.log" -c "$DIR/nginx/nginx.conf"
  say "nginx on port $PROXY_PORT (config $DIR/nginx/nginx.conf)"
}

up() {
  [ -d "$PGBIN" ] || die "no PostgreSQL server binaries under /usr/lib/postgresql: bash -c '. scripts/system.sh postgis'"
  [ -x "$PY" ] || die "no .venv: run bash scripts/setup.sh first"
  mkdir -p "$DIR" "$PGDIR"
  if [ "$(id -u)" = 0 ]; then
    chown postgres: "$PGDIR"
    runuser -u postgres -- test -x "$PGDIR" || die "the postgres user cannot reach $DIR: choose a directory it can"
  fi
  local started=$SECONDS fresh=0 lsn i
  [ -d "$PGDIR/primary" ] || fresh=1
  if [ $fresh = 0 ] && [ ! -f "$DIR/built" ]; then
    die "a first set-up in $DIR did not finish: bash scripts/cluster.sh down, remove $DIR, then up again"
  fi
  if [ $fresh = 1 ]; then
    rm -rf "$PGDIR/standby"
    unset SU_PASSWORD REPLICATION_PASSWORD
    write_env
  fi
  load_env
  [ $fresh = 1 ] && make_primary
  start_pg primary "$PRIMARY_PORT"
  [ -d "$PGDIR/standby" ] || make_standby
  start_pg standby "$STANDBY_PORT"
  if [ $fresh = 1 ]; then build_database; touch "$DIR/built"; fi
  lsn=$(sql "$PRIMARY_PORT" postgres "SELECT pg_current_wal_lsn()")
  wait_for 300 "the standby's replay of the primary (up to $lsn)" replayed "$lsn"
  say "the standby has replayed the primary up to $lsn"
  for i in "${!APP_PORTS[@]}"; do start_app $((i + 1)) "${APP_PORTS[$i]}"; done
  start_nginx
  for i in "${!APP_PORTS[@]}"; do
    wait_for 120 "app server $((i + 1))" healthy "${APP_PORTS[$i]}"
    warm "${APP_PORTS[$i]}"
  done
  wait_for 30 "nginx" healthy "$PROXY_PORT"
  say "up in $((SECONDS - started)) s: http://127.0.0.1:$PROXY_PORT (app servers ${APP_PORTS[*]}," \
    "primary $PRIMARY_PORT, standby $STANDBY_PORT; URLs in $DIR/cluster.env)"
}

stop_pid() {  # stop_pid PIDFILE NAME: TERM, then KILL after 15 s
  local pid i
  [ -f "$1" ] || return 0
  pid=$(cat "$1")
  if running "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 30; i++)); do running "$pid" || break; sleep 0.5; done
    if running "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
    say "$2 stopped"
  fi
  rm -f "$1"
}

down() {
  local i name
  if alive "$DIR/nginx/nginx.pid"; then
    "$NGINX" -p "$DIR/nginx" -e "$DIR/nginx/error.log" -c "$DIR/nginx/nginx.conf" -s quit
    for ((i = 0; i < 30; i++)); do alive "$DIR/nginx/nginx.pid" || break; sleep 0.5; done
    stop_pid "$DIR/nginx/nginx.pid" nginx
    say "nginx stopped"
  fi
  for i in "${!APP_PORTS[@]}"; do stop_pid "$DIR/app$((i + 1)).pid" "app server $((i + 1))"; done
  for name in standby primary; do
    if [ -d "$PGDIR/$name" ] && pg_up "$name"; then
      as_pg "$PGBIN/pg_ctl" -D "$PGDIR/$name" -m fast -w -t 60 stop >/dev/null
      say "$name stopped"
    fi
  done
  say "down (the data stays in $DIR; remove that directory to start afresh)"
}

status() {
  local i port state rc=0
  load_env
  for name in primary standby; do
    port=$PRIMARY_PORT; [ $name = standby ] && port=$STANDBY_PORT
    if [ -d "$PGDIR/$name" ] && pg_up $name; then say "$name: up on port $port"
    else say "$name: down"; rc=1; fi
  done
  if [ -n "${SU_PASSWORD:-}" ] && pg_up primary 2>/dev/null; then
    state=$(sql "$PRIMARY_PORT" postgres "SELECT string_agg(format('%s %s, %s bytes behind, replay lag %s', \
      application_name, state, pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn), coalesce(replay_lag::text, '0')), \
      '; ') FROM pg_stat_replication" || true)
    say "replication (primary's pg_stat_replication): ${state:-no standby connected}"
  fi
  if [ -n "${SU_PASSWORD:-}" ] && pg_up standby 2>/dev/null; then
    state=$(sql "$STANDBY_PORT" postgres "SELECT CASE WHEN pg_is_in_recovery() THEN 'in recovery' ELSE \
      'NOT in recovery' END || ', last replayed transaction ' || coalesce((now() - \
      pg_last_xact_replay_timestamp())::text || ' ago', 'none yet') " || true)
    say "standby: $state"
  fi
  for i in "${!APP_PORTS[@]}"; do
    port=${APP_PORTS[$i]}
    if alive "$DIR/app$((i + 1)).pid" && healthy "$port"; then
      say "app server $((i + 1)): up on port $port (pid $(cat "$DIR/app$((i + 1)).pid"))"
    else say "app server $((i + 1)): down"; rc=1; fi
  done
  if alive "$DIR/nginx/nginx.pid" && healthy "$PROXY_PORT"; then say "nginx: up on port $PROXY_PORT"
  else say "nginx: down"; rc=1; fi
  return $rc
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  *) echo "usage: bash scripts/cluster.sh up|down|status" >&2; exit 2 ;;
esac
