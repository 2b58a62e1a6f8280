#!/usr/bin/env bash
# Makes sure PostgreSQL and Redis answer on 127.0.0.1, starting local installs that are stopped.
# In CI (CI=true) a service that cannot be reached is a loud failure.
set -euo pipefail

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

if ! port_open 5432; then
  if command -v pg_ctlcluster >/dev/null 2>&1 && [[ -d /etc/postgresql ]]; then
    echo "==> Starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  fi
  for _ in $(seq 1 30); do port_open 5432 && break; sleep 1; done
fi
if ! port_open 6379; then
  if command -v redis-server >/dev/null 2>&1; then
    echo "==> Starting Redis"
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
  fi
  for _ in $(seq 1 30); do port_open 6379 && break; sleep 1; done
fi

ok=1
port_open 5432 || { echo "ERROR: PostgreSQL is not reachable on 127.0.0.1:5432" >&2; ok=0; }
port_open 6379 || { echo "ERROR: Redis is not reachable on 127.0.0.1:6379" >&2; ok=0; }
[[ $ok == 1 ]] || exit 1
