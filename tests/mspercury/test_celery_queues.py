"""Tasks travel on named queues, and every queue has a worker (README, "Scaling workers")."""

import re
from pathlib import Path

from django.conf import settings

from mspercury.celery import app

ROOT = Path(__file__).resolve().parents[2]


def _queue_of(name: str) -> str:
    app.loader.import_default_modules()
    return app.amqp.router.route({}, name)["queue"].name


def test_it_routes_each_kind_of_work_to_its_queue():
    assert _queue_of("integrations.tasks.process_stripe_event") == "webhooks"
    assert _queue_of("integrations.tasks.run_push") == "pushes"
    assert _queue_of("portal.tasks.send_invoice_email") == "mail"
    assert _queue_of("quotes.tasks.render_quote_document") == "celery"


def test_every_route_names_a_task_and_a_known_queue():
    app.loader.import_default_modules()
    for name, route in settings.CELERY_TASK_ROUTES.items():
        assert name in app.tasks, name
        assert route["queue"] in settings.MSPERCURY_CELERY_QUEUES


def test_the_beat_schedule_runs_on_the_periodic_queue():
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert _queue_of(entry["task"]) == "periodic", entry["task"]


def test_the_compose_worker_consumes_every_queue():
    compose = (ROOT / "docker-compose.yml").read_text()
    command = re.search(r"command: celery -A mspercury worker -Q (\S+)", compose)
    assert command is not None
    assert set(command[1].split(",")) == set(settings.MSPERCURY_CELERY_QUEUES)
