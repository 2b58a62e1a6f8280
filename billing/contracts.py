"""Contracts MSPercury bills itself, as the staff pages read them, and the pause of the month's
billing run. The engine that issues the invoices is at the edge (integrations.accounting)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.db.models import Max
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from billing.models import BillingRun, Contract, ContractInvoice
from billing.schedule import ContractLine as PlanLine
from billing.schedule import Period, PeriodInvoice, invoice_for, next_period, period_of
from mspercury.access import get_for_workspace

RUN_TASK = "integrations.tasks.run_billing"


def contracts_of(workspace):
    return Contract.objects.filter(workspace=workspace)


def access_contract(request, contract_id) -> Contract:
    """One of the active workspace's contracts by public id, or 404."""
    queryset = contracts_of(request.workspace).select_related("customer", "quote")
    return get_for_workspace(request, queryset, public_id=contract_id)


def access_run(request, run_id) -> BillingRun:
    return get_for_workspace(request, BillingRun.objects.all(), public_id=run_id)


def plan_line(line, ref: str) -> PlanLine:
    """A contract line (stored, or about to be) as the pure planner reads it."""
    return PlanLine(
        ref=ref,
        description=line.description,
        quantity=line.quantity.normalize(),
        unit_price=line.unit_price.normalize(),
        interval=line.interval,
        tax_rate=line.tax_rate,
        discount_percent=line.discount_percent,
        effective_from=line.effective_from,
        effective_until=line.effective_until,
    )


def plan_lines(contract: Contract) -> list[PlanLine]:
    return [plan_line(line, str(line.pk)) for line in contract.lines.all()]


@dataclass(frozen=True)
class Upcoming:
    period: Period
    invoice: PeriodInvoice | None


def upcoming(contract: Contract, today: date) -> Upcoming | None:
    """The next period that is not due yet and what its invoice will bill."""
    found = next_period(contract.starts_on, contract.ends_on, today)
    if found is None or contract.status != Contract.Status.ACTIVE:
        return None
    invoice = invoice_for(
        plan_lines(contract), contract.starts_on, contract.ends_on, found, contract.currency
    )
    return Upcoming(found, invoice)


def issued_rows(contract: Contract):
    return ContractInvoice.objects.filter(contract=contract).select_related("invoice")


def do_pause_run(run: BillingRun) -> bool:
    """Pause a running run: the engine issues nothing more until it is resumed (it reads the
    status before each invoice). False when it was not running."""
    paused = BillingRun.objects.filter(pk=run.pk, status=BillingRun.Status.RUNNING)
    return bool(paused.update(status=BillingRun.Status.PAUSED))


def do_resume_run(run: BillingRun) -> bool:
    """Resume a paused run and start its next pass at once (the beat would within minutes).
    The task is named, not imported: billing does not import the edge."""
    resumed = BillingRun.objects.filter(pk=run.pk, status=BillingRun.Status.PAUSED)
    if not resumed.update(status=BillingRun.Status.RUNNING):
        return False
    transaction.on_commit(lambda: _start(run.workspace_id))
    return True


def do_issue_now(workspace, today: date) -> BillingRun:
    """Start the month's billing run now instead of at the next beat (every 15 minutes): the
    run issues every invoice that is due by ``today``. A finished run of the month runs again
    (a month forward, the next period is due); a paused run stays paused and starts nothing."""
    month = today.replace(day=1)
    run, _created = BillingRun.objects.get_or_create(workspace=workspace, month=month)
    if run.status == BillingRun.Status.PAUSED:
        return run
    if run.status == BillingRun.Status.DONE:
        BillingRun.objects.filter(pk=run.pk).update(status=BillingRun.Status.RUNNING)
        run.status = BillingRun.Status.RUNNING
    transaction.on_commit(lambda: _start(workspace.pk))
    return run


def _start(workspace_pk: int) -> None:
    from celery import current_app

    # By name from the app's registry, so eager mode runs it too; the apps' task modules are
    # discovered first where no worker has loaded them (a web process, a test).
    if RUN_TASK not in current_app.tasks:
        current_app.loader.import_default_modules()
    current_app.tasks[RUN_TASK].delay(workspace_pk)


class ContractEndRefused(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def period_end(contract: Contract, today: date) -> date:
    """The last day of the period ``today`` falls in: ending there bills nothing prorated."""
    return period_of(contract.starts_on, max(today, contract.starts_on)).end


def do_end_contract(contract: Contract, ends_on: date, today: date) -> None:
    """End the contract on ``ends_on`` (its last day of service): the planner bills no period
    after it and prorates a period it cuts. A period already invoiced (billed in advance) is
    not cut: neither provider takes a negative line, so a credit note would be needed."""
    if ends_on < today:
        raise ContractEndRefused(_("Choose today or a later day."))
    invoiced = ContractInvoice.objects.filter(
        contract=contract, kind=ContractInvoice.Kind.PERIOD
    ).aggregate(last=Max("period_end"))["last"]
    if invoiced and ends_on < invoiced:
        raise ContractEndRefused(
            _("The period up to %(day)s is invoiced already: choose that day or later.")
            % {"day": date_format(invoiced, "SHORT_DATE_FORMAT")}
        )
    Contract.objects.filter(pk=contract.pk).update(ends_on=ends_on)
    contract.ends_on = ends_on


def finish_ended(contract: Contract, today: date) -> bool:
    """Mark a contract whose last period has begun as ended; True when it did."""
    if contract.ends_on is None or next_period(contract.starts_on, contract.ends_on, today):
        return False
    Contract.objects.filter(pk=contract.pk).update(status=Contract.Status.ENDED)
    return True
