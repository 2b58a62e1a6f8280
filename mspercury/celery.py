import os

from celery import Celery, Task, signals

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


@signals.after_setup_logger.connect
@signals.after_setup_task_logger.connect
def _redact_worker_logs(logger, **kwargs):
    """A worker replaces the root logger's handlers with its own: they get the redact filter."""
    from mspercury.logging import RedactSecretsFilter

    for handler in logger.handlers:
        if not any(isinstance(f, RedactSecretsFilter) for f in handler.filters):
            handler.addFilter(RedactSecretsFilter())
