#!/usr/bin/env bash
# The fleet's PostgreSQL roles and databases. Run by the postgres image at the first start of an empty data volume
# (/docker-entrypoint-initdb.d), as the superuser; safe to run again (it creates what is missing and resets the
# passwords), e.g. after adding a service: docker compose exec postgres bash /docker-entrypoint-initdb.d/10-arfleet-roles.sh
#
# Each service gets a login role that owns its one database, arfleet_<service>, and can connect to no other (CONNECT
# is revoked from PUBLIC); it is no superuser and cannot create databases or roles. The services apply their own
# migrations at start (DatabaseMigrator, as the database's owner) and create their database only if it is missing, so
# creating every database here is all they need. arfleet_migrator (CREATEDB, a member of every service role) is for
# people and jobs: creating a new service's database, running a migration or a fix by hand, without the superuser.
set -euo pipefail

services=(campaign_rules ingest recognition voucher_issuance isv_webhook)

run() { psql -v ON_ERROR_STOP=1 --quiet --no-psqlrc --username "${POSTGRES_USER:-postgres}" --dbname postgres "$@"; }

# role PASSWORD_VARIABLE ROLE [ATTRIBUTES]: creates the login role if missing and sets its password (psql quotes it).
role() {
  local password="${!1:?$1 is not set}"
  run -v role="$2" -v password="$password" <<SQL
SELECT format('CREATE ROLE %I', :'role') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \gexec
ALTER ROLE :"role" WITH LOGIN NOSUPERUSER NOCREATEROLE NOREPLICATION ${3:-NOCREATEDB} PASSWORD :'password';
SQL
}

role ARFLEET_POSTGRES_MIGRATOR_PASSWORD arfleet_migrator CREATEDB
for service in "${services[@]}"; do
  name="arfleet_$service"
  role "ARFLEET_${service^^}_POSTGRES_PASSWORD" "$name"
  run -v name="$name" <<'SQL'
SELECT format('CREATE DATABASE %I OWNER %I', :'name', :'name') WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'name') \gexec
ALTER DATABASE :"name" OWNER TO :"name";
REVOKE ALL ON DATABASE :"name" FROM PUBLIC;
GRANT :"name" TO arfleet_migrator;
SQL
done
echo "arfleet: roles and databases ready for ${services[*]}"
