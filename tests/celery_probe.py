"""Imported by the test workers only (``celery worker -I tests.celery_probe``): counts the
database connections a worker opens, and has tasks that report what a task sees."""

import json

import redis
from celery import shared_task
from django.conf import settings
from django.db import connection
from django.db.backends.signals import connection_created

from mspercury import tenancy

CONNECTIONS = "probe:connections"


def _redis() -> redis.Redis:
    return redis.Redis.from_url(settings.CELERY_BROKER_URL)


def _count_connection(sender, connection, **kwargs):
    _redis().incr(CONNECTIONS)


connection_created.connect(_count_connection, dispatch_uid="tests.celery_probe")


def _reply(reply: str, **values) -> None:
    _redis().rpush(reply, json.dumps(values))


def _session() -> dict:
    """The connection's session as the task finds it, read past the backend's tenancy (which
    would apply this task's own before the query)."""
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    row = connection.connection.execute(
        "SELECT pg_backend_pid(), current_user, current_setting('app.workspace_id', true)"
    ).fetchone()
    return {"backend": row[0], "role": row[1], "workspace_setting": row[2] or ""}


@shared_task(name="tests.celery_probe.peek")
def peek(reply: str, workspace_pk: int | None = None) -> None:
    """Report the session found at the start and how many customers the task sees (in
    ``workspace_pk``, or in none)."""
    from customers.models import Customer

    found = _session()
    if workspace_pk is None:
        seen = Customer.objects.count()
    else:
        with tenancy.workspace_context(workspace_pk):
            seen = Customer.objects.count()
    _reply(reply, **found, customers_seen=seen)


@shared_task(name="tests.celery_probe.work_in")
def work_in(reply: str, workspace_pk: int) -> None:
    """Read in one workspace outside a transaction: its setting is left at session level."""
    from customers.models import Customer

    with tenancy.workspace_context(workspace_pk):
        seen = Customer.objects.count()
    _reply(reply, **_session(), customers_seen=seen)
