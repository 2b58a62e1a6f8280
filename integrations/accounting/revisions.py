"""A re-accepted revision of a contract's quote: preview what changes (to the cent) and apply
it, from the next period or with a one-off prorated invoice for the rest of the current one
(billing.schedule.revise). The one-off invoice is a ContractInvoice of kind ``prorated``,
issued by the same engine, exactly once."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from billing.contracts import plan_line
from billing.models import Contract, ContractInvoice, ContractLine
from billing.schedule import ContractLine as PlanLine
from billing.schedule import InvoiceLine, Period, PeriodInvoice, Revision, revise
from integrations.accounting.contracts import ContractRefused, check_contract, line_rows
from integrations.accounting.issue import reference
from integrations.push.inputs import push_snapshot


def _plan(rows) -> list[PlanLine]:
    return [plan_line(row, row.quote_line_ref) for row in rows]


def preview(contract: Contract, today: date) -> tuple[Revision, list[ContractLine]]:
    """What the quote's accepted revision would change in ``contract``, and its lines."""
    snapshot = push_snapshot(contract.quote)
    if snapshot is None:
        raise ContractRefused(_("Only accepted quotes can be billed."))
    check_contract(contract.quote, snapshot, contract.provider)
    revised = line_rows(contract, snapshot)
    change = revise(
        _plan(contract.lines.all()), _plan(revised), contract.starts_on, today, contract.currency
    )
    return change, revised


def do_revise_contract(contract: Contract, today: date, *, prorate: bool) -> Revision | None:
    """Apply the accepted revision once (None when the contract already bills it)."""
    revision = contract.quote.revision
    if contract.quote_revision == revision:
        return None
    change, revised = preview(contract, today)
    by_ref = {row.quote_line_ref: row for row in revised}
    with transaction.atomic():
        locked = Contract.objects.select_for_update().get(pk=contract.pk)
        if locked.quote_revision == revision:
            return None
        for ref, until in change.close:
            contract.lines.filter(quote_line_ref=ref, effective_until=None).update(
                effective_until=until
            )
        _add(contract, change, by_ref)
        if prorate and change.one_off is not None:
            _one_off_row(contract, change.one_off)
        Contract.objects.filter(pk=contract.pk).update(quote_revision=revision)
    return change


def _add(contract: Contract, change: Revision, by_ref: dict[str, ContractLine]) -> None:
    position = contract.lines.count()
    for offset, line in enumerate(change.add):
        row = by_ref[line.ref]
        row.position = position + offset
        row.effective_from = line.effective_from
        row.save()


def _one_off_row(contract: Contract, invoice: PeriodInvoice) -> None:
    kind = ContractInvoice.Kind.PRORATED
    ContractInvoice.objects.get_or_create(
        contract=contract,
        period_start=invoice.service_start,
        kind=kind,
        defaults={
            "workspace_id": contract.workspace_id,
            "period_end": invoice.service_end,
            "reference": reference(contract, invoice.service_start, kind),
            "lines": [_line_data(line) for line in invoice.lines],
        },
    )


def _line_data(line: InvoiceLine) -> dict:
    return {
        "ref": line.ref,
        "description": line.description,
        "net": str(line.net),
        "tax_rate": str(line.tax_rate),
        "served_days": line.served_days,
        "period_days": line.period_days,
    }


def one_off_invoice(row: ContractInvoice) -> PeriodInvoice:
    """The stored one-off invoice of ``row`` as the writers take it."""
    start, end = row.period_start, row.period_end
    lines = tuple(
        InvoiceLine(
            data["ref"],
            data["description"],
            "month",
            Decimal(1),
            Decimal(data["net"]),
            None,
            Decimal(data["tax_rate"]),
            start,
            end,
            Decimal(data["net"]),
            data["served_days"],
            data["period_days"],
        )
        for data in row.lines
    )
    return PeriodInvoice(Period(0, start, end), start, end, row.contract.currency, lines)
