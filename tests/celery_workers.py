"""Real Celery workers on Redis for the tests that need them (marked ``celery_worker``).

``start_worker`` runs ``celery -A mspercury worker`` against the test database as the app role,
with ``tests.celery_probe`` imported: it counts the database connections the worker opens and
has tasks that report what a task sees. ``broker`` sends tasks to Redis instead of running them
in-process, with an empty queue.
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from django.conf import settings as django_settings

from mspercury.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[1]
CONNECTIONS = "probe:connections"  # how many database connections the workers opened


def redis_client() -> redis.Redis:
    return redis.Redis.from_url(django_settings.CELERY_BROKER_URL, socket_timeout=300)


@pytest.fixture
def broker(settings):
    """Tasks go to Redis (not run in-process) for this test; the queue starts empty."""
    celery_app.conf.task_always_eager = False
    redis_client().flushdb()
    yield redis_client()
    celery_app.conf.task_always_eager = True


def start_worker(
    name: str, *, stripe_base: str = "", pool: str = "prefork", concurrency: int = 1, env=None
) -> subprocess.Popen:
    db = django_settings.DATABASES["default"]
    environment = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}",
        "MSPERCURY_CELERY_EAGER": "0",
        "DJANGO_ALLOW_ASYNC_UNSAFE": "",
        **({"MSPERCURY_STRIPE_API_BASE": stripe_base} if stripe_base else {}),
        **(env or {}),
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "mspercury",
            "worker",
            "-I",
            "tests.celery_probe",
            "-Q",
            ",".join(django_settings.MSPERCURY_CELERY_QUEUES),
            "--pool",
            pool,
            "--concurrency",
            str(concurrency),
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "-n",
            f"{name}@%h",
            "--loglevel",
            "WARNING",
        ],
        cwd=ROOT,
        env=environment,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def stop_worker(worker: subprocess.Popen) -> str:
    """Stop the worker (warm shutdown) and return what it wrote on stderr."""
    if worker.poll() is None:
        os.kill(worker.pid, signal.SIGTERM)  # the main process stops its pool's children
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(10)
    return worker.stderr.read().decode(errors="replace") if worker.stderr else ""


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def probe(task: str, *args, timeout: float = 60):
    """Run a task of tests.celery_probe on a worker and return what it reported."""
    reply = f"probe:reply:{time.monotonic_ns()}"
    celery_app.send_task(f"tests.celery_probe.{task}", args=[reply, *args])
    found = redis_client().blpop([reply], timeout=timeout)
    if found is None:
        raise AssertionError(f"no worker answered {task}{args}")
    return json.loads(found[1])


def connections_opened() -> int:
    return int(redis_client().get(CONNECTIONS) or 0)
