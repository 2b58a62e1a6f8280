#!/bin/sh
# Runs once, as the PostgreSQL superuser, when the db volume is created (docker-compose.yml).
# Three roles (README, "Database roles"): the owner runs migrations, the app logs in for web,
# worker and beat and is fenced by row-level security, the system role (no login) bypasses it
# and is reached only by an explicit SET ROLE for cross-tenant work.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v owner_pw="$MSPERCURY_DB_OWNER_PASSWORD" -v app_pw="$MSPERCURY_DB_APP_PASSWORD" <<'SQL'
CREATE ROLE mspercury_owner LOGIN PASSWORD :'owner_pw' NOSUPERUSER NOBYPASSRLS NOCREATEROLE;
CREATE ROLE mspercury_system NOLOGIN BYPASSRLS;
CREATE ROLE mspercury_app LOGIN PASSWORD :'app_pw' NOINHERIT NOSUPERUSER NOBYPASSRLS NOCREATEROLE;
GRANT mspercury_system TO mspercury_app;
GRANT mspercury_system TO mspercury_owner;
CREATE DATABASE mspercury OWNER mspercury_owner;
SQL
