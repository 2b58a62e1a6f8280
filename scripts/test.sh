#!/usr/bin/env bash
# The whole check, exactly as CI runs it: install, lint, format check, type check of the pure
# modules, migrations check, pytest on PostgreSQL and Redis. Extra arguments go to pytest (e.g.
# scripts/test.sh tests/mspercury -x).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh --test
scripts/services.sh

export DEBUG=1
export SECRET_KEY="${TEST_SECRET_KEY:-test-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz}"
export MSPERCURY_ENCRYPTION_KEYS="v1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
export DATABASE_URL="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/mspercury}"
export REDIS_URL="${TEST_REDIS_URL:-redis://127.0.0.1:6379/15}"
export MSPERCURY_CELERY_EAGER=1
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

# The database itself (pytest creates test_<name> beside it; makemigrations checks history here).
.venv/bin/python - <<'PY'
import os
from urllib.parse import urlparse

import psycopg

url = urlparse(os.environ["DATABASE_URL"])
name = url.path.lstrip("/")
with psycopg.connect(host=url.hostname, port=url.port or 5432, user=url.username or "postgres",
                     password=url.password, dbname="postgres", autocommit=True) as conn:
    if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
        conn.execute(f'CREATE DATABASE "{name}"')
        print(f"==> created database {name}")
PY

echo "==> ruff check"; .venv/bin/ruff check .
echo "==> ruff format --check"; .venv/bin/ruff format --check .
echo "==> mypy (strict, pure modules)"; .venv/bin/mypy
echo "==> makemigrations --check"; .venv/bin/python manage.py makemigrations --check --dry-run
echo "==> pytest"
.venv/bin/python -m pytest "$@"
