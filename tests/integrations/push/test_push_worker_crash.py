"""A real Celery worker on Redis dies in the middle of a push; the redelivered task resumes."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection as db_connection

from integrations.models import Push, PushStep
from integrations.push.actions import do_start_push
from mspercury.celery import app as celery_app

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[3]


def _worker(stripe_base: str, name: str) -> subprocess.Popen:
    db = django_settings.DATABASES["default"]
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}",
        "MSPERCURY_CELERY_EAGER": "0",
        "MSPERCURY_STRIPE_API_BASE": stripe_base,
        "MSPERCURY_CELERY_VISIBILITY_TIMEOUT": "2",
        "DJANGO_ALLOW_ASYNC_UNSAFE": "",
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "mspercury",
            "worker",
            "--concurrency",
            "1",
            "--pool",
            "solo",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "-n",
            f"{name}@%h",
            "--loglevel",
            "WARNING",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def broker(settings):
    """Tasks go to Redis (not run in-process) for this test; the queue starts empty."""
    celery_app.conf.task_always_eager = False
    with celery_app.connection_for_write() as conn:
        conn.default_channel.client.flushdb()
    yield
    celery_app.conf.task_always_eager = True


def test_a_killed_worker_is_resumed_without_duplicates(
    connection, mixed_quote, alice, stripe_api, broker
):
    db_connection.close()  # the worker needs the rows committed, which transaction=True does
    # Slow subscription creation so the worker is killed while one is in flight at Stripe.
    stripe_api.fault("latency", method="POST", path="/v1/subscriptions", count=1, latency_ms=3000)
    push, created = do_start_push(None, mixed_quote, actor=alice)
    assert created
    first = _worker(stripe_api.base_url, "first")
    try:
        _wait(
            lambda: PushStep.objects.filter(
                push=push, kind="subscription", status=PushStep.Status.RUNNING
            ).exists(),
            60,
            "the first subscription step to start",
        )
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(10)
    assert Push.objects.get(pk=push.pk).status == Push.Status.RUNNING

    second = _worker(stripe_api.base_url, "second")
    try:
        _wait(
            lambda: Push.objects.get(pk=push.pk).status == Push.Status.SUCCEEDED,
            90,
            "the redelivered push to finish",
        )
    finally:
        os.killpg(second.pid, signal.SIGTERM)
        second.wait(20)
    push.refresh_from_db()
    assert push.runs >= 2
    sk = stripe_api.client()
    assert len(sk.v1.customers.list().data) == 1
    assert len(sk.v1.subscriptions.list().data) == 2
    assert len(sk.v1.products.list({"limit": 100}).data) == 9
