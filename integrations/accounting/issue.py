"""The issuing engine: every due period invoice of a contract, issued in the workspace's Lexware
Office or sevDesk exactly once, whatever fails.

- ``plan_contract`` makes one ContractInvoice row per due period (billing.schedule); the row's
  UNIQUE(contract, period_start, kind) is the exactly-once anchor, made before the provider is
  called.
- ``claim`` takes a row for one worker: locked (``skip_locked``), moved to ``issuing`` and
  committed before any request, so a second worker skips it. A row whose worker died is taken
  again after ``LEASE``.
- ``issue`` writes the invoice with the row's reference in it. The claim marks the row
  ``may_have_landed`` before the request goes out, and only an answer saying nothing was
  written clears it; while it is set, the next attempt first looks for the invoice by its
  reference (Lexware's voucherlist, sevDesk's customerInternalNote) and creates it only if it
  is not there. An answer's external id is stored at once, so a failed read-back never leads
  to a second create.
- A 429 waits what the provider asks (Retry-After, else a second) and tries again; it is not a
  failure. Every request waits for its slot in the throttle shared across workers
  (integrations.accounting.throttle; Lexware: 2 requests per second per key).
- The month's BillingRun counts its rows, and staff may pause it: the loop reads the run's
  status again before each invoice and stops while it is paused.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_noop

from billing.contracts import plan_lines
from billing.ledger import ProviderInvoice, record_provider_invoice
from billing.models import Contract, ContractInvoice
from billing.schedule import PeriodInvoice, due_invoices, invoice_for, period_of
from integrations.accounting.contracts import (
    account_ref,
    client_for,
    connection_for,
    patiently,
)
from integrations.accounting.http import ProviderError, Unavailable
from integrations.accounting.tax import TaxRefused
from integrations.accounting.writers import UNIT_NAMES, Issued, writer_for
from mspercury.models import Notification
from mspercury.notify import notify, resolve
from mspercury.texts import Text
from portal import emails
from rules.money import to_minor_units

LEASE = timedelta(minutes=10)
NOTIFY_AFTER_ATTEMPTS = 3
# Lexware's voucherlist filters by creation day: look back a little before the row was made.
FIND_MARGIN = timedelta(days=2)


def reference(contract: Contract, period_start: date, kind: str) -> str:
    """What MSPercury writes into the provider's invoice to find it again: one per row."""
    suffix = "" if kind == ContractInvoice.Kind.PERIOD else f"-{kind}"
    return f"MSP-{contract.public_id.hex[:12]}-{period_start:%Y%m%d}{suffix}"


def plan_contract(contract: Contract, today: date) -> int:
    """Make the rows of every period due on ``today``; returns how many were new."""
    due = due_invoices(
        plan_lines(contract), contract.starts_on, contract.ends_on, today, contract.currency
    )
    rows = [
        ContractInvoice(
            workspace_id=contract.workspace_id,
            contract=contract,
            period_start=invoice.period.start,
            period_end=invoice.service_end,
            reference=reference(contract, invoice.period.start, ContractInvoice.Kind.PERIOD),
        )
        for invoice in due
    ]
    before = ContractInvoice.objects.filter(contract=contract).count()
    ContractInvoice.objects.bulk_create(rows, ignore_conflicts=True)
    return ContractInvoice.objects.filter(contract=contract).count() - before


def period_invoice(row: ContractInvoice) -> PeriodInvoice | None:
    contract = row.contract
    if row.kind == ContractInvoice.Kind.PRORATED:
        from integrations.accounting.revisions import one_off_invoice

        return one_off_invoice(row)
    current = period_of(contract.starts_on, row.period_start)
    return invoice_for(
        plan_lines(contract), contract.starts_on, contract.ends_on, current, contract.currency
    )


# -- one invoice ---------------------------------------------------------------------------------

ISSUABLE = Q(state__in=[ContractInvoice.State.PLANNED, ContractInvoice.State.FAILED])


def claim(row_pk: int) -> bool | None:
    """Take the row for this worker: None when another has it or it is issued, else whether
    an earlier attempt may have landed (look before creating)."""
    stale = Q(state=ContractInvoice.State.ISSUING, claimed_at__lt=timezone.now() - LEASE)
    with transaction.atomic():
        row = (
            ContractInvoice.objects.select_for_update(skip_locked=True)
            .filter(ISSUABLE | stale, pk=row_pk)
            .first()
        )
        if row is None:
            return None
        if row.state == ContractInvoice.State.ISSUING:
            row.may_have_landed = True  # its worker died, perhaps after the write
        row.state = ContractInvoice.State.ISSUING
        row.claimed_at = timezone.now()
        row.attempts += 1
        looked_before = row.may_have_landed
        row.may_have_landed = True
        row.save(update_fields=["state", "claimed_at", "attempts", "may_have_landed"])
    return looked_before


def _store(row: ContractInvoice, **fields) -> None:
    for name, value in fields.items():
        setattr(row, name, value)
    ContractInvoice.objects.filter(pk=row.pk).update(**fields)


def write(row: ContractInvoice, writer, invoice: PeriodInvoice, today: date) -> Issued:
    """Find the invoice an earlier attempt may have made, else create it; then read it."""
    if not row.external_id and row.may_have_landed:
        since = timezone.localdate(row.created_at) - FIND_MARGIN
        found = patiently(writer.find, row.reference, since)
        if found:
            _store(row, external_id=found)
    if not row.external_id:
        created = patiently(writer.create, invoice, min(today, invoice.service_end), row.reference)
        _store(row, external_id=created)
    return patiently(writer.read, row.external_id)


def issue(row: ContractInvoice, today: date) -> str:
    """Issue one claimed row; returns its new state."""
    contract = row.contract
    invoice = period_invoice(row)
    if invoice is None:  # nothing bills in it any more (the contract ended before it)
        _store(row, state=ContractInvoice.State.FAILED, last_error="Nothing to bill in it.")
        return row.state
    connection = connection_for(contract.workspace, contract.provider)
    units = {str(line.pk): UNIT_NAMES.get(line.unit, "Stück") for line in contract.lines.all()}
    writer = writer_for(client_for(connection), contract, units)
    try:
        issued = write(row, writer, invoice, today)
    except (ProviderError, TaxRefused, LookupError) as failure:
        # Only an answer to the create may say nothing landed; a failed look-up or read
        # leaves the doubt of an earlier attempt as it was.
        landed = row.may_have_landed or (
            isinstance(failure, Unavailable) and failure.may_have_landed
        )
        _store(
            row,
            state=ContractInvoice.State.FAILED,
            last_error=str(failure)[:2000],
            may_have_landed=landed,
        )
        not_issued(row, str(failure))
        return row.state
    record(row, connection, invoice, issued)
    resolve(contract.workspace, f"invoice_not_issued:{row.public_id}")
    return row.state


def not_issued(row: ContractInvoice, reason: str) -> None:
    """Owners and admins hear once per period invoice that it could not be issued, with the
    provider's words; the notification is resolved when a later attempt issues it. A 429 or an
    outage is retried quietly first: only the third failed attempt speaks."""
    if row.attempts < NOTIFY_AFTER_ATTEMPTS:
        return
    contract = row.contract
    notify(
        contract.workspace,
        Notification.Kind.INVOICE_NOT_ISSUED,
        f"invoice_not_issued:{row.public_id}",
        Text(
            gettext_noop("Invoice of %(number)s for %(start)s not issued in %(provider)s"),
            number=contract.quote.number,
            start=row.period_start.isoformat(),
            provider=contract.get_provider_display(),
        ),
        reason,
        reverse("billing:contract_detail", args=[contract.public_id]),
    )


def ledger_lines(invoice: PeriodInvoice) -> list[dict]:
    currency = invoice.currency

    def stamp(day: date) -> int:
        return int(timezone.datetime.combine(day, timezone.datetime.min.time()).timestamp())

    return [
        {
            "id": line.ref,
            "description": line.description,
            "quantity": str(line.quantity),
            "amount": to_minor_units(line.net, currency),
            "discount": 0,
            "currency": currency.upper(),
            "period_start": stamp(line.service_start),
            "period_end": stamp(line.service_end + timedelta(days=1)),
            "proration": line.prorated,
            "price": "",
            # Stripe's lines name tax rate objects here; a provider's invoice has none (its
            # tax is per rate on the invoice), so the rate is kept as a percentage beside.
            "taxes": [],
            "vat_percent": str(line.tax_rate),
            "metadata": {"contract_line": line.ref},
        }
        for line in invoice.lines
    ]


def record(row: ContractInvoice, connection, invoice: PeriodInvoice, issued: Issued) -> None:
    """The issued invoice into the ledger (billing.ledger), then the row: issued."""
    contract, currency = row.contract, row.contract.currency
    facts = ProviderInvoice(
        provider=contract.provider,
        account_ref=account_ref(connection),
        external_id=issued.external_id,
        currency=currency,
        status=issued.status,
        number=issued.number,
        issued_at=timezone.now(),
        due_date=_midday(issued.due_date),
        service_start=invoice.service_start,
        service_end=invoice.service_end,
        net=to_minor_units(issued.net, currency),
        tax=to_minor_units(issued.tax, currency),
        total=to_minor_units(issued.gross, currency),
        lines=ledger_lines(invoice),
    )
    with transaction.atomic():
        ledger = record_provider_invoice(
            contract.workspace, facts, customer=contract.customer, quote=contract.quote
        )
        _store(
            row,
            state=ContractInvoice.State.ISSUED,
            number=issued.number,
            invoice=ledger,
            issued_at=timezone.now(),
            last_error="",
            may_have_landed=False,
        )
        emails.on_provider_invoice_issued(ledger)  # the invoice email, after commit, once


def _midday(day: date | None):
    if day is None:
        return None
    return timezone.make_aware(timezone.datetime.combine(day, timezone.datetime.min.time()))


def issue_row(row_pk: int, today: date) -> str | None:
    """Claim and issue one row; None when another worker has it."""
    look_first = claim(row_pk)
    if look_first is None:
        return None
    row = ContractInvoice.objects.select_related(
        "contract__workspace", "contract__customer", "contract__quote"
    ).get(pk=row_pk)
    row.may_have_landed = look_first
    return issue(row, today)
