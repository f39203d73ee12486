#!/usr/bin/env bash
# The two PostgreSQL roles SafeGrid runs with (README, "Production: two roles"), created if missing:
#   safegrid_owner  owns the database's tables: runs `python -m geo init`, migrations and CLI imports
#   safegrid_app    the Streamlit server's login: owns no table, is no superuser, so row-level
#                   security binds it; `python -m geo init --app-role safegrid_app` grants it the rest
# Usage: bash scripts/pg-roles.sh [ADMIN_URL]   (default $SAFEGRID_TEST_PG, else the local postgres)
# Passwords come from SAFEGRID_OWNER_PASSWORD / SAFEGRID_APP_PASSWORD (test defaults otherwise).
set -euo pipefail
admin=${1:-${SAFEGRID_TEST_PG:-postgresql://postgres@127.0.0.1:5432/postgres}}
owner_pw=${SAFEGRID_OWNER_PASSWORD:-safegrid-owner-test}
app_pw=${SAFEGRID_APP_PASSWORD:-${SAFEGRID_TEST_PG_APP_PASSWORD:-safegrid-app-test}}
psql "$admin" -v ON_ERROR_STOP=1 -qAt -o /dev/null \
  -v owner_pw="$owner_pw" -v app_pw="$app_pw" <<'SQL'
SELECT pg_advisory_lock(424242);
SELECT format('CREATE ROLE safegrid_owner LOGIN CREATEDB PASSWORD %L', :'owner_pw')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'safegrid_owner') \gexec
SELECT format('CREATE ROLE safegrid_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD %L', :'app_pw')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'safegrid_app') \gexec
SELECT pg_advisory_unlock(424242);
SQL
echo "pg-roles: safegrid_owner and safegrid_app are there ($(psql "$admin" -qAtc "select string_agg(rolname || case when rolsuper then ' (superuser!)' else '' end, ', ') from pg_roles where rolname like 'safegrid\_%'"))"
