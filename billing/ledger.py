"""The provider-neutral ledger's writer: one invoice record per provider invoice.

Stripe's invoices reach the ledger through the Stripe mirror (integrations.mirror.sync);
invoices MSPercury issues in the workspace's accounting tool (Lexware Office, sevDesk) reach it
here, from what the provider answered. Payments of either go through the one settle path
(billing.payments.record_payment); this module never touches them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from django.db import transaction

from billing.models import Invoice, Ownership, Provider
from billing.payments import lock, settle


@dataclass(frozen=True)
class ProviderInvoice:
    """What the ledger keeps of one provider invoice. Amounts in minor units; ``lines`` in the
    shape billing.mirror.line_facts gives for Stripe's (description, quantity, amounts before
    tax, tax per rate, period) so pages, e-invoices and reports read both alike."""

    provider: str
    account_ref: str
    external_id: str
    currency: str
    status: str  # Invoice.Status: draft, open, paid, void
    number: str = ""
    issued_at: datetime | None = None
    due_date: datetime | None = None
    voided_at: datetime | None = None
    service_start: date | None = None
    service_end: date | None = None
    net: int = 0
    tax: int = 0
    total: int = 0
    lines: list[dict] = field(default_factory=list)
    pdf_url: str = ""


def record_provider_invoice(workspace, facts: ProviderInvoice, *, customer=None, quote=None):
    """Create or update the ledger invoice for ``facts`` (one per provider, account and external
    id) and re-derive its payment status. Returns the invoice."""
    if facts.provider == Provider.STRIPE:
        raise ValueError("Stripe's invoices reach the ledger through the Stripe mirror.")
    values = {
        "number": facts.number,
        "status": facts.status,
        "currency": facts.currency.lower(),
        "total": facts.total,
        "tax": facts.tax,
        "amount_due": facts.total,
        "created": facts.issued_at,
        "finalized_at": facts.issued_at if facts.status != Invoice.Status.DRAFT else None,
        "voided_at": facts.voided_at,
        "due_date": facts.due_date,
        "service_start": facts.service_start,
        "service_end": facts.service_end,
        "lines": facts.lines,
        "invoice_pdf": facts.pdf_url,
        "ownership": Ownership.OURS,
    }
    if customer is not None:
        values["customer"] = customer
    if quote is not None:
        values["quote"] = quote
    with transaction.atomic():
        invoice, _created = Invoice.objects.update_or_create(
            workspace=workspace,
            provider=facts.provider,
            account_ref=facts.account_ref,
            stripe_id=facts.external_id,
            defaults=values,
        )
        settle(lock(invoice))
    invoice.refresh_from_db()
    return invoice
