"""The month's billing run of a workspace: plan every active contract's due periods, issue them
one by one (integrations.accounting.issue), count progress, and stop while staff paused it."""

from __future__ import annotations

from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from billing.contracts import finish_ended
from billing.models import BillingRun, Contract, ContractInvoice
from billing.schedule import add_months
from integrations.accounting.issue import issue_row, plan_contract
from mspercury.localtime import today_in


def month_of(day: date) -> date:
    return day.replace(day=1)


def month_rows(run: BillingRun):
    return ContractInvoice.objects.filter(
        workspace_id=run.workspace_id,
        period_start__gte=run.month,
        period_start__lt=add_months(run.month, 1),
    )


def count(run: BillingRun, *, finished: bool = False) -> BillingRun:
    """Store the run's counts from its rows; a finished pass that left nothing to do is done."""
    rows = month_rows(run)
    total = rows.count()
    done = rows.filter(state=ContractInvoice.State.ISSUED).count()
    failed = rows.filter(state=ContractInvoice.State.FAILED).count()
    with transaction.atomic():
        run = BillingRun.objects.select_for_update().get(pk=run.pk)
        run.total, run.done, run.failed = total, done, failed
        if finished and run.status == BillingRun.Status.RUNNING and done + failed == total:
            run.status = BillingRun.Status.DONE
            run.finished_at = timezone.now()
        run.save(update_fields=["total", "done", "failed", "status", "finished_at"])
    return run


def current_run(workspace, today: date) -> BillingRun:
    run, _created = BillingRun.objects.get_or_create(workspace=workspace, month=month_of(today))
    return run


# A failed invoice is tried up to three times at once (a lost answer, then a failed look-up, a
# passing 5xx), then after 2, 4, 8 … minutes, at most daily: a provider refusing the same body
# is not asked every run (sevDesk may block a token that keeps causing errors, API FAQ).
RETRY_AT_ONCE = 3
MAX_BACKOFF = timedelta(days=1)


def retry_due(attempts: int, last_try, now) -> bool:
    if attempts < RETRY_AT_ONCE or last_try is None:
        return True
    wait = min(timedelta(minutes=2 ** (attempts - RETRY_AT_ONCE + 1)), MAX_BACKOFF)
    return last_try + wait <= now


def pending(workspace, today: date) -> list[int]:
    rows = ContractInvoice.objects.filter(workspace=workspace, period_start__lte=today).exclude(
        state=ContractInvoice.State.ISSUED
    )
    now = timezone.now()
    found = rows.order_by("period_start", "id").values_list("pk", "state", "attempts", "claimed_at")
    return [
        pk
        for pk, state, attempts, claimed_at in found
        if state != ContractInvoice.State.FAILED or retry_due(attempts, claimed_at, now)
    ]


def paused(run: BillingRun) -> bool:
    return BillingRun.objects.filter(pk=run.pk, status=BillingRun.Status.PAUSED).exists()


def run_workspace(workspace, today: date | None = None) -> BillingRun:
    """One pass over the workspace's contracts for ``today`` (the workspace's date by default).
    Paused: issues nothing; the pause is read again before each invoice."""
    today = today or today_in(workspace)
    run = current_run(workspace, today)
    if paused(run):
        return count(run)
    for contract in Contract.objects.filter(workspace=workspace, status=Contract.Status.ACTIVE):
        plan_contract(contract, today)
        finish_ended(contract, today)
    if run.status == BillingRun.Status.DONE:
        BillingRun.objects.filter(pk=run.pk).update(status=BillingRun.Status.RUNNING)
    count(run)
    for row_pk in pending(workspace, today):
        if paused(run):
            return count(run)
        issue_row(row_pk, today)
        count(run)
    return count(run, finished=True)
