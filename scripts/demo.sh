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

# Nothing here reaches api.stripe.com: the demo talks to the Stripe emulator (emulators/README.md).
# Its state lives in .demo/stripe-emulator.json, so a restart keeps the Stripe ids the app stored.
EMULATOR_PORT="${STRIPE_EMULATOR_PORT:-12111}"
export MSPERCURY_STRIPE_API_BASE="http://127.0.0.1:${EMULATOR_PORT}"

.venv/bin/python manage.py migrate --no-input -v 0

# Wait until a service double answers on its health URL (or say why not and stop).
wait_for() {  # url pid name
  .venv/bin/python - "$1" "$2" "$3" <<'PY'
import os, sys, time, urllib.request

url, pid, name = sys.argv[1], int(sys.argv[2]), sys.argv[3]
deadline = time.monotonic() + 20
while True:
    try:
        os.kill(pid, 0)
    except OSError:
        sys.exit(f"The {name} exited (see its error above).")
    try:
        urllib.request.urlopen(url, timeout=1).close()
        break
    except OSError:
        if time.monotonic() > deadline:
            sys.exit(f"The {name} did not answer on {url} within 20 s.")
        time.sleep(0.2)
PY
}

# The emulators start first: seed_demo connects the demo workspace to Stripe's. VAT IDs are
# checked against the VIES emulator (emulators/README.md), never the EU's service.
VIES_PORT="${VIES_EMULATOR_PORT:-12112}"
export MSPERCURY_VIES_URL="http://127.0.0.1:${VIES_PORT}"
.venv/bin/python -m emulators.stripe --port "$EMULATOR_PORT" \
  --state-file "$PWD/.demo/stripe-emulator.json" &
EMULATOR_PID=$!
.venv/bin/python -m emulators.vies --port "$VIES_PORT" &
VIES_PID=$!
# The accounting tools' doubles (a workspace billing through Lexware Office or sevDesk); their
# state files keep the invoices MSPercury issued in them across restarts.
LEXWARE_PORT="${LEXWARE_EMULATOR_PORT:-12113}"
SEVDESK_PORT="${SEVDESK_EMULATOR_PORT:-12114}"
export MSPERCURY_LEXWARE_API_URL="http://127.0.0.1:${LEXWARE_PORT}"
export MSPERCURY_LEXWARE_PUBLIC_KEY_URL="http://127.0.0.1:${LEXWARE_PORT}/webhookSignature/public/public_key.pub"
export MSPERCURY_SEVDESK_API_URL="http://127.0.0.1:${SEVDESK_PORT}/api/v1"
.venv/bin/python -m emulators.lexware --port "$LEXWARE_PORT" --state-file "$PWD/.demo/lexware-emulator.state" &
LEXWARE_PID=$!
.venv/bin/python -m emulators.sevdesk --port "$SEVDESK_PORT" --state-file "$PWD/.demo/sevdesk-emulator.state" &
SEVDESK_PID=$!
DOUBLES="$EMULATOR_PID $VIES_PID $LEXWARE_PID $SEVDESK_PID"
# SIGTERM makes the Stripe emulator save its state; wait until it has.
trap 'kill $DOUBLES 2>/dev/null || true; wait "$EMULATOR_PID" 2>/dev/null || true' EXIT
wait_for "$MSPERCURY_STRIPE_API_BASE/_emulator/health" "$EMULATOR_PID" "Stripe emulator"
wait_for "$MSPERCURY_VIES_URL/_emulator/health" "$VIES_PID" "VIES emulator"
wait_for "$MSPERCURY_LEXWARE_API_URL/_emulator/health" "$LEXWARE_PID" "Lexware Office emulator"
wait_for "http://127.0.0.1:${SEVDESK_PORT}/_emulator/health" "$SEVDESK_PID" "sevDesk emulator"
echo "Stripe emulator dashboard: $MSPERCURY_STRIPE_API_BASE/_emulator/"
echo "VIES emulator dashboard: $MSPERCURY_VIES_URL/_emulator/"
echo "Lexware Office emulator: $MSPERCURY_LEXWARE_API_URL/_emulator/state"
echo "sevDesk emulator: http://127.0.0.1:${SEVDESK_PORT}/_emulator/state"

.venv/bin/python manage.py seed_demo
# No beat without a broker: the periodic tasks (event retries, reconciliation) run in a process
# of their own. SQLite serializes its writes with the web server's (mspercury/env.py).
.venv/bin/python manage.py run_schedule &
SCHEDULE_PID=$!
.venv/bin/python manage.py runserver "127.0.0.1:${PORT:-8000}" &
SERVER_PID=$!
trap 'kill "$SERVER_PID" "$SCHEDULE_PID" $DOUBLES 2>/dev/null || true; wait "$EMULATOR_PID" 2>/dev/null || true' EXIT
# Lexware Office probes a callback URL before it subscribes it: register once the app answers.
wait_for "$MSPERCURY_PUBLIC_URL/healthz" "$SERVER_PID" "app"
.venv/bin/python manage.py seed_demo --callbacks
wait "$SERVER_PID"
