#!/usr/bin/env bash
# Zero-setup demo: virtualenv, packages, a local SQLite database with a seeded demo workspace,
# and the app on http://127.0.0.1:8000 with Celery tasks run in-process.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh

mkdir -p .demo
[[ -f .demo/secret_key ]] || .venv/bin/python -c "import secrets; print(secrets.token_urlsafe(50))" > .demo/secret_key
[[ -f .demo/encryption_keys ]] || .venv/bin/python -c "import base64, os; print('v1:' + base64.urlsafe_b64encode(os.urandom(32)).decode())" > .demo/encryption_keys
chmod 600 .demo/secret_key .demo/encryption_keys

export DEBUG=1
export SECRET_KEY="$(cat .demo/secret_key)"
export MSPERCURY_ENCRYPTION_KEYS="$(cat .demo/encryption_keys)"
export DATABASE_URL="sqlite:///$PWD/.demo/db.sqlite3"
export MSPERCURY_PUBLIC_URL="http://127.0.0.1:${PORT:-8000}"
export MSPERCURY_CELERY_EAGER=1
unset REDIS_URL

# Nothing here reaches api.stripe.com: the demo talks to the Stripe emulator (docs/stripe-emulator.md).
export MSPERCURY_STRIPE_API_BASE="http://127.0.0.1:${STRIPE_EMULATOR_PORT:-12111}"

.venv/bin/python manage.py migrate --no-input -v 0
.venv/bin/python manage.py seed_demo
.venv/bin/python manage.py stripe_emulator --port "${STRIPE_EMULATOR_PORT:-12111}" &
EMULATOR_PID=$!
trap 'kill "$EMULATOR_PID" 2>/dev/null || true' EXIT
.venv/bin/python manage.py runserver "127.0.0.1:${PORT:-8000}"
