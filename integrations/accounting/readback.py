"""What an accounting tool says of an invoice MSPercury issued there, fed into the ledger: its
status and amounts through billing.ledger.record_provider_invoice, its payments through the one
settle path (billing.payments.record_payment), each once by a provider id derived from the
payment itself. Lexware Office reports after an event callback (integrations.lexware.readback),
sevDesk when polled (integrations.sevdesk.poll).

Only invoices already in the ledger are read back: MSPercury records each invoice it issues, so
an invoice made by hand in the tool (or another workspace's, should two share an account) is
never taken in from an event or a poll.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

from billing.ledger import ProviderInvoice, record_provider_invoice
from billing.models import Invoice, Payment
from billing.payments import record_payment

CENT = Decimal("0.01")


@dataclass(frozen=True)
class PaymentFact:
    """One payment the provider holds: a stable id of ours for it, amount in minor units."""

    provider_id: str
    amount: int
    paid_at: datetime
    method: str = Payment.Method.BANK_TRANSFER
    source: str = Payment.Source.ACCOUNTING
    note: str = ""


def minor_units(amount) -> int:
    """A provider's decimal euro amount (number or string) in cents, half up."""
    return int((Decimal(str(amount or 0)).quantize(CENT, rounding=ROUND_HALF_UP)) * 100)


def ledger_invoice(workspace, provider: str, account_ref: str, external_id: str):
    """The ledger's record of that provider invoice, or None (then nothing is read back)."""
    return (
        Invoice.objects.filter(
            workspace=workspace, provider=provider, account_ref=account_ref, stripe_id=external_id
        )
        .select_related("workspace")
        .first()
    )


def current_facts(invoice) -> ProviderInvoice:
    """The ledger row as ProviderInvoice facts, so a read-back changes only what it read."""
    return ProviderInvoice(
        provider=invoice.provider,
        account_ref=invoice.account_ref,
        external_id=invoice.stripe_id,
        currency=invoice.currency,
        status=invoice.status,
        number=invoice.number,
        issued_at=invoice.created,
        due_date=invoice.due_date,
        voided_at=invoice.voided_at,
        service_start=invoice.service_start,
        service_end=invoice.service_end,
        net=invoice.total - invoice.tax,
        tax=invoice.tax,
        total=invoice.total,
        lines=invoice.lines,
        pdf_url=invoice.invoice_pdf,
    )


def apply(invoice, changes: dict, payments: list[PaymentFact]):
    """Write the provider's status and amounts (``changes``: ProviderInvoice fields) and record
    each payment once. Returns the invoice as the ledger has it afterwards."""
    facts = replace(current_facts(invoice), **changes)
    if facts.status == Invoice.Status.VOID and facts.voided_at is None:
        facts = replace(facts, voided_at=timezone.now())
    invoice = record_provider_invoice(invoice.workspace, facts)
    for payment in payments:
        if _entered_here_too(invoice, payment):
            continue
        record_payment(
            invoice,
            provider_id=payment.provider_id,
            source=payment.source,
            amount=payment.amount,
            currency=invoice.currency,
            paid_at=payment.paid_at,
            method=payment.method,
            note=payment.note,
            recorded_in_stripe=True,  # it is in the provider: that is where it came from
        )
    invoice.refresh_from_db()
    return invoice


def _entered_here_too(invoice, payment: PaymentFact) -> bool:
    """The provider's payment is one an admin recorded in MSPercury as well (a manual payment
    the provider's API could not take, then booked there by hand): the manual payment is
    linked to it, once, instead of counting the money twice."""
    if payment.source != Payment.Source.ACCOUNTING:
        return False
    mine = Payment.objects.filter(invoice=invoice, source=Payment.Source.MANUAL)
    if mine.filter(payment_intent=payment.provider_id).exists():
        return True
    known = Payment.objects.filter(
        workspace_id=invoice.workspace_id, provider_id=payment.provider_id
    )
    if known.exists():
        return False
    match = (
        mine.filter(voided_at__isnull=True, recorded_in_stripe=False, payment_intent="")
        .filter(amount=payment.amount)
        .order_by("paid_at", "id")
        .first()
    )
    if match is None:
        return False
    Payment.objects.filter(pk=match.pk).update(
        payment_intent=payment.provider_id, recorded_in_stripe=True
    )
    return True


def account_ref(connection) -> str:
    """The ``account_ref`` of the ledger's invoices issued through ``connection``: the
    organization (Lexware) or sevClient (sevDesk) the key belongs to."""
    return connection.organization_id or f"conn:{connection.public_id}"
