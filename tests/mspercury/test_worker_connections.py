"""A real Celery worker keeps its database connection from task to task, replaces a broken one,
and starts every task without the previous task's workspace."""

import psycopg
import pytest
from django.db import connection as db_connection

from tests import factories
from tests.celery_workers import (
    broker,  # noqa: F401  (fixture)
    connections_opened,
    probe,
    start_worker,
    stop_worker,
)

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]

TASKS = 200


@pytest.fixture
def worker(broker):  # noqa: F811
    db_connection.close()  # the worker reads committed rows as the app role
    started = start_worker("conn")
    yield started
    log = stop_worker(started)
    assert "Traceback" not in log, log


def test_it_keeps_one_connection_for_many_tasks(worker):
    first = probe("peek")
    opened = connections_opened()
    backends = {probe("peek")["backend"] for _ in range(TASKS)}
    assert backends == {first["backend"]}
    assert connections_opened() == opened  # not one new connection in 200 tasks
    assert opened <= 2


def test_a_task_after_another_workspaces_task_sees_nothing_of_it(worker, alpha, charlie_ws):
    factories.customer(alpha, "DE")
    factories.customer(alpha, "FR")
    factories.customer(charlie_ws, "AT")
    db_connection.close()
    in_alpha = probe("work_in", alpha.pk)
    assert in_alpha["customers_seen"] == 2
    assert in_alpha["workspace_setting"] == str(alpha.pk)  # left at session level by the task

    after = probe("peek")
    assert after["backend"] == in_alpha["backend"]  # the same connection, kept
    assert after["workspace_setting"] == ""  # reset before the next task began
    assert after["customers_seen"] == 0

    in_charlie = probe("peek", charlie_ws.pk)
    assert in_charlie["backend"] == in_alpha["backend"]
    assert in_charlie["workspace_setting"] == ""
    assert in_charlie["customers_seen"] == 1


def test_a_broken_connection_is_replaced(worker):
    before = probe("peek")
    db = db_connection.settings_dict
    with psycopg.connect(
        host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, user="postgres", dbname=db["NAME"]
    ) as admin:  # the server drops the worker's connection, as a restart or a proxy would
        assert admin.execute("SELECT pg_terminate_backend(%s)", [before["backend"]]).fetchone()[0]
    after = probe("peek")
    assert after["backend"] != before["backend"]
    assert after["customers_seen"] == 0
    assert probe("peek")["backend"] == after["backend"]
