"""Celery tasks of the Stripe integration. Ids in, reload, safe to run twice.

Tenant tasks take their workspace's id first and run inside it (row-level security); only the
beat task that walks every connection starts in the system role, and only to list them.
"""

import logging

from celery import shared_task

from integrations.stripe.errors import StripeFailure
from mspercury.tenancy import workspace_context

logger = logging.getLogger(__name__)


@shared_task(bind=True, acks_late=True, max_retries=5)
def process_stripe_event(self, workspace_pk: int, event_pk: int) -> str:
    """Apply a stored webhook event to the mirror (idempotent; safe to run twice). An event whose
    invoice another task is processing is queued again a moment later instead of waiting for it
    (see integrations/webhooks/coalesce.py): the worker goes on with other work meanwhile."""
    from integrations.webhooks.dispatch import DEFERRED, process_event

    try:
        with workspace_context(workspace_pk):
            status = process_event(event_pk, wait=False)
    except StripeFailure as failure:  # only retryable failures get here
        raise self.retry(countdown=min(300, 10 * 2**self.request.retries)) from failure
    if status == DEFERRED:
        process_stripe_event.apply_async((workspace_pk, event_pk), countdown=DEFER_SECONDS)
    return status


# How long an event whose invoice was busy waits before it runs again: longer than one task
# takes, short against the alert about unprocessed events (minutes).
DEFER_SECONDS = 1


@shared_task(acks_late=True, reject_on_worker_lost=True)
def run_push(workspace_pk: int, push_pk: int) -> str:
    """Execute (or resume) a push. Safe to deliver twice: the executor is exactly-once."""
    from integrations.push.executor import execute_push

    with workspace_context(workspace_pk):
        return execute_push(push_pk)


@shared_task
def reconcile_stripe() -> dict:
    """Catch up on anything the webhook missed, for every connected workspace."""
    from integrations.webhooks.reconcile import reconcile_all

    return reconcile_all()


@shared_task
def retry_stripe_events() -> dict:
    """Process again every stored event that is due (failed or lost), in every workspace."""
    from integrations.webhooks.dispatch import retry_all_due

    return retry_all_due()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def run_amendment(workspace_pk: int, amendment_pk: int) -> str:
    """Apply (or resume) an amendment. Safe to deliver twice: it is exactly-once."""
    from integrations.push.amend_executor import execute_amendment

    with workspace_context(workspace_pk):
        return execute_amendment(amendment_pk)


# Named where it was born (billing.taxcheck): the beat schedule and queued tasks call it so.
@shared_task(name="billing.taxcheck.tasks.report_unchecked_invoices")
def report_unchecked_invoices() -> dict:
    """Notify the MSP once per subscription invoice finalized without a (successful) check."""
    from integrations.mirror.recheck import report_unchecked_all

    return report_unchecked_all()


@shared_task(bind=True, acks_late=True, max_retries=5)
def process_lexware_event(self, workspace_pk: int, event_pk: int) -> str:
    """Read back the invoice a stored Lexware Office callback names (safe to run twice)."""
    from integrations.accounting.http import ProviderError
    from integrations.lexware.readback import process_event

    try:
        with workspace_context(workspace_pk):
            return process_event(event_pk)
    except ProviderError as failure:  # kept as failed on the event; tried again later
        raise self.retry(countdown=min(300, 10 * 2**self.request.retries)) from failure


@shared_task
def poll_sevdesk() -> dict:
    """Poll every sevDesk connection that is due for its changed invoices."""
    from integrations.models import AccountingConnection
    from integrations.sevdesk.poll import poll
    from mspercury.tenancy import system_context

    # Which workspaces have sevDesk connected is the only cross-tenant read here.
    with system_context():
        workspaces = list(
            AccountingConnection.objects.filter(provider="sevdesk").values_list(
                "workspace_id", flat=True
            )
        )
    results = {}
    for workspace_pk in workspaces:
        with workspace_context(workspace_pk):
            connection = AccountingConnection.objects.select_related("workspace").for_workspace(
                workspace_pk, "sevdesk"
            )
            if connection is not None:
                results[workspace_pk] = poll(connection)
    return results


@shared_task
def retry_lexware_events() -> int:
    """Process again the stored Lexware Office callbacks whose processing failed or was lost."""
    from integrations.lexware.readback import due_events
    from mspercury.tenancy import system_context

    with system_context():
        due = due_events()
    for workspace_pk, event_pk in due:
        try:
            process_lexware_event.apply_async((workspace_pk, event_pk), retry=False)
        except Exception:  # kept as failed on the event; the next sweep tries again
            logger.exception("Lexware event %s could not be queued", event_pk)
    return len(due)


@shared_task
def issue_due_invoices() -> dict:
    """Beat: start the billing run of every workspace with an active contract (Lexware Office,
    sevDesk). The list alone is read across workspaces; each run is its own task."""
    from billing.models import Contract
    from mspercury.tenancy import system_context

    with system_context():  # which workspaces have contracts: a cross-tenant list of ids
        workspaces = sorted(
            set(
                Contract.objects.filter(status=Contract.Status.ACTIVE).values_list(
                    "workspace_id", flat=True
                )
            )
        )
    for workspace_pk in workspaces:
        run_billing.delay(workspace_pk)
    return {"workspaces": len(workspaces)}


@shared_task(acks_late=True, reject_on_worker_lost=True)
def run_billing(workspace_pk: int) -> dict:
    """Issue the workspace's due period invoices. Safe to run twice, also at once: each
    invoice row is claimed by one worker (integrations.accounting.issue)."""
    from integrations.accounting.runs import run_workspace
    from mspercury.models import Workspace

    with workspace_context(workspace_pk):
        run = run_workspace(Workspace.objects.get(pk=workspace_pk))
    return {"status": run.status, "total": run.total, "done": run.done, "failed": run.failed}
