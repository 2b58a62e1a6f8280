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


# A worker keeps its database connection from one task to the next, as gunicorn keeps it from
# one request to the next: Celery's Django fixup closes every connection before and after each
# task unless CELERY_DB_REUSE_MAX is set (settings.py sets it), and these handlers take over
# Django's own request-cycle rule instead. A connection older than CONN_MAX_AGE, broken
# (checked with CONN_HEALTH_CHECKS before its first use in a task) or left inside a transaction
# is closed and replaced. The tenancy is applied again before every query (mspercury/db), and
# a kept connection goes back to the login role without a workspace after each task, so nothing
# of one task's workspace is seen by the next.
def _is_eager(sender) -> bool:
    return sender is not None and bool(getattr(sender.request, "is_eager", False))


@signals.task_prerun.connect
def _before_task(sender=None, **kwargs):
    if not _is_eager(sender):  # an eager task runs inside its caller's request or test
        from django.db import close_old_connections

        close_old_connections()


@signals.task_postrun.connect
def _after_task(sender=None, **kwargs):
    if _is_eager(sender):
        return
    from django.db import DatabaseError, close_old_connections, connections

    close_old_connections()
    for conn in connections.all(initialized_only=True):
        try:
            getattr(conn, "reset_tenancy", lambda: None)()
        except DatabaseError:
            conn.close()  # a connection that cannot be reset is not kept


@signals.after_setup_logger.connect
@signals.after_setup_task_logger.connect
def _redact_worker_logs(logger, **kwargs):
    """A worker replaces the root logger's handlers with its own: they get the redact filter."""
    from mspercury.logging import RedactSecretsFilter

    for handler in logger.handlers:
        if not any(isinstance(f, RedactSecretsFilter) for f in handler.filters):
            handler.addFilter(RedactSecretsFilter())
