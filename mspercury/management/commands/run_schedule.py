"""Run the periodic tasks of CELERY_BEAT_SCHEDULE in this process, for set-ups without a beat.

The demo runs tasks in-process and has no broker, hence no Celery beat; this command stands in
for it (scripts/demo.sh starts it beside the web server). Production uses `celery beat`.
"""

import logging
import signal
import time

from celery import current_app
from django.conf import settings
from django.core.management.base import BaseCommand

logger = logging.getLogger(__name__)


def schedule_entries() -> list[tuple[str, str, float]]:
    """(name, task, interval in seconds) of every beat entry with a fixed interval."""
    entries = []
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        interval = entry["schedule"]
        seconds = interval.total_seconds() if hasattr(interval, "total_seconds") else interval
        entries.append((name, entry["task"], float(seconds)))
    return entries


def run_task(name: str, task_name: str):
    """Run one scheduled task here and now; a failure is logged and waits for the next turn."""
    try:
        return current_app.tasks[task_name].apply(throw=True).result
    except Exception:
        logger.exception("scheduled task %s failed", name)
        return None


class Command(BaseCommand):
    help = "Run the periodic tasks (Celery beat schedule) in-process, e.g. for the demo."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Run every task once and exit.")

    def handle(self, *args, once=False, **options):
        import mspercury.celery  # noqa: F401  (registers the tasks with the app)

        entries = schedule_entries()
        if once:
            for name, task_name, _seconds in entries:
                self.stdout.write(f"{name}: {run_task(name, task_name)}")
            return
        stopping = []
        signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
        due = {name: time.monotonic() + min(seconds, 10.0) for name, _task, seconds in entries}
        self.stdout.write("Running periodic tasks: " + ", ".join(due))
        while not stopping:
            now = time.monotonic()
            for name, task_name, seconds in entries:
                if now >= due[name]:
                    run_task(name, task_name)
                    due[name] = time.monotonic() + seconds
            time.sleep(1.0)
