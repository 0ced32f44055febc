#!/bin/sh
# First start of the postgres container: an owner role for migrations and an application role
# that cannot bypass row-level security (see docs/architecture.md).
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres <<SQL
CREATE ROLE pcn_owner LOGIN PASSWORD '${OWNER_PASSWORD}';
CREATE ROLE pcn_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD '${APP_PASSWORD}';
CREATE DATABASE pcn_mh OWNER pcn_owner;
SQL
