import os

from celery import Celery, Task

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mspercury.settings")


class TenantTask(Task):
    """Every task starts with no workspace (tenant tables read as empty) until it enters one
    with ``mspercury.tenancy.workspace_context``, whatever the caller had (eager runs too)."""

    def __call__(self, *args, **kwargs):
        from mspercury import tenancy

        with tenancy.no_workspace():
            return super().__call__(*args, **kwargs)


app = Celery("mspercury", task_cls=TenantTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
