"""sevDesk has no webhooks (notes §2.11, §2.12): a periodic task asks each sevDesk connection for
the invoices changed since its last poll (``GET /Invoice?updateAfter=``) and feeds those the
ledger holds into it (integrations.accounting.readback).

A failure (sevDesk down, 429, a refused token) keeps the cursor where it was and waits longer
before the next poll: ``BASE`` seconds doubled per failure in a row, at most ``CEILING``, and
never less than a 429's Retry-After. sevDesk's FAQ warns that a token sending many failing
requests may be blocked, so a failing connection is left alone rather than hammered.

sevDesk reports one ``paidAmount`` per invoice, not its payments: what it holds beyond the
payments the ledger already has from sevDesk (read back, or manual ones MSPercury booked
there) is recorded as one payment, named by the invoice and the paid amount it brings the
invoice to, so the same poll twice records it once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Q, Sum
from django.utils import timezone

from billing.models import Invoice, Payment
from integrations.accounting import readback
from integrations.accounting.http import ProviderError, RateLimited
from integrations.models import AccountingConnection
from integrations.sevdesk.client import SevdeskClient

BASE = 60
CEILING = 3600
# Changes are asked for from a little before the last poll: a change sevDesk stamped while the
# last poll was under way is not missed (reading an invoice twice records nothing twice).
OVERLAP = timedelta(minutes=2)
FIRST_LOOK_BACK = timedelta(days=1)
STATUS = {
    "100": Invoice.Status.DRAFT,
    "200": Invoice.Status.OPEN,
    "750": Invoice.Status.OPEN,  # partially paid: the sum of payments says so
    "1000": Invoice.Status.PAID,
}


def backoff(failures: int, retry_after: float = 0.0) -> float:
    """Seconds to wait after ``failures`` failed polls in a row (pure)."""
    return max(min(BASE * 2 ** max(failures - 1, 0), CEILING), retry_after)


def _stamp(value) -> datetime | None:
    from django.utils.dateparse import parse_datetime

    if not value:
        return None
    return parse_datetime(str(value))


def invoice_changes(invoice: dict) -> dict:
    changes = {
        "status": STATUS.get(str(invoice.get("status")), Invoice.Status.OPEN),
        "number": str(invoice.get("invoiceNumber") or ""),
        "total": readback.minor_units(invoice.get("sumGross")),
        "tax": readback.minor_units(invoice.get("sumTax")),
        "net": readback.minor_units(invoice.get("sumNet")),
    }
    return {key: value for key, value in changes.items() if value != ""}


def held_in_sevdesk(invoice) -> int:
    """What the ledger holds of the invoice's payments that sevDesk counts too."""
    return (
        Payment.objects.filter(invoice=invoice, voided_at__isnull=True)
        .filter(
            Q(source=Payment.Source.ACCOUNTING)
            | Q(source=Payment.Source.MANUAL, recorded_in_stripe=True)
        )
        .aggregate(total=Sum("amount", default=0))["total"]
    )


def payment_facts(invoice_id: str, found: dict, held: int) -> list[readback.PaymentFact]:
    paid = readback.minor_units(found.get("paidAmount"))
    if paid <= held:
        return []
    when = _stamp(found.get("payDate")) or _stamp(found.get("update")) or timezone.now()
    return [
        readback.PaymentFact(
            provider_id=f"sevdesk:{invoice_id}:paid:{paid}",
            amount=paid - held,
            paid_at=when,
            note="sevDesk",
        )
    ]


def sync_invoice(connection: AccountingConnection, found: dict) -> bool:
    """One changed sevDesk invoice into the ledger; False when the ledger does not hold it."""
    invoice_id = str(found.get("id"))
    ref = readback.account_ref(connection)
    invoice = readback.ledger_invoice(connection.workspace, "sevdesk", ref, invoice_id)
    if invoice is None:
        return False
    facts = payment_facts(invoice_id, found, held_in_sevdesk(invoice))
    readback.apply(invoice, invoice_changes(found), facts)
    return True


def poll(connection: AccountingConnection, now: datetime | None = None) -> int:
    """Poll once if due; the number of ledger invoices updated (-1: not due, or it failed)."""
    now = now or timezone.now()
    if connection.next_poll_at and connection.next_poll_at > now:
        return -1
    since = (connection.polled_until or now - FIRST_LOOK_BACK) - OVERLAP
    try:
        changed = SevdeskClient(connection.api_key).changed_invoices(since)
        updated = sum(sync_invoice(connection, found) for found in changed)
    except ProviderError as failure:
        _failed(connection, failure, now)
        return -1
    connection.polled_until = now
    connection.poll_failures = 0
    connection.poll_error = ""
    connection.next_poll_at = None
    connection.save(update_fields=["polled_until", "poll_failures", "poll_error", "next_poll_at"])
    return updated


def _failed(connection: AccountingConnection, failure: ProviderError, now: datetime) -> None:
    connection.poll_failures += 1
    wait = backoff(
        connection.poll_failures,
        failure.retry_after if isinstance(failure, RateLimited) else 0.0,
    )
    connection.next_poll_at = now + timedelta(seconds=wait)
    connection.poll_error = str(failure)
    connection.save(update_fields=["poll_failures", "next_poll_at", "poll_error"])
